"""The near-filter's geometry: the SQL bounding box never drops a point inside the circle."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiedan_cli.domain.categories import CATEGORIES, check_category
from jiedan_cli.domain.errors import InvalidInput
from jiedan_cli.domain.geo import EARTH_RADIUS_KM, bounding_box, haversine_km


def destination(lat: float, lon: float, bearing_deg: float, km: float) -> tuple[float, float]:
    """The point `km` away from (lat, lon) along `bearing_deg` (great circle)."""
    phi, lam, theta = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    delta = km / EARTH_RADIUS_KM
    phi2 = math.asin(
        math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(theta)
    )
    lam2 = lam + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi),
        math.cos(delta) - math.sin(phi) * math.sin(phi2),
    )
    lon2 = (math.degrees(lam2) + 540) % 360 - 180
    return math.degrees(phi2), lon2


def test_known_distances() -> None:
    assert haversine_km(31.2304, 121.4737, 39.9042, 116.4074) == pytest.approx(1067, abs=3)
    assert haversine_km(0, 0, 0, 1) == pytest.approx(111.2, abs=0.1)
    assert haversine_km(10, 20, 10, 20) == 0


@given(
    lat=st.floats(-89, 89),
    lon=st.floats(-180, 180),
    radius=st.floats(0.1, 1_000),
    bearing=st.floats(0, 360),
    fraction=st.floats(0, 0.999),
)
def test_every_point_within_the_radius_is_inside_the_box(
    lat: float, lon: float, radius: float, bearing: float, fraction: float
) -> None:
    point_lat, point_lon = destination(lat, lon, bearing, radius * fraction)
    assert haversine_km(lat, lon, point_lat, point_lon) <= radius + 1e-6
    box = bounding_box(lat, lon, radius)
    assert box.min_lat <= point_lat <= box.max_lat
    if box.min_lon is not None and box.max_lon is not None:
        assert box.min_lon <= point_lon <= box.max_lon


def test_categories_have_chinese_labels_and_unknown_ones_are_refused() -> None:
    assert CATEGORIES["housekeeping"] == "家政"
    assert check_category("repair") == "repair"
    with pytest.raises(InvalidInput, match="category"):
        check_category("cooking")
