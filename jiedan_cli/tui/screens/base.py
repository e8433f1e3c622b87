"""What every dashboard screen has: the header, the sync line and the footer, and a reload
when the replica changes (a sync pulled, or an action saved something)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

from textual import work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

from jiedan_cli.domain.errors import JiedanError
from jiedan_cli.tui.messages import ActionDone, ActionRefused
from jiedan_cli.tui.widgets.section_bar import SectionBar
from jiedan_cli.tui.widgets.sync_indicator import SyncIndicator

if TYPE_CHECKING:
    from jiedan_cli.tui.app import JiedanApp

Act = Callable[[sqlite3.Connection], dict[str, Any]]
Caution = Callable[[sqlite3.Connection], Sequence[Any]]  # the dispute-risk warnings of a move


class DashboardScreen(Screen[Any]):
    """Subclasses yield their body from `compose_body` and start a read worker in `reload`."""

    _stale = True

    @property
    def dashboard(self) -> JiedanApp:
        return cast("JiedanApp", self.app)

    def compose(self) -> ComposeResult:
        yield SectionBar()
        yield from self.compose_body()
        yield SyncIndicator(id="sync-indicator")
        yield Footer(compact=True)

    def compose_body(self) -> Iterable[Widget]:
        return ()

    def on_mount(self) -> None:
        self.dashboard.replica_changed.subscribe(self, self._replica_changed)

    def on_screen_resume(self) -> None:
        if self._stale:
            self._stale = False
            self.reload()

    def _replica_changed(self, _: object) -> None:
        if self.is_current:
            self.reload()
        else:
            self._stale = True  # reloaded when shown again

    def reload(self) -> None:
        """Read what the screen shows (in a worker) and post it."""

    def fetch_profiles(self, conn: sqlite3.Connection, user_ids: Iterable[str | None]) -> bool:
        """In a read worker, after drawing: fetch the public profiles among `user_ids` the
        replica lacks (sync/profiles.py), when the sync line says online. True when any
        arrived (the worker then reads and posts again); offline, nothing is tried."""
        if self.dashboard.sync_view.connection != "online":
            return False
        from jiedan_cli.sync.profiles import fetch_missing

        try:
            return fetch_missing(conn, user_ids) > 0
        except JiedanError:
            return False  # unreachable now: the names wait for the next visit

    def look_up_profile(
        self,
        conn: sqlite3.Connection,
        user_id: str | None,
        show: Callable[[dict[str, Any] | None], None],
    ) -> None:
        """In a read worker: `show` the public profile of `user_id` (a client's name and
        rating) as the replica has it, at once; when it lacks it and the sync line says
        online, fetch it (fetch_profiles) and `show` again. The order's view and the board's
        preview name a client this one way."""
        from jiedan_cli.store.queries import get_profile

        profile = get_profile(conn, user_id) if user_id else None
        show(profile)
        if user_id and profile is None and self.fetch_profiles(conn, [user_id]):
            show(get_profile(conn, user_id))

    @work(thread=True, group="actions")
    def perform(self, action: str, act: Act, caution: Caution | None = None) -> None:
        """Run one store.actions call (`act`) on this thread's own connection; the answer
        comes back as ActionDone, or ActionRefused with the domain's reason. `caution`: the
        move's dispute-risk warnings (store/dispute_facts.py, as the command line says
        them), weighed before the move and shown once it is made."""
        try:
            with self.dashboard.replica() as conn:
                warnings = caution(conn) if caution is not None else []
                shown = act(conn)
        except JiedanError as exc:
            self.post_message(ActionRefused(action, exc.message, exc.field))
        else:
            reasons = tuple(found.reason for found in warnings)
            self.post_message(ActionDone(action, shown, reasons))

    def on_action_done(self, message: ActionDone) -> None:
        self.dashboard.saved_locally()
        for reason in message.warnings:
            self.notify(
                reason,
                title=f"{message.action}: warning",
                severity="warning",
                timeout=10,
                markup=False,
            )

    def on_action_refused(self, message: ActionRefused) -> None:
        self.notify(
            message.message, title=f"{message.action}: refused", severity="error", markup=False
        )
