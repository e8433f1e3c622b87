"""Times cross every boundary as RFC 3339 UTC strings ('2026-11-25T09:17:27Z')."""

from __future__ import annotations

from datetime import UTC, date, datetime

from jiedan_cli.domain.errors import InvalidInput


def utcnow() -> datetime:
    return datetime.now(UTC)


def rfc3339(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_rfc3339(text: str, *, field: str = "time") -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError) as exc:
        raise InvalidInput(f"{field}: {text!r} is not an RFC 3339 time", field=field) from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def ago(moment: datetime, now: datetime) -> str:
    """How long before `now`, as people say it: "just now", "5 min ago", "3 h ago",
    "2 days ago"."""
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86_400:
        return f"{seconds // 3600} h ago"
    days = seconds // 86_400
    return f"{days} day{'s' if days > 1 else ''} ago"


def parse_date(text: str, *, field: str = "date") -> date:
    try:
        return date.fromisoformat(text)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"{field}: {text!r} is not a date (YYYY-MM-DD)", field=field) from exc
