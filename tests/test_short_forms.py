"""Short forms of the records' own phrases (安评, 法援, 农科院, 微生物所): understood from the loaded
names, with no table, and only where the short form says enough to pick a phrase."""

from __future__ import annotations

import pytest

from index.abbreviations import ShortForms, shortens
from index.analysis import Analyzer

NAMES = ["广东省安全评价机构查询", "省微生物研究所新闻查询", "省农业科学院水稻研究所科技成果查询",
         "法律援助", "高等学校教师资格认定", "残疾人联合会", "省科学院地理研究所", "消费品召回信息"]


@pytest.fixture(scope="module")
def short_forms():
    return ShortForms(NAMES)


@pytest.mark.parametrize("short, phrase", [
    ("安评", "安全评价"), ("法援", "法律援助"), ("高校", "高等学校"), ("教资", "教师资格"),
    ("残联", "残疾人联合会"), ("农科院", "农业科学院"), ("水稻所", "水稻研究所"), ("微生物所", "微生物研究所"),
])
def test_a_short_form_keeps_the_start_of_each_word_and_the_kind_of_body(short_forms, short, phrase):
    assert short_forms.expand(short) == [phrase]


@pytest.mark.parametrize("short", [
    "消息",      # 息 ends 信息, but only the kind of a body (所, 院, 局 …) is kept at the end
    "省科学院",  # a whole word is no initial: 省科学院 is not 省农业科学院
    "省特",      # a level word starts no short form
    "查询",      # a word the names use as it is
])
def test_what_is_no_short_form_stays_as_it_is(short_forms, short):
    assert short_forms.expand(short) == []


def test_a_short_form_could_stand_for_too_many_phrases_is_left_alone():
    many = ShortForms(["安全评价", "安全评估", "安装评定", "安置评审"])
    assert many.expand("安评") == []


def test_the_shortening_rule_reads_words_in_order():
    assert shortens("安评", ("安全", "评价"))
    assert not shortens("评安", ("安全", "评价"))
    assert not shortens("安", ("安全", "评价"))


def test_a_query_reaches_the_phrase_its_short_form_stands_for():
    analyzer = Analyzer(NAMES)
    query = analyzer.query("我们厂要做安评，去哪里查有资质的机构")
    assert "安全评价" in query.corrections
    assert {"安全", "评价"} <= {term for term, _ in query.terms["name"]}
