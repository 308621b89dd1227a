"""Compare two places: the same item's records side by side, in the dialogue and as a page."""

from __future__ import annotations

from actions.guide import State
from index import compare

RESIDENCE = "442106040001"  # 居住证申领


def record_in(sample_guide, item_key: str, place: str) -> dict:
    code = next(code for code, region in sample_guide.backend.implementations(item_key) if place in region)
    return sample_guide.backend.get(code)


def test_fields_that_differ_are_listed_per_place_and_the_rest_named_as_same(sample_guide):
    a, b = record_in(sample_guide, RESIDENCE, "南海区"), record_in(sample_guide, RESIDENCE, "禅城区")
    table = compare.compare([a, b])
    rows = {row.label: row for row in table.rows}
    assert not rows["办理地点"].same and rows["收费"].same
    assert not rows["实施主体"].same and a["实施主体"] in rows["实施主体"].values[0]
    text = "\n".join(compare.lines(table))
    assert f"  {table.places[0]}：" in text and f"  {table.places[1]}：" in text
    same = [row.label for row in table.rows if row.same and row.label != "申请材料"]
    assert f"● 相同：{'、'.join(same)}" in text


def test_a_material_only_one_place_asks_for_is_named_with_its_place(sample_guide):
    a, b = record_in(sample_guide, RESIDENCE, "南海区"), record_in(sample_guide, RESIDENCE, "禅城区")
    extra = {"序号": 99, "材料名称": "社区出具的居住证明", "原件": 1, "必要性": "必要"}
    table = compare.compare([{**a, "申请材料": [*a["申请材料"], extra]}, b])
    assert table.only == [["社区出具的居住证明"], []] and not table.materials_same
    assert "另需：社区出具的居住证明" in "\n".join(compare.lines(table))


def test_a_field_one_record_does_not_state_is_never_filled_from_the_other(sample_guide):
    a, b = record_in(sample_guide, RESIDENCE, "南海区"), record_in(sample_guide, RESIDENCE, "禅城区")
    table = compare.compare([{k: v for k, v in a.items() if k != "办理时间"}, b])
    row = next(r for r in table.rows if r.label == "办理时间")
    assert row.values[0] == compare.NOT_STATED and row.values[1] != compare.NOT_STATED and not row.same


def test_the_dialogue_compares_the_two_places_named(sample_guide):
    turn = sample_guide.compare_places("南海和禅城办居住证有什么不同", State())
    say = turn.says[0]
    assert say.response == "utter_compare_places"
    assert "南海区" in say.values["places"] and "禅城区" in say.values["places"]
    assert say.values["link"].startswith("/api/items/compare?codes=") and len(say.custom["compare"]["codes"]) == 2
    assert turn.state.item_key == RESIDENCE


def test_one_place_named_is_compared_with_the_conversations_place(sample_guide):
    turn = sample_guide.compare_places("禅城同这里有咩唔同", State(item_key=RESIDENCE, region="广东省佛山市南海区"))
    assert turn.says[0].response == "utter_compare_places"
    assert "南海区" in turn.says[0].values["places"] and "禅城区" in turn.says[0].values["places"]


def test_a_place_without_the_item_is_said_and_nothing_is_made_up(sample_guide):
    turn = sample_guide.compare_places("南海和顺德办居住证有什么区别", State())
    assert turn.says[0].response == "utter_not_in_region" and "顺德" in turn.says[0].values["region"]


def test_without_two_places_it_asks_for_them(sample_guide):
    turn = sample_guide.compare_places("办居住证各地有什么不同", State())
    assert turn.says[0].response == "utter_compare_which_places" and turn.says[0].values["item"] == "居住证申领"


def test_compare_page_and_data(sample_client, sample_guide):
    codes = [record_in(sample_guide, RESIDENCE, p)["实施编码"] for p in ("南海区", "禅城区")]
    page = sample_client.get("/api/items/compare", params=[("codes", c) for c in codes])
    assert page.status_code == 200 and "<table>" in page.text and "办理地点" in page.text
    data = sample_client.get("/api/items/compare.json", params=[("codes", c) for c in codes]).json()
    assert data["codes"] == codes and {r["label"] for r in data["rows"]} >= {"实施主体", "办结时限", "收费", "申请材料"}


def test_compare_refuses_what_cannot_be_compared(sample_client, sample_guide):
    nanhai = record_in(sample_guide, RESIDENCE, "南海区")["实施编码"]
    other = next(r for r in sample_guide.backend.iter_records() if r["基本编码"] != RESIDENCE)["实施编码"]
    one = sample_client.get("/api/items/compare", params={"codes": nanhai})
    assert one.status_code == 422 and "codes" in one.json()["detail"]
    mixed = sample_client.get("/api/items/compare.json", params=[("codes", nanhai), ("codes", other)])
    assert mixed.status_code == 422 and "不是同一事项" in mixed.json()["detail"]
    assert sample_client.get("/api/items/compare", params=[("codes", nanhai), ("codes", "NOPE")]).status_code == 404


def test_a_town_name_shared_by_two_cities_is_the_one_where_the_item_is_done(sample_guide):
    # 桂城街道 is in 南海 and in 鼎湖 (肇庆); 居住证 is done in 南海's only.
    turn = sample_guide.compare_places("桂城街道同祖庙街道办居住证有咩唔同", State())
    assert turn.says[0].response == "utter_compare_places"
    assert "佛山市南海区桂城街道" in turn.says[0].values["places"] and "肇庆" not in turn.says[0].values["places"]


def test_an_attribute_asked_of_two_places_side_by_side_is_compared_on_that_attribute(sample_guide):
    turn = sample_guide.ask("桂城街道同祖庙街道办居住证要几耐", "time_limit", State())
    say = turn.says[0]
    assert say.response == "utter_compare_places"
    assert "办结时限" in say.values["facts"] and "办理地点" not in say.values["facts"]
    turn = sample_guide.ask("居住证桂城和祖庙哪边要的材料少", "materials", State())
    assert turn.says[0].response == "utter_compare_places" and "申请材料" in turn.says[0].values["facts"]


def test_two_places_that_are_not_compared_stay_a_question(sample_guide):
    # a move between two places, and a yes/no about doing it in both: not comparisons
    for text, attribute in [("我户口在桂城街道现在要迁去祖庙街道，居住证要重新办吗", None),
                            ("我想同时在桂城街道和祖庙街道申请居住证，可以吗", "conditions")]:
        turn = sample_guide.ask(text, attribute, State())
        assert "utter_compare_places" not in [s.response for s in turn.says], text


def test_one_town_name_shared_by_two_towns_is_not_two_places(sample_guide):
    turn = sample_guide.ask("狮山小朋友上户口要咩资料", "materials", State())
    assert "utter_compare_places" not in [s.response for s in turn.says]


def test_one_place_and_no_comparing_words_is_an_ordinary_question(sample_guide):
    # the NLU took these for comparisons: a place's address, a fee question without any place
    turn = sample_guide.compare_places("桂城街道办居住证的窗口在什么位置", State())
    assert "utter_compare_places" not in [s.response for s in turn.says]
    assert "utter_location" in [s.response for s in turn.says]
    turn = sample_guide.compare_places("给车上牌那个注册登记除了税以外还要交什么费用", State())
    assert "utter_compare_which_places" not in [s.response for s in turn.says]
