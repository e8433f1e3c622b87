"""`jiedan review ORDER_ID --stars 1..5 [--text T]`: rate the other side of a completed order.

Either side, once per order; local-first like every such command. One command, so
`jiedan review ORDER_ID` runs it directly (a Typer app with a single command is that command).
Reviews are blind until both sides have written theirs (or the window closes)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from jiedan_cli.commands.client import raise_if_unknown_to_server
from jiedan_cli.commands.common import (
    JsonOption,
    OfflineOption,
    finish,
    full_id,
    perform,
    replica,
    whole_number,
)

app = typer.Typer(help="Review the other side of a completed order.", add_completion=False)

REVIEW_COLUMNS = [
    ("id", "ID"),
    ("order_id", "Order"),
    ("stars", "Stars"),
    ("text", "Text"),
    ("sync_state", "Sync"),
    ("reject_reason", "Rejected because"),
]


@app.command()
def review(
    order_id: Annotated[str, typer.Argument(help="A completed order of yours.")],
    stars: Annotated[
        int,
        typer.Option("--stars", parser=whole_number("stars", 1, 5), metavar="N", help="1 to 5."),
    ],
    text: Annotated[str, typer.Option("--text", help="A few words for others.")] = "",
    offline: OfflineOption = False,
    as_json: JsonOption = False,
) -> None:
    """Rate the client or freelancer of a completed order (once)."""
    from jiedan_cli.store import actions

    with replica() as conn:
        order_id = full_id(conn, "order", order_id)
        shown = perform(
            conn,
            lambda: actions.write_review(conn, order_id=order_id, stars=stars, text=text),
            kind="review",
            offline=offline,
        )
        if shown.get("sync_state") == "rejected":
            raise_if_unknown_to_server(conn, order_id)
        pulled = conn.execute("SELECT data FROM reviews WHERE id = ?", (shown["id"],)).fetchone()
    if pulled is not None:  # the server's view (author, subject, time) once it has synced
        state: dict[str, Any] = {k: shown[k] for k in ("sync_state", "reject_reason")}
        shown = {**json.loads(pulled[0]), **state}
    finish(shown, as_json=as_json, columns=REVIEW_COLUMNS)
