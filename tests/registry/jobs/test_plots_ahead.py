"""Plots drawn by the worker ahead of the requests are the images the requests get.

Issue 12 §5: a server under load drew each plot on its first request (100-400 ms of CPU
each, a third of the server's CPU in a load run). The worker now draws them at its start,
after an analytics refresh and after each stored result; these tests show that a request
then finds the image instead of drawing it (in Russian and in English), that drawing wrote
no audit row while each request still does, and that the real worker does it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from huey import MemoryHuey
from sqlalchemy import func, select

from registry import plot_cache, plots_ahead
from registry.analytics.refresh import refresh_tables
from registry.extensions import db
from registry.jobs import queue_for
from registry.jobs.analytics import LOCK_NAME, refresh_analytics_task
from registry.jobs.runner import set_app
from registry.ministry_web import charts
from registry.ministry_web.panels import available_years
from registry.models import AuditEvent, EstimationJob, User
from registry.services.approvals import approve_result, withdraw_approval
from registry.services.methods import METHODS
from registry.services.studies import create_study
from tests.registry.analytics.conftest import small_registry as small_registry  # fixture
from tests.registry.jobs.test_serve import wait_for
from tests.registry.web import study_fixtures
from tests.registry.web.conftest import AuthActions

study_records = study_fixtures.study_records  # fixture

LANGUAGES = ("ru", "en")


@pytest.fixture
def app_config(app_config, tmp_path) -> dict:
    """The jobs tests' settings, with a plot folder shared with the worker."""
    return {**app_config, "PLOT_CACHE_FOLDER": str(tmp_path / "plots"), "DRAW_PLOTS_AHEAD": 1}


def images(tmp_path: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in (tmp_path / "plots").glob("*.png")}


def audit_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def signed_in(client, registry_data, username: str, locale: str) -> AuthActions:
    auth = AuthActions(client, registry_data.password)
    auth.login(username)
    auth.post("/language", {"locale": locale, "next": "/"}, form_path="/login")
    return auth


def refuse(*_args) -> bytes:
    raise AssertionError("drawn by the request, not ahead")


def test_the_dashboards_plots_drawn_after_a_refresh_are_what_requests_get(
    app, client, small_registry, tmp_path, monkeypatch
):
    app.config["ANALYTICS_REFRESH_MINUTES"] = 1
    with app.app_context():
        years = available_years()
        # before the first refresh the panels would be counted now, then change: not drawn
        assert plots_ahead.draw_ministry_plots() == 0
        before = audit_rows()
    set_app(app)
    try:
        refresh_analytics_task(MemoryHuey("test-plots"))  # the worker's refresh, then drawing
    finally:
        set_app(None)
    files = images(tmp_path)
    assert years and len(files) == len(years) * len(charts.CHARTS) * len(LANGUAGES)
    with app.app_context():
        assert audit_rows() == before  # the server's own read: no one was shown anything
        assert plots_ahead.draw_ministry_plots() == len(files)  # all there: none drawn again
    assert images(tmp_path) == files
    for name in charts.CHARTS:  # a request that had to draw would fail
        monkeypatch.setitem(charts.CHARTS, name, refuse)
    for locale in LANGUAGES:
        plot_cache._cache.clear()  # as a web process that never drew them
        signed_in(client, small_registry, "ministry", locale)
        for name in ("regions", "hiv", "coverage"):
            with app.app_context():
                before = audit_rows()
            response = client.get(f"/ministry/plot.png?chart={name}&year={years[-1]}")
            assert response.status_code == 200 and response.data in files.values()
            with app.app_context():
                assert audit_rows() == before + 1  # the request is audited as always
        client.post("/logout")
    assert images(tmp_path) == files


def test_a_results_plots_drawn_ahead_are_what_requests_get(
    app, client, registry_data, study_records, tmp_path, monkeypatch
):
    job_id = study_records.job_id
    with app.app_context():
        drawn = plots_ahead.draw_result_plots(job_id)
        method = METHODS[db.session.get(EstimationJob, job_id).study.method]
        names = method.plots(method.read(db.session.get(EstimationJob, job_id).result.payload))
    assert names and drawn == len(names) * len(LANGUAGES)
    files = images(tmp_path)
    assert len(files) == drawn
    method = dataclasses.replace(METHODS["capture_recapture"], draw=refuse)
    monkeypatch.setitem(METHODS, "capture_recapture", method)
    for locale in LANGUAGES:
        plot_cache._cache.clear()
        signed_in(client, registry_data, "epi", locale)
        for name in names:
            response = client.get(f"/studies/jobs/{job_id}/plots/{name}.png")
            assert response.status_code == 200 and response.data in files.values()
        client.post("/logout")
    assert images(tmp_path) == files


def test_off_or_without_a_shared_folder_nothing_is_drawn(app, registry_data, tmp_path):
    app.config["DRAW_PLOTS_AHEAD"] = 0
    with app.app_context():
        assert plots_ahead.draw_at_start() == 0
    app.config.update(DRAW_PLOTS_AHEAD=1, PLOT_CACHE_FOLDER=None)
    with app.app_context():
        assert plots_ahead.draw_ministry_plots() == 0
    assert images(tmp_path) == {}


def test_the_real_worker_draws_at_its_start_and_after_each_result(
    app, registry_data, study_records, start_worker, tmp_path
):
    with app.app_context():
        years = len(available_years())
        result = db.session.get(EstimationJob, study_records.job_id).result
        plots = len(METHODS["capture_recapture"].plots(METHODS["capture_recapture"].read(
            result.payload)))  # fmt: skip
    worker = start_worker(PLOT_CACHE_FOLDER=str(tmp_path / "plots"))
    log = tmp_path / "worker-0.log"
    assert wait_for(lambda: "plots drawn ahead" in log.read_text(), 60)
    at_start = images(tmp_path)
    # the dashboard of every year in both languages, and the stored result's plots
    assert plots and len(at_start) == (years * len(charts.CHARTS) + plots) * len(LANGUAGES)
    with app.app_context():
        epi = db.session.get(User, registry_data.users["epi"])
        job = create_study(
            {"title": "Model average 2003", "method": "capture_recapture",
             "parameters": {"analysis": "average"},
             "lists": [f"upload:{i}" for i in study_records.list_ids],
             "period": "2003", "area_code": "KG", "strata": None},
            actor=epi,
        )  # fmt: skip
        db.session.commit()
        job_id = job.id

    def finished() -> bool:
        with app.app_context():
            db.session.remove()
            return db.session.get(EstimationJob, job_id).state == "succeeded"

    assert wait_for(finished, 90), log.read_text()
    assert wait_for(lambda: len(images(tmp_path)) > len(at_start), 30)
    assert worker.poll() is None


def drawing_tasks(queue) -> list:
    return [task for task in queue.pending() if task.name == "draw_dashboard_plots"]


def test_an_approval_or_a_withdrawal_has_the_worker_draw_the_dashboard(
    app, registry_data, study_records, tmp_path
):
    queue = queue_for(app)
    with app.app_context():
        refresh_tables()
        db.session.commit()
        epi = db.session.get(User, registry_data.users["epi"])
        result = db.session.get(EstimationJob, study_records.job_id).result
        approve_result(result, actor=epi)
        db.session.rollback()  # a failed request: nothing to draw
        assert drawing_tasks(queue) == []
        approve_result(db.session.get(EstimationJob, study_records.job_id).result, actor=epi)
        db.session.commit()
        assert len(drawing_tasks(queue)) == 1
        years = available_years()
    assert images(tmp_path) == {}
    set_app(app)
    try:
        queue.execute(drawing_tasks(queue)[0])  # what the worker does with it
    finally:
        set_app(None)
    approved = images(tmp_path)
    assert len(approved) == len(years) * len(charts.CHARTS) * len(LANGUAGES)
    with app.app_context():
        epi = db.session.get(User, registry_data.users["epi"])
        withdraw_approval(db.session.get(EstimationJob, study_records.job_id).result, actor=epi)
        db.session.commit()
    assert len(drawing_tasks(queue)) == 2  # one more, for this commit


def test_the_refresh_lock_is_released_before_the_plots_are_drawn(app, small_registry, monkeypatch):
    app.config["ANALYTICS_REFRESH_MINUTES"] = 1
    queue = MemoryHuey("test-lock")
    locked_while_drawing = []

    def drawing() -> int:
        locked_while_drawing.append(queue.is_locked(LOCK_NAME))
        return 0

    monkeypatch.setattr(plots_ahead, "draw_ministry_plots", drawing)
    set_app(app)
    try:
        refresh_analytics_task(queue)
    finally:
        set_app(None)
    # another worker's refresh due meanwhile does not wait for matplotlib
    assert locked_while_drawing == [False]
