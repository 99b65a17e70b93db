"""An admission in the Russian interface with the TDI 3.0 codes the form gained."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.models import TreatmentEpisode
from tests.browser.test_admission_browser import fill_admission, sign_in

pytestmark = pytest.mark.browser


def test_admission_in_russian_with_sex_not_known_and_the_new_codes(
    live_server, browser_page, screenshot
):
    page = browser_page
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/admissions/new")
    fill_admission(page)
    page.locator('input[name="sex"][value="U"]').check()
    assert page.locator('label:has(input[name="sex"][value="U"])').inner_text().strip() == (
        "Неизвестно"
    )
    injecting = page.get_by_role("combobox", name="Инъекционное употребление", exact=True)
    injecting.select_option(label="Когда-либо (когда в последний раз — неизвестно)")
    page.get_by_label("Совместное использование игл или шприцев").select_option("2")
    page.get_by_label("Обследование на ВИЧ").select_option(
        label="Обследовался (когда в последний раз — неизвестно)"
    )
    page.get_by_label("Проблемное употребление нескольких веществ").select_option(label="Да")
    screenshot(page, "tdi-admission-filled")
    page.get_by_role("button", name="Сохранить поступление").click()
    page.wait_for_url(re.compile(rf"{re.escape(live_server.url)}/clients/\d+$"))
    screenshot(page, "tdi-client")
    content = page.content()
    assert "Поступление сохранено." in content
    assert "Проблемное употребление нескольких веществ" in content

    with live_server.app.app_context():
        episode = db.session.scalars(select(TreatmentEpisode)).one()
        stored = (episode.client.sex, episode.injecting, episode.needle_sharing,
                  episode.hiv_testing, episode.polydrug_use)  # fmt: skip
        db.session.remove()
        db.engine.dispose()
    assert stored == ("U", "2", "2", "2", "1")
