"""Run the story tests (tests/stories) against the trained model and a live action server.

    python -m bot.check_stories        # part of `make test`; exit 1 on any failed story

The action server reads the index in GUIDE_DATA_DIR (the sample corpus, loaded by `make data`).
Results, with the failed stories, go to var/results/core.
"""

from __future__ import annotations

import subprocess
import sys

from api.processes import BIN, ROOT, Services, rasa_actions


def main() -> int:
    with Services() as services:
        services.start(*rasa_actions())
        result = subprocess.run(
            [
                str(BIN / "rasa"), "test", "core", "--stories", "tests/stories", "--model", "models/guide.tar.gz",
                "--endpoints", "bot/endpoints.yml", "--out", "var/results/core", "--fail-on-prediction-errors",
            ],
            cwd=ROOT,
            env=services.env,
        )
    failed = ROOT / "var" / "results" / "core" / "failed_test_stories.yml"
    if result.returncode != 0 and failed.exists():
        print(failed.read_text("utf-8"), file=sys.stderr)
    print("story tests:", "passed" if result.returncode == 0 else "FAILED", file=sys.stderr)
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
