"""Templates for the scale corpus from a real portal export: one per distinct item.

    >>> from index.corpus.portal_names import portal_templates, DEFAULT_EXPORT
    >>> templates = portal_templates(DEFAULT_EXPORT)        # ~2,200 from the 2,262-record export
    >>> records = generate(100_000, templates=templates)    # index.corpus.generate

Search at scale must tell thousands of different items apart, as a province's index does; 60
authored templates repeated over every region cannot test that. Here each distinct item of the
export (by its name and type) becomes a template carrying the record's own published fields,
mapped by :func:`index.portal.from_portal`; who implements it where is still the generator's
(the bodies and regions of :mod:`index.corpus.bodies`), so its 实施主体, address, hours and
phones are generated, like every field of the 60 templates'. The line of business (``_部门``)
is read from the body's name and the item's name; an item of no line the generator has
bodies for (发改委, 司法厅 …) is given one by a stable hash, and its level (``_层级``) comes
from its 行使层级 (the export is of 省级 and 市级 items: both become 市 items, implemented in
every city, and one level down in every county).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..analysis import normalize
from ..portal import from_portal
from .bodies import DEPARTMENTS, stable_hash
from .build import ASSEMBLER_KEYS, ROOT

# The item's text is the portal's; who implements it, where, and the phone numbers are not.
GENERATED_NOTE = "生成数据（规模测试）：事项内容取自广东政务服务网导出，实施主体、地址和电话为生成，仅为示意"
DEFAULT_EXPORT = ROOT.parent / "shared" / "item-standards" / "portal-export" / "gd-portal-2021.jsonl"

# (words in the body's or the item's name, line of business): the first that matches wins.
_LINES = (
    (("出入境", "护照", "港澳", "签注"), "公安出入境"),
    (("交警", "车管", "机动车", "驾驶"), "公安交警"),
    (("公安",), "公安户政"),
    (("医疗保障", "医保"), "医保"),
    (("公积金",), "公积金"),
    (("人力资源", "社会保障", "人社"), "人社"),
    (("市场监督", "市场监管", "药品监督"), "市场监管"),
    (("税务",), "税务"),
    (("不动产",), "不动产"),
    (("婚姻", "结婚", "离婚"), "民政婚姻"),
    (("民政", "退役军人"), "民政"),
    (("卫生健康", "卫健", "医学", "医院"), "卫健"),
    (("残疾人", "残联"), "残联"),
    (("教育", "学校"), "教育"),
    (("住房和城乡建设", "住建"), "住建"),
    (("自然资源", "规划", "林业"), "自然资源"),
)
_LEVELS = {"省级": "市", "市级": "市", "县级": "区", "镇（乡、街道）级": "镇", "村（社区）级": "镇"}


def line_of_business(body: str, name: str) -> str:
    for words, line in _LINES:
        if any(word in body or word in name for word in words):
            return line
    return DEPARTMENTS[stable_hash("line", name) % len(DEPARTMENTS)]


def portal_templates(path: Path | str = DEFAULT_EXPORT) -> list[dict]:
    """One template per distinct (name, type) of the export, sorted by 基本编码; records the
    portal mapping refuses are left out (``python -m index load`` reports them)."""
    templates: dict[tuple[str, str], dict] = {}
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            record = from_portal(json.loads(line), str(path), f"line {number}")
            if isinstance(record, list):  # problems: refused
                continue
            key = (normalize(record["事项名称"]), record.get("事项类型") or "")
            if key in templates:
                continue
            # what the record does not publish stays unpublished (absent), as in the export
            template = {k: v for k, v in record.items() if k not in ASSEMBLER_KEYS}
            template["_部门"] = line_of_business(record.get("实施主体") or "", record["事项名称"])
            template["_层级"] = _LEVELS.get(record.get("行使层级") or "", "市")
            template["_窗口"] = "综合窗口"
            template["数据来源"] = GENERATED_NOTE  # not the export's own: the bodies are generated
            templates[key] = template
    _unique_base_codes(list(templates.values()))
    return sorted(templates.values(), key=lambda t: t["基本编码"])


def _unique_base_codes(templates: list[dict]) -> None:
    """Distinct items published under one catalogue code get codes of their own (the generator
    builds 实施编码 from 基本编码, and two items must never share one)."""
    used: set[str] = set()
    for template in templates:
        base = str(template.get("基本编码") or "440000000000")
        candidate, k = base, 0
        while candidate in used:
            k += 1
            candidate = f"{base[:-3]}{(int(base[-3:]) + k) % 1000:03d}" if base[-3:].isdigit() else f"{base}{k}"
        used.add(candidate)
        template["基本编码"] = candidate
