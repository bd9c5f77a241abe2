"""Preset automation templates, delivered per UI language (en-US, zh-CN)."""
import json
import os
from functools import cache

from chalicelib.errors import Invalid

LOCALES = ("en-US", "zh-CN")
DEFAULT_LOCALE = "en-US"
_DIR = os.path.join(os.path.dirname(__file__), "templates")


@cache
def all_for(locale: str) -> tuple[dict, ...]:
    """Every template of a locale, in display order."""
    with open(os.path.join(_DIR, f"{locale}.json"), encoding="utf-8") as f:
        return tuple(json.load(f))


def ids() -> list[str]:
    """The template ids (the same in every locale)."""
    return [t["id"] for t in all_for(DEFAULT_LOCALE)]


def get(template_id, locale: str) -> dict:
    """One template by id in the locale, or 400 naming the known ids."""
    for template in all_for(locale):
        if template["id"] == template_id:
            return template
    known = ", ".join(t["id"] for t in all_for(locale))
    raise Invalid(f"template_id: unknown template {template_id!r}; known templates are {known}", field="template_id")


def pick_locale(requested: str | None, accept_language: str | None) -> str:
    """The locale from `?locale=`, else from Accept-Language, else en-US."""
    if requested:
        if requested not in LOCALES:
            raise Invalid(f"locale must be one of {', '.join(LOCALES)}; got {requested!r}", field="locale")
        return requested
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        for locale in LOCALES:
            if tag == locale.lower() or tag.split("-")[0] == locale.split("-")[0].lower():
                return locale
    return DEFAULT_LOCALE
