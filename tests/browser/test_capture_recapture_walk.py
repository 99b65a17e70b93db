"""An epidemiologist's capture-recapture walk in Chromium, in Russian and English (issue 18).

Nested lists: the overlap check on the form shows a list inside another; a study with a
list wholly inside another is refused beside the lists; a nearly nested one runs and its
result warns, naming both lists. A dga study's result shows dga's own parameters (delta
as 2^-k) and the posterior sd once. Strata with dga are refused beside the strata field.
Jobs are run as the worker runs them (``run_job``), in the test.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from registry import create_app
from registry.extensions import db
from tests.browser.conftest import LiveServer, seed, serving
from tests.conftest import TEST_SECRETS
from tests.registry.conftest import PASSWORD
from tests.registry.web.study_fixtures import code_of, codes_csv, run_job

pytestmark = pytest.mark.browser

#: OST clients all in treatment; "ost-clients" 280 of its 290 in treatment (96.6%).
PEOPLE = {
    "treatment": range(0, 400),
    "police": range(300, 700),
    "ngo": range(550, 760),
    "ost": range(0, 120),
    "ost-clients": [*range(0, 280), *range(1000, 1010)],
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """A live server with the ``epi`` user and the code lists of :data:`PEOPLE`."""
    from registry.models import User
    from registry.services.uploads import upload_code_list
    from registry.services.users import create_user

    database = tmp_path / "registry.sqlite3"
    app = create_app({"DATABASE_URL": f"sqlite:///{database}",
                      "JOBS_SQLITE_PATH": str(tmp_path / "jobs.sqlite3"),
                      "PLOT_CACHE_FOLDER": str(tmp_path / "plots"), **TEST_SECRETS})  # fmt: skip
    seed(app)
    with app.app_context():
        create_user("epi", PASSWORD, "epidemiologist", None)
        db.session.commit()
        epi = db.session.scalar(db.select(User).where(User.username == "epi"))
        for name, people in PEOPLE.items():
            csv = io.BytesIO(codes_csv([code_of(p) for p in people]))
            upload_code_list(csv, source_name=name, period="2003", area_code="KG", actor=epi)
        db.session.commit()
        db.session.remove()
    with serving(app, database) as live:
        yield live


def sign_in(page, server: LiveServer) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_label("Имя пользователя").fill("epi")
    page.get_by_label("Пароль").fill(server.password)
    page.get_by_role("button", name="Вход").click()


def new_study(page, server: LiveServer, title: str, lists: tuple[str, ...]) -> None:
    page.goto(f"{server.url}/studies/new")
    page.locator('[name="title"]').fill(title)
    page.locator('[name="period"]').fill("2003")
    page.locator('[name="area_code"]').select_option("KG")
    for name in lists:
        page.get_by_label(f"{name} · 2003 · KG", exact=True).check()


def run(page, server: LiveServer, *, on_creation=None) -> int:
    """Submit the form, run the job as the worker does, and show its result
    (``on_creation(page)`` first looks at the job page as the creation left it)."""
    page.locator('button[name="action"][value="run"]').click()
    page.wait_for_url(re.compile(r".*/studies/jobs/\d+$"))
    job_id = int(page.url.rsplit("/", 1)[1])
    if on_creation is not None:
        on_creation(page)
    with server.app.app_context():
        run_job(job_id)
        db.session.remove()
    page.reload()
    page.locator("#job-state[data-state='succeeded']").wait_for()
    return job_id


def language(page, locale: str) -> None:
    page.locator(f'button[name="locale"][value="{locale}"]').click()
    page.wait_for_load_state()


def parameter_rows(page) -> dict[str, str]:
    rows = page.locator("table.parameters tr")
    return {
        rows.nth(i).locator("th").inner_text(): rows.nth(i).locator("td").inner_text()
        for i in range(rows.count())
    }


def test_nested_lists_are_refused_or_warned_and_dga_shows_its_parameters(
    server, browser_page, screenshot
):
    page = browser_page
    sign_in(page, server)

    # 1. the overlap check on the form already names the nested pair
    new_study(page, server, "ОЗТ внутри лечения", ("ost", "treatment", "police"))
    page.locator('button[name="action"][value="overlap"]').click()
    notice = page.locator("#nested-lists-notice")
    assert "Все люди из списка «ost» есть и в списке «treatment»" in notice.inner_text()
    notice.scroll_into_view_if_needed()
    screenshot(page, "cr-1-ru-overlap-nested")

    # 2. running it is refused beside the lists; nothing is created
    page.locator('button[name="action"][value="run"]').click()
    error = page.locator("#e-lists")
    assert "целиком входит во второй" in error.inner_text()
    assert "/studies/new" in page.url
    error.scroll_into_view_if_needed()
    screenshot(page, "cr-2-ru-refused-nested")

    # 3. a nearly nested list runs; its result warns, naming both lists, in Russian ...
    new_study(page, server, "ОЗТ почти внутри лечения", ("ost-clients", "treatment", "police"))

    def told_at_creation(page) -> None:
        flashed = page.locator(".flash.warning").inner_text()
        assert "96,6% людей из списка «ost-clients» есть и в списке «treatment»" in flashed
        screenshot(page, "cr-3a-ru-created-nested-warning")

    job_id = run(page, server, on_creation=told_at_creation)
    warning = page.locator('#result-warnings [data-code="nested_lists"]')
    assert "96,6% людей из списка «ost-clients» есть и в списке «treatment»" in (
        warning.inner_text()
    )
    screenshot(page, "cr-3-ru-result-nested-warning")
    # ... and in English
    language(page, "en")
    page.goto(f"{server.url}/studies/jobs/{job_id}")
    text = page.locator('#result-warnings [data-code="nested_lists"]').inner_text()
    assert "96.6% of the people on the list “ost-clients” are also on “treatment”" in text
    assert "Leave “ost-clients” out of the study" in text
    screenshot(page, "cr-4-en-result-nested-warning")

    # 4. a dga study: its own parameters, with delta as used (2^-3), the sd once
    new_study(page, server, "dga 2003", ("treatment", "police", "ngo"))
    page.locator('input[name="parameters/analysis"][value="dga"]').check()
    run(page, server)
    rows = parameter_rows(page)
    assert rows["Hyper-Dirichlet prior per cell (delta)"] == "0.125"
    assert "Selection criterion" not in rows and "Highest interaction order" not in rows
    assert "Bootstrap replicates" not in rows and "Stepwise threshold (p-value)" not in rows
    assert page.get_by_text("Posterior standard deviation").count() == 1
    assert page.get_by_text("Standard error", exact=True).count() == 0
    screenshot(page, "cr-5-en-dga-result")
    language(page, "ru")
    rows = parameter_rows(page)
    assert rows["Гипер-дирихлеевский априорный вес ячейки (delta)"] == "0,125"
    assert "Критерий отбора" not in rows
    page.locator("table.parameters").scroll_into_view_if_needed()
    screenshot(page, "cr-6-ru-dga-parameters")

    # 5. strata with dga are refused beside the strata field, before anything runs
    new_study(page, server, "dga по полу", ("treatment", "police", "ngo"))
    page.locator('input[name="parameters/analysis"][value="dga"]').check()
    page.locator('[name="strata"]').select_option("sex")
    page.locator('button[name="action"][value="run"]').click()
    error = page.locator("#e-strata")
    assert "не работают со стратами" in error.inner_text()
    error.scroll_into_view_if_needed()
    screenshot(page, "cr-7-ru-strata-dga-refused")
