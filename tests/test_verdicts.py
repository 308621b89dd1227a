"""Yes or no from the record's own modality words, and nothing when the words do not settle it."""

from __future__ import annotations

import pytest

from actions.reading import parse_detail as _parse_detail
from index.passages import Passage
from index.verdicts import Ask, verdict


def clause(text: str, field: str = "受理条件") -> Passage:
    return Passage(field, f"{field}第1条", text)


@pytest.mark.parametrize(
    "question, form, turned",
    [
        ("离婚了还能补领结婚证吗", "can", False),
        ("是不是一定要先回老家开迁移证", "need", False),
        ("需要他老婆书面同意吗", "need", False),
        ("能全程网上办不用去现场吗", "can", True),
        ("一次有效签注是15块钱吗", "is", False),
    ],
)
def test_a_yes_no_question_is_read_as_can_need_or_is(question, form, turned):
    assert Ask.of(question) == Ask(form, turned)


def test_the_verdict_is_read_after_the_condition_it_depends_on():
    passage = clause("婚姻状况因离婚、丧偶或复婚已发生改变的，不予补发结婚证，可申请出具婚姻登记记录证明。")
    assert verdict(passage, ["离婚", "补领"], Ask("can")) is False


def test_an_exemption_answers_a_need_question_no():
    assert verdict(clause("迁出地通过系统办理迁出，申请人无需到迁出地办理"), ["迁出地"], Ask("need")) is False


def test_a_permission_answers_a_can_question_yes():
    passage = clause("出具：核实无误的出具户籍证明，申请人可在线下载电子证明或选择邮寄纸质证明。")
    assert verdict(passage, ["邮寄"], Ask("can")) is True


def test_a_turned_question_reads_a_requirement_as_no_and_an_exemption_as_yes():
    ask = Ask("can", turned=True)
    assert verdict(clause("需核验申请人身份证件原件并现场签署补发申请", "必须现场办理原因"), ["现场"], ask) is False
    assert verdict(clause("通过粤省事小程序网上申领的可不到现场"), ["现场"], ask) is True


def test_an_amount_in_the_question_is_compared_with_the_record():
    fee = clause("收费项目：往来港澳一次有效签注；收费标准：每件15元", "收费")
    assert verdict(fee, ["一次", "15", "块钱"], Ask("is"), "一次有效签注是15块钱吗") is True
    assert verdict(fee, ["一次", "20", "块"], Ask("is"), "一次有效签注是二十块吗") is False


def test_a_document_name_is_no_verdict():
    passage = clause("发现有犯罪记录的，出具《不予出具无犯罪记录证明通知书》；")
    assert verdict(passage, ["户口", "犯罪"], Ask("can")) is None


def test_an_exclusion_says_no_to_the_group_it_names_and_nothing_to_others():
    passage = clause("年满16周岁（不含在校学生），可以在户籍地参加城乡居民养老保险")
    assert verdict(passage, ["19", "岁", "户籍"], Ask("can")) is None
    assert verdict(passage, ["在校学生"], Ask("can")) is False


def test_a_removal_is_no_exclusion():
    passage = clause("情况紧急的先行救助，紧急情况解除后补齐审核审批手续。", "业务办理项")
    assert verdict(passage, ["紧急", "先", "救助", "补", "材料"], Ask("can")) is not False


def test_clauses_that_disagree_settle_nothing():
    passage = clause("本人可以申请；委托他人代办的，不予受理")
    assert verdict(passage, ["本人", "代办"], Ask("can")) is None


def test_a_material_with_a_situation_is_left_to_the_situation():
    material = Passage("申请材料", "申请材料：配偶同意出售的书面意见",
                       "配偶同意出售的书面意见；必要性：非必要；适用情形：出卖人已婚的；备注：配偶到场签署同意书的，可不另行提交书面意见。")
    assert verdict(material, ["老婆", "同意"], Ask("need")) is None


def test_a_yes_no_flag_field_says_it_outright():
    assert verdict(Passage("是否支持物流快递", "是否支持物流快递", "是", flag=True), ["寄"], Ask("can")) is True


def test_the_question_form_survives_the_slot():
    assert _parse_detail("?n! 现场 网上") == (Ask("need", True), ["现场", "网上"])
    assert _parse_detail("?男朋友 21 岁") == (Ask(), ["男朋友", "21", "岁"])  # written before the form was kept
    assert _parse_detail("男朋友 21 岁") == (None, ["男朋友", "21", "岁"])
