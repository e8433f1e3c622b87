"""`jiedan sync [--json] [--watch]`, `jiedan sync status [--json]` and `jiedan sync dismiss
OP_ID… | --all` (put away refusals that have been read).

`jiedan sync` pushes the outbox and pulls the change log (sync/engine.py), with a progress
bar on stderr when stderr is a terminal. Exit 0 when the outbox is left empty or holding only
rejected operations; 6 when the server could not be reached (nothing is lost: run it again)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Annotated, Any

import typer

from jiedan_cli.commands.common import JsonOption, replica, resumable, show
from jiedan_cli.render import emit_json_line, say

if TYPE_CHECKING:
    from jiedan_cli.sync.engine import SyncReport
    from jiedan_cli.sync.progress import ProgressCallback, SyncProgress

app = typer.Typer(
    help="Send queued changes and fetch new ones.",
    invoke_without_command=True,
    add_completion=False,
)

REPORT_COLUMNS = [
    ("pushed", "Pushed"),
    ("rejected", "Rejected"),
    ("pulled", "Pulled"),
    ("pending", "Pending"),
]
REJECTED_COLUMNS = [
    ("op_id", "Operation"),
    ("kind", "Kind"),
    ("object_id", "Object"),
    ("reason", "Reason"),
    ("created_at", "Queued"),
]


@contextmanager
def progress_bar() -> Iterator[ProgressCallback | None]:
    """A rich progress bar on stderr when stderr is a terminal; None (no bar) otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    import os

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(file=sys.stderr, no_color="NO_COLOR" in os.environ)
    tasks: dict[str, Any] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as bar:

        def update(event: SyncProgress) -> None:
            label = "uploading" if event.phase == "push" else "downloading"
            if event.phase not in tasks:
                tasks[event.phase] = bar.add_task(label, total=event.total)
            bar.update(tasks[event.phase], completed=event.done, total=event.total)

        yield update


@app.callback()
def sync(
    ctx: typer.Context,
    as_json: JsonOption = False,
    watch: Annotated[
        bool, typer.Option("--watch", help="Keep syncing (every 30 s, and on new changes).")
    ] = False,
    interval: Annotated[
        float, typer.Option("--interval", min=1.0, help="Seconds between syncs with --watch.")
    ] = 30.0,
) -> None:
    """Push queued operations, then pull what changed on the server."""
    if ctx.invoked_subcommand is not None:
        return
    from jiedan_cli.sync.http import connect_signed_in

    with replica() as conn:
        if watch:
            with connect_signed_in() as client:
                _watch(conn, client, as_json=as_json, interval=interval)
            return
        report = sync_now(conn)
    _print_report(report, as_json=as_json)
    if report.pending:
        say(f"error: {report.pending} operation(s) still queued: run `jiedan sync` again")
        raise typer.Exit(6)


def sync_now(conn: Any) -> SyncReport:
    """One full sync of the replica with the signed-in account, a progress bar on a terminal
    (what `jiedan sync` does; Offline / Unauthenticated raised for the root to map)."""
    from jiedan_cli.sync.engine import sync as run_sync
    from jiedan_cli.sync.http import connect_signed_in
    from jiedan_cli.sync.retry import RetryPolicy

    policy = RetryPolicy(on_retry=_retrying)
    with resumable(), connect_signed_in() as client, progress_bar() as progress:  # noqa: SIM117
        with _said_when_slow(str(client.base_url), progress) as watched:
            return run_sync(conn, client, progress=watched, policy=policy)


SLOW_NOTICE_SECONDS = 3.0  # a sync with no progress this long says it is still trying


@contextmanager
def _said_when_slow(server: str, progress: ProgressCallback | None) -> Iterator[ProgressCallback]:
    """The progress callback, wrapped: until the sync first makes progress, a timer says
    (once, on stderr) that the server is slow and the sync still trying — instead of a
    silent wait of up to the read timeout."""
    import threading

    notice = threading.Timer(
        SLOW_NOTICE_SECONDS,
        say,
        [
            f"the server at {server} is slow to answer; still trying"
            " (Ctrl-C stops: what is queued stays queued)"
        ],
    )
    notice.daemon = True

    def watched(event: SyncProgress) -> None:
        notice.cancel()
        if progress is not None:
            progress(event)

    notice.start()
    try:
        yield watched
    finally:
        notice.cancel()


def _retrying(failure: Exception, pause: float) -> None:
    """Said on each wait for a slow or busy server (a refused connection gives up at once)."""
    from jiedan_cli.domain.errors import JiedanError, Offline

    if isinstance(failure, Offline) and failure.refused:
        return
    why = failure.message if isinstance(failure, JiedanError) else str(failure)
    say(f"the server is slow to answer ({why}); retrying in {pause:.1f} s …")


def _print_report(report: SyncReport, *, as_json: bool) -> None:
    show(report.as_dict(), as_json=as_json, columns=REPORT_COLUMNS)
    if report.rejected:
        say(f"{report.rejected} operation(s) refused by the server: see `jiedan sync status`")


def _watch(conn: Any, client: Any, *, as_json: bool, interval: float) -> None:
    from jiedan_cli.sync.watch import watch

    def on_report(report: SyncReport) -> None:
        if as_json:
            emit_json_line(report.as_dict())
        else:
            done = report.as_dict()
            say(", ".join(f"{key} {value}" for key, value in done.items()))

    def on_offline(exc: Exception) -> None:
        say(f"offline ({getattr(exc, 'message', exc)}); retrying when the server answers")

    say("syncing until Ctrl-C")
    with suppress(KeyboardInterrupt):
        watch(conn, client, interval=interval, on_report=on_report, on_offline=on_offline)


@app.command()
def status(as_json: JsonOption = False) -> None:
    """What is queued, what the server refused or holds for review, and when the last sync
    was."""
    from jiedan_cli.store.verdicts import sync_status

    with replica() as conn:
        state = sync_status(conn)
    if as_json:
        show(state, as_json=True)
        return
    summary = {k: state[k] for k in ("pending", "last_sync_at", "cursor")}
    summary["rejected"] = len(state["rejected"])
    summary["held"] = len(state["held"])
    show(summary, as_json=False)
    if state["rejected"]:
        say("refused by the server:")
        show(state["rejected"], as_json=False, columns=REJECTED_COLUMNS)
    if state["held"]:
        say("held for review (a reviewer releases or blocks each):")
        show(state["held"], as_json=False, columns=REJECTED_COLUMNS)


@app.command()
def dismiss(
    op_ids: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[OP_ID]...",
            help="Refused operations to put away (`jiedan sync status` lists them); any "
            "unique start of an id, 6 characters or more.",
            show_default=False,
        ),
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="Every refused operation shown.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Put away operations the server refused, once read: they leave `sync status` and the
    dashboard's count. Nothing is undone or sent; a refused bid stays rejected."""
    from jiedan_cli.domain.errors import InvalidInput
    from jiedan_cli.store import outbox

    if every and op_ids:
        raise InvalidInput("give the operations to dismiss or --all, not both")
    if not every and not op_ids:
        raise InvalidInput(
            "name the refused operations to dismiss (OP_ID …, from `jiedan sync status`)"
            " or give --all"
        )
    with replica() as conn:
        dismissed = outbox.dismiss(conn, None if every else op_ids)
        left = len(outbox.rejected(conn))
    if as_json:
        show({"dismissed": dismissed, "rejected": left}, as_json=True)
        return
    show({"dismissed": len(dismissed), "rejected": left}, as_json=False)
