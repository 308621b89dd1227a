"""What a record says about one attribute, as the pieces of a chat answer.

    >>> from index.answers import answer_for, ATTRIBUTES
    >>> answer = answer_for(record, "time_limit")
    >>> answer.response, answer.values["facts"]
    ('utter_time_limit', '承诺办结时限：5个工作日（法定：5个工作日）')
    >>> answer_for(record_without_hours, "office_hours").response
    'utter_field_missing'

Every fact comes from the record, verbatim where it matters (material names, 承诺/法定 time
limits, 实施主体, address, hours, phones, law names and articles, fees). When the record does
not carry the asked field, the answer is ``utter_field_missing`` with the 咨询电话 to call; the
wording around the facts lives in the Rasa domain, under the response's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import render
from .hours import hours_verdict
from .verdicts import Ask, verdict

# attribute → (response name, the record keys it needs, what to call it when missing)
ATTRIBUTES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "materials": ("utter_materials", ("申请材料",), "申请材料"),
    "time_limit": ("utter_time_limit", ("承诺办结时限", "法定办结时限"), "办结时限"),
    "agency": ("utter_agency", ("实施主体",), "实施主体"),
    "location": ("utter_location", ("办理地点",), "办理地点"),
    "office_hours": ("utter_office_hours", ("办理时间",), "办理时间"),
    "phone": ("utter_phone", ("咨询电话",), "咨询电话"),
    "legal_basis": ("utter_legal_basis", ("设定依据",), "设定依据"),
    "complaint": ("utter_complaint", ("监督投诉电话",), "监督投诉电话"),
    "fee": ("utter_fee", ("收费",), "收费标准"),
    "conditions": ("utter_conditions", ("受理条件",), "受理条件"),
    "process": ("utter_process", ("办理流程",), "办理流程"),
    "visits": ("utter_visits", ("到办事现场次数",), "到办事现场次数"),
    "online": ("utter_online", ("在线办理地址", "办理平台"), "在线办理地址"),
    "overview": ("utter_overview", ("事项名称",), "事项信息"),
}

MAX_CONDITIONS = 400


@dataclass
class Answer:
    response: str
    values: dict[str, str] = field(default_factory=dict)


def present(record: dict, key: str) -> bool:
    value = record.get(key)
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip()) and value.strip() != "无"
    if isinstance(value, (list, dict)):
        return bool(value) or key == "申请材料"
    return True


def source_text(record: dict) -> str:
    """Names the record an answer comes from: 实施编码, 事项版本 and, when known, where it came from.

    Authored sample records say so (示例数据), so that nobody calls a plausible but invented number.
    """
    version = record.get("事项版本")
    version_text = f"，第{version}版" if version is not None else ""
    origin = record.get("数据来源")
    origin_text = f"；{origin}" if isinstance(origin, str) and origin.strip() else ""
    return f"（来源：事项标准 实施编码 {record.get('实施编码', '')}{version_text}{origin_text}）"


def _phones_or_body(record: dict) -> str:
    numbers = render.phones(record, "咨询电话")
    if numbers:
        return f"请拨打咨询电话{'、'.join(numbers)}确认"
    return f"请向{record.get('实施主体') or '办理窗口'}咨询确认"


# How a yes or no opens an answer, by what the question asked (index.verdicts.Ask.form).
YES_NO_WORDS = {"can": ("可以。", "不可以。"), "need": ("需要。", "不需要。"), "is": ("是的。", "不是。")}


def passage_answer(record: dict, found: list, *, ask=None, link: str = "", words=()) -> Answer:
    """The passages that answer a specific question, verbatim, each named by its field.

    A yes/no question (``ask``, :class:`index.verdicts.Ask`) that the first passage settles (a
    是/否 field, or its modality words, :func:`index.verdicts.verdict`) gets that yes or no first;
    otherwise the record's words are quoted and the 咨询电话 given, since whether the citizen's
    case fits is the office's call, not ours.
    """
    lines = [f"「{p.label}」{p.text}" for p in found]
    yes_no = ask is not None
    said = verdict(found[0], list(words), ask) if yes_no else None
    if said is not None:
        lead = YES_NO_WORDS[ask.form][0 if said else 1] + "事项标准载明：\n"
    elif yes_no:
        lead = "事项标准中与您的问题相关的原文：\n"
    else:
        lead = "事项标准载明：\n"
    tail = ""
    if yes_no and said is None:
        tail = f"\n是否符合您的情况以窗口审核为准，{_phones_or_body(record)}。"
    values = {
        "item": str(record.get("事项名称", "")),
        "place": place_text(record),
        "source": source_text(record),
        "link": link,
        "facts": lead + "\n".join(lines) + tail,
    }
    return Answer("utter_passage", values)


OFFICE_LABELS = {"location": "办理地点", "office_hours": "办理时间", "phone": "咨询电话"}
MAX_BODIES = 3


def office_answer(offices, names: list[str], asked: list[str], question: str = "") -> tuple[list[Answer], list[str] | None]:
    """What the records of the named bodies say of their address, hours or phones.

    Returns the answers and, when one body's records disagree on what is asked (each counter its
    own address), that body's 实施编码 so that the caller can ask which item is meant. A
    ``question`` about a day or a time (中午休息吗) is answered yes or no first when one body's
    hours settle it (:mod:`index.hours`).
    """
    answers: list[Answer] = []
    for name in names[:MAX_BODIES]:
        body = offices.body(name)
        if body is None:
            continue
        lines = []
        for attribute in asked:
            values = body.values(attribute)
            label = OFFICE_LABELS[attribute]
            if not values:
                lines.append(f"{label}：事项标准未载明")
                continue
            if len(values) > 1 and len(names) == 1 and attribute != "phone":
                return [], list(body.codes)
            if attribute == "office_hours" and len(values) == 1:
                said = hours_verdict(values[0], question) if question else None
                if said is not None:
                    lines.append(YES_NO_WORDS[Ask.of(question).form][0 if said else 1])
            lines.append(f"{label}：{values[0]}" + ("" if len(values) == 1 else f"（另有：{'；'.join(values[1:3])}）"))
        source = f"（来源：{body.name}的{len(body.codes)}条事项标准，如 实施编码 {body.codes[0]}）"
        answers.append(Answer("utter_office", {"office": body.name, "facts": "\n".join(lines), "source": source}))
    return answers, None


def place_text(record: dict) -> str:
    region = str(record.get("行政区划", "")).removeprefix("广东省")
    return f"{region}·{record.get('实施主体', '')}" if region else str(record.get("实施主体", ""))


def _process_text(record: dict) -> str:
    process = record.get("办理流程")
    if isinstance(process, str):
        return process
    lines: list[str] = []
    for key, label in (("网上", "网上办理"), ("线下", "窗口办理")):
        steps = process.get(key) if isinstance(process, dict) else None
        if steps:
            lines.append(f"{label}：")
            lines.extend(f"{n}. {step}" for n, step in enumerate(steps, start=1))
    if not lines and isinstance(process, dict) and process.get("环节"):
        stages = [f"{s.get('环节', '')}（{s.get('时限', '')}）" for s in process["环节"] if isinstance(s, dict)]
        lines.append("办理环节：" + " → ".join(stages))
    return "\n".join(lines)


def facts_of(record: dict, attribute: str) -> str:
    if attribute == "materials":
        return "\n".join(render.materials_lines(record))
    if attribute == "time_limit":
        return render.time_limit_text(record)
    if attribute == "agency":
        parts = [str(record["实施主体"])]
        if record.get("实施主体性质"):
            parts.append(f"（{record['实施主体性质']}）")
        for key in ("联办机构", "委托部门"):
            if present(record, key):
                parts.append(f"；{key}：{record[key]}")
        return "".join(parts)
    if attribute == "location":
        text = str(record["办理地点"])
        if present(record, "办理窗口"):
            text += f"（{record['办理窗口']}）"
        return text
    if attribute == "office_hours":
        return str(record["办理时间"])
    if attribute == "phone":
        return "、".join(render.phones(record, "咨询电话"))
    if attribute == "legal_basis":
        return render.legal_basis_text(record)
    if attribute == "complaint":
        return render.complaint_text(record)
    if attribute == "fee":
        return render.fee_text(record)
    if attribute == "conditions":
        text = str(record["受理条件"])
        return text if len(text) <= MAX_CONDITIONS else text[:MAX_CONDITIONS] + "……（详见办事指南）"
    if attribute == "process":
        return _process_text(record)
    if attribute == "visits":
        text = render.visits_text(record)
        if record.get("到办事现场次数") and present(record, "必须现场办理原因"):
            text += f"；原因：{record['必须现场办理原因']}"
        return text
    if attribute == "online":
        # the platform's name is what a citizen looks for in an app store or a search box
        parts = [str(record[key]) for key in ("办理平台", "在线办理地址") if present(record, key)]
        text = "：".join(parts)
        if present(record, "办理形式"):
            text += f"（办理形式：{record['办理形式']}）"
        return text
    if attribute == "overview":
        return "\n".join(
            [
                f"办理地点：{record['办理地点'] if present(record, '办理地点') else render.missing_text(record, '办理地点')}",
                render.time_limit_text(record),
                f"收费：{render.fee_text(record)}",
                f"到现场次数：{render.visits_text(record)}",
            ]
        )
    raise KeyError(attribute)


def answer_for(record: dict, attribute: str, *, link: str = "") -> Answer:
    """The response name and its values for one attribute of one record."""
    response, keys, what = ATTRIBUTES[attribute]
    common = {
        "item": str(record.get("事项名称", "")),
        "place": place_text(record),
        "source": source_text(record),
        "link": link,
    }
    if not any(present(record, key) for key in keys):
        return Answer("utter_field_missing", {**common, "what": what, "facts": render.missing_text(record, what)})
    facts = facts_of(record, attribute)
    if not facts.strip():
        return Answer("utter_field_missing", {**common, "what": what, "facts": render.missing_text(record, what)})
    return Answer(response, {**common, "facts": facts})
