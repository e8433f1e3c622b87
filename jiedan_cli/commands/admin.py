"""`jiedan admin …`: staff work from the terminal (roles in security.md). `queue` lists what
waits for a reviewer (real-name verifications, for now); `verify approve|reject USER_ID`
decides one; `dispute resolve ORDER_ID --to-freelancer PCT` splits a disputed escrow
(support, admin); `reviews` lists the reviews held because their author and subject share an
install, `clear-review REVIEW_ID` lets one count (reviewer, admin); `protection` shows the
protection fund (保险机制) and `compensate ORDER_ID --to client|freelancer --amount Y --reason T`
pays a defrauded party of a disputed order from it (finance, admin). Online only; a role that
may not is exit 4."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from jiedan_cli.commands.common import JsonOption, full_id_of, whole_number, yuan
from jiedan_cli.render import Column, output

app = typer.Typer(
    help="Staff: review queue, verifications, disputes.", no_args_is_help=True, add_completion=False
)
verify = typer.Typer(help="Approve or reject a real-name verification.", no_args_is_help=True)
dispute = typer.Typer(help="Settle a disputed order.", no_args_is_help=True)
app.add_typer(verify, name="verify")
app.add_typer(dispute, name="dispute")

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
    from jiedan_cli.domain.errors import InvalidInput
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
