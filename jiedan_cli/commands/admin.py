"""`jiedan admin …`: staff work from the terminal (roles in security.md). `queue` lists what
waits for a reviewer — actions the risk engine held and real-name verifications, a `kind`
column telling them apart; `release|block HOLD_ID` decides a hold, `verify approve|reject
USER_ID` a verification; `dispute resolve ORDER_ID --to-freelancer PCT` splits a disputed
escrow (support, admin); `reviews` lists the reviews held because their author and subject
share an install, `clear-review REVIEW_ID` lets one count (reviewer, admin); `audit` reads the
audit log (admin); `campaign add|list|end` makes, lists and ends the time-windowed campaigns
(积分翻倍, 周末特惠, 节日专场; admins); `protection` shows the protection fund (保险机制) and
`compensate ORDER_ID --to client|freelancer --amount Y --reason T` pays a defrauded party of a
disputed order from it (finance, admin). Online only; a role that may not is exit 4."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from jiedan_cli.commands.common import JsonOption, full_id_of, whole_number, yuan
from jiedan_cli.domain.errors import InvalidInput
from jiedan_cli.domain.timefmt import parse_date
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
    ("id", "Item"),
    ("user_id", "User"),
    ("summary", "What"),
    ("created_at", "Waiting since"),
]
HOLD_COLUMNS: list[Column] = [
    ("id", "Hold"),
    ("status", "Status"),
    ("action", "Action"),
    ("reason", "Reason"),
    ("decision_reason", "Decision"),
]
AUDIT_COLUMNS: list[Column] = [
    ("at", "At"),
    ("action", "Action"),
    ("actor_id", "Actor"),
    ("target", "Target"),
]
AUDIT_MAX = 1000  # entries `admin audit` reads at most (newest first)
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
HELD_REVIEW_COLUMNS: list[Column] = [
    ("id", "Review"),
    ("order_id", "Order"),
    ("author_id", "Author"),
    ("subject_id", "Subject"),
    ("stars", "Stars"),
    ("shared_installs", "Shared installs"),
    ("created_at", "Written"),
]
REVIEW_COLUMNS: list[Column] = [
    ("id", "Review"),
    ("order_id", "Order"),
    ("subject_id", "Subject"),
    ("stars", "Stars"),
]
FUND_COLUMNS: list[Column] = [("account", "Account"), ("balance_yuan", "Balance ¥")]
COMPENSATION_COLUMNS: list[Column] = [
    ("id", "Compensation"),
    ("order_id", "Order"),
    ("to", "To"),
    ("recipient_id", "Recipient"),
    ("amount_yuan", "Amount ¥"),
]
RECIPIENTS = ("client", "freelancer")

UserId = Annotated[str, typer.Argument(help="Whose verification.")]


@app.command()
def queue(as_json: JsonOption = False) -> None:
    """What waits for review, oldest first: held actions (with the rules that fired and
    their facts) and real-name verifications."""
    from jiedan_cli.sync.http import api_call, api_list

    held = api_call("GET", "/v1/staff/holds", params={"limit": 200})
    items = [
        {
            "kind": "hold",
            "user_id": (h.get("user") or {}).get("id"),
            "summary": f"{h['action']}: {h['reason']}",
            **h,
        }
        for h in held
    ]
    items += [
        {"kind": "verification", "id": v["user_id"], "summary": v.get("real_name"), **v}
        for v in api_list("/v1/staff/verifications")
    ]
    items.sort(key=lambda item: str(item.get("created_at") or ""))
    output(items, as_json=as_json, columns=QUEUE_COLUMNS)


HoldId = Annotated[str, typer.Argument(help="A hold's id, as `admin queue` shows it.")]


@app.command("release")
def release(hold_id: HoldId, as_json: JsonOption = False) -> None:
    """Let a held action through: it is applied as its user asked (reviewer, admin)."""
    from jiedan_cli.sync.http import api_call

    decided = api_call("POST", f"/v1/staff/holds/{_segment(_hold_id(hold_id))}/release")
    output(decided, as_json=as_json, columns=HOLD_COLUMNS)


@app.command("block")
def block(
    hold_id: HoldId,
    reason: Annotated[str, typer.Option("--reason", help="Why, in words its user will read.")],
    as_json: JsonOption = False,
) -> None:
    """Refuse a held action for good, with a reason (reviewer, admin)."""
    from jiedan_cli.sync.http import api_call

    if not reason.strip():
        raise InvalidInput("--reason: say why", field="reason")
    path = f"/v1/staff/holds/{_segment(_hold_id(hold_id))}/block"
    output(api_call("POST", path, json={"reason": reason}), as_json=as_json, columns=HOLD_COLUMNS)


@app.command("audit")
def audit(
    user: Annotated[
        str | None, typer.Option("--user", help="Entries by or about this user id.")
    ] = None,
    since: Annotated[str | None, typer.Option("--since", help="YYYY-MM-DD (UTC).")] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="An action, or a prefix ending in '*'.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The audit log, newest first (admins)."""
    from jiedan_cli.sync.http import api_call

    params: dict[str, Any] = {"limit": 200}
    if since is not None:
        params["since"] = parse_date(since, field="--since").isoformat() + "T00:00:00Z"
    if user:
        params["user_id"] = user
    if action:
        params["action"] = action
    entries: list[dict[str, Any]] = []
    while len(entries) < AUDIT_MAX:
        page = api_call("GET", "/v1/staff/audit", params=params)
        entries += page["items"]
        if not page.get("next_cursor"):
            break
        params["cursor"] = page["next_cursor"]
    output(entries[:AUDIT_MAX], as_json=as_json, columns=AUDIT_COLUMNS)


def _hold_id(given: str) -> str:
    given = given.strip()
    if not given or len(given) > 64:
        raise InvalidInput("HOLD_ID: a hold's id, as `jiedan admin queue` shows it", field="id")
    return given


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


@app.command("reviews")
def held_reviews(as_json: JsonOption = False) -> None:
    """Reviews held for integrity review (author and subject share an install), oldest first."""
    from jiedan_cli.sync.http import api_list

    output(api_list("/v1/staff/reviews"), as_json=as_json, columns=HELD_REVIEW_COLUMNS)


@app.command("clear-review")
def clear_review(
    review_id: Annotated[str, typer.Argument(help="A held review (from `admin reviews`).")],
    as_json: JsonOption = False,
) -> None:
    """Let a held review count in its subject's rating (reviewer, admin)."""
    from jiedan_cli.sync.http import api_call

    review = api_call("POST", f"/v1/staff/reviews/{_segment(review_id)}/clear")
    output(review, as_json=as_json, columns=REVIEW_COLUMNS)


@app.command("protection")
def protection_fund(as_json: JsonOption = False) -> None:
    """What the protection fund (保险机制) holds (finance, admin)."""
    from jiedan_cli.sync.http import api_call

    output(api_call("GET", "/v1/staff/protection"), as_json=as_json, columns=FUND_COLUMNS)


@app.command("compensate")
def compensate(
    order_id: Annotated[str, typer.Argument(help="An order that had a dispute.")],
    to: Annotated[str, typer.Option("--to", metavar="client|freelancer", help="Who is paid.")],
    amount: Annotated[str, typer.Option("--amount", help="Yuan, e.g. 200 or 199.50.")],
    reason: Annotated[str, typer.Option("--reason", help="Why, for the audit log.")],
    as_json: JsonOption = False,
) -> None:
    """Pay a defrauded party of a disputed order from the protection fund (finance, admin);
    never more than the fund holds (exit 4)."""
    from jiedan_cli.domain.ids import new_id
    from jiedan_cli.domain.money import format_yuan
    from jiedan_cli.domain.order_rules import check_text
    from jiedan_cli.sync.http import api_call

    if to not in RECIPIENTS:
        raise InvalidInput(f"--to: {to!r} is not one of client, freelancer", field="--to")
    amount_fen = yuan(amount, field="--amount")
    reason = check_text(reason, field="--reason", max_len=500, required=True)
    # Named before it is sent: a retried request pays once.
    body = {"id": new_id(), "to": to, "amount_fen": amount_fen, "reason": reason}
    path = f"/v1/staff/disputes/{_segment(full_id_of('order', order_id))}/compensate"
    paid: dict[str, Any] = api_call("POST", path, json=body)
    output(
        {**paid, "amount_yuan": format_yuan(paid["amount_fen"])},
        as_json=as_json,
        columns=COMPENSATION_COLUMNS,
    )


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
