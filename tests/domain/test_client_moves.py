"""What an order's client may do in each status (states.CLIENT_MOVES), and tags typed on one
line (order_rules.split_tags, shared by `jiedan client post --tag` and the dashboard)."""

from __future__ import annotations

import pytest

from jiedan_cli.domain.errors import Conflict, InvalidInput
from jiedan_cli.domain.order_rules import check_tags, split_tags
from jiedan_cli.domain.states import OrderStatus, client_moves, require_client_move


@pytest.mark.parametrize(
    ("status", "moves"),
    [
        ("open", ["award", "cancel"]),
        ("awarded", ["fund", "cancel"]),
        ("in_progress", []),
        ("delivered", ["accept", "revise"]),
        ("completed", []),
        ("cancelled", []),
        ("disputed", []),
    ],
)
def test_each_status_allows_the_moves_the_server_allows(status: str, moves: list[str]) -> None:
    assert client_moves(status) == moves


def test_a_move_from_another_status_is_refused_as_the_server_words_it() -> None:
    require_client_move("cancel", OrderStatus.AWARDED)
    with pytest.raises(Conflict) as caught:
        require_client_move("cancel", "in_progress")
    assert caught.value.message == "order is in_progress; this needs it open or awarded"
    assert caught.value.code == "order_in_progress"


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
