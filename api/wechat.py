"""WeChat Official Account (公众号): signatures, safe XML, passive replies, message encryption.

    >>> valid_signature("token", "1700000000", "nonce", signature_of("token", "1700000000", "nonce"))
    True
    >>> message = parse_message(b"<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName>"
    ...                         b"<MsgType>text</MsgType><Content>办居住证</Content></xml>")
    >>> message["Content"]
    '办居住证'
    >>> text_reply(to_user="o1", from_user="gh_1", content="请问您在哪个区办理？", now=1700000000)
    '<xml><ToUserName><![CDATA[o1]]></ToUserName>…<Content><![CDATA[请问您在哪个区办理？]]></Content></xml>'

The HTTP side is :mod:`api.routers.wechat`; this module holds what does not need a request, so
that it can be tested on its own. WeChat's rules followed here
(https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html):
the signature is sha1 of the sorted token, timestamp and nonce; a passive reply is due within 5
seconds and its Content is at most 2048 bytes; ``success`` means "no reply".

Safe mode (安全模式) and compatible mode (兼容模式) encrypt the message as 公众号消息加解密
describes (https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html):
:class:`MessageCrypto` checks the body's signature, decrypts it and encrypts the reply.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import logging
import re
import secrets
import string
import time
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Iterable
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as SafeElementTree
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from defusedxml import DefusedXmlException

logger = logging.getLogger(__name__)

NO_REPLY = "success"
# WeChat signs the timestamp, not the body: a captured request may be replayed, so only recent
# ones are accepted (WeChat's own clock and ours are both NTP-synchronised).
MAX_CLOCK_SKEW_SECONDS = 300
MAX_BODY_BYTES = 64 * 1024
# ChatIn's limit for the web chat; WeChat itself caps a text message near 2048 bytes.
MAX_CONTENT_CHARS = 2000

TEXT_ONLY = "目前只能处理文字消息，请用文字描述您想办理的事项。"
WAIT = "正在为您查询，请稍候几秒再发送一次您的问题，即可看到结果。"
FAILED = "抱歉，助手暂时无法回答，请稍后再试，或拨打 12345 政务服务便民热线。"
WELCOME = (
    "您好，欢迎关注！我是广东政务服务办事指南助手，可以帮您查询各类政务服务事项："
    "要带什么材料、在哪里办、多久能办好、要不要收费、能否网上办理等。\n"
    "请直接用文字提问，比如“南海区办居住证要带什么材料”。需要人工服务时，请回复“转人工”。"
)
ASK_NARROWER = "\n…内容较长，请告诉我您想了解哪一方面，比如“要带什么材料”“在哪里办”。"

# Characters XML 1.0 cannot carry at all (a reply with one is rejected by WeChat's parser).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SENTENCE_END = re.compile(r"[\n。！？；!?;]")
_CHOICE = re.compile(r"^(?:选|选择|回复)?\s*(?:第\s*)?(\d{1,2}|[一二两三四五六七八九十])\s*(?:个|项|条|号)?\s*[。.!！]?$")
_CHINESE_NUMBERS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


class BadMessage(ValueError):
    """The body is not a WeChat message we can read: malformed, or XML with a DTD or entities."""


class BadSignature(BadMessage):
    """An encrypted message whose msg_signature is not the token's: not from WeChat (403)."""


class WrongAccount(BadMessage):
    """An encrypted message that names another AppID: not for this account (403)."""


def signature_of(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode("utf-8")).hexdigest()


def valid_signature(token: str, timestamp: str, nonce: str, signature: str) -> bool:
    """True when WeChat (who knows the token) signed these query parameters."""
    if not (token and timestamp and nonce and signature):
        return False
    return hmac.compare_digest(signature_of(token, timestamp, nonce).encode(), signature.lower().encode("utf-8", "replace"))


def fresh(timestamp: str, now: float | None = None, window: int = MAX_CLOCK_SKEW_SECONDS) -> bool:
    """True when the signed timestamp is within ``window`` seconds of now (either side)."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    return abs((time.time() if now is None else now) - sent) <= window


def _xml_fields(body: bytes) -> dict[str, str]:
    """The fields (direct children of ``<xml>``) of a body parsed with DTDs refused."""
    try:
        root = SafeElementTree.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise BadMessage(f"forbidden XML construct: {exc.__class__.__name__}") from None
    except (ParseError, ValueError, LookupError) as exc:  # LookupError: an unknown declared encoding
        raise BadMessage(f"malformed XML: {exc.__class__.__name__}") from None
    if root.tag != "xml":
        raise BadMessage("not a WeChat message: the root element is not <xml>")
    return {child.tag: (child.text or "").strip() for child in root if isinstance(child.tag, str)}


def parse_message(body: bytes) -> dict[str, str]:
    """The message's fields (direct children of ``<xml>``) as text.

    WeChat never sends a DTD, so any DTD is refused, which also rules out entity expansion
    (billion laughs) and external entities (file:///etc/passwd); BadMessage says why.
    """
    fields = _xml_fields(body)
    for required in ("ToUserName", "FromUserName", "MsgType"):
        if not fields.get(required):
            raise BadMessage(f"not a WeChat message: no {required}")
    if len(fields["FromUserName"]) > 128 or len(fields["ToUserName"]) > 128:
        raise BadMessage("not a WeChat message: user name too long")
    return fields


def dedup_key(message: dict[str, str]) -> str:
    """What identifies one delivery: MsgId, or sender and time for events (WeChat's advice)."""
    if message.get("MsgId"):
        return message["MsgId"][:64]
    key = f"{message['FromUserName']}:{message.get('CreateTime', '')}"
    # The store keeps 64 characters; an OpenID is 28, so hashing only guards odd senders.
    return key if len(key) <= 64 else "sha1:" + hashlib.sha1(key.encode()).hexdigest()


def cdata(text: str) -> str:
    """Text as CDATA that no ``]]>`` inside can end early."""
    return "<![CDATA[" + _NOT_XML.sub("", text).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(*, to_user: str, from_user: str, content: str, now: float | None = None) -> str:
    """A passive text reply: to the citizen's OpenID, from our account's original ID."""
    return (
        f"<xml><ToUserName>{cdata(to_user)}</ToUserName><FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(time.time() if now is None else now)}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(content)}</Content></xml>"
    )


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def shorten(text: str, limit_bytes: int, tail: str) -> str:
    """``text`` if it fits in ``limit_bytes`` (UTF-8), else its beginning up to a sentence or
    line end, then ``tail``, all within the limit.

    >>> shorten("第一句。第二句。", 15, "…")
    '第一句。…'
    """
    if utf8_len(text) <= limit_bytes:
        return text
    budget = max(0, limit_bytes - utf8_len(tail))
    head = text.encode("utf-8")[:budget].decode("utf-8", "ignore")
    ends = [match.end() for match in _SENTENCE_END.finditer(head)]
    # A boundary far back would throw away most of what fits; then a hard cut reads better.
    if ends and ends[-1] >= len(head) // 2:
        head = head[: ends[-1]]
    shortened = head.rstrip() + tail
    if utf8_len(shortened) > limit_bytes:  # a tail longer than the limit (a very long base URL)
        shortened = shortened.encode("utf-8")[:limit_bytes].decode("utf-8", "ignore")
    return shortened


def choice_number(text: str) -> int | None:
    """The number of a reply that picks an offered option: 2, ２, 第二个, 选3 → 2, 2, 2, 3."""
    match = _CHOICE.match(unicodedata.normalize("NFKC", text).strip())
    if not match:
        return None
    token = match.group(1)
    return int(token) if token.isdigit() else _CHINESE_NUMBERS[token]


@dataclass
class Reply:
    """What one turn's replies become in WeChat: one text and the buttons it numbered."""

    text: str
    buttons: list[dict[str, str]]


# A path on this site in an answer (完整办事指南：/api/items/…/guide): the web pages resolve it
# against the page, a WeChat citizen's phone cannot.
_SITE_PATH = re.compile(r"(?<![\w/.:-])/(?:api/items|apply)/[^\s<>\"'\u3000-\u9fff\uff00-\uffef]+")


def absolute_links(text: str, base_url: str) -> str:
    """Paths on this site made absolute: ``/api/items/X/guide`` → ``https://host/api/items/X/guide``."""
    base = base_url.rstrip("/")
    return _SITE_PATH.sub(lambda m: base + m.group(0), text) if base else text


def compose(replies: Iterable[Any], *, base_url: str, limit_bytes: int) -> Reply:
    """The bot's messages (:class:`api.schemas.ChatOut`) as one text within ``limit_bytes``.

    Buttons become numbered lines (回复“1”：要带什么材料), numbered across all messages.
    """
    parts: list[str] = []
    buttons: list[dict[str, str]] = []
    item_code = None
    apply_url = None
    for reply in replies:
        if reply.text:
            parts.append(absolute_links(reply.text.strip(), base_url))
        custom = reply.custom or {}
        item_code = custom.get("item_code") or item_code
        if isinstance(custom.get("apply"), dict) and custom["apply"].get("url"):
            apply_url = custom["apply"]["url"]
        for button in reply.buttons or []:
            buttons.append({"title": button.title, "payload": button.payload})
    # The choices go before the long part of the text would be cut: they are what to do next.
    choices = "\n".join(f"回复“{n}”：{b['title']}" for n, b in enumerate(buttons, 1))
    body = "\n".join(parts)
    links = []
    if apply_url:
        links.append(f"申请表：{apply_url}")
    if item_code:
        links.append(f"完整办事指南：{base_url.rstrip('/')}/api/items/{item_code}/guide")
    tail = ("\n…" + "\n".join(links)) if links else ASK_NARROWER
    if choices:
        tail += "\n" + choices
    whole = body + ("\n" + choices if choices else "")
    if utf8_len(whole) <= limit_bytes:
        return Reply(whole.strip(), buttons)
    return Reply(shorten(body, limit_bytes, tail).strip(), buttons)


@dataclass
class PendingTurn:
    """A turn that missed WeChat's deadline and goes on in the background."""

    text: str
    task: asyncio.Task


class ChannelMemory:
    """What the channel remembers per OpenID between messages, in memory and bounded.

    >>> memory = ChannelMemory(max_senders=2)
    >>> memory.offer("o1", [{"title": "桂城街道", "payload": '/choose_option{"option":"1"}'}])
    >>> memory.resolve("o1", "１")
    '/choose_option{"option":"1"}'

    Given a :class:`api.shared_state.SharedState`, the offered buttons are kept there, so a "1"
    that reaches another API worker still picks the button; the late turns (tasks) stay in the
    process that runs them. Losing the buttons (a restart) only means that a bare "1" goes to
    the bot as typed, which the bot itself reads as the first option it offered.
    """

    def __init__(self, max_senders: int = 10_000, shared=None):
        self.max_senders = max_senders
        self.shared = shared
        self.buttons: OrderedDict[str, list[dict[str, str]]] = OrderedDict()
        self.pending: OrderedDict[str, PendingTurn] = OrderedDict()
        # asyncio keeps only weak references to tasks: these keep late turns alive.
        self.running: set[asyncio.Task] = set()

    def offer(self, openid: str, buttons: list[dict[str, str]]) -> None:
        """The buttons the citizen was last shown (none: a number is just text again)."""
        if self.shared is not None:
            self.shared.offer_buttons(openid, buttons)
            return
        self.buttons.pop(openid, None)
        if buttons:
            self._put(self.buttons, openid, buttons)

    def resolve(self, openid: str, text: str) -> str:
        """The payload of the button a numbered reply picks, else the text itself."""
        number = choice_number(text)
        if number is None:
            return text
        offered = self.shared.buttons(openid) if self.shared is not None else self.buttons.get(openid) or []
        if not 1 <= number <= len(offered):
            return text
        button = offered[number - 1]
        return button.get("payload") or button.get("title") or text

    def wait_for_later(self, openid: str, text: str, task: asyncio.Task) -> None:
        self._put(self.pending, openid, PendingTurn(text, task))

    def take_pending(self, openid: str, text: str) -> asyncio.Task | None:
        """The late turn of this same question, if the citizen sends it again as asked."""
        pending = self.pending.pop(openid, None)
        if pending is not None and pending.text == text:
            return pending.task
        return None

    def keep_running(self, task: asyncio.Task) -> None:
        self.running.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task) -> None:
        self.running.discard(task)
        # A late turn that failed is nobody's to await any more: say so once, here.
        if not task.cancelled() and task.exception() is not None:
            logger.error("WeChat turn failed: %s", task.exception().__class__.__name__)

    def _put(self, table: OrderedDict, openid: str, value: Any) -> None:
        table[openid] = value
        table.move_to_end(openid)
        while len(table) > self.max_senders:
            table.popitem(last=False)


# -- safe mode (安全模式) and compatible mode (兼容模式) ---------------------------------------------

# WeChat pads with PKCS#7 to 32-byte blocks (its own samples' PKCS7Encoder), not AES's 16.
PAD_BLOCK = 32
_ENCODING_AES_KEY = re.compile(r"[A-Za-z0-9+/]{43}")
_NONCE_CHARS = string.ascii_letters + string.digits


def pad(data: bytes, block: int = PAD_BLOCK) -> bytes:
    """PKCS#7 padding to ``block``-byte blocks: 1 to ``block`` bytes, each the count.

    >>> pad(b"x" * 30)[-2:]
    b'\\x02\\x02'
    """
    amount = block - len(data) % block
    return data + bytes([amount]) * amount


def unpad(data: bytes, block: int = PAD_BLOCK) -> bytes:
    """``data`` without its PKCS#7 padding; BadMessage when the padding is not valid."""
    if not data or len(data) % block:
        raise BadMessage(f"encrypted message: length {len(data)} is not a multiple of {block}")
    amount = data[-1]
    if not 1 <= amount <= block or data[-amount:] != bytes([amount]) * amount:
        raise BadMessage("encrypted message: bad padding")
    return data[:-amount]


class MessageCrypto:
    """公众号消息加解密: the account's token, EncodingAESKey and AppID.

    AESKey = base64(EncodingAESKey + "="), 32 bytes; AES-256-CBC with IV = AESKey[:16]; the
    plaintext is 16 random bytes, the message's length (4 bytes, big-endian), the message (UTF-8
    XML) and the AppID, padded to 32-byte blocks; ``Encrypt`` is its base64. The signature
    (msg_signature) is sha1 of the sorted token, timestamp, nonce and Encrypt.

    There is no MAC: the msg_signature is what proves a body came from WeChat, so it is checked
    before anything is decrypted (a wrong padding is then never an oracle for a stranger).
    """

    def __init__(self, token: str, encoding_aes_key: str, app_id: str):
        encoding_aes_key = encoding_aes_key.strip()
        app_id = app_id.strip()
        if not token:
            raise ValueError("no token (GUIDE_API_WECHAT_TOKEN)")
        if not _ENCODING_AES_KEY.fullmatch(encoding_aes_key):
            raise ValueError("GUIDE_API_WECHAT_ENCODING_AES_KEY must be the account's 43-character EncodingAESKey")
        if not app_id or not app_id.isascii() or not app_id.isprintable() or len(app_id) > 64:
            raise ValueError("GUIDE_API_WECHAT_APP_ID must be the account's AppID (开发者ID) when an EncodingAESKey is set")
        self.token = token
        self.key = base64.b64decode(encoding_aes_key + "=")
        self.app_id = app_id.encode("ascii")

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def signature(self, timestamp: str, nonce: str, encrypt: str) -> str:
        return hashlib.sha1("".join(sorted([self.token, timestamp, nonce, encrypt])).encode("utf-8")).hexdigest()

    def valid_signature(self, timestamp: str, nonce: str, encrypt: str, msg_signature: str) -> bool:
        """True when WeChat (who knows the token) signed this Encrypt with these parameters."""
        expected = self.signature(timestamp, nonce, encrypt).encode()
        return hmac.compare_digest(expected, msg_signature.lower().encode("utf-8", "replace"))

    def decrypt(self, encrypt: str) -> bytes:
        """The message (XML bytes) inside ``Encrypt``; BadMessage, or WrongAccount for another AppID."""
        try:
            data = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError):
            raise BadMessage("encrypted message: Encrypt is not base64") from None
        if not data or len(data) % 16:
            raise BadMessage(f"encrypted message: {len(data)} bytes is not whole AES blocks")
        decryptor = self._cipher().decryptor()
        plain = unpad(decryptor.update(data) + decryptor.finalize())
        if len(plain) < 20:
            raise BadMessage("encrypted message: too short")
        length = int.from_bytes(plain[16:20], "big")
        if length > len(plain) - 20:
            raise BadMessage(f"encrypted message: msg_len {length} is larger than the data")
        if not hmac.compare_digest(plain[20 + length :], self.app_id):
            raise WrongAccount("encrypted message: for another AppID")
        return plain[20 : 20 + length]

    def encrypt(self, xml: str, *, random_prefix: bytes | None = None) -> str:
        """``xml`` as an ``Encrypt`` value. The 16 random bytes are letters and digits, like
        WeChat's own samples, in case the other side reads them as text."""
        prefix = random_prefix if random_prefix is not None else "".join(secrets.choice(_NONCE_CHARS) for _ in range(16)).encode()
        if len(prefix) != 16:
            raise ValueError("the random prefix is 16 bytes")
        message = xml.encode("utf-8")
        encryptor = self._cipher().encryptor()
        padded = pad(prefix + len(message).to_bytes(4, "big") + message + self.app_id)
        return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode("ascii")

    def open_message(self, body: bytes, *, timestamp: str, nonce: str, msg_signature: str) -> dict[str, str]:
        """The fields of the message inside an encrypted body (safe or compatible mode).

        The envelope and the message inside are both parsed as :func:`parse_message` does (DTDs
        refused); plaintext fields beside ``Encrypt`` (compatible mode) are ignored.
        """
        envelope = _xml_fields(body)
        encrypt = envelope.get("Encrypt", "")
        if not encrypt:
            raise BadMessage("encrypted message: no Encrypt")
        if not self.valid_signature(timestamp, nonce, encrypt, msg_signature):
            raise BadSignature("encrypted message: wrong msg_signature")
        message = parse_message(self.decrypt(encrypt))
        if envelope.get("ToUserName") and envelope["ToUserName"] != message["ToUserName"]:
            raise BadMessage("encrypted message: ToUserName outside and inside differ")
        return message

    def seal(self, xml: str, *, timestamp: str | None = None, nonce: str | None = None, random_prefix: bytes | None = None) -> str:
        """A passive reply (``xml``) as safe mode sends it: encrypted and signed."""
        timestamp = timestamp or str(int(time.time()))
        nonce = nonce or "".join(secrets.choice(string.digits) for _ in range(10))
        encrypt = self.encrypt(xml, random_prefix=random_prefix)
        return (
            f"<xml><Encrypt>{cdata(encrypt)}</Encrypt><MsgSignature>{cdata(self.signature(timestamp, nonce, encrypt))}</MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp><Nonce>{cdata(nonce)}</Nonce></xml>"
        )
