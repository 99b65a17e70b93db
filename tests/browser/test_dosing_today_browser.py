"""A dosing nurse's morning in Chromium, in Russian: ten clients dosed from today's list,
one after a gap (the re-induction decision is asked for), one missed; then a dose change
scheduled from the list. Screenshots go to ``BROWSER_SCREENSHOTS`` when it is set."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.models import DoseChange, DosingEvent, TreatmentCentre, User
from registry.schemas import AdmissionSchema, DoseChangeSchema, DoseSchema, OstEnrolmentSchema
from registry.services.episodes import admit_client
from registry.services.ost import change_dose, enrol_client, record_dose
from tests.browser.test_admission_browser import sign_in
from tests.registry.conftest import build_admission_form

pytestmark = pytest.mark.browser

TODAY = date.today()
FAMILIES = ("Асанов", "Бекова", "Осмонов", "Султанов", "Токтогулов", "Жумабаев", "Иманалиева",
            "Касымов", "Мамытов", "Нурланова")  # fmt: skip


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def ten_clients_on_methadone(server) -> list[int]:
    """Ten RNC clients at 80 mg, dosed daily up to yesterday; the fourth last dosed 4
    days ago (a gap over the limit). Their enrolment ids, in that order."""
    ids = []
    with server.app.app_context():
        staff = db.session.scalar(select(User).where(User.username == "clinic-bishkek"))
        centre = db.session.scalar(select(TreatmentCentre).where(TreatmentCentre.code == "RNC"))
        for number, family in enumerate(FAMILIES):
            form = build_admission_form(programme="ost", family_name=family, admission_date=ago(11))
            client = admit_client(AdmissionSchema().load(form), actor=staff, centre=centre).client
            enrolment = enrol_client(client, OstEnrolmentSchema().load(
                {"medication": "methadone", "enrolment_date": ago(10), "induction_dose_mg": "30"}
            ), actor=staff, centre=centre)  # fmt: skip
            change_dose(enrolment, DoseChangeSchema().load(
                {"effective_date": ago(9), "dose_mg": "80", "phase": "maintenance",
                 "reason": "clinical_review"}), actor=staff)  # fmt: skip
            last = 4 if number == 3 else 1
            for days in range(10, last - 1, -1):
                data = DoseSchema().load({"dose_date": ago(days), "kind": "observed",
                                          "dose_mg": "80"})  # fmt: skip
                record_dose(enrolment, data, actor=staff)
            ids.append(enrolment.id)
        db.session.commit()
        db.session.remove()
    return ids


def todays_doses(server) -> dict[int, tuple[str, str]]:
    with server.app.app_context():
        rows = db.session.execute(
            select(DosingEvent.enrolment_id, DosingEvent.kind, DosingEvent.dose_mg).where(
                DosingEvent.dose_date == TODAY
            )
        ).all()
        db.session.remove()
    return {e: (kind, format(mg.normalize(), "f")) for e, kind, mg in rows}


def dose_the_list(
    page, server, ids: list[int], screenshot, prefix: str = "dosing-today-ru"
) -> tuple[int, int]:
    """From today's list: the fourth client after a gap (re-induction at 30 mg, the
    decision asked for), the seventh missed, the others observed at 80 mg. Returns
    (gap, missed) enrolment ids; the page ends on the list."""
    gap, missed = ids[3], ids[6]
    page.goto(f"{server.url}/ost/today")
    gap_row = page.locator(f"#row-{gap}")
    assert "Нужна повторная индукция" in gap_row.inner_text()
    assert gap_row.get_by_role("button", name=re.compile("Под наблюдением")).count() == 0
    screenshot(page, f"{prefix}-start")

    for enrolment_id in ids:
        row = page.locator(f"#row-{enrolment_id}")
        if enrolment_id == missed:
            row.get_by_role("button", name="Пропущена").click()
        elif enrolment_id == gap:
            row.get_by_role("link", name="Повторная индукция…").click()
            page.wait_for_url(re.compile(r".*/doses/new$"))
            assert page.get_by_label("Доза, мг").input_value() == ""  # nothing assumed
            assert (
                "поддерживающая доза не выдаётся"
                in page.locator("#reinduction-warning").inner_text()
            )
            screenshot(page, f"{prefix}-reinduction-asked")
            page.get_by_label("Доза, мг").fill("30")
            page.get_by_label("Повторная индукция: причина").select_option("missed_doses")
            page.get_by_role("button", name="Сохранить дозу").click()
        else:
            row.get_by_role("button", name="Под наблюдением 80 мг").click()
        page.wait_for_url(re.compile(rf"{re.escape(server.url)}/ost/today(#.*)?$"))
    screenshot(page, f"{prefix}-done")

    doses = todays_doses(server)
    expected = {e: ("observed", "80") for e in ids}
    expected[gap], expected[missed] = ("observed", "30"), ("missed", "0")
    assert doses == expected
    assert page.locator('tr[data-status="dosed"]').count() == 9
    assert "Пропущена" in page.locator(f"#row-{missed}").inner_text()
    assert "0 мг" not in page.locator(f"#row-{missed}").inner_text().replace("\xa0", " ")
    return gap, missed


def schedule_a_change(
    page, server, enrolment_id: int, screenshot, prefix: str = "dosing-today-ru"
) -> date:
    """Change the dose to 90 mg a week ahead, from the list's "Изменить дозу"."""
    ahead = TODAY + timedelta(days=7)
    page.locator(f"#row-{enrolment_id}").get_by_role("link", name="Изменить дозу").click()
    page.get_by_label("Действует с").fill(ahead.isoformat())
    page.get_by_label("Доза, мг").fill("90")
    page.get_by_label("Поддерживающая").check()
    page.get_by_label("Причина изменения").select_option("clinical_review")
    page.get_by_role("button", name="Сохранить новую дозу").click()
    page.wait_for_url(re.compile(rf"{re.escape(server.url)}/clients/\d+$"))
    page.goto(f"{server.url}/ost/today")
    row = page.locator(f"#row-{enrolment_id}").inner_text()
    assert f"с {ahead.strftime('%d.%m.%Y')}: 90" in row
    screenshot(page, f"{prefix}-change-scheduled")
    with server.app.app_context():
        scheduled = db.session.scalar(select(DoseChange).where(DoseChange.effective_date == ahead))
        assert scheduled.dose_mg == 90
        db.session.remove()
    return ahead


def test_ten_clients_dosed_from_todays_list(live_server, browser_page, screenshot):
    page = browser_page
    ids = ten_clients_on_methadone(live_server)
    sign_in(page, live_server)
    page.get_by_role("link", name="Выдача доз сегодня").click()
    page.wait_for_url(f"{live_server.url}/ost/today")
    dose_the_list(page, live_server, ids, screenshot)
    schedule_a_change(page, live_server, ids[0], screenshot)
