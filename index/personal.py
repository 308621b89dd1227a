"""Personal data: check it before keeping it, mask it before showing or logging it.

    >>> from index.personal import valid_id_number, valid_mobile, mask
    >>> valid_id_number("11010519491231002X"), valid_mobile("13800138000")
    (True, True)
    >>> mask("我的身份证 11010519491231002X，手机 13800138000")
    '我的身份证 110105********002X，手机 138****8000'

ID numbers follow GB 11643-1999 (18 characters, ISO 7064 MOD 11-2 check character); mobiles are
mainland numbers (11 digits starting 1[3-9]), with or without +86.
"""

from __future__ import annotations

import re
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_MOBILE_SHAPE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")
# In free text: an 18-character ID number or an 11-digit mobile not inside a longer number.
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９ＸｘＸ", "0123456789XXX")


def normalize_id_number(text: str) -> str:
    return re.sub(r"\s", "", text.translate(_FULLWIDTH_DIGITS)).upper()


def id_check_character(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]


def valid_id_number(text: str) -> bool:
    """An 18-character ID number with a real birth date and the right check character."""
    number = normalize_id_number(text)
    if not _ID_SHAPE.match(number):
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if born.year < 1900 or born > date.today():
        return False
    return id_check_character(number[:17]) == number[17]


def normalize_mobile(text: str) -> str:
    digits = re.sub(r"[\s-]", "", text.translate(_FULLWIDTH_DIGITS))
    return digits[-11:] if _MOBILE_SHAPE.match(digits) else digits


def valid_mobile(text: str) -> bool:
    return bool(_MOBILE_SHAPE.match(re.sub(r"[\s-]", "", text.translate(_FULLWIDTH_DIGITS))))


def mask_id_number(number: str) -> str:
    number = normalize_id_number(number)
    return number[:6] + "*" * 8 + number[14:] if len(number) == 18 else "*" * len(number)


def mask_mobile(number: str) -> str:
    digits = normalize_mobile(number)
    return digits[:3] + "****" + digits[-4:] if len(digits) == 11 else "*" * len(digits)


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: enough for a person to recognise their own draft."""
    return name[:1] + "*" * (len(name) - 1) if name else name


def find_id_number(text: str) -> str | None:
    """The first valid ID number in free text (身份证号11010519491231002x → '11010519491231002X')."""
    for match in _ID_IN_TEXT.finditer(_fold_digits(text)):
        if valid_id_number(match.group()):
            return normalize_id_number(match.group())
    return None


def find_mobile(text: str) -> str | None:
    """The first valid mobile in free text (我手机 138 0013 8000 → '13800138000')."""
    for match in _MOBILE_IN_TEXT.finditer(_fold_digits(text)):
        if valid_mobile(match.group()):
            return normalize_mobile(match.group())
    return None


def _fold_digits(text: str) -> str:
    return text.translate(_FULLWIDTH_DIGITS) if any("０" <= c <= "９" for c in text) else text


def mask(text: str) -> str:
    """Free text with every ID number and mobile masked (also full-width digits)."""
    if not text:
        return text
    folded = _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group()), _fold_digits(text))
    return _MOBILE_IN_TEXT.sub(lambda m: mask_mobile(m.group()), folded)


def contains_personal_data(text: str) -> bool:
    return mask(text) != text
