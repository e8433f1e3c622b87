"""`jiedan account export [-o FILE]`: everything the server holds about you, as one JSON
document (GET /v1/me/export; online only). Written to FILE readable by you alone, or to
stdout for a pipe."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Your account: export your data.", no_args_is_help=True, add_completion=False
)


@app.callback()
def account() -> None:
    """Your account and your data."""


@app.command()
def export(
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write here (else to stdout).")
    ] = None,
) -> None:
    """Everything the server holds about you, as JSON (online only)."""
    import json

    from jiedan_cli.render import say
    from jiedan_cli.store.ledger_export import write_export
    from jiedan_cli.sync.http import api_call

    data = api_call("GET", "/v1/me/export")
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    target = output.expanduser()
    write_export(text, target, field="-o", private=True)  # personal data: yours to read only
    say(f"wrote your data to {target} ({len(text.encode()):,} bytes)")
