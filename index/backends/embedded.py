"""The embedded backend: no server, everything under ``GUIDE_DATA_DIR``.

    >>> from index.backends.embedded import EmbeddedBackend
    >>> backend = EmbeddedBackend("var/data")
    >>> backend.apply(records).summary()
    '新增 152 条，更新 0 条，…'
    >>> backend.search(request)[0].hits[0].code

Records live in SQLite (``items.sqlite``): one transaction per load, so a load either lands
whole or not at all, and a crash never leaves half a batch. The search index is derived data: an
inverted index with Lucene's BM25 statistics, built from the records after each load and saved
beside them (``search-index.pkl``) with the generation it was built from; a process that finds
the saved index older than the records rebuilds it, and a running process picks up a load made by
another one (the command line, the admin page) within a second.
"""

from __future__ import annotations

import os
import pickle
from array import array
import sqlite3
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import orjson

from .. import bm25
from ..analysis import ALL_FIELDS, Analyzer, lexicon_from
from ..identity import item_keys
from .base import Group, Hit, LoadReport, SearchRequest, plan_changes, region_chain, search_fields

INDEX_FORMAT = 5
LEVELS = {"省": 0, "市": 1, "区": 2, "镇": 3}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    code TEXT PRIMARY KEY,
    base_code TEXT NOT NULL,
    version INTEGER,
    name TEXT NOT NULL,
    region TEXT NOT NULL,
    body TEXT NOT NULL,
    search TEXT NOT NULL,   -- the few fields analysis needs, so a rebuild need not parse whole records
    doc BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS items_base ON items(base_code);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass
class FieldIndex:
    postings: dict[str, tuple[np.ndarray, np.ndarray]]
    lengths: np.ndarray  # encoded field length per document (0 when the field is empty)
    doc_count: int
    avgdl: float


@dataclass
class BuiltIndex:
    generation: int
    lexicon: list[str]
    codes: list[str]
    regions: list[str]
    item_ids: np.ndarray  # per document: which item (see index.identity)
    item_keys: list[str]
    chain: np.ndarray  # (N, 4) int64
    own_level: np.ndarray  # (N,) int8
    fields: dict[str, FieldIndex] = field(default_factory=dict)
    format: int = INDEX_FORMAT

    @property
    def size(self) -> int:
        return len(self.codes)

    # Looked up per turn: built on first use, never pickled with the index.
    _key_pos: dict | None = field(default=None, repr=False, compare=False)
    _code_pos: dict | None = field(default=None, repr=False, compare=False)

    def implementations(self, item_key: str) -> list[tuple[str, str]]:
        if self._key_pos is None:
            self._key_pos = {key: n for n, key in enumerate(self.item_keys)}
        item = self._key_pos.get(item_key)
        if item is None:
            return []
        return sorted((self.codes[d], self.regions[d]) for d in np.flatnonzero(self.item_ids == item))

    def item_key_of(self, code: str) -> str | None:
        if self._code_pos is None:
            self._code_pos = {c: n for n, c in enumerate(self.codes)}
        doc = self._code_pos.get(code)
        return None if doc is None else self.item_keys[int(self.item_ids[doc])]


def build_index(rows: Iterable[tuple[str, str, str, dict]], generation: int, progress=None) -> tuple[BuiltIndex, Analyzer]:
    """Build the inverted index from (code, base_code, region, search-fields) rows."""
    rows = list(rows)
    analyzer = Analyzer(lexicon_from(r[3] for r in rows))
    keys = item_keys(
        (code, base, str(f.get("事项名称", "")), str(f.get("事项类型", "")), region) for code, base, region, f in rows
    )
    codes: list[str] = []
    item_index: dict[str, int] = {}
    item_ids = np.empty(len(rows), dtype=np.int32)
    chain = np.full((len(rows), 4), -1, dtype=np.int64)
    own_level = np.full(len(rows), -1, dtype=np.int8)
    # array('i') rather than lists: 100,000 records make some ten million postings.
    postings: dict[str, dict[str, tuple[array, array]]] = {f: {} for f in ALL_FIELDS}
    lengths = {f: np.zeros(len(rows), dtype=np.float32) for f in ALL_FIELDS}
    chain_cache: dict[str, tuple[list[int], int]] = {}
    for doc, (code, base_code, region, fields) in enumerate(rows):
        codes.append(code)
        item_ids[doc] = item_index.setdefault(keys[code], len(item_index))
        if region not in chain_cache:
            chain_cache[region] = region_chain(region)
        chain[doc], own_level[doc] = chain_cache[region]
        for name, tokens in analyzer.document_fields(fields).items():
            lengths[name][doc] = bm25.encoded_length(len(tokens))
            field_postings = postings[name]
            for term, tf in Counter(tokens).items():
                entry = field_postings.get(term)
                if entry is None:
                    entry = field_postings[term] = (array("i"), array("f"))
                entry[0].append(doc)
                entry[1].append(tf)
        if progress is not None:
            progress(1)
    built = BuiltIndex(
        generation=generation,
        lexicon=analyzer.lexicon,
        codes=codes,
        regions=[r[2] for r in rows],
        item_ids=item_ids,
        item_keys=list(item_index),
        chain=chain,
        own_level=own_level,
    )
    for name in ALL_FIELDS:
        present = lengths[name] > 0
        doc_count = int(present.sum())
        total = float(lengths[name].sum())
        built.fields[name] = FieldIndex(
            postings={
                term: (np.frombuffer(ids, dtype=np.int32), np.frombuffer(tfs, dtype=np.float32))
                for term, (ids, tfs) in postings[name].items()
            },
            lengths=lengths[name],
            doc_count=doc_count,
            avgdl=total / doc_count if doc_count else 1.0,
        )
    return built, analyzer


def _chunks(items: Iterable[dict], size: int) -> Iterator[list[dict]]:
    chunk: list[dict] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class EmbeddedBackend:
    """Records in SQLite, BM25 inverted index in memory and on disk; safe for threads."""

    name = "embedded"

    def __init__(self, data_dir: str | os.PathLike, *, refresh_seconds: float = 1.0):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.db_path = self.data_dir / "items.sqlite"
        self.index_path = self.data_dir / "search-index.pkl"
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(self.db_path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        self._built: BuiltIndex | None = None
        self._analyzer: Analyzer | None = None
        self._refresh_seconds = refresh_seconds
        self._checked_at = 0.0

    # -- records ----------------------------------------------------------------------------------

    def _generation(self) -> int:
        row = self._conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    def count(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT count(*) FROM items").fetchone()[0]

    def get(self, code: str) -> dict | None:
        with self._lock:
            row = self._conn.execute("SELECT doc FROM items WHERE code=?", (code,)).fetchone()
        return orjson.loads(row[0]) if row else None

    def get_many(self, codes: list[str]) -> dict[str, dict]:
        out: dict[str, dict] = {}
        with self._lock:
            for start in range(0, len(codes), 500):
                chunk = codes[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for code, doc in self._conn.execute(f"SELECT code, doc FROM items WHERE code IN ({marks})", chunk):
                    out[code] = orjson.loads(doc)
        return out

    def iter_records(self) -> Iterator[dict]:
        with self._lock:
            rows = self._conn.execute("SELECT doc FROM items ORDER BY code").fetchall()
        for (doc,) in rows:
            yield orjson.loads(doc)

    def implementations(self, item_key: str) -> list[tuple[str, str]]:
        """(实施编码, 行政区划) of every implementation of an item (see index.identity)."""
        built = self._ensure_index()
        with self._lock:
            return built.implementations(item_key)

    def item_key_of(self, code: str) -> str | None:
        """The item a 实施编码 belongs to."""
        built = self._ensure_index()
        with self._lock:
            return built.item_key_of(code)

    def apply(self, records: Iterable[dict], *, replace: bool = False, progress=None) -> LoadReport:
        """Store a checked batch in one transaction (version rules apply), then rebuild the index.

        ``records`` may be a generator: it is written in chunks, so a load of 100,000 records
        never holds them all, and the transaction still makes it all or nothing.
        """
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            report = LoadReport()
            try:
                if replace:
                    conn.execute("DELETE FROM items")
                changed = replace
                for chunk in _chunks(records, 1000):
                    existing = {} if replace else self._versions([r["实施编码"] for r in chunk])
                    writes, part = plan_changes(existing, chunk)
                    report.merge(part)
                    conn.executemany(
                        "INSERT OR REPLACE INTO items (code, base_code, version, name, region, body, search, doc)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            (
                                r["实施编码"],
                                r["基本编码"],
                                r.get("事项版本"),
                                r["事项名称"],
                                r["行政区划"],
                                r["实施主体"],
                                orjson.dumps(search_fields(r)).decode(),
                                orjson.dumps(r),
                            )
                            for r in writes
                        ),
                    )
                    changed = changed or bool(writes)
                generation = self._generation()
                if changed:
                    generation += 1
                    conn.execute(
                        "INSERT OR REPLACE INTO meta (key, value) VALUES ('generation', ?)", (str(generation),)
                    )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            report.total = self.count()
            if changed or self._built is None:
                self._rebuild(generation, progress=progress)
            return report

    def _versions(self, codes: list[str]) -> dict[str, int | None]:
        out: dict[str, int | None] = {}
        for start in range(0, len(codes), 500):
            chunk = codes[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for code, version in self._conn.execute(f"SELECT code, version FROM items WHERE code IN ({marks})", chunk):
                out[code] = version
        return out

    # -- index ------------------------------------------------------------------------------------

    def _rebuild(self, generation: int, progress=None) -> None:
        rows = [
            (code, base, region, orjson.loads(search))
            for code, base, region, search in self._conn.execute(
                "SELECT code, base_code, region, search FROM items ORDER BY code"
            )
        ]
        built, analyzer = build_index(rows, generation, progress=progress)
        tmp = self.index_path.with_suffix(".tmp")
        with open(tmp, "wb") as handle:
            pickle.dump(built, handle, protocol=pickle.HIGHEST_PROTOCOL)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.index_path)
        self._built, self._analyzer = built, analyzer

    def _ensure_index(self) -> BuiltIndex:
        with self._lock:
            now = time.monotonic()
            if self._built is not None and now - self._checked_at < self._refresh_seconds:
                return self._built
            self._checked_at = now
            generation = self._generation()
            if self._built is not None and self._built.generation == generation:
                return self._built
            built = self._load_saved(generation)
            if built is not None:
                self._built, self._analyzer = built, Analyzer(built.lexicon)
            else:
                self._rebuild(generation)
            return self._built

    def _load_saved(self, generation: int) -> BuiltIndex | None:
        try:
            with open(self.index_path, "rb") as handle:
                built = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            return None
        if getattr(built, "format", None) != INDEX_FORMAT or built.generation != generation:
            return None
        return built

    @property
    def analyzer(self) -> Analyzer:
        self._ensure_index()
        return self._analyzer

    def search(self, request: SearchRequest) -> list[Group]:
        built = self._ensure_index()
        if built.size == 0:
            return []
        scores = np.zeros(built.size, dtype=np.float64)
        for name, terms in request.terms.items():
            boost = request.boosts.get(name, 0.0)
            index = built.fields.get(name)
            if not boost or index is None or not index.doc_count:
                continue
            for term, weight in terms:
                posting = index.postings.get(term)
                if posting is None:
                    continue
                ids, tfs = posting
                idf = bm25.idf(len(ids), index.doc_count)
                scores[ids] += boost * weight * idf * bm25.term_scores(tfs, index.lengths[ids], index.avgdl)
        candidates = np.flatnonzero(scores)
        if candidates.size == 0:
            return []
        match = np.zeros(candidates.size, dtype=np.int8)  # 0 none, 1 serves, 2 within
        if request.region is not None:
            match = self._region_match(built, candidates, request.region)
            if request.region_mode == "filter":
                keep = match > 0
                candidates, match = candidates[keep], match[keep]
                if candidates.size == 0:
                    return []
            else:
                scores[candidates[match > 0]] *= request.region_boost
        cand_scores = scores[candidates]
        # Best first; ties broken by 实施编码 order (the build order) so results are stable.
        order = np.lexsort((candidates, -cand_scores))
        ranked, ranked_match = candidates[order], match[order]
        bases = built.item_ids[ranked]
        _, first = np.unique(bases, return_index=True)
        top_groups = np.sort(first)[: request.limit]
        groups: list[Group] = []
        wanted: list[tuple[int, list[int]]] = []
        for position in top_groups:
            base = bases[position]
            members = np.flatnonzero(bases == base)[: request.per_group]
            wanted.append((int(base), [int(m) for m in members]))
        codes = [built.codes[ranked[m]] for _, members in wanted for m in members]
        meta = self._meta(codes)
        for base, members in wanted:
            hits = []
            for m in members:
                code = built.codes[ranked[m]]
                name, region, body, _ = meta.get(code, ("", "", "", ""))
                hits.append(
                    Hit(
                        code=code,
                        base_code=meta.get(code, ("", "", "", ""))[3],
                        name=name,
                        region=region,
                        body=body,
                        score=float(scores[ranked[m]]),
                        region_match={1: "serves", 2: "within"}.get(int(ranked_match[m])),
                    )
                )
            groups.append(Group(item_key=built.item_keys[base], score=hits[0].score, hits=hits))
        return groups

    @staticmethod
    def _region_match(built: BuiltIndex, docs: np.ndarray, scope) -> np.ndarray:
        chain = built.chain[docs]
        own = built.own_level[docs]
        own_code = np.where(own >= 0, chain[np.arange(len(docs)), np.maximum(own, 0)], -1)
        serves = np.isin(own_code, np.asarray([int(c) for c in scope.chain], dtype=np.int64))
        within = (chain[:, scope.level] == int(scope.code)) & (own > scope.level)
        return np.where(serves, 1, np.where(within, 2, 0)).astype(np.int8)

    def _meta(self, codes: list[str]) -> dict[str, tuple[str, str, str, str]]:
        out: dict[str, tuple[str, str, str, str]] = {}
        with self._lock:
            for start in range(0, len(codes), 500):
                chunk = codes[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for code, name, region, body, base in self._conn.execute(
                    f"SELECT code, name, region, body, base_code FROM items WHERE code IN ({marks})", chunk
                ):
                    out[code] = (name, region, body, base)
        return out

    def close(self) -> None:
        with self._lock:
            self._conn.close()
