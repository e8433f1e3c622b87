"""The orders board: open orders from the local replica, newest first, with the command
line's search (store.queries.search_orders: the same Chinese bigram search). One page of
rows is read at a time; the next is read when the cursor nears the end. `n` sorts by the
Distance column instead: located orders nearest first (from the profile's place)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Input, Static

from jiedan_cli.tui.messages import OrdersLoaded, PreviewClient
from jiedan_cli.tui.screens.base import DashboardScreen
from jiedan_cli.tui.widgets.order_summary import OrderPreview
from jiedan_cli.tui.widgets.orders_table import BoardRows, OrdersTable

WIDE = 160  # from this width on, the highlighted order is previewed beside the table
PAGE = 100  # a tall terminal shows ~45 rows; more are read as the cursor goes down
NEAR_END = 10  # rows from the end at which the next page is read
EVERYWHERE_KM = 20_000.0  # nearest first: every located order, whatever its distance


class OrdersBoard(DashboardScreen):
    BINDINGS = [
        Binding("slash", "focus_search", "Search", key_display="/"),
        Binding("escape", "clear_search", "Clear", show=False),
        Binding("m", "more", "More rows", show=False),
        Binding("n", "nearest_first", "Nearest first"),
    ]

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.query_text = ""
        self.nearest = False  # sorted by distance (n), else newest first
        self.limit = PAGE
        self.serial = 0  # the latest request; older answers are dropped
        self.shown: OrdersLoaded | None = None
        self.shown_count = 0  # answers drawn (tests and the P7 bench wait on it)
        self.last_look: str | None = None
        self._last_look_read = False
        self._newest = ""  # the newest posting time seen, saved as the next last look
        self._clients: dict[str, dict[str, Any]] = {}  # the previewed orders' clients, by id
        self._looked_up: set[str] = set()  # clients asked for since the last reload

    def compose_body(self) -> Iterable[Widget]:
        with Horizontal(id="board-bar"):
            yield Input(placeholder="搜索 search: 网站 logo …  (/)", id="board-search")
            yield Static("", id="board-status")
        with Horizontal(id="board-main"):
            yield OrdersTable(id="orders-table")
            yield OrderPreview(id="board-preview")

    def on_mount(self) -> None:  # DashboardScreen.on_mount runs too (Textual walks the MRO)
        self.query_one(OrdersTable).focus()

    def on_resize(self) -> None:
        self.set_class(self.size.width >= WIDE, "-wide")

    # ---- reading ---------------------------------------------------------------------------

    def reload(self) -> None:
        self._looked_up.clear()  # a sync may have brought (or a fetch may now find) a name
        self.serial += 1
        self.read_orders(self.serial, self.query_text, self.limit, self.nearest)

    @work(thread=True, exclusive=True, group="board")
    def read_orders(self, serial: int, query: str, limit: int, nearest: bool = False) -> None:
        from jiedan_cli.store.queries import list_orders, search_orders
        from jiedan_cli.store.state import current_user_id

        with self.dashboard.replica() as conn:
            began = time.perf_counter()
            me = current_user_id(conn)
            place = _my_place(conn, me)
            if query.strip():
                orders = search_orders(conn, query, limit, prefix=True)  # as you type
                if nearest and place is not None:
                    away = _distances(orders, place)
                    orders = sorted(orders, key=lambda o: away.get(o["id"], float("inf")))
            elif nearest and place is not None:
                orders = list_orders(
                    conn, near=place, radius_km=EVERYWHERE_KM, nearest_first=True, limit=limit
                )
            else:
                orders = list_orders(conn, limit=limit)
            seconds = time.perf_counter() - began
        self.post_message(OrdersLoaded(serial, query, orders, limit, seconds, place, me))

    def on_orders_loaded(self, message: OrdersLoaded) -> None:
        if message.serial != self.serial:
            return  # a newer keystroke's answer is on its way
        self._remember_last_look(message.orders)
        table = self.query_one(OrdersTable)
        table.show(
            BoardRows(
                message.orders,
                distances=_distances(message.orders, message.place),
                new_ids=self._new_ids(message.orders),
                tz=self.dashboard.tz,
            )
        )
        self.shown = message
        self.shown_count += 1
        self._show_status(message)
        self._preview(table.cursor_row)

    def _preview(self, row: int) -> None:
        orders = self.shown.orders if self.shown is not None else []
        order = orders[row] if 0 <= row < len(orders) else None
        me = self.shown.me if self.shown is not None else None
        client_id = str(order.get("client_id") or "") if order else ""
        client = self._clients.get(client_id)
        self.query_one(OrderPreview).show(order, me, self.dashboard.tz, client)
        if order is None or not client_id or not self.has_class("-wide"):
            return  # no preview shown
        if client_id not in self._looked_up:
            self._looked_up.add(client_id)
            self.read_client(order["id"], client_id)

    @work(thread=True, group="preview")  # not exclusive: each client is asked for once
    def read_client(self, order_id: str, client_id: str) -> None:
        """The previewed order's client by name, as the order's view finds them."""

        def show(found: dict[str, Any] | None) -> None:
            self.post_message(PreviewClient(order_id, client_id, found))

        with self.dashboard.replica() as conn:
            self.look_up_profile(conn, client_id, show)

    def on_preview_client(self, message: PreviewClient) -> None:
        if message.profile is None:
            return
        self._clients[message.client_id] = message.profile
        table = self.query_one(OrdersTable)
        if self.has_class("-wide"):
            self._preview(table.cursor_row)

    def _show_status(self, message: OrdersLoaded) -> None:
        count = len(message.orders)
        more = "+" if count >= message.limit else ""
        what = f"“{message.query.strip()}”: {count}{more} found" if message.query.strip() else ""
        what = what or f"{count}{more} open orders"
        if self.nearest and message.place is not None:
            what += " · nearest first" if message.query.strip() else " with a place, nearest first"
        self.query_one("#board-status", Static).update(Text(what))

    # ---- new since the last look ---------------------------------------------------

    def _remember_last_look(self, orders: list[dict[str, Any]]) -> None:
        from jiedan_cli.tui.remembered import load_last_look, save_last_look

        if not self._last_look_read:
            self._last_look_read = True
            self.last_look = load_last_look() if self.dashboard.remember else None
            self._newest = self.last_look or ""
        newest = max((o.get("created_at") or "" for o in orders), default="")
        if newest > self._newest and self.dashboard.remember:
            self._newest = newest
            save_last_look(newest)

    def _new_ids(self, orders: list[dict[str, Any]]) -> frozenset[str]:
        if self.last_look is None:
            return frozenset()
        return frozenset(o["id"] for o in orders if (o.get("created_at") or "") > self.last_look)

    # ---- events ------------------------------------------------------------------------------

    @on(Input.Changed, "#board-search")
    def search_changed(self, event: Input.Changed) -> None:
        self.query_text = event.value
        self.limit = PAGE
        self.reload()

    @on(Input.Submitted, "#board-search")
    def search_done(self) -> None:
        self.query_one(OrdersTable).focus()

    @on(OrdersTable.RowHighlighted)
    def near_the_end(self, event: OrdersTable.RowHighlighted) -> None:
        table = self.query_one(OrdersTable)
        if self.has_class("-wide"):
            self._preview(event.cursor_row)
        if event.cursor_row >= table.row_count - NEAR_END:
            self.action_more()

    @on(OrdersTable.RowSelected)
    def open_order(self, event: OrdersTable.RowSelected) -> None:
        from jiedan_cli.tui.screens.order_detail import OrderDetail

        self.app.push_screen(OrderDetail(event.order_id))

    @on(OrdersTable.Relayout)
    def redraw(self) -> None:
        if self.shown is not None:
            self.on_orders_loaded(self.shown)

    def action_more(self) -> None:
        shown = self.shown
        if shown is None or len(shown.orders) < shown.limit or self.limit > shown.limit:
            return  # everything is shown, or the next page is being read
        self.limit = shown.limit + PAGE
        self.reload()

    def action_nearest_first(self) -> None:
        """Sort by the Distance column (located orders nearest first), or back to newest."""
        if not self.nearest and self.shown is not None and self.shown.place is None:
            self.notify("Set your location in your profile (LAT,LON) to sort by distance.")
            return
        self.nearest = not self.nearest
        self.limit = PAGE
        self.reload()

    def action_focus_search(self) -> None:
        self.query_one("#board-search", Input).focus()

    def action_clear_search(self) -> None:
        search = self.query_one("#board-search", Input)
        if search.value:
            search.value = ""
        self.query_one(OrdersTable).focus()


def _my_place(conn: sqlite3.Connection, me: str | None) -> tuple[float, float] | None:
    """Where the signed-in user is, from their profile in the replica (None: not set)."""
    from jiedan_cli.store.queries import get_profile

    profile = get_profile(conn, me) if me else None
    if profile is None:
        return None
    lat, lon = profile.get("lat"), profile.get("lon")
    return None if lat is None or lon is None else (float(lat), float(lon))


def _distances(orders: list[dict[str, Any]], place: tuple[float, float] | None) -> dict[str, float]:
    """Order id → km from `place`, for the orders that have a location."""
    from jiedan_cli.domain.geo import haversine_km

    if place is None:
        return {}
    found = {}
    for order in orders:
        location = order.get("location") or {}
        if location.get("lat") is not None and location.get("lon") is not None:
            found[order["id"]] = haversine_km(
                float(location["lat"]), float(location["lon"]), *place
            )
    return found
