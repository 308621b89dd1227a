"""The same item in two (or more) places, side by side: what differs and what does not.

    >>> from index.compare import compare, lines
    >>> table = compare([nanhai_record, chancheng_record])
    >>> [(row.label, row.same) for row in table.rows][:3]
    [('实施主体', False), ('办理地点', False), ('办理时间', False)]
    >>> print("\\n".join(lines(table)))
    ● 实施主体：
      南海区桂城街道：…

南海和禅城办居住证有什么不同: each place has its own record of the item (same 基本编码), so the
answer is exact, field by field, from the records: bodies, addresses, hours, time limits, fees,
visits, online address, phones, and the materials one place asks for and the other does not.
A field a record does not state is shown as not stated, never filled from the other place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import render
from .answers import facts_of, present

# (label, attribute of index.answers, the record keys it reads)
FIELDS = (
    ("实施主体", "agency", ("实施主体",)),
    ("办理地点", "location", ("办理地点",)),
    ("办理时间", "office_hours", ("办理时间",)),
    ("办结时限", "time_limit", ("承诺办结时限", "法定办结时限")),
    ("收费", "fee", ("收费",)),
    ("到办事现场次数", "visits", ("到办事现场次数",)),
    ("网上办理", "online", ("在线办理地址", "办理平台")),
    ("咨询电话", "phone", ("咨询电话",)),
    ("监督投诉电话", "complaint", ("监督投诉电话",)),
)
NOT_STATED = "本事项标准未载明"


@dataclass
class Row:
    label: str
    values: list[str]  # one per place, in the order of the places

    @property
    def same(self) -> bool:
        return len({_folded(v) for v in self.values}) <= 1


@dataclass
class Comparison:
    name: str
    places: list[str]  # 行政区划 of each record, without 广东省
    codes: list[str]
    rows: list[Row]
    only: list[list[str]] = field(default_factory=list)  # per place: materials only it asks for
    materials_same: bool = True


def _folded(text: str) -> str:
    return re.sub(r"[\s，,。；;：:、]", "", text or "")


def _value(record: dict, attribute: str, keys: tuple[str, ...]) -> str:
    if not any(present(record, key) for key in keys):
        return NOT_STATED
    return facts_of(record, attribute).strip() or NOT_STATED


def _material_names(record: dict) -> list[str]:
    return [row["name"] + (f"（{row['situation']}）" if row["situation"] else "") for row in render.checklist(record)]


def compare(records: list[dict]) -> Comparison:
    """Field by field, the records of one item in several places."""
    rows = [Row(label, [_value(r, attribute, keys) for r in records]) for label, attribute, keys in FIELDS]
    names = [_material_names(r) for r in records]
    folded = [{_folded(n) for n in ns} for ns in names]
    only = [[n for n in ns if not all(_folded(n) in other for j, other in enumerate(folded) if j != i)]
            for i, ns in enumerate(names)]
    stated = [isinstance(r.get("申请材料"), list) for r in records]
    rows.append(Row("申请材料", [f"{len(ns)} 项" if ok else NOT_STATED for ns, ok in zip(names, stated)]))
    return Comparison(
        name=str(records[0].get("事项名称", "")) if records else "",
        places=[str(r.get("行政区划", "")).removeprefix("广东省") for r in records],
        codes=[str(r.get("实施编码", "")) for r in records],
        rows=rows,
        only=only,
        materials_same=not any(only) and len(set(stated)) <= 1,
    )


def labels_for(attributes: list[str]) -> list[str]:
    """The rows that answer these attributes of index.answers (time_limit → 办结时限 …)."""
    labels = [label for label, attribute, _ in FIELDS if attribute in attributes]
    return labels + (["申请材料"] if "materials" in attributes else [])


def lines(table: Comparison, labels: list[str] | None = None) -> list[str]:
    """What differs first, each place's value on its own line; then what is the same, briefly.

    With ``labels`` (两边几点上班 → 办理时间), only those rows, each shown whether it differs or not."""
    out = []
    for row in table.rows:
        if row.label == "申请材料" or (labels is None and row.same) or (labels is not None and row.label not in labels):
            continue
        if row.same:
            out.append(f"● {row.label}（两地相同）：{row.values[0]}" if len(table.places) == 2 else f"● {row.label}（各地相同）：{row.values[0]}")
            continue
        out.append(f"● {row.label}：")
        out += [f"  {place}：{value}" for place, value in zip(table.places, row.values)]
    if labels is None or "申请材料" in labels:
        out += _materials_lines(table)
    same = [row.label for row in table.rows if row.same and row.label != "申请材料"]
    if same and labels is None:
        out.append(f"● 相同：{'、'.join(same)}")
    return out


def _materials_lines(table: Comparison) -> list[str]:
    if table.materials_same:
        return ["● 申请材料：两地相同" if len(table.places) == 2 else "● 申请材料：各地相同"]
    out = ["● 申请材料："]
    for place, only, row_value in zip(table.places, table.only, table.rows[-1].values):
        out.append(f"  {place}（{row_value}）" + (f"另需：{'；'.join(only)}" if only else "：无另需的材料"))
    return out


def compare_html(table: Comparison) -> str:
    """The comparison as a page: every field, differing or not, and each place's guide."""
    return render.page_html(
        "compare.html", name=table.name, places=table.places, rows=table.rows, only=table.only,
        materials_same=table.materials_same, pairs=list(zip(table.places, table.codes)),
    )
