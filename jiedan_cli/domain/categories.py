"""The fixed list of order categories (类目), each with its Chinese label, and what people
type for them: the slug, the label, the seed's group names and common synonyms, in any
case, full-width or not."""

from __future__ import annotations

import unicodedata

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

# Other names people use for a category: the seed's groups (设计创意类, 技术开发类: 网站建设,
# 小程序开发; 写作翻译类: 文案撰写, 文档翻译; 咨询服务, 教育培训; 家政服务, 维修保养) and the
# obvious English forms. "写作翻译" names two categories, so it is not here.
SYNONYMS: dict[str, str] = {
    **{
        name: "design"
        for name in ("设计创意", "创意设计", "平面设计", "logo设计", "ui设计", "美工", "graphic")
    },
    **{
        name: "development"
        for name in (
            "技术开发",
            "网站建设",
            "网站开发",
            "小程序",
            "小程序开发",
            "软件开发",
            "编程",
            "程序开发",
            "dev",
            "programming",
            "software",
            "web",
        )
    },
    **{name: "writing" for name in ("文案", "文案撰写", "写作服务", "copywriting")},
    **{name: "translation" for name in ("文档翻译", "翻译服务", "translate", "translator")},
    **{name: "consulting" for name in ("咨询服务", "顾问", "consult", "consultant")},
    **{name: "tutoring" for name in ("教育培训", "教育", "培训", "辅导", "tutor", "education")},
    **{name: "housekeeping" for name in ("家政服务", "保洁", "cleaning", "housework")},
    **{name: "repair" for name in ("维修保养", "家电维修", "修理", "fix", "repairs")},
    **{name: "other" for name in ("其它",)},
}


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().casefold()
    return text.removesuffix("类") if len(text) > 2 else text


_NAMES: dict[str, str] = {
    **{_key(slug): slug for slug in CATEGORIES},
    **{_key(label): slug for slug, label in CATEGORIES.items()},
    **{_key(name): slug for name, slug in SYNONYMS.items()},
}


def label_for(category: str) -> str:
    return CATEGORIES.get(category, category)


def choices_text() -> str:
    """'design (设计), development (开发), …' for help texts and refusals."""
    return ", ".join(f"{slug} ({label})" for slug, label in CATEGORIES.items())


def other_names(slug: str) -> list[str]:
    """The synonyms people may type for `slug` besides the slug and its label."""
    return [name for name, target in SYNONYMS.items() if target == slug]


def check_category(category: str, *, field: str = "category") -> str:
    """The category's slug from what a person typed: a slug, its Chinese label or a synonym
    ('设计', 'Design', '网站建设', '设计创意类'); InvalidInput naming the choices (and the
    nearest one, for a typo such as 'desgin') otherwise."""
    slug = _NAMES.get(_key(category)) if isinstance(category, str) else None
    if slug is not None:
        return slug
    import difflib  # only a refusal pays for it

    near = difflib.get_close_matches(_key(str(category)), list(CATEGORIES), n=1, cutoff=0.7)
    hint = f"; did you mean {near[0]}?" if near else ""
    raise InvalidInput(
        f"{field}: {category!r} is not a category{hint} (choose from {choices_text()})",
        field=field,
    )
