"""`jiedan client post|bids|award|fund|accept|revise|cancel`: the side that posts orders.

Every mutating command is local-first (store/actions.py): saved with its outbox operation,
then one quick sync unless --offline; exit 4 with the server's reason when it was refused.
`client bids` reads the replica only."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from jiedan_cli.commands.common import (
    BID_COLUMNS,
    ORDER_COLUMNS,
    JsonOption,
    OfflineOption,
    attempt,
    current_user_id,
    full_id,
    hint_if_empty,
    replica,
    require_found,
    settle,
    show,
    text_or_file,
    with_names,
    yuan,
)
from jiedan_cli.domain.errors import NotFound

if TYPE_CHECKING:
    from jiedan_cli.commands.order_draft import OrderTerms
    from jiedan_cli.domain.dispute_warnings import DisputeWarning

app = typer.Typer(
    help="Post orders, award bids, fund, accept (client).",
    no_args_is_help=True,
    add_completion=False,
)

# the order's bids: who bid (by name) and their tier in place of the order
CLIENT_BID_COLUMNS = [
    BID_COLUMNS[0],
    ("freelancer", "Freelancer"),
    ("freelancer_tier_label", "等级"),
    *BID_COLUMNS[2:],
]

OrderId = Annotated[str, typer.Argument(help="One of your orders.")]


@app.command()
def post(
    title: Annotated[str | None, typer.Option("--title", help="What you need, in a line.")] = None,
    category: Annotated[
        str | None,
        typer.Option(
            "--category",
            help="design, development, … or the Chinese name (设计, 开发, …): "
            "`jiedan orders categories` lists them.",
        ),
    ] = None,
    budget_min: Annotated[str | None, typer.Option("--budget-min", help="Yuan, e.g. 500.")] = None,
    budget_max: Annotated[
        str | None, typer.Option("--budget-max", help="Yuan, e.g. 1200.50.")
    ] = None,
    description: Annotated[
        str | None, typer.Option("--description", help="The details (or --description-file).")
    ] = None,
    description_file: Annotated[
        str | None,
        typer.Option(
            "--description-file", metavar="PATH", help="The details from a file; - for stdin."
        ),
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", help="A tag (repeatable), or several comma-separated."),
    ] = None,
    deadline: Annotated[str | None, typer.Option("--deadline", help="YYYY-MM-DD.")] = None,
    from_text: Annotated[
        str | None,
        typer.Option(
            "--from-text",
            metavar="TEXT",
            help="Say what you need in your own words (想要一个清新风格的logo，预算500，下周五前):"
            " a draft is made from it and shown for confirmation; options given too win.",
        ),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="With --from-text: post the draft without asking.")
    ] = False,
    offline: OfflineOption = False,
    as_json: JsonOption = False,
) -> None:
    """Post an order; freelancers can bid on it once it syncs."""
    from jiedan_cli.commands.order_draft import OrderTerms, from_draft, required_terms
    from jiedan_cli.domain.order_rules import split_tags
    from jiedan_cli.store import actions

    details = text_or_file(
        description,
        description_file,
        option="--description",
        file_option="--description-file",
        required=from_text is None,
    )
    given = OrderTerms(
        title=title,
        description=details,
        category=category,
        tags=split_tags(tag) if tag else None,
        budget_min_fen=None if budget_min is None else yuan(budget_min, field="--budget-min"),
        budget_max_fen=None if budget_max is None else yuan(budget_max, field="--budget-max"),
        deadline=deadline,
    )
    with replica() as conn:
        if from_text is None:
            terms = required_terms(given)
            warnings = _posting_warnings(conn, terms)
        else:  # the warnings shown with the draft too, before it is confirmed
            terms, warnings = from_draft(
                from_text, given, yes=yes, caution=lambda t: _posting_warnings(conn, t)
            )
    _on_order(
        lambda conn: actions.post_order(conn, **terms.as_args()),
        offline=offline,
        as_json=as_json,
        warnings=warnings,
        warnings_said=from_text is not None,  # under "risks (纠纷预警)" with the draft
    )


def _posting_warnings(conn: sqlite3.Connection, terms: OrderTerms) -> list[DisputeWarning]:
    from jiedan_cli.store import dispute_facts

    if terms.category is None or terms.budget_max_fen is None:
        return []  # the draft names no budget: refused before it could be weighed
    return dispute_facts.at_posting(
        conn,
        description=terms.description or "",
        category=terms.category,
        budget_max_fen=terms.budget_max_fen,
        deadline=terms.deadline,
    )


@app.command()
def bids(order_id: OrderId, as_json: JsonOption = False) -> None:
    """Every bid on one of your orders (from the local replica): higher tiers first
    (钻石, 金牌, 银牌, 普通), newest first within a tier."""
    from jiedan_cli.store import queries
    from jiedan_cli.store.bidders import with_bidder_tiers

    with replica() as conn:
        order_id = full_id(conn, "order", order_id)
        order = require_found(queries.get_order(conn, order_id), f"no order {order_id}")
        if order.get("client_id") != current_user_id(conn):
            raise NotFound(f"no order {order_id} of yours")
        found = queries.list_bids(conn, order_id)
        if not as_json:  # bidders by name; the JSON keeps their ids
            found = with_names(conn, found, {"freelancer_id": "freelancer"}, fetch=True)
        found = with_bidder_tiers(conn, found)
        hint_if_empty(found, "no bids on this order yet; `jiedan sync` fetches new ones")
        show(found, as_json=as_json, columns=CLIENT_BID_COLUMNS)


Act = Callable[[sqlite3.Connection], dict[str, Any]]


def _on_order(
    act: Act,
    *,
    offline: bool,
    as_json: bool,
    warnings: list[DisputeWarning] | None = None,
    warnings_said: bool = False,
) -> None:
    """Run one local-first action on an order and print the order (as run_action does); the
    server's "no such order" (of the caller's) is exit 3, not a refusal. `warnings`: the
    dispute-risk warnings (`settle`)."""
    with replica() as conn:
        shown, verdict = attempt(conn, lambda: act(conn), kind="order", offline=offline)
    settle(
        shown,
        verdict,
        as_json=as_json,
        columns=ORDER_COLUMNS,
        missing=f"no order {shown['id']}",
        warnings=warnings,
        warnings_said=warnings_said,
    )


@app.command()
def award(
    order_id: OrderId,
    bid_id: Annotated[str, typer.Argument(help="The bid you choose.")],
    offline: OfflineOption = False,
    as_json: JsonOption = False,
) -> None:
    """Award the order to one bid; every other bid is declined."""
    from jiedan_cli.store import actions

    with replica() as conn:
        order_id, bid_id = full_id(conn, "order", order_id), full_id(conn, "bid", bid_id)
        warnings = _award_warnings(conn, bid_id, offline=offline)
    _on_order(
        lambda conn: actions.award(conn, order_id=order_id, bid_id=bid_id),
        offline=offline,
        as_json=as_json,
        warnings=warnings,
    )


def _award_warnings(
    conn: sqlite3.Connection, bid_id: str, *, offline: bool
) -> list[DisputeWarning]:
    """From the bidder's profile in the replica; fetched first when missing and online."""
    from contextlib import suppress

    from jiedan_cli.domain.errors import JiedanError
    from jiedan_cli.domain.timefmt import utcnow
    from jiedan_cli.store import dispute_facts, queries

    bid = queries.get_bid(conn, bid_id) or {}
    if not offline and bid.get("freelancer_id"):
        from jiedan_cli.sync.profiles import fetch_missing

        with suppress(JiedanError):  # offline or signed out: what the replica knows
            fetch_missing(conn, [bid["freelancer_id"]])
    return dispute_facts.at_award(conn, bid_id=bid_id, now=utcnow())


@app.command()
def fund(order_id: OrderId, offline: OfflineOption = False, as_json: JsonOption = False) -> None:
    """Pay the awarded amount into escrow (the sandbox provider by default); a client's first
    payment is less the first-order coupon (新客首单券) when the platform offers one."""
    from jiedan_cli.domain.coupons import describe_coupon
    from jiedan_cli.render import say
    from jiedan_cli.store import actions
    from jiedan_cli.store.coupons import first_order_coupon

    with replica() as conn:
        order_id = full_id(conn, "order", order_id)
        shown, verdict = attempt(
            conn, lambda: actions.fund(conn, order_id=order_id), kind="order", offline=offline
        )
        coupon = first_order_coupon(conn, order_id=order_id)  # once the sync brought it
    if coupon is not None and not verdict.rejected:
        words = describe_coupon(coupon["status"], coupon["amount_fen"], coupon.get("reason"))
        say(f"first-order coupon (新客首单券) {words}")
    if as_json:  # added to cli.md's order object, nothing renamed
        shown = {**shown, "first_order_coupon": coupon}
    settle(shown, verdict, as_json=as_json, columns=ORDER_COLUMNS, missing=f"no order {order_id}")


@app.command()
def accept(order_id: OrderId, offline: OfflineOption = False, as_json: JsonOption = False) -> None:
    """Accept the delivery: escrow goes to the freelancer, less the platform fee."""
    from jiedan_cli.store import actions

    _on_order(
        lambda conn: actions.accept(conn, order_id=full_id(conn, "order", order_id)),
        offline=offline,
        as_json=as_json,
    )


@app.command()
def revise(
    order_id: OrderId,
    note: Annotated[str | None, typer.Option("--note", help="What to change.")] = None,
    note_file: Annotated[
        str | None,
        typer.Option("--note-file", metavar="PATH", help="The note from a file; - for stdin."),
    ] = None,
    offline: OfflineOption = False,
    as_json: JsonOption = False,
) -> None:
    """Send the delivery back for a revision."""
    from jiedan_cli.store import actions

    text = text_or_file(note, note_file, option="--note", file_option="--note-file", required=True)

    _on_order(
        lambda conn: actions.revise(
            conn, order_id=full_id(conn, "order", order_id), note=text or ""
        ),
        offline=offline,
        as_json=as_json,
    )


@app.command()
def cancel(order_id: OrderId, offline: OfflineOption = False, as_json: JsonOption = False) -> None:
    """Cancel an order that is open or awarded."""
    from jiedan_cli.store import actions

    _on_order(
        lambda conn: actions.cancel(conn, order_id=full_id(conn, "order", order_id)),
        offline=offline,
        as_json=as_json,
    )
