"""A capture-recapture study as an epidemiologist meets it (issue 18's walkthrough).

- a list wholly inside another is refused when the study is made (API and form), and a
  nearly nested one is warned about on the result page (Russian and English), in the
  result's JSON and in its CSV;
- the parameters table shows the parameters the analysis used, with their values
  (dga's delta as 2^-k), and no others; the posterior sd is shown once;
- combinations the job could not run (strata with dga ...) are refused at creation,
  naming the field, and nothing is stored.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from openpyxl import load_workbook

from registry.extensions import db
from registry.models import EstimationJob, Study, User
from registry.services.methods import METHODS
from registry.services.studies import create_study
from tests.registry.web.conftest import AuthActions
from tests.registry.web.study_fixtures import code_of, codes_csv, run_job

CR = METHODS["capture_recapture"]
#: People on each list (persons by number): OST clients all in treatment (exact), or
#: 280 of 290 in it (96.6%: ten outside, at the suppression threshold, so shown).
PEOPLE = {
    "treatment": range(0, 400),
    "police": range(300, 700),
    "ngo": range(550, 760),
    "ost": range(0, 120),
    "ost-near": [*range(0, 280), *range(1000, 1010)],
}


@pytest.fixture
def lists(app, registry_data) -> dict[str, str]:
    """``{name: "upload:<id>"}`` of the uploaded code lists of :data:`PEOPLE`."""
    from registry.services.uploads import upload_code_list

    refs = {}
    with app.app_context():
        epi = db.session.get(User, registry_data.users["epi"])
        for name, people in PEOPLE.items():
            source = upload_code_list(
                io.BytesIO(codes_csv([code_of(p) for p in people])),
                source_name=name.split("-")[0] if name == "ost-near" else name,
                period="2003",
                area_code="KG",
                actor=epi,
            )
            refs[name] = f"upload:{source.id}"
        db.session.commit()
    return refs


def study(refs: list[str], strata: str | None = None, **parameters) -> dict:
    return {"method": "capture_recapture", "period": "2003", "area_code": "KG",
            "lists": refs, "strata": strata, "parameters": parameters}  # fmt: skip


def stored(app) -> tuple[int, int]:
    with app.app_context():
        counts = (db.session.query(Study).count(), db.session.query(EstimationJob).count())
        db.session.remove()
    return counts


def run_study(app, registry_data, data: dict) -> tuple[int, dict]:
    with app.app_context():
        epi = db.session.get(User, registry_data.users["epi"])
        job = create_study(data, actor=epi)
        db.session.commit()
        job_id = job.id
        run_job(job_id)
        payload = db.session.get(EstimationJob, job_id).result.payload
        db.session.remove()
    return job_id, payload


def signed_in(client, registry_data, locale: str) -> AuthActions:
    auth = AuthActions(client, registry_data.password)
    auth.login("epi")
    auth.post("/language", {"locale": locale, "next": "/"}, form_path="/login")
    return auth


def test_a_list_wholly_inside_another_is_refused_by_the_api(api, app, lists):
    before = stored(app)
    data = study([lists["ost"], lists["treatment"], lists["police"]])
    response = api.post("/api/jobs", json=data)
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    (error,) = response.json["errors"]
    assert error["field"] == "lists"
    assert "«ost»" in error["detail"] and "«treatment»" in error["detail"]  # Russian default
    assert stored(app) == before


def test_a_list_wholly_inside_another_is_refused_by_the_form(client, app, registry_data, lists):
    auth = signed_in(client, registry_data, "en")
    before = stored(app)
    form = {"method": "capture_recapture", "period": "2003", "area_code": "KG",
            "lists": [lists["ost"], lists["treatment"], lists["police"]],
            "parameters/analysis": "average"}  # fmt: skip
    response = auth.post("/studies/new", form, form_path="/studies/new")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    message = re.search(r'<p class="error" id="e-lists">([^<]*)</p>', page)
    assert message is not None
    assert "Every person on the list “ost” is also on “treatment”" in message.group(1)
    assert stored(app) == before


def test_the_overlap_report_on_the_form_shows_a_nested_pair(client, registry_data, lists):
    auth = signed_in(client, registry_data, "en")
    form = {"method": "capture_recapture", "period": "2003", "area_code": "KG",
            "lists": [lists["ost-near"], lists["treatment"], lists["police"]],
            "action": "overlap"}  # fmt: skip
    page = auth.post("/studies/new", form, form_path="/studies/new").get_data(as_text=True)
    notice = page.split('id="nested-lists-notice"')[1].split("</div>")[0]
    assert "96.6% of the people on the list “ost” are also on “treatment”" in notice


def test_a_nearly_nested_list_is_told_when_the_form_creates_the_study(
    client, app, registry_data, lists
):
    auth = signed_in(client, registry_data, "en")
    form = {"method": "capture_recapture", "period": "2003", "area_code": "KG",
            "lists": [lists["ost-near"], lists["treatment"], lists["police"]],
            "parameters/analysis": "average"}  # fmt: skip
    created = auth.post("/studies/new", form, form_path="/studies/new")
    assert created.status_code == 302
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    flashed = re.search(r'<p class="flash warning" role="status">([^<]*)</p>', page)
    assert flashed is not None
    assert "96.6% of the people on the list “ost” are also on “treatment”" in flashed.group(1)


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("en", "96.6% of the people on the list “ost” are also on “treatment”"),
        ("ru", "96,6% людей из списка «ost» есть и в списке «treatment»"),
    ],
)
def test_a_nearly_nested_list_is_warned_about_on_the_result(
    client, app, registry_data, lists, locale, text
):
    job_id, payload = run_study(
        app, registry_data, study([lists["ost-near"], lists["treatment"], lists["police"]])
    )
    assert payload["nested_lists"] == [{"list": "ost", "within": "treatment", "share": 0.966,
                                        "exact": False, "mutual": False}]  # fmt: skip
    first = payload["warnings"][0]
    assert (first["code"], first["list_a"], first["list_b"]) == ("nested_lists", "ost", "treatment")
    signed_in(client, registry_data, locale)
    page = client.get(f"/studies/jobs/{job_id}").get_data(as_text=True)
    panel = page.split('id="result-warnings"')[1].split("</section>")[0]
    assert 'data-code="nested_lists"' in panel and text in panel
    exported = json.loads(client.get(f"/studies/jobs/{job_id}/result.json").get_data())
    assert any(w["code"] == "nested_lists" for w in exported["result"]["warnings"])
    csv = client.get(f"/studies/jobs/{job_id}/result.csv").get_data(as_text=True)
    (line,) = [row for row in csv.splitlines() if row.startswith("nested_list,")]
    assert "ost ⊂ treatment" in line and text in line
    workbook = load_workbook(io.BytesIO(client.get(f"/studies/jobs/{job_id}/result.xlsx").data))
    header = [cell.value for cell in next(workbook.active.iter_rows())]
    assert not {"share", "exact", "mutual"} & set(header)  # every column has a label


def _parameter_labels(page: str) -> list[str]:
    table = page.split('<table class="compact parameters">')[1].split("</table>")[0]
    return re.findall(r'<th scope="row">([^<]*)</th>', table)


@pytest.mark.parametrize(
    ("locale", "labels", "delta", "sd_label", "se_label"),
    [
        ("en", ["Analysis", "Hyper-Dirichlet prior per cell (delta)", "Confidence level",
                "Population estimated"], "0.125", "Posterior standard deviation",
         "Standard error"),
        ("ru", ["Анализ", "Гипер-дирихлеевский априорный вес ячейки (delta)",
                "Доверительный уровень", "Оцениваемая популяция"], "0,125",
         "Апостериорное стандартное отклонение", "Стандартная ошибка"),
    ],
)  # fmt: skip
def test_a_dga_result_shows_its_own_parameters_and_the_sd_once(
    client, app, registry_data, lists, locale, labels, delta, sd_label, se_label
):
    refs = [lists["treatment"], lists["police"], lists["ngo"]]
    job_id, payload = run_study(app, registry_data, study(refs, analysis="dga"))
    assert payload["posterior"]["delta"] == 2**-3
    signed_in(client, registry_data, locale)
    page = client.get(f"/studies/jobs/{job_id}").get_data(as_text=True)
    assert _parameter_labels(page) == labels
    table = page.split('<table class="compact parameters">')[1].split("</table>")[0]
    assert f"<td>{delta}</td>" in table
    assert page.count(sd_label) == 1 and se_label not in page
    exported = json.loads(client.get(f"/studies/jobs/{job_id}/result.json").get_data())
    assert exported["parameters_used"] == {"analysis": "dga", "delta": 0.125, "alpha": 0.05,
                                           "key_population": "pwud"}  # fmt: skip


def test_the_parameters_used_by_each_analysis():
    def used(parameters: dict, **payload) -> dict:
        loaded = CR.load(parameters)
        return CR.parameters_used(CR.read({"parameters": loaded, "lists": ["a", "b", "c"],
                                           **payload}))  # fmt: skip

    lcmcr = used({"analysis": "lcmcr"}, posterior={
        "chains": 2, "seed": 20030101, "classes": 10, "a_alpha": 0.25, "b_alpha": 0.25,
        "burn_in": 10_000, "samples": 1_000, "thinning": 100})  # fmt: skip
    assert list(lcmcr) == ["analysis", "chains", "seed", "classes", "burn_in", "samples",
                           "thinning", "concentration_prior", "alpha",
                           "key_population"]  # fmt: skip
    assert lcmcr["chains"] == 2 and lcmcr["burn_in"] == 10_000
    assert used({"analysis": "dga"}) == {"analysis": "dga", "delta": 0.125, "alpha": 0.05,
                                         "key_population": "pwud"}  # fmt: skip
    average = used({"analysis": "average"}, selection={"used": "aic"})
    assert average["criterion_used"] == "AIC" and average["max_order"] == 2
    assert "delta" not in average and "replicates" not in average and "chains" not in average
    assert used({"analysis": "model", "model": "Mh"})["heterogeneity"] == "Chao"
    # a search's estimate is the BIC-best model whatever ranks its table
    search = used({"analysis": "search", "criterion": "aic"}, estimate={"criterion": "aic"})
    assert search["criterion_used"] == "BIC" and search["ranking"] == "AIC"
    assert used({"analysis": "search", "criterion": "auto"})["ranking"] == "BIC"
    stepwise = used({"analysis": "stepwise"})
    assert set(stepwise) == {"analysis", "threshold", "interval", "alpha", "key_population"}


REFUSED = [
    (3, "sex", {"analysis": "dga"}, "strata"),
    (3, "sex", {"analysis": "lcmcr"}, "strata"),
    (3, "sex", {"analysis": "bootstrap"}, "strata"),
    (3, "sex", {"analysis": "stepwise"}, "strata"),
    (3, "sex", {"analysis": "family"}, "strata"),
    (2, None, {"analysis": "average", "heterogeneity": "Chao"}, "parameters/heterogeneity"),
    (3, None, {"analysis": "model", "model": "Mb", "heterogeneity": "Chao"},
     "parameters/heterogeneity"),
    (3, None, {"analysis": "bootstrap", "model": "Mh"}, "parameters/model"),
    (3, None, {"analysis": "search", "max_order": 3}, "parameters/max_order"),
]  # fmt: skip


@pytest.mark.parametrize(("k", "strata", "parameters", "field"), REFUSED)
def test_what_the_job_could_not_run_is_refused_at_creation(
    api, app, lists, k, strata, parameters, field
):
    before = stored(app)
    refs = [lists["treatment"], lists["police"], lists["ngo"]][:k]
    response = api.post("/api/jobs", json=study(refs, strata, **parameters))
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert [error["field"] for error in response.json["errors"]] == [field]
    assert stored(app) == before


def test_the_form_refuses_strata_with_dga_next_to_the_field(client, app, registry_data, lists):
    auth = signed_in(client, registry_data, "ru")
    before = stored(app)
    form = {"method": "capture_recapture", "period": "2003", "area_code": "KG",
            "lists": [lists["treatment"], lists["police"], lists["ngo"]], "strata": "sex",
            "parameters/analysis": "dga"}  # fmt: skip
    response = auth.post("/studies/new", form, form_path="/studies/new")
    assert response.status_code == 422
    message = re.search(r'<p class="error" id="e-strata">([^<]*)</p>', response.get_data(True))
    assert message is not None and "dga" in message.group(1)
    assert "страт" in message.group(1)
    assert stored(app) == before


@pytest.mark.parametrize(
    ("k", "parameters"),
    [(7, {"analysis": "average"}), (6, {"analysis": "search", "max_order": 3}),
     (2, {"analysis": "bootstrap", "max_order": 2})],
)  # fmt: skip
def test_a_search_the_lists_cannot_have_is_refused_on_max_order(app, k, parameters):
    from datetime import date

    from marshmallow import ValidationError

    from registry.services.methods.capture_recapture_checks import check

    refs = [f"upload:{i}" for i in range(k)]
    with app.test_request_context(), pytest.raises(ValidationError) as error:
        check(refs, CR.load(parameters), actor=None, period=(date(2003, 1, 1), date(2003, 12, 31)))
    assert list(error.value.messages["parameters"]) == ["max_order"]
    stepwise = CR.load({**parameters, "analysis": "stepwise"})
    assert check(refs, stepwise, actor=None, period=(date(2003, 1, 1), date(2003, 12, 31)))
