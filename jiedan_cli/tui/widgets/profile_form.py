"""Your public profile as a dialog (skills, bio, city, hourly rate, where you are): each field
checked as typed by the rules `jiedan profile set` uses; only what changed is sent."""

from __future__ import annotations

from typing import Any

from jiedan_cli.domain.geo import parse_lat_lon
from jiedan_cli.domain.money import format_yuan, parse_yuan
from jiedan_cli.domain.order_rules import split_tags
from jiedan_cli.tui.widgets.form_modal import Field, FormModal, Values


def _rate(text: str) -> int | None:
    return parse_yuan(text, field="hourly rate") if text.strip() else None


def _place(text: str) -> tuple[float, float] | None:
    return parse_lat_lon(text, field="location") if text.strip() else None


def profile_form(profile: dict[str, Any]) -> FormModal:
    rate = profile.get("hourly_rate_fen")
    place = (profile.get("lat"), profile.get("lon"))
    fields = [
        Field("skills", "Skills", "e.g. 品牌设计, UI", ", ".join(profile.get("skills") or [])),
        Field("bio", "About you", "a few lines clients read", profile.get("bio") or ""),
        Field("city", "City", "e.g. 上海", profile.get("city") or ""),
        Field(
            "hourly_rate_fen",
            "Rate ¥/hour",
            "e.g. 200",
            format_yuan(rate) if isinstance(rate, int) else "",
            _rate,
        ),
        Field(
            "location",
            "Location",
            "LAT,LON — shown to you only; the board's distances",
            f"{place[0]},{place[1]}" if None not in place else "",
            _place,
        ),
    ]
    return FormModal(
        "My profile",
        fields,
        submit_label="Save",
        hint="Saved on the server (needs the network); clients see all but your location.",
    )


def profile_changes(before: dict[str, Any], values: Values) -> dict[str, Any]:
    """What PATCH /v1/me/profile should change: the fields that differ from `before`."""
    wanted: dict[str, Any] = {
        "skills": split_tags([values["skills"]]),
        "bio": values["bio"].strip(),
        "city": values["city"].strip(),
    }
    if values["hourly_rate_fen"] is not None:
        wanted["hourly_rate_fen"] = values["hourly_rate_fen"]
    if values["location"] is not None:
        wanted["lat"], wanted["lon"] = values["location"]
    return {key: value for key, value in wanted.items() if before.get(key) != value}
