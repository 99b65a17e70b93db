"""Route x role matrix: no route is reachable without the right role.

The routes come from ``app.url_map``, so a new route is covered automatically: it fails
:func:`test_every_route_declares_who_may_use_it` until its view is declared with
``@public``, ``@signed_in`` or ``@roles(...)``, and fails the other tests until it is
listed in :data:`EXPECTED` (and, if it takes an id, :data:`SAMPLE_ARGS`).
"""

from __future__ import annotations

from dataclasses import asdict
from types import SimpleNamespace

import pytest
from werkzeug.routing import Rule

from registry.auth.roles import Access, access_of
from tests.registry.web import study_fixtures
from tests.registry.web.conftest import AuthActions

study_records = study_fixtures.study_records  # the fixture, used below

ANONYMOUS = "anonymous"
OTHER_CENTRE = "clinic-osh"
#: Who is signed in for each column of the matrix (None = nobody).
IDENTITIES = {
    ANONYMOUS: None,
    "admin": "admin",
    "clinic-bishkek": "clinic-bishkek",
    OTHER_CENTRE: "clinic-osh",
    "epi": "epi",
    "ministry": "ministry",
}
ROLE_OF = {
    "admin": "admin",
    "clinic-bishkek": "clinic_staff",
    "clinic-osh": "clinic_staff",
    "epi": "epidemiologist",
    "ministry": "ministry",
}

PUBLIC = Access(anonymous=True)
SIGNED_IN = Access(any_role=True)
CLINIC = Access(role_names=frozenset({"clinic_staff"}))
EPI = Access(role_names=frozenset({"epidemiologist", "admin"}))
AGGREGATES = Access(role_names=frozenset({"ministry", "epidemiologist", "admin"}))
ANALYTICS = Access(role_names=frozenset({"ministry", "epidemiologist", "admin"}))

#: Who may use each endpoint. Adding a route means adding it here, deliberately.
EXPECTED: dict[str, Access] = {
    "static": PUBLIC,
    "auth.login": PUBLIC,
    "auth.language": PUBLIC,
    "auth.logout": SIGNED_IN,
    "web.index": SIGNED_IN,
    "web.dashboard": CLINIC,
    "web.find_client": CLINIC,
    "web.new_admission": CLINIC,
    "web.client": CLINIC,
    "web.discharge": CLINIC,
    "web.enrol_ost": CLINIC,
    "web.record_dose": CLINIC,
    "web.dose_history": CLINIC,
    "web.change_dose": CLINIC,
    "web.exit_ost": CLINIC,
    "web.dosing_today": CLINIC,
    "web.dose_from_today": CLINIC,
    "web.record_lab_test": CLINIC,
    "web.correct_record": CLINIC,
    "web.void_record": CLINIC,
    "web.clients": CLINIC,
    "web.print_card": CLINIC,
    "web.export_csv": CLINIC,
    "web.export_xlsx": CLINIC,
    "studies.home": EPI,
    "studies.new_upload": EPI,
    "studies.upload": EPI,
    "studies.duplicates": EPI,
    "studies.decide_duplicate": EPI,
    "studies.new_study": EPI,
    "studies.jobs": EPI,
    "studies.job": EPI,
    "studies.cancel_job": EPI,
    "studies.plot": EPI,
    "studies.result_json": EPI,
    "studies.result_csv": EPI,
    "studies.result_xlsx": EPI,
    "studies.approval": EPI,
    "api-docs.openapi_json": PUBLIC,
    "api_docs": PUBLIC,
    "ministry.dashboard": AGGREGATES,
    "ministry.plot": AGGREGATES,
    "analytics_api.Analytics": ANALYTICS,
    "analytics_api.AnalyticsCsv": ANALYTICS,
    "analytics_api.AnalyticsAdx": ANALYTICS,
    "analytics_api.AnalyticsXlsx": ANALYTICS,
    "analytics_api.Dhis2Metadata": ANALYTICS,
    "dhis2_api.Analytics": ANALYTICS,
    "dhis2_api.AnalyticsJson": ANALYTICS,
    "dhis2_api.AnalyticsCsv": ANALYTICS,
    "dhis2_api.AnalyticsXml": ANALYTICS,
    "dhis2_api.AnalyticsXlsx": ANALYTICS,
    "dhis2_api.Me": ANALYTICS,
    "estimation_api.csrf_token": SIGNED_IN,
    "estimation_api.Jobs": EPI,
    "estimation_api.Job": EPI,
    "estimation_api.CancelJob": EPI,
    "estimation_api.Result": EPI,
    "estimation_api.ResultCsv": EPI,
    "estimation_api.ResultXlsx": EPI,
    "estimation_api.ResultApproval": EPI,
    "estimation_api.Uploads": EPI,
    "estimation_api.Upload": EPI,
    "estimation_api.Overlap": EPI,
    "estimation_api.Duplicates": EPI,
    "estimation_api.Duplicate": EPI,
}

#: Values for URL arguments: ids of records at the Bishkek centre.
SAMPLE_ARGS = {
    "client_id": lambda records: records.client_id,
    "episode_id": lambda records: records.episode_id,
    "enrolment_id": lambda records: records.enrolment_id,
    "entity": lambda records: "episode",
    "record_id": lambda records: records.episode_id,
    "filename": lambda records: "registry.css",
    "list_id": lambda records: records.list_id,
    "candidate_id": lambda records: records.candidate_id,
    "job_id": lambda records: records.job_id,
    "name": lambda records: "models",
}


def rules(app) -> list[Rule]:
    """Every rule, logout last (it ends the session the other requests use)."""
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint == "auth.logout", r.rule))


def test_every_route_declares_who_may_use_it(app):
    undeclared = [
        r.endpoint for r in app.url_map.iter_rules() if access_of(app, r.endpoint) is None
    ]
    assert undeclared == [], "declare these views with @public, @signed_in or @roles(...)"


def test_every_route_is_in_the_expected_matrix(app):
    declared = {r.endpoint: access_of(app, r.endpoint) for r in app.url_map.iter_rules()}
    assert declared == EXPECTED


def test_an_undeclared_view_is_refused_to_everybody(app, client, auth):
    app.add_url_rule("/undeclared", "undeclared", lambda: "secret")
    assert client.get("/undeclared").status_code == 302  # anonymous: to the login page
    auth.login("admin")
    response = client.get("/undeclared")
    assert response.status_code == 403
    assert "secret" not in response.get_data(as_text=True)


@pytest.mark.parametrize("identity", list(IDENTITIES))
def test_route_role_matrix(app, registry_data, rnc_records, study_records, identity):
    records = SimpleNamespace(**asdict(rnc_records), **asdict(study_records))
    client = app.test_client()
    auth = AuthActions(client, registry_data.password)
    username = IDENTITIES[identity]
    if username:
        assert auth.login(username).status_code == 302
    role = ROLE_OF.get(identity)
    seen = []
    for rule in rules(app):
        missing = set(rule.arguments) - set(SAMPLE_ARGS)
        assert not missing, f"add sample values for {missing} of {rule.rule}"
        args = {name: SAMPLE_ARGS[name](records) for name in rule.arguments}
        url = rule.build(args)[1]
        access = EXPECTED[rule.endpoint]
        for method in sorted(rule.methods & {"GET", "POST"}):
            if method == "POST":
                response = client.post(url, data={"csrf_token": auth.token("/login")})
            else:
                response = client.get(url)
            status = response.status_code
            response.close()
            seen.append((rule.endpoint, method, status))
            where = f"{identity} {method} {url} -> {status}"
            if not access.allows(role):
                if role is None and url.startswith("/api/"):
                    assert status == 401, where  # the API answers, it does not redirect
                elif role is None:
                    assert status == 302, where
                    assert response.headers["Location"].startswith("/login"), where
                else:
                    assert status == 403, where
            elif identity == OTHER_CENTRE and rule.arguments - {"filename"}:
                assert status == 404, where  # another centre's record: not found
            else:
                assert status in (200, 302, 422), where
                location = response.headers.get("Location", "")
                if rule.endpoint != "auth.logout":  # which goes to the login page
                    assert not location.startswith("/login"), where
    assert len(seen) >= len(EXPECTED)
