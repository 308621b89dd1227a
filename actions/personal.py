"""The personal checklist in the conversation: one question a turn, one tap each, then the list.

    >>> turn = start(guide, record, State(item_key="442106040001", item_code=code))
    >>> turn.says[-1].response, [b["title"] for b in turn.says[-1].buttons]
    ('utter_checklist_question', ['以合法稳定住所申领', '以合法稳定就业申领', '以连续就读申领'])
    >>> turn = answer(guide, "/answer_checklist", "2", turn.state)     # the second button
    >>> turn = answer(guide, "否", None, turn.state)                   # typed
    >>> turn.says[0].response
    'utter_personal_checklist'

The questions and the materials come from the record (:mod:`index.checklist`); this module only
keeps the answers in the ``checklist`` slot ({"code", "answers", "done"}) and words the turn. The
finished answers stay in the slot, so an application drafted next carries the same list.
"""

from __future__ import annotations

from index import checklist as sheet_of
from index import render
from index.answers import place_text

from .state import Say, State, Turn

# 好 / 对 / 不是 said while a yes/no question is open reach the checklist as these
YES_TEXT, NO_TEXT = sheet_of.YES, sheet_of.NO


def plain_materials_question(u) -> bool:
    """Words asking for the materials and none asking for the checklist (按我的情况, 列个清单 …:
    the attribute words of index/data/attributes.tsv)."""
    return "materials" in u.attributes and "personal_checklist" not in u.attributes


def active(state: State) -> bool:
    """A question of the checklist is waiting for its answer."""
    return bool(state.checklist) and not state.checklist.get("done") and state.checklist.get("code") == state.item_code


def answers_for(state: State, code: str) -> dict[str, str]:
    """The finished checklist's answers for this implementation ({} when there are none)."""
    kept = state.checklist or {}
    return dict(kept.get("answers") or {}) if kept.get("code") == code and kept.get("done") else {}


def start(guide, record: dict, state: State) -> Turn:
    """The first question, or the whole list when no material depends on the citizen's case."""
    state.checklist = {"code": record["实施编码"], "answers": {}, "done": False}
    questions = sheet_of.questions(record)
    if not questions:
        return _finish(record, state, "utter_checklist_no_questions")
    intro = Say("utter_checklist_intro", {"item": record.get("事项名称", ""), "count": len(questions)})
    turn = _ask(record, state)
    turn.says.insert(0, intro)
    return turn


def answer(guide, text: str, option: str | None, state: State) -> Turn:
    """A reply to the open question: a button's number, or the answer typed (是 / 没有 / 夫妻投靠)."""
    record = guide.backend.get(state.item_code) if state.item_code else None
    if record is None or not active(state):
        # no question open (我不要这个, taken for an answer): read it as any unsure turn is read
        return guide.fallback(text, state)
    question = sheet_of.next_question(record, state.checklist["answers"])
    if question is None:
        return _finish(record, state, "utter_personal_checklist")
    picked = _picked(question, text, option)
    if picked is None:
        return _ask(record, state, again=True)
    state.checklist = {**state.checklist, "answers": {**state.checklist["answers"], question.id: picked}}
    return _ask(record, state)


def typed_answer(guide, text: str, state: State) -> Turn | None:
    """The turn when a typed text answers the open question; None when it is about something else
    (the checklist is then left, as a citizen who asks another question has)."""
    if not active(state):
        return None
    record = guide.backend.get(state.item_code)
    question = sheet_of.next_question(record, state.checklist["answers"]) if record else None
    if question is not None and _picked(question, text, None) is not None:
        return answer(guide, text, None, state)
    state.checklist = None
    return None


def _picked(question, text: str, option: str | None) -> str | None:
    from index.understanding import parse_ordinal

    number = parse_ordinal(option) if option else parse_ordinal(text)
    if number is not None and 1 <= number <= len(question.options):
        return question.options[number - 1]
    return sheet_of.pick_answer(question, text)


def _ask(record: dict, state: State, *, again: bool = False) -> Turn:
    question = sheet_of.next_question(record, state.checklist["answers"])
    if question is None:
        return _finish(record, state, "utter_personal_checklist")
    buttons = [
        {"title": title, "payload": f'/answer_checklist{{"checklist_answer":"{n}"}}'}
        for n, title in enumerate(question.options, 1)
    ]
    response = "utter_checklist_retry" if again else "utter_checklist_question"
    return Turn([Say(response, {"question": question.text}, buttons)], state)


def _finish(record: dict, state: State, response: str) -> Turn:
    answers = dict(state.checklist["answers"])
    sheet = sheet_of.personal_checklist(record, answers)
    state.checklist = {**state.checklist, "done": True}
    code = record["实施编码"]
    values = {
        "item": record.get("事项名称", ""),
        "place": place_text(record),
        "materials": "\n".join(sheet_of.lines(sheet)) or _none_text(record),
        "link": sheet_of.print_link(code, answers),
    }
    return Turn([Say(response, values, custom={"checklist": {"code": code, "answers": answers}})], state)


def _none_text(record: dict) -> str:
    """No material left: the record says none are needed, does not say, or none fit the answers."""
    if not isinstance(record.get("申请材料"), list) or not record["申请材料"]:
        return render.materials_lines(record)[0]
    return "按您的回答，本事项标准未列出需要您提交的材料，请到窗口或拨打咨询电话确认：" + ("、".join(render.phones(record, "咨询电话")) or "12345")
