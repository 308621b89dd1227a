"""Numbers written with digits, as a Chinese reader says them.

    >>> read_numbers("咨询电话：0757-86337000，20个工作日，2024年3月1日，8:30-12:00，100元", "cmn")
    '咨询电话：零七五七，八六三三，七零零零，二十个工作日，二零二四年三月一日，八点半到十二点，一百元'
    >>> read_numbers("拨打12345或13800138000", "cmn")
    '拨打幺二三四五或幺三八，零零幺三，八零零零'
    >>> read_numbers("拨打12345", "yue")        # Cantonese reads 1 as 一, not 幺
    '拨打一二三四五'

What a number is read as depends on what it looks like and what follows it: telephone numbers,
hotlines, codes and anything of five or more digits without a counting unit after it are read
digit by digit; a year is read digit by digit, its month and day as numbers; H:MM is a time;
everything else is a cardinal number (二十, 一百一十, 一千零五, 两万). The order of the rules
matters: telephone numbers and dates take their digits before the ranges (3-5) and the cardinals
see them.
"""

from __future__ import annotations

import re

DIGITS = "零一二三四五六七八九"
UNITS = ("", "万", "亿", "万亿")
# Counting units: a long number followed by one is an amount (100000元, 20000人), not a code.
COUNTERS = (
    "元|块|角|万|亿|千|百|人|个|户|名|位|家|平方米|平方|立方米|米|公里|千米|厘米|毫米|克|千克|公斤|吨|斤|亩|"
    "岁|天|日|年|月|周|小时|分钟|秒|次|份|张|件|项|台|辆|套|间|字|页|倍|度|条|类|种"
)
# Measure words after which a lone 2 is 两 (两个工作日, 两份, 两年), not 二.
MEASURES = "个|份|张|本|次|位|名|天|周|小时|种|项|件|台|套|页|人|辆|间|岁|户|条|类|处|家|年(?!级)|万|千|亿"
NUMERALS = "零幺一二两三四五六七八九十百千万亿点"

_SEPARATOR = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")  # 1,000 → 1000
_LANDLINE = re.compile(r"(?<!\d)[(（]?(0\d{2,3})[)）]?(?:[-－—]\s?(\d{3,4}[-\s]\d{4}|\d{5,8})|\s?(\d{7,8}))(?!\d)")
_SERVICE = re.compile(r"(?<!\d)([48]00)[-－\s]?(\d{3})[-－\s]?(\d{4})(?!\d)")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)[-－\s]?(\d{4})[-－\s]?(\d{4})(?!\d)")
# After these words any number is dialled, however short (拨打110, 热线 12345, 转 8001).
_DIALLED = re.compile(r"(电话|热线|拨打|致电|传真|手机|号码|转|分机)([:：\s]{0,2})(\d{3,})")
_DATE = re.compile(r"(?<!\d)(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
_ISO_DATE = re.compile(r"(?<![\d.])(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?![\d.])")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?=\s*(?:[-—–~～至到]\s*(?:19|20)\d{2}\s*)?年)")
_BRACKET_YEAR = re.compile(r"(?<=[〔\[［【(（])((?:19|20)\d{2})(?=[〕\]］】)）])")  # 〔2003〕232号
_CLOCK = r"(?<!\d)([01]?\d|2[0-4])[:：]([0-5]\d)(?!\d)"
# A time or a range of times, with the part of the day before it: 下午14:00—17:30 is 下午两点到五点半.
_TIME = re.compile(rf"(?:(下午|晚上|傍晚)\s*)?{_CLOCK}(?:\s*[-—–~～至到]\s*{_CLOCK})?")
_PER = re.compile(r"(?<=[元块角])\s*/\s*(?=[\u4e00-\u9fff])")  # 80元/件: 八十元每件
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*[%％]")
_CURRENCY = re.compile(r"[¥￥]\s*(\d+(?:\.\d+)?)")
_TWO = re.compile(rf"(?<![\d.第])2(?!\.\d)(?=\s*(?:{MEASURES}))")
_BESIDE_LATIN = re.compile(r"(?<=[A-Za-z])\d+|\d+(?=[A-Za-z])")  # A4, 5G, codes like MB2B
_LEADING_ZERO = re.compile(r"(?<![\d.])0\d+(?![\d.])")  # 0757, 007: codes
_ROOM = re.compile(r"(?<![\d.])\d{3,4}(?=\s*(?:室|房))")
_CODE = re.compile(rf"(?<![\d.])\d{{5,}}(?![\d.])(?!\s*(?:{COUNTERS}))")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_RANGE = re.compile(r"(?<=\d)\s*[-—–~～]+\s*(?=\d)")
_SPOKEN_RANGE = re.compile(rf"(?<=[{NUMERALS}半分])\s*[-—–~～]\s*(?=[{NUMERALS}])")


def digits(text: str, lang: str = "cmn", *, one: str | None = None) -> str:
    """Digit by digit, as telephone numbers are read: 1 is 幺 in Mandarin (it cannot be taken for
    七), 一 in Cantonese and in years (``one="一"``).

    >>> digits("12345"), digits("12345", "yue"), digits("2011", one="一")
    ('幺二三四五', '一二三四五', '二零一一')
    """
    one = one or ("幺" if lang == "cmn" else "一")
    return "".join(one if d == "1" else DIGITS[int(d)] for d in text)


def _section(value: int, first: bool) -> str:
    """0 < value < 10000 in words; ``first``: nothing comes before it (十二, not 一十二)."""
    out, zero = "", False
    for unit, digit in zip(("千", "百", "十", ""), f"{value:04d}"):
        d = int(digit)
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        if unit == "十" and d == 1 and not out and first:
            out += "十"
        else:
            out += ("两" if d == 2 and unit == "千" else DIGITS[d]) + unit
    return out


def cardinal(n: int) -> str:
    """A whole number in words.

    >>> cardinal(20), cardinal(110), cardinal(1005), cardinal(20000), cardinal(100010000)
    ('二十', '一百一十', '一千零五', '两万', '一亿零一万')
    """
    if n < 0:
        return "负" + cardinal(-n)
    if n == 0:
        return "零"
    if n >= 10**16:  # past 万亿: nobody says it, read the digits
        return digits(str(n), one="一")
    groups = []
    while n:
        n, group = divmod(n, 10000)
        groups.append(group)
    out, zero = "", False
    for power in reversed(range(len(groups))):
        group = groups[power]
        if group == 0:
            zero = bool(out)
            continue
        if out and (zero or group < 1000):
            out += "零"
        out += ("两" if group == 2 and power else _section(group, first=not out)) + UNITS[power]
        zero = False
    return out


def number(text: str) -> str:
    """A written number, whole or decimal: "12.50" → 十二点五零."""
    whole, _, fraction = text.partition(".")
    spoken = cardinal(int(whole)) if len(whole) <= 16 else digits(whole, one="一")
    return spoken + ("点" + digits(fraction, one="一") if fraction else "")


def _phone(*groups: str, lang: str) -> str:
    """Groups of a telephone number, a short pause between them (as one says 3-4-4)."""
    spoken = []
    for group in (re.sub(r"\D", "", g) for g in groups if g):
        # an 8-digit local number is said in fours, a 7-digit one as 3-4
        parts = [group[:-4], group[-4:]] if len(group) >= 7 else [group]
        spoken.extend(digits(part, lang) for part in parts)
    return "，".join(spoken)


def _date(year: str, month: str, day: str) -> str:
    return f"{digits(year, one='一')}年{cardinal(int(month))}月{cardinal(int(day))}日"


def _iso_date(match: re.Match) -> str:
    year, month, day = match.groups()
    if 1 <= int(month) <= 12 and 1 <= int(day) <= 31:
        return _date(year, month, day)
    return match.group()


def _clock(hour: int, minute: int) -> str:
    spoken = ("两" if hour == 2 else cardinal(hour)) + "点"
    if minute == 30:
        return spoken + "半"
    if minute:
        spoken += ("零" + DIGITS[minute] if minute < 10 else cardinal(minute)) + "分"
    return spoken


def _time(match: re.Match) -> str:
    part, hour, minute, to_hour, to_minute = match.groups()
    # after 下午 a 24-hour clock is said on the 12-hour one (下午十四点 is not said)
    shift = 12 if part else 0
    times = [(int(hour), int(minute))] + ([(int(to_hour), int(to_minute))] if to_hour else [])
    spoken = [_clock(h - shift if h > 12 else h, m) for h, m in times]
    return (part or "") + "到".join(spoken)


def read_numbers(text: str, lang: str = "cmn") -> str:
    """Every digit in ``text`` replaced by how it is read (see the module's docstring)."""
    text = _SEPARATOR.sub("", text)
    text = _LANDLINE.sub(lambda m: _phone(m.group(1), m.group(2) or m.group(3), lang=lang), text)
    text = _SERVICE.sub(lambda m: _phone(*m.groups(), lang=lang), text)
    text = _MOBILE.sub(lambda m: _phone(*m.groups(), lang=lang), text)
    text = _DIALLED.sub(lambda m: m.group(1) + m.group(2) + digits(m.group(3), lang), text)
    text = _DATE.sub(lambda m: _date(*m.groups()), text)
    text = _ISO_DATE.sub(_iso_date, text)
    text = _YEAR.sub(lambda m: digits(m.group(1), one="一"), text)
    text = _BRACKET_YEAR.sub(lambda m: digits(m.group(1), one="一"), text)
    text = _TIME.sub(_time, text)
    text = _PERCENT.sub(lambda m: "百分之" + number(m.group(1)), text)
    text = _CURRENCY.sub(lambda m: m.group(1) + "元", text)
    text = _PER.sub("每", text)
    text = _RANGE.sub("到", text)
    text = _TWO.sub("两", text)
    for codes in (_BESIDE_LATIN, _LEADING_ZERO, _ROOM, _CODE):
        text = codes.sub(lambda m: digits(m.group(), lang), text)
    text = _NUMBER.sub(lambda m: number(m.group()), text)
    return _SPOKEN_RANGE.sub("到", text)
