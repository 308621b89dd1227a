"""Render an item-standard record as the citizen's 办事指南 and the staff's 业务手册.

    >>> import json
    >>> from index.render import guide_text, guide_html, manual_html, manual_text
    >>> record = json.load(open("gdzwfw-guangzhou-panyu-residence-permit-endorsement.json"))
    >>> print(guide_text(record, max_chars=120, link="https://example.gov.cn/g/1"))
    【签注居住证】广东省广州市番禺区沙湾街道
    实施主体：沙湾街办事站
    办理地点：广州市番禺区沙湾街大巷涌路143号沙湾街便民服务中心1楼2号服务大厅政务晓屋窗口
    ……详见：https://example.gov.cn/g/1
    >>> page = guide_html(record)        # a complete HTML5 page, no external assets

Records are the plain dicts of ``shared/item-standards/FORMAT.md``. They are read here as they
come (validated or not), so every accessor tolerates a missing key or a value of the wrong
shape: a preview of a half-finished record must render, and must say what is missing rather
than guess. Nothing is invented: an absent field, or a required one that is null because the
source does not publish it (FORMAT.md "Unpublished fields", e.g. a portal export's 设定依据, 收费,
办理时间), becomes "本事项标准未载明…" plus the record's own 咨询电话 (``missing_text``). A null
申请材料 is "not stated", unlike ``[]`` ("本事项无需提交申请材料").

HTML is produced by Jinja2 templates in ``index/templates`` with autoescaping on, because the
records are untrusted input (a material name may contain ``<script>``). Plain text views are
built here in Python; they are never inserted into HTML unescaped.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .model import parse_time_limit

__all__ = [
    "guide_text",
    "guide_html",
    "manual_html",
    "manual_text",
    "materials_lines",
    "time_limit_text",
    "fee_text",
    "phones",
    "complaint_text",
    "legal_basis_text",
    "missing_text",
    "extra_fields",
    "KNOWN_KEYS",
]

TEMPLATE_DIR = Path(__file__).with_name("templates")

# Keys described by FORMAT.md. Everything else a record carries (跨域通办, 业务系统 …) is shown
# under 其他信息, so that what a real export adds still reaches the citizen.
KNOWN_KEYS = frozenset(
    {
        "事项名称", "日常用语", "基本编码", "实施编码", "事项版本", "事项类型", "行使层级",
        "行政区划", "服务对象", "事项主题分类", "业务办理项",
        "实施主体", "实施主体性质", "实施主体编码", "联办机构", "委托部门", "办理窗口",
        "办理地点", "办理时间", "咨询电话", "监督投诉电话", "行政复议", "行政诉讼",
        "申请内容", "受理条件", "申请材料", "设定依据", "收费", "办理结果",
        "法定办结时限", "承诺办结时限", "办件类型", "到办事现场次数", "必须现场办理原因",
        "办理形式", "网办深度", "在线办理地址", "在线预约地址", "办理流程",
    }
)

# Keys of a 环节 entry that have their own column in the manual; others go to a note.
_STEP_KEYS = ("环节", "时限", "岗位", "审查内容")

# Phone strings come as '0755-12315、0755-28908420' or '0755-28684113 或0755-83058991'.
_PHONE_SEPARATORS = re.compile(r"\s*(?:[、，,；;/／]|或|及|和)\s*")
_SAFE_URL = re.compile(r"^https?://", re.IGNORECASE)
_TEL_CHARS = re.compile(r"^[0-9+\-() ]{3,}$")


# --------------------------------------------------------------------------- small readers


def _text(value: Any) -> str:
    """Any record value as one line of text (lists joined by 、, dicts as 键：值)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{_text(v)}" for k, v in value.items() if _text(v))
    if isinstance(value, (list, tuple)):
        return "、".join(t for t in (_text(v) for v in value) if t)
    return str(value).strip()


def _field(record: dict, key: str) -> str:
    """The text of ``record[key]``, '' when absent or blank."""
    return _text(record.get(key))


def _dicts(value: Any) -> list[dict]:
    """The dict entries of a list field; anything else in the list is dropped."""
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, dict)]


def _count(value: Any) -> int | None:
    """A count such as 原件 or 到办事现场次数; raw exports write them as strings ("0")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _safe_url(value: Any) -> str | None:
    """``value`` when it is an http(s) URL, else None: an untrusted javascript: link must not
    become a clickable href, and a relative path (/rmpc/qsyy/index) has no host to go to."""
    text = _text(value)
    return text if _SAFE_URL.match(text) else None


def _tel(number: str) -> str | None:
    """A tel: target for a phone number, or None when the text is not just a number."""
    return number if _TEL_CHARS.match(number) else None


def missing_text(record: dict, what: str) -> str:
    """The sentence used wherever a field is absent.

        >>> missing_text({"咨询电话": ["020-84735511"]}, "办理时间")
        '本事项标准未载明办理时间，请拨打咨询电话020-84735511确认'
    """
    numbers = phones(record, "咨询电话")
    if numbers:
        return f"本事项标准未载明{what}，请拨打咨询电话{'、'.join(numbers)}确认"
    body = _field(record, "实施主体")
    where = f"实施主体{body}" if body else "办理窗口"
    return f"本事项标准未载明{what}，咨询电话亦未载明，请向{where}咨询"


def _or_missing(record: dict, key: str, what: str | None = None) -> str:
    return _field(record, key) or missing_text(record, what or key)


# --------------------------------------------------------------------------- public helpers


def phones(record: dict, key: str) -> list[str]:
    """Phone numbers under ``key``, one number per entry.

        >>> phones({"咨询电话": ["0755-12315、0755-28908420"]}, "咨询电话")
        ['0755-12315', '0755-28908420']

    ``key`` may also name a body such as 行政复议 / 行政诉讼, whose 电话 is read. Returns []
    when the record has no number there.
    """
    value = record.get(key)
    if isinstance(value, dict):
        value = value.get("电话")
    if isinstance(value, (str, int)):
        value = [value]
    if not isinstance(value, list):
        return []
    numbers: list[str] = []
    for entry in value:
        if isinstance(entry, dict):
            entry = entry.get("电话")
        for piece in _PHONE_SEPARATORS.split(_text(entry)):
            for number in _split_spaced_numbers(piece.strip()):
                if number and number != "无" and number not in numbers:
                    numbers.append(number)
    return numbers


def _split_spaced_numbers(piece: str) -> list[str]:
    # '12345 12315' is two numbers but '020 8473 5511' is one: split on spaces only when every
    # part is long enough to be a number on its own.
    parts = piece.split()
    if len(parts) > 1 and all(sum(c.isdigit() for c in p) >= 5 for p in parts):
        return parts
    return [piece]


def _time_limit(value: Any) -> str:
    """'20（工作日）' → '20个工作日', '即办' → '即办'; anything unparsable is shown as written."""
    raw = _text(value)
    try:
        return str(parse_time_limit(raw))
    except ValueError:
        return raw


def time_limit_text(record: dict) -> str:
    """The promised and the legal time limit in one line.

        >>> time_limit_text({"承诺办结时限": "1（工作日）", "法定办结时限": "20（工作日）"})
        '承诺办结时限：1个工作日（法定：20个工作日）'
        >>> time_limit_text({"承诺办结时限": "即办", "法定办结时限": "20（工作日）"})
        '承诺办结时限：即办（当场办结）；法定办结时限：20个工作日'
    """
    promised = _time_limit(record.get("承诺办结时限"))
    legal = _time_limit(record.get("法定办结时限"))
    if not promised and not legal:
        return "办结时限：" + missing_text(record, "办结时限")
    if not promised:
        return f"法定办结时限：{legal}（{missing_text(record, '承诺办结时限')}）"
    if promised == "即办":
        text = "承诺办结时限：即办（当场办结）"
        if legal:
            return f"{text}；法定办结时限：{legal}"
        return f"{text}；法定办结时限：{missing_text(record, '法定办结时限')}"
    if not legal:
        return f"承诺办结时限：{promised}（{missing_text(record, '法定办结时限')}）"
    return f"承诺办结时限：{promised}（法定：{legal}）"


def fee_text(record: dict) -> str:
    """What the item costs.

        >>> fee_text({"收费": "不收费"})
        '不收费'
        >>> fee_text({"收费": [{"收费项目": "工本费", "收费标准": "20元/证", "收费依据": "粤价〔2003〕1号"}]})
        '工本费：20元/证（依据：粤价〔2003〕1号）'
    """
    fee = record.get("收费")
    if isinstance(fee, str) and fee.strip():
        return fee.strip()
    items = []
    for entry in fee if isinstance(fee, list) else []:
        if isinstance(entry, dict):
            line = _text(entry.get("收费项目")) or "收费项目未载明"
            standard = _text(entry.get("收费标准"))
            line += f"：{standard}" if standard else "：收费标准未载明"
            basis = _text(entry.get("收费依据"))
            if basis:
                line += f"（依据：{basis}）"
            items.append(line)
        elif _text(entry):
            items.append(_text(entry))
    if items:
        return "；".join(items)
    return missing_text(record, "收费情况")


def _materials(record: dict, situation: str | None = None) -> list[dict]:
    """申请材料 entries in 序号 order, optionally only those that apply to ``situation``."""
    raw = record.get("申请材料")
    # A bare string entry is a material named by that string (seen in hand-made records).
    entries = [
        e if isinstance(e, dict) else {"材料名称": _text(e)}
        for e in (raw if isinstance(raw, list) else [])
        if isinstance(e, dict) or _text(e)
    ]
    entries = sorted(
        enumerate(entries),
        key=lambda pair: (_count(pair[1].get("序号")) is None, _count(pair[1].get("序号")) or 0, pair[0]),
    )
    kept = []
    for _, entry in entries:
        applies = _text(entry.get("适用情形"))
        # FORMAT.md: an absent 适用情形 means the material is always needed.
        if situation and applies and situation not in applies:
            continue
        kept.append(entry)
    return kept


def checklist(record: dict, situation: str | None = None) -> list[dict]:
    """The material checklist as data: for a draft, a printable list, a message to the caller.

        >>> checklist({"申请材料": [{"序号": 1, "材料名称": "身份证", "原件": 1, "必要性": "必要"}]})
        [{'name': '身份证', 'copies': '原件1份', 'necessity': '必要', 'situation': '', 'form': ''}]
    """
    return [
        {
            "name": _text(entry.get("材料名称")).rstrip("。；;，, ") or "（材料名称未载明）",
            "copies": _copies_text(entry),
            "necessity": _text(entry.get("必要性")),
            "situation": _text(entry.get("适用情形")),
            "form": _text(entry.get("材料形式")),
        }
        for entry in _materials(record, situation)
    ]


def _copies_text(entry: dict) -> str:
    parts = []
    for key in ("原件", "复印件"):
        n = _count(entry.get(key))
        if n:
            parts.append(f"{key}{n}份")
    return "、".join(parts)


def materials_lines(record: dict, situation: str | None = None) -> list[str]:
    """The materials as numbered lines for a chat bubble.

        >>> materials_lines({"申请材料": [{"序号": 1, "材料名称": "授权委托书", "原件": 1,
        ...     "必要性": "非必要", "适用情形": "委托他人代办的"}]})
        ['1. 授权委托书（委托他人代办的）：原件1份；非必要']

    With ``situation``, only materials whose 适用情形 is absent or mentions it are kept (and
    numbered 1, 2, … in that order). When the record lists no materials the single line says
    so: 申请材料 missing → '本事项标准未载明申请材料…', ``[]`` → '本事项无需提交申请材料'.
    """
    if not isinstance(record.get("申请材料"), list):
        return [missing_text(record, "申请材料")]
    if not record["申请材料"]:
        return ["本事项无需提交申请材料"]
    lines = []
    for number, entry in enumerate(_materials(record, situation), start=1):
        # A name that ends a sentence ('…证明）。') would read '。：复印件1份' before the counts.
        name = _text(entry.get("材料名称")).rstrip("。；;，, ")
        line = f"{number}. {name or '（材料名称未载明）'}"
        applies = _text(entry.get("适用情形"))
        if applies:
            line += f"（{applies}）"
        details = [d for d in (_copies_text(entry),) if d]
        necessity = _text(entry.get("必要性"))
        if necessity and necessity != "必要":
            details.append(necessity)
        if details:
            line += "：" + "；".join(details)
        lines.append(line)
    if not lines:
        what = f"适用于“{situation}”的申请材料" if situation else "申请材料"
        return [missing_text(record, what)]
    return lines


def _body_text(value: Any) -> str:
    """A 行政复议 / 行政诉讼 body as '部门（地址：…；电话：…）'."""
    if not isinstance(value, dict):
        return _text(value)
    name = _text(value.get("部门"))
    details = [f"{k}：{_text(v)}" for k, v in value.items() if k != "部门" and _text(v)]
    if not details:
        return name
    return f"{name or '部门未载明'}（{'；'.join(details)}）"


def complaint_text(record: dict) -> str:
    """Where to complain: 监督投诉电话, then 行政复议 and 行政诉讼 when the record has them.

        >>> complaint_text({"监督投诉电话": ["020-12345"]})
        '监督投诉电话：020-12345'
    """
    numbers = phones(record, "监督投诉电话")
    lines = ["监督投诉电话：" + ("、".join(numbers) if numbers else missing_text(record, "监督投诉电话"))]
    for key in ("行政复议", "行政诉讼"):
        body = _body_text(record.get(key))
        if body:
            lines.append(f"{key}：{body}")
    return "\n".join(lines)


def _law_name(entry: dict) -> str:
    name = _text(entry.get("法律法规名称")).strip("《》")
    return f"《{name}》" if name else "（法律法规名称未载明）"


def _articles(entry: dict) -> list[str]:
    value = entry.get("条款号")
    if isinstance(value, list):
        return [t for t in (_text(v) for v in value) if t]
    text = _text(value)
    return [text] if text else []


def legal_basis_text(record: dict) -> str:
    """The 设定依据, one law a line, with 依据文号 and 条款号.

        >>> legal_basis_text({"设定依据": [{"法律法规名称": "促进个体工商户发展条例",
        ...     "依据文号": "国务院令第755号", "条款号": ["第二条", "第六条"]}]})
        '《促进个体工商户发展条例》（国务院令第755号）第二条；第六条'
    """
    basis = record.get("设定依据")
    lines = []
    for entry in basis if isinstance(basis, list) else []:
        if isinstance(entry, dict):
            line = _law_name(entry)
            number = _text(entry.get("依据文号"))
            if number:
                line += f"（{number}）"
            # 条款号 entries contain 、 themselves (第十四条第一款、第二款), so join with ；.
            line += "；".join(_articles(entry))
            lines.append(line)
        elif _text(entry):
            lines.append(_text(entry))
    return "\n".join(lines) if lines else missing_text(record, "设定依据")


def extra_fields(record: dict) -> list[tuple[str, Any]]:
    """The (key, value) pairs FORMAT.md does not describe, in record order.

        >>> extra_fields({"事项名称": "x", "业务系统": "粤居码", "_来源": {}})
        [('业务系统', '粤居码')]

    Keys starting with '_' are the converter's bookkeeping (_来源), not part of the guide.
    """
    return [
        (key, value)
        for key, value in record.items()
        if key not in KNOWN_KEYS and not str(key).startswith("_") and _text(value)
    ]


def visits_text(record: dict) -> str:
    visits = _count(record.get("到办事现场次数"))
    if visits is None:
        return missing_text(record, "到办事现场次数")
    if visits == 0:
        return "零跑动（无需到办事现场）"
    return f"需到办事现场{visits}次"


def _title(record: dict) -> str:
    return _field(record, "事项名称") or "（事项名称未载明）"


# --------------------------------------------------------------------------- citizen guide


def guide_text(record: dict, *, max_chars: int | None = None, link: str | None = None) -> str:
    """The 办事指南 as plain text for a chat bubble or an SMS.

        >>> text = guide_text(record)                                    # everything
        >>> sms = guide_text(record, max_chars=70, link="https://g.cn/1")  # ≤ 70 characters

    With ``max_chars`` the text keeps its head (name, region, body, address …), cuts at a line
    where it can, and ends with '……详见：<link>' (or '……' without a link); the result never
    exceeds ``max_chars``. Without ``max_chars`` a given link is added as a last line.
    """
    region = _field(record, "行政区划")
    lines = [f"【{_title(record)}】{region}" if region else f"【{_title(record)}】"]
    lines.append("实施主体：" + _or_missing(record, "实施主体"))
    lines.append("办理地点：" + _or_missing(record, "办理地点"))
    lines.append("办理时间：" + _or_missing(record, "办理时间"))
    lines.append("申请材料：")
    lines.extend(materials_lines(record))
    lines.append(time_limit_text(record))
    lines.append("收费：" + fee_text(record))
    lines.append("到现场次数：" + visits_text(record))
    consult = phones(record, "咨询电话")
    lines.append("咨询电话：" + ("、".join(consult) if consult else "本事项标准未载明咨询电话"))
    complaint = phones(record, "监督投诉电话")
    if complaint:
        lines.append("监督投诉电话：" + "、".join(complaint))
    online = _field(record, "在线办理地址")
    if online:
        lines.append("在线办理：" + online)
    elif "网上" in _field(record, "办理形式"):
        # The item says it can be done online but gives no address: say so instead of guessing one.
        lines.append("在线办理：" + missing_text(record, "在线办理地址"))
    body = "\n".join(lines)

    full = f"{body}\n详见：{link}" if link else body
    if max_chars is None or len(full) <= max_chars:
        return full
    if max_chars < 1:
        raise ValueError("max_chars must be at least 1")
    return _shorten(body, max_chars, link)


# A cut line is kept only when at least this much of it survives, cut at punctuation; a stub
# such as '办理时间：星期一至星' says nothing, so then the text stops at the line before.
_MIN_PARTIAL = 12
_CUT_AFTER = "，。；、：,;）)"


def _shorten(body: str, max_chars: int, link: str | None) -> str:
    suffix = f"……详见：{link}" if link else "……"
    if len(suffix) + 1 > max_chars:
        # Not even one character of the guide fits next to the link: the link is the most
        # useful thing left, then the bare head.
        for short in (f"详见：{link}", link):
            if link and len(short) <= max_chars:
                return short
        return body[: max_chars - 1] + "…"
    kept: list[str] = []
    used = 0
    for line in body.split("\n"):
        sep = 1 if kept else 0
        if used + sep + len(line) + 1 + len(suffix) <= max_chars:
            kept.append(line)
            used += sep + len(line)
            continue
        room = max_chars - used - sep - len(suffix)
        partial = _cut_at_punctuation(line[:room]) if kept else line[:room]
        if partial:
            # The partial line runs straight into '……', which marks the cut.
            return "\n".join(kept) + "\n" * sep + partial + suffix
        break
    return "\n".join(kept) + "\n" + suffix


def _cut_at_punctuation(head: str) -> str:
    """``head`` up to its last punctuation mark, or '' when that leaves too little."""
    cut = max(head.rfind(mark) for mark in _CUT_AFTER)
    if cut + 1 < _MIN_PARTIAL:
        return ""
    # Keep a closing bracket, drop a trailing comma-like mark before the '……'.
    return head[: cut + 1] if head[cut] in "）)" else head[:cut]


def _materials_rows(record: dict) -> list[dict]:
    rows = []
    for entry in _materials(record):
        copies = [f"{k}{_count(entry.get(k))}份" for k in ("原件", "复印件") if _count(entry.get(k)) is not None]
        rows.append(
            {
                "name": _text(entry.get("材料名称")) or "（材料名称未载明）",
                "note": _text(entry.get("备注")),
                "copies": "、".join(copies) or "未载明",
                "form": _text(entry.get("材料形式")) or "未载明",
                "necessity": _text(entry.get("必要性")) or "未载明",
                # FORMAT.md: an absent 适用情形 means the material always applies.
                "situation": _text(entry.get("适用情形")) or "均适用",
            }
        )
    return rows


def _steps(value: Any) -> list[str]:
    if isinstance(value, list):
        return [t for t in (_text(v) for v in value) if t]
    text = _text(value)
    return [text] if text else []


def _stages(record: dict) -> list[dict]:
    process = record.get("办理流程")
    rows = []
    for entry in _dicts(process.get("环节")) if isinstance(process, dict) else []:
        cells = {k: _text(entry.get(k)) or "未载明" for k in _STEP_KEYS}
        cells["others"] = [(k, v) for k, v in entry.items() if k not in _STEP_KEYS and _text(v)]
        rows.append(cells)
    return rows


def _process(record: dict) -> dict:
    """办理流程 for the templates: 'text' for the plain-string form, 'online' / 'offline' /
    'stages' lists for the object form, 'missing' when neither says anything."""
    process = record.get("办理流程")
    result = {"text": "", "online": [], "offline": [], "stages": [], "missing": ""}
    if isinstance(process, dict):
        result.update(online=_steps(process.get("网上")), offline=_steps(process.get("线下")),
                      stages=_stages(record))
    else:
        # Some published guides carry only a sentence here (the flow chart was an image).
        result["text"] = _text(process)
    if not (result["text"] or result["online"] or result["offline"] or result["stages"]):
        result["missing"] = missing_text(record, "办理流程")
    return result


def _phone_links(numbers: list[str]) -> list[dict]:
    return [{"number": n, "tel": _tel(n)} for n in numbers]


def _body_view(record: dict, key: str) -> dict | None:
    value = record.get(key)
    if isinstance(value, dict):
        return {
            "name": _text(value.get("部门")) or "未载明",
            "address": _text(value.get("地址")),
            "phones": _phone_links(phones(record, key)),
            "others": [(k, v) for k, v in value.items() if k not in ("部门", "地址", "电话") and _text(v)],
        }
    if _text(value):
        return {"name": _text(value), "address": "", "phones": [], "others": []}
    return None


def _laws(record: dict) -> list[dict]:
    basis = record.get("设定依据")
    laws = []
    for entry in basis if isinstance(basis, list) else []:
        if not isinstance(entry, dict):
            if _text(entry):
                laws.append({"name": _text(entry), "number": "", "articles": [], "contents": [],
                             "uncovered": [], "issuer": "", "date": ""})
            continue
        articles = _articles(entry)
        contents_raw = entry.get("条款内容")
        contents = (
            [(_text(k), _text(v)) for k, v in contents_raw.items() if _text(v)]
            if isinstance(contents_raw, dict)
            else []
        )
        # 条款号 '第十六条第一款至第三款' is covered by the text of '第十六条'.
        uncovered = [a for a in articles if not any(a.startswith(k) for k, _ in contents)]
        laws.append(
            {
                "name": _law_name(entry),
                "number": _text(entry.get("依据文号")),
                "issuer": _text(entry.get("颁布机关")),
                "date": _text(entry.get("实施日期")),
                "articles": articles,
                "contents": contents,
                "uncovered": uncovered,
            }
        )
    return laws


def _fees(record: dict) -> list[dict]:
    fee = record.get("收费")
    return [
        {k: _text(e.get(k)) or "未载明" for k in ("收费项目", "收费标准", "收费依据")}
        for e in _dicts(fee)
    ]


def _results(record: dict) -> list[str]:
    out = []
    for entry in record.get("办理结果") if isinstance(record.get("办理结果"), list) else []:
        if isinstance(entry, dict):
            name = _text(entry.get("名称")) or "名称未载明"
            extra = "；".join(_text(entry.get(k)) for k in entry if k != "名称" and _text(entry.get(k)))
            out.append(f"{name}（{extra}）" if extra else name)
        elif _text(entry):
            out.append(_text(entry))
    return out


def _sub_items(record: dict) -> list[str]:
    out = []
    for entry in record.get("业务办理项") if isinstance(record.get("业务办理项"), list) else []:
        if isinstance(entry, dict):
            name = _text(entry.get("名称")) or "名称未载明"
            note = _text(entry.get("说明"))
            out.append(f"{name}：{note}" if note else name)
        elif _text(entry):
            out.append(_text(entry))
    return out


def _common_context(record: dict) -> dict:
    """What both the guide and the manual show, already reduced to text and small lists."""
    return {
        "title": _title(record),
        "region": _field(record, "行政区划"),
        "missing": lambda what: missing_text(record, what),
        "f": lambda key: _field(record, key),
        "or_missing": lambda key, what=None: _or_missing(record, key, what),
        "code": _field(record, "实施编码"),
        "base_code": _field(record, "基本编码"),
        "version": _field(record, "事项版本"),
        "time_limit": time_limit_text(record),
        "fee": fee_text(record),
        "fees": _fees(record),
        "visits": visits_text(record),
        "results": _results(record),
        "process": _process(record),
        "laws": _laws(record),
        "reconsideration": _body_view(record, "行政复议"),
        "litigation": _body_view(record, "行政诉讼"),
        "consult": _phone_links(phones(record, "咨询电话")),
        "complaint": _phone_links(phones(record, "监督投诉电话")),
    }


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # Built on first use, not at import; autoescape is on for every template because every
    # value in a record is untrusted. StrictUndefined turns a template typo into an error
    # instead of a silently empty section.
    return Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def page_html(template: str, **context: Any) -> str:
    """Another page on the same frame (base.html), autoescaped: the checklist, a comparison."""
    return _environment().get_template(template).render(context)


def guide_html(record: dict) -> str:
    """The full 办事指南 as a self-contained, mobile-friendly HTML5 page.

        >>> html = guide_html(record)
        >>> html.startswith("<!DOCTYPE html>")
        True

    Sections: 基本信息, 受理条件, 申请材料, 办理流程, 办理时限, 收费, 办理地点和时间,
    咨询与投诉, 设定依据, 其他信息 (keys FORMAT.md does not describe); footer with 实施编码
    and 事项版本. Every value is escaped.
    """
    context = _common_context(record)
    materials = _materials_rows(record)
    context.update(
        {
            "aliases": _steps(record.get("日常用语")),
            "materials": materials,
            # [] means "truly none" (FORMAT.md); absent or unreadable means "not stated".
            "materials_state": (
                "none" if record.get("申请材料") == [] else "listed" if materials else "missing"
            ),
            "sub_items": _sub_items(record),
            "online_url": _field(record, "在线办理地址"),
            "online_href": _safe_url(record.get("在线办理地址")),
            "booking_url": _field(record, "在线预约地址"),
            "booking_href": _safe_url(record.get("在线预约地址")),
            "extras": extra_fields(record),
        }
    )
    return _environment().get_template("guide.html").render(context)


# --------------------------------------------------------------------------- staff manual


def manual_html(record: dict) -> str:
    """The staff's 业务手册 as a self-contained HTML5 page.

        >>> html = manual_html(record)
        >>> "第十六条" in html
        True

    Sections: 实施主体 (性质, 编码, 联办机构, 委托部门), 受理条件, 办理环节 (环节, 时限, 岗位,
    审查内容), 办结时限, 设定依据 with the articles in full, 收费及依据, 办理结果, 行政复议与
    行政诉讼, 现场办理 (到办事现场次数, 必须现场办理原因).
    """
    return _environment().get_template("manual.html").render(_common_context(record))


def manual_text(record: dict) -> str:
    """The staff's 业务手册 as plain text, same sections as ``manual_html``.

        >>> print(manual_text(record).splitlines()[0])
        【业务手册】签注居住证
    """
    c = _common_context(record)
    out = [f"【业务手册】{c['title']}"]
    head = [
        ("行政区划", c["region"]), ("实施编码", c["code"]),
        ("基本编码", c["base_code"]), ("事项版本", c["version"]),
    ]
    out.extend(f"{k}：{v or missing_text(record, k)}" for k, v in head)

    out += ["", "一、实施主体", "名称：" + _or_missing(record, "实施主体")]
    for key, label in (("实施主体性质", "性质"), ("实施主体编码", "编码"), ("联办机构", "联办机构"),
                       ("委托部门", "委托部门"), ("办理窗口", "办理窗口")):
        out.append(f"{label}：{_or_missing(record, key)}")

    out += ["", "二、受理条件", _or_missing(record, "受理条件")]
    if _field(record, "申请内容"):
        out.append("申请内容（受理范围）：" + _field(record, "申请内容"))

    out += ["", "三、办理环节"]
    process = c["process"]
    if process["stages"]:
        for n, stage in enumerate(process["stages"], start=1):
            line = (f"{n}. {stage['环节']}｜时限：{stage['时限']}｜岗位：{stage['岗位']}"
                    f"｜审查内容：{stage['审查内容']}")
            line += "".join(f"｜{k}：{_text(v)}" for k, v in stage["others"])
            out.append(line)
    else:
        out.append(missing_text(record, "办理环节"))
        if process.get("text"):
            out.append("办理流程：" + process["text"])

    out += ["", "四、办结时限", c["time_limit"]]
    if _field(record, "办件类型"):
        out.append("办件类型：" + _field(record, "办件类型"))

    out += ["", "五、设定依据（条款原文）"]
    if not c["laws"]:
        out.append(missing_text(record, "设定依据"))
    for law in c["laws"]:
        out.append(law["name"])
        for label, key in (("依据文号", "number"), ("颁布机关", "issuer"), ("实施日期", "date")):
            if law[key]:
                out.append(f"  {label}：{law[key]}")
        if law["articles"]:
            out.append("  条款号：" + "；".join(law["articles"]))
        for number, content in law["contents"]:
            out.append(f"  {number}：{content}")
        if law["uncovered"]:
            out.append("  本事项标准未载明以下条款原文：" + "；".join(law["uncovered"]))

    out += ["", "六、收费及收费依据"]
    if c["fees"]:
        for fee in c["fees"]:
            out.append(f"{fee['收费项目']}：{fee['收费标准']}（收费依据：{fee['收费依据']}）")
    else:
        out.append(c["fee"])

    out += ["", "七、办理结果"]
    out.extend(c["results"] or [missing_text(record, "办理结果")])

    out += ["", "八、行政复议与行政诉讼"]
    for key in ("行政复议", "行政诉讼"):
        out.append(f"{key}：{_body_text(record.get(key)) or missing_text(record, key)}")

    out += ["", "九、现场办理", "到办事现场次数：" + c["visits"],
            "必须现场办理原因：" + _or_missing(record, "必须现场办理原因")]
    return "\n".join(out)
