"""The epidemiologist's pages through HTTP: start page, uploads, duplicate review, audit."""

from __future__ import annotations

import io

import pytest

from registry.extensions import db
from tests.registry.web import study_fixtures
from tests.registry.web.conftest import assert_no_identifiers
from tests.registry.web.study_fixtures import IDENTIFIERS_CSV, code_lists, codes_csv

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


def test_a_long_list_of_rejected_rows_is_summarised_by_reason(epi, client):
    codes = code_lists()[0][:20]
    body = codes_csv(codes) + b"".join(b"bad-%d\n" % i for i in range(150))
    response = epi.post(
        "/studies/uploads",
        {
            "source_name": "police",
            "kind": "codes",
            "period": "2003",
            "area_code": "KG",
            "file": (io.BytesIO(body), "police.csv"),
        },
        content_type="multipart/form-data",
    )
    page = text(client.get(response.headers["Location"]))
    assert ">150<" in page  # rows with this reason
    assert "The first 50 rejected rows" in page
    assert page.count("not a client code") == 51  # the summary and 50 listed rows
