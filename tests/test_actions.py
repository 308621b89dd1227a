"""Custom actions on tracker fixtures: the events they return and the responses they utter."""

from __future__ import annotations

import asyncio
import inspect
import re
from pathlib import Path

import pytest
import yaml

pytest.importorskip("rasa_sdk")

from rasa_sdk import Action, Tracker  # noqa: E402
from rasa_sdk.executor import CollectingDispatcher  # noqa: E402

from actions import actions as module  # noqa: E402
from actions import apply as apply_module  # noqa: E402
from actions.guide import Guide  # noqa: E402
from index.backends.embedded import EmbeddedBackend  # noqa: E402
from index.loader import read_batch  # noqa: E402
from index.search import Searcher  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text("utf-8"))


@pytest.fixture(scope="module")
def guide(tmp_path_factory):
    backend = EmbeddedBackend(tmp_path_factory.mktemp("actions"))
    backend.apply(located.record for located in read_batch([ROOT / "data" / "sample" / "items.jsonl"]).records)
    yield Guide(Searcher(backend))
    backend.close()


@pytest.fixture(autouse=True)
def use_guide(monkeypatch, guide):
    monkeypatch.setattr(module, "get_guide", lambda: guide)


def tracker(text: str, intent: str, slots: dict | None = None, entities: list | None = None) -> Tracker:
    return Tracker(
        sender_id="test",
        slots={**{name: None for name in DOMAIN["slots"]}, "misses": 0.0, **(slots or {})},
        latest_message={"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": entities or []},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def run(action: Action, t: Tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, DOMAIN)) if asyncio.iscoroutinefunction(action.run) else action.run(dispatcher, t, DOMAIN)
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def test_question_without_region_asks_region_and_remembers_the_question():
    messages, slots = run(module.ActionAnswerMaterials(), tracker("我想办居住证，要带什么材料？", "ask_materials"))
    assert [m["response"] for m in messages] == ["utter_ask_region"]
    assert messages[0]["buttons"] and messages[0]["custom"]["response"] == "utter_ask_region"
    assert slots["item_key"] == "442106040001" and slots["pending_attribute"] == "materials"
    assert len(slots["options"]) == len(messages[0]["buttons"])


def test_region_reply_answers_the_pending_question_from_the_record():
    _, slots = run(module.ActionAnswerMaterials(), tracker("我想办居住证，要带什么材料？", "ask_materials"))
    messages, after = run(module.ActionInformRegion(), tracker("桂城", "inform_region", slots))
    assert [m["response"] for m in messages] == ["utter_materials"]
    assert after["item_code"].endswith("442106040001") and after["pending_attribute"] is None
    assert after["item_code"] in messages[0]["source"]


def test_button_choice_by_option_entity():
    _, slots = run(module.ActionAnswerTimeLimit(), tracker("办居住证要几天", "ask_time_limit"))
    entities = [{"entity": "option", "value": "第二个"}]
    messages, after = run(module.ActionChooseOption(), tracker("第二个", "choose_option", slots, entities))
    assert [m["response"] for m in messages] == ["utter_time_limit"]
    assert after["item_code"] == slots["options"][1]["value"]


def test_follow_up_uses_the_item_in_context():
    _, slots = run(module.ActionAnswerMaterials(), tracker("南海区补办身份证要带什么", "ask_materials"))
    messages, after = run(module.ActionAnswerFee(), tracker("使唔使钱？", "ask_fee", slots))
    assert [m["response"] for m in messages] == ["utter_fee"]
    assert "item_code" not in after  # unchanged: same implementation


def test_correction_switches_item():
    _, slots = run(module.ActionAnswerMaterials(), tracker("南海区第一次办身份证要带什么", "ask_materials"))
    messages, after = run(module.ActionCorrectItem(), tracker("不是这个，我说的是补领", "correct_item", slots))
    assert after["item_key"] == "442106020003"
    assert [m["response"] for m in messages] == ["utter_materials"]


def test_out_of_scope_that_names_an_item_is_answered_from_the_index():
    # the NLU took a specific question for chatter: the index still knows the item it names
    messages, slots = run(module.ActionFallback(), tracker("南海区居住证签注要带什么材料", "out_of_scope"))
    assert slots.get("item_key") and [m["response"] for m in messages] != ["utter_out_of_scope"]


def test_out_of_scope_that_only_shares_a_word_with_a_name_stays_out_of_scope():
    messages, slots = run(module.ActionFallback(), tracker("今晚去朋友的结婚喜宴穿什么衣服好看", "out_of_scope"))
    assert [m["response"] for m in messages] == ["utter_out_of_scope"] and not slots.get("item_key")


def test_fallback_twice_offers_a_human():
    messages, slots = run(module.ActionFallback(), tracker("阿巴阿巴", "nlu_fallback"))
    assert [m["response"] for m in messages] == ["utter_out_of_scope"] and slots["misses"] == 1
    messages, _ = run(module.ActionFallback(), tracker("阿巴阿巴阿巴", "nlu_fallback", slots))
    assert [m["response"] for m in messages] == ["utter_offer_human"]


def test_human_handoff_joins_the_queue_and_gives_the_items_enquiry_phone():
    _, slots = run(module.ActionAnswerMaterials(), tracker("南海区补办身份证要带什么", "ask_materials"))
    messages, _ = run(module.ActionRequestHuman(), tracker("转人工", "request_human", slots))
    assert [m["response"] for m in messages] == ["utter_human_handoff_item_phone"]
    assert messages[0]["custom"]["handoff"] is True and messages[0]["custom"]["item_code"] == slots["item_code"]


def test_every_action_of_the_domain_is_implemented_and_every_response_exists():
    # as rasa_sdk registers them: every concrete Action subclass of the module
    implemented = {
        cls().name()
        for cls in _all_actions(Action)
        if cls.__module__ in (module.__name__, apply_module.__name__) and not inspect.isabstract(cls)
    }
    # an action with options (send_domain) is a one-key mapping in the domain
    declared = {a if isinstance(a, str) else next(iter(a)) for a in DOMAIN["actions"]}
    assert declared == implemented
    sources = ["actions/guide.py", "actions/actions.py", "actions/apply.py", "index/answers.py"]
    code = "\n".join((ROOT / p).read_text("utf-8") for p in sources)
    used = set(re.findall(r'"(utter_[a-z_]+)"', code))
    assert used <= set(DOMAIN["responses"]), used - set(DOMAIN["responses"])


def _all_actions(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_actions(sub)
