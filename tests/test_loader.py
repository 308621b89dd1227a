"""Tests of index.loader and index.model: reading and checking item-standard files.

    /work/main/.venv/bin/python -m pytest tests/test_loader.py -q

Nothing here touches an index (see test_load_into_index.py for that). The two real guides of
shared/item-standards/examples are the fixtures; bad records are made by copying a real guide
and changing one field, and are written into tmp_path as JSON Lines or JSON arrays.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from index.errors import BatchError, Problem
from index.loader import read_batch, read_text
from index.model import TimeLimit, parse_time_limit

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "examples"
RESIDENCE = EXAMPLES / "gdzwfw-guangzhou-panyu-residence-permit-endorsement.json"
BUSINESS = EXAMPLES / "gdzwfw-shenzhen-longgang-individual-business.json"
ZHONGSHAN = EXAMPLES / "zhongshan-sample.jsonl"
RESIDENCE_CODE = "TE44011350000011905442106041001"
BUSINESS_CODE = "11440300MB2D0970524440125044001"

# Top-level keys FORMAT.md marks as required.
REQUIRED = (
    "事项名称",
    "基本编码",
    "实施编码",
    "事项类型",
    "行使层级",
    "行政区划",
    "服务对象",
    "实施主体",
    "办理地点",
    "办理时间",
    "咨询电话",
    "监督投诉电话",
    "受理条件",
    "申请材料",
    "设定依据",
    "收费",
    "法定办结时限",
    "承诺办结时限",
    "到办事现场次数",
)


# -- helpers ---------------------------------------------------------------------------------------


# The fixtures `residence` and `business` (fresh copies of the two real guides) are in conftest.py.


def variant(record: dict, code: str, **changes) -> dict:
    """A deep copy of a real record under another 实施编码, with top-level keys changed."""
    out = copy.deepcopy(record)
    out["实施编码"] = code
    out.update(changes)
    return out


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def write_array(path: Path, records: list, indent: int | None = 1) -> Path:
    path.write_text(json.dumps(records, ensure_ascii=False, indent=indent), encoding="utf-8")
    return path


def names_line(where: str, line: int) -> bool:
    """``where`` names exactly this line (第 3 行, not 第 13 行)."""
    return re.search(rf"第\s*{line}\s*行", where) is not None


def names_position(where: str, position: int) -> bool:
    return re.search(rf"第\s*{position}\s*条", where) is not None


def line_of(text: str, needle: str) -> int:
    """1-based line of the first occurrence of needle in text."""
    offset = text.index(needle)
    return text.count("\n", 0, offset) + 1


def problems_for(batch, field: str) -> list[Problem]:
    return [p for p in batch.problems if p.field == field]


# -- the real guides -------------------------------------------------------------------------------


def test_real_guides_read_unchanged_with_unknown_keys_kept(residence, business):
    batch = read_batch([RESIDENCE, BUSINESS])

    assert batch.problems == []
    assert batch.ok
    by_code = {located.record["实施编码"]: located for located in batch.records}
    assert set(by_code) == {RESIDENCE_CODE, BUSINESS_CODE}
    # The record handed on is the file's object itself: nothing dropped, renamed or coerced.
    assert by_code[RESIDENCE_CODE].record == residence
    assert by_code[BUSINESS_CODE].record == business
    # Keys FORMAT.md does not list travel with the record, at the top and inside parts.
    assert by_code[BUSINESS_CODE].record["跨域通办"] == business["跨域通办"]
    assert by_code[RESIDENCE_CODE].record["_来源"]["说明"].startswith("广东政务服务网")
    assert by_code[BUSINESS_CODE].record["申请材料"][1]["已关联电子证照"] is True
    assert by_code[RESIDENCE_CODE].record["办理流程"]["环节"][4]["送达方式"] == "电子送达"
    assert by_code[BUSINESS_CODE].record["地方特色主题分类"] == "无"
    # Where each came from is kept for reports.
    assert by_code[RESIDENCE_CODE].file == str(RESIDENCE)
    assert by_code[RESIDENCE_CODE].code == RESIDENCE_CODE


def test_real_guides_as_json_lines_and_array_give_the_same_records(tmp_path, residence, business):
    jsonl = read_batch([write_jsonl(tmp_path / "guides.jsonl", [residence, business])])
    array = read_batch([write_array(tmp_path / "guides.json", [residence, business])])

    assert jsonl.problems == [] and array.problems == []
    assert [r.record for r in jsonl.records] == [residence, business]
    assert [r.record for r in array.records] == [residence, business]


def test_extra_keys_are_never_a_reason_to_refuse(tmp_path, residence):
    record = variant(residence, "EXTRA1", 新字段=[1, {"x": None}], 业务系统=None)
    record["申请材料"][0]["自定义"] = {"嵌套": True}
    record["行政复议"]["传真"] = "020-0000"
    record["设定依据"][0]["备注"] = 7

    batch = read_batch([write_jsonl(tmp_path / "extra.jsonl", [record])])

    assert batch.problems == []
    assert batch.records[0].record == record


def test_optional_keys_may_be_absent(tmp_path, residence):
    record = variant(residence, "OPTIONAL1")
    for key in ("日常用语", "事项版本", "办理流程", "行政复议", "行政诉讼", "办理结果", "事项主题分类", "办理窗口"):
        del record[key]
    for material in record["申请材料"]:
        for key in ("原件", "复印件", "材料形式", "材料类型", "来源渠道", "纸质规格"):
            material.pop(key, None)
    record["设定依据"] = [{"法律法规名称": "广东省流动人口服务管理条例"}]

    batch = read_batch([write_jsonl(tmp_path / "optional.jsonl", [record])])

    assert batch.problems == []
    assert [r.code for r in batch.records] == ["OPTIONAL1"]


# -- file forms ------------------------------------------------------------------------------------


def test_json_array_and_json_lines_both_load(tmp_path, residence, business):
    one, two, three = (variant(residence, f"FORM{i}") for i in (1, 2, 3))
    # JSON Lines with a blank line: the line numbers are the file's, not the record count.
    lines = tmp_path / "items.jsonl"
    lines.write_text(
        json.dumps(one, ensure_ascii=False) + "\n\n" + json.dumps(two, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    array = write_array(tmp_path / "items.json", [three, variant(business, "FORM4")])
    compact = write_array(tmp_path / "compact.json", [variant(business, "FORM5")], indent=None)

    batch = read_batch([lines, array, compact])

    assert batch.problems == []
    located = {r.code: r for r in batch.records}
    assert list(located) == ["FORM1", "FORM2", "FORM3", "FORM4", "FORM5"]
    assert names_line(located["FORM1"].where, 1)
    assert names_line(located["FORM2"].where, 3)
    assert located["FORM2"].file == str(lines)
    text = array.read_text(encoding="utf-8")
    second_start = text.index('{\n  "事项名称": "个体工商户设立登记"')
    assert names_position(located["FORM4"].where, 2)
    assert names_line(located["FORM4"].where, text.count("\n", 0, second_start) + 1)
    assert located["FORM5"].file == str(compact)
    assert located["FORM4"].record == variant(business, "FORM4")


def test_single_pretty_printed_object_file_loads(tmp_path, business):
    # The published guides come one pretty-printed object per file (like the examples).
    path = tmp_path / "one.json"
    path.write_text(json.dumps(variant(business, "SINGLE1"), ensure_ascii=False, indent=2), encoding="utf-8")

    batch = read_batch([path])

    assert batch.problems == []
    assert [r.code for r in batch.records] == ["SINGLE1"]


def test_utf8_with_bom_is_accepted(tmp_path, residence):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + (json.dumps(residence, ensure_ascii=False) + "\n").encode("utf-8"))

    batch = read_batch([path])

    assert batch.problems == []
    assert batch.records[0].record == residence


def test_crlf_line_endings_are_accepted(tmp_path, residence, business):
    path = tmp_path / "crlf.jsonl"
    text = "\r\n".join(json.dumps(r, ensure_ascii=False) for r in (residence, business)) + "\r\n"
    path.write_bytes(text.encode("utf-8"))

    batch = read_batch([path])

    assert batch.problems == []
    assert [r.code for r in batch.records] == [RESIDENCE_CODE, BUSINESS_CODE]
    assert names_line(batch.records[1].where, 2)


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_json_lines_allow_unicode_line_separators_inside_strings(tmp_path, residence, separator):
    # JSON allows U+2028, U+2029 and U+0085 unescaped inside a string, and json.dumps(...,
    # ensure_ascii=False) writes them so; they do not end a JSON Lines record (only \n does).
    first = variant(residence, "SEP1")
    first["受理条件"] += separator + "第二段。"
    second = variant(residence, "SEP2")
    path = write_jsonl(tmp_path / "sep.jsonl", [first, second])
    assert separator in path.read_text(encoding="utf-8")  # really written unescaped

    batch = read_batch([path])

    assert batch.problems == []
    located = {r.code: r for r in batch.records}
    assert located["SEP1"].record == first
    assert names_line(located["SEP2"].where, 2)


# -- missing required keys -------------------------------------------------------------------------


@pytest.mark.parametrize("key", REQUIRED)
def test_missing_required_key_names_file_line_code_and_field(tmp_path, residence, key):
    bad = variant(residence, "MISSING2")
    del bad[key]
    path = write_jsonl(tmp_path / "batch.jsonl", [variant(residence, "GOOD1"), bad, variant(residence, "GOOD3")])

    batch = read_batch([path])

    assert len(batch.problems) == 1, [str(p) for p in batch.problems]
    problem = batch.problems[0]
    assert problem.file == str(path)
    assert names_line(problem.where, 2)
    assert problem.field == key
    assert "缺少" in problem.message
    # The 实施编码 is named when the record has one.
    expected_code = None if key == "实施编码" else "MISSING2"
    assert problem.code == expected_code
    text = str(problem)
    assert str(path) in text and key in text
    if expected_code:
        assert expected_code in text
    # The other records are good and kept in the batch; the bad one is not.
    assert [r.code for r in batch.records] == ["GOOD1", "GOOD3"]
    assert not batch.ok


def test_missing_required_key_in_a_json_array_names_position_and_line(tmp_path, residence, business):
    bad = variant(business, "ARRAYBAD")
    del bad["受理条件"]
    path = write_array(tmp_path / "batch.json", [variant(residence, "A1"), bad])
    text = path.read_text(encoding="utf-8")
    start_line = line_of(text, '"事项名称": "个体工商户设立登记"') - 1  # the '{' of record 2

    batch = read_batch([path])

    [problem] = batch.problems
    assert (problem.file, problem.field, problem.code) == (str(path), "受理条件", "ARRAYBAD")
    assert names_position(problem.where, 2)
    assert names_line(problem.where, start_line)


@pytest.mark.parametrize(
    ("part", "index", "key", "field"),
    [
        ("申请材料", 1, "材料名称", "申请材料[2].材料名称"),
        ("申请材料", 0, "序号", "申请材料[1].序号"),
        ("申请材料", 3, "必要性", "申请材料[4].必要性"),
        ("设定依据", 0, "法律法规名称", "设定依据[1].法律法规名称"),
        ("办理结果", 0, "名称", "办理结果[1].名称"),
    ],
)
def test_missing_required_nested_key_names_the_path(tmp_path, residence, part, index, key, field):
    bad = variant(residence, "NESTED1")
    del bad[part][index][key]
    path = write_jsonl(tmp_path / "nested.jsonl", [bad])

    batch = read_batch([path])

    [problem] = batch.problems
    assert problem.field == field
    assert problem.code == "NESTED1"
    assert "缺少" in problem.message
    assert batch.records == []


def test_every_problem_of_a_record_is_reported(tmp_path, residence):
    bad = variant(residence, "MANY1")
    del bad["办理地点"]
    bad["到办事现场次数"] = "1"
    bad["承诺办结时限"] = "5天"

    batch = read_batch([write_jsonl(tmp_path / "many.jsonl", [bad])])

    assert {p.field for p in batch.problems} == {"办理地点", "到办事现场次数", "承诺办结时限"}
    assert all(p.code == "MANY1" for p in batch.problems)


# -- wrong types and values ------------------------------------------------------------------------


def test_wrong_type_names_the_nested_field(tmp_path, residence):
    bad = variant(residence, "TYPE1")
    bad["申请材料"][1]["材料名称"] = 123
    path = write_jsonl(tmp_path / "types.jsonl", [variant(residence, "TYPE0"), bad])

    batch = read_batch([path])

    [problem] = batch.problems
    assert problem.file == str(path)
    assert names_line(problem.where, 2)
    assert problem.code == "TYPE1"
    assert problem.field == "申请材料[2].材料名称"
    assert "字符串" in problem.message  # what it should be
    assert "整数" in problem.message  # what it was
    assert "申请材料[2].材料名称" in str(problem)
    assert [r.code for r in batch.records] == ["TYPE0"]


@pytest.mark.parametrize(
    ("field", "value", "expected", "actual"),
    [
        ("到办事现场次数", "1", "整数", "字符串"),
        ("到办事现场次数", True, "整数", "布尔"),
        ("到办事现场次数", 1.5, "整数", "小数"),
        ("事项版本", "4", "整数", "字符串"),
        ("事项名称", 42, "字符串", "整数"),
        ("事项名称", None, "字符串", "null"),
        ("服务对象", "自然人", "列表", "字符串"),
        ("咨询电话", "020-84735511", "列表", "字符串"),
        ("申请材料", {"序号": 1}, "列表", "对象"),
        ("行政复议", "广州市番禺区人民政府", "对象", "字符串"),
    ],
)
def test_wrong_top_level_type_says_expected_and_actual(tmp_path, residence, field, value, expected, actual):
    bad = variant(residence, "TYPE2", **{field: value})

    batch = read_batch([write_jsonl(tmp_path / "types.jsonl", [bad])])

    [problem] = batch.problems
    assert problem.field == field
    assert problem.code == "TYPE2"
    assert expected in problem.message
    assert actual in problem.message
    assert batch.records == []


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda r: r["申请材料"][2].__setitem__("序号", "3"), "申请材料[3].序号"),
        (lambda r: r["申请材料"][0].__setitem__("原件", "1"), "申请材料[1].原件"),
        (lambda r: r["设定依据"][0].__setitem__("条款号", "第十八条"), "设定依据[1].条款号"),
        (lambda r: r["设定依据"][0]["条款号"].__setitem__(4, 18), "设定依据[1].条款号[5]"),
        (lambda r: r["日常用语"].append(3), "日常用语[1]"),
        (lambda r: r["行政诉讼"].__setitem__("部门", ["广州铁路运输法院"]), "行政诉讼.部门"),
        (lambda r: r["办理流程"].__setitem__("网上", "在粤省事申请"), "办理流程.网上"),
    ],
)
def test_wrong_nested_type_names_the_path(tmp_path, residence, mutate, field):
    bad = variant(residence, "NESTTYPE")
    mutate(bad)

    batch = read_batch([write_jsonl(tmp_path / "nested.jsonl", [bad])])

    fields = [p.field for p in batch.problems]
    assert field in fields, fields
    assert all(p.code == "NESTTYPE" for p in batch.problems)
    assert batch.records == []


def test_fee_list_with_a_bad_entry_names_the_entry(tmp_path, residence):
    good = variant(residence, "FEE1", 收费=[{"收费项目": "工本费", "收费标准": "20元/证", "收费依据": "粤价〔2011〕1号"}])
    bad = variant(residence, "FEE2", 收费=[{"收费项目": "工本费", "收费标准": 20}])

    batch = read_batch([write_jsonl(tmp_path / "fees.jsonl", [good, bad])])

    assert [r.code for r in batch.records] == ["FEE1"]
    fields = {p.field for p in batch.problems}
    assert "收费[1].收费标准" in fields
    # pydantic's union branch names ('list[Fee]', 'str') never leak into the field path.
    assert all(re.fullmatch(r"[\u4e00-\u9fff]+(\[\d+\])?(\.[\u4e00-\u9fff]+)?", f) for f in fields), fields


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("事项类型", "行政审批"),
        ("行使层级", "区级"),
        ("事项名称", ""),
        ("实施编码", ""),
        ("到办事现场次数", -1),
        ("事项版本", -2),
    ],
)
def test_bad_value_names_the_field(tmp_path, residence, field, value):
    bad = copy.deepcopy(residence)
    bad[field] = value

    batch = read_batch([write_jsonl(tmp_path / "values.jsonl", [bad])])

    [problem] = batch.problems
    assert problem.field == field
    if isinstance(value, str) and value:
        assert value in problem.message  # the offending value is quoted


def test_bad_necessity_names_the_material(tmp_path, residence):
    bad = variant(residence, "NEC1")
    bad["申请材料"][2]["必要性"] = "可选"

    batch = read_batch([write_jsonl(tmp_path / "nec.jsonl", [bad])])

    [problem] = batch.problems
    assert problem.field == "申请材料[3].必要性"
    assert "可选" in problem.message


def test_level_with_ascii_brackets_is_accepted(tmp_path, residence):
    record = variant(residence, "LEVEL1", 行使层级="镇(乡、街道)级")

    batch = read_batch([write_jsonl(tmp_path / "level.jsonl", [record])])

    assert batch.problems == []
    assert batch.records[0].record["行使层级"] == "镇(乡、街道)级"  # kept as written


# -- time limits -----------------------------------------------------------------------------------

GOOD_LIMITS = {
    "20（工作日）": TimeLimit(20, "工作日"),
    "20(工作日)": TimeLimit(20, "工作日"),
    "5（自然日）": TimeLimit(5, "自然日"),
    "3个自然日": TimeLimit(3, "自然日"),
    "15个工作日": TimeLimit(15, "工作日"),
    "0（工作日）": TimeLimit(0, "工作日"),
    "即办": TimeLimit(None, "即办"),
    " 即办 ": TimeLimit(None, "即办"),
    "２０（工作日）": TimeLimit(20, "工作日"),
}
BAD_LIMITS = ["5天", "0.5（工作日）", "三个工作日", "1-3（工作日）", "20", "工作日", "20（小时）", "-1（工作日）", "即时办结", " "]


@pytest.mark.parametrize(("text", "expected"), GOOD_LIMITS.items())
def test_parse_time_limit_accepts_the_published_forms(text, expected):
    assert parse_time_limit(text) == expected


@pytest.mark.parametrize("text", BAD_LIMITS + [""])
def test_parse_time_limit_refuses_anything_else(text):
    with pytest.raises(ValueError):
        parse_time_limit(text)


def test_time_limit_str_is_readable():
    assert str(parse_time_limit("20（工作日）")) == "20个工作日"
    assert str(parse_time_limit("即办")) == "即办"


@pytest.mark.parametrize("field", ["承诺办结时限", "法定办结时限"])
@pytest.mark.parametrize("text", BAD_LIMITS)
def test_unparsable_time_limit(tmp_path, residence, field, text):
    bad = variant(residence, "LIMIT2", **{field: text})
    path = write_jsonl(tmp_path / "limits.jsonl", [variant(residence, "LIMIT1"), bad])

    batch = read_batch([path])

    [problem] = batch.problems
    assert problem.file == str(path)
    assert names_line(problem.where, 2)
    assert problem.code == "LIMIT2"
    assert problem.field == field
    if text.strip():
        assert text in problem.message  # the value that could not be read
    assert "时限" in problem.message
    assert [r.code for r in batch.records] == ["LIMIT1"]


@pytest.mark.parametrize("field", ["承诺办结时限", "法定办结时限"])
def test_empty_time_limit_is_refused(tmp_path, residence, field):
    bad = variant(residence, "LIMITEMPTY", **{field: ""})

    batch = read_batch([write_jsonl(tmp_path / "limits.jsonl", [bad])])

    [problem] = batch.problems
    assert (problem.field, problem.code) == (field, "LIMITEMPTY")
    assert batch.records == []


@pytest.mark.parametrize("text", list(GOOD_LIMITS))
def test_good_time_limits_load(tmp_path, residence, text):
    record = variant(residence, "LIMITOK", 承诺办结时限=text, 法定办结时限=text)

    batch = read_batch([write_jsonl(tmp_path / "limits.jsonl", [record])])

    assert batch.problems == []
    assert batch.records[0].record["承诺办结时限"] == text  # kept as written, not normalised


def test_time_limit_of_the_wrong_type_is_refused(tmp_path, residence):
    bad = variant(residence, "LIMITTYPE", 法定办结时限=5)

    batch = read_batch([write_jsonl(tmp_path / "limits.jsonl", [bad])])

    [problem] = batch.problems
    assert problem.field == "法定办结时限"
    assert "字符串" in problem.message


# -- duplicates ------------------------------------------------------------------------------------


def test_duplicate_code_in_one_batch_across_two_files(tmp_path, residence, business):
    first = write_jsonl(tmp_path / "a.jsonl", [variant(residence, "DUP"), variant(residence, "ONLYA")])
    second = write_array(tmp_path / "b.json", [variant(business, "ONLYB"), variant(business, "DUP")])

    batch = read_batch([first, second])

    [problem] = batch.problems
    assert problem.file == str(second)
    assert names_position(problem.where, 2)
    assert problem.field == "实施编码"
    assert problem.code == "DUP"
    # The message points at the other copy.
    assert str(first) in problem.message
    assert names_line(problem.message, 1)
    # Neither copy is kept: which one was meant is not the loader's to guess.
    assert sorted(r.code for r in batch.records) == ["ONLYA", "ONLYB"]


def test_duplicate_code_within_one_file(tmp_path, residence):
    path = write_jsonl(
        tmp_path / "dup.jsonl",
        [variant(residence, "X"), variant(residence, "Y"), variant(residence, "X"), variant(residence, "X")],
    )

    batch = read_batch([path])

    assert [r.code for r in batch.records] == ["Y"]
    assert len(batch.problems) == 2
    assert {p.code for p in batch.problems} == {"X"}
    assert sorted(int(re.search(r"\d+", p.where).group()) for p in batch.problems) == [3, 4]
    assert all(names_line(p.message, 1) for p in batch.problems)


def test_same_file_twice_is_a_duplicate(tmp_path, residence):
    path = write_jsonl(tmp_path / "twice.jsonl", [residence])

    batch = read_batch([path, path])

    assert batch.records == []
    [problem] = batch.problems
    assert problem.code == RESIDENCE_CODE


# -- broken JSON -----------------------------------------------------------------------------------


def test_broken_json_reports_line_and_column_in_json_lines(tmp_path, residence):
    good1 = json.dumps(variant(residence, "JL1"), ensure_ascii=False)
    broken = json.dumps(variant(residence, "JL2"), ensure_ascii=False)[:-1]  # closing brace lost
    good3 = json.dumps(variant(residence, "JL3"), ensure_ascii=False)
    path = tmp_path / "broken.jsonl"
    path.write_text(f"{good1}\n{broken}\n{good3}\n", encoding="utf-8")

    batch = read_batch([path])

    [problem] = batch.problems
    assert problem.file == str(path)
    assert names_line(problem.where, 2)
    column = re.search(r"第\s*(\d+)\s*列", problem.where)
    assert column, problem.where
    assert int(column.group(1)) == len(broken) + 1  # the end of the line, where the brace is missing
    assert "JSON" in problem.message
    # JSON Lines records are independent: the others are read.
    assert [r.code for r in batch.records] == ["JL1", "JL3"]


def test_broken_json_reports_line_and_column_in_an_array(tmp_path, residence, business):
    path = write_array(tmp_path / "broken.json", [variant(residence, "AR1"), variant(business, "AR2")])
    text = path.read_text(encoding="utf-8")
    good = '"事项名称": "个体工商户设立登记",'
    text = text.replace(good, '"事项名称": 个体工商户设立登记,')  # unquoted string in record 2
    path.write_text(text, encoding="utf-8")
    line = line_of(text, "个体工商户设立登记,")
    line_start = text.rfind("\n", 0, text.index("个体工商户设立登记,")) + 1
    column = text.index("个体工商户设立登记,") - line_start + 1

    batch = read_batch([path])

    [problem] = batch.problems
    assert problem.file == str(path)
    assert re.search(rf"第\s*{line}\s*行第\s*{column}\s*列", problem.where), problem.where
    assert names_position(problem.where, 2)
    assert "JSON" in problem.message


@pytest.mark.parametrize(
    "make_text",
    [
        lambda a, b: f"[{a}\n{b}]",  # comma missing between records
        lambda a, b: f"[{a},\n{b}",  # array not closed
        lambda a, b: f"[{a},\n{b},\n]",  # trailing comma
        lambda a, b: f"[{a},\n{b}]\n{{}}",  # something after the array
    ],
    ids=["missing-comma", "unclosed", "trailing-comma", "trailing-content"],
)
def test_broken_array_structure_is_reported_with_a_line(tmp_path, residence, make_text):
    a = json.dumps(variant(residence, "S1"), ensure_ascii=False)
    b = json.dumps(variant(residence, "S2"), ensure_ascii=False)
    path = tmp_path / "structure.json"
    path.write_text(make_text(a, b), encoding="utf-8")

    batch = read_batch([path])

    assert len(batch.problems) >= 1
    problem = batch.problems[-1]
    assert problem.file == str(path)
    assert names_line(problem.where, 2) or names_line(problem.where, 3), problem.where
    assert problem.field == ""


def test_broken_pretty_printed_object_reports_the_broken_line(tmp_path, residence):
    # A published guide comes as one pretty-printed object (like the examples); a comma lost on
    # one line must be reported at that line, not as one JSON error per line of the file.
    text = json.dumps(variant(residence, "PRETTY1"), ensure_ascii=False, indent=1)
    text = text.replace('"办件类型": "承诺件",', '"办件类型": "承诺件"')
    path = tmp_path / "guide.json"
    path.write_text(text, encoding="utf-8")
    # json reports a missing comma at the next key, the line after the one that lost it.
    expected_line = line_of(text, '"办件类型": "承诺件"') + 1

    batch = read_batch([path])

    assert batch.records == []
    assert 1 <= len(batch.problems) <= 2, f"{len(batch.problems)} problems: {[str(p) for p in batch.problems[:3]]}"
    assert names_line(batch.problems[0].where, expected_line), batch.problems[0].where


# -- encodings, empty files, non-objects -----------------------------------------------------------


def test_non_utf8_file_is_refused(tmp_path, residence):
    path = tmp_path / "gbk.jsonl"
    ascii_line = json.dumps(variant(residence, "ASCII1"), ensure_ascii=True)  # same bytes in GBK
    gbk_line = json.dumps(variant(residence, "GBK2"), ensure_ascii=False)
    path.write_bytes((ascii_line + "\n" + gbk_line + "\n").encode("gbk"))
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # the test file really is not UTF-8

    batch = read_batch([path])

    [problem] = batch.problems
    assert problem.file == str(path)
    assert names_line(problem.where, 2)  # the first line that is not UTF-8
    assert "UTF-8" in problem.message
    # A file in the wrong encoding is refused whole: half of it is not a batch.
    assert batch.records == []


def test_utf16_file_is_refused(tmp_path, residence):
    path = tmp_path / "utf16.jsonl"
    path.write_bytes((json.dumps(residence, ensure_ascii=False) + "\n").encode("utf-16"))

    batch = read_batch([path])

    [problem] = batch.problems
    assert problem.file == str(path)
    assert "UTF-8" in problem.message


@pytest.mark.parametrize("content", [b"", b"   \n\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n"])
def test_empty_file(tmp_path, content):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(content)

    batch = read_batch([path])

    [problem] = batch.problems
    assert problem.file == str(path)
    assert "空" in problem.message
    assert batch.records == []
    assert not batch.ok


def test_missing_file_is_reported(tmp_path, residence):
    good = write_jsonl(tmp_path / "good.jsonl", [residence])
    missing = tmp_path / "no-such-file.jsonl"

    batch = read_batch([missing, good])

    [problem] = batch.problems
    assert problem.file == str(missing)
    assert [r.code for r in batch.records] == [RESIDENCE_CODE]


def test_record_that_is_not_an_object(tmp_path, residence):
    lines = tmp_path / "lines.jsonl"
    lines.write_text(
        "\n".join(
            [
                json.dumps(variant(residence, "OBJ1"), ensure_ascii=False),
                '["事项名称", "签注居住证"]',
                '"签注居住证"',
                "null",
                "42",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    array = tmp_path / "array.json"
    array.write_text(
        "[\n" + json.dumps(variant(residence, "OBJ2"), ensure_ascii=False) + ',\n 42,\n ["x"]\n]', encoding="utf-8"
    )

    batch = read_batch([lines, array])

    assert sorted(r.code for r in batch.records) == ["OBJ1", "OBJ2"]
    line_problems = [p for p in batch.problems if p.file == str(lines)]
    assert [int(re.search(r"第\s*(\d+)\s*行", p.where).group(1)) for p in line_problems] == [2, 3, 4, 5]
    assert ["列表" in line_problems[0].message, "字符串" in line_problems[1].message] == [True, True]
    assert "null" in line_problems[2].message and "整数" in line_problems[3].message
    array_problems = [p for p in batch.problems if p.file == str(array)]
    assert len(array_problems) == 2
    assert names_position(array_problems[0].where, 2) and names_line(array_problems[0].where, 3)
    assert names_position(array_problems[1].where, 3)
    for problem in batch.problems:
        assert "对象" in problem.message
        assert problem.code is None


def test_a_json_array_of_one_file_per_guide_is_not_mistaken_for_json_lines(tmp_path, residence):
    # A top-level array that is itself a single line is a JSON array, not one JSON Lines record.
    path = write_array(tmp_path / "one-line.json", [variant(residence, "ONE1"), variant(residence, "ONE2")], indent=None)
    assert "\n" not in path.read_text(encoding="utf-8")

    batch = read_batch([path])

    assert batch.problems == []
    assert [r.code for r in batch.records] == ["ONE1", "ONE2"]


# -- a real raw export -----------------------------------------------------------------------------


def test_zhongshan_raw_export_loads_mapped_from_the_portal_fields():
    raw_lines = [json.loads(line) for line in ZHONGSHAN.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert "TASK_NAME" in raw_lines[0]  # really the portal's raw field names

    batch = read_batch([ZHONGSHAN])

    # Loaded directly (index.portal maps each record); what the scrape lacks is null, not invented.
    assert batch.problems == []
    assert [r.code for r in batch.records] == [raw["TASK_CODE"] for raw in raw_lines]
    for located, raw in zip(batch.records, raw_lines):
        record = located.record
        assert record["事项名称"] == raw["TASK_NAME"] and record["基本编码"] == raw["CATAID"]
        assert set(REQUIRED) <= set(record)  # every required key present, some of them null
        assert record["设定依据"] is None and record["申请材料"] is None
        # The sample puts office hours into both time-limit fields (they are the 办理时间) and its
        # promised limit into handle_type.
        assert record["法定办结时限"] is None and record["承诺办结时限"] == raw["handle_type"]
        assert record["办理时间"] and "办公时间" not in record["办理时间"]
        assert "不收费" not in record.get("日常用语", [])
        assert record["_portal"]["TASK_CODE"] == raw["TASK_CODE"]


# -- Batch, Problem and BatchError -----------------------------------------------------------------


def test_batch_error_lists_file_record_code_and_field(tmp_path, residence):
    bad = variant(residence, "ERR2", 承诺办结时限="5天")
    path = write_jsonl(tmp_path / "err.jsonl", [variant(residence, "ERR1"), bad])
    batch = read_batch([path])

    with pytest.raises(BatchError) as caught:
        batch.raise_for_problems()

    assert caught.value.problems == batch.problems
    message = str(caught.value)
    for fact in (str(path), "ERR2", "承诺办结时限", "5天"):
        assert fact in message
    assert names_line(message, 2)


def test_good_batch_does_not_raise(tmp_path, residence):
    batch = read_batch([write_jsonl(tmp_path / "ok.jsonl", [residence])])

    batch.raise_for_problems()  # no exception
    assert batch.ok


def test_batch_error_message_is_capped_but_counts_everything():
    problems = [Problem("f.jsonl", f"第 {i} 行", "事项名称", "缺少必填字段") for i in range(1, 61)]

    message = str(BatchError(problems))

    assert message.startswith("60 ")
    assert "第 50 行" in message and "第 51 行" not in message
    assert "10 more" in message


def test_problem_as_dict_and_str():
    problem = Problem("a.jsonl", "第 3 行", "申请材料[2].材料名称", "应为字符串（实际为整数）", "C1")

    assert problem.as_dict() == {
        "file": "a.jsonl",
        "where": "第 3 行",
        "code": "C1",
        "field": "申请材料[2].材料名称",
        "message": "应为字符串（实际为整数）",
    }
    text = str(problem)
    assert text.index("a.jsonl") < text.index("第 3 行") < text.index("C1") < text.index("申请材料[2].材料名称")
    assert "实施编码" not in str(Problem("a.jsonl", "第 3 行", "", "JSON 格式错误"))


def test_progress_is_called_once_per_record(tmp_path, residence, business):
    path = write_jsonl(tmp_path / "p.jsonl", [residence, business, variant(business, "BAD", 收费=3)])
    calls: list[int] = []

    read_batch([path], progress=calls.append)

    assert calls == [1, 1, 1]


def test_read_text_names_the_given_file(residence):
    batch = read_text(json.dumps(variant(residence, "T1", 事项类型="其他"), ensure_ascii=False), "upload.jsonl")

    [problem] = batch.problems
    assert (problem.file, problem.field, problem.code) == ("upload.jsonl", "事项类型", "T1")
