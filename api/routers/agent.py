"""The hotline agent's side: the hand-off queue, transcripts, replies, messages to callers.

Every route needs ``Authorization: Bearer <agent token>`` (or the admin token).

GET  /api/agent/queue                          conversations waiting for or talking to a person
GET  /api/agent/conversations/{sender}         the transcript (masked)
POST /api/agent/conversations/{sender}/reply   {"text"}: answer into the conversation
POST /api/agent/conversations/{sender}/close   hand the conversation back to the assistant
POST /api/agent/send                           {"channel","recipient","item_code"}: send the checklist
GET  /api/agent/sent                           what was sent lately, with each message's status

A reply into a WeChat conversation, and a checklist to a WeChat citizen, go out as WeChat
customer-service messages (api/wechat_sender.py). When they cannot: 409 with
``{"detail": {"code": "unreachable", "message": "无法再通过微信联系该市民…请改为电话联系。"}}``
(48 hours since the citizen wrote, WeChat's quota used up: call instead), 502 with code
``gateway_unavailable`` (WeChat cannot be asked now). A reply that did not go out is not added
to the transcript: the agent still has it in the box, to read out on the phone.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response

from index import checklist, render

from ..deps import BaseUrlDep, ConversationsDep, RequireAgent, SearcherDep, SenderDep, StoreDep
from ..outbox import MessageSender, NotDelivered, SendError, Sent, Unreachable
from ..schemas import AgentReplyIn, ConversationMessageOut, CreatedOut, QueueEntryOut, SendChecklistIn, SentOut

router = APIRouter(prefix="/api/agent", tags=["agent"], dependencies=[RequireAgent])
SenderPath = Annotated[str, Path(min_length=1, max_length=128)]


@router.get("/queue", response_model=list[QueueEntryOut])
def queue(store: StoreDep) -> list[QueueEntryOut]:
    return [
        QueueEntryOut(**conversation, last_message=store.last_message(conversation["sender"], "citizen"))
        for conversation in store.queue()
    ]


@router.get("/conversations/{sender}", response_model=list[ConversationMessageOut])
def transcript(sender: SenderPath, store: StoreDep) -> list[dict]:
    if store.conversation(sender) is None:
        raise HTTPException(status_code=404, detail="没有这个会话")
    return store.transcript(sender)


@router.post("/conversations/{sender}/reply", response_model=CreatedOut)
async def reply(sender: SenderPath, body: AgentReplyIn, store: StoreDep, conversations: ConversationsDep, outbox: SenderDep) -> CreatedOut:
    conversation = store.conversation(sender)
    if conversation is None:
        raise HTTPException(status_code=404, detail="没有这个会话")
    if conversation["channel"] == "wechat":
        # A WeChat citizen is not polling a page: the reply goes out as a customer-service message.
        await asyncio.to_thread(_send, outbox, "wechat", sender, body.text)
    return CreatedOut(id=conversations.agent_reply(sender, body.text))


@router.post("/conversations/{sender}/close", status_code=204)
def close(sender: SenderPath, store: StoreDep, conversations: ConversationsDep) -> Response:
    if store.conversation(sender) is None:
        raise HTTPException(status_code=404, detail="没有这个会话")
    conversations.close_handoff(sender)
    return Response(status_code=204)


@router.post("/send", response_model=SentOut)
def send_checklist(body: SendChecklistIn, searcher: SearcherDep, outbox: SenderDep, base_url: BaseUrlDep) -> SentOut:
    """Send the item's material checklist to the caller (SMS to a mobile, or WeChat to an OpenID)."""
    record = searcher.backend.get(body.item_code)
    if record is None:
        raise HTTPException(status_code=404, detail=f"没有实施编码为 {body.item_code} 的事项")
    region = str(record.get("行政区划", "")).removeprefix("广东省")
    answers = checklist.answers_from(body.answers.items())
    if answers:
        sheet = checklist.personal_checklist(record, answers)
        lines = [f"【{record.get('事项名称', '')}】{region} 按您的情况需要的申请材料："]
        lines += checklist.lines(sheet) or [render.materials_lines(record)[0]]
        lines.append(f"打印清单：{base_url}{checklist.print_link(body.item_code, answers)}")
    else:
        lines = [f"【{record.get('事项名称', '')}】{region} 申请材料："]
        lines += render.materials_lines(record, body.situation)
    lines.append(f"完整办事指南：{base_url}/api/items/{body.item_code}/guide")
    text = "\n".join(lines)
    sent = _send(outbox, body.channel, body.recipient, text)
    return SentOut(channel=sent.channel, recipient=sent.recipient, id=sent.id, text=text, status=sent.status)


def _send(outbox: MessageSender, channel: str, recipient: str, text: str) -> Sent:
    """``outbox.send``, its refusals as the console's errors."""
    try:
        return outbox.send(channel, recipient, text)
    except SendError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    except NotDelivered as exc:
        code, status = ("unreachable", 409) if isinstance(exc, Unreachable) else ("gateway_unavailable", 502)
        raise HTTPException(status_code=status, detail={"code": code, "message": str(exc)}) from exc


@router.get("/sent")
def sent(store: StoreDep) -> list[dict]:
    return store.sent()
