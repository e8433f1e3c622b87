"""Pull (sync.md, docs/sync-protocol.md): the change log after a cursor, filtered to what the
caller may see, a page at a time.

A cursor is "<epoch>:<seq>". Seqs become visible in commit order (services/changes.py), so
"everything after seq N" never skips a change committed later with a smaller seq. A cursor
from another epoch — or one ahead of this log's head, which only a restored database produces —
is answered with `reset`: the client rebuilds its server copy from seq 0."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from sqlalchemy import Connection, Select, Text, func, select, true, type_coerce, union, update

from jiedan_cli.server.db.tables import change_audience, change_log, server_meta
from jiedan_cli.server.services.actors import Actor
from jiedan_cli.server.services.changes import epoch as current_epoch
from jiedan_cli.server.services.sync_push import client_last_seq

PULL_LIMIT_DEFAULT = 1_000
PULL_LIMIT_MAX = 5_000
_CURSOR = re.compile(r"^([0-9a-z]{1,32}):(\d{1,18})$")


def cursor_for(epoch: str, seq: int) -> str:
    return f"{epoch}:{seq}"


def seq_after(cursor: str | None, epoch: str) -> int | None:
    """The seq a cursor points after, or None when it must be reset (other epoch, malformed)."""
    if not cursor:
        return 0
    match = _CURSOR.match(cursor)
    if match is None or match.group(1) != epoch:
        return None
    return int(match.group(2))


def visible_changes(user_id: str, after: int, limit: int) -> Select[Any]:
    """Changes after `after` that `user_id` may see, in seq order: the union of two index
    range scans (public changes; the caller's audience rows), each stopped at `limit`.
    `payload` comes as the stored JSON text, not decoded."""
    public = (
        select(change_log.c.seq)
        .where(change_log.c.public == true(), change_log.c.seq > after)
        .order_by(change_log.c.seq)
        .limit(limit)
        .subquery()
    )
    addressed = (
        select(change_audience.c.seq)
        .where(change_audience.c.user_id == user_id, change_audience.c.seq > after)
        .order_by(change_audience.c.seq)
        .limit(limit)
        .subquery()
    )
    both = union(select(public.c.seq), select(addressed.c.seq)).subquery()
    page = select(both.c.seq).order_by(both.c.seq).limit(limit).subquery()
    return (
        select(
            change_log.c.seq,
            change_log.c.entity,
            change_log.c.entity_id,
            change_log.c.op,
            type_coerce(change_log.c.payload, Text).label("payload"),
        )
        .join(page, page.c.seq == change_log.c.seq)
        .order_by(change_log.c.seq)
    )


def pull_changes(
    conn: Connection,
    actor: Actor,
    *,
    cursor: str | None,
    limit: int = PULL_LIMIT_DEFAULT,
    client_id: str | None = None,
) -> dict[str, Any]:
    """One page of changes: {changes, next_cursor, has_more, last_seq, epoch, reset}."""
    page, changes = _page(conn, actor, cursor=cursor, limit=limit, client_id=client_id)
    page["changes"] = [
        {
            "seq": seq,
            "entity": entity,
            "id": entity_id,
            "op": op,
            "data": None if data is None else json.loads(data),
        }
        for seq, entity, entity_id, op, data in changes
    ]
    return page


def pull_changes_json(
    conn: Connection,
    actor: Actor,
    *,
    cursor: str | None,
    limit: int = PULL_LIMIT_DEFAULT,
    client_id: str | None = None,
) -> tuple[bytes, int]:
    """`pull_changes` as the JSON document the route answers with, and how many changes it
    holds; built around each change's stored payload text: a large initial sync then costs
    the server no decoding and re-encoding of every object (about two thirds of its time
    per change)."""
    page, changes = _page(conn, actor, cursor=cursor, limit=limit, client_id=client_id)
    text = _string
    items = ",".join(
        f'{{"seq":{seq},"entity":{text(entity)},"id":{text(entity_id)},"op":{text(op)},'
        f'"data":{"null" if data is None else data}}}'
        for seq, entity, entity_id, op, data in changes
    )
    rest = json.dumps(page, ensure_ascii=False, separators=(",", ":"))
    return f'{{"changes":[{items}],{rest[1:]}'.encode(), len(changes)


_string = json.JSONEncoder(ensure_ascii=False).encode  # a str as a JSON string


def _page(
    conn: Connection, actor: Actor, *, cursor: str | None, limit: int, client_id: str | None
) -> tuple[dict[str, Any], list[tuple[int, str, str, str, str | None]]]:
    """The page's fields but `changes`, and its changes as (seq, entity, id, op, payload text)."""
    epoch = current_epoch(conn)
    last_seq = client_last_seq(conn, actor, client_id)
    after = seq_after(cursor, epoch)
    head = conn.scalar(select(func.max(change_log.c.seq))) or 0
    if after is None or after > head:
        page = {"next_cursor": cursor_for(epoch, 0), "has_more": True}
        return {**page, "last_seq": last_seq, "epoch": epoch, "reset": True}, []
    rows = conn.execute(visible_changes(actor.id, after, limit + 1)).all()
    changes = [(r.seq, r.entity, r.entity_id, r.op, r.payload) for r in rows[:limit]]
    return {
        "next_cursor": cursor_for(epoch, changes[-1][0] if changes else after),
        "has_more": len(rows) > limit,
        "last_seq": last_seq,
        "epoch": epoch,
        "reset": False,
    }, changes


def rotate_epoch(conn: Connection) -> str:
    """Give the database a new epoch: every client resets on its next pull. Run it after
    restoring a backup (`jiedan server rotate-epoch`), before the server serves again."""
    new = uuid.uuid4().hex[:12]
    conn.execute(update(server_meta).where(server_meta.c.key == "epoch").values(value=new))
    return new
