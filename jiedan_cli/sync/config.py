"""The client's small settings file, `<config dir>/config.json`: the configured server and
which e-mail is signed in on each server (the token itself lives in the keyring or in the
credentials file, never here and never in the local database)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from jiedan_cli import locations

DEFAULT_SERVER = "http://127.0.0.1:8700"


def config_path() -> Path:
    return locations.config_dir() / "config.json"


def load() -> dict[str, Any]:
    try:
        value = json.loads(config_path().read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def update(**changes: Any) -> dict[str, Any]:
    """Merge `changes` into the file (a None value removes the key); returns the new content."""
    current = load()
    for key, value in changes.items():
        if value is None:
            current.pop(key, None)
        else:
            current[key] = value
    write_private_json(config_path(), current)
    return current


def write_private_json(path: Path, value: Any) -> None:
    """Write `value` as JSON readable by the owner only (0600), atomically: a crash leaves the
    old file or the new one, never half of one. Its folder is made 0700."""
    locations.private_dir(path.parent, ours=path.parent == locations.config_dir())
    locations.write_private(path, json.dumps(value, ensure_ascii=False, indent=2))


def normalise_server(url: str) -> str:
    """One spelling per server, so keyring entries and settings keyed by it match."""
    return url.strip().rstrip("/")


def server_url() -> str:
    """JIEDAN_SERVER, else the configured server, else the default local one."""
    chosen = os.environ.get("JIEDAN_SERVER") or load().get("server") or DEFAULT_SERVER
    return normalise_server(str(chosen))


def set_server(url: str | None) -> None:
    """Remember `url` as the server to use (None: back to the default)."""
    update(server=normalise_server(url) if url else None)


def signed_in_email(server: str) -> str | None:
    accounts = load().get("accounts") or {}
    email = accounts.get(normalise_server(server)) if isinstance(accounts, dict) else None
    return str(email) if email else None


def set_signed_in_email(server: str, email: str | None) -> None:
    accounts = dict(load().get("accounts") or {})
    if email is None:
        accounts.pop(normalise_server(server), None)
    else:
        accounts[normalise_server(server)] = email
    update(accounts=accounts)
