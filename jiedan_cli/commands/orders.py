"""`jiedan orders list|search|show|recommend`: the marketplace as the local replica holds it.

No network, and nothing heavy imported (performance.md P1/P2): typer, our small store
modules and the standard library only (tests/cli/test_import_hygiene.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from jiedan_cli.commands.common import (
    ORDER_COLUMNS,
    ColdCommand,
    ColdGroup,
    JsonOption,
    current_user_id,
    full_id,
    hint_if_empty,
    lat_lon,
    no_orders_hint,
    optional_yuan,
    replica,
    require_found,
    show,
    whole_number,
    with_names,
)
from jiedan_cli.domain.categories import choices_text
from jiedan_cli.domain.errors import InvalidInput, Unauthenticated

app = typer.Typer(
    cls=ColdGroup,
    help="Browse orders in the local replica (run `jiedan sync` to refresh).",
    no_args_is_help=True,
    add_completion=False,
)

LimitOption = Annotated[
    int,
    typer.Option(
        "--limit", parser=whole_number("limit", 1, 10_000), metavar="N", help="At most N orders."
    ),
]

SEARCH_COLUMNS = [("score", "Score"), ("matched", "Matched")]

ORDER_FIELDS = [
    ("id", "ID"),
    ("title", "Title"),
    ("status", "Status"),
    ("category", "Category"),
    ("tags", "Tags"),
    ("budget", "Budget ¥"),
    ("deadline", "Deadline"),
    ("bid_count", "Bids"),
    ("client", "Client"),
    ("awarded_bid_id", "Awarded bid"),
    ("created_at", "Posted"),
    ("sync_state", "Sync"),
    ("description", "Description"),
    ("my_bid", "My bid"),
]


@app.command("list", cls=ColdCommand)
def list_orders(
    status: Annotated[
        str | None, typer.Option("--status", help="open (default), awarded, … or all.")
    ] = None,
    category: Annotated[
        str | None,
        typer.Option("--category", help=f"{choices_text()}; the Chinese name works too."),
    ] = None,
    tag: Annotated[str | None, typer.Option("--tag")] = None,
    budget_min: Annotated[
        str | None, typer.Option("--budget-min", help="Yuan: budgets reaching at least this.")
    ] = None,
    budget_max: Annotated[
        str | None, typer.Option("--budget-max", help="Yuan: budgets starting at most this.")
    ] = None,
    near: Annotated[str | None, typer.Option("--near", help="LAT,LON")] = None,
    city: Annotated[
        str | None, typer.Option("--city", help="Near a city's centre: 上海, shanghai …")
    ] = None,
    radius_km: Annotated[
        float | None,
        typer.Option(
            "--radius-km", "--radius", min=0.1, max=20_000, help="Km, with --near or --city."
        ),
    ] = None,
    mine: Annotated[
        bool, typer.Option("--mine", help="Orders I posted, work on or bid on.")
    ] = False,
    limit: LimitOption = 50,
    as_json: JsonOption = False,
) -> None:
    """Orders, newest first (open ones unless --status)."""
    from jiedan_cli.store.queries import list_orders as query_orders

    low = optional_yuan(budget_min, field="--budget-min")
    high = optional_yuan(budget_max, field="--budget-max")
    place = _place(near, city, radius_km)
    with replica() as conn:
        me = current_user_id(conn) if mine else None
        if mine and me is None:
            raise Unauthenticated("--mine: not signed in: run `jiedan auth login` first")
        found = query_orders(
            conn,
            status=status,
            category=category,
            tag=tag,
            budget_min_fen=low,
            budget_max_fen=high,
            near=place,
            radius_km=radius_km,
            mine_user_id=me,
            limit=limit,
        )
        hint_if_empty(found, no_orders_hint(conn))
    show(found, as_json=as_json, columns=ORDER_COLUMNS)


def _place(
    near: str | None, city: str | None, radius_km: float | None
) -> tuple[float, float] | None:
    """The (lat, lon) of --near or --city; a usage error for both, or a radius alone."""
    if near is not None and city is not None:
        raise InvalidInput("--near and --city: give one of them")
    if city is not None:
        from jiedan_cli.domain.cities import city_centre

        _name, lat, lon = city_centre(city)
        return lat, lon
    if radius_km is not None and near is None:
        raise InvalidInput("--radius-km needs --near LAT,LON or --city NAME")
    return lat_lon(near) if near is not None else None


@app.command(cls=ColdCommand)
def categories(as_json: JsonOption = False) -> None:
    """The categories --category takes: the name, the Chinese label and other names."""
    from jiedan_cli.domain.categories import CATEGORIES, other_names

    rows = [
        {"category": slug, "label": label, "also": other_names(slug)}
        for slug, label in CATEGORIES.items()
    ]
    if not as_json:
        rows = [{**row, "also": "、".join(row["also"])} for row in rows]
    show(
        rows,
        as_json=as_json,
        columns=[("category", "Category"), ("label", "中文"), ("also", "Also")],
    )


@app.command(cls=ColdCommand)
def search(
    query: Annotated[str, typer.Argument(help="Words, Chinese or English; all must match.")],
    status: Annotated[
        str | None, typer.Option("--status", help="open (default), awarded, … or all.")
    ] = None,
    limit: LimitOption = 50,
    as_json: JsonOption = False,
) -> None:
    """Full-text search, best match first: synonyms (企业网站 finds 网站建设), traditional or
    simplified, Latin words spelled loosely (logoo); title matches count most."""
    from jiedan_cli.store.queries import search_orders

    if not query.strip():
        raise InvalidInput("give words to search for (`jiedan orders list` lists all)")
    with replica() as conn:
        found = search_orders(conn, query, limit, status=status)
        hint_if_empty(found, no_orders_hint(conn).replace("these filters", "this search"))
    show(found, as_json=as_json, columns=[*ORDER_COLUMNS, *SEARCH_COLUMNS])


@app.command("show", cls=ColdCommand)
def show_order(order_id: str, as_json: JsonOption = False) -> None:
    """One order, with my bid on it."""
    from jiedan_cli.store.queries import get_order

    with replica() as conn:
        order_id = full_id(conn, "order", order_id)
        order = require_found(
            get_order(conn, order_id),
            f"no order {order_id} in the local replica (run `jiedan sync`?)",
        )
        if not as_json:  # the client by name; the JSON keeps the id
            order = with_names(conn, [order], {"client_id": "client"}, fetch=True)[0]
    show(order, as_json=as_json, columns=ORDER_FIELDS)


@app.command()
def recommend(limit: LimitOption = 20, as_json: JsonOption = False) -> None:
    """Open orders ranked for you (skills, history, location), each with its reasons."""
    from jiedan_cli.store.recommend import recommend_orders

    with replica() as conn:
        found = recommend_orders(conn, limit=limit)
        hint_if_empty(found, no_orders_hint(conn).replace("match these filters", "to recommend"))
    if as_json:
        show(found, as_json=True)
        return
    rows = [{**order, "why": "; ".join(order["reasons"])} for order in found]
    columns = [("score", "Score"), ("id", "ID"), ("title", "Title"), ("why", "Why")]
    show(rows, as_json=False, columns=columns)
