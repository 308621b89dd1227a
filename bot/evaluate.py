"""Evaluate the assistant against baselines, in one run, on the sample data or a deployer's own.

    python -m bot.evaluate                                  # everything, sample corpus, dev sets
    python -m bot.evaluate --items my-items.jsonl --dialogues my-dialogues.jsonl --queries my-queries.jsonl
    python -m bot.evaluate --quick                          # ours only: no baseline model, no baseline stack
    python -m bot.evaluate --url http://127.0.0.1:8000      # dialogues against a running API

Measured, ours and baseline side by side:
- item search top-1 / top-3 on the query set (baseline: BM25 over characters, no dictionary,
  synonyms or region logic; see :mod:`index.evaluate`);
- intent accuracy and macro-F1 on the held-out NLU set (baseline: Rasa's default pipeline for
  Chinese, ``bot/config_baseline.yml``: JiebaTokenizer, CountVectors, DIET);
- end-to-end answer accuracy, clarification accuracy and out-of-scope precision over the
  dialogues, each a new conversation posted turn by turn to ``POST /webhooks/rest/webhook``
  (baseline: the same stack with the baseline NLU model).

Dialogue file: JSON Lines of ``{"id", "turns": [...], "expect": {...}}`` where expect is one of
``{"实施编码", "attribute", "must_contain": [...]}`` (the replies to the last turn name that
record and contain every fact), ``{"clarify": "region"|"item"}`` (the assistant asks which one,
with buttons), ``{"out_of_scope": true}`` or ``{"handoff": "human"}``. The items are loaded into
a temporary data folder, so a run never touches GUIDE_DATA_DIR. The table is printed and written
to ``var/results/evaluation.md``.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import shutil
import unicodedata
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

import httpx

from api.processes import BIN, ROOT, Services, Stack, warm_up
from index.backends.embedded import EmbeddedBackend
from index.evaluate import DEFAULT_ITEMS, DEFAULT_QUERIES
from index.evaluate import evaluate as evaluate_search
from index.answers import YES_NO_WORDS
from index.loader import iter_accepted, read_batch
from index.search import Searcher

DEFAULT_DIALOGUES = ROOT / "tests" / "dev" / "dialogues.jsonl"
DEFAULT_NLU = ROOT / "tests" / "dev" / "nlu_holdout.yml"

OUT_OF_SCOPE_RESPONSES = {"utter_out_of_scope", "utter_item_not_found"}
CLARIFY_RESPONSES = {"region": {"utter_ask_region"}, "item": {"utter_ask_which_item", "utter_ask_item"}}


def train(config: str, name: str) -> str:
    """Train (or reuse, when nothing changed) a model; return its path.

    Each model has a folder of its own: ``rasa train`` compares with the newest model of its
    output folder, so two models in one folder retrain each other on every run.
    """
    out = "models" if name == "guide" else f"models/{name}"
    subprocess.run(
        [str(BIN / "rasa"), "train", "--config", config, "--domain", "bot/domain.yml", "--data", "nlu_data",
         "bot/rules.yml", "bot/stories.yml", "--out", out, "--fixed-model-name", name],
        cwd=ROOT, check=True, capture_output=True,
    )
    return f"{out}/{name}.tar.gz"


def evaluate_nlu(holdout: Path, model: str = "models/guide.tar.gz", config: str = "bot/config.yml") -> dict:
    out = ROOT / "var" / "results" / f"nlu-{Path(model).stem.split('.')[0]}"
    shutil.rmtree(out, ignore_errors=True)  # a run that writes no report must not read an earlier one
    subprocess.run(
        [str(BIN / "rasa"), "test", "nlu", "--nlu", str(holdout), "--model", model, "--config", config, "--out", str(out)],
        cwd=ROOT, check=True, capture_output=True,
    )
    report = json.loads((out / "intent_report.json").read_text("utf-8"))
    return {"n": report["macro avg"]["support"], "accuracy": report["accuracy"], "macro_f1": report["macro avg"]["f1-score"]}


_LIMIT = re.compile(r"(\d+)\s*\(\s*(工作日|自然日)\s*\)")


def _comparable(text: str) -> str:
    """Width folded, spaces out, 7（工作日） and 7个工作日 alike: facts compared, not their format."""
    text = unicodedata.normalize("NFKC", text)
    return _LIMIT.sub(r"\1个\2", re.sub(r"\s+", "", text))


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
    comparable = _comparable(text)
    missing = [fact for fact in expect.get("must_contain", []) if _comparable(fact) not in comparable]
    code = expect.get("实施编码")
    if code and code not in text:
        missing.append(f"实施编码 {code}")
    if "expect_yes" in expect:
        yes = any(word in text for word, _ in YES_NO_WORDS.values())
        no = any(word in text for _, word in YES_NO_WORDS.values())
        # 不可以。 contains 可以。: a no also reads as a yes, so a yes is a yes without a no
        said = yes and not no if expect["expect_yes"] else no
        if not said:
            missing.append("是" if expect["expect_yes"] else "否")
    return not missing, ("missing " + "；".join(missing)) if missing else "ok"


def run_dialogues(url: str, path: Path, *, show_failures: bool = False) -> dict:
    dialogues = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    results: dict[str, list[bool]] = defaultdict(list)
    clarify_total = clarify_ok = 0
    should_not_ask = asked_wrongly = 0
    oos_total = oos_ok = 0
    said_oos = said_oos_right = 0
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
            if {(r.get("custom") or {}).get("response") for r in replies} & OUT_OF_SCOPE_RESPONSES:
                said_oos += 1
                said_oos_right += kind == "out_of_scope"
                if kind != "out_of_scope" and show_failures:
                    print(f"  said out of scope: {dialogue['id']} {dialogue['turns']}", file=sys.stderr)
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
        "out_of_scope_precision": said_oos_right / said_oos if said_oos else 1.0,
        "said_out_of_scope": said_oos,
        "turn_p50_ms": statistics.median(latencies) if latencies else 0.0,
        "turn_p95_ms": sorted(latencies)[int(0.95 * (len(latencies) - 1))] if latencies else 0.0,
        "by_kind": {k: (sum(v), len(v)) for k, v in sorted(results.items())},
    }
    if show_failures:
        for dialogue, why, replies in failures:
            last = " / ".join((r.get("text") or "")[:80].replace("\n", " ") for r in replies)
            print(f"  {dialogue['id']} {dialogue['turns']} → {why}\n      got: {last}", file=sys.stderr)
    return summary


def _pct(value) -> str:
    return "—" if value is None else f"{value:.1%}"


def table(rows: list[tuple[str, object, object]], notes: list[str]) -> str:
    lines = ["| measure | ours | baseline |", "|---|---:|---:|"]
    for name, ours, base in rows:
        lines.append(f"| {name} | {ours} | {base} |")
    return "\n".join(lines) + "\n\n" + "\n".join(notes) + "\n"


def _stack_dialogues(data_dir: Path, model: str, dialogues: Path, show_failures: bool) -> dict:
    stack = Stack.on_free_ports(model=model)
    with Services({**stack.env, "GUIDE_DATA_DIR": str(data_dir)}) as services:
        services.start_all(*stack.services())
        # the start is measured by the bench, not here: answers are measured on a ready stack
        warm_up(stack.api_url)
        return run_dialogues(stack.api_url, dialogues, show_failures=show_failures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--items", nargs="+", default=[str(DEFAULT_ITEMS)], help="item-standard files to load")
    parser.add_argument("--queries", default=str(DEFAULT_QUERIES), help="search query set (JSON Lines)")
    parser.add_argument("--dialogues", default=str(DEFAULT_DIALOGUES))
    parser.add_argument("--nlu", default=str(DEFAULT_NLU), help="held-out NLU examples (Rasa YAML)")
    parser.add_argument("--url", help="evaluate the dialogues against this running API instead")
    parser.add_argument("--quick", action="store_true", help="skip the baseline NLU model and its stack")
    parser.add_argument("--skip-nlu", action="store_true", help="skip the NLU evaluation (and its baseline)")
    parser.add_argument("--failures", action="store_true", help="list what went wrong, on stderr")
    args = parser.parse_args(argv)

    search_out = io.StringIO()
    search = evaluate_search(args.items, Path(args.queries), show_failures=args.failures, out=search_out)
    if args.failures:
        print(search_out.getvalue(), file=sys.stderr)
    nlu = base_nlu = None
    baseline_model = "models/baseline/baseline.tar.gz"
    if not args.skip_nlu:
        model = train("bot/config.yml", "guide")
        nlu = evaluate_nlu(Path(args.nlu), model, "bot/config.yml")
        if not args.quick:
            baseline_model = train("bot/config_baseline.yml", "baseline")
            base_nlu = evaluate_nlu(Path(args.nlu), baseline_model, "bot/config_baseline.yml")
    dialogues_path = Path(args.dialogues)
    base_dialogues = None
    if args.url:
        dialogues = run_dialogues(args.url, dialogues_path, show_failures=args.failures)
    else:
        with tempfile.TemporaryDirectory(prefix="guide-eval-") as tmp:
            batch = read_batch(args.items, keep=False)
            batch.raise_for_problems()
            backend = EmbeddedBackend(tmp)
            backend.apply(iter_accepted(batch), replace=True)
            Searcher(backend).warm()  # as `python -m index load` does: no question waits for it
            backend.close()
            dialogues = _stack_dialogues(Path(tmp), "models/guide.tar.gz", dialogues_path, args.failures)
            if not args.quick and not args.skip_nlu:
                base_dialogues = _stack_dialogues(Path(tmp), baseline_model, dialogues_path, False)
    bd = base_dialogues or {}
    rows = [
        (f"item search top-1 ({search['n']} queries)", _pct(search["top1"]), _pct(search["baseline_top1"])),
        ("item search top-3", _pct(search["top3"]), _pct(search["baseline_top3"])),
    ]
    if nlu:
        rows += [
            (f"intent accuracy ({nlu['n']} held-out examples)", _pct(nlu["accuracy"]), _pct(base_nlu and base_nlu["accuracy"])),
            ("intent macro-F1", f"{nlu['macro_f1']:.3f}", f"{base_nlu['macro_f1']:.3f}" if base_nlu else "—"),
        ]
    rows += [
        (f"end-to-end answer accuracy ({dialogues['answers']} answer dialogues)", _pct(dialogues["answer_accuracy"]), _pct(bd.get("answer_accuracy"))),
        ("clarification accuracy", _pct(dialogues["clarification_accuracy"]), _pct(bd.get("clarification_accuracy"))),
        ("out-of-scope precision", _pct(dialogues["out_of_scope_precision"]), _pct(bd.get("out_of_scope_precision"))),
        ("out-of-scope recall", _pct(dialogues["out_of_scope"]), _pct(bd.get("out_of_scope"))),
        ("turn latency p50 / p95 (ms)", f"{dialogues['turn_p50_ms']:.0f} / {dialogues['turn_p95_ms']:.0f}",
         f"{bd['turn_p50_ms']:.0f} / {bd['turn_p95_ms']:.0f}" if bd else "—"),
    ]
    kinds = ", ".join(f"{k} {ok}/{n}" for k, (ok, n) in dialogues["by_kind"].items())
    notes = [
        f"Items: {', '.join(args.items)}; queries: {args.queries}; NLU: {args.nlu}; dialogues: {args.dialogues}.",
        "Baselines: item search = BM25 over characters (no dictionary, synonyms or region logic); NLU and "
        "dialogues = Rasa's default Chinese pipeline (bot/config_baseline.yml) in place of bot/config.yml.",
        f"Dialogues by kind (ours): {kinds}.",
    ]
    text = table(rows, notes)
    print(text)
    out = ROOT / "var" / "results" / "evaluation.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
