"""`jiedan verify submit|status`: real-name verification (实名认证). Online: the ID number is
checked here first (exit 2 before anything is sent), sealed by the server and only ever shown
masked; certificates go as name, size and SHA-256, as deliveries record files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from jiedan_cli.commands.common import JsonOption, replica
from jiedan_cli.render import Column, output

app = typer.Typer(
    help="Real-name verification (实名认证).", no_args_is_help=True, add_completion=False
)

COLUMNS: list[Column] = [
    ("status", "Status"),
    ("real_name", "Name"),
    ("id_number_masked", "ID number"),
    ("certificates_shown", "Certificates"),
    ("created_at", "Submitted"),
    ("reviewed_at", "Reviewed"),
]


@app.command()
def submit(
    real_name: Annotated[str, typer.Option("--real-name", help="As on your ID card.")],
    id_number: Annotated[str, typer.Option("--id-number", help="18 characters.")],
    certificate: Annotated[
        list[Path] | None, typer.Option("--certificate", help="A file; repeat for more.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Send your real name, ID number and certificates for review (online only)."""
    from jiedan_cli.domain.identity import check_id_number, check_real_name
    from jiedan_cli.store.deliverables import describe_file
    from jiedan_cli.sync.engine import quick_sync
    from jiedan_cli.sync.http import api_call

    body = {
        "real_name": check_real_name(real_name),
        "id_number": check_id_number(id_number),
        "certificates": [describe_file(p, label="--certificate") for p in certificate or []],
    }
    submitted = api_call("POST", "/v1/me/verification", json=body)
    with replica() as conn:
        quick_sync(conn)  # the account's new status, into the replica
    _print(submitted, as_json=as_json)


@app.command()
def status(as_json: JsonOption = False) -> None:
    """Where your verification stands: none, pending, approved or rejected."""
    from jiedan_cli.domain.errors import Offline
    from jiedan_cli.render import say
    from jiedan_cli.store.queries import my_account
    from jiedan_cli.sync.http import api_call

    try:
        found = api_call("GET", "/v1/me/verification")
    except Offline as exc:
        with replica() as conn:
            account = my_account(conn)
        if account is None:
            raise
        say(f"offline ({exc.message}): as of the last sync")
        found = {"status": account.get("verification") or "none"}
    _print(found, as_json=as_json)


def _print(found: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        output(found, as_json=True)
        return
    names = ", ".join(str(c.get("name")) for c in found.get("certificates") or [])
    output({**found, "certificates_shown": names}, as_json=False, columns=COLUMNS)
