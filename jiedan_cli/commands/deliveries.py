"""`jiedan deliveries list|download|upload`: delivered work and its files.

`list` reads the local replica (each file says whether its content is on the server, or how
far this machine got sending it). `download` fetches files into a folder (0600, names made
safe, never through a link, kept only when the SHA-256 is the delivered one). `upload` sends
what deliveries made here still owe the server, with a progress bar — `jiedan sync` does the
same, quietly, and every sync after a delivery goes on where the last one stopped."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from jiedan_cli.commands.common import JsonOption, full_id, replica, show

app = typer.Typer(help="Delivered work: list it, fetch its files.", add_completion=False)

DELIVERY_COLUMNS = [
    ("id", "ID"),
    ("created_at", "Delivered"),
    ("note", "Note"),
    ("files", "Files"),
    ("sync_state", "Sync"),
]
FILE_COLUMNS = [("name", "Name"), ("size", "Bytes"), ("path", "Saved to")]


def _file_text(item: dict[str, Any]) -> str:
    if item.get("uploaded"):
        state = "on the server"
    elif item.get("upload"):
        upload = item["upload"]
        size = max(1, int(item.get("size") or 0))
        state = f"{upload['state']} {100 * int(upload['offset']) // size}%"
        if upload.get("error"):
            state += f": {upload['error']}"
    else:
        state = "not uploaded"
    return f"{item.get('name')} ({item.get('size')} B, {state})"


def _shown(delivery: dict[str, Any]) -> dict[str, Any]:
    return {**delivery, "files": "; ".join(_file_text(f) for f in delivery.get("files") or [])}


@app.command("list")
def list_deliveries(
    order_id: Annotated[str, typer.Argument(help="The order (a unique prefix will do).")],
    as_json: JsonOption = False,
) -> None:
    """The order's deliveries and their files (local replica)."""
    from jiedan_cli.store.queries import list_deliveries as deliveries_of

    with replica() as conn:
        order_id = full_id(conn, "order", order_id)
        found = deliveries_of(conn, order_id)
    show(
        found if as_json else [_shown(d) for d in found], as_json=as_json, columns=DELIVERY_COLUMNS
    )


@contextmanager
def byte_progress(label: str) -> Iterator[Any]:
    """A rich progress bar of bytes on stderr when stderr is a terminal (else None)."""
    if not sys.stderr.isatty():
        yield None
        return
    import os

    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    console = Console(file=sys.stderr, no_color="NO_COLOR" in os.environ)
    with Progress(
        TextColumn(label),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=console,
        transient=True,
    ) as bar:
        yield bar


@app.command("download")
def download(
    order_id: Annotated[str, typer.Argument(help="The order (a unique prefix will do).")],
    name: Annotated[
        str | None, typer.Option("--file", help="Only the file of this name (latest).")
    ] = None,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="The folder to write into (made if missing).")
    ] = Path("."),
    as_json: JsonOption = False,
) -> None:
    """Fetch the files of the latest delivery (or one, with --file) into a folder."""
    from jiedan_cli.store.queries import list_deliveries as deliveries_of
    from jiedan_cli.sync.downloads import fetch_files, latest_files
    from jiedan_cli.sync.engine import quick_sync
    from jiedan_cli.sync.http import connect_signed_in

    with replica() as conn:
        order_id = full_id(conn, "order", order_id)
        if not deliveries_of(conn, order_id):
            quick_sync(conn)
        chosen = latest_files(deliveries_of(conn, order_id), name)
    if not output.exists():  # made as the dashboard makes its downloads folder (0700)
        from jiedan_cli.locations import private_dir

        private_dir(output)
    with connect_signed_in() as client, byte_progress("downloading") as bar:

        def started(item: dict[str, Any]) -> Any:
            if bar is None:
                return None
            task = bar.add_task(item["name"], total=item["size"])
            return lambda count: bar.advance(task, count)

        saved = fetch_files(client, chosen, output, started=started)
    show(saved, as_json=as_json, columns=FILE_COLUMNS)


@app.command("upload")
def upload(as_json: JsonOption = False) -> None:
    """Send the content of files delivered from this machine that the server does not hold
    yet (after the delivery itself is synced), with a progress bar."""
    from jiedan_cli.store.uploads import pending_uploads
    from jiedan_cli.sync.engine import sync
    from jiedan_cli.sync.http import connect_signed_in
    from jiedan_cli.sync.progress import SyncProgress

    with replica() as conn, byte_progress("uploading") as bar:
        task = bar.add_task("uploading", total=None) if bar else None

        def on_progress(event: SyncProgress) -> None:
            if bar is not None and event.phase == "upload":
                bar.update(task, completed=event.done, total=event.total)

        with connect_signed_in() as client:
            report = sync(conn, client, progress=on_progress)
        left = len(pending_uploads(conn))
    show({"uploaded": report.uploaded, "pending": left}, as_json=as_json)


def send_files(conn: Any, delivery: dict[str, Any]) -> dict[str, Any]:
    """Send what is left of a delivery's files now, with a progress bar on a terminal; a
    network that fails says so (the next sync goes on). The delivery as it now stands."""
    from jiedan_cli.domain.errors import JiedanError
    from jiedan_cli.render import say
    from jiedan_cli.store.uploads import pending_uploads
    from jiedan_cli.store.verdicts import reread
    from jiedan_cli.sync.http import connect_signed_in
    from jiedan_cli.sync.progress import SyncProgress
    from jiedan_cli.sync.retry import Deadline, RetryPolicy
    from jiedan_cli.sync.uploads import upload_pending

    if not pending_uploads(conn, delivery["id"]):
        return delivery
    with byte_progress("uploading") as bar:
        task = bar.add_task("uploading", total=None) if bar else None

        def on_progress(event: SyncProgress) -> None:
            if bar is not None:
                bar.update(task, completed=event.done, total=event.total)

        try:
            with connect_signed_in() as client:
                upload_pending(
                    conn,
                    client,
                    deadline=Deadline(None),
                    policy=RetryPolicy(),
                    progress=on_progress,
                    delivery_id=delivery["id"],
                )
        except JiedanError as exc:
            say(f"the files are not all sent ({exc.message}); `jiedan sync` sends the rest")
    states = {k: delivery[k] for k in ("sync_state", "reject_reason")}
    return {**reread(conn, "delivery", delivery), **states}
