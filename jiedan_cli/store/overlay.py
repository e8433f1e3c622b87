"""The view: the server copy with the outbox applied on top (sync.md, "The client").

Every object shown carries `sync_state`:
- "pending" — an operation on it is queued (its effect is shown);
- "rejected" — its latest operation was refused for good (with `reject_reason`; a refused
  creation is still shown so the user sees what failed — a bid with status "rejected");
- "held" — an operation on it waits for a reviewer (the risk engine held it; `hold_reason`
  says why): its effect is shown, as the user meant it, until a reviewer decides;
- "synced" — otherwise.

Only the user's own intentions are overlaid (a bid's amount, a message, an edit, a cancel,
the status an award, funding, delivery, acceptance or dispute moves their order to);
marketplace facts such as escrow balances and money released come from the server copy only.
An operation the server has done but whose object is not pulled yet shows the server's answer.

Operations carry the push protocol's intents and args (docs/sync-protocol.md); the object they
create or change is named by the outbox row's (object_kind, object_id): ("bid", id) for
place_bid/update_bid/withdraw_bid, ("order", id) for post_order/edit_order/cancel_order and
the other order intents, ("message", id) for send_message.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict

from jiedan_cli.domain.intents import Intent

TYPE_CHECKING = False  # not `from typing import …`: importing typing costs a cold start ≈3 ms

if TYPE_CHECKING:  # `typing` is not imported at run time: the read path starts cold
    from collections.abc import Callable, Sequence
    from typing import Any, TypeAlias

    Ops: TypeAlias = dict[str, list[sqlite3.Row]]  # object_id → its operations, in seq order
    Shown: TypeAlias = dict[str, Any] | None
    Effect: TypeAlias = Callable[[Shown, dict[str, Any], sqlite3.Row, str | None], Shown]

# object_kind → replica table holding the server copy of that kind
KIND_TABLES = {"order": "orders", "bid": "bids", "message": "messages"}
# outbox states whose operation has not taken effect on the server yet but still may: shown
WAITING = ("pending", "held")


def load_operations(conn: sqlite3.Connection, kind: str) -> Ops:
    """The operations that can change how objects of `kind` look: every operation of an
    object with one still pending or rejected, and those of objects not pulled yet."""
    table = KIND_TABLES[kind]
    rows = conn.execute(
        "SELECT seq, intent, args, created_at, state, object_id, reject_reason, result"
        " FROM outbox o WHERE o.object_kind = ?1 AND ("
        "  o.object_id IN (SELECT object_id FROM outbox"
        "                  WHERE object_kind = ?1 AND state != 'done')"
        f" OR NOT EXISTS (SELECT 1 FROM {table} t WHERE t.id = o.object_id))"
        " ORDER BY seq",
        (kind,),
    )
    grouped: dict[str, list[sqlite3.Row]] = defaultdict(list)
    for row in rows:
        grouped[row["object_id"]].append(row)
    return dict(grouped)


def view(kind: str, base: dict[str, Any] | None, ops: Sequence[sqlite3.Row], me: str | None) -> Any:
    """`base` (a server-copy payload of `kind`, or None) as the user should see it, or None
    when neither the server copy nor the outbox holds the object."""
    shown = dict(base) if base is not None else _answer_of_done(ops)
    never_accepted = False
    for op in ops:
        if op["state"] in WAITING:
            shown = _apply(shown, op, me)
        elif op["state"] == "rejected" and shown is None:
            shown = _apply(shown, op, me)  # a refused creation: still shown, as refused
            never_accepted = shown is not None
    if shown is None:
        return None
    shown["sync_state"], reason = _sync_state(ops)
    shown["reject_reason"] = reason if shown["sync_state"] == "rejected" else None
    if shown["sync_state"] == "held":
        shown["hold_reason"] = reason
    if kind == "bid" and never_accepted and shown["sync_state"] == "rejected":
        shown["status"] = "rejected"
    return shown


def synced(payload: dict[str, Any]) -> dict[str, Any]:
    payload["sync_state"], payload["reject_reason"] = "synced", None
    return payload


def _sync_state(ops: Sequence[sqlite3.Row]) -> tuple[str, str | None]:
    if any(op["state"] == "pending" for op in ops):
        return "pending", None
    held = [op for op in ops if op["state"] == "held"]
    if held:
        return "held", held[-1]["reject_reason"]
    if ops and ops[-1]["state"] == "rejected":
        return "rejected", ops[-1]["reject_reason"]
    return "synced", None


def _answer_of_done(ops: Sequence[sqlite3.Row]) -> dict[str, Any] | None:
    for op in reversed(ops):
        if op["state"] == "done" and op["result"]:
            answer = json.loads(op["result"])
            if isinstance(answer, dict) and str(answer.get("id")) == op["object_id"]:
                return answer
    return None


def _apply(shown: dict[str, Any] | None, op: sqlite3.Row, me: str | None) -> dict[str, Any] | None:
    effect = EFFECTS.get(op["intent"])
    if effect is None:
        return shown  # e.g. award_bid, fund_order: the server decides what they do
    return effect(shown, json.loads(op["args"]), op, me)


# ---- what each intent does to the object it names ------------------------------------------


def _place_bid(shown: Shown, args: dict[str, Any], op: sqlite3.Row, me: str | None) -> Shown:
    if shown is not None:
        return shown
    return {
        "id": op["object_id"],
        "order_id": args.get("order_id"),
        "freelancer_id": me,
        "amount_fen": args.get("amount_fen"),
        "currency": "CNY",
        "days": args.get("days"),
        "message": args.get("message") or "",
        "status": "submitted",
        "created_at": op["created_at"],
        "updated_at": op["created_at"],
    }


def _update_bid(shown: Shown, args: dict[str, Any], op: sqlite3.Row, me: str | None) -> Shown:
    if shown is None:
        return None
    changes = {k: args[k] for k in ("amount_fen", "days", "message") if args.get(k) is not None}
    return {**shown, **changes, "updated_at": op["created_at"]}


def _withdraw_bid(shown: Shown, args: dict[str, Any], op: sqlite3.Row, me: str | None) -> Shown:
    return None if shown is None else {**shown, "status": "withdrawn"}


def _post_order(shown: Shown, args: dict[str, Any], op: sqlite3.Row, me: str | None) -> Shown:
    if shown is not None:
        return shown
    return {
        "id": op["object_id"],
        "title": args.get("title", ""),
        "description": args.get("description", ""),
        "category": args.get("category", ""),
        "tags": list(args.get("tags") or []),
        "budget_min_fen": args.get("budget_min_fen"),
        "budget_max_fen": args.get("budget_max_fen"),
        "currency": "CNY",
        "status": "open",
        "client_id": me,
        "created_at": op["created_at"],
        "updated_at": op["created_at"],
        "deadline": args.get("deadline"),
        "bid_count": 0,
        "awarded_bid_id": None,
        "freelancer_id": None,
        "location": args.get("location"),
    }


def _edit_order(shown: Shown, args: dict[str, Any], op: sqlite3.Row, me: str | None) -> Shown:
    if shown is None:
        return None
    from jiedan_cli.domain.order_rules import EDITABLE  # here: the read path starts cold

    edited = {k: args[k] for k in EDITABLE if k in args}
    return {**shown, **edited, "updated_at": op["created_at"]}


def _cancel_order(shown: Shown, args: dict[str, Any], op: sqlite3.Row, me: str | None) -> Shown:
    return None if shown is None else {**shown, "status": "cancelled"}


def _send_message(shown: Shown, args: dict[str, Any], op: sqlite3.Row, me: str | None) -> Shown:
    if shown is not None:
        return shown
    return {
        "id": op["object_id"],
        "order_id": args.get("order_id"),
        "sender_id": me,
        "recipient_id": args.get("to"),
        "text": args.get("text", ""),
        "flagged": False,
        "created_at": op["created_at"],
    }


def _to_status(status: str) -> Effect:
    """A move on an order that takes it to `status` (award, fund, deliver, accept…): shown at
    once, as the user meant it; the server's answer replaces it at the next pull."""

    def effect(shown: Shown, args: dict[str, Any], op: sqlite3.Row, me: str | None) -> Shown:
        return None if shown is None else {**shown, "status": status}

    return effect


def _award_bid(shown: Shown, args: dict[str, Any], op: sqlite3.Row, me: str | None) -> Shown:
    """Awarded, to the bid the client chose (what the funding pays is that bid's amount)."""
    if shown is None:
        return None
    return {**shown, "status": "awarded", "awarded_bid_id": args.get("bid_id")}


EFFECTS: dict[str, Effect] = {
    Intent.PLACE_BID: _place_bid,
    Intent.UPDATE_BID: _update_bid,
    Intent.WITHDRAW_BID: _withdraw_bid,
    Intent.POST_ORDER: _post_order,
    Intent.EDIT_ORDER: _edit_order,
    Intent.CANCEL_ORDER: _cancel_order,
    Intent.SEND_MESSAGE: _send_message,
    Intent.AWARD_BID: _award_bid,
    Intent.FUND_ORDER: _to_status("in_progress"),
    Intent.DELIVER: _to_status("delivered"),
    Intent.REQUEST_REVISION: _to_status("in_progress"),
    Intent.ACCEPT_ORDER: _to_status("completed"),
    Intent.OPEN_DISPUTE: _to_status("disputed"),
}
