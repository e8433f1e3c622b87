"""`jiedan tui` (alias `jiedan dashboard`): the Textual workstation over the local replica.

textual is imported only here, when the dashboard runs: no other command pays for it."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="The dashboard: orders, bids, messages, earnings.", add_completion=False)


@app.command()
def tui(
    offline: Annotated[
        bool,
        typer.Option("--offline", help="Work on the local replica only; do not sync."),
    ] = False,
    interval: Annotated[
        float,
        typer.Option("--interval", min=1.0, max=3600.0, help="Seconds between background syncs."),
    ] = 5.0,
) -> None:
    """Open the dashboard (a terminal UI). Works offline; syncs in the background."""
    from jiedan_cli.tui.app import JiedanApp

    JiedanApp(background_sync=not offline, sync_interval=interval).run()
