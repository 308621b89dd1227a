"""Custom actions run inside the Rasa process: no action server, no HTTP hop per action.

    # bot/endpoints.yml
    action_endpoint:
      url: ${ACTION_ENDPOINT_URL}              # the action server, when actions_module is empty
      actions_module: ${GUIDE_ACTIONS_MODULE}  # "actions" (the default of `make run`): in process

    >>> from bot import inprocess
    >>> inprocess.apply()        # bot.serve does it, with bot.speedups, before Rasa starts

Rasa Pro 3.10 added ``actions_module``; Rasa Open Source 3.6 always calls the action server over
HTTP (a new aiohttp session, the tracker serialized and parsed twice). Here the action endpoint
that Rasa reads from endpoints.yml is replaced, when it names a module, by
:class:`InProcessActions`: an ``EndpointConfig`` whose ``request`` hands the same action call to
``rasa_sdk``'s own ``ActionExecutor`` and answers what the action server would have answered,
with the same status codes for a rejected (400), unknown (404) or failed (500) action. So all of
Rasa's own ``RemoteAction.run`` still applies (validation, responses, error handling), and the
separate action server stays one setting away (``GUIDE_ACTIONS_MODULE=`` and the url), as in
production (``deploy/compose.yml``).

Actions run one at a time on one thread of their own (:func:`action_thread`), not on Rasa's
event loop: while an action waits in C (the sentence encoder and SQLite release the GIL),
Rasa reads the next citizen's message and saves trackers, so the process uses both cores; and
the actions see one thread, as they did in the action server. The index and the vectors are
opened on that thread while Rasa loads its model (:func:`warm`), not on a citizen's first turn.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

# What is patched, as Rasa 3.6.21 defines it (tests/test_inprocess.py checks it is still there).
TARGETS = (
    ("rasa.core.utils", "AvailableEndpoints.__init__",
     ["self", "nlg", "nlu", "action", "model", "tracker_store", "lock_store", "event_broker"]),
    ("rasa.utils.endpoints", "EndpointConfig.request", ["self", "method", "subpath", "content_type", "compress", "kwargs"]),
    ("rasa.utils.endpoints", "ClientResponseError.__init__", ["self", "status", "message", "text"]),
    ("rasa_sdk.executor", "ActionExecutor.run", ["self", "action_call"]),
)

_APPLIED: list[str] = []


@functools.cache
def action_thread() -> ThreadPoolExecutor:
    """The one thread every in-process action runs on, with an event loop of its own."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="actions")


_local = threading.local()


def _run_on_this_thread(coroutine_function, *args):
    loop = getattr(_local, "loop", None)
    if loop is None:
        loop = _local.loop = asyncio.new_event_loop()
    return loop.run_until_complete(coroutine_function(*args))


@functools.cache
def executor_for(module: str):
    """One ``ActionExecutor`` per actions package and process, its package imported once."""
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package(module)
    return executor


@functools.cache
def warm(module: str):
    """Let the actions package open what it needs (its ``warm()``, if it has one) on the actions'
    thread, while Rasa goes on loading its model; the future of it.

    An action asked for meanwhile waits behind it on that thread: nothing runs half-opened.
    """
    import importlib

    warm_up = getattr(importlib.import_module(module), "warm", None)
    return action_thread().submit(warm_up) if callable(warm_up) else None


@functools.cache  # one class, so every in-process endpoint is of the same type
def _endpoint_class():
    from rasa.utils.endpoints import ClientResponseError, EndpointConfig
    from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

    class InProcessActions(EndpointConfig):
        """An action endpoint that runs the actions of ``module`` in this process."""

        def __init__(self, module: str, configured: EndpointConfig):
            super().__init__(
                url=configured.url, params=configured.params, headers=configured.headers,
                basic_auth=configured.basic_auth, token=configured.token,
                token_name=configured.token_name, cafile=configured.cafile, **configured.kwargs,
            )
            self.module = module
            self.executor = executor_for(module)

        async def request(self, method="post", subpath=None, content_type="application/json", compress=False, **kwargs):
            action_call = kwargs.get("json") or {}
            try:
                loop = asyncio.get_running_loop()
                result = await loop.run_in_executor(action_thread(), _run_on_this_thread, self.executor.run, action_call)
            except ActionExecutionRejection as e:
                raise ClientResponseError(400, "Bad Request", json.dumps({"error": e.message, "action_name": e.action_name}))
            except ActionNotFoundException as e:
                raise ClientResponseError(404, "Not Found", json.dumps({"error": e.message, "action_name": e.action_name}))
            except Exception as e:  # as the action server answers an action that raised: a 500, logged
                log.exception("action %s failed", action_call.get("next_action"))
                raise ClientResponseError(500, "Internal Server Error", json.dumps({"error": str(e)}))
            # What the wire would carry: JSON types only (a tuple becomes a list, as over HTTP).
            return json.loads(json.dumps(result)) if result is not None else {}

    return InProcessActions


def in_process(configured):
    """The endpoint Rasa should use for ``configured`` (itself unless it names a module)."""
    module = (configured.kwargs.get("actions_module") or "").strip() if configured is not None else ""
    if not module:
        return configured
    return _endpoint_class()(module, configured)


def check() -> None:
    """Raise ``bot.speedups.PatchTargetMoved`` unless every patched function is as expected."""
    from bot.speedups import check_targets

    check_targets(TARGETS)


def apply(*, warm_actions: bool = True) -> list[str]:
    """Replace a configured ``actions_module`` endpoint by :class:`InProcessActions`; idempotent."""
    if _APPLIED:
        return list(_APPLIED)
    check()
    from rasa.core.utils import AvailableEndpoints

    original = AvailableEndpoints.__init__

    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.action = in_process(self.action)
        if warm_actions and self.action is not None and hasattr(self.action, "module"):
            warm(self.action.module)

    AvailableEndpoints.__init__ = __init__
    _APPLIED.append("AvailableEndpoints.__init__")
    return list(_APPLIED)
