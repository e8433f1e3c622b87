"""Two-factor sign-in's dialogs (Points, t): turning it on asks the password, then shows the
secret — as a QR code
when the terminal is tall enough, and as text to type — and asks for a first code; turning it
off asks for a current one. `otp_code` reads a one-time code wherever one is typed."""

from __future__ import annotations

from rich.text import Text

from jiedan_cli.domain.errors import InvalidInput
from jiedan_cli.tui.formatting import shown
from jiedan_cli.tui.widgets.form_modal import Field, FormModal

AROUND_QR = 14  # lines the dialog needs besides the QR code: title, secret, field, buttons…


def otp_code(text: str) -> str | None:
    """The 6 digits an authenticator app shows (spaces ignored); None when nothing is typed."""
    code = text.replace(" ", "").strip()
    if code and not (code.isdigit() and len(code) == 6):
        raise InvalidInput("one-time code: the 6 digits your authenticator app shows", field="otp")
    return code or None


def _code_field(placeholder: str) -> Field:
    return Field("otp", "Code", placeholder, check=otp_code, required=True)


def turn_on_form(started: dict[str, str], *, height: int, error: str = "") -> FormModal:
    """`started`: the server's {secret, otpauth_uri}; `height`: the screen's, for the QR code;
    `error`: why the form is shown again (a wrong code)."""
    from jiedan_cli.qr import qr_text

    preface = Text()
    qr = qr_text(started["otpauth_uri"])
    if len(qr.plain.splitlines()) + AROUND_QR <= height:
        preface.append_text(qr)
    secret = shown(started["secret"])
    preface.append("Secret  ", style="dim")
    preface.append(" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)), style="bold")
    return FormModal(
        "Turn on two-factor sign-in",
        [_code_field("the 6 digits the app shows now")],
        submit_label="Turn on",
        hint="Scan the code (or type the secret) in an authenticator app. Once on, signing in"
        " and withdrawing ask for a code from it.",
        errors={"otp": error} if error else None,
        preface=preface,
    )


def password_form(error: str = "") -> FormModal:
    """Turning 2FA on starts with the password: a session alone must not turn it on."""
    return FormModal(
        "Turn on two-factor sign-in",
        [Field("password", "Password", "your account's password", password=True, required=True)],
        submit_label="Continue",
        hint="Your password first; then the app's secret and a first code from it.",
        errors={"password": error} if error else None,
    )


def turn_off_form(error: str = "") -> FormModal:
    return FormModal(
        "Turn off two-factor sign-in",
        [_code_field("a current code from your authenticator app")],
        submit_label="Turn off",
        hint="Signing in will need only your password again.",
        errors={"otp": error} if error else None,
    )
