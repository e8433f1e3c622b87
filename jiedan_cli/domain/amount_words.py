"""Budgets as people write them in a request (需求结构化): 预算500, 500元左右, 1-2千, 两千以内,
¥3k, 3000-5000, 一万五 — a range in fen, or None when the text names no amount of money.

A number counts as money only where the text says so: after a money word (预算, 价格, ¥ …)
in the same clause, or followed by a currency (元, 块, k, w). "3千字", "5页", "12月20日" are
not budgets. How the words around the amount shape the range (a reading, shown to the person
for confirmation, never a contract):

  500 / 预算500       exactly ¥500 (500–500)
  500左右 / 大概500   ±20 % (400–600)
  两千以内 / 不超过2千 up to ¥2000; the lower end is half of it (1000–2000)
  3000以上 / 3000起   from ¥3000; the upper end is half as much again (3000–4500)
  1-2千, 3000到5000   the range as written; a unit after the second number applies to both."""

from __future__ import annotations

import re
from decimal import Decimal

NEAR_SHARE = Decimal("0.2")  # 左右: ±20 %
UP_TO_LOW_SHARE = Decimal("0.5")  # 以内: the lower end as a share of the upper
FROM_HIGH_SHARE = Decimal("1.5")  # 以上: the upper end as a multiple of the lower
BARE_RANGE_LEAST = 100_00  # fen: a range with no money word counts from ¥100 ("3000-5000")

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_UNIT_WORDS = {"k": 1000, "千": 1000, "w": 10000, "万": 10000, "百": 100}

_CN = "零〇一二两三四五六七八九十百千万"
NUMBER = rf"(?:\d+(?:\.\d+)?|[{_CN}]+)"
_UNIT = r"(?:[kKwW千万百])"
_AMOUNT = rf"(?P<a>{NUMBER})\s*(?P<ua>{_UNIT})?"
_SECOND = rf"(?:\s*(?:-|~|～|—|–|到|至)\s*(?P<b>{NUMBER})\s*(?P<ub>{_UNIT})?)?"
_CURRENCY = r"(?P<cur>元|块钱|块|rmb|RMB|人民币)?"
_AFTER = r"\s*(?P<after>左右|上下|以内|之内|以下|内|封顶|以上|起)?"
_MONEY = re.compile(rf"(?P<sign>[¥￥])?\s*{_AMOUNT}{_SECOND}\s*{_CURRENCY}{_AFTER}")
# Money words: an amount after one of them in the same clause is a budget.
_CUES = re.compile(r"预算|价格|价位|费用|报酬|酬劳|出价|报价|budget", re.IGNORECASE)
_BEFORE_UP_TO = re.compile(r"(?:不超过|不高于|最多|顶多|上限)\s*$")
_BEFORE_FROM = re.compile(r"(?:不低于|至少|最少)\s*$")
_BEFORE_NEAR = re.compile(r"(?:大概|大约|约)\s*$")
# A count, not money: "3千字", "5页", "2个方案", "100平".
_COUNTED = re.compile(
    r"\s*(?:字|词|页|篇|张|个|套|平|㎡|人|次|天|周|月|号|日|小时|分钟|年|岁|级|米)"
)
CLAUSES = re.compile(r"[，,。；;！!？?\n]+")


def chinese_number(text: str) -> Decimal | None:
    """'500', '1.5', '两千', '五百', '一万五', '三千五', '十二' → the number; None otherwise."""
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return Decimal(text)
    total, section, digit = 0, 0, None
    last_unit = 1
    for char in text:
        if char in _DIGITS:
            digit = _DIGITS[char]
        elif char in _SMALL_UNITS:
            last_unit = _SMALL_UNITS[char]
            section += (1 if digit is None else digit) * last_unit
            digit = None
        elif char == "万":
            total += (section + (digit or 0)) * 10000
            section, digit, last_unit = 0, None, 10000
        else:
            return None
    if digit is not None:  # 一万五 = 15000, 三千五 = 3500: a last digit is a tenth of the unit
        section += digit * (last_unit // 10 if last_unit >= 10 else 1)
    return Decimal(total + section) if text else None


def _scaled(number: str, unit: str | None) -> Decimal | None:
    value = chinese_number(number)
    if value is None:
        return None
    return value * _UNIT_WORDS[unit.lower()] if unit else value


def _fen(yuan: Decimal) -> int:
    return int((yuan * 100).to_integral_value())


def _range(found: re.Match[str], before: str) -> tuple[int, int] | None:
    second_unit = found["ub"]
    low = _scaled(found["a"], found["ua"] or (second_unit if found["b"] else None))
    if low is None or low <= 0:
        return None
    if found["b"]:
        high = _scaled(found["b"], second_unit or found["ua"])
        if high is None or high < low:
            return None
        return _fen(low), _fen(high)
    after = found["after"] or ""
    if after in ("左右", "上下") or _BEFORE_NEAR.search(before):
        return _fen(low * (1 - NEAR_SHARE)), _fen(low * (1 + NEAR_SHARE))
    if after in ("以内", "之内", "以下", "内", "封顶") or _BEFORE_UP_TO.search(before):
        return _fen(low * UP_TO_LOW_SHARE), _fen(low)
    if after in ("以上", "起") or _BEFORE_FROM.search(before):
        return _fen(low), _fen(low * FROM_HIGH_SHARE)
    return _fen(low), _fen(low)


def _money_kind(found: re.Match[str], clause: str) -> int:
    """2: said to be money (a currency, or a money word before it in the clause); 1: money by
    its shape (3k, 1.5万, 两千以内, 3000-5000); 0: not money (a count, a date, a bare number)."""
    if found["cur"] or found["sign"]:
        return 2
    if _COUNTED.match(clause, found.end()):
        return 0
    if _CUES.search(clause, 0, found.start()) is not None:
        return 2
    if (found["ua"] or found["ub"] or "").lower() in ("k", "w", "万") or found["after"]:
        return 1
    bare = _range(found, "") if found["b"] else None
    return 1 if bare is not None and bare[0] >= BARE_RANGE_LEAST else 0


def parse_budget(text: str) -> tuple[int, int] | None:
    """The budget the text names, as (low, high) fen — the first amount said to be money, else
    the first that is money by its shape ("月销5万左右，预算2000" is ¥2000); None when none."""
    shaped: tuple[int, int] | None = None
    for clause in CLAUSES.split(text):
        for found in _MONEY.finditer(clause):
            kind = _money_kind(found, clause) if found["a"] else 0
            budget = _range(found, clause[: found.start()]) if kind else None
            if budget is not None and kind == 2:
                return budget
            shaped = shaped or budget
    return shaped
