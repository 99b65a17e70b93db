"""Helpers for web tests: an ``auth`` object that signs in like a browser.

CSRF protection stays on: every POST carries the token read from the page's form, as a
browser would send it. ``auth.post(path, data)`` fetches the form at ``path`` first
(or ``form_path``) and posts with its token; ``token=False`` leaves the token out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from registry.extensions import db

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    """The CSRF token of the first form in ``html``."""
    match = TOKEN.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


class AuthActions:
    """Sign in and out, and post forms with their CSRF token, through the test client."""

    def __init__(self, client: FlaskClient, password: str) -> None:
        self.client = client
        self.password = password

    def token(self, path: str = "/login") -> str:
        """Open ``path`` and return the CSRF token of its form."""
        response = self.client.get(path, follow_redirects=True)
        assert response.status_code == 200, (path, response.status_code)
        return csrf_token_from(response.get_data(as_text=True))

    def login(self, username: str = "clinic-bishkek", password: str | None = None) -> TestResponse:
        """Sign in through the login form."""
        data = {"username": username, "password": password or self.password}
        data["csrf_token"] = self.token("/login")
        return self.client.post("/login", data=data)

    def logout(self) -> TestResponse:
        """Sign out with the button in the page header."""
        return self.client.post("/logout", data={"csrf_token": self.token("/")})

    def post(
        self,
        path: str,
        data: dict[str, Any],
        *,
        token: bool = True,
        form_path: str | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        """Post ``data`` to ``path`` with the token of the form at ``form_path or path``."""
        data = dict(data)
        if token:
            data["csrf_token"] = self.token(form_path or path)
        return self.client.post(path, data=data, **kwargs)


@pytest.fixture
def auth(client: FlaskClient, registry_data) -> AuthActions:
    """Sign-in helper on the test ``client`` with the fixture users' password."""
    return AuthActions(client, registry_data.password)


@pytest.fixture
def app_context(app):
    """An application context around the test (for querying the database)."""
    with app.app_context():
        yield


@dataclass(frozen=True)
class CentreRecords:
    """Ids of one client's records at the Bishkek centre (``RNC``)."""

    client_id: int
    episode_id: int
    enrolment_id: int


@pytest.fixture
def rnc_records(app, registry_data) -> CentreRecords:
    """A client admitted at RNC, enrolled on OST there, with an HIV test (via services)."""
    from registry.models import TreatmentCentre, User
    from registry.schemas import AdmissionSchema, LabTestSchema, OstEnrolmentSchema
    from registry.services.episodes import admit_client
    from registry.services.lab import record_test
    from registry.services.ost import enrol_client
    from tests.registry.conftest import build_admission_form

    with app.app_context():
        actor = db.session.get(User, registry_data.users["clinic-bishkek"])
        centre = db.session.get(TreatmentCentre, registry_data.centres["RNC"])
        data = AdmissionSchema().load(build_admission_form(programme="ost"))
        episode = admit_client(data, actor=actor, centre=centre)
        enrolment = enrol_client(
            episode.client,
            OstEnrolmentSchema().load({"medication": "methadone", "enrolment_date": "2003-05-07"}),
            actor=actor,
            centre=centre,
        )
        record_test(
            episode.client,
            LabTestSchema().load(
                {"test": "HIV", "sample_date": "2003-05-07", "result": "negative"}
            ),
            actor=actor,
            centre=centre,
        )
        db.session.commit()
        return CentreRecords(episode.client_id, episode.id, enrolment.id)


#: The identifiers the fixture forms type; none may ever come back in a response.
IDENTIFIER_TRACES = ("Асанов", "АСАНОВ", "Бакыт", "БАКЫТ", "1980-03-14", "14.03.1980", "ASANOV")


def assert_no_identifiers(text: str) -> None:
    """Fail if ``text`` contains any trace of the fixture client's identifiers."""
    found = [trace for trace in IDENTIFIER_TRACES if trace.lower() in text.lower()]
    assert found == [], f"identifier traces in the response: {found}"


@pytest.fixture
def row_counts(app):
    """``row_counts()``: rows per table of client-level data (audit: all but sign-ins)."""
    from registry.models import (
        AuditEvent,
        Client,
        DoseChange,
        DosingEvent,
        LabTest,
        OstEnrolment,
        TreatmentEpisode,
    )

    def count() -> dict[str, int]:
        with app.app_context():
            counts = {
                model.__tablename__: db.session.scalar(
                    db.select(db.func.count()).select_from(model)
                )
                for model in (
                    Client,
                    TreatmentEpisode,
                    OstEnrolment,
                    DosingEvent,
                    DoseChange,
                    LabTest,
                )
            }
            counts["audit_changes"] = db.session.scalar(
                db.select(db.func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action.in_(("create", "update", "delete")))
            )
            return counts

    return count


@pytest.fixture
def rnc_staff(auth, rnc_records) -> AuthActions:
    """Signed in as the Bishkek centre's staff, with the centre's records in place."""
    auth.login("clinic-bishkek")
    return auth


@pytest.fixture
def client_not_on_ost(rnc_staff, admission_form) -> int:
    """A client admitted through the form, with no OST enrolment."""
    form = admission_form(family_name="Токтогулов", given_name="Нурлан", birth_date="1975-01-02")
    response = rnc_staff.post("/admissions/new", form)
    return int(response.headers["Location"].rsplit("/", 1)[1])
