"""Guangdong's administrative divisions: counts, containment, names, finding them in text."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from index import divisions as div

ROOT = div.DATA_FILE.parents[2]


def test_guangdong_has_21_cities_122_counties_and_about_1600_towns():
    levels = [d.level for d in div.all_divisions()]
    assert levels.count("省") == 1
    assert levels.count("市") == 21
    assert levels.count("区") == 122
    assert 1550 <= levels.count("镇") <= 1650


def test_data_file_has_the_documented_shape():
    rows = json.loads(div.DATA_FILE.read_text(encoding="utf-8"))
    assert {tuple(sorted(r)) for r in rows} == {("code", "level", "name", "parent")}
    assert {r["level"] for r in rows} == {"省", "市", "区", "镇"}


def test_codes_are_unique_and_extend_their_parents_code():
    seen = set()
    for d in div.all_divisions():
        assert d.code not in seen
        seen.add(d.code)
        if d.parent_code is None:
            assert d.level == "省"
            continue
        parent = div.by_code(d.parent_code)
        assert parent is not None
        assert div.LEVELS.index(parent.level) < div.LEVELS.index(d.level)
        # 44 → 4406 (city) → 440605 (district) → 440605001 (town)
        prefix = {"省": 2, "市": 4, "区": 6}[parent.level]
        assert d.code[:prefix] == parent.code[:prefix]


def test_town_belongs_to_its_district_city_and_province():
    guicheng = div.by_full_name("广东省佛山市南海区桂城街道")
    assert guicheng is not None and guicheng.level == "镇"
    assert [a.name for a in div.ancestors(guicheng)] == ["广东省", "佛山市", "南海区"]
    assert guicheng.parent_code == div.by_full_name("广东省佛山市南海区").code
    assert guicheng in div.children(guicheng.parent_code)


def test_dongguan_and_zhongshan_towns_hang_directly_under_the_city():
    humen = div.by_full_name("广东省东莞市虎门镇")
    guzhen = div.by_full_name("广东省中山市古镇镇")
    assert [a.name for a in div.ancestors(humen)] == ["广东省", "东莞市"]
    assert [a.name for a in div.ancestors(guzhen)] == ["广东省", "中山市"]
    assert len(div.children(div.by_full_name("广东省东莞市").code)) == 32
    assert len(div.children(div.by_full_name("广东省中山市").code)) == 23


def test_children_of_foshan_are_its_five_districts():
    foshan = div.by_full_name("广东省佛山市")
    assert sorted(d.name for d in div.children(foshan.code)) == sorted(["禅城区", "南海区", "顺德区", "三水区", "高明区"])
    assert div.children(None) == (div.by_code("440000"),)
    assert div.ancestors(div.by_code("440000")) == []


def test_sample_regions_all_exist():
    for name in [
        "广东省佛山市顺德区大良街道", "广东省佛山市顺德区容桂街道", "广东省佛山市顺德区乐从镇",
        "广东省佛山市南海区狮山镇", "广东省佛山市南海区大沥镇", "广东省佛山市禅城区祖庙街道",
        "广东省佛山市禅城区张槎街道", "广东省广州市番禺区沙湾街道", "广东省广州市天河区石牌街道",
        "广东省深圳市龙岗区龙城街道",
    ]:
        assert div.by_full_name(name) is not None, name


def test_by_full_name_accepts_the_name_without_province_and_returns_none_for_unknown():
    assert div.by_full_name("佛山市南海区") is div.by_full_name("广东省佛山市南海区")
    assert div.by_full_name("广东省佛山市火星区") is None
    assert div.by_full_name("") is None


@pytest.mark.parametrize(
    "full_name, short",
    [
        ("广东省佛山市", "佛山"),
        ("广东省佛山市南海区", "南海"),
        ("广东省佛山市南海区桂城街道", "桂城"),
        ("广东省江门市台山市", "台山"),
        ("广东省汕头市南澳县", "南澳"),
        ("广东省韶关市乳源瑶族自治县", "乳源"),
        ("广东省清远市连山壮族瑶族自治县", "连山"),
        ("广东省清远市阳山县秤架瑶族乡", "秤架"),
        ("广东省中山市古镇镇", "古镇"),
        ("广东省", "广东"),
    ],
)
def test_short_name_strips_the_administrative_suffix(full_name, short):
    assert div.by_full_name(full_name).short_name == short


@pytest.mark.parametrize(
    "full_name",
    [
        "广东省深圳市福田区福田街道",  # 福田 is the 区
        "广东省湛江市赤坎区中山街道",  # 中山 is the city
        "广东省清远市连州市三水瑶族乡",  # 三水 is 佛山's 区
        "广东省中山市东区街道",  # 东区 is a word, not a name
        "广东省汕尾市城区",  # 城 alone would be one character
    ],
)
def test_short_name_is_the_full_name_when_stripping_would_mislead(full_name):
    d = div.by_full_name(full_name)
    assert d.short_name == d.name


def test_find_resolves_foshan_nanhai_guicheng_most_specific_first():
    found = div.find("佛山南海桂城")
    assert [d.full_name for d in found] == ["广东省佛山市南海区桂城街道", "广东省佛山市南海区", "广东省佛山市"]


def test_find_keeps_every_town_of_a_shared_name_when_the_text_does_not_say_which():
    found = div.find("桂城办居住证")
    assert sorted(d.full_name for d in found) == ["广东省佛山市南海区桂城街道", "广东省肇庆市鼎湖区桂城街道"]
    # …and the caller can tell them apart by their ancestors.
    assert {div.ancestors(d)[1].name for d in found} == {"佛山市", "肇庆市"}


def test_find_takes_the_longest_name_at_each_position():
    assert [d.name for d in div.find("在南海区办")] == ["南海区"]
    assert [d.full_name for d in div.find("广东省佛山市南海区桂城街道")] == ["广东省佛山市南海区桂城街道"]
    assert [d.name for d in div.find("东莞虎门")] == ["虎门镇", "东莞市"]
    assert div.find("没有地名的句子") == []


def test_nothing_is_loaded_at_import_time():
    code = "import index.divisions as d; print(d._load.cache_info().currsize)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"
