"""``rasa`` with :mod:`bot.speedups` applied: the command line is Rasa's own.

    python -m bot.serve run -m models --enable-api -p 5005
"""

from __future__ import annotations

import sys


def main() -> None:
    from bot import speedups

    speedups.apply()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
