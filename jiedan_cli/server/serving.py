"""How `jiedan server run` serves the app: uvicorn's options from the settings, the app
factory each worker process calls (`jiedan_cli.server.serving:app_from_env`), and how
several workers share the port."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

from fastapi import FastAPI

from jiedan_cli.server.config import Settings
from jiedan_cli.server.header_timeout import HeaderTimeoutProtocol
from jiedan_cli.server.logs import log_config

APP_FACTORY = "jiedan_cli.server.serving:app_from_env"
REUSE_PORT_LOOP = "jiedan_cli.server.serving:ReusePortLoop"


def app_from_env() -> FastAPI:
    """The app of one worker, configured by the JIEDAN_SERVER_* environment the parent set."""
    from jiedan_cli.server.app import create_app

    return create_app(Settings.from_env())


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """What uvicorn is told besides the app, the address and the workers."""
    trusted = settings.forwarded_allow_ips.strip()
    return {
        "log_level": settings.log_level.lower(),
        # Off unless proxies are named: uvicorn's default believes 127.0.0.1, so a local
        # proxy that does not set X-Forwarded-For would let any client choose its address.
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or None,
        "timeout_keep_alive": settings.keep_alive_timeout_seconds,
        "timeout_graceful_shutdown": settings.graceful_shutdown_seconds,
        "server_header": False,
        # One JSON (or text) line per record; the access log is api/access_log.py's.
        "log_config": log_config(settings),
        "access_log": False,
        "http": HeaderTimeoutProtocol,
    }


def exit_zero_on_sigterm() -> None:
    """A single-process uvicorn re-raises the SIGTERM it stopped for once it has shut down
    gracefully, so the process would end "killed by SIGTERM"; the re-raised signal finds
    this handler instead and the process exits 0. (With workers the supervisor exits 0.)"""
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))


def serve(
    host: str, port: int, workers: int, options: dict[str, Any], *, app: str = APP_FACTORY
) -> None:
    """Serve `app` (an import string: the factory APP_FACTORY, or an app) on host:port with
    `workers` processes.

    Several workers on Linux: each listens on a socket of its own bound with SO_REUSEPORT,
    and the kernel spreads new connections over them evenly (by a hash of the addresses).
    uvicorn's own way, one socket bound by the supervisor and shared, lets the first worker
    awake accept every connection waiting: a burst of them — a proxy's pool, many clients at
    once — went 70/30 or worse to one worker, and kept-alive connections kept that load
    (docs/decisions.md, "#8: one listening socket per worker"). Elsewhere (macOS and BSD give
    every connection to one SO_REUSEPORT socket), uvicorn's shared socket."""
    import uvicorn

    factory = app == APP_FACTORY
    if workers == 1 or not sys.platform.startswith("linux"):
        uvicorn.run(app, factory=factory, host=host, port=port, workers=workers, **options)
        return
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        app,
        factory=factory,
        host=host,
        port=port,
        workers=workers,
        loop=REUSE_PORT_LOOP,
        **options,
    )
    # No socket from the supervisor: each worker binds its own through ReusePortLoop, as a
    # single uvicorn process binds (uvicorn.Server.startup without sockets). A worker that
    # restarts binds again; its socket closes with it and leaves the kernel's group.
    Multiprocess(config, sockets=None).run()  # type: ignore[arg-type]


class ReusePortLoop(asyncio.SelectorEventLoop):
    """A worker's event loop (uvicorn's `loop`, a factory called with no argument): the
    listening socket it creates for host:port is bound with SO_REUSEPORT (`serve`)."""

    async def create_server(self, *args: Any, **kwargs: Any) -> asyncio.base_events.Server:
        kwargs["reuse_port"] = True
        return await super().create_server(*args, **kwargs)
