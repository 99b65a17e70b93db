"""The epidemiologist's pages through HTTP: start page, uploads, duplicates, jobs, results."""

from __future__ import annotations

import csv
import io
import json

import pytest
from PIL import Image

from registry.extensions import db
from tests.registry.web import study_fixtures
from tests.registry.web.conftest import assert_no_identifiers
from tests.registry.web.study_fixtures import IDENTIFIERS_CSV, code_lists, codes_csv, run_job

study_records = study_fixtures.study_records


@pytest.fixture
def epi(auth):
    """Signed in as the epidemiologist, English interface."""
    auth.login("epi")
    auth.post("/language", {"locale": "en", "next": "/"}, form_path="/login")
    return auth


def text(response) -> str:
    return response.get_data(as_text=True)


def test_epidemiologists_and_admins_reach_the_studies_from_the_menu(auth, client):
    for username in ("epi", "admin"):
        auth.login(username)
        assert 'href="/studies/"' in text(client.get("/"))
        page = client.get("/studies/")
        assert page.status_code == 200
        assert "/studies/uploads" in text(page) and "/studies/new" in text(page)
        auth.logout()


def test_clinic_staff_and_ministries_see_no_link_and_are_refused(auth, client):
    for username in ("clinic-bishkek", "ministry"):
        auth.login(username)
        assert "/studies/" not in text(client.get("/", follow_redirects=True))
        assert client.get("/studies/").status_code == 403
        assert client.get("/studies/jobs").status_code == 403
        auth.logout()


def test_upload_a_code_list_and_see_its_counts_and_rejected_rows(epi, client, app):
    codes = code_lists()[0][:50]
    body = codes_csv(codes) + b"not-a-code\n"
    response = epi.post(
        "/studies/uploads",
        {
            "source_name": "police",
            "kind": "codes",
            "period": "2003Q2",
            "area_code": "KG-GB",
            "file": (io.BytesIO(body), "police.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, text(response)
    page = text(client.get(response.headers["Location"]))
    assert "The list was uploaded." in page
    assert "police" in page and "2003Q2" in page and "KG-GB" in page
    assert ">51<" in page and ">50<" in page  # rows read, codes
    assert "not a client code" in page and ">52<" in page  # the rejected row and its number
    assert "not-a-code" not in page  # submitted values are never shown


def test_identifier_upload_shows_reasons_but_never_the_identifiers(epi, client):
    response = epi.post(
        "/studies/uploads",
        {
            "source_name": "outreach",
            "kind": "identifiers",
            "period": "2003",
            "area_code": "KG",
            "file": (io.BytesIO(IDENTIFIERS_CSV), "outreach.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    for reason in ("not a date", "missing", "not M or F"):
        assert reason in page
    assert "possible duplicate pairs wait for review" in page
    for name in ("Жумабеков", "Жамабеков", "Садыкова", "Осмонов", "Эрлан", "1985"):
        assert name not in page


def test_upload_errors_are_shown_beside_the_fields_and_nothing_is_stored(epi, client, app):
    from registry.models import SourceList

    response = epi.post(
        "/studies/uploads",
        {"source_name": "", "kind": "codes", "period": "2003-05", "area_code": "KG"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = text(response)
    assert 'id="e-source_name"' in page and 'id="e-file"' in page
    response = epi.post(
        "/studies/uploads",
        {
            "source_name": "police",
            "kind": "codes",
            "period": "2003-05",
            "area_code": "KG",
            "file": (io.BytesIO(b"name\nx\n"), "bad.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert 'id="e-period"' in text(response) or 'id="e-file"' in text(response)
    response = epi.post(
        "/studies/uploads",
        {
            "source_name": "police",
            "kind": "codes",
            "period": "2003",
            "area_code": "KG",
            "file": (io.BytesIO(b"name\nx\n"), "bad.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert 'id="e-file"' in text(response) and "code" in text(response)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(SourceList)) == 0


def test_review_a_duplicate_pair(epi, client, study_records, app):
    from registry.models import DuplicateCandidate

    page = text(client.get("/studies/duplicates"))
    assert f"/studies/duplicates/{study_records.candidate_id}" in page
    assert_no_identifiers(page)
    response = epi.post(
        f"/studies/duplicates/{study_records.candidate_id}",
        {"decision": "accepted"},
        form_path="/studies/duplicates",
    )
    assert response.status_code == 302
    page = text(client.get("/studies/duplicates"))
    assert "The decision was saved." in page and "No pair waits for review." in page
    with app.app_context():
        candidate = db.session.get(DuplicateCandidate, study_records.candidate_id)
        assert candidate.decision == "accepted"


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
            "analysis": "stepwise",
            "lists": [f"upload:{i}" for i in study_records.list_ids],
            "period": "2003",
            "area_code": "KG",
            "confidence": "90",
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
        {"method": "astrology", "confidence": "200", "area_code": "KG"},
    )
    assert response.status_code == 422
    page = text(response)
    for name in ("method", "confidence", "lists", "period"):
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
    assert "Estimated users per registered user" not in page  # no registry list: no ratio
    assert 'class="chosen"' in page and "Models" in page
    assert "Capture histories" in page and "police × ngo" in page
    assert "Input hash" in page and payload["parameters"]["criterion"] in page
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
            "analysis": "bootstrap",
            "replicates": "40",
            "seed": "7",
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


def test_every_page_use_is_audited(epi, client, study_records, app):
    from registry.models import AuditEvent

    client.get("/studies/duplicates")
    client.get(f"/studies/uploads/{study_records.list_id}")
    client.get(f"/studies/jobs/{study_records.job_id}")
    client.get(f"/studies/jobs/{study_records.job_id}/result.csv")
    with app.app_context():
        reads = set(
            db.session.scalars(db.select(AuditEvent.entity).where(AuditEvent.action == "read"))
        )
    assert {"duplicate_candidate", "source_list", "estimation_job", "estimation_result"} <= reads


def test_a_study_with_a_registry_list_shows_users_per_registered_user(
    epi, client, study_records, rnc_records, app
):
    from registry.models import Client, EstimationJob

    response = epi.post(
        "/studies/new",
        {
            "method": "capture_recapture",
            "analysis": "model",
            "model": "[1,2,3]",
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
