"""`jiedan fees simulate`: what each fee structure would cost at a month's volume (the seed,
4.1: a low commission can cost more than a membership fee, and the other way round; a low
commission with a forced promotion package can cost more than all). The commission is this
platform's, at the signed-in user's tier as the replica has it.

`jiedan fees plan [--json]` shows the caller's fee plan and the offers, `jiedan fees plan
choose NAME` switches to one (a paid plan bills its first period from the available
earnings): the plans are simulate's rows (domain/fees.FEE_PLANS); online only."""

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
    """What the platform's fees would cost you, and your fee plan."""


COLUMNS: list[Column] = [
    ("structure", "Structure"),
    ("rate", "Rate %"),
    ("monthly_fee", "Monthly fee ¥"),
    ("monthly_cost", "Cost a month ¥"),
    ("effective_rate", "Of volume %"),
    ("per_order", "Per order ¥"),
    ("kept", "You keep ¥"),
    ("cheapest", "Cheapest"),
    ("warning", "Beware"),
]
PLAN_COLUMNS: list[Column] = [
    ("plan", "Plan"),
    ("label", "方案"),
    ("rate", "Rate %"),
    ("monthly_charge", "A month ¥"),
    ("mine", "Yours"),
]

plan_app = typer.Typer(
    help="Your fee plan: commission, membership, hybrid or promoted (online).",
    add_completion=False,
)
app.add_typer(plan_app, name="plan")


@plan_app.callback(invoke_without_command=True)
def plan(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Your fee plan, when it is paid until, and the plans on offer."""
    if ctx.invoked_subcommand is not None:
        return
    from jiedan_cli.sync.fee_plans import my_fee_plan

    _show_plan(my_fee_plan(), as_json=as_json)


@plan_app.command()
def choose(
    name: Annotated[str, typer.Argument(help="commission, membership, hybrid or promoted.")],
    as_json: JsonOption = False,
) -> None:
    """Switch to a fee plan; a paid one bills its first month now from your earnings."""
    from jiedan_cli.sync.fee_plans import choose_fee_plan

    _show_plan(choose_fee_plan(name), as_json=as_json)  # an unknown plan: exit 2, no network


def _show_plan(data: dict[str, Any], *, as_json: bool) -> None:
    from jiedan_cli.domain.money import format_yuan
    from jiedan_cli.render import say

    if as_json:
        output(data, as_json=True)
        return
    rows = [
        {
            **offer,
            "rate": f"{offer['rate_bp'] / 100:.2f}",
            "monthly_charge": format_yuan(offer["monthly_charge_fen"]),
            "mine": "✓" if offer["plan"] == data["plan"] else "",
        }
        for offer in data["offers"]
    ]
    output(rows, as_json=False, columns=PLAN_COLUMNS)
    said = f"Your plan: {data['plan']}"
    if data.get("paid_until"):
        said += f", paid until {data['paid_until'][:10]}"
    if data.get("lapsed_from"):
        said += f" ({data['lapsed_from']} lapsed: your earnings did not cover its month)"
    say(said)


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
        "monthly_cost": format_yuan(row["monthly_cost_fen"]),
        "effective_rate": f"{row['effective_rate_bp'] / 100:.2f}",
        "per_order": format_yuan(row["per_order_fen"]),
        "kept": format_yuan(row["kept_fen"]),
        "monthly_fee": format_yuan(row["monthly_fee_fen"] + row["package_fen"]),
        "cheapest": "✓" if row["cheapest"] else "",
    }
