"""Server-rendered HTML forms for clinic staff.

Every view declares who may use it (:mod:`registry.auth.roles`), validates input with
the schemas of :mod:`registry.schemas` (through :mod:`registry.web.forms`), calls one
service and commits; on any error it rolls back, so nothing is saved.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel import dates, numbers
from flask import Blueprint, abort, g, request
from flask_babel import format_date, get_locale
from jinja2 import pass_context
from jinja2.runtime import Context

from registry import codes
from registry.extensions import db
from registry.models import Client
from registry.services import listings
from registry.web.labels import ADMISSION_ITEMS, HINTS, LABELS

blueprint = Blueprint("web", __name__)


#: Translated labels by (code list, code, language): a page lists hundreds of them, and
#: each translation lookup costs more than the rest of the row.
_labels: dict[tuple[int, str, str], str] = {}


def code_label(code_list: dict[str, Any], code: str | None) -> str:
    """The translated label of ``code`` in ``code_list`` (the code itself if unknown)."""
    return _code_label(code_list, code, current_locale_name())


def _code_label(code_list: dict[str, Any], code: str | None, locale: str) -> str:
    if code is None:
        return ""
    key = (id(code_list), code, locale)
    if key not in _labels:
        label = code_list.get(code)
        _labels[key] = str(label) if label is not None else code
    return _labels[key]


#: LABELS and HINTS translated, by (table, language): a client page shows ~45 of them, and
#: each lazy text asked Flask-Babel for its translation again when rendered.
_tables: dict[tuple[int, str], dict[str, str]] = {}


def _translated(table: dict[str, Any], locale: str) -> dict[str, str]:
    """``table``'s texts in ``locale`` (the request's) as plain strings, which the
    templates escape (none has markup)."""
    key = (id(table), locale)
    texts = _tables.get(key)
    if texts is None:
        texts = _tables[key] = {name: str(text) for name, text in table.items()}
    return texts


def current_locale_name() -> str:
    """The code of the request's interface language (``en`` or ``ru``)."""
    return str(get_locale() or "ru")


def page_locale(context: Context) -> str:
    """The language of the page being rendered: ``current_locale`` of its context (a
    dictionary lookup; asking Flask-Babel costs 3-4 µs, and a page asks hundreds of
    times), else the request's."""
    return context.get("current_locale") or current_locale_name()


# Dates and doses repeat down a page and across pages; formatting one with Babel costs
# about as much as a database row, so each is formatted once per language.
@lru_cache(maxsize=8192)
def _day(value: date, locale: str) -> str:
    return dates.format_date(value, "dd.MM.yyyy" if locale == "ru" else "medium", locale=locale)


@lru_cache(maxsize=4096)
def _mg(value: Decimal | float, locale: str) -> str:
    return numbers.format_decimal(value, "#,##0.##", locale=locale)


def day_filter(value: date | None) -> str:
    """A date as staff read it: 30.12.2004 in Russian, Dec 30, 2004 in English."""
    return _day_text(value, current_locale_name())


def _day_text(value: date | None, locale: str) -> str:
    if value is None:
        return ""
    if type(value) is not date:  # a datetime: Flask-Babel moves it to the user's zone
        return format_date(value, "dd.MM.yyyy" if locale == "ru" else "medium")
    return _day(value, locale)


def mg_filter(value: Decimal | float | None) -> str:
    """A dose in mg without needless decimals, in the locale's notation (60, 62,5)."""
    return _mg_text(value, current_locale_name())


def _mg_text(value: Decimal | float | None, locale: str) -> str:
    return "" if value is None else _mg(value, locale)


# The templates' versions take the language from the page (see page_locale).
@blueprint.app_template_filter("day")
@pass_context
def _template_day(context: Context, value: date | None) -> str:
    return _day_text(value, page_locale(context))


@blueprint.app_template_filter("mg")
@pass_context
def _template_mg(context: Context, value: Decimal | float | None) -> str:
    return _mg_text(value, page_locale(context))


@pass_context
def _template_code_label(context: Context, code_list: dict[str, Any], code: str | None) -> str:
    return _code_label(code_list, code, page_locale(context))


def client_here_or_404(client_id: int) -> Client:
    """The client if they have records at the signed-in user's centre (audited read).

    Anything else is a 404, so ids of other centres' clients reveal nothing.
    """
    client = listings.client_at_centre(g.user, client_id, g.user.centre_id)
    if client is None:
        db.session.rollback()
        abort(404)
    return client


def centre_name(centre: Any) -> str:
    """A centre's name in the interface language (Russian when it has one)."""
    if centre is None:
        return ""
    if current_locale_name() == "ru" and getattr(centre, "name_ru", None):
        return str(centre.name_ru)
    return str(centre.name)


def region_name(unit: Any) -> str:
    """An org unit's name in the interface language (Russian when it has one)."""
    return centre_name(unit)


@blueprint.app_context_processor
def template_helpers() -> dict[str, Any]:
    """Names every template may use: the code lists, their labels, the locale."""
    locale = current_locale_name()
    return {
        "codes": codes,
        "labels": _translated(LABELS, locale),
        "hints": _translated(HINTS, locale),
        "code_label": _template_code_label,
        "admission_items_table": ADMISSION_ITEMS,
        "centre_name": centre_name,
        "region_name": region_name,
        "current_locale": locale,
        "current_path": request.full_path.rstrip("?"),
    }


from registry.web import (  # noqa: E402, F401
    amendments,
    client_list,
    clients,
    dashboard,
    dose_history,
    dosing,
    episodes,
    lab,
    ost,
    views,
)
