"""What happened to the user since they last looked: their bids awarded or declined, the
orders they work on funded, sent back or paid, bids and deliveries on the orders they posted,
messages to them, and the platform's first-order coupon (新客首单券) decided on their first
payment — for the dashboard's notices after a background sync.

A `Snapshot` is what matters of the replica at one moment; `news` compares the replica with
an earlier snapshot. Both read the server copy only (never the overlay): the user's own
queued operations are not news, and neither is what the server tells back about their own
moves (a message they sent, an award they made — those are not kinds of news at all)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jiedan_cli.domain.money import format_yuan
from jiedan_cli.domain.states import BidStatus, OrderStatus
from jiedan_cli.store.earnings import payouts
from jiedan_cli.store.state import current_user_id

SHORT = 60  # characters of a note or message quoted in a notice
TITLE = 40  # characters of an order's title


@dataclass(frozen=True)
class NewsItem:
    # bid_awarded, bid_declined, funded, revision, released, delivered, new_bid, message,
    # first_order_coupon
    kind: str
    order_id: str
    title: str  # the order's title ("" when the replica does not hold the order)
    text: str  # the notice, in plain words


@dataclass(frozen=True)
class Snapshot:
    """The user's part of the server copy: enough to tell what changed since."""

    user_id: str | None = None
    pulled: bool = False  # the replica has pulled at least once: a baseline worth comparing to
    my_bids: Mapping[str, str] = field(default_factory=dict)  # bid id → status
    working: Mapping[str, str] = field(default_factory=dict)  # orders I work on: id → status
    bids_on_mine: frozenset[str] = frozenset()  # others' bids on orders I posted
    deliveries_to_me: frozenset[str] = frozenset()  # deliveries on orders I posted
    revisions: frozenset[str] = frozenset()  # revision requests on orders I work on (events)
    messages_to_me: frozenset[str] = frozenset()
    payouts: frozenset[str] = frozenset()  # ledger lines that paid me
    coupons: frozenset[str] = frozenset()  # my first-order coupon, once decided (one at most)


Money = Callable[[int], str]


def _plain_yuan(fen: int) -> str:
    return f"¥{format_yuan(fen)}"


def _ids(conn: sqlite3.Connection, sql: str, *params: object) -> frozenset[str]:
    return frozenset(str(row[0]) for row in conn.execute(sql, params))


def snapshot(conn: sqlite3.Connection) -> Snapshot:
    """The replica's server copy as far as news is concerned (an empty one when signed out)."""
    me = current_user_id(conn)
    if me is None:
        return Snapshot()
    cursor = conn.execute("SELECT cursor FROM sync_state WHERE id = 1").fetchone()[0]
    my_bids = conn.execute("SELECT id, status FROM bids WHERE freelancer_id = ?", (me,))
    working = conn.execute("SELECT id, status FROM orders WHERE freelancer_id = ?", (me,))
    return Snapshot(
        user_id=me,
        pulled=cursor is not None,
        my_bids={str(row[0]): str(row[1]) for row in my_bids},
        working={str(row[0]): str(row[1]) for row in working},
        bids_on_mine=_ids(
            conn,
            "SELECT b.id FROM bids b JOIN orders o ON o.id = b.order_id"
            " WHERE o.client_id = ?1 AND b.freelancer_id IS NOT ?1",
            me,
        ),
        deliveries_to_me=_ids(
            conn,
            "SELECT d.id FROM deliveries d JOIN orders o ON o.id = d.order_id"
            " WHERE o.client_id = ?1 AND json_extract(d.data, '$.freelancer_id') IS NOT ?1",
            me,
        ),
        revisions=_ids(
            conn,
            "SELECT e.id FROM extra_entities e JOIN orders o"
            " ON o.id = json_extract(e.data, '$.order_id')"
            " WHERE e.entity = 'order_event' AND o.freelancer_id = ?1"
            " AND json_extract(e.data, '$.kind') = 'revision_requested'"
            " AND json_extract(e.data, '$.actor_id') IS NOT ?1",
            me,
        ),
        messages_to_me=_ids(
            conn, "SELECT id FROM messages WHERE recipient_id = ?1 AND sender_id IS NOT ?1", me
        ),
        payouts=frozenset(str(entry["id"]) for entry in payouts(conn)),
        coupons=_ids(conn, "SELECT id FROM extra_entities WHERE entity = 'first_order_coupon'"),
    )


def news(
    conn: sqlite3.Connection, before: Snapshot, *, money: Money = _plain_yuan
) -> tuple[Snapshot, list[NewsItem]]:
    """The replica's snapshot now, and what happened to the user since `before`, in the
    order: bids, work, money, the client's side, messages. Nothing when `before` was taken
    before the first pull or for another user: a replica filling up is not news.
    `money` words an amount of fen (the dashboard passes its own, with thousands separators)."""
    after = snapshot(conn)
    if after.user_id is None or before.user_id != after.user_id or not before.pulled:
        return after, []
    found = _Found(conn, money)
    found.bids(before, after)
    found.work(before, after)
    found.payouts(before, after)
    found.client_side(before, after)
    found.coupons(after.coupons - before.coupons)
    found.messages(after.messages_to_me - before.messages_to_me)
    return after, found.items


def shorten(text: str, width: int = SHORT) -> str:
    """One line of at most `width` characters, cut with an ellipsis."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"


class _Found:
    """The items of one comparison, worded with the titles of the orders they are about."""

    def __init__(self, conn: sqlite3.Connection, money: Money) -> None:
        self.conn, self.money = conn, money
        self.items: list[NewsItem] = []
        self._titles: dict[str, str] = {}

    def title(self, order_id: str) -> str:
        if order_id not in self._titles:
            found = self.conn.execute("SELECT title FROM orders WHERE id = ?", (order_id,))
            row = found.fetchone()
            self._titles[order_id] = "" if row is None else str(row[0] or "")
        return self._titles[order_id]

    def named(self, order_id: str) -> str:
        """The order as a notice names it: its title, quoted and shortened."""
        title = self.title(order_id)
        return f"“{shorten(title, TITLE)}”" if title else f"order {order_id[:8]}"

    def add(self, kind: str, order_id: str, text: str) -> None:
        self.items.append(NewsItem(kind, order_id, self.title(order_id), text))

    def _rows(self, sql: str, ids: Iterable[str]) -> list[dict[str, Any]]:
        """The payloads of `ids` (`sql` has `{marks}` for them), oldest first."""
        wanted = sorted(ids)
        if not wanted:
            return []
        marks = ", ".join("?" for _ in wanted)
        found = [json.loads(row[0]) for row in self.conn.execute(sql.format(marks=marks), wanted)]
        return sorted(found, key=lambda item: (str(item.get("created_at") or ""), str(item["id"])))

    # ---- the kinds of news -------------------------------------------------------------------

    def bids(self, before: Snapshot, after: Snapshot) -> None:
        moved = [
            bid_id
            for bid_id, status in after.my_bids.items()
            if status != before.my_bids.get(bid_id)
            and status in (BidStatus.AWARDED, BidStatus.DECLINED)
        ]
        for bid in self._rows("SELECT data FROM bids WHERE id IN ({marks})", moved):
            order_id = str(bid["order_id"])
            on = self.named(order_id)
            if bid["status"] == BidStatus.AWARDED:
                text = f"Your bid on {on} was awarded — the client funds escrow next."
                self.add("bid_awarded", order_id, text)
            else:
                self.add("bid_declined", order_id, f"Your bid on {on} was declined.")

    def work(self, before: Snapshot, after: Snapshot) -> None:
        """Orders I work on that the client funded (awarded → in_progress), and revisions
        the client asked for (with their note)."""
        for order_id, status in sorted(after.working.items()):
            earlier = before.working.get(order_id)
            if status == OrderStatus.IN_PROGRESS and earlier in (None, OrderStatus.AWARDED):
                text = f"{self.named(order_id)} is funded: the money is in escrow, start work."
                self.add("funded", order_id, text)
        events = self._rows(
            "SELECT data FROM extra_entities WHERE entity = 'order_event' AND id IN ({marks})",
            after.revisions - before.revisions,
        )
        for event in events:
            order_id, note = str(event["order_id"]), shorten(str(event.get("note") or ""))
            said = f": “{note}”" if note else "."
            text = f"The client asked for a revision on {self.named(order_id)}{said}"
            self.add("revision", order_id, text)

    def payouts(self, before: Snapshot, after: Snapshot) -> None:
        """Money released to me, one item per order and kind (an order of several
        milestones is paid in several lines at once)."""
        paid: dict[tuple[str, str], int] = {}
        lines = self._rows(
            "SELECT data FROM ledger_entries WHERE id IN ({marks})", after.payouts - before.payouts
        )
        for line in lines:
            key = (str(line.get("order_id") or ""), str(line.get("kind")))
            paid[key] = paid.get(key, 0) + int(line["amount_fen"])
        for (order_id, kind), fen in paid.items():
            on, amount = self.named(order_id), self.money(fen)
            accepted = before.working.get(order_id) == OrderStatus.DELIVERED and (
                after.working.get(order_id) == OrderStatus.COMPLETED
            )
            if kind == "resolve":
                text = f"The dispute on {on} was settled: {amount} paid to you."
            elif accepted:
                text = f"Your delivery on {on} was accepted: {amount} released to you."
            else:
                text = f"{amount} released to you for {on}."
            self.add("released", order_id, text)

    def client_side(self, before: Snapshot, after: Snapshot) -> None:
        """On orders I posted: deliveries to review, new bids."""
        deliveries = self._rows(
            "SELECT data FROM deliveries WHERE id IN ({marks})",
            after.deliveries_to_me - before.deliveries_to_me,
        )
        for delivery in deliveries:
            order_id, note = str(delivery["order_id"]), shorten(str(delivery.get("note") or ""))
            said = f": “{note}”" if note else ""
            on = self.named(order_id)
            text = f"A delivery arrived on {on}{said} — accept it or ask for a revision."
            self.add("delivered", order_id, text)
        bids = self._rows(
            "SELECT data FROM bids WHERE id IN ({marks})", after.bids_on_mine - before.bids_on_mine
        )
        for bid in bids:
            if bid.get("status") != BidStatus.SUBMITTED:
                continue  # withdrawn again before we looked
            order_id, offer = str(bid["order_id"]), self.money(int(bid["amount_fen"]))
            text = f"New bid on {self.named(order_id)}: {offer} in {bid.get('days')} days."
            self.add("new_bid", order_id, text)

    def coupons(self, fresh: frozenset[str]) -> None:
        """The platform's first-order coupon on my first payment: applied, or withheld."""
        rows = self._rows(
            "SELECT data FROM extra_entities WHERE entity = 'first_order_coupon'"
            " AND id IN ({marks})",
            fresh,
        )
        for coupon in rows:
            order_id, on = str(coupon["order_id"]), self.named(str(coupon["order_id"]))
            if coupon.get("status") == "applied":
                paid = self.money(int(coupon["amount_fen"]))
                text = f"首单券: the platform paid {paid} of your first payment for {on}."
            else:
                text = f"首单券: no first-order coupon on {on}: {coupon.get('reason')}."
            self.add("first_order_coupon", order_id, text)

    def messages(self, fresh: frozenset[str]) -> None:
        for message in self._rows("SELECT data FROM messages WHERE id IN ({marks})", fresh):
            order_id, text = str(message["order_id"]), shorten(str(message.get("text") or ""))
            self.add("message", order_id, f"Message on {self.named(order_id)}: “{text}”")
