"""The production paths on real servers: PostgreSQL (drafts, transcripts, Rasa's tracker store)
and Redis (Rasa's lock store, which serializes one conversation's turns across Rasa instances).

Run against servers named by GUIDE_TEST_POSTGRES_URL and GUIDE_TEST_REDIS_URL (`.ci/run` installs
both from Debian's packages and starts them on loopback). Without them the tests are skipped,
unless GUIDE_REQUIRE_SERVICES=1 (as in CI), where a missing server is a failure.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import pytest

POSTGRES = os.environ.get("GUIDE_TEST_POSTGRES_URL")
REDIS = os.environ.get("GUIDE_TEST_REDIS_URL")
REQUIRED = os.environ.get("GUIDE_REQUIRE_SERVICES") == "1"


def need(url: str | None, what: str) -> str:
    if not url:
        if REQUIRED:
            pytest.fail(f"{what} is required (GUIDE_REQUIRE_SERVICES=1) but its URL is not set")
        pytest.skip(f"{what}: set its URL to run")
    return url


@pytest.fixture
def postgres() -> str:
    return need(POSTGRES, "PostgreSQL")


@pytest.fixture
def redis_url() -> str:
    return need(REDIS, "Redis")


def test_store_and_drafts_on_postgresql(postgres, panyu):
    from api.drafts import Drafts
    from api.store import Store

    store = Store(postgres)
    sender = f"pg-{uuid.uuid4().hex}"
    store.add_message(sender, "citizen", "身份证11010519491231002X要带什么")
    assert store.transcript(sender)[0]["text"] == "身份证110105********002X要带什么"
    store.set_status(sender, "waiting")
    assert store.queue_position(sender) is not None
    token = Drafts(store, "pg-secret").create(panyu, {"name": "张三", "id_number": "11010519491231002X"}, sender=sender)
    store.close()
    # Another connection (a restarted API) reads the same draft.
    again = Store(postgres)
    assert Drafts(again, "pg-secret").open(token)["applicant"]["name"] == "张三"
    msg_id = uuid.uuid4().hex
    assert again.first_sighting(msg_id) and not again.first_sighting(msg_id)
    again.close()


def test_api_on_postgresql_keeps_drafts_across_restarts(postgres, tmp_path, mini_corpus, panyu):
    from fastapi.testclient import TestClient

    from api.main import create_app
    from api.settings import ApiSettings
    from index.backends.embedded import EmbeddedBackend
    from index.settings import IndexSettings

    EmbeddedBackend(tmp_path).apply(mini_corpus)

    def app():
        return create_app(IndexSettings(GUIDE_DATA_DIR=tmp_path), ApiSettings(GUIDE_DATA_DIR=tmp_path, database_url=postgres))

    with TestClient(app()) as client:
        token = client.app.state.drafts.create(panyu, {"name": "李四"})
    with TestClient(app()) as client:
        page = client.get(f"/apply/{token}")
        assert page.status_code == 200 and 'value="李四"' in page.text


def test_rasa_tracker_store_on_postgresql(postgres, monkeypatch, tmp_path):
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.tracker_store import PrivateSQLTrackerStore

    monkeypatch.setenv("GUIDE_DATA_DIR", str(tmp_path))
    domain = Domain.load("bot/domain.yml")
    store = PrivateSQLTrackerStore(domain=domain, url=postgres)
    sender = f"pg-{uuid.uuid4().hex}"
    tracker = DialogueStateTracker(sender, domain.slots)
    tracker.update(UserUttered("我的手机13800138000", {"name": "inform_item", "confidence": 0.9}))
    tracker.update(SlotSet("applicant_mobile", "13800138000"))
    asyncio.run(store.save(tracker))
    back = asyncio.run(PrivateSQLTrackerStore(domain=domain, url=postgres).retrieve(sender))
    assert back.get_slot("applicant_mobile") == "13800138000"
    assert back.latest_message.text == "我的手机138****8000"
    with store.engine.connect() as db:
        stored = " ".join(r[0] for r in db.exec_driver_sql("SELECT data FROM events WHERE sender_id = %s", (sender,)))
    assert "13800138000" not in stored


def test_redis_lock_store_serializes_one_conversation(redis_url):
    from rasa.core.lock_store import RedisLockStore
    from redis import from_url

    parsed = from_url(redis_url).connection_pool.connection_kwargs
    store = RedisLockStore(host=parsed.get("host", "127.0.0.1"), port=parsed.get("port", 6379), db=parsed.get("db", 0))
    conversation = f"lock-{uuid.uuid4().hex}"
    spans: list[tuple[str, float, float]] = []

    async def turn(name: str, conversation_id: str):
        async with store.lock(conversation_id, wait_time_in_seconds=0.05):
            start = time.monotonic()
            await asyncio.sleep(0.3)
            spans.append((name, start, time.monotonic()))

    async def main():
        await asyncio.gather(turn("a", conversation), turn("b", conversation), turn("other", f"{conversation}-2"))

    asyncio.run(main())
    by_name = {name: (start, end) for name, start, end in spans}
    a, b = by_name["a"], by_name["b"]
    assert a[1] <= b[0] or b[1] <= a[0], "two turns of one conversation overlapped"
    other = by_name["other"]
    assert other[0] < max(a[1], b[1]) and other[0] < min(a[1], b[1]), "another conversation had to wait"
