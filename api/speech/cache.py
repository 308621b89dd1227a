"""Spoken answers kept on disk, so an answer given a thousand times is synthesized once.

    >>> cache = SpeechCache(Path("var/cache/speech"), max_bytes=200 * 2**20)
    >>> key = cache.key("cmn-latn-pinyin", 160, "ni3 hao3.")
    >>> cache.get(key) is None
    True
    >>> cache.put(key, wav); cache.get(key) == wav
    True

A file per sound, named by the hash of everything that shapes it (format version, voice, rate,
the exact text given to espeak-ng). The folder is bounded: past ``max_bytes`` the least recently
used files go (a hit touches its file). Writes are atomic (a temporary name, then a rename), so
several API workers can share the folder; a folder that cannot be written only costs the cache.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from pathlib import Path

logger = logging.getLogger(__name__)

# Raise when the normalization or the voices change: old sounds then miss instead of being
# played for text they no longer match.
FORMAT = 1


class SpeechCache:
    def __init__(self, folder: Path, *, max_bytes: int = 200 * 2**20):
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    @staticmethod
    def key(voice: str, rate: int, text: str) -> str:
        return hashlib.sha256(f"{FORMAT}\0{voice}\0{rate}\0{text}".encode()).hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.wav"

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            wav = path.read_bytes()
            os.utime(path)  # recently used: evicted last
        except OSError:  # absent, or evicted by another worker meanwhile
            return None
        return wav

    def put(self, key: str, wav: bytes) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=self.folder, suffix=".part")
            with os.fdopen(fd, "wb") as out:
                out.write(wav)
            os.replace(temporary, self._path(key))
        except OSError as exc:
            logger.warning("speech cache not written in %s: %s", self.folder, exc)
            return
        self._trim()

    def _trim(self) -> None:
        """Least recently used files out until the folder is back under 90% of its bound (not
        just under it: otherwise every new file would scan and evict again)."""
        with self._lock:
            files = []
            for path in self.folder.glob("*.wav"):
                try:
                    stat = path.stat()
                except OSError:
                    continue
                files.append((stat.st_mtime, stat.st_size, path))
            total = sum(size for _, size, _ in files)
            if total <= self.max_bytes:
                return
            for _, size, path in sorted(files):
                if total <= self.max_bytes * 0.9:
                    break
                path.unlink(missing_ok=True)
                total -= size

    def size(self) -> int:
        return sum(path.stat().st_size for path in self.folder.glob("*.wav")) if self.folder.exists() else 0
