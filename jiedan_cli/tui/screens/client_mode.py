"""Client mode: the orders I posted beside the bids on the highlighted one; award a bid,
fund the escrow, accept a delivery (store.actions.award / fund / accept)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import DataTable, Static

from jiedan_cli.tui import formatting
from jiedan_cli.tui.messages import ActionDone, ClientLoaded
from jiedan_cli.tui.screens.base import DashboardScreen

NARROW = 100  # columns below which the bids go under the orders, not beside them


class ClientMode(DashboardScreen):
    BINDINGS = [
        Binding("a", "award", "Award bid"),
        Binding("f", "fund", "Fund"),
        Binding("c", "accept", "Accept"),
    ]

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.loaded: ClientLoaded | None = None
        self.order_id: str | None = None  # the highlighted order

    def compose_body(self) -> Iterable[Widget]:
        with Horizontal(id="client-panes"):
            with Vertical(id="client-orders-pane"):
                yield Static("My orders", classes="section-title")
                orders: DataTable[Any] = DataTable(
                    id="client-orders", cursor_type="row", zebra_stripes=True
                )
                orders.add_column("Order", key="title", width=18)
                orders.add_columns("Status", "Bids", "")
                yield orders
            with Vertical(id="client-bids-pane"):
                yield Static("Bids", classes="section-title", id="client-bids-title")
                bids: DataTable[Any] = DataTable(
                    id="client-bids", cursor_type="row", zebra_stripes=True
                )
                bids.add_columns("Freelancer", "Amount", "Days", "Status", "Note")
                yield bids
        yield Static("", id="client-hint", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#client-orders").focus()

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW, "-narrow")  # the panes stack

    def reload(self) -> None:
        self.read_client()

    @work(thread=True, exclusive=True, group="client")
    def read_client(self) -> None:
        from jiedan_cli.store.queries import list_bids, list_orders
        from jiedan_cli.store.state import current_user_id

        with self.dashboard.replica() as conn:
            me = current_user_id(conn)
            mine = list_orders(conn, status="all", mine_user_id=me, limit=1000) if me else []
            orders = [o for o in mine if o.get("client_id") == me]
            bids = {o["id"]: list_bids(conn, o["id"]) for o in orders}
        self.post_message(ClientLoaded(orders, bids))

    def on_client_loaded(self, message: ClientLoaded) -> None:
        self.loaded = message
        table: DataTable[Any] = self.query_one("#client-orders", DataTable)
        keep = self.order_id
        table.clear()
        for order in message.orders:
            table.add_row(
                Text(order.get("title") or "", overflow="ellipsis"),
                order.get("status") or "",
                Text(str(len(message.bids.get(order["id"], []))), justify="right"),
                formatting.sync_symbol(order),
                key=order["id"],
            )
        ids = [o["id"] for o in message.orders]
        if keep in ids:
            table.move_cursor(row=ids.index(keep), animate=False)
        self._show_bids(keep if keep in ids else (ids[0] if ids else None))

    def _show_bids(self, order_id: str | None) -> None:
        self.order_id = order_id
        table: DataTable[Any] = self.query_one("#client-bids", DataTable)
        table.clear()
        order = self._order()
        title = self.query_one("#client-bids-title", Static)
        title.update(Text(f"Bids on {order.get('title')}" if order else "Bids"))
        for bid in self.loaded.bids.get(order_id, []) if self.loaded and order_id else []:
            table.add_row(
                formatting.short_id(bid.get("freelancer_id")),
                Text(formatting.yuan(bid.get("amount_fen")), justify="right"),
                Text(str(bid.get("days") or ""), justify="right"),
                bid.get("status") or "",
                Text(bid.get("message") or "", overflow="ellipsis"),
                key=bid["id"],
            )
        self.query_one("#client-hint", Static).update(_hint(order))

    def _order(self) -> dict[str, Any] | None:
        if self.loaded is None or self.order_id is None:
            return None
        return next((o for o in self.loaded.orders if o["id"] == self.order_id), None)

    @on(DataTable.RowHighlighted, "#client-orders")
    def order_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value != self.order_id:
            self._show_bids(event.row_key.value)

    @on(DataTable.RowSelected, "#client-orders")
    def to_bids(self) -> None:
        self.query_one("#client-bids").focus()

    # ---- actions -------------------------------------------------------------------------------

    def action_award(self) -> None:
        from jiedan_cli.store import actions

        bids: DataTable[Any] = self.query_one("#client-bids", DataTable)
        if self.order_id is None or not bids.row_count:
            self.notify("Highlight a bid first (Tab to the bids).", timeout=3)
            return
        bid_id = str(bids.coordinate_to_cell_key(bids.cursor_coordinate).row_key.value)
        self.perform("award", partial(actions.award, order_id=self.order_id, bid_id=bid_id))

    def action_fund(self) -> None:
        from jiedan_cli.store import actions

        if self.order_id is not None:
            self.perform("fund", partial(actions.fund, order_id=self.order_id))

    def action_accept(self) -> None:
        from jiedan_cli.store import actions

        if self.order_id is not None:
            self.perform("accept", partial(actions.accept, order_id=self.order_id))

    def on_action_done(self, message: ActionDone) -> None:
        done = {"award": "Awarded", "fund": "Funding requested", "accept": "Accepted"}
        self.notify(
            f"{done.get(message.action, message.action)}: sent with the next sync.", timeout=3
        )


def _hint(order: dict[str, Any] | None) -> str:
    if order is None:
        return "No orders posted yet: `jiedan client post` posts one."
    status = order.get("status")
    if status == "open":
        return "a awards the highlighted bid (Tab moves to the bids)."
    if status == "awarded":
        return "f funds the escrow so the work can start."
    if status == "delivered":
        return "c accepts the delivery and pays the freelancer."
    return f"The order is {status}."
