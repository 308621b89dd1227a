"""What every API process must see alike: rate-limit buckets, the buttons WeChat citizens
were last offered, and WeChat's access token.

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

WeChat's access token is fetched by one process for all (:mod:`api.wechat_api`): the first to
find it missing or old takes a short lease (:meth:`SharedState.token_or_lease`), fetches it
outside any transaction (a lock held over a network call would stall every turn's rate limit)
and stores it; the others go on with the old token meanwhile, or wait for the new one. Losing
the file only costs one fetch. The file holds that token, so it is readable by its owner only.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (key TEXT PRIMARY KEY, tokens REAL NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS buttons (openid TEXT PRIMARY KEY, buttons TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (key TEXT PRIMARY KEY, token TEXT NOT NULL, expires_at REAL NOT NULL,
                                   fetched_at REAL NOT NULL, lease_until REAL NOT NULL);
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
        try:
            os.chmod(self.path, 0o600)  # SQLite gives its -wal and -shm files the same mode
        except OSError:  # another user's file: its owner chose
            pass

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

    # WeChat's access token --------------------------------------------------------------------

    def token_or_lease(self, key: str, *, refresh_before: float, min_gap: float, lease: float,
                       refused: str = "") -> tuple[str | None, bool]:
        """What to do for a token: ``(token, False)`` use this one; ``(None, True)`` fetch one,
        the caller holds the lease for ``lease`` seconds and must :meth:`put_token` or
        :meth:`drop_lease`; ``(None, False)`` another process is fetching, ask again shortly.

        A token is fetched again ``refresh_before`` seconds before it expires, but not more often
        than every ``min_gap`` seconds (WeChat may hand the same token back until it expires);
        ``refused`` is a token WeChat refused (40001), never given out again.
        """

        def decide(db):
            now = self.clock()
            row = db.execute("SELECT token, expires_at, fetched_at, lease_until FROM tokens WHERE key = ?", (key,)).fetchone()
            token, expires_at, fetched_at, lease_until = row or ("", 0.0, 0.0, 0.0)
            usable = bool(token) and token != refused and expires_at > now
            if usable and (expires_at - now > refresh_before or now - fetched_at < min_gap):
                return token, False
            if lease_until > now:
                return (token if usable else None), False
            db.execute("INSERT OR REPLACE INTO tokens VALUES (?, ?, ?, ?, ?)",
                       (key, token, expires_at, fetched_at, now + lease))
            return None, True

        return self._write(decide)

    def put_token(self, key: str, token: str, expires_in: float) -> None:
        """The token just fetched, valid ``expires_in`` seconds from now; the lease ends."""
        self._write(lambda db: db.execute("INSERT OR REPLACE INTO tokens VALUES (?, ?, ?, ?, 0)",
                                          (key, token, self.clock() + expires_in, self.clock())))

    def drop_lease(self, key: str) -> None:
        """The fetch failed: the next caller may try at once."""
        self._write(lambda db: db.execute("UPDATE tokens SET lease_until = 0 WHERE key = ?", (key,)))
