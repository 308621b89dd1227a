"""bot/inprocess.py: the custom actions run inside Rasa, answering as the action server would,
and a Rasa upgrade that moves what is patched fails here."""

from __future__ import annotations

import asyncio
import json
import textwrap

import pytest

from bot import inprocess, speedups

ACTIONS = '''
from rasa_sdk import Action
from rasa_sdk.events import SlotSet
from rasa_sdk.interfaces import ActionExecutionRejection


class SayHello(Action):
    def name(self):
        return "action_test_hello"

    def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text="hello " + (tracker.latest_message.get("text") or ""), json_message={"n": (1, 2)})
        return [SlotSet("item_code", "440000")]


class Refuse(Action):
    def name(self):
        return "action_test_refuse"

    def run(self, dispatcher, tracker, domain):
        raise ActionExecutionRejection(self.name(), "not this time")


class Crash(Action):
    def name(self):
        return "action_test_crash"

    def run(self, dispatcher, tracker, domain):
        raise ValueError("a bug")
'''


@pytest.fixture
def module(tmp_path, monkeypatch):
    name = f"inprocess_actions_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(ACTIONS))
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def endpoint(module: str):
    from rasa.utils.endpoints import EndpointConfig

    return inprocess.in_process(EndpointConfig(url="http://127.0.0.1:1/webhook", actions_module=module, enable_selective_domain=True))


def tracker(text: str = "你好"):
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    return DialogueStateTracker.from_events("citizen-1", [UserUttered(text, {"name": "greet"})])


def run_action(name: str, module: str):
    from rasa.core.actions.action import RemoteAction
    from rasa.core.channels import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain

    domain = Domain.from_yaml("version: '3.1'\nslots:\n  item_code:\n    type: any\n    mappings: []\nactions:\n  - " + name)
    action = RemoteAction(name, endpoint(module))
    return asyncio.run(action.run(CollectingOutputChannel(), TemplatedNaturalLanguageGenerator({}), tracker(), domain))


def test_patched_functions_are_where_rasa_3_6_keeps_them():
    inprocess.check()


def test_a_moved_target_is_reported(monkeypatch):
    monkeypatch.setattr(inprocess, "TARGETS", (("rasa.core.utils", "AvailableEndpoints.gone", []),))
    with pytest.raises(speedups.PatchTargetMoved, match="gone"):
        inprocess.check()


def test_an_action_runs_in_process_through_rasas_own_remote_action(module):
    from rasa.shared.core.events import BotUttered, SlotSet

    events = run_action("action_test_hello", module)
    said = [e for e in events if isinstance(e, BotUttered)]
    assert [e.text for e in said] == ["hello 你好"]
    assert said[0].data["custom"] == {"n": [1, 2]}  # JSON types, as over HTTP
    assert [e for e in events if isinstance(e, SlotSet)] == [SlotSet("item_code", "440000")]


def test_a_rejected_action_is_rejected_as_over_http(module):
    from rasa.core.actions.action import ActionExecutionRejection

    with pytest.raises(ActionExecutionRejection, match="not this time"):
        run_action("action_test_refuse", module)


def test_an_unknown_or_failing_action_fails_as_over_http(module):
    from rasa.shared.exceptions import RasaException

    with pytest.raises(RasaException, match="action_test_missing"):
        run_action("action_test_missing", module)
    with pytest.raises(RasaException, match="action_test_crash"):
        run_action("action_test_crash", module)


def test_the_action_call_never_leaves_the_process(module, monkeypatch):
    import rasa.utils.endpoints

    async def no_network(*args, **kwargs):
        raise AssertionError("an HTTP request was made")

    monkeypatch.setattr(rasa.utils.endpoints.EndpointConfig, "request", no_network)
    run_action("action_test_hello", module)  # InProcessActions.request overrides it


def test_endpoints_yml_chooses_in_process_or_the_action_server(module, tmp_path, monkeypatch):
    from rasa.core.utils import AvailableEndpoints

    inprocess.apply(warm_actions=False)
    config = tmp_path / "endpoints.yml"
    config.write_text("action_endpoint:\n  url: http://127.0.0.1:1/webhook\n  actions_module: ${MODULE}\n")
    monkeypatch.setenv("MODULE", module)
    inside = AvailableEndpoints.read_endpoints(str(config)).action
    assert type(inside).__name__ == "InProcessActions" and inside.module == module
    monkeypatch.setenv("MODULE", "")
    outside = AvailableEndpoints.read_endpoints(str(config)).action
    assert type(outside).__name__ == "EndpointConfig" and outside.url == "http://127.0.0.1:1/webhook"


def test_the_actions_package_is_warmed_once(module, monkeypatch):
    import importlib

    calls = []
    actions = importlib.import_module(module)
    monkeypatch.setattr(actions, "warm", lambda: calls.append(1), raising=False)
    inprocess.warm.cache_clear()
    inprocess.warm(module).result()
    inprocess.warm(module)
    assert calls == [1]


def test_the_project_endpoints_run_the_actions_in_process(monkeypatch):
    from rasa.core.utils import AvailableEndpoints

    inprocess.apply(warm_actions=False)
    monkeypatch.setenv("ACTION_ENDPOINT_URL", "http://127.0.0.1:1/webhook")
    monkeypatch.setenv("GUIDE_ACTIONS_MODULE", "actions")
    action = AvailableEndpoints.read_endpoints("bot/endpoints.yml").action
    assert action.module == "actions"
    assert "action_answer_item" in action.executor.actions
    assert json.loads(json.dumps(action.kwargs))["enable_selective_domain"] is True


def test_actions_run_on_their_own_thread_not_rasas_event_loop(module, tmp_path, monkeypatch):
    import importlib
    import threading

    seen = []
    actions = importlib.import_module(module)
    original = actions.SayHello.run

    def run(self, dispatcher, tracker, domain):
        seen.append(threading.current_thread().name)
        return original(self, dispatcher, tracker, domain)

    monkeypatch.setattr(actions.SayHello, "run", run)
    run_action("action_test_hello", module)
    run_action("action_test_hello", module)
    assert len(seen) == 2 and seen[0] == seen[1] and seen[0].startswith("actions")
