"""This install's id (#12): a random id made the first time the client talks to a server and
kept in its data dir (`locations.install_file()`, 0600), sent with every request as
`X-Jiedan-Install` so the server can tell which accounts are used on one device (the risk
engine's linked accounts; server/services/devices.py).

It names the install, not the user: it is no secret, is not tied to an account, and a new
JIEDAN_HOME (or data dir) is a new install. Reading it is one small file read, and only when a
command talks to a server. If the data dir cannot be written, requests go without it — the
server records them as from no device — rather than fail."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

from jiedan_cli import locations

HEADER = "X-Jiedan-Install"
# What the server accepts (services/devices.py); we make uuid4 hex, 32 characters.
_SHAPE = re.compile(r"[A-Za-z0-9-]{8,64}")


def install_id() -> str | None:
    """The id kept in the data dir, made now if there is none (or it is not of its shape);
    None if it can be neither read nor made."""
    path = locations.install_file()
    try:
        found = _read(path)
        return found if found is not None else _make(path)
    except OSError:
        return None


def _read(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except FileNotFoundError:
        return None
    return text if _SHAPE.fullmatch(text) else None


def _make(path: Path) -> str:
    """A new id, written beside the file (0600) and then linked into place, so two processes
    making one at once agree on the first (a link never replaces a file), and no reader sees a
    half-written one. A file of another shape is replaced."""
    locations.private_dir(path.parent, ours=True)
    made = uuid.uuid4().hex
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    locations.write_private(temporary, made + "\n")
    try:
        try:
            os.link(temporary, path)
            return made
        except FileExistsError:
            found = _read(path)
            if found is not None:
                return found  # another process made it first
        except OSError:  # no hard links on this file system: a rename, whoever is last wins
            pass
        os.replace(temporary, path)  # what was there was not an id
        return made
    finally:
        temporary.unlink(missing_ok=True)
