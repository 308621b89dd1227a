"""Assemble the sample corpus: every template × the hand-written sample regions.

    python -m index.corpus.build                      # → data/sample/items.jsonl
    python -m index.corpus.build --out /tmp/items.jsonl --templates /tmp/my-templates

A template (``index/corpus/templates/*.json``, see ``CATALOGUE.md``) holds what an item is;
:func:`index.corpus.bodies.body_for` says who implements it where. :class:`Prepared` joins the
two into a record in ``shared/item-standards/FORMAT.md``'s key order; the scale generator
(:mod:`index.corpus.generate`) uses the same class over all of Guangdong.

Which sample regions implement which item is a fixed, deterministic plan (:func:`sample_plan`):
each item at its ``_层级`` — 市 items in 佛山/广州/深圳, 区 items in 3 of the 11 sample 区, 镇
items in 3 of the 11 sample 镇街, 佛山 first and rotating so that every sample region gets
items — and the items people ask for most (居住证, 身份证, 出生登记, 社保卡, 个体户, 结婚, 二手房
过户, 公积金提取, 驾驶证换证) in 5–6 regions. 公积金提取 is 市级, and the sample has three
cities: its extra implementations are the 佛山 centre's 南海/顺德 管理部, one level down as the
generator does.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

try:  # orjson copies a template ~5× faster than json; the corpus does not depend on it
    import orjson as _fastjson

    _loads = _fastjson.loads
    _dumps = _fastjson.dumps
except ImportError:  # pragma: no cover - orjson is a declared dependency
    _loads = json.loads

    def _dumps(value) -> bytes:
        return json.dumps(value, ensure_ascii=False).encode()


from .. import divisions as div
from ..divisions import Division
from .bodies import DEPARTMENTS, Body, body_for, sample_divisions, stable_hash

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIR = Path(__file__).parent / "templates"
DEFAULT_OUT = ROOT / "data" / "sample" / "items.jsonl"

# FORMAT.md's tables, in order; keys it does not name follow in the template's own order.
KEY_ORDER = (
    # identity and classification
    "事项名称", "日常用语", "基本编码", "实施编码", "事项版本", "事项类型", "行使层级", "行政区划",
    "服务对象", "事项主题分类", "业务办理项", "业务办理项编码",
    # who handles it, where, when
    "实施主体", "实施主体性质", "实施主体编码", "联办机构", "委托部门", "办理窗口", "办理地点",
    "办理时间", "咨询电话", "监督投诉电话", "行政复议", "行政诉讼",
    # what, under which conditions, with which materials
    "申请内容", "受理条件", "申请材料", "设定依据", "收费", "办理结果",
    # how it is handled, how long it takes
    "法定办结时限", "承诺办结时限", "办件类型", "到办事现场次数", "必须现场办理原因", "办理形式",
    "网办深度", "在线办理地址", "在线预约地址", "办理流程",
)
ASSEMBLER_KEYS = frozenset({
    "实施编码", "实施主体", "实施主体性质", "实施主体编码", "行使层级", "行政区划", "办理窗口",
    "办理地点", "办理时间", "咨询电话", "监督投诉电话", "行政复议", "行政诉讼", "在线办理地址",
    "在线预约地址", "事项版本",
})
TEMPLATE_REQUIRED = (
    "基本编码", "事项名称", "日常用语", "事项类型", "服务对象", "事项主题分类", "申请内容", "受理条件",
    "申请材料", "设定依据", "收费", "法定办结时限", "承诺办结时限", "办件类型", "到办事现场次数",
    "必须现场办理原因", "办理形式", "网办深度", "办理结果", "办理流程", "_部门", "_层级", "_窗口",
)
LEVELS = ("市", "区", "镇")

# The items citizens ask for most: in 4+ sample regions.
COMMON_ITEMS = frozenset({
    "442106040001",  # 居住证申领
    "442106041001",  # 签注居住证
    "442106020001", "442106020002", "442106020003", "442106021001",  # 身份证
    "442106001001",  # 出生登记
    "442201005001",  # 社会保障卡申领
    "440125044001",  # 个体工商户设立登记
    "442701001001",  # 内地居民结婚登记
    "442601001001",  # 不动产转移登记（二手房买卖）
    "442401001001", "442401002001",  # 住房公积金提取
    "442901001001",  # 机动车驾驶证期满换证
})
# The two published guides: keep their item where they were published.
PINNED = {
    "442106041001": ("广东省广州市番禺区沙湾街道",),
    "440125044001": ("广东省深圳市龙岗区",),
}
# …and with the version they were published at.
_PINNED_VERSIONS = {
    "TE44011350000011905442106041001": 4,
    "11440300MB2D0970524440125044001": 1,
}


class TemplateError(ValueError):
    """A template file cannot be assembled (names the file, the item and the key)."""


def version_of(code: str, seed: int = 0) -> int:
    """事项版本 1–4, a function of the implementation (and the generator's seed)."""
    if code in _PINNED_VERSIONS and seed == 0:
        return _PINNED_VERSIONS[code]
    return 1 + stable_hash("version", seed, code) % 4


def load_templates(directory: Path | str = TEMPLATE_DIR) -> list[dict]:
    """Every template in ``directory/*.json``, sorted by 基本编码.

    Raises TemplateError for what would make a bad corpus: unreadable JSON, a missing key, an
    unknown ``_部门``/``_层级``, or two templates with the same 基本编码.
    """
    seen: dict[str, str] = {}
    out: list[dict] = []
    for path in sorted(Path(directory).glob("*.json")):
        try:
            items = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise TemplateError(f"{path.name}: not valid JSON ({exc})") from None
        if isinstance(items, dict):
            items = [items]
        for n, template in enumerate(items, 1):
            where = f"{path.name}[{n}] ({template.get('基本编码', '?')} {template.get('事项名称', '')})"
            missing = [k for k in TEMPLATE_REQUIRED if k not in template]
            if missing:
                raise TemplateError(f"{where}: missing {', '.join(missing)}")
            if template["_部门"] not in DEPARTMENTS:
                raise TemplateError(f"{where}: _部门 {template['_部门']!r} is none of {', '.join(DEPARTMENTS)}")
            if template["_层级"] not in LEVELS:
                raise TemplateError(f"{where}: _层级 {template['_层级']!r} is none of 市, 区, 镇")
            base = template["基本编码"]
            if base in seen:
                raise TemplateError(f"{where}: 基本编码 {base} already in {seen[base]}")
            seen[base] = where
            out.append(template)
    out.sort(key=lambda t: t["基本编码"])
    return out


def template_warnings(templates: Iterable[dict]) -> list[str]:
    """Keys a template should not carry (the assembler fills them and overrides the template's)."""
    return [
        f"{t['基本编码']} {t['事项名称']}: carries {key}, which the assembler fills"
        for t in templates
        for key in t
        if key in ASSEMBLER_KEYS
    ]


@dataclass(frozen=True)
class SubItem:
    """One 业务办理项 of a template, for an implementation of that situation alone."""

    number: int  # the 2 digits after 基本编码 in its 编码
    index: int  # position in the template's 业务办理项
    item: dict


class Prepared:
    """A template ready to be turned into records quickly (the generator makes 100,000 of them).

    The template's own part is serialised once; each record parses a fresh copy, so records
    never share mutable lists or dicts with each other or with the template.
    """

    def __init__(self, template: dict):
        self.template = template
        self.base: str = template["基本编码"]
        self.name: str = template["事项名称"]
        self.dept: str = template["_部门"]
        self.level: str = template["_层级"]
        self.window: str = template.get("_窗口") or "综合窗口"
        own = {k: v for k, v in template.items() if not k.startswith("_") and k not in ASSEMBLER_KEYS}
        self._blob = _dumps(own)
        extras = [k for k in own if k not in KEY_ORDER]
        self._order = KEY_ORDER + tuple(extras)
        self.sub_items: tuple[SubItem, ...] = tuple(self._sub_items(template.get("业务办理项") or []))

    def _sub_items(self, items: list) -> Iterator[SubItem]:
        used: set[int] = set()
        for i, item in enumerate(items, 1):
            code = str(item.get("编码") or "")
            # Published sub-item codes are 基本编码 + 2 digits (442106001001 → 44210600100101).
            number = int(code[-2:]) if len(code) == len(self.base) + 2 and code.startswith(self.base) and code[-2:].isdigit() else i
            while number in used or not 0 < number < 100:
                number = number % 99 + 1
            used.add(number)
            yield SubItem(number, i - 1, item)

    def record(self, body: Body, *, version: int | None = None, sub_item: SubItem | None = None, seed: int = 0) -> dict:
        """The record of this item implemented by ``body`` (one 业务办理项 of it when given)."""
        values = _loads(self._blob)
        window = self.window
        if sub_item is not None:
            # An implementation of one situation: its own counter, its own code (+2 digits).
            window = f"{self.window}（{sub_item.item.get('名称', '')}）"
            values["业务办理项"] = [values["业务办理项"][sub_item.index]]
        values.update(body.fields(self.base, window, sub_item.number if sub_item else None))
        if sub_item is not None:
            values["业务办理项编码"] = values["实施编码"]
        values["事项版本"] = version if version is not None else version_of(values["实施编码"], seed)
        return {k: values[k] for k in self._order if k in values}


# --------------------------------------------------------------------------------------------
# The sample plan


def _rotate(pool: list[Division], start: int, k: int) -> list[Division]:
    return [pool[(start + j) % len(pool)] for j in range(min(k, len(pool)))]


def sample_plan(templates: list[dict]) -> Iterator[tuple[dict, Division, str]]:
    """(template, division, department) for every record of the sample corpus, in order.

    Deterministic: the same templates give the same plan. 佛山 first, then 广州, 深圳.
    """
    cities = sample_divisions("市")
    districts = sample_divisions("区")
    towns = sample_divisions("镇")
    fs = div.by_full_name("广东省佛山市").code

    def in_fs(d: Division) -> bool:
        return d.code.startswith(fs[:4])

    fs_districts = [d for d in districts if in_fs(d)]
    other_districts = [d for d in districts if not in_fs(d)]
    fs_towns = [d for d in towns if in_fs(d)]
    other_towns = [d for d in towns if not in_fs(d)]
    # Down-level implementations of a common 市 item: 佛山's two largest 区.
    fs_down = [d for d in fs_districts if d.name in ("南海区", "顺德区")] or fs_districts[:2]

    # Each level rotates through its own pools, so consecutive items land in different regions
    # and every sample region gets some.
    turn = {"市": 0, "区": 0, "镇": 0}
    for template in templates:
        common = template["基本编码"] in COMMON_ITEMS
        level = template["_层级"]
        t = turn[level]
        turn[level] += 1
        if level == "市":
            chosen = list(cities) + (fs_down if common else [])
        elif level == "区":
            chosen = _rotate(fs_districts, 2 * t, 4 if common else 2) + _rotate(other_districts, t, 2 if common else 1)
        else:
            chosen = _rotate(fs_towns, 2 * t, 3 if common else 2) + _rotate(other_towns, t, 2 if common else 1)
        for full_name in PINNED.get(template["基本编码"], ()):
            pinned = div.by_full_name(full_name)
            if pinned is not None and all(pinned.code != d.code for d in chosen):
                chosen.append(pinned)
        for d in chosen:
            yield template, d, template["_部门"]


# Said by every answer, guide and page drawn from an authored record, so nobody calls a
# plausible but invented number. The two real published guides the sample carries are not marked.
SAMPLE_NOTE = "示例数据：据真实法规编写，地址和电话仅为示意，请以当地政务服务网为准"
REAL_GUIDES = Path(__file__).resolve().parents[2] / "data" / "examples"


def _real_codes() -> set[str]:
    codes = set()
    for path in REAL_GUIDES.glob("gdzwfw-*.json"):
        codes.add(json.loads(path.read_text("utf-8")).get("实施编码"))
    return codes


def build(templates: list[dict]) -> Iterator[dict]:
    """The sample corpus's records."""
    prepared: dict[str, Prepared] = {}
    real = _real_codes()
    for template, division, dept in sample_plan(templates):
        p = prepared.setdefault(template["基本编码"], Prepared(template))
        record = p.record(body_for(division, dept))
        if record["实施编码"] not in real:
            record["数据来源"] = SAMPLE_NOTE
        yield record


def write_jsonl(records: Iterable[dict], fp: IO[str]) -> int:
    """Write records as JSON Lines (UTF-8 text, one record a line); return how many."""
    n = 0
    for record in records:
        fp.write(json.dumps(record, ensure_ascii=False))
        fp.write("\n")
        n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index.corpus.build", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output JSON Lines (default: %(default)s)")
    parser.add_argument("--templates", type=Path, default=TEMPLATE_DIR, help="template directory (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        templates = load_templates(args.templates)
    except TemplateError as exc:
        print(f"template error: {exc}", file=sys.stderr)
        return 1
    if not templates:
        print(f"no templates in {args.templates}", file=sys.stderr)
        return 1
    for warning in template_warnings(templates):
        print(f"warning: {warning}", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # Write to a temporary file first: a failed build must not leave half a corpus behind.
    tmp = args.out.with_suffix(args.out.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as fp:
        n = write_jsonl(build(templates), fp)
    tmp.replace(args.out)
    print(f"{n} records from {len(templates)} templates → {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
