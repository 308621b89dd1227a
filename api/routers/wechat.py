"""WeChat Official Account (公众号) channel, plaintext mode (明文模式).

    GET  /wechat?signature=…&timestamp=…&nonce=…&echostr=…   server URL verification → echostr
    POST /wechat?signature=…&timestamp=…&nonce=…[&openid=…]  a citizen's message → a passive reply

In the account's 服务器配置, the URL is ``{public_url}/wechat`` and the token GUIDE_API_WECHAT_TOKEN.
Without a token the channel answers 503: unsigned traffic is never accepted.

A request is checked before its body is read: a bad signature or a timestamp more than five
minutes off is 403; then the body (at most 64 KB, else 413) is parsed with DTDs refused (400).
Each delivery is taken once (WeChat retries a message it got no reply for within 5 seconds):
a MsgId seen before is answered ``success``. A text turn goes to
:meth:`api.conversation.Conversations.converse`; if it is not done within
``wechat_deadline_seconds`` the citizen is asked to send the question again, and the turn goes on:
the same question sent again gets its answer without being taken twice. Buttons become numbered
lines; a reply "1" picks button 1.
"""

from __future__ import annotations

import asyncio
import logging
import time

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse

from index.personal import mask

from .. import wechat
from ..deps import get_base_url

logger = logging.getLogger(__name__)

router = APIRouter(tags=["wechat"])

NOT_CONFIGURED = "WeChat channel not configured: set GUIDE_API_WECHAT_TOKEN (微信公众号渠道未配置)."


@router.get("/wechat", response_class=PlainTextResponse)
def verify_server(request: Request) -> Response:
    """WeChat checks that the server knows the token: answer its echostr when signed."""
    refused = _refuse_unsigned(request)
    if refused is not None:
        return refused
    return PlainTextResponse(request.query_params.get("echostr", ""))


@router.post("/wechat")
async def receive_message(request: Request) -> Response:
    """One message or event from WeChat; a passive reply (XML) or ``success`` (no reply)."""
    started = time.monotonic()
    refused = _refuse_unsigned(request, check_time=True)
    if refused is not None:
        return refused
    body = await _read_limited(request, wechat.MAX_BODY_BYTES)
    if body is None:
        return Response(status_code=413)
    try:
        message = wechat.parse_message(body)
    except wechat.BadMessage as exc:
        logger.warning("WeChat message refused: %s", exc)
        return Response(status_code=400)
    claimed = request.query_params.get("openid")
    if claimed and claimed != message["FromUserName"]:
        return Response(status_code=400)
    store = request.app.state.store
    if not store.first_sighting(wechat.dedup_key(message)):
        return _no_reply()
    try:
        return await _answer(request, message, started)
    except Exception:  # a citizen never sees an error page; the log keeps the trace
        logger.exception("WeChat turn failed (%s: %s)", message.get("MsgType"), mask(message.get("Content", ""))[:200])
        return _text(message, wechat.FAILED)


async def _answer(request: Request, message: dict[str, str], started: float) -> Response:
    kind = message["MsgType"]
    if kind == "event":
        if message.get("Event", "").lower() == "subscribe":
            return _text(message, wechat.WELCOME)
        return _no_reply()
    if kind == "voice" and message.get("Recognition"):
        content = message["Recognition"]
    elif kind == "text":
        content = message.get("Content", "")
    else:
        return _text(message, wechat.TEXT_ONLY)
    return await _take_turn(request, message, content[: wechat.MAX_CONTENT_CHARS], started)


async def _take_turn(request: Request, message: dict[str, str], content: str, started: float) -> Response:
    settings = request.app.state.settings
    memory = _memory(request)
    openid = message["FromUserName"]
    base_url = get_base_url(request)
    task = memory.take_pending(openid, content)
    if task is None:
        task = asyncio.create_task(_converse(request, memory, openid, memory.resolve(openid, content), base_url))
        memory.keep_running(task)
    remaining = max(0.0, settings.wechat_deadline_seconds - (time.monotonic() - started))
    try:
        reply = await asyncio.wait_for(asyncio.shield(task), remaining)
    except asyncio.TimeoutError:
        # The turn goes on (its state is the conversation's); the question sent again collects it.
        memory.wait_for_later(openid, content, task)
        return _text(message, wechat.WAIT)
    if not reply.text:
        return _no_reply()  # a person answers (转人工), or nothing to say
    return _text(message, reply.text)


async def _converse(request: Request, memory: wechat.ChannelMemory, openid: str, text: str, base_url: str) -> wechat.Reply:
    replies = await request.app.state.conversations.converse(openid, text, channel="wechat", base_url=base_url)
    limit = min(request.app.state.settings.wechat_reply_limit_bytes, 2048)  # WeChat's own cap
    reply = wechat.compose(replies, base_url=base_url, limit_bytes=limit)
    memory.offer(openid, reply.buttons)
    return reply


def _refuse_unsigned(request: Request, *, check_time: bool = False) -> Response | None:
    token = request.app.state.settings.wechat_token
    if not token:
        return PlainTextResponse(NOT_CONFIGURED, status_code=503)
    query = request.query_params
    timestamp = query.get("timestamp", "")
    if not wechat.valid_signature(token, timestamp, query.get("nonce", ""), query.get("signature", "")):
        return Response(status_code=403)
    if check_time and not wechat.fresh(timestamp):
        return Response(status_code=403)
    return None


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The body, or None once it is larger than ``limit`` (without reading the rest)."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and (len(declared) > 18 or int(declared) > limit):
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _memory(request: Request) -> wechat.ChannelMemory:
    # Made on first use: the app factory (api.main) need not know this channel's state.
    state = request.app.state
    memory = getattr(state, "wechat_memory", None)
    if memory is None:
        memory = state.wechat_memory = wechat.ChannelMemory()
    return memory


def _text(message: dict[str, str], content: str) -> Response:
    xml = wechat.text_reply(to_user=message["FromUserName"], from_user=message["ToUserName"], content=content)
    return Response(xml, media_type="application/xml")


def _no_reply() -> Response:
    return PlainTextResponse(wechat.NO_REPLY)
