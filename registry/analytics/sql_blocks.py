"""SQL building blocks of the family queries (:mod:`registry.analytics.sql`).

Public interface::

    age_group_sql(age)                         # CASE: TDI age group of an age in years
    periods_table(periods) -> CTE              # (p, s, e, y): index, first/last day, year
    period_of(column, periods, what="index")   # CASE: the period a date falls in
    within(column, periods)                    # the date is in one of the periods
    first_day(p)                               # the earliest first day of a periods table
    flag(condition) / option(column, category) # 1/0; a category code or "99"
    grouped(inner, *columns, where)            # people of inner by period, unit, sex, columns
    run(query) -> list[Row]
"""

from __future__ import annotations

from sqlalchemy import Date, case, func, literal, or_, select, union_all

from registry.analytics.indicators import CATEGORY_OPTIONS
from registry.analytics.periods import Period
from registry.extensions import db
from registry.models import Client, TreatmentCentre


def age_group_sql(age):
    """SQL ``CASE`` giving the TDI age group of an age in whole years."""
    whens = [(age < 15, "<15")] + [(age < low + 5, f"{low}-{low + 4}") for low in range(15, 65, 5)]
    return case(*whens, else_="65+")


def periods_table(periods: list[Period]):
    """The periods as a small table (p, s, e, y): index, first day, last day, year of e."""
    rows = [
        select(
            literal(i).label("p"),
            literal(period.start, Date).label("s"),
            literal(period.end, Date).label("e"),
            literal(period.end.year).label("y"),
        )
        for i, period in enumerate(periods)
    ]
    return (union_all(*rows) if len(rows) > 1 else rows[0]).cte("periods")


def period_of(column, periods: list[Period], what: str = "index"):
    """``CASE`` giving, for a date in one of the (disjoint) periods, its index, last day or
    year: flows are read in one scan instead of one per period."""

    def value(i: int, period: Period):
        if what == "end":
            return literal(period.end, Date)
        return literal(period.end.year) if what == "year" else literal(i)

    return case(*((column.between(literal(p.start, Date), literal(p.end, Date)), value(i, p))
                  for i, p in enumerate(periods)))  # fmt: skip


def within(column, periods: list[Period]):
    """The date falls in one of the periods."""
    return or_(*(column.between(literal(p.start, Date), literal(p.end, Date)) for p in periods))


def first_day(p):
    """The earliest first day of the periods (one value: lets the scan skip rows early)."""
    return select(func.min(p.c.s)).scalar_subquery()


def flag(condition):
    return case((condition, 1), else_=0)


def option(column, category: str):
    """A code of the category's options, anything else as ``99``."""
    return case((column.in_(CATEGORY_OPTIONS[category]), column), else_="99")


def grouped(inner, *columns, where):
    """Count people of ``inner`` by period, org unit, sex and the extra ``columns``."""
    keys = (inner.c.p, TreatmentCentre.org_unit_id, Client.sex, *columns)
    return (
        select(*keys, func.count())
        .join_from(inner, Client, Client.id == inner.c.client_id)
        .join(TreatmentCentre, TreatmentCentre.id == inner.c.centre_id)
        .where(where)
        .group_by(*keys)
    )


def run(query):
    """Execute ``query`` on the session's connection; all rows."""
    return db.session.connection().execute(query).all()
