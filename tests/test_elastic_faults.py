"""Elasticsearch down, slow or talking nonsense: the backend says BackendUnavailable within its
timeout (never another exception, never a hang), the dialogue and the API answer politely, and
everything works again when the cluster is back — on the same backend, without a restart.

Runs against tests/fake_elasticsearch.py (a small HTTP server speaking enough of Elasticsearch's
REST API), so no cluster is needed. Times to fail are printed (``pytest -s``); the bounds asserted
are generous (3 × the timeout) so that a loaded CI does not flake.
"""

from __future__ import annotations

import time

import httpx
import pytest

from actions.guide import Guide, State
from index.backends.elastic import ElasticBackend
from index.errors import BackendUnavailable
from index.search import Searcher

from fake_elasticsearch import FakeElasticsearch

SEARCH_TIMEOUT = 0.4  # what a citizen waits for
TIMEOUT = 0.8  # loads and whole-index reads
SLOW = 5.0  # the fake's delay in slow mode: far longer than any timeout here


@pytest.fixture
def fake(mini_corpus):
    server = FakeElasticsearch(delay=SLOW)
    server.load(mini_corpus)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def make_backend(fake):
    made = []

    def make(**options) -> ElasticBackend:
        options = {"timeout": TIMEOUT, "search_timeout": SEARCH_TIMEOUT, "retry_after": 0.0, **options}
        backend = ElasticBackend(fake.url, **options)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


def timed(fn):
    """(result or exception, seconds)."""
    started = time.monotonic()
    try:
        outcome = fn()
    except Exception as exc:  # noqa: BLE001 - returned for the test to judge
        outcome = exc
    return outcome, time.monotonic() - started


def assert_unavailable(outcome, elapsed: float, limit: float, what: str) -> None:
    print(f"\n{what}: {type(outcome).__name__} after {elapsed * 1000:.0f} ms")
    assert isinstance(outcome, BackendUnavailable), f"{what}: {outcome!r}"
    assert elapsed < 3 * limit, f"{what}: took {elapsed:.2f}s, timeout {limit}s"


# -- up ---------------------------------------------------------------------------------------------


def test_up_the_backend_reads_the_fake_like_a_cluster(fake, make_backend, panyu):
    backend = make_backend()
    result = Searcher(backend).search("补办身份证")
    assert result.groups, "no groups"
    assert result.groups[0].item_key == "442106020003"
    assert {h.code for h in result.groups[0].hits} == {"X0005", "X0006"}
    assert backend.count() == 8
    assert backend.get("X0005")["事项名称"] == "居民身份证补领"
    assert backend.get("NOPE") is None
    assert sorted(backend.get_many(["X0005", "X0006", "NOPE"])) == ["X0005", "X0006"]
    assert backend.implementations("442106020003") == [("X0005", "广东省佛山市南海区"), ("X0006", "广东省深圳市福田区")]
    assert len(list(backend.iter_records())) == 8
    assert "居民身份证补领" in backend.analyzer.lexicon  # from the live index's mapping _meta
    assert fake.requests_to("_mapping") >= 1


# -- every public method, every fault ---------------------------------------------------------------


def _op(name: str):
    """The call under test and the timeout that bounds it."""
    return {
        "lexicon": (lambda b: b.analyzer, SEARCH_TIMEOUT),
        "search": (lambda b: Searcher(b).search("补办身份证"), SEARCH_TIMEOUT),
        "get": (lambda b: b.get("X0005"), SEARCH_TIMEOUT),
        "get_many": (lambda b: b.get_many(["X0005", "X0006"]), SEARCH_TIMEOUT),
        "implementations": (lambda b: b.implementations("442106020003"), SEARCH_TIMEOUT),
        "count": (lambda b: b.count(), SEARCH_TIMEOUT),
        "iter_records": (lambda b: list(b.iter_records()), TIMEOUT),
        "apply": (lambda b: b.apply([]), TIMEOUT),
    }[name]


OPERATIONS = ["lexicon", "search", "get", "get_many", "implementations", "count", "iter_records", "apply"]
# Each operation and the request it is mostly about: a fault there must be caught too, not only
# on the alias lookup that comes first.
MAIN_REQUESTS = [
    ("lexicon", "/_alias/"),
    ("lexicon", "/_mapping"),
    ("search", "/_search"),
    ("get", "/_mget"),
    ("get_many", "/_mget"),
    ("implementations", "/_search"),
    ("count", "/_count"),
    ("iter_records", "/guide-items/_search"),
    ("iter_records", "/_search/scroll"),
]
FAULTS = [
    ("slow", 500),
    ("error", 500),
    ("error", 503),
    ("garbage", 200),
    ("html", 200),
    ("wrong_shape", 200),
]


def _warm(backend: ElasticBackend, operation: str) -> None:
    # A search needs the lexicon first; load it while the cluster is up, so that the fault meets
    # the search itself (the lexicon fault has its own cases).
    if operation == "search":
        Searcher(backend).search("补办身份证")


@pytest.mark.parametrize("operation", OPERATIONS)
def test_down_is_unavailable_at_once(fake, make_backend, operation):
    backend = make_backend()
    _warm(backend, operation)
    fake.set_mode("down")
    call, limit = _op(operation)
    outcome, elapsed = timed(lambda: call(backend))
    assert_unavailable(outcome, elapsed, limit, f"down, {operation}")


@pytest.mark.parametrize("mode,status", FAULTS, ids=[f"{m}-{s}" for m, s in FAULTS])
@pytest.mark.parametrize("operation,request_path", MAIN_REQUESTS, ids=[f"{o}{p.replace('/', '_')}" for o, p in MAIN_REQUESTS])
def test_faults_are_unavailable_within_the_timeout(fake, make_backend, operation, request_path, mode, status):
    backend = make_backend()
    _warm(backend, operation)
    fake.set_mode(mode, status=status, only=request_path)
    call, limit = _op(operation)
    outcome, elapsed = timed(lambda: call(backend))
    assert_unavailable(outcome, elapsed, limit, f"{mode} {status} on {request_path}, {operation}")
    assert fake.requests_to(request_path.rstrip("/")) >= 1, "the fault was never reached"


def test_a_slow_search_gives_up_after_the_search_timeout_not_the_load_timeout(fake, make_backend):
    backend = make_backend(timeout=4.0, search_timeout=0.3)
    searcher = Searcher(backend)
    searcher.search("补办身份证")
    fake.set_mode("slow", only="/_search")
    outcome, elapsed = timed(lambda: searcher.search("补办身份证"))
    assert_unavailable(outcome, elapsed, 0.3, "slow search")
    assert elapsed < 2.0, f"waited {elapsed:.2f}s: the 4 s load timeout, not the 0.3 s search timeout"


def test_a_timeout_is_not_retried_and_an_error_status_is_not_retried(fake, make_backend):
    backend = make_backend()
    searcher = Searcher(backend)
    searcher.search("补办身份证")
    for mode, status in [("slow", 500), ("error", 503), ("error", 502)]:
        fake.set_mode(mode, status=status, only="/_search")
        before = fake.requests_to("/_search")
        with pytest.raises(BackendUnavailable):
            searcher.search("补办身份证")
        assert fake.requests_to("/_search") - before == 1, f"{mode} {status} was retried: the citizen waits once per retry"


# -- recovery ---------------------------------------------------------------------------------------


def test_down_at_first_use_then_back_on_the_same_port_works_without_a_new_backend(fake, make_backend):
    fake.set_mode("down")
    backend = make_backend(retry_after=0.2)
    searcher = Searcher(backend)
    for _ in range(2):  # the first fails on the network, the second fast on the breaker
        outcome, elapsed = timed(lambda: searcher.search("补办身份证"))
        assert_unavailable(outcome, elapsed, SEARCH_TIMEOUT, "down at first use")
    port = fake.port
    fake.set_mode("up")
    assert fake.port == port
    time.sleep(0.25)  # the breaker lets a call through again
    result = searcher.search("补办身份证")
    assert result.groups and result.groups[0].item_key == "442106020003"
    assert "居民身份证补领" in backend.analyzer.lexicon, "the lexicon was not loaded once the cluster was back"


def test_the_last_good_lexicon_is_kept_through_an_outage(fake, make_backend):
    backend = make_backend()
    searcher = Searcher(backend)
    before = searcher.analyze("补办身份证").terms["name"]
    fake.set_mode("down")
    backend.lexicon_recheck = 0.0  # every use asks the cluster again
    after = searcher.analyze("补办身份证").terms["name"]
    assert after == before and ("居民身份证补领", 1.0) in after
    with pytest.raises(BackendUnavailable):
        searcher.search("补办身份证")
    fake.set_mode("up")
    assert searcher.search("补办身份证").groups


def test_a_new_lexicon_is_picked_up_when_the_index_is_reloaded(fake, make_backend, mini_corpus):
    backend = make_backend()
    first = backend.analyzer.lexicon
    fake.load(mini_corpus[:2], generation=2)
    backend.lexicon_recheck = 0.0
    assert backend.analyzer.lexicon == fake.meta["lexicon"] != first


def test_the_breaker_fails_fast_while_open_and_tries_again_after(fake, make_backend):
    backend = make_backend(search_timeout=0.3, retry_after=0.6)
    searcher = Searcher(backend)
    searcher.search("补办身份证")
    fake.set_mode("slow", only="/_search")
    outcome, first = timed(lambda: searcher.search("补办身份证"))
    assert_unavailable(outcome, first, 0.3, "slow, first call")
    reached = fake.requests_to("/_search")
    outcome, second = timed(lambda: searcher.search("补办身份证"))
    assert_unavailable(outcome, second, 0.3, "slow, while the breaker is open")
    assert fake.requests_to("/_search") == reached, "a call went to the slow cluster while the breaker was open"
    assert second < first
    fake.set_mode("up")
    time.sleep(0.65)
    assert searcher.search("补办身份证").groups


def test_an_index_dropped_by_a_reload_between_two_requests_is_not_an_error(fake, make_backend):
    backend = make_backend()
    fake.set_mode("error", status=404, only="/_mget")
    assert backend.get("X0005") is None  # a 404: nothing there (not an outage, not an exception)
    fake.set_mode("error", status=404, only="/_mapping")
    with pytest.raises(BackendUnavailable):
        backend.analyzer


# -- the dialogue -----------------------------------------------------------------------------------


def test_the_guide_says_the_service_is_unavailable_then_answers_when_it_is_back(fake, make_backend):
    fake.set_mode("down")
    guide = Guide(Searcher(make_backend(retry_after=0.2)))
    turn = guide.ask("补办身份证要带什么", "materials", State())
    assert [say.response for say in turn.says] == ["utter_service_unavailable"]
    fake.set_mode("up")
    time.sleep(0.25)
    turn = guide.ask("补办身份证要带什么", "materials", State())
    assert turn.says[0].response in ("utter_ask_region", "utter_materials")
    assert turn.state.item_key == "442106020003"


def test_the_guide_is_polite_when_the_cluster_slows_down_mid_conversation(fake, make_backend):
    guide = Guide(Searcher(make_backend()))
    first = guide.ask("补办身份证要带什么", "materials", State())
    assert first.says[0].response == "utter_ask_region"
    fake.set_mode("slow", only="/_search")
    outcome, elapsed = timed(lambda: guide.ask("换身份证要带什么", "materials", first.state))
    print(f"\nslow mid-conversation: {elapsed * 1000:.0f} ms")
    assert [say.response for say in outcome.says] == ["utter_service_unavailable"]
    assert elapsed < 3 * SEARCH_TIMEOUT


# -- the API ----------------------------------------------------------------------------------------


def _rasa_down() -> httpx.AsyncClient:
    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    return httpx.AsyncClient(transport=httpx.MockTransport(refuse), base_url="http://rasa")


def test_the_api_starts_while_the_cluster_is_down_answers_503_then_200(fake, tmp_path):
    from fastapi.testclient import TestClient

    from api.main import create_app
    from api.settings import ApiSettings
    from index.settings import IndexSettings

    fake.set_mode("down")
    index_settings = IndexSettings(
        GUIDE_DATA_DIR=tmp_path,
        ELASTICSEARCH_URL=fake.url,
        elasticsearch_timeout=TIMEOUT,
        elasticsearch_search_timeout=SEARCH_TIMEOUT,
        elasticsearch_retry_after=0.2,
    )
    app = create_app(index_settings, ApiSettings(GUIDE_DATA_DIR=tmp_path))
    with TestClient(app) as client:  # the lifespan tolerates the cluster being down
        assert client.get("/healthz").json() == {"status": "ok"}
        started = time.monotonic()
        response = client.get("/api/items/search", params={"q": "补办身份证"})
        print(f"\nAPI search while down: {response.status_code} after {(time.monotonic() - started) * 1000:.0f} ms")
        assert response.status_code == 503
        assert "检索服务暂时不可用" in response.json()["detail"]

        app.state.conversations.rasa = _rasa_down()
        chat = client.post("/webhooks/rest/webhook", json={"sender": "fault-1", "message": "补办身份证要带什么"})
        assert chat.status_code == 200
        reply = chat.json()[0]
        assert reply["custom"]["response"] == "utter_service_unavailable"
        assert "稍后再试" in reply["text"] and "12345" in reply["text"]

        fake.set_mode("up")
        time.sleep(0.25)
        response = client.get("/api/items/search", params={"q": "补办身份证"})
        assert response.status_code == 200
        assert {r["code"] for r in response.json()["results"]} >= {"X0005", "X0006"}
        chat = client.post("/webhooks/rest/webhook", json={"sender": "fault-1", "message": "补办身份证要带什么"})
        assert chat.status_code == 200
        reply = chat.json()[0]
        assert reply["custom"]["response"] == "search_fallback" and "居民身份证补领" in reply["text"]


# -- the layers above the index: the API and the actions stay polite too -------------------------


def test_item_pages_answer_503_not_500_while_the_cluster_is_down(fake, tmp_path):
    from fastapi.testclient import TestClient

    from api.main import create_app
    from api.settings import ApiSettings
    from index.settings import IndexSettings

    fake.set_mode("down")
    index_settings = IndexSettings(GUIDE_DATA_DIR=tmp_path, ELASTICSEARCH_URL=fake.url, elasticsearch_search_timeout=SEARCH_TIMEOUT)
    with TestClient(create_app(index_settings, ApiSettings(GUIDE_DATA_DIR=tmp_path)), raise_server_exceptions=False) as client:
        for path in ["/api/items/X0005", "/api/items/X0005/guide", "/api/items/X0005/checklist", "/api/items/themes"]:
            response = client.get(path)
            assert response.status_code == 503, f"{path}: {response.status_code}"


def test_an_action_is_polite_when_a_record_cannot_be_read_mid_turn(fake, make_backend, monkeypatch):
    pytest.importorskip("rasa_sdk")
    import yaml
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from actions import actions as module
    from conftest import ROOT

    guide = Guide(Searcher(make_backend()))
    monkeypatch.setattr(module, "get_guide", lambda: guide)
    slots = {name: None for name in yaml.safe_load((ROOT / "bot" / "domain.yml").read_text("utf-8"))["slots"]}
    tracker = Tracker(
        sender_id="fault", slots={**slots, "misses": 0.0}, events=[], paused=False, followup_action=None, active_loop={},
        latest_message={"text": "补办身份证要带什么", "intent": {"name": "ask_materials", "confidence": 0.99}, "entities": []},
        latest_action_name="action_listen",
    )
    fake.set_mode("error", status=500, only="/_mget")  # the search works, reading the record does not
    dispatcher = CollectingDispatcher()
    module.ActionAnswerMaterials().run(dispatcher, tracker, {})
    assert [m.get("response") for m in dispatcher.messages] == ["utter_service_unavailable"]
