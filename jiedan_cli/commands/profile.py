"""`jiedan profile show [USER_ID]|set …|portfolio add|list|remove`: public profiles (skills,
rating, rate, portfolio).

The signed-in user's own profile is read from the local replica when it has been pulled;
another user's comes from the server (GET /v1/profiles/{id}). `set` and portfolio changes are
online-only, then sync so the replica holds the new profile; `portfolio list` reads it."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from jiedan_cli.commands.common import (
    JsonOption,
    current_user_id,
    full_id,
    lat_lon,
    replica,
    yuan,
)
from jiedan_cli.domain.errors import InvalidInput, Unauthenticated
from jiedan_cli.render import Column, output

app = typer.Typer(
    help="Your public profile, and others'.", no_args_is_help=True, add_completion=False
)
portfolio = typer.Typer(
    help="Work you show on your profile; each item public or private.", no_args_is_help=True
)
app.add_typer(portfolio, name="portfolio")

PROFILE_COLUMNS: list[Column] = [
    ("user_id", "User"),
    ("name", "Name"),
    ("skills", "Skills"),
    ("city", "City"),
    ("hourly_rate", "Rate ¥/h"),
    ("stars", "Rating"),
    ("completed_count", "Completed"),
    ("tier_label", "等级"),
    ("badges", "Badges"),
    ("bio", "Bio"),
]


PORTFOLIO_COLUMNS: list[Column] = [
    ("id", "ID"),
    ("title", "Title"),
    ("shown_to", "Shown to"),
    ("url", "Link"),
    ("description", "About it"),
]


def _own_profile(user_id: str) -> dict[str, Any] | None:
    from jiedan_cli.store.queries import get_profile

    with replica() as conn:
        return get_profile(conn, user_id)


def _fetch_profile(user_id: str) -> dict[str, Any]:
    """From the server; with the stored token when there is one (the owner sees more)."""
    from jiedan_cli.sync.profiles import fetch_profile

    with replica() as conn:
        return fetch_profile(conn, user_id)


@app.command("show")
def show_profile(
    user_id: Annotated[str | None, typer.Argument(help="Whose; yours when left out.")] = None,
    as_json: JsonOption = False,
) -> None:
    """A profile: yours from the local replica, another user's from the server."""
    with replica() as conn:
        me = current_user_id(conn)
        target = full_id(conn, "user", user_id) if user_id else me
    if target is None:
        raise Unauthenticated("not signed in: give a USER_ID, or run `jiedan auth login`")
    profile = _own_profile(target) if target == me else None
    _print(profile if profile is not None else _fetch_profile(target), as_json=as_json)


def _print(profile: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        output(profile, as_json=True)
        return
    from jiedan_cli.domain.money import format_yuan

    rating = profile.get("rating") or {}
    rate = profile.get("hourly_rate_fen")
    shown = {
        **profile,
        "hourly_rate": format_yuan(rate) if isinstance(rate, int) else None,
        "stars": f"{rating['average']} ({rating.get('count', 0)})" if rating.get("average") else "",
    }
    output(shown, as_json=False, columns=PROFILE_COLUMNS)


def _skills(text: str) -> list[str]:
    from jiedan_cli.domain.order_rules import split_tags

    return split_tags([text])  # "a, b", "a，b" or "a、b"


@app.command("set")
def set_profile(
    skills: Annotated[str | None, typer.Option("--skills", help="Comma-separated: a,b.")] = None,
    bio: Annotated[str | None, typer.Option("--bio", help="A few lines about you.")] = None,
    city: Annotated[str | None, typer.Option("--city", help="e.g. 上海.")] = None,
    location: Annotated[
        str | None, typer.Option("--location", help="LAT,LON (shown to you only).")
    ] = None,
    hourly_rate: Annotated[str | None, typer.Option("--hourly-rate", help="Yuan.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Change your profile (online only); prints it."""
    from jiedan_cli.sync.profiles import update_my_profile

    changes: dict[str, Any] = {}
    if skills is not None:
        changes["skills"] = _skills(skills)
    if bio is not None:
        changes["bio"] = bio
    if city is not None:
        changes["city"] = city
    if location is not None:
        changes["lat"], changes["lon"] = lat_lon(location, field="--location")
    if hourly_rate is not None:
        changes["hourly_rate_fen"] = yuan(hourly_rate, field="--hourly-rate")
    if not changes:
        raise InvalidInput(
            "give at least one of --skills, --bio, --city, --location, --hourly-rate"
        )
    with replica() as conn:
        profile = update_my_profile(conn, changes)
    _print(profile, as_json=as_json)


@portfolio.command("add")
def add_to_portfolio(
    title: Annotated[str, typer.Option("--title", help="What the work is.")],
    url: Annotated[str | None, typer.Option("--url", help="Where to see it (http(s)://…).")] = None,
    description: Annotated[str, typer.Option("--description", help="A few words.")] = "",
    private: Annotated[
        bool, typer.Option("--private", help="Shown to you only, not on your public profile.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Add a piece of work to your portfolio (online only); prints it."""
    from jiedan_cli.sync.profiles import add_portfolio_item

    with replica() as conn:
        item = add_portfolio_item(
            conn, title=title, url=url, description=description, public=not private
        )
    _print_items([item], as_json=as_json, one=True)


@portfolio.command("list")
def list_portfolio(as_json: JsonOption = False) -> None:
    """Your portfolio, private items too, from the local replica."""
    with replica() as conn:
        me = current_user_id(conn)
    if me is None:
        raise Unauthenticated("not signed in: run `jiedan auth login`")
    profile = _own_profile(me) or {}
    _print_items(list(profile.get("portfolio") or []), as_json=as_json)


@portfolio.command("remove")
def remove_from_portfolio(
    item_id: Annotated[str, typer.Argument(help="The item's id (portfolio list).")],
) -> None:
    """Take an item off your portfolio (online only)."""
    from jiedan_cli.render import say
    from jiedan_cli.sync.profiles import remove_portfolio_item

    with replica() as conn:
        remove_portfolio_item(conn, item_id)
    say(f"removed {item_id} from your portfolio")


def _print_items(items: list[dict[str, Any]], *, as_json: bool, one: bool = False) -> None:
    if as_json:
        output(items[0] if one else items, as_json=True)
        return
    shown = [{**item, "shown_to": "everyone" if item.get("public") else "you"} for item in items]
    output(shown[0] if one else shown, as_json=False, columns=PORTFOLIO_COLUMNS)
