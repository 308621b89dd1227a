"""Tests of raw 广东政务服务网 exports: detection, the field map, null for what is not published.

    /work/main/.venv/bin/python -m pytest tests/test_portal.py -q

Small hand-made raw records exercise each mapping rule of index.portal (the field map is
shared/item-standards/portal-export/README.md); the real export of 2,262 records is loaded when
the shared folder is present.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from index import render
from index.backends.embedded import EmbeddedBackend
from index.cli import main
from index.errors import Problem
from index.loader import read_batch
from index.model import validate_record
from index.portal import SOURCE, from_portal, is_portal_record

ROOT = Path(__file__).resolve().parent.parent
ZHONGSHAN = ROOT / "data" / "examples" / "zhongshan-sample.jsonl"
SAMPLE = ROOT / "data" / "sample" / "items.jsonl"
REAL_EXPORT = Path("/work/shared/item-standards/portal-export/gd-portal-2021.jsonl")

# One line of the real export (gd-portal-2021.jsonl, line 1), as published.
RAW = {
    "_id": {"$oid": "60ae6f94e995f7e541f057f2"},
    "TASK_CODE": "11440000006939756B2440101007000",
    "ORGCODE": "006939756",
    "TASK_TYPE_TEXT": "行政许可",
    "CATANAME": "临时价格干预范围事项提价申报",
    "DEPT_NAME": "广东省发展和改革委员会",
    "AREA_CODE_TEXT": "广东省",
    "TASK_NAME": "临时价格干预范围事项提价申报",
    "subTaskName": None,
    "CATAID": "440101007000",
    "URL": "https://www.gdzwfw.gov.cn/gaio/apply.html#/11440000006939756B2440101007000",
    "AREACODE": "440000",
    "matter_short": "无",
    "matter_daily": "无",
    "matter_level": "省级",
    "visit_number": "0",
    "co_department": "无",
    "handle_location": "办理地点：广州市越秀区东风中路305号5号楼808房",
    "handle_time": "30(工作日)",
    "handle_time_limit": "7(工作日)",
    "matter_type": "行政许可",
    "accept_standard": "《广东省实施〈中华人民共和国价格法〉办法》第二十九条规定……",
    "consult_phone": "020-34121084",
    "courier_service": "是",
    "bear_paltform": "广东省政务服务网统一申办平台",
    "complain_phone": "020-83134173",
    "online_book": "是",
    "online_book_addr": "无",
    "district": "省级",
    "theme_category": ["其他"],
    "service_object_name": ["自然人", "企业法人", "事业法人", "社会组织法人", "非法人企业", "行政机关", "其他组织"],
    "material_intro": ["提价申报申请报告"],
}

# Office hours where the time limits belong, as in the 中山 sample.
HOURS = "办公时间：周一至周五：上午9：00至12：00，下午13：30至17：00，法定节假日除外"


def raw(code: str = RAW["TASK_CODE"], **changes) -> dict:
    out = copy.deepcopy(RAW)
    out["TASK_CODE"] = code
    for key, value in changes.items():
        if value is ABSENT:
            out.pop(key, None)
        else:
            out[key] = value
    return out


ABSENT = object()


def mapped(**changes) -> dict:
    record = from_portal(raw(**changes), "t.jsonl", "第 1 行")
    assert isinstance(record, dict), [str(p) for p in record]
    validate_record(record)  # every mapped record is a valid record of the format
    return record


def problems(**changes) -> list[Problem]:
    result = from_portal(raw(**changes), "t.jsonl", "第 3 行")
    assert isinstance(result, list), result
    return result


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


# -- detection -------------------------------------------------------------------------------------


def test_portal_records_are_told_from_records_of_the_format(residence):
    assert is_portal_record(RAW)
    assert is_portal_record({"TASK_NAME": "x", "DEPT_NAME": "y"})
    assert not is_portal_record(residence)
    # A record of the format that kept a raw key as an extra is still a record of the format.
    assert not is_portal_record({**residence, "TASK_CODE": "X"})
    assert not is_portal_record({"name": "x"})
    assert not is_portal_record(["TASK_NAME"])


# -- identity and classification -------------------------------------------------------------------


def test_identity_fields_map_to_the_format():
    record = mapped()
    assert record["事项名称"] == "临时价格干预范围事项提价申报"
    assert record["实施编码"] == "11440000006939756B2440101007000"
    assert record["基本编码"] == "440101007000"
    assert record["事项类型"] == "行政许可"
    assert record["行使层级"] == "省级"
    assert record["行政区划"] == "广东省"
    assert record["实施主体"] == "广东省发展和改革委员会"
    assert record["事项主题分类"] == ["其他"]


def test_item_type_falls_back_to_matter_type():
    assert mapped(TASK_TYPE_TEXT=ABSENT, matter_type="公共服务")["事项类型"] == "公共服务"


@pytest.mark.parametrize(("level", "expected"), [("镇级", "镇（乡、街道）级"), ("乡镇级", "镇（乡、街道）级"),
                                                 ("市级", "市级"), ("村级", "村（社区）级")])
def test_level_spelling_is_normalized(level, expected):
    assert mapped(matter_level=level)["行使层级"] == expected


def test_region_gets_the_province_when_missing():
    assert mapped(AREA_CODE_TEXT="中山市")["行政区划"] == "广东省中山市"
    assert mapped(AREA_CODE_TEXT="广东省广州市")["行政区划"] == "广东省广州市"


def test_audience_maps_the_portal_spelling_and_keeps_unknown_ones():
    record = mapped()
    assert record["服务对象"] == ["自然人", "企业法人", "事业单位法人", "社会组织法人", "非法人企业", "行政机关", "其他组织"]
    assert "事业法人" not in record["服务对象"]


@pytest.mark.parametrize("field", ["TASK_CODE", "TASK_NAME", "CATAID", "DEPT_NAME", "AREA_CODE_TEXT", "matter_level"])
def test_a_missing_identity_field_refuses_the_record_naming_the_portal_field(field):
    found = problems(**{field: ABSENT})
    assert [p.field for p in found] == [field]
    assert "缺少" in found[0].message
    assert found[0].where == "第 3 行"
    assert found[0].code == (None if field == "TASK_CODE" else RAW["TASK_CODE"])


def test_aliases_drop_none_the_name_and_fee_words():
    record = mapped(matter_short="提价申报、临时价格干预范围事项提价申报，无", matter_daily="价格 干预;提价申报")
    assert record["日常用语"] == ["提价申报", "价格", "干预"]
    # 中山's matter_short '不收费' is a shifted column, not a name.
    assert "日常用语" not in mapped(matter_short="不收费", matter_daily="无")
    assert "日常用语" not in mapped()


def test_sub_item_becomes_a_situation_when_published():
    assert "业务办理项" not in mapped()
    assert "业务办理项" not in mapped(subTaskName="无")
    assert mapped(subTaskName="初次申请")["业务办理项"] == [{"名称": "初次申请"}]
    assert mapped(subTaskName="（个人）")["业务办理项"] == [{"名称": "个人"}]


# -- where, when, phones ---------------------------------------------------------------------------


def test_location_loses_its_prefix():
    assert mapped()["办理地点"] == "广州市越秀区东风中路305号5号楼808房"
    assert mapped(handle_location="办理地点:  中山市东区博爱六路22号")["办理地点"] == "中山市东区博爱六路22号"
    assert mapped(handle_location="无")["办理地点"] is None
    # Said by the portal for online-only items: kept as published.
    assert mapped(handle_location="无线下办理窗口")["办理地点"] == "无线下办理窗口"


def test_time_limits_are_kept_when_they_parse():
    record = mapped()
    assert (record["法定办结时限"], record["承诺办结时限"]) == ("30(工作日)", "7(工作日)")
    assert record["办理时间"] is None  # not published by the portal


def test_time_limit_none_is_null():
    record = mapped(handle_time="无", handle_time_limit=ABSENT)
    assert record["法定办结时限"] is None and record["承诺办结时限"] is None
    assert "法定办结时限" in record and "承诺办结时限" in record


def test_office_hours_in_the_time_limits_become_the_hours():
    record = mapped(handle_time=HOURS, handle_time_limit=HOURS)
    assert record["法定办结时限"] is None and record["承诺办结时限"] is None
    assert record["办理时间"] == "周一至周五：上午9：00至12：00，下午13：30至17：00，法定节假日除外"
    text = render.guide_text(record)
    assert "办理时间：周一至周五" in text
    assert "办结时限：本事项标准未载明办结时限" in text


def test_a_shifted_export_keeps_its_time_limit_from_handle_type():
    # the 中山 export: the hours in both time fields, the limit in handle_type
    record = mapped(handle_time=HOURS, handle_time_limit=HOURS, handle_type="1 (工作日)")
    assert record["承诺办结时限"] == "1 (工作日)" and record["法定办结时限"] is None
    assert record["办理时间"].startswith("周一至周五")
    assert "承诺办结时限：1个工作日" in render.guide_text(record)
    # a handle_type that is not a limit, or a record that publishes its limits, is left alone
    assert mapped(handle_time=HOURS, handle_time_limit=HOURS, handle_type="即办件")["承诺办结时限"] is None
    assert mapped(handle_type="1 (工作日)")["法定办结时限"] == RAW["handle_time"]


def test_unparsable_time_limit_refuses_the_record_naming_the_portal_field():
    [problem] = problems(handle_time="三十天")
    assert problem.field == "handle_time"
    assert "无法解析的办结时限" in problem.message and "三十天" in problem.message
    assert problem.code == RAW["TASK_CODE"]
    assert str(problem).startswith("t.jsonl, 第 3 行 (实施编码 11440000006939756B2440101007000): handle_time: 无法解析的办结时限")
    [problem] = problems(handle_time_limit="1-3(工作日)")
    assert problem.field == "handle_time_limit"


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("020-34121084", ["020-34121084"]),
        ("020-12345", ["020-12345"]),
        ("020-38807710；020-83627551", ["020-38807710", "020-83627551"]),
        ("020-83133283、83134746", ["020-83133283", "83134746"]),
        ("020-83730850，020-83805040", ["020-83730850", "020-83805040"]),
        ("020-86350683,12348", ["020-86350683", "12348"]),
        ("020-37288041/020-37288891", ["020-37288041", "020-37288891"]),
        ("020-86350683或拨打12348", ["020-86350683", "12348"]),
        ("12345 12315", ["12345", "12315"]),
        ("020-8923 2806", ["020-8923 2806"]),
        ("020- 83835328", ["020-83835328"]),
        ("020－81102000", ["020-81102000"]),
        ("（0662）3681111", ["(0662)3681111"]),
        ("020-38356454转1", ["020-38356454转1"]),
        ("投诉电话:020-81838976；", ["020-81838976"]),
    ],
)
def test_phones_are_split_into_whole_numbers(text, numbers):
    record = mapped(consult_phone=text, complain_phone=text)
    assert record["咨询电话"] == numbers
    assert record["监督投诉电话"] == numbers
    assert render.phones(record, "咨询电话") == numbers  # the views read them the same way


def test_phone_text_that_says_more_is_kept_beside_the_numbers():
    text = "省厅：020-86351219、020-86351130；广州：020-83100130；深圳：0755-88127587"
    record = mapped(consult_phone=text)
    assert record["咨询电话"] == ["020-86351219", "020-86351130", "020-83100130", "0755-88127587"]
    assert record["咨询方式"] == text
    paragraph = ("窗口咨询地址：广州市政民路51号。咨询电话号码：020-86351132。实施机关咨询网址："
                 "http://www.gdsf.gov.cn/。电子邮箱：441472514@qq.com。邮政编码：510405。受理时间：上午08：30-12:00")
    record = mapped(complain_phone=paragraph)
    assert record["监督投诉电话"] == ["020-86351132"]  # not the e-mail, the post code or the hours
    assert record["监督投诉方式"] == paragraph
    assert "咨询方式" not in mapped()


def test_phone_none_is_null():
    record = mapped(consult_phone="无", complain_phone=ABSENT)
    assert record["咨询电话"] is None and record["监督投诉电话"] is None
    assert "本事项标准未载明咨询电话" in render.guide_text(record)


# -- conditions, materials, fees -------------------------------------------------------------------


@pytest.mark.parametrize("value", ["无", "无。", "查", "。", ""])
def test_conditions_of_one_character_or_none_are_null(value):
    assert mapped(accept_standard=value)["受理条件"] is None


def test_conditions_are_kept():
    assert mapped(accept_standard="无条件受理")["受理条件"] == "无条件受理"


def test_materials_are_numbered_and_necessary():
    record = mapped(material_intro=["居民身份证", " 户口簿 ", "无"])
    assert record["申请材料"] == [
        {"序号": 1, "材料名称": "居民身份证", "必要性": "必要"},
        {"序号": 2, "材料名称": "户口簿", "必要性": "必要"},
    ]


@pytest.mark.parametrize("value", ["无", ABSENT, None, ["无"]])
def test_unpublished_materials_are_null_not_an_empty_list(value):
    record = mapped(material_intro=value)
    assert "申请材料" in record and record["申请材料"] is None
    assert render.materials_lines(record)[0].startswith("本事项标准未载明申请材料")


def test_an_empty_material_list_says_there_are_none():
    record = mapped(material_intro=[])
    assert record["申请材料"] == []
    assert render.materials_lines(record) == ["本事项无需提交申请材料"]


@pytest.mark.parametrize(("charge", "fee"), [("不收费", "不收费"), ("无", None), ("频率变更", None), (ABSENT, None)])
def test_fee_is_free_only_when_the_source_says_so(charge, fee):
    assert mapped(charge=charge)["收费"] == fee


def test_unpublished_required_keys_are_null():
    record = mapped()
    assert record["设定依据"] is None and record["收费"] is None and record["办理时间"] is None
    assert "设定依据" in record and "收费" in record and "办理时间" in record


def test_visits_are_an_integer():
    assert mapped(visit_number="2")["到办事现场次数"] == 2
    assert mapped(visit_number=1)["到办事现场次数"] == 1
    assert mapped(visit_number="无")["到办事现场次数"] is None
    [problem] = problems(visit_number="两次")
    assert problem.field == "visit_number" and "整数" in problem.message


# -- online, platform, source ----------------------------------------------------------------------


def test_online_booking_delivery_and_platform():
    record = mapped(online_book_addr="http://crjyw.gzjd.gov.cn/ydyysq/index.do", courier_service="不支持", online_book="否")
    assert record["在线办理地址"] == RAW["URL"]
    assert record["在线预约地址"] == "http://crjyw.gzjd.gov.cn/ydyysq/index.do"
    assert record["是否支持物流快递"] == "否" and record["是否支持预约办理"] == "否"
    assert record["办理平台"] == "广东省政务服务网统一申办平台"
    defaults = mapped()
    assert "在线预约地址" not in defaults  # 无 is not a URL
    assert defaults["是否支持物流快递"] == "是" and defaults["是否支持预约办理"] == "是"
    assert "在线预约地址" not in mapped(online_book_addr="/rmpc/qsyy/index")
    assert "在线办理地址" not in mapped(URL=None)
    assert "办理平台" not in mapped(bear_paltform="无")


def test_co_department_when_published():
    assert "联办机构" not in mapped()
    assert mapped(co_department="省级司法（审核）、市级司法（受理,审核）")["联办机构"] == "省级司法（审核）、市级司法（受理,审核）"


def test_raw_record_and_source_are_kept():
    record = mapped()
    assert record["数据来源"] == SOURCE
    assert record["_portal"] == {k: v for k, v in RAW.items() if k != "_id"}
    origin = {"repo": "x/y", "origin": "scraped from 中山市网上办事大厅"}
    assert mapped(_source=origin)["数据来源"] == f"{SOURCE}；scraped from 中山市网上办事大厅"


def test_no_value_is_invented():
    # Every string of the mapped record (outside _portal and 数据来源) is a raw value or a piece of one.
    record = mapped(material_intro=["居民身份证"], charge="不收费")
    raw_text = json.dumps(RAW, ensure_ascii=False) + "居民身份证不收费"
    for key, value in record.items():
        if key.startswith("_") or key in ("数据来源", "服务对象", "申请材料"):
            continue
        for piece in value if isinstance(value, list) else [value]:
            if isinstance(piece, str):
                assert piece in raw_text, (key, piece)


# -- the model: null is "unpublished", absent is an error ------------------------------------------


NULLABLE = ("服务对象", "办理地点", "办理时间", "咨询电话", "监督投诉电话", "受理条件", "申请材料",
            "设定依据", "收费", "法定办结时限", "承诺办结时限", "到办事现场次数")


@pytest.mark.parametrize("key", NULLABLE)
def test_model_accepts_null_in_a_required_key(residence, key):
    validate_record({**residence, key: None})


@pytest.mark.parametrize("key", NULLABLE)
def test_model_still_refuses_an_absent_required_key(residence, key):
    del residence[key]
    with pytest.raises(ValidationError):
        validate_record(residence)


@pytest.mark.parametrize("key", ["事项名称", "基本编码", "实施编码", "事项类型", "行使层级", "行政区划", "实施主体"])
def test_model_refuses_null_in_an_identity_key(residence, key):
    with pytest.raises(ValidationError):
        validate_record({**residence, key: None})


def test_model_keeps_checking_values_that_are_there(residence):
    for key, value in (("承诺办结时限", "5天"), ("事项类型", "行政审批"), ("到办事现场次数", -1), ("咨询电话", "020")):
        with pytest.raises(ValidationError):
            validate_record({**residence, key: value})


# -- rendering null fields -------------------------------------------------------------------------


def test_every_view_says_what_the_record_does_not_state():
    record = mapped(handle_location="无", consult_phone="无", complain_phone="无", accept_standard="无",
                    visit_number="无", handle_time="无", handle_time_limit="无", material_intro="无",
                    service_object_name="无")
    manual = ("设定依据", "收费情况", "办结时限", "受理条件", "到办事现场次数")
    shown = {
        render.guide_text: ("办理地点", "办理时间", "收费情况", "申请材料", "办结时限", "到办事现场次数", "咨询电话"),
        render.guide_html: ("办理地点", "办理时间", "设定依据", "收费情况", "申请材料", "办结时限", "受理条件",
                            "到办事现场次数", "服务对象", "咨询电话", "监督投诉电话"),
        render.manual_text: manual,
        render.manual_html: manual,
    }
    for view, whats in shown.items():
        text = view(record)
        assert "None" not in text, view
        for what in whats:
            assert f"本事项标准未载明{what}" in text, (view.__name__, what)
    # Without a 咨询电话, the sentence sends the citizen to the body instead.
    assert "请向实施主体广东省发展和改革委员会咨询" in render.guide_text(record)


def test_the_other_fields_are_shown_under_other_information():
    html = render.guide_html(mapped())
    assert "办理平台" in html and "数据来源" in html and "_portal" not in html


# -- the loader ------------------------------------------------------------------------------------


def test_a_file_may_mix_families(tmp_path, residence):
    path = write_jsonl(tmp_path / "mixed.jsonl", [residence, raw("P1"), raw("P2", handle_time="三十天"), raw("P3")])

    batch = read_batch([path])

    assert [r.code for r in batch.records] == [residence["实施编码"], "P1", "P3"]
    [problem] = batch.problems
    assert (problem.file, problem.where, problem.code, problem.field) == (str(path), "第 3 行", "P2", "handle_time")
    assert "无法解析的办结时限" in problem.message
    assert batch.records[1].record["事项名称"] == RAW["TASK_NAME"]  # the mapped record, not the raw one


def test_model_problems_of_a_portal_record_name_the_portal_field(tmp_path):
    path = write_jsonl(tmp_path / "bad.jsonl", [raw("T1", TASK_TYPE_TEXT="行政审批"), raw("T2", matter_level="乡级街道")])

    batch = read_batch([path])

    assert batch.records == []
    by_code = {p.code: p for p in batch.problems}
    assert by_code["T1"].field == "TASK_TYPE_TEXT" and "事项类型" in by_code["T1"].message
    assert by_code["T2"].field == "matter_level" and "行使层级" in by_code["T2"].message


def test_a_raw_record_without_code_is_refused(tmp_path):
    batch = read_batch([write_jsonl(tmp_path / "x.jsonl", [{"TASK_NAME": "x", "DEPT_NAME": "y"}])])
    assert batch.records == []
    assert "TASK_CODE" in {p.field for p in batch.problems}


def test_duplicate_task_codes_are_reported_like_any_duplicate(tmp_path):
    path = write_jsonl(tmp_path / "dup.jsonl", [raw("D1"), raw("D2"), raw("D1")])

    batch = read_batch([path])

    assert [r.code for r in batch.records] == ["D2"]
    [problem] = batch.problems
    assert (problem.field, problem.code, problem.where) == ("实施编码", "D1", "第 3 行")
    assert "重复" in problem.message


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "cli-data"
    monkeypatch.setenv("GUIDE_DATA_DIR", str(path))
    for name in ("ELASTICSEARCH_URL", "GUIDE_INDEX_ELASTICSEARCH_URL", "GUIDE_INDEX_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    return path


def stored(data_dir: Path) -> dict[str, dict]:
    store = EmbeddedBackend(data_dir)
    try:
        return {record["实施编码"]: record for record in store.iter_records()}
    finally:
        store.close()


def test_command_line_loads_mapped_records_and_partial_skips_the_bad_one(data_dir, tmp_path, capsys):
    path = write_jsonl(tmp_path / "portal.jsonl", [raw("C1"), raw("C2", handle_time="三十天"), raw("C3", handle_time=HOURS)])

    assert main(["load", str(path)]) == 1  # all or nothing by default
    assert "handle_time" in capsys.readouterr().err
    assert main(["load", "--partial", str(path)]) == 1
    err = capsys.readouterr().err
    assert "C2" in err and "handle_time: 无法解析的办结时限" in err

    records = stored(data_dir)
    assert sorted(records) == ["C1", "C3"]
    # The stored record is the mapped one (the command line reads the file twice).
    assert records["C1"]["办理地点"] == "广州市越秀区东风中路305号5号楼808房"
    assert records["C3"]["办理时间"].startswith("周一至周五") and records["C3"]["法定办结时限"] is None


def test_zhongshan_sample_loads():
    batch = read_batch([ZHONGSHAN])
    assert batch.problems == []
    assert len(batch.records) == 16
    for located in batch.records:
        # its columns are shifted: the hours in the time fields, the promised limit in handle_type
        assert located.record["办理时间"] and located.record["承诺办结时限"] in ("1 (工作日)", "5 (工作日)")


# -- the real export -------------------------------------------------------------------------------


@pytest.fixture
def real_export() -> Path:
    if not REAL_EXPORT.exists():
        pytest.skip(f"{REAL_EXPORT} is not here (the project's shared item-standards folder)")
    return REAL_EXPORT


def test_real_export_loads_every_record(real_export):
    batch = read_batch([real_export])

    assert [str(p) for p in batch.problems] == []
    assert len(batch.records) == 2262
    by_code = {r.code: r.record for r in batch.records}
    record = by_code["11440000006939756B2440101007000"]
    assert record["办理地点"] == "广州市越秀区东风中路305号5号楼808房"
    assert record["法定办结时限"] == "30(工作日)" and record["申请材料"][0]["材料名称"] == "提价申报申请报告"
    assert all(not str(r["办理地点"] or "").startswith("办理地点") for r in by_code.values())
    assert sum(r["申请材料"] is None for r in by_code.values()) == 1446  # material_intro 无


def test_real_export_loads_with_the_sample_through_the_command_line(real_export, data_dir, capsys):
    code = main(["load", "--replace", str(SAMPLE), str(real_export), "--json"])

    out = capsys.readouterr().out
    assert code == 0, out[-2000:]
    report = json.loads(out.strip().splitlines()[-1])
    assert report["added"] == 2262 + 217 and report["total"] == 2479 and report["problems"] == []
