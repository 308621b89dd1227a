"""Write the lookup tables of the NLU data: Guangdong's places and the attribute words.

    python -m bot.lookups            # → nlu_data/lookup_regions.yml, nlu_data/lookup_attributes.yml

The tables only feed RegexFeaturizer: 'this word is a place' helps tell inform_region from the
rest, 'this is a word for materials / time / fees …' helps tell the ask_* intents apart, from the
same table (index/data/attributes.tsv) the search uses to take attribute words out of a query.
Which region and which item are meant is read by the index at run time.
"""

from __future__ import annotations

import sys
from pathlib import Path

from index import divisions
from index.analysis import attribute_table

NLU_DATA = Path(__file__).resolve().parent.parent / "nlu_data"


def region_names() -> list[str]:
    names: set[str] = set()
    for division in divisions.all_divisions():
        names.add(division.name)
        if division.short_name and len(division.short_name) >= 2:
            names.add(division.short_name)
    return sorted(names)


def attribute_words() -> dict[str, list[str]]:
    words: dict[str, list[str]] = {}
    for phrase, attribute in attribute_table():
        words.setdefault(attribute, []).append(phrase)
    return {attribute: sorted(set(phrases)) for attribute, phrases in sorted(words.items())}


def _write(path: Path, tables: dict[str, list[str]]) -> None:
    lines = ['version: "3.1"', "nlu:"]
    for name, names in tables.items():
        lines += [f"  - lookup: {name}", "    examples: |"] + [f"      - {n}" for n in names]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{path}: {sum(len(v) for v in tables.values())} entries", file=sys.stderr)


def main() -> int:
    _write(NLU_DATA / "lookup_regions.yml", {"region": region_names()})
    _write(NLU_DATA / "lookup_attributes.yml", {f"attr_{a}": w for a, w in attribute_words().items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
