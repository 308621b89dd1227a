"""The search and items API over a small corpus."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from index.backends.embedded import EmbeddedBackend
from index.settings import IndexSettings


@pytest.fixture
def client(tmp_path, mini_corpus):
    EmbeddedBackend(tmp_path).apply(mini_corpus)
    app = create_app(IndexSettings(GUIDE_DATA_DIR=tmp_path))
    with TestClient(app) as client:
        yield client


def test_search_returns_ranked_implementations(client):
    response = client.get("/api/items/search", params={"q": "南海办暂住证要带什么", "limit": 5})
    assert response.status_code == 200
    body = response.json()
    assert body["attributes"] == ["materials"]
    assert body["region"] == "广东省佛山市南海区"
    first = body["results"][0]
    assert set(first) >= {"code", "base_code", "name", "region", "score"}
    assert first["base_code"] == "442106040001" and first["code"] == "X0002"


def test_search_with_region_filter_and_unknown_region(client):
    body = client.get("/api/items/search", params={"q": "补办身份证", "region": "福田区"}).json()
    assert [r["code"] for r in body["results"]] == ["X0006"]
    assert client.get("/api/items/search", params={"q": "补办身份证", "region": "火星"}).status_code == 422


def test_search_refuses_empty_and_oversized_queries(client):
    assert client.get("/api/items/search", params={"q": ""}).status_code == 422
    assert client.get("/api/items/search", params={"q": "证" * 501}).status_code == 422
    assert client.get("/api/items/search", params={"q": "x", "limit": 0}).status_code == 422


def test_item_record_guide_and_manual(client, panyu):
    code = panyu["实施编码"]
    assert client.get(f"/api/items/{code}").json() == panyu
    guide = client.get(f"/api/items/{code}/guide")
    assert guide.status_code == 200 and "text/html" in guide.headers["content-type"]
    assert "沙湾街办事站" in guide.text and "020-84735511" in guide.text
    assert "第十六条" in client.get(f"/api/items/{code}/manual").text


def test_unknown_item_is_404_with_a_message(client):
    response = client.get("/api/items/NOPE/guide")
    assert response.status_code == 404 and "NOPE" in response.json()["detail"]
