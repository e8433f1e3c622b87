"""The new-order dialog of Client mode: the fields of `jiedan client post`, each checked as it
is typed by the rule store.actions.post_order applies, and the budget's order checked on
submit."""

from __future__ import annotations

from datetime import UTC, date, datetime

from jiedan_cli.tui.widgets.form_modal import Field, FormModal, Values


def new_order_dialog() -> FormModal:
    """Answers {title, description, category, tags, budget_min_fen, budget_max_fen, deadline}."""
    return FormModal(
        "New order",
        _order_fields(),
        submit_label="Post",
        hint="Saved at once; freelancers can bid once it syncs.",
        check_all=_budget_in_order,
    )


def _order_fields() -> list[Field]:
    """The fields of `jiedan client post`, each checked by the rule post_order applies."""
    from jiedan_cli.domain.categories import CATEGORIES
    from jiedan_cli.domain.money import parse_yuan
    from jiedan_cli.domain.order_rules import check_description, check_tags, check_title, split_tags

    return [
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
    return values
