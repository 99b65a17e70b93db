"""The aggregate queries: one GROUP BY per indicator family over all asked periods.

Public interface::

    family_counts(family: str, periods: list[Period]) -> dict[str, Counter]
        # {period iso: Counter({(table, org_unit_id, sex, age group or category): n})}
    populations(years: set[int]) -> dict[int, dict[tuple[int, str, str], int]]
        # {year: {(org_unit_id, sex, age group): population}}

Counts are of people: each person is counted once per table and period, at the org unit
of one centre (the centre of their first admission, enrolment or test in the period; for
censuses, of their latest open episode or enrolment). The database does the counting; the
result is a few thousand grouped rows whatever the registry's size. The periods are a
small ``UNION ALL`` table joined to the records, so five years cost one scan, not five.
Definitions: docs/indicators.md.
"""

from __future__ import annotations

import calendar
from collections import Counter
from datetime import date

from sqlalchemy import Date, and_, case, exists, func, literal, or_, select

from registry.analytics.periods import Period
from registry.analytics.sql_blocks import (
    age_group_sql,
    first_day,
    flag,
    grouped,
    option,
    period_of,
    periods_table,
    run,
    within,
)
from registry.codes import ADEQUATE_DOSE_MG, RECENT_INJECTING, REGISTRATION_PROGRAMME
from registry.models import (
    Client,
    DoseChange,
    LabTest,
    OstEnrolment,
    Population,
    TreatmentCentre,
    TreatmentEpisode,
)

E, OST, L = TreatmentEpisode, OstEnrolment, LabTest
DISPENSARY = "narcological_dispensary"


def _entrants(periods):
    period = period_of(E.admission_date, periods)
    first = func.row_number().over(
        partition_by=(E.client_id, period), order_by=(E.admission_date, E.id)
    )
    inner = (
        select(period.label("p"), E.client_id, E.centre_id, E.age_at_admission.label("age"),
               E.ever_treated, E.primary_drug, E.route, E.injecting, E.polydrug_use,
               first.label("rn"))
        .where(within(E.admission_date, periods), E.programme != REGISTRATION_PROGRAMME)
        .subquery()
    )  # fmt: skip
    drug = case((inner.c.primary_drug == "99", "99"), else_=func.substr(inner.c.primary_drug, 1, 1))
    columns = (age_group_sql(inner.c.age), flag(inner.c.ever_treated == "1"),
               option(drug, "drug"), option(inner.c.route, "route"),
               option(inner.c.injecting, "injecting"),
               option(inner.c.polydrug_use, "polydrug"))  # fmt: skip
    for p_, unit, sex, age, first_time, drug_, route, injecting, polydrug, n in run(
        grouped(inner, *columns, where=inner.c.rn == 1)
    ):
        yield p_, ("TDI_ENTRANTS", unit, sex, age), n
        if first_time:
            yield p_, ("TDI_FIRST", unit, sex, age), n
        yield p_, ("TDI_ENTRANTS_DRUG", unit, sex, drug_), n
        yield p_, ("TDI_ENTRANTS_ROUTE", unit, sex, route), n
        yield p_, ("TDI_ENTRANTS_INJECTING", unit, sex, injecting), n
        yield p_, ("TDI_ENTRANTS_POLYDRUG", unit, sex, polydrug), n


def _dispensaries():
    return select(TreatmentCentre.id).where(TreatmentCentre.kind == DISPENSARY)


def _registered(periods):
    p = periods_table(periods)
    first_end, last_end = min(x.end for x in periods), max(x.end for x in periods)
    # the few episodes open at some census, read once (materialised: without it the
    # planner loops over the censuses with a range scan of most of the table each time)
    candidates = (
        select(E.id, E.client_id, E.centre_id, E.admission_date, E.discharge_date)
        .where(E.admission_date <= literal(last_end, Date))
        .where(or_(E.discharge_date.is_(None), E.discharge_date > literal(first_end, Date)))
        .where(E.centre_id.in_(_dispensaries()))
        .cte("open_episodes")
        .prefix_with("MATERIALIZED")
    )
    c = candidates.c
    latest = func.row_number().over(
        partition_by=(c.client_id, p.c.p), order_by=(c.admission_date.desc(), c.id.desc())
    )
    open_at_end = and_(
        c.admission_date <= p.c.e, or_(c.discharge_date.is_(None), c.discharge_date > p.c.e)
    )
    inner = (
        select(p.c.p, p.c.y, c.client_id, c.centre_id, latest.label("rn"))
        .join_from(candidates, p, open_at_end)
        .subquery()
    )
    age = age_group_sql(inner.c.y - Client.birth_year)
    for p_, unit, sex, group, n in run(grouped(inner, age, where=inner.c.rn == 1)):
        yield p_, ("REG_CLIENTS", unit, sex, group), n


def _new_registrations(periods):
    p = periods_table(periods)
    first = func.row_number().over(partition_by=E.client_id, order_by=(E.admission_date, E.id))
    ever = (
        select(E.client_id, E.centre_id, E.admission_date, E.age_at_admission, first.label("rn"))
        .where(E.centre_id.in_(_dispensaries()))
        .subquery()
    )
    inner = (
        select(p.c.p, ever.c.client_id, ever.c.centre_id, ever.c.age_at_admission, ever.c.rn)
        .join_from(ever, p, ever.c.admission_date.between(p.c.s, p.c.e))
        .subquery()
    )
    age = age_group_sql(inner.c.age_at_admission)
    for p_, unit, sex, group, n in run(grouped(inner, age, where=inner.c.rn == 1)):
        yield p_, ("REG_NEW", unit, sex, group), n


def _ost_census(periods):
    p = periods_table(periods)
    latest = func.row_number().over(
        partition_by=(OST.client_id, p.c.p), order_by=(OST.enrolment_date.desc(), OST.id.desc())
    )
    dose = (
        select(DoseChange.dose_mg)
        .where(DoseChange.enrolment_id == OST.id, DoseChange.effective_date <= p.c.e)
        .order_by(DoseChange.effective_date.desc(), DoseChange.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    still_open = or_(OST.exit_date.is_(None), OST.exit_date > p.c.e)
    open_at_end = and_(OST.enrolment_date <= p.c.e, still_open)
    started = OST.first_maintenance_date
    maintenance = and_(started.is_not(None), started <= p.c.e)
    adequate_dose = (and_(OST.medication == m, dose >= mg) for m, mg in ADEQUATE_DOSE_MG.items())
    adequate = and_(maintenance, or_(*adequate_dose))
    inner = (
        select(p.c.p, p.c.y, OST.client_id, OST.centre_id, flag(maintenance).label("maintenance"),
               flag(adequate).label("adequate"), latest.label("rn"))
        .join_from(OST, p, open_at_end)
        .where(or_(OST.exit_date.is_(None), OST.exit_date > first_day(p)))
        .subquery()
    )  # fmt: skip
    age = age_group_sql(inner.c.y - Client.birth_year)
    query = grouped(inner, age, inner.c.maintenance, inner.c.adequate, where=inner.c.rn == 1)
    for p_, unit, sex, group, on_maintenance, on_adequate, n in run(query):
        yield p_, ("OST_CLIENTS", unit, sex, group), n
        if on_maintenance:
            yield p_, ("OST_MAINTENANCE", unit, sex, group), n
        if on_adequate:
            yield p_, ("OST_ADEQUATE_DOSE", unit, sex, group), n


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day if it is shorter)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _ost_cohort(periods):
    period = period_of(OST.enrolment_date, periods)
    first = func.row_number().over(
        partition_by=(OST.client_id, period), order_by=(OST.enrolment_date, OST.id)
    )
    inner = (
        select(period.label("p"), period_of(OST.enrolment_date, periods, "year").label("y"),
               OST.client_id, OST.centre_id, OST.enrolment_date, OST.exit_date,
               OST.exit_reason, first.label("rn"))
        .where(within(OST.enrolment_date, periods), OST.transferred_from_id.is_(None))
        .subquery()
    )  # fmt: skip
    # OST cohorts are small (thousands): retention is worked out here, not in SQL dates
    age = age_group_sql(inner.c.y - Client.birth_year)
    query = grouped(inner, age, inner.c.enrolment_date, inner.c.exit_date,
                     inner.c.exit_reason, where=inner.c.rn == 1)  # fmt: skip
    for p_, unit, sex, group, started, ended, reason, n in run(query):
        yield p_, ("OST_INITIATED", unit, sex, group), n
        for months, table in ((6, "OST_RETAINED_6M"), (12, "OST_RETAINED_12M")):
            if ended is None or reason == "transferred" or ended >= add_months(started, months):
                yield p_, (table, unit, sex, group), n


def _hiv(periods):
    period = period_of(L.sample_date, periods)
    window = {"partition_by": (L.client_id, period)}
    first = func.row_number().over(order_by=(L.sample_date, L.id), **window)
    positive = func.max(flag(L.result == "positive")).over(**window)
    inner = (
        select(period.label("p"), period_of(L.sample_date, periods, "end").label("e"),
               period_of(L.sample_date, periods, "year").label("y"), L.client_id, L.centre_id,
               first.label("rn"), positive.label("positive"))
        .where(within(L.sample_date, periods), L.test == "HIV")
        .subquery()
    )  # fmt: skip
    injects = exists().where(
        E.client_id == inner.c.client_id,
        E.admission_date <= inner.c.e,
        or_(E.route == "1", E.injecting.in_(RECENT_INJECTING)),
    )
    age = age_group_sql(inner.c.y - Client.birth_year)
    query = grouped(inner, age, flag(injects), inner.c.positive, where=inner.c.rn == 1)
    for p_, unit, sex, group, pwid, is_positive, n in run(query):
        yield p_, ("HIV_TESTED", unit, sex, group), n
        if pwid:
            yield p_, ("HIV_PWID_TESTED", unit, sex, group), n
            if is_positive:
                yield p_, ("HIV_PWID_POSITIVE", unit, sex, group), n


QUERIES = {
    "registered": _registered,
    "new_registrations": _new_registrations,
    "entrants": _entrants,
    "ost_census": _ost_census,
    "ost_cohort": _ost_cohort,
    "hiv": _hiv,
}


def family_counts(family: str, periods: list[Period]) -> dict[str, Counter]:
    """Leaf counts of every table of ``family`` in each period, at the centres' org units."""
    counts: dict[str, Counter] = {period.iso: Counter() for period in periods}
    if not periods:
        return counts
    for index, key, n in QUERIES[family](periods):
        counts[periods[index].iso][key] += n
    return counts


def populations(years: set[int]) -> dict[int, dict[tuple[int, str, str], int]]:
    """Population rows of the years: ``{year: {(org_unit_id, sex, age_group): n}}``."""
    result: dict[int, dict[tuple[int, str, str], int]] = {year: {} for year in years}
    query = select(Population.year, Population.org_unit_id, Population.sex,
                   Population.age_group, Population.population).where(
        Population.year.in_(sorted(years)))  # fmt: skip
    for year, unit, sex, group, n in run(query):
        result[year][(unit, sex, group)] = n
    return result
