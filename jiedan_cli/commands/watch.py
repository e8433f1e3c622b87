"""`jiedan watch add|list|remove|run`: saved searches over the marketplace (store/watches.py).
`run` syncs, prints what each watch found that it had not reported before (JSON Lines with
`--json`), and — unless `--once` — keeps doing so every `--every` seconds until Ctrl-C; it can
ring the terminal bell and run a hook command per new order (the order as JSON on its stdin,
JIEDAN_WATCH and JIEDAN_ORDER_ID in its environment)."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from jiedan_cli.commands.common import JsonOption, optional_yuan, replica
from jiedan_cli.render import Column, output, say

app = typer.Typer(
    help="Saved searches: new matching orders.", no_args_is_help=True, add_completion=False
)

WATCH_COLUMNS: list[Column] = [
    ("name", "Name"),
    ("query", "Query"),
    ("category", "Category"),
    ("tag", "Tag"),
    ("budget_min", "Budget from ¥"),
]
Name = Annotated[str, typer.Argument(help="A name for the saved search.")]


@app.command()
def add(
    name: Name,
    query: Annotated[str, typer.Option("--query", help="Words to search for (网站, logo …).")],
    category: Annotated[str | None, typer.Option("--category", help="e.g. design.")] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="Only orders with this tag.")] = None,
    budget_min: Annotated[
        str | None, typer.Option("--budget-min", help="Only orders paying up to at least Y.")
    ] = None,
) -> None:
    """Save a search; `jiedan watch run` reports the orders it finds."""
    from jiedan_cli.store.watches import add_watch

    least = optional_yuan(budget_min, field="--budget-min")
    with replica() as conn:
        add_watch(conn, name, query=query, category=category, tag=tag, budget_min_fen=least)
    say(f"watching {name}: `jiedan watch run` reports what it finds")


@app.command("list")
def list_watches(as_json: JsonOption = False) -> None:
    """Your saved searches."""
    from jiedan_cli.domain.money import format_yuan
    from jiedan_cli.store.watches import list_watches as saved

    with replica() as conn:
        watches = saved(conn)
    if as_json:
        output(watches, as_json=True)
        return
    shown = [
        {**w, "budget_min": format_yuan(w["budget_min_fen"]) if w["budget_min_fen"] else ""}
        for w in watches
    ]
    output(shown, as_json=False, columns=WATCH_COLUMNS)


@app.command()
def remove(name: Name) -> None:
    """Forget a saved search."""
    from jiedan_cli.store.watches import remove_watch

    with replica() as conn:
        remove_watch(conn, name)
    say(f"removed the watch {name}")


@app.command()
def run(
    once: Annotated[
        bool, typer.Option("--once", help="One round, then exit (else every --every seconds).")
    ] = False,
    every: Annotated[float, typer.Option("--every", min=5, help="Seconds between rounds.")] = 60.0,
    bell: Annotated[bool, typer.Option("--bell", help="Ring the terminal bell.")] = False,
    hook: Annotated[
        str | None, typer.Option("--hook", help="A command to run for each new order.")
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print each new match as one JSON object a line (JSON Lines)."),
    ] = False,
) -> None:
    """Sync, then print new matches of every watch; runs until Ctrl-C unless --once."""
    import time

    from jiedan_cli.store.watches import new_matches
    from jiedan_cli.sync.engine import quick_sync

    try:
        while True:
            with replica() as conn:
                report = quick_sync(conn)
                if report.error is not None:
                    say(f"offline ({report.error}): matching what the replica holds")
                found = new_matches(conn)
            for watch, order in found:
                _report(watch, order, as_json=as_json, bell=bell, hook=hook)
            if once:
                return
            time.sleep(every)
    except KeyboardInterrupt:
        return


def _report(
    watch: dict[str, Any], order: dict[str, Any], *, as_json: bool, bell: bool, hook: str | None
) -> None:
    from jiedan_cli.render import emit_json_line, emit_tsv_row

    if as_json:
        emit_json_line({"watch": watch["name"], "order": order})
    else:
        from jiedan_cli.domain.money import format_yuan

        budget = f"{format_yuan(order['budget_min_fen'])}–{format_yuan(order['budget_max_fen'])}"
        emit_tsv_row([watch["name"], order["id"], order["title"], budget])
    if bell:
        sys.stderr.write("\a")
        sys.stderr.flush()
    if hook:
        _run_hook(hook, watch, order)


def _run_hook(hook: str, watch: dict[str, Any], order: dict[str, Any]) -> None:
    """The hook, without a shell: its words as typed, the order on its stdin."""
    import json
    import os
    import shlex
    import subprocess

    from jiedan_cli.domain.errors import InvalidInput

    try:
        argv = shlex.split(hook)
    except ValueError as exc:
        raise InvalidInput(f"--hook: {exc}", field="hook") from None
    env = {**os.environ, "JIEDAN_WATCH": watch["name"], "JIEDAN_ORDER_ID": order["id"]}
    try:
        done = subprocess.run(
            argv, input=json.dumps(order, ensure_ascii=False), text=True, env=env, check=False
        )
    except OSError as exc:
        raise InvalidInput(
            f"--hook: cannot run {argv[0]!r}: {exc.strerror}", field="hook"
        ) from None
    if done.returncode:
        say(f"warning: the hook exited {done.returncode} for {order['id']}")
