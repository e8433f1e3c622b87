"""A client's moves on their own order, local-first: refused offline from a status the server
would refuse them in (domain/moves), and a queued new order listed at once as theirs."""

from __future__ import annotations

import sqlite3

import pytest

from jiedan_cli.domain.errors import Conflict
from jiedan_cli.store import actions, outbox, queries
from jiedan_cli.store.apply import apply_page
from tests.store.factories import order, page, put


@pytest.mark.parametrize("status", ["in_progress", "delivered", "completed"])
def test_cancelling_an_order_past_its_award_is_refused_offline(
    store: sqlite3.Connection, status: str
) -> None:
    apply_page(store, page(put("order", order("o1", client_id="me", status=status))))
    with pytest.raises(Conflict) as caught:
        actions.cancel(store, order_id="o1")
    assert caught.value.code == f"order_{status}"
    assert outbox.pending(store) == []


def test_a_revision_needs_a_delivery(store: sqlite3.Connection) -> None:
    apply_page(store, page(put("order", order("o1", client_id="me", status="awarded"))))
    with pytest.raises(Conflict) as caught:
        actions.revise(store, order_id="o1", note="再改改")
    assert caught.value.message == "order is awarded; this needs it delivered"
    assert outbox.pending(store) == []


def test_cancelling_an_awarded_order_is_queued_and_shown_cancelled(
    store: sqlite3.Connection,
) -> None:
    apply_page(store, page(put("order", order("o1", client_id="me", status="awarded"))))
    shown = actions.cancel(store, order_id="o1")
    assert (shown["status"], shown["sync_state"]) == ("cancelled", "pending")
    assert [op.intent for op in outbox.pending(store)] == ["cancel_order"]


def test_a_queued_new_order_is_listed_at_once_among_mine(store: sqlite3.Connection) -> None:
    apply_page(store, page(put("order", order("o1", client_id="someone-else"))))
    posted = actions.post_order(
        store,
        title="家庭相册扫描",
        description="",
        category="other",
        tags=["相册"],
        budget_min_fen=50_000,
        budget_max_fen=100_000,
    )
    mine = queries.list_orders(store, status="all", mine_user_id="me")
    assert [(o["id"], o["client_id"], o["sync_state"]) for o in mine] == [
        (posted["id"], "me", "pending")
    ]
