"""A registrar finds a client by the list and by code prefix, and prints the card (Russian).

Run with ``BROWSER_SCREENSHOTS=<dir>`` to keep a screenshot of each step.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.models import TreatmentCentre, User
from registry.schemas import AdmissionSchema, OstEnrolmentSchema
from registry.services.episodes import admit_client
from registry.services.ost import enrol_client
from tests.browser.test_admission_browser import sign_in
from tests.registry.conftest import build_admission_form

pytestmark = pytest.mark.browser


def admitted_clients(server) -> tuple[str, list[str]]:
    """Three clients at RNC, the second on methadone 30 mg; (its code, every code)."""
    codes = []
    with server.app.app_context():
        staff = db.session.scalar(select(User).where(User.username == "clinic-bishkek"))
        centre = db.session.scalar(select(TreatmentCentre).where(TreatmentCentre.code == "RNC"))
        centre.name_ru = "Республиканский центр наркологии"
        for day, name in enumerate(("Асанов", "Бекова", "Осмонов"), start=1):
            form = build_admission_form(family_name=name, admission_date=f"2003-05-0{day}")
            episode = admit_client(AdmissionSchema().load(form), actor=staff, centre=centre)
            codes.append(episode.client.code)
            if name == "Бекова":
                on_ost = episode.client.code
                enrol_client(episode.client, OstEnrolmentSchema().load(
                    {"medication": "methadone", "enrolment_date": "2003-05-02",
                     "induction_dose_mg": "30"}), actor=staff, centre=centre)  # fmt: skip
        db.session.commit()
        db.session.remove()
    return on_ost, codes


def test_find_by_list_and_by_code_then_print_the_card(live_server, browser_page, screenshot):
    page = browser_page
    on_ost, codes = admitted_clients(live_server)
    sign_in(page, live_server)
    assert page.get_by_role("heading", name="Республиканский центр наркологии").is_visible()

    page.get_by_role("navigation").get_by_role("link", name="Клиенты").click()
    page.wait_for_url(f"{live_server.url}/clients")
    for code in codes:
        assert page.get_by_role("link", name=code[:8]).is_visible()
    page.get_by_label("Сейчас на ОЗТ").check()
    page.get_by_role("button", name="Показать").click()
    assert page.get_by_role("link", name=on_ost[:8]).is_visible()
    assert page.locator("tbody tr").count() == 1
    screenshot(page, "client-list-on-ost")

    page.get_by_role("link", name="Сбросить фильтры").click()
    prefix = next(
        on_ost[:n] for n in range(1, 9) if sum(c.startswith(on_ost[:n]) for c in codes) == 1
    )
    page.get_by_label("Код клиента начинается с").fill(prefix)
    page.get_by_role("button", name="Показать").click()
    page.wait_for_url(f"{live_server.url}/clients/*")
    assert page.get_by_role("heading", name=f"Клиент {on_ost[:8]}").is_visible()
    page.get_by_text("Записанное поступление").first.click()
    assert page.get_by_text("Кем направлен").first.is_visible()
    screenshot(page, "client-page-admission")

    with page.expect_popup() as popup:
        page.get_by_role("link", name="Распечатать карту").click()
    card = popup.value
    card.wait_for_load_state()
    card.emulate_media(media="print")
    assert card.get_by_role("heading", name=f"Карта клиента {on_ost[:8]}").is_visible()
    assert card.get_by_text(on_ost, exact=True).is_visible()
    assert card.get_by_text("30 мг", exact=False).is_visible()
    assert card.get_by_role("navigation").count() == 0
    assert card.get_by_role("button").count() == 0
    screenshot(card, "client-card-print")
