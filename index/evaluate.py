"""Evaluate item search on a development set, side by side with the plain baseline.

    python -m index.evaluate                                   # sample corpus, tests/dev set
    python -m index.evaluate --items my-items.jsonl --queries my-queries.jsonl --failures

A query file is JSON Lines of ``{"id", "query", "base_code", "region"?, "kind"?}``: the intended
item's 基本编码 and, when the query names one, the region (any spelling :mod:`index.regions`
resolves). The items are loaded into a fresh embedded index in a temporary folder, so a run
never touches GUIDE_DATA_DIR. Prints one table: top-1, top-3 and MRR for the full search and
for the baseline (BM25 over characters, no dictionary, synonyms or region logic), overall and per
kind of query, and for queries naming a region, how often the first implementation offered lies
in that region.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from . import regions
from .backends.embedded import EmbeddedBackend
from .baseline import CharBM25
from .loader import read_batch
from .search import Searcher

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ITEMS = ROOT / "data" / "sample" / "items.jsonl"
DEFAULT_QUERIES = ROOT / "tests" / "dev" / "search_queries.jsonl"


def _implemented_in(records: list[dict], base_code: str, division) -> bool:
    """Whether some implementation of the item serves the region or lies within it."""
    chain = regions.chain_codes(division)
    for record in records:
        if record["基本编码"] != base_code:
            continue
        own = regions.resolve(record["行政区划"])
        if own is not None and (own.code in chain or division.code in regions.chain_codes(own)):
            return True
    return False


def load_queries(path: Path) -> list[dict]:
    queries = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if line.strip():
            entry = json.loads(line)
            if "query" not in entry or "base_code" not in entry:
                raise SystemExit(f"{path}, 第 {number} 行：需要 query 和 base_code")
            queries.append(entry)
    return queries


def _rank(expected: str, ranked: list[str]) -> int | None:
    return ranked.index(expected) + 1 if expected in ranked else None


class Tally:
    def __init__(self):
        self.ranks: list[int | None] = []

    def add(self, rank: int | None) -> None:
        self.ranks.append(rank)

    def top(self, k: int) -> float:
        return sum(1 for r in self.ranks if r is not None and r <= k) / max(len(self.ranks), 1)

    def mrr(self) -> float:
        return sum(1 / r for r in self.ranks if r) / max(len(self.ranks), 1)


def evaluate(items: list[str], queries_path: Path, *, show_failures: bool = False, out=sys.stdout) -> dict:
    batch = read_batch(items)
    batch.raise_for_problems()
    records = [located.record for located in batch.records]
    queries = load_queries(queries_path)
    with tempfile.TemporaryDirectory(prefix="guide-eval-") as tmp:
        backend = EmbeddedBackend(tmp)
        started = time.perf_counter()
        backend.apply(records, replace=True)
        build_seconds = time.perf_counter() - started
        searcher = Searcher(backend)
        baseline = CharBM25(records)
        ours, base = defaultdict(Tally), defaultdict(Tally)
        region_ok, region_total, region_named, region_detected = 0, 0, 0, 0
        latencies = []
        failures = []
        for entry in queries:
            kind = entry.get("kind") or "-"
            t0 = time.perf_counter()
            result = searcher.search(entry["query"], limit=10)
            latencies.append((time.perf_counter() - t0) * 1000)
            ranked = [g.base_code for g in result.groups]
            rank = _rank(entry["base_code"], ranked)
            base_rank = _rank(entry["base_code"], baseline.search(entry["query"], limit=10))
            for key in ("all", kind):
                ours[key].add(rank)
                base[key].add(base_rank)
            if entry.get("region"):
                want = regions.resolve(entry["region"])
                region_named += 1
                region_detected += bool(want and result.region and result.region.code == want.code)
                if want is not None and _implemented_in(records, entry["base_code"], want):
                    region_total += 1
                    if rank == 1 and result.groups[0].hits[0].region_match:
                        region_ok += 1
            if rank != 1:
                failures.append((entry, ranked[:3], result))
        backend.close()
    kinds = ["all"] + sorted(k for k in ours if k != "all")
    print(f"Item search on {queries_path.name}: {len(queries)} queries, {len(records)} records "
          f"({len({r['基本编码'] for r in records})} items); index built in {build_seconds:.2f} s", file=out)
    print(file=out)
    print(f"| {'queries':<12} | {'n':>4} | {'top-1':>7} | {'top-3':>7} | {'MRR':>6} | {'baseline top-1':>14} | {'baseline top-3':>14} |", file=out)
    print(f"|{'-' * 14}|{'-' * 6}|{'-' * 9}|{'-' * 9}|{'-' * 8}|{'-' * 16}|{'-' * 16}|", file=out)
    for kind in kinds:
        t, b = ours[kind], base[kind]
        print(
            f"| {kind:<12} | {len(t.ranks):>4} | {t.top(1):>7.1%} | {t.top(3):>7.1%} | {t.mrr():>6.3f} "
            f"| {b.top(1):>14.1%} | {b.top(3):>14.1%} |",
            file=out,
        )
    print(file=out)
    if region_named:
        print(f"Queries naming a region: {region_named}; region recognized: {region_detected / region_named:.1%}; "
              f"of the {region_total} whose item is implemented there, item first AND first implementation "
              f"offered there: {region_ok / max(region_total, 1):.1%}", file=out)
    print(f"Search latency per query (sample size index): p50 {statistics.median(latencies):.2f} ms, "
          f"p95 {sorted(latencies)[int(0.95 * (len(latencies) - 1))]:.2f} ms", file=out)
    if show_failures and failures:
        print("\nNot first:", file=out)
        for entry, top3, result in failures:
            q = result.query
            print(f"  {entry.get('id', '')} {entry['query']!r} → want {entry['base_code']}, got {top3} "
                  f"terms={[t for t, _ in q.terms.get('name', [])][:8]} corr={q.corrections[:4]}", file=out)
    return {"top1": ours["all"].top(1), "top3": ours["all"].top(3), "baseline_top1": base["all"].top(1),
            "baseline_top3": base["all"].top(3), "n": len(queries)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--items", nargs="+", default=[str(DEFAULT_ITEMS)])
    parser.add_argument("--queries", default=str(DEFAULT_QUERIES))
    parser.add_argument("--failures", action="store_true", help="list the queries whose item was not first")
    args = parser.parse_args(argv)
    evaluate(args.items, Path(args.queries), show_failures=args.failures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
