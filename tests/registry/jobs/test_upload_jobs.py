"""Large identifier uploads: coded in the request, paired by the real job worker.

The threshold (``UPLOAD_BACKGROUND_ROWS``) is set low, so the police list of the
``population`` fixture (about 200 rows, with one-letter variants added so that it has
duplicate pairs) goes to the worker; the same file uploaded with the threshold off is
the synchronous path the worker's result must equal.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from registry.extensions import db
from registry.models import DuplicateCandidate, SourceListCode, UploadStaging
from tests.registry.jobs.conftest import make_heartbeat_stale
from tests.registry.jobs.test_worker_faults import study

pytestmark = pytest.mark.slow


@pytest.fixture
def app_config(app_config) -> dict:
    """Every identifier upload of more than 50 rows goes to the worker."""
    return {**app_config, "UPLOAD_BACKGROUND_ROWS": 50}


def _rows_with_variants(population) -> list[dict[str, str]]:
    """The police rows, and the first 30 again with the family name's second letter
    (one the SLK-581 key keeps) changed."""
    variants = []
    for row in population.police_rows[:30]:
        name = row["family_name"]
        letter = "J" if name[1].upper() != "J" else "H"
        variants.append({**row, "family_name": name[0] + letter + name[2:]})
    return population.police_rows + variants


def _kept(app, list_id: int) -> tuple[set, set]:
    """The list's codes (with occurrences, sex, birth year) and its pairs, as stored."""
    with app.app_context():
        codes = set(db.session.execute(
            select(SourceListCode.code, SourceListCode.occurrences, SourceListCode.sex,
                   SourceListCode.birth_year).where(SourceListCode.list_id == list_id)
        ).all())  # fmt: skip
        pairs = set(db.session.execute(
            select(DuplicateCandidate.code_a, DuplicateCandidate.code_b,
                   DuplicateCandidate.scope, DuplicateCandidate.reason)
            .where(DuplicateCandidate.list_id == list_id)
        ).all())  # fmt: skip
        db.session.remove()
    return codes, pairs


def _staging(app, list_id: int) -> list:
    with app.app_context():
        rows = db.session.scalars(
            select(UploadStaging).where(UploadStaging.list_id == list_id)
        ).all()
        kept = [{column.name: getattr(row, column.key) for column in UploadStaging.__table__.c}
                for row in rows]  # fmt: skip
        db.session.remove()
    return kept


def test_a_large_upload_is_paired_by_the_worker_as_the_request_would(
    api, app, population, start_worker, held_jobs
):
    content = population.police_csv(_rows_with_variants(population))
    app.config["UPLOAD_BACKGROUND_ROWS"] = 0  # the synchronous path, for comparison
    direct = api.upload(content, source_name="direct").json
    assert (direct["state"], direct["job_id"]) == ("ready", None)
    app.config["UPLOAD_BACKGROUND_ROWS"] = 50

    start_worker()
    staged = api.upload(content, source_name="staged")
    assert staged.status_code == 201
    source = staged.json
    assert source["state"] == "processing" and source["job_id"] is not None
    assert source["code_count"] == direct["code_count"]
    job = api.wait_until(source["job_id"], lambda job: job["progress_total"] is not None)
    assert (job["state"], job["source_list_id"], job["progress_done"], job["progress_total"]) == (
        "running", source["id"], 0, direct["code_count"]
    )  # fmt: skip
    page = api.get(f"/studies/uploads/{source['id']}").get_data(as_text=True)
    assert f"выполнено 0 из {direct['code_count']}" in page  # Russian, the working language
    assert f"/api/jobs/{source['job_id']}" in page
    assert "Использовать в новом исследовании" not in page  # not until the job has ended

    refused = api.post("/api/jobs", json={**study(), "lists": [source["ref"], "registry:ost"]})
    assert refused.status_code == 422
    assert "still processing" in str(refused.json) or "обрабатывается" in str(refused.json)
    query = {"lists": [source["ref"], "registry:ost"], "period": "2003", "area_code": "KG"}
    overlap = api.get("/api/linkage/overlap", query_string=query)
    assert overlap.status_code == 422 and "lists" in str(overlap.json)
    assert _kept(app, source["id"]) == (set(), set())  # nothing until the job ends

    held_jobs.unlink()
    done = api.wait(source["job_id"], ("succeeded", "failed", "cancelled"))
    assert done["state"] == "succeeded", done["error"]
    assert done["progress_done"] == done["progress_total"] == direct["code_count"]
    assert api.get(f"/api/uploads/{source['id']}").json["state"] == "ready"
    page = api.get(f"/studies/uploads/{source['id']}").get_data(as_text=True)
    assert "Использовать в новом исследовании" in page
    codes, pairs = _kept(app, source["id"])
    assert (codes, pairs) == _kept(app, direct["id"])
    assert len(codes) == direct["code_count"] and len(pairs) >= 25  # the variants pair up
    assert _staging(app, source["id"]) == []
    used = api.post("/api/jobs", json={**study(), "lists": [source["ref"], "registry:ost"]})
    assert used.status_code == 202


def test_staging_rows_hold_no_name_or_birth_date(api, app, population):
    rows = _rows_with_variants(population)
    source = api.upload(population.police_csv(rows)).json  # no worker: the job stays queued
    staged = _staging(app, source["id"])
    assert len(staged) == source["code_count"]
    assert set(staged[0]) == {
        "id", "list_id", "code", "occurrences", "sex", "birth_year", "blocks", "registry_pairs"
    }  # fmt: skip
    texts = {value.upper() for row in rows for value in (row["family_name"], row["given_name"])}
    dates = {row["birth_date"] for row in rows}
    dates |= {f"{day[8:]}{day[5:7]}{day[:4]}" for day in dates}  # the SLK's DDMMYYYY
    for row in staged:
        text = repr(row).upper()
        assert not any(name in text for name in texts)
        assert not any(day in text for day in dates)
        assert [len(block) for block in row["blocks"].split()] == [16] * 5


def test_a_failing_upload_job_leaves_nothing(api, app, population, start_worker):
    source = api.upload(population.police_csv(_rows_with_variants(population))).json
    with app.app_context():  # a pair without its reason: the job's last insert fails
        last = db.session.scalar(
            select(UploadStaging.id)
            .where(UploadStaging.list_id == source["id"])
            .order_by(UploadStaging.code.desc())
        )
        broken = json.dumps([["0" * 64, "f" * 64, None]])
        db.session.execute(
            update(UploadStaging).where(UploadStaging.id == last).values(registry_pairs=broken)
        )
        db.session.commit()
        db.session.remove()
    start_worker()
    job = api.wait(source["job_id"], ("succeeded", "failed", "cancelled"))
    assert job["state"] == "failed" and "IntegrityError" in job["error"]
    assert _kept(app, source["id"]) == (set(), set())
    assert _staging(app, source["id"]) == []
    assert api.get(f"/api/uploads/{source['id']}").json["state"] == "failed"
    refused = api.post("/api/jobs", json={**study(), "lists": [source["ref"], "registry:ost"]})
    assert refused.status_code == 422
    page = api.get(f"/studies/uploads/{source['id']}").get_data(as_text=True)
    assert "из этого списка ничего не сохранено" in page  # Russian, the working language


def test_a_cancelled_upload_job_leaves_nothing(api, app, population):
    source = api.upload(population.police_csv()).json  # no worker: the job stays queued
    assert len(_staging(app, source["id"])) == source["code_count"]
    assert api.post(f"/api/jobs/{source['job_id']}/cancel").json["state"] == "cancelled"
    assert _staging(app, source["id"]) == [] and _kept(app, source["id"]) == (set(), set())
    assert api.get(f"/api/uploads/{source['id']}").json["state"] == "cancelled"


def test_an_upload_job_whose_worker_died_for_good_leaves_nothing(
    api, app, population, start_worker, held_jobs
):
    first = start_worker(JOB_MAX_ATTEMPTS=1)
    source = api.upload(population.police_csv()).json
    assert api.wait(source["job_id"], ("running",))["state"] == "running"  # held
    first.kill()
    first.wait()
    make_heartbeat_stale(app, source["job_id"])
    start_worker(JOB_MAX_ATTEMPTS=1)  # its reaper fails the job: no attempt is left
    job = api.wait(source["job_id"], ("failed",))
    assert job["state"] == "failed" and "worker stopped" in job["error"]
    assert _staging(app, source["id"]) == [] and _kept(app, source["id"]) == (set(), set())
    assert api.get(f"/api/uploads/{source['id']}").json["state"] == "failed"
