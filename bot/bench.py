"""Benchmark the whole stack through the HTTP API at 1,000 and 10,000 generated records, beside a reference.

    python -m bot.bench                               # what `make bench` runs
    python -m bot.bench --sizes 1000 --turns 200      # a quick look

For each size: generate the items (``index.corpus.generate``), load them into a fresh data
folder and encode their vectors (the index build time); then, for ours and for the reference
setup (the same model and data served the standard way: ``rasa run`` + ``rasa run actions``),
start the services on free ports and time the cold start to the first item answer, play
conversations (the development dialogues, each its own sender) with 1, 10 and 50 at once, and
one 50-turn conversation (is a turn's cost flat as the tracker grows?); report per-turn latency
percentiles and throughput; the 50-conversation run is the saturation throughput. Peak memory is the sum of each service's peak resident set
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

from api.processes import BIN, ROOT, Service, Services, Stack, ask_until_answered, free_ports, rasa_actions
from api.settings import ApiSettings
from index.backends.embedded import EmbeddedBackend
from index.bench import percentile
from index.corpus.generate import generate, scale_templates, write_jsonl
from index.loader import iter_accepted, read_batch
from index.search import Searcher

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


def _ours(workers: int) -> tuple[dict, list[Service], str]:
    stack = Stack.on_free_ports(rasa_workers=workers)
    # the stack is measured, not the per-sender limit (the 50-turn conversation would hit it)
    return {**stack.env, "GUIDE_API_RATE_LIMIT_PER_MINUTE": "0"}, stack.services(), stack.api_url


def _reference(tmp: Path) -> tuple[dict, list[Service], str]:
    """The same model and data served the standard way: `rasa run` + `rasa run actions`, endpoints
    with the action server's URL and nothing else (in-memory tracker and lock stores)."""
    rasa_port, actions_port = free_ports(2)
    endpoints = tmp / "reference-endpoints.yml"
    endpoints.write_text(f"action_endpoint:\n  url: http://127.0.0.1:{actions_port}/webhook\n", encoding="utf-8")
    rasa = Service("rasa", [str(BIN / "rasa"), "run", "-m", "models", "--enable-api", "-i", "127.0.0.1", "-p", str(rasa_port),
                            "--credentials", "bot/credentials.yml", "--endpoints", str(endpoints)],
                   f"http://127.0.0.1:{rasa_port}/status", 300, rasa_port)
    return {}, [rasa_actions(actions_port), rasa], f"http://127.0.0.1:{rasa_port}"


def bench_size(n: int, conversations: list[list[str]], levels: list[int], turns: int, setups: list[str], workers: int) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="guide-bench-") as tmp:
        items = Path(tmp) / "items.jsonl"
        templates, _ = scale_templates()  # the portal export's ~2,200 items when it is there
        with open(items, "w", encoding="utf-8") as handle:
            write_jsonl(generate(n, templates=templates), handle)
        data = Path(tmp) / "data"
        t0 = time.perf_counter()
        batch = read_batch([items], keep=False)
        batch.raise_for_problems()
        backend = EmbeddedBackend(data)
        backend.apply(iter_accepted(batch), replace=True)
        Searcher(backend).warm()  # the items' vectors, as `python -m index load` encodes them
        backend.close()
        build_s = time.perf_counter() - t0
        for setup in setups:
            env, services_to_start, url = _ours(workers) if setup == "ours" else _reference(Path(tmp))
            with Services({**env, "GUIDE_DATA_DIR": str(data)}) as services:
                t0 = time.perf_counter()
                services.start_all(*services_to_start)
                ask_until_answered(url, 300, sender="cold")
                cold_s = time.perf_counter() - t0
                for concurrency in levels:
                    latencies, wall, errors = asyncio.run(_play(url, conversations, concurrency, turns))
                    rows.append({
                        "setup": setup, "items": n, "concurrency": concurrency, "turns": len(latencies), "errors": errors,
                        "p50": statistics.median(latencies), "p95": percentile(latencies, 95),
                        "p99": percentile(latencies, 99), "tps": len(latencies) / wall,
                        "build_s": build_s, "cold_s": cold_s,
                    })
                first, last = asyncio.run(_long_conversation(url, conversations))
                peak = _peak_rss_mb([proc.pid for _, proc in services.children])
                for row in rows[-len(levels):]:
                    row.update(peak_mb=peak, first10=first, last10=last)
    return rows


async def _long_conversation(url: str, conversations: list[list[str]], length: int = 50) -> tuple[float, float]:
    """p99 of turns 1–10 and of turns 41–50 of one conversation: the same ten messages five times
    over (asked once before in another conversation, so caches are warm for both), so that what
    differs between the first and the last ten is the conversation's length."""
    ten = [m for c in conversations for m in c][:10]
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for message in ten:
            await client.post("/webhooks/rest/webhook", json={"sender": f"warm-{uuid.uuid4().hex[:8]}", "message": message})
        sender = f"long-{uuid.uuid4().hex[:8]}"
        latencies = []
        for message in (ten * (length // len(ten) + 1))[:length]:
            t0 = time.perf_counter()
            await client.post("/webhooks/rest/webhook", json={"sender": sender, "message": message})
            latencies.append((time.perf_counter() - t0) * 1000)
    return percentile(latencies[:10], 99), percentile(latencies[-10:], 99)


def table(rows: list[dict]) -> str:
    lines = [
        "| setup | items | concurrent conversations | turns | errors | p50 ms | p95 ms | p99 ms | turns/s | index build s "
        "| cold start to first answer s | peak RSS of the stack MB | one conversation: p99 of turns 1–10 / 41–50 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['setup']} | {r['items']:,} | {r['concurrency']} | {r['turns']} | {r['errors']} | {r['p50']:.0f} | {r['p95']:.0f} "
            f"| {r['p99']:.0f} | {r['tps']:.1f} | {r['build_s']:.1f} | {r['cold_s']:.1f} | {r['peak_mb']:.0f} "
            f"| {r['first10']:.0f} / {r['last10']:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="record counts; 100000 too, once its vectors are encoded (83 minutes here on one busy core; they are cached)")
    parser.add_argument("--concurrency", default="1,10,50")
    parser.add_argument("--turns", type=int, default=400, help="turns per concurrency level")
    parser.add_argument("--out", default="bench/results.md")
    parser.add_argument("--setups", default="ours,reference", help="ours: bot.serve, actions inside, workers behind the API; "
                        "reference: plain `rasa run` + `rasa run actions`, default endpoints")
    parser.add_argument("--workers", type=int, default=ApiSettings().rasa_workers, help="our Rasa workers")
    args = parser.parse_args(argv)
    conversations = [d["turns"] for d in map(json.loads, DIALOGUES.read_text("utf-8").splitlines()) if d.get("turns")]
    levels = [int(c) for c in args.concurrency.split(",")]
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"… {size:,} items", file=sys.stderr)
        rows += bench_size(size, conversations, levels, args.turns, args.setups.split(","), args.workers)
    machine = f"{platform.machine()}, 2 cores" if len(__import__("os").sched_getaffinity(0)) == 2 else platform.machine()
    text = (
        f"Stack benchmark ({time.strftime('%Y-%m-%d')}, {machine}, Python {platform.python_version()}): ours = the API "
        f"in front of {args.workers} Rasa worker(s) with the actions inside (bot.serve); reference = the same model and "
        f"data served the standard way (`rasa run` + `rasa run actions`, default endpoints), asked directly; a turn = "
        f"one POST /webhooks/rest/webhook, development dialogues replayed as conversations.\n\n{table(rows)}\n"
    )
    print(text)
    out = ROOT / args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
