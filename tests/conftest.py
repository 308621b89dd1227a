"""Shared fixtures: the real published guides and small corpora derived from them."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "data" / "examples"
PANYU = EXAMPLES / "gdzwfw-guangzhou-panyu-residence-permit-endorsement.json"
LONGGANG = EXAMPLES / "gdzwfw-shenzhen-longgang-individual-business.json"
SAMPLE = ROOT / "data" / "sample" / "items.jsonl"


@pytest.fixture(scope="session")
def panyu() -> dict:
    return json.loads(PANYU.read_text("utf-8"))


@pytest.fixture(scope="session")
def longgang() -> dict:
    return json.loads(LONGGANG.read_text("utf-8"))


@pytest.fixture
def residence(panyu) -> dict:
    """A fresh copy of the real 签注居住证 guide, free to change."""
    return copy.deepcopy(panyu)


@pytest.fixture
def business(longgang) -> dict:
    """A fresh copy of the real 个体工商户设立登记 guide, free to change."""
    return copy.deepcopy(longgang)


def variant(base: dict, **changes) -> dict:
    """A copy of a real record with some keys changed (Chinese keys passed as a dict)."""
    record = copy.deepcopy(base)
    for key, value in changes.items():
        record[key] = value
    return record


@pytest.fixture
def mini_corpus(panyu, longgang) -> list[dict]:
    """Eight implementations of five items in three cities, derived from the real guides."""

    def item(name, base, code, region, body, aliases=()):
        return variant(panyu, 事项名称=name, 基本编码=base, 实施编码=code, 行政区划=region, 实施主体=body, 日常用语=list(aliases))

    return [
        panyu,
        item("签注居住证", "442106041001", "X0001", "广东省佛山市南海区桂城街道", "桂城街道党群服务中心"),
        item("居住证申领", "442106040001", "X0002", "广东省佛山市南海区桂城街道", "桂城街道党群服务中心", ["办居住证"]),
        item("居住证申领", "442106040001", "X0003", "广东省佛山市顺德区大良街道", "大良街道党群服务中心", ["办居住证"]),
        item("居民身份证换领", "442106020002", "X0004", "广东省佛山市南海区", "佛山市公安局南海分局", ["换身份证"]),
        item("居民身份证补领", "442106020003", "X0005", "广东省佛山市南海区", "佛山市公安局南海分局", ["补办身份证"]),
        item("居民身份证补领", "442106020003", "X0006", "广东省深圳市福田区", "深圳市公安局福田分局", ["补办身份证"]),
        longgang,
    ]


@pytest.fixture(scope="module")
def sample_guide(tmp_path_factory):
    """The conversation's reasoning (actions.guide.Guide) over the sample corpus."""
    from actions.guide import Guide
    from index.backends.embedded import EmbeddedBackend
    from index.loader import read_batch
    from index.search import Searcher

    backend = EmbeddedBackend(tmp_path_factory.mktemp("sample-guide"))
    backend.apply(located.record for located in read_batch([SAMPLE]).records)
    yield Guide(Searcher(backend))
    backend.close()


@pytest.fixture
def sample_client(tmp_path):
    """The API over the sample corpus (no Rasa behind it)."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from index.backends.embedded import EmbeddedBackend
    from index.loader import read_batch
    from index.settings import IndexSettings

    backend = EmbeddedBackend(tmp_path)
    backend.apply(located.record for located in read_batch([SAMPLE]).records)
    backend.close()
    with TestClient(create_app(IndexSettings(GUIDE_DATA_DIR=tmp_path))) as client:
        yield client
