"""The channels' API: hand-off queue, drafts and the apply page, feedback, agent and admin routes.

Rasa is replaced by a fake speaking its REST format (httpx.MockTransport); everything else is real.
"""

from __future__ import annotations

import json
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import ApiSettings
from api.store import Store
from index.backends.embedded import EmbeddedBackend
from index.settings import IndexSettings

ID = "11010519491231002X"
MOBILE = "13800138000"


class FakeRasa:
    """Answers by the last message: a dict of message → list of Rasa REST messages."""

    def __init__(self):
        self.script: dict[str, list[dict]] = {}
        self.received: list[dict] = []
        self.down = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("refused")
        body = json.loads(request.content)
        self.received.append(body)
        return httpx.Response(200, json=self.script.get(body["message"], [{"recipient_id": body["sender"], "text": "好的"}]))


@pytest.fixture
def rasa():
    return FakeRasa()


def make_client(tmp_path, rasa, **settings):
    app = create_app(IndexSettings(GUIDE_DATA_DIR=tmp_path), ApiSettings(GUIDE_DATA_DIR=tmp_path, **settings))
    client = TestClient(app)
    client.__enter__()
    app.state.conversations.rasa = httpx.AsyncClient(transport=httpx.MockTransport(rasa.handler), base_url="http://rasa")
    return client


@pytest.fixture
def client(tmp_path, mini_corpus, rasa):
    EmbeddedBackend(tmp_path).apply(mini_corpus)
    client = make_client(tmp_path, rasa)
    yield client
    client.__exit__(None, None, None)


def agent(client) -> dict:
    return {"Authorization": f"Bearer {client.app.state.tokens['agent']}"}


def admin(client) -> dict:
    return {"Authorization": f"Bearer {client.app.state.tokens['admin']}"}


def say(client, text, sender="s1"):
    response = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
    assert response.status_code == 200
    return response.json()


# --- answers, feedback, unanswered -----------------------------------------------------------


def test_an_answer_about_an_item_offers_feedback_and_is_counted(client, rasa, panyu):
    code = panyu["实施编码"]
    rasa.script["要带什么"] = [
        {"recipient_id": "s1", "text": "需要以下材料…"},
        {"recipient_id": "s1", "custom": {"response": "utter_materials", "item_code": code, "item_key": panyu["基本编码"]}},
    ]
    [reply] = say(client, "要带什么")
    assert reply["custom"]["feedback"] is True and reply["custom"]["item_code"] == code
    assert client.post("/api/feedback", json={"sender": "s1", "item_code": code, "helpful": True, "rating": 5}).status_code == 201
    assert client.post("/api/feedback", json={"sender": "s1", "item_code": code, "helpful": False}).status_code == 201
    overview = client.get("/api/admin/overview", headers=admin(client)).json()
    assert overview["top_items"][0]["item_code"] == code and overview["top_items"][0]["name"] == panyu["事项名称"]
    assert overview["ratings"]["helpful"] == 1 and overview["ratings"]["unhelpful"] == 1
    assert overview["ratings"]["average_rating"] == 5.0


def test_feedback_refuses_empty_and_out_of_range(client):
    assert client.post("/api/feedback", json={"sender": "s1"}).status_code == 422
    assert client.post("/api/feedback", json={"rating": 6}).status_code == 422
    assert client.post("/api/feedback", json={"helpful": "maybe"}).status_code == 422


def test_unanswered_questions_are_logged_masked(client, rasa):
    rasa.script[f"我的手机{MOBILE}怎么查社保"] = [
        {"recipient_id": "s1", "text": "抱歉…", "custom": {"response": "utter_out_of_scope"}},
    ]
    say(client, f"我的手机{MOBILE}怎么查社保")
    [logged] = client.get("/api/admin/overview", headers=admin(client)).json()["unanswered"]
    assert logged["text"] == "我的手机138****8000怎么查社保" and logged["response"] == "utter_out_of_scope"


def test_transcripts_never_hold_id_numbers_or_mobiles(client):
    say(client, f"身份证{ID} 电话 {MOBILE}")
    texts = [m["text"] for m in client.app.state.store.transcript("s1")]
    assert ID not in "".join(texts) and MOBILE not in "".join(texts)
    assert "110105********002X" in texts[0]


def test_rasa_down_answers_from_search(client, rasa):
    rasa.down = True
    [reply] = say(client, "番禺办居住证")
    assert "/api/items/" in reply["text"] and reply["custom"]["response"] == "search_fallback"


def test_empty_message_gets_a_prompt_not_an_error(client, rasa):
    [reply] = say(client, "   ")
    assert "请输入" in reply["text"] and rasa.received == []


# --- human hand-off ----------------------------------------------------------------------------


def test_handoff_queues_the_conversation_and_an_agent_replies(client, rasa):
    rasa.script["转人工"] = [{"recipient_id": "s1", "text": "正在为您转人工", "custom": {"response": "utter_human_handoff", "handoff": True}}]
    [reply] = say(client, "转人工")
    assert reply["custom"]["handoff"] == "waiting" and reply["custom"]["position"] == 1
    assert client.get("/api/conversations/s1/status").json()["status"] == "waiting"

    # While waiting, turns do not reach Rasa; the citizen hears where they are.
    received = len(rasa.received)
    [wait] = say(client, "还要多久")
    assert len(rasa.received) == received and "人工" in wait["text"]

    queue = client.get("/api/agent/queue", headers=agent(client)).json()
    assert [(q["sender"], q["status"], q["position"], q["last_message"]) for q in queue] == [("s1", "waiting", 1, "还要多久")]
    roles = [m["role"] for m in client.get("/api/agent/conversations/s1", headers=agent(client)).json()]
    assert roles[:2] == ["citizen", "bot"]

    reply_id = client.post("/api/agent/conversations/s1/reply", json={"text": "您好，我是人工客服"}, headers=agent(client)).json()["id"]
    news = client.get("/api/conversations/s1/messages", params={"after": 0}).json()
    assert [(m["id"], m["role"], m["text"]) for m in news] == [(reply_id, "agent", "您好，我是人工客服")]
    assert client.get("/api/conversations/s1/messages", params={"after": reply_id}).json() == []
    assert say(client, "我想问居住证") == []  # a person answers now
    assert client.post("/api/agent/conversations/s1/close", headers=agent(client)).status_code == 204
    assert client.get("/api/conversations/s1/status").json()["status"] == "bot"
    say(client, "谢谢")
    assert rasa.received[-1]["message"] == "谢谢"


def test_citizen_can_leave_the_queue(client, rasa):
    rasa.script["人工"] = [{"recipient_id": "s2", "text": "转人工", "custom": {"response": "utter_human_handoff", "handoff": True}}]
    say(client, "人工", sender="s2")
    [reply] = say(client, "取消人工", sender="s2")
    assert "已取消" in reply["text"]
    assert client.get("/api/agent/queue", headers=agent(client)).json() == []


def test_agent_and_admin_routes_refuse_without_the_token(client):
    for method, path in [("get", "/api/agent/queue"), ("get", "/api/agent/sent"), ("get", "/api/admin/overview")]:
        assert getattr(client, method)(path).status_code == 401
        assert getattr(client, method)(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.post("/api/agent/send", json={}).status_code == 401
    assert client.post("/api/admin/items", files={"file": ("a.json", b"[]")}).status_code == 401
    # The admin token opens the agent console too; the agent token does not open admin.
    assert client.get("/api/agent/queue", headers=admin(client)).status_code == 200
    assert client.get("/api/admin/overview", headers=agent(client)).status_code == 401


def test_agent_sends_the_checklist_through_the_sender(client, panyu):
    body = {"channel": "sms", "recipient": MOBILE, "item_code": panyu["实施编码"]}
    sent = client.post("/api/agent/send", json=body, headers=agent(client))
    assert sent.status_code == 200
    assert sent.json()["recipient"] == "138****8000" and "申请材料" in sent.json()["text"]
    [recorded] = client.get("/api/agent/sent", headers=agent(client)).json()
    assert recorded["recipient"] == "138****8000" and recorded["text"] == sent.json()["text"]
    bad = client.post("/api/agent/send", json={**body, "recipient": "12345"}, headers=agent(client))
    assert bad.status_code == 422 and "手机号码" in bad.json()["detail"]
    assert client.post("/api/agent/send", json={**body, "item_code": "nope"}, headers=agent(client)).status_code == 404


# --- drafts and the apply page ------------------------------------------------------------------


def apply_reply(rasa, panyu, sender="s1"):
    rasa.script["提交"] = [
        {"recipient_id": sender, "text": "已为您生成申请表"},
        {
            "recipient_id": sender,
            "custom": {
                "response": "utter_apply_ready",
                "apply": {"item_code": panyu["实施编码"], "situation": None, "applicant": {"name": "张三", "mobile": MOBILE, "id_number": ID}},
            },
        },
    ]


def test_a_draft_becomes_a_signed_link_to_a_prefilled_form(client, rasa, panyu):
    apply_reply(rasa, panyu)
    [reply] = say(client, "提交")
    url = reply["custom"]["apply"]["url"]
    assert url in reply["text"] and "/apply/" in url
    assert "applicant" not in json.dumps(reply) and ID not in json.dumps(reply)
    page = client.get(url)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert 'value="张三"' in page.text and ID in page.text and MOBILE in page.text
    for material in panyu["申请材料"]:
        assert material["材料名称"].rstrip("。；;，, ")[:8] in page.text
    if panyu.get("在线办理地址"):
        assert 'id="submit-online"' in page.text
    qr = client.get(reply["custom"]["apply"]["qr"])
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    # The stored draft keeps the applicant encrypted.
    with client.app.state.store.engine.connect() as db:
        stored = db.exec_driver_sql("select applicant from drafts").scalar_one()
    assert "张三" not in stored and ID not in stored and MOBILE not in stored


def test_forged_garbled_and_expired_links_get_a_clear_page(client, tmp_path, rasa, panyu):
    apply_reply(rasa, panyu)
    token = say(client, "提交")[0]["custom"]["apply"]["url"].rsplit("/", 1)[1]
    for bad in [token[:-2] + "xx", "abc", "a" * 400, token.split(".")[0] + ".forged.sig"]:
        page = client.get(f"/apply/{bad}")
        assert page.status_code == 404 and "链接无效" in page.text and "Traceback" not in page.text
    # Another deployment's secret cannot mint a link here.
    from api.drafts import Drafts

    other = Drafts(client.app.state.store, "another-secret").create(panyu, {"name": "李四"})
    assert client.get(f"/apply/{other}").status_code == 404
    expired = Drafts(client.app.state.store, client.app.state.settings.secret("secret_key"), ttl_hours=-1)
    late = expired.create(panyu, {"name": "王五"})
    page = client.get(f"/apply/{late}")
    assert page.status_code in (404, 410) and "Traceback" not in page.text


def test_expired_drafts_are_deleted(client, panyu):
    from api.drafts import Drafts

    store = client.app.state.store
    Drafts(store, "k", ttl_hours=-1).create(panyu, {"name": "王五"})
    assert store.count_drafts() == 1
    assert Drafts(store, "k").purge() == 1 and store.count_drafts() == 0


def test_drafts_survive_a_restart(tmp_path, mini_corpus, rasa, panyu):
    EmbeddedBackend(tmp_path).apply(mini_corpus)
    first = make_client(tmp_path, rasa)
    apply_reply(rasa, panyu)
    url = say(first, "提交")[0]["custom"]["apply"]["url"]
    first.__exit__(None, None, None)
    second = make_client(tmp_path, rasa)
    try:
        page = second.get(url)
        assert page.status_code == 200 and 'value="张三"' in page.text
    finally:
        second.__exit__(None, None, None)


def test_qr_for_any_short_text(client):
    assert client.get("/api/qr", params={"text": "http://127.0.0.1:8000/?sender=k1"}).headers["content-type"].startswith("image/svg+xml")
    assert client.get("/api/qr", params={"text": "x" * 501}).status_code == 422


def test_kiosk_forgets_a_conversation(client):
    say(client, "你好", sender="kiosk-1")
    assert client.delete("/api/conversations/kiosk-1").status_code == 204
    assert client.app.state.store.conversation("kiosk-1") is None
    assert client.app.state.store.transcript("kiosk-1") == []


# --- items for the kiosk and the console ---------------------------------------------------------


def test_checklist_and_themes(client, panyu):
    checklist = client.get(f"/api/items/{panyu['实施编码']}/checklist").json()
    assert checklist["text"].startswith(f"【{panyu['事项名称']}】")
    assert [m["name"] for m in checklist["items"]][0] == panyu["申请材料"][0]["材料名称"].rstrip("。；;，, ")
    themes = client.get("/api/items/themes").json()["themes"]
    names = {item["name"] for theme in themes for item in theme["items"]}
    assert panyu["事项名称"] in names
    assert client.get("/api/items/nope/checklist").status_code == 404


# --- admin upload ---------------------------------------------------------------------------------


def test_admin_upload_loads_good_files_and_refuses_bad_ones(client, panyu):
    new = {**panyu, "实施编码": "NEW0001", "事项名称": "新上线的事项测试"}
    good = client.post("/api/admin/items", files={"file": ("new.json", json.dumps([new], ensure_ascii=False).encode())}, headers=admin(client))
    assert good.status_code == 200 and good.json()["added"] == 1
    assert client.get("/api/items/NEW0001").status_code == 200

    broken = {**panyu, "实施编码": "NEW0002"}
    del broken["申请材料"]
    body = json.dumps([broken, {**panyu, "实施编码": "NEW0003"}], ensure_ascii=False).encode()
    refused = client.post("/api/admin/items", files={"file": ("two.json", body)}, headers=admin(client))
    assert refused.status_code == 422
    [problem] = refused.json()["detail"]["problems"]
    assert problem["code"] == "NEW0002" and problem["field"] == "申请材料" and problem["file"] == "two.json"
    assert client.get("/api/items/NEW0003").status_code == 404  # nothing changed

    partial = client.post("/api/admin/items", files={"file": ("two.json", body)}, data={"partial": "true"}, headers=admin(client))
    assert partial.status_code == 200 and partial.json()["added"] == 1 and partial.json()["rejected"] == 1
    not_utf8 = client.post("/api/admin/items", files={"file": ("gbk.json", "[{\"事项名称\": \"居住证\"}]".encode("gbk"))}, headers=admin(client))
    assert not_utf8.status_code == 422 and "UTF-8" in not_utf8.json()["detail"]["problems"][0]["message"]
    assert client.post("/api/admin/items", files={"file": ("e.json", b"  ")}, headers=admin(client)).status_code == 422


def test_store_is_durable_across_instances(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    Store(url).add_message("a", "citizen", "你好")
    assert [m["text"] for m in Store(url).transcript("a")] == ["你好"]
    assert Store(url).first_sighting("m1") and not Store(url).first_sighting("m1")


# --- rate limiting -----------------------------------------------------------------------------


def test_one_sender_flooding_is_limited_politely_and_others_are_not(tmp_path, mini_corpus, rasa):
    EmbeddedBackend(tmp_path).apply(mini_corpus)
    client = make_client(tmp_path, rasa, rate_limit_per_minute=6, rate_limit_burst=3)
    try:
        replies = [say(client, f"问题{n}", sender="flood")[0] for n in range(6)]
        assert [r.get("custom", {}).get("response") == "rate_limited" for r in replies] == [False] * 3 + [True] * 3
        assert "太快" in replies[-1]["text"]
        assert len(rasa.received) == 3  # the flood never reached the dialogue
        assert say(client, "你好", sender="calm")[0]["text"] == "好的"
        assert len(client.app.state.store.transcript("flood")) == 6  # 3 turns, 3 replies
    finally:
        client.__exit__(None, None, None)


def test_rate_limiter_refills():
    from api.ratelimit import RateLimiter

    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=2, clock=lambda: now[0])
    assert limiter.allow("a") and limiter.allow("a") and not limiter.allow("a")
    assert 0.9 < limiter.retry_after("a") <= 1.0
    now[0] += 1.0
    assert limiter.allow("a") and not limiter.allow("a")
    assert RateLimiter(per_minute=0, burst=0).allow("a")  # off
    small = RateLimiter(per_minute=60, burst=1, max_keys=2, clock=lambda: now[0])
    for key in "abc":
        small.allow(key)
    assert len(small._buckets) == 2


def test_forgetting_a_kiosk_conversation_deletes_rasas_record_too(client, tmp_path):
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'tracker.sqlite'}"
    engine = sa.create_engine(url)
    with engine.begin() as db:  # the shape of Rasa's SQL tracker store table
        db.exec_driver_sql("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, data TEXT)")
        db.exec_driver_sql("INSERT INTO events (sender_id, data) VALUES ('kiosk-9', '{}'), ('kiosk-9', '{}'), ('other', '{}')")
    say(client, "你好", sender="kiosk-9")
    assert client.delete("/api/conversations/kiosk-9").status_code == 204
    with engine.connect() as db:
        assert [r[0] for r in db.exec_driver_sql("SELECT sender_id FROM events")] == ["other"]


def test_an_empty_reply_from_rasa_means_the_action_server_is_down(client, rasa):
    rasa.script["番禺办居住证"] = []
    [reply] = say(client, "番禺办居住证")
    assert reply["custom"]["response"] == "search_fallback"


def test_logs_mask_personal_data_and_draft_links():
    import logging

    from api.logs import PersonalDataFilter

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/api/items/search?q=身份证11010519491231002X手机13800138000", "1.1", 200), None)
    PersonalDataFilter().filter(record)
    assert len(record.args) == 5  # uvicorn's access formatter unpacks five
    assert "11010519491231002X" not in record.getMessage() and "13800138000" not in record.getMessage()
    assert "110105********002X" in record.getMessage()
    link = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '"GET %s"', ("/apply/abc.def.ghi/qr.svg",), None)
    PersonalDataFilter().filter(link)
    assert link.getMessage() == '"GET /apply/…/qr.svg"'


def test_the_app_installs_the_log_filter(client):
    import logging

    from api.logs import PersonalDataFilter

    assert any(isinstance(f, PersonalDataFilter) for f in logging.getLogger("uvicorn.access").filters)
