"""The DHIS2 metadata of the analytics catalogue: data elements, combos, data set, org units.

Public interface::

    DataElement(code, indicator, categories)   # .uid, .combo_uid, .name, .short_name
    DATA_ELEMENTS: dict[str, DataElement]      # every data element an ADX export can name
    data_element_of(indicator, categories) -> DataElement
    metadata_package(units) -> dict            # DHIS2's metadata import JSON
    DATA_SET_CODE                              # "NARCO_INDICATORS"

DHIS2 resolves an ADX data value to a category option combo from *every* category of its
data element's one category combo, and adds up the option combos of a data element for
its total. So a data element is one indicator at one level of disaggregation, written in
full every time: ``REG_CLIENTS`` is the indicator split by all the categories of its
combo (:func:`registry.analytics.dhis2_ids.categories_of`: sex and age group; the same
UID as on ``/api/analytics``), ``REG_CLIENTS_BY_SEX`` and ``REG_CLIENTS_BY_AGE`` its
margins, ``REG_CLIENTS_TOTAL`` its total. A breakdown is always split by its TDI
category (``TDI_ENTRANTS_DRUG``: sex and drug; ``TDI_ENTRANTS_DRUG_BY_DRUG``: both sexes).
Estimates and their ratios have DHIS2's default combo.

Why not explicit "total" options (``SEX_T``)? DHIS2 adds up every option combo of a data
element for its total, so a total option would be counted with the options it adds up.
And a total is not the sum of its published parts: disclosure control withholds small
parts, so the total is published on its own and must stay a value of its own.

Everything is generated from the indicator catalogue and the category definitions, so a
new indicator, category or option (a new TDI code) is in the next package by itself.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l

from registry.analytics.dhis2_ids import (
    CATEGORIES,
    Category,
    categories_of,
    category_combo_code,
    category_combo_uid,
    option_combo_uid,
    uid,
)
from registry.analytics.indicators import COUNT, ESTIMATE, INDICATORS, Indicator

if TYPE_CHECKING:
    from registry.analytics.tables import Unit

DATA_SET_CODE = "NARCO_INDICATORS"
#: DHIS2 limits short names to 50 characters.
SHORT_NAME_LENGTH = 50
#: The first day an org unit is open in DHIS2 (a required field): before any data.
OPENING_DATE = "1980-01-01"


@dataclass(frozen=True)
class DataElement:
    """One indicator at one level of disaggregation: the categories it is split by."""

    code: str
    indicator: Indicator
    categories: tuple[Category, ...]

    @property
    def uid(self) -> str:
        return uid("dx", self.code)

    @property
    def combo_uid(self) -> str:
        return category_combo_uid(self.categories)

    @property
    def name(self) -> str:
        full = categories_of(self.indicator)
        if self.categories == full:
            return str(self.indicator.name)
        if not self.categories:
            return f"{self.indicator.name} ({_l('total')})"
        names = ", ".join(str(category.name).lower() for category in self.categories)
        return f"{self.indicator.name} ({_l('by %(categories)s', categories=names)})"

    @property
    def short_name(self) -> str:
        return self.code[:SHORT_NAME_LENGTH]


def _levels(indicator: Indicator) -> list[tuple[Category, ...]]:
    """The category subsets ``indicator`` is published by, the full combo first."""
    full = categories_of(indicator)
    always = {CATEGORIES[indicator.category].code} if indicator.category else set()
    subsets = []
    for size in range(len(full), -1, -1):
        for subset in itertools.combinations(full, size):
            if always <= {category.code for category in subset}:
                subsets.append(subset)
    return subsets


def data_element_of(indicator: Indicator, categories: tuple[Category, ...]) -> DataElement:
    """The data element of ``indicator`` split by ``categories`` (in its combo's order)."""
    full = categories_of(indicator)
    if categories == full:
        code = indicator.code
    elif not categories:
        code = f"{indicator.code}_TOTAL"
    else:
        code = f"{indicator.code}_BY_" + "_".join(category.code for category in categories)
    return DataElement(code, indicator, categories)


DATA_ELEMENTS: dict[str, DataElement] = {
    element.code: element
    for indicator in INDICATORS.values()
    for element in (data_element_of(indicator, subset) for subset in _levels(indicator))
}


def _value_type(indicator: Indicator) -> str:
    return "INTEGER_ZERO_OR_POSITIVE" if indicator.kind in (COUNT, ESTIMATE) else "NUMBER"


def _aggregation_type(indicator: Indicator) -> str:
    """Counts add up over org units (a census: the last value over time); percentages,
    rates, estimates and ratios are not added up at all."""
    if indicator.kind != COUNT:
        return "NONE"
    return "LAST" if indicator.stock else "SUM"


def _reference(identifier: str) -> dict[str, str]:
    return {"id": identifier}


def metadata_package(units: list[Unit]) -> dict[str, Any]:
    """DHIS2's metadata import JSON for the whole catalogue and ``units``.

    Names are in the request's language. Every data element is stored at every org-unit
    level (``aggregationLevels``): the registry publishes each level's own figure (a
    region's total is not the sum of its published parts when some are withheld), so
    DHIS2 must read it rather than add up the level below.
    """
    categories = list(CATEGORIES.values())
    by_code = {category_combo_code(e.categories): e.categories for e in DATA_ELEMENTS.values()}
    combos = [combo for code, combo in sorted(by_code.items()) if combo]
    levels = sorted({unit.level for unit in units})
    by_id = {unit.id: unit for unit in units}
    data_set_uid = uid("dataSet", DATA_SET_CODE)
    data_set = {
        "id": data_set_uid,
        "code": DATA_SET_CODE,
        "name": str(_l("Narcology registry indicators")),
        "shortName": DATA_SET_CODE,
        "periodType": "Yearly",
        "categoryCombo": _reference(category_combo_uid(())),
        "dataSetElements": [
            {"dataSet": _reference(data_set_uid), "dataElement": _reference(e.uid)}
            for e in DATA_ELEMENTS.values()
        ],
        "organisationUnits": [_reference(uid("ou", unit.code)) for unit in units],
    }
    return {
        "categoryOptions": [
            {"id": category.option_uid(option), "code": category.option_code(option),
             "name": f"{category.name}: {category.option_name(option)}",
             "shortName": category.option_code(option)[:SHORT_NAME_LENGTH]}
            for category in categories for option in category.options
        ],
        "categories": [
            {"id": category.uid, "code": category.code, "name": str(category.name),
             "shortName": category.code, "dataDimensionType": "DISAGGREGATION",
             "dataDimension": True,
             "categoryOptions": [_reference(category.option_uid(o)) for o in category.options]}
            for category in categories
        ],
        "categoryCombos": [
            {"id": category_combo_uid(combo), "code": category_combo_code(combo),
             "name": " / ".join(str(category.name) for category in combo),
             "dataDimensionType": "DISAGGREGATION", "skipTotal": False,
             "categories": [_reference(category.uid) for category in combo]}
            for combo in combos
        ],
        "categoryOptionCombos": [
            {"id": option_combo_uid(combo, options),
             "name": ", ".join(c.option_name(o) for c, o in zip(combo, options, strict=True)),
             "categoryCombo": _reference(category_combo_uid(combo)),
             "categoryOptions": [_reference(c.option_uid(o))
                                 for c, o in zip(combo, options, strict=True)]}
            for combo in combos
            for options in itertools.product(*(category.options for category in combo))
        ],
        "dataElements": [
            {"id": element.uid, "code": element.code, "name": element.name,
             "shortName": element.short_name, "domainType": "AGGREGATE",
             "valueType": _value_type(element.indicator),
             "aggregationType": _aggregation_type(element.indicator),
             "zeroIsSignificant": True, "aggregationLevels": levels,
             "categoryCombo": _reference(element.combo_uid)}
            for element in DATA_ELEMENTS.values()
        ],
        "dataSets": [data_set],
        "organisationUnits": [
            {"id": uid("ou", unit.code), "code": unit.code, "name": unit.display_name,
             "shortName": unit.display_name[:SHORT_NAME_LENGTH], "openingDate": OPENING_DATE,
             **({"parent": _reference(uid("ou", by_id[unit.parent_id].code))}
                if unit.parent_id in by_id else {})}
            for unit in sorted(units, key=lambda u: (u.level, u.code))
        ],
    }  # fmt: skip
