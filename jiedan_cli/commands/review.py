"""`jiedan review ORDER_ID --stars 1..5 [--text T]`: rate the other side of a completed order.

Either side, once per order; local-first like every such command. One command, so
`jiedan review ORDER_ID` runs it directly (a Typer app with a single command is that command).
Reviews are blind until both sides have written theirs (or the window closes)."""

from __future__ import annotations

from typing import Annotated

import typer

from jiedan_cli.commands.common import (
    JsonOption,
    OfflineOption,
    attempt,
    full_id,
    replica,
    settle,
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

    with replica() as conn:  # the server's view (author, subject, time) once it has synced
        order_id = full_id(conn, "order", order_id)
        shown, verdict = attempt(
            conn,
            lambda: actions.write_review(conn, order_id=order_id, stars=stars, text=text),
            kind="review",
            offline=offline,
        )
    missing = f"no order {order_id}"
    settle(shown, verdict, as_json=as_json, columns=REVIEW_COLUMNS, missing=missing)
