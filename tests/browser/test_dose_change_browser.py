"""Clinic staff change a prescribed dose through the real form in Chromium (RU and EN).

A dose typed with too many decimals is refused beside the field, in the interface's
language, and nothing is saved; the coded reason and the note are then saved and shown
in the table of prescribed doses; the warning beside the note is visible.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.models import DoseChange, TreatmentCentre, User
from registry.schemas import AdmissionSchema, OstEnrolmentSchema
from registry.services.episodes import admit_client
from registry.services.ost import enrol_client
from tests.browser.test_admission_browser import sign_in
from tests.registry.conftest import build_admission_form

pytestmark = pytest.mark.browser


def enrolled_client(server) -> int:
    """A client admitted to OST at RNC and enrolled on methadone; the enrolment id."""
    with server.app.app_context():
        staff = db.session.scalar(select(User).where(User.username == "clinic-bishkek"))
        centre = db.session.scalar(select(TreatmentCentre).where(TreatmentCentre.code == "RNC"))
        episode = admit_client(
            AdmissionSchema().load(build_admission_form(programme="ost")),
            actor=staff,
            centre=centre,
        )
        enrolment = enrol_client(
            episode.client,
            OstEnrolmentSchema().load({"medication": "methadone", "enrolment_date": "2003-05-07"}),
            actor=staff,
            centre=centre,
        )
        db.session.commit()
        enrolment_id = enrolment.id
        db.session.remove()
    return enrolment_id


def saved_changes(server) -> list[tuple[str, str, str | None]]:
    with server.app.app_context():
        rows = db.session.execute(select(DoseChange.dose_mg, DoseChange.reason, DoseChange.note))
        changes = [(str(mg), reason, note) for mg, reason, note in rows]
        db.session.remove()
    return changes


def test_a_dose_change_in_russian_then_english(live_server, browser_page, screenshot):
    page = browser_page
    enrolment_id = enrolled_client(live_server)
    sign_in(page, live_server)
    form_url = f"{live_server.url}/ost/{enrolment_id}/dose-changes/new"
    page.goto(form_url)
    page.get_by_label("Действует с").fill("2003-05-20")
    page.get_by_label("Доза, мг").fill("60.123456789")
    page.get_by_label("Поддерживающая").check()
    page.get_by_label("Причина изменения").select_option(
        label="Побочные эффекты или избыточная седация"
    )
    page.get_by_label("Примечание").fill("сонливость днём")
    warning = page.locator("#w-note")
    assert warning.is_visible()
    assert warning.inner_text().startswith("Никогда не вводите имена")
    page.get_by_role("button", name="Сохранить новую дозу").click()
    page.wait_for_selector("#e-dose_mg")
    screenshot(page, "dose-change-ru-refused")
    assert page.locator("#e-dose_mg").inner_text() == (
        "Укажите дозу не более чем с одним знаком после запятой (например, 62,5)."
    )
    assert page.get_by_label("Примечание").input_value() == "сонливость днём"  # kept
    assert saved_changes(live_server) == []

    page.get_by_label("Доза, мг").fill("62.5")
    page.get_by_role("button", name="Сохранить новую дозу").click()
    page.wait_for_url(re.compile(rf"{re.escape(live_server.url)}/clients/\d+$"))
    assert saved_changes(live_server) == [("62.50", "side_effects", "сонливость днём")]
    page.goto(form_url)
    row = page.locator("table tbody tr").first
    assert "Побочные эффекты или избыточная седация" in row.inner_text()
    assert "62,5" in row.inner_text()
    screenshot(page, "dose-change-ru-saved")

    page.get_by_role("button", name="English").click()
    page.goto(form_url)
    row = page.locator("table tbody tr").first
    assert "Side effects or over-sedation" in row.inner_text()
    assert page.locator("#w-note").inner_text().startswith("Never type names")
    page.get_by_label("Effective from").fill("2003-05-27")
    page.get_by_label("Dose, mg").fill("1e-22")
    page.get_by_label("Maintenance").check()
    page.get_by_label("Reason for the change").select_option("patient_request")
    page.get_by_role("button", name="Save the new dose").click()
    page.wait_for_selector("#e-dose_mg")
    screenshot(page, "dose-change-en-refused")
    assert page.locator("#e-dose_mg").inner_text() == "Enter a dose of at least 0.5 mg."
    assert len(saved_changes(live_server)) == 1
