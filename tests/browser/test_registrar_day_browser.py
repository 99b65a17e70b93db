"""A registrar's whole day at the Bishkek centre, in Russian, in Chromium (issue 13).

In order: find a client by the list and by code prefix; admit a new client, then a
near spelling of them (the form asks: the existing client or a new person); admit a
client of the Osh centre, whose region changes (the notice); correct one item of an
admission; void a wrong test result; dose ten clients from today's list (one after a
gap: re-induction asked for; one missed); change a dose; discharge; print the card.
Run with ``BROWSER_SCREENSHOTS=<dir>`` to keep a screenshot of each step.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import AuditEvent, Client, LabTest, TreatmentCentre, TreatmentEpisode, User
from registry.schemas import AdmissionSchema
from registry.services.episodes import admit_client
from tests.browser.test_admission_browser import BIRTH_DATE, GIVEN_NAME, fill_admission, sign_in
from tests.browser.test_amendment_browser import record_hiv
from tests.browser.test_dosing_today_browser import (
    dose_the_list,
    schedule_a_change,
    ten_clients_on_methadone,
)
from tests.registry.conftest import build_admission_form

pytestmark = pytest.mark.browser

NEAR_SPELLING = "Жамабеков"  # one letter from "Жумабеков"
OSH_CLIENT = {"family_name": "Осмонова", "given_name": "Айгуль", "birth_date": "1980-01-02",
              "sex": "F"}  # fmt: skip


def admitted_at_osh(server) -> int:
    """A client admitted at the Osh centre, living in Osh city (region KG-GO); the
    centres get their Russian names."""
    with server.app.app_context():
        for code, name in (("RNC", "Республиканский центр наркологии"),
                           ("OSH", "Ошский наркологический центр")):  # fmt: skip
            found = select(TreatmentCentre).where(TreatmentCentre.code == code)
            db.session.scalar(found).name_ru = name
        staff = db.session.scalar(select(User).where(User.username == "clinic-osh"))
        centre = db.session.scalar(select(TreatmentCentre).where(TreatmentCentre.code == "OSH"))
        form = build_admission_form(**OSH_CLIENT, region_code="KG-GO")
        client_id = admit_client(AdmissionSchema().load(form), actor=staff, centre=centre).client_id
        db.session.commit()
        db.session.remove()
    return client_id


def scalar(server, query):
    with server.app.app_context():
        value = db.session.scalar(query)
        db.session.remove()
    return value


def on_client_page(page, server) -> int:
    page.wait_for_url(re.compile(rf"{re.escape(server.url)}/clients/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def english_left(page) -> list[str]:
    """Common English words of the interface left on a Russian page."""
    text = page.locator("main").inner_text()
    words = ("Save", "Client", "Dose", "Cancel", "Choose", "Region", "Admission", "born")
    return [word for word in words if re.search(rf"\b{word}\b", text)]


def test_a_registrars_day(live_server, browser_page, screenshot):
    page, server = browser_page, live_server
    on_ost = ten_clients_on_methadone(server)
    osh_client = admitted_at_osh(server)
    first_code = scalar(server, select(Client.code).where(Client.id == 1))
    sign_in(page, server)
    screenshot(page, "day-01-dashboard")

    # 1. find a client: by the list, then by the first characters of the code
    page.get_by_role("navigation").get_by_role("link", name="Клиенты").click()
    page.wait_for_url(f"{server.url}/clients")
    page.get_by_label("Сейчас на ОЗТ").check()
    page.get_by_role("button", name="Показать").click()
    assert page.locator("tbody tr").count() == 10
    screenshot(page, "day-02-client-list")
    page.get_by_role("link", name="Сбросить фильтры").click()
    with server.app.app_context():
        codes = list(db.session.scalars(select(Client.code)))
        db.session.remove()
    prefix = next(
        first_code[:n] for n in range(1, 9) if sum(c.startswith(first_code[:n]) for c in codes) == 1
    )
    page.get_by_label("Код клиента начинается с").fill(prefix)
    page.get_by_role("button", name="Показать").click()
    assert on_client_page(page, server) == 1
    assert page.get_by_role("heading", name=f"Клиент {first_code[:8]}").is_visible()
    screenshot(page, "day-03-found-by-code")

    # 2. admit a new client
    page.get_by_role("link", name="Новое поступление").first.click()
    fill_admission(page)
    page.get_by_role("button", name="Сохранить поступление").click()
    new_client = on_client_page(page, server)
    assert "Поступление сохранено." in page.content()
    screenshot(page, "day-04-admitted")

    # 3. the same person typed with one letter different: the form asks
    page.goto(f"{server.url}/admissions/new")
    fill_admission(page)
    page.get_by_label("Фамилия").fill(NEAR_SPELLING)
    page.get_by_label("Программа").select_option("outpatient")
    page.get_by_role("button", name="Сохранить поступление").click()
    question = page.locator("fieldset.near-match")
    question.wait_for()
    assert "Это уже зарегистрированный клиент?" in question.inner_text()
    assert page.get_by_label("Фамилия").input_value() == ""  # names are never sent back
    assert english_left(page) == []
    screenshot(page, "day-05-near-spelling-asked")
    page.get_by_label("Фамилия").fill(NEAR_SPELLING)
    page.get_by_role("textbox", name="Имя", exact=True).fill(GIVEN_NAME)
    page.get_by_label("Дата рождения").fill(BIRTH_DATE)
    page.locator(f"input[name=near_match][value='{new_client}']").check()
    page.get_by_role("button", name="Сохранить поступление").click()
    assert on_client_page(page, server) == new_client
    assert scalar(server, select(func.count()).select_from(Client)) == 12
    decided = AuditEvent.entity == "near_match_decision", AuditEvent.entity_id == new_client
    decision = scalar(server, select(AuditEvent.detail).where(*decided))
    assert decision == f"decision=existing candidates={new_client}"

    # 4. a client of the Osh centre is admitted here: their region changes, and it says so
    page.goto(f"{server.url}/admissions/new")
    fill_admission(page)
    page.get_by_label("Фамилия").fill(OSH_CLIENT["family_name"])
    page.get_by_role("textbox", name="Имя", exact=True).fill(OSH_CLIENT["given_name"])
    page.get_by_label("Дата рождения").fill(OSH_CLIENT["birth_date"])
    page.get_by_label("Женский").check()
    page.get_by_label("Дата поступления").fill("2004-02-01")
    page.get_by_role("button", name="Сохранить поступление").click()
    assert on_client_page(page, server) == osh_client
    notice = page.locator(".flash.warning").inner_text()
    assert "г. Ош" in notice and "г. Бишкек" in notice
    moved = page.locator(".region-change").inner_text()
    assert "Изменён с «г. Ош» при поступлении 01.02.2004" in moved
    screenshot(page, "day-06-region-changed")

    # 5. correct one item of the new client's admission
    detox = scalar(
        server,
        select(TreatmentEpisode.id).where(
            TreatmentEpisode.client_id == new_client, TreatmentEpisode.programme == "detoxification"
        ),
    )
    page.goto(f"{server.url}/clients/{new_client}")
    page.locator(f"a[href='/records/episode/{detox}/correct']").click()
    page.get_by_label("Законченное образование").select_option("4")
    page.locator("#f-amendment_reason").select_option(label="Ошибка ввода")
    page.get_by_role("button", name="Сохранить исправление").click()
    assert on_client_page(page, server) == new_client
    assert "Исправление сохранено." in page.content()
    screenshot(page, "day-07-admission-corrected")

    # 6. a wrong HIV result, voided
    record_hiv(page, server, new_client, "positive")
    on_client_page(page, server)
    wrong = scalar(server, select(LabTest.id).where(LabTest.client_id == new_client))
    page.locator(f"a[href='/records/lab_test/{wrong}/void']").click()
    page.locator("#f-amendment_reason").select_option(label="Внесено не тому клиенту")
    page.get_by_role("button", name="Аннулировать запись").click()
    on_client_page(page, server)
    assert "Аннулированные записи" in page.content()
    screenshot(page, "day-08-result-voided")

    # 7. dose ten clients from today's list (a gap, a missed dose), then change a dose
    page.goto(f"{server.url}/dashboard")
    page.get_by_role("link", name="Выдача доз сегодня").click()
    page.wait_for_url(f"{server.url}/ost/today")
    dose_the_list(page, server, on_ost, screenshot, prefix="day-09-dosing")
    assert english_left(page) == []
    schedule_a_change(page, server, on_ost[0], screenshot, prefix="day-09-dosing")

    # 8. discharge the new client's outpatient episode
    outpatient = scalar(
        server,
        select(TreatmentEpisode.id).where(
            TreatmentEpisode.client_id == new_client, TreatmentEpisode.programme == "outpatient"
        ),
    )
    page.goto(f"{server.url}/clients/{new_client}")
    page.locator(f"a[href='/episodes/{outpatient}/discharge']").click()
    page.get_by_label("Дата выписки").fill("2003-06-01")
    page.get_by_label("Причина выписки").select_option("completed")
    page.get_by_role("button", name="Сохранить выписку").click()
    assert on_client_page(page, server) == new_client
    assert "01.06.2003" in page.locator("table").first.inner_text()
    screenshot(page, "day-10-discharged")

    # 9. print the card of a client on OST
    page.goto(f"{server.url}/clients/1")
    with page.expect_popup() as popup:
        page.get_by_role("link", name="Распечатать карту").click()
    card = popup.value
    card.wait_for_load_state()
    card.emulate_media(media="print")
    assert card.get_by_role("heading", name=f"Карта клиента {first_code[:8]}").is_visible()
    assert card.get_by_role("navigation").count() == 0
    assert card.get_by_role("button").count() == 0
    screenshot(card, "day-11-card-printed")
