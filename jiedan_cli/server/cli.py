"""`jiedan server run|migrate|seed|create-staff|rotate-epoch|reseal`: the bundled server."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from jiedan_cli.server.config import Settings
    from jiedan_cli.server.db import Database

app = typer.Typer(
    help="Run and manage the bundled platform server.", no_args_is_help=True, add_completion=False
)

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="sqlite:///PATH or postgresql+psycopg://…"),
]


def _settings(database_url: str | None, *, secrets: bool = False, **extra: object) -> Settings:
    """The settings from the environment and these options; the shared secrets only when
    the command seals or opens something (they are refused on PostgreSQL when missing)."""
    from jiedan_cli.server.config import Settings

    return Settings.from_env(database_url=database_url, secrets=secrets, **extra)


def _database(settings: Settings) -> Database:
    from jiedan_cli.server.db import Database

    return Database.from_settings(settings)


@app.command()
def run(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8700,
    database_url: DatabaseUrl = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            envvar="JIEDAN_SERVER_WORKERS",
            help="Worker processes (PostgreSQL only: SQLite means one process).",
        ),
    ] = 1,
    demo: Annotated[
        bool, typer.Option("--demo", help="Seed demo data into an empty database.")
    ] = False,
    no_migrate: Annotated[
        bool,
        typer.Option("--no-migrate", help="Do not migrate at start (`server migrate` does it)."),
    ] = False,
    no_jobs: Annotated[
        bool, typer.Option("--no-jobs", help="Serve requests only; run no scheduled job.")
    ] = False,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            help="Proxies whose X-Forwarded-For is believed (comma-separated, or *).",
        ),
    ] = None,
) -> None:
    """Serve the marketplace API (OpenAPI at /docs)."""
    import logging.config

    from jiedan_cli.domain.errors import InvalidInput
    from jiedan_cli.server.logs import log_config
    from jiedan_cli.server.metrics import prepare_metrics_dir
    from jiedan_cli.server.serving import exit_zero_on_sigterm, serve, uvicorn_options

    _refuse_a_taken_port(host, port)  # before anything is written or announced
    settings = _settings(
        database_url,
        secrets=True,
        run_jobs=False if no_jobs else None,
        migrate=False if no_migrate else None,
        forwarded_allow_ips=forwarded_allow_ips,
    )
    settings.fill_rate_limit_storage()
    if workers > 1 and settings.is_sqlite:
        raise InvalidInput(
            "--workers: SQLite serves from one process; use PostgreSQL for more workers"
        )
    # What this process says before uvicorn starts goes to the same log, in the same format.
    logging.config.dictConfig(log_config(settings))
    say = logging.getLogger("jiedan.server").info
    say("database: %s", _shown_url(settings.database_url))
    db = _database(settings)
    try:
        if settings.migrate:
            db.migrate()
        if demo:
            from jiedan_cli.server.seed_demo import seed_demo

            seeded = seed_demo(db)
            if seeded:
                say("demo marketplace seeded: %s", seeded)
            else:
                say(
                    "demo data NOT seeded: this database has accounts already (--demo seeds an"
                    " empty one; give another --database-url for a fresh demo)"
                )
    finally:
        db.dispose()
    # The workers read their settings from the environment; this process migrated already.
    os.environ.update(settings.environment())
    os.environ["JIEDAN_SERVER_MIGRATE"] = "0"
    say("jiedan server on http://%s:%s  (docs: /docs; %s worker(s))", host, port, workers)
    prepare_metrics_dir()
    exit_zero_on_sigterm()
    serve(host, port, workers, uvicorn_options(settings))


def _refuse_a_taken_port(host: str, port: int) -> None:
    """A usage error (exit 2) when `host:port` cannot be listened on — said before the
    server announces its address or touches the database."""
    import socket

    from jiedan_cli.domain.errors import InvalidInput

    if not 1 <= port <= 65535:  # 0 would bind a port nobody is told of
        raise InvalidInput(f"--port: {port} is not a port (1 to 65535)")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InvalidInput(f"--host: cannot listen on {host!r} ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            raise InvalidInput(
                f"--port: cannot listen on {host}:{port} ({exc.strerror}); choose another --port"
            ) from None


def _shown_url(url: str) -> str:
    """The database URL as it may be logged: no password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command()
def migrate(database_url: DatabaseUrl = None) -> None:
    """Bring the database schema to the newest version (safe to run from several hosts)."""
    settings = _settings(database_url)
    db = _database(settings)
    try:
        db.migrate()
    finally:
        db.dispose()
    print("database at the newest schema", file=sys.stderr)


@app.command()
def seed(
    orders: Annotated[int, typer.Option("--orders", min=0, help="How many orders.")],
    clients: Annotated[int, typer.Option("--clients", min=1)] = 200,
    freelancers: Annotated[int, typer.Option("--freelancers", min=1)] = 500,
    database_url: DatabaseUrl = None,
    fraud: Annotated[
        bool,
        typer.Option(
            "--fraud",
            help="Then weeks of live activity through the real API, honest work with fraud"
            " mixed in (rings on one device, new accounts' large orders, night post-and-cancel,"
            " bid bursts, withdrawals after a password change, fast fund-accept cycles): the"
            " risk engine holds it for `jiedan admin queue`.",
        ),
    ] = False,
) -> None:
    """Fill a database with a realistic synthetic marketplace."""
    from jiedan_cli.server.seed import seed_marketplace

    settings = _settings(database_url, secrets=fraud)  # --fraud seals ID numbers (实名认证)
    db = _database(settings)
    db.migrate()
    summary = seed_marketplace(db, orders=orders, clients=clients, freelancers=freelancers)
    print(summary, file=sys.stderr)
    if fraud:
        from jiedan_cli.server.seed_fraud import seed_fraud

        print(seed_fraud(settings), file=sys.stderr)


@app.command("create-staff")
def create_staff(
    email: Annotated[str, typer.Option("--email")],
    role: Annotated[str, typer.Option("--role", help="admin|support|finance|reviewer")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
    name: Annotated[str | None, typer.Option("--name")] = None,
    promote: Annotated[
        bool,
        typer.Option(
            "--promote",
            help="Give the role to the existing account of --email (it keeps its password).",
        ),
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a staff account. Staff accounts are separate: an existing account is refused
    unless --promote gives it the role (no password is asked then: it keeps its own)."""
    from jiedan_cli.domain.errors import InvalidInput
    from jiedan_cli.domain.timefmt import utcnow
    from jiedan_cli.server.services.accounts import create_staff as make_staff

    if role not in ("admin", "support", "finance", "reviewer"):
        raise InvalidInput(f"--role: {role!r} is not one of admin, support, finance, reviewer")
    password: str | None = None
    if promote:
        if password_stdin:
            raise InvalidInput(
                "--password-stdin: --promote keeps the account's own password; give none"
            )
    elif password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    db = _database(_settings(database_url))
    db.migrate()
    with db.write() as conn:
        user = make_staff(
            conn,
            email=email,
            role=role,
            password=password,
            name=name or email.split("@")[0],
            now=utcnow(),
            promote=promote,
        )
    if promote:
        print(
            f"account {user['email']} now has the role {role}; it keeps its own password",
            file=sys.stderr,
        )
    else:
        print(f"staff account {user['email']} ({role}) ready", file=sys.stderr)


@app.command("rotate-epoch")
def rotate_epoch(database_url: DatabaseUrl = None) -> None:
    """After restoring a backup: give the database a new sync epoch, so every client
    rebuilds its copy and sends its unconfirmed operations again (docs/sync-protocol.md)."""
    from jiedan_cli.server.services.sync_pull import rotate_epoch as new_epoch

    db = _database(_settings(database_url))
    db.migrate()
    with db.write() as conn:
        epoch = new_epoch(conn)
    print(f"sync epoch is now {epoch}: clients will reset on their next pull", file=sys.stderr)


@app.command()
def reseal(database_url: DatabaseUrl = None) -> None:
    """After a new JIEDAN_SERVER_SECRET_KEY (the one before in JIEDAN_SERVER_OLD_SECRET_KEYS):
    re-seal every secret kept at rest with it, so the old key can be dropped (safe to repeat)."""
    from jiedan_cli.domain.errors import ServerMisconfigured
    from jiedan_cli.domain.timefmt import utcnow
    from jiedan_cli.server.services.reseal import reseal_all
    from jiedan_cli.server.services.secrets_box import register_key

    settings = _settings(database_url, secrets=True)
    db = _database(settings)
    try:
        db.migrate()
        register_key(db.engine, settings.secret_key, settings.old_secret_keys)
        done = reseal_all(db, now=utcnow())
    finally:
        db.dispose()
    for name, moved in done.moved.items():
        print(f"{name}: {moved} re-sealed", file=sys.stderr)
    print(f"{done.total} row(s) re-sealed with the current key", file=sys.stderr)
    unopened = {name: keys for name, keys in done.unopened.items() if keys}
    if unopened:
        listed = "; ".join(
            f"{name}: {len(keys)} ({', '.join(keys[:5])})" for name, keys in unopened.items()
        )
        raise ServerMisconfigured(
            f"some values open with none of the configured keys, left as they were: {listed}"
        )
