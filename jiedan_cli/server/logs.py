"""The server's logging: uvicorn's `log_config` from the settings (level, json or text), and
the request id of the request being served stamped on every record logged while it runs."""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from jiedan_cli.server.config import Settings

# Set by api/access_log.py for the length of one request (threads the request runs in copy it).
current_request_id: ContextVar[str | None] = ContextVar("jiedan_request_id", default=None)

# The attributes every LogRecord has: whatever else a record carries came from `extra=`.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
# uvicorn's own extra: its message again, with terminal colours.
_NOISE = frozenset({"color_message"})


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {
        key: value
        for key, value in record.__dict__.items()
        if key not in _STANDARD and key not in _NOISE and value is not None
    }


class RequestIdFilter(logging.Filter):
    """Gives a record logged during a request that request's id (unless it has one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ts, level, logger, message, pid, then the record's extra
    fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,  # which worker, when there are several
        }
        for key, value in extra_fields(record).items():
            line.setdefault(key, value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`time level logger message key=value …` for a person at a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = extra_fields(record)
        if not fields:
            return text
        head, newline, rest = text.partition("\n")  # a traceback stays below the fields
        pairs = " ".join(f"{key}={value}" for key, value in fields.items())
        return f"{head} {pairs}{newline}{rest}"


def log_format(settings: Settings) -> str:
    """`text` or `json`; `auto` (the default) is text for a person at a terminal, JSON lines
    for a log collector (stderr a pipe, a file, the journal)."""
    chosen = settings.log_format.strip().lower()
    if chosen == "auto":
        return "text" if sys.stderr.isatty() else "json"
    return "text" if chosen == "text" else "json"


def log_config(settings: Settings) -> dict[str, Any]:
    """uvicorn's `log_config`: ours and uvicorn's loggers through one handler on stderr.
    uvicorn's access logger gets no handler: api/access_log.py logs each request."""
    level = settings.log_level.upper()
    formatter = log_format(settings)
    quiet = {"handlers": [], "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"json": {"()": JsonFormatter}, "text": {"()": TextFormatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": formatter,
                "filters": ["request_id"],
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": quiet,
            "jiedan": {"handlers": ["stderr"], "level": level, "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
    }
