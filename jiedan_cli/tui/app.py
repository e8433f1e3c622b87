"""The dashboard application: its sections (Textual modes), the key bindings and command
palette, and the state every screen shares — the sync line, fed by a background sync."""

from __future__ import annotations

import inspect
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.signal import Signal

from jiedan_cli.render import safe_text
from jiedan_cli.store.db import open_db
from jiedan_cli.tui.background import SYNC_DEADLINE, read_sync_state, run_background_sync
from jiedan_cli.tui.formatting import intent_label
from jiedan_cli.tui.messages import (
    NewsArrived,
    SignedIn,
    SignInFailed,
    SyncStateRead,
    SyncWorking,
)
from jiedan_cli.tui.news import NewsWatch, announce
from jiedan_cli.tui.screens.orders_board import OrdersBoard
from jiedan_cli.tui.widgets.section_bar import SECTIONS
from jiedan_cli.tui.widgets.sync_indicator import SyncView

SYNC_INTERVAL = 5.0
# The palette finds a command by its title only, so each title carries its Chinese name too
# (签到, 提现 … typed through an input method find it).
SECTION_NAMES = {  # mode → its Chinese name, beside SECTIONS' English label
    "orders": "订单大厅",
    "work": "我的工作",
    "earnings": "收入",
    "points": "积分",
    "client": "我发布的",
}
SECTION_COMMANDS = (  # palette title, what it does, section, the action its screen runs
    (
        "Withdraw earnings 提现",
        "Pay out of your available balance; needs the network (Earnings, w)",
        "earnings",
        "withdraw",
    ),
    (
        "Export the ledger 导出账目",
        "Your ledger lines as CSV or an hledger journal file (Earnings, e)",
        "earnings",
        "export",
    ),
    (
        "Edit my profile 编辑资料",
        "Skills, about you, city, rate, location; needs the network (Points, p)",
        "points",
        "edit_profile",
    ),
    (
        "Check in 签到",
        "Today's check-in: points, more for days in a row (Points, i)",
        "points",
        "check_in",
    ),
    (
        "Redeem points 积分兑换",
        "Points for a fee coupon or cash to earnings, 100 = ¥1 (Points, u)",
        "points",
        "redeem",
    ),
    (
        "Choose a fee plan 收费方案",
        "Commission, membership, hybrid or promoted; needs the network (Points, $)",
        "points",
        "choose_plan",
    ),
    (
        "Two-factor sign-in 两步验证",
        "Turn the one-time code for signing in on or off; needs the network (Points, t)",
        "points",
        "two_factor",
    ),
    (
        "New order 发布订单",
        "Post an order for freelancers to bid on (Client, n)",
        "client",
        "new_order",
    ),
    (
        "Award the bid 选标",
        "Choose the highlighted bid; the others are declined — asked first (Client, a)",
        "client",
        "award",
    ),
    (
        "Fund the escrow 托管付款",
        "Pay the awarded amount into escrow — asked first (Client, f)",
        "client",
        "fund",
    ),
    (
        "Accept the delivery 验收",
        "Release the escrow to the freelancer — asked first (Client, c)",
        "client",
        "accept",
    ),
    (
        "Ask for a revision 要求修改",
        "Send the highlighted delivery back with a note (Client, v)",
        "client",
        "revise",
    ),
    (
        "Cancel order 取消订单",
        "Cancel the highlighted open or awarded order (Client, x)",
        "client",
        "cancel",
    ),
)


def _screen(module: str, name: str) -> Screen[Any]:
    """A section's screen, imported when first opened: the first paint needs the board only."""
    import importlib

    screen_class = getattr(importlib.import_module(f"jiedan_cli.tui.screens.{module}"), name)
    return screen_class()  # type: ignore[no-any-return]


class JiedanApp(App[None]):
    TITLE = "接单 jiedan"
    SUB_TITLE = "freelancer workstation"
    CSS_PATH = "jiedan.tcss"
    MODES: ClassVar[dict[str, Any]] = {
        "orders": OrdersBoard,
        "work": lambda: _screen("my_work", "MyWork"),
        "earnings": lambda: _screen("earnings", "Earnings"),
        "points": lambda: _screen("points", "Points"),
        "client": lambda: _screen("client_mode", "ClientMode"),
    }
    DEFAULT_MODE = "orders"
    BINDINGS: ClassVar[list[BindingType]] = [
        # the sections' keys are on the section bar, not in the footer
        *(
            Binding(key, f"switch_mode('{mode}')", label, show=False)
            for mode, (key, label) in SECTIONS.items()
        ),
        Binding("s", "sync_now", "Sync"),
        Binding("l", "sign_in", "Sign in"),  # shown while signed out (check_action)
        Binding("r", "show_rejected", "Rejected", show=False),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        *,
        db_path: Path | str | None = None,
        server: str | None = None,
        background_sync: bool = True,
        sync_interval: float = SYNC_INTERVAL,
        sync_deadline: float = SYNC_DEADLINE,
        tz: tzinfo | None = None,
        clock: Callable[[], datetime] | None = None,
        remember: bool = True,
    ) -> None:
        """`db_path` None: the signed-in user's replica. `background_sync` False: offline
        mode — nothing is sent until the next sync. `tz` None: the machine's time zone.
        `clock` (tests): what time it is, for the tier's trailing year. `remember` False
        (tests): nothing is read from or kept in dashboard.json (tui/remembered.py)."""
        super().__init__()
        self.db_path = Path(db_path) if db_path is not None else None
        self.server = server
        self.background_sync = background_sync
        self.sync_interval = sync_interval
        self.sync_deadline = sync_deadline
        self.tz = tz
        self.now = clock or (lambda: datetime.now(UTC))
        self.remember = remember
        self.sync_view = SyncView(connection="starting" if background_sync else "disabled")
        self.sync_changed: Signal[SyncView] = Signal(self, "sync-changed")
        self.replica_changed: Signal[None] = Signal(self, "replica-changed")
        self._seen_rejected: set[str] = set()
        self._news = NewsWatch()
        self._stop_sync = threading.Event()

    @contextmanager
    def replica(self) -> Iterator[sqlite3.Connection]:
        """A connection of the calling thread's own (sqlite3 connections are single-thread)."""
        conn = open_db(self.db_path)
        try:
            yield conn
        finally:
            conn.close()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every toast of the dashboard (screens' too): its words are often the server's or
        another user's (a refusal's reason, a name, news), so they are shown as text —
        never markup, never a control sequence. `markup` is accepted and ignored."""
        super().notify(
            safe_text(message, multiline=True),
            title=safe_text(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    # ---- sync ----------------------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.remember:
            self._use_remembered_theme()
        self.read_outbox()
        self.look_for_news()  # the first look: what the replica holds now is not news
        if self.background_sync:
            self.start_sync()

    def _use_remembered_theme(self) -> None:
        """The theme picked last time (ctrl+p → Theme), and keep the next pick."""
        from jiedan_cli.tui.remembered import load_theme, save_theme

        theme = load_theme()
        if theme in self.available_themes:
            self.theme = theme
        self.theme_changed_signal.subscribe(self, lambda picked: save_theme(picked.name))

    def on_unmount(self) -> None:
        self._stop_sync.set()

    @work(thread=True, group="outbox")
    def read_outbox(self) -> None:
        read_sync_state(self.db_path, self.post_message)

    def start_sync(self) -> None:
        """(Re)start the background sync: a new loop syncs at once."""
        self._stop_sync.set()
        self._stop_sync = threading.Event()
        self._run_sync(self._stop_sync)

    @work(thread=True, group="sync", name="background sync")
    def _run_sync(self, stop: threading.Event) -> None:
        run_background_sync(
            self.db_path,
            stop,
            self.post_message,
            interval=self.sync_interval,
            deadline=self.sync_deadline,
            server=self.server,
        )

    def action_sync_now(self) -> None:
        if not self.background_sync:
            self.notify("Offline mode: changes wait in the outbox until you sync.", timeout=4)
            return
        self.notify("Syncing…", timeout=2)
        self.start_sync()

    def on_sync_working(self, message: SyncWorking) -> None:
        """A long pull: say how far it is, and let the screens show what is committed."""
        view = self.sync_view  # pulling, so the server answers: online
        self.sync_view = SyncView(view.outbox, "online", None, message.pulled)
        self.sync_changed.publish(self.sync_view)
        self.replica_changed.publish(None)

    def on_sync_state_read(self, message: SyncStateRead) -> None:
        connection = self.sync_view.connection
        if message.outcome == "synced":
            connection = "online"
        elif message.outcome in ("offline", "signed_out"):
            connection = message.outcome
        signed_out_before = self.sync_view.connection == "signed_out"
        # A mere re-read of the outbox (after an action) during a long pull keeps its progress.
        pulled = self.sync_view.pulled if message.outcome == "read" else None
        self.sync_view = SyncView(message.outbox, connection, message.error, pulled)
        self.sync_changed.publish(self.sync_view)
        if signed_out_before != (connection == "signed_out"):
            self.refresh_bindings()  # the Sign in key shows only while signed out
        if message.changed:
            self.replica_changed.publish(None)
        if self._news.due(message):
            self.look_for_news()
        self._announce_rejections(message.outbox.rejected)

    @work(thread=True, group="news")
    def look_for_news(self) -> None:
        with self.replica() as conn:
            items = self._news.look(conn)
        if items:
            self.post_message(NewsArrived(items))

    def on_news_arrived(self, message: NewsArrived) -> None:
        announce(self, message.items)

    def _announce_rejections(self, rejected: Iterable[dict[str, Any]]) -> None:
        fresh = [op for op in rejected if op["op_id"] not in self._seen_rejected]
        self._seen_rejected.update(op["op_id"] for op in fresh)
        if not fresh:
            return
        first = fresh[0]
        what = intent_label(first["kind"])
        more = f" (and {len(fresh) - 1} more)" if len(fresh) > 1 else ""
        self.notify(
            f"{what}: {first.get('reason') or 'refused'}{more} — press r to review",
            title="Refused by the server",
            severity="error",
            timeout=10,
            markup=False,  # the server's words, not markup
        )

    # ---- signing in ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "sign_in":
            return self.sync_view.connection == "signed_out"
        return True

    def _server_url(self) -> str:
        from jiedan_cli.sync.config import normalise_server, server_url

        return normalise_server(self.server or server_url())

    def action_sign_in(self, failed: SignInFailed | None = None) -> None:
        from jiedan_cli.tui.sign_in import sign_in_form

        self.push_screen(sign_in_form(self._server_url(), failed), self._signing_in)

    def _signing_in(self, values: dict[str, Any] | None) -> None:
        if values is not None:
            self.notify("Signing in…", timeout=2)
            self._sign_in(values["email"], values["password"], values["otp"])

    @work(thread=True, exclusive=True, group="sign-in")
    def _sign_in(self, email: str, password: str, otp: str | None) -> None:
        from jiedan_cli.tui.sign_in import run_sign_in

        run_sign_in(self.db_path, self._server_url(), email, password, otp, self.post_message)

    def on_signed_in(self, message: SignedIn) -> None:
        user = message.user
        self.notify(f"Signed in as {user.get('name') or user['email']}: syncing your work.")
        self.sync_view = SyncView(self.sync_view.outbox, "starting")
        self.sync_changed.publish(self.sync_view)
        self.refresh_bindings()
        self.replica_changed.publish(None)
        if self.background_sync:
            self.start_sync()

    def on_sign_in_failed(self, message: SignInFailed) -> None:
        # the form again, with what was typed and the reason shown
        if message.registering:
            self.action_register(message)
        else:
            self.action_sign_in(message)

    def action_register(self, failed: SignInFailed | None = None) -> None:
        from jiedan_cli.tui.sign_in import register_form

        self.push_screen(register_form(self._server_url(), failed), self._registering)

    def _registering(self, values: dict[str, Any] | None) -> None:
        if values is not None:
            self.notify("Creating your account…", timeout=2)
            self._create_account(values)

    @work(thread=True, exclusive=True, group="sign-in")
    def _create_account(self, values: dict[str, Any]) -> None:
        from jiedan_cli.tui.sign_in import run_register

        run_register(self.db_path, self._server_url(), values, self.post_message)

    def action_show_rejected(self) -> None:
        from jiedan_cli.tui.screens.rejected import RejectedOperations

        self.push_screen(RejectedOperations(self.sync_view.outbox.rejected))

    @work(thread=True, group="outbox")
    def dismiss_rejected(self, op_ids: list[str]) -> None:
        """Put away the refusals `op_ids` (those the list showed; one put away meanwhile,
        by `jiedan sync dismiss`, is skipped), as `jiedan sync dismiss` does."""
        from jiedan_cli.store import outbox

        with self.replica() as conn:
            still = {op.op_id for op in outbox.rejected(conn)}
            outbox.dismiss(conn, [op_id for op_id in op_ids if op_id in still])
        self.read_outbox()

    def saved_locally(self) -> None:
        """An action queued an operation: the sync line counts it at once (the background
        loop sees it within a tick and sends it), and the screens reread the replica."""
        self.read_outbox()
        self.replica_changed.publish(None)

    # ---- the command palette -------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for mode, (key, label) in SECTIONS.items():
            yield SystemCommand(
                f"Go to {label} {SECTION_NAMES[mode]}",
                f"Switch to the {label} section ({key})",
                self._goto(mode),
            )
        yield SystemCommand(
            "Sync now 同步", "Send queued changes and fetch new ones (s)", self.action_sync_now
        )
        yield SystemCommand(
            "Rejected operations", "What the server refused, and why (r)", self.action_show_rejected
        )
        if self.sync_view.connection == "signed_out":
            yield SystemCommand("Sign in", "Sign in to sync your work (l)", self.action_sign_in)
            yield SystemCommand(
                "Create an account", "Sign up on this server, then sync", self.action_register
            )
        for title, help_text, mode, action in SECTION_COMMANDS:
            yield SystemCommand(title, help_text, self._in_section(mode, action))
        offered = getattr(screen, "palette_commands", None)
        if offered is not None:  # the screen's own moves where they apply (My work, an order)
            yield from offered()

    def _goto(self, mode: str) -> Any:
        return lambda: self.switch_mode(mode)

    def _in_section(self, mode: str, action: str) -> Callable[[], Awaitable[None]]:
        """Switch to a section, then run one of its screen's actions there (it opens its
        dialog). Called directly, not through the key's check: the screen says why when the
        action does not apply to what is highlighted."""

        async def run() -> None:
            await self.switch_mode(mode)
            done = getattr(self.screen, f"action_{action}")()
            if inspect.isawaitable(done):
                await done

        return run
