"""Where the bearer token lives (cli.md "auth", security.md "The client side").

Order of precedence, as `gh` does it: JIEDAN_TOKEN; else the OS keyring (service
`jiedan:<server>`, username = the signed-in e-mail, which config.json remembers); where no
usable keyring backend exists (headless Linux, CI: the `fail` backend), a 0600 file under the
config dir, announced once on stderr. A token is stored in exactly one of the two places, so
reading the file first (cheap, no keyring import) gives the same answer. Keyring calls run
with a timeout: a locked or hung Secret Service must not hang the command.

The local database never holds the token."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from jiedan_cli import locations
from jiedan_cli.domain.errors import Unauthenticated
from jiedan_cli.sync import config

KEYRING_TIMEOUT = 3.0
ENV_TOKEN = "JIEDAN_TOKEN"
T = TypeVar("T")


def credentials_path() -> Path:
    return locations.config_dir() / "credentials.json"


def service_name(server: str) -> str:
    return f"jiedan:{config.normalise_server(server)}"


# ---- reading ---------------------------------------------------------------------------------


def load_token(server: str | None = None) -> str | None:
    """The token to use with `server` (default: the configured one), or None."""
    from_env = os.environ.get(ENV_TOKEN)
    if from_env:
        return from_env
    server = config.normalise_server(server or config.server_url())
    entry = _file_entries().get(server)
    if isinstance(entry, dict) and entry.get("token"):
        return str(entry["token"])
    email = config.signed_in_email(server)
    if email is None:
        return None
    keyring = _usable_keyring()
    if keyring is None:
        return None
    try:
        found = _with_timeout(lambda: keyring.get_password(service_name(server), email))
    except Exception:  # locked or hung: as if signed out, rather than a hung command
        return None
    return str(found) if found else None


def require_token(server: str | None = None) -> str:
    token = load_token(server)
    if token is None:
        raise Unauthenticated("not signed in: run `jiedan auth login` (or set JIEDAN_TOKEN)")
    return token


def signed_in_email(server: str | None = None) -> str | None:
    return config.signed_in_email(server or config.server_url())


# ---- writing ---------------------------------------------------------------------------------


def store_token(server: str, email: str, token: str) -> str:
    """Keep `token` for (`server`, `email`); returns where: "keyring" or "file"."""
    server = config.normalise_server(server)
    forget_token(server)  # a previous account on this server: its token goes
    config.set_signed_in_email(server, email)
    keyring = _usable_keyring()
    if keyring is not None:
        try:
            _with_timeout(lambda: keyring.set_password(service_name(server), email, token))
            return "keyring"
        except Exception:  # locked, refused or hung: fall back, as below
            pass
    entries = _file_entries()
    entries[server] = {"email": email, "token": token}
    config.write_private_json(credentials_path(), entries)
    _announce_file_once()
    return "file"


def forget_token(server: str | None = None) -> bool:
    """Remove the stored token for `server` (logout); True when there was one."""
    server = config.normalise_server(server or config.server_url())
    removed = False
    entries = _file_entries()
    if entries.pop(server, None) is not None:
        config.write_private_json(credentials_path(), entries)
        removed = True
    email = config.signed_in_email(server)
    if email is not None:
        keyring = _usable_keyring()
        if keyring is not None:
            removed = _delete_from_keyring(keyring, server, email) or removed
        config.set_signed_in_email(server, None)
    return removed


def _delete_from_keyring(keyring: Any, server: str, email: str) -> bool:
    try:
        if _with_timeout(lambda: keyring.get_password(service_name(server), email)) is None:
            return False
        _with_timeout(lambda: keyring.delete_password(service_name(server), email))
        return True
    except Exception:  # not there, or the keyring is unavailable: nothing more we can do
        return False


# ---- helpers ---------------------------------------------------------------------------------


def _file_entries() -> dict[str, Any]:
    import json

    try:
        value = json.loads(credentials_path().read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _announce_file_once() -> None:
    if config.load().get("plaintext_credentials_announced"):
        return
    print(
        "warning: no system keyring is available, so the token is stored in plain text in "
        f"{credentials_path()} (readable only by you). `jiedan auth logout` removes it.",
        file=sys.stderr,
    )
    config.update(plaintext_credentials_announced=True)


def _usable_keyring() -> Any:
    """The keyring backend, or None when it cannot store anything (fail/null) or hangs."""
    try:
        import keyring
        from keyring.backends import fail, null

        backend = _with_timeout(keyring.get_keyring)
    except Exception:
        return None
    if isinstance(backend, fail.Keyring | null.Keyring):
        return None
    return backend


def _with_timeout(call: Callable[[], T]) -> T:
    """Run `call` in a daemon thread; TimeoutError when it takes longer than KEYRING_TIMEOUT."""
    seconds = KEYRING_TIMEOUT
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:
            box["error"] = exc

    worker = threading.Thread(target=run, name="jiedan-keyring", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TimeoutError(f"the keyring did not answer within {seconds:g} s")
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value
