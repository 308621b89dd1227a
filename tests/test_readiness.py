"""Readiness: /readyz says ready only when a citizen's turn can be answered in full, and the
launcher's warm-up waits for it. Rasa and the action server are fakes (httpx.MockTransport)."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.rasa_workers import RasaWorkers
from api.routers.health import get_rasa
from api.settings import ApiSettings
from index.backends.embedded import EmbeddedBackend
from index.settings import IndexSettings


class FakeServers:
    def __init__(self):
        self.rasa_status = 200
        self.actions_up = True

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/status":
            return httpx.Response(self.rasa_status, json={"model_file": "guide.tar.gz"})
        if request.url.path == "/health":
            if not self.actions_up:
                raise httpx.ConnectError("refused")
            return httpx.Response(200, json={"status": "ok"})
        return httpx.Response(404)


@pytest.fixture
def servers():
    return FakeServers()


def client_for(tmp_path, servers, records, **settings):
    if records:
        EmbeddedBackend(tmp_path).apply(records)
    app = create_app(IndexSettings(GUIDE_DATA_DIR=tmp_path), ApiSettings(GUIDE_DATA_DIR=tmp_path, **settings))
    fake = httpx.AsyncClient(transport=httpx.MockTransport(servers.handler), base_url="http://rasa")
    app.dependency_overrides[get_rasa] = lambda: RasaWorkers([fake])
    return TestClient(app)


def test_ready_when_the_index_rasa_and_the_actions_inside_it_are(tmp_path, servers, mini_corpus):
    with client_for(tmp_path, servers, mini_corpus) as client:
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"index": "ok", "rasa": "ok", "actions": "ok (inside Rasa)"}


def test_not_ready_while_rasa_loads_its_model(tmp_path, servers, mini_corpus):
    servers.rasa_status = 409  # Rasa's answer before its agent is loaded
    with client_for(tmp_path, servers, mini_corpus) as client:
        response = client.get("/readyz")
        assert client.get("/healthz").status_code == 200  # alive all the same
    assert response.status_code == 503
    assert "model not loaded" in response.json()["checks"]["rasa"]


def test_not_ready_without_items(tmp_path, servers):
    with client_for(tmp_path, servers, []) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert "no items" in response.json()["checks"]["index"]


def test_a_separate_action_server_is_asked_for_its_health(tmp_path, servers, mini_corpus):
    servers.actions_up = False
    with client_for(tmp_path, servers, mini_corpus, GUIDE_ACTIONS_MODULE="") as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert "action server not answering" in response.json()["checks"]["actions"]
        servers.actions_up = True
        assert client.get("/readyz").status_code == 200
