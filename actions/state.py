"""What a conversation has established (kept in Rasa slots) and what a turn says.

    >>> from actions.state import State, Say, Turn
    >>> State.from_slots({"item_key": "442106040001", "misses": "1"}).misses
    1
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class State:
    """What the conversation has established: kept in Rasa slots between turns."""

    item_key: str | None = None
    item_code: str | None = None
    region: str | None = None
    pending_attribute: str | None = None
    last_attribute: str | None = None
    options: list[dict] | None = None
    misses: int = 0
    # "consent" while the citizen is asked whether to pre-fill an application for the item.
    apply_stage: str | None = None
    # The words of a question still to be answered once the item or place is known ("?" first
    # for a yes/no question): 男朋友21岁能领结婚证吗 → which place? → 桂城 → the age clause.
    pending_detail: str | None = None
    # The office last asked about (实施主体), for follow-ups such as 中午休息吗.
    office: str | None = None
    # The personal checklist of one implementation: {"code", "answers", "done"} (actions.personal).
    checklist: dict | None = None

    @classmethod
    def from_slots(cls, slots: dict[str, Any]) -> "State":
        names = cls.__dataclass_fields__
        values = {k: v for k, v in slots.items() if k in names and v is not None}
        if "misses" in values:
            values["misses"] = int(values["misses"])
        return cls(**values)

    def as_slots(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Say:
    """One bot message: a response name of the domain, its values and buttons."""

    response: str
    values: dict[str, Any] = field(default_factory=dict)
    buttons: list[dict] = field(default_factory=list)
    custom: dict[str, Any] = field(default_factory=dict)  # more for the channels: the checklist's answers


@dataclass
class Turn:
    says: list[Say]
    state: State




def option_buttons(options: list[dict]) -> list[dict]:
    """One button an offered option, its number as the payload (第二个 and 2 pick the same)."""
    return [{"title": o["title"], "payload": f'/choose_option{{"option":"{n}"}}'} for n, o in enumerate(options, 1)]


def consent_buttons() -> list[dict]:
    return [{"title": "同意，开始填写", "payload": "/affirm"}, {"title": "不用了", "payload": "/deny"}]


def joined(attributes: list[str | None]) -> str | None:
    """Several pending attributes kept in one text slot: 'process,phone'."""
    kept = [a for a in attributes if a]
    return ",".join(kept) if kept else None


def first(pending: str | None) -> str | None:
    return pending.split(",")[0] if pending else None


def pending(state: State) -> list[str | None]:
    if state.pending_attribute:
        return state.pending_attribute.split(",")
    return [state.last_attribute]


def follow_up_buttons() -> list[dict]:
    return [
        {"title": "要带什么材料", "payload": "/ask_materials"},
        {"title": "多久能办好", "payload": "/ask_time_limit"},
        {"title": "在哪里办", "payload": "/ask_location"},
        {"title": "要不要钱", "payload": "/ask_fee"},
    ]


def checklist_button() -> dict:
    return {"title": "按我的情况列清单", "payload": "/ask_personal_checklist"}


def human_buttons() -> list[dict]:
    return [{"title": "转人工服务", "payload": "/request_human"}, {"title": "我再换个说法", "payload": "/deny"}]
