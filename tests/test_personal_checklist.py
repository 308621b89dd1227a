"""The personal checklist: questions from the record's own 适用情形 / 业务办理项, then only the
materials that apply; in the dialogue, through the API, printed and carried into a draft."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.guide import State
from index import checklist
from index.loader import iter_accepted, read_batch

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "items.jsonl"
PORTAL = ROOT.parent / "shared" / "item-standards" / "portal-export" / "gd-portal-2021.jsonl"


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return list(iter_accepted(read_batch([SAMPLE], keep=False)))


def named(records, name: str) -> dict:
    return next(r for r in records if r["事项名称"] == name)


def names(sheet) -> list[str]:
    return [m["name"] for m in sheet.materials]


def test_every_distinct_condition_is_one_yes_no_question_quoting_the_record(records):
    record = named(records, "户口迁移（人才引进入户）")
    asked = checklist.questions(record)
    conditions = {m.get("适用情形") for m in record["申请材料"] if m.get("适用情形")}
    assert {q.condition for q in asked} == conditions
    assert all(q.options == ["是", "否"] and q.condition in q.text for q in asked)


def test_a_situation_question_decides_the_conditions_that_name_it(records):
    record = named(records, "户口迁入（投靠亲属）")
    first = checklist.questions(record)[0]
    assert first.id == checklist.SITUATION and first.options == ["夫妻投靠", "子女投靠父母", "父母投靠子女"]
    # 夫妻投靠的 and 子女投靠父母或者父母投靠子女的 are decided by the choice, not asked
    assert not any("夫妻投靠" in q.condition for q in checklist.questions(record, {"s": "夫妻投靠"}))
    sheet = checklist.personal_checklist(record, {"s": "夫妻投靠"})
    assert "结婚证" in names(sheet)
    assert not any(n.startswith("亲属关系证明") for n in names(sheet))
    other = checklist.personal_checklist(record, {"s": "父母投靠子女"})
    assert "结婚证" not in names(other) and any(n.startswith("亲属关系证明") for n in names(other))


def test_a_condition_that_adds_to_a_situation_is_asked_only_once_it_is_chosen(records):
    record = named(records, "企业变更登记")
    capital = "注册资本（出资额）变更"
    assert not any(q.condition == "减少注册资本的" for q in checklist.questions(record, {"s": "名称变更"}))
    asked = {q.condition: q for q in checklist.questions(record, {"s": capital})}
    assert "减少注册资本的" in asked  # an increase needs no 减资公告
    without = checklist.personal_checklist(record, {"s": capital, asked["减少注册资本的"].id: "否"})
    with_ = checklist.personal_checklist(record, {"s": capital, asked["减少注册资本的"].id: "是"})
    assert len(names(with_)) == len(names(without)) + 1


def test_no_answers_keep_every_conditional_material_marked_as_depending(records):
    record = named(records, "出生登记")
    sheet = checklist.personal_checklist(record, {})
    assert len(sheet.materials) == len(record["申请材料"])
    assert {m["applies"] for m in sheet.materials if m["condition"]} == {"视情况"}
    assert [q.id for q in sheet.open] == [q.id for q in checklist.questions(record)]


def test_answering_no_to_everything_leaves_only_the_unconditional_materials(records):
    for record in records[:80]:
        answers: dict[str, str] = {}
        while (question := checklist.next_question(record, answers)) is not None:
            answers[question.id] = question.options[-1] if question.id == checklist.SITUATION else "否"
        sheet = checklist.personal_checklist(record, answers)
        unconditional = [m["材料名称"] for m in record["申请材料"] if not checklist.condition_of({"situation": m.get("适用情形"), "name": m["材料名称"]})]
        assert all(any(n.startswith(u.rstrip("。；;，, ")) for n in names(sheet)) for u in unconditional)
        assert all(m["applies"] == "是" for m in sheet.materials), record["事项名称"]
        assert not sheet.open


def test_a_portal_record_gets_its_question_from_the_material_name():
    if not PORTAL.exists():
        pytest.skip("the portal export is not beside this checkout")
    portal = list(iter_accepted(read_batch([PORTAL], keep=False)))
    record = next(r for r in portal if any("（委托办理的）" in m["材料名称"] for m in r.get("申请材料") or []))
    asked = {q.condition: q for q in checklist.questions(record)}
    assert "委托办理的" in asked
    sheet = checklist.personal_checklist(record, {asked["委托办理的"].id: "否"})
    assert not any("授权委托书" in n for n in names(sheet))
    assert len(sheet.materials) == len(record["申请材料"]) - 1


def test_a_record_without_conditions_has_no_questions(panyu):
    record = {**panyu, "业务办理项": [], "申请材料": [{k: v for k, v in m.items() if k != "适用情形"} for m in panyu["申请材料"]]}
    record["申请材料"] = [m for m in record["申请材料"] if not checklist.condition_of({"name": m["材料名称"]})]
    assert checklist.questions(record) == []
    assert [m["applies"] for m in checklist.personal_checklist(record, {}).materials] == ["是"] * len(record["申请材料"])


@pytest.mark.parametrize(
    "reply, expected",
    [("是", "是"), ("系呀", "是"), ("我属于这种情形", "是"), ("对的", "是"), ("不是", "否"), ("冇", "否"),
     ("我不属于", "否"), ("没有", "否"), ("帮我查一下南海区居住证要多久办好", None), ("好", None)],
)
def test_typed_answers_in_everyday_words(reply, expected):
    question = checklist.Question("c000000", "您是否属于这种情形：委托他人代办的？", ["是", "否"], "委托他人代办的")
    assert checklist.pick_answer(question, reply) == expected


def test_only_question_shaped_parameters_become_answers():
    assert checklist.answers_from([("s", "夫妻投靠"), ("c1a2b3c", "否"), ("situation", "x"), ("c12", "是")]) == {
        "s": "夫妻投靠", "c1a2b3c": "否"}


# -- in the dialogue ---------------------------------------------------------------------------


def test_materials_answer_offers_the_checklist_when_materials_depend_on_the_case(sample_guide):
    turn = sample_guide.ask("桂城办居住证要带什么材料", "materials", State())
    assert turn.says[-1].response == "utter_materials"
    assert [b["payload"] for b in turn.says[-1].buttons] == ["/ask_personal_checklist"]


def test_one_tap_a_question_then_only_the_materials_that_apply(sample_guide):
    turn = sample_guide.ask("桂城办居住证要带什么材料", "materials", State())
    turn = sample_guide.ask("/ask_personal_checklist", "personal_checklist", turn.state)
    assert [s.response for s in turn.says] == ["utter_checklist_intro", "utter_checklist_question"]
    titles = [b["title"] for b in turn.says[-1].buttons]
    assert titles == ["以合法稳定住所申领", "以合法稳定就业申领", "以连续就读申领"]
    turn = sample_guide.answer_checklist("/answer_checklist", "2", turn.state)  # the second button
    while turn.says[-1].response == "utter_checklist_question":
        turn = sample_guide.ask("不是", None, turn.state)  # typed: reaches the checklist, not the search
    final = turn.says[-1]
    assert final.response == "utter_personal_checklist"
    assert "合法稳定就业证明" in final.values["materials"] and "合法稳定住所证明" not in final.values["materials"]
    assert final.custom["checklist"]["answers"]["s"] == "以合法稳定就业申领"
    assert final.values["link"].startswith(f"/api/items/{turn.state.item_code}/checklist/print?s=")
    assert turn.state.checklist["done"] is True


def test_another_question_in_the_middle_leaves_the_checklist(sample_guide):
    turn = sample_guide.ask("桂城办居住证按我的情况列材料清单", "personal_checklist", State())
    assert turn.says[-1].response == "utter_checklist_question"
    turn = sample_guide.ask("要多久能办好", "time_limit", turn.state)
    assert turn.says[-1].response == "utter_time_limit" and turn.state.checklist is None


def test_an_item_whose_materials_do_not_depend_on_the_case_gets_the_list_at_once(sample_guide, records):
    from actions import personal

    record = named(records, "出生登记")
    record = {**record, "申请材料": [m for m in record["申请材料"] if not m.get("适用情形")]}
    turn = personal.start(sample_guide, record, State(item_code=record["实施编码"]))
    assert turn.says[0].response == "utter_checklist_no_questions"
    assert "《出生医学证明》" in turn.says[0].values["materials"]


def test_an_answer_with_no_checklist_open_is_read_like_any_unsure_turn(sample_guide):
    # 我不要这个 taken by the NLU for an answer while no question is open
    turn = sample_guide.answer_checklist("我不要这个", None, State())
    assert [s.response for s in turn.says] == ["utter_out_of_scope"]
    turn = sample_guide.answer_checklist("桂城办居住证要多久", None, State())
    assert "utter_time_limit" in [s.response for s in turn.says]


# -- through the API ---------------------------------------------------------------------------


def test_checklist_api_gives_questions_then_the_personal_list_and_a_printable_page(sample_client, records):
    record = named(records, "户口迁入（投靠亲属）")
    code = record["实施编码"]
    body = sample_client.get(f"/api/items/{code}/checklist").json()
    assert body["questions"][0]["id"] == "s" and len(body["items"]) == len(record["申请材料"])
    answered = sample_client.get(f"/api/items/{code}/checklist", params={"s": "夫妻投靠", "junk": "1"}).json()
    assert answered["answers"] == {"s": "夫妻投靠"} and answered["situation"] == "夫妻投靠"
    assert "结婚证" in [i["name"] for i in answered["items"]]
    assert [q["answer"] for q in answered["questions"] if q["id"] == "s"] == ["夫妻投靠"]
    assert all(q["answer"] is None for q in answered["questions"] if q["id"] != "s")
    page = sample_client.get(f"/api/items/{code}/checklist/print", params={"s": "夫妻投靠"})
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "结婚证" in page.text and "您办理的是哪一种？" in page.text and "夫妻投靠" in page.text
    assert sample_client.get("/api/items/NOPE/checklist/print").status_code == 404


def test_a_draft_carries_only_the_materials_that_apply(sample_client, records):
    record = named(records, "户口迁入（投靠亲属）")
    drafts = sample_client.app.state.drafts
    token = drafts.create(record, {"name": "张三"}, situation="夫妻投靠", answers={"s": "夫妻投靠", "evil": "x"})
    listed = [m["name"] for m in drafts.open(token)["checklist"]]
    assert "结婚证" in listed and not any(n.startswith("亲属关系证明") for n in listed)
    assert len(listed) < len(record["申请材料"])


def test_the_console_sends_the_personal_checklist(sample_client, records):
    record = named(records, "户口迁入（投靠亲属）")
    headers = {"Authorization": f"Bearer {sample_client.app.state.tokens['agent']}"}
    body = {"channel": "sms", "recipient": "13800138000", "item_code": record["实施编码"], "answers": {"s": "夫妻投靠"}}
    sent = sample_client.post("/api/agent/send", json=body, headers=headers)
    assert sent.status_code == 200
    text = sent.json()["text"]
    assert "按您的情况" in text and "结婚证" in text and "亲属关系证明" not in text
    assert "/checklist/print?s=" in text
    whole = sample_client.post("/api/agent/send", json={**body, "answers": {}}, headers=headers).json()["text"]
    assert "亲属关系证明" in whole
    too_many = {f"c{n:06x}": "是" for n in range(31)}
    assert sample_client.post("/api/agent/send", json={**body, "answers": too_many}, headers=headers).status_code == 422


def test_the_nlus_checklist_on_a_plain_materials_question_gives_the_materials_with_the_offer(sample_guide):
    # no 按我的情况 / 列清单 in the words: the materials answer, whose button starts the checklist
    turn = sample_guide.ask("我在桂城，想办居住证，要准备哪些材料？", "personal_checklist", State())
    assert turn.says[-1].response == "utter_materials"
    assert [b["payload"] for b in turn.says[-1].buttons] == ["/ask_personal_checklist"]
    turn = sample_guide.ask("我在桂城办居住证，按我的情况要准备哪些材料？", "personal_checklist", State())
    assert turn.says[-1].response == "utter_checklist_question"


def test_the_checklists_words_in_another_question_do_not_start_it(sample_guide):
    turn = sample_guide.ask("我这种情况在桂城能办居住证吗", "conditions", State())
    assert "utter_checklist_question" not in [s.response for s in turn.says]
    turn = sample_guide.ask("我这种情况在桂城办居住证要准备哪些材料", "materials", State())
    assert turn.says[-1].response == "utter_checklist_question"
