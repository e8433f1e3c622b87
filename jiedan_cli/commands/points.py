"""`jiedan points balance|history|checkin|campaigns|redeem`: points (积分) and the membership tier,
from the local replica (store/earnings.py computes them with the server's rules), the daily
check-in (签到), local-first like every command that changes something, and the campaigns
running or to come (积分翻倍, 周末特惠; store/campaigns.py), read offline too. `redeem
coupon|cash --points N` spends points (100 = ¥1) on a fee coupon or on cash to earnings,
local-first: queued under an id made once, so a retry or a replay spends them once."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from jiedan_cli.commands.common import (
    JsonOption,
    OfflineOption,
    attempt,
    replica,
    settle,
    whole_number,
)
from jiedan_cli.domain.points import REDEEM_MAX_POINTS, REDEEM_MIN_POINTS
from jiedan_cli.render import Column, output, say

app = typer.Typer(
    help="Your points and membership tier.", no_args_is_help=True, add_completion=False
)

BALANCE_COLUMNS: list[Column] = [
    ("balance", "Points"),
    ("tier", "Tier"),
    ("tier_label", "等级"),
    ("next_tier", "Next tier"),
    ("volume", "12-month volume ¥"),
    ("completed_orders", "Completed orders"),
    ("progress_words", "To the next tier"),
]
CHECKIN_COLUMNS: list[Column] = [
    ("day", "Day"),
    ("amount", "Points"),
    ("streak", "Days in a row"),
    ("sync_state", "Sync"),
    ("reject_reason", "Rejected because"),
]
CAMPAIGN_COLUMNS: list[Column] = [
    ("name", "Campaign"),
    ("offer", "Gives"),
    ("urgency", "When"),
    ("ends_at", "Ends"),
    ("id", "ID"),
]
REDEEM_COLUMNS: list[Column] = [
    ("kind", "Redeemed for"),
    ("points", "Points"),
    ("value", "Worth ¥"),
    ("sync_state", "Sync"),
    ("reject_reason", "Rejected because"),
    ("id", "ID"),
]
HISTORY_COLUMNS: list[Column] = [
    ("created_at", "When"),
    ("kind", "Kind"),
    ("amount", "Points"),
    ("order_id", "Order"),
    ("id", "ID"),
]


@app.command()
def balance(as_json: JsonOption = False) -> None:
    """Your points balance, membership tier, and the next points to expire."""
    from jiedan_cli.store.earnings import points_balance

    with replica() as conn:
        points = {**points_balance(conn), "expiring": _expiring()}
    if as_json:
        output(points, as_json=True)
        return
    output(_for_display(points), as_json=False, columns=BALANCE_COLUMNS)
    soon = points["expiring"]
    if soon:
        say(f"{soon['points']} points expire on {soon['on']}")


def _expiring() -> dict[str, Any] | None:
    """The next points to expire, from the server (their date is its setting,
    JIEDAN_SERVER_POINTS_EXPIRY_MONTHS); None offline or signed out: the balance is the
    replica's either way."""
    from jiedan_cli.domain.errors import JiedanError
    from jiedan_cli.sync.http import api_call

    try:
        found = api_call("GET", "/v1/points", timeout=5).get("expiring")
    except JiedanError:
        return None
    return found if isinstance(found, dict) else None


def _for_display(points: dict[str, Any]) -> dict[str, Any]:
    from jiedan_cli.domain.money import format_yuan

    progress = points.get("progress") or {}
    return {
        **points,
        "volume": format_yuan(int(progress.get("volume_fen") or 0)),
        "completed_orders": progress.get("completed_orders"),
    }


@app.command()
def history(as_json: JsonOption = False) -> None:
    """Every points entry, newest first."""
    from jiedan_cli.store.earnings import points_history

    with replica() as conn:
        entries = points_history(conn)
    output(entries, as_json=as_json, columns=HISTORY_COLUMNS)


@app.command()
def campaigns(as_json: JsonOption = False) -> None:
    """Campaigns running now or to come (积分翻倍, 周末特惠 …), the soonest to end first."""
    from jiedan_cli.store.campaigns import current_campaigns

    with replica() as conn:
        found = current_campaigns(conn)
    output(found, as_json=as_json, columns=CAMPAIGN_COLUMNS)


@app.command()
def checkin(offline: OfflineOption = False, as_json: JsonOption = False) -> None:
    """Today's check-in (签到): points, more for each day in a row; once a day."""
    from jiedan_cli.store import actions

    with replica() as conn:  # the server's own count once it answered (store/verdicts.reread)
        shown, verdict = attempt(
            conn, lambda: actions.check_in(conn), kind="checkin", offline=offline
        )
    settle(shown, verdict, as_json=as_json, columns=CHECKIN_COLUMNS)


@app.command()
def redeem(
    kind: Annotated[str, typer.Argument(help="coupon (off your next fees) or cash (to earnings).")],
    points: Annotated[
        int,
        typer.Option(
            "--points",
            parser=whole_number("points", REDEEM_MIN_POINTS, REDEEM_MAX_POINTS),
            metavar="N",
            help=f"Points to spend ({REDEEM_MIN_POINTS} = ¥{REDEEM_MIN_POINTS // 100}).",
        ),
    ],
    offline: OfflineOption = False,
    as_json: JsonOption = False,
) -> None:
    """Redeem points (积分兑换): 100 points = ¥1, as a fee coupon or as cash to earnings."""
    from jiedan_cli.domain.errors import InvalidInput
    from jiedan_cli.domain.money import format_yuan
    from jiedan_cli.store import actions

    if kind not in ("coupon", "cash"):
        raise InvalidInput(f"{kind!r}: redeem for coupon or cash")
    with replica() as conn:
        shown, verdict = attempt(
            conn,
            lambda: actions.redeem_points(conn, kind=kind, points=points),
            kind="redemption",
            offline=offline,
        )
    if not as_json:
        shown = {**shown, "value": format_yuan(int(shown["value_fen"]))}
    settle(shown, verdict, as_json=as_json, columns=REDEEM_COLUMNS)
