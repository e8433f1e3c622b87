"""`jiedan autobid run --rules FILE.toml [--dry-run] [--offline] [--json]`: bid on what saved
searches find, by rules (store/autobid.py has the file's form). `--dry-run` prints the plan
and places nothing; otherwise each bid is placed as `bid create` places one (local-first,
then one sync). Exit 2 for a bad rules file, 4 if the server refused any bid, else 0."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from jiedan_cli.commands.common import JsonOption, OfflineOption, replica, show
from jiedan_cli.render import say

app = typer.Typer(help="Bid automatically by rules.", no_args_is_help=True, add_completion=False)

COLUMNS = [
    ("rule", "Rule"),
    ("order_id", "Order"),
    ("title", "Title"),
    ("amount", "Amount ¥"),
    ("days", "Days"),
    ("outcome", "Outcome"),
]


@app.callback()
def autobid() -> None:
    """Bid automatically by rules (a group: `run`)."""


@app.command()
def run(
    rules: Annotated[
        Path,
        typer.Option(
            "--rules",
            metavar="FILE.toml",
            help=r"A TOML file of \[\[rule]] tables (example above).",
        ),
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print, place nothing.")] = False,
    offline: OfflineOption = False,
    as_json: JsonOption = False,
) -> None:
    r"""Bid on what each rule's saved search finds, within the rules' caps.

    A rules file, FILE.toml (each rule names a saved search: `jiedan watch add`):

    max_bids_per_day = 10      # all rules together (optional)
    \[\[rule]]
    watch = "logos"            # jiedan watch add logos --query logo
    amount = "budget_max"      # budget_min, budget_max or budget_mid …
    factor = 0.9               # … times this, in whole yuan
    days = 5
    message = "您好，$days 天交付。"  # also $title $category $amount
    min_budget = 800           # yuan: skip orders paying less (optional)
    max_per_day = 5            # this rule's bids a day (optional)

    Try it with --dry-run first: it prints the bids and places none.
    """
    from jiedan_cli.commands.common import perform_each
    from jiedan_cli.commands.exit_codes import ExitCode
    from jiedan_cli.domain.errors import JiedanError
    from jiedan_cli.domain.money import format_yuan
    from jiedan_cli.store import actions
    from jiedan_cli.store.autobid import plan, read_rules

    found_rules, cap = read_rules(_toml(rules))
    with replica() as conn:
        stopped: list[str] = []
        planned = plan(conn, found_rules, cap, stopped=stopped)
        outcomes: list[Any] = []
        if not dry_run and planned:
            placing = [
                lambda bid=bid: actions.place_bid(
                    conn,
                    order_id=bid["order_id"],
                    amount_fen=bid["amount_fen"],
                    days=bid["days"],
                    message=bid["message"],
                )
                for bid in planned
            ]
            outcomes = perform_each(conn, placing, kind="bid", offline=offline)
    results, refused = [], False
    for number, bid in enumerate(planned):
        if dry_run:
            outcome: dict[str, Any] = {"outcome": "would bid"}
        elif isinstance(outcomes[number], JiedanError):
            outcome = {"outcome": f"refused: {outcomes[number].message}"}
            refused = True
        else:
            placed = outcomes[number]
            refused = refused or placed.get("sync_state") == "rejected"
            outcome = {
                "outcome": placed.get("reject_reason") or placed.get("sync_state"),
                "bid_id": placed["id"],
                "sync_state": placed.get("sync_state"),
            }
        results.append({**bid, **outcome, "amount": format_yuan(bid["amount_fen"])})
    if not planned:  # stdout stays empty (`[]`): say why on stderr
        why = "; ".join(stopped) or "the saved searches find no open order without a bid of yours"
        say(f"nothing to bid: {why}")
    if as_json:
        show([{k: v for k, v in r.items() if k != "amount"} for r in results], as_json=True)
    else:
        show(results, as_json=False, columns=COLUMNS)
    if refused:
        raise typer.Exit(ExitCode.REFUSED)


def _toml(path: Path) -> dict[str, Any]:
    import tomllib

    from jiedan_cli.domain.errors import InvalidInput

    try:
        with path.expanduser().open("rb") as file:
            return tomllib.load(file)
    except OSError as exc:
        raise InvalidInput(f"--rules: cannot read {path}: {exc.strerror}", field="rules") from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"--rules: {path} is not TOML: {exc}", field="rules") from None
