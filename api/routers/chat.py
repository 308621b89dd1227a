"""Chat: Rasa's REST channel format, so existing Rasa chat widgets work against this API.

POST /webhooks/rest/webhook  {"sender": "...", "message": "..."} → [{"recipient_id", "text", "buttons"?}]

The turn is forwarded to Rasa. When Rasa cannot be reached the citizen still gets an answer:
the items the index finds for their words, with links to the guides.
"""

from __future__ import annotations

import logging
from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, Request

from index.errors import BackendUnavailable

from ..deps import SearcherDep
from ..schemas import ChatIn, ChatOut

logger = logging.getLogger(__name__)
router = APIRouter(tags=["chat"])


def get_rasa(request: Request) -> httpx.AsyncClient:
    return request.app.state.rasa


RasaDep = Annotated[httpx.AsyncClient, Depends(get_rasa)]


@router.post("/webhooks/rest/webhook", response_model=list[ChatOut], response_model_exclude_none=True)
async def chat_turn(turn: ChatIn, rasa: RasaDep, searcher: SearcherDep) -> list[ChatOut]:
    """One citizen message; the assistant's replies, in order."""
    if not turn.message.strip():
        return [ChatOut(recipient_id=turn.sender, text="请输入您想咨询的事项，比如“办居住证要带什么材料”。")]
    try:
        response = await rasa.post("/webhooks/rest/webhook", json={"sender": turn.sender, "message": turn.message})
        response.raise_for_status()
        return merge_custom(response.json(), turn.sender)
    except (httpx.HTTPError, ValueError) as exc:
        logger.warning("Rasa unavailable, answering from search: %s", exc.__class__.__name__)
        return _search_answer(turn, searcher)


def merge_custom(messages: list[dict], sender: str) -> list[ChatOut]:
    """Rasa sends an action's ``custom`` data as a message of its own; attach it to its text."""
    out: list[ChatOut] = []
    for message in messages:
        if "custom" in message and "text" not in message and out and out[-1].custom is None:
            out[-1].custom = message["custom"]
            continue
        out.append(ChatOut.model_validate({**message, "recipient_id": message.get("recipient_id", sender)}))
    return out


def _search_answer(turn: ChatIn, searcher) -> list[ChatOut]:
    try:
        result = searcher.search(turn.message, limit=3)
    except BackendUnavailable:
        result = None
    if result is None or not result.groups:
        return [ChatOut(recipient_id=turn.sender, text="抱歉，助手暂时无法回答，请稍后再试，或拨打 12345 政务服务便民热线。")]
    lines = ["助手暂时无法进行对话，以下是与您的问题相关的事项，点开可查看完整办事指南："]
    for group in result.groups:
        hit = group.hits[0]
        lines.append(f"· {group.name}（{hit.region.removeprefix('广东省')}）：/api/items/{hit.code}/guide")
    return [ChatOut(recipient_id=turn.sender, text="\n".join(lines))]
