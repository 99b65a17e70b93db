"""What the multiplier, retention, coverage and projection methods read from the registry.

Public interface::

    list_count(ref, *, start, end, area) -> tuple[int, str]   # distinct codes, digest
    registered(area, day) -> int       # people on the narcological register on ``day``
    population(area: OrgUnit, year: int) -> int | None
    on_ost(area: OrgUnit, day: date) -> tuple[int, str]        # clients on OST that day
    ost_cohort(area, start, end) -> tuple[DataFrame, DataFrame] # enrolments, given doses
    check_source_job(job_id, *, actor, field) -> None   # exists, succeeded, has an estimate
    check_estimate_input(parameters, *, actor, typed) -> None  # a job or a typed value
                                                # (key_population only with a typed one)
    source_estimate(job_id: int) -> dict                # {"job", "method", "period", ...}
    estimate_input(parameters, typed: str) -> tuple     # the job's estimate or the typed one

Only counts, dates, doses and sexes leave this module; codes only as a digest.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from flask_babel import lazy_gettext as _l
from sqlalchemy import Float, String, cast, func, or_, select

from registry.extensions import db
from registry.models import (
    Client,
    DosingEvent,
    EstimationJob,
    EstimationResult,
    OrgUnit,
    OstEnrolment,
    Population,
    TreatmentCentre,
    TreatmentEpisode,
)
from registry.models.studies import JobState
from registry.models.users import User
from registry.services import audit, linkage
from registry.services.access import ensure_epidemiology
from registry.services.methods.base import Estimate, parameter_error
from registry.services.methods.payload import EstimatingPayload

#: The centres whose open episodes are registrations (analytics.sql.DISPENSARY).
DISPENSARY = "narcological_dispensary"
#: Dosing events in which the client took medication (ost.GIVEN_KINDS).
GIVEN_KINDS = ("observed", "take_home")


def _centres_in(area: OrgUnit):
    return (
        select(TreatmentCentre.id)
        .join(OrgUnit, OrgUnit.id == TreatmentCentre.org_unit_id)
        .where(OrgUnit.path.like(area.path + "%"))
    )


def list_count(ref: str, *, start: date, end: date, area: OrgUnit) -> tuple[int, str]:
    """People on list ``ref`` in the period and area, and the digest of their codes."""
    codes = set(linkage.list_codes(ref, start=start, end=end, area=area))
    return len(codes), linkage.digest(codes)


def registered(area: OrgUnit, day: date) -> int:
    """People on the narcological register on ``day`` in ``area``: the denominator of
    estimated users per registered user (:mod:`.population`).

    A person is on the register with a registration (an episode at a narcological
    dispensary) open on ``day``, counted in the area of the latest one: exactly the
    analytics' ``REG_CLIENTS`` at a census date (``registry.analytics.sql``), so the
    result page and the ministry dashboard divide by the same number.
    """
    episode = TreatmentEpisode
    # On SQLite "+ 0" keeps the planner off the (centre, admission) and (client,
    # admission) indexes, whose range scans over most of the table took 1.5 s where
    # reading the table takes 0.1 s (bench/jobs.py; as in source_lists._registry_query).
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    client = episode.client_id + 0 if sqlite else episode.client_id
    centre = episode.centre_id + 0 if sqlite else episode.centre_id
    latest = func.row_number().over(
        partition_by=client, order_by=(episode.admission_date.desc(), episode.id.desc())
    )
    dispensaries = select(TreatmentCentre.id).where(TreatmentCentre.kind == DISPENSARY)
    open_then = (
        select(episode.client_id, episode.centre_id, latest.label("rn"))
        .where(
            episode.admission_date <= day,
            or_(episode.discharge_date.is_(None), episode.discharge_date > day),
            centre.in_(dispensaries),
        )
        .subquery()
    )
    count = select(func.count()).where(
        open_then.c.rn == 1, open_then.c.centre_id.in_(_centres_in(area))
    )
    return int(db.session.scalar(count.select_from(open_then)) or 0)


def population(area: OrgUnit, year: int) -> int | None:
    """Resident population of ``area`` in ``year``: its own rows, else its children's."""
    own = db.session.scalar(
        select(func.sum(Population.population)).where(
            Population.org_unit_id == area.id, Population.year == year
        )
    )
    if own is None:
        children = select(OrgUnit.id).where(OrgUnit.parent_id == area.id)
        own = db.session.scalar(
            select(func.sum(Population.population)).where(
                Population.org_unit_id.in_(children), Population.year == year
            )
        )
    return int(own) if own else None


def on_ost(area: OrgUnit, day: date) -> tuple[int, str]:
    """Clients with an enrolment open on ``day`` at a centre in ``area`` (and a digest)."""
    rows = db.session.execute(
        select(Client.code)
        .join(OstEnrolment, OstEnrolment.client_id == Client.id)
        .where(
            OstEnrolment.enrolment_date <= day,
            or_(OstEnrolment.exit_date.is_(None), OstEnrolment.exit_date > day),
            OstEnrolment.centre_id.in_(_centres_in(area)),
        )
    )
    codes = {code for (code,) in rows}
    return len(codes), linkage.digest(codes)


def ost_cohort(area: OrgUnit, start: date, end: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Enrolments initiated in the period in ``area`` (transfers in excluded) and their doses.

    Enrolments: ``enrolment, medication, sex, exit_date, exit_reason``. Doses: one row per
    day with medication taken (a take-home dose covers its ``take_home_days``):
    ``enrolment, date`` (``datetime64``), ``dose_mg``.
    """
    cohort = (
        select(OstEnrolment.id)
        .where(
            OstEnrolment.enrolment_date.between(start, end),
            OstEnrolment.transferred_from_id.is_(None),
            OstEnrolment.centre_id.in_(_centres_in(area)),
        )
        .scalar_subquery()
    )
    enrolments = pd.DataFrame(
        db.session.execute(
            select(
                OstEnrolment.id,
                OstEnrolment.medication,
                Client.sex,
                OstEnrolment.exit_date,
                OstEnrolment.exit_reason,
            )  # fmt: skip
            .join(Client, Client.id == OstEnrolment.client_id)
            .where(OstEnrolment.id.in_(cohort))
            .order_by(OstEnrolment.id)
        ).all(),
        columns=["enrolment", "medication", "sex", "exit_date", "exit_reason"],
    )
    # Core rows and doses as floats: no ORM object or Decimal per dose. SQLite keeps dates
    # as ISO text, which SQLAlchemy parses one by one in Python: read the text instead and
    # let pandas parse it (that parsing dominated the study's time on 10^5-10^6 doses).
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    given = db.session.connection().execute(
        select(
            DosingEvent.enrolment_id,
            cast(DosingEvent.dose_date, String) if sqlite else DosingEvent.dose_date,
            cast(DosingEvent.dose_mg, Float),
            DosingEvent.take_home_days,
        )
        .where(DosingEvent.enrolment_id.in_(cohort), DosingEvent.kind.in_(GIVEN_KINDS))
        .order_by(DosingEvent.enrolment_id, DosingEvent.dose_date)
    )
    doses = pd.DataFrame(given.all(), columns=["enrolment", "date", "dose_mg", "days"])
    doses["date"] = pd.to_datetime(doses["date"], format="%Y-%m-%d" if sqlite else None)
    covered = doses.loc[doses.index.repeat(doses["days"].fillna(1).clip(lower=1).astype(int))]
    offset = covered.groupby(level=0).cumcount()
    covered = covered.assign(date=covered["date"] + pd.to_timedelta(offset, unit="D"))
    doses = covered[["enrolment", "date", "dose_mg"]].drop_duplicates(["enrolment", "date"])
    return enrolments, doses.reset_index(drop=True)


def check_source_job(job_id: int, *, actor: User, field: str) -> None:
    """Raise a parameter error on ``field`` unless job ``job_id`` has a usable estimate.

    The job must exist, have succeeded, be visible to ``actor`` (epidemiologists and
    admins see every job) and hold a population estimate (the result of a method that
    ``estimates_population``: its payload's ``estimate`` has an abundance). The read of
    the result is audited.
    """
    ensure_epidemiology(actor)
    job = db.session.get(EstimationJob, job_id)
    if job is None:
        raise parameter_error(field, _l("There is no such job."))
    if job.state != JobState.SUCCEEDED or job.result is None:
        raise parameter_error(field, _l("This job has not succeeded: it has no result."))
    if _job_estimate(job) is None:
        raise parameter_error(field, _l("This job's result is not a population estimate."))
    audit.record_event(actor, "read", "estimation_result", job.result.id)


def _job_estimate(job: EstimationJob) -> Estimate | None:
    """The population estimate a succeeded job's result holds (None: none)."""
    return result_estimate(job.result)


def result_estimate(result: EstimationResult | None) -> Estimate | None:
    """The population estimate a stored result holds (None: none, or no result).

    Every estimating method's payload is an :class:`.payload.EstimatingPayload`, so the
    estimate is read through that common type (the method modules import this one: no
    dispatch through ``METHODS`` here)."""
    if result is None:
        return None
    return Estimate.of_payload(EstimatingPayload.load(result.payload or {}))


def check_estimate_input(p: dict[str, Any], *, actor: User, typed: str) -> None:
    """Exactly one of ``source_job`` and the typed value ``typed``; the job must be usable."""
    if p["source_job"] is None and p.get(typed) is None:
        raise parameter_error(typed, _l("Choose a finished estimation job or type the value."))
    if p["source_job"] is not None and p.get(typed) is not None:
        raise parameter_error(typed, _l("Choose a job or type the value, not both."))
    if p["source_job"] is not None:
        check_source_job(p["source_job"], actor=actor, field="source_job")
        if p.get("key_population") is not None:
            raise parameter_error(
                "key_population",
                _l("The job's result records which population it is of: choose the "
                   "population only for a typed value."),
            )  # fmt: skip


def source_estimate(job_id: int) -> dict[str, Any]:
    """The estimate of a succeeded job: ``{"job", "method", "period", "area", "abundance",
    "ci_low", "ci_high", "key_population", "input_hash"}`` (``ValueError`` if it has gone;
    ``key_population`` is None for a result computed before estimates recorded it)."""
    job = db.session.get(EstimationJob, job_id)
    if job is None or job.state != JobState.SUCCEEDED or job.result is None:
        raise ValueError(f"job {job_id} has no result to build on")
    estimate = _job_estimate(job)
    if estimate is None:
        raise ValueError(f"job {job_id} holds no population estimate")
    return {
        "job": job.id,
        "method": job.study.method,
        "period": job.study.period,
        "area": job.study.area.code,
        "abundance": estimate.abundance,
        "ci_low": estimate.ci_low,
        "ci_high": estimate.ci_high,
        "key_population": estimate.key_population,
        "input_hash": job.result.input_hash,
    }


def estimate_input(
    parameters: dict[str, Any], typed: str
) -> tuple[float, float | None, float | None, dict[str, Any] | None, dict[str, str]]:
    """``(value, low, high, source, hash entry)`` from ``source_job`` or the typed value.

    ``typed`` names the typed parameter (``"estimate"``, ``"base"``); its bounds are
    ``<typed>_low`` and ``<typed>_high``. ``source`` is None for a typed value; for a job
    it holds the job's ``key_population`` too.
    """
    if parameters.get("source_job") is not None:
        found = source_estimate(int(parameters["source_job"]))
        source = {k: found[k] for k in ("job", "method", "period", "area", "key_population")}
        entry = {"ref": f"job:{found['job']}", "digest": found["input_hash"]}
        return found["abundance"], found["ci_low"], found["ci_high"], source, entry
    value = parameters[typed]
    low, high = parameters.get(f"{typed}_low"), parameters.get(f"{typed}_high")
    return value, low, high, None, {"ref": "typed", "digest": f"{value}:{low}:{high}"}
