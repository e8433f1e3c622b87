"""How `jiedan server run` serves the app: uvicorn's options from the settings, and the app
factory each worker process calls (`jiedan_cli.server.serving:app_from_env`)."""

from __future__ import annotations

import signal
import sys
from typing import Any

from fastapi import FastAPI

from jiedan_cli.server.config import Settings
from jiedan_cli.server.header_timeout import HeaderTimeoutProtocol
from jiedan_cli.server.logs import log_config

APP_FACTORY = "jiedan_cli.server.serving:app_from_env"


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
