"""Encryption at rest for the few secrets the database must hold (TOTP seeds, ID numbers).

The key is derived from the server's `secret_key`, which lives in the configuration (a 0600
file or the environment), never in the database: a stolen database alone reveals nothing.
Services receive no settings, so `create_app` registers the key against its database engine
and services find it through their connection (`box_for(conn)`)."""

from __future__ import annotations

import base64
import weakref

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Connection, Engine


class SecretsBox:
    """Seals and opens short strings with a Fernet key derived per purpose (HKDF-SHA256)."""

    def __init__(self, secret_key: str, purpose: str) -> None:
        if not secret_key:
            raise ValueError("the server has no secret_key")
        derived = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=b"jiedan secrets box v1",
            info=purpose.encode(),
        ).derive(secret_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, sealed: str) -> str:
        """The plaintext; ValueError when `sealed` was made with another key or was altered."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("cannot open this secret: wrong server key or altered data") from exc


_keys: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def register_key(engine: Engine, secret_key: str) -> None:
    """Called once per app: this engine's data is sealed with `secret_key`."""
    _keys[engine] = secret_key


def box_for(conn: Connection, purpose: str) -> SecretsBox:
    key = _keys.get(conn.engine)
    if key is None:
        raise RuntimeError("no secret key registered for this database (see register_key)")
    return SecretsBox(key, purpose)
