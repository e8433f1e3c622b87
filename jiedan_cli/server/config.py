"""Server settings: every one a `JIEDAN_SERVER_<NAME>` environment variable (README's table),
overridable by arguments. Worker processes started by `jiedan server run --workers N` read
the same environment, so a setting given on the command line is passed on through it."""

from __future__ import annotations

import dataclasses
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jiedan_cli import locations
from jiedan_cli.domain.account_limits import (
    NEW_ACCOUNT_DAYS,
    NEW_ACCOUNT_MAX_WITHDRAWAL_FEN,
    UNVERIFIED_MAX_ORDER_FEN,
)
from jiedan_cli.domain.errors import InvalidInput
from jiedan_cli.domain.ledger import DEFAULT_PROTECTION_SHARE_PCT
from jiedan_cli.domain.points import DEFAULT_EXPIRY_MONTHS
from jiedan_cli.domain.referrals import DEFAULT_REFERRAL_POINTS
from jiedan_cli.domain.risk import Thresholds, parse_limits

ENV_PREFIX = "JIEDAN_SERVER_"
MAX_COUPON_FEN = 1_000_000  # ¥10,000: a coupon, not a subsidy
# The secrets every process of one deployment must share; each may also be named by a file
# (`…_FILE`, e.g. a systemd credential or a Kubernetes secret mount).
SHARED_SECRETS = ("secret_key", "sandbox_webhook_secret")
# Secrets that may be named by a `…_FILE`; the old keys and the metrics token are never made
# up (unset: none, and /metrics off).
FILE_SECRETS = (*SHARED_SECRETS, "old_secret_keys", "metrics_token")


def default_database_url() -> str:
    return f"sqlite:///{locations.server_dir() / 'server.db'}"


def env_name(setting: str) -> str:
    return f"{ENV_PREFIX}{setting.upper()}"


def _secret_file(name: str) -> str:
    """A secret kept in a 0600 file beside the server's data — never in the database."""
    path = locations.server_dir() / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process of this server made it first
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(32))
    return Path(path).read_text().strip()


_SECRET_FILES = {"secret_key": "secret.key", "sandbox_webhook_secret": "sandbox-webhook.key"}


class MissingSecret(InvalidInput):
    """A PostgreSQL deployment started without a secret its processes must share."""


@dataclass
class Settings:
    database_url: str = field(default_factory=default_database_url)
    # Where a process LISTENs for other processes' sign-in writes (PostgreSQL): the database
    # itself, not a PgBouncer in transaction mode, which cannot hold a LISTEN. Empty: the
    # database_url.
    listen_database_url: str = ""
    # Encrypts TOTP seeds and ID numbers at rest (Fernet key material is derived from it).
    secret_key: str = ""
    # Keys used before `secret_key`, comma-separated: still opened, never used to seal
    # (`jiedan server reseal` moves everything to the current key).
    old_secret_keys: str = ""
    # Signs the sandbox payment provider's notifications.
    sandbox_webhook_secret: str = ""
    auto_release_days: int = 14
    review_blind_days: int = 14
    session_ttl_days: int = 30
    max_body_bytes: int = 1_048_576
    # Delivered files' content (server/file_store.py): the folder (empty: `delivery-files`
    # beside a SQLite database, else under the server's data dir; several hosts must share
    # it) and the largest file taken. Chunks of an upload may exceed max_body_bytes.
    delivery_files_dir: str = ""
    max_delivery_file_bytes: int = 200 << 20
    job_interval_seconds: float = 60.0
    run_jobs: bool = True
    migrate: bool = True
    unverified_bids_per_day: int = 20
    # The largest order total (its milestones) for a freelancer without 实名认证.
    unverified_max_award_fen: int = UNVERIFIED_MAX_ORDER_FEN
    # An account younger than this, or unverified, withdraws at most the second in 24 hours.
    new_account_days: int = NEW_ACCOUNT_DAYS
    new_account_max_withdrawal_fen: int = NEW_ACCOUNT_MAX_WITHDRAWAL_FEN
    # The risk engine (services/risk.py): whether each watched action is assessed, the
    # assessment recorded (risk_assessments) and enforced (held for review or blocked:
    # services/holds.py). On by default: an assessment (facts read +
    # record) costs under 1 ms of CPU (decisions.md); off for a diagnosis.
    risk_record: bool = True
    # The risk engine's score at which an action is held for review / blocked
    # (domain/risk.Thresholds).
    risk_review_at: int = Thresholds().review
    risk_block_at: int = Thresholds().block
    # The percent of each release's platform fee set aside in platform:protection (保险机制),
    # the fund staff compensate a defrauded party from (services/protection.py).
    protection_share_pct: int = DEFAULT_PROTECTION_SHARE_PCT
    # The rules' counts and amounts over domain/risk.RiskLimits' defaults, "name=N,…"
    # (e.g. "bids=5,large_amount_fen=200000"); empty: the defaults.
    risk_limits: str = ""
    # Points a referral earns the inviter and the invited each, once, when the invited account
    # completes a first order (services/referrals.py); fixed for a referral when it is made.
    referral_points: int = DEFAULT_REFERRAL_POINTS
    # Points expire this many calendar months after they were earned, the oldest spent first
    # (jobs/points_expiry.py); 0: they never expire.
    points_expiry_months: int = DEFAULT_EXPIRY_MONTHS
    # The clients' first-order coupon (新客首单券): at most this many fen off a client's first
    # payment (never more than half of it), paid into escrow by the platform through
    # platform:promotions (services/first_order_coupons.py); 0: no coupon.
    first_order_coupon_fen: int = 0
    # Registrations (or tries) from one address in a sliding hour; 0 turns the cap off.
    registrations_per_address_hour: int = 20
    push_max_ops: int = 500
    # Messages one push may carry (each is a write another user reads).
    push_max_messages: int = 100
    # Writes (POST, PUT, PATCH, DELETE; a push counts its operations) per signed-in user,
    # and per address for callers without a valid token (register, sign-in, webhooks), in
    # the `limits` notation ("600/minute", "10/second;600/hour"). Counted in
    # rate_limit_storage, which several processes must share: memory:// is one process's
    # own (the default on SQLite, which serves from one); on PostgreSQL it must be set,
    # e.g. redis://127.0.0.1:6379/0 (docs/decisions.md).
    rate_limit_storage: str = ""
    rate_limit_key_prefix: str = "jiedan"
    rate_limit_user_writes: str = "600/minute"
    rate_limit_address_writes: str = "60/minute"
    # Refused payment notifications written to the audit log, per address (the rest are
    # counted in /metrics only): a flood of forged webhooks must not fill the log.
    rate_limit_refusal_audits: str = "10/hour"
    # PostgreSQL connections per process: pool_size kept open once opened, up to max_overflow
    # more at a peak, each closed again on its return. Overflow made PostgreSQL start a backend
    # (and warm its catalog caches) ≈ 5 times a second under P10's load, ≈ 15% of its CPU: so
    # 20 kept, none more, a request waiting its turn for one instead. Two processes of the
    # defaults (2 × 20) stay well inside PostgreSQL's 100.
    db_pool_size: int = 20
    db_max_overflow: int = 0
    # psycopg's server-side prepared statements after N runs of one statement; 0 turns them
    # off (PgBouncer in transaction mode needs that before PgBouncer 1.21).
    db_prepare_threshold: int = 5
    log_level: str = "info"
    log_format: str = "auto"  # json | text | auto: text on a terminal, else json
    access_log: bool = True
    # Slow clients: the request line and headers must arrive within header_timeout, each
    # chunk of a body within body_timeout; an idle kept-alive connection closes after
    # keep_alive_timeout; at shutdown requests in flight get graceful_shutdown_seconds.
    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 30.0
    keep_alive_timeout_seconds: float = 5.0
    graceful_shutdown_seconds: float = 30.0
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed ("127.0.0.1,10.0.0.5"
    # or "*"); empty: none, the peer's own address is the client's.
    forwarded_allow_ips: str = ""
    # The bearer token GET /metrics asks for; empty: /metrics is off (docs/decisions.md).
    metrics_token: str = ""

    def __post_init__(self) -> None:
        if not self.database_url.startswith(("sqlite", "postgresql")):
            raise InvalidInput(
                f"{env_name('database_url')} (--database-url): {self.database_url!r} is neither"
                " sqlite:///PATH nor postgresql+psycopg://…"
            )
        if not 0 <= self.protection_share_pct <= 100:
            raise InvalidInput(f"{env_name('protection_share_pct')}: a percent from 0 to 100")
        if not 0 < self.risk_review_at <= self.risk_block_at:
            raise InvalidInput(
                f"{env_name('risk_review_at')} and {env_name('risk_block_at')}: 0 < review <= block"
            )
        if self.referral_points < 0:
            raise InvalidInput(f"{env_name('referral_points')}: 0 or more")
        if not 0 <= self.first_order_coupon_fen <= MAX_COUPON_FEN:
            raise InvalidInput(
                f"{env_name('first_order_coupon_fen')}: 0 (none) to {MAX_COUPON_FEN}"
            )
        if not 0 <= self.points_expiry_months <= 1_200:
            raise InvalidInput(f"{env_name('points_expiry_months')}: 0 (never) to 1200")
        try:
            parse_limits(self.risk_limits)
        except ValueError as exc:
            raise InvalidInput(f"{env_name('risk_limits')}: {exc}") from None

    @classmethod
    def from_env(cls, *, secrets: bool = True, **overrides: object) -> Settings:
        """Defaults, then the environment, then `overrides` that are not None; with `secrets`,
        the shared secrets filled (or refused, on PostgreSQL, when missing: `fill_secrets`)."""
        values: dict[str, Any] = {}
        env = os.environ
        for spec in dataclasses.fields(cls):
            name = env_name(spec.name)
            if name in env:
                values[spec.name] = _parse(spec, env[name])
        for name in FILE_SECRETS:
            path = env.get(env_name(name) + "_FILE")
            if path and not values.get(name):
                values[name] = _read_secret_file(env_name(name) + "_FILE", path)
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        if secrets:
            settings.fill_secrets()
        return settings

    def files_dir(self) -> Path:
        """Where delivered files are kept (see delivery_files_dir)."""
        from jiedan_cli.server.file_store import default_files_dir

        if self.delivery_files_dir:
            return Path(self.delivery_files_dir)
        return default_files_dir(self.database_url, locations.server_dir())

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def fill_secrets(self) -> None:
        """On SQLite (one process, one machine) a missing secret is made once and kept in a
        0600 file beside the data. On PostgreSQL several processes and hosts share the
        database, and a key made by each would not open what another sealed: refuse."""
        for name in SHARED_SECRETS:
            if getattr(self, name):
                continue
            if not self.is_sqlite:
                raise MissingSecret(
                    f"{env_name(name)} (or {env_name(name)}_FILE) must be set on PostgreSQL:"
                    " every server process must share it"
                )
            setattr(self, name, _secret_file(_SECRET_FILES[name]))

    def fill_rate_limit_storage(self) -> None:
        """Where a serving process counts rate limits: memory:// on SQLite (one process);
        on PostgreSQL it must be named, for every process must count the same."""
        if self.rate_limit_storage:
            return
        if not self.is_sqlite:
            raise MissingSecret(
                f"{env_name('rate_limit_storage')} must be set on PostgreSQL (e.g."
                " redis://127.0.0.1:6379/0): every server process must count the same"
                " rate limits"
            )
        self.rate_limit_storage = "memory://"

    def environment(self) -> dict[str, str]:
        """These settings as the environment variables `from_env` reads back."""
        out: dict[str, str] = {}
        for spec in dataclasses.fields(self):
            value = getattr(self, spec.name)
            out[env_name(spec.name)] = (
                ("1" if value else "0") if isinstance(value, bool) else str(value)
            )
        return out


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _parse(spec: dataclasses.Field[Any], raw: str) -> object:
    kind = spec.type if isinstance(spec.type, str) else getattr(spec.type, "__name__", "str")
    text = raw.strip()
    try:
        if kind == "bool":
            if text.lower() in _TRUE | _FALSE:
                return text.lower() in _TRUE
            raise ValueError
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
    except ValueError:
        wanted = {"bool": "on or off", "int": "a whole number"}.get(kind, "a number")
        raise InvalidInput(f"{env_name(spec.name)}: {raw!r} is not {wanted}") from None
    return raw


def _read_secret_file(variable: str, path: str) -> str:
    try:
        value = Path(path).read_text().strip()
    except OSError as exc:
        raise MissingSecret(f"{variable}: cannot read {path} ({exc.strerror})") from None
    if not value:
        raise MissingSecret(f"{variable}: {path} is empty")
    return value
