"""``flask db upgrade`` on an empty database builds exactly the models' schema."""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from registry import create_app
from registry.config import normalise_database_url
from registry.extensions import db

SECRETS = {"SECRET_KEY": "k" * 40, "LINKAGE_KEY": "l" * 40}
SCHEMA = "migration_check"


@pytest.fixture
def empty_database_url(backend: str, tmp_path):
    """A URL of an empty database: a new SQLite file, or a new PostgreSQL schema."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    base = os.environ["TEST_POSTGRES_URL"]
    engine = create_engine(normalise_database_url(base))
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    yield f"{base}?options=-csearch_path%3D{SCHEMA}"
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    engine.dispose()


@pytest.fixture
def migrated_app(empty_database_url):
    """An app whose empty database was brought up to date by ``flask db upgrade``."""
    app = create_app({"TESTING": True, "DATABASE_URL": empty_database_url, **SECRETS})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    yield app
    with app.app_context():
        db.engine.dispose()


def test_upgrade_produces_exactly_the_models_schema(migrated_app):
    with migrated_app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrated_audit_log_is_append_only(migrated_app):
    with migrated_app.app_context(), db.engine.connect() as connection:
        connection.execute(
            text("INSERT INTO audit_events (at, action, entity) VALUES (:at, 'read', 'client')"),
            {"at": "2003-01-01 00:00:00+00:00"},
        )
        connection.commit()
        for statement in ("UPDATE audit_events SET action = 'create'", "DELETE FROM audit_events"):
            with pytest.raises(Exception, match="append-only"):
                connection.execute(text(statement))
            connection.rollback()
        assert connection.scalar(text("SELECT count(*) FROM audit_events")) == 1


def test_downgrade_removes_everything(migrated_app):
    result = migrated_app.test_cli_runner().invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    with migrated_app.app_context():
        from sqlalchemy import inspect

        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}


def test_free_text_dose_change_reasons_become_notes_with_the_reason_other(empty_database_url):
    """The coding of dose-change reasons moves existing free text to the note."""
    app = create_app({"TESTING": True, "DATABASE_URL": empty_database_url, **SECRETS})
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade", "4f770bcc1625"])
    assert result.exit_code == 0, result.output
    rows = (
        "INSERT INTO org_units (id, code, name, level, path) VALUES (1, 'KG', 'KG', 1, '/KG/')",
        "INSERT INTO treatment_centres (id, code, name, kind, tdi_centre_type, org_unit_id)"
        " VALUES (1, 'RNC', 'RNC', 'ost_site', '1', 1)",
        "INSERT INTO clients (id, code, sex, birth_year, created_at)"
        " VALUES (1, 'c0de', 'M', 1980, '2003-01-01 00:00:00+00:00')",
        "INSERT INTO ost_enrolments (id, client_id, centre_id, medication, enrolment_date,"
        " created_at, updated_at) VALUES (1, 1, 1, 'methadone', '2003-01-01',"
        " '2003-01-01 00:00:00+00:00', '2003-01-01 00:00:00+00:00')",
        "INSERT INTO ost_dose_changes (id, enrolment_id, effective_date, dose_mg, phase, reason)"
        " VALUES (1, 1, '2003-01-05', 40, 'induction', 'asked by Иванов'),"
        " (2, 1, '2003-01-09', 50, 'induction', NULL)",
    )
    with app.app_context(), db.engine.begin() as connection:
        for statement in rows:
            connection.execute(text(statement))
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        with db.engine.connect() as connection:
            moved = connection.execute(
                text("SELECT id, reason, note FROM ost_dose_changes ORDER BY id")
            ).all()
        db.engine.dispose()
    assert [tuple(row) for row in moved] == [(1, "other", "asked by Иванов"), (2, None, None)]
