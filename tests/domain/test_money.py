from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiedan_cli.domain.errors import InvalidInput
from jiedan_cli.domain.money import (
    MAX_AMOUNT_FEN,
    check_fen,
    format_yuan,
    parse_whole,
    parse_yuan,
)


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("800", 80_000),
        ("800.5", 80_050),
        ("800.50", 80_050),
        ("0.01", 1),
        (" 12 ", 1_200),
        ("1,000", 100_000),
        ("1,200", 120_000),
        ("12,000.50", 1_200_050),
        ("1,000,000", 100_000_000),
        ("１，２００", 120_000),  # full-width, as a Chinese input method types it
        ("１２００．５", 120_050),
        ("¥1200", 120_000),
        ("￥ 1,200", 120_000),
        ("1200元", 120_000),
        ("1200 元", 120_000),
        ("800块", 80_000),
        (7, 700),
    ],
)
def test_parse_yuan_accepts_the_forms_of_the_contract(text: str, fen: int) -> None:
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "-5",
        "0",
        "0.00",
        "800.505",
        "1e3",
        "8 00",
        "1,2",  # once ¥12: a comma was dropped wherever it stood
        "12,50",  # once ¥1,250: a European decimal comma
        "1,2,3",
        ",12",
        "12,",
        "1,2000",
        "12,000,5",
        "¥",
        "元",
        "¥-5",
        "٣٠٠",  # digits of another script are not read as amounts
        "800.",
        ".5",
        "NaN",
        "inf",
        "99999999999",
        "1.2.3",
        "--1",
    ],
)
def test_parse_yuan_refuses_every_malformed_form(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_yuan(text, field="amount")
    assert caught.value.field == "amount"
    assert "amount" in caught.value.message


def test_parse_yuan_refuses_booleans() -> None:
    with pytest.raises(InvalidInput):
        parse_yuan(True)  # type: ignore[arg-type]


@given(st.integers(min_value=1, max_value=MAX_AMOUNT_FEN))
def test_format_then_parse_round_trips(fen: int) -> None:
    assert parse_yuan(format_yuan(fen)) == fen


def test_format_yuan_negative() -> None:
    assert format_yuan(-5) == "-0.05"


@pytest.mark.parametrize("value", [0, -1, 1.5, "10", True, MAX_AMOUNT_FEN + 1])
def test_check_fen_refuses(value: object) -> None:
    with pytest.raises(InvalidInput):
        check_fen(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "value"), [("7", 7), ("１０", 10), (" 365 ", 365), (1, 1)])
def test_parse_whole_accepts_ascii_and_full_width_digits(text: str | int, value: int) -> None:
    assert parse_whole(text, field="days", low=1, high=365) == value


@pytest.mark.parametrize("text", ["0", "366", "1.5", "x", "-1", "", "1e2", "٣", True])
def test_parse_whole_refuses_the_rest_in_one_style(text: str | int) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_whole(text, field="days", low=1, high=365)
    assert caught.value.message == "days: a whole number from 1 to 365"
