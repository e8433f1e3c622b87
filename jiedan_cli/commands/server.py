"""`jiedan server run|seed|create-staff`: the bundled platform server."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

app = typer.Typer(
    help="Run and manage the bundled platform server.", no_args_is_help=True, add_completion=False
)

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="sqlite:///PATH or postgresql+psycopg://…"),
]


def _settings(database_url: str | None, **extra: object):  # type: ignore[no-untyped-def]
    from jiedan_cli.server.config import Settings

    return Settings.from_env(database_url=database_url, **extra)


@app.command()
def run(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8700,
    database_url: DatabaseUrl = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Seed demo data into an empty database.")
    ] = False,
) -> None:
    """Serve the marketplace API (OpenAPI at /docs)."""
    import uvicorn

    from jiedan_cli.server.app import create_app

    settings = _settings(database_url)
    application = create_app(settings)
    if demo:
        from jiedan_cli.server.seed_demo import seed_demo

        seeded = seed_demo(application.state.db)
        if seeded:
            print(f"demo marketplace seeded: {seeded}", file=sys.stderr)
    print(f"jiedan server on http://{host}:{port}  (docs: /docs)", file=sys.stderr)
    uvicorn.run(application, host=host, port=port, log_level="warning")


@app.command()
def seed(
    orders: Annotated[int, typer.Option("--orders", min=0, help="How many orders.")],
    clients: Annotated[int, typer.Option("--clients", min=1)] = 200,
    freelancers: Annotated[int, typer.Option("--freelancers", min=1)] = 500,
    database_url: DatabaseUrl = None,
) -> None:
    """Fill a database with a realistic synthetic marketplace."""
    from jiedan_cli.server.db import Database
    from jiedan_cli.server.seed import seed_marketplace

    db = Database(_settings(database_url).database_url)
    db.migrate()
    summary = seed_marketplace(db, orders=orders, clients=clients, freelancers=freelancers)
    print(summary, file=sys.stderr)


@app.command("create-staff")
def create_staff(
    email: Annotated[str, typer.Option("--email")],
    role: Annotated[str, typer.Option("--role", help="admin|support|finance|reviewer")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
    name: Annotated[str | None, typer.Option("--name")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a staff account (or give an existing account a staff role)."""
    from jiedan_cli.domain.errors import InvalidInput
    from jiedan_cli.domain.timefmt import utcnow
    from jiedan_cli.server.db import Database
    from jiedan_cli.server.services.accounts import create_staff as make_staff

    if role not in ("admin", "support", "finance", "reviewer"):
        raise InvalidInput(f"--role: {role!r} is not one of admin, support, finance, reviewer")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    db = Database(_settings(database_url).database_url)
    db.migrate()
    with db.write() as conn:
        user = make_staff(
            conn,
            email=email,
            role=role,
            password=password,
            name=name or email.split("@")[0],
            now=utcnow(),
        )
    print(f"staff account {user['email']} ({role}) ready", file=sys.stderr)


@app.command("rotate-epoch")
def rotate_epoch(database_url: DatabaseUrl = None) -> None:
    """After restoring a backup: give the database a new sync epoch, so every client
    rebuilds its copy and sends its unconfirmed operations again (docs/sync-protocol.md)."""
    from jiedan_cli.server.db import Database
    from jiedan_cli.server.services.sync_pull import rotate_epoch as new_epoch

    db = Database(_settings(database_url).database_url)
    db.migrate()
    with db.write() as conn:
        epoch = new_epoch(conn)
    print(f"sync epoch is now {epoch}: clients will reset on their next pull", file=sys.stderr)
