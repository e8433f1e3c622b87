"""What an order's client may do in each status (domain/moves: open_moves, the rules the
server checks), and tags typed on one line (order_rules.split_tags, shared by `jiedan client
post --tag` and the dashboard)."""

from __future__ import annotations

import pytest

from jiedan_cli.domain.errors import Conflict, InvalidInput
from jiedan_cli.domain.moves import (
    Role,
    Seat,
    may_award,
    may_cancel,
    may_fund,
    open_moves,
    require,
)
from jiedan_cli.domain.order_rules import check_tags, split_tags

CREATED, FUNDED, SUBMITTED = ["created"], ["funded"], ["submitted"]


@pytest.mark.parametrize(
    ("status", "milestones", "moves"),
    [
        ("open", None, ["award", "cancel"]),
        ("awarded", CREATED, ["fund", "cancel"]),
        ("in_progress", FUNDED, []),
        # the server funds a milestone added to a working order (the dashboard offered it
        # in awarded only: now as the server)
        ("in_progress", [*FUNDED, *CREATED], ["fund"]),
        ("delivered", SUBMITTED, ["accept", "revise"]),
        ("delivered", [*SUBMITTED, *CREATED], ["fund", "accept", "revise"]),
        ("completed", None, []),
        ("cancelled", None, []),
        ("disputed", None, []),
    ],
)
def test_each_status_allows_the_moves_the_server_allows(
    status: str, milestones: list[str] | None, moves: list[str]
) -> None:
    assert open_moves(Seat("o1", status, Role.CLIENT), milestones) == moves


def test_a_move_from_another_status_is_refused_as_the_server_words_it() -> None:
    require(may_cancel(Seat("o1", "awarded", Role.CLIENT)))
    with pytest.raises(Conflict) as caught:
        require(may_cancel(Seat("o1", "in_progress", Role.CLIENT)))
    assert caught.value.message == (
        "order is in_progress; only an open or awarded order can be cancelled"
    )
    assert caught.value.code == "order_in_progress"


def test_awarding_twice_says_only_an_open_order_can_be_awarded() -> None:
    # it said "order is awarded; it cannot become awarded"
    with pytest.raises(Conflict) as caught:
        require(may_award(Seat("o1", "awarded", Role.CLIENT)))
    assert caught.value.message == "order is awarded; only an open order can be awarded"


def test_funding_an_open_order_says_to_award_a_bid_first() -> None:
    # it said "order is open; it cannot be funded", which tells a new client nothing to do
    with pytest.raises(Conflict) as caught:
        require(may_fund(Seat("o1", "open", Role.CLIENT)))
    assert (
        caught.value.message == "order is open; award a bid first: an order is funded once awarded"
    )
    assert caught.value.code == "order_open"
    with pytest.raises(Conflict) as later:
        require(may_fund(Seat("o1", "completed", Role.CLIENT)))
    assert later.value.message == "order is completed; it cannot be funded"


@pytest.mark.parametrize(
    ("typed", "tags"),
    [
        (["网站, UI设计"], ["网站", "UI设计"]),
        (["网站，UI设计"], ["网站", "UI设计"]),  # the full-width comma
        (["网站、小程序"], ["网站", "小程序"]),  # the 顿号
        (["logo", "品牌,, "], ["logo", "品牌"]),  # several --tag, blanks dropped
        ([""], []),
    ],
)
def test_tags_typed_on_one_line_are_split(typed: list[str], tags: list[str]) -> None:
    assert split_tags(typed) == tags


def test_split_tags_are_still_checked() -> None:
    assert check_tags(split_tags(["a, a, b"])) == ["a", "b"]
    with pytest.raises(InvalidInput):
        check_tags(split_tags([",".join(str(n) for n in range(11))]))
