"""The always-visible sync line: online or offline, pending, rejected and held counts, last
sync."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo

from rich.text import Text
from textual.widgets import Static

from jiedan_cli.tui.formatting import GOOD, HELD, PENDING, REJECTED, shown, when
from jiedan_cli.tui.messages import OutboxSnapshot

CONNECTION_LABELS = {
    "starting": ("◌ connecting…", "dim"),
    "online": ("● online", GOOD),
    "offline": ("○ offline", PENDING),
    "signed_out": ("○ signed out", PENDING),
    "disabled": ("○ offline mode", "dim"),
}


@dataclass(frozen=True)
class SyncView:
    """What the indicator shows; the app owns the current one."""

    outbox: OutboxSnapshot = field(default_factory=OutboxSnapshot)
    connection: str = "starting"  # a key of CONNECTION_LABELS
    error: str | None = None
    pulled: int | None = None  # a long pull under way: changes so far


class SyncIndicator(Static):
    """Redrawn from the app's `sync_changed` signal."""

    def on_mount(self) -> None:
        dashboard = self.app
        self.show(getattr(dashboard, "sync_view", SyncView()))
        signal = getattr(dashboard, "sync_changed", None)
        if signal is not None:
            signal.subscribe(self, self.show)

    def show(self, view: SyncView) -> None:
        self.update(describe(view, getattr(self.app, "tz", None)))


def describe(view: SyncView, tz: tzinfo | None) -> Text:
    label, style = CONNECTION_LABELS.get(view.connection, (view.connection, ""))
    line = Text(label, style=style)
    outbox = view.outbox
    line.append("  ⇡ ")
    line.append(f"{outbox.pending} pending", style="bold" if outbox.pending else "dim")
    line.append("  ✗ ")
    line.append(f"{len(outbox.rejected)} rejected", style=REJECTED if outbox.rejected else "dim")
    if outbox.held:  # only when there are some: most users never see a hold
        line.append("  ⚑ ")
        line.append(f"{len(outbox.held)} held for review", style=HELD)
    last = when(outbox.last_sync_at, tz) if outbox.last_sync_at else "never"
    line.append(f"  last sync {last}", style="dim")
    if view.pulled is not None:
        line.append(f"  ⇣ pulling… {view.pulled:,} changes", style="bold")
    if view.connection == "signed_out":
        line.append("  — press l to sign in", style="italic")
    elif view.error and view.connection == "offline":
        line.append(f"  ({shown(view.error)})", style="dim italic")
    return line
