"""Whether an office is open when the citizen asks, read from the record's 办理时间.

    >>> hours = OpeningHours.parse("星期一至星期五：上午9:00—12:00，下午14:00—17:45（法定节假日除外）")
    >>> hours_verdict(hours.text, "下午5点半还能办吗"), hours_verdict(hours.text, "星期六能办吗")
    (True, False)
    >>> hours_verdict(hours.text, "中午休息吗")           # asks whether it is closed
    True

Records state their hours in a few regular shapes (星期一至星期五 / 周一至周六 / 工作日, then
上午9:00—12:00 and 下午14:00—17:30 with —, -, ~, 至 or 到). A question names a day (星期六,
周末), a clock time (下午5点半, 17:30) or a part of the day (中午, 晚上). The verdict is given only
when the record states what the question needs (days for a day, times for a time); otherwise
None, and the record's words are quoted as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DAY = "一二三四五六日天"
_DAY_INDEX = {ch: i for i, ch in enumerate("一二三四五六日")} | {"天": 6}
_DAY_RANGE = re.compile(rf"(?:星期|周|礼拜)([{_DAY}])\s*(?:至|到|-|—|－|~|～)\s*(?:星期|周|礼拜)?([{_DAY}])")
_ONE_DAY = re.compile(rf"(?:星期|周|礼拜)([{_DAY}])")
_CLOCK = r"(\d{1,2})\s*[:：]\s*(\d{2})"
_INTERVAL = re.compile(rf"(上午|早上|中午|下午|晚上)?\s*{_CLOCK}\s*(?:—|-|－|~|～|至|到)+\s*(上午|中午|下午|晚上)?\s*{_CLOCK}")
_AFTERNOON = ("下午", "晚上", "傍晚")
_NUMBERS = {ch: i for i, ch in enumerate("零一二三四五六七八九十")} | {"两": 2}
_ASKED_CLOCK = re.compile(
    r"(早上|上午|中午|下午|傍晚|晚上)?\s*(\d{1,2}|[一二两三四五六七八九十]{1,3})\s*(?:点|點|[:：])\s*(半|(\d{1,2})\s*分?)?"
)
# Parts of the day, as the minute they stand for: 中午能办吗 asks about 12:30.
_PARTS = {"中午": 12 * 60 + 30, "午休": 12 * 60 + 30, "晚上": 19 * 60, "夜晚": 19 * 60, "夜间": 19 * 60}
# A question whose yes means closed: 中午休息吗, 周末关门吗.
_CLOSED = re.compile(r"休息|关门|下班|不上班|不开")


@dataclass(frozen=True)
class OpeningHours:
    text: str
    days: frozenset[int] | None  # 0 Monday … 6 Sunday; None: the record does not say
    intervals: tuple[tuple[int, int], ...]  # minutes after midnight

    @classmethod
    def parse(cls, text: str) -> OpeningHours | None:
        if not text:
            return None
        days: set[int] = set()
        for first, last in _DAY_RANGE.findall(text):
            a, b = _DAY_INDEX[first], _DAY_INDEX[last]
            days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        if "工作日" in text and not days:
            days.update(range(5))
        if re.search(r"每天|每日|全天|7\s*[×x*]\s*24|全年无休", text):
            days.update(range(7))
        if not _DAY_RANGE.search(text):
            days.update(_DAY_INDEX[d] for d in _ONE_DAY.findall(text))
        if re.search(r"(?:周末|双休日)[^，。；]{0,6}除外", text):
            days -= {5, 6}
        intervals = []
        for part, h1, m1, part2, h2, m2 in _INTERVAL.findall(text):
            start = _minutes(part, int(h1), int(m1))
            end = _minutes(part2 or part, int(h2), int(m2))
            if end <= start and int(h2) < 12:
                end += 12 * 60
            intervals.append((start, end))
        if not days and not intervals:
            return None
        return cls(text, frozenset(days) or None, tuple(intervals))

    def open_on(self, day: int) -> bool | None:
        return None if self.days is None else day in self.days

    def open_at(self, minute: int) -> bool | None:
        if not self.intervals:
            return None
        return any(start <= minute < end for start, end in self.intervals)


def _minutes(part: str, hour: int, minute: int) -> int:
    if part in _AFTERNOON and hour < 12:
        hour += 12
    return hour * 60 + minute


@dataclass(frozen=True)
class AskedTime:
    days: frozenset[int] = frozenset()
    minute: int | None = None
    closed: bool = False  # 休息吗: a yes means the office is closed then

    @property
    def empty(self) -> bool:
        return not self.days and self.minute is None


def asked_time(question: str) -> AskedTime:
    """The day, clock time or part of the day a question asks about."""
    days = {_DAY_INDEX[d] for d in _ONE_DAY.findall(question)}
    if re.search(r"周末|双休", question):
        days |= {5, 6}
    minute = None
    clock = _ASKED_CLOCK.search(question)
    if clock:
        part, hour_text, half, minutes = clock.groups()
        hour = int(hour_text) if hour_text.isdigit() else _chinese_hour(hour_text)
        if hour is not None and 0 <= hour <= 23:
            if part in _AFTERNOON and hour < 12 or part is None and 1 <= hour <= 6:
                hour += 12  # 5点半 asked of an office is the afternoon
            minute = hour * 60 + (30 if half == "半" else int(minutes) if minutes else 0)
    if minute is None:
        minute = next((at for word, at in _PARTS.items() if word in question), None)
    return AskedTime(frozenset(days), minute, bool(_CLOSED.search(question)))


def time_words(question: str) -> list[str]:
    """The words of a question that say when (星期六, 下午5点半, 中午) and whether it asks about
    being closed (休息): kept with the question's detail, which attribute words leave out."""
    spans = [m.group(0) for m in _ONE_DAY.finditer(question)]
    spans += re.findall(r"周末|双休", question)
    clock = _ASKED_CLOCK.search(question)
    if clock:
        spans.append(re.sub(r"\s+", "", clock.group(0)))
    else:
        spans += [word for word in _PARTS if word in question][:1]
    if spans:
        spans += _CLOSED.findall(question)[:1]
    return spans


def _chinese_hour(text: str) -> int | None:
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + _NUMBERS.get(text[1:], 0)
    if len(text) == 1:
        return _NUMBERS.get(text)
    return None


def hours_verdict(hours_text: str, question: str) -> bool | None:
    """Yes or no to a question about when the office is open; None when the record does not say."""
    hours, asked = OpeningHours.parse(hours_text), asked_time(question)
    if hours is None or asked.empty:
        return None
    answers = []
    for day in asked.days:
        answers.append(hours.open_on(day))
    if asked.minute is not None:
        answers.append(hours.open_at(asked.minute))
    if None in answers or not answers:
        return None
    is_open = all(answers)
    return not is_open if asked.closed else is_open
