"""The centre's client list, code lookup, printed card and exports, over HTTP (issue 13).

Clients are admitted through the services (real database, SQLite and PostgreSQL); the
pages are requested through the app with a signed-in user, as a browser would.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from registry.extensions import db
from registry.models import AuditEvent, Client, TreatmentCentre, User
from registry.schemas import AdmissionSchema, LabTestSchema, OstEnrolmentSchema
from registry.services.centre_export import safe_cell
from registry.services.episodes import admit_client
from registry.services.lab import record_test
from registry.services.ost import enrol_client
from tests.registry.conftest import build_admission_form

NAMES = ["Асанов", "Бекова", "Осмонов", "Токтогулов", "Жумабаев", "Кадыров", "Султанова"]


@pytest.fixture
def centre_clients(app, registry_data) -> dict[str, list[str]]:
    """Seven clients at RNC (one on OST with an HIV test, one discharged) and one at OSH.

    Returns the codes by centre, latest admission first.
    """
    codes: dict[str, list[str]] = {"RNC": [], "OSH": []}
    with app.app_context():
        rnc = db.session.get(TreatmentCentre, registry_data.centres["RNC"])
        osh = db.session.get(TreatmentCentre, registry_data.centres["OSH"])
        rnc.name_ru = "Республиканский центр наркологии"
        staff = db.session.get(User, registry_data.users["clinic-bishkek"])
        osh_staff = db.session.get(User, registry_data.users["clinic-osh"])
        for day, name in enumerate(NAMES, start=1):
            programme = "ost" if name == "Бекова" else "detoxification"
            form = build_admission_form(
                family_name=name, admission_date=f"2003-05-{day:02d}", programme=programme
            )
            episode = admit_client(AdmissionSchema().load(form), actor=staff, centre=rnc)
            codes["RNC"].insert(0, episode.client.code)
            if name == "Бекова":
                enrol_client(episode.client, OstEnrolmentSchema().load(
                    {"medication": "methadone", "enrolment_date": "2003-05-03",
                     "induction_dose_mg": "30"}), actor=staff, centre=rnc)  # fmt: skip
                record_test(episode.client, LabTestSchema().load(
                    {"test": "HIV", "sample_date": "2003-05-03", "result": "negative"}),
                    actor=staff, centre=rnc)  # fmt: skip
            if name == "Кадыров":
                episode.discharge_date, episode.discharge_reason = (
                    episode.admission_date,
                    "completed",
                )
        form = build_admission_form(family_name="Ошский", region_code="KG-GO")
        episode = admit_client(AdmissionSchema().load(form), actor=osh_staff, centre=osh)
        codes["OSH"].append(episode.client.code)
        db.session.commit()
    return codes


def listed_codes(html: str) -> list[str]:
    """The 8-character codes of the list's rows, in order."""
    return re.findall(r'<a class="code" href="/clients/\d+">([0-9a-f]{8})</a>', html)


def test_the_list_shows_only_this_centres_clients_latest_first(client, auth, centre_clients):
    auth.login("clinic-bishkek")
    response = client.get("/clients")
    assert response.status_code == 200
    assert listed_codes(response.get_data(as_text=True)) == [c[:8] for c in centre_clients["RNC"]]


def test_filters_narrow_the_list(client, auth, centre_clients):
    auth.login("clinic-bishkek")
    bekova = centre_clients["RNC"][-2][:8]
    isakov = centre_clients["RNC"][1][:8]
    assert listed_codes(client.get("/clients?ost=1").get_data(as_text=True)) == [bekova]
    assert listed_codes(client.get("/clients?hiv=known").get_data(as_text=True)) == [bekova]
    unknown = listed_codes(client.get("/clients?hiv=unknown").get_data(as_text=True))
    assert bekova not in unknown and len(unknown) == 6
    assert listed_codes(client.get("/clients?programme=ost").get_data(as_text=True)) == [bekova]
    opened = listed_codes(client.get("/clients?open=1").get_data(as_text=True))
    assert isakov not in opened and len(opened) == 6
    period = "/clients?admitted_from=2003-05-02&admitted_to=2003-05-03"
    assert listed_codes(client.get(period).get_data(as_text=True)) == [
        centre_clients["RNC"][-3][:8],
        bekova,
    ]


def test_paging_visits_every_client_once(app, client, auth, centre_clients, monkeypatch):
    from registry.services import client_list

    monkeypatch.setattr(client_list, "PER_PAGE", 3)
    auth.login("clinic-bishkek")
    seen, page = [], 1
    while True:
        html = client.get(f"/clients?page={page}&open=1").get_data(as_text=True)
        seen += listed_codes(html)
        if 'rel="next"' not in html:
            break
        assert f'href="/clients?page={page + 1}&amp;open=1"' in html
        page += 1
    assert page == 2
    assert sorted(seen) == sorted(
        c[:8] for c in centre_clients["RNC"] if c[:8] != centre_clients["RNC"][1][:8]
    )


def test_a_unique_code_prefix_opens_the_client(app, client, auth, centre_clients):
    auth.login("clinic-bishkek")
    code = centre_clients["RNC"][0]
    prefix = next(
        code[:n] for n in range(1, 9)
        if sum(c.startswith(code[:n]) for c in centre_clients["RNC"]) == 1
    )  # fmt: skip
    response = client.get(f"/clients?code={prefix.upper()}")
    assert response.status_code == 302
    with app.app_context():
        client_id = db.session.scalar(select(Client.id).where(Client.code == code))
    assert response.headers["Location"] == f"/clients/{client_id}"


def test_another_centres_code_is_not_found(client, auth, centre_clients):
    auth.login("clinic-bishkek")
    html = client.get(f"/clients?code={centre_clients['OSH'][0][:12]}").get_data(as_text=True)
    assert listed_codes(html) == []


def test_bad_filters_are_refused_with_field_messages(client, auth, centre_clients):
    auth.login("clinic-bishkek")
    response = client.get("/clients?code=%25zz&admitted_from=2003-05-05&admitted_to=2003-05-01")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="e-code"' in html and 'id="e-admitted_to"' in html


def test_list_pages_are_audited_without_the_code(app, client, auth, centre_clients):
    auth.login("clinic-bishkek")
    prefix = centre_clients["RNC"][0][:3]
    client.get(f"/clients?code={prefix}0&ost=1")
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.detail.like("list=clients%"))
        ).one()
    assert event.action == "read" and event.entity == "client"
    assert "ost=1" in event.detail and "prefix=4" in event.detail
    assert prefix not in event.detail.replace("prefix=4", "")


def test_client_page_shows_every_admission_item(client, auth, centre_clients, app):
    auth.login("clinic-bishkek")
    client.post("/language", data={"locale": "en", "csrf_token": auth.token("/login")})
    with app.app_context():
        client_id = db.session.scalar(
            select(Client.id).where(Client.code == centre_clients["RNC"][0])
        )
    html = client.get(f"/clients/{client_id}").get_data(as_text=True)
    for label in ("Source of referral", "Living with children", "Needle or syringe sharing",
                  "Hepatitis C testing", "Other drugs used (secondary)"):  # fmt: skip
        assert label in html, label
    assert "7.1 · " in html and "Print the card" in html


def test_the_printed_card_has_no_navigation_and_shows_the_dose(app, client, auth, centre_clients):
    auth.login("clinic-bishkek")
    client.post("/language", data={"locale": "ru", "csrf_token": auth.token("/login")})
    with app.app_context():
        client_id = db.session.scalar(
            select(Client.id).where(Client.code == centre_clients["RNC"][-2])
        )
    response = client.get(f"/clients/{client_id}/print")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<nav" not in html and "<button" not in html and "<form" not in html
    assert "print.css" in html
    assert centre_clients["RNC"][-2] in html  # the whole code
    assert "30 мг" in html and "03.05.2003" in html
    assert "Республиканский центр наркологии" in html
    assert "Republican Narcological Center" not in html


def test_csv_export_is_the_centres_episodes_and_audited(
    app, client, auth, centre_clients, registry_data
):
    auth.login("clinic-bishkek")
    response = client.get("/clients/export.csv")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["client_code", "sex", "birth_year"]
    assert sorted(r[0] for r in rows[1:]) == sorted(centre_clients["RNC"])
    assert centre_clients["OSH"][0] not in response.get_data(as_text=True)
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.detail == "list=export n=7")
        ).one()
    assert (event.action, event.centre_id) == ("read", registry_data.centres["RNC"])


def test_xlsx_export_opens_as_a_workbook(client, auth, centre_clients):
    auth.login("clinic-bishkek")
    response = client.get("/clients/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "client_code" and len(rows) == 8
    assert sorted(r[0] for r in rows[1:]) == sorted(centre_clients["RNC"])


@pytest.mark.parametrize("text", ["=1+1", "+7", "-2", "@SUM(A1)", "\t=x"])
def test_export_cells_never_start_a_formula(text):
    assert safe_cell(text) == "'" + text
    assert safe_cell("1.1") == "1.1"


@pytest.mark.parametrize("path", ["/clients", "/clients/export.csv", "/clients/export.xlsx"])
def test_other_roles_cannot_list_or_export(client, auth, centre_clients, path):
    for username in ("epi", "ministry"):
        auth.login(username)
        assert client.get(path).status_code == 403
        auth.logout()


def test_another_centre_exports_only_its_own(client, auth, centre_clients):
    auth.login("clinic-osh")
    text = client.get("/clients/export.csv").get_data(as_text=True)
    assert [c for c in centre_clients["RNC"] if c in text] == []
    assert centre_clients["OSH"][0] in text
    assert listed_codes(client.get("/clients").get_data(as_text=True)) == [
        centre_clients["OSH"][0][:8]
    ]
