"""What every API process must see alike: rate-limit buckets and the buttons WeChat citizens
were last offered.

    >>> shared = SharedState("var/data/shared.sqlite")
    >>> shared.take_token("web-1", per_minute=30, burst=10)
    (True, 0.0)
    >>> shared.offer_buttons("o1", [{"title": "桂城街道", "payload": "/choose_option{\\"option\\":\\"1\\"}"}])
    >>> shared.buttons("o1")[0]["title"]
    '桂城街道'

With several API workers (``GUIDE_API_WORKERS``) a flooding sender whose requests land on two
processes must still be limited once, and a WeChat citizen's "1" must pick the button another
process offered. A small SQLite file beside the data does it for processes on one machine: WAL,
and ``synchronous=OFF``, since losing it on a power cut only refills a bucket or makes "1" plain
text again; nothing a citizen said is kept here. Each read-modify-write is one ``BEGIN
IMMEDIATE`` transaction, so two processes never both take the last token.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (key TEXT PRIMARY KEY, tokens REAL NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS buttons (openid TEXT PRIMARY KEY, buttons TEXT NOT NULL, at REAL NOT NULL);
"""
# Rows not touched for this long are dropped (a full bucket and stale buttons mean nothing).
KEEP_SECONDS = 24 * 3600
SWEEP_EVERY = 1000


class SharedState:
    def __init__(self, path: Path | str, *, clock=time.time):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.clock = clock
        self._local = threading.local()
        self._writes = 0
        with self._db() as db:
            db.executescript(SCHEMA)

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=OFF")
            self._local.db = db
        return db

    def _write(self, statements) -> object:
        """Run ``statements(db)`` in one immediate transaction; its result."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            result = statements(db)
            self._writes += 1
            if self._writes % SWEEP_EVERY == 0:
                old = self.clock() - KEEP_SECONDS
                db.execute("DELETE FROM buckets WHERE at < ?", (old,))
                db.execute("DELETE FROM buttons WHERE at < ?", (old,))
            db.execute("COMMIT")
            return result
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # rate limits ------------------------------------------------------------------------------

    def take_token(self, key: str, *, per_minute: float, burst: int) -> tuple[bool, float]:
        """Take one token from ``key``'s bucket: (allowed, seconds until the next token)."""
        rate = per_minute / 60.0

        def take(db):
            now = self.clock()
            row = db.execute("SELECT tokens, at FROM buckets WHERE key = ?", (key,)).fetchone()
            tokens, last = row if row else (float(burst), now)
            tokens = min(float(burst), tokens + max(0.0, now - last) * rate)
            allowed = tokens >= 1.0
            left = tokens - 1.0 if allowed else tokens
            db.execute("INSERT OR REPLACE INTO buckets VALUES (?, ?, ?)", (key, left, now))
            return allowed, 0.0 if allowed else (1.0 - left) / rate

        return self._write(take)

    # WeChat's offered buttons -----------------------------------------------------------------

    def offer_buttons(self, openid: str, buttons: list[dict[str, str]]) -> None:
        def offer(db):
            if buttons:
                db.execute("INSERT OR REPLACE INTO buttons VALUES (?, ?, ?)",
                           (openid, json.dumps(buttons, ensure_ascii=False), self.clock()))
            else:
                db.execute("DELETE FROM buttons WHERE openid = ?", (openid,))

        self._write(offer)

    def buttons(self, openid: str) -> list[dict[str, str]]:
        row = self._db().execute("SELECT buttons FROM buttons WHERE openid = ?", (openid,)).fetchone()
        return json.loads(row[0]) if row else []
