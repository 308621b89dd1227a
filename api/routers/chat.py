"""Chat: Rasa's REST channel format, so existing Rasa chat widgets work against this API.

POST /webhooks/rest/webhook  {"sender": "...", "message": "..."} → [{"recipient_id", "text", "buttons"?, "custom"?}]
GET  /api/conversations/{sender}/messages?after=N   messages from a person (agent) or the system since N
DELETE /api/conversations/{sender}                  forget a conversation (the kiosk between citizens)

The turn itself is taken by :class:`api.conversation.Conversations`, shared with the WeChat channel.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from ..deps import BaseUrlDep, ConversationsDep, SettingsDep, StoreDep
from ..store import forget_in_tracker_store
from ..schemas import ChatIn, ChatOut, ConversationMessageOut

router = APIRouter(tags=["chat"])

SenderPath = Annotated[str, Path(min_length=1, max_length=128)]


@router.post("/webhooks/rest/webhook", response_model=list[ChatOut], response_model_exclude_none=True)
async def chat_turn(turn: ChatIn, conversations: ConversationsDep, base_url: BaseUrlDep) -> list[ChatOut]:
    """One citizen message; the assistant's replies, in order."""
    return await conversations.converse(turn.sender, turn.message, channel=turn.channel, base_url=base_url)


@router.get("/api/conversations/{sender}/messages", response_model=list[ConversationMessageOut])
def new_messages(sender: SenderPath, store: StoreDep, after: Annotated[int, Query(ge=0)] = 0) -> list[dict]:
    """What a person (agent) or the system said since message ``after``: the chat page polls this
    while the conversation is with a person."""
    return store.transcript(sender, after=after, roles=("agent", "system"))


@router.get("/api/conversations/{sender}/status")
def conversation_status(sender: SenderPath, store: StoreDep) -> dict:
    conversation = store.conversation(sender)
    status = conversation["status"] if conversation else "bot"
    return {"sender": sender, "status": status, "position": store.queue_position(sender)}


@router.delete("/api/conversations/{sender}", status_code=204)
def forget_conversation(sender: SenderPath, store: StoreDep, settings: SettingsDep) -> Response:
    """Forget a conversation: our transcript and Rasa's record (slots, form fields) alike. The
    kiosk calls this between citizens, so its QR code cannot resume the previous one."""
    store.forget(sender)
    forget_in_tracker_store(settings.resolved_tracker_db_url(), sender)
    return Response(status_code=204)
