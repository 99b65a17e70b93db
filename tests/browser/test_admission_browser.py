"""Clinic staff admit a client through the real form in Chromium (Russian interface)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import Client, TreatmentEpisode
from registry.services.client_codes import normalise_name

pytestmark = pytest.mark.browser

FAMILY_NAME = "Жумабеков"
GIVEN_NAME = "Эрлан"
BIRTH_DATE = "1985-07-21"


def sign_in(page, server) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_label("Имя пользователя").fill("clinic-bishkek")
    page.get_by_label("Пароль").fill(server.password)
    page.get_by_role("button", name="Вход").click()
    page.wait_for_url(f"{server.url}/dashboard")


def fill_admission(page) -> None:
    page.get_by_label("Фамилия").fill(FAMILY_NAME)
    page.get_by_role("textbox", name="Имя", exact=True).fill(GIVEN_NAME)
    page.get_by_label("Дата рождения").fill(BIRTH_DATE)
    page.get_by_label("Мужской").check()
    page.get_by_label("Регион проживания").select_option("KG-GB")
    page.get_by_label("Программа").select_option("detoxification")
    page.get_by_label("Дата поступления").fill("2003-05-06")
    page.get_by_label("Лечился ли ранее от наркозависимости").select_option("1")
    page.get_by_label("Основное вещество").select_option("1.1")
    page.get_by_label("Обычный способ употребления основного вещества").select_option("1")
    page.get_by_label("Частота употребления (последние 30 дней)").select_option("1")
    page.get_by_label("Возраст первого употребления основного вещества").fill("15")
    page.get_by_label("Алкоголь").check()
    page.get_by_role("combobox", name="Инъекционное употребление", exact=True).select_option("2.3")


def traces(name: str) -> list[bytes]:
    """Byte patterns a stored name could leave: as typed, cased, transliterated."""
    forms = {name, name.upper(), name.lower(), normalise_name(name), normalise_name(name).lower()}
    patterns = [form.encode("utf-8") for form in forms]
    patterns += [form.encode("utf-16-le") for form in forms]
    return patterns


def test_admission_through_the_browser_creates_one_episode_and_stores_no_name(
    live_server, browser_page, screenshot
):
    page = browser_page
    sign_in(page, live_server)
    screenshot(page, "1-dashboard")
    page.get_by_role("link", name="Новое поступление").first.click()
    page.wait_for_url(f"{live_server.url}/admissions/new")
    fill_admission(page)
    screenshot(page, "2-admission-filled")
    page.get_by_role("button", name="Сохранить поступление").click()
    page.wait_for_url(re.compile(rf"{re.escape(live_server.url)}/clients/\d+$"))
    screenshot(page, "3-client")
    assert "Поступление сохранено." in page.content()
    assert FAMILY_NAME not in page.content()

    with live_server.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TreatmentEpisode)) == 1
        assert db.session.scalar(select(func.count()).select_from(Client)) == 1
        episode = db.session.scalars(select(TreatmentEpisode)).one()
        assert (episode.primary_drug, episode.secondary_drugs) == ("1.1", ["8"])
        db.session.remove()
        db.engine.dispose()

    files = [live_server.database, *live_server.database.parent.glob("registry.sqlite3-*")]
    stored = b"".join(path.read_bytes() for path in files)
    for pattern in traces(FAMILY_NAME) + traces(GIVEN_NAME):
        assert pattern not in stored, pattern
    assert b"21071985" not in stored and BIRTH_DATE.encode() not in stored


def test_an_invalid_admission_shows_the_error_beside_the_field_and_saves_nothing(
    live_server, browser_page, screenshot
):
    page = browser_page
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/admissions/new")
    fill_admission(page)
    page.get_by_label("Основное вещество").select_option("")
    page.get_by_role("button", name="Сохранить поступление").click()
    page.wait_for_selector("#e-primary_drug")
    screenshot(page, "4-admission-error")
    assert page.locator("#e-primary_drug").inner_text() == "Это поле обязательно."
    assert page.get_by_label("Фамилия").input_value() == ""  # identifiers are never sent back
    assert page.get_by_label("Алкоголь").is_checked()  # the rest of the form is kept
    with live_server.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TreatmentEpisode)) == 0
