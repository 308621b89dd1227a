"""Regions in citizens' words and in records: which division, and what contains what.

    >>> from index.regions import take_regions, resolve, chain_codes
    >>> found, rest = take_regions("佛山南海桂城办居住证")
    >>> [d.full_name for d in found], rest
    (['广东省佛山市南海区桂城街道'], '   办居住证')
    >>> division = resolve("广东省佛山市南海区桂城街道")
    >>> chain_codes(division)        # province, city, district, town
    ['440000', '440600', '440605', '440605001']

A 镇街 belongs to its 区, 市 and 省: an implementation serves a citizen's region when the
implementation's division is that region or one of its ancestors (a 市级 item serves every town of
the city), and it lies *within* the region when it is a descendant (the citizen said 佛山, the item
is handled by 南海区): both match, the second needs the dialogue to ask which one.
"""

from __future__ import annotations

import functools
import re

from . import divisions as div

# Short forms that are also everyday words would turn 'city centre' questions into regions.
_AMBIGUOUS_SHORT = {"城区", "东区", "西区", "南区", "北区", "中心", "新城", "开发", "高新", "市区", "郊区", "街道", "新区"}


@functools.cache
def _name_table() -> dict[str, tuple]:
    """Every way a division is written (full and short name) → the divisions written so."""
    table: dict[str, list] = {}
    for d in div.all_divisions():
        names = {d.name, d.full_name}
        short = d.short_name
        if short and len(short) >= 2 and short not in _AMBIGUOUS_SHORT:
            names.add(short)
        if d.level == "省":
            names.update({"广东", "广东省", "全省"})
        for name in names:
            table.setdefault(name, []).append(d)
    return {k: tuple(v) for k, v in table.items()}


@functools.cache
def _pattern() -> re.Pattern:
    names = sorted(_name_table(), key=len, reverse=True)
    return re.compile("|".join(re.escape(n) for n in names))


def _is_ancestor(a, b) -> bool:
    return a.code in {x.code for x in div.ancestors(b)} and a.code != b.code


def take_regions(text: str, protected: list[tuple[int, int]] = ()) -> tuple[list, str]:
    """Find the regions a text names and remove them; return the most specific consistent ones.

    '佛山南海' gives [南海区] (佛山 is its ancestor); an ambiguous town name gives every town of
    that name unless an ancestor also named narrows it down. ``protected`` spans (start, end) are
    words of the item dictionary: a short name inside one is not a place (建设 in 建设工程 is not
    建设街道), while a full name (建设街道) still is.
    """
    table = _name_table()
    mentions: list[tuple] = []
    pieces: list[str] = []
    last = 0
    for match in _pattern().finditer(text):
        if any(start < match.end() and match.start() < end for start, end in protected):
            if not any(d.name == match.group(0) or d.full_name == match.group(0) for d in table[match.group(0)]):
                continue
        mentions.append(table[match.group(0)])
        pieces.append(text[last : match.start()])
        pieces.append(" ")
        last = match.end()
    if not mentions:
        return [], text
    pieces.append(text[last:])
    rest = "".join(pieces)
    # Keep candidates consistent with the other mentions; then drop those that are ancestors of
    # another candidate (the most specific region is the one meant).
    candidates: list = []
    for options in mentions:
        others = [o for o in mentions if o is not options]
        narrowed = [d for d in options if all(any(_related(d, x) for x in group) for group in others)]
        candidates.extend(narrowed or options)
    unique = {d.code: d for d in candidates}
    specific = [d for d in unique.values() if not any(_is_ancestor(d, x) for x in unique.values())]
    return specific, rest


def _related(a, b) -> bool:
    return a.code == b.code or _is_ancestor(a, b) or _is_ancestor(b, a)


@functools.cache
def resolve(region_text: str):
    """The division a record's 行政区划 (or a user's region filter) names, or None.

    Accepts full names (广东省佛山市南海区桂城街道), partial chains (佛山市南海区) and short
    forms (南海); when several divisions fit, the most specific consistent one wins.
    """
    text = (region_text or "").strip()
    if not text:
        return None
    exact = div.by_full_name(text)
    if exact is not None:
        return exact
    found, _ = take_regions(text)
    if len(found) == 1:
        return found[0]
    return None


def chain_codes(division) -> list[str]:
    """Codes from the province down to the division itself."""
    if division is None:
        return []
    return [d.code for d in div.ancestors(division)] + [division.code]
