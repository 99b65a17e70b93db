"""Every method's result page, the job list and the study form, in Russian and in English.

Issue 14 item 1: the HIV-trend result page was a server error in Russian (a translated
label with a bare ``%``). Each method runs here on real registry data as the worker runs
it (a real payload), then every page an epidemiologist opens is rendered in both
languages, with each of its plots.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert, select

from registry.extensions import db
from registry.models import (
    EstimationJob,
    EstimationResult,
    LabTest,
    OrgUnit,
    Study,
    TreatmentEpisode,
    User,
)
from registry.services.methods import METHODS, mim
from registry.services.studies import create_study
from tests.registry.jobs.conftest import EPISODE_CODES
from tests.registry.jobs.test_methods_services import ost_records  # noqa: F401 - fixture
from tests.registry.web import study_fixtures
from tests.registry.web.study_fixtures import run_job

study_records = study_fixtures.study_records

#: Text every page of the language shows (the state of a succeeded job, the menu).
LANGUAGE_MARKS = {"ru": ("Выполнено", "Скачать CSV"), "en": ("Succeeded", "Download CSV")}


def injecting_admissions(clients: list[int], registry_data, **codes: str) -> list[dict]:
    """One admission in 2000 per client, recording injecting (route 1 unless ``codes``):
    what makes a client tested for HIV count in the HIV trend among PWID."""
    return [
        {"client_id": c, "centre_id": registry_data.centres["RNC"], "programme": "detoxification",
         "admission_date": date(2000, 2, 1), "age_at_admission": 20, "secondary_drugs": [],
         "discharge_date": date(2000, 2, 20), "discharge_reason": "completed",
         **EPISODE_CODES, "route": "1", **codes}
        for c in clients
    ]  # fmt: skip


@pytest.fixture
def every_method(app, registry_data, study_records, ost_records):  # noqa: F811
    """One succeeded job of each method: ``{method: job id}``."""
    with app.app_context():
        clients = list(range(1, 12))
        db.session.execute(insert(TreatmentEpisode), injecting_admissions(clients, registry_data))
        db.session.execute(insert(LabTest), [
            {"client_id": c, "centre_id": registry_data.centres["OSH"], "test": "HIV",
             "sample_date": date(year, 6, 1), "result": "positive" if c % (year - 1998) == 0
             else "negative"}
            for year in (2001, 2002, 2003) for c in clients
        ])  # fmt: skip
        epi = db.session.get(User, registry_data.users["epi"])
        jobs = {"capture_recapture": study_records.job_id}
        uploads = [f"upload:{i}" for i in study_records.list_ids]

        def run(method: str, lists: list[str], **parameters) -> int:
            data = {"method": method, "lists": lists, "period": "2003", "area_code": "KG",
                    "parameters": parameters}  # fmt: skip
            job = create_study(data, actor=epi)
            db.session.commit()
            run_job(job.id)
            return job.id

        jobs["bootstrap"] = run("capture_recapture", uploads, analysis="bootstrap",
                                replicates=50, seed=7)  # fmt: skip
        jobs["count_estimators"] = run("count_estimators", uploads[:1])
        jobs["hiv_trend"] = run("hiv_trend", ["registry:hiv_tested"], years=3)
        jobs["multiplier"] = run(
            "multiplier",
            [],
            benchmark=1505,
            surveys=[
                {"in_benchmark": 100, "sample_size": 400},
                {"in_benchmark": 140, "sample_size": 380},
            ],
        )
        jobs["retention"] = run("retention", [], analysis_date="2004-12-31", cox=True)
        jobs["coverage"] = run("coverage", [], source_job=jobs["multiplier"])
        jobs["projection"] = run("projection", [], source_job=jobs["capture_recapture"])
        jobs["synthesis"] = run("synthesis", [], inputs=[{"job": jobs["capture_recapture"]},
                                                         {"job": jobs["multiplier"]}])  # fmt: skip
        jobs["mim"] = mim_job(epi)
        db.session.remove()
    return jobs


def mim_job(epi: User) -> int:
    """A succeeded MIM job: this registry has too few regions with a centre to run one,
    so its payload is computed by the method's own payload function on a small table."""
    table = {f"R{i}": {"TDI_ENTRANTS": 10 * (i + 1) ** 2, "REG_CLIENTS": 40 * (i + 1) ** 2 + i}
             for i in range(5)}  # fmt: skip
    anchors = [{"region": f"R{i}", "study": 1, "job": 1, "method": "capture_recapture",
                "abundance": 200.0 * (i + 1) ** 2, "ci_low": 150.0 * (i + 1) ** 2,
                "ci_high": 260.0 * (i + 1) ** 2} for i in (0, 2, 4)]  # fmt: skip
    parameters = METHODS["mim"].load({"anchor_studies": [1, 2, 3], "replicates": 200})
    payload = mim.mim(
        table,
        ["TDI_ENTRANTS", "REG_CLIENTS"],
        anchors,
        parameters,
        area="KG",
        labels={},
        registered=50,
        on=date(2003, 12, 31),
        withheld={"R1"},
    )
    payload["warnings"] = METHODS["mim"].warnings(METHODS["mim"].read(payload))  # as the worker
    kg = db.session.scalar(select(OrgUnit).where(OrgUnit.code == "KG"))
    study = Study(
        title="MIM",
        method="mim",
        parameters=parameters,
        lists=[],
        period="2003",
        period_start=date(2003, 1, 1),
        period_end=date(2003, 12, 31),
        area=kg,
        created_by_id=epi.id,
    )
    now = datetime.now(UTC)
    job = EstimationJob(study=study, state="succeeded", created_by_id=epi.id)
    db.session.add_all([study, job, EstimationResult(
        job=job, payload=payload, input_hash="2" * 64, software_version="test",
        started_at=now, finished_at=now)])  # fmt: skip
    db.session.commit()
    return job.id


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_every_page_of_every_method_renders(auth, client, app, every_method, locale):
    auth.login("epi")
    auth.post("/language", {"locale": locale, "next": "/"}, form_path="/login")
    assert set(METHODS) <= set(every_method)
    for name, job_id in every_method.items():
        page = client.get(f"/studies/jobs/{job_id}")
        assert page.status_code == 200, (name, locale)
        text = page.get_data(as_text=True)
        assert f'<html lang="{locale}">' in text
        assert all(mark in text for mark in LANGUAGE_MARKS[locale]), (name, locale)
        with app.app_context():
            from registry.models import EstimationJob

            job = db.session.get(EstimationJob, job_id)
            method, payload = METHODS[job.study.method], job.result.payload
            plots = method.plots(method.read(payload))
            db.session.remove()
        for plot in plots:
            assert f"/studies/jobs/{job_id}/plots/{plot}.png" in text
            image = client.get(f"/studies/jobs/{job_id}/plots/{plot}.png")
            assert image.status_code == 200 and image.data.startswith(b"\x89PNG"), plot
    hiv = client.get(f"/studies/jobs/{every_method['hiv_trend']}").get_data(as_text=True)
    change = {"ru": "Среднегодовое изменение (APC), %", "en": "Annual percent change (APC), %"}
    assert change[locale] in hiv  # the trend is shown (three years), with its label
    mim_page = client.get(f"/studies/jobs/{every_method['mim']}").get_data(as_text=True)
    wide = {"ru": "поэтому они широки", "en": "so few anchors tell about the regions"}
    assert wide[locale] in mim_page  # three anchors: the warning says why the intervals are wide
    jobs = client.get("/studies/jobs")
    assert jobs.status_code == 200
    for name in METHODS:
        form = client.get(f"/studies/new?method={name}")
        assert form.status_code == 200, name
        assert f'<option value="{name}" selected>' in form.get_data(as_text=True)
