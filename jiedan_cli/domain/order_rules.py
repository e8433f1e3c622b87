"""What makes an order, a bid, a message or a review well-formed. Pure, so the offline
client refuses a malformed one with the same message the server gives."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import date

from jiedan_cli.domain.errors import InvalidInput
from jiedan_cli.domain.money import check_fen, format_yuan
from jiedan_cli.domain.text import unsafe_character
from jiedan_cli.domain.timefmt import parse_date

TITLE_MAX = 200
DESCRIPTION_MAX = 20_000
TAGS_MAX = 10
TAG_MAX = 30
RADIUS_KM_MAX = 1_000.0
BID_DAYS_MAX = 365
BID_MESSAGE_MAX = 5_000
MESSAGE_TEXT_MAX = 5_000
REVIEW_TEXT_MAX = 2_000
NOTE_MAX = 5_000  # a delivery or revision note, a dispute reason
CANCEL_NOTE_MAX = 2_000  # why a client cancelled
FILES_MAX = 50  # files in one delivery
# What a client may change while the order is open (PATCH /v1/orders/{id}, the edit_order intent).
EDITABLE = frozenset(
    {
        "title",
        "description",
        "category",
        "tags",
        "budget_min_fen",
        "budget_max_fen",
        "deadline",
        "location",
    }
)


def check_text(
    value: object, *, field: str, max_len: int, required: bool = False, multiline: bool = True
) -> str:
    """Text of at most `max_len` characters once stripped, without control characters (a
    `multiline` one may hold newlines and tabs: domain/text.py)."""
    if not isinstance(value, str):
        raise InvalidInput(f"{field}: must be text", field=field)
    text = value.strip()
    unsafe = unsafe_character(text, multiline=multiline)
    if unsafe:
        raise InvalidInput(f"{field}: {unsafe}", field=field, code="unsafe_text")
    if required and not text:
        raise InvalidInput(f"{field}: must not be empty", field=field)
    if len(text) > max_len:
        raise InvalidInput(f"{field}: at most {max_len} characters", field=field)
    return text


def check_title(value: object) -> str:
    return check_text(value, field="title", max_len=TITLE_MAX, required=True, multiline=False)


def check_description(value: object) -> str:
    return check_text(value, field="description", max_len=DESCRIPTION_MAX)


def check_tags(value: object) -> list[str]:
    """Up to 10 tags of 1..30 characters each; repeats are dropped, order kept."""
    if not isinstance(value, list | tuple):
        raise InvalidInput("tags: must be a list of text", field="tags")
    tags: list[str] = []
    for item in value:
        tag = check_text(item, field="tags", max_len=TAG_MAX, required=True, multiline=False)
        if tag not in tags:
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise InvalidInput(f"tags: at most {TAGS_MAX}", field="tags")
    return tags


# What separates tags typed in one line: commas, ASCII or full-width (，), and the 顿号 (、).
TAG_SEPARATORS = re.compile(r"[,，、]")


def split_tags(texts: Iterable[str]) -> list[str]:
    """Tags as people type them, several to a text ("网站, UI设计" or "网站，UI设计"), blanks
    dropped; check_tags still checks what comes out."""
    return [tag.strip() for text in texts for tag in TAG_SEPARATORS.split(text) if tag.strip()]


def check_budget(budget_min_fen: int, budget_max_fen: int) -> tuple[int, int]:
    check_fen(budget_min_fen, field="budget_min_fen")
    check_fen(budget_max_fen, field="budget_max_fen")
    if budget_min_fen > budget_max_fen:
        minimum, maximum = format_yuan(budget_min_fen), format_yuan(budget_max_fen)
        raise InvalidInput(  # said to people (a flag, a form field) as well as to the API
            f"budget: the minimum (¥{minimum}) is more than the maximum (¥{maximum})",
            field="budget_min_fen",
        )
    return budget_min_fen, budget_max_fen


def check_deadline(value: date | str | None, *, today: date) -> date | None:
    """An optional date, not before `today` (UTC)."""
    if value is None:
        return None
    deadline = parse_date(value, field="deadline") if isinstance(value, str) else value
    if not isinstance(deadline, date):
        raise InvalidInput("deadline: must be a date (YYYY-MM-DD)", field="deadline")
    if deadline < today:
        raise InvalidInput(f"deadline: {deadline.isoformat()} is in the past", field="deadline")
    return deadline


def _coordinate(value: object, *, field: str, bound: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{field}: must be a number", field=field)
    number = float(value)
    if not math.isfinite(number) or not -bound <= number <= bound:
        raise InvalidInput(f"{field}: must be between -{bound:g} and {bound:g}", field=field)
    return number


def check_location(
    lat: object, lon: object, radius_km: object
) -> tuple[float, float, float] | tuple[None, None, None]:
    """All three or none: a place and the radius served around it."""
    if lat is None and lon is None and radius_km is None:
        return None, None, None
    if lat is None or lon is None or radius_km is None:
        raise InvalidInput("location: give lat, lon and radius_km together", field="location")
    radius = _coordinate(radius_km, field="radius_km", bound=RADIUS_KM_MAX)
    if radius <= 0:
        raise InvalidInput("radius_km: must be more than zero", field="radius_km")
    return (
        _coordinate(lat, field="lat", bound=90.0),
        _coordinate(lon, field="lon", bound=180.0),
        radius,
    )


def check_bid_terms(amount_fen: int, days: int, message: object) -> tuple[int, int, str]:
    check_fen(amount_fen)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= BID_DAYS_MAX:
        raise InvalidInput(f"days: a whole number from 1 to {BID_DAYS_MAX}", field="days")
    return amount_fen, days, check_text(message, field="message", max_len=BID_MESSAGE_MAX)


def check_message_text(value: object) -> str:
    return check_text(value, field="text", max_len=MESSAGE_TEXT_MAX, required=True)


def check_note(value: object, *, field: str = "note") -> str:
    """A delivery or revision note, a dispute reason: required, at most NOTE_MAX characters (the
    server's own limit, so a long note is refused offline rather than after a sync)."""
    return check_text(value, field=field, max_len=NOTE_MAX, required=True)


def check_review(stars: int, text: object) -> tuple[int, str]:
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        raise InvalidInput("stars: a whole number from 1 to 5", field="stars")
    return stars, check_text(text, field="text", max_len=REVIEW_TEXT_MAX)
