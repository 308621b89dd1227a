"""The application hand-off in the actions: consent first, only the needed fields, validated,
forgotten once the draft is handed to the API, and stoppable at any question."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("rasa_sdk")

from actions import actions as module  # noqa: E402
from actions import apply  # noqa: E402
from tests.test_actions import DOMAIN, guide, run, tracker, use_guide  # noqa: E402,F401

ID = "11010519491231002X"


@pytest.fixture(autouse=True)
def apply_uses_the_test_guide(monkeypatch, guide):
    # actions.apply imported get_guide by name: patch its reference too, or it opens GUIDE_DATA_DIR.
    monkeypatch.setattr(apply, "get_guide", lambda: guide)


def events_of(action, t):
    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    result = action.run(dispatcher, t, DOMAIN)
    events = asyncio.run(result) if asyncio.iscoroutine(result) else result
    return dispatcher.messages, events


def offered(text="我想申请补办身份证，南海区的"):
    messages, slots = run(apply.ActionOfferApply(), tracker(text, "apply"))
    return messages, slots


def test_apply_asks_consent_before_any_personal_data():
    messages, slots = offered()
    assert [m["response"] for m in messages] == ["utter_apply_consent"]
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/affirm", "/deny"]
    assert slots["apply_stage"] == "consent" and slots["item_code"]


def test_apply_without_an_item_asks_which_then_offers():
    messages, slots = run(apply.ActionOfferApply(), tracker("我要网上申请", "apply"))
    assert [m["response"] for m in messages] == ["utter_ask_item"]
    messages, slots = run(module.ActionAnswerItem(), tracker("南海区补办身份证", "inform_item", slots))
    assert [m["response"] for m in messages] == ["utter_apply_consent"]


def test_consent_starts_the_form_and_refusal_does_not():
    _, slots = offered()
    messages, events = events_of(apply.ActionAffirm(), tracker("同意", "affirm", slots))
    assert messages == [] and {"event": "followup", "name": "apply_form"} in [
        {k: e.get(k) for k in ("event", "name")} for e in events
    ]
    messages, events = events_of(apply.ActionDeny(), tracker("不用了", "deny", slots))
    assert [m["response"] for m in messages][0].startswith("utter_apply_declined")
    assert {"event": "slot", "name": "apply_stage", "value": None} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events
    ]


def test_affirm_without_a_consent_question_just_asks_what_else():
    messages, events = events_of(apply.ActionAffirm(), tracker("好的", "affirm"))
    assert [m["response"] for m in messages] == ["utter_anything_else"] and events == []


def validate(slot, value, slots=None):
    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    method = getattr(apply.ValidateApplyForm(), f"validate_{slot}")
    return method(value, dispatcher, tracker(value, "inform_item", slots), DOMAIN), [m["response"] for m in dispatcher.messages]


def test_fields_are_validated():
    assert validate("applicant_name", "我叫张三")[0] == {"applicant_name": "张三"}
    assert validate("applicant_name", "12345") == ({"applicant_name": None}, ["utter_invalid_name"])
    assert validate("applicant_mobile", "138 0013 8000")[0] == {"applicant_mobile": "13800138000"}
    assert validate("applicant_mobile", "12800138000") == ({"applicant_mobile": None}, ["utter_invalid_mobile"])
    assert validate("applicant_id_number", f"身份证号{ID.lower()}")[0] == {"applicant_id_number": ID}
    assert validate("applicant_id_number", "110105194912310021") == ({"applicant_id_number": None}, ["utter_invalid_id_number"])


def test_situation_is_asked_only_for_items_with_several(guide):
    form = apply.ValidateApplyForm()
    slots_needed = DOMAIN["forms"]["apply_form"]["required_slots"]
    with_several = next(r for r in guide.backend.iter_records() if len(r.get("业务办理项") or []) > 1)
    with_one = next(r for r in guide.backend.iter_records() if len(r.get("业务办理项") or []) <= 1)
    for record, expected in [(with_several, True), (with_one, False)]:
        needed = asyncio.run(form.required_slots(slots_needed, None, tracker("x", "affirm", {"item_code": record["实施编码"]}), DOMAIN))
        assert ("applicant_situation" in needed) is expected
    names = [s["名称"] for s in with_several["业务办理项"]]
    picked, said = validate("applicant_situation", "2", {"item_code": with_several["实施编码"]})
    assert picked == {"applicant_situation": names[1]} and said == []
    assert validate("applicant_situation", "乱讲", {"item_code": with_several["实施编码"]})[1] == ["utter_invalid_situation"]


def test_cancel_stops_the_form_and_forgets():
    _, slots = offered()
    t = tracker("不办了", "deny", {**slots, "requested_slot": "applicant_mobile", "applicant_name": "张三"})
    messages, events = events_of(apply.ValidateApplyForm(), t)
    assert [m["response"] for m in messages] == ["utter_apply_cancelled"]
    set_to = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert set_to["requested_slot"] is None and set_to["applicant_name"] is None


def test_submit_hands_the_draft_to_the_api_and_clears_the_fields():
    _, slots = offered()
    filled = {**slots, "applicant_name": "张三", "applicant_mobile": "13800138000", "applicant_id_number": ID}
    messages, events = events_of(apply.ActionSubmitApply(), tracker("", "affirm", filled))
    [message] = messages
    assert message["response"] == "utter_apply_ready"
    request = message["custom"]["apply"]
    assert request["item_code"] == slots["item_code"] and request["applicant"] == {"name": "张三", "mobile": "13800138000", "id_number": ID}
    cleared = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert cleared == {slot: None for slot in apply.APPLICANT_SLOTS}


def test_submit_after_a_cancel_sends_nothing():
    _, slots = offered()
    messages, events = events_of(apply.ActionSubmitApply(), tracker("", "deny", {**slots, "applicant_name": "张三"}))
    assert messages == [] and all(e["value"] is None for e in events)


def checklist_started():
    messages, slots = run(module.ActionAnswerPersonalChecklist(), tracker("桂城办居住证，按我的情况列材料清单", "ask_personal_checklist"))
    assert [m["response"] for m in messages] == ["utter_checklist_intro", "utter_checklist_question"]
    return messages, slots


def test_checklist_buttons_carry_the_option_number_and_the_answer_moves_on():
    messages, slots = checklist_started()
    assert messages[-1]["buttons"][1]["payload"] == '/answer_checklist{"checklist_answer":"2"}'
    entity = [{"entity": "checklist_answer", "value": "2"}]
    messages, after = run(module.ActionAnswerChecklist(), tracker('/answer_checklist{"checklist_answer":"2"}', "answer_checklist", slots, entity))
    assert [m["response"] for m in messages] == ["utter_checklist_question"]
    assert after["checklist"]["answers"] == {"s": "以合法稳定就业申领"}


def test_yes_and_no_said_during_the_checklist_answer_it_not_the_consent():
    _, slots = checklist_started()
    slots = {**slots, "checklist": {**slots["checklist"], "answers": {"s": "以合法稳定就业申领"}}}
    yes, said_yes = run(apply.ActionAffirm(), tracker("对", "affirm", slots))
    no, said_no = run(apply.ActionDeny(), tracker("不是", "deny", slots))
    assert [m["response"] for m in yes] == [m["response"] for m in no] == ["utter_personal_checklist"]
    answered = [set(s["checklist"]["answers"].values()) for s in (said_yes, said_no)]
    assert answered == [{"以合法稳定就业申领", "是"}, {"以合法稳定就业申领", "否"}]
    assert yes[0]["materials"].count("\n") == no[0]["materials"].count("\n") + 1  # the guardian's papers


def test_the_draft_carries_the_checklists_answers_and_skips_the_situation_question(guide):
    _, slots = checklist_started()
    answers = {"s": "以合法稳定就业申领"}
    slots = {**slots, "checklist": {"code": slots["item_code"], "answers": answers, "done": True}}
    form = apply.ValidateApplyForm()
    needed = asyncio.run(form.required_slots(list(apply.APPLICANT_SLOTS), None, tracker("", "affirm", slots), DOMAIN))
    assert "applicant_situation" not in needed
    filled = {**slots, "applicant_name": "张三", "applicant_mobile": "13800138000", "applicant_id_number": ID}
    messages, _ = events_of(apply.ActionSubmitApply(), tracker("", "affirm", filled))
    request = messages[0]["custom"]["apply"]
    assert request["checklist"] == answers and request["situation"] == "以合法稳定就业申领"
