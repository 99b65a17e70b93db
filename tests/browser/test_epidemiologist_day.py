"""The epidemiologist's day in Chromium, in Russian (issue 14), with the real worker.

On the simulated Kyrgyz registry (``flask demo load`` at a small scale: clinics, OST,
HIV tests, population, the demo accounts and the demo's own approved study): upload a
cp1251 list and a UTF-8 list; run capture-recapture, the multiplier, the HIV trend,
retention, coverage and a projection through the new-study form; follow a long bootstrap
job's progress and cancel it; approve the capture-recapture result and find its figures
on the ministry dashboard. Then the result pages once more in English. With
``BROWSER_SCREENSHOTS=<dir>`` every page is kept as a screenshot, to be looked at.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from registry import create_app
from registry.demo import DEMO_PASSWORD
from registry.extensions import db
from tests.browser.conftest import LiveServer, serving
from tests.browser.test_studies import running_worker, sign_in
from tests.conftest import TEST_SECRETS
from tests.registry.jobs.test_upload_encodings import ENCODED

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Seconds a study may take on the shared test machine (the real worker runs it).
RUN_TIMEOUT_MS = 120_000


@pytest.fixture
def day_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A live server on the demo registry (scale 0.1), with the real worker running."""
    database = tmp_path / "registry.sqlite3"
    jobs = str(tmp_path / "jobs.sqlite3")
    app = create_app({"DATABASE_URL": f"sqlite:///{database}", "JOBS_SQLITE_PATH": jobs,
                      "PLOT_CACHE_FOLDER": str(tmp_path / "plots"), **TEST_SECRETS})  # fmt: skip
    with app.app_context():
        db.create_all()
    lists = tmp_path / "lists"
    result = app.test_cli_runner().invoke(
        args=["demo", "load", "--scale", "0.1", "--workers", "1", "--lists-out", str(lists)]
    )
    assert result.exit_code == 0, result.output
    with serving(app, database) as server:
        server = dataclasses.replace(server, password=DEMO_PASSWORD)
        with running_worker(server, tmp_path):
            yield server


def police_2003_utf8(lists: Path, target: Path) -> Path:
    """The simulator's police list, contacts of 2003 only, as a UTF-8 file with a BOM."""
    rows = csv.DictReader(io.StringIO((lists / "police.csv").read_text(encoding="utf-8")))
    codes = sorted({row["client_code"] for row in rows if row["contact_date"][:4] == "2003"})
    target.write_bytes("\ufeffcode\n".encode() + "".join(f"{c}\n" for c in codes).encode())
    return target


def upload(page, server: LiveServer, path: Path, source: str, *, identifiers: bool) -> str:
    """Upload ``path`` through the form; the upload page's text."""
    page.goto(f"{server.url}/studies/uploads")
    if identifiers:
        page.get_by_label("Персональные данные").check()
    page.get_by_label("Источник").fill(source)
    page.get_by_label("Период").fill("2003")
    page.get_by_label("Территория").select_option("KG")
    page.get_by_label("CSV-файл").set_input_files(str(path))
    page.get_by_role("button", name="Загрузить", exact=True).click()
    page.wait_for_url(re.compile(r".*/studies/uploads/\d+$"))
    return page.locator("main").inner_text()


def run_study(page, server: LiveServer, method: str, *, lists=(), wait=True, **fields) -> int:
    """Fill the new-study form for ``method`` (its own parameter names) and run it; wait
    for the real worker to finish it unless ``wait`` is false. Returns the job id."""
    page.goto(f"{server.url}/studies/new?method={method}")
    page.locator('[name="period"]').fill("2003")
    page.get_by_label("Территория").select_option("KG")
    for ref in lists:
        page.locator(f'input[name="lists"][value="{ref}"]').check()
    for name, value in fields.items():
        box = page.locator(f'[name="{name.replace("__", "/")}"]')
        if box.count() > 1:  # radio buttons
            box.and_(page.locator(f'[value="{value}"]')).check()
        elif box.evaluate("e => e.tagName") == "SELECT":
            box.select_option(value)
        else:
            box.fill(value)
    page.get_by_role("button", name="Запустить исследование").click()
    page.wait_for_url(re.compile(r".*/studies/jobs/\d+$"))
    job_id = int(page.url.rsplit("/", 1)[1])
    if wait:
        page.locator("#job-state.state-succeeded").wait_for(timeout=RUN_TIMEOUT_MS)
        for image in page.locator("figure.plot img").all():
            image.scroll_into_view_if_needed()
            width = image.evaluate(
                "img => img.complete ? img.naturalWidth"
                " : new Promise(done => { img.onload = () => done(img.naturalWidth); })"
            )
            assert width >= 700, (method, image.get_attribute("src"))
    return job_id


def estimate_on_page(page) -> str:
    return page.locator("#estimate-title + p.estimate .big").inner_text()


def test_the_epidemiologists_day_in_russian(day_server, browser_page, screenshot, tmp_path):
    page, server = browser_page, day_server
    sign_in(page, server)
    page.goto(f"{server.url}/studies/")
    assert "Одобренные результаты по годам" in page.content()
    screenshot(page, "day-01-start")

    # two lists: identifiers in Excel's cp1251, and the police's codes in UTF-8
    listed = tmp_path / "милиция-cp1251.csv"
    listed.write_bytes(ENCODED["cp1251"])
    text = upload(page, server, listed, "Милиция (cp1251)", identifiers=True)
    assert re.search(r"Разных кодов\s+3", text), text
    screenshot(page, "day-02-upload-cp1251")
    police = police_2003_utf8(tmp_path / "lists", tmp_path / "police-2003.csv")
    text = upload(page, server, police, "Милиция 2003 (UTF-8)", identifiers=False)
    police_ref = f"upload:{page.url.rsplit('/', 1)[1]}"
    assert "Список загружен." in text
    screenshot(page, "day-03-upload-utf8")

    with server.app.app_context():
        from registry.models import SourceList

        refs = {s.source_name: s.ref for s in db.session.scalars(db.select(SourceList))}
        prison_ref, hiv_ref = refs["prison"], refs["hiv_testing"]
        db.session.remove()
    capture = run_study(page, server, "capture_recapture",
                        lists=(police_ref, prison_ref, "registry:treatment_entrants"))  # fmt: skip
    assert "Списки в названиях моделей: 1 = " in page.content()
    assert "Поступившие на лечение" in page.content()
    screenshot(page, "day-04-capture-recapture")
    estimate = estimate_on_page(page)

    run_study(page, server, "multiplier", lists=("registry:ost",),
              parameters__surveys__0__in_benchmark="12",
              parameters__surveys__0__sample_size="400",
              parameters__surveys__1__in_benchmark="20",
              parameters__surveys__1__sample_size="500")  # fmt: skip
    screenshot(page, "day-05-multiplier")
    run_study(page, server, "hiv_trend", parameters__years="5")
    screenshot(page, "day-06-hiv-trend")
    run_study(page, server, "retention", parameters__analysis_date="2004-12-31",
              parameters__cox="true")  # fmt: skip
    screenshot(page, "day-07-retention")
    run_study(page, server, "coverage", parameters__source_job=str(capture))
    screenshot(page, "day-08-coverage")
    run_study(page, server, "projection", parameters__source_job=str(capture))
    assert "экстраполяция тренда" in page.content()
    screenshot(page, "day-09-projection")

    # a long job (four lists: every hierarchical model in each of 10,000 replicates): its
    # progress on the page, then cancelled
    run_study(page, server, "capture_recapture", wait=False,
              lists=(police_ref, prison_ref, hiv_ref, "registry:treatment_entrants"),
              parameters__analysis="bootstrap", parameters__replicates="10000")  # fmt: skip
    page.locator(".job-progress:not([hidden])").wait_for(timeout=RUN_TIMEOUT_MS)
    # the first batches of replicates done, written in place by the page's script
    page.locator(".job-progress").get_by_text(
        re.compile(r"выполнено [1-9][\d\s]* из 10\s000")
    ).wait_for(timeout=RUN_TIMEOUT_MS)
    screenshot(page, "day-10-long-job-progress")
    page.get_by_role("button", name="Отменить задание").click()
    page.locator("#job-state.state-cancelled").wait_for(timeout=30_000)
    assert page.locator("#job-state").inner_text() == "Отменено"
    screenshot(page, "day-11-long-job-cancelled")

    # approve the capture-recapture result; the ministry sees the same estimate
    page.goto(f"{server.url}/studies/jobs/{capture}")
    page.get_by_role("button", name="Одобрить для публикации").click()
    assert "Одобрено для публикации" in page.locator("#approval-state").inner_text()
    screenshot(page, "day-12-approved")
    page.goto(f"{server.url}/studies/")
    approved = page.locator("#approved-results").inner_text()
    assert f"#{capture}" in approved
    screenshot(page, "day-13-start-after")

    page.get_by_role("button", name="Выйти").click()
    page.goto(f"{server.url}/login")
    page.get_by_label("Имя пользователя").fill("ministry")
    page.get_by_label("Пароль").fill(server.password)
    page.get_by_role("button", name="Вход").click()
    page.goto(f"{server.url}/ministry/?year=2003")
    country = page.locator("tr", has_text="Кыргызская Республика").first.inner_text()
    assert estimate in country, (estimate, country)
    screenshot(page, "day-14-ministry")

    # the result pages once more, in English
    page.get_by_role("button", name="Выйти").click()
    sign_in(page, server)
    page.get_by_role("button", name="English").click()
    for job_id in range(capture, capture + 6):
        page.goto(f"{server.url}/studies/jobs/{job_id}")
        assert "Download CSV" in page.content()
        screenshot(page, f"day-15-english-{job_id}")
