"""`jiedan deliver ORDER_ID --note TEXT [--file PATH …]`: hand in the work (freelancer).

Files are recorded by name, size and SHA-256, computed here; the metadata syncs offline and
the content is uploaded once the server has the delivery: here, with a progress bar, when
online; else by the next sync (commands/deliveries.py, sync/uploads.py). One command, so
`jiedan deliver ORDER_ID` runs it directly (a Typer app with a single command is that
command)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from jiedan_cli.commands.common import (
    JsonOption,
    OfflineOption,
    attempt,
    full_id,
    replica,
    settle,
    text_or_file,
)

app = typer.Typer(help="Deliver the work of an order.", add_completion=False)

DELIVERY_COLUMNS = [
    ("id", "ID"),
    ("order_id", "Order"),
    ("note", "Note"),
    ("files", "Files"),
    ("sync_state", "Sync"),
    ("reject_reason", "Rejected because"),
]


def describe_file(path: Path) -> dict[str, Any]:
    """{name, size, sha256} of a regular file; a usage error (exit 2) when there is none."""
    from jiedan_cli.store.deliverables import describe_file as describe

    return describe(path, label="--file")


@app.command()
def deliver(
    order_id: Annotated[str, typer.Argument(help="The order you were awarded.")],
    note: Annotated[str | None, typer.Option("--note", help="What you deliver.")] = None,
    note_file: Annotated[
        str | None,
        typer.Option("--note-file", metavar="PATH", help="The note from a file; - for stdin."),
    ] = None,
    file: Annotated[
        list[Path] | None, typer.Option("--file", help="A delivered file (repeatable).")
    ] = None,
    offline: OfflineOption = False,
    as_json: JsonOption = False,
) -> None:
    """Deliver an order in progress: a note and files (name, size, SHA-256)."""
    from jiedan_cli.commands.deliveries import send_files
    from jiedan_cli.store import actions
    from jiedan_cli.store.deliverables import delivered_file

    text = text_or_file(note, note_file, option="--note", file_option="--note-file", required=True)
    files = [delivered_file(path, label="--file") for path in file or []]
    with replica() as conn:
        order_id = full_id(conn, "order", order_id)
        shown, verdict = attempt(
            conn,
            lambda: actions.deliver(conn, order_id=order_id, note=text or "", files=files),
            kind="delivery",
            offline=offline,
        )
        if not offline and shown.get("sync_state") == "synced":
            shown = send_files(conn, shown)  # what the quick sync had no time for
        settle(shown, verdict, as_json=as_json, columns=DELIVERY_COLUMNS)
