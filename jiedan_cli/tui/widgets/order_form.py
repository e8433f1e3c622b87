"""The new-order dialog of Client mode: the fields of `jiedan client post`, each checked as it
is typed by the rule store.actions.post_order applies, and the budget's order checked on
submit. Its first field, "Describe it", fills the others (Enter) from the draft that
`client post --from-text` makes (domain/requirements.structure), and lists the questions a
freelancer would ask about what the words leave out."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from textual import on
from textual.widgets import Input, Select, Static

from jiedan_cli.tui.formatting import shown
from jiedan_cli.tui.widgets.form_modal import Field, FormModal, Values

DESCRIBE = "describe"


class NewOrderForm(FormModal):
    """The new-order dialog; Enter in "Describe it" fills the form instead of posting."""

    def on_mount(self) -> None:
        super().on_mount()
        self.mount(Static("", id="draft-notes", classes="hint"), after=f"#form-{DESCRIBE}-error")

    @on(Input.Submitted, f"#form-{DESCRIBE}")
    def fill_from_words(self, event: Input.Submitted) -> None:
        event.stop()
        event.prevent_default()  # not the form's submit: the person reads the draft first
        if event.value.strip():
            self.fill(event.value)

    def fill(self, text: str) -> None:
        """Every field the draft of `text` proposes a value for, and its questions below."""
        from jiedan_cli.domain.requirements import structure

        draft = structure(text, today=date.today())
        for name, value in draft_values(draft).items():
            widget = self.query_one(f"#form-{name}")
            if isinstance(widget, Input | Select) and value:
                widget.value = value
        notes = [f"Style: {', '.join(draft.styles)}"] if draft.styles else []
        if draft.questions:
            notes.append("Freelancers will likely ask: " + " ".join(q.ask for q in draft.questions))
        self.query_one("#draft-notes", Static).update(shown("\n".join(notes)))


def draft_values(draft: Any) -> dict[str, str]:
    """The form's text for each field the draft fills ("" where it proposes nothing)."""
    from jiedan_cli.domain.money import format_yuan

    low, high = draft.budget_min_fen, draft.budget_max_fen
    return {
        "title": draft.title,
        "description": draft.description,
        "category": draft.category,
        "tags": ", ".join(draft.tags),
        "budget_min_fen": format_yuan(low) if low is not None else "",
        "budget_max_fen": format_yuan(high) if high is not None else "",
        "deadline": draft.deadline.isoformat() if draft.deadline else "",
    }


def new_order_dialog() -> FormModal:
    """Answers {title, description, category, tags, budget_min_fen, budget_max_fen, deadline}."""
    return NewOrderForm(
        "New order",
        _order_fields(),
        submit_label="Post",
        hint="Saved at once; freelancers can bid once it syncs.",
        check_all=_budget_in_order,
    )


def _order_fields() -> list[Field]:
    """ "Describe it", then the fields of `jiedan client post`, each checked by the rule
    post_order applies."""
    from jiedan_cli.domain.categories import CATEGORIES
    from jiedan_cli.domain.money import parse_yuan
    from jiedan_cli.domain.order_rules import check_description, check_tags, check_title, split_tags

    return [
        Field(DESCRIBE, "Describe it", "e.g. 想要一个清新风格的logo，预算500，下周五前 (Enter)"),
        Field("title", "Title", "What you need, in a line", check=check_title, required=True),
        Field("description", "Description", "The details", check=check_description),
        Field(
            "category",
            "Category",
            choices=[(f"{label} {name}", name) for name, label in CATEGORIES.items()],
        ),
        Field(
            "tags", "Tags", "e.g. 网站, UI设计", check=lambda text: check_tags(split_tags([text]))
        ),
        Field(
            "budget_min_fen",
            "Budget min ¥",
            "e.g. 500",
            check=lambda text: parse_yuan(text, field="budget min"),
            required=True,
        ),
        Field(
            "budget_max_fen",
            "Budget max ¥",
            "e.g. 1200.50",
            check=lambda text: parse_yuan(text, field="budget max"),
            required=True,
        ),
        Field("deadline", "Deadline", "YYYY-MM-DD (optional)", check=_deadline),
    ]


def _deadline(text: str) -> date | None:
    """A deadline not before today, as post_order sees today (UTC)."""
    from jiedan_cli.domain.order_rules import check_deadline

    return check_deadline(text.strip() or None, today=datetime.now(UTC).date())


def _budget_in_order(values: Values) -> Values:
    """A minimum above the maximum is refused under the minimum, in the domain's words."""
    from jiedan_cli.domain.order_rules import check_budget

    check_budget(values["budget_min_fen"], values["budget_max_fen"])
    return {name: value for name, value in values.items() if name != DESCRIBE}
