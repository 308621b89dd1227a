"""The WeChat Official Account channel (plaintext mode), with Rasa replaced by a fake."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from contextlib import ExitStack
from xml.sax.saxutils import escape

import defusedxml.ElementTree as SafeElementTree
import httpx
import pytest
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
    # Sent again as the wait text asks: the answer, without a second turn.
    rasa.delay = 0
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
