"""Contact masking (domain/contacts.py): phone numbers written spaced, full-width, in Chinese
numerals, with mixed separators or zero-width characters are caught; ordinary amounts, dates
and ranges are left alone."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiedan_cli.domain.contacts import MASK, fold, mask_contacts

PHONE = "13800138000"
FULL_WIDTH = {str(d): chr(0xFF10 + d) for d in range(10)}
CHINESE = dict(zip("0123456789", "零一二三四五六七八九", strict=True))


@pytest.mark.parametrize(
    "text",
    [
        "电话 1 3 8 0 0 1 3 8 0 0 0",  # spaced
        "电话 １３８００１３８０００",  # full-width
        "电话 １３８ ００１３ ８０００",
        "电话 138-0013 8000",  # mixed separators
        "电话 138.0013.8000",
        "电话 138_0013_8000",
        "电话 1-3-8-0-0-1-3-8-0-0-0",
        "电话 1 3 8－0 0 1 3－8 0 0 0",  # a full-width hyphen
        "电话 1\u200b3\u200b8\u200b00138000",  # zero-width spaces
        "电话 一三八零零一三八零零零",  # Chinese numerals
        "电话 幺三八 〇〇幺三 八〇〇〇",
        "电话 +86 138 0013 8000",
        "电话 ＋８６ １３８００１３８０００",
        "电话 13800 138000",  # any grouping
        "电话 138001 38 000",
        "加 V 信：chen_design88",
        "微信号：chen_design88",
        "ｗｘ：ｃｈｅｎ＿ｄｅｓｉｇｎ",
        "wxid_abcd1234",
        "QQ 1 2 3 4 5 6 7 8 9",
        "ＱＱ：１２３４５６７８９",
        "邮箱 chen＠example．com",
        "邮箱 chen @ example.com",
    ],
)
def test_contacts_written_to_dodge_the_mask_are_masked(text: str) -> None:
    masked, found = mask_contacts(text)
    assert found and MASK in masked
    assert not re.search(r"[0-9]{5}", fold(masked).replace(" ", "").replace("-", ""))
    assert "chen" not in fold(masked)


@pytest.mark.parametrize(
    "text",
    [
        "预算 5000 元，7 天",
        "预算 13000-16000 元，30 天",
        "13000-16000 3 天交付",
        "2026-12-31 前交付，共 3 稿",
        "2026 年 12 月 31 日前，预算 ¥13,800.00",
        "报价 ¥1,380,013.80，分 3 期",
        "第 1 3 8 页有错字",
        "尺寸 1920×1080，300 dpi，CMYK",
        "版本 v1.3.8，build 20261231",
        "我用 wxWidgets 开发，QQ 音乐的风格",
        "一三五上班，二四六休息",
        "订单号 20261125-0001",
    ],
)
def test_ordinary_amounts_dates_and_words_are_left_alone(text: str) -> None:
    assert mask_contacts(text) == (text, False)


_SEPARATORS = st.sampled_from(["", "", " ", "  ", ".", "_", "\u200b", "\u3000", "·", "/", "-"])
# mixed, a hyphen could make a range of two amounts (`1380-01380 00`), left alone by design
_MIXED = st.sampled_from(["", "", " ", "  ", ".", "_", "\u200b", "\u3000", "·", "/"])


@st.composite
def disguised_phones(draw: st.DrawFn) -> str:
    """A mainland mobile number, each digit plain, full-width or a Chinese numeral, with any
    separator between digits (the same one throughout, or mixed)."""
    number = (
        "1" + draw(st.sampled_from("3456789")) + draw(st.text("0123456789", min_size=9, max_size=9))
    )
    mixed = draw(st.booleans())
    one = draw(_SEPARATORS)
    out = []
    for at, digit in enumerate(number):
        form = draw(st.sampled_from(["plain", "full", "chinese"]))
        out.append({"plain": digit, "full": FULL_WIDTH[digit], "chinese": CHINESE[digit]}[form])
        if at < len(number) - 1:
            out.append(draw(_MIXED) if mixed else one)
    return "".join(out)


_WORDS = st.text(alphabet="你好请联系我谢谢，。！ 设计师 abc", max_size=12)


@given(before=_WORDS, phone=disguised_phones(), after=_WORDS)
def test_any_disguised_mobile_number_is_masked(before: str, phone: str, after: str) -> None:
    masked, found = mask_contacts(f"{before} {phone} {after}")
    assert found
    assert phone not in masked


@given(
    yuan=st.integers(min_value=1, max_value=99_999_999),
    days=st.integers(min_value=1, max_value=365),
    year=st.integers(min_value=2000, max_value=2099),
    month=st.integers(min_value=1, max_value=12),
    day=st.integers(min_value=1, max_value=31),
)
def test_amounts_and_dates_are_never_masked(
    yuan: int, days: int, year: int, month: int, day: int
) -> None:
    for text in (
        f"预算 {yuan} 元，{days} 天",
        f"预算 ¥{yuan:,}，{days} 天内交付",
        f"{year}-{month:02d}-{day:02d} 前交付",
        f"{year} 年 {month} 月 {day} 日，预算 {yuan} 元",
    ):
        assert mask_contacts(text) == (text, False)


@given(st.text(max_size=60))
def test_masking_is_idempotent_and_never_lengthens_a_match(text: str) -> None:
    masked, _ = mask_contacts(text)
    assert mask_contacts(masked)[0] == masked
    assert len(fold(text)) == len(text)
