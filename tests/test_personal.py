"""Personal data: GB 11643 ID numbers, mainland mobiles, masking in free text."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from index.personal import id_check_character, mask, mask_name, valid_id_number, valid_mobile


@pytest.mark.parametrize("number", ["11010519491231002X", "440106199003071231", "11010519491231002x", "１１０１０５１９４９１２３１００２Ｘ"])
def test_valid_id_numbers(number):
    assert valid_id_number(number)


@pytest.mark.parametrize(
    "number",
    [
        "110105194912310021",  # wrong check character
        "11010519491331002X",  # month 13
        "11010519490230002X",  # 30 February
        "11010518491231002X",  # born before 1900
        "1101051949123100",    # too short
        "11010519491231002Y",
        "",
    ],
)
def test_invalid_id_numbers(number):
    assert not valid_id_number(number)


@given(st.from_regex(r"\A[1-6]\d{5}(19[5-9]\d|200\d)(0[1-9]|1[0-2])(0[1-9]|1\d|2[0-8])\d{3}\Z"))
def test_check_character_makes_any_first_17_valid(first17):
    assert valid_id_number(first17 + id_check_character(first17))


@pytest.mark.parametrize("number", ["13800138000", "+8613800138000", "8619912345678", "138 0013 8000", "138-0013-8000"])
def test_valid_mobiles(number):
    assert valid_mobile(number)


@pytest.mark.parametrize("number", ["12800138000", "1380013800", "020-84735511", "138001380001", "abc"])
def test_invalid_mobiles(number):
    assert not valid_mobile(number)


def test_mask_in_free_text():
    assert mask("身份证11010519491231002X，电话13800138000") == "身份证110105********002X，电话138****8000"
    assert mask("+86 138-0013-8000") == "138****8000"
    # Office numbers and codes are not personal data.
    assert mask("咨询电话 020-84735511，实施编码 11440113MB2C1234567442106040001") == "咨询电话 020-84735511，实施编码 11440113MB2C1234567442106040001"
    assert mask_name("欧阳娜娜") == "欧***"


@given(st.text(max_size=200), st.sampled_from(["11010519491231002X", "13800138000"]), st.text(max_size=50))
def test_mask_never_lets_a_number_through(before, number, after):
    # Whatever surrounds it (unless it glues to more digits), the number does not survive.
    if (before[-1:].isalnum() and before[-1:].isascii()) or (after[:1].isalnum() and after[:1].isascii()):
        return
    assert number not in mask(before + " " + number + " " + after)
