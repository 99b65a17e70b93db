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
#: The PostgreSQL schema of this process's migration tests: the test database is shared by
#: the parallel workers, and two of them once dropped each other's schema mid-test.
SCHEMA = f"migration_check_{os.getpid()}"


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


#: The TDI 3.0 codes revision and the one before it.
TDI3, BEFORE_TDI3 = "5c0f6b10d51e", "ab0ad44aa7df"
EPISODE_ROW = {
    "client_id": 1, "centre_id": 1, "programme": "detoxification",
    "admission_date": "2003-05-06", "age_at_admission": 23, "ever_treated": "1",
    "referral_source": "6", "living_with": "2", "living_with_children": "1", "living_where": "1",
    "education": "3", "labour_status": "4", "primary_drug": "1.1", "route": "1",
    "frequency": "1", "secondary_drugs": "[]", "injecting": "2.3", "needle_sharing": "2.2",
    "hiv_testing": "2.2", "hcv_testing": "1", "ost_history": "1",
    "created_at": "2003-05-06 00:00:00+00:00", "updated_at": "2003-05-06 00:00:00+00:00",
}  # fmt: skip


def _before_tdi3(url: str, **episode: str):
    """An app whose database is at the revision before TDI 3.0, with one client (sex M),
    one centre and one episode (``episode`` overriding its items)."""
    app = create_app({"TESTING": True, "DATABASE_URL": url, **SECRETS})
    result = app.test_cli_runner().invoke(args=["db", "upgrade", BEFORE_TDI3])
    assert result.exit_code == 0, result.output
    row = {**EPISODE_ROW, **episode}
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO org_units (id, code, name, level, path) VALUES (1, 'KG', 'KG', 1, '/KG/')"
        ))  # fmt: skip
        connection.execute(text(
            "INSERT INTO treatment_centres (id, code, name, kind, tdi_centre_type, org_unit_id)"
            " VALUES (1, 'RNC', 'RNC', 'narcological_dispensary', '1', 1)"
        ))  # fmt: skip
        connection.execute(text(
            "INSERT INTO clients (id, code, sex, birth_year, created_at)"
            " VALUES (1, 'c0de', 'M', 1980, '2003-01-01 00:00:00+00:00')"
        ))  # fmt: skip
        columns = ", ".join(row)
        connection.execute(
            text(f"INSERT INTO treatment_episodes ({columns}) VALUES (:{', :'.join(row)})"),  # noqa: S608
            row,
        )
    return app


def _refused(connection, statement: str) -> bool:
    try:
        with connection.begin_nested():
            connection.execute(text(statement))
    except Exception as error:  # noqa: BLE001 -- IntegrityError (or psycopg's CheckViolation)
        return "check" in str(error).lower()
    return False


def _columns(app, table: str) -> set[str]:
    from sqlalchemy import inspect

    with app.app_context():
        return {column["name"] for column in inspect(db.engine).get_columns(table)}


def test_tdi3_upgrade_adds_polydrug_use_and_checks_the_codes_and_downgrades(
    empty_database_url, caplog
):
    app = _before_tdi3(empty_database_url)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade", TDI3])
    assert result.exit_code == 0, result.output
    with app.app_context(), db.engine.connect() as connection:
        assert connection.scalar(text("SELECT polydrug_use FROM treatment_episodes")) == "99"
        # a data change, so the stored analytics tables gain the polydrug breakdown
        assert connection.scalar(text("SELECT count(*) FROM analytics_changes")) == 1
        insert = ("INSERT INTO clients (id, code, sex, birth_year, created_at)"
                  " VALUES (2, 'c0d2', '{}', 1981, '2003-01-01 00:00:00+00:00')")  # fmt: skip
        assert _refused(connection, insert.format("X"))
        assert not _refused(connection, insert.format("U"))
        changes = (("injecting", "2", "2.4"), ("needle_sharing", "2", "4"),
                   ("hiv_testing", "2", "2.3"), ("polydrug_use", "1", "3"))  # fmt: skip
        for column, good, bad in changes:
            update = "UPDATE treatment_episodes SET {} = '{}'"
            assert not _refused(connection, update.format(column, good))
            assert _refused(connection, update.format(column, bad))
        assert not _refused(connection, "UPDATE treatment_centres SET tdi_centre_type = '99'")
        assert _refused(connection, "UPDATE treatment_centres SET tdi_centre_type = '7'")
        connection.commit()
    # a client of sex U cannot go back to a schema of M and F: the downgrade is refused
    result = runner.invoke(args=["db", "downgrade", BEFORE_TDI3])
    assert (
        result.exit_code != 0 and "1 clients have sex 'U'" in caplog.text
    )  # Flask-Migrate logs it
    assert "polydrug_use" in _columns(app, "treatment_episodes")
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("DELETE FROM clients WHERE sex = 'U'"))
    result = runner.invoke(args=["db", "downgrade", BEFORE_TDI3])
    assert result.exit_code == 0, result.output
    assert "polydrug_use" not in _columns(app, "treatment_episodes")
    with app.app_context(), db.engine.connect() as connection:
        assert _refused(connection, insert.format("U"))
        assert not _refused(connection, "UPDATE treatment_episodes SET injecting = '2.4'")
    with app.app_context():
        db.engine.dispose()


def test_tdi3_upgrade_names_codes_outside_the_lists_and_changes_nothing(empty_database_url, caplog):
    app = _before_tdi3(empty_database_url, injecting="4", hiv_testing="2.3")
    result = app.test_cli_runner().invoke(args=["db", "upgrade", TDI3])
    assert result.exit_code != 0
    assert "treatment_episodes.injecting: 1 rows" in caplog.text  # Flask-Migrate logs it
    assert "treatment_episodes.hiv_testing: 1 rows" in caplog.text
    assert "polydrug_use" not in _columns(app, "treatment_episodes")
    with app.app_context():
        db.engine.dispose()


def test_the_tdi3_revision_holds_the_code_lists_of_the_models():
    """The revision copies the lists (so it never changes with the code): they must agree."""
    import importlib.util
    from pathlib import Path

    from registry import codes
    from registry.models.episodes import CODED_ITEMS

    path = next(Path("migrations/versions").glob(f"{TDI3}_*.py"))
    spec = importlib.util.spec_from_file_location("tdi3_revision", path)
    revision = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(revision)
    assert {item: tuple(lst) for item, lst in CODED_ITEMS.items()} == revision.CODED_ITEMS
    assert tuple(codes.SEXES) == revision.SEXES
    assert tuple(codes.TDI_CENTRE_TYPES) == revision.CENTRE_TYPES
