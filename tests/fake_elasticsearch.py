"""A fake Elasticsearch for fault tests: just enough of the REST API for ElasticBackend.

    >>> fake = FakeElasticsearch()
    >>> fake.load(records)            # indexed with the backend's own document(), like apply()
    >>> fake.start()                  # 127.0.0.1, a free port; fake.url
    >>> backend = ElasticBackend(fake.url)
    >>> fake.set_mode("slow")         # up, down, slow, error, garbage, html, wrong_shape
    >>> fake.set_mode("error", status=503, only="_mget")   # a fault on one endpoint only

Modes:

- ``up``: answers like Elasticsearch 9 (product header, compatible-with content type);
- ``down``: the server is stopped, its port closed (connection refused); any other mode starts
  it again on the SAME port;
- ``slow``: waits ``delay`` seconds (longer than any timeout under test) before answering;
  changing the mode or stopping wakes the waiting requests so that tests end fast;
- ``error``: HTTP ``status`` (500) with Elasticsearch's error body;
- ``garbage``: 200, JSON content type, a body that is not JSON (a truncated answer);
- ``html``: 200, text/html, a proxy's page, no product header;
- ``wrong_shape``: 200, valid JSON of the wrong shape.

The search is a plausible imitation, not Lucene: ``term`` clauses score boost × a BM25-like tf·idf
on the whitespace tokens the backend indexed; bool/should/filter, terms, range, function_score
(weight, multiply) and collapse with inner_hits are honoured, which is what build_query uses.
Every request is recorded in ``requests`` as (method, path without query string).
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from index.analysis import Analyzer, lexicon_from
from index.backends.base import search_fields
from index.backends.elastic import document

MODES = ("up", "down", "slow", "error", "garbage", "html", "wrong_shape")
_SHARDS = {"total": 1, "successful": 1, "skipped": 0, "failed": 0}
_PREPARED: dict[tuple, tuple[list[str], dict[str, dict]]] = {}


def prepare(records: list[dict]) -> tuple[list[str], dict[str, dict]]:
    """The lexicon and the indexed documents of a corpus, as ElasticBackend.apply makes them."""
    key = tuple((r["实施编码"], r.get("事项版本"), r["事项名称"], r["行政区划"]) for r in records)
    if key not in _PREPARED:
        analyzer = Analyzer(lexicon_from(search_fields(r) for r in records))
        docs = {r["实施编码"]: document(r, analyzer) for r in records}
        _PREPARED[key] = (analyzer.lexicon, json.loads(json.dumps(docs, ensure_ascii=False)))
    return _PREPARED[key]


class FakeElasticsearch:
    def __init__(self, alias: str = "guide-items", *, delay: float = 10.0):
        self.alias = alias
        self.delay = delay
        self.mode = "down"
        self.status = 500
        self.only: str | None = None
        self.requests: list[tuple[str, str]] = []
        self.index: str | None = None
        self.meta: dict = {}
        self.docs: dict[str, dict] = {}
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._scrolls: dict[str, list[dict]] = {}
        self._lock = threading.Lock()

    # -- control --------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def load(self, records: list[dict], generation: int = 1) -> None:
        lexicon, docs = prepare(records)
        self.index = f"{self.alias}-{generation}"
        self.meta = {"generation": generation, "lexicon": lexicon}
        self.docs = docs

    def start(self) -> None:
        """Listen (again) on 127.0.0.1 — on the same port as before once one was given."""
        if self._server is not None:
            return
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        if self.mode == "down":
            self.mode = "up"

    def stop(self) -> None:
        """Close the port: connections are refused until start()."""
        self._wake_all()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.mode = "down"

    def set_mode(self, mode: str, *, status: int = 500, only: str | None = None) -> None:
        """Switch the behaviour; ``only``: a path fragment (``_search``, ``_mget``) the fault is limited to."""
        if mode not in MODES:
            raise ValueError(mode)
        if mode == "down":
            self.stop()
            return
        self._wake_all()
        self.status, self.only = status, only
        self.start()
        self.mode = mode

    def _wake_all(self) -> None:
        with self._lock:
            self._wake.set()
            self._wake = threading.Event()

    def requests_to(self, fragment: str) -> int:
        return sum(1 for _, path in self.requests if fragment in path)

    # -- the API --------------------------------------------------------------------------------

    def handle(self, method: str, path: str, params: dict[str, str], body: dict | None) -> tuple[int, object]:
        parts = [unquote(p) for p in path.strip("/").split("/") if p]
        if not parts:
            return 200, {"name": "fake", "cluster_name": "fake", "version": {"number": "9.0.0"}, "tagline": "You Know, for Search"}
        if parts[0] == "_alias" and len(parts) == 2:
            if self.index is None or parts[1] != self.alias:
                return 404, {"error": f"alias [{parts[1]}] missing", "status": 404}
            return 200, {self.index: {"aliases": {self.alias: {}}}}
        if parts[0] == "_search" and parts[1:] == ["scroll"]:
            if method == "DELETE":
                return 200, {"succeeded": True, "num_freed": 1}
            scroll_id = (body or {}).get("scroll_id") or params.get("scroll_id", "")
            return 200, self._page(scroll_id, int(params.get("size", 0) or 0))
        index, rest = parts[0], parts[1:]
        if self.index is None or index not in (self.alias, self.index):
            return 404, _error(404, "index_not_found_exception", f"no such index [{index}]")
        if rest == ["_mapping"]:
            properties = {"code": {"type": "keyword"}}
            return 200, {self.index: {"mappings": {"dynamic": "strict", "_meta": self.meta, "properties": properties}}}
        if rest == ["_count"]:
            return 200, {"count": len(self.docs), "_shards": _SHARDS}
        if rest == ["_mget"]:
            ids = (body or {}).get("ids") or [d["_id"] for d in (body or {}).get("docs", [])]
            return 200, {"docs": [self._get(code, params.get("_source")) for code in ids]}
        if len(rest) == 2 and rest[0] == "_doc":
            found = self._get(rest[1], params.get("_source"))
            return (200 if found["found"] else 404), found
        if rest == ["_search"]:
            return 200, self._search(body or {}, params)
        return 400, _error(400, "illegal_argument_exception", f"fake: no handler for {method} /{path}")

    def _get(self, code: str, source: str | None) -> dict:
        doc = self.docs.get(code)
        if doc is None:
            return {"_index": self.index, "_id": code, "found": False}
        return {"_index": self.index, "_id": code, "_version": 1, "_seq_no": 0, "_primary_term": 1, "found": True,
                "_source": _filtered(doc, source.split(",") if source else None)}

    def _search(self, body: dict, params: dict[str, str]) -> dict:
        query = body.get("query") or {"match_all": {}}
        size = int(body.get("size", params.get("size", 10)))
        keep = body.get("_source", params.get("_source"))
        keep = keep.split(",") if isinstance(keep, str) else keep
        stats = self._stats()
        scored = []
        for code, doc in self.docs.items():
            score = _score(query, doc, stats)
            if score is not None:
                scored.append((score, code, doc))
        scored.sort(key=lambda s: (-s[0], s[1]))
        hits = [self._hit(score, code, doc, keep) for score, code, doc in scored]
        if "scroll" in params:
            scroll_id = f"scroll-{len(self._scrolls) + 1}"
            self._scrolls[scroll_id] = hits[size:]
            return {**self._envelope(hits[:size], len(hits)), "_scroll_id": scroll_id}
        collapse = body.get("collapse")
        if collapse:
            field, inner = collapse["field"], collapse.get("inner_hits") or {}
            groups: dict[str, list[dict]] = {}
            for hit, (_, _, doc) in zip(hits, scored):
                groups.setdefault(doc[field], []).append(hit)
            tops = []
            for members in groups.values():
                top = dict(members[0])
                top["fields"] = {field: [members[0]["_source"].get(field, "")]}
                inner_hits = [self._hit(m["_score"], m["_id"], self.docs[m["_id"]], inner.get("_source", keep)) for m in members]
                top["inner_hits"] = {
                    inner.get("name", field): {
                        "hits": {"total": {"value": len(members), "relation": "eq"}, "max_score": members[0]["_score"],
                                 "hits": inner_hits[: inner.get("size", 3)]}
                    }
                }
                tops.append(top)
            tops.sort(key=lambda h: (-h["_score"], h["_id"]))
            return self._envelope(tops[:size], len(hits))
        return self._envelope(hits[:size], len(hits))

    def _page(self, scroll_id: str, size: int) -> dict:
        remaining = self._scrolls.get(scroll_id, [])
        size = size or 1000
        page, self._scrolls[scroll_id] = remaining[:size], remaining[size:]
        return {**self._envelope(page, len(page)), "_scroll_id": scroll_id}

    def _hit(self, score: float, code: str, doc: dict, keep) -> dict:
        return {"_index": self.index, "_id": code, "_score": score, "_source": _filtered(doc, keep), "sort": [score, code]}

    @staticmethod
    def _envelope(hits: list[dict], total: int) -> dict:
        return {
            "took": 1, "timed_out": False, "_shards": _SHARDS,
            "hits": {"total": {"value": total, "relation": "eq"}, "max_score": max((h["_score"] for h in hits), default=None), "hits": hits},
        }

    def _stats(self) -> dict:
        """Document frequency of every (field, token): the idf of the imitation BM25."""
        df: dict[tuple[str, str], int] = {}
        for doc in self.docs.values():
            for field, value in doc.items():
                if field.startswith("f_") and isinstance(value, str):
                    for token in set(value.split(" ")):
                        df[(field, token)] = df.get((field, token), 0) + 1
        return {"n": len(self.docs), "df": df}

    # -- faults ---------------------------------------------------------------------------------

    def respond(self, handler: "_Handler", method: str) -> None:
        split = urlsplit(handler.path)
        self.requests.append((method, split.path))
        params = {k: v[-1] for k, v in parse_qs(split.query).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        faulty = self.mode != "up" and (self.only is None or self.only in split.path)
        mode = self.mode if faulty else "up"
        if mode == "slow":
            self._wake.wait(self.delay)
            mode = "up"  # a late answer, to a client that has given up (or not)
        if mode == "error":
            status = self.status
            return handler.send(status, _error(status, "fake_failure", "simulated failure"), product=True)
        if mode == "garbage":
            return handler.send_raw(200, b'{"took": 3, "hits": {"hits": [{"_id"', "application/json", product=True)
        if mode == "html":
            return handler.send_raw(200, b"<html><body><h1>502 Bad Gateway</h1>nginx</body></html>", "text/html", product=False)
        if mode == "wrong_shape":
            return handler.send(200, {"acknowledged": True, "hits": "none"}, product=True)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return handler.send(400, _error(400, "parse_exception", "request body is not JSON"), product=True)
        status, payload = self.handle(method, split.path, params, body)
        handler.send(status, payload, product=True)


def _error(status: int, kind: str, reason: str) -> dict:
    return {"error": {"root_cause": [{"type": kind, "reason": reason}], "type": kind, "reason": reason}, "status": status}


def _filtered(doc: dict, keep) -> dict:
    if keep is None or keep is True:
        return doc
    if keep is False:
        return {}
    return {k: v for k, v in doc.items() if k in keep}


def _score(query: dict, doc: dict, stats: dict) -> float | None:
    """The score of a document for a query, None when it does not match."""
    (kind, spec), = query.items()
    if kind == "match_all":
        return 1.0
    if kind == "bool":
        for clause in spec.get("filter", []) + spec.get("must", []):
            if _score(clause, doc, stats) is None:
                return None
        matched = [s for s in (_score(c, doc, stats) for c in spec.get("should", [])) if s is not None]
        required = spec.get("minimum_should_match", 0 if (spec.get("filter") or spec.get("must")) else 1)
        if len(matched) < required:
            return None
        return sum(matched) + sum(_score(c, doc, stats) or 0.0 for c in spec.get("must", [])) or 1.0
    if kind == "function_score":
        base = _score(spec["query"], doc, stats)
        if base is None:
            return None
        weights = [f.get("weight", 1.0) for f in spec.get("functions", []) if _score(f.get("filter", {"match_all": {}}), doc, stats) is not None]
        return base * (max(weights) if weights else 1.0)
    if kind == "term":
        (field, value), = spec.items()
        boost = 1.0
        if isinstance(value, dict):
            value, boost = value["value"], value.get("boost", 1.0)
        actual = doc.get(field)
        if field.startswith("f_"):
            tf = (actual or "").split(" ").count(value)
            if not tf:
                return None
            n, df = stats["n"], stats["df"].get((field, value), 0)
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            return boost * idf * tf * 2.2 / (tf + 1.2)
        values = actual if isinstance(actual, list) else [actual]
        return boost if str(value) in [str(v) for v in values] else None
    if kind == "terms":
        (field, wanted), = spec.items()
        actual = doc.get(field)
        values = actual if isinstance(actual, list) else [actual]
        return 1.0 if {str(v) for v in values} & {str(w) for w in wanted} else None
    if kind == "range":
        (field, bounds), = spec.items()
        value = doc.get(field)
        if value is None:
            return None
        ops = {"gt": value.__gt__, "gte": value.__ge__, "lt": value.__lt__, "lte": value.__le__}
        return 1.0 if all(ops[op](bound) for op, bound in bounds.items()) else None
    raise ValueError(f"fake: unsupported query {kind}")


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, so a stopped server leaves no kept-alive connection
    # still answering.
    protocol_version = "HTTP/1.0"
    server_version = "fake-elasticsearch"

    def do_GET(self):
        self.server.fake.respond(self, "GET")

    def do_POST(self):
        self.server.fake.respond(self, "POST")

    def do_PUT(self):
        self.server.fake.respond(self, "PUT")

    def do_DELETE(self):
        self.server.fake.respond(self, "DELETE")

    def do_HEAD(self):
        self.server.fake.respond(self, "HEAD")

    def _content_type(self) -> str:
        # The 8.x/9.x client asks for application/vnd.elasticsearch+json; compatible-with=N and
        # Elasticsearch answers in kind; plain application/json is understood too.
        accept = self.headers.get("Accept", "")
        match = re.search(r"compatible-with=(\d+)", accept)
        return f"application/vnd.elasticsearch+json;compatible-with={match.group(1)}" if match else "application/json"

    def send(self, status: int, payload: object, *, product: bool) -> None:
        self.send_raw(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), self._content_type(), product=product)

    def send_raw(self, status: int, body: bytes, content_type: str, *, product: bool) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if product:
                self.send_header("X-Elastic-Product", "Elasticsearch")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout): fine
            pass

    def log_message(self, format, *args):  # quiet
        pass

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError):
            pass


def wait_for(predicate, timeout: float = 5.0, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
