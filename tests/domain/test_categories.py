"""What people type for a category: the slug, the Chinese label, the seed's group names and
synonyms, any case, full-width; anything else refused naming the choices."""

from __future__ import annotations

import pytest

from jiedan_cli.domain.categories import check_category
from jiedan_cli.domain.errors import InvalidInput


@pytest.mark.parametrize(
    ("typed", "slug"),
    [
        ("design", "design"),
        ("设计", "design"),
        ("DESIGN", "design"),
        ("ｄｅｓｉｇｎ", "design"),
        ("设计创意类", "design"),
        ("网站建设", "development"),
        ("小程序", "development"),
        ("维修保养", "repair"),
        (" 翻译 ", "translation"),
    ],
)
def test_a_category_is_read_from_its_slug_label_or_synonym(typed: str, slug: str) -> None:
    assert check_category(typed) == slug


@pytest.mark.parametrize("typed", ["desgin", "写作翻译", "", "bogus"])
def test_an_unknown_category_names_the_choices(typed: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_category(typed)
    assert "choose from design (设计)" in caught.value.message
