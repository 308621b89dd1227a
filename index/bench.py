"""Benchmark the embedded index at scale: load time and search latency on generated corpora.

    python -m index.bench                       # 1,000 / 10,000 / 100,000 records
    python -m index.bench --sizes 100000 --out bench/index.md

For each size: generate the records (``index.corpus.generate``) into a temporary JSON Lines file,
load them the way ``python -m index load --replace`` does (read, check every record, store,
build the index) and time it; time a new process's first search on the saved index (cold start);
then run
every development-set query (``tests/dev/search_queries.jsonl``) ``--rounds`` times and report
per-search latency percentiles. Prints a table and writes it to ``--out``.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .backends.embedded import EmbeddedBackend
from .corpus.generate import generate, write_jsonl
from .evaluate import DEFAULT_QUERIES, load_queries
from .loader import iter_accepted, read_batch
from .search import Searcher


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (p in 0–100) of a list of measurements."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_size(n: int, queries: list[str], rounds: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="guide-bench-") as tmp:
        path = Path(tmp) / "items.jsonl"
        t0 = time.perf_counter()
        with open(path, "w", encoding="utf-8") as handle:
            write_jsonl(generate(n), handle)
        generate_s = time.perf_counter() - t0

        # The load as `python -m index load --replace` does it: check everything, then store.
        t0 = time.perf_counter()
        batch = read_batch([path], keep=False)
        batch.raise_for_problems()
        check_s = time.perf_counter() - t0
        backend = EmbeddedBackend(Path(tmp) / "data")
        t1 = time.perf_counter()
        backend.apply(iter_accepted(batch), replace=True)
        store_s = time.perf_counter() - t1
        load_s = time.perf_counter() - t0
        backend.close()
        del batch
        load_rss = _rss_mb()

        # Cold open: a new process loads the saved index and answers one search.
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "index", "search", queries[0], "--json"],
            env={**os.environ, "GUIDE_DATA_DIR": str(Path(tmp) / "data")},
            check=True,
            capture_output=True,
        )
        cold_s = time.perf_counter() - t0

        cold = EmbeddedBackend(Path(tmp) / "data")
        searcher = Searcher(cold)
        searcher.search(queries[0])
        latencies: list[float] = []
        for _ in range(rounds):
            for query in queries:
                t = time.perf_counter()
                searcher.search(query, limit=10)
                latencies.append((time.perf_counter() - t) * 1000)
        cold.close()
        size_mb = sum(f.stat().st_size for f in (Path(tmp) / "data").iterdir()) / 2**20
    return {
        "n": n,
        "generate_s": generate_s,
        "check_s": check_s,
        "store_index_s": store_s,
        "load_s": load_s,
        "cold_open_s": cold_s,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "max": max(latencies),
        "searches": len(latencies),
        "disk_mb": size_mb,
        "load_rss_mb": load_rss,
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| records | generate s | load s (check + store/index) | cold start to first answer s | search p50 ms | p95 ms | p99 ms | max ms | searches | disk MB | peak RSS after load MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n']:,} | {r['generate_s']:.1f} | {r['load_s']:.1f} ({r['check_s']:.1f} + {r['store_index_s']:.1f}) "
            f"| {r['cold_open_s']:.2f} | {r['p50']:.2f} | {r['p95']:.2f} | {r['p99']:.2f} | {r['max']:.2f} "
            f"| {r['searches']} | {r['disk_mb']:.0f} | {r['load_rss_mb']:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--queries", default=str(DEFAULT_QUERIES))
    parser.add_argument("--out", default="bench/index.md")
    args = parser.parse_args(argv)
    queries = [q["query"] for q in load_queries(Path(args.queries))]
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"… {size:,} records", file=sys.stderr)
        rows.append(bench_size(size, queries, args.rounds))
    machine = f"{platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores, Python {platform.python_version()}"
    text = (
        f"Embedded index benchmark ({time.strftime('%Y-%m-%d')}, {machine}); "
        f"search = one dev-set query end to end (analysis + scoring + grouping), {args.rounds} rounds of "
        f"{len(queries)} queries.\n\n{table(rows)}\n"
    )
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
