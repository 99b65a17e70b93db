"""An epidemiologist uploads a list, runs a study and sees its plot, in Chromium; the job
page follows the job's state live (registry/static/job-status.js).

The real worker (``python -m registry.jobs.worker``) runs in a subprocess on the live
server's database and Huey file, as ``make run`` starts it beside the web server (the
``worker`` fixture). The live-status test runs without it and moves the job along itself,
so each state is seen for as long as the test wants.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from registry import create_app
from registry.extensions import db
from registry.models import SourceList
from tests.browser.conftest import LiveServer, seed, serving
from tests.conftest import TEST_SECRETS
from tests.registry.conftest import PASSWORD
from tests.registry.web.study_fixtures import SOURCES, code_lists, codes_csv

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def studies_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A live server with the ``epi`` user, two uploaded code lists and its own Huey file
    (no worker: see :func:`worker`)."""
    from registry.models import User
    from registry.services.uploads import upload_code_list
    from registry.services.users import create_user

    database = tmp_path / "registry.sqlite3"
    settings = {
        "DATABASE_URL": f"sqlite:///{database}",
        "JOBS_SQLITE_PATH": str(tmp_path / "jobs.sqlite3"),
        "PLOT_CACHE_FOLDER": str(tmp_path / "plots"),  # not the checkout's instance/
        **TEST_SECRETS,
    }
    app = create_app(settings)
    seed(app)
    with app.app_context():
        create_user("epi", PASSWORD, "epidemiologist", None)
        db.session.commit()
        epi = db.session.scalar(db.select(User).where(User.username == "epi"))
        for name, codes in list(zip(SOURCES, code_lists(), strict=True))[1:]:
            upload_code_list(
                io.BytesIO(codes_csv(codes)), source_name=name, period="2003", area_code="KG",
                actor=epi,
            )  # fmt: skip
        db.session.commit()
        db.session.remove()
    with serving(app, database) as server:
        yield server


@pytest.fixture
def worker(studies_server: LiveServer, tmp_path: Path) -> Iterator[subprocess.Popen]:
    """The real worker on the live server's database and Huey file, stopped with SIGTERM."""
    with running_worker(studies_server, tmp_path) as process:
        yield process


@contextmanager
def running_worker(server: LiveServer, tmp_path: Path) -> Iterator[subprocess.Popen]:
    """Run the real worker (``python -m registry.jobs.worker``) on ``server``'s database
    and Huey file until the block ends."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(TEST_SECRETS)
    env["DATABASE_URL"] = server.app.config["DATABASE_URL"]
    env["JOBS_SQLITE_PATH"] = str(server.app.config["JOBS_SQLITE_PATH"])
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "registry.jobs.worker", "--workers", "1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def sign_in(page, server: LiveServer) -> None:
    """Sign in as ``epi`` (Russian interface)."""
    page.goto(f"{server.url}/login")
    page.get_by_label("Имя пользователя").fill("epi")
    page.get_by_label("Пароль").fill(server.password)
    page.get_by_role("button", name="Вход").click()


def test_epidemiologist_uploads_a_list_runs_a_study_and_sees_its_plot(
    studies_server, worker, browser_page, screenshot, tmp_path
):
    page, server = browser_page, studies_server
    sign_in(page, server)
    page.get_by_role("link", name="Оценочные исследования").first.click()
    page.wait_for_url(f"{server.url}/studies/")
    screenshot(page, "studies-1-home")

    police = tmp_path / "police.csv"
    police.write_bytes(codes_csv(code_lists()[0]) + b"not-a-code\n")
    page.get_by_role("link", name="Загрузить внешние списки").click()
    page.get_by_label("Источник").fill("police")
    page.get_by_label("Период").fill("2003")
    page.get_by_label("Территория").select_option("KG")
    page.get_by_label("CSV-файл").set_input_files(str(police))
    screenshot(page, "studies-2-upload")
    page.get_by_role("button", name="Загрузить", exact=True).click()
    page.wait_for_url(re.compile(r".*/studies/uploads/\d+$"))
    assert "Список загружен." in page.content()
    assert "не код клиента" in page.content()
    screenshot(page, "studies-3-uploaded")

    page.get_by_role("link", name="Использовать в новом исследовании").click()
    page.get_by_label("Название", exact=True).fill("Милиция, НПО, больницы 2003")
    for name in ("police", "ngo", "hospital"):
        page.get_by_label(f"{name} · 2003 · KG").check()
    page.get_by_label("Период").fill("2003")
    page.get_by_label("Территория").select_option("KG")
    screenshot(page, "studies-4-new")
    page.get_by_role("button", name="Запустить исследование").click()
    page.wait_for_url(re.compile(r".*/studies/jobs/\d+$"))

    # the script follows the job and reloads the page once the worker has finished it
    page.get_by_text("Выполнено", exact=True).wait_for(timeout=90_000)
    image = page.get_by_role("img", name=re.compile("Сравнение моделей"))
    image.scroll_into_view_if_needed()
    width = image.evaluate(
        "img => img.complete ? img.naturalWidth"
        " : new Promise(done => { img.onload = () => done(img.naturalWidth); })"
    )
    assert width >= 700  # the PNG drawn by the server loaded
    content = page.content()  # the default analysis: the AIC model average with weights
    assert "Усреднение моделей" in content and "Моделей: 8, веса по AIC" in content
    assert "Проверка неоднородности" in content  # independent lists: no warning
    assert "Похоже, люди различаются" not in content
    assert '<th class="num">Вес</th>' in content
    screenshot(page, "studies-5-result")


def queue_study(server: LiveServer) -> int:
    """A capture-recapture study on the uploads, queued (no worker runs it)."""
    from registry.models import User
    from registry.services.studies import create_study

    with server.app.app_context():
        epi = db.session.scalar(db.select(User).where(User.username == "epi"))
        refs = [source.ref for source in db.session.scalars(db.select(SourceList))]
        job = create_study({"method": "capture_recapture", "lists": refs, "period": "2003",
                            "area_code": "KG", "title": "Live"}, actor=epi)  # fmt: skip
        db.session.commit()
        job_id = job.id
        db.session.remove()
    return job_id


def set_state(server: LiveServer, job_id: int, state: str) -> None:
    """Change the job's state as the worker does."""
    from registry.models import EstimationJob

    with server.app.app_context():
        db.session.get(EstimationJob, job_id).state = state
        db.session.commit()
        db.session.remove()


def test_the_job_list_follows_the_state_in_place_and_reloads_when_a_job_finishes(
    studies_server, browser_page
):
    from tests.registry.web.study_fixtures import run_job

    page, server = browser_page, studies_server
    job_id, other_id = queue_study(server), queue_study(server)
    sign_in(page, server)
    polled: list[str] = []
    page.on("request", lambda request: polled.append(request.url.removeprefix(server.url)))
    page.goto(f"{server.url}/studies/jobs")
    state = page.locator(f"span[data-job-url='/api/jobs/{job_id}']")
    assert state.inner_text() == "В очереди"
    page.evaluate("window.sameDocument = true")
    set_state(server, job_id, "running")
    page.locator(f"span.state-running[data-job-url='/api/jobs/{job_id}']").wait_for(timeout=30_000)
    assert state.inner_text() == "Выполняется"
    assert page.evaluate("window.sameDocument") is True  # changed in place
    # two unfinished jobs: one request for the job list serves both, none per job
    assert "/api/jobs" in polled
    assert not [url for url in polled if url.startswith("/api/jobs/")]
    set_state(server, other_id, "cancelled")
    with server.app.app_context():
        run_job(job_id)
        db.session.remove()
    page.locator("span.state-succeeded", has_text="Выполнено").wait_for(timeout=30_000)
    assert page.evaluate("window.sameDocument") is None  # reloaded
    assert page.locator("script[src$='job-status.js']").count() == 0  # nothing left to poll


def test_the_job_page_follows_the_state_in_place_and_reloads_when_it_finishes(
    studies_server, browser_page, screenshot
):
    from tests.registry.web.study_fixtures import run_job

    page, server = browser_page, studies_server
    job_id = queue_study(server)
    sign_in(page, server)
    page.goto(f"{server.url}/studies/jobs/{job_id}")
    state = page.locator("#job-state")
    assert state.inner_text() == "В очереди"
    page.evaluate("window.sameDocument = true")  # lost if the page reloads

    set_state(server, job_id, "running")  # what the worker's claim does
    page.locator("#job-state.state-running", has_text="Выполняется").wait_for(timeout=30_000)
    assert page.evaluate("window.sameDocument") is True  # changed in place, no reload
    screenshot(page, "studies-6-running")

    with server.app.app_context():
        run_job(job_id)
        db.session.remove()
    page.get_by_role("heading", name="Оценка", exact=True).wait_for(timeout=30_000)
    assert page.evaluate("window.sameDocument") is None  # reloaded to show the result
    assert state.inner_text() == "Выполнено"
    assert page.locator("script[src$='job-status.js']").count() == 0


def test_the_new_study_page_shows_only_the_chosen_methods_parameters(
    studies_server, browser_page, screenshot
):
    """Issue 14 item 2: "Охват ОЗТ" and "Прогноз" are submitted as their form opens."""
    page, server = browser_page, studies_server
    sign_in(page, server)
    page.goto(f"{server.url}/studies/new")
    assert page.locator("#parameters").get_attribute("data-method") == "capture_recapture"
    assert page.locator('[name="parameters/alpha"]').count() == 1
    assert page.locator('[name="parameters/surveys/0/in_benchmark"]').count() == 0
    assert not page.get_by_role("button", name="Показать параметры метода").is_visible()
    screenshot(page, "studies-new-ru-capture-recapture")

    page.get_by_label("Период").fill("2003")
    page.locator("#f-method").select_option("coverage")  # the script reloads
    page.wait_for_selector('#parameters[data-method="coverage"]')
    assert page.get_by_label("Период").input_value() == "2003"  # the general fields stay
    assert page.locator('[name="parameters/alpha"]').count() == 0
    assert "Параметры метода: Охват ОЗТ" in page.content()
    page.locator('[name="parameters/estimate"]').fill("25000")
    screenshot(page, "studies-new-ru-coverage")
    page.get_by_role("button", name="Запустить исследование").click()
    page.wait_for_url(re.compile(r".*/studies/jobs/\d+$"))
    assert "Охват ОЗТ" in page.content()

    page.goto(f"{server.url}/studies/new")
    page.locator("#f-method").select_option("projection")
    page.wait_for_selector('#parameters[data-method="projection"]')
    page.get_by_label("Период").fill("2003")
    page.locator('[name="parameters/base"]').fill("5600")
    assert (
        "trend=5:7; best=-3:-2; worst=4:5"
        in page.locator('[name="parameters/scenarios"]').input_value()
    )
    screenshot(page, "studies-new-ru-projection")
    page.get_by_role("button", name="Запустить исследование").click()
    page.wait_for_url(re.compile(r".*/studies/jobs/\d+$"))
