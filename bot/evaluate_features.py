"""Evaluate the two newer turns, compare two places and the personal checklist, on held-out
questions written blind from the records, beside a plain baseline in the same run.

    python -m bot.evaluate_features                 # tests/dev/compare_holdout.jsonl, checklist_holdout.jsonl
    python -m bot.evaluate_features --no-nlu        # the turns only, no Rasa models

Per set:
- intent accuracy of the trained NLU model (ours, ``models/guide.tar.gz``) and of Rasa's default
  Chinese pipeline (``bot/config_baseline.yml``, trained here if needed), via ``rasa test nlu``;
- the turn itself over the sample corpus (``actions.guide.Guide``, as the action runs it): a
  comparison is right when it compares the expected item in both places named; a checklist
  request is right when it starts the checklist (or asks the place) for the expected item;
- the same item judgement for the plain baseline: the first item of BM25 over characters
  (:class:`index.baseline.CharBM25`).

Compare file: JSON Lines of ``{"text", "base_code", "places": [two place names]}``; checklist
file: ``{"text", "base_code"}``. Prints a table and writes it to ``var/results/features.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import yaml

from actions.guide import Guide, State
from api.processes import ROOT
from index.analysis import normalize
from index.backends.embedded import EmbeddedBackend
from index.baseline import CharBM25
from index.evaluate import DEFAULT_ITEMS
from index.loader import iter_accepted, read_batch
from index.search import Searcher

DEV = ROOT / "tests" / "dev"
CHECKLIST_STARTS = {"utter_checklist_intro", "utter_checklist_no_questions", "utter_ask_region", "utter_personal_checklist"}


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def compare_right(guide: Guide, case: dict) -> bool:
    turn = guide.compare_places(case["text"], State())
    say = turn.says[0]
    if say.response != "utter_compare_places" or turn.state.item_key != case["base_code"]:
        return False
    compared = say.values["places"].split("、")
    return all(any(_short(normalize(place)) in c for c in compared) for place in case["places"])


def _short(place: str) -> str:
    """南海区 → 南海, 桂城街道 → 桂城: as the compared place's full name contains it."""
    for suffix in ("街道", "区", "县", "市", "镇"):
        if place.endswith(suffix) and len(place) > len(suffix) + 1:
            return place[: -len(suffix)]
    return place


def checklist_right(guide: Guide, case: dict) -> bool:
    turn = guide.ask(case["text"], "personal_checklist", State())
    return turn.state.item_key == case["base_code"] and bool({s.response for s in turn.says} & CHECKLIST_STARTS)


def nlu_accuracy(cases: list[tuple[str, str]], model: str, config: str) -> float:
    from bot.evaluate import evaluate_nlu

    data = {"version": "3.1", "nlu": []}
    by_intent: dict[str, list[str]] = {}
    for text, intent in cases:
        by_intent.setdefault(intent, []).append(text)
    for intent, texts in by_intent.items():
        data["nlu"].append({"intent": intent, "examples": "".join(f"- {t}\n" for t in texts)})
    with tempfile.NamedTemporaryFile("w", suffix=".yml", encoding="utf-8", delete=False) as handle:
        yaml.safe_dump(data, handle, allow_unicode=True, sort_keys=False)
    return evaluate_nlu(Path(handle.name), model, config)["accuracy"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.evaluate_features", description=__doc__.splitlines()[0])
    parser.add_argument("--compare", type=Path, default=DEV / "compare_holdout.jsonl")
    parser.add_argument("--checklist", type=Path, default=DEV / "checklist_holdout.jsonl")
    parser.add_argument("--items", type=Path, nargs="+", default=[DEFAULT_ITEMS])
    parser.add_argument("--no-nlu", action="store_true", help="skip the intent accuracy (no Rasa models needed)")
    args = parser.parse_args(argv)
    sets = {"compare_places": _read(args.compare), "ask_personal_checklist": _read(args.checklist)}
    records = list(iter_accepted(read_batch(args.items, keep=False)))
    with tempfile.TemporaryDirectory(prefix="guide-features-") as tmp:
        backend = EmbeddedBackend(Path(tmp))
        backend.apply(records, replace=True)
        guide = Guide(Searcher(backend))
        baseline = CharBM25(records, key_of=backend.item_key_of)
        rows = []
        for intent, cases in sets.items():
            judge = compare_right if intent == "compare_places" else checklist_right
            ours = sum(judge(guide, case) for case in cases) / len(cases)
            plain = sum((baseline.search(case["text"], limit=1) or [None])[0] == case["base_code"] for case in cases) / len(cases)
            rows.append((f"{intent}: the turn (right item{' and both places' if intent == 'compare_places' else ''})", ours, plain))
        backend.close()
    if not args.no_nlu:
        from bot.evaluate import train

        labelled = [(c["text"], intent) for intent, cases in sets.items() for c in cases]
        ours_model = ROOT / "models" / "guide.tar.gz"
        baseline_model = train("bot/config_baseline.yml", "baseline")
        for intent in sets:
            subset = [(t, i) for t, i in labelled if i == intent]
            rows.append((f"{intent}: intent accuracy", nlu_accuracy(subset, str(ours_model), "bot/config.yml"),
                         nlu_accuracy(subset, baseline_model, "bot/config_baseline.yml")))
    sizes = ", ".join(f"{len(cases)} {name}" for name, cases in sets.items())
    lines = [f"Held-out feature questions ({sizes}); baseline: item = BM25 over characters, NLU = Rasa's default Chinese pipeline.", "",
             "| measure | ours | baseline |", "|---|---:|---:|"]
    lines += [f"| {name} | {ours:.1%} | {plain:.1%} |" for name, ours, plain in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    out = ROOT / "var" / "results" / "features.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
