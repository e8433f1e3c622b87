"""`jiedan admin …`: staff work from the terminal (roles in security.md). `queue` lists what
waits for a reviewer (real-name verifications, for now); `verify approve|reject USER_ID`
decides one; `dispute resolve ORDER_ID --to-freelancer PCT` splits a disputed escrow
(support, admin); `campaign add|list|end` makes, lists and ends the time-windowed campaigns
(积分翻倍, 周末特惠, 节日专场; admins). Online only; a role that may not is exit 4."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from jiedan_cli.commands.common import JsonOption, full_id_of, whole_number
from jiedan_cli.render import Column, output

app = typer.Typer(
    help="Staff: review queue, verifications, disputes.", no_args_is_help=True, add_completion=False
)
verify = typer.Typer(help="Approve or reject a real-name verification.", no_args_is_help=True)
dispute = typer.Typer(help="Settle a disputed order.", no_args_is_help=True)
app.add_typer(verify, name="verify")
app.add_typer(dispute, name="dispute")
campaign = typer.Typer(help="Time-windowed campaigns (admins).", no_args_is_help=True)
app.add_typer(campaign, name="campaign")

QUEUE_COLUMNS: list[Column] = [
    ("kind", "Kind"),
    ("user_id", "User"),
    ("real_name", "Name"),
    ("id_number_masked", "ID number"),
    ("created_at", "Waiting since"),
]
VERIFICATION_COLUMNS: list[Column] = [
    ("user_id", "User"),
    ("real_name", "Name"),
    ("status", "Status"),
    ("reviewed_at", "Reviewed"),
]
CAMPAIGN_COLUMNS: list[Column] = [
    ("id", "ID"),
    ("name", "Campaign"),
    ("kind", "Kind"),
    ("multiplier", "×"),
    ("discount_bp", "Off the rate (bp)"),
    ("category", "Category"),
    ("starts_at", "Starts"),
    ("ends_at", "Ends"),
]
ORDER_COLUMNS: list[Column] = [("id", "Order"), ("title", "Title"), ("status", "Status")]

UserId = Annotated[str, typer.Argument(help="Whose verification.")]


@app.command()
def queue(as_json: JsonOption = False) -> None:
    """What waits for review, oldest first."""
    from jiedan_cli.sync.http import api_list

    items = [{"kind": "verification", **v} for v in api_list("/v1/staff/verifications")]
    output(items, as_json=as_json, columns=QUEUE_COLUMNS)


def _review(user_id: str, verdict: str, as_json: bool) -> None:
    from jiedan_cli.sync.http import api_call

    path = f"/v1/staff/verifications/{_segment(full_id_of('user', user_id))}/{verdict}"
    output(api_call("POST", path), as_json=as_json, columns=VERIFICATION_COLUMNS)


@verify.command("approve")
def approve(user_id: UserId, as_json: JsonOption = False) -> None:
    """Approve the user's pending verification (reviewer, admin)."""
    _review(user_id, "approve", as_json)


@verify.command("reject")
def reject(user_id: UserId, as_json: JsonOption = False) -> None:
    """Reject the user's pending verification (reviewer, admin)."""
    _review(user_id, "reject", as_json)


@dispute.command("resolve")
def resolve(
    order_id: Annotated[str, typer.Argument(help="A disputed order.")],
    to_freelancer: Annotated[
        int,
        typer.Option(
            "--to-freelancer",
            parser=whole_number("to-freelancer", 0, 100),
            metavar="PCT",
            help="Percent of the escrow to the freelancer, 0 to 100.",
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Split the disputed escrow: PCT% to the freelancer, the rest back to the client."""
    from jiedan_cli.sync.http import api_call

    path = f"/v1/staff/disputes/{_segment(full_id_of('order', order_id))}/resolve"
    order: dict[str, Any] = api_call("POST", path, json={"to_freelancer_pct": to_freelancer})
    output(order, as_json=as_json, columns=ORDER_COLUMNS)


def _segment(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


@campaign.command("add")
def add_campaign(
    name: Annotated[str, typer.Option("--name", help="积分翻倍, 周末特惠 …")],
    ends: Annotated[
        str, typer.Option("--ends", help="RFC 3339 (exclusive), e.g. 2026-12-07T16:00:00Z.")
    ],
    starts: Annotated[
        str | None, typer.Option("--starts", help="RFC 3339 (inclusive); default now.")
    ] = None,
    points_multiplier: Annotated[
        int | None,
        typer.Option(
            "--points-multiplier",
            parser=whole_number("points-multiplier", 2, 10),
            metavar="N",
            help="Points earned are multiplied by N (2 to 10).",
        ),
    ] = None,
    fee_discount: Annotated[
        int | None,
        typer.Option(
            "--fee-discount",
            parser=whole_number("fee-discount", 1, 100),
            metavar="PCT",
            help="Percentage points off the commission rate (10% - PCT).",
        ),
    ] = None,
    category: Annotated[
        str | None, typer.Option("--category", help="Fee discount for this category only.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a campaign: --points-multiplier N, or --fee-discount PCT [--category C]."""
    from jiedan_cli.domain.errors import InvalidInput
    from jiedan_cli.domain.timefmt import parse_rfc3339, rfc3339, utcnow
    from jiedan_cli.sync.http import api_call

    if (points_multiplier is None) == (fee_discount is None):
        raise InvalidInput("give one of --points-multiplier or --fee-discount")
    if category is not None and fee_discount is None:
        raise InvalidInput("--category goes with --fee-discount")
    body: dict[str, Any] = {
        "name": name,
        "starts_at": rfc3339(parse_rfc3339(starts, field="--starts") if starts else utcnow()),
        "ends_at": rfc3339(parse_rfc3339(ends, field="--ends")),
    }
    if points_multiplier is not None:
        body |= {"kind": "points_multiplier", "multiplier": points_multiplier}
    else:
        body |= {"kind": "fee_discount", "discount_bp": (fee_discount or 0) * 100}
        if category is not None:
            body["category"] = category
    made = api_call("POST", "/v1/staff/campaigns", json=body)
    output(made, as_json=as_json, columns=CAMPAIGN_COLUMNS)


@campaign.command("list")
def list_campaigns(as_json: JsonOption = False) -> None:
    """Every campaign, the latest to end first."""
    from jiedan_cli.sync.http import api_list

    output(api_list("/v1/staff/campaigns"), as_json=as_json, columns=CAMPAIGN_COLUMNS)


@campaign.command("end")
def end_campaign(
    campaign_id: Annotated[str, typer.Argument(help="The campaign's id.")],
    as_json: JsonOption = False,
) -> None:
    """End a campaign now."""
    from jiedan_cli.sync.http import api_call

    path = f"/v1/staff/campaigns/{_segment(campaign_id)}/end"
    output(api_call("POST", path), as_json=as_json, columns=CAMPAIGN_COLUMNS)
