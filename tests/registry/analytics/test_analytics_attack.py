"""The informed attacker of docs/disclosure.md against the default demo, over HTTP.

The database gets what ``make run`` loads (``flask demo load`` with its defaults: Kyrgyzstan
1998-2004), the analytics tables are refreshed, and :mod:`attacker` reads every family,
year, level and split as a ministry token holder (JSON, CSV, ADX, quarter and month
censuses, a relative period), checks that every figure is the same cell in every answer,
and bounds every withheld cell by LP with the knowledge that it is at least 1. Then one
new client is admitted through the admission service into a withheld cell at 9 (so it
becomes 10), the tables are refreshed again, and the attacker solves both generations
together. No withheld cell of either may be pinned narrower than 3. About a minute and a
half per backend.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from registry.analytics import sql
from registry.analytics.periods import parse_period
from registry.analytics.refresh import refresh_tables
from registry.auth.tokens import create_token
from registry.extensions import db
from registry.models import OrgUnit, TreatmentCentre, User
from registry.schemas import AdmissionSchema
from registry.services.episodes import admit_client
from tests.registry.analytics.attacker import Attacker, attack
from tests.registry.conftest import build_admission_form

pytestmark = pytest.mark.slow

YEARS = list(range(1998, 2005))


def _collect(client, secret: str):
    headers = {"Authorization": f"Bearer {secret}"}
    published = Attacker(lambda url: client.get(url, headers=headers)).collect(YEARS)
    assert not published.conflicts, published.conflicts[:5]  # one table, whatever the answer
    return published


def _nine_at(centre: TreatmentCentre) -> tuple[str, str, str]:
    """(unit code, sex, age group) of a new-registration cell of 2004 at ``centre``'s unit
    holding 9 (the test reads the truth to choose where to add someone)."""
    period = parse_period("2004", today=date(2005, 1, 1))[0]
    counts = sql.family_counts("new_registrations", [period])["2004"]
    nines = sorted((k[2], k[3]) for k, n in counts.items() if k[1] == centre.org_unit_id and n == 9)
    assert nines, "the seeded demo has a 9 among RNC's new registrations of 2004"
    return (db.session.get(OrgUnit, centre.org_unit_id).code, *nines[0])


def _admit_one(sex: str, group: str) -> None:
    """A first-time outpatient at RNC in June 2004, of ``sex`` and in age ``group``."""
    centre = db.session.scalar(select(TreatmentCentre).where(TreatmentCentre.code == "RNC"))
    staff = db.session.scalar(select(User).where(User.username == "clinic-bishkek"))
    age = 13 if group.startswith("<") else int(group.rstrip("+").split("-")[0]) + 1
    form = build_admission_form(
        family_name="Новикова", given_name="Айжан", sex=sex, birth_date=f"{2004 - age}-01-02",
        programme="outpatient", admission_date="2004-06-01", ever_treated="1",
        age_first_use=str(age - 1), age_first_injection=str(age - 1),
    )  # fmt: skip
    admit_client(AdmissionSchema().load(form), actor=staff, centre=centre)
    db.session.commit()


def test_no_withheld_cell_is_narrower_than_3_in_one_or_two_generations(app, runner, client):
    loaded = runner.invoke(args=["demo", "load"])
    assert loaded.exit_code == 0, loaded.output
    assert "1998-2004" in loaded.output
    with app.app_context():
        refresh_tables()
        _token, secret = create_token(
            db.session.scalar(select(User).where(User.role == "ministry")), "attacker"
        )
        db.session.commit()
        centre = db.session.scalar(select(TreatmentCentre).where(TreatmentCentre.code == "RNC"))
        unit, sex, group = _nine_at(centre)
    first = _collect(client, secret)
    withheld = sum(value is None for value in first.cells.values())
    assert withheld > 1000  # the attack has something to attack
    narrow = attack([first]).narrow()
    assert not narrow, (len(narrow), list(narrow.items())[:5])

    with app.app_context():
        _admit_one(sex, group)
        refresh_tables()
    second = _collect(client, secret)
    cell = ("REG_NEW", "2004", unit, sex, group)
    assert first.cells[cell] is None and second.cells[cell] is None  # 9, then 10: kept
    changed = {k for k in second.cells if first.cells.get(k) != second.cells[k]}
    assert changed  # the new client shows somewhere
    assert all(second.cells[k] is None for k in first.cells if first.cells[k] is None)
    findings = attack([first, second], added=1, only={(k[0], k[1]) for k in changed})
    # a cell published in the first generation and withheld in the second was known: the
    # attacker learns only whether the new client is in it (docs/disclosure.md, residual
    # risks); every other withheld cell of either generation must stay 3 wide
    known = {(1, *k) for k, value in first.cells.items() if value is not None}
    narrow = {k: v for k, v in findings.narrow().items() if k not in known}
    assert not narrow, (len(narrow), list(narrow.items())[:5])
