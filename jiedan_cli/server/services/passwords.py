"""Password hashing (Argon2id, OWASP's minimum: 19 MiB, 2 passes, 1 lane) and the rules a new
password must meet. Passwords are never logged, audited or returned."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from jiedan_cli.domain.errors import InvalidInput

MIN_LENGTH = 8
MAX_LENGTH = 128

_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1, type=Type.ID)

# Verified against when the e-mail is unknown, so a miss costs as long as a wrong password
# and the timing does not reveal which e-mails have accounts.
_DECOY_HASH = _hasher.hash("jiedan decoy password")


def check_password_rules(password: str) -> str:
    if not isinstance(password, str) or not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise InvalidInput(
            f"password: must be {MIN_LENGTH} to {MAX_LENGTH} characters", field="password"
        )
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(check_password_rules(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; with no hash, spends the same time and says False."""
    try:
        return _hasher.verify(password_hash or _DECOY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
