"""Regional estimates in Chromium: a MIM study from the form, approved, on the dashboard.

On the simulated Kyrgyz registry of 2003 (scale 0.1) with three approved capture-
recapture results of regions (stand-ins written through the models: their own linkage
is tested elsewhere), the epidemiologist chooses the multivariate indicator method on
the new-study form, picks the three anchors, runs it with the real worker and approves
it; the ministry then finds every non-anchor region's estimate on the dashboard, named
as the method's, in Russian and in English. ``BROWSER_SCREENSHOTS=<dir>`` keeps them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from registry import create_app
from registry.demo import DEMO_PASSWORD
from registry.extensions import db
from registry.simulation.load import load_demo
from tests.browser.conftest import LiveServer, serving
from tests.browser.test_studies import running_worker, sign_in
from tests.conftest import TEST_SECRETS
from tests.registry.jobs.test_mim_study import ANCHORS, approved_estimate

pytestmark = pytest.mark.browser

RUN_TIMEOUT_MS = 120_000


@pytest.fixture
def mim_server(tmp_path: Path, monkeypatch) -> Iterator[LiveServer]:
    """A live server on a small simulated registry with three approved regional anchors.

    Nothing is suppressed (threshold 1, in the server and the worker alike): at this scale
    the small regions' counts would withhold most estimates (tests/registry/jobs/
    test_mim_study.py tests that).
    """
    monkeypatch.setenv("SUPPRESSION_THRESHOLD", "1")  # the worker reads it from here
    database = tmp_path / "registry.sqlite3"
    app = create_app({"DATABASE_URL": f"sqlite:///{database}",
                      "JOBS_SQLITE_PATH": str(tmp_path / "jobs.sqlite3"),
                      "SUPPRESSION_THRESHOLD": 1, **TEST_SECRETS})  # fmt: skip
    with app.app_context():
        db.create_all()
        load_demo("KG", (2003, 2003), scale=0.1, seed=3)
        for area, values in ANCHORS.items():
            approved_estimate(area, "2003", *values)
        db.session.commit()
    with serving(app, database) as server:
        server = dataclasses.replace(server, password=DEMO_PASSWORD)
        with running_worker(server, tmp_path):
            yield server


def test_a_mim_study_reaches_the_ministry_dashboard(mim_server, browser_page, screenshot):
    page, server = browser_page, mim_server
    sign_in(page, server)
    page.goto(f"{server.url}/studies/new?method=mim")
    page.locator("#f-period").fill("2003")
    for row in range(3):
        select = page.locator(f"select[name='parameters/anchor_studies/{row}']")
        options = select.locator("option").all_inner_texts()
        select.select_option(label=options[row + 1])  # after "— выберите —"
    page.locator("input[name='parameters/replicates']").fill("300")
    screenshot(page, "mim-1-form")
    page.get_by_role("button", name="Запустить исследование").click()
    page.locator("#job-state.state-succeeded").wait_for(timeout=RUN_TIMEOUT_MS)
    assert "Оценки по регионам" in page.content()
    talas = page.locator("#mim-regions tr", has_text="Таласская область").inner_text()
    estimate = talas.split("\t")[1].strip()
    screenshot(page, "mim-2-result")
    page.get_by_role("button", name="Одобрить для публикации").click()
    assert "Одобрено для публикации" in page.locator("#approval-state").inner_text()

    page.get_by_role("button", name="Выйти").click()
    page.goto(f"{server.url}/login")
    page.get_by_label("Имя пользователя").fill("ministry")
    page.get_by_label("Пароль").fill(server.password)
    page.get_by_role("button", name="Вход").click()
    page.goto(f"{server.url}/ministry/?year=2003")
    row = page.locator("tr", has_text="Таласская область").first.inner_text()
    assert estimate in row and "Многомерный индикаторный метод" in row, row
    bishkek = page.locator("tr", has_text="г. Бишкек").first.inner_text()
    assert "Захват–повторный захват" in bishkek  # an anchor keeps its own estimate
    screenshot(page, "mim-3-dashboard-ru")
    page.get_by_role("button", name="English").click()
    page.goto(f"{server.url}/ministry/?year=2003")
    row = page.locator("tr", has_text="Talas").first.inner_text()
    assert estimate.replace("\u00a0", ",") in row and "Multivariate indicator method" in row
    screenshot(page, "mim-4-dashboard-en")
