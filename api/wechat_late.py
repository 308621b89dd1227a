"""Answers that miss WeChat's five seconds, sent as customer-service messages once ready.

    >>> late = LateAnswers(app.state.sender)
    >>> late.follow("oABC123_citizen-1", "办居住证要带什么", turn)   # the request answers "success"
    >>> late.awaiting("oABC123_citizen-1", "办居住证要带什么")        # the same question, sent again
    True

Without WeChat's API (no AppSecret), :mod:`api.routers.wechat` asks the citizen to send the
question again (``wechat.WAIT``) and the question sent again collects the answer. With it, the
request that misses the deadline answers ``success`` (no reply) in time, and the answer follows
as a customer-service message when the turn is done, or ``wechat.FAILED``'s text if it failed.
The same question sent again meanwhile gets ``success`` too, not a second turn. Deliveries run in
the process that took the turn; a delivery that fails is recorded (outbox) and logged, not retried.
"""

from __future__ import annotations

import asyncio
import logging

from . import wechat
from .outbox import MessageSender, NotDelivered, SendError

logger = logging.getLogger(__name__)


class LateAnswers:
    def __init__(self, sender: MessageSender):
        self.sender = sender
        # (OpenID, question) → its delivery; holding the task also keeps it alive (asyncio keeps
        # only weak references).
        self.waiting: dict[tuple[str, str], asyncio.Task] = {}

    def awaiting(self, openid: str, text: str) -> bool:
        """Whether this citizen's question is already on its way to an answer."""
        return (openid, text) in self.waiting

    def follow(self, openid: str, text: str, turn: asyncio.Task) -> None:
        """Send ``turn``'s reply (a :class:`api.wechat.Reply`) to the citizen when it is done."""
        key = (openid, text)
        delivery = asyncio.create_task(self._deliver(openid, turn))
        self.waiting[key] = delivery
        delivery.add_done_callback(lambda done: self.waiting.pop(key, None) if self.waiting.get(key) is done else None)

    async def _deliver(self, openid: str, turn: asyncio.Task) -> None:
        try:
            content = (await turn).text
        except Exception:  # the turn's own failure is logged where it ran (ChannelMemory)
            content = wechat.FAILED
        if not content:
            return  # handed to a person (转人工), or nothing to say
        try:
            await asyncio.to_thread(self.sender.send, "wechat", openid, content)
        except (SendError, NotDelivered) as exc:  # recorded by the sender; nobody is waiting to be told
            logger.warning("late WeChat answer not delivered: %s", exc.__class__.__name__)
        except Exception:
            logger.exception("late WeChat answer failed")
