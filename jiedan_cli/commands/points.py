"""`jiedan points balance|history|checkin|campaigns`: points (积分) and the membership tier,
from the local replica (store/earnings.py computes them with the server's rules), the daily
check-in (签到), local-first like every command that changes something, and the campaigns
running or to come (积分翻倍, 周末特惠; store/campaigns.py), read offline too."""

from __future__ import annotations

from typing import Any

import typer

from jiedan_cli.commands.common import JsonOption, OfflineOption, attempt, replica, settle
from jiedan_cli.render import Column, output

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
HISTORY_COLUMNS: list[Column] = [
    ("created_at", "When"),
    ("kind", "Kind"),
    ("amount", "Points"),
    ("order_id", "Order"),
    ("id", "ID"),
]


@app.command()
def balance(as_json: JsonOption = False) -> None:
    """Your points balance and membership tier."""
    from jiedan_cli.store.earnings import points_balance

    with replica() as conn:
        points = points_balance(conn)
    if as_json:
        output(points, as_json=True)
        return
    output(_for_display(points), as_json=False, columns=BALANCE_COLUMNS)


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
