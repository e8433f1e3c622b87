from __future__ import annotations

import pytest

from jiedan_cli.domain.cities import CITIES, city_centre
from jiedan_cli.domain.errors import InvalidInput
from jiedan_cli.domain.geo import haversine_km
from jiedan_cli.server.seed_data import CITIES as SEEDED


@pytest.mark.parametrize("name", ["上海", "上海市", "Shanghai", " SHANGHAI ", "shanghai city"])
def test_a_city_is_named_in_chinese_or_pinyin(name: str) -> None:
    assert city_centre(name) == ("上海", 31.2304, 121.4737)


def test_traditional_names_and_apostrophes() -> None:
    assert city_centre("臺北")[0] == "台北"
    assert city_centre("Xi'an")[0] == "西安"


@pytest.mark.parametrize("name", ["", "atlantis", "上", "市"])
def test_an_unknown_city_names_the_known_ones(name: str) -> None:
    with pytest.raises(InvalidInput, match=r"--city: unknown city .*known: 北京、上海"):
        city_centre(name)


def test_every_city_the_seed_places_orders_in_is_known_where_it_puts_them() -> None:
    for name, lat, lon, _districts in SEEDED:
        assert haversine_km(*CITIES[name][:2], lat, lon) < 1, name
