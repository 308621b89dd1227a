"""Evaluate item search on a development set, side by side with the plain baseline.

    python -m index.evaluate                                   # sample corpus, tests/dev set
    python -m index.evaluate --items my-items.jsonl --queries my-queries.jsonl --failures

A query file is JSON Lines of ``{"id", "query", "base_code" | "实施编码", "region"?, "kind"?}``: the
intended item's 基本编码, or one record of it by 实施编码 (the item is then that record's item,
:mod:`index.identity`), and, when the query names one, the region (any spelling :mod:`index.regions`
resolves). The items are loaded into a fresh embedded index in a temporary folder, so a run
never touches GUIDE_DATA_DIR. Prints one table: top-1, top-3 and MRR for the full search and
for two baselines (BM25 over characters of the name and 日常用语, and over every text of the
record; no dictionary, synonyms or region logic), overall and per kind of query. With
``--withhold-aliases`` the records are loaded without their 日常用语 and every 日常用语 becomes a
query for its own record: how well citizens' real everyday names find items nobody wrote
synonyms for, and for queries naming a region, how often the first implementation offered lies
in that region.
"""

from __future__ import annotations

import argparse
import functools
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


def _implemented_in(records: list[dict], item_key: str, division, key_of) -> bool:
    """Whether some implementation of the item serves the region or lies within it."""
    chain = regions.chain_codes(division)
    for record in records:
        if key_of(record["实施编码"]) != item_key:
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
            if "query" not in entry or not ("base_code" in entry or "实施编码" in entry):
                raise SystemExit(f"{path}, 第 {number} 行：需要 query 和 base_code（或 实施编码）")
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


def alias_queries(records: list[dict]) -> tuple[list[dict], list[dict]]:
    """The records without their 日常用语, and one query per 日常用语 (expected: its own record)."""
    stripped, queries = [], []
    for record in records:
        for alias in record.get("日常用语") or []:
            if isinstance(alias, str) and alias.strip() and alias != record.get("事项名称"):
                queries.append({"id": f"a{len(queries) + 1}", "query": alias, "实施编码": record["实施编码"], "kind": "alias"})
        stripped.append({**record, "日常用语": []})
    return stripped, queries


def evaluate(items: list[str], queries_path: Path | None, *, show_failures: bool = False, out=sys.stdout,
             withhold_aliases: bool = False, semantic: bool = True) -> dict:
    batch = read_batch(items)
    batch.raise_for_problems()
    records = [located.record for located in batch.records]
    if withhold_aliases:
        records, queries = alias_queries(records)
        label = "everyday names (日常用语, withheld from the index)"
    else:
        queries = load_queries(queries_path)
        label = queries_path.name
    with tempfile.TemporaryDirectory(prefix="guide-eval-") as tmp:
        backend = EmbeddedBackend(tmp)
        started = time.perf_counter()
        backend.apply(records, replace=True)
        build_seconds = time.perf_counter() - started
        searcher = Searcher(backend) if semantic else Searcher(backend, semantic=None)
        searcher.warm()
        key_of = functools.lru_cache(maxsize=None)(backend.item_key_of)
        base_of = {r["基本编码"]: key_of(r["实施编码"]) for r in records}
        baseline = CharBM25(records, key_of=key_of)
        whole = CharBM25(records, whole_record=True, key_of=key_of)
        ours, base, base_whole = defaultdict(Tally), defaultdict(Tally), defaultdict(Tally)
        region_ok, region_total, region_named, region_detected = 0, 0, 0, 0
        latencies = []
        failures = []
        for entry in queries:
            kind = entry.get("kind") or "-"
            t0 = time.perf_counter()
            result = searcher.search(entry["query"], limit=10)
            latencies.append((time.perf_counter() - t0) * 1000)
            ranked = [g.item_key for g in result.groups]
            want = key_of(entry["实施编码"]) if entry.get("实施编码") else base_of.get(entry["base_code"], entry["base_code"])
            rank = _rank(want, ranked)
            base_rank = _rank(want, baseline.search(entry["query"], limit=10))
            whole_rank = _rank(want, whole.search(entry["query"], limit=10))
            for key in ("all", kind):
                ours[key].add(rank)
                base[key].add(base_rank)
                base_whole[key].add(whole_rank)
            if entry.get("region"):
                division = regions.resolve(entry["region"])
                region_named += 1
                region_detected += bool(division and result.region and result.region.code == division.code)
                if division is not None and _implemented_in(records, want, division, key_of):
                    region_total += 1
                    if rank == 1 and result.groups[0].hits[0].region_match:
                        region_ok += 1
            if rank != 1:
                failures.append((entry, want, [g.name for g in result.groups[:3]], result))
        backend.close()
    kinds = ["all"] + sorted(k for k in ours if k != "all")
    n_items = len({key_of(r["实施编码"]) for r in records})
    ranking = "words and meaning" if semantic else "words only"
    print(f"Item search ({ranking}) on {label}: {len(queries)} queries, {len(records)} records "
          f"({n_items} items); index built in {build_seconds:.2f} s", file=out)
    print(file=out)
    print(f"| {'queries':<12} | {'n':>4} | {'top-1':>7} | {'top-3':>7} | {'MRR':>6} | {'name BM25 top-1':>15} "
          f"| {'record BM25 top-1':>17} | {'record BM25 top-3':>17} |", file=out)
    print(f"|{'-' * 14}|{'-' * 6}|{'-' * 9}|{'-' * 9}|{'-' * 8}|{'-' * 17}|{'-' * 19}|{'-' * 19}|", file=out)
    for kind in kinds:
        t, b, w = ours[kind], base[kind], base_whole[kind]
        print(
            f"| {kind:<12} | {len(t.ranks):>4} | {t.top(1):>7.1%} | {t.top(3):>7.1%} | {t.mrr():>6.3f} "
            f"| {b.top(1):>15.1%} | {w.top(1):>17.1%} | {w.top(3):>17.1%} |",
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
        for entry, want, top3, result in failures:
            q = result.query
            print(f"  {entry.get('id', '')} {entry['query']!r} → want {want} ({entry.get('name', '')}), got {top3} "
                  f"terms={[t for t, _ in q.terms.get('name', [])][:8]} corr={q.corrections[:4]}", file=out)
    return {"top1": ours["all"].top(1), "top3": ours["all"].top(3), "baseline_top1": base["all"].top(1),
            "baseline_top3": base["all"].top(3), "record_baseline_top1": base_whole["all"].top(1),
            "record_baseline_top3": base_whole["all"].top(3), "n": len(queries)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--items", nargs="+", default=[str(DEFAULT_ITEMS)])
    parser.add_argument("--queries", default=str(DEFAULT_QUERIES))
    parser.add_argument("--failures", action="store_true", help="list the queries whose item was not first")
    parser.add_argument("--words-only", action="store_true", help="rank by words alone (no index.semantic)")
    parser.add_argument("--withhold-aliases", action="store_true",
                        help="load without 日常用语 and query each record by its own 日常用语")
    args = parser.parse_args(argv)
    evaluate(args.items, Path(args.queries), show_failures=args.failures, withhold_aliases=args.withhold_aliases,
             semantic=not args.words_only)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
