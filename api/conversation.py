"""One place where a citizen's turn is taken, whatever the channel (web chat, kiosk, WeChat).

    >>> conversations = Conversations(store, searcher, rasa_client, drafts)
    >>> replies = await conversations.converse("web-1", "办居住证要带什么", base_url="https://…")
    >>> replies[0].text
    '请问您在哪个区办理？…'

A turn is recorded in the transcript (masked), then:

- if the conversation was handed to a person (转人工), it is not sent to Rasa: it waits for the
  agent, and the citizen is told so (and how to go back to the assistant);
- otherwise it goes to Rasa; Rasa's replies are returned in its REST channel format, with what
  the channels add: an answer about an item carries ``custom.feedback`` (有帮助/没帮助), a hand-off
  request joins the queue, an application request becomes a stored draft and a signed link;
- if Rasa cannot be reached, the index still answers with the items it finds.

Questions the assistant could not answer are logged for the admin page.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import httpx

from index.answers import ATTRIBUTES
from index.errors import BackendUnavailable
from index.search import Searcher

from .drafts import Drafts
from .rasa_workers import RasaWorkers
from .ratelimit import RateLimiter
from .schemas import ChatOut
from .store import Store

logger = logging.getLogger(__name__)

# Responses that answer a question about an item (index.answers names them): they get
# 有帮助/没帮助 buttons and are counted.
ANSWERS = {response for response, _, _ in ATTRIBUTES.values()} | {"utter_field_missing", "utter_personal_checklist", "utter_checklist_no_questions"}
# Responses that mean the assistant did not manage to answer: logged for the admin page.
UNANSWERED = {"utter_out_of_scope", "utter_offer_human", "utter_item_not_found", "utter_service_unavailable"}
_LEAVE_QUEUE = re.compile(r"取消(转)?人工|返回(智能)?助手|结束人工|不用人工|唔使人工")

EMPTY_MESSAGE = "请输入您想咨询的事项，比如“办居住证要带什么材料”。"
RATE_LIMITED = "您发送得太快了，请等 {seconds} 秒左右再发。"
RASA_DOWN_NO_RESULTS = "抱歉，助手暂时无法回答，请稍后再试，或拨打 12345 政务服务便民热线。"


class Conversations:
    def __init__(self, store: Store, searcher: Searcher, rasa: RasaWorkers | httpx.AsyncClient, drafts: Drafts,
                 limiter: RateLimiter | None = None):
        self.store = store
        self.searcher = searcher
        self.rasa = rasa
        self.drafts = drafts
        self.limiter = limiter or RateLimiter(per_minute=0, burst=1)

    @property
    def rasa(self) -> RasaWorkers:
        return self._rasa

    @rasa.setter
    def rasa(self, rasa: RasaWorkers | httpx.AsyncClient) -> None:
        # one client is one worker: every reader sees the same shape
        self._rasa = rasa if isinstance(rasa, RasaWorkers) else RasaWorkers([rasa])

    async def converse(self, sender: str, message: str, *, channel: str = "web", base_url: str = "") -> list[ChatOut]:
        """The replies to one citizen message, in order."""
        if not message.strip():
            return [ChatOut(recipient_id=sender, text=EMPTY_MESSAGE)]
        if not self.limiter.allow(sender):
            # Not recorded, not forwarded: a flood costs one dictionary lookup per message.
            wait = max(1, round(self.limiter.retry_after(sender)))
            return [ChatOut(recipient_id=sender, text=RATE_LIMITED.format(seconds=wait), custom={"response": "rate_limited"})]
        self.store.add_message(sender, "citizen", message, channel=channel)
        conversation = self.store.conversation(sender)
        if conversation and conversation["status"] in ("waiting", "human"):
            return self._while_handed_off(sender, message, conversation["status"])
        try:
            response = await self.rasa.for_sender(sender).post("/webhooks/rest/webhook", json={"sender": sender, "message": message})
            response.raise_for_status()
            replies = merge_custom(response.json(), sender)
            if not replies:
                # Rasa answers [] when its action server is down: the citizen still gets an answer.
                raise ValueError("Rasa gave no reply")
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("Rasa unavailable, answering from search: %s", exc)
            replies = await asyncio.to_thread(self.search_answer, sender, message, base_url)
        answered: list[tuple[str, str | None, str | None]] = []
        for reply in replies:
            self._follow_up(sender, message, reply, channel, base_url, answered)
        self.store.add_replies(sender, [(reply.text or "", reply.custom) for reply in replies], answered, channel=channel)
        return replies

    def _while_handed_off(self, sender: str, message: str, status: str) -> list[ChatOut]:
        if _LEAVE_QUEUE.search(message):
            self.store.set_status(sender, "bot")
            text = "已取消人工服务，您可以继续向智能助手提问。"
            self.store.add_message(sender, "system", text)
            return [ChatOut(recipient_id=sender, text=text)]
        if status == "human":
            return []  # the agent sees it in the console and answers
        position = self.store.queue_position(sender) or 1
        text = f"正在为您转接人工客服，您前面还有 {position - 1} 位，请稍候。发送“取消人工”可返回智能助手。"
        return [ChatOut(recipient_id=sender, text=text, custom={"response": "utter_human_waiting", "handoff": "waiting", "position": position})]

    def _follow_up(self, sender: str, message: str, reply: ChatOut, channel: str, base_url: str,
                   answered: list[tuple[str, str | None, str | None]]) -> None:
        custom = reply.custom or {}
        response = custom.get("response")
        if custom.get("handoff") is True:
            self.store.set_status(sender, "waiting", channel=channel)
            position = self.store.queue_position(sender) or 1
            reply.custom = {**custom, "handoff": "waiting", "position": position}
            reply.text = (reply.text or "") + f"\n您已进入人工服务队列（第 {position} 位），客服人员接入后会在这里回复您。"
        if isinstance(custom.get("apply"), dict):
            self._make_draft(sender, reply, custom, base_url)
        if response in ANSWERS and custom.get("item_code"):
            answered.append((custom["item_code"], custom.get("item_key"), response))  # stored with the replies
            reply.custom = {**(reply.custom or custom), "feedback": True}
        if response in UNANSWERED:
            self.store.add_unanswered(sender, message, response)

    def _make_draft(self, sender: str, reply: ChatOut, custom: dict, base_url: str) -> None:
        request = custom["apply"]
        try:
            record = self.searcher.backend.get(str(request.get("item_code", "")))
        except BackendUnavailable:
            record = None
        applicant = {k: str(v) for k, v in (request.get("applicant") or {}).items() if v}
        if record is None:
            reply.text = "抱歉，暂时没能生成申请草稿，请稍后再说一次“我要申请”，或拨打 12345。"
            reply.custom = {"response": "utter_apply_failed"}
            return
        answers = request.get("checklist") if isinstance(request.get("checklist"), dict) else {}
        token = self.drafts.create(record, applicant, situation=request.get("situation"), answers=answers, sender=sender)
        url = f"{base_url.rstrip('/')}/apply/{token}"
        hours = round(self.drafts.ttl / 3600)
        reply.text = (reply.text or "") + f"\n申请表（已预填）：{url}\n链接 {hours} 小时内有效，可在手机上打开。"
        # The applicant's fields leave the conversation here: only the link goes back.
        reply.custom = {
            "response": custom.get("response"),
            "item_code": record["实施编码"],
            "apply": {"url": url, "qr": f"{url}/qr.svg", "expires_in_hours": hours},
        }

    def agent_reply(self, sender: str, text: str, agent: str = "agent") -> int:
        conversation = self.store.conversation(sender)
        channel = conversation["channel"] if conversation else "web"
        self.store.set_status(sender, "human", agent=agent, channel=channel)
        return self.store.add_message(sender, "agent", text, channel=channel)

    def close_handoff(self, sender: str) -> None:
        self.store.set_status(sender, "bot")
        self.store.add_message(sender, "system", "人工服务已结束，您可以继续向智能助手提问。")

    def search_answer(self, sender: str, message: str, base_url: str = "") -> list[ChatOut]:
        """What the index finds, when the dialogue service is down."""
        try:
            result = self.searcher.search(message, limit=3)
        except BackendUnavailable:
            result = None
        except Exception:  # a citizen never sees a stack trace; the log keeps it
            logger.exception("search failed for a fallback answer")
            result = None
        if result is None or not result.groups:
            return [ChatOut(recipient_id=sender, text=RASA_DOWN_NO_RESULTS, custom={"response": "utter_service_unavailable"})]
        lines = ["助手暂时无法进行对话，以下是与您的问题相关的事项，点开可查看完整办事指南："]
        for group in result.groups:
            hit = group.hits[0]
            lines.append(f"· {group.name}（{hit.region.removeprefix('广东省')}）：{base_url.rstrip('/')}/api/items/{hit.code}/guide")
        return [ChatOut(recipient_id=sender, text="\n".join(lines), custom={"response": "search_fallback"})]


def merge_custom(messages: list[dict[str, Any]], sender: str) -> list[ChatOut]:
    """Rasa sends an action's ``custom`` data as a message of its own; attach it to its text."""
    out: list[ChatOut] = []
    for message in messages:
        if "custom" in message and "text" not in message and out and out[-1].custom is None:
            out[-1].custom = message["custom"]
            continue
        out.append(ChatOut.model_validate({**message, "recipient_id": message.get("recipient_id", sender)}))
    return out
