"""The admission form asks about a near spelling (issue 13 item 5) and says when the
client's region changes (item 8); nothing identifying comes back or is audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import AuditEvent, Client
from tests.registry.web.conftest import assert_no_identifiers


@pytest.fixture
def staff(auth):
    auth.login("clinic-bishkek")
    return auth


def admitted(staff, form) -> int:
    response = staff.post("/admissions/new", form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def count_clients(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Client))


def test_a_near_spelling_is_asked_then_decided(staff, app, admission_form):
    first = admitted(staff, admission_form())  # Асанов Бакыт
    near = admission_form(family_name="Асонов", programme="outpatient", near_match="")
    asked = staff.post("/admissions/new", near)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 422
    assert f'name="near_match" value="{first}"' in html
    assert 'name="near_match" value="new"' in html
    assert_no_identifiers(html)
    assert "Асонов" not in html
    assert count_clients(app) == 1
    # staff type the identifiers again and say it is the same person
    again = admitted(staff, {**near, "near_match": str(first)})
    assert again == first and count_clients(app) == 1
    with app.app_context():
        details = db.session.scalars(
            select(AuditEvent.detail).where(AuditEvent.entity == "near_match_decision")
        ).all()
    assert details == [f"decision=existing candidates={first}"]


def test_a_new_person_is_registered_when_staff_say_so(staff, app, admission_form):
    admitted(staff, admission_form())
    other = admitted(staff, admission_form(family_name="Асонов", near_match="new"))
    assert count_clients(app) == 2 and other


def test_the_region_change_is_shown_on_the_confirmation_and_the_client_page(
    auth, app, admission_form
):
    auth.login("clinic-osh")
    first = admitted(auth, admission_form(region_code="KG-GO"))
    auth.logout()
    auth.login("clinic-bishkek")
    response = auth.post(
        "/admissions/new", admission_form(region_code="KG-GB", admission_date="2004-02-01")
    )
    assert response.status_code == 302
    page = auth.client.get(response.headers["Location"]).get_data(as_text=True)
    assert int(response.headers["Location"].rsplit("/", 1)[1]) == first
    notice = re.search(r'<p class="flash warning"[^>]*>([^<]+)</p>', page)
    assert notice, "no notice of the region change"
    assert "Ош" in notice.group(1) or "Osh" in notice.group(1)
    assert re.search(r'class="hint notice region-change">[^<]*(Ош|Osh)', page)


def test_a_birth_date_one_digit_off_is_asked_about(staff, app, admission_form):
    first = admitted(staff, admission_form())  # born 14.03.1980
    slip = admission_form(birth_date="1980-03-15", programme="outpatient", near_match="")
    asked = staff.post("/admissions/new", slip)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 422
    assert f'name="near_match" value="{first}"' in html
    assert_no_identifiers(html)
    assert "1980-03-15" not in html and "15.03.1980" not in html
    assert count_clients(app) == 1
