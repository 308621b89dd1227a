"""Custom actions: read the tracker, call one Guide method, utter responses by name, set slots.

Run with ``rasa run actions --actions actions.actions``. The index is opened on the first
action, not at import time.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from index.backends import open_backend
from index.search import Searcher

from .guide import Guide, State, Turn

logger = logging.getLogger(__name__)


@functools.cache
def get_guide() -> Guide:
    return Guide(Searcher(open_backend()))


def state_of(tracker: Tracker) -> State:
    return State.from_slots(tracker.current_slot_values())


def emit(turn: Turn, dispatcher: CollectingDispatcher, before: State) -> list[EventType]:
    """Utter the turn's responses and set the slots that changed."""
    for say in turn.says:
        # ``custom`` tells channels (and the evaluation) what was answered, from which record,
        # without parsing the text: the kiosk draws cards from it.
        custom = {"response": say.response, "item_code": turn.state.item_code, "item_base": turn.state.item_base}
        dispatcher.utter_message(response=say.response, buttons=say.buttons or None, json_message=custom, **say.values)
    old, new = before.as_slots(), turn.state.as_slots()
    return [SlotSet(name, value) for name, value in new.items() if old.get(name) != value]


def _text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def _entity(tracker: Tracker, name: str) -> str | None:
    value = next(tracker.get_latest_entity_values(name), None)
    return str(value) if value is not None else None


class ActionAnswerItem(Action):
    """Answers one attribute of the item in context (or named in the message).

    With no attribute (the citizen only named an item) it gives an overview, or answers the
    attribute their words imply. Each subclass is the action of one ask_* intent.
    """

    attribute: str | None = None

    def name(self) -> str:
        return f"action_answer_{self.attribute}" if self.attribute else "action_answer_item"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        state = state_of(tracker)
        turn = get_guide().ask(_text(tracker), self.attribute, State(**state.as_slots()))
        return emit(turn, dispatcher, state)


class ActionAnswerMaterials(ActionAnswerItem):
    attribute = "materials"


class ActionAnswerTimeLimit(ActionAnswerItem):
    attribute = "time_limit"


class ActionAnswerAgency(ActionAnswerItem):
    attribute = "agency"


class ActionAnswerLocation(ActionAnswerItem):
    attribute = "location"


class ActionAnswerOfficeHours(ActionAnswerItem):
    attribute = "office_hours"


class ActionAnswerPhone(ActionAnswerItem):
    attribute = "phone"


class ActionAnswerLegalBasis(ActionAnswerItem):
    attribute = "legal_basis"


class ActionAnswerComplaint(ActionAnswerItem):
    attribute = "complaint"


class ActionAnswerFee(ActionAnswerItem):
    attribute = "fee"


class ActionAnswerConditions(ActionAnswerItem):
    attribute = "conditions"


class ActionAnswerProcess(ActionAnswerItem):
    attribute = "process"


class ActionAnswerVisits(ActionAnswerItem):
    attribute = "visits"


class ActionAnswerOnline(ActionAnswerItem):
    attribute = "online"


class ActionChooseOption(Action):
    def name(self) -> str:
        return "action_choose_option"

    def run(self, dispatcher, tracker, domain):
        state = state_of(tracker)
        turn = get_guide().choose(_text(tracker), _entity(tracker, "option"), State(**state.as_slots()))
        return emit(turn, dispatcher, state)


class ActionInformRegion(Action):
    def name(self) -> str:
        return "action_inform_region"

    def run(self, dispatcher, tracker, domain):
        state = state_of(tracker)
        turn = get_guide().inform_region(_text(tracker), State(**state.as_slots()))
        return emit(turn, dispatcher, state)


class ActionCorrectItem(Action):
    def name(self) -> str:
        return "action_correct_item"

    def run(self, dispatcher, tracker, domain):
        state = state_of(tracker)
        turn = get_guide().correct(_text(tracker), State(**state.as_slots()))
        return emit(turn, dispatcher, state)


class ActionFallback(Action):
    """Low NLU confidence: the index may still know the item; else rephrase, then a human."""

    def name(self) -> str:
        return "action_fallback"

    def run(self, dispatcher, tracker, domain):
        state = state_of(tracker)
        turn = get_guide().fallback(_text(tracker), State(**state.as_slots()))
        return emit(turn, dispatcher, state)


class ActionRequestHuman(Action):
    """Hand-off to a person: the hotline and the item's own enquiry phone for now."""

    def name(self) -> str:
        return "action_request_human"

    def run(self, dispatcher, tracker, domain):
        state = state_of(tracker)
        phones = ""
        if state.item_code:
            from index.render import phones as phone_list

            record = get_guide().backend.get(state.item_code)
            if record:
                phones = "、".join(phone_list(record, "咨询电话"))
        if phones:
            dispatcher.utter_message(response="utter_human_item_phone", phones=phones)
        else:
            dispatcher.utter_message(response="utter_human")
        return [SlotSet("misses", 0)]
