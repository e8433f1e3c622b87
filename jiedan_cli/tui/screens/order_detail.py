"""One order: what is asked, my bid (or the form to make one); for its two parties the
work — milestones, history, a revision asked, delivery — then reviews (`v`, once completed)
and a dispute (`x`, while in progress or delivered); and the message thread. Every change
goes through store.actions and shows at once as pending; the background sync turns it into
synced or rejected."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Input, Static

from jiedan_cli.domain import moves
from jiedan_cli.domain.errors import JiedanError
from jiedan_cli.domain.states import LIVE_BID
from jiedan_cli.tui import formatting
from jiedan_cli.tui.messages import ActionDone, ActionRefused, OrderLoaded, OrderWork
from jiedan_cli.tui.screens.base import DashboardScreen
from jiedan_cli.tui.widgets import order_progress
from jiedan_cli.tui.widgets.bid_form import BidForm
from jiedan_cli.tui.widgets.deliver_form import DeliverForm
from jiedan_cli.tui.widgets.message_thread import MessageThread
from jiedan_cli.tui.widgets.order_summary import order_head

WIDE = 120  # columns from which the message thread goes beside the order


class OrderDetail(DashboardScreen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("b", "focus_bid", "Bid"),  # each shown when its form is there
        Binding("d", "focus_deliver", "Deliver"),
        Binding("m", "focus_compose", "Message"),
        Binding("v", "review", "Review"),  # shown only where it applies (check_action)
        Binding("x", "dispute", "Dispute"),
        Binding("g", "get_files", "Get files"),  # a party, once a file is on the server
    ]

    def __init__(self, order_id: str, *, write_to: str | None = None) -> None:
        """`write_to`: whom the messages written here go to (a client opening the order from
        one of its bids); None: the other party (the server's rule)."""
        super().__init__()
        self.order_id = order_id
        self.write_to = write_to
        self.loaded: OrderLoaded | None = None
        self._form_for: tuple[str | None, str | None] | None = None  # what the form is built for

    def compose_body(self) -> Iterable[Widget]:
        # One column that scrolls; from WIDE columns on, the thread sits beside the order.
        with VerticalScroll(id="detail"):
            with Vertical(id="detail-main"):
                yield Static("Loading…", id="detail-head")
                yield Static("", id="detail-description")
                yield Static("My bid", classes="section-title", id="bid-title")
                yield Static("", id="my-bid")
                yield Static("", id="order-progress")
                with Horizontal(id="bid-actions"):
                    yield Button("Withdraw bid", id="withdraw", variant="error", compact=True)
                yield Static("", id="bid-form-slot")
                yield Static("", id="order-outcome")
            with Vertical(id="detail-thread"):
                yield Static("Messages", classes="section-title")
                yield MessageThread(id="thread")

    def on_resize(self) -> None:
        self.set_class(self.size.width >= WIDE, "-wide")

    def reload(self) -> None:
        self.read_order(self.order_id)

    @work(thread=True, exclusive=True, group="detail")
    def read_order(self, order_id: str) -> None:
        from jiedan_cli.store.queries import get_order, list_bids, list_messages
        from jiedan_cli.store.state import current_user_id

        with self.dashboard.replica() as conn:
            me = current_user_id(conn)
            order = get_order(conn, order_id)
            bids = list_bids(conn, order_id)  # a client sees them all, a freelancer their own
            messages = list_messages(conn, order_id)
            work = order_progress.read_order_work(conn, order_id) if order else OrderWork()

            def show(client: dict[str, Any] | None) -> None:  # their name and rating
                self.post_message(OrderLoaded(order_id, order, bids, messages, me, client, work))

            self.look_up_profile(conn, order["client_id"] if order else None, show)

    # ---- drawing -------------------------------------------------------------------------------

    async def on_order_loaded(self, message: OrderLoaded) -> None:
        self.loaded = message
        order = message.order
        if order is None:
            await self._show_gone(message)
            return
        self.sub_title = formatting.shown(order.get("title"))
        self.query_one("#detail-head", Static).update(
            order_head(order, message.client_profile, self.dashboard.tz)
        )
        description = formatting.plain(order.get("description"), multiline=True)
        self.query_one("#detail-description", Static).update(formatting.Wrapped(description))
        await self._show_my_side(order, message.work, message.me)
        self._show_work(order, message.work, message.me)
        self.query_one(MessageThread).show(message.messages, message.me, order)
        self.refresh_bindings()

    async def _show_gone(self, message: OrderLoaded) -> None:
        """The order left the replica (cancelled, or awarded to someone else, it is no longer
        public): what is left to see is my bid on it, and why it was refused if it was."""
        self.query_one("#detail-head", Static).update(
            Text("This order is no longer listed: it was cancelled or given to someone else.")
        )
        self.query_one("#detail-description", Static).update("")
        mine = [b for b in message.bids if b.get("freelancer_id") in (message.me, None)]
        bid = mine[0] if mine else None
        self.query_one("#my-bid", Static).update(
            _my_bid_text({"status": "gone"}, bid, message.me) if bid else Text("")
        )
        self.query_one("#bid-actions").display = False
        await self._place_form(None, None)
        self._show_work({}, OrderWork(), message.me)
        self.query_one(MessageThread).show(message.messages, message.me, {})
        self.refresh_bindings()

    async def _show_my_side(self, order: dict[str, Any], work: OrderWork, me: str | None) -> None:
        """My bid and its form, or the delivery form: where domain/moves allows the move."""
        bid = order.get("my_bid")
        mine_as_client = order.get("client_id") == me
        works_on_it = order.get("freelancer_id") == me and me is not None
        live = bool(bid and bid.get("status") in LIVE_BID and bid.get("sync_state") != "rejected")
        self.query_one("#bid-title", Static).update(
            "Delivery" if works_on_it else ("My order" if mine_as_client else "My bid")
        )
        self.query_one("#my-bid", Static).update(_my_bid_text(order, bid, me))
        status = str(order.get("status") or "")
        changeable = (
            bid is not None and moves.may_change_bid(str(bid.get("status")), status) is None
        )
        self.query_one("#bid-actions").display = live and changeable
        may_bid = changeable if live else moves.may_bid(moves.seat_at(order, me)) is None
        if order_progress.may_deliver(order, work, me):
            await self._place_form("deliver", None)
        elif may_bid:
            low, high = order.get("budget_min_fen"), order.get("budget_max_fen")
            await self._place_form(
                "bid",
                bid["id"] if live and bid else None,
                bid if live else None,
                (low, high) if low is not None and high is not None else None,
            )
        else:
            await self._place_form(None, None)

    def _show_work(self, order: dict[str, Any], work: OrderWork, me: str | None) -> None:
        """For the order's two parties: the work on it, then its reviews and dispute."""
        tz = self.dashboard.tz
        progress = self.query_one("#order-progress", Static)
        shown = order_progress.is_party(order, me) and order.get("status") != "open"
        progress.display = shown
        if shown:
            progress.update(order_progress.progress(order, work, me, tz))
        outcome = self.query_one("#order-outcome", Static)
        said = order_progress.outcome(order, work, me, tz) if shown else None
        outcome.display = said is not None
        outcome.update(said or "")

    async def _place_form(
        self,
        kind: str | None,
        bid_id: str | None,
        bid: dict[str, Any] | None = None,
        budget: tuple[int, int] | None = None,
    ) -> None:
        """Mount the form this order needs; keep the one shown (and what is typed in it)
        when it is still the right one."""
        if self._form_for == (kind, bid_id):
            return
        self._form_for = (kind, bid_id)
        await self.query("BidForm, DeliverForm").remove()
        slot, body = self.query_one("#bid-form-slot"), self.query_one("#detail-main")
        if kind == "bid":
            await body.mount(BidForm(bid, budget, id="bid-form"), after=slot)
        elif kind == "deliver":
            await body.mount(DeliverForm(id="deliver-form"), after=slot)

    # ---- actions -------------------------------------------------------------------------------

    @on(BidForm.Submitted)
    def bid_submitted(self, event: BidForm.Submitted) -> None:
        from jiedan_cli.store import actions

        if event.bid_id is None:
            from jiedan_cli.store import dispute_facts

            act = partial(
                _place_bid,
                order_id=self.order_id,
                amount_fen=event.amount_fen,
                days=event.days,
                message=event.message,
            )
            caution = partial(
                dispute_facts.at_bidding,
                order_id=self.order_id,
                amount_fen=event.amount_fen,
                days=event.days,
            )
            self.perform("place bid", act, caution)
        else:
            act = partial(
                actions.update_bid,
                bid_id=event.bid_id,
                amount_fen=event.amount_fen,
                days=event.days,
                message=event.message,
            )
            self.perform("update bid", act)

    @on(Button.Pressed, "#withdraw")
    def withdraw(self) -> None:
        from jiedan_cli.store import actions

        bid = (self.loaded.order or {}).get("my_bid") if self.loaded else None
        if bid:
            self.perform("withdraw bid", partial(actions.withdraw_bid, bid_id=bid["id"]))

    @on(MessageThread.Send)
    def send(self, event: MessageThread.Send) -> None:
        from jiedan_cli.store import actions

        act = partial(actions.send_message, order_id=self.order_id, text=event.text)
        self.perform("send message", partial(act, to=self.write_to))

    @on(DeliverForm.Submitted)
    def deliver(self, event: DeliverForm.Submitted) -> None:
        from jiedan_cli.tui.widgets.work_dialogs import deliver

        act = partial(deliver, order_id=self.order_id, note=event.note, paths=event.files)
        self.perform("deliver", act)

    # ---- review and dispute: offered only where they apply ------------------------------------

    def _order_and_work(self) -> tuple[dict[str, Any], OrderWork, str | None]:
        if self.loaded is None or self.loaded.order is None:
            return {}, OrderWork(), None
        return self.loaded.order, self.loaded.work, self.loaded.me

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "review":
            return order_progress.may_review(*self._order_and_work())
        if action == "dispute":
            return order_progress.may_dispute(*self._order_and_work())
        if action == "focus_bid":  # only when there is a form to go to
            return bool(self.query("#bid-amount"))
        if action == "focus_deliver":
            return bool(self.query("#deliver-note"))
        if action == "get_files":
            return bool(self._files_on_server())
        return True

    def _files_on_server(self) -> list[tuple[dict[str, Any], int]]:
        """The latest delivery's files whose content the server holds, for a party."""
        from jiedan_cli.sync.downloads import latest_files

        order, work, me = self._order_and_work()
        if not order_progress.is_party(order, me):
            return []
        try:
            chosen = latest_files(work.deliveries)
        except JiedanError:
            return []
        return [(d, i) for d, i in chosen if d["files"][i].get("uploaded")]

    def action_get_files(self) -> None:
        chosen = self._files_on_server()
        if chosen:
            self.notify(f"Fetching {len(chosen)} file(s) …")
            self._fetch(chosen)

    @work(thread=True, group="downloads")
    def _fetch(self, chosen: list[tuple[dict[str, Any], int]]) -> None:
        """The files into the downloads folder (locations.downloads_dir), as `jiedan
        deliveries download` fetches them; the outcome as a toast."""
        from jiedan_cli.locations import downloads_dir, private_dir
        from jiedan_cli.sync.downloads import fetch_files
        from jiedan_cli.sync.http import connect_signed_in

        try:
            folder = private_dir(downloads_dir())
            with connect_signed_in() as client:
                saved = fetch_files(client, chosen, folder)
        except JiedanError as exc:
            self.app.call_from_thread(self.notify, exc.message, severity="error")
            return
        names = ", ".join(item["name"] for item in saved)
        self.app.call_from_thread(self.notify, f"Saved {names} in {folder}")

    def _other_side(self) -> str:
        order, _, me = self._order_and_work()
        return "the client" if order.get("freelancer_id") == me else "the freelancer"

    def action_review(self) -> None:
        from jiedan_cli.tui.widgets.work_dialogs import review_dialog

        order, _, _ = self._order_and_work()
        dialog = review_dialog(order.get("title") or "", self._other_side())
        self.app.push_screen(dialog, self._review)

    def _review(self, values: dict[str, Any] | None) -> None:
        from jiedan_cli.store import actions

        if values is not None:
            act = partial(actions.write_review, order_id=self.order_id, **values)
            self.perform("review", act)

    def action_dispute(self) -> None:
        from jiedan_cli.tui.widgets.work_dialogs import dispute_dialog

        order, _, _ = self._order_and_work()
        self.app.push_screen(dispute_dialog(order.get("title") or ""), self._dispute)

    def _dispute(self, values: dict[str, Any] | None) -> None:
        from jiedan_cli.store import actions

        if values is not None:
            act = partial(actions.open_dispute, order_id=self.order_id, reason=values["reason"])
            self.perform("dispute", act)

    def palette_commands(self) -> Iterable[SystemCommand]:
        """This order's moves for the command palette (JiedanApp.get_system_commands)."""
        title = self._order_and_work()[0].get("title") or ""
        if self.check_action("focus_bid", ()):
            yield SystemCommand("Bid 投标", f"Bid on “{title}” (b)", self.action_focus_bid)
        if self.check_action("focus_deliver", ()):
            yield SystemCommand(
                "Deliver 交付",
                f"Hand in “{title}”: a note and files (d)",
                self.action_focus_deliver,
            )
        yield SystemCommand("Message 留言", f"Write about “{title}” (m)", self.action_focus_compose)
        if self.check_action("review", ()):
            yield SystemCommand(
                "Review 评价", f"Rate {self._other_side()} of “{title}” (v)", self.action_review
            )
        if self.check_action("dispute", ()):
            yield SystemCommand(
                "Open a dispute 申请仲裁", f"Ask staff to decide “{title}” (x)", self.action_dispute
            )

    def on_action_done(self, message: ActionDone) -> None:
        if message.action == "send message":
            self.query_one(MessageThread).sent()
        elif message.action in ("place bid", "update bid"):
            self._form_for = None  # rebuilt from the saved bid
        elif message.action == "deliver":
            self.notify("Delivered: the client is asked to accept.", timeout=4)
        elif message.action == "review":
            self.notify("Review saved: it shows once you have both reviewed.", timeout=4)
        elif message.action == "dispute":
            self.notify("Dispute saved: staff will decide; escrow stays held.", timeout=4)

    def on_action_refused(self, message: ActionRefused) -> None:
        message.prevent_default()  # shown beside the field, not as a toast
        if message.action == "send message":
            self.query_one(MessageThread).show_error(message.message)
        elif message.action == "deliver" and self.query(DeliverForm):
            self.query_one(DeliverForm).show_error(message.message)
        elif message.action not in ("review", "dispute") and self.query(BidForm):
            self.query_one(BidForm).show_error(message.field, message.message)
        else:
            self.notify(
                message.message, title=f"{message.action}: refused", severity="error", markup=False
            )

    def action_focus_bid(self) -> None:
        self.query_one("#bid-amount").focus()

    def action_focus_deliver(self) -> None:
        self.query_one("#deliver-note").focus()

    def action_focus_compose(self) -> None:
        self.query_one("#compose", Input).focus()


def _place_bid(
    conn: Any, *, order_id: str, amount_fen: int, days: int, message: str
) -> dict[str, Any]:
    from jiedan_cli.store import actions

    return actions.place_bid(
        conn, order_id=order_id, amount_fen=amount_fen, days=days, message=message
    )


def _my_bid_text(order: dict[str, Any], bid: dict[str, Any] | None, me: str | None) -> Text:
    if order.get("client_id") == me and me is not None:
        return Text(
            "You posted this order: award, fund and accept in Client mode (5).", style="dim"
        )
    if bid is None and order.get("freelancer_id") == me and me is not None:
        status = formatting.status(order.get("status"))
        return Text(f"Awarded to you: the order is {status}.", style="dim")
    if bid is None:
        if order.get("status") != "open":
            status = formatting.status(order.get("status"))
            return Text(f"The order is {status}: bids are closed.", style="dim")
        return Text("No bid yet.", style="dim")
    text = Text(f"{formatting.yuan(bid.get('amount_fen'))} in {bid.get('days')} days", style="bold")
    text.append(f"  ·  {formatting.status(bid.get('status'))}  ·  ")
    state = bid.get("sync_state")
    style = formatting.SYNC_STYLES.get(str(state), formatting.GOOD)
    text.append(formatting.sync_mark(bid), style=style)
    if bid.get("message"):
        text.append(f"\n“{formatting.shown(bid['message'], multiline=True)}”", style="italic")
    return text
