"""WeChat Official Account (公众号) channel: plaintext (明文), compatible (兼容) and safe (安全) mode.

    GET  /wechat?signature=…&timestamp=…&nonce=…&echostr=…   server URL verification → echostr
    POST /wechat?signature=…&timestamp=…&nonce=…[&openid=…]  a citizen's message → a passive reply
    POST /wechat?…&encrypt_type=aes&msg_signature=…          the same, encrypted (compatible/safe mode)

In the account's 服务器配置, the URL is ``{public_url}/wechat`` and the token GUIDE_API_WECHAT_TOKEN.
Without a token the channel answers 503: unsigned traffic is never accepted.

Compatible or safe mode: set GUIDE_API_WECHAT_ENCODING_AES_KEY (the 43-character
EncodingAESKey) and GUIDE_API_WECHAT_APP_ID (the AppID; a message encrypted for another AppID is
403). A key that is not a 43-character EncodingAESKey, or a key without an AppID, is 503 for every request until
fixed. With a key, only encrypted messages (``encrypt_type=aes``, which WeChat sends in both
compatible and safe mode) are taken; their msg_signature, which covers the body, must be right
(403), and the plaintext fields beside ``Encrypt`` in compatible mode are ignored. A plaintext
message is then refused (403): plaintext mode signs only the URL, so accepting it would let anyone
holding one signed URL send any body and undo what safe mode adds. (Switching the account back
to 明文模式 therefore means unsetting the key.) Without a key, ``encrypt_type=aes`` is 400 and
logged. The reply is encrypted and signed like the message; ``success`` stays plain.

A request is checked before its body is read: a bad signature or a timestamp more than five
minutes off is 403; then the body (at most 64 KB, else 413) is parsed with DTDs refused (400),
decrypted first in compatible/safe mode (an undecryptable body is 400).
Each delivery is taken once (WeChat retries a message it got no reply for within 5 seconds):
a MsgId seen before (an event: its sender and CreateTime) is answered ``success``; the time a
citizen's message arrives is noted for WeChat's 48-hour window (:mod:`api.wechat_sender`). A
text turn goes to :meth:`api.conversation.Conversations.converse`; if it is not done within
``wechat_deadline_seconds`` the turn goes on, and either its answer follows as a customer-service
message (WeChat's API configured: GUIDE_API_WECHAT_APP_SECRET; the request answers ``success``,
:mod:`api.wechat_late`) or the citizen is asked to send the question again, which then gets the
answer without the turn being taken twice. Buttons become numbered lines; a reply "1" picks
button 1.
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
from ..wechat_late import LateAnswers
from ..wechat_sender import opens_window

logger = logging.getLogger(__name__)

router = APIRouter(tags=["wechat"])

NOT_CONFIGURED = "WeChat channel not configured: set GUIDE_API_WECHAT_TOKEN (微信公众号渠道未配置)."
MISCONFIGURED = "WeChat safe mode misconfigured (微信公众号安全模式配置有误): {}."


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
    crypto = request.state.wechat_crypto  # set by _refuse_unsigned: None in plaintext mode
    refused = _refuse_mode(request, crypto)
    if refused is not None:
        return refused
    body = await _read_limited(request, wechat.MAX_BODY_BYTES)
    if body is None:
        return Response(status_code=413)
    query = request.query_params
    try:
        if crypto is None:
            message = wechat.parse_message(body)
        else:
            message = crypto.open_message(
                body, timestamp=query.get("timestamp", ""), nonce=query.get("nonce", ""), msg_signature=query.get("msg_signature", "")
            )
    except (wechat.BadSignature, wechat.WrongAccount) as exc:
        logger.warning("WeChat message refused: %s", exc)
        return Response(status_code=403)
    except wechat.BadMessage as exc:
        logger.warning("WeChat message refused: %s", exc)
        return Response(status_code=400)
    claimed = query.get("openid")
    if claimed and claimed != message["FromUserName"]:
        return Response(status_code=400)
    store = request.app.state.store
    wrote = message["FromUserName"] if opens_window(message) else None
    if not store.first_sighting(wechat.dedup_key(message), wrote=wrote):
        return _no_reply()
    try:
        content = await _answer(request, message, started)
    except Exception:  # a citizen never sees an error page; the log keeps the trace
        logger.exception("WeChat turn failed (%s: %s)", message.get("MsgType"), mask(message.get("Content", ""))[:200])
        content = wechat.FAILED
    if content is None:
        return _no_reply()
    return _text(message, content, crypto)


async def _answer(request: Request, message: dict[str, str], started: float) -> str | None:
    """The text to reply, or None for no reply."""
    kind = message["MsgType"]
    if kind == "event":
        if message.get("Event", "").lower() == "subscribe":
            return wechat.WELCOME
        return None
    if kind == "voice" and message.get("Recognition"):
        content = message["Recognition"]
    elif kind == "text":
        content = message.get("Content", "")
    else:
        return wechat.TEXT_ONLY
    return await _take_turn(request, message, content[: wechat.MAX_CONTENT_CHARS], started)


async def _take_turn(request: Request, message: dict[str, str], content: str, started: float) -> str | None:
    settings = request.app.state.settings
    memory = _memory(request)
    openid = message["FromUserName"]
    base_url = get_base_url(request)
    late = _late_answers(request)
    if late is not None and late.awaiting(openid, content):
        return None  # sent again while its answer is on the way: that answer is enough
    task = memory.take_pending(openid, content)
    if task is None:
        task = asyncio.create_task(_converse(request, memory, openid, memory.resolve(openid, content), base_url))
        memory.keep_running(task)
    remaining = max(0.0, settings.wechat_deadline_seconds - (time.monotonic() - started))
    try:
        reply = await asyncio.wait_for(asyncio.shield(task), remaining)
    except asyncio.TimeoutError:
        # The turn goes on (its state is the conversation's): its answer follows, or the question
        # sent again collects it.
        if late is not None:
            late.follow(openid, content, task)
            return None
        memory.wait_for_later(openid, content, task)
        return wechat.WAIT
    if not reply.text:
        return None  # a person answers (转人工), or nothing to say
    return reply.text


async def _converse(request: Request, memory: wechat.ChannelMemory, openid: str, text: str, base_url: str) -> wechat.Reply:
    replies = await request.app.state.conversations.converse(openid, text, channel="wechat", base_url=base_url)
    limit = min(request.app.state.settings.wechat_reply_limit_bytes, 2048)  # WeChat's own cap
    reply = wechat.compose(replies, base_url=base_url, limit_bytes=limit)
    memory.offer(openid, reply.buttons)
    return reply


def _refuse_unsigned(request: Request, *, check_time: bool = False) -> Response | None:
    settings = request.app.state.settings
    token = settings.wechat_token
    if not token:
        return PlainTextResponse(NOT_CONFIGURED, status_code=503)
    request.state.wechat_crypto = None
    if settings.wechat_encoding_aes_key:
        try:
            request.state.wechat_crypto = wechat.MessageCrypto(token, settings.wechat_encoding_aes_key, settings.wechat_app_id)
        except ValueError as exc:
            logger.error("WeChat channel refuses all requests: %s", exc)
            return PlainTextResponse(MISCONFIGURED.format(exc), status_code=503)
    query = request.query_params
    timestamp = query.get("timestamp", "")
    if not wechat.valid_signature(token, timestamp, query.get("nonce", ""), query.get("signature", "")):
        return Response(status_code=403)
    if check_time and not wechat.fresh(timestamp):
        return Response(status_code=403)
    return None


def _refuse_mode(request: Request, crypto: wechat.MessageCrypto | None) -> Response | None:
    """A message whose mode (plaintext or encrypted) is not the one configured: 400 or 403."""
    encrypt_type = request.query_params.get("encrypt_type", "")
    if encrypt_type.lower() == "aes":
        if crypto is None:
            logger.warning(
                "WeChat message refused (400): it is encrypted (encrypt_type=aes: the account is in 兼容模式 or "
                "安全模式) but GUIDE_API_WECHAT_ENCODING_AES_KEY is not set; set it and GUIDE_API_WECHAT_APP_ID "
                "to the account's EncodingAESKey and AppID, or switch the account to 明文模式"
            )
            return Response(status_code=400)
        return None
    if encrypt_type not in ("", "raw"):
        logger.warning("WeChat message refused (400): unknown encrypt_type")
        return Response(status_code=400)
    if crypto is not None:
        logger.warning(
            "WeChat message refused (403): plaintext, but safe mode is configured (GUIDE_API_WECHAT_ENCODING_AES_KEY); "
            "if the account was switched to 明文模式, unset the key"
        )
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
        memory = state.wechat_memory = wechat.ChannelMemory(shared=getattr(state, "shared", None))
    return memory


def _late_answers(request: Request) -> LateAnswers | None:
    """Where late answers go when WeChat's API is configured (None: the citizen asks again)."""
    state = request.app.state
    if getattr(state, "wechat_api", None) is None:
        return None
    late = getattr(state, "wechat_late", None)
    if late is None:
        late = state.wechat_late = LateAnswers(state.sender)
    return late


def _text(message: dict[str, str], content: str, crypto: wechat.MessageCrypto | None) -> Response:
    xml = wechat.text_reply(to_user=message["FromUserName"], from_user=message["ToUserName"], content=content)
    if crypto is not None:
        xml = crypto.seal(xml)
    return Response(xml, media_type="application/xml")


def _no_reply() -> Response:
    return PlainTextResponse(wechat.NO_REPLY)
