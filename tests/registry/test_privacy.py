"""No identifying field -- names, full date of birth, the SLK -- reaches the database,
the logs or the audit log, whatever the path: admission, lookup, errors, the demo."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest
from marshmallow import ValidationError
from sqlalchemy import select

from registry.extensions import db
from registry.schemas import AdmissionSchema, ClientLookupSchema, DischargeSchema
from registry.services import ServiceError
from registry.services.client_codes import ClientIdentifiers, normalise_name, slk581
from registry.services.clients import find_client
from registry.services.episodes import admit_client, discharge_episode

FAMILY, GIVEN, BORN = "Зарылбекова", "Чолпон", date(1979, 11, 23)
SECRETS = [
    FAMILY, FAMILY.upper(), GIVEN, GIVEN.upper(), normalise_name(FAMILY), normalise_name(GIVEN),
    "Zarylbekova", "Cholpon", "1979-11-23", "23111979", "23.11.1979", "1979/11/23",
    slk581(ClientIdentifiers(FAMILY, GIVEN, BORN, "F")),
]  # fmt: skip


def database_text() -> str:
    """Every row of every table, as text."""
    rows = []
    for table in db.metadata.sorted_tables:
        rows += [repr(tuple(row)) for row in db.session.execute(select(table)).all()]
    return "\n".join(rows)


def database_bytes(app) -> bytes:
    """The SQLite file (and its journal files) as raw bytes; empty on PostgreSQL."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite:///"):
        return b""
    path = Path(url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def assert_no_identifier_in(text: str) -> None:
    leaked = [secret for secret in SECRETS if secret.lower() in text.lower()]
    assert leaked == []


@pytest.fixture
def sql_logging(caplog):
    """Capture every log record, including SQL statements and their parameters."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    return caplog


def test_identifiers_never_reach_database_logs_or_audit(
    app, db_session, actor, centre, admission_form, sql_logging
):
    staff, rnc = actor("clinic-bishkek"), centre("RNC")
    form = admission_form(
        family_name=FAMILY, given_name=GIVEN, birth_date=BORN.isoformat(), sex="F",
        admission_date="2003-02-01",
    )  # fmt: skip
    episode = admit_client(AdmissionSchema().load(form), actor=staff, centre=rnc)
    db_session.commit()
    with pytest.raises(ServiceError) as error:  # the same admission again: a rule error
        admit_client(AdmissionSchema().load(form), actor=staff, centre=rnc)
    db_session.rollback()
    with app.test_request_context():  # messages are lazy: render them as a page would
        assert_no_identifier_in(str(error.value) + repr(error.value.messages))
    with pytest.raises(ValidationError) as invalid:  # an invalid form with the identifiers
        AdmissionSchema().load({**form, "admission_date": "1970-01-01"})
    with app.test_request_context():
        assert_no_identifier_in(repr(invalid.value.messages) + repr(invalid.value.valid_data))
    lookup = ClientLookupSchema().load(form)
    assert find_client(lookup["identifiers"], actor=staff).id == episode.client_id
    discharge = DischargeSchema().load({"discharge_date": "2003-02-20", "discharge_reason": "died"})
    discharge_episode(episode, discharge, actor=staff)
    db_session.commit()

    assert episode.client.birth_year == 1979 and episode.client.sex == "F"
    assert_no_identifier_in(database_text())
    assert_no_identifier_in(database_bytes(app).decode("utf-8", errors="replace"))
    assert_no_identifier_in(sql_logging.text)
    assert "INSERT INTO clients" in sql_logging.text  # the SQL log was really captured
