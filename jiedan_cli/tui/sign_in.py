"""Signing in from the dashboard (l, when signed out) and creating an account (the palette):
the same steps as `jiedan auth login|register` (sync/session.py), in a worker; a 2FA account
is asked for its one-time code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from jiedan_cli.domain.errors import InvalidInput, JiedanError
from jiedan_cli.store.db import open_db
from jiedan_cli.tui.messages import SignedIn, SignInFailed
from jiedan_cli.tui.widgets.form_modal import Field, FormModal
from jiedan_cli.tui.widgets.two_factor_forms import otp_code


def _email(text: str) -> str:
    email = text.strip()
    if "@" not in email.strip("@"):
        raise InvalidInput("e-mail: an address like name@example.com", field="email")
    return email


def _email_field(failed: SignInFailed | None) -> Field:
    """The e-mail, kept when a form is shown again after a refusal."""
    return Field(
        "email", "E-mail", "you@example.com", failed.email if failed else "", _email, required=True
    )


def sign_in_form(server: str, failed: SignInFailed | None = None) -> FormModal:
    """The dialog; after a failure, again with the e-mail kept and the reason shown."""
    fields = [
        _email_field(failed),
        Field("password", "Password", password=True, required=True),
        Field("otp", "2FA code", "only when two-factor sign-in is on", check=otp_code),
    ]
    errors = {}
    if failed is not None:
        errors["otp" if failed.code in ("otp_required", "bad_otp") else "password"] = failed.message
    return FormModal(
        f"Sign in to {server}",
        fields,
        submit_label="Sign in",
        hint="Your work stays in this replica; it syncs once you are signed in."
        " No account yet? Esc, then ctrl+p → Create an account.",
        errors=errors,
    )


def _begin(
    db_path: Path | None,
    server: str,
    ask: Callable[[], dict[str, Any]],
    refused: Callable[[JiedanError], SignInFailed],
    post: Callable[[SignedIn | SignInFailed], object],
) -> None:
    """A worker's body: `ask` the server for a session, bind the replica to its user and keep
    the token (sync/session.begin); post SignedIn, or what `refused` makes of the error."""
    from jiedan_cli.sync.session import begin

    try:
        session = ask()
        conn = open_db(db_path)
        try:
            user = begin(conn, server, session)
        finally:
            conn.close()
    except JiedanError as exc:
        post(refused(exc))
        return
    post(SignedIn(user))


def run_sign_in(
    db_path: Path | None, server: str, email: str, password: str, otp: str | None,
    post: Callable[[SignedIn | SignInFailed], object],
) -> None:  # fmt: skip
    """Sign in as `jiedan auth login` does; a refusal shows the sign-in form again."""
    from jiedan_cli.sync.session import log_in

    _begin(
        db_path,
        server,
        lambda: log_in(server, email, password, otp, face="tui"),
        lambda exc: SignInFailed(email, exc.message, exc.code),
        post,
    )


ROLES = (("Both: bid and post orders", "both"), ("Freelancer", "freelancer"), ("Client", "client"))


def _name(text: str) -> str:
    name = text.strip()
    if len(name) > 200:
        raise InvalidInput("name: at most 200 characters", field="name")
    return name


def _same_password(values: dict[str, object]) -> dict[str, object]:
    if values["password"] != values["again"]:
        raise InvalidInput("the two passwords differ", field="again")
    return values


def _referral(text: str) -> str | None:
    """推荐码: optional; the inviter's code in its stored form."""
    from jiedan_cli.domain.referrals import normalise_code

    return normalise_code(text) if text.strip() else None


def register_form(server: str, failed: SignInFailed | None = None) -> FormModal:
    """A new account (the server checks the password's length and the e-mail's uniqueness);
    after a refusal, again with what was typed and the reason under its field."""
    fields = [
        _email_field(failed),
        Field(
            "name",
            "Name",
            "as clients and freelancers see you",
            failed.name if failed else "",
            _name,
            required=True,
        ),
        Field("password", "Password", "8 characters or more", password=True, required=True),
        Field("again", "Again", "the same password", password=True, required=True),
        Field("role", "I want to", choices=ROLES),
        Field(
            "referral",
            "推荐码",
            "a friend's referral code (optional)",
            failed.referral if failed and failed.referral else "",
            _referral,
        ),
    ]
    errors = {}
    if failed is not None:
        named = ("email", "name", "password", "referral")
        known = failed.field if failed.field in named else "email"
        errors[known] = failed.message
    return FormModal(
        f"Create an account on {server}",
        fields,
        submit_label="Create",
        hint="Signed in at once; two-factor sign-in can be turned on later (Points, t).",
        check_all=_same_password,
        errors=errors,
    )


def run_register(
    db_path: Path | None, server: str, values: dict[str, str],
    post: Callable[[SignedIn | SignInFailed], object],
) -> None:  # fmt: skip
    """Create the account as `jiedan auth register` does, and sign in; a refusal shows the
    new-account form again, with what was typed."""
    from jiedan_cli.sync.session import register

    _begin(
        db_path,
        server,
        lambda: register(
            server,
            email=values["email"],
            name=values["name"],
            password=values["password"],
            role=values["role"],
            face="tui",
            referral=values.get("referral") or None,
        ),
        lambda exc: SignInFailed(
            values["email"],
            exc.message,
            exc.code,
            exc.field,
            registering=True,
            name=values["name"],
            referral=values.get("referral") or "",
        ),
        post,
    )
