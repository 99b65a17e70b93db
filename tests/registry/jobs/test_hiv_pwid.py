"""The HIV trend reads people who inject drugs, as the indicator defines them.

"HIV prevalence among people who inject drugs" (UNAIDS) divides the PWID who test
positive by the PWID tested. A client tested in a year is a person who injects drugs when
an admission up to the end of that year records route 1 (inject) or injecting in the last
12 months (TDI 2.2, 2.3): the rule of ``HIV_PWID_TESTED`` (docs/tdi.md). Before, the study
counted every client tested. The hand-made registry below has one client of each kind;
the expected counts are worked out by hand from the table.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert

from registry.extensions import db
from registry.jobs.runner import run_job
from registry.models import Client, LabTest, TreatmentEpisode
from tests.registry.jobs.conftest import EPISODE_CODES

#: client id -> (route, injecting, admission date) of its one admission (None: none), and
#: its HIV tests: (year, result). Every test is at a centre in KG.
CLIENTS = {
    1: (("1", "1", date(2001, 3, 1)), [(2002, "positive"), (2003, "positive")]),  # route 1
    2: (("2", "2.3", date(2002, 5, 1)), [(2002, "negative"), (2003, "positive")]),  # 30 days
    3: (("2", "2.2", date(2003, 1, 1)), [(2002, "negative"), (2003, "negative")]),  # 12 mo.
    4: (("2", "2", date(2001, 1, 1)), [(2002, "positive"), (2003, "positive")]),  # ever only
    5: (("2", "2.1", date(2001, 1, 1)), [(2002, "positive")]),  # not in the last 12 months
    6: (None, [(2002, "positive"), (2003, "negative")]),  # never admitted
    7: (("1", "2.3", date(2001, 1, 1)), [(2001, "negative")]),  # PWID, tested 2001 only
}
#: By hand: 2001: client 7 (negative). 2002: 1 (+), 2 (-); 3 is admitted only in 2003.
#: 2003: 1 (+), 2 (+), 3 (-). Clients 4, 5 and 6 are never PWID.
EXPECTED = [
    {"year": 2001, "tested": 1, "positive": 0},
    {"year": 2002, "tested": 2, "positive": 1},
    {"year": 2003, "tested": 3, "positive": 2},
]


def seed(registry_data) -> None:
    centre = registry_data.centres["OSH"]
    db.session.execute(insert(Client), [
        {"id": c, "code": f"{c:0>64}", "sex": "M", "birth_year": 1980} for c in CLIENTS
    ])  # fmt: skip
    db.session.execute(insert(TreatmentEpisode), [
        {"client_id": c, "centre_id": registry_data.centres["RNC"],
         "programme": "detoxification", "admission_date": admitted, "age_at_admission": 21,
         "secondary_drugs": [], **EPISODE_CODES, "route": route, "injecting": injecting}
        for c, (episode, _) in CLIENTS.items() if episode is not None
        for route, injecting, admitted in [episode]
    ])  # fmt: skip
    db.session.execute(insert(LabTest), [
        {"client_id": c, "centre_id": centre, "test": "HIV", "sample_date": date(year, 6, 1),
         "result": result}
        for c, (_, tests) in CLIENTS.items() for year, result in tests
    ])  # fmt: skip
    db.session.commit()


def test_the_trend_counts_people_who_inject_drugs_only(app, api, registry_data):
    with app.app_context():
        seed(registry_data)
    created = api.post("/api/jobs", json={
        "method": "hiv_trend", "lists": ["registry:hiv_tested"], "period": "2003",
        "area_code": "KG", "parameters": {"years": 3},
    })  # fmt: skip
    assert created.status_code == 202, created.json
    with app.app_context():
        assert run_job(created.json["id"]) == "succeeded"
    payload = api.get(f"/api/jobs/{created.json['id']}/result").json["payload"]
    assert [{k: y[k] for k in ("year", "tested", "positive")} for y in payload["years"]] == (
        EXPECTED
    )
    assert payload["observed"] == 6 and payload["tested_population"] == "pwid"
