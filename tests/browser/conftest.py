"""The pages in a real browser: the app served by uvicorn on a loopback port, over the sample
corpus, with Rasa replaced by a fake that answers in its REST channel format; Debian's Chromium
driven by Playwright. Without /usr/bin/chromium (or Playwright) the browser tests are skipped."""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample" / "items.jsonl"
# Debian's Chromium; another build can be named in GUIDE_TEST_CHROMIUM (no browser download here).
CHROMIUM = os.environ.get("GUIDE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# 居住证申领 in 佛山市南海区桂城街道, a real implementation of the sample.
RESIDENCE_CODE = "12440605MB2UGQRNXA5442106040001"
RESIDENCE_BASE = "442106040001"


@dataclass
class FakeRasa:
    """Rasa's REST webhook, scripted: a question about 居住证 gets region buttons; a button's
    payload (or any other question) gets an answer about an item found in the index, with its
    custom data as a separate message as Rasa sends it; "申请" asks for a pre-filled application;
    "转人工" asks for a person."""

    searcher: object
    received: list[dict] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.received.append(body)
        sender, message = body["sender"], body["message"]
        return httpx.Response(200, json=[{"recipient_id": sender, **m} for m in self.reply(message)])

    def reply(self, message: str) -> list[dict]:
        if "申请" in message:
            # The API turns this into a stored draft and sends back only its link and QR code.
            applicant = {"name": "张三", "mobile": "13800138000"}
            return [
                {"text": "好的，已按您提供的信息预填居住证申请表。"},
                {"custom": {"response": "utter_apply", "apply": {"item_code": RESIDENCE_CODE, "applicant": applicant}}},
            ]
        if "转人工" in message:
            return [{"text": "好的，正在为您转接人工客服。"}, {"custom": {"response": "utter_handoff", "handoff": True}}]
        if message.startswith("/"):
            code, base, name = RESIDENCE_CODE, RESIDENCE_BASE, "居住证申领"
        elif "居住证" in message:
            return [
                {
                    "text": "请问您在哪个区办理？",
                    "buttons": [
                        {"title": "南海区", "payload": '/inform_region{"region": "南海区"}'},
                        {"title": "天河区", "payload": '/inform_region{"region": "天河区"}'},
                    ],
                }
            ]
        else:
            result = self.searcher.search(message, limit=1)
            if not result.groups:
                return [{"text": "抱歉，没有找到相关事项。"}, {"custom": {"response": "utter_item_not_found"}}]
            hit = result.groups[0].hits[0]
            code, base, name = hit.code, hit.base_code, hit.name
        return [
            {"text": f"办理{name}需要以下材料：\n1. 居民身份证\n2. 近期免冠照片\n完整办事指南：/api/items/{code}/guide"},
            {"custom": {"response": "utter_materials", "item_code": code, "item_key": base}},
        ]


@dataclass
class Live:
    url: str
    app: object
    rasa: FakeRasa


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live(tmp_path_factory):
    """The app, served for real; yields its URL, the app (state: store, tokens, drafts…) and the
    fake Rasa."""
    import uvicorn

    from api.main import create_app
    from api.settings import ApiSettings
    from index.backends.embedded import EmbeddedBackend
    from index.loader import read_batch
    from index.settings import IndexSettings

    data_dir = tmp_path_factory.mktemp("browser-data")
    backend = EmbeddedBackend(data_dir)
    backend.apply(located.record for located in read_batch([SAMPLE]).records)
    backend.close()
    app = create_app(IndexSettings(GUIDE_DATA_DIR=data_dir), ApiSettings(GUIDE_DATA_DIR=data_dir))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none"))
    thread = threading.Thread(target=server.run, name="uvicorn-browser-tests", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            pytest.fail("the app did not start for the browser tests")
        time.sleep(0.1)
    rasa = FakeRasa(app.state.searcher)
    app.state.conversations.rasa = httpx.AsyncClient(transport=httpx.MockTransport(rasa.handler), base_url="http://rasa")
    yield Live(url=url, app=app, rasa=rasa)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def waiting_for_agent(live):
    """waiting_for_agent(sender, text): a web conversation whose citizen wrote `text` and now
    waits in the agents' queue."""

    def add(sender: str, text: str) -> None:
        store = live.app.state.store
        store.add_message(sender, "citizen", text, channel="web")
        store.set_status(sender, "waiting", channel="web")

    return add


@pytest.fixture(scope="session")
def residence_code() -> str:
    """The 实施编码 the fake Rasa answers about after a region button."""
    return RESIDENCE_CODE


# Module scope, not session: while Playwright's sync API runs, its event loop counts as running in
# the main thread, so a later test's asyncio.run() would fail; it is stopped after each module.
def _unavailable(reason: str):
    # In CI (GUIDE_REQUIRE_SERVICES=1, set by .ci/run) a missing browser is a failure, not a skip.
    if os.environ.get("GUIDE_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (required: GUIDE_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        _unavailable(f"no Chromium at {CHROMIUM}: browser tests skipped")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    playwright = sync_api.sync_playwright().start()
    try:
        # launch() gives the browser a new, empty profile directory of its own (removed on close).
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except Exception as exc:  # a Chromium that cannot start here is an environment problem
        playwright.stop()
        _unavailable(f"Chromium would not start: {exc}")
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def context(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context, live):
    page = context.new_page()
    errors: list[str] = []
    # A script error or a refused (CSP) resource is a failure even when the test's checks pass.
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "Content Security Policy" in msg.text else None)
    page.errors = errors
    yield page


@pytest.fixture
def until():
    """until(page, "js expression"): wait for it to be truthy. Polled from Python with evaluate:
    page.wait_for_function polls with eval, which the pages' CSP (rightly) refuses."""

    def wait(page, expression: str, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while True:
            value = page.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"still false after {timeout} s: {expression}")
            time.sleep(0.1)

    return wait

