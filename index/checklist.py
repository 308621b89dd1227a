"""A personal checklist: the few questions that decide which materials apply, then only those.

    >>> from index.checklist import questions, personal_checklist
    >>> [(q.id, q.text, q.options) for q in questions(record)]      # 户口迁入（投靠亲属）
    [('s', '您办理的是哪一种？', ['夫妻投靠', '子女投靠父母', '父母投靠子女']),
     ('c1f0e2a', '您是否属于这种情形：父母离婚，子女投靠父母一方的？', ['是', '否']), …]
    >>> sheet = personal_checklist(record, {"s": "夫妻投靠", "c1f0e2a": "否"})
    >>> [m["name"] for m in sheet.materials]
    ['《户口迁入申请表》', '申请人居民身份证', …, '结婚证', …]

Materials often depend on the citizen's case: a record says so in each material's 适用情形
(委托他人代办的), and a portal export inside the material's name (授权委托书（委托办理的）,
如已设立抵押权的，抵押权人同意变更的证明). Each distinct condition becomes one yes/no question,
quoted from the record. When the record lists several 业务办理项 (夫妻投靠 / 子女投靠父母 …), one
question asks which; a condition that names one of them (夫妻投靠的) is then decided by that
choice and not asked again. A condition is tied to a 业务办理项 only when it contains the words
that set that 业务办理项 apart from the others, verbatim: a guess that dropped a material would
send a citizen to the hall without it, so anything less certain is asked.

Nothing here is configured per item: a new record gets its questions from its own text. An
unanswered question keeps its materials, marked 视情况 (a checklist never silently shrinks).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from . import render
from .answers import source_text
from .render import checklist as material_rows

YES, NO = "是", "否"
SITUATION = "s"  # the id of the 业务办理项 question
# A condition written into a portal material's name: 授权委托书（委托办理的）, 如已设立抵押权的，…
_IN_BRACKETS = re.compile(r"[（(]([^（）()]{2,60}的)[）)]\s*$")
_LEADING = re.compile(r"^(?:如果|如属|如|若|属于|涉及)([^，,。；;]{2,40}的)[，,]")
_BRACKETED = re.compile(r"[（(][^（）()]*[）)]")
# The words of any condition that say nothing of the case: 按…程序申请…的
_GENERIC = re.compile(r"申请|办理|申报|申领|程序|为事由|事由|情形|情况|或者|或|者|按|以|因|为|的|、|，|,|。|\s")


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    options: list[str]
    condition: str  # the record's own words this question asks about


@dataclass
class PersonalChecklist:
    materials: list[dict]  # render.checklist rows, each with "applies": 是 / 视情况
    answers: dict[str, str]  # the answers that were used, by question id
    open: list[Question] = field(default_factory=list)  # questions still unanswered
    situation: str | None = None


def condition_of(row: dict) -> str:
    """The condition under which a material applies ('' when always): its 适用情形, else the
    condition its name carries."""
    if row.get("situation"):
        return row["situation"]
    name = row.get("name") or ""
    match = _IN_BRACKETS.search(name) or _LEADING.match(name)
    return match.group(1).strip() if match else ""


def _situations(record: dict) -> list[str]:
    names = [s.get("名称") for s in record.get("业务办理项") or [] if isinstance(s, dict)]
    return list(dict.fromkeys(n.strip() for n in names if isinstance(n, str) and n.strip()))


def _distinctive(names: list[str]) -> dict[str, list[str]]:
    """Per 业务办理项, the words that set it apart: its name without what all names share at the
    start and the end (食品经营许可（变更） → 变更; 年满十六周岁首次申领 → 年满), also without
    brackets, and the whole name."""
    prefix = _common_prefix(names)
    suffix = _common_prefix([n[::-1] for n in names])[::-1]
    out = {}
    for name in names:
        start, end = len(prefix), len(name) - len(suffix)
        while end - start < 2 and end < len(name):  # 年 / 未 alone say nothing: 年满 / 未满 do
            end += 1
        core = _balanced(name[start:end].strip())
        forms = [core, _BRACKETED.sub("", core).strip(), name, _BRACKETED.sub("", name).strip()]
        out[name] = [f for f in dict.fromkeys(forms) if len(f) >= 2]
    return out


def _balanced(text: str) -> str:
    """Without a bracket cut in half by the slicing: 法定代表人（执行事务合伙人、负责人）, not …负责人."""
    text = text.lstrip("）)").rstrip("（(")
    if text[:1] in "（(" and not any(c in text for c in "）)"):
        text = text[1:]
    if text[-1:] in "）)" and not any(c in text for c in "（("):
        text = text[:-1]
    return text


def _common_prefix(names: list[str]) -> str:
    if len(names) < 2:
        return ""
    first, last = min(names), max(names)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


def _ties(condition: str, record: dict) -> dict[str, str]:
    """业务办理项 → the words of it the condition contains verbatim."""
    names = _situations(record)
    if len(names) < 2:
        return {}
    hits = {}
    for name, forms in _distinctive(names).items():
        found = [f for f in forms if f in condition]
        if found:
            hits[name] = max(found, key=len)
    # a name inside another's (婚生子女 in 非婚生子女) counts only for the longer one
    return {n: f for n, f in hits.items() if not any(f != g and f in g and g in condition for g in hits.values())}


def tied_situations(condition: str, record: dict) -> list[str]:
    """The 业务办理项 a condition names verbatim (夫妻投靠的 → 夫妻投靠); [] when it names none."""
    return list(_ties(condition, record))


def _says_more(condition: str, situation: str, words: str) -> bool:
    """Does the condition ask more than being in that 业务办理项? 减少注册资本的 of 注册资本变更 does
    (an increase needs no 减资公告); 变更住所（经营场所）的 of 住所（经营场所）变更 does not."""
    rest = condition.replace(words, "")
    rest = "".join(c for c in rest if c not in situation)
    rest = _GENERIC.sub("", rest)
    return len(rest) >= 2


def _question_id(condition: str) -> str:
    return "c" + hashlib.blake2b(condition.encode("utf-8"), digest_size=3).hexdigest()


def _rows(record: dict) -> list[dict]:
    return material_rows(record) if isinstance(record.get("申请材料"), list) else []


def questions(record: dict, answers: dict[str, str] | None = None) -> list[Question]:
    """The questions that decide which of the record's materials apply, in the record's order.

    With ``answers``, the questions as they stand after them: a condition that adds to a
    业务办理项 (减少注册资本的 for 注册资本变更) is asked only once that 业务办理项 is chosen."""
    answers = answers or {}
    conditions = list(dict.fromkeys(c for c in (condition_of(r) for r in _rows(record)) if c))
    names = _situations(record)
    asked: list[Question] = []
    if len(names) >= 2 and any(_ties(c, record) for c in conditions):
        asked.append(Question(SITUATION, "您办理的是哪一种？", names, "业务办理项"))
    chosen = answers.get(SITUATION)
    for condition in conditions:
        ties = _ties(condition, record)
        if ties and not (chosen in ties and _says_more(condition, chosen, ties[chosen])):
            continue  # decided by the choice of 业务办理项
        asked.append(Question(_question_id(condition), f"您是否属于这种情形：{condition}？", [YES, NO], condition))
    return asked


def personal_checklist(record: dict, answers: dict[str, str]) -> PersonalChecklist:
    """Only the materials that apply to these answers; unanswered conditions keep theirs."""
    asked = questions(record, answers)
    by_id = {q.id: q for q in asked}
    used = {k: v for k, v in answers.items() if k in by_id and v in by_id[k].options}
    situation = used.get(SITUATION)
    kept = []
    for row in _rows(record):
        condition = condition_of(row)
        verdict = _applies(condition, record, used, situation)
        if verdict is not False:
            kept.append({**row, "condition": condition, "applies": YES if verdict else "视情况"})
    return PersonalChecklist(kept, used, [q for q in asked if q.id not in used], situation)


def _applies(condition: str, record: dict, answers: dict[str, str], situation: str | None) -> bool | None:
    """True: needed; False: not for this citizen; None: not decided yet."""
    if not condition:
        return True
    ties = _ties(condition, record)
    if ties:
        if situation is None:
            return None
        if situation not in ties:
            return False
        if not _says_more(condition, situation, ties[situation]):
            return True
    answer = answers.get(_question_id(condition))
    return None if answer is None else answer == YES


def next_question(record: dict, answers: dict[str, str]) -> Question | None:
    """The first question not answered yet, or None when the checklist is decided."""
    return next((q for q in questions(record, answers) if q.id not in answers), None)


# Short replies only: a long sentence is another question, not an answer to this one.
_NO = re.compile(r"不是|不属于|不符合|不适用|不需要|不用|没有|没|冇|唔系|唔属于|唔使|无|否|^不$|^no?$", re.I)
_YES = re.compile(r"是|属于|符合|适用|需要|有|对|系|嗯|要|^y(?:es)?$", re.I)


def pick_answer(question: Question, text: str) -> str | None:
    """Which option a typed reply means: 是/否 in the words people use, or an option's name."""
    folded = re.sub(r"[\s。.!！?？~～]", "", text or "")
    if question.options == [YES, NO]:
        if not folded or len(folded) > 12:
            return None
        if _NO.search(folded):
            return NO
        return YES if _YES.search(folded) else None
    named = [o for o in question.options if o and (o in folded or len(folded) >= 2 and folded in o)]
    return named[0] if len(named) == 1 else None


def print_link(code: str, answers: dict[str, str]) -> str:
    """The printable page of this personal checklist, as a path on the API."""
    query = urlencode(answers)
    return f"/api/items/{code}/checklist/print" + (f"?{query}" if query else "")


def answers_from(pairs) -> dict[str, str]:
    """Answers from query parameters or a slot: only keys shaped like question ids are kept
    (``s`` and ``c`` + 6 hex), so a stray parameter never reaches the record."""
    return {k: str(v)[:100] for k, v in pairs if k == SITUATION or re.fullmatch(r"c[0-9a-f]{6}", k or "")}


def lines(sheet: PersonalChecklist) -> list[str]:
    """The checklist as numbered lines for a chat bubble or a text message.

        >>> lines(PersonalChecklist([{"name": "结婚证", "copies": "原件1份", "applies": "是", "condition": "夫妻投靠的",
        ...                           "necessity": "必要"}], {}))
        ['1. 结婚证：原件1份']
    """
    out = []
    for number, row in enumerate(sheet.materials, start=1):
        line = f"{number}. {row['name']}"
        if row["applies"] != YES:
            line += f"（视情况：{row['condition']}）"
        details = [d for d in (row.get("copies"),) if d]
        if row.get("necessity") and row["necessity"] != "必要":
            details.append(row["necessity"])
        if details:
            line += "：" + "；".join(details)
        out.append(line)
    return out


def checklist_html(record: dict, sheet: PersonalChecklist) -> str:
    """The personal checklist as a printable page: the answers given, then the materials."""
    asked = {q.id: q for q in questions(record, sheet.answers)}
    answered = [(asked[k].text, v) for k, v in sheet.answers.items() if k in asked]
    none_text = render.materials_lines(record)[0] if not sheet.materials else ""
    return render.page_html(
        "checklist.html", name=record.get("事项名称", ""), region=str(record.get("行政区划", "")).removeprefix("广东省"),
        situation=sheet.situation, answered=answered, rows=sheet.materials, open=sheet.open,
        none_text=none_text, source=source_text(record),
    )
