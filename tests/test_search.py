"""Search from citizens' wording: analysis, regions, grouping, and the embedded backend."""

from __future__ import annotations

import pytest

from index import analysis, bm25
from index.backends.embedded import EmbeddedBackend
from index.search import Searcher, UnknownRegion


@pytest.fixture
def searcher(tmp_path, mini_corpus):
    backend = EmbeddedBackend(tmp_path)
    backend.apply(mini_corpus)
    yield Searcher(backend)
    backend.close()


def first(result):
    return result.groups[0].item_key if result.groups else None


def test_traditional_and_fullwidth_are_folded():
    assert analysis.normalize("辦理護照？ＡＢＣ") == "办理护照?abc"


def test_cantonese_is_read_as_mandarin():
    assert analysis.fold_dialect("身份证唔见咗喺边度补") == "身份证丢了在哪里补"


def test_attribute_words_are_taken_out_and_reported():
    rest, attributes = analysis.take_attributes("办护照要带什么材料要多久")
    assert attributes == ["materials", "time_limit"]
    assert "材料" not in rest and "多久" not in rest and "办护照" in rest


def test_colloquial_name_finds_the_item(searcher):
    assert first(searcher.search("我想办暂住证")) == "442106040001"


def test_synonym_and_situation_pick_the_right_id_card_item(searcher):
    assert first(searcher.search("身份证过期了怎么换")) == "442106020002"
    assert first(searcher.search("身份证唔见咗点算")) == "442106020003"


def test_attribute_words_do_not_drown_the_item(searcher):
    result = searcher.search("个体户营业执照要带什么材料多久能拿到")
    assert first(result) == "440125044001"
    assert result.attributes == ["materials", "time_limit"]


def test_typo_and_homophone_are_corrected(searcher):
    assert first(searcher.search("居往证签注")) == "442106041001"  # 往 for 住: a typo
    assert first(searcher.search("居住正签注")) == "442106041001"  # 正 for 证: same sound


def test_traditional_query(searcher):
    assert first(searcher.search("簽註居住證要什麼資料")) == "442106041001"


def test_same_base_code_comes_back_as_one_item_with_its_regions(searcher):
    result = searcher.search("居住证签注")
    group = result.groups[0]
    assert group.item_key == "442106041001"
    assert {h.region for h in group.hits} == {"广东省广州市番禺区沙湾街道", "广东省佛山市南海区桂城街道"}
    assert len({g.item_key for g in result.groups}) == len(result.groups)


def test_region_in_text_boosts_its_implementations(searcher):
    result = searcher.search("南海签注居住证")
    assert result.region.full_name == "广东省佛山市南海区" and result.region_source == "text"
    top = result.groups[0].hits[0]
    assert top.code == "X0001" and top.region_match == "within"


def test_town_belongs_to_its_district_city_and_province(searcher):
    # A 区-level implementation serves a citizen who names a town of that district.
    result = searcher.search("桂城补办身份证")
    assert result.groups[0].hits[0].code == "X0005"
    assert result.groups[0].hits[0].region_match == "serves"


def test_region_filter_narrows(searcher):
    result = searcher.search("补办身份证", region="深圳市")
    assert [h.code for g in result.groups for h in g.hits] == ["X0006"]


def test_unknown_region_filter_is_an_error(searcher):
    with pytest.raises(UnknownRegion):
        searcher.search("补办身份证", region="火星市")


def test_query_with_no_item_words_finds_nothing(searcher):
    result = searcher.search("在哪里办要带什么材料")
    assert result.groups == [] and result.attributes == ["location", "materials"]


def test_item_loaded_later_is_found_without_restart(tmp_path, mini_corpus, panyu):
    backend = EmbeddedBackend(tmp_path, refresh_seconds=0)
    backend.apply(mini_corpus)
    reader = Searcher(EmbeddedBackend(tmp_path, refresh_seconds=0))
    assert first(reader.search("高龄津贴")) != "443101004001"
    new = dict(panyu, 事项名称="高龄老人津贴申领", 基本编码="443101004001", 实施编码="X0100", 日常用语=["长寿金"])
    backend.apply([new])
    assert first(reader.search("长寿金怎么领")) == "443101004001"


def test_saved_index_is_reused_and_rebuilt_when_stale(tmp_path, mini_corpus):
    EmbeddedBackend(tmp_path).apply(mini_corpus)
    saved = (tmp_path / "search-index.pkl").stat().st_mtime_ns
    assert first(Searcher(EmbeddedBackend(tmp_path)).search("换身份证")) == "442106020002"
    assert (tmp_path / "search-index.pkl").stat().st_mtime_ns == saved
    (tmp_path / "search-index.pkl").write_bytes(b"garbage")
    assert first(Searcher(EmbeddedBackend(tmp_path)).search("换身份证")) == "442106020002"


def test_lucene_length_encoding_matches_smallfloat():
    # Values from Lucene's TestSmallFloat: lengths up to 23 are exact, then 4 significant bits.
    assert [bm25.encoded_length(n) for n in (0, 1, 23, 24, 25, 40)] == [0, 1, 23, 24, 25, 40]
    assert bm25.encoded_length(100) == 96
    assert bm25.int_to_byte4(2**31 - 1) == 255
    assert all(bm25.encoded_length(n) <= n for n in range(0, 5000, 7))


def test_idf_is_lucene_bm25_idf():
    assert bm25.idf(1, 1) == pytest.approx(0.2876820724517809)
    assert bm25.idf(3, 100) == pytest.approx(3.3624, abs=1e-4)
