"""Run the story tests (tests/stories) against the trained model, with the actions in process.

    python -m bot.check_stories        # part of `make test`; exit 1 on any failed story

The actions read the index in GUIDE_DATA_DIR (the sample corpus, loaded by `make data`); they run
inside `rasa test` (bot/inprocess.py), as they run inside Rasa in `make run`.
Results, with the failed stories, go to var/results/core.
"""

from __future__ import annotations

import os
import subprocess
import sys

from api.processes import ROOT, Stack


def main() -> int:
    result = subprocess.run(
        [
            sys.executable, "-m", "bot.serve", "test", "core", "--stories", "tests/stories", "--model", "models/guide.tar.gz",
            "--endpoints", "bot/endpoints.yml", "--out", "var/results/core", "--fail-on-prediction-errors",
        ],
        cwd=ROOT,
        env={**os.environ, **Stack(actions_module="actions").env},
    )
    failed = ROOT / "var" / "results" / "core" / "failed_test_stories.yml"
    if result.returncode != 0 and failed.exists():
        print(failed.read_text("utf-8"), file=sys.stderr)
    print("story tests:", "passed" if result.returncode == 0 else "FAILED", file=sys.stderr)
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
