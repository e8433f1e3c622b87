"""`jiedan account export [-o FILE]`: everything the server holds about you, as one JSON
document (GET /v1/me/export; online only), written to FILE readable by you alone or to
stdout. `jiedan account delete --yes [--password-stdin] [--otp CODE]`: close the account
(POST /v1/me/delete); it asks the password (and a code when 2FA is on): not a token alone.
`jiedan account referral [--json]`: your referral code (推荐码), the reward, whom you invited
and how each referral settled (GET /v1/me/referral; online only). `jiedan account status
[--json]`: your account's standing — active, or under review (人工审核) while the risk
engine's hold of your registration is open, with its reason (GET /v1/me; online only)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Your account: export your data, close it, invite friends.",
    no_args_is_help=True,
    add_completion=False,
)

SUMMARY_COLUMNS = [
    ("code", "Your referral code"),
    ("reward_points", "Points each, per friend"),
    ("invited", "Friends invited"),
    ("referred_by", "Your own invitation"),
]
INVITED_COLUMNS = [
    ("referee_id", "Invited"),
    ("status", "Status"),
    ("reason", "Why not rewarded"),
    ("reward_points", "Points each"),
    ("created_at", "Registered"),
    ("settled_at", "Settled"),
]


@app.callback()
def account() -> None:
    """Your account and your data."""


@app.command()
def referral(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Your referral code and the friends who registered with it (online only)."""
    from jiedan_cli.render import output, say
    from jiedan_cli.sync.http import api_call

    data = api_call("GET", "/v1/me/referral")
    if as_json:
        output(data, as_json=True)
        return
    came_with = data.get("referred_by")
    summary = {
        "code": data["code"],
        "reward_points": data["reward_points"],
        "invited": len(data["invited"]),
        "referred_by": came_with["status"] if came_with else None,
    }
    output(summary, as_json=False, columns=SUMMARY_COLUMNS)
    if data["invited"]:
        output(data["invited"], as_json=False, columns=INVITED_COLUMNS, title="Invited")
    say(
        f"a friend registers with `jiedan auth register --referral {data['code']}`; when they"
        f" complete a first order you both get {data['reward_points']} points"
    )


STATUS_COLUMNS = [
    ("standing", "Standing"),
    ("email", "E-mail"),
    ("name", "Name"),
    ("verification", "Verification (实名认证)"),
    ("created_at", "Registered"),
    ("review_reason", "Why under review"),
    ("review_since", "Under review since"),
    ("coupon_words", "First-order coupon (新客首单券)"),
]


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Your account's standing: active, or under review with the reason, and whether a
    first-order coupon waits for your first payment (online only)."""
    from jiedan_cli.domain.coupons import describe_coupon
    from jiedan_cli.render import output, say
    from jiedan_cli.sync.http import api_call

    me = api_call("GET", "/v1/me")
    review = me.get("review")
    standing = {
        "user_id": me["id"],
        "email": me["email"],
        "name": me["name"],
        "verification": me["verification"],
        "created_at": me["created_at"],
        "standing": review["status"] if review else "active",
        "review_reason": review["reason"] if review else None,
        "review_since": review["since"] if review else None,
        "first_order_coupon": api_call("GET", "/v1/me/first-order-coupon"),
    }
    if not as_json:
        coupon = standing["first_order_coupon"]
        words = describe_coupon(coupon["status"], coupon["amount_fen"], coupon.get("reason"))
        standing = {**standing, "coupon_words": words}
    output(standing, as_json=as_json, columns=STATUS_COLUMNS)
    if review and not as_json:
        say("your account works meanwhile; a reviewer releases it or closes it")


@app.command()
def export(
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write here (else to stdout).")
    ] = None,
) -> None:
    """Everything the server holds about you, as JSON (online only)."""
    import sys

    from jiedan_cli.render import json_text, say
    from jiedan_cli.store.ledger_export import write_export
    from jiedan_cli.sync.http import api_call

    data = api_call("GET", "/v1/me/export")
    text = json_text(data) + "\n"  # what emit_json prints: exact, and safe on a terminal
    if output is None:
        sys.stdout.write(text)
        return
    target = output.expanduser()
    write_export(text, target, field="-o")  # a new file, yours to read only
    say(f"wrote your data to {target} ({len(text.encode()):,} bytes)")


@app.command()
def delete(
    yes: Annotated[bool, typer.Option("--yes", help="Yes: close the account for good.")] = False,
    otp: Annotated[
        str | None, typer.Option("--otp", help="A code from your authenticator (2FA on).")
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from the first line of stdin."),
    ] = False,
) -> None:
    """Close your account (asks your password): personal data anonymised, money records kept
    (online only)."""
    from jiedan_cli.commands import ask
    from jiedan_cli.domain.errors import InvalidInput
    from jiedan_cli.render import say
    from jiedan_cli.sync.config import normalise_server, server_url
    from jiedan_cli.sync.credentials import forget_token
    from jiedan_cli.sync.http import api_call

    if not yes:
        raise InvalidInput("add --yes: this closes your account for good", field="yes")
    password = ask.password(password_stdin, confirm=False)

    def close(code: str | None) -> None:
        body = {"password": password, **({"otp": code} if code else {})}
        api_call("POST", "/v1/me/delete", json=body)

    ask.with_code(close, otp)
    server = normalise_server(server_url())
    forget_token(server)
    say(
        f"your account on {server} is closed; this computer's copy of your data stays under"
        " JIEDAN_HOME until you delete it"
    )
