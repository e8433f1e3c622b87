"""My work: my bids by status, and the orders awarded to me with their escrow state.
Enter opens an order (to deliver, update a bid or write to the client)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual import on, work
from textual.widget import Widget
from textual.widgets import DataTable, Static

from jiedan_cli.tui import formatting
from jiedan_cli.tui.messages import WorkLoaded
from jiedan_cli.tui.screens.base import DashboardScreen

# How bids sort: what needs attention first.
STATUS_ORDER = {"awarded": 0, "submitted": 1, "rejected": 2, "declined": 3, "withdrawn": 4}
AWARDED_STATUSES = ("awarded", "in_progress", "delivered", "disputed", "completed")


class MyWork(DashboardScreen):
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._bid_orders: dict[str, str] = {}  # bid id → its order, for Enter on a bid

    def compose_body(self) -> Iterable[Widget]:
        yield Static("Awarded to me", classes="section-title")
        awarded: DataTable[Any] = DataTable(
            id="awarded-table", cursor_type="row", zebra_stripes=True
        )
        awarded.add_column("Order", key="title", width=28)
        awarded.add_columns("Status", "Money", "Deadline", "Amount")
        yield awarded
        yield Static("My bids", classes="section-title")
        bids: DataTable[Any] = DataTable(id="bids-table", cursor_type="row", zebra_stripes=True)
        bids.add_column("Order", key="title", width=28)
        bids.add_columns("Amount", "Days", "Status", "Sync", "Placed")
        yield bids

    def on_mount(self) -> None:
        self.query_one("#awarded-table").focus()

    def reload(self) -> None:
        self.read_work()

    @work(thread=True, exclusive=True, group="work")
    def read_work(self) -> None:
        from jiedan_cli.store.queries import get_order, list_bids, list_milestones, list_orders
        from jiedan_cli.store.state import current_user_id

        with self.dashboard.replica() as conn:
            me = current_user_id(conn)
            bids = list_bids(conn, freelancer_id=me) if me else []
            orders = {}
            for bid in bids:
                order = get_order(conn, bid["order_id"])
                if order is not None:
                    orders[order["id"]] = order
            mine = list_orders(conn, status="all", mine_user_id=me, limit=1000) if me else []
            awarded = [o for o in mine if o.get("freelancer_id") == me]
            for order in awarded:
                order["milestones"] = list_milestones(conn, order["id"])
        self.post_message(WorkLoaded(bids, orders, awarded))

    def on_work_loaded(self, message: WorkLoaded) -> None:
        self._show_awarded(message.awarded)
        self._show_bids(message.bids, message.orders)

    def _show_awarded(self, awarded: list[dict[str, Any]]) -> None:
        table: DataTable[Any] = self.query_one("#awarded-table", DataTable)
        table.clear()
        for order in awarded:
            amount = sum(int(m.get("amount_fen") or 0) for m in order["milestones"])
            table.add_row(
                Text(order.get("title") or "", overflow="ellipsis"),
                order.get("status") or "",
                _escrow(order["milestones"]),
                formatting.day(order.get("deadline")),
                Text(formatting.yuan(amount) if amount else "", justify="right"),
                key=order["id"],
            )

    def _show_bids(self, bids: list[dict[str, Any]], orders: dict[str, dict[str, Any]]) -> None:
        table: DataTable[Any] = self.query_one("#bids-table", DataTable)
        table.clear()
        ranked = sorted(bids, key=lambda b: STATUS_ORDER.get(str(b.get("status")), 9))
        for bid in ranked:
            order = orders.get(bid["order_id"]) or {}
            table.add_row(
                Text(
                    order.get("title") or formatting.short_id(bid["order_id"]), overflow="ellipsis"
                ),
                Text(formatting.yuan(bid.get("amount_fen")), justify="right"),
                Text(str(bid.get("days") or ""), justify="right"),
                bid.get("status") or "",
                formatting.sync_mark(bid),
                formatting.when(bid.get("created_at"), self.dashboard.tz),
                key=bid["id"],
            )
        self._bid_orders = {bid["id"]: bid["order_id"] for bid in bids}

    @on(DataTable.RowSelected)
    def open_order(self, event: DataTable.RowSelected) -> None:
        from jiedan_cli.tui.screens.order_detail import OrderDetail

        key = str(event.row_key.value)
        order_id = self._bid_orders.get(key, key) if event.data_table.id == "bids-table" else key
        self.app.push_screen(OrderDetail(order_id))


# A milestone's status, as where the money is (domain/states.py MilestoneStatus).
ESCROW_WORDS = {
    "created": "not funded yet",
    "funded": "in escrow",
    "submitted": "in escrow, delivered",
    "revision_requested": "in escrow, revising",
    "released": "paid out",
    "auto_released": "paid out",
    "refund_requested": "refund asked",
    "refunded": "refunded",
    "disputed": "disputed",
}


def _escrow(milestones: list[dict[str, Any]]) -> str:
    """'in escrow' or '1 paid out, 1 in escrow' — the milestones' money in a few words."""
    if not milestones:
        return "not funded yet"
    counts: dict[str, int] = {}
    for milestone in milestones:
        status = str(milestone.get("status") or "")
        words = ESCROW_WORDS.get(status, status.replace("_", " "))
        counts[words] = counts.get(words, 0) + 1
    if len(milestones) == 1:
        return next(iter(counts))
    return ", ".join(f"{n} {words}" for words, n in counts.items())
