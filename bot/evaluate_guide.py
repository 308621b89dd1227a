"""Dialogues through the Guide alone, with the attribute given: what the index and the dialogue
logic answer when the NLU is right.

    python -m bot.evaluate_guide --items data/sample/items.jsonl --dialogues tests/dev/real/dialogues_sample_passages.jsonl
    python -m bot.evaluate_guide --items … --dialogues … --words-only      # without index.semantic
    python -m bot.evaluate_guide … --failures

No Rasa: each turn goes to ``Guide.ask`` with the state of the turn before; the last turn gets the
dialogue's expected attribute (an oracle NLU), earlier turns none. Replies are rendered with the
domain's response texts and judged by :func:`bot.evaluate.judge` (every expected fact present,
the 实施编码 named, a yes or no where one is expected). It separates what the search and the
answers get wrong from what the NLU gets wrong; ``make eval`` measures the whole stack.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import yaml

from actions.guide import Guide, State
from index.backends.embedded import EmbeddedBackend
from index.loader import read_batch
from index.search import Searcher

from .evaluate import judge

ROOT = Path(__file__).resolve().parent.parent


def _templates() -> dict[str, str]:
    domain = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text("utf-8"))
    return {name: variants[0].get("text", "") for name, variants in domain["responses"].items()}


def _render(template: str, values: dict) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), "")), template)


def run(items: list[str], dialogues: Path, *, semantic: bool = True, failures: bool = False, out=sys.stdout,
        only: set[str] | None = None) -> dict:
    templates = _templates()
    with tempfile.TemporaryDirectory(prefix="guide-eval-") as tmp:
        backend = EmbeddedBackend(tmp)
        batch = read_batch(items)
        batch.raise_for_problems()
        backend.apply(located.record for located in batch.records)
        searcher = Searcher(backend) if semantic else Searcher(backend, semantic=None)
        searcher.warm()
        guide = Guide(searcher)
        results: dict[str, list[bool]] = defaultdict(list)
        for line in dialogues.read_text("utf-8").splitlines():
            if not line.strip():
                continue
            dialogue = json.loads(line)
            if only and dialogue.get("id") not in only:
                continue
            expect, state = dialogue["expect"], State()
            for number, text in enumerate(dialogue["turns"], start=1):
                attribute = expect.get("attribute") if number == len(dialogue["turns"]) else None
                turn = guide.ask(text, attribute, state)
                state = turn.state
            replies = [
                {"text": _render(templates.get(say.response, ""), say.values), "custom": {"response": say.response},
                 "buttons": say.buttons}
                for say in turn.says
            ]
            # as the channels do: the card of the record answered names its 实施编码
            replies.append({"text": state.item_code or ""})
            ok, why = judge(expect, replies)
            results["all"].append(ok)
            results[dialogue.get("kind", "-")].append(ok)
            if failures and not ok:
                said = " / ".join(r["text"][:100].replace("\n", " ") for r in replies if r["text"])
                print(f"  {dialogue['id']} {dialogue['turns']} → {why}\n      got: {said[:300]}", file=sys.stderr)
        backend.close()
    label = "words and meaning" if semantic else "words only"
    print(f"Guide-level answers ({label}) on {dialogues.name}, {len(batch.records)} records:", file=out)
    for kind, oks in sorted(results.items(), key=lambda kv: kv[0] != "all"):
        print(f"  {kind:<14} {sum(oks):>4}/{len(oks):<4} {sum(oks) / len(oks):6.1%}", file=out)
    return {kind: sum(oks) / len(oks) for kind, oks in results.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.evaluate_guide", description=__doc__.splitlines()[0])
    parser.add_argument("--items", nargs="+", required=True)
    parser.add_argument("--dialogues", required=True)
    parser.add_argument("--words-only", action="store_true", help="rank items by words alone (no index.semantic)")
    parser.add_argument("--failures", action="store_true", help="list the dialogues answered wrong, on stderr")
    parser.add_argument("--only", help="dialogue ids, comma-separated: look at a few misses closely")
    args = parser.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    run(args.items, Path(args.dialogues), semantic=not args.words_only, failures=args.failures, only=only)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
