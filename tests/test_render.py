"""Tests of index.render: the citizen guide and the staff manual, as text and as HTML.

    /work/main/.venv/bin/python -m pytest tests/test_render.py -q

The two real guides of shared/item-standards/examples are the main fixtures; small made-up
records cover missing keys, hostile input and the helpers' edge cases.
"""

from __future__ import annotations

import copy
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from index.render import (
    complaint_text,
    extra_fields,
    fee_text,
    guide_html,
    guide_text,
    legal_basis_text,
    manual_html,
    manual_text,
    materials_lines,
    missing_text,
    phones,
    time_limit_text,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "examples"
RESIDENCE = EXAMPLES / "gdzwfw-guangzhou-panyu-residence-permit-endorsement.json"
BUSINESS = EXAMPLES / "gdzwfw-shenzhen-longgang-individual-business.json"
LINK = "https://example.gov.cn/guide/442106041001"
VIEWS = (guide_text, guide_html, manual_html, manual_text)


# The fixtures `residence` and `business` (fresh copies of the two real guides) are in conftest.py.


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def minimal_record(**changes) -> dict:
    """Only the keys FORMAT.md requires; optional keys (办理流程, 行政复议 …) are absent."""
    record = {
        "事项名称": "测试事项",
        "基本编码": "000000000001",
        "实施编码": "TEST0001",
        "事项类型": "公共服务",
        "行使层级": "县级",
        "行政区划": "广东省测试市测试区",
        "服务对象": ["自然人"],
        "实施主体": "测试区服务中心",
        "办理地点": "测试路1号",
        "办理时间": "工作日9:00-17:00",
        "咨询电话": ["020-11112222"],
        "监督投诉电话": ["12345"],
        "受理条件": "本区居民。",
        "申请材料": [{"序号": 1, "材料名称": "居民身份证", "原件": 1, "必要性": "必要"}],
        "设定依据": [{"法律法规名称": "测试条例"}],
        "收费": "不收费",
        "法定办结时限": "20（工作日）",
        "承诺办结时限": "5（工作日）",
        "到办事现场次数": 1,
    }
    record.update(changes)
    return record


class _TagBalance(HTMLParser):
    """Counts open/close tags so a test can tell the page is well nested."""

    VOID = {"meta", "br", "link", "img", "input", "hr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with open {self.stack[-3:]}")
        else:
            self.stack.pop()


def parse(html: str) -> _TagBalance:
    parser = _TagBalance()
    parser.feed(html)
    parser.close()
    return parser


# --------------------------------------------------------------------------- real examples


@pytest.mark.parametrize("path", [RESIDENCE, BUSINESS], ids=["residence", "business"])
@pytest.mark.parametrize("view", VIEWS, ids=[v.__name__ for v in VIEWS])
def test_real_examples_render_in_all_views(path, view):
    out = view(load(path))
    assert isinstance(out, str) and load(path)["事项名称"] in out


def test_residence_guide_text_shows_body_time_limit_and_phone(residence):
    text = guide_text(residence)
    assert "沙湾街办事站" in text
    assert "5个工作日" in text
    assert "020-84735511" in text
    assert "沙湾街大巷涌路143号" in text
    assert "不收费" in text
    assert "需到办事现场1次" in text


def test_residence_manual_contains_article_16_text(residence):
    for manual in (manual_text(residence), manual_html(residence)):
        assert "第十六条" in manual
        assert "逾期未办理签注手续的，居住证使用功能中止" in manual
        assert "需核验申请人的证明材料原件和现场签名" in manual  # 必须现场办理原因
        assert "授权组织" in manual and "TE4401135000001190" in manual
        assert "广州铁路运输法院" in manual and "广州市番禺区人民政府" in manual


def test_residence_manual_lists_stages_with_time_limits(residence):
    text = manual_text(residence)
    for stage in ("收件", "受理", "审查", "决定", "送达"):
        assert stage in text
    assert "送达方式：电子送达" in text
    html = manual_html(residence)
    assert "<th>岗位</th>" in html and "<th>审查内容</th>" in html


def test_manual_names_articles_without_text(business):
    text = manual_text(business)
    assert "第九条：个体工商户应当向其经营场所所在地的登记机关申请设立登记" in text
    assert "本事项标准未载明以下条款原文：第五条第一款、第二款" in text


def test_business_guide_shows_zero_visits_and_its_five_materials(business):
    text = guide_text(business)
    assert "零跑动" in text
    lines = materials_lines(business)
    assert len(lines) == 5
    assert [line.split(".")[0] for line in lines] == ["1", "2", "3", "4", "5"]
    assert "复印件1份" in lines[1]
    assert lines[4].endswith("非必要")
    assert all(line in text for line in lines)
    html = guide_html(business)
    assert html.count('<td data-label="材料名称">') == 5
    assert "零跑动" in html


def test_string_process_is_shown_as_text(business):
    process = business["办理流程"]
    assert isinstance(process, str)
    assert process in guide_html(business)
    assert process in manual_text(business)


def test_object_process_shows_online_and_offline_steps(residence):
    html = guide_html(residence)
    assert "网上办理" in html and "线下办理" in html
    assert "在粤省事、粤居码微信小程序申请签注居住证" in html


def test_guide_html_shows_extra_keys_as_other_information(business):
    html = guide_html(business)
    other = html[html.index('id="other"'):]
    assert "跨域通办" in other and "跨省通办" in other and "全部境内地区" in other
    assert "业务系统" in other and "金信工程公共服务平台" in other
    assert "<dl" in other and "<ul>" in other  # list of dicts rendered as structure, not repr
    assert "{'" not in html and "_来源" not in html


def test_guide_html_is_a_self_contained_mobile_page(residence):
    html = guide_html(residence)
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="zh-CN">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "<style>" in html
    for external in ("<link", "<script", "src=", "@import", "url("):
        assert external not in html
    page = parse(html)
    assert page.errors == [] and page.stack == []


def test_guide_html_has_all_sections_and_footer(residence):
    html = guide_html(residence)
    for title in ("基本信息", "受理条件", "申请材料", "办理流程", "办理时限", "收费",
                  "办理地点和时间", "咨询与投诉", "设定依据", "其他信息"):
        assert f"<h2>{title}</h2>" in html
    for column in ("材料名称", "原件/复印件", "形式", "必要性", "适用情形"):
        assert f"<th>{column}</th>" in html
    footer = html[html.index("<footer>"):]
    assert "TE44011350000011905442106041001" in footer and "事项版本：4" in footer
    assert '<a href="tel:020-84735511">' in html
    assert "广东省第十三届人民代表大会常务委员会公告第50号" in html


def test_manual_html_is_well_formed(business):
    page = parse(manual_html(business))
    assert page.errors == [] and page.stack == []


def test_rendering_does_not_change_the_record(business):
    before = copy.deepcopy(business)
    for view in VIEWS:
        view(business)
    assert business == before


# --------------------------------------------------------------------------- missing keys


def test_record_missing_optional_keys_renders_and_says_what_is_missing():
    record = minimal_record()
    for view in VIEWS:
        assert "测试事项" in view(record)
    html = guide_html(record)
    assert "本事项标准未载明办理流程" in html
    assert "本事项标准未载明行政复议" in html
    assert "本事项标准未载明办理结果" in html
    manual = manual_text(record)
    assert "本事项标准未载明必须现场办理原因" in manual
    assert "本事项标准未载明办理环节" in manual
    assert "本事项标准未载明实施主体性质" in manual
    # pointing to the record's own enquiry line, not an invented one
    assert "请拨打咨询电话020-11112222确认" in html


def test_missing_required_fields_are_named_not_guessed():
    record = minimal_record()
    for key in ("办理地点", "办理时间", "申请材料", "收费", "承诺办结时限", "法定办结时限",
                "到办事现场次数", "设定依据", "受理条件"):
        del record[key]
    text = guide_text(record)
    assert "办理地点：本事项标准未载明办理地点，请拨打咨询电话020-11112222确认" in text
    assert "本事项标准未载明办理时间" in text
    assert "本事项标准未载明申请材料" in text
    assert "本事项标准未载明收费情况" in text
    assert "本事项标准未载明办结时限" in text
    assert "本事项标准未载明到办事现场次数" in text
    html = guide_html(record)
    assert "本事项标准未载明设定依据" in html and "本事项标准未载明受理条件" in html


def test_nearly_empty_record_renders_in_all_views():
    record = {"事项名称": "空白事项"}
    for view in VIEWS:
        out = view(record)
        assert "空白事项" in out and "本事项标准未载明" in out
    # with no phone at all, point to the window rather than inventing a number
    assert missing_text(record, "办理地点") == "本事项标准未载明办理地点，咨询电话亦未载明，请向办理窗口咨询"


def test_wrongly_shaped_values_do_not_break_rendering():
    record = minimal_record(申请材料="见窗口", 设定依据="某条例", 收费=None, 办理流程=["a", "b"],
                            咨询电话="020-1234567", 行政复议="区政府", 到办事现场次数="0")
    for view in VIEWS:
        view(record)
    assert phones(record, "咨询电话") == ["020-1234567"]
    assert "零跑动" in guide_text(record)


# --------------------------------------------------------------------------- max_chars


@pytest.mark.parametrize("path", [RESIDENCE, BUSINESS], ids=["residence", "business"])
def test_max_chars_is_respected_and_keeps_the_link(path):
    record = load(path)
    full = guide_text(record)
    head = full.splitlines()[0]
    for limit in range(len(LINK) + 8, len(full) + 40, 7):
        short = guide_text(record, max_chars=limit, link=LINK)
        assert len(short) <= limit
        assert LINK in short
        if len(full) + len(LINK) + 4 > limit:
            assert short.endswith("……详见：" + LINK)
            assert short.startswith(head) or limit < len(head) + len(LINK) + 8


def test_max_chars_without_link_ends_with_ellipsis(residence):
    short = guide_text(residence, max_chars=100)
    assert len(short) <= 100 and short.endswith("……")
    assert short.startswith("【签注居住证】广东省广州市番禺区沙湾街道")


def test_short_text_is_not_cut_and_link_is_appended(residence):
    full = guide_text(residence)
    assert guide_text(residence, max_chars=10_000, link=LINK) == f"{full}\n详见：{LINK}"
    assert guide_text(residence, max_chars=10_000) == full


@pytest.mark.parametrize("path", [RESIDENCE, BUSINESS], ids=["residence", "business"])
def test_max_chars_cuts_at_a_line_or_punctuation_not_mid_word(path):
    record = load(path)
    full = guide_text(record)
    suffix = "……详见：" + LINK
    for limit in range(80, len(full), 5):
        body = guide_text(record, max_chars=limit, link=LINK)[: -len(suffix)]
        assert full.startswith(body.rstrip("\n"))
        if not body.endswith("\n"):
            # a partial line stops just before a punctuation mark, or just after a bracket
            assert full[len(body)] in "，。；、：,;" or body[-1] in "）)", (limit, body[-20:])
    assert "办理时间：星期一至星……" not in guide_text(load(RESIDENCE), max_chars=120, link=LINK)


def test_tiny_max_chars_still_never_exceeds_the_limit(residence):
    for limit in range(1, 40):
        assert len(guide_text(residence, max_chars=limit, link=LINK)) <= limit
        assert len(guide_text(residence, max_chars=limit)) <= limit


# --------------------------------------------------------------------------- escaping


def test_html_escapes_untrusted_values():
    record = minimal_record(
        申请材料=[{"序号": 1, "材料名称": "<script>alert(1)</script>", "必要性": "必要"}],
        受理条件='<img src=x onerror="alert(2)">',
        在线办理地址="javascript:alert(3)",
        咨询电话=['"><script>alert(4)</script>'],
        业务系统={"<b>键</b>": ["<i>值</i>"]},
    )
    for page in (guide_html(record), manual_html(record)):
        assert "<script>" not in page and "<img" not in page
        assert 'href="javascript:' not in page
    html = guide_html(record)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;键&lt;/b&gt;" in html and "&lt;i&gt;值&lt;/i&gt;" in html
    assert "<b>" not in html and "<i>" not in html
    assert 'href="tel:"' not in html and 'href="tel:&#34;' not in html


def test_online_address_is_a_link_only_for_http_urls():
    html = guide_html(minimal_record(在线办理地址="https://www.gdzwfw.gov.cn/x?a=1&b=2"))
    assert '<a href="https://www.gdzwfw.gov.cn/x?a=1&amp;b=2"' in html


# --------------------------------------------------------------------------- helpers


def test_materials_filtered_by_situation():
    record = minimal_record(申请材料=[
        {"序号": 2, "材料名称": "授权委托书", "原件": 1, "必要性": "必要", "适用情形": "委托他人代办的"},
        {"序号": 1, "材料名称": "居民身份证", "原件": 1, "复印件": 1, "必要性": "必要"},
        {"序号": 3, "材料名称": "户口簿", "复印件": 1, "必要性": "容缺后补", "适用情形": "家庭经营的"},
    ])
    assert materials_lines(record) == [
        "1. 居民身份证：原件1份、复印件1份",
        "2. 授权委托书（委托他人代办的）：原件1份",
        "3. 户口簿（家庭经营的）：复印件1份；容缺后补",
    ]
    assert materials_lines(record, "委托") == [
        "1. 居民身份证：原件1份、复印件1份",
        "2. 授权委托书（委托他人代办的）：原件1份",
    ]
    assert materials_lines(record, "家庭经营") == [
        "1. 居民身份证：原件1份、复印件1份",
        "2. 户口簿（家庭经营的）：复印件1份；容缺后补",
    ]


def test_materials_lines_when_none_or_missing():
    assert materials_lines(minimal_record(申请材料=[])) == ["本事项无需提交申请材料"]
    record = minimal_record()
    del record["申请材料"]
    assert materials_lines(record)[0].startswith("本事项标准未载明申请材料")


def test_time_limit_text():
    assert time_limit_text({"承诺办结时限": "1（工作日）", "法定办结时限": "20（工作日）"}) == \
        "承诺办结时限：1个工作日（法定：20个工作日）"
    assert time_limit_text({"承诺办结时限": "即办", "法定办结时限": "20个工作日"}) == \
        "承诺办结时限：即办（当场办结）；法定办结时限：20个工作日"
    assert time_limit_text({"承诺办结时限": "10(自然日)", "法定办结时限": "30个自然日"}) == \
        "承诺办结时限：10个自然日（法定：30个自然日）"
    # an unparsable limit is shown as written, never rounded or guessed
    assert "约三天" in time_limit_text({"承诺办结时限": "约三天", "法定办结时限": "20（工作日）"})
    assert time_limit_text({"咨询电话": ["12345"]}).startswith("办结时限：本事项标准未载明办结时限")


def test_fee_text():
    assert fee_text({"收费": "不收费"}) == "不收费"
    assert fee_text({"收费": [{"收费项目": "工本费", "收费标准": "20元/证", "收费依据": "粤价〔2003〕1号"}]}) == \
        "工本费：20元/证（依据：粤价〔2003〕1号）"
    assert fee_text({"咨询电话": ["12345"]}).startswith("本事项标准未载明收费情况")
    html = guide_html(minimal_record(收费=[{"收费项目": "工本费", "收费标准": "20元", "收费依据": "某文件"}]))
    assert "<th>收费依据</th>" in html and "某文件" in html


def test_phones_split_several_numbers_in_one_string(business, residence):
    assert phones(business, "咨询电话") == ["0755-12315", "0755-28908420"]
    assert phones(business, "行政复议") == ["0755-28684113", "0755-83058991"]
    assert phones(residence, "行政诉讼") == ["020-37890824", "020-37890829"]
    assert phones({"x": ["12345 12315", "020 8473 5511"]}, "x") == ["12345", "12315", "020 8473 5511"]
    assert phones({}, "咨询电话") == []


def test_complaint_text(residence):
    text = complaint_text(residence)
    assert text.splitlines()[0] == "监督投诉电话：020-12345"
    assert "行政复议：广州市番禺区人民政府（地址：广州市番禺区市桥街捷进中路9号3座；电话：020-84636756）" in text
    assert "行政诉讼：广州铁路运输法院" in text
    assert complaint_text(minimal_record()) == "监督投诉电话：12345"


def test_legal_basis_text(residence, business):
    assert legal_basis_text(residence).startswith(
        "《广东省流动人口服务管理条例》（广东省第十三届人民代表大会常务委员会公告第50号）第十四条第一款、第二款；"
    )
    assert len(legal_basis_text(business).splitlines()) == 4
    assert legal_basis_text({"咨询电话": ["12345"]}).startswith("本事项标准未载明设定依据")


def test_extra_fields_lists_only_unknown_keys(residence):
    keys = [key for key, _ in extra_fields(residence)]
    assert "业务系统" in keys and "权力来源" in keys
    assert "实施主体" not in keys and "_来源" not in keys
