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

import logging
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

from ..analysis import ALL_FIELDS, Analyzer, lexicon_from
from ..errors import BackendUnavailable
from ..identity import item_keys
from .base import Group, Hit, LoadReport, RegionScope, SearchRequest, plan_changes, region_chain, search_fields

logger = logging.getLogger(__name__)

# How long a scroll (reading every record, or every implementation of an item) stays open between pages.
_SCROLL = "2m"

_KEEP = ["code", "base_code", "item_key", "name", "region", "body", "region_code", "region_chain", "own_level"]


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
                "item_key": {"type": "keyword"},
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


def document(record: dict, analyzer: Analyzer, item_key: str | None = None) -> dict[str, Any]:
    """The indexed form of a record: its keywords, its analyzed fields and the record itself.

    ``item_key`` is the record's item across catalogue codes (:mod:`index.identity`).
    """
    chain, own_level = region_chain(record["行政区划"])
    codes = [str(c) for c in chain if c >= 0]
    fields = analyzer.document_fields(search_fields(record))
    return {
        "code": record["实施编码"],
        "base_code": record["基本编码"],
        "item_key": item_key or record["基本编码"],
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
    """The search body for a request: term clauses, region factor or filter, collapse by item."""
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
            "field": "item_key",
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
    """Records and search in Elasticsearch behind an alias; same interface as EmbeddedBackend.

    Elasticsearch down, slow or answering nonsense is always :class:`BackendUnavailable`, after
    at most one timeout, and the backend recovers by itself when the cluster is back:

    - Two timeouts. ``search_timeout`` (default 2 s) bounds what a citizen waits for: search,
      get, implementations, count and the lexicon; a chat turn or a WeChat passive reply (4 s
      deadline) must still be able to say "please try later" in time. ``timeout`` (5 s) bounds
      each request of a load and of reading every record (the themes page, ``apply``).
    - Retries set on purpose (the client's defaults would multiply the wait): a timeout is never
      retried (a retry would double what the citizen waits for a server that is already slow);
      a connection error is retried once (a refused connection fails in a millisecond, and a
      kept-alive connection closed by a proxy must not look like an outage); error statuses are
      not retried on the search path (503 from a sick cluster is an answer, not a blip), loads
      retry 429/502/503/504 once.
    - A short circuit breaker: after a failure, calls fail at once for ``retry_after`` seconds
      (default 1 s) instead of each waiting for the timeout again (a turn makes several calls,
      and many citizens ask at once); then one call tries the cluster again, and the first
      success closes it.
    - The lexicon (user dictionary) is read from the live index's mapping ``_meta`` and checked
      every second; a failed read is never kept: without a lexicon yet, the next call tries
      again; with one, the last good one is used until the cluster answers again.
    - Responses that are not what Elasticsearch sends (HTML from a proxy, truncated JSON, a
      body of the wrong shape) are unavailability too, never a KeyError or TypeError.
    """

    name = "elasticsearch"
    # How often the live index's generation (and so the lexicon) is checked, in seconds.
    lexicon_recheck = 1.0

    def __init__(
        self,
        url: str,
        *,
        alias: str = "guide-items",
        timeout: float = 5.0,
        search_timeout: float | None = 2.0,
        retry_after: float = 1.0,
        client=None,
    ):
        from elasticsearch import Elasticsearch

        self.alias = alias
        self.timeout = timeout
        self.search_timeout = min(search_timeout, timeout) if search_timeout else timeout
        self.retry_after = retry_after
        self._client = client or Elasticsearch(url, request_timeout=timeout)
        # loads and whole-index reads
        self._es = self._client.options(
            request_timeout=timeout, max_retries=1, retry_on_timeout=False, retry_on_status=(429, 502, 503, 504)
        )
        # what a citizen waits for
        self._fast = self._client.options(
            request_timeout=self.search_timeout, max_retries=1, retry_on_timeout=False, retry_on_status=()
        )
        self._analyzer: Analyzer | None = None
        self._generation: int | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()
        self._down_until = 0.0  # monotonic time until which calls fail at once; 0: closed
        self._down_reason = ""

    # -- failures ---------------------------------------------------------------------------------

    def _admit(self) -> None:
        """Fail at once while the breaker is open; let one call through when it is time to retry."""
        if not self._down_until:
            return
        with self._lock:
            now = time.monotonic()
            if not self._down_until:
                return
            if now < self._down_until:
                raise BackendUnavailable(
                    f"Elasticsearch 暂时不可用（{self._down_reason}），{self._down_until - now:.1f} 秒后重试"
                )
            # This call probes; the others keep failing fast while it runs.
            self._down_until = now + self.retry_after if self.retry_after > 0 else 0.0

    def _trip(self, reason: str) -> None:
        logger.warning("Elasticsearch unavailable: %s", reason)
        if self.retry_after > 0:
            with self._lock:
                self._down_until = time.monotonic() + self.retry_after
                self._down_reason = reason[:200]

    def _answered(self) -> None:
        if self._down_until:
            with self._lock:
                self._down_until = 0.0
            logger.warning("Elasticsearch answers again")

    @contextmanager
    def _guard(self):
        """Map every way a request to Elasticsearch can fail to BackendUnavailable.

        A 404 passes as NotFoundError (the alias or the index does not exist: not a failure).
        """
        from elasticsearch import ApiError, ConnectionTimeout, TransportError

        self._admit()
        try:
            yield
        except ConnectionTimeout as exc:  # slow: no answer within the timeout
            self._trip("超时")
            raise BackendUnavailable(f"Elasticsearch 超时未响应：{exc}") from exc
        except TransportError as exc:  # connection refused or reset; a body that is not JSON
            self._trip(exc.__class__.__name__)
            raise BackendUnavailable(f"Elasticsearch 无法连接或响应无法解读：{exc}") from exc
        except ApiError as exc:
            status = getattr(getattr(exc, "meta", None), "status", None)
            if status == 404:
                self._answered()
                raise
            if status is None or status >= 500 or status == 429 or status < 300:  # < 300: not Elasticsearch
                self._trip(f"HTTP {status}")
            raise BackendUnavailable(f"Elasticsearch 出错（HTTP {status}）：{exc}") from exc
        self._answered()

    @contextmanager
    def _reading(self):
        """Reading a response: one of the wrong shape (a proxy's page, an empty body) is a failure too."""
        try:
            yield
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            self._trip("无法解读的响应")
            raise BackendUnavailable(f"Elasticsearch 返回了无法解读的响应：{exc!r}") from exc

    def _call(self, fn, *args, **kwargs):
        with self._guard():
            return fn(*args, **kwargs)

    def _scan(self, client, timeout: float, query: dict, source: list[str], size: int = 1000) -> Iterator[dict]:
        """Every hit of a query, through a scroll, each request within the timeout.

        Not elasticsearch.helpers.scan: its request timeout defaults to none at all (a slow
        cluster would hang the caller), and a response without hits or scroll id ends it quietly,
        so a proxy's ``{}`` would read as an empty index — and a load would then write an index
        without the records it did not see. Here a page of the wrong shape or from failed shards
        is unavailability.
        """
        client = client.options(request_timeout=timeout)
        scroll_id: str | None = None
        clear = True
        try:
            response = self._call(
                client.search, index=self.alias, query=query, source=source, size=size, scroll=_SCROLL, sort=["_doc"]
            )
            while True:
                with self._reading():
                    hits, scroll_id, shards = response["hits"]["hits"], response["_scroll_id"], response["_shards"]
                    if not isinstance(hits, list) or not isinstance(scroll_id, str):
                        raise TypeError(f"not a page of hits: {str(response)[:100]}")
                    if shards.get("successful", 0) + shards.get("skipped", 0) < shards.get("total", 0):
                        raise ValueError(f"shards failed: {shards}")
                if not hits:
                    return
                yield from hits
                response = self._call(client.scroll, scroll_id=scroll_id, scroll=_SCROLL)
        except BackendUnavailable:
            clear = False  # the scroll expires by itself; clearing it would wait a timeout again
            raise
        finally:
            if scroll_id and clear:
                try:
                    client.options(ignore_status=404).clear_scroll(scroll_id=scroll_id)
                except Exception as exc:  # noqa: BLE001 - it expires by itself
                    logger.info("scroll not cleared: %s", exc)

    def _live_index(self) -> str | None:
        """The index the alias points at; None when there is none (nothing loaded yet)."""
        from elasticsearch import NotFoundError

        try:
            aliases = self._call(self._fast.indices.get_alias, name=self.alias)
        except NotFoundError:
            return None
        body = aliases.body if hasattr(aliases, "body") else aliases
        with self._reading():
            names = sorted(name for name, entry in body.items() if self.alias in entry["aliases"])
            if body and not names:
                raise ValueError(f"no index holds the alias {self.alias}: {str(body)[:100]}")
        return names[-1] if names else None

    # -- records ----------------------------------------------------------------------------------

    def count(self) -> int:
        from elasticsearch import NotFoundError

        if self._live_index() is None:
            return 0
        try:
            response = self._call(self._fast.count, index=self.alias)
        except NotFoundError:
            return 0
        with self._reading():
            return int(response["count"])

    def get(self, code: str) -> dict | None:
        return self.get_many([code]).get(code)

    def get_many(self, codes: list[str]) -> dict[str, dict]:
        from elasticsearch import NotFoundError

        if not codes or self._live_index() is None:
            return {}
        try:
            response = self._call(self._fast.mget, index=self.alias, ids=codes, source=["doc"])
        except NotFoundError:
            return {}
        with self._reading():
            return {d["_id"]: d["_source"]["doc"] for d in response["docs"] if d.get("found")}

    def iter_records(self) -> Iterator[dict]:
        from elasticsearch import NotFoundError

        if self._live_index() is None:
            return
        hits = self._scan(self._es, self.timeout, {"match_all": {}}, ["doc"])
        read = 0
        try:
            for hit in hits:
                with self._reading():
                    record = hit["_source"]["doc"]
                read += 1
                yield record
        except NotFoundError as exc:
            if read:  # the index or the scroll went away half-way: never a silently short list
                raise BackendUnavailable(f"Elasticsearch 读取中断（已读 {read} 条）：{exc}") from exc

    def item_key_of(self, code: str) -> str | None:
        record = self.get(code)
        if record is None:
            return None
        hits = list(self._scan(self._fast, self.search_timeout, {"term": {"code": code}}, ["item_key"]))
        return hits[0]["_source"].get("item_key") if hits else record["基本编码"]

    def implementations(self, item_key: str) -> list[tuple[str, str]]:
        """(实施编码, 行政区划) of every implementation of an item."""
        from elasticsearch import NotFoundError

        if self._live_index() is None:
            return []
        try:
            hits = list(self._scan(self._fast, self.search_timeout, {"term": {"item_key": item_key}}, ["code", "region"]))
        except NotFoundError:
            return []
        with self._reading():
            return sorted((h["_source"]["code"], h["_source"]["region"]) for h in hits)

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
        keys = item_keys(
            (r["实施编码"], r["基本编码"], r["事项名称"], r.get("事项类型", ""), r["行政区划"]) for r in merged
        )
        generation = time.time_ns()
        new = f"{self.alias}-{generation}"
        self._call(self._es.indices.create, index=new, **index_body(analyzer.lexicon, generation))
        try:
            actions = (
                {"_index": new, "_id": r["实施编码"], "_source": document(r, analyzer, keys[r["实施编码"]])} for r in merged
            )
            with self._guard():
                for _ok, _item in streaming_bulk(self._es, actions, chunk_size=1000, raise_on_error=True):
                    if progress is not None:
                        progress(1)
            self._call(self._es.indices.put_settings, index=new, settings={"index": {"refresh_interval": "1s"}})
            self._call(self._es.indices.refresh, index=new)
            response = self._call(self._es.count, index=new)
            with self._reading():
                indexed = int(response["count"])
            if indexed != len(merged):
                raise BackendUnavailable(f"新索引 {new} 只有 {indexed}/{len(merged)} 条记录，未切换")
            actions_alias = [{"add": {"index": new, "alias": self.alias}}]
            if old is not None:
                actions_alias.insert(0, {"remove": {"index": old, "alias": self.alias}})
            self._call(self._es.indices.update_aliases, actions=actions_alias)
        except BaseException:
            self._drop(new)
            raise
        if old is not None:
            self._drop(old)
        self._analyzer, self._generation = analyzer, generation
        report.total = len(merged)
        return report

    def _drop(self, index: str) -> None:
        """Delete an index, best effort: the cluster being down must not hide why a load failed."""
        try:
            self._es.options(ignore_status=404).indices.delete(index=index)
        except Exception as exc:  # noqa: BLE001 - logged; a leftover index is harmless (not aliased)
            logger.warning("could not delete index %s: %s", index, exc)

    # -- search -----------------------------------------------------------------------------------

    @property
    def analyzer(self) -> Analyzer:
        """The live index's analyzer; the last good one while Elasticsearch does not answer.

        A failure is never remembered: with no analyzer yet, every use asks the cluster again
        (fast while the breaker is open), so the first use after it is back works.
        """
        if self._analyzer is not None and time.monotonic() - self._checked_at <= self.lexicon_recheck:
            return self._analyzer
        try:
            self._refresh_analyzer()
        except BackendUnavailable:
            if self._analyzer is None:
                raise
            logger.info("lexicon not rechecked, Elasticsearch unavailable: using the last one")
        return self._analyzer

    def _refresh_analyzer(self) -> None:
        from elasticsearch import NotFoundError

        for _attempt in range(2):
            live = self._live_index()
            if live is None:
                if self._analyzer is None:
                    self._analyzer = Analyzer(lexicon_from([]))
                self._checked_at = time.monotonic()
                return
            try:
                response = self._call(self._fast.indices.get_mapping, index=live)
                break
            except NotFoundError:  # a reload dropped that index just now: read the alias again
                continue
        else:
            raise BackendUnavailable("Elasticsearch 的索引正在切换，请稍后再试")
        with self._reading():
            meta = response[live]["mappings"].get("_meta", {})
            generation, lexicon = meta.get("generation"), meta.get("lexicon", [])
            if generation != self._generation or self._analyzer is None:
                if not isinstance(lexicon, list) or not all(isinstance(w, str) for w in lexicon):
                    raise TypeError(f"lexicon is not a list of words: {str(lexicon)[:100]}")
                self._analyzer, self._generation = Analyzer(lexicon), generation
        self._checked_at = time.monotonic()

    def search(self, request: SearchRequest) -> list[Group]:
        from elasticsearch import NotFoundError

        if not any(terms for name, terms in request.terms.items() if request.boosts.get(name)):
            return []
        if self._live_index() is None:
            return []
        body = build_query(request)
        try:
            response = self._call(self._fast.search, index=self.alias, **body)
        except NotFoundError:
            return []
        with self._reading():
            return self._groups(response, request)

    @staticmethod
    def _groups(response, request: SearchRequest) -> list[Group]:
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
            groups.append(Group(item_key=top["_source"].get("item_key") or top["_source"]["base_code"], score=float(top["_score"] or 0.0), hits=hits))
        return groups

    def close(self) -> None:
        self._client.close()

