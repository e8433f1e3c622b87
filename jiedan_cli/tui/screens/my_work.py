"""My work: the orders awarded to me — the highlighted one's milestones, history and any
revision the client asked for beside them — and my bids by status. `d` delivers the
highlighted order; Enter opens an order (to update a bid, review, dispute or write)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import DataTable, Static

from jiedan_cli.tui import formatting
from jiedan_cli.tui.messages import ActionDone, OrderWork, WorkLoaded
from jiedan_cli.tui.screens.base import DashboardScreen
from jiedan_cli.tui.widgets import order_progress
from jiedan_cli.tui.widgets.order_progress import ESCROW_WORDS, escrow_summary

__all__ = ["ESCROW_WORDS", "MyWork"]

# How bids sort: what needs attention first.
STATUS_ORDER = {"awarded": 0, "submitted": 1, "rejected": 2, "declined": 3, "withdrawn": 4}
NARROW = 150  # columns below which the order's panel goes under the table, not beside it
COMPACT = 90  # columns below which titles are shorter and the Money column is left out


class MyWork(DashboardScreen):
    BINDINGS = [Binding("d", "deliver", "Deliver")]

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._bid_orders: dict[str, str] = {}  # bid id → its order, for Enter on a bid
        self._awarded: dict[str, dict[str, Any]] = {}  # awarded orders by id, as shown
        self._work: dict[str, OrderWork] = {}
        self._me: str | None = None
        self._loaded: WorkLoaded | None = None
        self._compact: bool | None = None  # the tables' columns are set for this width

    def compose_body(self) -> Iterable[Widget]:
        yield Static("Awarded to me", classes="section-title")
        with Horizontal(id="work-top"):
            yield DataTable(id="awarded-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="work-panel"):
                yield Static("", id="work-panel-text")
        yield Static("My bids", classes="section-title")
        yield DataTable(id="bids-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self._fit(self.app.size.width)  # columns before any rows, whatever arrives first
        self.query_one("#awarded-table").focus()

    def on_resize(self) -> None:
        self._fit(self.size.width)

    def _fit(self, width: int) -> None:
        self.set_class(width < NARROW, "-narrow")  # the panel goes under the table
        compact = width < COMPACT
        if compact != self._compact:
            self._compact = compact
            self._set_columns()
            if self._loaded is not None:
                self.on_work_loaded(self._loaded)

    def _set_columns(self) -> None:
        title_width = 22 if self._compact else 28
        awarded: DataTable[Any] = self.query_one("#awarded-table", DataTable)
        awarded.clear(columns=True)
        awarded.add_column("Order", key="title", width=title_width)
        awarded.add_columns(
            *(["Status", "Deadline"] if self._compact else ["Status", "Money", "Deadline"])
        )
        awarded.add_column("Amount")
        bids: DataTable[Any] = self.query_one("#bids-table", DataTable)
        bids.clear(columns=True)
        bids.add_column("Order", key="title", width=title_width)
        bids.add_columns("Amount", "Days", "Status", "Sync", "Placed")

    def reload(self) -> None:
        self.read_work()

    @work(thread=True, exclusive=True, group="work")
    def read_work(self) -> None:
        from jiedan_cli.store.queries import get_orders, list_bids, list_orders
        from jiedan_cli.store.state import current_user_id

        with self.dashboard.replica() as conn:
            me = current_user_id(conn)
            bids = list_bids(conn, freelancer_id=me) if me else []
            orders = get_orders(conn, (bid["order_id"] for bid in bids))
            mine = list_orders(conn, status="all", mine_user_id=me, limit=1000) if me else []
            awarded = [o for o in mine if o.get("freelancer_id") == me]
            work = {o["id"]: order_progress.read_order_work(conn, o["id"]) for o in awarded}
            for order in awarded:
                order["milestones"] = work[order["id"]].milestones
        self.post_message(WorkLoaded(bids, orders, awarded, work, me))

    def on_work_loaded(self, message: WorkLoaded) -> None:
        self._loaded = message
        self._me = message.me
        self._work = message.work
        self._show_awarded(message.awarded)
        self._show_bids(message.bids, message.orders)

    # ---- the orders awarded to me, and the highlighted one's work ------------------------------

    def _show_awarded(self, awarded: list[dict[str, Any]]) -> None:
        table: DataTable[Any] = self.query_one("#awarded-table", DataTable)
        was = self._highlighted_id()
        table.clear()
        self._awarded = {order["id"]: order for order in awarded}
        for order in awarded:
            table.add_row(*self._awarded_row(order), key=order["id"])
        if was in self._awarded:
            table.move_cursor(row=table.get_row_index(was))
        self._show_panel()

    def _awarded_row(self, order: dict[str, Any]) -> list[Any]:
        work = self._work.get(order["id"], OrderWork())
        amount = sum(int(m.get("amount_fen") or 0) for m in work.milestones)
        status = formatting.plain(order_progress.work_status(order, work))
        if status.plain == "revising":
            status.stylize(f"bold {formatting.PENDING}")
        if order.get("sync_state") != "synced":  # something of mine on it waits to be sent
            state = str(order.get("sync_state"))
            status.append(f" {formatting.sync_symbol(order)}", style=formatting.SYNC_STYLES[state])
        money = [] if self._compact else [escrow_summary(work.milestones)]
        return [
            formatting.plain(order.get("title"), overflow="ellipsis"),
            status,
            *money,
            Text(formatting.day(order.get("deadline"))),
            Text(formatting.yuan(amount) if amount else "", justify="right"),
        ]

    def _highlighted_id(self) -> str | None:
        table: DataTable[Any] = self.query_one("#awarded-table", DataTable)
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return str(row_key.value)

    def highlighted(self) -> dict[str, Any] | None:
        """The awarded order under the cursor, as shown."""
        return self._awarded.get(self._highlighted_id() or "")

    @on(DataTable.RowHighlighted, "#awarded-table")
    def _show_panel(self) -> None:
        panel = self.query_one("#work-panel")
        text = self.query_one("#work-panel-text", Static)
        order = self.highlighted()
        if order is None:
            panel.border_title = None
            text.update(Text("Nothing is awarded to you yet.", style="dim"))
        else:
            work = self._work.get(order["id"], OrderWork())
            panel.border_title = formatting.plain(order.get("title"), overflow="ellipsis")
            text.update(order_progress.progress(order, work, self._me, self.dashboard.tz))
        self.refresh_bindings()

    # ---- my bids -------------------------------------------------------------------------------

    def _show_bids(self, bids: list[dict[str, Any]], orders: dict[str, dict[str, Any]]) -> None:
        table: DataTable[Any] = self.query_one("#bids-table", DataTable)
        table.clear()
        ranked = sorted(bids, key=lambda b: STATUS_ORDER.get(str(b.get("status")), 9))
        for bid in ranked:
            order = orders.get(bid["order_id"]) or {}
            table.add_row(
                formatting.plain(
                    order.get("title") or formatting.short_id(bid["order_id"]), overflow="ellipsis"
                ),
                Text(formatting.yuan(bid.get("amount_fen")), justify="right"),
                formatting.plain(bid.get("days") or "", justify="right"),
                Text(formatting.status(bid.get("status"))),  # Text: a str cell is markup
                Text(formatting.sync_mark(bid)),
                Text(formatting.when(bid.get("created_at"), self.dashboard.tz)),
                key=bid["id"],
            )
        self._bid_orders = {bid["id"]: bid["order_id"] for bid in bids}

    @on(DataTable.RowSelected)
    def open_order(self, event: DataTable.RowSelected) -> None:
        from jiedan_cli.tui.screens.order_detail import OrderDetail

        key = str(event.row_key.value)
        order_id = self._bid_orders.get(key, key) if event.data_table.id == "bids-table" else key
        self.app.push_screen(OrderDetail(order_id))

    # ---- deliver -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "deliver":
            order = self.highlighted()
            work = self._work.get(order["id"], OrderWork()) if order else OrderWork()
            return order is not None and order_progress.may_deliver(order, work, self._me)
        return True

    def action_deliver(self) -> None:
        from jiedan_cli.tui.widgets.work_dialogs import deliver_dialog

        order = self.highlighted()
        if order is None:
            return
        dialog = deliver_dialog(order.get("title") or "")
        self.app.push_screen(dialog, partial(self._deliver, order["id"]))

    def _deliver(self, order_id: str, values: dict[str, Any] | None) -> None:
        from jiedan_cli.tui.widgets.work_dialogs import deliver

        if values is not None:
            act = partial(deliver, order_id=order_id, note=values["note"], paths=values["files"])
            self.perform("deliver", act)

    def on_action_done(self, message: ActionDone) -> None:
        if message.action == "deliver":
            self.notify("Delivered: saved here, the client is asked to accept.", timeout=4)

    def palette_commands(self) -> Iterable[SystemCommand]:
        """This screen's moves for the command palette (JiedanApp.get_system_commands)."""
        order = self.highlighted()
        if order is not None and self.check_action("deliver", ()):
            title = order.get("title") or ""
            yield SystemCommand(
                "Deliver 交付", f"Hand in “{title}”: a note and files (d)", self.action_deliver
            )
