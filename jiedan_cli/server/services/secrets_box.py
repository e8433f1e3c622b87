"""Encryption at rest for the few secrets the database must hold (TOTP seeds, ID numbers).

The key is derived from the server's `secret_key`, which lives in the configuration (a 0600
file or the environment), never in the database: a stolen database alone reveals nothing.
Services receive no settings, so `create_app` registers the key against its database engine
and services find it through their connection (`box_for(conn)`).

Rotation: the keys used before (`old_secret_keys`) still open what they sealed, the current
key alone seals, and `jiedan server reseal` moves every sealed value to the current key, after
which the old ones can be dropped (services/reseal.py)."""

from __future__ import annotations

import base64
import weakref
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Connection, Engine

from jiedan_cli.domain.errors import ServerMisconfigured

# What a user is told; the log says which keys to look at (api/problems.py logs every 5xx).
WRONG_KEY = (
    "the server cannot open a secret it keeps: it was sealed with a key this server is not"
    " given (JIEDAN_SERVER_SECRET_KEY, JIEDAN_SERVER_OLD_SECRET_KEYS), or altered"
)


def split_keys(keys: str | Sequence[str]) -> tuple[str, ...]:
    """`old_secret_keys` as a tuple: comma-separated, blanks dropped."""
    parts = keys.split(",") if isinstance(keys, str) else keys
    return tuple(key.strip() for key in parts if key.strip())


def _fernet(secret_key: str, purpose: str) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"jiedan secrets box v1",
        info=purpose.encode(),
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


class SecretsBox:
    """Seals short strings with a Fernet key derived per purpose (HKDF-SHA256) from the
    current secret key; opens what it or any of `old_keys` sealed."""

    def __init__(self, secret_key: str, purpose: str, old_keys: Sequence[str] = ()) -> None:
        if not secret_key:
            raise ValueError("the server has no secret_key")
        self._current = _fernet(secret_key, purpose)
        older = [_fernet(key, purpose) for key in old_keys if key != secret_key]
        self._any = MultiFernet([self._current, *older])

    def seal(self, plaintext: str) -> str:
        return self._current.encrypt(plaintext.encode()).decode()

    def open(self, sealed: str) -> str:
        """The plaintext; ServerMisconfigured when no key of this server sealed it."""
        try:
            return self._any.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise ServerMisconfigured(WRONG_KEY, code="secret_key_mismatch") from exc

    def is_current(self, sealed: str) -> bool:
        """Sealed with the current key (nothing to re-seal)."""
        try:
            self._current.decrypt(sealed.encode())
        except InvalidToken:
            return False
        return True

    def reseal(self, sealed: str) -> str:
        """The same plaintext sealed with the current key; ServerMisconfigured as `open`."""
        try:
            return self._any.rotate(sealed.encode()).decode()
        except InvalidToken as exc:
            raise ServerMisconfigured(WRONG_KEY, code="secret_key_mismatch") from exc


_keys: weakref.WeakKeyDictionary[Engine, tuple[str, tuple[str, ...]]] = weakref.WeakKeyDictionary()


def register_key(engine: Engine, secret_key: str, old_keys: str | Sequence[str] = ()) -> None:
    """Called once per app: this engine's data is sealed with `secret_key`, or with one of
    `old_keys` (comma-separated, as `old_secret_keys` holds them) before a rotation."""
    _keys[engine] = (secret_key, split_keys(old_keys))


def box_for(conn: Connection, purpose: str) -> SecretsBox:
    keys = _keys.get(conn.engine)
    if keys is None:
        raise RuntimeError("no secret key registered for this database (see register_key)")
    secret_key, old_keys = keys
    return SecretsBox(secret_key, purpose, old_keys)
