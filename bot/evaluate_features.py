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
  (:class:`index.baseline.CharBM25`);
- end to end: the intent each model gives, then the action that intent's rule runs (a comparison
  asked as 两边要几耐 may reach an attribute action, which compares when two places are asked
  about side by side); right when the citizen gets the comparison, or the checklist started,
  for the expected item (and places).

Compare file: JSON Lines of ``{"text", "base_code", "places": [two place names]}``; checklist
file: ``{"text", "base_code"}``. Prints a table and writes it to ``var/results/features.md``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from actions.guide import Guide, State
from api.processes import BIN, ROOT
from bot.evaluate import table, train
from index.analysis import normalize
from index.backends.embedded import EmbeddedBackend
from index.baseline import CharBM25
from index.evaluate import DEFAULT_ITEMS
from index.loader import iter_accepted, read_batch
from index.search import Searcher

DEV = ROOT / "tests" / "dev"
CHECKLIST_STARTS = {"utter_checklist_intro", "utter_checklist_no_questions", "utter_personal_checklist"}


def checklist_started(turn) -> bool:
    """The checklist's first question (or list), or the place asked with the checklist to follow."""
    responses = {say.response for say in turn.says}
    waiting = "utter_ask_region" in responses and "personal_checklist" in (turn.state.pending_attribute or "")
    return bool(responses & CHECKLIST_STARTS) or waiting


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
    return turn.state.item_key == case["base_code"] and checklist_started(turn)


def turn_for(guide: Guide, intent: str, text: str):
    """The turn the action of ``intent`` takes on a new conversation (as the rules route it)."""
    if intent == "compare_places":
        return guide.compare_places(text, State())
    if intent == "correct_item":
        return guide.correct(text, State())
    if intent in ("out_of_scope", "nlu_fallback"):
        return guide.fallback(text, State(), out_of_scope=intent == "out_of_scope")
    if intent == "inform_region":
        return guide.inform_region(text, State())
    if intent == "choose_option":
        return guide.choose(text, None, State())
    attribute = intent.removeprefix("ask_") if intent.startswith("ask_") else ("apply" if intent == "apply" else None)
    return guide.ask(text, attribute, State())


def end_to_end_right(guide: Guide, expected: str, predicted: str, case: dict) -> bool:
    """The NLU's intent, then its action: does the citizen get the comparison / the checklist?"""
    turn = turn_for(guide, predicted, case["text"])
    responses = [say.response for say in turn.says]
    if turn.state.item_key != case["base_code"]:
        return False
    if expected == "compare_places":
        if "utter_compare_places" not in responses:
            return False
        compared = turn.says[responses.index("utter_compare_places")].values["places"].split("、")
        return all(any(_short(normalize(place)) in c for c in compared) for place in case["places"])
    return checklist_started(turn)


def nlu_predictions(cases: list[tuple[str, str]], model: str, config: str, name: str) -> dict[str, str]:
    """text → the intent the model gives it (``rasa test nlu``: the errors file names the misses)."""
    out = ROOT / "var" / "results" / f"features-nlu-{name}"
    nlu_recall(cases, model, config, name)
    predicted = {text: intent for text, intent in cases}
    for error in json.loads((out / "intent_errors.json").read_text("utf-8")):
        predicted[error["text"]] = error["intent_prediction"]["name"]
    return predicted


def nlu_recall(cases: list[tuple[str, str]], model: str, config: str, name: str) -> dict[str, float]:
    """Per intent, the share of its questions the model classifies as it (``rasa test nlu``)."""
    by_intent: dict[str, list[str]] = {}
    for text, intent in cases:
        by_intent.setdefault(intent, []).append(text)
    data = {"version": "3.1", "nlu": [{"intent": i, "examples": "".join(f"- {t}\n" for t in texts)} for i, texts in by_intent.items()]}
    out = ROOT / "var" / "results" / f"features-nlu-{name}"
    shutil.rmtree(out, ignore_errors=True)  # never read an earlier run's report
    with tempfile.NamedTemporaryFile("w", suffix=".yml", encoding="utf-8", delete=False) as handle:
        yaml.safe_dump(data, handle, allow_unicode=True, sort_keys=False)
    subprocess.run(
        [str(BIN / "rasa"), "test", "nlu", "--nlu", handle.name, "--model", model, "--config", config, "--out", str(out)],
        cwd=ROOT, check=True, capture_output=True,
    )
    report = json.loads((out / "intent_report.json").read_text("utf-8"))
    return {intent: report[intent]["recall"] if intent in report else 0.0 for intent in by_intent}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.evaluate_features", description=__doc__.splitlines()[0])
    parser.add_argument("--compare", type=Path, default=DEV / "compare_holdout.jsonl")
    parser.add_argument("--checklist", type=Path, default=DEV / "checklist_holdout.jsonl")
    parser.add_argument("--items", type=Path, nargs="+", default=[DEFAULT_ITEMS])
    parser.add_argument("--no-nlu", action="store_true", help="skip the intent accuracy (no Rasa models needed)")
    args = parser.parse_args(argv)
    sets = {"compare_places": _read(args.compare), "ask_personal_checklist": _read(args.checklist)}
    records = list(iter_accepted(read_batch(args.items, keep=False)))
    predicted = {} if args.no_nlu else _predicted(sets)
    rows = []
    with tempfile.TemporaryDirectory(prefix="guide-features-") as tmp:
        backend = EmbeddedBackend(Path(tmp))
        backend.apply(records, replace=True)
        guide = Guide(Searcher(backend))
        baseline = CharBM25(records, key_of=backend.item_key_of)
        for intent, cases in sets.items():
            judge = compare_right if intent == "compare_places" else checklist_right
            ours = sum(judge(guide, case) for case in cases) / len(cases)
            plain = sum((baseline.search(case["text"], limit=1) or [None])[0] == case["base_code"] for case in cases) / len(cases)
            rows.append((f"{intent}: the turn (right item{' and both places' if intent == 'compare_places' else ''})", ours, plain))
        for intent, cases in sets.items() if predicted else ():
            share = {name: sum(p[c["text"]] == intent for c in cases) / len(cases) for name, p in predicted.items()}
            rows.append((f"{intent}: intent accuracy", share["guide"], share["baseline"]))
            e2e = {name: sum(end_to_end_right(guide, intent, p[c["text"]], c) for c in cases) / len(cases)
                   for name, p in predicted.items()}
            rows.append((f"{intent}: end to end (the NLU's intent, then its action)", e2e["guide"], e2e["baseline"]))
        backend.close()
    sizes = ", ".join(f"{len(cases)} {name}" for name, cases in sets.items())
    note = f"Held-out feature questions ({sizes}); baseline: item = BM25 over characters, NLU = Rasa's default Chinese pipeline."
    text = table([(name, f"{ours:.1%}", f"{plain:.1%}") for name, ours, plain in rows], [note])
    print(text)
    out = ROOT / "var" / "results" / "features.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return 0


def _predicted(sets: dict[str, list[dict]]) -> dict[str, dict[str, str]]:
    """Per model (ours, the baseline), each question's intent."""
    labelled = [(c["text"], intent) for intent, cases in sets.items() for c in cases]
    models = {"guide": (str(ROOT / "models" / "guide.tar.gz"), "bot/config.yml"),
              "baseline": (train("bot/config_baseline.yml", "baseline"), "bot/config_baseline.yml")}
    return {name: nlu_predictions(labelled, model, config, name) for name, (model, config) in models.items()}


if __name__ == "__main__":
    sys.exit(main())
