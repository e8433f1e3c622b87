"""`jiedan messages send|list`: the per-order conversation between a client and a bidder.

`list` reads the replica; `send` is local-first (queued, then a quick sync)."""

from __future__ import annotations

from typing import Annotated

import typer

from jiedan_cli.commands.common import (
    MESSAGE_COLUMNS,
    ColdCommand,
    ColdGroup,
    JsonOption,
    OfflineOption,
    attempt,
    full_id,
    hint_if_empty,
    replica,
    settle,
    show,
    text_or_file,
    with_names,
)
from jiedan_cli.domain.errors import NotFound

PEOPLE = {"sender_id": "sender", "recipient_id": "recipient"}

app = typer.Typer(
    cls=ColdGroup, help="Messages about an order.", no_args_is_help=True, add_completion=False
)


@app.command()
def send(
    order_id: str,
    text: Annotated[str | None, typer.Option("--text", help="The message.")] = None,
    message_file: Annotated[
        str | None,
        typer.Option(
            "--message-file", metavar="PATH", help="The message from a file; - for stdin."
        ),
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="The freelancer's user id (clients only).")
    ] = None,
    offline: OfflineOption = False,
    as_json: JsonOption = False,
) -> None:
    """Send a message on an order (to its client, or --to a freelancer who bid)."""
    from jiedan_cli.store import actions

    body = text_or_file(
        text, message_file, option="--text", file_option="--message-file", required=True
    )
    with replica() as conn:
        order_id = full_id(conn, "order", order_id)
        to = None if to is None else full_id(conn, "user", to)
        shown, verdict = attempt(
            conn,
            lambda: actions.send_message(conn, order_id=order_id, text=body or "", to=to),
            kind="message",
            offline=offline,
        )
        if not as_json:  # online, a recipient met for the first time is named too
            sent = shown.get("sync_state") == "synced"
            shown = with_names(conn, [shown], PEOPLE, fetch=sent)[0]
    settle(shown, verdict, as_json=as_json, columns=MESSAGE_COLUMNS)


@app.command("list", cls=ColdCommand)
def list_messages(order_id: str, as_json: JsonOption = False) -> None:
    """The order's messages I can see, oldest first."""
    from jiedan_cli.store.queries import get_order
    from jiedan_cli.store.queries import list_messages as query_messages

    with replica() as conn:
        order_id = full_id(conn, "order", order_id)
        found = query_messages(conn, order_id)
        if not found and get_order(conn, order_id) is None:
            raise NotFound(f"no order {order_id} in the local replica (run `jiedan sync`?)")
        if not as_json:  # people by name; the JSON keeps their ids
            found = with_names(conn, found, PEOPLE, fetch=True)
    hint_if_empty(found, "no messages on this order yet: `jiedan messages send` writes one")
    show(found, as_json=as_json, columns=MESSAGE_COLUMNS)
