"""Deadlines as people write them in a request (需求结构化), read against today's date, which
the caller passes in: 明天, 后天, 三天内, 两周内, 一个月内, 下周五, 本周末, 月底, 下个月中,
12月20日前, 20号前, 2025-12-20, 年底, 元旦前.

Weeks start on Monday. 周末 is the week's Sunday (the end of the weekend); 下周X is weekday X of
next week; 周X alone is the next such day from today (today included). A date written without a
year that has passed this year is next year's; 20号 that has passed this month is next month's.
A date before today is no deadline (the draft then asks for one)."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date, timedelta

from jiedan_cli.domain.amount_words import chinese_number

_N = r"(\d+|[一二两三四五六七八九十半]+)"
_WITHIN = r"(?:内|之内|以内|完成|做完|搞定|交付|交稿|前)"
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 6}
_WEEK = r"(?:周|星期|礼拜)"
_DAY_CHARS = "".join(_WEEKDAYS)

Reader = Callable[[re.Match[str], date], date | None]


def _count(text: str) -> int | None:
    if text == "半":
        return None
    value = chinese_number(text)
    return int(value) if value is not None else None


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _next_month(today: date, months: int = 1) -> tuple[int, int]:
    index = today.year * 12 + today.month - 1 + months
    return index // 12, index % 12 + 1


def _add_months(today: date, months: int) -> date:
    year, month = _next_month(today, months)
    return date(year, month, min(today.day, calendar.monthrange(year, month)[1]))


def _iso(found: re.Match[str], today: date) -> date | None:
    return date(int(found[1]), int(found[2]), int(found[3]))


def _month_day(found: re.Match[str], today: date) -> date | None:
    month, day = int(found[1]), int(found[2])
    when = date(today.year, month, day)
    return when if when >= today else date(today.year + 1, month, day)


def _day_of_month(found: re.Match[str], today: date) -> date | None:
    day = int(found[1])
    if day >= today.day and day <= calendar.monthrange(today.year, today.month)[1]:
        return today.replace(day=day)
    year, month = _next_month(today)
    return date(year, month, day)


def _weekday(found: re.Match[str], today: date) -> date | None:
    prefix, target = found[1] or "", _WEEKDAYS[found[2]]
    monday = today - timedelta(days=today.weekday())
    if prefix.startswith("下下"):
        return monday + timedelta(days=14 + target)
    if prefix.startswith("下"):
        return monday + timedelta(days=7 + target)
    if prefix or found[2] == "末":  # 本周五, 这周末, 周末: this week's
        return monday + timedelta(days=target)
    return today + timedelta(days=(target - today.weekday()) % 7)


def _within_named_week(found: re.Match[str], today: date) -> date | None:
    sunday = today + timedelta(days=6 - today.weekday())
    return sunday + timedelta(days=7) if found[1].startswith("下") else sunday


def _within_days(found: re.Match[str], today: date) -> date | None:
    count = _count(found[1])
    return None if count is None else today + timedelta(days=count)


def _within_working_days(found: re.Match[str], today: date) -> date | None:
    count = _count(found[1])
    if count is None:
        return None
    when = today
    while count > 0:  # Monday to Friday; public holidays are not known here
        when += timedelta(days=1)
        count -= when.weekday() < 5
    return when


def _within_weeks(found: re.Match[str], today: date) -> date | None:
    count = _count(found[1])
    return None if count is None else today + timedelta(days=7 * count)


def _within_months(found: re.Match[str], today: date) -> date | None:
    if found[1] == "半":
        return today + timedelta(days=15)
    count = _count(found[1])
    return None if count is None else _add_months(today, count)


def _month_end_word(found: re.Match[str], today: date) -> date | None:
    months = 1 if found[1] else 0
    year, month = _next_month(today, months)
    return _month_end(year, month)


def _mid_month(found: re.Match[str], today: date) -> date | None:
    year, month = _next_month(today, 1 if found[1] else 0)
    when = date(year, month, 15)
    if when < today:
        year, month = _next_month(today, 1)
        when = date(year, month, 15)
    return when


# In order: the most explicit first; the first that reads a date wins.
_READERS: tuple[tuple[re.Pattern[str], Reader], ...] = (
    (re.compile(r"(\d{4})[-/年.](\d{1,2})[-/月.](\d{1,2})"), _iso),
    (re.compile(r"(\d{1,2})月(\d{1,2})[日号]"), _month_day),
    (re.compile(r"(?<![月\d])(\d{1,2})[号日](?:前|之前|以前)"), _day_of_month),
    # not 每周三 (a routine) nor 一周三次 (how often)
    (re.compile(rf"(?<!每)(下下|下个?|本|这个?)?{_WEEK}([{_DAY_CHARS}])(?![次回遍节])"), _weekday),
    (re.compile(rf"(下个?|本|这个?){_WEEK}内"), _within_named_week),
    (re.compile(r"(下个?)?月底"), _month_end_word),
    (re.compile(r"(下个?)?月中"), _mid_month),
    (re.compile(rf"{_N}\s*个?工作日{_WITHIN}"), _within_working_days),
    (re.compile(rf"{_N}\s*天{_WITHIN}"), _within_days),
    (re.compile(rf"{_N}\s*(?:个)?(?:周|星期|礼拜){_WITHIN}"), _within_weeks),
    (re.compile(rf"{_N}\s*个?月{_WITHIN}"), _within_months),
    (re.compile(r"年底|年前|年末"), lambda found, today: date(today.year, 12, 31)),
    (re.compile(r"元旦"), lambda found, today: date(today.year + 1, 1, 1)),
    (re.compile(r"大后天"), lambda found, today: today + timedelta(days=3)),
    (re.compile(r"后天"), lambda found, today: today + timedelta(days=2)),
    (re.compile(r"明天|明日|明早|明晚"), lambda found, today: today + timedelta(days=1)),
    (re.compile(r"今天|今晚|今日|当天"), lambda found, today: today),
)


def parse_deadline(text: str, *, today: date) -> date | None:
    """The deadline the text names, read against `today`; None when it names none (or only
    one before today, or a date that does not exist)."""
    for pattern, read in _READERS:
        for found in pattern.finditer(text):
            try:
                when = read(found, today)
            except ValueError:  # 2月30日
                continue
            if when is not None and when >= today:
                return when
    return None
