"""What every command group shares: the common options, the local replica, and the
local-first action pattern of cli.md ("Local-first behaviour").

A read command:

    from jiedan_cli.commands.common import JsonOption, ORDER_COLUMNS, replica, show

    @app.command()
    def show_order(order_id: str, as_json: JsonOption = False) -> None:
        from jiedan_cli.store.queries import get_order

        with replica() as conn:
            show(require_found(get_order(conn, order_id), f"no order {order_id}"),
                 as_json=as_json, columns=ORDER_COLUMNS)

A mutating command (saved locally + outbox, then one quick sync unless --offline, then the
object re-read; exit 4 with `error: <reject_reason>` when the server refused it — the object
is still printed, with "sync_state": "rejected"):

    @app.command()
    def award(order_id: str, bid_id: str, offline: OfflineOption = False,
              as_json: JsonOption = False) -> None:
        from jiedan_cli.store import actions

        with replica() as conn:
            run_action(conn, lambda: actions.award(conn, order_id=order_id, bid_id=bid_id),
                       kind="order", offline=offline, as_json=as_json, columns=ORDER_COLUMNS)

`attempt` does the same without printing or exiting and answers the object with its
verdict (store/verdicts.py: pending, rejected with the server's code and reason, synced);
`settle` prints it and exits by the contract; `perform` is `attempt` without the verdict;
`perform_each` runs a batch with one quick sync for all (`bid create --from-file`).
`kind` says how to re-read the object after the sync (store/verdicts.reread): "order",
"bid", "message", "delivery", "review", "checkin", or anything else to keep the action's
own answer.
`yuan("800.5", field="--amount")` → fen (InvalidInput → exit 2).
Expected failures are raised as domain errors (jiedan_cli/domain/errors.py); the root turns
them into one `error: …` line and the exit code of the contract (commands/exit_codes.py).

Online-only commands call `jiedan_cli.sync.http.api_call` (Offline → exit 6); one the risk
engine can hold runs it inside `showing_hold(as_json=…)`: a 202 hold prints the hold (the
object the server answered) and exits 4 `error: held for review: <reason>`; a 409
risk_blocked is `error: <reason>`, exit 4, as every refusal.

Cold read commands (performance.md P1): `typer.Typer(cls=ColdGroup)` and
`@app.command(cls=ColdCommand)` keep Typer from importing pydantic to coerce parameters;
import store/sync modules inside the command function, never at the top of the module.
This module imports neither httpx, rich nor pydantic."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from jiedan_cli.commands.exit_codes import ExitCode
from jiedan_cli.domain.errors import HeldForReview, InvalidInput, JiedanError, NotFound
from jiedan_cli.render import Column, is_terminal, output, say, status_words

if TYPE_CHECKING:  # store/ is imported inside the functions that use it (cold start)
    from jiedan_cli.domain.dispute_warnings import DisputeWarning
    from jiedan_cli.store.verdicts import Verdict

# ---- options every group uses ----------------------------------------------------------------

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print exactly one JSON document on stdout.")
]
OfflineOption = Annotated[
    bool,
    typer.Option("--offline", help="Save locally and queue for sync; do not contact the server."),
]

# ---- cold-start commands ----------------------------------------------------------------------


class _PlainCoercion:
    """str/int/float/Path conversion with Typer's min/max checks, in the standard library;
    an option's own `parser=` (e.g. `whole_number`), when it has one, instead."""

    def __init__(
        self, kind: type, minimum: Any, maximum: Any, parser: Callable[[Any], Any] | None
    ) -> None:
        self.kind, self.minimum, self.maximum = kind, minimum, maximum
        self.parser = parser

    def coerce(self, value: Any, param: Any = None, ctx: Any = None) -> Any:
        if value is None or (self.kind is bool and isinstance(value, bool)):
            return value
        if self.parser is not None:
            return self.parser(value)
        try:
            converted = self.kind(value)
        except (TypeError, ValueError):
            raise typer.BadParameter(
                f"{value!r} is not a valid {self.kind.__name__}.", ctx=ctx, param=param
            ) from None
        if (self.minimum is not None and converted < self.minimum) or (
            self.maximum is not None and converted > self.maximum
        ):
            low = "" if self.minimum is None else f" >= {self.minimum}"
            high = "" if self.maximum is None else f" <= {self.maximum}"
            raise typer.BadParameter(
                f"{value} is not in the range{low}{high}.", ctx=ctx, param=param
            )
        return converted


def use_plain_coercion(command: Any, ctx: Any) -> None:
    """Convert `command`'s plain parameters (str, int, float, Path, bool; single-valued)
    with the standard library instead of Typer's pydantic TypeAdapters.

    Typer (0.2x) coerces every parameter whose value is not already a bool — the implicit
    --help option included — through pydantic, and importing pydantic costs a cold command
    several times its floor (performance.md P1). Should Typer's internals change, this
    quietly does nothing and Typer's own coercion applies (tests/cli/test_import_hygiene.py
    then reports the import)."""
    from pathlib import Path

    for param in command.get_params(ctx):
        descriptor = getattr(param, "type_descriptor", None)
        kind = getattr(descriptor, "annotation", None)
        single = not getattr(param, "multiple", True) and getattr(param, "nargs", 0) == 1
        if descriptor is None or kind not in (str, int, float, Path, bool) or not single:
            continue
        if getattr(param, "_runtime_param", None) is None:
            info = descriptor.parameter_info
            param._runtime_param = _PlainCoercion(
                kind,
                getattr(info, "min", None),
                getattr(info, "max", None),
                getattr(info, "parser", None),
            )


class ColdCommand(TyperCommand):
    """A command of the cold read path: `@app.command(cls=ColdCommand)` (see above)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        use_plain_coercion(self, ctx)
        rest: list[str] = super().parse_args(ctx, args)
        return rest


class ColdGroup(TyperGroup):
    """The group of cold read commands: `typer.Typer(cls=ColdGroup)` (its --help option)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        use_plain_coercion(self, ctx)
        rest: list[str] = super().parse_args(ctx, args)
        return rest


# ---- columns for tables (terminal) and TSV rows (pipes); JSON always has every field ----------

ORDER_COLUMNS: list[Column] = [
    ("id", "ID"),
    ("status", "Status"),
    ("title", "Title"),
    ("category", "Category"),
    ("budget", "Budget ¥"),
    ("bid_count", "Bids"),
    ("created_at", "Posted"),
    ("sync_state", "Sync"),
]
# on a terminal, fewer: an 80-column screen must still show whole ids and titles
ORDER_TABLE: list[Column] = [
    ("id", "ID"),
    ("title", "Title"),
    ("budget", "Budget ¥"),
    ("bid_count", "Bids"),
    ("status", "Status"),
    ("sync_state", "Sync"),
]
BID_COLUMNS: list[Column] = [
    ("id", "ID"),
    ("order_id", "Order"),
    ("amount", "Amount ¥"),
    ("days", "Days"),
    ("status", "Status"),
    ("sync_state", "Sync"),
    ("reject_reason", "Rejected because"),
    ("created_at", "Created"),
]
MESSAGE_COLUMNS: list[Column] = [
    ("id", "ID"),
    ("created_at", "Sent"),
    ("sender", "From"),  # names (with_names); the ids are in the JSON
    ("recipient", "To"),
    ("text", "Text"),
    ("sync_state", "Sync"),
]


def _yuan_text(fen: Any) -> str | None:
    if isinstance(fen, int) and not isinstance(fen, bool):
        from jiedan_cli.domain.money import format_yuan

        return format_yuan(fen)
    return None


def for_display(item: dict[str, Any]) -> dict[str, Any]:
    """A copy with yuan columns added for humans (`budget`, `amount`) and an order a bidder
    lost marked so; JSON never uses it."""
    shown = dict(item)
    low, high = _yuan_text(item.get("budget_min_fen")), _yuan_text(item.get("budget_max_fen"))
    if low is not None or high is not None:
        shown["budget"] = f"{low or '?'}–{high or '?'}"
    if "amount_fen" in item:
        shown["amount"] = _yuan_text(item.get("amount_fen"))
    if isinstance(item.get("status"), str):  # in_progress → in progress
        shown["status"] = status_words(item["status"])
    if item.get("closed_to_me"):  # an order a bidder lost: no later news of it (sync-protocol)
        shown["status"] = f"{shown.get('status')} (closed to you)"
    if isinstance(item.get("my_bid"), dict):
        shown["my_bid"] = bid_summary(item["my_bid"])
    if isinstance(item.get("files"), list):
        shown["files"] = ", ".join(_file_summary(f) for f in item["files"])
    return shown


def bid_summary(bid: dict[str, Any]) -> str:
    """A bid in a line: '¥800.00 in 3 days · submitted · synced · <id>'."""
    amount = _yuan_text(bid.get("amount_fen"))
    status = status_words(bid.get("status"))
    parts = [f"¥{amount} in {bid.get('days')} days", status, str(bid.get("sync_state") or "")]
    return " · ".join(part for part in [*parts, str(bid.get("id") or "")] if part)


def _file_summary(entry: Any) -> str:
    if not isinstance(entry, dict):
        return str(entry)
    name, size = entry.get("name"), entry.get("size")
    return f"{name} ({_size_text(size)})" if isinstance(size, int) else str(name)


def _size_text(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    return f"{size / 1024:.1f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


def with_names(
    conn: sqlite3.Connection, rows: list[dict[str, Any]], fields: dict[str, str], *, fetch: bool
) -> list[dict[str, Any]]:
    """`rows` with, for each `id field → shown field`, the person's name (the id when the
    replica has no name for them), for tables and TSV; JSON keeps the ids. With `fetch`, the
    profiles missing are fetched first when the server answers (as the dashboard does)."""
    from jiedan_cli.store.people import names_of

    ids = [row.get(field) for row in rows for field in fields]
    names = names_of(conn, ids)
    if fetch and any(user_id and user_id not in names for user_id in ids):
        from jiedan_cli.sync.profiles import fetch_missing

        try:
            if fetch_missing(conn, ids):
                names = names_of(conn, ids)
        except JiedanError:
            pass  # offline or signed out: the ids stand in until the next time
    me = current_user_id(conn)
    return [
        {**row, **{shown: _person(row.get(field), names, me) for field, shown in fields.items()}}
        for row in rows
    ]


def _person(user_id: Any, names: dict[str, str], me: str | None) -> str | None:
    if not user_id:
        return None
    name = names.get(user_id, user_id)
    return f"{name} (me)" if user_id == me else name


TABLES_ON_A_TERMINAL = {id(ORDER_COLUMNS): ORDER_TABLE}


def show(value: Any, *, as_json: bool, columns: Sequence[Column] | None = None) -> None:
    """Print a list (rows) or an object: one JSON document with --json; else a table on a
    terminal, TSV otherwise (render.output)."""
    if as_json:
        output(value, as_json=True)
    elif isinstance(value, list):
        if columns is not None and is_terminal():
            columns = TABLES_ON_A_TERMINAL.get(id(columns), columns)
        output([for_display(v) for v in value], as_json=False, columns=columns)
    else:
        output(for_display(value), as_json=False, columns=columns)


def hint_if_empty(found: Sequence[Any], hint: str) -> None:
    """An empty list prints nothing on stdout (`[]` with --json): say why on stderr."""
    if not found:
        say(hint)


def no_orders_hint(conn: sqlite3.Connection) -> str:
    """Why a list of orders is empty: an empty local copy (and what to do), or the filters."""
    from jiedan_cli.store.contents import holds_any

    if holds_any(conn, "order"):
        return "no orders match these filters"
    if current_user_id(conn) is None:
        return "no orders in the local copy; sign in and sync: `jiedan auth login`, `jiedan sync`"
    return "no orders in the local copy; sync to fetch them: `jiedan sync`"


# ---- parsing helpers --------------------------------------------------------------------------


def yuan(text: str | int | float, *, field: str = "--amount") -> int:
    """An amount typed in yuan → fen; a usage error (exit 2) when it is not a valid amount."""
    from jiedan_cli.domain.money import parse_yuan

    return parse_yuan(text, field=field)


def optional_yuan(text: str | None, *, field: str) -> int | None:
    return None if text is None else yuan(text, field=field)


def whole_number(field: str, low: int, high: int) -> Callable[[str | int], int]:
    """A Typer `parser` for a whole-number option: full-width digits accepted, anything else
    a usage error (exit 2) in one style, "days: a whole number from 1 to 365"."""

    def parse(text: str | int) -> int:
        from jiedan_cli.domain.money import parse_whole

        return parse_whole(text, field=field, low=low, high=high)

    return parse


def text_or_file(
    inline: str | None, path: str | None, *, option: str, file_option: str, required: bool
) -> str | None:
    """Long text given inline (`--description T`) or from a file (`--description-file PATH`,
    `-` for stdin), never both; UTF-8, one trailing line break dropped. A usage error (exit 2)
    when both or, if `required`, neither is given, or when the file cannot be read."""
    if inline is not None and path is not None:
        raise InvalidInput(f"give {option} or {file_option}, not both")
    if path is None:
        if inline is None and required:
            raise InvalidInput(f"give {option} TEXT, or {file_option} PATH (- for stdin)")
        return inline
    return read_text(path, option=file_option)


def read_text(path: str, *, option: str) -> str:
    """The UTF-8 text of a file, or of stdin for `-`; one line `option: …` (exit 2) when it
    cannot be read."""
    from pathlib import Path

    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"{option}: no such file: {path}") from None
    except IsADirectoryError:
        raise InvalidInput(f"{option}: {path} is a folder, not a file") from None
    except OSError as exc:
        raise InvalidInput(f"{option}: cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        where = "stdin" if path == "-" else path
        raise InvalidInput(f"{option}: {where} is not UTF-8 text (byte {exc.start})") from None
    text = text.replace("\r\n", "\n")
    return text[:-1] if text.endswith("\n") else text


def lat_lon(text: str, *, field: str = "--near") -> tuple[float, float]:
    """'31.23,121.47' → (31.23, 121.47); a usage error otherwise (domain/geo.py)."""
    from jiedan_cli.domain.geo import parse_lat_lon

    return parse_lat_lon(text, field=field)


def require_found(value: dict[str, Any] | None, message: str) -> dict[str, Any]:
    """`value`, or NotFound (exit 3) with `message`."""
    if value is None:
        raise NotFound(message)
    return value


# ---- the local replica ------------------------------------------------------------------------


@contextmanager
def replica() -> Iterator[sqlite3.Connection]:
    """The signed-in user's local database (migrated), closed afterwards."""
    from jiedan_cli.store.db import open_db

    conn = open_db()
    try:
        yield conn
    finally:
        conn.close()


def full_id(conn: sqlite3.Connection, kind: str, given: str) -> str:
    """The whole id a short one (a unique prefix of 6+ characters) stands for, by the local
    replica (store/short_ids.py); an ambiguous prefix is exit 2 listing the candidates."""
    from jiedan_cli.store.short_ids import full_id as resolve

    return resolve(conn, kind, given)


def full_id_of(kind: str, given: str) -> str:
    """`full_id` for a command that does not otherwise open the replica (an online one)."""
    with replica() as conn:
        return full_id(conn, kind, given)


def current_user_id(conn: sqlite3.Connection) -> str | None:
    from jiedan_cli.store.state import current_user_id as user_of_replica

    return user_of_replica(conn)


# ---- local-first actions ----------------------------------------------------------------------

Action = Callable[[], dict[str, Any]]


def attempt(
    conn: sqlite3.Connection, action: Action, *, kind: str, offline: bool = False
) -> tuple[dict[str, Any], Verdict]:
    """Run a local-first action (store/actions.py), then one quick sync unless `offline`;
    the object re-read, its `sync_state`/`reject_reason` those of the operations this action
    queued, and their verdict (store/verdicts.py). Never exits; refusals made locally
    (domain errors) propagate."""
    from jiedan_cli.store import outbox
    from jiedan_cli.store.verdicts import verdict_after

    before = outbox.last_seq(conn)
    shown = _on_a_fresh_copy(conn, action, offline)
    queued = outbox.op_ids_after(conn, before)
    _quick_sync_or_note(conn, offline)
    return verdict_after(conn, kind, shown, queued)


def perform(
    conn: sqlite3.Connection, action: Action, *, kind: str, offline: bool = False
) -> dict[str, Any]:
    """`attempt` without the verdict: the object as it stands after the sync."""
    return attempt(conn, action, kind=kind, offline=offline)[0]


def _on_a_fresh_copy(conn: sqlite3.Connection, action: Action, offline: bool) -> dict[str, Any]:
    """`action()`. Its checks read the local copy, which may lag what the other party just
    did (funded, awarded, delivered): when one refuses and the server can be reached, the
    copy is synced and the action tried once more; otherwise the refusal says how old the
    copy is."""
    from jiedan_cli.domain.errors import Refused

    try:
        return action()
    except (Refused, NotFound) as exc:
        refusal: Refused | NotFound = exc
    error = "--offline"
    if not offline:
        from jiedan_cli.sync.engine import quick_sync

        report = quick_sync(conn)
        if report.error is None:
            return action()
        error = report.error
    raise type(refusal)(
        f"{refusal.message} (by the local copy, {_synced_when(conn)}; not synced now: {error})",
        code=refusal.code,
        field=refusal.field,
    ) from refusal


def _synced_when(conn: sqlite3.Connection) -> str:
    from jiedan_cli.domain.timefmt import ago, parse_rfc3339, utcnow
    from jiedan_cli.store.state import sync_state

    last = sync_state(conn).last_sync_at
    return "never synced" if last is None else f"last synced {ago(parse_rfc3339(last), utcnow())}"


@contextmanager
def resumable() -> Iterator[None]:
    """Ctrl-C during network work (a sync, a sign-in): one line saying how to go on, exit
    130. What was saved stays saved, what was queued stays queued."""
    try:
        yield
    except KeyboardInterrupt:
        say("\ninterrupted; run `jiedan sync` to resume")
        raise typer.Exit(130) from None


def _quick_sync_or_note(conn: sqlite3.Connection, offline: bool) -> None:
    if offline:
        say("saved locally (--offline); `jiedan sync` sends it")
        return
    from jiedan_cli.sync.engine import quick_sync

    with resumable():
        report = quick_sync(conn)
    if report.error is not None:
        say(f"saved locally; queued for sync ({report.error})")


def perform_each(
    conn: sqlite3.Connection, actions: Sequence[Action], *, kind: str, offline: bool = False
) -> list[dict[str, Any] | JiedanError]:
    """`perform` for a batch: every action first (each one's domain error is kept as its
    result, the others go on), then ONE quick sync for all, then each object re-read."""
    from jiedan_cli.store import outbox
    from jiedan_cli.store.verdicts import verdict_after

    done: list[tuple[dict[str, Any], list[str]] | JiedanError] = []
    for action in actions:
        before = outbox.last_seq(conn)
        try:
            shown = action()
        except JiedanError as exc:
            done.append(exc)
            continue
        done.append((shown, outbox.op_ids_after(conn, before)))
    if any(not isinstance(item, JiedanError) for item in done):
        _quick_sync_or_note(conn, offline)
    return [
        item if isinstance(item, JiedanError) else verdict_after(conn, kind, *item)[0]
        for item in done
    ]


HOLD_COLUMNS: list[Column] = [
    ("id", "Hold"),
    ("status", "Status"),
    ("action", "Action"),
    ("reason", "Reason"),
]


@contextmanager
def showing_hold(*, as_json: bool) -> Iterator[None]:
    """Around an online-only call of an action the risk engine watches (withdraw…): when the
    server holds it for a reviewer (HeldForReview), print the hold it answered — {id,
    status: "held", action, reason} — on stdout; the root then prints `error: held for
    review: <reason>` and exits 4 (commands/exit_codes)."""
    try:
        yield
    except HeldForReview as held:
        output(held.hold, as_json=as_json, columns=HOLD_COLUMNS)
        sys.stdout.flush()
        raise


def settle(
    shown: dict[str, Any],
    verdict: Verdict,
    *,
    as_json: bool,
    columns: Sequence[Column] | None = None,
    missing: str | None = None,
    warnings: Sequence[DisputeWarning] | None = None,
    warnings_said: bool = False,
) -> None:
    """The end of a mutating command, by cli.md's exit codes: print the object, exit 0
    (synced, or pending: saved and queued); print it and exit 4 with `error: <reason>` when
    the server refused the operation. With `missing` (the operation named an object the
    replica did not know), the server's "no such object" is exit 3 instead, nothing printed,
    its reason (else `missing`) on stderr. `warnings_said`: the warnings were said already
    (with a draft, before it was confirmed): in the --json object only."""
    if missing is not None and verdict.rejected and verdict.code == NotFound.code:
        raise NotFound(verdict.reason or missing)
    if warnings is not None:  # dispute-risk warnings: said once the move is made, never a refusal
        for found in warnings if not warnings_said else ():
            say(f"warning: {found.reason}")
        if as_json:  # added to cli.md's object, nothing renamed
            shown = {**shown, "warnings": [found.as_dict() for found in warnings]}
    show(shown, as_json=as_json, columns=columns)
    if verdict.held:
        sys.stdout.flush()
        say(f"error: held for review: {verdict.reason or 'the server holds it'}")
        raise typer.Exit(ExitCode.REFUSED)
    if verdict.rejected:
        sys.stdout.flush()
        say(f"error: {verdict.fields()['reject_reason']}")
        raise typer.Exit(ExitCode.REFUSED)


def run_action(
    conn: sqlite3.Connection,
    action: Action,
    *,
    kind: str,
    offline: bool,
    as_json: bool,
    columns: Sequence[Column] | None = None,
    warnings: Sequence[DisputeWarning] | None = None,
) -> dict[str, Any]:
    """`attempt` then `settle`: the whole of a mutating command after parsing."""
    shown, verdict = attempt(conn, action, kind=kind, offline=offline)
    settle(shown, verdict, as_json=as_json, columns=columns, warnings=warnings)
    return shown
