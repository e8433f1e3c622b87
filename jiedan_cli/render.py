"""The one place results become output: JSON with --json, rich tables on a terminal,
tab-separated rows otherwise (gh's conventions). Data goes to stdout, messages to stderr."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

Column = tuple[str, str]  # (field, header)


def is_terminal() -> bool:
    return sys.stdout.isatty()


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def emit_json_line(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"  # as in the JSON, for scripts reading TSV
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value).replace("\t", " ").replace("\n", " ")


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

    table = Table(title=title, header_style="bold", show_lines=False)
    for field, header in columns:
        # ids are what a user copies into the next command: never cut them short
        is_id = field == "id" or field.endswith("_id")
        table.add_column(header, min_width=36 if is_id else None, no_wrap=is_id)
    for row in rows:
        table.add_row(*(_cell(row.get(field)) for field, _ in columns))
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
    """A human message: always stderr, so stdout stays data."""
    sys.stderr.write(message + "\n")


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
