"""Evaluate the assistant: intents on held-out NLU data, and whole dialogues through the HTTP API.

    python -m bot.evaluate                          # starts the stack on the sample corpus
    python -m bot.evaluate --url http://127.0.0.1:8000 --dialogues my-dialogues.jsonl
    python -m bot.evaluate --skip-nlu --failures

Dialogue file: JSON Lines of ``{"id", "turns": [...], "expect": {...}}`` where expect is one of
``{"实施编码", "attribute", "must_contain": [...]}`` (the replies to the last turn name that
record and contain every fact), ``{"clarify": "region"|"item"}`` (the assistant asks which one,
with buttons), ``{"out_of_scope": true}`` or ``{"handoff": "human"}``. Each dialogue is a new
conversation (its own sender id) posted turn by turn to ``POST /webhooks/rest/webhook``.
Prints a table and writes it to ``var/results/evaluation.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path

import httpx

from api.processes import BIN, ROOT, Services, api_server, rasa_actions, rasa_server

DEFAULT_DIALOGUES = ROOT / "tests" / "dev" / "dialogues.jsonl"
DEFAULT_NLU = ROOT / "tests" / "dev" / "nlu_holdout.yml"

CLARIFY_RESPONSES = {"region": {"utter_ask_region"}, "item": {"utter_ask_which_item", "utter_ask_item"}}


def evaluate_nlu(holdout: Path, model: str = "models/guide.tar.gz", config: str = "bot/config.yml") -> dict:
    out = ROOT / "var" / "results" / "nlu"
    subprocess.run(
        [str(BIN / "rasa"), "test", "nlu", "--nlu", str(holdout), "--model", model, "--config", config, "--out", str(out)],
        cwd=ROOT, check=True, capture_output=True,
    )
    report = json.loads((out / "intent_report.json").read_text("utf-8"))
    return {"n": report["macro avg"]["support"], "accuracy": report["accuracy"], "macro_f1": report["macro avg"]["f1-score"]}


def judge(expect: dict, replies: list[dict]) -> tuple[bool, str]:
    text = "\n".join(r.get("text") or "" for r in replies)
    responses = {(r.get("custom") or {}).get("response") for r in replies}
    if "clarify" in expect:
        wanted = CLARIFY_RESPONSES[expect["clarify"]]
        ok = bool(responses & wanted) and any(r.get("buttons") for r in replies)
        return ok, f"asked {sorted(r for r in responses if r)}"
    if expect.get("out_of_scope"):
        return "utter_out_of_scope" in responses or "回答不了" in text, "out of scope"
    if expect.get("handoff"):
        return "12345" in text or "人工" in text, "human"
    missing = [fact for fact in expect.get("must_contain", []) if fact not in text]
    code = expect.get("实施编码")
    if code and code not in text:
        missing.append(f"实施编码 {code}")
    return not missing, ("missing " + "；".join(missing)) if missing else "ok"


def run_dialogues(url: str, path: Path, *, show_failures: bool = False) -> dict:
    dialogues = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    results: dict[str, list[bool]] = defaultdict(list)
    clarify_total = clarify_ok = 0
    should_not_ask = asked_wrongly = 0
    oos_total = oos_ok = 0
    latencies: list[float] = []
    failures = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for dialogue in dialogues:
            sender = f"eval-{dialogue['id']}-{uuid.uuid4().hex[:6]}"
            replies: list[dict] = []
            for turn in dialogue["turns"]:
                t0 = time.perf_counter()
                response = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": turn})
                latencies.append((time.perf_counter() - t0) * 1000)
                replies = response.json() if response.status_code == 200 else [{"text": f"HTTP {response.status_code}"}]
            expect = dialogue["expect"]
            ok, why = judge(expect, replies)
            kind = "clarify" if "clarify" in expect else "out_of_scope" if expect.get("out_of_scope") else \
                "human" if expect.get("handoff") else "answer"
            results[kind].append(ok)
            results[dialogue.get("kind", "-")].append(ok)
            if kind == "clarify":
                clarify_total += 1
                clarify_ok += ok
            if kind == "answer":
                should_not_ask += 1
                asked = {(r.get("custom") or {}).get("response") for r in replies} & (
                    CLARIFY_RESPONSES["region"] | CLARIFY_RESPONSES["item"])
                asked_wrongly += bool(asked)
            if kind == "out_of_scope":
                oos_total += 1
                oos_ok += ok
            if not ok:
                failures.append((dialogue, why, replies))
    answers = results["answer"]
    summary = {
        "dialogues": len(dialogues),
        "answer_accuracy": sum(answers) / max(len(answers), 1),
        "answers": len(answers),
        "clarification_accuracy": (clarify_ok + should_not_ask - asked_wrongly) / max(clarify_total + should_not_ask, 1),
        "asked_when_needed": clarify_ok / max(clarify_total, 1),
        "asked_when_not_needed": asked_wrongly / max(should_not_ask, 1),
        "out_of_scope": oos_ok / max(oos_total, 1),
        "turn_p50_ms": statistics.median(latencies) if latencies else 0.0,
        "turn_p95_ms": sorted(latencies)[int(0.95 * (len(latencies) - 1))] if latencies else 0.0,
        "by_kind": {k: (sum(v), len(v)) for k, v in sorted(results.items())},
    }
    if show_failures:
        for dialogue, why, replies in failures:
            last = " / ".join((r.get("text") or "")[:80].replace("\n", " ") for r in replies)
            print(f"  {dialogue['id']} {dialogue['turns']} → {why}\n      got: {last}", file=sys.stderr)
    return summary


def table(nlu: dict | None, dialogues: dict) -> str:
    lines = ["| measure | value |", "|---|---:|"]
    if nlu:
        lines += [
            f"| intent accuracy, held-out NLU ({nlu['n']} examples) | {nlu['accuracy']:.1%} |",
            f"| intent macro-F1, held-out NLU | {nlu['macro_f1']:.3f} |",
        ]
    lines += [
        f"| end-to-end answer accuracy ({dialogues['answers']} answer dialogues) | {dialogues['answer_accuracy']:.1%} |",
        f"| clarification accuracy (asks when it must, not when it must not) | {dialogues['clarification_accuracy']:.1%} |",
        f"| · asked when it had to | {dialogues['asked_when_needed']:.1%} |",
        f"| · asked when it should have answered | {dialogues['asked_when_not_needed']:.1%} |",
        f"| out-of-scope handled | {dialogues['out_of_scope']:.1%} |",
        f"| turn latency through the API, p50 / p95 | {dialogues['turn_p50_ms']:.0f} / {dialogues['turn_p95_ms']:.0f} ms |",
    ]
    kinds = ", ".join(f"{k} {ok}/{n}" for k, (ok, n) in dialogues["by_kind"].items())
    return "\n".join(lines) + f"\n\nBy kind: {kinds}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running API; default: start actions, Rasa and the API here")
    parser.add_argument("--dialogues", default=str(DEFAULT_DIALOGUES))
    parser.add_argument("--nlu", default=str(DEFAULT_NLU))
    parser.add_argument("--skip-nlu", action="store_true")
    parser.add_argument("--failures", action="store_true")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    nlu = None if args.skip_nlu else evaluate_nlu(Path(args.nlu))
    if args.url:
        dialogues = run_dialogues(args.url, Path(args.dialogues), show_failures=args.failures)
    else:
        with Services() as services:
            services.start(*rasa_actions())
            services.start(*rasa_server())
            services.start(*api_server("127.0.0.1", args.port))
            dialogues = run_dialogues(f"http://127.0.0.1:{args.port}", Path(args.dialogues), show_failures=args.failures)
    text = table(nlu, dialogues)
    print(text)
    out = ROOT / "var" / "results" / "evaluation.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
