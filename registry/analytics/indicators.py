"""The indicator catalogue: codes, kinds and the families their counts are suppressed in.

Public interface::

    Family(name, stock, tables, nested, categories)   # one canonical table per period
    FAMILIES: dict[str, Family]
    Indicator(code, name, kind, family, numerator, denominator, factor, category)
    INDICATORS: dict[str, Indicator]                   # definitions: docs/indicators.md
    CATEGORY_OPTIONS: dict[str, tuple[str, ...]]       # "drug", "route", "injecting", "polydrug"

Kinds: ``count`` (persons; a cell of its family's canonical table), ``percent`` and
``rate`` (a count over a count or over the population, suppressed with either cell),
``estimate`` (from the latest approved estimation result of the area and period) and
``ratio`` (an estimate over a count, or a count over an estimate).

A *stock* family counts people at a census date (the last day of the period), so it
accepts any period; a *flow* family counts people once per calendar year (TDI counting
unit) and accepts whole years only, because flows over months or quarters nearly add up
to the year and would let a suppressed quarter be worked out from the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from registry.codes import AGE_GROUPS, INJECTING, POLYDRUG_USE, SEXES

COUNT, PERCENT, RATE, ESTIMATE, RATIO = "count", "percent", "rate", "estimate", "ratio"

#: Category options of the entrants' breakdowns (TDI 3.0 codes; "99" not known).
CATEGORY_OPTIONS: dict[str, tuple[str, ...]] = {
    "drug": ("1", "2", "3", "4", "5", "6", "7", "9", "99"),
    "route": ("1", "2", "3", "4", "5", "99"),
    "injecting": tuple(INJECTING),
    "polydrug": tuple(POLYDRUG_USE),
}
#: Sex options: male, female and not known (``U``), each a cell suppressed like any other.
SEX_OPTIONS = tuple(SEXES)
AGE_OPTIONS = AGE_GROUPS
TOTAL = "T"


@dataclass(frozen=True)
class Family:
    """Counts that are suppressed together, because they add up or nest.

    ``tables`` are sex x age cubes over every org unit; ``nested`` pairs (outer, inner)
    say inner is a subset of outer, so the unpublished difference is protected too;
    ``categories`` maps a category table to its category name, its total being the first
    table's all-ages cell.
    """

    name: str
    stock: bool
    tables: tuple[str, ...]
    nested: tuple[tuple[str, str], ...] = ()
    categories: dict[str, str] = field(default_factory=dict)


FAMILIES = {
    family.name: family
    for family in (
        Family("registered", True, ("REG_CLIENTS",)),
        Family(
            "ost_census",
            True,
            ("OST_CLIENTS", "OST_MAINTENANCE", "OST_ADEQUATE_DOSE"),
            nested=(("OST_CLIENTS", "OST_MAINTENANCE"), ("OST_MAINTENANCE", "OST_ADEQUATE_DOSE")),
        ),
        Family("new_registrations", False, ("REG_NEW",)),
        Family(
            "entrants",
            False,
            ("TDI_ENTRANTS", "TDI_FIRST"),
            nested=(("TDI_ENTRANTS", "TDI_FIRST"),),
            categories={
                "TDI_ENTRANTS_DRUG": "drug",
                "TDI_ENTRANTS_ROUTE": "route",
                "TDI_ENTRANTS_INJECTING": "injecting",
                "TDI_ENTRANTS_POLYDRUG": "polydrug",
            },
        ),
        Family(
            "ost_cohort",
            False,
            ("OST_INITIATED", "OST_RETAINED_6M", "OST_RETAINED_12M"),
            nested=(("OST_INITIATED", "OST_RETAINED_6M"), ("OST_RETAINED_6M", "OST_RETAINED_12M")),
        ),
        Family(
            "hiv",
            False,
            ("HIV_TESTED", "HIV_PWID_TESTED", "HIV_PWID_POSITIVE"),
            nested=(("HIV_TESTED", "HIV_PWID_TESTED"), ("HIV_PWID_TESTED", "HIV_PWID_POSITIVE")),
        ),
    )
}


@dataclass(frozen=True)
class Indicator:
    """One ``dx`` item: what it counts or divides, and which family protects it."""

    code: str
    name: Any
    kind: str
    family: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    factor: float = 1.0
    category: str | None = None

    @property
    def disaggregations(self) -> tuple[str, ...]:
        """The dimensions an answer may split this indicator by."""
        if self.kind in (ESTIMATE, RATIO):
            return ()
        if self.category is not None:
            return ("sex",)
        return ("sex", "age")

    @property
    def stock(self) -> bool:
        """True if any period is allowed (a census at the period's last day)."""
        codes = [self.code] if self.kind == COUNT else [self.numerator, self.denominator]
        families = [family_of(code) for code in codes if code in INDICATORS]
        return all(FAMILIES[f].stock for f in families if f is not None)


def family_of(code: str) -> str | None:
    """The family whose canonical table holds count ``code`` (None if not a count)."""
    indicator = INDICATORS.get(code)
    return indicator.family if indicator is not None else None


def _counts() -> list[Indicator]:
    names = {
        "REG_CLIENTS": _l("Registered clients at the end of the period"),
        "REG_NEW": _l("New registrations (first time in life)"),
        "TDI_ENTRANTS": _l("Treatment entrants, all"),
        "TDI_FIRST": _l("Treatment entrants, first treatment"),
        "OST_CLIENTS": _l("Clients on OST at the end of the period"),
        "OST_MAINTENANCE": _l("Clients on OST maintenance at the end of the period"),
        "OST_ADEQUATE_DOSE": _l("Clients on OST maintenance on an adequate dose"),
        "OST_INITIATED": _l("Clients starting OST"),
        "OST_RETAINED_6M": _l("Clients starting OST still on OST 6 months later"),
        "OST_RETAINED_12M": _l("Clients starting OST still on OST 12 months later"),
        "HIV_TESTED": _l("Clients tested for HIV"),
        "HIV_PWID_TESTED": _l("People who inject drugs tested for HIV"),
        "HIV_PWID_POSITIVE": _l("People who inject drugs testing HIV positive"),
        "TDI_ENTRANTS_DRUG": _l("Treatment entrants by primary drug"),
        "TDI_ENTRANTS_ROUTE": _l("Treatment entrants by route of the primary drug"),
        "TDI_ENTRANTS_INJECTING": _l("Treatment entrants by injecting status"),
        "TDI_ENTRANTS_POLYDRUG": _l("Treatment entrants by polydrug use problem"),
    }
    counts = []
    for family in FAMILIES.values():
        for table in family.tables:
            counts.append(Indicator(table, names[table], COUNT, family.name))
        for table, category in family.categories.items():
            counts.append(Indicator(table, names[table], COUNT, family.name, category=category))
    return counts


INDICATORS: dict[str, Indicator] = {
    indicator.code: indicator
    for indicator in (
        *_counts(),
        Indicator(
            "REG_PER_100K",
            _l("Registered clients per 100,000 population"),
            RATE,
            numerator="REG_CLIENTS",
            denominator="POPULATION",
            factor=100_000,
        ),
        Indicator(
            "OST_RETENTION_6M",
            _l("OST retention at 6 months (%)"),
            PERCENT,
            numerator="OST_RETAINED_6M",
            denominator="OST_INITIATED",
            factor=100,
        ),
        Indicator(
            "OST_RETENTION_12M",
            _l("OST retention at 12 months (%)"),
            PERCENT,
            numerator="OST_RETAINED_12M",
            denominator="OST_INITIATED",
            factor=100,
        ),
        Indicator(
            "OST_ADEQUATE_DOSE_PCT",
            _l("OST clients on an adequate dose (%)"),
            PERCENT,
            numerator="OST_ADEQUATE_DOSE",
            denominator="OST_MAINTENANCE",
            factor=100,
        ),
        Indicator(
            "HIV_PWID_PREVALENCE",
            _l("HIV prevalence among tested PWID (%)"),
            PERCENT,
            numerator="HIV_PWID_POSITIVE",
            denominator="HIV_PWID_TESTED",
            factor=100,
        ),
        Indicator("EST_USERS", _l("Estimated number of people who use drugs"), ESTIMATE),
        Indicator("EST_USERS_LOW", _l("Estimated number, lower bound"), ESTIMATE),
        Indicator("EST_USERS_HIGH", _l("Estimated number, upper bound"), ESTIMATE),
        Indicator(
            "EST_PER_REG",
            _l("Estimated users per person on the narcological register at the period's end"),
            RATIO,
            numerator="EST_USERS",
            denominator="REG_CLIENTS",
        ),
        Indicator(
            "OST_COVERAGE",
            _l("OST coverage: clients on OST per estimated opioid-dependent PWID (%)"),
            RATIO,
            numerator="OST_CLIENTS",
            denominator="EST_USERS",
            factor=100,
        ),
    )  # fmt: skip
}

#: The count indicators (one cell of a canonical table each).
COUNT_CODES = tuple(code for code, i in INDICATORS.items() if i.kind == COUNT)


def who_band(coverage_percent: float) -> str:
    """WHO OST coverage band: under 20% ``low``, 20-40% ``medium``, over 40% ``high``."""
    if coverage_percent < 20:
        return "low"
    if coverage_percent <= 40:
        return "medium"
    return "high"
