"""The one place results become output: JSON with --json, rich tables on a terminal,
tab-separated rows otherwise (gh's conventions). Data goes to stdout, messages to stderr.

Everything shown comes from the server or another user, so it is shown as text: `safe_text`
escapes what a terminal would obey (ESC sequences that set the title, clear the screen or
make links; BEL, CR, C1 controls, bidi overrides) and rich tables get `Text` cells, never
markup. The command line and the dashboard both go through it."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

Column = tuple[str, str]  # (field, header)

_NAMED_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
# What a terminal acts on rather than shows: C0 controls, DEL, C1 controls (U+009B is CSI
# to some terminals), and the bidi controls that reorder the text after them (U+202E …).
_UNSAFE = [
    *range(0x00, 0x20),
    *range(0x7F, 0xA0),
    0x061C,
    0x200E,
    0x200F,
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
]
_ESCAPED = {
    code: _NAMED_ESCAPES.get(chr(code)) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    for code in _UNSAFE
}
_ESCAPED_KEEPING_LINES = {
    code: shown for code, shown in _ESCAPED.items() if chr(code) not in "\n\t"
}
# In a JSON document: what json.dumps(ensure_ascii=False) leaves raw (it escapes C0 only),
# as \u escapes, which decode to the very same string.
_JSON_ESCAPED = {code: f"\\u{code:04x}" for code in _UNSAFE if code >= 0x7F}


def status_words(status: object) -> str:
    """A status as people read it: 'in_progress' → 'in progress' (JSON keeps the code)."""
    return "" if status is None else str(status).replace("_", " ")


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """'1 bid', '3 bids', '0 bids'."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


def safe_text(value: object, *, multiline: bool = False) -> str:
    """`value` as text a terminal shows and never obeys: every control character and bidi
    override becomes a visible escape (`\\x1b`, `\\r`, `\\u202e`). `multiline` keeps the
    newlines and tabs of a field that may have them (a description, a message)."""
    text = value if isinstance(value, str) else str(value)
    if multiline:
        return text.replace("\r\n", "\n").translate(_ESCAPED_KEEPING_LINES)
    return text.translate(_ESCAPED)


def json_text(value: Any, *, indent: int | None = 2) -> str:
    """`value` as one JSON document, exact (it decodes to the same data) and safe to print."""
    separators = (",", ":") if indent is None else None
    text = json.dumps(value, ensure_ascii=False, indent=indent, separators=separators)
    return text.translate(_JSON_ESCAPED)


def is_terminal() -> bool:
    return sys.stdout.isatty()


def emit_json(value: Any) -> None:
    sys.stdout.write(json_text(value) + "\n")


def emit_json_line(value: Any) -> None:
    sys.stdout.write(json_text(value, indent=None) + "\n")
    sys.stdout.flush()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"  # as in the JSON, for scripts reading TSV
    if isinstance(value, list | tuple):
        text = ",".join(str(v) for v in value)
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    else:
        text = str(value)
    return safe_text(text.replace("\t", " ").replace("\n", " "))


def emit_tsv_row(values: Iterable[Any]) -> None:
    """One tab-separated line of cells (as TSV output writes them), flushed."""
    sys.stdout.write("\t".join(_cell(value) for value in values) + "\n")
    sys.stdout.flush()


def emit_rows(
    rows: Iterable[dict[str, Any]], columns: Sequence[Column], *, title: str | None = None
) -> None:
    """A rich table on a terminal; plain TSV (no header, no colour, no truncation) otherwise."""
    rows = list(rows)
    if not is_terminal():
        for row in rows:
            sys.stdout.write("\t".join(_cell(row.get(field)) for field, _ in columns) + "\n")
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title and Text(title), header_style="bold", show_lines=False)
    for field, header in columns:
        # ids are what a user copies into the next command: never cut them short
        is_id = field == "id" or field.endswith("_id")
        table.add_column(Text(header), min_width=36 if is_id else None, no_wrap=is_id)
    for row in rows:
        # Text, not str: a cell is never read as rich markup ("[link=…]", "[bold red]")
        table.add_row(*(Text(_cell(row.get(field))) for field, _ in columns))
    Console(no_color="NO_COLOR" in os.environ).print(table)


def emit_record(record: dict[str, Any], fields: Sequence[Column]) -> None:
    """One object: `field<TAB>value` lines off a terminal, an aligned list on one."""
    if not is_terminal():
        for field, _ in fields:
            sys.stdout.write(f"{field}\t{_cell(record.get(field))}\n")
        return
    width = max(len(header) for _, header in fields)
    for field, header in fields:
        sys.stdout.write(f"{header.rjust(width)}  {_cell(record.get(field))}\n")


def say(message: str) -> None:
    """A human message: always stderr, so stdout stays data (and shown as text: it may
    quote the server, an order or a reason)."""
    sys.stderr.write(safe_text(message, multiline=True) + "\n")


def output(
    value: Any, *, as_json: bool, columns: Sequence[Column] | None = None, title: str | None = None
) -> None:
    """Render a list (rows) or a dict (record) in the mode the caller asked for."""
    if as_json:
        emit_json(value)
    elif isinstance(value, list):
        emit_rows(value, columns or [(k, k) for k in (value[0] if value else {})], title=title)
    else:
        emit_record(value, columns or [(k, k) for k in value])
