"""The `jiedan` root command. Command groups are imported only when invoked, so `jiedan --help`
and a fast read command never pay for the server, httpx or textual."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from jiedan_cli import __version__

# name → (module, attribute holding a Typer app, one-line help)
GROUPS: dict[str, tuple[str, str, str]] = {
    "auth": ("jiedan_cli.commands.auth", "app", "Sign up, sign in and out."),
    "orders": ("jiedan_cli.commands.orders", "app", "Browse and search orders (local replica)."),
    "bid": ("jiedan_cli.commands.bid", "app", "Bid on orders (freelancer)."),
    "deliver": ("jiedan_cli.commands.deliver", "app", "Deliver the work of an order."),
    "deliveries": (
        "jiedan_cli.commands.deliveries",
        "app",
        "Delivered work: list it, fetch its files.",
    ),
    "messages": ("jiedan_cli.commands.messages", "app", "Messages about an order."),
    "client": ("jiedan_cli.commands.client", "app", "Post orders, award, fund, accept (client)."),
    "review": ("jiedan_cli.commands.review", "app", "Review the other side of a completed order."),
    "dispute": ("jiedan_cli.commands.dispute", "app", "Disputes over an order."),
    "earnings": ("jiedan_cli.commands.earnings", "app", "Earnings, ledger export, withdrawals."),
    "points": ("jiedan_cli.commands.points", "app", "Your points and membership tier."),
    "profile": ("jiedan_cli.commands.profile", "app", "Your public profile, and others'."),
    "account": ("jiedan_cli.commands.account", "app", "Your account: export your data, close it."),
    "verify": ("jiedan_cli.commands.verify", "app", "Real-name verification (实名认证)."),
    "watch": ("jiedan_cli.commands.watch", "app", "Saved searches: new matching orders."),
    "autobid": ("jiedan_cli.commands.autobid", "app", "Bid automatically by rules."),
    "fees": ("jiedan_cli.commands.fees", "app", "What the platform's fees would cost you."),
    "sync": ("jiedan_cli.commands.sync_cmd", "app", "Send queued changes and fetch new ones."),
    "demo": ("jiedan_cli.commands.demo", "app", "Try jiedan against a throw-away local server."),
    "tui": ("jiedan_cli.commands.tui", "app", "Open the dashboard (terminal UI)."),
    "dashboard": ("jiedan_cli.commands.tui", "app", "The same as `jiedan tui`."),
    "admin": ("jiedan_cli.commands.admin", "app", "Staff: review queue, verifications, disputes."),
    "server": ("jiedan_cli.server.cli", "app", "Run and manage the bundled platform server."),
}

ABOUT = "jiedan (接单): find orders, bid, deliver and get paid — local-first, from the terminal."


class LazyGroup(TyperGroup):
    """Imports a command group's module only when that group is invoked."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(GROUPS)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        # Typer would import pydantic to coerce even the root's --help (commands/common.py)
        from jiedan_cli.commands.common import use_plain_coercion

        use_plain_coercion(self, ctx)
        rest: list[str] = super().parse_args(ctx, args)
        return rest

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        spec = GROUPS.get(cmd_name)
        if spec is None:
            return None
        module, attr, help_ = spec
        if self.listing_only:  # the root's help: a stand-in, the group itself is not imported
            return TyperCommand(cmd_name, help=help_, short_help=help_)
        command = typer.main.get_command(getattr(importlib.import_module(module), attr))
        command.name = cmd_name
        _flowing_summaries(command)
        return command

    listing_only = False

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """Typer's help, boxed as every group's is, listing the groups from the table above
        without importing any."""
        self.listing_only = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing_only = False

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """A typo of a group gets "Did you mean …?", as a typo of a command in a group does
        (Typer looks among `self.commands`, which a lazy group leaves empty)."""
        typed = args[0] if args else ""
        if typed and not typed.startswith("-") and typed not in GROUPS:
            from difflib import get_close_matches

            matches = get_close_matches(typed, list(GROUPS))
            if matches:
                guesses = ", ".join(repr(m) for m in matches)
                ctx.fail(f"No such command {typed!r}. Did you mean {guesses}?")
        return super().resolve_command(ctx, args)


def _flowing_summaries(group: Any) -> None:
    """A command's line in its group's help is the first paragraph of its docstring, and
    Typer's rich help keeps that paragraph's line breaks from the source: "higher tiers
    first" left alone on a line of an 80-column terminal. Each summary is made one line,
    which the table wraps to the terminal."""
    import inspect

    for command in getattr(group, "commands", {}).values():
        if command.short_help is None and command.help:
            first = inspect.cleandoc(command.help).split("\n\n")[0]
            if not first.startswith("\b"):  # click's mark for a paragraph kept as written
                command.short_help = " ".join(first.split())
        _flowing_summaries(command)


def _hide_flag_types() -> None:
    """Typer's help gives a boolean flag the type `<bool>`, as if it took a value: show
    nothing there, as for `--help` in other tools."""
    from typer.core import TyperOption

    shown = TyperOption.display_type_rich

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        if self.is_flag and self.metavar is None:
            return None
        return shown(self, ctx)

    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_hide_flag_types()


app = typer.Typer(
    cls=LazyGroup,
    add_completion=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"jiedan {__version__}")
        raise typer.Exit()


@app.callback(help=ABOUT)
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    pass


def main(argv: list[str] | None = None) -> Any:
    from jiedan_cli.commands.exit_codes import run_cli

    return run_cli(typer.main.get_command(app), argv if argv is not None else sys.argv[1:])
