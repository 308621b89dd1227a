"""Elasticsearch backend: mapping and query building (always), and against a real cluster when
ELASTICSEARCH_URL is set (reported as skipped otherwise)."""

from __future__ import annotations

import os
import uuid

import pytest

from index.analysis import Analyzer, lexicon_from
from index.backends.base import FIELD_BOOSTS, REGION_BOOST, RegionScope, SearchRequest
from index.backends.elastic import build_query, document, index_body, region_match


def test_mapping_is_strict_one_shard_whitespace_bm25():
    body = index_body(["居住证"], 7)
    settings, mappings = body["settings"], body["mappings"]
    assert settings["number_of_shards"] == 1
    assert settings["similarity"]["guide_bm25"] == {"type": "BM25", "k1": 1.2, "b": 0.75}
    assert settings["analysis"]["analyzer"]["guide_tokens"]["tokenizer"] == "whitespace"
    assert mappings["dynamic"] == "strict"
    assert mappings["_meta"] == {"generation": 7, "lexicon": ["居住证"]}
    for name in FIELD_BOOSTS:
        field = mappings["properties"][f"f_{name}"]
        assert field["analyzer"] == "guide_tokens" and field["similarity"] == "guide_bm25"
    assert mappings["properties"]["doc"] == {"type": "object", "enabled": False}
    assert mappings["properties"]["base_code"]["type"] == "keyword"


def test_document_carries_analyzed_fields_region_chain_and_the_record(panyu):
    analyzer = Analyzer(lexicon_from([panyu]))
    doc = document(panyu, analyzer)
    assert doc["code"] == panyu["实施编码"] and doc["doc"] is panyu
    assert doc["region_chain"] == ["440000", "440100", "440113", "440113002"]
    assert doc["region_code"] == "440113002" and doc["own_level"] == 3
    assert "居住证" in doc["f_name"].split(" ")


def test_query_has_one_term_clause_per_field_and_term_with_boost_times_weight():
    request = SearchRequest(terms={"name": [("居住证", 1.0), ("签注", 0.6)], "gram": [("居住", 1.0)]})
    query = build_query(request)
    should = query["query"]["bool"]["should"]
    assert {"term": {"f_name": {"value": "签注", "boost": FIELD_BOOSTS["name"] * 0.6}}} in should
    assert {"term": {"f_gram": {"value": "居住", "boost": FIELD_BOOSTS["gram"]}}} in should
    assert query["query"]["bool"]["minimum_should_match"] == 1
    assert query["collapse"]["field"] == "item_key"
    assert query["collapse"]["inner_hits"]["size"] == request.per_group


def test_region_boost_is_a_function_score_weight_and_filter_is_a_filter():
    scope = RegionScope(code="440605", level=2, chain=("440000", "440600", "440605"))
    boosted = build_query(SearchRequest(terms={"name": [("x", 1.0)]}, region=scope))["query"]["function_score"]
    assert boosted["boost_mode"] == "multiply" and boosted["functions"][0]["weight"] == REGION_BOOST
    filtered = build_query(SearchRequest(terms={"name": [("x", 1.0)]}, region=scope, region_mode="filter"))
    region = filtered["query"]["bool"]["filter"][0]["bool"]["should"]
    assert {"terms": {"region_code": ["440000", "440600", "440605"]}} in region


def test_region_match_labels_serving_and_inner_implementations():
    scope = RegionScope(code="440605", level=2, chain=("440000", "440600", "440605"))
    assert region_match({"region_code": "440600", "region_chain": ["440000", "440600"], "own_level": 1}, scope) == "serves"
    town = {"region_code": "440605001", "region_chain": ["440000", "440600", "440605", "440605001"], "own_level": 3}
    assert region_match(town, scope) == "within"
    assert region_match({"region_code": "440300", "region_chain": ["440000", "440300"], "own_level": 1}, scope) is None


ES_URL = os.environ.get("ELASTICSEARCH_URL")
needs_es = pytest.mark.skipif(not ES_URL, reason="ELASTICSEARCH_URL not set: no Elasticsearch to test against")


@pytest.fixture
def elastic():
    from index.backends.elastic import ElasticBackend

    backend = ElasticBackend(ES_URL, alias=f"guide-test-{uuid.uuid4().hex[:8]}")
    yield backend
    backend._es.options(ignore_status=404).indices.delete(index=f"{backend.alias}-*")
    backend.close()


@needs_es
@pytest.mark.elasticsearch
def test_elasticsearch_ranks_like_the_embedded_index(elastic, tmp_path, mini_corpus):
    from index.backends.embedded import EmbeddedBackend
    from index.search import Searcher

    embedded = EmbeddedBackend(tmp_path)
    embedded.apply(mini_corpus)
    elastic.apply(mini_corpus)
    for query in ["我想办暂住证", "身份证唔见咗点算", "南海签注居住证", "深圳龙岗开个体户要带什么"]:
        ours = Searcher(embedded).search(query)
        theirs = Searcher(elastic).search(query)
        assert [g.item_key for g in theirs.groups] == [g.item_key for g in ours.groups]
        assert [h.code for h in theirs.groups[0].hits] == [h.code for h in ours.groups[0].hits]
        assert theirs.groups[0].score == pytest.approx(ours.groups[0].score, rel=1e-3)


@needs_es
@pytest.mark.elasticsearch
def test_elasticsearch_reload_swaps_the_alias_and_drops_the_old_index(elastic, mini_corpus, panyu):
    elastic.apply(mini_corpus)
    first = elastic._live_index()
    report = elastic.apply([dict(panyu, 事项版本=panyu["事项版本"] + 1)])
    assert report.updated == [panyu["实施编码"]]
    assert elastic._live_index() != first
    assert not elastic._es.indices.exists(index=first)
    assert elastic.count() == len(mini_corpus)
    assert elastic.get(panyu["实施编码"])["事项版本"] == panyu["事项版本"] + 1
