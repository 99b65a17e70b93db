"""A registrar corrects one item of an admission and voids a wrong test result, in
Russian, in Chromium: the history shows old and new values, a second result of the same
day is refused with a link to correct the existing one, and the voided result is gone
from the records but listed, with its reason, under the voided records."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.models import LabTest, RecordAmendment, TreatmentCentre, TreatmentEpisode, User
from registry.schemas import AdmissionSchema
from registry.services.episodes import admit_client
from tests.browser.test_admission_browser import sign_in
from tests.registry.conftest import build_admission_form

pytestmark = pytest.mark.browser


def admitted_client(server) -> tuple[int, int]:
    """A client admitted at RNC (education: secondary); (client id, episode id)."""
    with server.app.app_context():
        staff = db.session.scalar(select(User).where(User.username == "clinic-bishkek"))
        centre = db.session.scalar(select(TreatmentCentre).where(TreatmentCentre.code == "RNC"))
        episode = admit_client(
            AdmissionSchema().load(build_admission_form()), actor=staff, centre=centre
        )
        db.session.commit()
        ids = (episode.client_id, episode.id)
        db.session.remove()
    return ids


def record_hiv(page, server, client_id: int, result: str) -> None:
    page.goto(f"{server.url}/clients/{client_id}/lab-tests/new")
    page.locator("input[name=test][value=HIV]").check()
    page.get_by_label("Дата взятия пробы").fill("2003-05-07")
    page.locator(f"input[name=result][value={result}]").check()
    page.get_by_role("button", name="Сохранить результат").click()


def test_correct_an_admission_item_and_void_a_wrong_result(live_server, browser_page, screenshot):
    page, server = browser_page, live_server
    client_id, episode_id = admitted_client(server)
    sign_in(page, server)

    # correct one TDI item of the admission
    page.goto(f"{server.url}/clients/{client_id}")
    page.locator(f"a[href='/records/episode/{episode_id}/correct']").click()
    page.get_by_label("Законченное образование").select_option("4")
    page.locator("#f-amendment_reason").select_option(label="Ошибка ввода")
    screenshot(page, "amend-admission-form-ru")
    page.get_by_role("button", name="Сохранить исправление").click()
    page.wait_for_url(f"{server.url}/clients/{client_id}")
    assert "Исправление сохранено." in page.content()
    page.get_by_text("История (1)").click()
    history = page.locator(".amend-history").first.inner_text()
    assert "Ошибка ввода" in history and "Законченное образование" in history
    screenshot(page, "amend-admission-history-ru")

    # a wrong HIV result, then the "right" one for the same day: refused, with a link
    record_hiv(page, server, client_id, "positive")
    page.wait_for_url(f"{server.url}/clients/{client_id}")
    record_hiv(page, server, client_id, "negative")
    summary = page.locator(".error-summary")
    assert "Результат этого анализа за этот день уже записан." in summary.inner_text()
    link = summary.get_by_role("link", name="исправить существующую запись")
    assert link.is_visible()
    screenshot(page, "amend-duplicate-result-ru")

    # void the wrong result
    page.goto(f"{server.url}/clients/{client_id}")
    with server.app.app_context():
        test_id = db.session.scalar(select(LabTest.id))
        db.session.remove()
    page.locator(f"a[href='/records/lab_test/{test_id}/void']").click()
    page.locator("#f-amendment_reason").select_option(label="Внесено не тому клиенту")
    screenshot(page, "amend-void-form-ru")
    page.get_by_role("button", name="Аннулировать запись").click()
    page.wait_for_url(f"{server.url}/clients/{client_id}")
    assert "Аннулированные записи" in page.content()
    screenshot(page, "amend-voided-ru")

    with server.app.app_context():
        assert db.session.scalar(select(LabTest)) is None
        assert db.session.get(TreatmentEpisode, episode_id).education == "4"
        kept = db.session.scalars(select(RecordAmendment).order_by(RecordAmendment.id)).all()
        assert [(a.entity, a.action) for a in kept] == [("episode", "correct"),
                                                         ("lab_test", "void")]  # fmt: skip
        assert kept[1].changes["result"] == "positive"
        db.session.remove()
