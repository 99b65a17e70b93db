"""In Chromium, in Russian: a cp1251 list uploads as three people, and a running job's
progress is followed in place on its page (registry/static/job-status.js)."""

from __future__ import annotations

import re

import pytest

from registry.extensions import db
from tests.browser.test_studies import queue_study, sign_in, studies_server  # noqa: F401
from tests.registry.jobs.test_upload_encodings import ENCODED

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_cp1251_list_of_three_people_gives_three_codes(
    studies_server,  # noqa: F811
    browser_page,
    screenshot,
    tmp_path,
):
    page, server = browser_page, studies_server
    sign_in(page, server)
    listed = tmp_path / "милиция.csv"
    listed.write_bytes(ENCODED["cp1251"])  # Excel's plain "CSV" on a Russian Windows
    page.goto(f"{server.url}/studies/uploads")
    page.get_by_label("Персональные данные").check()
    page.get_by_label("Источник").fill("police-cp1251")
    page.get_by_label("Период").fill("2003")
    page.get_by_label("Территория").select_option("KG")
    page.get_by_label("CSV-файл").set_input_files(str(listed))
    page.get_by_role("button", name="Загрузить", exact=True).click()
    page.wait_for_url(re.compile(r".*/studies/uploads/\d+$"))
    screenshot(page, "upload-cp1251")
    facts = page.locator("dl.facts").inner_text()
    assert re.search(r"Разных кодов\s+3", facts), facts
    assert re.search(r"Принято строк\s+3", facts), facts
    assert "Жумабеков" not in page.content()


def test_the_job_page_shows_the_progress_as_the_job_reports_it(
    studies_server,  # noqa: F811
    browser_page,
    screenshot,
):
    from registry.models import EstimationJob

    page, server = browser_page, studies_server
    job_id = queue_study(server)
    sign_in(page, server)
    page.goto(f"{server.url}/studies/jobs/{job_id}")
    progress = page.locator(f"[data-job-progress='{job_id}']")
    assert progress.is_hidden()  # nothing reported yet
    page.evaluate("window.sameDocument = true")

    for done in (300, 7_500):  # what the worker's checkpoint writes between batches
        with server.app.app_context():
            job = db.session.get(EstimationJob, job_id)
            job.state, job.progress_done, job.progress_total = "running", done, 10_000
            db.session.commit()
            db.session.remove()
        text = f"выполнено {done:,} из 10,000".replace(",", "\xa0")
        progress.get_by_text(text).wait_for(timeout=30_000)
    assert page.evaluate("window.sameDocument") is True  # updated in place, no reload
    assert progress.locator("progress").evaluate("bar => [bar.value, bar.max]") == [7500, 10000]
    screenshot(page, "job-progress")


def test_a_large_upload_page_follows_its_job_in_place(
    studies_server,  # noqa: F811
    browser_page,
    screenshot,
    tmp_path,
):
    from registry.models import EstimationJob, SourceList

    page, server = browser_page, studies_server
    server.app.config["UPLOAD_BACKGROUND_ROWS"] = 1  # three rows are "large" here
    sign_in(page, server)
    listed = tmp_path / "милиция.csv"
    listed.write_bytes(ENCODED["cp1251"])
    page.goto(f"{server.url}/studies/uploads")
    page.get_by_label("Персональные данные").check()
    page.get_by_label("Источник").fill("police-large")
    page.get_by_label("Период").fill("2003")
    page.get_by_label("Территория").select_option("KG")
    page.get_by_label("CSV-файл").set_input_files(str(listed))
    page.get_by_role("button", name="Загрузить", exact=True).click()
    page.wait_for_url(re.compile(r".*/studies/uploads/\d+$"))
    assert "обработчик заданий ищет в нём дубликаты" in page.content()
    with server.app.app_context():
        source = db.session.scalar(
            db.select(SourceList).where(SourceList.source_name == "police-large")
        )
        job_id = source.job.id
        db.session.remove()
    assert page.locator(f"a[href='/api/jobs/{job_id}']").count() == 1
    page.evaluate("window.sameDocument = true")
    with server.app.app_context():  # what the worker's checkpoint writes (no worker runs)
        job = db.session.get(EstimationJob, job_id)
        job.state, job.progress_done, job.progress_total = "running", 2, 3
        db.session.commit()
        db.session.remove()
    page.locator(f"[data-job-progress='{job_id}']").get_by_text("выполнено 2 из 3").wait_for(
        timeout=30_000
    )
    assert page.evaluate("window.sameDocument") is True  # updated in place, no reload
    screenshot(page, "upload-progress")
