"""A bounded load test on loopback: many citizens at once, and one client flooding.

    python -m bot.loadtest                         # starts the stack on GUIDE_DATA_DIR, 50 × 60 s
    python -m bot.loadtest --url http://127.0.0.1:8000 --concurrency 50 --seconds 60

Each of ``concurrency`` conversations plays development dialogues turn by turn, waiting
``think`` seconds between turns as a person typing would (closed loop), for ``seconds``. Meanwhile
one flooding sender posts as fast as it can, sixteen requests in flight. An error is a
transport failure, a non-200, an
empty reply or a reply that is the rate limiter's, for a citizen; the flooder must be limited.
Prints a table (p50/p95/p99 of the citizens' turns, throughput, errors, the flooder's share) and
exits 1 if any citizen turn failed or the flooder was not limited.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
import uuid
from dataclasses import dataclass, field

import httpx

from api.processes import ROOT, Services, Stack, warm_up
from index.bench import percentile

DIALOGUES = ROOT / "tests" / "dev" / "dialogues.jsonl"


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    flood_sent: int = 0
    flood_limited: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors and self.flood_limited > 0

    def table(self, concurrency: int) -> str:
        turns = len(self.latencies)
        rows = [
            ("conversations at once", f"{concurrency}"),
            ("duration", f"{self.seconds:.0f} s"),
            ("citizen turns", f"{turns}"),
            ("throughput", f"{turns / self.seconds:.1f} turns/s" if self.seconds else "-"),
            ("p50 / p95 / p99", " / ".join(f"{percentile(self.latencies, p):.0f} ms" for p in (50, 95, 99)) if turns else "-"),
            ("max", f"{max(self.latencies):.0f} ms" if turns else "-"),
            ("citizen errors", f"{len(self.errors)}"),
            ("flooder: sent / limited", f"{self.flood_sent} / {self.flood_limited}"),
        ]
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"| {k.ljust(width)} | {v} |" for k, v in rows)


def dialogues() -> list[list[str]]:
    with open(DIALOGUES, encoding="utf-8") as lines:
        return [json.loads(line)["turns"] for line in lines if line.strip()]


FLOOD_WORKERS = 16


async def run_load(url: str, *, concurrency: int = 50, seconds: float = 60, think: float = 2.0) -> LoadResult:
    result = LoadResult()
    scripts = itertools.cycle(dialogues())
    deadline = time.monotonic() + seconds

    async def citizen(client: httpx.AsyncClient, number: int) -> None:
        await asyncio.sleep(think * number / concurrency)  # arrivals spread, not one burst
        while time.monotonic() < deadline:
            sender = f"load-{uuid.uuid4().hex[:12]}"
            for message in next(scripts):
                if time.monotonic() >= deadline:
                    return
                started = time.perf_counter()
                try:
                    response = await client.post("/webhooks/rest/webhook", json={"sender": sender, "message": message})
                    replies = response.json() if response.status_code == 200 else None
                    if not replies:
                        result.errors.append(f"HTTP {response.status_code} for {message!r}")
                    elif any((r.get("custom") or {}).get("response") == "rate_limited" for r in replies):
                        result.errors.append(f"a citizen was rate limited: {message!r}")
                except (httpx.HTTPError, ValueError) as exc:
                    result.errors.append(f"{exc.__class__.__name__} for {message!r}")
                result.latencies.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(think)

    async def flooder(client: httpx.AsyncClient) -> None:
        # several requests in flight, as a script that does not wait for replies: the limiter is
        # tested whatever the stack's speed (one request at a time on a slow stack stays under it)
        await asyncio.gather(*(flood_worker(client) for _ in range(FLOOD_WORKERS)))

    async def flood_worker(client: httpx.AsyncClient) -> None:
        while time.monotonic() < deadline:
            try:
                response = await client.post("/webhooks/rest/webhook", json={"sender": "flooder", "message": "居住证要带什么"})
                result.flood_sent += 1
                if any((r.get("custom") or {}).get("response") == "rate_limited" for r in response.json()):
                    result.flood_limited += 1
            except (httpx.HTTPError, ValueError):
                pass

    connections = concurrency + FLOOD_WORKERS + 1
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        started = time.monotonic()
        await asyncio.gather(flooder(client), *(citizen(client, n) for n in range(concurrency)))
        result.seconds = time.monotonic() - started
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running API; without it the stack is started here")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=2.0, help="seconds between a citizen's turns")
    parser.add_argument("--actions-server", action="store_true", help="a separate action server, not the actions inside Rasa")
    parser.add_argument("--rasa-workers", type=int, default=2, help="Rasa processes behind the API")
    parser.add_argument("--api-workers", type=int, default=1, help="API processes")
    args = parser.parse_args(argv)
    if args.url:
        result = asyncio.run(run_load(args.url, concurrency=args.concurrency, seconds=args.seconds, think=args.think))
    else:
        stack = Stack.on_free_ports(rasa_workers=args.rasa_workers, api_workers=args.api_workers,
                                    actions_module="" if args.actions_server else "actions")
        with Services(stack.env) as services:
            services.start_all(*stack.services())
            warm_up(stack.api_url)
            result = asyncio.run(run_load(stack.api_url, concurrency=args.concurrency, seconds=args.seconds, think=args.think))
    print(result.table(args.concurrency))
    for error in result.errors[:10]:
        print("  error:", error, file=sys.stderr)
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
