"""The dialogs of the work on an order — deliver, review, dispute — as FormModals whose
fields are checked by the domain's own rules, and the deliver call their answers run (a
review or a dispute is one store.actions call as it stands)."""

from __future__ import annotations

import shlex
import sqlite3
from pathlib import Path
from typing import Any

from jiedan_cli.domain import order_rules
from jiedan_cli.domain.errors import InvalidInput
from jiedan_cli.tui.widgets.form_modal import Field, FormModal, Values


def deliver_dialog(title: str) -> FormModal:
    """Answers {"note": str, "files": [Path]}: files as `jiedan deliver --file` takes them."""
    fields = [
        Field("note", "Note", "What you deliver", required=True, check=order_rules.check_note),
        Field("files", "Files", "paths, space-separated (optional)", check=file_paths),
    ]
    hint = (
        f"Deliver “{title}”: files are recorded by name, size and SHA-256;"
        " the client is asked to accept."
    )
    return FormModal("Deliver", fields, submit_label="Deliver", hint=hint)


def file_paths(text: str) -> list[Path]:
    """Space-separated paths (quoted when they hold spaces), each an existing file. Reading
    them (size, SHA-256) waits for the submit: a check runs at every key."""
    try:
        paths = [Path(part).expanduser() for part in shlex.split(text)]
    except ValueError as exc:
        raise InvalidInput(f"files: {exc}", field="files") from None
    for path in paths:
        if not path.is_file():
            raise InvalidInput(f"files: {path} is not a readable file", field="files")
    return paths


def deliver(
    conn: sqlite3.Connection, *, order_id: str, note: str, paths: list[Path]
) -> dict[str, Any]:
    """store.actions.deliver with each file described as `jiedan deliver` describes it (its
    content is uploaded by the background sync once the delivery is taken)."""
    from jiedan_cli.store import actions
    from jiedan_cli.store.deliverables import delivered_file

    files = [delivered_file(path, label="files") for path in paths]
    return actions.deliver(conn, order_id=order_id, note=note, files=files)


def review_dialog(title: str, whom: str) -> FormModal:
    """Answers {"stars": int, "text": str}, checked as store.actions.write_review checks."""
    fields = [
        Field("stars", "Stars", "1 to 5", required=True, check=stars),
        Field("text", "Review", f"A few words about {whom} (optional)", check=review_text),
    ]
    hint = f"Review {whom} of “{title}”: once, and hidden until you have both written yours."
    return FormModal("Review", fields, submit_label="Review", hint=hint, check_all=_review)


def stars(text: str) -> int:
    try:
        number = int(text.strip())
    except ValueError:
        number = 0  # not a whole number: the domain's rule says what it must be
    return order_rules.check_review(number, "")[0]


def review_text(text: str) -> str:
    return order_rules.check_text(text, field="text", max_len=order_rules.REVIEW_TEXT_MAX)


def _review(values: Values) -> Values:
    checked_stars, checked_text = order_rules.check_review(values["stars"], values["text"])
    return {"stars": checked_stars, "text": checked_text}


def dispute_dialog(title: str) -> FormModal:
    """Answers {"reason": str}, checked as store.actions.open_dispute checks."""
    fields = [
        Field(
            "reason",
            "Reason",
            "What went wrong",
            required=True,
            check=lambda text: order_rules.check_note(text, field="reason"),
        )
    ]
    hint = (
        f"Open a dispute over “{title}”: the escrowed money stays held until staff decide"
        " how to split it."
    )
    return FormModal("Open a dispute", fields, submit_label="Open dispute", hint=hint)
