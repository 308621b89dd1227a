"""Benchmark the whole stack through the HTTP API at 1,000 / 10,000 / 100,000 generated items.

    python -m bot.bench                               # what `make bench` runs
    python -m bot.bench --sizes 1000 --turns 200      # a quick look

For each size: generate the items (``index.corpus.generate``), load them into a fresh data
folder (the index build time), start the action server, Rasa and the API on that folder and
time the cold start to the first answer, then play conversations (the first turns of the
development dialogues, each conversation its own sender) with 1, 10 and 50 concurrent
conversations, and report per-turn latency percentiles and throughput; the 50-conversation run
is the saturation throughput. Peak memory is the sum of each service's peak resident set
(VmHWM). Prints a table and writes it to ``bench/results.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from api.processes import ROOT, Services, Stack
from index.backends.embedded import EmbeddedBackend
from index.bench import percentile
from index.corpus.generate import generate, write_jsonl
from index.loader import iter_accepted, read_batch

DIALOGUES = ROOT / "tests" / "dev" / "dialogues.jsonl"


def _peak_rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


async def _play(url: str, conversations: list[list[str]], concurrency: int, turns: int) -> tuple[list[float], float, int]:
    """Play ``turns`` turns with ``concurrency`` conversations at once; latencies, wall time, errors."""
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue = asyncio.Queue()
    count = 0
    while count < turns:
        for conversation in conversations:
            queue.put_nowait(conversation)
            count += len(conversation)
            if count >= turns:
                break

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while not queue.empty():
            conversation = queue.get_nowait()
            sender = f"bench-{uuid.uuid4().hex[:10]}"
            for message in conversation:
                t0 = time.perf_counter()
                try:
                    response = await client.post("/webhooks/rest/webhook", json={"sender": sender, "message": message})
                    if response.status_code != 200 or not response.json():
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append((time.perf_counter() - t0) * 1000)

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        wall = time.perf_counter() - started
    return latencies, wall, errors


def bench_size(n: int, conversations: list[list[str]], levels: list[int], turns: int) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="guide-bench-") as tmp:
        items = Path(tmp) / "items.jsonl"
        with open(items, "w", encoding="utf-8") as handle:
            write_jsonl(generate(n), handle)
        data = Path(tmp) / "data"
        t0 = time.perf_counter()
        batch = read_batch([items], keep=False)
        batch.raise_for_problems()
        backend = EmbeddedBackend(data)
        backend.apply(iter_accepted(batch), replace=True)
        backend.close()
        build_s = time.perf_counter() - t0
        stack = Stack.on_free_ports()
        with Services({**stack.env, "GUIDE_DATA_DIR": str(data)}) as services:
            t0 = time.perf_counter()
            services.start_all(*stack.services())
            first = httpx.post(f"{stack.api_url}/webhooks/rest/webhook",
                               json={"sender": "cold", "message": "我想办居住证要带什么材料"}, timeout=120)
            cold_s = time.perf_counter() - t0
            assert first.status_code == 200 and first.json(), first.text
            for concurrency in levels:
                latencies, wall, errors = asyncio.run(
                    _play(stack.api_url, conversations, concurrency, turns)
                )
                rows.append({
                    "items": n, "concurrency": concurrency, "turns": len(latencies), "errors": errors,
                    "p50": statistics.median(latencies), "p95": percentile(latencies, 95),
                    "p99": percentile(latencies, 99), "tps": len(latencies) / wall,
                    "build_s": build_s, "cold_s": cold_s,
                })
            peak = _peak_rss_mb([proc.pid for _, proc in services.children])
            for row in rows[-len(levels):]:
                row["peak_mb"] = peak
    return rows


def table(rows: list[dict]) -> str:
    lines = [
        "| items | concurrent conversations | turns | errors | p50 ms | p95 ms | p99 ms | turns/s | index build s | cold start to first answer s | peak RSS of the stack MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['items']:,} | {r['concurrency']} | {r['turns']} | {r['errors']} | {r['p50']:.0f} | {r['p95']:.0f} "
            f"| {r['p99']:.0f} | {r['tps']:.1f} | {r['build_s']:.1f} | {r['cold_s']:.1f} | {r['peak_mb']:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--concurrency", default="1,10,50")
    parser.add_argument("--turns", type=int, default=400, help="turns per concurrency level")
    parser.add_argument("--out", default="bench/results.md")
    args = parser.parse_args(argv)
    conversations = [d["turns"] for d in map(json.loads, DIALOGUES.read_text("utf-8").splitlines()) if d.get("turns")]
    levels = [int(c) for c in args.concurrency.split(",")]
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"… {size:,} items", file=sys.stderr)
        rows += bench_size(size, conversations, levels, args.turns)
    machine = f"{platform.machine()}, 2 cores" if len(__import__("os").sched_getaffinity(0)) == 2 else platform.machine()
    text = (
        f"Stack benchmark ({time.strftime('%Y-%m-%d')}, {machine}, Python {platform.python_version()}): action server, "
        f"Rasa and the API on loopback; a turn = one POST /webhooks/rest/webhook, development dialogues replayed as "
        f"conversations.\n\n{table(rows)}\n"
    )
    print(text)
    out = ROOT / args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
