"""A registrar finds an early dose of a long OST enrolment, in Russian, in Chromium: the
client page lists the latest 30 doses, its link opens the dose history, "earlier doses"
pages back, and the dose's correct link opens its correction form."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.models import DosingEvent, TreatmentCentre, User
from registry.schemas import AdmissionSchema, OstEnrolmentSchema
from registry.services.episodes import admit_client
from registry.services.listings import DOSES_PER_PAGE
from registry.services.ost import enrol_client
from tests.browser.test_admission_browser import sign_in
from tests.registry.conftest import build_admission_form

pytestmark = pytest.mark.browser
FIRST = date(2003, 5, 8)


def enrolled_with_doses(server, n: int) -> tuple[int, int, list[int]]:
    """A client on OST at RNC with ``n`` daily doses: (client id, enrolment id, dose ids)."""
    with server.app.app_context():
        staff = db.session.scalar(select(User).where(User.username == "clinic-bishkek"))
        centre = db.session.scalar(select(TreatmentCentre).where(TreatmentCentre.code == "RNC"))
        form = build_admission_form(programme="ost", admission_date="2003-05-06")
        episode = admit_client(AdmissionSchema().load(form), actor=staff, centre=centre)
        enrolment = enrol_client(
            episode.client,
            OstEnrolmentSchema().load({"medication": "methadone", "enrolment_date": "2003-05-07"}),
            actor=staff,
            centre=centre,
        )
        doses = [
            DosingEvent(enrolment=enrolment, dose_date=FIRST + timedelta(days=i),
                        dose_mg=Decimal("40"), kind="observed")
            for i in range(n)
        ]  # fmt: skip
        db.session.add_all(doses)
        db.session.commit()
        ids = (episode.client_id, enrolment.id, [dose.id for dose in doses])
        db.session.remove()
    return ids


def test_page_back_to_an_early_dose_and_correct_it(live_server, browser_page, screenshot):
    page, server = browser_page, live_server
    total = DOSES_PER_PAGE + 3
    client_id, enrolment_id, doses = enrolled_with_doses(server, total)
    sign_in(page, server)

    page.goto(f"{server.url}/clients/{client_id}")
    page.get_by_text("Дозы и изменения дозы").click()
    listed = page.locator("a[href^='/records/dosing_event/'][href$='/correct']")
    assert listed.count() == DOSES_PER_PAGE
    page.get_by_role("link", name=f"Все дозы ({total}), по страницам").click()
    page.wait_for_url(f"{server.url}/ost/{enrolment_id}/doses")
    assert f"Записано доз: {total}" in page.content()
    page.get_by_role("link", name="Более ранние дозы").click()
    page.wait_for_url(f"{server.url}/ost/{enrolment_id}/doses?page=2")
    assert listed.count() == 3
    screenshot(page, "dose-history-page-2-ru")
    page.locator(f"a[href='/records/dosing_event/{doses[0]}/correct']").click()
    page.wait_for_url(f"{server.url}/records/dosing_event/{doses[0]}/correct")
    assert page.get_by_role("button", name="Сохранить исправление").is_visible()
