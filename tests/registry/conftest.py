"""Data fixtures for registry tests: Kyrgyz org units, two centres, a user of every role.

``registry_data`` fills the (empty) database of the ``app`` fixture and returns a
:class:`RegistryData` of ids and names (ORM objects would be detached once its app
context ends). Every user's password is :data:`PASSWORD`.

* centres: ``RNC`` Republican Narcological Center, Bishkek (KG-GB); ``OSH`` Osh
  narcological clinic with OST (KG-GO);
* users: ``admin``, ``clinic-bishkek`` (RNC), ``clinic-osh`` (OSH), ``epi``
  (epidemiologist), ``ministry``.

Fixtures ``admission_form`` and ``identifiers_form`` are functions ``f(**overrides)``
returning a valid new-admission form as the browser posts it (all strings; pass it as
``data=`` to the test client) or just the four identifying fields. ``db_session`` pushes
an app context for the whole test and yields ``db.session`` for service-level tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from registry.extensions import db
from registry.models import OrgUnit, TreatmentCentre, User
from registry.models.geography import COUNTRY, DISTRICT, REGION
from tests.conftest import FAST_HASHES, TEST_SECRETS

PASSWORD = "demo-password-1"

ORG_UNITS = (
    # code, name, name_ru, level, parent
    ("KG", "Kyrgyz Republic", "Кыргызская Республика", COUNTRY, None),
    ("KG-GB", "Bishkek city", "г. Бишкек", REGION, "KG"),
    ("KG-GO", "Osh city", "г. Ош", REGION, "KG"),
    ("KG-C", "Chui region", "Чуйская область", REGION, "KG"),
    ("KG-O", "Osh region", "Ошская область", REGION, "KG"),
    ("KG-C-SOK", "Sokuluk district", "Сокулукский район", DISTRICT, "KG-C"),
)
CENTRES = (
    # code, name, kind, TDI type, org unit
    ("RNC", "Republican Narcological Center", "narcological_dispensary", "2", "KG-GB"),
    ("OSH", "Osh narcological clinic", "narcological_dispensary", "1", "KG-GO"),
)
USERS = (
    # username, role, centre
    ("admin", "admin", None),
    ("clinic-bishkek", "clinic_staff", "RNC"),
    ("clinic-osh", "clinic_staff", "OSH"),
    ("epi", "epidemiologist", None),
    ("ministry", "ministry", None),
)


@dataclass(frozen=True)
class RegistryData:
    """Ids of the rows ``registry_data`` created, keyed by their public code or name."""

    org_units: dict[str, int] = field(default_factory=dict)
    centres: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    password: str = PASSWORD


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One argon2 hash of :data:`PASSWORD` (the tests' cheap profile), computed once."""
    from registry import create_app
    from registry.services.users import hash_password

    settings = {"TESTING": True, "DATABASE_URL": "sqlite://", **TEST_SECRETS, **FAST_HASHES}
    with create_app(settings).app_context():
        return hash_password(PASSWORD)


@pytest.fixture
def registry_data(app, password_hash: str) -> RegistryData:
    """Create the org units, centres and users above; return their ids."""
    data = RegistryData()
    with app.app_context():
        for code, name, name_ru, level, parent in ORG_UNITS:
            parent_unit = db.session.get(OrgUnit, data.org_units[parent]) if parent else None
            path = (parent_unit.path if parent_unit else "/") + code + "/"
            unit = OrgUnit(
                code=code, name=name, name_ru=name_ru, level=level, parent=parent_unit, path=path
            )
            db.session.add(unit)
            db.session.flush()
            data.org_units[code] = unit.id
        for code, name, kind, tdi_type, unit_code in CENTRES:
            centre = TreatmentCentre(
                code=code,
                name=name,
                kind=kind,
                tdi_centre_type=tdi_type,
                org_unit_id=data.org_units[unit_code],
            )
            db.session.add(centre)
            db.session.flush()
            data.centres[code] = centre.id
        for username, role, centre_code in USERS:
            user = User(
                username=username,
                password_hash=password_hash,
                role=role,
                centre_id=data.centres[centre_code] if centre_code else None,
                active=True,
            )
            db.session.add(user)
            db.session.flush()
            data.users[username] = user.id
        db.session.commit()
    return data


@pytest.fixture
def db_session(app):
    """Push an app context for the whole test and yield ``db.session``."""
    with app.app_context():
        yield db.session


def build_identifiers_form(**overrides: str) -> dict[str, str]:
    """The four identifying fields as a form posts them (Cyrillic, like staff type)."""
    form = {
        "family_name": "Асанов",
        "given_name": "Бакыт",
        "birth_date": "1980-03-14",
        "sex": "M",
    }
    form.update(overrides)
    return form


def build_admission_form(**overrides: str | list[str]) -> dict[str, str | list[str]]:
    """A valid new-admission form (strings, as ``request.form``) with ``overrides``."""
    form: dict[str, str | list[str]] = {
        **build_identifiers_form(),
        "region_code": "KG-GB",
        "programme": "detoxification",
        "admission_date": date(2003, 5, 6).isoformat(),
        "ever_treated": "1",
        "referral_source": "6",
        "living_with": "2",
        "living_with_children": "1",
        "living_where": "1",
        "education": "3",
        "labour_status": "4",
        "primary_drug": "1.1",
        "route": "1",
        "frequency": "1",
        "age_first_use": "19",
        "secondary_drugs": ["7.1", "8"],
        "injecting": "2.3",
        "age_first_injection": "20",
        "needle_sharing": "2.2",
        "hiv_testing": "2.2",
        "hcv_testing": "1",
        "polydrug_use": "1",
        "ost_history": "1",
        "ost_first_year": "",
        # fixtures admit many people of one birth date: staff have decided they are
        # different people (issue 13 item 5; tests of the near-spelling question clear it)
        "near_match": "new",
    }
    form.update(overrides)
    return form


@pytest.fixture
def actor(db_session, registry_data):
    """Return a function ``actor(username) -> User`` loading a fixture user."""

    def load(username: str) -> User:
        return db_session.get(User, registry_data.users[username])

    return load


@pytest.fixture
def centre(db_session, registry_data):
    """Return a function ``centre(code) -> TreatmentCentre`` loading a fixture centre."""

    def load(code: str) -> TreatmentCentre:
        return db_session.get(TreatmentCentre, registry_data.centres[code])

    return load


@pytest.fixture
def admission_form():
    """``admission_form(**overrides)``: a valid new-admission form (see the module doc)."""
    return build_admission_form


@pytest.fixture
def identifiers_form():
    """``identifiers_form(**overrides)``: the identifying fields of a client lookup."""
    return build_identifiers_form
