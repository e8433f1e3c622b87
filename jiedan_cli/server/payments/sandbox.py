"""The bundled `sandbox` provider, shaped like Alipay / WeChat Pay test mode.

`create_intent` returns an intent id and the payment "happens" elsewhere; the provider then
sends an asynchronous notification: a JSON body {event_id, intent_id, status, amount_fen, ts}
signed with HMAC-SHA256 over the raw body (hex, header X-Sandbox-Signature) with the Unix time
in X-Sandbox-Timestamp. The receiver verifies the signature in constant time, accepts the
timestamp only within ±300 s of its own clock (and only if it equals the signed `ts`, so a
fresh header cannot revive an old body), and deduplicates `event_id`."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

SIGNATURE_HEADER = "X-Sandbox-Signature"
TIMESTAMP_HEADER = "X-Sandbox-Timestamp"
TOLERANCE_SECONDS = 300


class BadSignature(Exception):
    """The body was not signed with our secret (HTTP 401)."""


class BadNotification(Exception):
    """Stale or missing timestamp, or a body that is not a notification (HTTP 400)."""


@dataclass(frozen=True)
class Notification:
    event_id: str
    intent_id: str
    status: str
    amount_fen: int
    ts: int


class SandboxProvider:
    name = "sandbox"

    def create_intent(self, amount_fen: int, reference: str) -> str:
        return f"pi_sbx_{secrets.token_hex(12)}"

    def payout(self, user_id: str, amount_fen: int, reference: str) -> str:
        return f"po_sbx_{secrets.token_hex(12)}"


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def notification_for(
    secret: str, *, intent_id: str, amount_fen: int, now: datetime, event_id: str | None = None
) -> tuple[bytes, dict[str, str]]:
    """The signed `succeeded` notification the sandbox sends for an intent: (body, headers)."""
    ts = int(now.timestamp())
    body = json.dumps(
        {
            "event_id": event_id or f"evt_{intent_id}",
            "intent_id": intent_id,
            "status": "succeeded",
            "amount_fen": amount_fen,
            "ts": ts,
        },
        separators=(",", ":"),
    ).encode()
    return body, {SIGNATURE_HEADER: sign(secret, body), TIMESTAMP_HEADER: str(ts)}


def verify_notification(
    secret: str, body: bytes, signature: str | None, timestamp: str | None, now: datetime
) -> Notification:
    """The notification in `body`, once its signature and timestamp check out."""
    if not signature or not hmac.compare_digest(sign(secret, body), signature.strip().lower()):
        raise BadSignature("the notification's signature does not match")
    try:
        ts = int(timestamp or "")
    except ValueError as exc:
        raise BadNotification("X-Sandbox-Timestamp must be a Unix time in seconds") from exc
    if abs(now.timestamp() - ts) > TOLERANCE_SECONDS:
        raise BadNotification("the notification's timestamp is outside ±300 s of now")
    try:
        data: Any = json.loads(body)
        note = Notification(
            event_id=_text(data["event_id"]),
            intent_id=_text(data["intent_id"]),
            status=_text(data["status"]),
            amount_fen=_whole(data["amount_fen"]),
            ts=_whole(data["ts"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise BadNotification("the body is not a sandbox notification") from exc
    if note.ts != ts:
        raise BadNotification("the signed ts differs from X-Sandbox-Timestamp")
    return note


def _text(value: Any) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= 100:
        raise ValueError("expected a short string")
    return value


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("expected an integer")
    return value
