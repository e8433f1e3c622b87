"""Reads of the local replica for `orders list/search/show`, `bid list`, `messages list` and
the TUI: JSON-ready dicts in the shapes of cli.md, as the user should see them (the server
copy with the outbox on top, store/overlay.py).

This is the hot path of a cold read command (performance.md P1/P2): it imports only the
standard library and our small store modules — never sqlite_utils, httpx or textual.
"""

from __future__ import annotations

import json
import sqlite3

from jiedan_cli.domain.intents import Intent
from jiedan_cli.domain.states import LIVE_BID, check_bid_status_filter
from jiedan_cli.store.orderfilter import OrderFilter
from jiedan_cli.store.overlay import load_operations, synced, view

TYPE_CHECKING = False  # not `from typing import …`: importing typing costs a cold start ≈3 ms

if TYPE_CHECKING:  # `typing` is not imported at run time: this module is the cold read path
    from collections.abc import Callable, Iterable
    from typing import Any, TypeAlias

    from jiedan_cli.store.overlay import Ops
    from jiedan_cli.store.search_plan import Plan

    Order: TypeAlias = dict[str, Any]

DEFAULT_LIMIT = 50


def _me(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT user_id FROM sync_state WHERE id = 1").fetchone()
    return None if row is None else row[0]


def _marks(values: Iterable[Any]) -> str:
    return ", ".join("?" for _ in values)


def _newest_first(items: list[Order]) -> list[Order]:
    return sorted(items, key=lambda item: (item.get("created_at") or "", item["id"]), reverse=True)


# ---- orders ---------------------------------------------------------------------------


def list_orders(
    conn: sqlite3.Connection,
    *,
    status: str | None = None,
    category: str | None = None,
    tag: str | None = None,
    budget_min_fen: int | None = None,
    budget_max_fen: int | None = None,
    near: tuple[float, float] | None = None,
    radius_km: float | None = None,
    mine_user_id: str | None = None,
    limit: int = DEFAULT_LIMIT,
    nearest_first: bool = False,
) -> list[Order]:
    """Orders newest first (with `near`, `nearest_first`: nearest first, each with its
    `distance_km`). `status` defaults to "open" ("all" for any, as GET /v1/orders).
    Budgets select orders whose range overlaps [budget_min_fen, budget_max_fen]. `near`
    keeps located orders within `radius_km` (default 50) of (lat, lon). `tag` matches
    ignoring case. `mine_user_id` keeps orders that user posted, works on, or bid on (a
    queued bid included)."""
    me = mine_user_id or _me(conn)
    order_ops, bid_ops = load_operations(conn, "order"), load_operations(conn, "bid")
    selected = OrderFilter.of(
        status=status,
        category=category,
        tag=tag,
        budget_min_fen=budget_min_fen,
        budget_max_fen=budget_max_fen,
        near=near,
        radius_km=radius_km,
        mine_user_id=mine_user_id,
        queued_bid_orders=_queued_bid_orders(bid_ops),
    )
    where, params = selected.where(conn)
    order_by = "created_at DESC, id DESC"
    if near is not None and nearest_first:  # the filter registered jiedan_distance_km
        order_by = f"jiedan_distance_km(lat, lon, ?, ?), {order_by}"
        params = [*params, *near]
    rows = conn.execute(
        f"SELECT id, data FROM orders WHERE {where} ORDER BY {order_by} LIMIT ?",
        (*params, limit + len(order_ops)),
    ).fetchall()
    bases = {row["id"]: json.loads(row["data"]) for row in rows}
    orders = _with_overlay(conn, bases, order_ops, me)
    _attach_my_bids(conn, orders, bid_ops, me)
    shown = _newest_first([o for o in orders if selected.accepts(o)])
    if near is not None and nearest_first:
        shown = sorted(({**o, "distance_km": selected.distance_km(o)} for o in shown),
                       key=lambda o: o["distance_km"])  # fmt: skip
    return shown[:limit]


SEARCH_CANDIDATES = 1_000  # the newest matches ranked by relevance (performance.md P2)
TITLE_WEIGHT = 10.0  # bm25 weight of a title match against one in the description, tags …


def search_orders(
    conn: sqlite3.Connection,
    query: str,
    limit: int = DEFAULT_LIMIT,
    *,
    status: str | None = None,
    prefix: bool = False,
    newest_first: bool = False,
) -> list[Order]:
    """Orders matching `query` as store/search_plan.py understands it (synonyms, filler words
    dropped, traditional or simplified, spelling corrected), best first: bm25 with the title
    weighted TITLE_WEIGHT times, newest first among equals. Each carries `score` (higher is
    better; None for an order only the outbox holds, listed first) and `matched` (the words
    found in it). `status` defaults to "open" ("all" for any). `prefix`: the query is still
    being typed, so its last word may be the start of one (the dashboard's search box).
    `newest_first`: the newest `limit` matches, newest first (saved searches look for what is new).

    Relevance ranks the newest SEARCH_CANDIDATES matches, not all: ranking every match of a
    common word (网站: 12k of 100k orders) costs ≈100 ms, while walking the index newest
    first stops early (docs/decisions.md)."""
    from jiedan_cli.store.search_plan import fts_expression, plan_query
    from jiedan_cli.store.typos import corrector

    plan = plan_query(query, prefix=prefix, correct=corrector(conn))
    if not plan:
        return []
    me = _me(conn)
    order_ops, bid_ops = load_operations(conn, "order"), load_operations(conn, "bid")
    wanted = OrderFilter.of(status=status)
    fetch = limit + len(order_ops)
    scores = _ranked(conn, fts_expression(plan), wanted, fetch, newest_first=newest_first)
    bases = _with_touched(conn, {oid: order for oid, (order, _s) in scores.items()}, order_ops)
    found = {o["id"]: o for o in _with_overlay(conn, bases, order_ops, me)}
    # Orders only the outbox knows (a queued post) are matched by the same plan, unindexed.
    queued = [o for oid, o in found.items() if oid not in bases and _plan_matches(plan, o)]
    hits = [{**o, "score": None} for o in _newest_first(queued)]
    hits += [{**found[oid], "score": score} for oid, (_o, score) in scores.items() if oid in found]
    hits = [o for o in hits if wanted.accepts(o)][:limit]
    for hit in hits:
        hit["matched"] = _matched(plan, hit)
    _attach_my_bids(conn, hits, bid_ops, me)
    return hits


def _ranked(
    conn: sqlite3.Connection,
    expression: str,
    wanted: OrderFilter,
    limit: int,
    *,
    newest_first: bool = False,
) -> dict[str, tuple[Order, float]]:
    """Server-copy orders matching an FTS5 expression with their scores, best first: the
    newest SEARCH_CANDIDATES matches (the index's rowid order is arrival order) by bm25; or
    the newest `limit`, newest first."""
    where, params = wanted.where(conn, table="o")
    candidates, order_by = (
        (limit, "n DESC") if newest_first else (SEARCH_CANDIDATES, "score, n DESC")
    )
    rows = conn.execute(
        "SELECT id, data, score FROM ("
        " SELECT o.id, o.data, orders_fts.rowid AS n,"
        f" bm25(orders_fts, {TITLE_WEIGHT}, 1.0) AS score"
        " FROM orders_fts JOIN orders o ON o.num = orders_fts.rowid"
        f" WHERE orders_fts MATCH ? AND {where} ORDER BY orders_fts.rowid DESC LIMIT ?)"
        f" ORDER BY {order_by} LIMIT ?",
        (expression, *params, candidates, limit),
    )
    return {row["id"]: (json.loads(row["data"]), round(-row["score"], 3)) for row in rows}


def get_order(conn: sqlite3.Connection, order_id: str) -> Order | None:
    """One order as the user sees it, with `my_bid`; None when unknown locally."""
    return get_orders(conn, [order_id]).get(order_id)


def get_orders(conn: sqlite3.Connection, order_ids: Iterable[str]) -> dict[str, Order]:
    """Orders by id, as get_order shows each, read in one pass (the orders of my bids);
    ids unknown locally are left out."""
    ids = list(dict.fromkeys(order_ids))
    if not ids:
        return {}
    me = _me(conn)
    ops = load_operations(conn, "order")
    rows = conn.execute(f"SELECT id, data FROM orders WHERE id IN ({_marks(ids)})", ids)
    bases = {row["id"]: json.loads(row["data"]) for row in rows}
    shown = [
        order
        for oid in ids
        if (order := view("order", bases.get(oid), ops.get(oid, []), me)) is not None
    ]
    _attach_my_bids(conn, shown, load_operations(conn, "bid"), me)
    return {order["id"]: dict(order) for order in shown}


def _search_text(order: Order) -> str:
    """What an order is searched by: the texts store/apply.py indexes."""
    text = " ".join([order.get("title") or "", order.get("description") or ""])
    return text + " " + " ".join([*(order.get("tags") or []), order.get("category") or ""])


def _plan_matches(plan: Plan, order: Order) -> bool:
    from jiedan_cli.store.search_plan import plan_matches

    return plan_matches(plan, _search_text(order))


def _matched(plan: Plan, order: Order) -> list[str]:
    from jiedan_cli.store.search_plan import matched_words

    return matched_words(plan, _search_text(order))


def _with_touched(conn: sqlite3.Connection, bases: dict[str, Order], ops: Ops) -> dict[str, Order]:
    """`bases` plus the server copy of every order an operation touches."""
    missing = [oid for oid in ops if oid not in bases]
    if not missing:
        return bases
    rows = conn.execute(f"SELECT id, data FROM orders WHERE id IN ({_marks(missing)})", missing)
    return {**bases, **{row["id"]: json.loads(row["data"]) for row in rows}}


def _with_overlay(
    conn: sqlite3.Connection, bases: dict[str, Order], ops: Ops, me: str | None
) -> list[Order]:
    """The selected server rows, plus every order an operation touches (it may enter the
    selection, e.g. a queued post), each as the user should see it."""
    bases = _with_touched(conn, bases, ops)
    shown: list[Order] = []
    for oid in {**bases, **dict.fromkeys(ops)}:
        order = view("order", bases.get(oid), ops[oid], me) if oid in ops else synced(bases[oid])
        if order is not None:
            shown.append(order)
    return shown


# ---- bids -----------------------------------------------------------------------------


def _queued_bid_orders(bid_ops: Ops) -> list[str]:
    """Orders with a queued place_bid: they count as the user's own for --mine."""
    found = []
    for ops in bid_ops.values():
        for op in ops:
            if op["intent"] == Intent.PLACE_BID and op["state"] != "done":
                found.append(str(json.loads(op["args"]).get("order_id")))
    return found


def _attach_my_bids(
    conn: sqlite3.Connection, orders: list[Order], bid_ops: Ops, me: str | None
) -> None:
    """Set each order's `my_bid`: the user's live bid on it (else their latest), or None."""
    order_ids = [o["id"] for o in orders]
    mine: dict[str, Order] = {}
    if order_ids:
        # Before the first sign-in only queued bids (freelancer_id None) are the user's.
        for bid in _bids(conn, bid_ops, me, order_ids=order_ids, freelancer_id=me or ""):
            current = mine.get(bid["order_id"])
            if current is None or _better_bid(bid, current):
                mine[bid["order_id"]] = bid
    for order in orders:
        order["my_bid"] = mine.get(order["id"])


def _better_bid(bid: Order, than: Order) -> bool:
    def key(b: Order) -> tuple[bool, str]:
        return (b.get("status") in LIVE_BID, b.get("created_at") or "")

    return key(bid) > key(than)


def _bids(
    conn: sqlite3.Connection,
    bid_ops: Ops,
    me: str | None,
    *,
    order_ids: list[str] | None = None,
    freelancer_id: str | None = None,
) -> list[Order]:
    """Bids as the user sees them, restricted to `order_ids` / `freelancer_id` when given."""
    clauses, params = [], []
    if order_ids is not None:
        clauses.append(f"order_id IN ({_marks(order_ids)})")
        params += order_ids
    if freelancer_id is not None:
        clauses.append("freelancer_id = ?")
        params.append(freelancer_id)
    where = " AND ".join(clauses) or "1"
    touched = list(bid_ops)
    if touched:  # an empty `OR id IN ()` would still cost the index its use
        where = f"({where}) OR id IN ({_marks(touched)})"
        params += touched
    rows = conn.execute(f"SELECT id, data FROM bids WHERE {where}", params).fetchall()
    bases = {row["id"]: json.loads(row["data"]) for row in rows}
    shown = []
    for bid_id in {**bases, **dict.fromkeys(bid_ops)}:
        ops = bid_ops.get(bid_id)
        bid = view("bid", bases.get(bid_id), ops, me) if ops else synced(bases[bid_id])
        if bid is None:
            continue
        if order_ids is not None and bid.get("order_id") not in order_ids:
            continue
        if freelancer_id is not None and bid.get("freelancer_id") not in (freelancer_id, None):
            continue
        shown.append(bid)
    return shown


def list_bids(
    conn: sqlite3.Connection,
    order_id: str | None = None,
    status: str | None = None,
    *,
    freelancer_id: str | None = None,
) -> list[Order]:
    """Bids newest first: on one order, in one status, by one freelancer (`bid list` passes
    the signed-in user; `client bids` an order of theirs)."""
    if status is not None:
        status = check_bid_status_filter(status)
    me = _me(conn)
    bids = _bids(
        conn,
        load_operations(conn, "bid"),
        me,
        order_ids=None if order_id is None else [order_id],
        freelancer_id=freelancer_id,
    )
    return _newest_first([b for b in bids if status is None or b.get("status") == status])


def get_bid(conn: sqlite3.Connection, bid_id: str) -> Order | None:
    """One bid as the user sees it (a queued one included), or None."""
    return next((bid for bid in list_bids(conn) if bid["id"] == bid_id), None)


# ---- messages -------------------------------------------------------------------------


def list_messages(conn: sqlite3.Connection, order_id: str) -> list[Order]:
    """The order's messages the user can see, oldest first, queued ones included."""
    me = _me(conn)
    ops = load_operations(conn, "message")
    where, params = "order_id = ?", [order_id]
    if ops:
        where += f" OR id IN ({_marks(ops)})"
        params += list(ops)
    rows = conn.execute(f"SELECT id, data FROM messages WHERE {where}", params).fetchall()
    bases = {row["id"]: json.loads(row["data"]) for row in rows}
    shown = []
    for message_id in {**bases, **dict.fromkeys(ops)}:
        message_ops = ops.get(message_id)
        if message_ops:
            message = view("message", bases.get(message_id), message_ops, me)
        else:
            message = synced(bases[message_id])
        if message is not None and message.get("order_id") == order_id:
            shown.append(message)
    if any(m.get("recipient_id") is None for m in shown):
        _address_to_client(conn, order_id, shown)
    return sorted(shown, key=lambda m: (m.get("created_at") or "", m["id"]))


def get_message(conn: sqlite3.Connection, order_id: str, message_id: str) -> Order | None:
    """One message of the order's conversation the user can see, or None."""
    return next((m for m in list_messages(conn, order_id) if m["id"] == message_id), None)


def _address_to_client(conn: sqlite3.Connection, order_id: str, messages: list[Order]) -> None:
    """A queued message without `to` goes to the order's client (the server's rule)."""
    row = conn.execute("SELECT client_id FROM orders WHERE id = ?", (order_id,)).fetchone()
    for message in messages:
        if message.get("recipient_id") is None and row is not None:
            message["recipient_id"] = row["client_id"]


# ---- the work on an order, and profiles -----------------------------------------------


def list_milestones(conn: sqlite3.Connection, order_id: str) -> list[Order]:
    """The order's milestones in their order (the replica holds them for orders the user
    works on or posted)."""
    rows = conn.execute("SELECT data FROM milestones WHERE order_id = ?", (order_id,))
    found = [json.loads(row[0]) for row in rows]
    return sorted(found, key=lambda m: (m.get("position") or 0, m.get("created_at") or "", m["id"]))


def order_history(conn: sqlite3.Connection, order_id: str) -> list[Order]:
    """What happened to the order that its parties see (revision requests with the client's
    note, cancellation…), oldest first. The replica keeps these events as pulled."""
    rows = conn.execute(
        "SELECT data FROM extra_entities WHERE entity = 'order_event'"
        " AND json_extract(data, '$.order_id') = ?",
        (order_id,),
    )
    events = [json.loads(row[0]) for row in rows]
    return sorted(events, key=lambda e: (e.get("created_at") or "", e["id"]))


def with_order_titles(conn: sqlite3.Connection, entries: list[Order]) -> list[Order]:
    """`entries` (ledger or points lines) with `order_title` where the replica knows the order
    (a party's orders stay in it after they leave the board)."""
    ids = list({e["order_id"] for e in entries if e.get("order_id")})
    titles = dict(
        conn.execute(f"SELECT id, title FROM orders WHERE id IN ({_marks(ids)})", ids).fetchall()
    )
    return [{**e, "order_title": titles.get(e.get("order_id"))} for e in entries]


def get_profile(conn: sqlite3.Connection, user_id: str) -> Order | None:
    """A profile: the user's own as pulled, else another user's public profile as last
    fetched (store/profile_cache.py); None when neither is here."""
    row = conn.execute(
        "SELECT data FROM profiles WHERE id = ?"
        " UNION ALL SELECT data FROM profile_cache WHERE id = ? LIMIT 1",
        (user_id, user_id),
    ).fetchone()
    return None if row is None else dict(json.loads(row[0]))


def my_account(conn: sqlite3.Connection) -> Order | None:
    """The signed-in account as last pulled (its `user` change: e-mail, name, roles, whether
    two-factor sign-in is on); None until one came."""
    row = conn.execute(
        "SELECT data FROM extra_entities WHERE entity = 'user' AND id = ?", (_me(conn),)
    ).fetchone()
    return None if row is None else dict(json.loads(row[0]))


def registration_review(conn: sqlite3.Connection) -> Order | None:
    """The hold the risk engine put on the signed-in account's registration while a reviewer
    has not decided it ({id, reason, created_at, …} as pulled); None when there is none."""
    row = conn.execute(
        "SELECT data FROM extra_entities WHERE entity = 'hold'"
        " AND json_extract(data, '$.action') = 'register'"
        " AND json_extract(data, '$.status') = 'held'"
        " AND json_extract(data, '$.object_id') = ?",
        (_me(conn),),
    ).fetchone()
    return None if row is None else dict(json.loads(row[0]))


def my_roles(conn: sqlite3.Connection) -> frozenset[str] | None:
    """The signed-in account's roles as last pulled; None until they came."""
    account = my_account(conn)
    return None if account is None else frozenset(account.get("roles") or ())


# ---- what the parties of an order wrote: deliveries, reviews, disputes --------------------------


def _queued_on_order(conn: sqlite3.Connection, order_id: str, intent: str) -> list[Any]:
    """The user's `intent` operations on the order that the server has not taken yet
    (pending, or refused: shown with the reason), oldest first."""
    return conn.execute(
        "SELECT intent, args, created_at, state, reject_reason FROM outbox"
        " WHERE object_kind = 'order' AND object_id = ? AND intent = ? AND state != 'done'"
        " ORDER BY seq",
        (order_id, intent),
    ).fetchall()


def _queued_state(op: Any) -> dict[str, Any]:
    return {"sync_state": op["state"], "reject_reason": op["reject_reason"]}


def _server_copy(conn: sqlite3.Connection, table: str, order_id: str) -> list[Order]:
    rows = conn.execute(f"SELECT data FROM {table} WHERE order_id = ?", (order_id,))
    return [synced(json.loads(row[0])) for row in rows]


def _oldest_first(items: list[Order]) -> list[Order]:
    return sorted(items, key=lambda item: (item.get("created_at") or "", item.get("id") or ""))


def _written(
    conn: sqlite3.Connection,
    table: str,
    order_id: str,
    intent: str,
    queued: Callable[[dict[str, Any]], Order],
) -> list[Order]:
    """The server copy's rows of `table` on the order, with the user's queued `intent`
    operations not in it yet shown as `queued(args)` makes them; oldest first."""
    found = _server_copy(conn, table, order_id)
    known = {item["id"] for item in found}
    for op in _queued_on_order(conn, order_id, intent):
        args = json.loads(op["args"])
        if args.get("id") not in known:
            made = {"id": args.get("id"), "order_id": order_id, "created_at": op["created_at"]}
            found.append({**made, **queued(args), **_queued_state(op)})
    return _oldest_first(found)


def list_deliveries(conn: sqlite3.Connection, order_id: str) -> list[Order]:
    """The order's deliveries (note, files), oldest first, a queued one included; each file
    says whether its content is on the server (`uploaded`) and, while this machine still
    sends it, how far (`upload`: store/uploads.py)."""
    from jiedan_cli.store.uploads import with_upload_states

    me = _me(conn)
    found = _written(
        conn,
        "deliveries",
        order_id,
        Intent.DELIVER,
        lambda args: {
            "milestone_id": None,
            "freelancer_id": me,
            "note": args.get("note") or "",
            "files": list(args.get("files") or []),
        },
    )
    return [with_upload_states(conn, delivery) for delivery in found]


def get_delivery(conn: sqlite3.Connection, order_id: str, delivery_id: str) -> Order | None:
    """One delivery of the order (its files' upload states included), or None."""
    return next((d for d in list_deliveries(conn, order_id) if d["id"] == delivery_id), None)


def list_reviews(conn: sqlite3.Connection, order_id: str) -> list[Order]:
    """The order's reviews the user can see, oldest first: their own (a queued one
    included), and the other side's once revealed — reviews are blind until both sides
    have written theirs, so the replica holds the other's only from then on."""
    me = _me(conn)
    return _written(
        conn,
        "reviews",
        order_id,
        Intent.WRITE_REVIEW,
        lambda args: {
            "author_id": me,
            "subject_id": None,
            "stars": args.get("stars"),
            "text": args.get("text") or "",
        },
    )


def pulled_review(conn: sqlite3.Connection, review_id: str) -> Order | None:
    """A review as the server sent it (author, subject, time), or None before it came."""
    row = conn.execute("SELECT data FROM reviews WHERE id = ?", (review_id,)).fetchone()
    return None if row is None else dict(json.loads(row[0]))


def get_dispute(conn: sqlite3.Connection, order_id: str) -> Order | None:
    """The order's latest dispute (status open or resolved), a queued one included; None
    when there has been none."""
    me = _me(conn)
    found = _server_copy(conn, "disputes", order_id)
    for op in _queued_on_order(conn, order_id, Intent.OPEN_DISPUTE):
        args = json.loads(op["args"])
        found.append(
            {
                "id": None,
                "order_id": order_id,
                "opened_by": me,
                "reason": args.get("reason") or "",
                "status": "open",
                "to_freelancer_pct": None,
                "resolved_by": None,
                "created_at": op["created_at"],
                "resolved_at": None,
                **_queued_state(op),
            }
        )
    return _oldest_first(found)[-1] if found else None
