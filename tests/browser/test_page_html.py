"""The four pages as HTML (no browser needed): status, title, language, the policy that forbids
inline script, and the kiosk's idle setting passed as a data- attribute."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import ApiSettings
from index.backends.embedded import EmbeddedBackend
from index.loader import read_batch
from index.settings import IndexSettings

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "items.jsonl"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("pages")
    backend = EmbeddedBackend(data_dir)
    backend.apply(located.record for located in itertools.islice(read_batch([SAMPLE]).records, 5))
    backend.close()
    app = create_app(IndexSettings(GUIDE_DATA_DIR=data_dir), ApiSettings(GUIDE_DATA_DIR=data_dir, kiosk_idle_seconds=120))
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize(
    "path, title, script",
    [
        ("/", "广东政务服务智能助手", "/static/js/web-chat.js"),
        ("/kiosk", "政务服务自助咨询", "/static/js/kiosk.js"),
        ("/agent", "12345 热线坐席工作台", "/static/js/agent.js"),
        ("/admin", "政务服务助手 · 运营管理", "/static/js/admin.js"),
    ],
)
def test_page_is_html_with_its_title_and_no_inline_script(client, path, title, script):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert f"<title>{title}</title>" in html
    assert re.search(r'<html lang="zh-CN"[ >]', html) and 'name="viewport"' in html
    assert f'<script type="module" src="{script}"></script>' in html
    # Every <script> has a src (nothing inline), and no on…= handler attributes.
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", html))
    assert not re.search(r"\son[a-z]+\s*=", html)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    # Nothing from another origin.
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", html)


def test_static_files_are_served(client):
    for path in ("/static/js/common.js", "/static/js/chat-core.js", "/static/css/base.css", "/static/css/kiosk.css"):
        response = client.get(path)
        assert response.status_code == 200, path
    assert "javascript" in client.get("/static/js/kiosk.js").headers["content-type"]


@pytest.mark.parametrize(
    "query, expected",
    [("", "120"), ("?idle=5", "5"), ("?idle=600", "600"), ("?idle=4", "120"), ("?idle=601", "120"), ("?idle=abc", "120"), ("?idle=-5", "120")],
)
def test_kiosk_idle_timeout_from_settings_or_a_bounded_override(client, query, expected):
    html = client.get(f"/kiosk{query}").text
    assert f'data-idle-seconds="{expected}"' in html


def test_staff_pages_cannot_be_framed_and_say_where_their_token_is_checked(client):
    agent = client.get("/agent")
    assert "frame-ancestors 'none'" in agent.headers["content-security-policy"]
    assert 'data-token-check="/api/agent/queue"' in agent.text
    admin = client.get("/admin")
    assert 'data-token-check="/api/admin/overview"' in admin.text
    assert 'data-token-key="guide.adminToken"' in admin.text and 'data-token-key="guide.agentToken"' in agent.text


def test_kiosk_starts_in_elder_mode_and_the_web_chat_remembers_its_choice(client):
    # The kiosk's class is in the HTML itself: large type from the first paint, for every citizen.
    assert '<html lang="zh-CN" class="elder">' in client.get("/kiosk").text
    html = client.get("/").text
    assert 'data-elder-key="guide.elder"' in html and 'class="elder"' not in html
    # The saved choice is applied by a classic script in <head>, before the first paint (a module
    # would run after the page is drawn).
    head = html.split("</head>")[0]
    assert '<script src="/static/js/elder-early.js"></script>' in head
