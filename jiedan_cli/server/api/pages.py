"""The query parameters and the header of every paged list route (services/pages.py): the
list as before, `limit` (at most a documented maximum) and `after` (a page's cursor), and
the next page's cursor in the `X-Next-Cursor` header while more rows follow."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Query, Response

from jiedan_cli.server.services.pages import (
    CURSOR_MAX,
    PAGE_DEFAULT,
    PAGE_MAX,
    Page,
    PageRequest,
)

NEXT_CURSOR = "X-Next-Cursor"

# `responses=` of a paged route: its 200 documents the header.
PAGED: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "One page, in the list's order",
        "headers": {
            NEXT_CURSOR: {
                "description": "present while more follow: the `after` of the next page",
                "schema": {"type": "string"},
            }
        },
    }
}


def page_params(maximum: int = PAGE_MAX, default: int = PAGE_DEFAULT) -> Callable[..., PageRequest]:
    """A dependency reading `limit` (1…maximum, else 422) and `after`."""

    def params(
        limit: int = Query(default=default, ge=1, le=maximum, description=f"at most {maximum}"),
        after: str | None = Query(
            default=None,
            min_length=1,
            max_length=CURSOR_MAX,
            description=f"the {NEXT_CURSOR} of the page before",
        ),
    ) -> PageRequest:
        return PageRequest(limit, after)

    return params


def send_page(response: Response, page: Page) -> list[dict[str, Any]]:
    """The page's items for the body; its cursor, if any, in the header."""
    if page.next_cursor is not None:
        response.headers[NEXT_CURSOR] = page.next_cursor
    return page.items
