"""Orders: anyone lists and reads open orders; a client posts, edits, cancels and awards."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Response
from pydantic import BaseModel, Field, TypeAdapter
from starlette.concurrency import run_in_threadpool

from jiedan_cli.domain.intents import Intent
from jiedan_cli.domain.money import MAX_AMOUNT_FEN
from jiedan_cli.domain.order_rules import RADIUS_KM_MAX, TAG_MAX
from jiedan_cli.domain.states import OrderStatus
from jiedan_cli.server.api.bids import BidOut
from jiedan_cli.server.api.deps import Ctx, authed_ctx, optional_ctx
from jiedan_cli.server.api.holds import HELD
from jiedan_cli.server.services import orders
from jiedan_cli.server.services.arguments import (
    CATEGORY_HELP,
    AwardArgs,
    AwardBody,
    CancelBody,
    CancelOrderArgs,
    EditOrderArgs,
    OrderBody,
    OrderPatch,
    PostOrderArgs,
)

Responses = dict[int | str, dict[str, Any]]

router = APIRouter(prefix="/v1", tags=["orders"])

UNAUTHORIZED: Responses = {401: {"description": "Not signed in"}}
INVALID: Responses = {422: {"description": "Invalid request"}}
NOT_FOUND: Responses = {404: {"description": "No such order (or not visible to the caller)"}}
REFUSED: Responses = {
    403: {"description": "The caller lacks the client role"},
    409: {"description": "Not allowed in the order's state"},
}
StatusFilter = Literal[
    "open", "awarded", "in_progress", "delivered", "completed", "cancelled", "disputed", "all"
]


class LocationOut(BaseModel):
    lat: float
    lon: float
    radius_km: float


class OrderOut(BaseModel):
    id: str
    title: str
    description: str
    category: str
    tags: list[str]
    budget_min_fen: int
    budget_max_fen: int
    currency: str
    status: OrderStatus
    client_id: str
    created_at: str
    updated_at: str
    deadline: str | None = Field(description="YYYY-MM-DD")
    bid_count: int = Field(description="live bids (submitted or awarded)")
    awarded_bid_id: str | None
    freelancer_id: str | None
    location: LocationOut | None
    my_bid: BidOut | None = Field(description="the caller's live bid on this order")
    closed_to_me: bool = Field(
        default=False, description="the caller bid and lost: the order as at the award"
    )


class OrderPage(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page")


ORDER_PAGE = TypeAdapter(OrderPage)


@router.get("/orders", response_model=OrderPage, responses={**UNAUTHORIZED, **INVALID})
async def list_orders(
    ctx: Ctx = Depends(optional_ctx),
    status: StatusFilter = "open",
    category: str | None = Query(default=None, max_length=50, description=CATEGORY_HELP),
    tag: str | None = Query(default=None, min_length=1, max_length=TAG_MAX),
    budget_min_fen: int | None = Query(default=None, ge=0, le=MAX_AMOUNT_FEN),
    budget_max_fen: int | None = Query(default=None, ge=0, le=MAX_AMOUNT_FEN),
    lat: float | None = Query(default=None, ge=-90, le=90),
    lon: float | None = Query(default=None, ge=-180, le=180),
    radius_km: float | None = Query(default=None, gt=0, le=RADIUS_KM_MAX),
    mine: bool = Query(default=False, description="orders I posted, bid on or was awarded"),
    limit: int = Query(default=20, ge=1, le=100),
    cursor: str | None = Query(default=None, max_length=500),
) -> Response:
    """Newest first; anonymous callers see open orders. `status=all` lists every status
    the caller may see; `lat`, `lon` and `radius_km` go together."""
    filters = {
        "status": status,
        "category": category,
        "tag": tag,
        "budget_min_fen": budget_min_fen,
        "budget_max_fen": budget_max_fen,
        "lat": lat,
        "lon": lon,
        "radius_km": radius_km,
        "mine": mine,
        "limit": limit,
        "cursor": cursor,
    }
    # The busiest read of the API (P5 in performance.md): a page the same caller asked for
    # since the last commit is served as it was rendered, without a thread or a query.
    pages: PageCache = ctx.request.app.state.order_pages
    key = (ctx.actor.id if ctx.actor else None, *filters.values())
    version = ctx.db.data_version()
    found = pages.get(key, version)
    if found is not None:
        return Response(found.body, media_type="application/json")
    page = await run_in_threadpool(_render_orders, ctx, filters, version)
    pages.put(key, page)
    return Response(page.body, media_type="application/json")


def _render_orders(ctx: Ctx, filters: dict[str, Any], version: int | None) -> Page:
    viewer = ctx.actor
    with ctx.db.read() as conn:
        if viewer is None or filters["mine"] or filters["status"] != OrderStatus.OPEN:
            return Page.of(orders.list_orders(conn, viewer, **filters), version)
        # Open orders look the same to everyone but for `my_bid`: take the anonymous page
        # (rendered already, as a rule) and merge in the viewer's own bids.
        pages: PageCache = ctx.request.app.state.order_pages
        anonymous_key = (None, *filters.values())
        public = pages.get(anonymous_key, version)
        if public is None:
            public = Page.of(orders.list_orders(conn, None, **filters), version)
            pages.put(anonymous_key, public)
        items = public.content["items"]
        mine = orders.live_bid_views(conn, viewer, [item["id"] for item in items])
    if not mine:
        return public
    merged = [{**item, "my_bid": mine.get(item["id"])} for item in items]
    return Page.of({**public.content, "items": merged}, version)


@dataclass(frozen=True)
class Page:
    """One GET /v1/orders answer, as content and as rendered JSON, with the database's data
    version (Database.data_version) it was read under; None: not to be kept."""

    content: dict[str, Any]
    body: bytes
    version: int | None

    @classmethod
    def of(cls, content: dict[str, Any], version: int | None) -> Page:
        body = ORDER_PAGE.dump_json(ORDER_PAGE.validate_python(content))
        return cls(content, body, version)


class PageCache:
    """Pages served only while the database's data version is the one they were read under:
    any commit, by anyone, retires them all. The version is taken before the read, so a page
    never outlives a change it did not see. Bounded: when full it starts afresh."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._pages: dict[Hashable, Page] = {}

    def get(self, key: Hashable, version: int | None) -> Page | None:
        found = self._pages.get(key)
        if found is None or version is None or found.version != version:
            return None
        return found

    def put(self, key: Hashable, page: Page) -> None:
        if page.version is None:
            return
        if len(self._pages) >= self.size:
            self._pages.clear()
        self._pages[key] = page


@router.post(
    "/orders",
    status_code=201,
    response_model=OrderOut,
    responses={**HELD, **UNAUTHORIZED, **REFUSED, **INVALID},
)
def post_order(body: OrderBody, ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    return ctx.perform(Intent.POST_ORDER, PostOrderArgs.from_request({}, body))


@router.get("/orders/{order_id}", response_model=OrderOut, responses={**NOT_FOUND})
def get_order(order_id: str, ctx: Ctx = Depends(optional_ctx)) -> dict[str, Any]:
    with ctx.db.read() as conn:
        return orders.get_order(conn, ctx.actor, order_id)


class BidSuggestionOut(BaseModel):
    order_id: str
    low_fen: int
    median_fen: int
    high_fen: int
    basis_count: int = Field(description="accepted bids it stands on; 0: the client's budget")
    currency: str
    explanation: str


@router.get(
    "/orders/{order_id}/bid-suggestion",
    response_model=BidSuggestionOut,
    responses={**UNAUTHORIZED, **NOT_FOUND},
)
def bid_suggestion(order_id: str, ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    """What clients accepted on similar orders over the last year (智能定价)."""
    from jiedan_cli.server.services.pricing import suggest_bid

    with ctx.db.read() as conn:
        return suggest_bid(conn, ctx.user, order_id, now=ctx.now())


@router.patch(
    "/orders/{order_id}",
    response_model=OrderOut,
    responses={**UNAUTHORIZED, **NOT_FOUND, **REFUSED, **INVALID},
)
def edit_order(order_id: str, body: OrderPatch, ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    args = EditOrderArgs.from_request({"order_id": order_id}, body)
    return ctx.perform(Intent.EDIT_ORDER, args)


@router.post(
    "/orders/{order_id}/cancel",
    response_model=OrderOut,
    responses={**UNAUTHORIZED, **NOT_FOUND, **REFUSED, **INVALID},
)
def cancel_order(
    order_id: str, body: CancelBody | None = Body(default=None), ctx: Ctx = Depends(authed_ctx)
) -> dict[str, Any]:
    args = CancelOrderArgs.from_request({"order_id": order_id}, body)
    return ctx.perform(Intent.CANCEL_ORDER, args)


@router.post(
    "/orders/{order_id}/award",
    response_model=OrderOut,
    responses={**HELD, **UNAUTHORIZED, **NOT_FOUND, **REFUSED, **INVALID},
)
def award_bid(order_id: str, body: AwardBody, ctx: Ctx = Depends(authed_ctx)) -> dict[str, Any]:
    """The order becomes `awarded`, that bid `awarded`, every other bid `declined`, and a
    milestone for the whole amount is created. Of concurrent awards exactly one wins."""
    return ctx.perform(Intent.AWARD_BID, AwardArgs.from_request({"order_id": order_id}, body))
