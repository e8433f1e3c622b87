"""`jiedan dispute open ORDER_ID --reason T`: ask staff to decide an order in progress or
delivered (money.md: staff split the escrow). Local-first; prints the order."""

from __future__ import annotations

from typing import Annotated

import typer

from jiedan_cli.commands.common import (
    ORDER_COLUMNS,
    JsonOption,
    OfflineOption,
    attempt,
    full_id,
    replica,
    settle,
)

app = typer.Typer(help="Disputes over an order.", no_args_is_help=True, add_completion=False)


@app.callback()
def disputes() -> None:
    """Disputes over an order."""


@app.command("open")
def open_dispute(
    order_id: Annotated[str, typer.Argument(help="An order in progress or delivered.")],
    reason: Annotated[str, typer.Option("--reason", help="What went wrong.")],
    offline: OfflineOption = False,
    as_json: JsonOption = False,
) -> None:
    """Open a dispute; escrow stays held until staff resolve it."""
    from jiedan_cli.store import actions

    with replica() as conn:
        order_id = full_id(conn, "order", order_id)
        shown, verdict = attempt(
            conn,
            lambda: actions.open_dispute(conn, order_id=order_id, reason=reason),
            kind="order",
            offline=offline,
        )
    missing = f"no order {order_id}"
    settle(shown, verdict, as_json=as_json, columns=ORDER_COLUMNS, missing=missing)
