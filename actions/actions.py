"""Custom actions: read the tracker, call one Guide method, utter responses by name, set slots.

Run with ``rasa run actions --actions actions`` (this module and actions.apply). The index is opened on the first
action, not at import time.
"""

from __future__ import annotations

import abc
import functools
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from index.backends import open_backend
from index.errors import BackendUnavailable
from index.search import Searcher

from .guide import Guide, Say, State, Turn

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
        custom = {"response": say.response, "item_code": turn.state.item_code, "item_key": turn.state.item_key, **say.custom}
        dispatcher.utter_message(response=say.response, buttons=say.buttons or None, json_message=custom, **say.values)
    old, new = before.as_slots(), turn.state.as_slots()
    return [SlotSet(name, value) for name, value in new.items() if old.get(name) != value]


def _text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def _entity(tracker: Tracker, name: str) -> str | None:
    value = next(tracker.get_latest_entity_values(name), None)
    return str(value) if value is not None else None


class GuideAction(Action, abc.ABC):
    """Reads the conversation state, lets the Guide take the turn, utters and sets slots.

    Abstract, so rasa_sdk does not register it as an action of its own.
    """

    @abc.abstractmethod
    def take_turn(self, guide: Guide, tracker: Tracker, state: State) -> Turn: ...

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        state = state_of(tracker)
        try:
            turn = self.take_turn(get_guide(), tracker, State(**state.as_slots()))
        except BackendUnavailable as exc:
            # The Guide catches failed searches; a record read can fail too (a cluster going down
            # mid-turn): the citizen hears that the service is down, the state is kept.
            logger.warning("search backend unavailable during %s: %s", self.name(), exc)
            turn = Turn([Say("utter_service_unavailable")], State(**state.as_slots()))
        return emit(turn, dispatcher, state)


class ActionAnswerItem(GuideAction):
    """Answers one attribute of the item in context (or named in the message).

    With no attribute (the citizen only named an item) it gives an overview, or answers the
    attribute their words imply. Each subclass is the action of one ask_* intent.
    """

    attribute: str | None = None

    def name(self) -> str:
        return f"action_answer_{self.attribute}" if self.attribute else "action_answer_item"

    def take_turn(self, guide, tracker, state):
        return guide.ask(_text(tracker), self.attribute, state)


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


class ActionAnswerPersonalChecklist(ActionAnswerItem):
    """按我的情况列清单: the questions that decide the materials, then only those that apply."""

    attribute = "personal_checklist"


class ActionAnswerChecklist(GuideAction):
    """A tap (or a typed answer) on a question of the personal checklist."""

    def name(self) -> str:
        return "action_answer_checklist"

    def take_turn(self, guide, tracker, state):
        return guide.answer_checklist(_text(tracker), _entity(tracker, "checklist_answer"), state)


class ActionComparePlaces(GuideAction):
    def name(self) -> str:
        return "action_compare_places"

    def take_turn(self, guide, tracker, state):
        return guide.compare_places(_text(tracker), state)


class ActionChooseOption(GuideAction):
    def name(self) -> str:
        return "action_choose_option"

    def take_turn(self, guide, tracker, state):
        return guide.choose(_text(tracker), _entity(tracker, "option"), state)


class ActionInformRegion(GuideAction):
    def name(self) -> str:
        return "action_inform_region"

    def take_turn(self, guide, tracker, state):
        return guide.inform_region(_text(tracker), state)


class ActionCorrectItem(GuideAction):
    def name(self) -> str:
        return "action_correct_item"

    def take_turn(self, guide, tracker, state):
        return guide.correct(_text(tracker), state)


class ActionFallback(GuideAction):
    """Low NLU confidence or out of scope: the index may still know the item; else rephrase, then
    a human."""

    def name(self) -> str:
        return "action_fallback"

    def take_turn(self, guide, tracker, state):
        # out_of_scope comes here too: a specific question the NLU took for chatter still names
        # an item the index knows
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        return guide.fallback(_text(tracker), state, out_of_scope=intent == "out_of_scope")


class ActionRequestHuman(Action):
    """转人工: the API queues the conversation for an agent (``custom.handoff``); the item's own
    咨询电话 and 12345 are given too, for a citizen who would rather call."""

    def name(self) -> str:
        return "action_request_human"

    def run(self, dispatcher, tracker, domain):
        state = state_of(tracker)
        phones = ""
        if state.item_code:
            from index.render import phones as phone_list

            try:
                record = get_guide().backend.get(state.item_code)
            except BackendUnavailable:
                record = None  # the hand-off still works; only the item's own phone is missing
            if record:
                phones = "、".join(phone_list(record, "咨询电话"))
        response = "utter_human_handoff_item_phone" if phones else "utter_human_handoff"
        custom = {"response": response, "handoff": True, "item_code": state.item_code, "item_key": state.item_key}
        dispatcher.utter_message(response=response, json_message=custom, **({"phones": phones} if phones else {}))
        return [SlotSet("misses", 0)]
