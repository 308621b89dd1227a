"""The Elasticsearch backend, for deployments at scale (chosen by setting ELASTICSEARCH_URL).

    >>> from index.backends.elastic import ElasticBackend
    >>> backend = ElasticBackend("http://localhost:9200")
    >>> backend.apply(records).summary()
    >>> backend.search(request)

Same analysis, same ranking as the embedded backend: documents are indexed as the token lists
:mod:`index.analysis` makes (whitespace-joined, whitespace analyzer, so Elasticsearch does no
analysis of its own), queries are ``term`` clauses with the same field boosts and term weights,
and Lucene's BM25 with the same k1 and b scores them (:mod:`index.bm25` reproduces it for the
embedded index). One shard, so the statistics are the whole index's. The region factor is a
``function_score`` weight; implementations of one 基本编码 come back through ``collapse``.

A load never edits the live index: it builds a new index (``<alias>-<generation>``) holding the
merged records, checks it, then moves the alias in one atomic ``_aliases`` call and drops the old
index, so searches never see a half-built index. The user dictionary (which depends on the loaded
names) is kept in the index's mapping ``_meta``, so every process analyses with the same one.
"""

from __future__ import annotations

import time
from typing import Any, Iterable, Iterator

from ..analysis import ALL_FIELDS, Analyzer, lexicon_from
from ..errors import BackendUnavailable
from .base import Group, Hit, LoadReport, RegionScope, SearchRequest, plan_changes, region_chain, search_fields

_KEEP = ["code", "base_code", "name", "region", "body", "region_code", "region_chain", "own_level"]


def index_body(lexicon: list[str], generation: int, *, replicas: int = 0) -> dict[str, Any]:
    """Settings and mapping of one generation of the items index."""
    text_field = {"type": "text", "analyzer": "guide_tokens", "similarity": "guide_bm25", "index_options": "freqs"}
    return {
        "settings": {
            "number_of_shards": 1,
            "number_of_replicas": replicas,
            "refresh_interval": "-1",
            "analysis": {"analyzer": {"guide_tokens": {"type": "custom", "tokenizer": "whitespace"}}},
            "similarity": {"guide_bm25": {"type": "BM25", "k1": 1.2, "b": 0.75}},
        },
        "mappings": {
            "dynamic": "strict",
            "_meta": {"generation": generation, "lexicon": lexicon},
            "properties": {
                "code": {"type": "keyword"},
                "base_code": {"type": "keyword"},
                "version": {"type": "integer"},
                "name": {"type": "keyword", "index": False},
                "region": {"type": "keyword"},
                "body": {"type": "keyword", "index": False},
                "region_code": {"type": "keyword"},
                "region_chain": {"type": "keyword"},
                "own_level": {"type": "byte"},
                **{f"f_{name}": text_field for name in ALL_FIELDS},
                "doc": {"type": "object", "enabled": False},
            },
        },
    }


def document(record: dict, analyzer: Analyzer) -> dict[str, Any]:
    """The indexed form of a record: its keywords, its analyzed fields and the record itself."""
    chain, own_level = region_chain(record["行政区划"])
    codes = [str(c) for c in chain if c >= 0]
    fields = analyzer.document_fields(search_fields(record))
    return {
        "code": record["实施编码"],
        "base_code": record["基本编码"],
        "version": record.get("事项版本"),
        "name": record["事项名称"],
        "region": record["行政区划"],
        "body": record["实施主体"],
        "region_code": codes[-1] if codes else None,
        "region_chain": codes,
        "own_level": own_level,
        **{f"f_{name}": " ".join(tokens) for name, tokens in fields.items()},
        "doc": record,
    }


def _region_clauses(scope: RegionScope) -> dict[str, Any]:
    serves = {"terms": {"region_code": list(scope.chain)}}
    within = {"bool": {"filter": [{"term": {"region_chain": scope.code}}, {"range": {"own_level": {"gt": scope.level}}}]}}
    return {"bool": {"should": [serves, within], "minimum_should_match": 1}}


def build_query(request: SearchRequest) -> dict[str, Any]:
    """The search body for a request: term clauses, region factor or filter, collapse by 基本编码."""
    should = []
    for name, terms in request.terms.items():
        boost = request.boosts.get(name, 0.0)
        if not boost:
            continue
        for term, weight in terms:
            should.append({"term": {f"f_{name}": {"value": term, "boost": boost * weight}}})
    query: dict[str, Any] = {"bool": {"should": should, "minimum_should_match": 1}}
    if request.region is not None:
        region = _region_clauses(request.region)
        if request.region_mode == "filter":
            query["bool"]["filter"] = [region]
        else:
            query = {
                "function_score": {
                    "query": query,
                    "functions": [{"filter": region, "weight": request.region_boost}],
                    "score_mode": "max",
                    "boost_mode": "multiply",
                }
            }
    return {
        "query": query,
        "size": request.limit,
        "sort": [{"_score": "desc"}, {"code": "asc"}],
        "track_scores": True,
        "_source": _KEEP,
        "collapse": {
            "field": "base_code",
            "inner_hits": {
                "name": "implementations",
                "size": request.per_group,
                "sort": [{"_score": "desc"}, {"code": "asc"}],
                "track_scores": True,
                "_source": _KEEP,
            },
        },
    }


def region_match(source: dict, scope: RegionScope | None) -> str | None:
    if scope is None:
        return None
    if source.get("region_code") in scope.chain:
        return "serves"
    if scope.code in (source.get("region_chain") or []) and (source.get("own_level") or -1) > scope.level:
        return "within"
    return None


class ElasticBackend:
    """Records and search in Elasticsearch behind an alias; same interface as EmbeddedBackend."""

    name = "elasticsearch"

    def __init__(self, url: str, *, alias: str = "guide-items", timeout: float = 5.0, client=None):
        from elasticsearch import Elasticsearch

        self.alias = alias
        self._client = client or Elasticsearch(url)
        self._es = self._client.options(request_timeout=timeout)
        self._analyzer: Analyzer | None = None
        self._generation: int | None = None
        self._checked_at = 0.0

    def _call(self, fn, *args, **kwargs):
        from elasticsearch import ApiError, TransportError

        try:
            return fn(*args, **kwargs)
        except TransportError as exc:  # connection refused, timeout
            raise BackendUnavailable(f"Elasticsearch 无法连接：{exc}") from exc
        except ApiError as exc:
            if getattr(exc, "status_code", None) == 404:
                raise
            raise BackendUnavailable(f"Elasticsearch 出错：{exc}") from exc

    def _live_index(self) -> str | None:
        from elasticsearch import NotFoundError

        try:
            aliases = self._call(self._es.indices.get_alias, name=self.alias)
        except NotFoundError:
            return None
        names = sorted(aliases.body if hasattr(aliases, "body") else aliases)
        return names[-1] if names else None

    # -- records ----------------------------------------------------------------------------------

    def count(self) -> int:
        if self._live_index() is None:
            return 0
        return int(self._call(self._es.count, index=self.alias)["count"])

    def get(self, code: str) -> dict | None:
        return self.get_many([code]).get(code)

    def get_many(self, codes: list[str]) -> dict[str, dict]:
        if not codes or self._live_index() is None:
            return {}
        response = self._call(self._es.mget, index=self.alias, ids=codes, source=["doc"])
        return {d["_id"]: d["_source"]["doc"] for d in response["docs"] if d.get("found")}

    def iter_records(self) -> Iterator[dict]:
        from elasticsearch.helpers import scan

        if self._live_index() is None:
            return
        for hit in scan(self._es, index=self.alias, query={"query": {"match_all": {}}}, _source=["doc"], size=1000):
            yield hit["_source"]["doc"]

    def implementations(self, base_code: str) -> list[tuple[str, str]]:
        """(实施编码, 行政区划) of every implementation of an item."""
        from elasticsearch.helpers import scan

        if self._live_index() is None:
            return []
        query = {"query": {"term": {"base_code": base_code}}}
        rows = [(h["_source"]["code"], h["_source"]["region"]) for h in scan(self._es, index=self.alias, query=query, _source=["code", "region"])]
        return sorted(rows)

    def apply(self, records: Iterable[dict], *, replace: bool = False, progress=None) -> LoadReport:
        """Merge a checked batch into a NEW index, then swap the alias to it atomically."""
        records = list(records)
        from elasticsearch.helpers import streaming_bulk

        old = self._live_index()
        current: dict[str, dict] = {} if (replace or old is None) else {r["实施编码"]: r for r in self.iter_records()}
        writes, report = plan_changes({c: r.get("事项版本") for c, r in current.items()}, records)
        if not writes and not replace and old is not None:
            report.total = len(current)
            return report
        for record in writes:
            current[record["实施编码"]] = record
        merged = [current[code] for code in sorted(current)]
        analyzer = Analyzer(lexicon_from(search_fields(r) for r in merged))
        generation = time.time_ns()
        new = f"{self.alias}-{generation}"
        self._call(self._es.indices.create, index=new, **index_body(analyzer.lexicon, generation))
        try:
            actions = (
                {"_index": new, "_id": r["实施编码"], "_source": document(r, analyzer)} for r in merged
            )
            for _ok, _item in streaming_bulk(self._es, actions, chunk_size=1000, raise_on_error=True):
                if progress is not None:
                    progress(1)
            self._call(self._es.indices.put_settings, index=new, settings={"index": {"refresh_interval": "1s"}})
            self._call(self._es.indices.refresh, index=new)
            indexed = int(self._call(self._es.count, index=new)["count"])
            if indexed != len(merged):
                raise BackendUnavailable(f"新索引 {new} 只有 {indexed}/{len(merged)} 条记录，未切换")
            actions_alias = [{"add": {"index": new, "alias": self.alias}}]
            if old is not None:
                actions_alias.insert(0, {"remove": {"index": old, "alias": self.alias}})
            self._call(self._es.indices.update_aliases, actions=actions_alias)
        except BaseException:
            self._es.options(ignore_status=404).indices.delete(index=new)
            raise
        if old is not None:
            self._es.options(ignore_status=404).indices.delete(index=old)
        self._analyzer, self._generation = analyzer, generation
        report.total = len(merged)
        return report

    # -- search -----------------------------------------------------------------------------------

    @property
    def analyzer(self) -> Analyzer:
        now = time.monotonic()
        if self._analyzer is None or now - self._checked_at > 1.0:
            self._checked_at = now
            live = self._live_index()
            if live is None:
                if self._analyzer is None:
                    self._analyzer = Analyzer(lexicon_from([]))
                return self._analyzer
            meta = self._call(self._es.indices.get_mapping, index=live)[live]["mappings"].get("_meta", {})
            if meta.get("generation") != self._generation or self._analyzer is None:
                self._analyzer = Analyzer(meta.get("lexicon", []))
                self._generation = meta.get("generation")
        return self._analyzer

    def search(self, request: SearchRequest) -> list[Group]:
        if self._live_index() is None:
            return []
        if not any(terms for name, terms in request.terms.items() if request.boosts.get(name)):
            return []
        body = build_query(request)
        response = self._call(self._es.search, index=self.alias, **body)
        groups = []
        for top in response["hits"]["hits"]:
            inner = top.get("inner_hits", {}).get("implementations", {}).get("hits", {}).get("hits", []) or [top]
            hits = [
                Hit(
                    code=h["_source"]["code"],
                    base_code=h["_source"]["base_code"],
                    name=h["_source"]["name"],
                    region=h["_source"]["region"],
                    body=h["_source"]["body"],
                    score=float(h["_score"] or 0.0),
                    region_match=region_match(h["_source"], request.region),
                )
                for h in inner
            ]
            groups.append(Group(base_code=top["_source"]["base_code"], score=float(top["_score"] or 0.0), hits=hits))
        return groups

    def close(self) -> None:
        self._client.close()

