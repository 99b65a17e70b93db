"""Database errors never carry the statement's parameters (record data) into logs or messages.

An ``IntegrityError`` used to show ``[parameters: ('<client code>', 'F', 1987, ...)]``
in its text, and on PostgreSQL also the server's ``DETAIL: Key (code)=(<client code>)
already exists.``, so every traceback logged by Flask, gunicorn or the job worker held
record data. The engine hides statement parameters in every environment, and the DETAIL
line is removed (:mod:`registry.database_errors`).
"""

from __future__ import annotations

import logging
import traceback

import pytest
from sqlalchemy.exc import IntegrityError

from registry import create_app
from registry.extensions import db
from registry.models import Client
from tests.conftest import TEST_SECRETS

CODE = "c0ffee" * 10 + "beef"
BIRTH_YEAR = 1987


def test_an_integrity_error_shows_no_parameter(db_session, caplog):
    db_session.add(Client(code=CODE, sex="F", birth_year=BIRTH_YEAR))
    db_session.commit()
    db_session.add(Client(code=CODE, sex="F", birth_year=BIRTH_YEAR + 1))
    logger = logging.getLogger("registry.test")
    with caplog.at_level(logging.INFO), pytest.raises(IntegrityError) as raised:
        try:
            db_session.commit()
        except IntegrityError:
            logger.exception("saving failed")  # as Flask and the job worker log it
            raise
    db_session.rollback()
    shown = "".join(traceback.format_exception(raised.value)) + caplog.text
    assert "saving failed" in caplog.text and "IntegrityError" in shown
    assert CODE not in shown and "[parameters:" not in shown


@pytest.mark.parametrize("environment", ["development", "production"])
def test_every_environment_hides_parameters_even_with_engine_options_given(
    tmp_path, monkeypatch, environment
):
    monkeypatch.setenv("REGISTRY_ENV", environment)
    settings = {"DATABASE_URL": f"sqlite:///{tmp_path / 'r.sqlite3'}", **TEST_SECRETS,
                "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True}}  # fmt: skip
    app = create_app(settings)
    with app.app_context():
        assert db.engine.hide_parameters is True
        db.engine.dispose()
