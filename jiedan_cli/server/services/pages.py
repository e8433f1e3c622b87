"""Lists a page at a time (keyset pagination), one way for every list the API answers.

A list is ordered by a key its rows never change once written — (created_at, id), or
(position, id) — and the next page is the rows after the last one's key: a row written
meanwhile neither shifts a page, as an offset would (a row handed out twice, or one
skipped), nor comes before the point a reader has reached unless it belongs there. The
cursor is that key, opaque to callers (base64url of its JSON); one from elsewhere is only a
position in the list, never a way past its filters."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Connection, Integer, Row, Select, String, literal, tuple_

from jiedan_cli.domain.errors import InvalidInput
from jiedan_cli.server.db.types import UTCDateTime

# The largest page a list route answers unless it names its own maximum, and the default.
PAGE_MAX = 500
PAGE_DEFAULT = 100
CURSOR_MAX = 400  # characters: a datetime and an id of up to 120, encoded
_BIGINT = 2**63


@dataclass(frozen=True)
class PageRequest:
    """At most `limit` rows, those after the cursor `after` (a page's `next_cursor`)."""

    limit: int = PAGE_DEFAULT
    after: str | None = None


@dataclass(frozen=True)
class Page:
    """One page of a list; `next_cursor` None when no row follows."""

    items: list[dict[str, Any]] = field(default_factory=list)
    next_cursor: str | None = None


def keyset_rows(
    conn: Connection,
    query: Select[Any],
    key: Sequence[Column[Any]],
    page: PageRequest | None,
    *,
    newest_first: bool = False,
) -> tuple[list[Row[Any]], str | None]:
    """The rows of `query` in `key` order (descending when `newest_first`) and the cursor of
    the next page; `page` None: every row (for callers inside the server), no cursor."""
    order = [column.desc() if newest_first else column.asc() for column in key]
    if page is None:
        return list(conn.execute(query.order_by(*order))), None
    if page.after is not None:
        mark = tuple_(
            *(literal(value, c.type) for value, c in zip(decode(page.after, key), key, strict=True))
        )
        position = tuple_(*key)
        query = query.where(position < mark if newest_first else position > mark)
    rows = list(conn.execute(query.order_by(*order).limit(page.limit + 1)))
    if len(rows) <= page.limit:
        return rows, None
    rows = rows[: page.limit]
    return rows, encode([getattr(rows[-1], column.key) for column in key])


def encode(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    text = json.dumps(plain, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


def decode(cursor: str, key: Sequence[Column[Any]]) -> list[Any]:
    """The key values `cursor` holds, each checked against its column; InvalidInput (422)
    for anything not made by `encode` for a key of this shape."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(key):
            raise ValueError
        return [_value(value, column) for value, column in zip(values, key, strict=True)]
    except (ValueError, binascii.Error, OverflowError, RecursionError):
        raise InvalidInput("after: not a cursor of this list", field="after") from None


def _value(value: Any, column: Column[Any]) -> Any:
    kind = column.type
    if isinstance(kind, UTCDateTime):
        if not isinstance(value, str):
            raise ValueError
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError
        return moment.astimezone(UTC)  # OverflowError at year 1 or 9999: not a cursor
    if isinstance(kind, Integer):
        if type(value) is not int or not -_BIGINT <= value < _BIGINT:
            raise ValueError
        return value
    if isinstance(kind, String):
        if not isinstance(value, str) or (kind.length and len(value) > kind.length):
            raise ValueError
        return value
    raise TypeError(f"{column} cannot be a page key")  # a programming error: 500
