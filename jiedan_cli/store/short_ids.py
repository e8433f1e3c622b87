"""Short ids: wherever a command takes an id, any unique prefix of at least MIN_PREFIX
characters of an id the local replica knows stands for it (as git's abbreviated hashes do).
The full id is what is then used and sent to the server.

Ids are UUIDv7, whose first twelve characters are a time stamp: orders made within a few
hours share their first six, so an ambiguous prefix is answered with the candidates (id and
title) rather than a guess. A whole id the replica does not know is kept as given: the command
then says "no order …" or lets the server decide. Anything else the replica does not know (a
prefix of no id, one shorter than MIN_PREFIX, a word that is no id) is "no order …" (exit 3)
here: a mutating command must not queue it for the server to refuse by its id pattern.

Cold read path (performance.md P1): the standard library only."""

from __future__ import annotations

import sqlite3
import uuid

from jiedan_cli.domain.errors import InvalidInput, NotFound

MIN_PREFIX = 6
SHOWN = 10  # candidates listed at most

# kind → queries of (id, what to call it) for ids in [?, ?): the server copy, then what only
# the outbox knows (a post or bid queued offline)
_CANDIDATES: dict[str, tuple[str, ...]] = {
    "order": (
        "SELECT id, title FROM orders WHERE id >= ? AND id < ?",
        "SELECT object_id, json_extract(args, '$.title') FROM outbox"
        " WHERE object_kind = 'order' AND object_id >= ? AND object_id < ?",
    ),
    "bid": (
        "SELECT b.id, coalesce(o.title, b.order_id) FROM bids b"
        " LEFT JOIN orders o ON o.id = b.order_id WHERE b.id >= ? AND b.id < ?",
        "SELECT q.object_id, coalesce(o.title, json_extract(q.args, '$.order_id')) FROM outbox q"
        " LEFT JOIN orders o ON o.id = json_extract(q.args, '$.order_id')"
        " WHERE q.object_kind = 'bid' AND q.object_id >= ? AND q.object_id < ?",
    ),
    "milestone": (
        "SELECT id, json_extract(data, '$.title') FROM milestones WHERE id >= ? AND id < ?",
    ),
    "message": (
        "SELECT id, substr(json_extract(data, '$.text'), 1, 40) FROM messages"
        " WHERE id >= ? AND id < ?",
    ),
    "user": (
        "SELECT id, json_extract(data, '$.name') FROM profiles WHERE id >= ? AND id < ?",
        "SELECT id, json_extract(data, '$.name') FROM profile_cache WHERE id >= ? AND id < ?",
        "SELECT DISTINCT client_id, NULL FROM orders WHERE client_id >= ? AND client_id < ?",
        "SELECT DISTINCT freelancer_id, NULL FROM bids"
        " WHERE freelancer_id >= ? AND freelancer_id < ?",
    ),
}
_NAMES = {"order": "orders", "bid": "bids", "milestone": "milestones", "message": "messages"}


class AmbiguousId(InvalidInput):
    """A prefix that several ids start with (exit 2); `details` lists them, a line each."""

    code = "ambiguous_id"

    def __init__(self, message: str, details: list[str]) -> None:
        super().__init__(message)
        self.details = details


def full_id(conn: sqlite3.Connection, kind: str, given: str) -> str:
    """The id of `kind` ("order", "bid", "milestone", "message", "user") that `given` starts
    with; `given` itself when it is an id the replica knows or a whole id it does not.
    AmbiguousId when it is the start of several; NotFound when it is the start of none and
    not a whole id (or shorter than MIN_PREFIX)."""
    given = given.strip()
    found = _candidates(conn, kind, given)
    if len(given) < MIN_PREFIX:  # too short to stand for another id: only itself
        found = {given: found[given]} if given in found else {}
    if given in found or (not found and _is_whole_id(given)):
        return given
    if not found:
        raise NotFound(f"no {kind} {given} in the local replica (run `jiedan sync`?)")
    if len(found) == 1:
        return next(iter(found))
    return _ambiguous(kind, given, found)


def _is_whole_id(given: str) -> bool:
    if len(given) != 36:
        return False
    try:
        uuid.UUID(given)
    except ValueError:
        return False
    return True


def _candidates(conn: sqlite3.Connection, kind: str, prefix: str) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    # [prefix, prefix + U+10FFFF) is every id that starts with it, read off the id index
    for typed in dict.fromkeys((prefix, prefix.lower())):
        for query in _CANDIDATES[kind]:
            for row in conn.execute(query, (typed, typed + "\U0010ffff")):
                if row[0] is not None and found.get(row[0]) is None:
                    found[row[0]] = row[1]
    return found


def _ambiguous(kind: str, prefix: str, found: dict[str, str | None]) -> str:
    ids = sorted(found)
    details = [f"{i}  {found[i] or ''}".rstrip() for i in ids[:SHOWN]]
    if len(ids) > SHOWN:
        details.append(f"… and {len(ids) - SHOWN} more")
    what = _NAMES.get(kind, "ids")
    raise AmbiguousId(f"{prefix} is the start of {len(ids)} {what}: give more of the id", details)
