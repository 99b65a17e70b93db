"""The epidemiologist's start page (issue 14 item 10): recent jobs with their state and
progress, the lists with their state, results awaiting approval, approved results by
year; one role check and audited read, and one query per block however many rows."""

from __future__ import annotations

import io
from contextlib import contextmanager

from sqlalchemy import event, func, select

from registry.extensions import db
from registry.models import AuditEvent, EstimationJob, User
from registry.services.approvals import approve_result
from registry.services.studies import create_study
from registry.services.uploads import upload_code_list
from tests.registry.web import study_fixtures
from tests.registry.web.study_fixtures import code_lists, codes_csv, run_job

study_records = study_fixtures.study_records


@contextmanager
def statements(app):
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def add_studies(app, registry_data, *, year: str, approve: bool, queued: int) -> list[int]:
    """A succeeded projection of ``year`` (approved or not) and ``queued`` waiting jobs;
    plus an uploaded list. Returns the job ids."""
    with app.app_context():
        epi = db.session.get(User, registry_data.users["epi"])
        data = {"method": "projection", "lists": [], "period": year, "area_code": "KG",
                "parameters": {"base": 5600}}  # fmt: skip
        job = create_study(data, actor=epi)
        db.session.commit()
        run_job(job.id)
        ids = [job.id]
        if approve:
            approve_result(db.session.get(EstimationJob, job.id).result, actor=epi)
        for _ in range(queued):
            ids.append(create_study(data, actor=epi).id)
        upload_code_list(io.BytesIO(codes_csv(code_lists(int(year))[0])),
                         source_name=f"police {year}", period=year, area_code="KG",
                         actor=epi)  # fmt: skip
        db.session.commit()
        db.session.remove()
    return ids


def test_the_start_page_shows_the_four_blocks(auth, client, app, registry_data, study_records):
    approved = add_studies(app, registry_data, year="2004", approve=True, queued=1)
    auth.login("epi")  # Russian
    page = client.get("/studies/").get_data(as_text=True)
    jobs = page[page.index('id="recent-jobs"') : page.index('id="recent-lists"')]
    assert f"/studies/jobs/{approved[1]}" in jobs and "В очереди" in jobs
    assert f'data-job-progress="{approved[1]}"' in jobs  # a waiting job's progress bar
    assert "Прогноз 2004" in jobs and "Выполнено" in jobs
    lists = page[page.index('id="recent-lists"') : page.index('id="awaiting-approval"')]
    assert "police 2004" in lists and "готов" in lists
    awaiting = page[page.index('id="awaiting-approval"') : page.index('id="approved-results"')]
    assert f"/studies/jobs/{study_records.job_id}" in awaiting
    assert f"/studies/jobs/{approved[0]}" not in awaiting
    done = page[page.index('id="approved-results"') :]
    assert "<h3>2004</h3>" in done and f"/studies/jobs/{approved[0]}" in done


def test_one_query_per_block_and_one_audited_read(auth, client, app, registry_data, study_records):
    auth.login("epi")
    client.get("/studies/")  # the first request's one-off reads
    with statements(app) as few:
        assert client.get("/studies/").status_code == 200
    add_studies(app, registry_data, year="2004", approve=True, queued=3)
    add_studies(app, registry_data, year="2005", approve=True, queued=3)
    add_studies(app, registry_data, year="2002", approve=False, queued=0)
    with app.app_context():
        before = db.session.scalar(select(func.count(AuditEvent.id)))
    with statements(app) as many:
        page = client.get("/studies/").get_data(as_text=True)
    assert "<h3>2005</h3>" in page and "<h3>2004</h3>" in page
    assert len(many) == len(few), "a query per row (N+1)"
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id))) == before + 1


def test_other_roles_do_not_see_the_start_page(auth, client, registry_data):
    for user in ("ministry", "clinic-bishkek"):
        auth.login(user)
        assert client.get("/studies/").status_code == 403
        client.post("/logout", data={"csrf_token": auth.token("/")})
