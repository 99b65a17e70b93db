"""DHIS2 identifiers of the analytics catalogue: 11-character UIDs derived from codes.

Public interface::

    uid(kind, code) -> str            # the UID of one object ("dx", "ou", "category", ...)
    DEFAULT_COMBO                     # DHIS2's own "default" category option combo UID
    CATEGORIES                        # {"sex": Category, "age": ..., "drug": ...}
    Category(code, name, options)     # .uid, .option_uid(option), .option_name(option),
                                      # .option_code(option): "DRUG_1", unique in DHIS2
    categories_of(indicator) -> tuple[Category, ...]   # the data element's category combo
    combo_uid(indicator, options) -> str   # the category option combo of one row
    combo_name(indicator, options) -> str
    category_combo_code(categories) / category_combo_uid(categories)
    option_combo_uid(categories, options) -> str   # the same, for any list of categories
    DEFAULT_CATEGORY_COMBO            # DHIS2's own "default" category combo UID
    ORG_UNIT_GROUPS                   # {centre kind: name}: units holding such a centre

A UID is what DHIS2 generates for its objects (a letter, then 10 letters or digits).
Ours are derived from the object's kind and code with SHA-256, so every install gives
the same UID to the same indicator, org unit, category, option or combo, and a DHIS2
instance that imported them once keeps matching. Codes stay codes: every query parameter
accepts either, and ``outputIdScheme=CODE`` answers with codes. DHIS2 wants every category
option code unique (``CategoryOption.code``), and ours repeat (``1`` is a drug group, a
route and an injecting status), so DHIS2's metadata and ADX give an option as its
category's code and its own, ``DRUG_1``; the native API keeps the TDI code itself.

A data element's category combo is what it can be split by: sex and age group for a
count, rate or percentage; sex and its TDI category (drug, route, injecting, polydrug) for an
entrants' breakdown; nothing (DHIS2's ``default`` combo) for estimates and their ratios.
"""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from registry.analytics.indicators import (
    AGE_OPTIONS,
    CATEGORY_OPTIONS,
    SEX_OPTIONS,
    Indicator,
)
from registry.codes import CENTRE_KINDS, INJECTING, POLYDRUG_USE, ROUTES, SEXES

_LETTERS = string.ascii_letters
_ALPHABET = string.ascii_letters + string.digits
#: The UID DHIS2 gives the category option combo of its ``default`` category combo.
DEFAULT_COMBO = "HllvX50cXC0"
#: The UID of DHIS2's ``default`` category combo (the same on every DHIS2 instance).
DEFAULT_CATEGORY_COMBO = "bjDvmb4bfuf"
#: TDI 3.0 primary-drug groups (the breakdown's options are groups, not detailed codes).
DRUG_GROUPS = {
    "1": _l("Opioids"),
    "2": _l("Cocaine"),
    "3": _l("Stimulants other than cocaine"),
    "4": _l("Hypnotics and sedatives"),
    "5": _l("Hallucinogens"),
    "6": _l("Volatile inhalants"),
    "7": _l("Cannabis"),
    "9": _l("Other substances"),
    "99": _l("Not known"),
}


def uid(kind: str, code: str) -> str:
    """A DHIS2-style UID (``[A-Za-z][A-Za-z0-9]{10}``) for object ``code`` of ``kind``."""
    number = int.from_bytes(hashlib.sha256(f"narcoregistry:{kind}:{code}".encode()).digest())
    characters = [_LETTERS[number % len(_LETTERS)]]
    number //= len(_LETTERS)
    for _ in range(10):
        characters.append(_ALPHABET[number % len(_ALPHABET)])
        number //= len(_ALPHABET)
    return "".join(characters)


@dataclass(frozen=True)
class Category:
    """A disaggregation as a DHIS2 category: its code, name and option codes."""

    code: str
    name: object
    options: tuple[str, ...]
    option_names: dict[str, object] | None = None

    @property
    def uid(self) -> str:
        return uid("category", self.code)

    def option_uid(self, option: str) -> str:
        return uid("categoryOption", f"{self.code}:{option}")

    def option_name(self, option: str) -> str:
        names = self.option_names or {}
        return str(names.get(option, option))

    def option_code(self, option: str) -> str:
        """The option's code in DHIS2, unique across categories: ``DRUG_1``, ``SEX_M``."""
        return f"{self.code}_{option}"


CATEGORIES: dict[str, Category] = {
    "sex": Category("SEX", _l("Sex"), SEX_OPTIONS, dict(SEXES)),
    "age": Category("AGE", _l("Age group"), AGE_OPTIONS),
    "drug": Category("DRUG", _l("Primary drug"), CATEGORY_OPTIONS["drug"], DRUG_GROUPS),
    "route": Category("ROUTE", _l("Route of administration"), CATEGORY_OPTIONS["route"], ROUTES),
    "injecting": Category(
        "INJECTING", _l("Injecting status"), CATEGORY_OPTIONS["injecting"], INJECTING
    ),
    "polydrug": Category(
        "POLYDRUG", _l("Polydrug use problem"), CATEGORY_OPTIONS["polydrug"], POLYDRUG_USE
    ),
}


def categories_of(indicator: Indicator) -> tuple[Category, ...]:
    """The categories of ``indicator``'s combo, in order (empty: the default combo)."""
    if indicator.category is not None:
        return (CATEGORIES["sex"], CATEGORIES[indicator.category])
    return tuple(CATEGORIES[name] for name in indicator.disaggregations)


def combo_uid(indicator: Indicator, options: tuple[str, ...]) -> str:
    """The category option combo of ``options`` (one per category of the combo)."""
    return option_combo_uid(categories_of(indicator), options)


def option_combo_uid(categories: tuple[Category, ...], options: tuple[str, ...]) -> str:
    """The category option combo of ``options`` (one per category) in the combo of
    ``categories`` (DHIS2's default option combo if there are none)."""
    if not categories:
        return DEFAULT_COMBO
    parts = [f"{c.code}:{o}" for c, o in zip(categories, options, strict=True)]
    return uid("categoryOptionCombo", ",".join(parts))


def category_combo_code(categories: tuple[Category, ...]) -> str:
    """``SEX_AGE``: the code of the category combo of ``categories`` (in order)."""
    return "_".join(category.code for category in categories) or "default"


def category_combo_uid(categories: tuple[Category, ...]) -> str:
    """The category combo of ``categories`` (DHIS2's default combo if there are none)."""
    if not categories:
        return DEFAULT_CATEGORY_COMBO
    return uid("categoryCombo", category_combo_code(categories))


def combo_name(indicator: Indicator, options: tuple[str, ...]) -> str:
    """``Male, 15-19`` (``default`` for the default combo), as DHIS2 names combos."""
    categories = categories_of(indicator)
    if not categories:
        return "default"
    return ", ".join(c.option_name(o) for c, o in zip(categories, options, strict=True))


#: Org unit groups: the units holding a treatment centre of each kind.
ORG_UNIT_GROUPS = CENTRE_KINDS
