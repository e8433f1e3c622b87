"""The fixed list of order categories (类目), each with its Chinese label."""

from __future__ import annotations

from jiedan_cli.domain.errors import InvalidInput

CATEGORIES: dict[str, str] = {
    "design": "设计",
    "development": "开发",
    "writing": "写作",
    "translation": "翻译",
    "consulting": "咨询",
    "tutoring": "家教",
    "housekeeping": "家政",
    "repair": "维修",
    "other": "其他",
}


def label_for(category: str) -> str:
    return CATEGORIES.get(category, category)


def check_category(category: str, *, field: str = "category") -> str:
    if category not in CATEGORIES:
        choices = ", ".join(CATEGORIES)
        raise InvalidInput(f"{field}: {category!r} is not a category ({choices})", field=field)
    return category
