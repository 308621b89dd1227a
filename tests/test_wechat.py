"""The WeChat Official Account channel (plaintext, compatible and safe mode), with Rasa replaced by a fake."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import struct
import time
from contextlib import ExitStack
from xml.sax.saxutils import escape

import defusedxml.ElementTree as SafeElementTree
import httpx
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.padding import PKCS7
from fastapi.testclient import TestClient

from api import wechat
from api.main import create_app
from api.settings import ApiSettings
from index.backends.embedded import EmbeddedBackend
from index.settings import IndexSettings

TOKEN = "testtoken"
OPENID = "oABC123_citizen-1"
ACCOUNT = "gh_0123456789ab"


class FakeRasa:
    """Rasa's REST webhook: records what it was sent and answers with ``reply``."""

    def __init__(self):
        self.received: list[str] = []
        self.delay = 0.0
        self.reply = lambda sender, message: [{"recipient_id": sender, "text": f"您问的是：{message}"}]

    async def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.received.append(body["message"])
        if self.delay:
            await asyncio.sleep(self.delay)
        return httpx.Response(200, json=self.reply(body["sender"], body["message"]))


@pytest.fixture
def make_client(tmp_path, mini_corpus):
    """A client for an app with the given ApiSettings, and its fake Rasa."""
    EmbeddedBackend(tmp_path).apply(mini_corpus)
    with ExitStack() as running:

        def make(**settings):
            settings.setdefault("wechat_token", TOKEN)
            app = create_app(IndexSettings(GUIDE_DATA_DIR=tmp_path), ApiSettings(GUIDE_DATA_DIR=tmp_path, **settings))
            client = running.enter_context(TestClient(app))
            rasa = FakeRasa()
            app.state.conversations.rasa = httpx.AsyncClient(transport=httpx.MockTransport(rasa.handle), base_url="http://rasa")
            return client, rasa

        yield make


@pytest.fixture
def channel(make_client):
    return make_client()


def signed(token: str = TOKEN, timestamp: int | None = None, nonce: str = "n0nce", **extra) -> dict:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = hashlib.sha1("".join(sorted([token, stamp, nonce])).encode()).hexdigest()
    return {"signature": signature, "timestamp": stamp, "nonce": nonce, **extra}


_message_ids = iter(range(6_000_000_000_000_000_000, 7_000_000_000_000_000_000))


def message_xml(msg_type: str = "text", *, msg_id: str | None = None, openid: str = OPENID, **fields) -> bytes:
    """A message as WeChat sends it; a fresh MsgId unless given (events: none)."""
    if msg_id is None and msg_type != "event":
        msg_id = str(next(_message_ids))
    parts = [
        f"<ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>",
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>",
        f"<CreateTime>{int(time.time())}</CreateTime>",
        f"<MsgType><![CDATA[{msg_type}]]></MsgType>",
        *(f"<{name}>{escape(value)}</{name}>" for name, value in fields.items()),
    ]
    if msg_id:
        parts.append(f"<MsgId>{msg_id}</MsgId>")
    return ("<xml>" + "".join(parts) + "</xml>").encode()


def post(client: TestClient, body: bytes, params: dict | None = None) -> httpx.Response:
    """POST ``body`` with these query parameters (default: freshly signed)."""
    return client.post("/wechat", params=signed() if params is None else params, content=body, headers={"Content-Type": "text/xml"})


def reply_fields(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 200, response.text
    root = SafeElementTree.fromstring(response.content, forbid_dtd=True)
    return {child.tag: child.text or "" for child in root}


def say(client: TestClient, text: str, **fields) -> str:
    return reply_fields(post(client, message_xml(Content=text, **fields)))["Content"]


# -- server verification ----------------------------------------------------------------------


def test_verification_answers_echostr_when_signed(channel):
    client, _ = channel
    response = client.get("/wechat", params=signed(echostr="1234567890echo"))
    assert response.status_code == 200
    assert response.text == "1234567890echo"
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    "params",
    [
        signed(token="wrongtoken", echostr="echo"),
        {**signed(echostr="echo"), "nonce": "changed"},
        {**signed(echostr="echo"), "signature": "0" * 40},
        {"echostr": "echo"},
        {},
        {k: v for k, v in signed(echostr="echo").items() if k != "signature"},
    ],
    ids=["wrong-token", "tampered-nonce", "bad-signature", "no-signature-params", "no-params", "no-signature"],
)
def test_verification_refuses_bad_or_missing_signature(channel, params):
    client, _ = channel
    response = client.get("/wechat", params=params)
    assert response.status_code == 403
    assert "echo" not in response.text


def test_channel_without_token_refuses_everything(make_client):
    client, rasa = make_client(wechat_token="")
    # Signed with an empty token: exactly what must not open the channel.
    unsigned = signed(token="", echostr="echo")
    response = client.get("/wechat", params=unsigned)
    assert response.status_code == 503 and "GUIDE_API_WECHAT_TOKEN" in response.text
    assert post(client, message_xml(Content="办居住证"), signed(token="")).status_code == 503
    assert rasa.received == []


# -- who may post -------------------------------------------------------------------------------


def test_post_with_bad_signature_is_refused_unread(channel):
    client, rasa = channel
    body = message_xml(Content="办居住证要带什么", msg_id="42")
    for params in (signed(token="wrong"), {}, {**signed(), "signature": "f" * 40}):
        response = post(client, body, params)
        assert response.status_code == 403 and response.content == b""
    assert rasa.received == []
    store = client.app.state.store
    assert store.transcript(OPENID) == []
    assert store.first_sighting("42"), "a refused message must not use up its MsgId"


@pytest.mark.parametrize("age", [-400, 400, 100_000])
def test_stale_or_future_timestamp_is_refused(channel, age):
    client, rasa = channel
    response = post(client, message_xml(Content="办居住证"), signed(timestamp=int(time.time()) - age))
    assert response.status_code == 403
    assert rasa.received == []


def test_openid_in_the_url_must_match_the_sender(channel):
    client, rasa = channel
    response = post(client, message_xml(Content="办居住证"), signed(openid="oSOMEONE_ELSE"))
    assert response.status_code == 400
    assert rasa.received == []
    assert say(client, "办居住证") and post(client, message_xml(Content="x"), signed(openid=OPENID)).status_code == 200


# -- a text turn ----------------------------------------------------------------------------------


def test_text_turn_gets_a_passive_reply_from_the_bot(channel):
    client, rasa = channel
    response = post(client, message_xml(Content="南海办居住证要带什么"))
    assert response.headers["content-type"].startswith("application/xml")
    fields = reply_fields(response)
    assert fields["ToUserName"] == OPENID
    assert fields["FromUserName"] == ACCOUNT
    assert fields["MsgType"] == "text"
    assert abs(int(fields["CreateTime"]) - time.time()) < 60
    assert fields["Content"] == "您问的是：南海办居住证要带什么"
    assert rasa.received == ["南海办居住证要带什么"]
    store = client.app.state.store
    assert store.conversation(OPENID)["channel"] == "wechat"
    assert [m["role"] for m in store.transcript(OPENID)] == ["citizen", "bot"]


def test_several_bot_messages_become_one_reply(channel):
    client, rasa = channel
    rasa.reply = lambda sender, message: [
        {"recipient_id": sender, "text": "桂城街道办理居住证需要："},
        {"recipient_id": sender, "text": "1. 居民身份证"},
    ]
    assert say(client, "要带什么") == "桂城街道办理居住证需要：\n1. 居民身份证"


def test_replayed_message_id_is_taken_once(channel):
    client, rasa = channel
    body = message_xml(Content="办居住证", msg_id="777")
    assert reply_fields(post(client, body))["Content"] == "您问的是：办居住证"
    # WeChat's retry or an attacker's replay: new signature, same MsgId.
    again = post(client, body, signed(nonce="another"))
    assert again.status_code == 200 and again.text == "success"
    assert rasa.received == ["办居住证"]


def test_handed_off_conversation_gets_no_passive_reply(channel):
    client, rasa = channel
    client.app.state.store.set_status(OPENID, "human", channel="wechat")
    response = post(client, message_xml(Content="你好，请问人工在吗"))
    assert response.status_code == 200 and response.text == "success"
    assert rasa.received == []


# -- what the body may not be -----------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<xml><ToUserName>gh_0123456789ab</ToUserName><FromUserName>oABC123_citizen-1</FromUserName>
<CreateTime>1700000000</CreateTime><MsgType>text</MsgType><Content>&lol9;</Content><MsgId>901</MsgId></xml>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh_0123456789ab</ToUserName><FromUserName>oABC123_citizen-1</FromUserName>
<CreateTime>1700000000</CreateTime><MsgType>text</MsgType><Content>&e;</Content><MsgId>902</MsgId></xml>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd"> %p;]>
<xml><ToUserName>gh_0123456789ab</ToUserName><FromUserName>oABC123_citizen-1</FromUserName>
<MsgType>text</MsgType><Content>hi</Content><MsgId>903</MsgId></xml>"""

INTERNAL_DTD_ONLY = b"""<?xml version="1.0"?>
<!DOCTYPE xml [<!ELEMENT xml ANY>]>
<xml><ToUserName>gh_0123456789ab</ToUserName><FromUserName>oABC123_citizen-1</FromUserName>
<MsgType>text</MsgType><Content>hi</Content><MsgId>904</MsgId></xml>"""


@pytest.mark.parametrize(
    "body",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, PARAMETER_ENTITY, INTERNAL_DTD_ONLY],
    ids=["billion-laughs", "external-entity", "parameter-entity", "any-dtd"],
)
def test_xml_with_dtd_or_entities_is_refused(channel, body):
    client, rasa = channel
    response = post(client, body)
    assert response.status_code == 400
    assert rasa.received == []
    assert client.app.state.store.transcript(OPENID) == []


@pytest.mark.parametrize(
    "body",
    [
        b"<xml><ToUserName>gh</ToUserName><FromUserName>o1",
        b"not xml at all",
        b"",
        b"<html><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><MsgType>text</MsgType></html>",
        b"<xml><ToUserName>gh</ToUserName><MsgType>text</MsgType><Content>hi</Content></xml>",
        b'<?xml version="1.0" encoding="bogus-8"?><xml/>',
    ],
    ids=["truncated", "text", "empty", "wrong-root", "no-sender", "bad-encoding"],
)
def test_malformed_message_is_400(channel, body):
    client, rasa = channel
    assert post(client, body).status_code == 400
    assert rasa.received == []


def test_oversized_body_is_413(channel):
    client, rasa = channel
    huge = message_xml(Content="证" * 30_000)  # 90 KB
    assert len(huge) > wechat.MAX_BODY_BYTES
    assert post(client, huge).status_code == 413

    def chunks():  # no Content-Length: the limit holds while reading
        for _ in range(100):
            yield b"x" * 1024

    response = client.post("/wechat", params=signed(), content=chunks(), headers={"Content-Type": "text/xml"})
    assert response.status_code == 413
    assert rasa.received == []


# -- message types and events -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "msg_type, fields",
    [
        ("image", {"PicUrl": "http://mmbiz.qpic.cn/x.jpg", "MediaId": "m1"}),
        ("voice", {"MediaId": "m2", "Format": "amr"}),
        ("voice", {"MediaId": "m2", "Format": "amr", "Recognition": ""}),
        ("video", {"MediaId": "m3", "ThumbMediaId": "t3"}),
        ("location", {"Location_X": "23.13", "Location_Y": "113.26", "Scale": "20", "Label": "广州"}),
        ("link", {"Title": "a", "Description": "b", "Url": "http://example.com"}),
        ("file", {"Title": "a.pdf", "FileKey": "k"}),
    ],
)
def test_other_message_types_get_a_polite_text(channel, msg_type, fields):
    client, rasa = channel
    fields = reply_fields(post(client, message_xml(msg_type, **fields)))
    assert fields["Content"] == wechat.TEXT_ONLY and fields["ToUserName"] == OPENID
    assert rasa.received == []


def test_voice_recognition_is_taken_as_text(channel):
    client, rasa = channel
    content = reply_fields(post(client, message_xml("voice", MediaId="m", Format="amr", Recognition="补办身份证要多久")))["Content"]
    assert content == "您问的是：补办身份证要多久"
    assert rasa.received == ["补办身份证要多久"]


def test_subscribe_gets_a_welcome_and_other_events_no_reply(channel):
    client, rasa = channel
    welcome = reply_fields(post(client, message_xml("event", Event="subscribe")))
    assert welcome["Content"] == wechat.WELCOME and "办事指南" in welcome["Content"]
    assert welcome["ToUserName"] == OPENID and welcome["FromUserName"] == ACCOUNT
    for event in ("unsubscribe", "CLICK", "VIEW", "LOCATION"):
        response = post(client, message_xml("event", Event=event, openid=f"o_{event}"))
        assert response.status_code == 200 and response.text == "success"
    assert rasa.received == []


def test_repeated_event_is_taken_once(channel):
    client, _ = channel
    body = message_xml("event", Event="subscribe", openid="o_twice")
    assert reply_fields(post(client, body))["Content"] == wechat.WELCOME
    assert post(client, body, signed(nonce="retry")).text == "success"


# -- reply size, deadline, numbered buttons ---------------------------------------------------------


def test_long_reply_is_cut_under_the_limit_with_the_guide_link(channel):
    client, rasa = channel
    sentences = "".join(f"第{n}项：居民身份证原件及复印件一份，需本人签名确认。" for n in range(1, 200))
    rasa.reply = lambda sender, message: [
        {"recipient_id": sender, "text": sentences},
        {"recipient_id": sender, "custom": {"response": "utter_materials", "item_code": "X0002"}},
    ]
    content = say(client, "桂城办居住证要带什么")
    assert len(content.encode("utf-8")) <= 2000
    assert content.endswith("完整办事指南：http://testserver/api/items/X0002/guide")
    kept = content.split("\n…")[0]
    assert kept.endswith("。") and sentences.startswith(kept)


def test_long_reply_without_item_asks_for_a_narrower_question(make_client):
    client, rasa = make_client(wechat_reply_limit_bytes=300, public_url="https://guide.example.gov.cn")
    rasa.reply = lambda sender, message: [{"recipient_id": sender, "text": "很长的回答。" * 100}]
    content = say(client, "随便问问")
    assert len(content.encode("utf-8")) <= 300
    assert "请告诉我您想了解哪一方面" in content and "/guide" not in content


def test_slow_bot_gets_a_wait_text_and_the_same_question_collects_the_answer(make_client):
    client, rasa = make_client(wechat_deadline_seconds=0.2)
    rasa.delay = 1.0
    started = time.monotonic()
    content = say(client, "办居住证要带什么")
    assert time.monotonic() - started < 0.9
    assert content == wechat.WAIT
    # The turn went on in the background.
    memory = client.app.state.wechat_memory
    deadline = time.monotonic() + 10
    while memory.running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not memory.running
    assert [m["role"] for m in client.app.state.store.transcript(OPENID)] == ["citizen", "bot"]
    # Sent again as the wait text asks: the answer, without a second turn. From here the bot is
    # fast; the deadline is the default again, so a busy CI machine cannot turn a fast reply
    # into a wait text.
    rasa.delay = 0
    client.app.state.settings.wechat_deadline_seconds = 4.0
    assert say(client, "办居住证要带什么") == "您问的是：办居住证要带什么"
    assert rasa.received == ["办居住证要带什么"]
    # Another question afterwards is a turn of its own.
    assert say(client, "要多久") == "您问的是：要多久"
    assert rasa.received == ["办居住证要带什么", "要多久"]


def test_numbered_reply_picks_the_offered_button(channel):
    client, rasa = channel
    options = [
        {"title": "佛山市南海区桂城街道", "payload": '/choose_option{"option":"1"}'},
        {"title": "佛山市顺德区大良街道", "payload": '/choose_option{"option":"2"}'},
    ]

    def reply(sender, message):
        if message.startswith("/"):
            return [{"recipient_id": sender, "text": f"已选择：{message}"}]
        return [{"recipient_id": sender, "text": "请问您在哪个区办理？", "buttons": options}]

    rasa.reply = reply
    content = say(client, "办居住证")
    assert content == "请问您在哪个区办理？\n回复“1”：佛山市南海区桂城街道\n回复“2”：佛山市顺德区大良街道"
    say(client, "２")
    assert rasa.received[-1] == '/choose_option{"option":"2"}'
    # The chosen answer offered no buttons: a number is text again.
    say(client, "2")
    assert rasa.received[-1] == "2"
    say(client, "办居住证")
    say(client, "第一个")
    assert rasa.received[-1] == '/choose_option{"option":"1"}'
    say(client, "办居住证")
    say(client, "3")  # not offered: goes as typed
    assert rasa.received[-1] == "3"


def test_buttons_of_another_citizen_are_not_used(channel):
    client, rasa = channel
    rasa.reply = lambda sender, message: [
        {"recipient_id": sender, "text": "需要人工服务吗？", "buttons": [{"title": "转人工服务", "payload": "/request_human"}]}
    ]
    say(client, "听不懂")
    say(client, "1", openid="oOTHER")
    assert rasa.received[-1] == "1"


def test_cdata_terminator_in_the_text_cannot_break_the_reply(channel):
    client, rasa = channel
    tricky = "a]]><MsgType>news</MsgType><![CDATA[b ]]]]> &amp; <c/>"
    rasa.reply = lambda sender, message: [{"recipient_id": sender, "text": tricky}]
    fields = reply_fields(post(client, message_xml(Content="x")))
    assert fields["Content"] == tricky
    assert fields["MsgType"] == "text"


def test_an_unexpected_failure_is_a_polite_text_not_a_500(channel):
    client, rasa = channel

    async def broken(*args, **kwargs):
        raise RuntimeError("boom 13800138000")

    client.app.state.conversations.converse = broken
    fields = reply_fields(post(client, message_xml(Content="我的电话13800138000")))
    assert fields["Content"] == wechat.FAILED and fields["ToUserName"] == OPENID


def test_failure_log_masks_what_the_citizen_typed(channel, caplog):
    client, _ = channel

    async def broken(*args, **kwargs):
        raise RuntimeError("boom")

    client.app.state.conversations.converse = broken
    post(client, message_xml(Content="我的电话13800138000"))
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "138****8000" in logged and "13800138000" not in logged


# -- the helpers on their own -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, number",
    [("1", 1), ("１", 1), (" 2 ", 2), ("第一个", 1), ("第二项", 2), ("选3", 3), ("10", 10),
     ("办居住证", None), ("13800138000", None), ("第三代社保卡", None), ("", None)],
)
def test_choice_number(text, number):
    assert wechat.choice_number(text) == number


def test_shorten_keeps_sentences_and_the_limit():
    text = "第一句话。第二句话。第三句话。"
    assert wechat.shorten(text, 1000, "…") == text
    assert wechat.shorten(text, 40, "…") == "第一句话。第二句话。…"
    assert len(wechat.shorten("没有标点" * 50, 50, "…").encode()) <= 50
    assert len(wechat.shorten(text, 5, "一个比限制还长的尾巴").encode()) <= 5


def test_signature_and_freshness():
    params = signed(timestamp=1_700_000_000)
    assert wechat.valid_signature(TOKEN, params["timestamp"], params["nonce"], params["signature"])
    assert wechat.valid_signature(TOKEN, params["timestamp"], params["nonce"], params["signature"].upper())
    assert not wechat.valid_signature("", params["timestamp"], params["nonce"], params["signature"])
    assert not wechat.valid_signature(TOKEN, params["timestamp"], params["nonce"], "签名")
    assert wechat.fresh("1700000000", now=1_700_000_299) and not wechat.fresh("1700000000", now=1_700_000_301)
    assert not wechat.fresh("soon")


def test_channel_memory_is_bounded():
    memory = wechat.ChannelMemory(max_senders=2)
    for openid in ("o1", "o2", "o3"):
        memory.offer(openid, [{"title": "t", "payload": f"/p_{openid}"}])
    assert memory.resolve("o1", "1") == "1"
    assert memory.resolve("o3", "1") == "/p_o3"


# -- safe mode (安全模式) and compatible mode (兼容模式) ---------------------------------------------
#
# WeChat's side is written here again, on its own (struct, the library's PKCS7 padder with
# 256-bit blocks), so that the channel is checked against an implementation it does not share.

AES_KEY = base64.b64encode(bytes(range(7, 39))).decode().rstrip("=")  # 43 characters
APP_ID = "wx1234567890abcdef"
assert len(AES_KEY) == 43


def _aes(encoding_aes_key: str = AES_KEY) -> Cipher:
    key = base64.b64decode(encoding_aes_key + "=")
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def aes_raw(padded: bytes, encoding_aes_key: str = AES_KEY) -> str:
    """Already padded bytes, encrypted and in base64 (to send what WeChat never would)."""
    encryptor = _aes(encoding_aes_key).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()


def wechat_encrypt(xml: bytes, *, app_id: str = APP_ID, encoding_aes_key: str = AES_KEY, msg_len: int | None = None) -> str:
    """What WeChat puts in <Encrypt>: random(16) + msg_len + msg + AppID, PKCS#7 to 32 bytes."""
    plain = os.urandom(16) + struct.pack(">I", len(xml) if msg_len is None else msg_len) + xml + app_id.encode()
    padder = PKCS7(256).padder()
    return aes_raw(padder.update(plain) + padder.finalize(), encoding_aes_key)


def wechat_decrypt(encrypt: str, encoding_aes_key: str = AES_KEY) -> tuple[bytes, bytes]:
    """What WeChat reads from our reply's <Encrypt>: the message and the AppID after it."""
    decryptor = _aes(encoding_aes_key).decryptor()
    padded = decryptor.update(base64.b64decode(encrypt)) + decryptor.finalize()
    unpadder = PKCS7(256).unpadder()
    plain = unpadder.update(padded) + unpadder.finalize()
    (length,) = struct.unpack(">I", plain[16:20])
    return plain[20 : 20 + length], plain[20 + length :]


def msg_signature(timestamp: str, nonce: str, encrypt: str, token: str = TOKEN) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode()).hexdigest()


def envelope(encrypt: str, *, account: str = ACCOUNT, plaintext: bytes = b"") -> bytes:
    """The POST body in safe mode; in compatible mode the plaintext fields come too."""
    inner = plaintext.removeprefix(b"<xml>").removesuffix(b"</xml>")
    return b"<xml><ToUserName><![CDATA[" + account.encode() + b"]]></ToUserName>" + inner + b"<Encrypt><![CDATA[" + encrypt.encode() + b"]]></Encrypt></xml>"


def safe_params(encrypt: str, *, nonce: str | None = None, **extra) -> dict:
    """Query parameters as WeChat sends them with an encrypted message, freshly signed."""
    params = signed(nonce=nonce or f"n{next(_message_ids)}", encrypt_type="aes", openid=OPENID, **extra)
    params["msg_signature"] = msg_signature(params["timestamp"], params["nonce"], encrypt)
    return params


def post_safe(client: TestClient, xml: bytes, **extra) -> httpx.Response:
    encrypt = wechat_encrypt(xml)
    return post(client, envelope(encrypt), safe_params(encrypt, **extra))


def open_reply(response: httpx.Response, *, token: str = TOKEN) -> dict[str, str]:
    """The fields of an encrypted passive reply, after checking its MsgSignature and AppID."""
    outer = reply_fields(response)
    assert set(outer) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    assert outer["MsgSignature"] == msg_signature(outer["TimeStamp"], outer["Nonce"], outer["Encrypt"], token)
    assert abs(int(outer["TimeStamp"]) - time.time()) < 60 and outer["Nonce"]
    xml, app_id = wechat_decrypt(outer["Encrypt"])
    assert app_id == APP_ID.encode()
    root = SafeElementTree.fromstring(xml, forbid_dtd=True)
    return {child.tag: child.text or "" for child in root}


@pytest.fixture
def safe_channel(make_client):
    return make_client(wechat_encoding_aes_key=AES_KEY, wechat_app_id=APP_ID)


def test_safe_mode_text_message_round_trip(safe_channel):
    client, rasa = safe_channel
    response = post_safe(client, message_xml(Content="南海办居住证要带什么"))
    assert response.headers["content-type"].startswith("application/xml")
    assert "您问的是".encode() not in response.content  # nothing readable outside the Encrypt
    fields = open_reply(response)
    assert fields["ToUserName"] == OPENID and fields["FromUserName"] == ACCOUNT
    assert fields["MsgType"] == "text" and abs(int(fields["CreateTime"]) - time.time()) < 60
    assert fields["Content"] == "您问的是：南海办居住证要带什么"
    assert rasa.received == ["南海办居住证要带什么"]
    assert [m["role"] for m in client.app.state.store.transcript(OPENID)] == ["citizen", "bot"]


def test_safe_mode_no_reply_stays_plain_success_and_events_are_encrypted(safe_channel):
    client, rasa = safe_channel
    assert open_reply(post_safe(client, message_xml("event", Event="subscribe")))["Content"] == wechat.WELCOME
    response = post_safe(client, message_xml("event", Event="CLICK", openid=OPENID))
    assert response.status_code == 200 and response.text == "success"
    assert open_reply(post_safe(client, message_xml("image", PicUrl="http://x/y.jpg", MediaId="m")))["Content"] == wechat.TEXT_ONLY


def test_safe_mode_failure_reply_is_encrypted_too(safe_channel):
    client, _ = safe_channel

    async def broken(*args, **kwargs):
        raise RuntimeError("boom")

    client.app.state.conversations.converse = broken
    assert open_reply(post_safe(client, message_xml(Content="办居住证")))["Content"] == wechat.FAILED


def test_safe_mode_reply_content_keeps_its_size_cap(safe_channel):
    client, rasa = safe_channel
    rasa.reply = lambda sender, message: [{"recipient_id": sender, "text": "很长的回答。" * 1000}]
    content = open_reply(post_safe(client, message_xml(Content="随便问问")))["Content"]
    assert 1000 < len(content.encode("utf-8")) <= 2000


def test_safe_mode_wrong_msg_signature_is_403_and_nothing_processed(safe_channel):
    client, rasa = safe_channel
    encrypt = wechat_encrypt(message_xml(Content="办居住证", msg_id="4242"))
    other = wechat_encrypt(message_xml(Content="别的", msg_id="4243"))
    good = safe_params(encrypt)
    for params in (
        {**good, "msg_signature": "0" * 40},
        {k: v for k, v in good.items() if k != "msg_signature"},
        {**good, "msg_signature": msg_signature(good["timestamp"], good["nonce"], encrypt, token="wrongtoken")},
        safe_params(other),  # a right signature, of another body
    ):
        response = post(client, envelope(encrypt), params)
        assert response.status_code == 403 and response.content == b""
    assert rasa.received == []
    store = client.app.state.store
    assert store.transcript(OPENID) == []
    assert store.first_sighting("4242"), "a refused message must not use up its MsgId"


def test_safe_mode_url_signature_and_timestamp_still_apply(safe_channel):
    client, rasa = safe_channel
    encrypt = wechat_encrypt(message_xml(Content="办居住证"))
    params = safe_params(encrypt)
    assert post(client, envelope(encrypt), {**params, "signature": "f" * 40}).status_code == 403
    stale = signed(timestamp=int(time.time()) - 400, encrypt_type="aes")
    stale["msg_signature"] = msg_signature(stale["timestamp"], stale["nonce"], encrypt)
    assert post(client, envelope(encrypt), stale).status_code == 403
    assert rasa.received == []


def test_safe_mode_message_for_another_app_id_is_refused(safe_channel):
    client, rasa = safe_channel
    for app_id in ("wx0000000000000000", "", APP_ID + "x", APP_ID[:-1]):
        encrypt = wechat_encrypt(message_xml(Content="办居住证"), app_id=app_id)
        response = post(client, envelope(encrypt), safe_params(encrypt))
        assert response.status_code == 403, app_id
    assert rasa.received == []


def _plain(xml: bytes, app_id: bytes = APP_ID.encode(), msg_len: int | None = None) -> bytes:
    return b"R" * 16 + struct.pack(">I", len(xml) if msg_len is None else msg_len) + xml + app_id


def _plain_ending_at(remainder: int) -> bytes:
    """A well-formed plaintext, unpadded, whose length is ``remainder`` modulo 32."""
    xml = message_xml(Content="办居住证")
    while len(_plain(xml)) % 32 != remainder:
        xml += b" "
    return _plain(xml)


def _undecryptable() -> dict[str, str]:
    xml = message_xml(Content="办居住证")
    good = base64.b64decode(wechat_encrypt(xml))
    short = _plain(b"")[:18]
    return {
        "not-base64": "这不是base64!!",
        "base64-with-junk": base64.b64encode(good).decode()[:-4] + "*AAA",
        "truncated": base64.b64encode(good[:-5]).decode(),
        "one-aes-block-short": base64.b64encode(good[:-16]).decode(),  # valid AES, not whole 32-byte blocks
        "flipped-last-byte": base64.b64encode(good[:-1] + bytes([good[-1] ^ 0x55])).decode(),
        "padding-zero": aes_raw(_plain_ending_at(31) + b"\x00"),
        "padding-33": aes_raw(_plain_ending_at(0) + b"\x21" * 32),
        "padding-inconsistent": aes_raw(_plain_ending_at(29) + b"\x02\x03\x03"),
        "padding-for-16-byte-blocks": aes_raw(_plain_ending_at(8) + b"\x08" * 8),  # AES's PKCS#7, not WeChat's
        "msg-len-larger-than-data": wechat_encrypt(xml, msg_len=len(xml) + len(APP_ID) + 1),
        "msg-len-huge": wechat_encrypt(xml, msg_len=0xFFFFFFFF),
        "shorter-than-a-header": aes_raw(short + bytes([32 - len(short)]) * (32 - len(short))),
        "empty": "",
        "wrong-key": wechat_encrypt(xml, encoding_aes_key="A" * 43),
    }


UNDECRYPTABLE = _undecryptable()


@pytest.mark.parametrize("name", list(UNDECRYPTABLE))
def test_safe_mode_undecryptable_payload_is_400_never_500(safe_channel, name):
    client, rasa = safe_channel
    encrypt = UNDECRYPTABLE[name]
    # Validly signed: what refuses it is the decryption, not the signature.
    response = post(client, envelope(encrypt), safe_params(encrypt))
    if name == "wrong-key":  # random-looking plaintext: refused for its padding, length or AppID
        assert response.status_code in (400, 403)
    else:
        assert response.status_code == 400, response.status_code
    assert rasa.received == []


@pytest.mark.parametrize(
    "body",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, PARAMETER_ENTITY, INTERNAL_DTD_ONLY, b"not xml", b"<xml><ToUserName>gh</ToUserName></xml>"],
    ids=["billion-laughs", "external-entity", "parameter-entity", "any-dtd", "not-xml", "no-sender"],
)
def test_safe_mode_xml_bomb_inside_the_encrypted_payload_is_400(safe_channel, body):
    client, rasa = safe_channel
    assert post_safe(client, body.replace(b"gh_0123456789ab", ACCOUNT.encode())).status_code == 400
    assert rasa.received == []
    assert client.app.state.store.transcript(OPENID) == []


def test_safe_mode_hostile_envelope_is_400(safe_channel):
    client, rasa = safe_channel
    encrypt = wechat_encrypt(message_xml(Content="办居住证"))
    bomb = BILLION_LAUGHS.split(b"<xml>")[0] + envelope(encrypt)
    assert post(client, bomb, safe_params(encrypt)).status_code == 400
    no_encrypt = b"<xml><ToUserName>gh_0123456789ab</ToUserName></xml>"
    assert post(client, no_encrypt, safe_params("")).status_code == 400
    # The account named outside is the one inside.
    assert post(client, envelope(encrypt, account="gh_another"), safe_params(encrypt)).status_code == 400
    assert rasa.received == []


def test_safe_mode_oversized_body_is_413(safe_channel):
    client, rasa = safe_channel
    encrypt = wechat_encrypt(message_xml(Content="证" * 20_000))
    assert len(encrypt) > wechat.MAX_BODY_BYTES
    assert post(client, envelope(encrypt), safe_params(encrypt)).status_code == 413
    assert rasa.received == []


def test_safe_mode_openid_in_the_url_must_match_the_decrypted_sender(safe_channel):
    client, rasa = safe_channel
    encrypt = wechat_encrypt(message_xml(Content="办居住证", openid="oSOMEONE_ELSE"))
    assert post(client, envelope(encrypt), safe_params(encrypt)).status_code == 400
    assert rasa.received == []


def test_safe_mode_replayed_msg_id_is_processed_once(safe_channel):
    client, rasa = safe_channel
    xml = message_xml(Content="办居住证", msg_id="8888")
    assert open_reply(post_safe(client, xml))["Content"] == "您问的是：办居住证"
    # WeChat's retry or a replay: encrypted afresh (another random prefix), another nonce.
    again = post_safe(client, xml)
    assert again.status_code == 200 and again.text == "success"
    assert rasa.received == ["办居住证"]


def test_compatible_mode_takes_the_encrypted_message_not_the_plaintext_beside_it(safe_channel):
    client, rasa = safe_channel
    # 兼容模式: plaintext fields and Encrypt in one body; only the encrypted part is signed.
    encrypt = wechat_encrypt(message_xml(Content="办居住证", msg_id="555"))
    forged = message_xml(Content="伪造的问题", openid=OPENID, msg_id="556")
    fields = open_reply(post(client, envelope(encrypt, plaintext=forged), safe_params(encrypt)))
    assert fields["Content"] == "您问的是：办居住证"
    assert rasa.received == ["办居住证"]
    assert client.app.state.store.first_sighting("556"), "the plaintext beside Encrypt was not taken"


def test_safe_mode_refuses_plaintext_messages(safe_channel):
    client, rasa = safe_channel
    # Validly signed plaintext: the URL signature does not cover the body, so a downgrade from
    # safe mode would let any signed URL carry any body.
    for params in (signed(), signed(encrypt_type="raw"), signed(msg_signature="0" * 40)):
        response = post(client, message_xml(Content="办居住证"), params)
        assert response.status_code == 403
    assert post(client, message_xml(Content="办居住证"), signed(encrypt_type="des")).status_code == 400
    assert rasa.received == []


def test_encrypted_message_without_a_configured_key_is_400(channel, caplog):
    client, rasa = channel
    encrypt = wechat_encrypt(message_xml(Content="办居住证"))
    response = post(client, envelope(encrypt, plaintext=message_xml(Content="办居住证")), safe_params(encrypt))
    assert response.status_code == 400
    assert rasa.received == []
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "encrypt_type=aes" in logged and "GUIDE_API_WECHAT_ENCODING_AES_KEY" in logged


@pytest.mark.parametrize(
    "settings",
    [
        {"wechat_encoding_aes_key": AES_KEY},  # no AppID: nothing to check the AppID against
        {"wechat_encoding_aes_key": AES_KEY[:-1], "wechat_app_id": APP_ID},
        {"wechat_encoding_aes_key": AES_KEY + "=", "wechat_app_id": APP_ID},
        {"wechat_encoding_aes_key": "#" * 43, "wechat_app_id": APP_ID},
    ],
    ids=["no-app-id", "42-chars", "44-chars", "not-base64"],
)
def test_safe_mode_misconfiguration_is_503_for_everything(make_client, settings):
    client, rasa = make_client(**settings)
    response = client.get("/wechat", params=signed(echostr="echo"))
    assert response.status_code == 503 and "GUIDE_API_WECHAT_" in response.text and "echo" not in response.text
    encrypt = wechat_encrypt(message_xml(Content="办居住证"))
    assert post(client, envelope(encrypt), safe_params(encrypt)).status_code == 503
    assert post(client, message_xml(Content="办居住证")).status_code == 503
    assert rasa.received == []


def test_safe_mode_server_verification_still_answers_echostr(safe_channel):
    client, _ = safe_channel
    assert client.get("/wechat", params=signed(echostr="e1")).text == "e1"


def test_plaintext_mode_unchanged_without_a_key(channel):
    client, rasa = channel
    for params in (signed(), signed(encrypt_type="raw")):
        response = post(client, message_xml(Content="办居住证"), params)
        fields = reply_fields(response)
        assert "Encrypt" not in fields and fields["Content"] == "您问的是：办居住证"
    assert rasa.received == ["办居住证", "办居住证"]


# -- the cipher on its own ---------------------------------------------------------------------------

# A published test vector of this scheme (WeChat Work uses the same 消息加解密 with its CorpID in
# the AppID's place): wechatpy's tests/test_crypto.py, also used by the Rust ports.
VECTOR_TOKEN = "123456"
VECTOR_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
VECTOR_ID = "wx49f0ab532d5d035a"
VECTOR_ENCRYPT = (
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsry"
    "DyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0"
    "gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dS"
    "hyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0="
)
VECTOR_REPLY = """<xml>
<MsgType><![CDATA[text]]></MsgType>
<Content><![CDATA[test]]></Content>
<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>
<ToUserName><![CDATA[messense]]></ToUserName>
<AgentID>1</AgentID>
<CreateTime>1411525903</CreateTime>
</xml>"""
VECTOR_REPLY_ENCRYPT = (
    "9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bvi"
    "Y0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/"
    "uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFM"
    "NMpatF9XiKzHo3"
)


def test_message_crypto_matches_the_published_vector():
    crypto = wechat.MessageCrypto(VECTOR_TOKEN, VECTOR_KEY, VECTOR_ID)
    body = ("<xml><ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName>\n<Encrypt><![CDATA[" + VECTOR_ENCRYPT + "]]></Encrypt>\n"
            "<AgentID><![CDATA[1]]></AgentID>\n</xml>").encode()
    message = crypto.open_message(body, timestamp="1411525903", nonce="461056294", msg_signature="74d92dfeb87ba7c714f89d98870ae5eb62dff26d")
    assert message["Content"] == "test" and message["FromUserName"] == "messense" and message["MsgId"] == "4363689963896700987"
    sealed = crypto.seal(VECTOR_REPLY, timestamp="1411525903", nonce="461056294", random_prefix=b"1234567890123456")
    fields = {child.tag: child.text for child in SafeElementTree.fromstring(sealed)}
    assert fields == {
        "Encrypt": VECTOR_REPLY_ENCRYPT,
        "MsgSignature": "407518b7649e86ef23978113f92d27afa9296533",
        "TimeStamp": "1411525903",
        "Nonce": "461056294",
    }
    with pytest.raises(wechat.WrongAccount):
        wechat.MessageCrypto(VECTOR_TOKEN, VECTOR_KEY, "wx49f0ab532d5d035b").decrypt(VECTOR_ENCRYPT)


def test_padding_is_pkcs7_with_32_byte_blocks():
    for size in range(0, 100):
        data = os.urandom(size)
        padder = PKCS7(256).padder()
        assert wechat.pad(data) == padder.update(data) + padder.finalize(), size
        assert len(wechat.pad(data)) % 32 == 0 and wechat.unpad(wechat.pad(data)) == data
    assert wechat.pad(b"x" * 16) == b"x" * 16 + b"\x10" * 16  # not a full block of 16 as AES's own would be
    assert wechat.unpad(b"x" * 31 + b"\x01") == b"x" * 31 and wechat.unpad(b"\x20" * 32) == b""
    bad_paddings = [
        b"",  # nothing
        b"x" * 31 + b"\x00",  # zero
        b"x" * 31 + b"\x21",  # more than a block
        b"x" * 64 + b"\x21" * 32,
        b"x" * 29 + b"\x02\x03\x03",  # bytes that differ
        b"x" * 8 + b"\x08" * 8,  # PKCS#7 for AES's 16-byte blocks, not WeChat's 32
        b"x" * 40 + b"\x08" * 8,
    ]
    for bad in bad_paddings:
        with pytest.raises(wechat.BadMessage):
            wechat.unpad(bad)
        unpadder = PKCS7(256).unpadder()
        with pytest.raises(ValueError):  # the library agrees
            unpadder.update(bad) + unpadder.finalize()


def test_message_crypto_round_trip_and_fresh_randomness():
    crypto = wechat.MessageCrypto(TOKEN, AES_KEY, APP_ID)
    xml = message_xml(Content="补办身份证😀要多久").decode()
    first, second = crypto.encrypt(xml), crypto.encrypt(xml)
    assert first != second  # a new random prefix each time
    assert crypto.decrypt(first) == xml.encode() and wechat_decrypt(first) == (xml.encode(), APP_ID.encode())
    assert crypto.decrypt(wechat_encrypt(xml.encode())) == xml.encode()


def test_paths_on_this_site_in_an_answer_become_links_a_phone_can_open(channel):
    client, rasa = channel
    rasa.reply = lambda sender, message: [
        {"recipient_id": sender, "text": "完整对比表：/api/items/compare?codes=A&codes=B\n打印：/api/items/X0002/checklist/print?s=%E5%A4%AB"},
    ]
    content = say(client, "南海和禅城办居住证有什么不同")
    assert "完整对比表：http://testserver/api/items/compare?codes=A&codes=B" in content
    assert "打印：http://testserver/api/items/X0002/checklist/print?s=%E5%A4%AB" in content
    assert wechat.absolute_links("见 https://x.gov.cn/api/items/1/guide", "http://testserver") == "见 https://x.gov.cn/api/items/1/guide"
