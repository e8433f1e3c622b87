"""Distances on the earth, for local services within a radius (家政, 维修 …)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from jiedan_cli.domain.errors import InvalidInput

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)
KM_PER_DEGREE_LAT = math.pi * EARTH_RADIUS_KM / 180


def parse_lat_lon(text: str, *, field: str = "--near") -> tuple[float, float]:
    """'31.23,121.47' → (31.23, 121.47); InvalidInput naming `field` otherwise."""
    parts = text.replace(" ", "").replace("，", ",").split(",")
    try:
        lat, lon = (float(p) for p in parts)
    except ValueError:
        raise InvalidInput(
            f"{field}: expected LAT,LON (e.g. 31.23,121.47), got {text!r}", field=field
        ) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInput(f"{field}: {text!r} is not a place on Earth", field=field)
    return lat, lon


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class BoundingBox:
    """Every point within a radius lies inside this box; `min_lon`/`max_lon` are None when
    the box spans every longitude (near a pole) or crosses the antimeridian."""

    min_lat: float
    max_lat: float
    min_lon: float | None
    max_lon: float | None


def bounding_box(lat: float, lon: float, radius_km: float) -> BoundingBox:
    """A cheap prefilter (an index can serve it); the exact test is `haversine_km`."""
    d_lat = radius_km / KM_PER_DEGREE_LAT
    min_lat, max_lat = max(lat - d_lat, -90.0), min(lat + d_lat, 90.0)
    if min_lat <= -90.0 or max_lat >= 90.0:
        return BoundingBox(min_lat, max_lat, None, None)
    # The widest longitude span is at the box's latitude farthest from the equator.
    widest = max(abs(min_lat), abs(max_lat))
    d_lon = radius_km / (KM_PER_DEGREE_LAT * math.cos(math.radians(widest)))
    if d_lon >= 180.0 or lon - d_lon < -180.0 or lon + d_lon > 180.0:
        return BoundingBox(min_lat, max_lat, None, None)
    return BoundingBox(min_lat, max_lat, lon - d_lon, lon + d_lon)
