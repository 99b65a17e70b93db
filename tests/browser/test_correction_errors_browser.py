"""A registrar corrects a prescribed dose with several mistakes at once, in Chromium, in
Russian and then English: every mistake is marked beside its field in one answer (a
date before the enrolment, which only the record knows, beside the form's own checks),
nothing is saved, and the corrected form then saves."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.models import DoseChange, OstEnrolment, RecordAmendment, User
from registry.schemas import DoseChangeSchema
from registry.services.ost import change_dose
from tests.browser.test_admission_browser import sign_in
from tests.browser.test_dose_change_browser import enrolled_client

pytestmark = pytest.mark.browser

#: The mistakes typed: a date before the enrolment (7 May 2003), a dose above every
#: limit, no reason for the change and no reason for the correction.
MISTAKES = {"effective_date", "dose_mg", "reason", "amendment_reason"}


def prescribed(server) -> tuple[int, int]:
    """A client on methadone with a dose change from 10 May 2003: (client, change) ids."""
    enrolment_id = enrolled_client(server)
    with server.app.app_context():
        enrolment = db.session.get(OstEnrolment, enrolment_id)
        staff = db.session.scalar(select(User).where(User.username == "clinic-bishkek"))
        form = {"effective_date": "2003-05-10", "dose_mg": "40", "phase": "maintenance",
                "reason": "withdrawal"}  # fmt: skip
        change = change_dose(enrolment, DoseChangeSchema().load(form), actor=staff)
        db.session.commit()
        ids = (enrolment.client_id, change.id)
        db.session.remove()
    return ids


def stored(server, change_id: int) -> tuple[tuple[str, str, str], int]:
    """The dose change as stored, and how many amendments there are."""
    with server.app.app_context():
        change = db.session.get(DoseChange, change_id)
        row = (change.effective_date.isoformat(), str(change.dose_mg), change.reason)
        amendments = len(db.session.scalars(select(RecordAmendment)).all())
        db.session.remove()
    return row, amendments


def type_mistakes(page, date_label: str, dose_label: str, reason_label: str) -> None:
    page.get_by_label(date_label).fill("2003-05-01")
    page.get_by_label(dose_label).fill("400")
    page.get_by_label(reason_label).select_option("")


def marked(page) -> dict[str, str]:
    """The message beside each field, as the page shows it."""
    return {
        name: page.locator(f"#e-{name}").inner_text()
        for name in MISTAKES
        if page.locator(f"#e-{name}").count()
    }


def test_every_mistake_of_a_correction_is_marked_at_once(live_server, browser_page, screenshot):
    page, server = browser_page, live_server
    client_id, change_id = prescribed(server)
    before = stored(server, change_id)
    sign_in(page, server)

    page.goto(f"{server.url}/clients/{client_id}")
    page.get_by_text("Дозы и изменения дозы").click()
    page.locator(f"a[href='/records/dose_change/{change_id}/correct']").click()
    type_mistakes(page, "Действует с", "Доза, мг", "Причина изменения")
    page.get_by_role("button", name="Сохранить исправление").click()
    page.wait_for_selector("#e-effective_date")
    screenshot(page, "correction-errors-ru")
    messages = marked(page)
    assert set(messages) == MISTAKES
    assert messages["effective_date"] == "Не может быть раньше даты включения в программу."
    assert messages["amendment_reason"] == "Это поле обязательно."
    summary = page.locator(".error-summary").inner_text()
    assert "Ничего не сохранено" in summary
    listed = page.locator(".error-summary li a").evaluate_all("links => links.map(a => a.hash)")
    assert listed == ["#f-effective_date", "#f-dose_mg", "#f-reason", "#f-amendment_reason"]
    assert all(text in summary for text in messages.values())
    assert stored(server, change_id) == before

    page.get_by_role("button", name="English").click()
    page.goto(f"{server.url}/records/dose_change/{change_id}/correct")
    type_mistakes(page, "Effective from", "Dose, mg", "Reason for the change")
    page.get_by_role("button", name="Save the correction").click()
    page.wait_for_selector("#e-effective_date")
    screenshot(page, "correction-errors-en")
    messages = marked(page)
    assert set(messages) == MISTAKES
    assert messages["effective_date"] == "Cannot be before the enrolment date."
    assert messages["amendment_reason"] == "This field is required."
    assert stored(server, change_id) == before

    # every mistake put right in the form as it came back: saved, once
    page.get_by_label("Effective from").fill("2003-05-09")
    page.get_by_label("Dose, mg").fill("45")
    page.get_by_label("Reason for the change").select_option("withdrawal")
    page.locator("#f-amendment_reason").select_option("typing_error")
    page.get_by_role("button", name="Save the correction").click()
    page.wait_for_url(re.compile(rf"{re.escape(server.url)}/clients/{client_id}$"))
    screenshot(page, "correction-saved-en")
    assert stored(server, change_id) == (("2003-05-09", "45.00", "withdrawal"), 1)
