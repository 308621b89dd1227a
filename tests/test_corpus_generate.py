"""The corpus: implementing bodies, the sample build, the scale generator."""

from __future__ import annotations

import copy
import inspect
import io
import json
from collections import Counter
from pathlib import Path

import pytest

from index import divisions as div
from index.corpus import bodies
from index.corpus.bodies import AREA_CODES, DEPARTMENTS, SAMPLE_REGIONS, body_for, is_valid_uscc
from index.corpus.build import (
    COMMON_ITEMS,
    KEY_ORDER,
    Prepared,
    TemplateError,
    build,
    load_templates,
    main as build_main,
    write_jsonl,
)
from index.corpus import generate as generate_module
from index.corpus.generate import generate, phase_sizes

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_FILE = ROOT / "data" / "sample" / "items.jsonl"


def small_template(base="442106041001", name="签注居住证", dept="公安户政", level="镇", subs=2) -> dict:
    """A minimal but complete template (what CATALOGUE.md asks of one)."""
    return {
        "基本编码": base,
        "事项名称": name,
        "_部门": dept,
        "_层级": level,
        "_窗口": "居住证业务窗口",
        "日常用语": ["居住证年审"],
        "事项类型": "公共服务",
        "服务对象": ["自然人"],
        "事项主题分类": ["证件办理"],
        "业务办理项": [
            {"名称": f"情形{i}", "编码": f"{base}{i:02d}", "说明": f"第{i}种情形"} for i in range(1, subs + 1)
        ],
        "申请内容": "居住证签注。",
        "受理条件": "在居住地连续居住的居住证持有人。",
        "申请材料": [
            {"序号": 1, "材料名称": "居住证", "原件": 1, "复印件": 0, "材料形式": "纸质/电子化",
             "必要性": "必要", "材料类型": "证件证书证明", "来源渠道": "政府部门核发"},
        ],
        "设定依据": [{"法律法规名称": "广东省流动人口服务管理条例", "条款号": ["第十六条"]}],
        "收费": "不收费",
        "法定办结时限": "5（工作日）",
        "承诺办结时限": "5（工作日）",
        "办件类型": "承诺件",
        "到办事现场次数": 1,
        "必须现场办理原因": "核验原件。",
        "办理形式": "窗口办理",
        "网办深度": "III级",
        "办理结果": [{"名称": "签注居住证", "类型": "证照"}],
        "办理流程": {"网上": ["申请"], "线下": ["受理"], "环节": [{"环节": "受理", "时限": "1个工作日"}]},
    }


@pytest.fixture(scope="module")
def templates() -> list[dict]:
    found = load_templates()
    if not found:
        pytest.skip("no templates in index/corpus/templates yet")
    return found


@pytest.fixture(scope="module")
def sample(templates) -> list[dict]:
    return list(build(templates))


def region_of(full_name: str):
    d = div.by_full_name(full_name)
    assert d is not None, full_name
    return d


# ---- bodies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "region, dept, name",
    [
        ("广东省佛山市南海区", "公安户政", "佛山市公安局南海分局"),
        ("广东省佛山市南海区", "公安出入境", "佛山市公安局南海分局"),
        ("广东省佛山市南海区", "人社", "佛山市南海区人力资源和社会保障局"),
        ("广东省佛山市南海区", "医保", "佛山市医疗保障局南海分局"),
        ("广东省佛山市", "公积金", "佛山市住房公积金管理中心"),
        ("广东省佛山市南海区", "公积金", "佛山市住房公积金管理中心南海管理部"),
        ("广东省佛山市南海区", "市场监管", "佛山市南海区市场监督管理局"),
        ("广东省佛山市南海区", "税务", "国家税务总局佛山市南海区税务局"),
        ("广东省佛山市南海区", "不动产", "佛山市南海区不动产登记中心"),
        ("广东省佛山市南海区", "民政婚姻", "佛山市南海区民政局"),
        ("广东省佛山市南海区", "卫健", "佛山市南海区卫生健康局"),
        ("广东省佛山市南海区", "公安交警", "佛山市公安局交通警察支队南海大队"),
        ("广东省佛山市南海区", "残联", "佛山市南海区残疾人联合会"),
        ("广东省佛山市南海区", "教育", "佛山市南海区教育局"),
        ("广东省佛山市南海区", "住建", "佛山市南海区住房城乡建设和水利局"),
        ("广东省佛山市南海区", "自然资源", "佛山市自然资源局南海分局"),
        ("广东省佛山市南海区桂城街道", "人社", "佛山市南海区桂城街道党群服务中心"),
        ("广东省佛山市南海区桂城街道", "民政", "佛山市南海区桂城街道办事处"),
        ("广东省佛山市南海区狮山镇", "卫健", "佛山市南海区狮山镇人民政府"),
        ("广东省广州市天河区", "公安户政", "广州市公安局天河区分局"),
        ("广东省广州市", "公积金", "广州住房公积金管理中心"),
        ("广东省深圳市福田区", "公安交警", "深圳市公安局交通警察局福田大队"),
        ("广东省深圳市龙岗区", "市场监管", "深圳市市场监督管理局龙岗监管局"),
        ("广东省江门市台山市", "公安户政", "台山市公安局"),
        ("广东省江门市台山市", "税务", "国家税务总局台山市税务局"),
        ("广东省东莞市虎门镇", "民政", "东莞市虎门镇人民政府"),
        ("广东省中山市", "教育", "中山市教育和体育局"),
    ],
)
def test_body_names_follow_each_citys_conventions(region, dept, name):
    assert body_for(region_of(region), dept).实施主体 == name


def test_published_bodies_keep_their_published_codes_and_places():
    shawan = body_for(region_of("广东省广州市番禺区沙湾街道"), "公安户政")
    assert (shawan.实施主体, shawan.实施主体编码, shawan.实施主体性质) == ("沙湾街办事站", "TE4401135000001190", "授权组织")
    assert shawan.咨询电话 == ("020-84735511",)
    assert shawan.复议.as_dict() == {"部门": "广州市番禺区人民政府", "地址": "广州市番禺区市桥街捷进中路9号3座", "电话": "020-84636756"}
    assert shawan.诉讼.name == "广州铁路运输法院"
    assert shawan.实施编码("442106041001") == "TE44011350000011905442106041001"
    longgang = body_for(region_of("广东省深圳市龙岗区"), "市场监管")
    assert longgang.实施编码("440125044001") == "11440300MB2D0970524440125044001"
    assert longgang.办理地点.startswith("深圳市龙岗区龙城街道龙翔大道8033-1号")
    assert longgang.诉讼.name == "深圳市盐田区人民法院"


def test_every_body_in_guangdong_has_one_code_place_and_phone_per_name():
    by_name: dict[str, tuple] = {}
    by_code: dict[str, str] = {}
    offices: dict[str, bodies.Office] = {}
    for d in div.all_divisions():
        if d.level == "省":
            continue
        for dept in DEPARTMENTS:
            b = body_for(d, dept)
            identity = (b.实施主体编码, b.办理地点, b.咨询电话, b.行政区划, b.行使层级, b.实施主体性质)
            assert by_name.setdefault(b.实施主体, identity) == identity, b.实施主体
            assert by_code.setdefault(b.实施主体编码, b.实施主体) == b.实施主体, b.实施主体编码
            for office in (b.复议, b.诉讼):  # a government or court has one address too
                assert offices.setdefault(office.name, office) == office, office.name
    assert len(by_name) > 5000


def test_body_codes_are_valid_unified_social_credit_codes():
    assert is_valid_uscc("11440300MB2D097052")  # published (深圳 龙岗)
    assert not is_valid_uscc("11440300MB2D097053")
    for d in list(div.all_divisions())[1:400]:
        for dept in ("公安户政", "公积金", "残联", "人社"):
            code = body_for(d, dept).实施主体编码
            assert code.startswith("TE") or is_valid_uscc(code), code
    station = body_for(region_of("广东省佛山市南海区桂城街道"), "公安户政", station=7)
    assert is_valid_uscc(station.实施主体编码) and station.行使层级 == "村（社区）级"


def test_phones_use_the_citys_area_code_and_complaints_go_to_12345():
    for city in (d for d in div.all_divisions() if d.level == "市"):
        area = AREA_CODES[city.code]
        for d in (city, *div.children(city.code)[:3]):
            b = body_for(d, "人社")
            assert b.监督投诉电话 == (f"{area}-12345",)
            assert all(p.startswith(f"{area}-") for p in b.咨询电话), (d.full_name, b.咨询电话)
            assert b.复议.phone.startswith(area) or b.复议.phone.startswith("020")


def test_review_goes_to_the_government_and_tax_to_the_upper_tax_bureau():
    nanhai = region_of("广东省佛山市南海区")
    assert body_for(nanhai, "公安户政").复议.name == "佛山市南海区人民政府"
    assert body_for(nanhai, "税务").复议.name == "国家税务总局佛山市税务局"
    assert body_for(region_of("广东省佛山市"), "税务").复议.name == "国家税务总局广东省税务局"
    assert body_for(region_of("广东省佛山市"), "公积金").复议.name == "佛山市人民政府"
    town = body_for(region_of("广东省佛山市南海区桂城街道"), "民政")
    assert town.复议.name == "佛山市南海区人民政府"
    assert body_for(region_of("广东省韶关市乐昌市"), "教育").复议.name == "乐昌市人民政府"
    assert body_for(region_of("广东省东莞市虎门镇"), "人社").诉讼.name == "东莞市第一人民法院"


def test_town_centre_acts_for_the_county_body():
    centre = body_for(region_of("广东省佛山市南海区桂城街道"), "公安户政")
    assert centre.实施主体性质 == "受委托组织"
    assert centre.委托部门 == "佛山市公安局南海分局"
    assert body_for(region_of("广东省佛山市南海区桂城街道"), "民政").委托部门 is None


def test_implementation_code_is_body_code_level_digit_and_base_code():
    fields = body_for(region_of("广东省佛山市南海区"), "公安户政").fields("442106020002", "户政窗口")
    assert fields["实施编码"] == fields["实施主体编码"] + "4" + "442106020002"
    assert fields["在线办理地址"] == "https://www.gdzwfw.gov.cn/portal/v2/guide/" + fields["实施编码"]
    assert fields["办理窗口"] == "佛山市南海区行政服务中心户政窗口"
    city = body_for(region_of("广东省佛山市"), "公积金").实施编码("442401001001")
    town = body_for(region_of("广东省佛山市南海区桂城街道"), "人社").实施编码("442201005001", 3)
    assert city[18] == "3" and town[18] == "5" and town.endswith("44220100500103")


def test_sample_regions_table_names_real_divisions():
    for full_name in SAMPLE_REGIONS:
        assert div.by_full_name(full_name) is not None, full_name
    assert [d.name for d in bodies.sample_divisions("市")] == ["佛山市", "广州市", "深圳市"]


# ---- templates and the sample corpus ----------------------------------------------------------


def test_load_templates_rejects_an_unknown_department_naming_the_item(tmp_path):
    bad = small_template()
    bad["_部门"] = "外星人管理"
    (tmp_path / "t.json").write_text(json.dumps([bad], ensure_ascii=False), encoding="utf-8")
    with pytest.raises(TemplateError, match=r"t\.json\[1\] \(442106041001 签注居住证\): _部门"):
        load_templates(tmp_path)


def test_load_templates_rejects_a_duplicate_base_code(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps([small_template()]), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps([small_template()]), encoding="utf-8")
    with pytest.raises(TemplateError, match="already in a.json"):
        load_templates(tmp_path)


def test_record_drops_template_keys_and_follows_format_order():
    template = small_template()
    template["办理地点"] = "a template must not say this"  # the assembler's key wins
    body = body_for(region_of("广东省佛山市南海区桂城街道"), "公安户政")
    record = Prepared(template).record(body)
    assert not any(k.startswith("_") for k in record)
    assert record["办理地点"] == body.办理地点
    assert list(record) == [k for k in KEY_ORDER if k in record]
    assert record["实施编码"] == body.实施主体编码 + "5442106041001"
    assert 1 <= record["事项版本"] <= 4
    # Records never share mutable parts with each other.
    other = Prepared(template).record(body)
    other["申请材料"][0]["材料名称"] = "changed"
    assert record["申请材料"][0]["材料名称"] == "居住证"


def test_build_cli_writes_one_json_line_per_record(tmp_path):
    (tmp_path / "t.json").write_text(json.dumps([small_template(), small_template("442106040001", "居住证申领")]), encoding="utf-8")
    out = tmp_path / "out" / "items.jsonl"
    assert build_main(["--templates", str(tmp_path), "--out", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    # Both are common 镇 items: 3 佛山 镇街 + 2 elsewhere each, and 签注居住证 also at 沙湾,
    # where its published guide comes from.
    assert len(records) == 11
    assert "签注居住证" in lines[0]  # UTF-8, not \\u escapes
    assert any(r["实施主体"] == "沙湾街办事站" for r in records)  # pinned to the published guide


def test_sample_corpus_has_150_records_and_common_items_in_4_regions(templates, sample):
    assert len(sample) >= 150
    regions = Counter()
    for record in sample:
        regions[record["基本编码"]] += 1
    present = {t["基本编码"] for t in templates}
    for base in present:
        assert regions[base] >= 2, base
    for base in COMMON_ITEMS & present:
        assert regions[base] >= 4, base


def test_sample_corpus_codes_are_unique_and_levels_match_the_catalogue(templates, sample):
    codes = [r["实施编码"] for r in sample]
    assert len(codes) == len(set(codes))
    level_of = {t["基本编码"]: t["_层级"] for t in templates}
    for r in sample:
        assert r["实施编码"] == r["实施主体编码"] + {"市级": "3", "县级": "4", "镇（乡、街道）级": "5"}[r["行使层级"]] + r["基本编码"]
        expected = {"市": {"市级", "县级"}, "区": {"县级"}, "镇": {"镇（乡、街道）级"}}[level_of[r["基本编码"]]]
        assert r["行使层级"] in expected
        assert r["行政区划"] in SAMPLE_REGIONS


def test_sample_file_is_the_current_build(sample):
    if not SAMPLE_FILE.exists():
        pytest.fail("data/sample/items.jsonl is missing: run python -m index.corpus.build")
    on_disk = [json.loads(line) for line in SAMPLE_FILE.read_text(encoding="utf-8").splitlines()]
    assert on_disk == sample, "data/sample/items.jsonl is stale: run python -m index.corpus.build"


def test_sample_records_are_valid_item_standards(sample):
    model = pytest.importorskip("index.model")
    for record in sample:
        model.validate_record(record)


# ---- the generator ---------------------------------------------------------------------------


def test_generate_streams_records():
    stream = generate(5, templates=[small_template()])
    assert inspect.isgenerator(stream)
    assert len(list(stream)) == 5


def test_generate_is_deterministic():
    tiny = [small_template(), small_template("442201005001", "社会保障卡申领", "人社", "区")]
    first = list(generate(3000, seed=7, templates=tiny))
    again = list(generate(3000, seed=7, templates=copy.deepcopy(tiny)))
    other = list(generate(3000, seed=8, templates=tiny))
    assert first == again
    assert [r["实施编码"] for r in first] != [r["实施编码"] for r in other]


def test_generate_goes_down_a_level_then_sub_items_then_stations(monkeypatch):
    tiny = [small_template(level="镇", subs=2), small_template("442201005001", "社会保障卡申领", "人社", "区", subs=0)]
    own, down, subs, station = phase_sizes(tiny)
    towns = sum(1 for d in div.all_divisions() if d.level == "镇")
    counties = sum(1 for d in div.all_divisions() if d.level == "区") + 2  # 东莞, 中山
    assert (own, down, subs, station) == (towns + counties, towns, 2 * towns, 2 * towns)
    records = list(generate(own + down + subs + 100, seed=1, templates=tiny))
    codes = [r["实施编码"] for r in records]
    assert len(codes) == len(set(codes))
    levels = Counter(r["行使层级"] for r in records)
    assert levels["村（社区）级"] == 100
    assert levels["市级"] == 2  # 东莞 and 中山 implement 区 items at the 市
    sub = next(r for r in records if "业务办理项编码" in r)
    assert len(sub["实施编码"]) == 33 and len(sub["业务办理项"]) == 1
    # With one round of stations, a single 镇 item without sub-items runs out after 2 × towns.
    monkeypatch.setattr(generate_module, "_MAX_STATIONS", 1)
    with pytest.raises(ValueError, match=f"only {2 * towns} distinct implementations"):
        list(generate(10**7, templates=[small_template(subs=0)]))


def test_generated_records_are_valid_item_standards(templates):
    model = pytest.importorskip("index.model")
    for i, record in enumerate(generate(40_000, seed=3)):
        if i % 97 == 0:
            model.validate_record(record)


@pytest.mark.slow
def test_generated_codes_are_unique_at_100k(templates):
    seen: set[str] = set()
    count = 0
    for record in generate(100_000, seed=0):
        seen.add(record["实施编码"])
        count += 1
        assert record["行政区划"].startswith("广东省")
    assert count == 100_000
    assert len(seen) == 100_000


def test_write_jsonl_writes_utf8_lines():
    buf = io.StringIO()
    assert write_jsonl(generate(3, templates=[small_template()]), buf) == 3
    lines = buf.getvalue().splitlines()
    assert len(lines) == 3 and all(json.loads(line)["事项名称"] == "签注居住证" for line in lines)
    assert "签注居住证" in lines[0]

