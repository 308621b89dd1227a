"""WeChat customer-service messages (客服消息): late answers, agents' replies and checklists sent
through WeChat's API, here a fake of it served by uvicorn on a loopback port, with its access
token shared by API workers, refreshed when refused, and WeChat's 48-hour rule kept."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api import wechat
from api.outbox import RecordingSender
from api.processes import free_port
from api.settings import ApiSettings
from api.shared_state import SharedState
from api.store import Store
from api.wechat_api import UNREACHABLE, WeChatApi, WeChatApiError
from api.wechat_sender import WeChatSender, with_wechat
from tests.test_wechat import ACCOUNT, OPENID, make_client, message_xml, post, signed  # noqa: F401 (make_client: fixture)

ROOT = Path(__file__).resolve().parent.parent
APP_ID = "wx0123456789abcdef"
SECRET = "s3cr3t-AppSecret-0123456789abcdef"


class FakeWeChat:
    """WeChat's stable_token and custom/send as documented, recording every request. A token is
    refused once :meth:`expire` (42001; a normal stable_token call then gives a new one) or
    :meth:`revoke` (40001, though stable_token keeps handing it out until forced) is called;
    ``send_errcodes`` are answered to the next sends."""

    def __init__(self):
        self.app = Starlette(routes=[
            Route("/cgi-bin/stable_token", self.stable_token, methods=["POST"]),
            Route("/cgi-bin/message/custom/send", self.custom_send, methods=["POST"]),
        ])
        self.url = ""
        self.reset()

    def reset(self) -> None:
        self.requests: list[dict] = []
        self.delivered: list[tuple[str, str]] = []
        self.issued: list[str] = []
        self.valid: set[str] = set()
        self.expired: set[str] = set()
        self.revoked: set[str] = set()
        self.send_errcodes: list[int] = []
        self.token_delay = 0.0

    @property
    def current(self) -> str | None:
        return self.issued[-1] if self.issued else None

    def calls(self, path_end: str) -> list[dict]:
        return [r for r in self.requests if r["path"].endswith(path_end)]

    async def _record(self, request: Request) -> dict:
        raw = await request.body()
        entry = {"path": request.url.path, "query": dict(request.query_params), "raw": raw, "body": json.loads(raw),
                 "content_type": request.headers.get("content-type", "")}
        self.requests.append(entry)
        return entry["body"]

    async def stable_token(self, request: Request) -> JSONResponse:
        body = await self._record(request)
        await asyncio.sleep(self.token_delay)
        if body.get("appid") != APP_ID or body.get("secret") != SECRET:
            return JSONResponse({"errcode": 40125, "errmsg": "invalid appsecret rid: 1"})
        if body.get("force_refresh") or self.current not in self.valid:
            self.valid.discard(self.current)
            self.issued.append(f"ACCESS_TOKEN_{len(self.issued) + 1}_{time.monotonic_ns()}")
            self.valid.add(self.current)
        return JSONResponse({"access_token": self.current, "expires_in": 7200})

    async def custom_send(self, request: Request) -> JSONResponse:
        body = await self._record(request)
        token = request.query_params.get("access_token")
        if token in self.expired:
            return JSONResponse({"errcode": 42001, "errmsg": "access_token expired"})
        if token not in self.valid or token in self.revoked:
            return JSONResponse({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"})
        if self.send_errcodes:
            return JSONResponse({"errcode": self.send_errcodes.pop(0), "errmsg": "refused"})
        self.delivered.append((body["touser"], body["text"]["content"]))
        return JSONResponse({"errcode": 0, "errmsg": "ok"})

    def expire(self) -> None:
        self.expired.add(self.current)
        self.valid.discard(self.current)

    def revoke(self) -> None:
        self.revoked.add(self.current)


@pytest.fixture(scope="module")
def wechat_server():
    fake = FakeWeChat()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(fake.app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, lifespan="off", ws="none"))
    thread = threading.Thread(target=server.run, name="fake-wechat-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the fake WeChat API did not start"
        time.sleep(0.02)
    fake.url = f"http://127.0.0.1:{port}"
    yield fake
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def fake(wechat_server) -> FakeWeChat:
    wechat_server.reset()
    return wechat_server


def make_api(fake: FakeWeChat, path: Path, **options) -> WeChatApi:
    return WeChatApi(APP_ID, SECRET, SharedState(path, **options), base_url=fake.url)


@pytest.fixture
def connected(make_client, fake):
    """An app whose WeChat API is the fake: (client, fake Rasa, fake WeChat)."""
    client, rasa = make_client(wechat_app_id=APP_ID, wechat_app_secret=SECRET, wechat_api_url=fake.url)
    return client, rasa, fake


def agent(client) -> dict:
    return {"Authorization": f"Bearer {client.app.state.tokens['agent']}"}


def wrote(client, text: str = "你好", openid: str = OPENID) -> None:
    """The citizen writes to the account (which opens WeChat's 48 hours)."""
    assert post(client, message_xml(Content=text, openid=openid)).status_code == 200


def until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# -- the client and its shared token --------------------------------------------------------------


def test_request_shapes_and_one_token_for_many_messages(fake, tmp_path):
    api = make_api(fake, tmp_path / "shared.sqlite")
    api.send_text(OPENID, "您好，办理居住证需要：1. 居民身份证")
    api.send_text(OPENID, "第二条")
    [token_call] = fake.calls("stable_token")
    assert token_call["body"] == {"grant_type": "client_credential", "appid": APP_ID, "secret": SECRET, "force_refresh": False}
    assert token_call["query"] == {}  # the secret is never in a URL
    sends = fake.calls("custom/send")
    assert [s["query"] for s in sends] == [{"access_token": fake.issued[0]}] * 2
    assert sends[0]["body"] == {"touser": OPENID, "msgtype": "text", "text": {"content": "您好，办理居住证需要：1. 居民身份证"}}
    # Chinese as UTF-8, not \\u escapes (WeChat would show those as typed)
    assert "居民身份证".encode() in sends[0]["raw"] and sends[0]["content_type"].startswith("application/json")
    assert fake.delivered == [(OPENID, "您好，办理居住证需要：1. 居民身份证"), (OPENID, "第二条")]


def test_two_workers_sending_at_once_fetch_the_token_once(fake, tmp_path):
    fake.token_delay = 0.5  # a slow fetch: without the lease both workers would fetch
    path = tmp_path / "shared.sqlite"
    workers = [make_api(fake, path), make_api(fake, path)]
    start = threading.Barrier(2)
    errors = []

    def send(api, n):
        start.wait()
        try:
            api.send_text(OPENID, f"消息{n}")
        except Exception as exc:  # pragma: no cover - shown by the assertion
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(api, n)) for n, api in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    assert len(fake.calls("stable_token")) == 1
    assert sorted(content for _, content in fake.delivered) == ["消息0", "消息1"]


CHILD = """
import os, sys, time
from pathlib import Path
from api.shared_state import SharedState
from api.wechat_api import WeChatApi
path, url, go, openid = sys.argv[1:5]
api = WeChatApi(os.environ["APP_ID"], os.environ["APP_SECRET"], SharedState(path), base_url=url)
print("ready", flush=True)
while not Path(go).exists():
    time.sleep(0.005)
api.send_text(openid, "来自进程 " + str(os.getpid()))
"""


def test_two_api_processes_share_one_token(fake, tmp_path):
    fake.token_delay = 0.5
    go = tmp_path / "go"
    env = {"APP_ID": APP_ID, "APP_SECRET": SECRET, "PATH": "/usr/bin:/bin"}
    args = [sys.executable, "-c", CHILD, str(tmp_path / "shared.sqlite"), fake.url, str(go), OPENID]
    children = [subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        for child in children:
            assert child.stdout.readline().strip() == "ready", child.stderr.read()
        go.touch()
        for child in children:
            assert child.wait(60) == 0, child.stderr.read()
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
    assert len(fake.calls("stable_token")) == 1
    assert len(fake.delivered) == 2 and {s["query"]["access_token"] for s in fake.calls("custom/send")} == {fake.issued[0]}


def test_token_renewed_a_little_before_it_expires(fake, tmp_path):
    now = [1_000_000.0]
    api = make_api(fake, tmp_path / "shared.sqlite", clock=lambda: now[0])
    api.send_text(OPENID, "一")
    now[0] += 7200 - 301  # still five minutes and a second left: kept
    api.send_text(OPENID, "二")
    assert len(fake.calls("stable_token")) == 1
    now[0] += 2  # within five minutes of expiry: fetched again (normally, not forced)
    api.send_text(OPENID, "三")
    assert [c["body"]["force_refresh"] for c in fake.calls("stable_token")] == [False, False]


def test_token_expired_mid_run_is_fetched_again_and_the_message_sent_again(fake, tmp_path):
    api = make_api(fake, tmp_path / "shared.sqlite")
    api.send_text(OPENID, "一")
    fake.expire()
    api.send_text(OPENID, "二")
    assert [r["path"].rsplit("/", 1)[-1] for r in fake.requests] == ["stable_token", "send", "send", "stable_token", "send"]
    assert fake.requests[3]["body"]["force_refresh"] is False  # an expired token: a normal fetch renews it
    assert fake.delivered == [(OPENID, "一"), (OPENID, "二")]
    # The other worker takes the new token from the shared state, no fetch of its own.
    make_api(fake, tmp_path / "shared.sqlite").send_text(OPENID, "三")
    assert len(fake.calls("stable_token")) == 2 and fake.calls("send")[-1]["query"]["access_token"] == fake.issued[1]


def test_revoked_token_still_handed_out_is_replaced_by_a_forced_refresh(fake, tmp_path):
    api = make_api(fake, tmp_path / "shared.sqlite")
    api.send_text(OPENID, "一")
    fake.revoke()  # 40001, though stable_token still gives it out
    api.send_text(OPENID, "二")
    assert [c["body"]["force_refresh"] for c in fake.calls("stable_token")] == [False, False, True]
    assert fake.delivered == [(OPENID, "一"), (OPENID, "二")] and len(fake.issued) == 2


def test_a_token_refused_again_after_the_refresh_is_an_error_not_a_loop(fake, tmp_path):
    api = make_api(fake, tmp_path / "shared.sqlite")
    fake.send_errcodes = [40001, 40001, 40001]
    with pytest.raises(WeChatApiError) as refused:
        api.send_text(OPENID, "一")
    assert refused.value.errcode == 40001 and len(fake.calls("custom/send")) == 2


def test_wrong_secret_is_a_clear_error_with_a_hint(fake, tmp_path, caplog):
    api = WeChatApi(APP_ID, "wrong-secret", SharedState(tmp_path / "shared.sqlite"), base_url=fake.url)
    with pytest.raises(WeChatApiError) as refused:
        api.send_text(OPENID, "一")
    assert refused.value.errcode == 40125 and "GUIDE_API_WECHAT_APP_SECRET" in caplog.text
    assert fake.calls("custom/send") == []
    # the lease was given back: the next attempt fetches at once
    assert api.shared.token_or_lease(api.key, refresh_before=300, min_gap=30, lease=10) == (None, True)


# -- the gateway: 48 hours, WeChat's refusals, the outbox -----------------------------------------


def gateway(fake, tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'app.sqlite'}")
    return with_wechat(RecordingSender(store), make_api(fake, tmp_path / "shared.sqlite"), store), store


def test_window_closed_is_refused_without_asking_wechat(fake, tmp_path):
    sender, store = gateway(fake, tmp_path)
    assert store.first_sighting("1001", wrote=OPENID)
    with store.engine.begin() as db:
        db.exec_driver_sql("UPDATE wechat_contacts SET wrote_at = wrote_at - 48 * 3600 - 60")
    with pytest.raises(Exception) as refused:
        sender.send("wechat", OPENID, "您好")
    assert str(refused.value) == UNREACHABLE and refused.value.status == "unreachable"
    with pytest.raises(Exception):
        sender.send("wechat", "o_never_wrote", "您好")
    assert fake.requests == []  # not even a token
    assert [row["status"] for row in store.sent()] == ["unreachable", "unreachable"]
    # within the window it goes
    assert store.first_sighting("1002", wrote=OPENID)
    assert sender.send("wechat", OPENID, "您好").status == "sent"


def test_sms_still_goes_to_the_configured_sender(fake, tmp_path):
    sender, store = gateway(fake, tmp_path)
    sent = sender.send("sms", "13800138000", "材料清单")
    assert (sent.recipient, sent.status) == ("138****8000", "recorded") and fake.requests == []
    with pytest.raises(ValueError):
        WeChatSender(make_api(fake, tmp_path / "shared.sqlite"), store).send("sms", "13800138000", "x")


def test_without_app_secret_there_is_no_client():
    assert WeChatApi.from_settings(ApiSettings(wechat_app_id=APP_ID), None) is None
    assert WeChatApi.from_settings(ApiSettings(wechat_app_secret=SECRET), None) is None


def test_outbox_of_an_older_database_gets_its_status_column(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE outbox (id INTEGER PRIMARY KEY, channel VARCHAR(16) NOT NULL, "
                   "recipient VARCHAR(128) NOT NULL, text TEXT NOT NULL, created_at FLOAT NOT NULL)")
        db.execute("INSERT INTO outbox VALUES (1, 'sms', '138****8000', '旧消息', 1.0)")
    store = Store(f"sqlite:///{path}")
    store.add_outbox("wechat", "o1", "新消息", status="sent")
    assert [(r["text"], r["status"]) for r in store.sent()] == [("新消息", "sent"), ("旧消息", "recorded")]


# -- through the app: late answers, agents' replies, checklists ----------------------------------


def test_late_answer_follows_as_a_customer_service_message_after_success(make_client, fake):
    client, rasa = make_client(wechat_deadline_seconds=0.2, wechat_app_id=APP_ID, wechat_app_secret=SECRET, wechat_api_url=fake.url)
    rasa.delay = 1.0
    body = message_xml(Content="办居住证要带什么", msg_id="880001")
    started = time.monotonic()
    response = post(client, body)
    assert time.monotonic() - started < 0.9
    assert response.text == "success"  # nothing now, and no "send it again" either
    # WeChat's retry of the same delivery, and the citizen sending the question again meanwhile
    assert post(client, body, signed(nonce="retry")).text == "success"
    assert post(client, message_xml(Content="办居住证要带什么")).text == "success"
    until(lambda: fake.delivered)
    assert fake.delivered == [(OPENID, "您问的是：办居住证要带什么")]
    assert rasa.received == ["办居住证要带什么"]  # one turn
    until(lambda: not client.app.state.wechat_late.waiting)
    [sent] = client.get("/api/agent/sent", headers=agent(client)).json()
    assert (sent["channel"], sent["status"], sent["text"]) == ("wechat", "sent", "您问的是：办居住证要带什么")
    # a fast answer is still a passive reply
    rasa.delay = 0
    client.app.state.settings.wechat_deadline_seconds = 4.0
    assert "您问的是：要多久" in post(client, message_xml(Content="要多久")).text
    assert len(fake.delivered) == 1


def test_late_turn_that_fails_sends_the_apology(make_client, fake):
    client, rasa = make_client(wechat_deadline_seconds=0.2, wechat_app_id=APP_ID, wechat_app_secret=SECRET, wechat_api_url=fake.url)

    async def broken(sender, text, **kwargs):
        await asyncio.sleep(0.5)
        raise RuntimeError("boom")

    client.app.state.conversations.converse = broken
    assert post(client, message_xml(Content="办居住证")).text == "success"
    until(lambda: fake.delivered)
    assert fake.delivered == [(OPENID, wechat.FAILED)]


def test_without_the_secret_a_late_answer_is_still_collected_by_asking_again(make_client, fake):
    client, rasa = make_client(wechat_deadline_seconds=0.2, wechat_app_id=APP_ID, wechat_api_url=fake.url)
    rasa.delay = 1.0
    assert wechat.WAIT in post(client, message_xml(Content="办居住证")).text
    time.sleep(1.2)
    assert fake.requests == []


def test_agent_reply_is_delivered_to_the_wechat_citizen(connected):
    client, _, fake = connected
    wrote(client, "转人工")
    client.app.state.store.set_status(OPENID, "human", channel="wechat")
    reply = client.post(f"/api/agent/conversations/{OPENID}/reply", json={"text": "您好，我是人工客服小李"}, headers=agent(client))
    assert reply.status_code == 200
    assert fake.delivered == [(OPENID, "您好，我是人工客服小李")]
    roles = [(m["role"], m["text"]) for m in client.get(f"/api/agent/conversations/{OPENID}", headers=agent(client)).json()]
    assert roles[-1] == ("agent", "您好，我是人工客服小李")
    assert client.get("/api/agent/sent", headers=agent(client)).json()[0]["status"] == "sent"


def test_quota_used_up_tells_the_agent_to_call(connected):
    client, _, fake = connected
    wrote(client)
    client.app.state.store.set_status(OPENID, "human", channel="wechat")
    fake.send_errcodes = [45047]
    reply = client.post(f"/api/agent/conversations/{OPENID}/reply", json={"text": "请问还有什么问题"}, headers=agent(client))
    assert reply.status_code == 409
    assert reply.json()["detail"] == {"code": "unreachable", "message": UNREACHABLE}
    assert "请改为电话联系" in UNREACHABLE and "48小时" in UNREACHABLE
    # not in the transcript (it did not reach the citizen); in the outbox as unreachable
    roles = [m["role"] for m in client.get(f"/api/agent/conversations/{OPENID}", headers=agent(client)).json()]
    assert "agent" not in roles
    assert client.get("/api/agent/sent", headers=agent(client)).json()[0]["status"] == "unreachable"
    fake.send_errcodes = [45015]
    again = client.post(f"/api/agent/conversations/{OPENID}/reply", json={"text": "在吗"}, headers=agent(client))
    assert again.status_code == 409 and again.json()["detail"]["message"] == UNREACHABLE


def test_reply_past_48_hours_is_refused_without_calling_wechat(connected):
    client, _, fake = connected
    wrote(client)
    store = client.app.state.store
    store.set_status(OPENID, "human", channel="wechat")
    with store.engine.begin() as db:
        db.exec_driver_sql("UPDATE wechat_contacts SET wrote_at = wrote_at - 49 * 3600")
    reply = client.post(f"/api/agent/conversations/{OPENID}/reply", json={"text": "您好"}, headers=agent(client))
    assert reply.status_code == 409 and reply.json()["detail"]["message"] == UNREACHABLE
    assert fake.requests == []


def test_checklist_is_delivered_to_a_wechat_citizen(connected, panyu):
    client, _, fake = connected
    body = {"channel": "wechat", "recipient": OPENID, "item_code": panyu["实施编码"]}
    # a subscribe event opens WeChat's window for a minute only: not enough for a checklist later
    assert post(client, message_xml("event", Event="subscribe")).status_code == 200
    refused = client.post("/api/agent/send", json=body, headers=agent(client))
    assert refused.status_code == 409 and fake.requests == []
    wrote(client, "我想办居住证签注")
    sent = client.post("/api/agent/send", json=body, headers=agent(client))
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    [(to, content)] = fake.delivered
    assert to == OPENID and "申请材料" in content and content == sent.json()["text"]


def test_wechat_down_is_a_clear_502_not_a_500(make_client, panyu):
    client, _ = make_client(wechat_app_id=APP_ID, wechat_app_secret=SECRET, wechat_api_url=f"http://127.0.0.1:{free_port()}")
    wrote(client)
    body = {"channel": "wechat", "recipient": OPENID, "item_code": panyu["实施编码"]}
    response = client.post("/api/agent/send", json=body, headers=agent(client))
    assert response.status_code == 502 and response.json()["detail"]["code"] == "gateway_unavailable"
    assert "电话" in response.json()["detail"]["message"]


# -- retries from WeChat, and what the logs may hold ------------------------------------------------


def test_dedup_key_is_msgid_or_sender_and_create_time():
    text = wechat.parse_message(message_xml(Content="你好", msg_id="123456789"))
    assert wechat.dedup_key(text) == "123456789"
    event = {"FromUserName": OPENID, "CreateTime": "1700000000", "MsgType": "event"}
    assert wechat.dedup_key(event) == f"{OPENID}:1700000000"
    assert wechat.dedup_key({**event, "CreateTime": "1700000001"}) != wechat.dedup_key(event)
    assert wechat.dedup_key({**event, "FromUserName": "o_other"}) != wechat.dedup_key(event)


def test_retried_events_are_taken_once_per_sender_and_time(connected):
    client, _, _ = connected

    def event(openid: str, created: int) -> bytes:
        return (f"<xml><ToUserName>{ACCOUNT}</ToUserName><FromUserName>{openid}</FromUserName><CreateTime>{created}"
                "</CreateTime><MsgType>event</MsgType><Event>subscribe</Event></xml>").encode()

    now = int(time.time())
    assert "欢迎" in post(client, event("o_evt_1", now)).text
    assert post(client, event("o_evt_1", now), signed(nonce="retry")).text == "success"
    assert "欢迎" in post(client, event("o_evt_2", now)).text  # another citizen, the same second
    assert "欢迎" in post(client, event("o_evt_1", now + 5)).text  # the same citizen, later


def test_secret_and_tokens_never_reach_the_logs(connected, caplog, tmp_path):
    client, _, fake = connected
    caplog.set_level(logging.DEBUG)
    wrote(client)
    client.app.state.store.set_status(OPENID, "human", channel="wechat")
    headers = agent(client)
    assert client.post(f"/api/agent/conversations/{OPENID}/reply", json={"text": "一"}, headers=headers).status_code == 200
    fake.revoke()
    assert client.post(f"/api/agent/conversations/{OPENID}/reply", json={"text": "二"}, headers=headers).status_code == 200
    fake.send_errcodes = [45047]
    assert client.post(f"/api/agent/conversations/{OPENID}/reply", json={"text": "三"}, headers=headers).status_code == 409
    with pytest.raises(WeChatApiError):
        WeChatApi(APP_ID, "wrong-" + SECRET, SharedState(tmp_path / "other.sqlite"), base_url=fake.url).send_text(OPENID, "四")
    logged = caplog.text + "".join(repr(r.args) for r in caplog.records)
    assert "access_token=***" in logged  # httpx did log the URLs: with the token cut out
    assert len(fake.issued) == 2
    for secret in (SECRET, *fake.issued):
        assert secret not in logged
    assert SECRET not in repr(client.app.state.settings)


def test_a_logged_settings_object_shows_no_secret():
    from api.settings import ApiSettings

    settings = ApiSettings(
        wechat_token="TOKEN-1", wechat_encoding_aes_key="K" * 43, wechat_app_secret="APPSECRET-1", admin_token="ADMIN-1",
        agent_token="AGENT-1", secret_key="KEY-1", database_url="postgresql://guide:PASSWORD-1@db/guide",
    )
    shown = repr(settings) + str(settings)
    for secret in ("TOKEN-1", "K" * 43, "APPSECRET-1", "ADMIN-1", "AGENT-1", "KEY-1", "PASSWORD-1"):
        assert secret not in shown
    assert settings.wechat_token == "TOKEN-1"  # still there for the code that needs it
