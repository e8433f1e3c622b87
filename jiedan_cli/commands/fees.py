"""`jiedan fees simulate`: what each fee structure would cost at a month's volume (the seed,
4.1: a low commission can cost more than a membership fee, and the other way round). The
commission is this platform's, at the signed-in user's tier as the replica has it."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from jiedan_cli.commands.common import JsonOption, replica, whole_number
from jiedan_cli.render import Column, output

app = typer.Typer(
    help="What the platform's fees would cost you.", no_args_is_help=True, add_completion=False
)


@app.callback()
def fees() -> None:
    """What the platform's fees would cost you (a group: more than `simulate` may come)."""


COLUMNS: list[Column] = [
    ("structure", "Structure"),
    ("rate", "Rate %"),
    ("monthly_fee", "Monthly fee ¥"),
    ("monthly_cost", "Cost a month ¥"),
    ("effective_rate", "Of volume %"),
    ("per_order", "Per order ¥"),
    ("kept", "You keep ¥"),
    ("cheapest", "Cheapest"),
]


@app.command()
def simulate(
    monthly_volume: Annotated[
        str, typer.Option("--monthly-volume", help="What you earn in a month, in yuan.")
    ],
    orders: Annotated[
        int,
        typer.Option(
            "--orders",
            parser=whole_number("orders", 1, 100_000),
            metavar="N",
            help="Orders in that month.",
        ),
    ] = 1,
    as_json: JsonOption = False,
) -> None:
    """What each fee structure would cost you in a month."""
    from jiedan_cli.domain.fees import simulate as simulate_fees
    from jiedan_cli.domain.money import parse_yuan

    volume_fen = parse_yuan(monthly_volume, field="--monthly-volume")
    rows = simulate_fees(volume_fen, orders, tier=_my_tier())
    output(
        rows if as_json else [_for_display(row) for row in rows], as_json=as_json, columns=COLUMNS
    )


def _my_tier() -> str:
    """The signed-in user's tier from the replica; regular before any sign-in."""
    from jiedan_cli.domain.errors import Unauthenticated
    from jiedan_cli.store.earnings import points_balance

    with replica() as conn:
        try:
            return str(points_balance(conn)["tier"])
        except Unauthenticated:
            return "regular"


def _for_display(row: dict[str, Any]) -> dict[str, Any]:
    from jiedan_cli.domain.money import format_yuan

    return {
        **row,
        "rate": f"{row['rate_bp'] / 100:.2f}",
        "monthly_fee": format_yuan(row["monthly_fee_fen"]),
        "monthly_cost": format_yuan(row["monthly_cost_fen"]),
        "effective_rate": f"{row['effective_rate_bp'] / 100:.2f}",
        "per_order": format_yuan(row["per_order_fen"]),
        "kept": format_yuan(row["kept_fen"]),
        "cheapest": "✓" if row["cheapest"] else "",
    }
