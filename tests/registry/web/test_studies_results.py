"""The epidemiologist's pages through HTTP: new study, job status, results, plots, downloads."""

from __future__ import annotations

import csv
import io
import json

import pytest
from PIL import Image

from registry.extensions import db
from tests.registry.web import study_fixtures
from tests.registry.web.conftest import assert_no_identifiers
from tests.registry.web.study_fixtures import code_lists, codes_csv, run_job

study_records = study_fixtures.study_records


@pytest.fixture
def epi(auth):
    """Signed in as the epidemiologist, English interface."""
    auth.login("epi")
    auth.post("/language", {"locale": "en", "next": "/"}, form_path="/login")
    return auth


def text(response) -> str:
    return response.get_data(as_text=True)


def test_new_study_form_queues_a_job_and_its_page_waits_for_it(epi, client, study_records, app):
    form = client.get("/studies/new")
    assert form.status_code == 200
    for ref in study_records.list_ids:
        assert f'value="upload:{ref}"' in text(form)
    response = epi.post(
        "/studies/new",
        {
            "title": "Three lists, stepwise",
            "method": "capture_recapture",
            "parameters/analysis": "stepwise",
            "lists": [f"upload:{i}" for i in study_records.list_ids],
            "period": "2003",
            "area_code": "KG",
            "parameters/alpha": "0.1",
        },
    )
    assert response.status_code == 302
    job_page = client.get(response.headers["Location"])
    page = text(job_page)
    assert "Three lists, stepwise" in page and "Queued" in page
    assert '<meta http-equiv="refresh"' in page
    assert "Cancel the job" in page
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        from registry.models import EstimationJob

        study = db.session.get(EstimationJob, job_id).study
        assert study.parameters["analysis"] == "stepwise"
        assert study.parameters["alpha"] == pytest.approx(0.1)
        run_job(job_id)
    page = text(client.get(f"/studies/jobs/{job_id}"))
    assert "Succeeded" in page and '<meta http-equiv="refresh"' not in page
    assert "90% interval" in page and "Stepwise selection" in page


def test_new_study_errors_beside_the_fields(epi, client, study_records):
    response = epi.post(
        "/studies/new",
        {
            "method": "capture_recapture",
            "lists": ["upload:1"],
            "period": "2003-1",
            "area_code": "KG",
        },
    )
    assert response.status_code == 422
    page = text(response)
    assert 'id="e-lists"' in page or 'id="e-period"' in page
    response = epi.post(
        "/studies/new",
        {"method": "capture_recapture", "parameters/alpha": "2", "area_code": "KG"},
    )
    assert response.status_code == 422
    page = text(response)
    for name in ("parameters/alpha", "lists", "period"):
        assert f'id="e-{name}"' in page, name
    assert "Nothing was saved" in page


def test_cancel_a_queued_job(epi, client, study_records):
    response = epi.post(
        "/studies/new",
        {
            "method": "capture_recapture",
            "lists": [f"upload:{i}" for i in study_records.list_ids],
            "period": "2003",
            "area_code": "KG",
        },
    )
    location = response.headers["Location"]
    response = epi.post(f"{location}/cancel", {}, form_path=location)
    assert response.status_code == 302
    page = text(client.get(location))
    assert "The job was cancelled." in page and "Cancel the job" not in page


def test_job_list_shows_states_and_refreshes_while_one_is_unfinished(epi, client, study_records):
    page = text(client.get("/studies/jobs"))
    assert f"/studies/jobs/{study_records.job_id}" in page and "Succeeded" in page
    assert '<meta http-equiv="refresh"' not in page
    epi.post(
        "/studies/new",
        {
            "method": "capture_recapture",
            "lists": [f"upload:{i}" for i in study_records.list_ids],
            "period": "2003",
            "area_code": "KG",
        },
    )
    page = text(client.get("/studies/jobs"))
    assert "Queued" in page and '<meta http-equiv="refresh" content="3">' in page


def test_result_page_shows_the_estimate_models_linkage_and_plots(epi, client, study_records, app):
    from registry.models import EstimationJob

    page = text(client.get(f"/studies/jobs/{study_records.job_id}"))
    with app.app_context():
        payload = db.session.get(EstimationJob, study_records.job_id).result.payload
    chosen = payload["estimate"]["name"]
    assert "Chosen model" in page and chosen in page
    assert "95% interval" in page
    # the ratio names its denominator; nobody is on the register here, so no value
    assert "per person on the narcological register on 31.12.2003: 0" in page
    assert 'class="chosen"' in page and "Models" in page
    assert "Capture histories" in page and "police × ngo" in page
    # the parameters the search used as a table: the default criterion, AIC, ranks it;
    # its estimate is the BIC-best model, and the page says so
    assert payload["parameters"]["criterion"] == "aic"
    assert "Input hash" in page and "Models ranked by</th><td>AIC<" in page
    assert "Criterion used</th><td>BIC<" in page
    assert f'src="/studies/jobs/{study_records.job_id}/plots/models.png"' in page
    assert_no_identifiers(page)


def test_plots_are_png_images(epi, client, study_records):
    response = client.get(f"/studies/jobs/{study_records.job_id}/plots/models.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    picture = Image.open(io.BytesIO(response.data))
    assert picture.format == "PNG" and picture.size[0] >= 700
    assert client.get(f"/studies/jobs/{study_records.job_id}/plots/hiv.png").status_code == 404
    assert client.get("/studies/jobs/999/plots/models.png").status_code == 404


def test_downloads_as_csv_and_json(epi, client, study_records):
    job_id = study_records.job_id
    response = client.get(f"/studies/jobs/{job_id}/result.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    document = json.loads(response.data)
    assert document["study"]["lists"] == [f"upload:{i}" for i in study_records.list_ids]
    assert len(document["provenance"]["input_hash"]) == 64
    assert document["result"]["estimate"]["abundance"] > document["result"]["observed"]
    response = client.get(f"/studies/jobs/{job_id}/result.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0]["row"] == "estimate"
    assert float(rows[0]["abundance"]) == pytest.approx(document["result"]["estimate"]["abundance"])
    assert len(rows) == 1 + len(document["result"]["models"])


def test_the_pages_in_russian(auth, client, study_records):
    auth.login("epi")
    page = text(client.get(f"/studies/jobs/{study_records.job_id}"))
    assert "Оценка" in page and "Выбранная модель" in page
    assert "Новое исследование" in text(client.get("/studies/new"))


def test_count_estimators_on_one_list_with_repeated_contacts(epi, client, app):
    codes = code_lists()[0]
    body = codes_csv(codes + codes[:40] + codes[:12] + codes[:3])
    response = epi.post(
        "/studies/uploads",
        {
            "source_name": "police contacts",
            "kind": "codes",
            "period": "2003",
            "area_code": "KG",
            "file": (io.BytesIO(body), "police.csv"),
        },
        content_type="multipart/form-data",
    )
    list_id = int(response.headers["Location"].rsplit("/", 1)[1])
    response = epi.post(
        "/studies/new",
        {
            "method": "count_estimators",
            "lists": [f"upload:{list_id}"],
            "period": "2003",
            "area_code": "KG",
        },
    )
    assert response.status_code == 302, text(response)
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        run_job(job_id)
    page = text(client.get(f"/studies/jobs/{job_id}"))
    assert "Succeeded" in page and "How often people appear on the list" in page
    assert "Chao" in page
    plot = client.get(f"/studies/jobs/{job_id}/plots/models.png")
    assert plot.status_code == 200 and plot.data.startswith(b"\x89PNG")
    response = epi.post(
        "/studies/new",
        {
            "method": "count_estimators",
            "lists": [f"upload:{list_id}", "registry:ost"],
            "period": "2003",
            "area_code": "KG",
        },
    )
    assert response.status_code == 422 and 'id="e-lists"' in text(response)


def test_bootstrap_result_has_its_distribution_plot(epi, client, study_records, app):
    response = epi.post(
        "/studies/new",
        {
            "method": "capture_recapture",
            "parameters/analysis": "bootstrap",
            "parameters/replicates": "40",
            "parameters/seed": "7",
            "lists": [f"upload:{i}" for i in study_records.list_ids],
            "period": "2003",
            "area_code": "KG",
        },
    )
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        run_job(job_id)
    page = text(client.get(f"/studies/jobs/{job_id}"))
    assert "Bootstrap interval" in page and "40 replicates, seed 7" in page
    plot = client.get(f"/studies/jobs/{job_id}/plots/bootstrap.png")
    assert plot.status_code == 200
    assert Image.open(io.BytesIO(plot.data)).format == "PNG"


def test_a_failed_job_shows_its_error_and_has_no_result(epi, client, study_records, app):
    from registry.models import EstimationJob

    response = epi.post(
        "/studies/new",
        {
            "method": "capture_recapture",
            "lists": [f"upload:{i}" for i in study_records.list_ids],
            "period": "2003",
            "area_code": "KG",
        },
    )
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        job = db.session.get(EstimationJob, job_id)
        job.state, job.error = "failed", "no model could be fitted properly"
        db.session.commit()
    page = text(client.get(f"/studies/jobs/{job_id}"))
    assert "The job failed." in page and "no model could be fitted properly" in page
    assert '<meta http-equiv="refresh"' not in page
    assert client.get(f"/studies/jobs/{job_id}/result.json").status_code == 404
    assert client.get(f"/studies/jobs/{job_id}/plots/models.png").status_code == 404


def test_check_the_overlap_before_running(epi, client, study_records, app):
    from registry.models import AuditEvent, EstimationJob

    form = {
        "action": "overlap",
        "method": "capture_recapture",
        "lists": [f"upload:{i}" for i in study_records.list_ids],
        "period": "2003",
        "area_code": "KG",
    }
    response = epi.post("/studies/new", form, form_path="/studies/new")
    assert response.status_code == 200
    page = text(response)
    assert "Overlap of the chosen lists" in page and "police × ngo" in page
    assert "Capture histories" in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(EstimationJob)) == 1
        reads = db.session.scalars(
            db.select(AuditEvent.entity).where(AuditEvent.action == "read")
        ).all()
        assert "linkage" in reads
    response = epi.post("/studies/new", {**form, "lists": ["upload:1"]})
    assert response.status_code == 422 and 'id="e-lists"' in text(response)


def test_a_study_with_a_registry_list_shows_users_per_registered_user(
    epi, client, study_records, rnc_records, app
):
    from registry.models import Client, EstimationJob

    response = epi.post(
        "/studies/new",
        {
            "method": "capture_recapture",
            "parameters/analysis": "model",
            "parameters/model": "[1,2,3]",
            "lists": [
                "registry:treatment_entrants",
                *[f"upload:{i}" for i in study_records.list_ids[:2]],
            ],
            "period": "2003",
            "area_code": "KG",
        },
    )
    assert response.status_code == 302, text(response)
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        assert db.session.get(Client, rnc_records.client_id) is not None
        run_job(job_id)
        payload = db.session.get(EstimationJob, job_id).result.payload
    page = text(client.get(f"/studies/jobs/{job_id}"))
    assert payload["registered"] == 1
    assert "Estimated users per registered user" in page
    assert "Treatment entrants" in page  # the registry list by its name


def test_hiv_trend_shows_prevalence_by_year_its_plot_and_csv(epi, client, rnc_records, app):
    response = epi.post(
        "/studies/new",
        {
            "method": "hiv_trend",
            "lists": ["registry:hiv_tested"],
            "period": "2003",
            "area_code": "KG",
        },
    )
    assert response.status_code == 302, text(response)
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        run_job(job_id)
    page = text(client.get(f"/studies/jobs/{job_id}"))
    assert "HIV prevalence by year" in page and "2003" in page
    assert "A trend needs at least three years." in page
    plot = client.get(f"/studies/jobs/{job_id}/plots/hiv.png")
    assert plot.status_code == 200 and plot.data.startswith(b"\x89PNG")
    rows = list(csv.DictReader(io.StringIO(text(client.get(f"/studies/jobs/{job_id}/result.csv")))))
    assert rows and rows[-1]["row"] == "year" and rows[-1]["tested"] == "1"


def test_a_study_of_another_period_than_its_lists_is_refused(epi, client, study_records, app):
    """Issue 14 item 4: a 2026 study on 2003 lists ran, labelled 2026, and was approvable."""
    response = epi.post(
        "/studies/new",
        {
            "method": "capture_recapture",
            "lists": [f"upload:{i}" for i in study_records.list_ids],
            "period": "2026",
            "area_code": "KG",
        },
    )
    assert response.status_code == 422
    page = text(response)
    assert 'id="e-lists"' in page and "is of 2003, outside the study&#39;s period" in page
    with app.app_context():
        from registry.models import Study

        assert db.session.query(Study).filter_by(period="2026").count() == 0
    quarter = epi.post(  # a part of the lists' year overlaps it: allowed
        "/studies/new",
        {
            "method": "capture_recapture",
            "lists": [f"upload:{i}" for i in study_records.list_ids],
            "period": "2003Q2",
            "area_code": "KG",
        },
    )
    assert quarter.status_code == 302, text(quarter)
