"""An order in a few lines — title, state, budget, category, deadline, bids, tags, client —
as the order detail's head and the board's preview (on a wide terminal) both show it."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from rich.console import Group
from rich.text import Text
from textual.widgets import Static

from jiedan_cli.domain.categories import label_for
from jiedan_cli.render import counted
from jiedan_cli.tui import formatting


def order_head(order: dict[str, Any], client: dict[str, Any] | None, tz: tzinfo | None) -> Text:
    shown = formatting.shown
    text = formatting.plain(order.get("title"), style="bold")
    text.append(f"\n{formatting.status(order.get('status'))}", style="reverse")
    category = shown(label_for(order.get("category") or ""))
    text.append(f"  {formatting.budget(order)}  ·  {category}")
    text.append(f"  ·  deadline {formatting.day(order.get('deadline'))}")
    posted = formatting.when(order.get("created_at"), tz)
    text.append(f"  ·  {counted(order.get('bid_count') or 0, 'bid')}  ·  posted {posted}")
    tags = order.get("tags") or []
    if tags:
        text.append("\n" + "  ".join(f"#{shown(t)}" for t in tags), style=formatting.ACCENT)
    text.append("\nclient ")
    text.append(client_line(order, client), style="dim")
    if order.get("sync_state") != "synced":
        style = formatting.SYNC_STYLES.get(str(order.get("sync_state")), formatting.PENDING)
        text.append(f"\n{formatting.sync_mark(order)}", style=style)
    return text


def client_line(order: dict[str, Any], client: dict[str, Any] | None) -> str:
    """The client's name and rating when the replica has their profile, else a short id."""
    if client is None:
        return formatting.short_id(order.get("client_id"))
    rating = client.get("rating") or {}
    stars = (
        f"★ {rating['average']:.1f} ({rating.get('count', 0)} reviews)"
        if rating.get("average")
        else "no reviews yet"
    )
    name = formatting.shown(client.get("name")) or formatting.short_id(order.get("client_id"))
    return f"{name} · {stars}"


def my_bid_line(order: dict[str, Any], me: str | None) -> Text:
    if me is not None and order.get("client_id") == me:
        return Text("You posted this order: its bids are in Client mode (5).", style="dim")
    bid = order.get("my_bid")
    if not bid:
        return Text("No bid from you yet — Enter to open and bid.", style="dim")
    text = Text("My bid ", style="dim")
    text.append(f"{formatting.yuan(bid.get('amount_fen'))} in {bid.get('days')} days")
    text.append(f"  ·  {formatting.status(bid.get('status'))}  ·  ")
    text.append(
        formatting.sync_mark(bid), style=formatting.SYNC_STYLES.get(bid.get("sync_state") or "", "")
    )
    return text


class OrderPreview(Static):
    """The highlighted order of the board, beside it when the terminal is wide."""

    def show(
        self,
        order: dict[str, Any] | None,
        me: str | None,
        tz: tzinfo | None,
        client: dict[str, Any] | None = None,
    ) -> None:
        """`client`: the client's profile when known (their name, as the order's view has it)."""
        if order is None:
            self.update(Text("No order highlighted.", style="dim"))
            return
        description = formatting.Wrapped(formatting.plain(order.get("description"), multiline=True))
        head = order_head(order, client, tz)
        self.update(Group(head, Text(), my_bid_line(order, me), Text(), description))
