"""Client mode: the orders I posted beside the bids on the highlighted one; post a new order,
award a bid, fund the escrow, accept a delivery or send it back, cancel (store.actions
post_order / award / fund / accept / revise / cancel). Only the moves the highlighted
order allows are offered (domain/moves.CLIENT_MOVES, as the server checks them).
A move of money (award, fund, accept) is asked first, in a dialog naming the amount, the
other party and what follows (domain/escrow.py: what a funding pays, what an acceptance
releases); "Cancel" has the focus, y (or Enter on the yes button) goes ahead."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import partial
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import DataTable, Static

from jiedan_cli.domain import escrow
from jiedan_cli.domain.coupons import first_order_coupon_fen
from jiedan_cli.domain.errors import JiedanError
from jiedan_cli.domain.moves import CLIENT_MOVES, Role, Seat, open_moves
from jiedan_cli.domain.states import BidStatus, OrderStatus
from jiedan_cli.domain.tiers import by_tier_priority, tier_label, tier_rank
from jiedan_cli.tui import formatting
from jiedan_cli.tui.messages import ActionDone, ClientLoaded, CouponLoaded
from jiedan_cli.tui.screens.base import DashboardScreen
from jiedan_cli.tui.widgets.form_modal import Field, FormModal, Values

NARROW = 100  # columns below which the bids go under the orders, not beside them
FREELANCER_WIDTH = 16  # cells: a name and its rating, or a short id
TITLE_MIN = 18  # cells of an order's title at least; it takes what the other columns leave

# What each move's key does, for the hint under the panes (in CLIENT_MOVES' order).
MOVE_HINTS = {
    "award": "a awards the highlighted bid (Tab moves to the bids)",
    "fund": "f funds the escrow so the work can start",
    "accept": "c accepts the delivery and releases the escrow to the freelancer",
    "revise": "v asks for a revision",
    "cancel": "x cancels the order",
}
NO_CLIENT_ROLE = (
    "This account takes orders but cannot post them: posting needs an account with the client"
    " role (jiedan auth register --role both)."
)
WITH_MILESTONES = {OrderStatus.AWARDED, OrderStatus.IN_PROGRESS, OrderStatus.DELIVERED}
DONE = {
    "post": "Order posted",
    "award": "Awarded",
    "fund": "Funding requested",
    "accept": "Accepted",
    "revise": "Revision asked",
    "cancel": "Order cancelled",
}


class ClientMode(DashboardScreen):
    BINDINGS = [
        Binding("n", "new_order", "New order"),
        Binding("a", "award", "Award bid"),
        Binding("f", "fund", "Fund"),
        Binding("c", "accept", "Accept"),
        Binding("v", "revise", "Ask revision"),
        Binding("x", "cancel", "Cancel order"),
    ]

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.loaded: ClientLoaded | None = None
        self.coupon: dict[str, Any] = {}  # my first-order coupon's standing, once asked online
        self.order_id: str | None = None  # the highlighted order

    def compose_body(self) -> Iterable[Widget]:
        with Horizontal(id="client-panes"):
            with Vertical(id="client-orders-pane"):
                yield Static("My orders", classes="section-title")
                orders: DataTable[Any] = DataTable(
                    id="client-orders", cursor_type="row", zebra_stripes=True
                )
                _order_columns(orders, TITLE_MIN, len("Status"))
                yield orders
            with Vertical(id="client-bids-pane"):
                yield Static("Bids", classes="section-title", id="client-bids-title")
                bids: DataTable[Any] = DataTable(
                    id="client-bids", cursor_type="row", zebra_stripes=True
                )
                bids.add_column("Freelancer", width=FREELANCER_WIDTH)
                bids.add_columns("Amount", "Days", "Status", "Note")
                yield bids
        yield Static("", id="client-hint", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#client-orders").focus()

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW, "-narrow")  # the panes stack
        self.call_after_refresh(self._fit_titles)  # once the panes have their new widths

    def _fit_titles(self) -> None:
        """The title column takes the cells the other columns leave in the orders pane
        (and a scroll bar, when one shows), so a title is cut only when it has to be."""
        table: DataTable[Any] = self.query_one("#client-orders", DataTable)
        orders = self.loaded.orders if self.loaded else []
        status = max([len("Status"), *(cell_len(_status(o)) for o in orders)])
        scrollbar = table.scrollbar_size_vertical if table.show_vertical_scrollbar else 0
        free = title_width(table.size.width - scrollbar, table.cell_padding, status)
        title = max(free, TITLE_MIN)
        if [c.width for c in table.ordered_columns[:2]] != [title, status]:
            _order_columns(table, title, status)
            self._draw_orders()

    def reload(self) -> None:
        self.read_client()
        if self.coupon.get("status", "available") == "available":  # else it is decided
            self.read_coupon()

    @work(thread=True, exclusive=True, group="client-coupon")
    def read_coupon(self) -> None:
        from jiedan_cli.sync.http import api_call

        try:
            coupon = api_call(
                "GET", "/v1/me/first-order-coupon", server=self.dashboard.server, timeout=5
            )
        except JiedanError:
            return  # offline or signed out: the fund dialog says nothing of a coupon
        self.post_message(CouponLoaded(coupon))

    def on_coupon_loaded(self, message: CouponLoaded) -> None:
        self.coupon = message.coupon

    @work(thread=True, exclusive=True, group="client")
    def read_client(self) -> None:
        from jiedan_cli.store.actions import milestone_statuses
        from jiedan_cli.store.queries import list_bids, list_milestones, list_orders, my_roles
        from jiedan_cli.store.state import current_user_id

        with self.dashboard.replica() as conn:
            me = current_user_id(conn)
            roles = my_roles(conn)
            can_post = roles is None or "client" in roles  # unknown: the server decides
            mine = list_orders(conn, status="all", mine_user_id=me, limit=1000) if me else []
            orders = [o for o in mine if o.get("client_id") == me]
            bids = {o["id"]: list_bids(conn, o["id"]) for o in orders}
            milestones = {
                o["id"]: list_milestones(conn, o["id"])
                for o in orders
                if o.get("status") in WITH_MILESTONES
            }
            statuses = {order_id: milestone_statuses(conn, order_id) for order_id in milestones}
            bidders = {b["freelancer_id"] for found in bids.values() for b in found}
            bidders |= {o["freelancer_id"] for o in orders if o.get("freelancer_id")}
            profiles = _profiles(conn, bidders)
            loaded = partial(ClientLoaded, can_post=can_post, milestones=milestones)
            self.post_message(loaded(orders, bids, profiles, statuses=statuses))
            if self.fetch_profiles(conn, bidders - set(profiles)):  # names and ratings
                profiles = _profiles(conn, bidders)
                self.post_message(loaded(orders, bids, profiles, statuses=statuses))

    def on_client_loaded(self, message: ClientLoaded) -> None:
        self.loaded = message
        self._draw_orders()
        self.call_after_refresh(self._fit_titles)  # its statuses, and a scroll bar or none

    def _draw_orders(self) -> None:
        message = self.loaded
        if message is None:
            return
        table: DataTable[Any] = self.query_one("#client-orders", DataTable)
        keep = self.order_id
        table.clear()
        for order in message.orders:
            table.add_row(
                formatting.plain(order.get("title"), overflow="ellipsis", no_wrap=True),
                Text(_status(order)),  # Text cells: a str cell is markup
                Text(str(len(message.bids.get(order["id"], []))), justify="right"),
                formatting.sync_symbol(order),  # one of our marks
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
        shown = f"Bids on {formatting.shown(order.get('title'))}" if order else "Bids"
        title.update(Text(shown, no_wrap=True))
        profiles = self.loaded.profiles if self.loaded else {}
        for bid in self._bids():
            table.add_row(
                _freelancer(bid.get("freelancer_id"), profiles.get(bid.get("freelancer_id") or "")),
                Text(formatting.yuan(bid.get("amount_fen")), justify="right"),
                formatting.plain(bid.get("days") or "", justify="right"),
                Text(formatting.status(bid.get("status"))),
                formatting.plain(bid.get("message"), overflow="ellipsis", no_wrap=True),
                key=bid["id"],
            )
        self.query_one("#client-hint", Static).update(_hint(order, self.moves(), self._can_post()))
        self.refresh_bindings()  # the footer offers what this order's status allows

    def _order(self) -> dict[str, Any] | None:
        if self.loaded is None or self.order_id is None:
            return None
        return next((o for o in self.loaded.orders if o["id"] == self.order_id), None)

    def _bids(self) -> list[dict[str, Any]]:
        """The highlighted order's bids, higher tiers first (domain/tiers.by_tier_priority)."""
        if self.loaded is None or self.order_id is None:
            return []
        profiles = self.loaded.profiles
        found = self.loaded.bids.get(self.order_id, [])
        return by_tier_priority(found, lambda bid: _tier_code(bid, profiles))

    def moves(self) -> list[str]:
        """The client's moves open on the highlighted order: those domain/moves allows on it,
        and an award only while a bid waits for one."""
        order = self._order()
        if order is None or self.loaded is None:
            return []
        seat = Seat(str(order["id"]), str(order.get("status")), Role.CLIENT)
        found = open_moves(seat, self.loaded.statuses.get(seat.order_id))
        if not any(b.get("status") == BidStatus.SUBMITTED for b in self._bids()):
            found = [move for move in found if move != "award"]
        return found

    def _can_post(self) -> bool:
        return self.loaded is None or self.loaded.can_post

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in CLIENT_MOVES:
            return action in self.moves()
        if action == "new_order":
            return self._can_post()
        return True

    @on(DataTable.RowHighlighted, "#client-orders")
    def order_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value != self.order_id:
            self._show_bids(event.row_key.value)

    @on(DataTable.RowSelected, "#client-orders")
    def to_bids(self) -> None:
        """Enter on an order: to its bids; with none to look at, or a second Enter on a bid,
        the order itself (its messages with the freelancers)."""
        bids = self.query_one("#client-bids", DataTable)
        if bids.row_count:
            bids.focus()
        else:
            self.open_order()

    @on(DataTable.RowSelected, "#client-bids")
    def open_order(self, event: DataTable.RowSelected | None = None) -> None:
        """The order's detail; from a bid, its messages go to that bid's freelancer."""
        from jiedan_cli.tui.screens.order_detail import OrderDetail

        if self.order_id is None:
            return
        bids = self.loaded.bids.get(self.order_id, []) if self.loaded else []
        picked = str(event.row_key.value) if event is not None else None
        to = next((b["freelancer_id"] for b in bids if b["id"] == picked), None)
        self.app.push_screen(OrderDetail(self.order_id, write_to=to))

    # ---- actions -------------------------------------------------------------------------------

    def action_new_order(self) -> None:
        """Also run from the command palette, where the key's check did not apply."""
        if not self._can_post():
            self.notify(NO_CLIENT_ROLE, timeout=5)
            return
        from jiedan_cli.tui.widgets.order_form import new_order_dialog

        self.app.push_screen(new_order_dialog(), self._post)

    def _post(self, values: Values | None) -> None:
        from jiedan_cli.store import actions

        if values is None:
            return
        from jiedan_cli.store import dispute_facts

        deadline: date | None = values["deadline"]
        self.perform(
            "post",
            partial(
                actions.post_order,
                title=values["title"],
                description=values["description"],
                category=values["category"],
                tags=values["tags"],
                budget_min_fen=values["budget_min_fen"],
                budget_max_fen=values["budget_max_fen"],
                deadline=deadline.isoformat() if deadline is not None else None,
            ),
            caution=partial(
                dispute_facts.at_posting,
                description=values["description"],
                category=values["category"],
                budget_max_fen=values["budget_max_fen"],
                deadline=deadline,
            ),
        )

    def action_award(self) -> None:
        """Also run from the command palette, where the key's check did not apply."""
        from jiedan_cli.store import actions

        bids: DataTable[Any] = self.query_one("#client-bids", DataTable)
        order = self._order()
        if order is None or not bids.row_count or "award" not in self.moves():
            self.notify("Highlight a bid on an open order first (Tab to the bids).", timeout=4)
            return
        bid_id = str(bids.coordinate_to_cell_key(bids.cursor_coordinate).row_key.value)
        bid = next((b for b in self._bids() if b["id"] == bid_id), None)
        if bid is None or bid.get("status") != BidStatus.SUBMITTED:
            self.notify("That bid is no longer waiting for an award.", timeout=4)
            return
        others = sum(
            1 for b in self._bids() if b["id"] != bid_id and b.get("status") == BidStatus.SUBMITTED
        )
        amount = formatting.yuan(bid.get("amount_fen"))
        name = self._party_name(bid.get("freelancer_id"))
        declines = {0: "No other bid is waiting.", 1: "This declines the other bid."}
        question = [
            f"Award “{formatting.shown(order.get('title'))}” to {name}"
            f" for {amount} in {bid.get('days')} days?",
            declines.get(others, f"This declines the other {others} bids."),
            f"Next you fund the escrow: {amount}.",
            *(f"Warning: {w.reason}" for w in self._award_warnings(bid)),
        ]
        act = partial(actions.award, order_id=order["id"], bid_id=bid_id)
        self._confirm("award", "Award the bid", question, f"Award to {name}", act)

    def action_fund(self) -> None:
        """Also run from the command palette, where the key's check did not apply."""
        from jiedan_cli.store import actions

        order = self._order()
        if order is None or "fund" not in self.moves():
            self.notify("Highlight an awarded order to fund its escrow.", timeout=4)
            return
        fen = escrow.to_fund(self._milestones(), self._awarded_fen())
        amount = formatting.yuan(fen) if fen is not None else "the next milestone"
        name = self._party_name(self._freelancer_id())
        question = [
            f"Pay {amount} into escrow for “{formatting.shown(order.get('title'))}”?",
            f"The platform holds it; {name} is paid when you accept the delivery.",
        ]
        if self.coupon.get("status") == "available" and fen:
            off = first_order_coupon_fen(fen, int(self.coupon.get("amount_fen") or 0))
            question.append(
                f"Your first payment gets a first-order coupon (新客首单券): {formatting.yuan(off)}"
                " of it is paid by the platform, so you pay less."
            )
        act = partial(actions.fund, order_id=order["id"])
        self._confirm("fund", "Fund the escrow", question, f"Pay {amount}", act)

    def action_accept(self) -> None:
        """Also run from the command palette, where the key's check did not apply."""
        from jiedan_cli.store import actions

        order = self._order()
        if order is None or "accept" not in self.moves():
            self.notify("Highlight a delivered order to accept it.", timeout=4)
            return
        fen = escrow.to_release(self._milestones(), self._awarded_fen())
        amount = formatting.yuan(fen) if fen is not None else "what is in escrow"
        name = self._party_name(self._freelancer_id())
        question = [
            f"Accept the delivery of “{formatting.shown(order.get('title'))}”?",
            f"This releases {amount} to {name} (the platform fee comes out of it);"
            " it cannot be taken back.",
        ]
        act = partial(actions.accept, order_id=order["id"])
        self._confirm("accept", "Accept the delivery", question, f"Release {amount}", act)

    def _confirm(
        self, action: str, title: str, question: list[str], yes_label: str, act: Any
    ) -> None:
        """Ask before a move of money; on yes, the store.actions call `act` runs."""
        from jiedan_cli.tui.widgets.confirm_modal import ConfirmModal

        modal = ConfirmModal(title, question, yes_label=yes_label, no_label="Cancel")
        self.app.push_screen(modal, partial(self._confirmed, action, act))

    def _confirmed(self, action: str, act: Any, yes: bool | None) -> None:
        if yes:
            self.perform(action, act)

    def _milestones(self) -> list[dict[str, Any]]:
        if self.loaded is None or self.order_id is None:
            return []
        return self.loaded.milestones.get(self.order_id, [])

    def _awarded_bid(self) -> dict[str, Any] | None:
        order = self._order() or {}
        bids = self._bids()
        chosen = next((b for b in bids if b["id"] == order.get("awarded_bid_id")), None)
        return chosen or next((b for b in bids if b.get("status") == BidStatus.AWARDED), None)

    def _awarded_fen(self) -> int | None:
        bid = self._awarded_bid()
        amount = bid.get("amount_fen") if bid else None
        return amount if isinstance(amount, int) else None

    def _freelancer_id(self) -> str | None:
        bid = self._awarded_bid()
        return (self._order() or {}).get("freelancer_id") or (bid or {}).get("freelancer_id")

    def _award_warnings(self, bid: dict[str, Any]) -> list[Any]:
        """The award's dispute-risk warnings (纠纷预警) from the bidder's profile as loaded,
        by the rules `client award` applies (store/dispute_facts.py)."""
        from jiedan_cli.domain.dispute_warnings import at_award
        from jiedan_cli.store.dispute_facts import freelancer_of

        profiles = self.loaded.profiles if self.loaded else {}
        profile = profiles.get(str(bid.get("freelancer_id") or ""))
        return at_award(
            freelancer=freelancer_of(profile, bid.get("freelancer_id")),
            amount_fen=int(bid.get("amount_fen") or 0),
            now=self.dashboard.now(),
        )

    def _party_name(self, user_id: Any) -> str:
        """Another party by name where the replica has their profile, else a short id."""
        profiles = self.loaded.profiles if self.loaded else {}
        profile = profiles.get(str(user_id or "")) or {}
        return formatting.shown(profile.get("name")) or formatting.short_id(user_id)

    def action_revise(self) -> None:
        """Also run from the command palette, where the key's check did not apply."""
        order = self._order()
        if order is None or "revise" not in self.moves():
            self.notify("Highlight a delivered order to ask for a revision.", timeout=4)
            return
        from jiedan_cli.domain.order_rules import check_note

        note = Field("note", "Note", "What to change", check=check_note, required=True)
        modal = FormModal(
            f"Ask for a revision: {order.get('title')}",
            [note],
            submit_label="Send back",
            hint="The delivery goes back to the freelancer with your note.",
        )
        self.app.push_screen(modal, partial(self._revise, order["id"]))

    def _revise(self, order_id: str, values: Values | None) -> None:
        from jiedan_cli.store import actions

        if values is not None:
            act = partial(actions.revise, order_id=order_id, note=values["note"])
            self.perform("revise", act)

    def action_cancel(self) -> None:
        """Also run from the command palette, where the key's check did not apply."""
        from jiedan_cli.tui.widgets.confirm_modal import ConfirmModal

        order = self._order()
        if order is None or "cancel" not in self.moves():
            self.notify("Highlight an open or awarded order to cancel it.", timeout=4)
            return
        modal = ConfirmModal(
            "Cancel order",
            f"Cancel {order.get('title')}? Its bids are declined; this cannot be undone.",
            yes_label="Cancel order",
            no_label="Keep it",
        )
        self.app.push_screen(modal, partial(self._cancel, order["id"]))

    def _cancel(self, order_id: str, yes: bool | None) -> None:
        from jiedan_cli.store import actions

        if yes:
            self.perform("cancel", partial(actions.cancel, order_id=order_id))

    def on_action_done(self, message: ActionDone) -> None:
        if message.action == "post" and message.shown.get("id"):
            self.order_id = str(message.shown["id"])  # highlighted once the list rereads
        self.notify(
            f"{DONE.get(message.action, message.action)}: sent with the next sync.", timeout=3
        )


# ---- what the panes show -----------------------------------------------------------------------

BIDS_WIDTH, SYNC_WIDTH = 4, 1  # the bid count, the sync mark


def title_width(table_width: int, padding: int, status: int) -> int:
    """What the title column may take of a table `table_width` cells wide: the rest after
    the other columns (the status `status` cells wide) and every column's padding."""
    return table_width - status - BIDS_WIDTH - SYNC_WIDTH - 4 * 2 * padding


def _status(order: dict[str, Any]) -> str:
    return formatting.status(order.get("status"))


def _order_columns(table: DataTable[Any], title: int, status: int) -> None:
    """(Re)make the orders table's columns: the title `title` cells wide, the status
    `status`."""
    table.clear(columns=True)
    table.add_column("Order", key="title", width=title)
    table.add_column("Status", key="status", width=status)
    table.add_column(Text("Bids", justify="right"), key="bids", width=BIDS_WIDTH)
    table.add_column("", key="sync", width=SYNC_WIDTH)


def _tier_code(bid: dict[str, Any], profiles: dict[str, Any]) -> str | None:
    """The bidder's tier (silver …) as their profile was loaded, None while it is not here."""
    tier = (profiles.get(str(bid.get("freelancer_id") or "")) or {}).get("tier")
    return tier if isinstance(tier, str) else None


def _freelancer(user_id: Any, profile: dict[str, Any] | None) -> Text:
    """The bidder's name, tier (银牌 and up) and rating when the replica has their profile,
    else a short id; a long name gives way before the tier and rating do, in a column
    FREELANCER_WIDTH cells wide (with a tier, the rating drops its count to fit)."""
    if profile is None or not profile.get("name"):
        return Text(formatting.short_id(user_id), overflow="ellipsis", no_wrap=True)
    rating = profile.get("rating") or {}
    tier = profile.get("tier")
    shown_tier = tier_label(tier) if isinstance(tier, str) and tier_rank(tier) else ""
    stars = f" {shown_tier}" if shown_tier else ""
    if rating.get("count") and isinstance(rating.get("average"), int | float):
        stars += f" ★{rating['average']:.1f}"
        stars += "" if shown_tier else f" ({rating['count']})"
    name = formatting.plain(profile["name"], no_wrap=True)
    name.truncate(max(FREELANCER_WIDTH - cell_len(stars), 4), overflow="ellipsis")
    name.append(stars, style=formatting.ACCENT)
    return name


def _hint(order: dict[str, Any] | None, moves: list[str], can_post: bool) -> Text:
    """What the keys do for the highlighted order, in its status."""
    if order is None:
        return Text("No orders posted yet: n posts one." if can_post else NO_CLIENT_ROLE)
    status = str(order.get("status") or "")
    parts = [MOVE_HINTS[move] for move in moves]
    if status == "open" and "award" not in moves:
        parts.insert(0, "No bids to award yet")
    if not parts:
        shown = formatting.status(status)
        parts = [f"The order is {shown}; Enter opens it and its messages"]
    if order.get("sync_state") == "pending":
        parts.append("⇡ waiting for the next sync")
    elif order.get("sync_state") == "held":
        parts.append(formatting.sync_mark(order))
    return Text(" · ".join(parts) + ".")


def _profiles(conn: Any, user_ids: set[str]) -> dict[str, dict[str, Any]]:
    """The profiles the replica has of `user_ids` (pulled, or fetched before)."""
    from jiedan_cli.store.queries import get_profile

    return {
        user_id: profile
        for user_id in user_ids
        if user_id and (profile := get_profile(conn, user_id)) is not None
    }
