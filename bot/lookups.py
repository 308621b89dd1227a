"""Write the region lookup table of the NLU data from Guangdong's divisions.

    python -m bot.lookups            # → nlu_data/lookup_regions.yml

The table only feeds RegexFeaturizer (a 'this word is a place' feature that helps tell
inform_region from other intents); which region is meant is read by the index at run time.
"""

from __future__ import annotations

import sys
from pathlib import Path

from index import divisions

OUT = Path(__file__).resolve().parent.parent / "nlu_data" / "lookup_regions.yml"


def region_names() -> list[str]:
    names: set[str] = set()
    for division in divisions.all_divisions():
        names.add(division.name)
        if division.short_name and len(division.short_name) >= 2:
            names.add(division.short_name)
    return sorted(names)


def main() -> int:
    lines = ['version: "3.1"', "nlu:", "  - lookup: region", "    examples: |"]
    lines += [f"      - {name}" for name in region_names()]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(lines) - 4} names", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
