"""Scale-test corpus: the templates implemented across all of Guangdong's real divisions.

``python -m index generate`` and the bench take their templates from :func:`scale_templates`:
the ~2,200 distinct items of the real portal export (``index/corpus/portal_names.py``) when it
is there, so that search at scale tells thousands of different items apart; else the 60
authored templates.

    >>> from index.corpus.generate import generate, write_jsonl
    >>> with open("/tmp/items.jsonl", "w", encoding="utf-8") as fp:
    ...     count = write_jsonl(generate(100_000, seed=1), fp)
    >>> count
    100000

    python -m index.corpus.generate 100000 --seed 1 --out data/generated/items.jsonl

Records are produced one at a time (nothing holds the corpus) and are a function of
(templates, n, seed). Implementations come in phases, each used up before the next:

1. every item at its own level: 市 items in each of the 21 市; 区 items in each 区/县/县级市
   (东莞 and 中山, which have no 区, implement them at the 市); 镇 items in each of the 1,603
   镇街 — about 28,000 with the full catalogue;
2. one level down, as Guangdong's 一门式 does: 区 items also taken in at every 镇街 service
   centre (a 受委托组织 acting for the county body), 市 items at every 区/县 (公积金 管理部,
   the 公安分局 …) — about 68,000 more;
3. one implementation per 业务办理项 at each phase-1 and phase-2 body, with its own counter
   and the 2-digit sub-item code appended to 实施编码, as published exports do;
4. only if still more are wanted: the items again at each town's numbered 村（社区）便民服务站
   (up to 63 rounds).

Within a phase the order is an affine permutation of its units chosen by the seed, so any
prefix of the stream spreads over items and regions instead of exhausting one item first.
实施编码 are unique by construction (distinct bodies have distinct 实施主体编码, one body
implements an item once per phase, sub-item codes are two characters longer).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .. import divisions as div
from ..divisions import Division
from .bodies import MAX_STATIONS, body_for, stable_hash
from .build import TEMPLATE_DIR, Prepared, SubItem, load_templates, write_jsonl

__all__ = ["generate", "write_jsonl", "phase_sizes"]

_MAX_STATIONS = MAX_STATIONS  # a module variable so a test can shorten the last phase


@dataclass(frozen=True)
class _Block:
    """One template (or one of its 业务办理项) over a list of divisions."""

    prepared: Prepared
    divisions: tuple[Division, ...]
    sub_item: SubItem | None = None
    station: int = 0


class _Phase:
    """A sequence of blocks addressed as one range of unit indices."""

    def __init__(self, blocks: list[_Block]):
        self.blocks = [b for b in blocks if b.divisions]
        self.starts: list[int] = []
        total = 0
        for b in self.blocks:
            self.starts.append(total)
            total += len(b.divisions)
        self.size = total

    def unit(self, index: int) -> tuple[_Block, Division]:
        i = bisect_right(self.starts, index) - 1
        block = self.blocks[i]
        return block, block.divisions[index - self.starts[i]]


@dataclass(frozen=True)
class _Geography:
    cities: tuple[Division, ...]
    counties: tuple[Division, ...]  # 区/县/县级市, and the 市 that have none (东莞, 中山)
    towns: tuple[Division, ...]
    below_counties: tuple[Division, ...]  # one level below the county units: every 镇街
    below_cities: tuple[Division, ...]  # one level below the cities: 区/县, or 镇街 of 东莞/中山


def _geography() -> _Geography:
    everything = div.all_divisions()
    cities = tuple(d for d in everything if d.level == "市")
    districtless = tuple(c for c in cities if not any(k.level == "区" for k in div.children(c.code)))
    counties = tuple(d for d in everything if d.level == "区") + districtless
    towns = tuple(d for d in everything if d.level == "镇")
    below_cities = tuple(k for c in cities for k in div.children(c.code))
    return _Geography(cities, counties, towns, towns, below_cities)


def _phases(prepared: list[Prepared], geo: _Geography) -> Iterator[_Phase]:
    own = {"市": geo.cities, "区": geo.counties, "镇": geo.towns}
    down = {"市": geo.below_cities, "区": geo.below_counties, "镇": ()}
    yield _Phase([_Block(p, own[p.level]) for p in prepared])
    yield _Phase([_Block(p, down[p.level]) for p in prepared])
    yield _Phase(
        [_Block(p, own[p.level] + down[p.level], s) for p in prepared for s in p.sub_items]
    )
    station_items = [p for p in prepared if p.level in ("区", "镇")]
    for station in range(1, _MAX_STATIONS + 1):
        yield _Phase([_Block(p, geo.towns, station=station) for p in station_items])


def phase_sizes(templates: list[dict] | None = None) -> list[int]:
    """How many records phases 1, 2, 3 and one station round hold for these templates."""
    prepared = [Prepared(t) for t in (templates if templates is not None else load_templates())]
    sizes = []
    for i, phase in enumerate(_phases(prepared, _geography())):
        sizes.append(phase.size)
        if i == 3:
            break
    return sizes


def _coprime_step(size: int, seed: int, phase: int) -> tuple[int, int]:
    """(a, b) with gcd(a, size) = 1: i → (a·i + b) mod size visits every unit once."""
    a = max(1, int(size * 0.6180339887) + stable_hash("step", seed, phase) % 97)
    while math.gcd(a, size) != 1:
        a += 1
    return a, stable_hash("offset", seed, phase) % size


def generate(n: int, seed: int = 0, *, templates: list[dict] | None = None) -> Iterator[dict]:
    """Yield ``n`` valid records, deterministic for (templates, n, seed).

    ``templates`` defaults to ``index/corpus/templates/*.json``. Raises ValueError when even
    63 rounds of service stations cannot give ``n`` distinct implementations.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    if n == 0:
        return
    chosen = templates if templates is not None else load_templates(TEMPLATE_DIR)
    if not chosen:
        raise ValueError(f"no templates (looked in {TEMPLATE_DIR})")
    prepared = [Prepared(t) for t in chosen]
    produced = 0
    for number, phase in enumerate(_phases(prepared, _geography())):
        if phase.size == 0:
            continue
        a, b = _coprime_step(phase.size, seed, number)
        for i in range(phase.size):
            block, division = phase.unit((a * i + b) % phase.size)
            body = body_for(division, block.prepared.dept, station=block.station)
            record = block.prepared.record(body, sub_item=block.sub_item, seed=seed)
            yield record
            produced += 1
            if produced >= n:
                return
    raise ValueError(f"only {produced} distinct implementations exist for these templates; asked for {n}")


def scale_templates(names_from: str | Path | None = None, *, authored: bool = False) -> tuple[list[dict], str]:
    """The templates of a scale corpus and where they came from: the distinct items of a portal
    export (``names_from``, by default the 2021 export of ../shared when it is there), else the
    authored templates. A province's index holds thousands of different items, not 60."""
    from .portal_names import DEFAULT_EXPORT, portal_templates

    if not authored:
        export = Path(names_from) if names_from else DEFAULT_EXPORT
        if names_from or export.exists():
            return portal_templates(export), str(export)
    return load_templates(TEMPLATE_DIR), str(TEMPLATE_DIR)


def main(argv: list[str] | None = None) -> int:
    """``python -m index.corpus.generate N [--seed S] [--out FILE]`` (stdout by default)."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m index.corpus.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("w", encoding="utf-8") as fp:
            count = write_jsonl(generate(args.n, args.seed), fp)
    else:
        count = write_jsonl(generate(args.n, args.seed), sys.stdout)
    print(f"{count} records", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
