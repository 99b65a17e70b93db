"""The indexes the load needs are used (issue 12 §5): the ministry dashboard's years and
the dashboard's re-test reminders read an index, not every episode of the registry or
every open episode of a centre. The plans are SQLite's (PostgreSQL plans by statistics,
which an empty test database does not have); the results are checked on both backends."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.dialects import sqlite

from registry.extensions import db
from registry.ministry_web.panels import admission_span, available_years
from registry.schemas import AdmissionSchema
from registry.services.episodes import admit_client
from registry.services.reminders import _retests_statement


def plan(statement, params: dict) -> str:
    """SQLite's query plan of ``statement`` with ``params``, one step a line."""
    sql = statement.params(**params).compile(
        dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}
    )
    rows = db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
    return "\n".join(row[-1] for row in rows)


def test_available_years_span_the_admissions(db_session, actor, centre, admission_form):
    assert available_years() == []
    staff, clinic = actor("clinic-bishkek"), centre("RNC")
    for name, day in (("Асанов", date(2001, 3, 4)), ("Бекова", date(2000, 12, 31)),
                      ("Давлетов", date(2003, 1, 1))):  # fmt: skip
        form = admission_form(family_name=name, admission_date=day.isoformat())
        admit_client(AdmissionSchema().load(form), actor=staff, centre=clinic)
    db_session.commit()
    assert available_years() == [2003, 2002, 2001, 2000]


def test_available_years_read_the_admission_date_index(app, backend, db_session):
    if backend != "sqlite":
        pytest.skip("SQLite's plan")
    steps = plan(admission_span(), {})
    assert steps.count("USING COVERING INDEX ix_treatment_episodes_admission_date") == 2, steps
    assert "SCAN treatment_episodes" not in steps, steps


def test_retests_read_open_injecting_episodes_from_the_index(app, backend, db_session):
    if backend != "sqlite":
        pytest.skip("SQLite's plan")
    params = {"centre_id": 1, "cutoff_HIV": date(2003, 1, 1), "cutoff_HCV": date(2003, 1, 1)}
    steps = plan(_retests_statement(), params)
    assert "ix_treatment_episodes_open_centre_injecting" in steps, steps
