"""`jiedan bid create|update|withdraw|list|suggest`: a freelancer's bids, local-first (`suggest`,
a price range from what clients accepted on similar orders, asks the server).

`bid list` reads the replica only and stays as cheap to start as `orders list`."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Annotated, Any

import typer

from jiedan_cli.commands.common import (
    BID_COLUMNS,
    ColdCommand,
    ColdGroup,
    JsonOption,
    OfflineOption,
    current_user_id,
    full_id,
    full_id_of,
    hint_if_empty,
    optional_yuan,
    replica,
    run_action,
    show,
    text_or_file,
    whole_number,
    yuan,
)
from jiedan_cli.domain.errors import InvalidInput
from jiedan_cli.domain.money import parse_whole
from jiedan_cli.domain.order_rules import BID_DAYS_MAX

app = typer.Typer(
    cls=ColdGroup, help="Bid on orders (freelancer).", no_args_is_help=True, add_completion=False
)

Days = Annotated[
    int | None,
    typer.Option(
        "--days",
        parser=whole_number("days", 1, BID_DAYS_MAX),
        metavar="N",
        help=f"Days to deliver, 1 to {BID_DAYS_MAX}.",
    ),
]
Message = Annotated[str | None, typer.Option("--message", help="A note to the client.")]
MessageFile = Annotated[
    str | None,
    typer.Option("--message-file", metavar="PATH", help="The note from a file; - for stdin."),
]


@app.command()
def create(
    order_id: Annotated[str | None, typer.Argument(help="The order to bid on.")] = None,
    amount: Annotated[str | None, typer.Option("--amount", help="Yuan, e.g. 800.50.")] = None,
    days: Days = None,
    message: Message = None,
    message_file: MessageFile = None,
    from_file: Annotated[
        str | None,
        typer.Option(
            "--from-file",
            help='JSON Lines of {"order_id", "amount", "days", "message"}; - for stdin.',
        ),
    ] = None,
    offline: OfflineOption = False,
    as_json: JsonOption = False,
) -> None:
    """Bid on an order; saved locally first, synced at once unless --offline."""
    if from_file is not None:
        given = (order_id, amount, days, message, message_file)
        if any(value is not None for value in given):
            raise InvalidInput("--from-file takes no ORDER_ID, --amount, --days or --message")
        raise typer.Exit(
            _create_from_lines(_read_lines(from_file), offline=offline, as_json=as_json)
        )
    if order_id is None:
        raise InvalidInput("give ORDER_ID with --amount and --days, or --from-file PATH")
    if amount is None or days is None:
        raise InvalidInput("bid create needs --amount YUAN and --days N")
    from jiedan_cli.store import actions, dispute_facts

    amount_fen = yuan(amount, field="--amount")
    message = _message(message, message_file)
    with replica() as conn:
        order_id = full_id(conn, "order", order_id)
        warnings = dispute_facts.at_bidding(
            conn, order_id=order_id, amount_fen=amount_fen, days=days
        )
        run_action(
            conn,
            lambda: actions.place_bid(
                conn, order_id=order_id, amount_fen=amount_fen, days=days, message=message or ""
            ),
            kind="bid",
            offline=offline,
            as_json=as_json,
            columns=BID_COLUMNS,
            warnings=warnings,
        )


def _message(inline: str | None, path: str | None) -> str | None:
    return text_or_file(
        inline, path, option="--message", file_option="--message-file", required=False
    )


def _read_lines(source: str) -> list[str]:
    import sys

    if source == "-":
        return sys.stdin.read().splitlines()
    try:
        return Path(source).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"--from-file: cannot read {source}: {exc}") from None


# ---- bid create --from-file -----------------------------------------------------------------

BATCH_COLUMNS = [
    ("line", "Line"),
    ("order_id", "Order"),
    ("ok", "OK"),
    ("bid_id", "Bid"),
    ("status", "Status"),
    ("sync_state", "Sync"),
    ("error", "Error"),
]


def _parse_line(text: str) -> dict[str, Any]:
    """One JSON Lines entry → place_bid's arguments, or InvalidInput."""
    import json

    try:
        entry = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"not JSON ({exc.msg})") from None
    if not isinstance(entry, dict):
        raise InvalidInput("expected a JSON object")
    unknown = set(entry) - {"order_id", "amount", "days", "message"}
    if unknown:
        raise InvalidInput(f"unknown field(s) {', '.join(sorted(unknown))}")
    order_id, days, message = entry.get("order_id"), entry.get("days"), entry.get("message", "")
    if not isinstance(order_id, str) or not order_id:
        raise InvalidInput("order_id must be a string")
    if "amount" not in entry:
        raise InvalidInput("amount (yuan) is missing")
    try:
        amount_fen = yuan(entry["amount"], field="amount")
    except InvalidInput as exc:
        raise InvalidInput(exc.message) from None
    if days is None:
        raise InvalidInput("days is missing")
    try:
        days = parse_whole(days, field="days", low=1, high=BID_DAYS_MAX)
    except InvalidInput as exc:
        raise InvalidInput(exc.message) from None
    if message is None:
        message = ""
    if not isinstance(message, str):
        raise InvalidInput("message must be a string")
    return {"order_id": order_id, "amount_fen": amount_fen, "days": days, "message": message}


def _create_from_lines(lines: list[str], *, offline: bool, as_json: bool) -> int:
    """Place one bid per line; print one result per line. Exit 2 if any line was malformed,
    4 if any bid was refused (here or by the server), else 0."""
    from jiedan_cli.commands.common import perform_each
    from jiedan_cli.commands.exit_codes import ExitCode
    from jiedan_cli.domain.errors import JiedanError
    from jiedan_cli.render import say

    entries: list[tuple[int, dict[str, Any] | InvalidInput]] = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue  # blank lines (a trailing newline, spacing) are not entries
        try:
            entries.append((number, _parse_line(text)))
        except InvalidInput as exc:
            entries.append((number, exc))
    valid = [(n, args) for n, args in entries if isinstance(args, dict)]
    with replica() as conn:
        if valid:
            _require_signed_in(conn)
        outcomes = perform_each(
            conn,
            [_placing(conn, args) for _n, args in valid],
            kind="bid",
            offline=offline,
        )
    by_line: dict[int, dict[str, Any] | JiedanError] = dict(
        zip([n for n, _ in valid], outcomes, strict=True)
    )
    results, malformed, refused = [], False, False
    for number, parsed in entries:
        outcome = parsed if isinstance(parsed, InvalidInput) else by_line[number]
        result = _result(number, parsed, outcome)
        malformed = malformed or isinstance(outcome, InvalidInput)
        refused = refused or (not result["ok"] and not isinstance(outcome, InvalidInput))
        if result["error"] is not None:
            say(f"error: line {number}: {result['error']}")
        results.append(result)
    show(results, as_json=as_json, columns=BATCH_COLUMNS)
    if malformed:
        return ExitCode.USAGE
    return ExitCode.REFUSED if refused else ExitCode.OK


def _placing(conn: sqlite3.Connection, args: dict[str, Any]) -> Any:
    from jiedan_cli.store import actions

    return lambda: actions.place_bid(
        conn, **{**args, "order_id": full_id(conn, "order", args["order_id"])}
    )


def _require_signed_in(conn: sqlite3.Connection) -> None:
    from jiedan_cli.domain.errors import Unauthenticated

    if current_user_id(conn) is None:
        raise Unauthenticated("not signed in: run `jiedan auth login` first")


def _result(number: int, parsed: Any, outcome: Any) -> dict[str, Any]:
    """One line's result: {line, order_id, ok, bid_id, status, sync_state, error, bid}."""
    from jiedan_cli.domain.errors import JiedanError

    order_id = parsed.get("order_id") if isinstance(parsed, dict) else None
    if isinstance(outcome, JiedanError):
        return {
            "line": number,
            "order_id": order_id,
            "ok": False,
            "bid_id": None,
            "status": None,
            "sync_state": None,
            "error": outcome.message,
            "bid": None,
        }
    rejected = outcome.get("sync_state") == "rejected"
    return {
        "line": number,
        "order_id": order_id,
        "ok": not rejected,
        "bid_id": outcome["id"],
        "status": outcome.get("status"),
        "sync_state": outcome.get("sync_state"),
        "error": outcome.get("reject_reason") if rejected else None,
        "bid": outcome,
    }


@app.command()
def update(
    bid_id: str,
    amount: Annotated[str | None, typer.Option("--amount", help="Yuan.")] = None,
    days: Days = None,
    message: Message = None,
    message_file: MessageFile = None,
    offline: OfflineOption = False,
    as_json: JsonOption = False,
) -> None:
    """Change the amount, days or message of a live bid."""
    from jiedan_cli.store import actions

    amount_fen = optional_yuan(amount, field="--amount")
    message = _message(message, message_file)
    with replica() as conn:
        bid_id = full_id(conn, "bid", bid_id)
        run_action(
            conn,
            lambda: actions.update_bid(
                conn, bid_id, amount_fen=amount_fen, days=days, message=message
            ),
            kind="bid",
            offline=offline,
            as_json=as_json,
            columns=BID_COLUMNS,
        )


@app.command()
def withdraw(bid_id: str, offline: OfflineOption = False, as_json: JsonOption = False) -> None:
    """Withdraw a bid that has not been awarded."""
    from jiedan_cli.store import actions

    with replica() as conn:
        bid_id = full_id(conn, "bid", bid_id)
        run_action(
            conn,
            lambda: actions.withdraw_bid(conn, bid_id),
            kind="bid",
            offline=offline,
            as_json=as_json,
            columns=BID_COLUMNS,
        )


@app.command("list", cls=ColdCommand)
def list_bids(
    order: Annotated[str | None, typer.Option("--order", help="Only bids on this order.")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="submitted, withdrawn, awarded, …")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """My bids, newest first, from the local replica."""
    from jiedan_cli.store.queries import list_bids as query_bids

    with replica() as conn:
        order = None if order is None else full_id(conn, "order", order)
        found = _my_bids(conn, query_bids, order, status)
        if not found:
            hint_if_empty(found, _no_bids_hint(conn, query_bids, filtered=bool(order or status)))
    show(found, as_json=as_json, columns=BID_COLUMNS)


def _no_bids_hint(conn: sqlite3.Connection, query: Any, *, filtered: bool) -> str:
    """Why `bid list` is empty: the filters, not signed in, or no bid yet."""
    if filtered and _my_bids(conn, query, None, None):
        return "no bids match these filters"
    if current_user_id(conn) is None:
        return "no bids in the local copy; sign in and sync: `jiedan auth login`, `jiedan sync`"
    return "no bids yet: `jiedan bid create ORDER_ID --amount YUAN --days N` places one"


def _my_bids(
    conn: sqlite3.Connection, query: Any, order: str | None, status: str | None
) -> list[dict[str, Any]]:
    # Before the first sign-in only queued bids (no freelancer yet) are the user's: "".
    me = current_user_id(conn) or ""
    found: list[dict[str, Any]] = query(conn, order, status, freelancer_id=me)
    return found


SUGGESTION_COLUMNS = [
    ("low", "Low ¥"),
    ("median", "Median ¥"),
    ("high", "High ¥"),
    ("basis_count", "Accepted bids"),
    ("explanation", "Why"),
]


@app.command()
def suggest(
    order_id: Annotated[str, typer.Argument(help="The order you mean to bid on.")],
    as_json: JsonOption = False,
) -> None:
    """What clients accepted on similar orders: a range to bid in (智能定价; online)."""
    from urllib.parse import quote

    from jiedan_cli.domain.money import format_yuan
    from jiedan_cli.render import output
    from jiedan_cli.sync.http import api_call

    order_id = full_id_of("order", order_id)
    hint: dict[str, Any] = api_call("GET", f"/v1/orders/{quote(order_id, safe='')}/bid-suggestion")
    if as_json:
        output(hint, as_json=True)
        return
    shown = {**hint, **{k: format_yuan(hint[f"{k}_fen"]) for k in ("low", "median", "high")}}
    output(shown, as_json=False, columns=SUGGESTION_COLUMNS)
