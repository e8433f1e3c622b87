"""`jiedan auth register|login|logout|status|token|password|sessions|2fa`: accounts. Online-only
(exit 6 when the server cannot be reached), except `token`, which prints what is stored.

Secrets are asked without echo on a terminal, or read from stdin with `--password-stdin` (one
a line): a token alone can neither change the password nor turn 2FA on.

Signing in stores the token (sync/credentials.py: keyring, else a 0600 file), binds the local
replica to the user (store.state.set_user: another user's replica is cleared, never mixed)
and runs a first sync."""

from __future__ import annotations

import sys
from typing import Annotated, Any
from urllib.parse import quote

import typer

from jiedan_cli.commands import ask
from jiedan_cli.commands.common import JsonOption, replica, resumable, show
from jiedan_cli.domain.errors import InvalidInput, JiedanError, Unauthenticated
from jiedan_cli.render import say

app = typer.Typer(help="Sign up, sign in and out.", no_args_is_help=True, add_completion=False)
two_factor = typer.Typer(help="Two-factor sign-in (TOTP).", no_args_is_help=True)
app.add_typer(two_factor, name="2fa")
sessions_app = typer.Typer(
    help="Where you are signed in: list (`auth sessions`), end one or all others (`revoke`).",
    add_completion=False,
)
app.add_typer(sessions_app, name="sessions")

Email = Annotated[str, typer.Option("--email", help="Your e-mail address.")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
]
Otp = Annotated[str | None, typer.Option("--otp", help="A code from your authenticator app.")]
Server = Annotated[
    str | None,
    typer.Option(
        "--server",
        help="The server's URL, remembered for later commands (JIEDAN_SERVER still wins).",
    ),
]
STATUS_FIELDS = [
    ("logged_in", "Signed in"),
    ("email", "E-mail"),
    ("name", "Name"),
    ("user_id", "User id"),
    ("roles", "Roles"),
    ("server", "Server"),
    ("review", "Review"),
]


def _server(given: str | None = None) -> str:
    """--server, else JIEDAN_SERVER, else the remembered server, else the local default."""
    from jiedan_cli.sync.config import normalise_server, server_url

    return normalise_server(given) if given else server_url()


def sign_in(server: str, session: dict[str, Any]) -> None:
    """After register/login: bind the replica to the user, keep the token, first sync."""
    from jiedan_cli.sync.session import begin

    with replica() as conn:
        user = begin(conn, server, session)  # Conflict (exit 4): another user's unsynced work
        say(f"signed in as {user['email']} ({user['name']}) on {server}")
        review = session["user"].get("review")
        if review:  # a registration the risk engine held: it works while a reviewer looks
            say(f"your account is under review (人工审核): {review['reason']}; it works meanwhile")
        _first_sync(conn, server, session["token"])


def _first_sync(conn: Any, server: str, token: str) -> None:
    from jiedan_cli.commands.sync_cmd import progress_bar
    from jiedan_cli.sync.engine import sync
    from jiedan_cli.sync.http import connect

    try:
        with resumable(), connect(server, token) as client, progress_bar() as progress:
            report = sync(conn, client, progress=progress)
    except JiedanError as exc:
        say(f"warning: the first sync did not finish ({exc.message}); run `jiedan sync`")
        return
    say(f"synced: {report.pulled} change(s) pulled")


@app.command()
def register(
    email: Email,
    name: Annotated[str, typer.Option("--name", help="Your display name.")],
    role: Annotated[str, typer.Option("--role", help="freelancer, client or both.")] = "both",
    password_stdin: PasswordStdin = False,
    server_url: Server = None,
    referral: Annotated[
        str | None,
        typer.Option("--referral", metavar="CODE", help="The code of the friend who invited you."),
    ] = None,
) -> None:
    """Create an account and sign in."""
    from jiedan_cli.domain.referrals import normalise_code
    from jiedan_cli.sync import session

    if role not in ("freelancer", "client", "both"):
        raise InvalidInput(f"--role: {role!r} is not one of freelancer, client, both")
    code = normalise_code(referral) if referral is not None else None
    password = ask.password(password_stdin, confirm=True)
    server = _server(server_url)
    answer = session.register(
        server, email=email, name=name, password=password, role=role, referral=code
    )
    sign_in(server, answer)


@app.command()
def login(
    email: Email, password_stdin: PasswordStdin = False, otp: Otp = None, server_url: Server = None
) -> None:
    """Sign in (asks for a one-time code on a terminal when 2FA is on)."""
    from jiedan_cli.sync.session import log_in

    password = ask.password(password_stdin, confirm=False)
    server = _server(server_url)
    session = ask.with_code(lambda code: log_in(server, email, password, code), otp)
    sign_in(server, session)


@app.command()
def logout() -> None:
    """Sign out here and end the session on the server."""
    from jiedan_cli.sync.credentials import forget_token, load_token
    from jiedan_cli.sync.http import api_call

    server = _server()
    token = load_token(server)
    if token is None:
        say("not signed in")
        return
    try:
        api_call("POST", "/v1/auth/logout", token=token, server=server)
    except JiedanError as exc:  # the token goes anyway: signing out must always work here
        say(f"warning: the server did not end the session ({exc.message})")
    forget_token(server)
    say(f"signed out of {server}")


@app.command()
def status(as_json: JsonOption = False) -> None:
    """Who is signed in, checked with the server. Exit 5 when nobody is."""
    from jiedan_cli.sync.credentials import load_token, signed_in_email
    from jiedan_cli.sync.http import api_call

    server = _server()
    state: dict[str, Any] = {
        "logged_in": False,
        "email": signed_in_email(server),
        "user_id": None,
        "name": None,
        "roles": [],
        "server": server,
        "review": None,  # {status: "under review", hold_id, reason, since} while held
    }
    token = load_token(server)
    problem = "not signed in: run `jiedan auth login`"
    if token is not None:
        try:
            me = api_call("GET", "/v1/me", token=token, server=server)
        except Unauthenticated as exc:
            problem = f"the stored token was refused ({exc.message}): run `jiedan auth login`"
        else:
            state.update(
                logged_in=True,
                email=me["email"],
                user_id=me["id"],
                name=me["name"],
                roles=me["roles"],
                review=me.get("review"),
            )
    show(state if as_json else _readable(state), as_json=as_json, columns=STATUS_FIELDS)
    if not state["logged_in"]:
        say(f"error: {problem}")
        raise typer.Exit(5)


def _readable(state: dict[str, Any]) -> dict[str, Any]:
    """`state` for a table: the review as one phrase ("under review since …: reason")."""
    review = state["review"]
    if not review:
        return {**state, "review": "—" if state["logged_in"] else None}
    said = f"{review['status']} since {review['since']} (人工审核): {review['reason']}"
    return {**state, "review": said}


@app.command()
def token() -> None:
    """Print the current token (for scripts calling the API directly)."""
    from jiedan_cli.sync.credentials import require_token

    print(require_token(_server()))


@app.command()
def password(password_stdin: PasswordStdin = False, otp: Otp = None) -> None:
    """Change your password (the current one, then the new one twice; with --password-stdin,
    two lines). Every other session ends; this one stays signed in."""
    from jiedan_cli.sync.http import api_call

    current, new = ask.passwords(password_stdin)

    def change(code: str | None) -> Any:
        body = {"current_password": current, "new_password": new}
        return api_call(
            "POST", "/v1/auth/password", json={**body, **({"otp": code} if code else {})}
        )

    answer = ask.with_code(change, otp)
    say(f"password changed; {answer['sessions_revoked']} other session(s) signed out")


SESSION_FIELDS = [
    ("id", "Id"),
    ("device", "Device"),
    ("address", "Address"),
    ("created_at", "Signed in"),
    ("last_seen_at", "Last seen"),
    ("this", "This"),
]


@sessions_app.callback(invoke_without_command=True)
def sessions(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Your sessions: device, address, when signed in and last seen (within minutes), which
    one is this."""
    from jiedan_cli.sync.http import api_list

    if ctx.invoked_subcommand is not None:
        return
    listed = api_list("/v1/auth/sessions")
    if as_json:
        show(listed, as_json=True)
        return
    rows = [{**s, "this": "this session" if s["current"] else ""} for s in listed]
    show(rows, as_json=False, columns=SESSION_FIELDS)


@sessions_app.command("revoke")
def revoke_session(
    session_id: Annotated[str | None, typer.Argument(help="A session's id.")] = None,
    every_other: Annotated[bool, typer.Option("--all", help="Every session but this one.")] = False,
) -> None:
    """End a session (by its id from `jiedan auth sessions`), or with --all every other one."""
    from jiedan_cli.sync.credentials import forget_token
    from jiedan_cli.sync.http import api_call, api_list

    if (session_id is None) == (not every_other):
        raise InvalidInput("give a session id or --all (not both)")
    if every_other:
        answer = api_call("POST", "/v1/auth/sessions/revoke-others")
        say(f"{answer['sessions_revoked']} other session(s) signed out")
        return
    this = [s["id"] for s in api_list("/v1/auth/sessions") if s["current"]]
    api_call("DELETE", f"/v1/auth/sessions/{quote(str(session_id), safe='')}")
    if session_id in this:  # this one: signed out here too
        forget_token(_server())
        say("this session is signed out")
    else:
        say(f"session {session_id} signed out")


@two_factor.command("enable")
def enable_2fa(as_json: JsonOption = False, password_stdin: PasswordStdin = False) -> None:
    """Start 2FA (asks your password): prints the secret for an authenticator app (and a QR
    code on a terminal); on a terminal, asks for a code to confirm it (else
    `jiedan auth 2fa confirm --otp CODE`)."""
    from jiedan_cli.sync import two_factor

    secret = two_factor.start(ask.password(password_stdin, confirm=False))
    show(secret, as_json=as_json, columns=[("secret", "Secret"), ("otpauth_uri", "URI")])
    on_a_terminal = not as_json and sys.stdout.isatty()
    if on_a_terminal:  # for the authenticator app's camera
        from rich.console import Console

        from jiedan_cli.qr import qr_text

        Console().print(qr_text(secret["otpauth_uri"]), end="")
    if on_a_terminal and sys.stdin.isatty():
        _confirm(typer.prompt("code from the app (to confirm)"))
    else:
        say("confirm with `jiedan auth 2fa confirm --otp CODE`")


@two_factor.command("confirm")
def confirm_2fa(otp: Annotated[str, typer.Option("--otp", help="A code from the app.")]) -> None:
    """Turn 2FA on with a first code from the authenticator app."""
    _confirm(otp)


def _confirm(otp: str) -> None:
    from jiedan_cli.sync import two_factor

    with replica() as conn:
        two_factor.confirm(conn, otp)
    say("two-factor sign-in is on")


@two_factor.command("disable")
def disable_2fa(otp: Annotated[str, typer.Option("--otp", help="A code from the app.")]) -> None:
    """Turn 2FA off (needs a current code)."""
    from jiedan_cli.sync import two_factor

    with replica() as conn:
        two_factor.turn_off(conn, otp)
    say("two-factor sign-in is off")
