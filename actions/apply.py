"""Hand-off to the online application: consent, the few fields the form needs, the draft.

    我要申请 → action_offer_apply   (which item, which place; then asks consent: 同意 / 不用了)
    同意     → action_affirm         → apply_form asks what it does not know yet, validated:
               业务办理项 (when the item has several), 姓名, 手机号码 (mainland), 身份证号码 (GB 11643)
    done     → action_submit_apply   → ``custom.apply`` for the API, which stores the draft and
                                       answers with the signed link and QR code

The applicant's fields live in slots only until the draft is made; then they are cleared. Saying
不办了 / 取消 at any question stops the form and forgets what was typed.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from index.errors import BackendUnavailable
from index.personal import find_id_number, find_mobile

from . import personal
from .actions import GuideAction, _text, emit, get_guide, state_of

APPLICANT_SLOTS = ("applicant_situation", "applicant_name", "applicant_mobile", "applicant_id_number")
_CANCEL = re.compile(r"不办了?|唔办|取消|算了|不用了|不填了?|退出|转人工|人工服务|唔使喇?$")
_NAME_PREFIX = re.compile(r"^(?:我(?:的名字)?(?:叫|是|係|系)|名字(?:是|叫)?|姓名(?:是|：|:)?|申请人(?:是|：|:)?)\s*")
_NAME = re.compile(r"^[\u4e00-\u9fff·•]{2,20}$|^[A-Za-z][A-Za-z .'-]{1,39}$")
# The wish to apply, said around the item's name: not words to search the item by.
_APPLY_WORDS = re.compile(
    r"(?:我|俾我|帮我|幫我|替我)?(?:要|想|想要|打算|准备)?(?:在|喺)?(?:网上|網上|在线|線上|线上|手机上)?"
    r"(?:申请|申請|办理|辦理|填表|填申请表|预填|預填|提交申请|递交申请|报名)(?:表|一下|下)?"
)


def _situations(record: dict | None) -> list[str]:
    names = [s.get("名称") for s in (record or {}).get("业务办理项") or [] if isinstance(s, dict)]
    return [n for n in names if isinstance(n, str) and n.strip()]


def _record(tracker: Tracker) -> dict | None:
    """The record in context; None also when the index is down (the form then says so)."""
    code = tracker.get_slot("item_code")
    try:
        return get_guide().backend.get(code) if code else None
    except BackendUnavailable:
        return None


def _cancelled(tracker: Tracker) -> bool:
    text = _text(tracker).strip()
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    return bool(_CANCEL.search(text)) or (text.startswith("/") and intent in {"deny", "request_human", "goodbye"})


class ActionOfferApply(GuideAction):
    """我要申请: find the item and place like any question, then ask consent."""

    def name(self) -> str:
        return "action_offer_apply"

    def take_turn(self, guide, tracker, state):
        return guide.ask(_APPLY_WORDS.sub(" ", _text(tracker)), "apply", state)


class ActionAffirm(Action):
    """好 / 同意: starts the form after a consent question; otherwise asks what else."""

    def name(self) -> str:
        return "action_affirm"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        state = state_of(tracker)
        if state.apply_stage == "consent" and tracker.get_slot("item_code"):
            return [SlotSet("apply_stage", None), FollowupAction("apply_form")]
        if personal.active(state):
            return emit(get_guide().answer_checklist(personal.YES_TEXT, None, state), dispatcher, state)
        dispatcher.utter_message(response="utter_anything_else")
        return []


class ActionDeny(Action):
    """不用了: declines the pre-filled application (the portal's own address still helps)."""

    def name(self) -> str:
        return "action_deny"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        state = state_of(tracker)
        if state.apply_stage != "consent" and personal.active(state):
            return emit(get_guide().answer_checklist(personal.NO_TEXT, None, state), dispatcher, state)
        if state.apply_stage != "consent":
            dispatcher.utter_message(response="utter_anything_else")
            return []
        record = _record(tracker) or {}
        url = record.get("在线办理地址")
        if url:
            dispatcher.utter_message(response="utter_apply_declined", url=url)
        else:
            dispatcher.utter_message(response="utter_apply_declined_offline")
        return [SlotSet("apply_stage", None)]


class ActionAskApplicantSituation(Action):
    """Which 业务办理项: one button per situation the record lists."""

    def name(self) -> str:
        return "action_ask_applicant_situation"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        options = _situations(_record(tracker))
        buttons = [{"title": name, "payload": name} for name in options]
        dispatcher.utter_message(response="utter_ask_applicant_situation", buttons=buttons, options="、".join(options))
        return []


class ValidateApplyForm(FormValidationAction):
    def name(self) -> str:
        return "validate_apply_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> list[str]:
        # Only what the form needs: the situation only when the item has several and the
        # personal checklist has not already asked it.
        record = _record(tracker)
        chosen = personal.answers_for(state_of(tracker), record["实施编码"]).get("s") if record else None
        return [s for s in domain_slots if s != "applicant_situation" or (len(_situations(record)) > 1 and not chosen)]

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        if tracker.get_slot("requested_slot") and _cancelled(tracker):
            dispatcher.utter_message(response="utter_apply_cancelled")
            return [SlotSet(slot, None) for slot in APPLICANT_SLOTS] + [SlotSet("requested_slot", None)]
        return await super().run(dispatcher, tracker, domain)

    def validate_applicant_situation(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        options = _situations(_record(tracker))
        text = str(value or "").strip()
        picked = next((o for o in options if o == text), None) or next((o for o in options if o in text or text in o), None)
        if picked is None and text.isdigit() and 1 <= int(text) <= len(options):
            picked = options[int(text) - 1]
        if picked is None:
            dispatcher.utter_message(response="utter_invalid_situation", options="、".join(options))
        return {"applicant_situation": picked}

    def validate_applicant_name(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        name = _NAME_PREFIX.sub("", str(value or "").strip()).strip("。.！! ")
        if not _NAME.match(name):
            dispatcher.utter_message(response="utter_invalid_name")
            return {"applicant_name": None}
        return {"applicant_name": name}

    def validate_applicant_mobile(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        mobile = find_mobile(str(value or ""))
        if mobile is None:
            dispatcher.utter_message(response="utter_invalid_mobile")
        return {"applicant_mobile": mobile}

    def validate_applicant_id_number(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        number = find_id_number(str(value or ""))
        if number is None:
            dispatcher.utter_message(response="utter_invalid_id_number")
        return {"applicant_id_number": number}


class ActionSubmitApply(Action):
    """The form is done (or was stopped): hand the draft to the API, then forget the fields."""

    def name(self) -> str:
        return "action_submit_apply"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        values = {slot: tracker.get_slot(slot) for slot in APPLICANT_SLOTS}
        record = _record(tracker)
        forget = [SlotSet(slot, None) for slot in APPLICANT_SLOTS]
        complete = all(values[s] for s in ("applicant_name", "applicant_mobile", "applicant_id_number"))
        if record is None or not complete:
            return forget  # stopped: the cancellation was already said
        answers = personal.answers_for(state_of(tracker), record["实施编码"])
        dispatcher.utter_message(
            response="utter_apply_ready",
            item=record["事项名称"],
            json_message={
                "response": "utter_apply_ready",
                "item_code": record["实施编码"],
                "item_key": tracker.get_slot("item_key") or record.get("基本编码"),
                "apply": {
                    "item_code": record["实施编码"],
                    "situation": values["applicant_situation"] or answers.get("s"),
                    # the personal checklist's answers: the draft lists only the materials that apply
                    "checklist": answers,
                    "applicant": {
                        "name": values["applicant_name"],
                        "mobile": values["applicant_mobile"],
                        "id_number": values["applicant_id_number"],
                    },
                },
            },
        )
        return forget
