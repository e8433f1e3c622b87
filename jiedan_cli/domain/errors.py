"""The failures every layer speaks. Mapped to HTTP statuses once (server/api/problems.py)
and to exit codes once (commands/exit_codes.py)."""

from __future__ import annotations


class JiedanError(Exception):
    """Base of every expected failure. `code` is a stable machine-readable slug."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class InvalidInput(JiedanError):
    """Malformed or out-of-range input (HTTP 422, exit 2)."""

    code = "invalid_input"


class TooLarge(InvalidInput):
    """Over a size cap: a delivered file larger than the server takes (HTTP 413, exit 2)."""

    code = "too_large"


class NotFound(JiedanError):
    """No such object, or not visible to the caller (HTTP 404, exit 3)."""

    code = "not_found"


class Refused(JiedanError):
    """Understood but not allowed now: invalid state, conflict, forbidden, risk hold.

    HTTP 409 (403 for Forbidden), exit 4."""

    code = "refused"


class Forbidden(Refused):
    """The caller's role may not do this at all (HTTP 403, exit 4)."""

    code = "forbidden"


class Conflict(Refused):
    """The object is not in a state that allows this (HTTP 409, exit 4)."""

    code = "conflict"


class RiskStopped(Refused):
    """The risk engine stopped an action (security.md): `reason` is the fired rules' reasons
    in plain words; `score`, `fired` ([{name, weight, reason}]) and `facts` are what a
    reviewer sees. The layer that owns the transaction undoes the action, records the hold
    (`hold_id`) and answers."""

    def __init__(
        self,
        reason: str,
        *,
        action: str,
        score: int,
        fired: list[dict[str, object]],
        facts: dict[str, object],
        object_id: str | None = None,
        counterpart_id: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.action = action
        self.score = score
        self.fired = fired
        self.facts = facts
        self.object_id = object_id
        self.counterpart_id = counterpart_id
        self.hold_id: str | None = None


class Held(RiskStopped):
    """Held for manual review (人工审核): HTTP 202 with the hold, exit 4 "held for review"."""

    code = "held"


class RiskBlocked(RiskStopped):
    """Refused by the risk engine at once (HTTP 409 `risk_blocked`, exit 4)."""

    code = "risk_blocked"


class HeldForReview(Refused):
    """The client's side of a 202 hold answer (server/api/holds.py): the request waits for a
    reviewer. `hold` is the answer ({id, status: "held", action, reason}); the message is
    "held for review: <reason>" (exit 4)."""

    code = "held"

    def __init__(self, hold: dict[str, object]) -> None:
        self.hold = hold
        self.reason = str(hold.get("reason") or "the server holds it")
        super().__init__(f"held for review: {self.reason}")


class Unauthenticated(JiedanError):
    """Not signed in, bad credentials or a bad one-time code (HTTP 401, exit 5)."""

    code = "unauthenticated"


class TooManyAttempts(JiedanError):
    """Throttled (HTTP 429, exit 4). `retry_after` in seconds."""

    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TemporaryFailure(JiedanError):
    """Busy or overloaded; safe to retry later (HTTP 503 with Retry-After)."""

    code = "temporarily_unavailable"


class ServerMisconfigured(JiedanError):
    """The server cannot do its part as configured, e.g. open a secret sealed with a key it
    is not given: the operator's to fix (HTTP 500 problem+json, logged; exit 1)."""

    code = "server_misconfigured"


class Offline(JiedanError):
    """The server could not be reached (exit 6). `refused`: the connection itself was
    refused (nothing listens there, or no route) — not worth waiting on for long."""

    code = "offline"

    def __init__(self, message: str, *, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused
