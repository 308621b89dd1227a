"""Office hours read from the record's 办理时间 and compared with the day or time a citizen asks
about: a yes or no only when the record states what the question needs."""

from __future__ import annotations

import pytest

from index.hours import OpeningHours, asked_time, hours_verdict, time_words

WEEKDAYS = "星期一至星期五：上午9:00—12:00，下午14:00—17:45（法定节假日除外）"
SATURDAYS = "星期一至星期六：上午9:00—12:00，下午14:00—17:30（法定节假日除外）"
EARLY_AFTERNOON = "办公时间：周一至周五：上午9：00至12：00，下午13：30至17：00，法定节假日除外"
WEEKEND_EXCEPTED = "星期一至星期五（周末及法定节假日除外）上午9：00-12:00，下午14:00-17:45"


@pytest.mark.parametrize("text, days, intervals", [
    (WEEKDAYS, {0, 1, 2, 3, 4}, ((540, 720), (840, 1065))),
    (SATURDAYS, {0, 1, 2, 3, 4, 5}, ((540, 720), (840, 1050))),
    (EARLY_AFTERNOON, {0, 1, 2, 3, 4}, ((540, 720), (810, 1020))),
    (WEEKEND_EXCEPTED, {0, 1, 2, 3, 4}, ((540, 720), (840, 1065))),
    ("办公时间：工作日 9:00至12:00，13:30至17:00，法定节假日除外。", {0, 1, 2, 3, 4}, ((540, 720), (810, 1020))),
])
def test_the_records_shapes_of_hours_are_read(text, days, intervals):
    hours = OpeningHours.parse(text)
    assert hours.days == frozenset(days) and hours.intervals == intervals


@pytest.mark.parametrize("hours, question, expected", [
    (WEEKDAYS, "下午5点半还能办吗", True),
    (EARLY_AFTERNOON, "下午5点半还能办吗", False),
    (WEEKDAYS, "17:30还能办吗", True),
    (WEEKDAYS, "上午十点能办吗", True),
    (WEEKDAYS, "下午6点还能办吗", False),
    (WEEKDAYS, "星期六能办吗", False),
    (SATURDAYS, "周六上班吗", True),
    (WEEKDAYS, "周末开门吗", False),
    (WEEKDAYS, "中午休息吗", True),          # a yes means closed
    (EARLY_AFTERNOON, "中午休息吗", True),
    (WEEKDAYS, "晚上能办吗", False),
])
def test_a_question_about_a_day_or_a_time_gets_yes_or_no(hours, question, expected):
    assert hours_verdict(hours, question) is expected


@pytest.mark.parametrize("hours, question", [
    (WEEKDAYS, "几点开门"),                            # asks when, not whether
    ("上午9:00—12:00，下午14:00—17:30", "星期六能办吗"),  # the record names no days
    ("星期一至星期五", "下午5点还能办吗"),                  # … or no times
    ("窗口办理", "星期六能办吗"),
])
def test_no_verdict_when_the_record_does_not_say(hours, question):
    assert hours_verdict(hours, question) is None


def test_the_words_that_say_when_are_kept_with_the_question():
    assert time_words("南海车管业务大厅星期六能办新车上牌吗") == ["星期六"]
    assert time_words("婚姻登记处中午休息吗") == ["中午", "休息"]
    assert time_words("居住证要带什么材料") == []
    assert asked_time("居住证要带什么材料").empty
