"""What every epidemiologist's page shares: labels, choices of areas and lists."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from babel import numbers
from flask_babel import format_decimal, get_locale
from sqlalchemy import select

from registry.extensions import db
from registry.models import OrgUnit, SourceList
from registry.services.uploads import REJECTION_REASONS
from registry.studies_web import blueprint, forms
from registry.web.labels import HINTS as WEB_HINTS
from registry.web.labels import LABELS as WEB_LABELS


@blueprint.context_processor
def study_labels() -> dict[str, Any]:
    """The form macros' ``labels`` and ``hints`` with this blueprint's fields added."""
    return {
        "labels": {**WEB_LABELS, **forms.LABELS},
        "hints": {**WEB_HINTS, **forms.HINTS},
        "study_forms": forms,
        "state_labels": forms.STATE_LABELS,
        "status_labels": {state: str(label) for state, label in forms.STATE_LABELS.items()},
        "plot_titles": forms.PLOT_TITLES,
        "rejection_reasons": REJECTION_REASONS,
        "format_number": page_number_format(),
    }


def format_number(value: float | int, digits: int = 0) -> str:
    """A count or estimate in the locale's notation (12 345; 3,10 in Russian)."""
    rounded = round(float(value), digits) or 0.0  # never -0
    locale = get_locale()
    if locale is None:  # outside a request: Babel's default locale
        return format_decimal(rounded, _pattern(digits))
    return _formatted(rounded, digits, str(locale))


def page_number_format() -> Callable[..., str]:
    """:func:`format_number` in the request's language, asked once for the page: a result
    page formats about a thousand numbers, and asking Flask-Babel for the language each
    time cost about as much as the formatting (``_formatted`` is cached)."""
    locale = get_locale()
    if locale is None:
        return format_number
    language = str(locale)

    def format_page_number(value: float | int, digits: int = 0) -> str:
        return _formatted(round(float(value), digits) or 0.0, digits, language)

    return format_page_number


def _pattern(digits: int) -> str:
    return "#,##0" + ("." + "0" * digits if digits else "")


@lru_cache(maxsize=8192)
def _formatted(value: float, digits: int, locale: str) -> str:
    # Babel takes ~0.1 ms a number; a result page shows hundreds, the same each time
    return numbers.format_decimal(value, _pattern(digits), locale=locale)


def area_choices() -> dict[str, str]:
    """``{code: "code · name"}`` of every org unit, country first (the form's select)."""
    russian = str(get_locale() or "ru") == "ru"
    units = db.session.scalars(select(OrgUnit).order_by(OrgUnit.path))
    return {
        unit.code: f"{unit.code} · {unit.name_ru if russian and unit.name_ru else unit.name}"
        for unit in units
    }


def uploads(limit: int = 200) -> list[SourceList]:
    """The uploaded lists, newest first."""
    query = select(SourceList).order_by(SourceList.id.desc()).limit(limit)
    return list(db.session.scalars(query))


def list_choices() -> dict[str, str]:
    """``{ref: label}`` of the registry's own lists and of every upload."""
    from registry.services.linkage import REGISTRY_LISTS

    choices = {ref: str(label) for ref, label in REGISTRY_LISTS.items()}
    for source in uploads():
        choices[source.ref] = f"{source.source_name} · {source.period} · {source.area.code}"
    return choices
