"""`client post --from-text`: the order's terms from a request in the person's own words
(domain/requirements.structure, 需求结构化), the options given as well winning over the draft;
the draft shown on stderr and confirmed on a terminal, or posted at once with --yes. Without
a terminal to ask on and without --yes, nothing is posted (exit 2): a script says --yes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

import typer

from jiedan_cli.domain.dispute_warnings import DisputeWarning
from jiedan_cli.domain.errors import InvalidInput
from jiedan_cli.render import say

# The options `client post` needs when no --from-text supplies them, as cli.md names them.
REQUIRED = {
    "title": "--title",
    "category": "--category",
    "budget_min_fen": "--budget-min",
    "budget_max_fen": "--budget-max",
}


@dataclass(frozen=True)
class OrderTerms:
    """What `client post` posts; None where neither an option nor the draft says."""

    title: str | None = None
    description: str | None = None
    category: str | None = None
    tags: list[str] | None = None
    budget_min_fen: int | None = None
    budget_max_fen: int | None = None
    deadline: str | None = None

    def as_args(self) -> dict[str, Any]:
        """The keyword arguments of store.actions.post_order."""
        args = asdict(self)
        args["description"] = self.description or ""
        args["tags"] = self.tags or []
        return args


def required_terms(given: OrderTerms) -> OrderTerms:
    """`given`, or a usage error naming the first option missing (exit 2)."""
    for field, option in REQUIRED.items():
        if getattr(given, field) is None:
            raise InvalidInput(f"missing option {option} (or describe the order: --from-text)")
    return given


def from_draft(
    text: str,
    given: OrderTerms,
    *,
    yes: bool,
    caution: Callable[[OrderTerms], list[DisputeWarning]],
) -> tuple[OrderTerms, list[DisputeWarning]]:
    """The draft `text` gives, under the options `given`; shown with the dispute-risk
    warnings `caution` finds (on stderr), then confirmed (or --yes); and those warnings."""
    from jiedan_cli.domain.requirements import structure

    if not text.strip():
        raise InvalidInput("--from-text: describe what you need")
    draft = structure(text, today=date.today())  # the person's today, as they wrote it
    proposed = OrderTerms(
        title=draft.title,
        description=draft.description,
        category=draft.category,
        tags=draft.tags,
        budget_min_fen=draft.budget_min_fen,
        budget_max_fen=draft.budget_max_fen,
        deadline=draft.deadline.isoformat() if draft.deadline else None,
    )
    terms = replace(proposed, **{k: v for k, v in asdict(given).items() if v is not None})
    if not yes and not sys.stdin.isatty():
        raise InvalidInput("--from-text: no terminal to confirm the draft on; add --yes to post it")
    complete = terms.budget_min_fen is not None and terms.budget_max_fen is not None
    warnings = caution(terms) if complete else []
    _show(terms, styles=draft.styles, questions=[q.ask for q in draft.questions])
    if warnings:
        say("risks (纠纷预警):\n" + "\n".join(f"  ! {found.reason}" for found in warnings))
    if not complete:
        raise InvalidInput(
            "--from-text: the text names no budget; add it (预算800, 500-1000元)"
            " or give --budget-min and --budget-max"
        )
    if not yes and not _confirmed("post this order? [Y/n] "):
        say("not posted")
        raise typer.Exit(0)
    return terms, warnings


def _confirmed(question: str) -> bool:
    """A yes/no asked on stderr and read from the terminal; stdout stays data (click's confirm
    writes a space to stdout)."""
    sys.stderr.write(question)
    sys.stderr.flush()
    line = sys.stdin.readline()
    if not line:  # the terminal closed: no answer is not a yes
        return False
    return line.strip().casefold() in ("", "y", "yes", "是", "好")


def _show(terms: OrderTerms, *, styles: list[str], questions: list[str]) -> None:
    from jiedan_cli.domain.categories import label_for
    from jiedan_cli.domain.money import format_yuan

    low, high = terms.budget_min_fen, terms.budget_max_fen
    budget = "—" if low is None or high is None else f"¥{format_yuan(low)}–{format_yuan(high)}"
    lines = [
        "draft order (需求草稿):",
        f"  title      {terms.title}",
        f"  category   {terms.category} ({label_for(terms.category or '')})",
        f"  tags       {', '.join(terms.tags or []) or '—'}",
        f"  budget     {budget}",
        f"  deadline   {terms.deadline or '—'}",
    ]
    if styles:
        lines.append(f"  style      {', '.join(styles)}")
    if questions:
        lines.append("freelancers will likely ask (answering in the text saves a round trip):")
        lines.extend(f"  - {question}" for question in questions)
    say("\n".join(lines))
