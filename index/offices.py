"""Questions about an office, not an item: 南海车管所在哪, 残联电话多少, 公积金大厅几点开门.

    >>> from index.offices import OfficeDirectory
    >>> offices = OfficeDirectory(backend)
    >>> found = offices.find("南海车管所在哪", regions=[南海区])
    >>> found.bodies[0].name, found.bodies[0].values("location")
    ('佛山市公安局交通警察支队南海大队车辆管理所', ['佛山市南海区桂城街道…'])

An office is a body of the loaded records (实施主体), named by the citizen with an everyday name
(``data/offices.tsv``: 车管所 → 车辆管理所) or with the body's own name less its region
(广东省教育厅 → 教育厅). Its address, hours and phones are read from its records; when the
records of one body disagree on what is asked, the caller asks which item is meant (the address
differs by counter). Built once per index generation (one pass over the records).
"""

from __future__ import annotations

import functools
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field

from . import regions
from .analysis import data_lines, normalize
from .render import phones

ATTRIBUTE_KEYS = {"location": "办理地点", "office_hours": "办理时间", "phone": "咨询电话"}
MIN_OWN_NAME = 3


@functools.cache
def office_words() -> tuple[tuple[str, tuple[str, ...]], ...]:
    pairs = []
    for line in data_lines("offices.tsv"):
        left, _, right = line.partition("\t")
        pairs.append((normalize(left.strip()), tuple(normalize(w) for w in right.split())))
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


# 无线下办理窗口: an item done only online says so where its address belongs; true of the item,
# but not an address of the body, and no reason to ask which item the citizen means.
NO_PLACE = re.compile(r"^\s*(?:无|没有|不涉及|暂无)(?:线下)?(?:办理|受理)?(?:窗口|地点|场所)?[。.]?\s*$")


@dataclass
class Body:
    """One implementing body and what its records say of it."""

    name: str
    region: str
    codes: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    hours: list[str] = field(default_factory=list)
    phone_numbers: list[str] = field(default_factory=list)
    windows: set[str] = field(default_factory=set)

    @property
    def search_text(self) -> str:
        """Name, addresses and counters: 婚姻登记处 is often only in the address of a 民政局."""
        return normalize(" ".join([self.name, *sorted(set(self.addresses)), *sorted(self.windows)]))

    def values(self, attribute: str) -> list[str]:
        """The distinct values of an attribute across this body's records, most frequent first."""
        source = {"location": self.addresses, "office_hours": self.hours, "phone": self.phone_numbers}[attribute]
        counts: dict[str, int] = defaultdict(int)
        for value in source:
            counts[value] += 1
        return sorted(counts, key=lambda v: -counts[v])


@dataclass
class OfficeMatch:
    words: list[str]  # the office words the text used
    bodies: list[Body]


_SUFFIX = "局委厅会院所处办站队馆"
SPECIFIC = 10
HALLS = {"政务服务中心", "行政服务中心", "政务服务大厅", "行政服务大厅"}
# Words of the place, not of the body: what is left of 省税务局的办事窗口 once 税务局 is taken.
PLACE_WORDS = ("服务大厅", "办事大厅", "政务大厅", "大厅", "政务窗口", "办事窗口", "窗口", "办事", "政务", "在哪")


def _office_spans(text: str) -> list[str]:
    """Stretches of a text that end as a body's name ends (…局, …委, …会, …中心)."""
    spans = []
    for end, ch in enumerate(text, start=1):
        if ch in _SUFFIX or text[:end].endswith("中心"):
            spans += [text[start:end] for start in range(max(0, end - 10), end - 2)]
    return [s for s in spans if all("\u3400" <= c <= "\u9fff" for c in s)]


def shortens(short: str, name: str) -> bool:
    """Whether a citizen's short form names a body: 民宗委 of 民族宗教事务委员会 (its characters in
    order, same first character, its last within the name's last three), 海事局 of
    中华人民共和国海事局 (the end of the name), or the name with one character mistyped."""
    if len(short) < 3 or len(short) > len(name):
        return False
    if name.endswith(short):
        return True
    if len(short) == len(name) >= 4 and sum(a != b for a, b in zip(short, name)) == 1:
        return True
    if short[0] != name[0] or short[-1] not in name[-3:]:
        return False
    at = 0
    for ch in short:
        at = name.find(ch, at)
        if at < 0:
            return False
        at += 1
    return True


def _own_name(body: str) -> str:
    """A body's name without its region: 广东省教育厅 → 教育厅, 佛山市南海区人民政府 → 人民政府."""
    _found, rest = regions.take_regions(normalize(body))
    return rest.replace(" ", "")


class OfficeDirectory:
    """The bodies of the loaded records, by the names citizens use for them."""

    def __init__(self, backend):
        self.backend = backend
        self._lock = threading.Lock()
        self._built_for: object = None
        self._bodies: dict[str, Body] = {}
        self._own_names: dict[str, set[str]] = {}
        self._texts: dict[str, str] = {}

    def _ensure(self) -> None:
        # A new index generation comes with a new analyzer (both backends): rebuild then.
        stamp = (self.backend.count(), id(self.backend.analyzer))
        with self._lock:
            if self._built_for == stamp:
                return
            bodies: dict[str, Body] = {}
            own: dict[str, set[str]] = defaultdict(set)
            for record in self.backend.iter_records():
                name = record.get("实施主体")
                if not isinstance(name, str) or not name.strip():
                    continue
                body = bodies.get(name)
                if body is None:
                    body = bodies[name] = Body(name=name, region=str(record.get("行政区划") or ""))
                    own_name = _own_name(name)
                    if len(own_name) >= MIN_OWN_NAME:
                        own[own_name].add(name)
                body.codes.append(record["实施编码"])
                place = record.get("办理地点")
                if isinstance(place, str) and place.strip() and not NO_PLACE.match(normalize(place)):
                    body.addresses.append(place.strip())
                window = record.get("办理窗口")
                if isinstance(window, str) and window.strip():
                    body.windows.add(window.strip())
                hours = record.get("办理时间")
                if isinstance(hours, str) and hours.strip():
                    body.hours.append(hours.strip())
                numbers = phones(record, "咨询电话")
                if numbers:
                    body.phone_numbers.append("、".join(numbers))
            self._texts = {name: body.search_text for name, body in bodies.items()}
            self._bodies, self._own_names, self._built_for = bodies, dict(own), stamp

    def body(self, name: str) -> Body | None:
        self._ensure()
        return self._bodies.get(name)

    def find(self, folded_text: str, *, region_divisions=(), said: str = "") -> OfficeMatch | None:
        """The bodies an (already folded) text names, narrowed to the named region; None if none.

        A body is named by an everyday word (``data/offices.tsv``), by its own name less its
        region, or by the short form citizens make of that name (:func:`shortens`: 民宗委, 消委会,
        文旅厅, 海事局 for 中华人民共和国广东海事局). The bodies named by the most words come first;
        ``said``, the whole folded turn, lets a body named in full with its region (广州市公安局)
        win over its 分局.
        """
        self._ensure()
        text = folded_text.replace(" ", "")
        words: list[str] = []
        hits: dict[str, int] = defaultdict(int)
        for everyday, parts in office_words():
            if everyday in text:
                words.append(everyday)
                # a hall (政务服务中心) narrows among the bodies named; it names few by itself
                weight = 1 if set(parts) & HALLS else SPECIFIC
                for name, body_text in self._texts.items():
                    if any(p in body_text for p in parts):
                        hits[name] += weight
                text = text.replace(everyday, " ")
        for own_name, bodies in self._own_names.items():
            if own_name in text:
                words.append(own_name)
                for name in bodies:
                    hits[name] += SPECIFIC
        whole = (said or folded_text).replace(" ", "")  # the region too: 广州市公安局
        for name in self._bodies:
            if len(name) >= 5 and name in whole:
                hits[name] += 2 * SPECIFIC  # 广州市公安局 named in full: that body, not its 分局
        if not hits or max(hits.values()) < SPECIFIC:
            for span in _office_spans(text):
                for own_name, bodies in self._own_names.items():
                    if shortens(span, own_name):
                        words.append(span)
                        for name in bodies:
                            hits[name] += SPECIFIC
        if not hits:
            return None
        most = max(hits.values())
        names = {name for name, count in hits.items() if count == most}
        if not region_divisions and any(f"省{w}" in folded_text.replace(" ", "") for w in words):
            # 省水利厅: the province's own body, not a city's of the same name
            provincial = {n for n in names if self._bodies[n].region.rstrip() in ("广东省", "")}
            names = provincial or names
        chosen = [self._bodies[n] for n in sorted(names)]
        if region_divisions:
            named = region_divisions[0]

            def fits(body: Body) -> bool:
                own = regions.resolve(body.region)
                if own is None:
                    return False
                chain = regions.chain_codes(own)
                # the body lies in the named place, or serves it from above (a city's office for a district)
                return named.code in chain or own.code in regions.chain_codes(named)
            chosen = [b for b in chosen if fits(b)]
            # the most local bodies first: a district's 车管所 before the city's
            chosen.sort(key=lambda b: -len(regions.chain_codes(regions.resolve(b.region))))
        return OfficeMatch(words, chosen)
