"""``rasa`` with :mod:`bot.speedups` and :mod:`bot.inprocess` applied: the command line is Rasa's own.

    python -m bot.serve run -m models --enable-api -p 5005 --endpoints bot/endpoints.yml
    python -m bot.serve test core --stories tests/stories --endpoints bot/endpoints.yml
"""

from __future__ import annotations

import sys


def main() -> None:
    from bot import inprocess, speedups

    speedups.apply()
    inprocess.apply()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
