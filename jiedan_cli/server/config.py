"""Server settings, from arguments or JIEDAN_SERVER_* environment variables."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from jiedan_cli import locations


def default_database_url() -> str:
    return f"sqlite:///{locations.server_dir() / 'server.db'}"


def _secret_file(name: str) -> str:
    """A secret kept in a 0600 file beside the server's data — never in the database."""
    path = locations.server_dir() / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
    return Path(path).read_text().strip()


@dataclass
class Settings:
    database_url: str = field(default_factory=default_database_url)
    # Encrypts ID numbers at rest (Fernet key material is derived from it).
    secret_key: str = ""
    # Signs the sandbox payment provider's notifications.
    sandbox_webhook_secret: str = ""
    auto_release_days: int = 14
    review_blind_days: int = 14
    session_ttl_days: int = 30
    max_body_bytes: int = 1_048_576
    job_interval_seconds: float = 60.0
    run_jobs: bool = True
    unverified_bids_per_day: int = 20
    unverified_max_award_fen: int = 500_000
    push_max_ops: int = 500

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        values: dict[str, object] = {}
        if "JIEDAN_SERVER_DATABASE_URL" in env:
            values["database_url"] = env["JIEDAN_SERVER_DATABASE_URL"]
        for name in ("secret_key", "sandbox_webhook_secret"):
            key = f"JIEDAN_SERVER_{name.upper()}"
            if key in env:
                values[name] = env[key]
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)  # type: ignore[arg-type]
        settings.fill_secrets()
        return settings

    def fill_secrets(self) -> None:
        if not self.secret_key:
            self.secret_key = _secret_file("secret.key")
        if not self.sandbox_webhook_secret:
            self.sandbox_webhook_secret = _secret_file("sandbox-webhook.key")
