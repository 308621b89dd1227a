"""The conversation's reasoning (actions.guide) on the sample corpus: items, regions, context."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.guide import Guide, State, parse_ordinal
from index.backends.embedded import EmbeddedBackend
from index.loader import read_batch
from index.search import Searcher

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample" / "items.jsonl"


@pytest.fixture(scope="module")
def guide(tmp_path_factory):
    backend = EmbeddedBackend(tmp_path_factory.mktemp("guide"))
    backend.apply(located.record for located in read_batch([SAMPLE]).records)
    yield Guide(Searcher(backend))
    backend.close()


def responses(turn):
    return [say.response for say in turn.says]


def region_of(guide, code):
    return guide.backend.get(code)["行政区划"]


def test_item_in_several_regions_asks_which_region_with_buttons(guide):
    turn = guide.ask("我想办居住证要带什么", "materials", State())
    assert responses(turn) == ["utter_ask_region"]
    assert turn.state.pending_attribute == "materials" and turn.state.item_key == "442106040001"
    assert len(turn.says[0].buttons) == len(turn.state.options) >= 2


def test_region_typed_after_the_question_answers_it(guide):
    asked = guide.ask("我想办居住证要带什么", "materials", State())
    turn = guide.inform_region("桂城", asked.state)
    assert responses(turn) == ["utter_materials"]
    assert region_of(guide, turn.state.item_code) == "广东省佛山市南海区桂城街道"
    assert turn.state.item_code in turn.says[0].values["source"]


@pytest.mark.parametrize("reply,option", [("第二个", None), ("2", None), ("就选这个", "第二个")])
def test_option_picked_by_ordinal_or_button(guide, reply, option):
    asked = guide.ask("我想办居住证要带什么", "materials", State())
    turn = guide.choose(reply, option, asked.state)
    assert responses(turn) == ["utter_materials"]
    assert turn.state.item_code == asked.state.options[1]["value"]


def test_region_in_the_question_answers_directly(guide):
    turn = guide.ask("南海区补办身份证在哪里办", "location", State())
    assert responses(turn) == ["utter_location"]
    record = guide.backend.get(turn.state.item_code)
    assert record["事项名称"] == "居民身份证补领" and record["行政区划"] == "广东省佛山市南海区"
    assert record["办理地点"] in turn.says[0].values["facts"]


def test_town_is_served_by_its_district(guide):
    turn = guide.ask("我在桂城，身份证丢了要多久补好", "time_limit", State())
    assert region_of(guide, turn.state.item_code) == "广东省佛山市南海区"


def test_follow_up_keeps_item_and_place(guide):
    first = guide.ask("南海区补办身份证要带什么材料", "materials", State())
    follow = guide.ask("那要多久？", "time_limit", first.state)
    assert responses(follow) == ["utter_time_limit"]
    assert follow.state.item_code == first.state.item_code


def test_new_item_replaces_the_old_one(guide):
    first = guide.ask("南海区补办身份证要带什么材料", "materials", State())
    second = guide.ask("那驾驶证补领呢要带什么", "materials", first.state)
    assert second.state.item_key == "442901002001"
    # 驾驶证补领 has no 南海区 implementation: the place is kept, and the citizen told so
    assert responses(second) == ["utter_not_in_region", "utter_ask_region"]


def test_correction_switches_to_the_sibling_item(guide):
    first = guide.ask("南海区第一次办身份证要带什么", "materials", State())
    assert first.state.item_key == "442106020001"
    turn = guide.correct("不是这个，我说的是补领", first.state)
    assert turn.state.item_key == "442106020003"
    assert responses(turn) == ["utter_materials"]  # the question asked before carries over


def test_generic_wording_asks_which_item(guide):
    turn = guide.ask("补领", None, State())
    assert responses(turn) == ["utter_ask_which_item"]
    assert len(turn.state.options) >= 2 and all(o["kind"] == "item" for o in turn.state.options)


def test_item_not_in_the_named_region_says_so_and_offers_the_others(guide):
    turn = guide.ask("顺德区驾驶证补领要带什么", "materials", State())
    assert responses(turn) == ["utter_not_in_region", "utter_ask_region"]


def test_single_implementation_needs_no_region(guide, tmp_path):
    backend = EmbeddedBackend(tmp_path)
    backend.apply(located.record for located in read_batch([SAMPLE]).records if located.record["实施编码"].endswith("442108004001") and "佛山" in located.record["行政区划"])
    turn = Guide(Searcher(backend)).ask("回乡证丢了怎么补", "process", State())
    assert responses(turn) == ["utter_process"]


def test_nothing_found_then_offer_a_human(guide):
    first = guide.ask("火星签证怎么办理", None, State())
    assert responses(first) in (["utter_item_not_found"], ["utter_ask_which_item"])
    state = State(misses=1)
    turn = guide.fallback("阿巴阿巴", state)
    assert responses(turn) == ["utter_offer_human"]


def test_question_without_any_item_asks_for_the_item(guide):
    turn = guide.ask("要带什么材料", "materials", State())
    assert responses(turn) == ["utter_ask_item"] and turn.state.pending_attribute == "materials"


def test_missing_field_says_so_and_gives_the_enquiry_phone(guide, tmp_path, panyu):
    record = dict(panyu)
    del record["行政复议"], record["行政诉讼"]
    record.pop("在线办理地址", None)
    backend = EmbeddedBackend(tmp_path)
    backend.apply([record])
    turn = Guide(Searcher(backend)).ask("沙湾签注居住证能网上办吗", "online", State())
    assert responses(turn) == ["utter_field_missing"]
    assert "020-84735511" in turn.says[0].values["facts"]


@pytest.mark.parametrize("text,number", [("第二个", 2), ("选3", 3), ("最后一个", -1), ("第十", 10), ("好的", None)])
def test_ordinals(text, number):
    assert parse_ordinal(text) == number


def test_negated_clause_is_not_searched(guide):
    first = guide.ask("禅城开有限公司要多久", "time_limit", State())
    turn = guide.correct("不是开公司，是开个体户，收费吗", first.state)
    assert turn.state.item_key == "440125044001" and responses(turn) == ["utter_fee"]
