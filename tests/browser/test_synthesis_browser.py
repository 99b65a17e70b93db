"""Synthesis in Chromium, in Russian and in English (issue 18 §4), with the real worker.

Twelve people admitted to treatment in 2003 (the dashboard shows the years with
admissions) and two multiplier results of 2003 for the whole country wait on the registry. The
epidemiologist approves both, chooses them on the new-study form of a synthesis (one with
half the confidence), runs it, reads the consensus, its inputs and its plot, approves it;
the ministry's dashboard then shows the consensus as the country's estimate. With
``BROWSER_SCREENSHOTS=<dir>`` every step is kept as a screenshot, to be looked at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from registry import create_app
from registry.extensions import db
from tests.browser.conftest import LiveServer, seed, serving
from tests.browser.test_studies import running_worker
from tests.conftest import TEST_SECRETS
from tests.registry.conftest import PASSWORD
from tests.registry.jobs.conftest import EPISODE_CODES
from tests.registry.web.study_fixtures import run_job

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RUN_TIMEOUT_MS = 120_000
#: What the pages say in each language.
TEXT = {
    "ru": {"sign_out": "Выйти", "approve": "Одобрить для публикации",
           "approved": "Одобрено для публикации", "country": "Кыргызская Республика",
           "inputs": "Синтез нескольких оценок", "option": "одобрено"},
    "en": {"sign_out": "Sign out", "approve": "Approve for publication",
           "approved": "Approved for publication", "country": "Kyrgyz Republic",
           "inputs": "Synthesis of several estimates", "option": "approved"},
}  # fmt: skip
#: Typed benchmark 1000 and one survey each: 1000 / (115/400) = 3478, 1000 / (100/400) = 4000.
SURVEYS = (("RDS 2003", 115), ("NGO survey", 100))


def admit_people(count: int) -> None:
    """``count`` people admitted at the Bishkek centre in March 2003, still registered."""
    from registry.models import Client, OrgUnit, TreatmentCentre, TreatmentEpisode
    from registry.services.client_codes import ClientIdentifiers, client_code

    centre = db.session.scalar(db.select(TreatmentCentre).where(TreatmentCentre.code == "RNC"))
    region = db.session.scalar(db.select(OrgUnit.id).where(OrgUnit.code == "KG-GB"))
    for person in range(count):
        ids = ClientIdentifiers("Иванов", f"Пациент{person}", date(1980, 1, 1 + person), "M")
        client = Client(code=client_code(ids, TEST_SECRETS["LINKAGE_KEY"]), sex="M",
                        birth_year=1980, region_id=region)  # fmt: skip
        db.session.add(client)
        db.session.flush()
        db.session.add(TreatmentEpisode(client_id=client.id, centre_id=centre.id,
                                        programme="detoxification", secondary_drugs=[],
                                        admission_date=date(2003, 3, 1), age_at_admission=23,
                                        **EPISODE_CODES))  # fmt: skip


@pytest.fixture
def synthesis_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A live server with ``epi`` and ``ministry``, two finished multiplier results of
    2003 in KG (not approved), and the real worker."""
    from registry.models import User
    from registry.services.studies import create_study
    from registry.services.users import create_user

    database = tmp_path / "registry.sqlite3"
    app = create_app({"DATABASE_URL": f"sqlite:///{database}",
                      "JOBS_SQLITE_PATH": str(tmp_path / "jobs.sqlite3"),
                      "PLOT_CACHE_FOLDER": str(tmp_path / "plots"), **TEST_SECRETS})  # fmt: skip
    seed(app)
    with app.app_context():
        create_user("epi", PASSWORD, "epidemiologist", None)
        create_user("ministry", PASSWORD, "ministry", None)
        admit_people(12)
        db.session.commit()
        epi = db.session.scalar(db.select(User).where(User.username == "epi"))
        for label, in_benchmark in SURVEYS:
            job = create_study({"method": "multiplier", "title": f"Multiplier: {label}",
                                "period": "2003", "area_code": "KG", "lists": [],
                                "parameters": {"benchmark": 1000, "surveys": [
                                    {"label": label, "in_benchmark": in_benchmark,
                                     "sample_size": 400}]}}, actor=epi)  # fmt: skip
            db.session.commit()
            run_job(job.id)
        db.session.remove()
    with serving(app, database) as server, running_worker(server, tmp_path):
        yield server


def sign_in(page, server: LiveServer, username: str, locale: str) -> None:
    """Sign in as ``username`` (the login page in whichever language it opens), then
    choose ``locale``."""
    page.goto(f"{server.url}/login")
    page.locator('[name="username"]').fill(username)
    page.locator('[name="password"]').fill(server.password)
    page.locator('form[action="/login"] button[type="submit"]').click()
    page.wait_for_url(re.compile(r".*/(?!login).*"))
    if locale == "en":
        page.get_by_role("button", name="English").click()
        page.wait_for_load_state()


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_approved_results_make_a_synthesis_that_reaches_the_ministry(
    synthesis_server, browser_page, screenshot, locale
):
    page, server, text = browser_page, synthesis_server, TEXT[locale]
    shot = lambda name: screenshot(page, f"synthesis-{locale}-{name}")  # noqa: E731
    sign_in(page, server, "epi", locale)
    for job_id in (1, 2):  # approve both inputs
        page.goto(f"{server.url}/studies/jobs/{job_id}")
        page.get_by_role("button", name=text["approve"]).click()
        assert text["approved"] in page.locator("#approval-state").inner_text()
    shot("1-input-approved")

    page.goto(f"{server.url}/studies/new?method=synthesis")
    assert page.locator("#parameters").get_attribute("data-method") == "synthesis"
    page.locator('[name="period"]').fill("2003")
    page.locator('[name="area_code"]').select_option("KG")
    options = page.locator('[name="parameters/inputs/0/job"] option').all_inner_texts()
    assert any(o.startswith("#1 ") and o.endswith(text["option"]) for o in options), options
    page.locator('[name="parameters/inputs/0/job"]').select_option("1")
    page.locator('[name="parameters/inputs/1/job"]').select_option("2")
    page.locator('[name="parameters/inputs/1/weight"]').fill("0.5")
    shot("2-form")
    page.locator('button[name="action"][value="run"]').click()
    page.wait_for_url(re.compile(r".*/studies/jobs/\d+$"))
    synthesis = int(page.url.rsplit("/", 1)[1])
    page.locator("#job-state.state-succeeded").wait_for(timeout=RUN_TIMEOUT_MS)
    assert text["inputs"] in page.locator("#synthesis-title").inner_text()
    rows = page.locator("#synthesis-inputs tbody tr")
    assert rows.count() == 2
    image = page.locator("figure.plot img").first
    image.scroll_into_view_if_needed()
    width = image.evaluate(
        "img => img.complete ? img.naturalWidth"
        " : new Promise(done => { img.onload = () => done(img.naturalWidth); })"
    )
    assert width >= 700
    consensus = page.locator("#estimate-title + p.estimate .big").inner_text()
    value = int(re.sub(r"\D", "", consensus))
    assert 3478 < value < 4000, consensus  # between the inputs, nearer the trusted one
    assert value < (3478 * 4000) ** 0.5  # the half-trusted input (4000) pulls less
    shot("3-result")

    page.get_by_role("button", name=text["approve"]).click()
    assert text["approved"] in page.locator("#approval-state").inner_text()
    shot("4-approved")

    page.get_by_role("button", name=text["sign_out"]).click()
    sign_in(page, server, "ministry", locale)
    page.goto(f"{server.url}/ministry/?year=2003")
    shot("5-ministry")
    country = page.locator("tr", has_text=text["country"]).first.inner_text()
    assert consensus in country, (consensus, country)
    assert synthesis == 3
