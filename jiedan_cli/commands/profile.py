"""`jiedan profile show [USER_ID]|set …`: public profiles (skills, rating, rate, portfolio).

The signed-in user's own profile is read from the local replica when it has been pulled;
another user's comes from the server (GET /v1/profiles/{id}). `set` is online-only
(PATCH /v1/me/profile), then syncs so the replica holds the new profile."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from jiedan_cli.commands.common import JsonOption, current_user_id, lat_lon, replica, yuan
from jiedan_cli.domain.errors import InvalidInput, Unauthenticated
from jiedan_cli.render import Column, output

app = typer.Typer(
    help="Your public profile, and others'.", no_args_is_help=True, add_completion=False
)

PROFILE_COLUMNS: list[Column] = [
    ("user_id", "User"),
    ("name", "Name"),
    ("skills", "Skills"),
    ("city", "City"),
    ("hourly_rate", "Rate ¥/h"),
    ("stars", "Rating"),
    ("completed_count", "Completed"),
    ("bio", "Bio"),
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
    target = user_id or me
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
