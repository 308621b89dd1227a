"""The scale corpus from a portal export's own items (index/corpus/portal_names.py): thousands
of different items, each record valid, none claiming to be the portal's own."""

from __future__ import annotations

import json

import pytest

from index.corpus.generate import generate, scale_templates
from index.corpus.portal_names import DEFAULT_EXPORT, GENERATED_NOTE, line_of_business, portal_templates
from index.loader import read_batch

RAW = {
    "TASK_CODE": "11440000006939756B2440101007000", "TASK_TYPE_TEXT": "行政许可", "DEPT_NAME": "广东省公安厅",
    "AREA_CODE_TEXT": "广东省", "TASK_NAME": "{name}", "CATAID": "{base}", "matter_level": "省级",
    "matter_short": "无", "matter_daily": "{alias}", "handle_location": "办理地点：广州市越秀区某路1号",
    "handle_time": "30(工作日)", "handle_time_limit": "7(工作日)", "matter_type": "行政许可",
}


def raw(name: str, base: str, alias: str = "无") -> dict:
    return {k: v.format(name=name, base=base, alias=alias) if isinstance(v, str) else v for k, v in RAW.items()}


def write(path, records):
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")


def test_one_template_per_distinct_item_with_codes_of_their_own(tmp_path):
    export = tmp_path / "export.jsonl"
    write(export, [raw("护照签发", "442106001000", "办护照"), raw("护照签发", "442106001000"),  # the same item twice
                   raw("往来港澳通行证签发", "442106001000"), raw("机动车驾驶证换证", "442106009000")])
    templates = portal_templates(export)
    assert [t["事项名称"] for t in templates] == ["护照签发", "往来港澳通行证签发", "机动车驾驶证换证"]
    assert len({t["基本编码"] for t in templates}) == 3  # two items under one catalogue code are told apart
    assert templates[0]["日常用语"] == ["办护照"]  # the export's own everyday name is kept
    assert [t["_部门"] for t in templates] == ["公安出入境", "公安出入境", "公安交警"]
    assert all(t["_层级"] == "市" for t in templates)


def test_a_body_of_no_known_line_gets_one_by_a_stable_hash():
    assert line_of_business("广东省发展和改革委员会", "临时价格干预范围事项提价申报") == \
        line_of_business("广东省发展和改革委员会", "临时价格干预范围事项提价申报")
    assert line_of_business("广东省医疗保障局", "异地就医备案") == "医保"


def test_generated_records_are_valid_distinct_and_say_they_are_generated(tmp_path):
    export = tmp_path / "export.jsonl"
    write(export, [raw(f"事项{n}", f"4421060{n:02d}000") for n in range(30)])
    records = list(generate(500, templates=portal_templates(export)))
    assert len({r["实施编码"] for r in records}) == 500
    assert len({r["事项名称"] for r in records}) == 30
    assert all(r["数据来源"] == GENERATED_NOTE for r in records)
    out = tmp_path / "items.jsonl"
    write(out, records)
    read_batch([out], keep=False).raise_for_problems()


@pytest.mark.skipif(not DEFAULT_EXPORT.exists(), reason="the portal export of ../shared is not on this machine")
def test_the_default_scale_corpus_holds_the_exports_two_thousand_items():
    templates, source = scale_templates()
    assert source == str(DEFAULT_EXPORT) and len(templates) > 2000
    names = {r["事项名称"] for r in generate(20_000, templates=templates)}
    assert len(names) > 2000  # not 60 names over and over


def test_the_authored_templates_on_request():
    templates, source = scale_templates(authored=True)
    assert len(templates) == 60 and source.endswith("templates")
