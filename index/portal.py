"""Records in the portal's own field names (广东政务服务网 exports): detect them and map them.

    >>> from index.portal import is_portal_record, from_portal
    >>> raw = {"TASK_NAME": "临时价格干预范围事项提价申报", "TASK_CODE": "1144…", "DEPT_NAME": "…", …}
    >>> is_portal_record(raw)
    True
    >>> record = from_portal(raw, "gd-portal-2021.jsonl", "第 1 行")   # a dict, or a list of Problem
    >>> record["事项名称"], record["办理地点"]
    ('临时价格干预范围事项提价申报', '广州市越秀区东风中路305号5号楼808房')

``shared/item-standards/portal-export/README.md`` is the field map. What the portal does not
publish (设定依据, 收费, 办理时间, often the materials or the time limits) becomes ``null``: the
loader accepts it and every view says "本事项标准未载明…" instead of inventing anything. Every
value comes from the raw record; the raw record itself is kept under ``_portal`` (minus the
scraper's ``_id``) so that nothing is lost.

A problem found while mapping names the portal field (``handle_time: 无法解析的办结时限 …``);
:func:`portal_field` translates a path of the interchange format back to the portal field it was
mapped from, for the problems the model finds after mapping.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from .errors import Problem
from .model import parse_time_limit

__all__ = ["is_portal_record", "from_portal", "portal_field", "SOURCE", "PORTAL_KEYS"]

SOURCE = "广东政务服务网（门户导出）"

# Keys only the portal's family has; one of them (and none of the format's identity keys) marks a record.
PORTAL_KEYS = frozenset(
    {"TASK_NAME", "TASK_CODE", "DEPT_NAME", "CATAID", "CATANAME", "TASK_TYPE_TEXT", "AREA_CODE_TEXT", "ORGCODE"}
)
_FORMAT_IDENTITY = ("事项名称", "实施编码", "基本编码")

# interchange key → the portal field it is mapped from (the first one present, for two-source keys)
_FIELDS: dict[str, tuple[str, ...]] = {
    "事项名称": ("TASK_NAME",),
    "实施编码": ("TASK_CODE",),
    "基本编码": ("CATAID",),
    "事项类型": ("TASK_TYPE_TEXT", "matter_type"),
    "行使层级": ("matter_level",),
    "行政区划": ("AREA_CODE_TEXT",),
    "服务对象": ("service_object_name",),
    "事项主题分类": ("theme_category",),
    "实施主体": ("DEPT_NAME",),
    "办理地点": ("handle_location",),
    "法定办结时限": ("handle_time",),
    "承诺办结时限": ("handle_time_limit",),
    "办理时间": ("handle_time", "handle_time_limit"),
    "到办事现场次数": ("visit_number",),
    "受理条件": ("accept_standard",),
    "申请材料": ("material_intro",),
    "咨询电话": ("consult_phone",),
    "监督投诉电话": ("complain_phone",),
    "日常用语": ("matter_short", "matter_daily"),
    "在线办理地址": ("URL",),
    "在线预约地址": ("online_book_addr",),
    "业务办理项": ("subTaskName",),
    "收费": ("charge",),
    "联办机构": ("co_department",),
    "办理平台": ("bear_paltform",),
    "是否支持物流快递": ("courier_service",),
    "是否支持预约办理": ("online_book",),
}

_LEVELS = {
    # the format's spelling for what exports write at town and village level
    "镇级": "镇（乡、街道）级",
    "乡级": "镇（乡、街道）级",
    "乡镇级": "镇（乡、街道）级",
    "街道级": "镇（乡、街道）级",
    "镇(乡、街道)级": "镇（乡、街道）级",
    "村级": "村（社区）级",
    "社区级": "村（社区）级",
    "村(社区)级": "村（社区）级",
}
_AUDIENCE = {"事业法人": "事业单位法人"}
_YES_NO = {"是": "是", "否": "否", "不支持": "否", "支持": "是"}

_LOCATION_PREFIX = re.compile(r"^\s*办理地点\s*[:：]\s*")
_HOURS_PREFIX = re.compile(r"^\s*(?:办公时间|工作时间|办理时间|受理时间)\s*[:：]\s*")
# Office hours put where a time limit belongs (the 中山 sample): words of a timetable or a clock time.
_HOURS = re.compile(
    r"办公时间|工作时间|办理时间|受理时间|节假日|周[一二三四五六日]|星期[一二三四五六日天]|\d{1,2}\s*[:：]\s*\d{2}"
)
_ALIAS_SPLIT = re.compile(r"[、，,;；\s]+")
_LIST_SPLIT = re.compile(r"\s*[、，,;；]\s*")

# Phones: numbers are found in the text (labels, URLs, e-mail addresses and office hours around them
# are not numbers); a number keeps its area code, extension and inner spaces ('020-8923 2806').
_DASHES = str.maketrans({c: "-" for c in "–—―‐‑－−"})
_NOT_A_NUMBER = re.compile(r"(?:https?://|www\.)[!-~]*|[!-~]*@[!-~]*", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![A-Za-z0-9_])[(+0-9][0-9()+\- 转]*[0-9](?![A-Za-z0-9_])")
_PHONE_WORDS = re.compile(
    r"咨询电话号码|咨询电话|投诉电话|监督电话|联系电话|电话咨询|电话投诉|电话号码|电话|拨打|或者|或|和|及|[、，,;；/:：。.\s]"
)


def is_portal_record(d: Any) -> bool:
    """True for a raw portal record (TASK_NAME, TASK_CODE, DEPT_NAME …), not one of the format."""
    if not isinstance(d, dict):
        return False
    return any(key in d for key in PORTAL_KEYS) and not any(key in d for key in _FORMAT_IDENTITY)


def portal_field(path: str, raw: dict) -> str:
    """The portal field an interchange-format path was mapped from: '申请材料[2].材料名称' → 'material_intro[2]'."""
    match = re.match(r"^([^\[.]+)(\[\d+\])?", path)
    if not match:
        return path
    sources = _FIELDS.get(match.group(1))
    if not sources:
        return path
    source = next((s for s in sources if s in raw), sources[0])
    return source + (match.group(2) or "")


# --------------------------------------------------------------------------- small readers


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _blank(value: Any) -> bool:
    """Nothing published: absent, null, '', or 无 (the portal's word for "not published")."""
    if value is None:
        return True
    if isinstance(value, str):
        return _fold(value).strip().rstrip("。.；;，, ") in ("", "无")
    if isinstance(value, list):
        return all(_blank(v) for v in value)
    return False


_JSON_TYPES = {dict: "对象", list: "列表", str: "字符串", int: "整数", float: "小数", bool: "布尔值", type(None): "null"}


def _kind(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _strings(value: Any) -> list[str]:
    """A list of strings from a portal list (or from a string listing several, split on 、，;)."""
    if isinstance(value, str):
        value = _LIST_SPLIT.split(value)
    out: list[str] = []
    for entry in value if isinstance(value, list) else []:
        if isinstance(entry, str) and not _blank(entry) and entry.strip() not in out:
            out.append(entry.strip())
    return out


def _phone_numbers(text: str) -> tuple[list[str], bool]:
    """The phone numbers in a portal phone field, and whether the text says more than numbers."""
    folded = _fold(text).translate(_DASHES)
    cleaned = _NOT_A_NUMBER.sub(" ｜ ", folded)
    numbers: list[str] = []
    rest = []
    last = 0
    for match in _NUMBER.finditer(cleaned):
        rest.append(cleaned[last : match.start()])
        last = match.end()
        token = re.sub(r"\s*-\s*", "-", match.group(0).strip())
        pieces = token.split()
        # '12345 12315' is two numbers, '020-8923 2806' one: split on spaces only when every part
        # is long enough to be a number on its own (as render.phones does).
        if len(pieces) > 1 and all(sum(c.isdigit() for c in p) >= 5 for p in pieces):
            candidates = pieces
        else:
            candidates = [token]
        for candidate in candidates:
            digits = sum(c.isdigit() for c in candidate)
            # Fewer than five digits is a clock time or a menu choice; six bare digits a post code.
            if digits < 5 or (digits == 6 and candidate.isdigit()):
                rest.append(candidate)
                continue
            if candidate not in numbers:
                numbers.append(candidate)
    rest.append(cleaned[last:])
    leftover = _PHONE_WORDS.sub("", "".join(rest)).replace("无", "")
    return numbers, bool(leftover)


# --------------------------------------------------------------------------- the mapping


class _Mapping:
    def __init__(self, raw: dict, file: str, where: str) -> None:
        self.raw = raw
        self.file = file
        self.where = where
        code = raw.get("TASK_CODE")
        self.code = code.strip() if isinstance(code, str) and code.strip() else None
        self.problems: list[Problem] = []
        self.out: dict[str, Any] = {}

    def problem(self, field: str, message: str, target: str | None = None) -> None:
        if target and target not in message:
            message += f"（对应 {target}）"
        self.problems.append(Problem(self.file, self.where, field, message, self.code))

    def required_text(self, target: str, *sources: str) -> None:
        """An identity field: absent or empty refuses the record (never null)."""
        source = next((s for s in sources if s in self.raw), sources[0])
        value = self.raw.get(source)
        if source not in self.raw:
            self.problem(source, "缺少必填字段", target)
        elif not isinstance(value, str):
            self.problem(source, f"应为字符串（实际为{_kind(value)}）", target)
        elif not value.strip():
            self.problem(source, "不能为空", target)
        else:
            self.out[target] = value.strip()

    def text(self, source: str) -> str | None:
        """An optional text field: None when absent or 无; a problem when not a string."""
        value = self.raw.get(source)
        if _blank(value):
            return None
        if not isinstance(value, str):
            self.problem(source, f"应为字符串（实际为{_kind(value)}）", _target_of(source))
            return None
        return value.strip()


def _target_of(source: str) -> str | None:
    return next((key for key, sources in _FIELDS.items() if source in sources), None)


def from_portal(d: dict, file: str, where: str) -> dict | list[Problem]:
    """Map one raw portal record to the interchange format, or return the problems that refuse it.

    Problems name the portal field (``handle_time``), the record (``where``) and its TASK_CODE.
    """
    m = _Mapping(d, file, where)
    out = m.out

    # identity and classification
    m.required_text("事项名称", "TASK_NAME")
    m.required_text("实施编码", "TASK_CODE")
    m.required_text("基本编码", "CATAID")
    m.required_text("事项类型", "TASK_TYPE_TEXT", "matter_type")
    m.required_text("行使层级", "matter_level")
    if "行使层级" in out:
        out["行使层级"] = _LEVELS.get(_fold(out["行使层级"]), out["行使层级"])
    m.required_text("行政区划", "AREA_CODE_TEXT")
    if "行政区划" in out and not out["行政区划"].startswith("广东省"):
        out["行政区划"] = "广东省" + out["行政区划"]
    m.required_text("实施主体", "DEPT_NAME")

    name = out.get("事项名称")
    aliases: list[str] = []
    for source in ("matter_short", "matter_daily"):
        value = m.text(source)
        for alias in _ALIAS_SPLIT.split(value or ""):
            alias = alias.strip()
            # '不收费' in the 中山 sample's matter_short is a shifted column, not a name.
            if not alias or _blank(alias) or alias == name or "收费" in alias or alias in aliases:
                continue
            aliases.append(alias)
    if aliases:
        out["日常用语"] = aliases

    audience = d.get("service_object_name")
    if _blank(audience):
        out["服务对象"] = None
    elif not isinstance(audience, (list, str)):
        m.problem("service_object_name", f"应为列表（实际为{_kind(audience)}）", "服务对象")
    else:
        # Unknown audiences (行政机关) are kept: the format lists the usual ones, not all.
        out["服务对象"] = [_AUDIENCE.get(a, a) for a in _strings(audience)]

    themes = d.get("theme_category")
    if not _blank(themes):
        if isinstance(themes, (list, str)):
            out["事项主题分类"] = _strings(themes)
        else:
            m.problem("theme_category", f"应为列表（实际为{_kind(themes)}）", "事项主题分类")

    sub_item = m.text("subTaskName")
    if sub_item:
        # '（个人）' is published in brackets, to follow the item name: the situation is 个人.
        bare = re.fullmatch(r"[（(]\s*([^（）()]+?)\s*[）)]", sub_item)
        out["业务办理项"] = [{"名称": bare.group(1) if bare else sub_item}]

    # who, where, when
    co = m.text("co_department")
    if co:
        out["联办机构"] = co
    location = m.text("handle_location")
    location = _LOCATION_PREFIX.sub("", location) if location else None
    out["办理地点"] = location or None

    hours: list[str] = []
    for source, target in (("handle_time", "法定办结时限"), ("handle_time_limit", "承诺办结时限")):
        value = m.text(source)
        out[target] = None
        if value is None:
            continue
        try:
            parse_time_limit(value)
        except ValueError as exc:
            if _HOURS.search(_fold(value)):
                # Office hours where the limit belongs: they are the 办理时间, the limit is not published.
                text = _HOURS_PREFIX.sub("", value).strip()
                if text and text not in hours:
                    hours.append(text)
            else:
                m.problem(source, str(exc), target)
            continue
        out[target] = value
    out["办理时间"] = "；".join(hours) if hours else None
    # Exports that shift their columns (the 中山 sample) put the limit in handle_type, the hours
    # where the limits belong: a handle_type that reads as a time limit is the promised one.
    shifted = m.text("handle_type")
    if out["承诺办结时限"] is None and out["法定办结时限"] is None and shifted:
        try:
            parse_time_limit(shifted)
        except ValueError:
            pass
        else:
            out["承诺办结时限"] = shifted

    for source, target, how in (
        ("consult_phone", "咨询电话", "咨询方式"),
        ("complain_phone", "监督投诉电话", "监督投诉方式"),
    ):
        value = d.get(source)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = "、".join(value)
        if _blank(value):
            out[target] = None
            continue
        if not isinstance(value, str):
            m.problem(source, f"应为字符串（实际为{_kind(value)}）", target)
            continue
        numbers, says_more = _phone_numbers(value)
        out[target] = numbers or None
        if says_more and (numbers or re.search(r"[\u4e00-\u9fff]", value.replace("无", ""))):
            # '省厅：020-…；广州：020-…；深圳：0755-…' or a whole paragraph with address and hours:
            # the numbers go to the phone list, the text as published is shown beside it.
            out[how] = value.strip()

    # what, conditions, materials
    conditions = m.text("accept_standard")
    out["受理条件"] = conditions if conditions and len(conditions.rstrip("。.；;，, ")) > 1 else None

    materials = d.get("material_intro")
    if isinstance(materials, str):
        materials = None if _blank(materials) else [materials]
    if materials is None:
        out["申请材料"] = None  # not published: not the same as [] (truly none)
    elif not isinstance(materials, list):
        m.problem("material_intro", f"应为列表（实际为{_kind(materials)}）", "申请材料")
    else:
        entries = []
        for index, entry in enumerate(materials, start=1):
            if not isinstance(entry, str):
                m.problem(f"material_intro[{index}]", f"应为字符串（实际为{_kind(entry)}）", "申请材料")
            elif not _blank(entry):
                entries.append({"序号": len(entries) + 1, "材料名称": entry.strip(), "必要性": "必要"})
        # A list of only 无 published nothing; an empty list says there are none.
        out["申请材料"] = entries if entries or not materials else None

    out["设定依据"] = None  # the portal's guide pages do not carry it
    charge = d.get("charge")
    out["收费"] = (
        "不收费" if isinstance(charge, str) and _fold(charge).strip().rstrip("。.") == "不收费" else None
    )

    # how and how long
    visits = d.get("visit_number")
    if _blank(visits):
        out["到办事现场次数"] = None
    elif isinstance(visits, int) and not isinstance(visits, bool) and visits >= 0:
        out["到办事现场次数"] = visits
    elif isinstance(visits, str) and _fold(visits).strip().isdigit():
        out["到办事现场次数"] = int(_fold(visits).strip())
    else:
        m.problem("visit_number", f"应为整数（实际为 {visits!r}）", "到办事现场次数")

    url = m.text("URL")
    if url:
        out["在线办理地址"] = url
    booking = m.text("online_book_addr")
    if booking and re.match(r"^https?://", booking, re.IGNORECASE):
        out["在线预约地址"] = booking
    platform = m.text("bear_paltform")
    if platform:
        out["办理平台"] = platform
    for source, target in (("courier_service", "是否支持物流快递"), ("online_book", "是否支持预约办理")):
        value = m.text(source)
        if value:
            out[target] = _YES_NO.get(value, value)

    origin = d.get("_source")
    if isinstance(origin, dict):
        origin = origin.get("origin")
    out["数据来源"] = f"{SOURCE}；{origin.strip()}" if isinstance(origin, str) and origin.strip() else SOURCE
    out["_portal"] = {key: value for key, value in d.items() if key != "_id"}

    if m.problems:
        return m.problems
    return out
