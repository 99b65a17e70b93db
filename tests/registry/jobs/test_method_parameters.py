"""Every method's parameters are checked by its own schema when the study is created.

A bad parameter is a 422 naming ``parameters/<field>`` (problem details on the API, the
message beside the input on the HTML form) and nothing is stored: no study, no job.
The defaults come from the method's schema alone, and the seed is written once.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from registry.extensions import db
from registry.models import EstimationJob, Study
from registry.services.methods import METHODS
from registry.services.methods.base import DEFAULT_SEED
from tests.registry.web.conftest import AuthActions

pytestmark = [
    pytest.mark.slow,
    pytest.mark.backend_neutral(
        "each refusal comes from the method's schema before anything is written; "
        "creating and running studies is tested on both backends in test_methods_api"
    ),
]

ROOT = Path(__file__).resolve().parents[3]
TWO_LISTS = ["registry:ost", "registry:hiv_tested"]
#: A study of each method that is valid but for its parameters.
STUDIES = {
    "capture_recapture": {"lists": TWO_LISTS},
    "count_estimators": {"lists": ["registry:ost"]},
    "hiv_trend": {"lists": ["registry:hiv_tested"]},
    "multiplier": {"lists": [], "parameters": {"benchmark": 100,
                                               "surveys": [{"in_benchmark": 1,
                                                            "sample_size": 4}]}},
    "retention": {"lists": []},
    "coverage": {"lists": [], "parameters": {"estimate": 40}},
    "projection": {"lists": [], "parameters": {"base": 5600}},
    # jobs 1 and 2: two succeeded multiplier results (the synthesis_inputs fixture)
    "synthesis": {"lists": [], "parameters": {"inputs": [{"job": 1}, {"job": 2}]}},
    "mim": {"lists": [], "parameters": {"anchor_studies": [1, 2, 3]}},
}  # fmt: skip
#: Methods whose valid study needs more than this registry has (MIM: approved anchor
#: studies of three regions and a fourth region with a centre; its creation is tested in
#: tests/registry/jobs/test_mim_study.py).
NOT_CREATED_HERE = ("mim",)
JUNK = {"junk": "x" * 1_000_000}  # a 1 MB object nobody asked for

BAD = [
    ("capture_recapture", {"alpha": "NaN"}, "alpha"),
    ("capture_recapture", {"alpha": 0.05, "model": "Mx"}, "model"),
    ("capture_recapture", {"analysis": "astrology"}, "analysis"),
    ("capture_recapture", {"analysis": "bootstrap", "replicates": 1_000_000}, "replicates"),
    ("capture_recapture", {"seed": "twelve"}, "seed"),
    ("capture_recapture", {"analysis": "model", "model": "[12,3,4]"}, "model"),  # 2 lists
    ("capture_recapture", JUNK, "junk"),
    ("count_estimators", {"alpha": 2}, "alpha"),
    ("count_estimators", {"model": "Chao"}, "model"),
    ("hiv_trend", {"years": 1000}, "years"),
    ("hiv_trend", {"alpha": "NaN"}, "alpha"),
    ("multiplier", {"seed": -1}, "seed"),
    ("multiplier", {"random_effects": "maybe"}, "random_effects"),
    ("multiplier", {"surveys": [{"in_benchmark": 1, "sample_size": 10**9}]},
     "surveys/0/sample_size"),
    ("retention", {"group": "age"}, "group"),
    ("retention", {"cox": "perhaps"}, "cox"),
    ("retention", {"alpha": True}, "alpha"),
    ("coverage", {"census_date": "tomorrow"}, "census_date"),
    ("coverage", {"alpha": 0.05}, "alpha"),  # coverage has no interval level to set
    ("projection", {"scenarios": "trend 5 to 7"}, "scenarios"),
    ("projection", {"scenarios": {"trend": [5, "NaN"]}}, "scenarios"),
    ("projection", {"horizon": 9}, "horizon"),
    ("projection", JUNK, "junk"),
    ("synthesis", {"tau_scale": -1}, "tau_scale"),
    ("synthesis", {"inputs": [{"job": 1, "weight": 0}, {"job": 2}]}, "inputs/0/weight"),
    ("synthesis", {"inputs": [{"job": 1}, {"job": 999}]}, "inputs/1/job"),
    ("mim", {"components": 9}, "components"),
    ("mim", {"anchor_studies": "1,2,3"}, "anchor_studies"),
    ("mim", {"indicators": ["TDI_ENTRANTS", "TDI_ENTRANTS"]}, "indicators"),
]  # fmt: skip
#: Title of the studies whose results a synthesis combines (not counted as stored).
INPUT_TITLE = "synthesis input"


@pytest.fixture(autouse=True)
def synthesis_inputs(request) -> None:
    """Jobs 1 and 2, succeeded multiplier results of 2003 in KG, for a synthesis's test."""
    callspec = getattr(request.node, "callspec", None)
    if callspec is None or callspec.params.get("method") != "synthesis":
        return
    from tests.registry.web.study_fixtures import run_job

    app, data = request.getfixturevalue("app"), request.getfixturevalue("registry_data")
    with app.app_context():
        from registry.models import User
        from registry.services.studies import create_study

        epi = db.session.get(User, data.users["epi"])
        for in_benchmark in (100, 120):
            job = create_study({"method": "multiplier", "title": INPUT_TITLE, "period": "2003",
                                "area_code": "KG", "lists": [],
                                "parameters": {"benchmark": 1000, "surveys": [
                                    {"in_benchmark": in_benchmark, "sample_size": 400}]}},
                               actor=epi)  # fmt: skip
            db.session.commit()
            run_job(job.id)
        db.session.remove()


def study(method: str, **parameters) -> dict:
    base = STUDIES[method]
    return {"method": method, "period": "2003", "area_code": "KG", "lists": base["lists"],
            "parameters": {**base.get("parameters", {}), **parameters}}  # fmt: skip


def stored(app) -> tuple[int, int]:
    with app.app_context():
        studies = db.session.query(Study).where(Study.title != INPUT_TITLE)
        jobs = db.session.query(EstimationJob).join(Study).where(Study.title != INPUT_TITLE)
        counts = (studies.count(), jobs.count())
        db.session.remove()
    return counts


def test_every_method_is_covered():
    assert {method for method, _, _ in BAD} == set(METHODS)


@pytest.mark.parametrize(("method", "parameters", "field"), BAD)
def test_a_bad_parameter_is_a_422_naming_it_and_nothing_is_stored(
    api, app, method, parameters, field
):
    response = api.post("/api/jobs", json=study(method, **parameters))
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert f"parameters/{field}" in {error["field"] for error in response.json["errors"]}
    assert stored(app) == (0, 0)


@pytest.mark.parametrize("method", [m for m in STUDIES if m not in NOT_CREATED_HERE])
def test_the_schema_fills_in_the_defaults_at_creation(api, app, method):
    response = api.post("/api/jobs", json=study(method))
    assert response.status_code == 202, response.json
    assert response.json["parameters"] == METHODS[method].load(
        STUDIES[method].get("parameters", {})
    )


def test_the_seed_is_written_once():
    sources = [p for p in (ROOT / "registry").rglob("*.py") if "20030101" in p.read_text()]
    sources += [p for p in (ROOT / "registry").rglob("*.html") if "20030101" in p.read_text()]
    assert [p.relative_to(ROOT).as_posix() for p in sources] == [
        "registry/services/methods/base.py"
    ]
    assert METHODS["capture_recapture"].defaults()["seed"] == DEFAULT_SEED
    assert METHODS["multiplier"].defaults()["seed"] == DEFAULT_SEED


class Inputs(HTMLParser):
    """The values a browser would post from a form page as it opens (enabled inputs of the
    form posting to ``action``; the page's other forms, such as the language switch, are
    not sent with it)."""

    def __init__(self, action: str = "/studies/new") -> None:
        super().__init__()
        self.values: list[tuple[str, str]] = []
        self._select: str | None = None
        self._first: tuple[str, str] | None = None
        self._chosen = False
        self._action, self._inside = action, False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form":
            self._inside = (a.get("action") or "").split("?")[0] == self._action
        if not self._inside:
            return
        posted = a.get("type") not in ("checkbox", "radio") or "checked" in a
        if tag == "input" and a.get("name") and posted:
            self.values.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select, self._first, self._chosen = a.get("name"), None, False
        elif tag == "option" and self._select:
            option = (self._select, a.get("value") or "")
            self._first = self._first or option
            if "selected" in a:
                self.values.append(option)
                self._chosen = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False
        if tag == "select" and self._select and not self._chosen and self._first:
            self.values.append(self._first)
        if tag == "select":
            self._select = None


def form_as_opened(client, method: str) -> list[tuple[str, str]]:
    page = client.get(f"/studies/new?method={method}").get_data(as_text=True)
    parser = Inputs()
    parser.feed(page)
    return parser.values


#: What the user types on each method's form besides what it opens with.
TYPED = {
    "capture_recapture": [("lists", "registry:ost"), ("lists", "registry:hiv_tested")],
    "count_estimators": [("lists", "registry:ost")],
    "hiv_trend": [],
    "multiplier": [("parameters/benchmark", "100"), ("parameters/surveys/0/in_benchmark", "1"),
                   ("parameters/surveys/0/sample_size", "4")],
    "retention": [],
    "coverage": [("parameters/estimate", "40")],
    "projection": [("parameters/base", "5600")],
    "synthesis": [("parameters/inputs/0/job", "1"), ("parameters/inputs/1/job", "2")],
    "mim": [(f"parameters/anchor_studies/{i}", str(i + 1)) for i in range(3)],
}  # fmt: skip


@pytest.fixture
def epi(client, registry_data):
    auth = AuthActions(client, registry_data.password)
    auth.login("epi")  # the Russian interface, as the epidemiologists use it
    return auth


@pytest.mark.parametrize("method", [m for m in STUDIES if m not in NOT_CREATED_HERE])
def test_every_method_submits_as_its_form_opens(epi, client, app, method):
    """Issue 14 item 2: "Охват ОЗТ" and "Прогноз" were refused with "alpha: Неизвестное поле"."""
    posted = [(k, v) for k, v in form_as_opened(client, method) if k not in ("csrf_token",)]
    posted = [*posted, ("period", "2003"), *TYPED[method], ("action", "run")]
    response = epi.post("/studies/new", _multidict(posted))
    errors = re.findall(r'class="error"[^>]*>([^<]*)', response.get_data(as_text=True))
    assert response.status_code == 302, errors
    assert stored(app) == (1, 1)


@pytest.mark.parametrize(("method", "parameters", "field"), [b for b in BAD if b[1] is not JUNK])
def test_the_form_shows_a_bad_parameter_beside_its_input(
    epi, client, app, method, parameters, field
):
    posted = [(k, v) for k, v in form_as_opened(client, method) if not k.startswith("parameters/")]
    posted = [*posted, ("period", "2003"), *TYPED[method], ("action", "run")]
    posted = [(k, v) for k, v in posted if not k.startswith("parameters/")]
    for name, value in _form_values(study(method, **parameters)["parameters"]):
        posted.append((f"parameters/{name}", value))
    response = epi.post("/studies/new", _multidict(posted))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'href="#f-parameters/{field}"' in page  # in the summary at the top
    if f'name="parameters/{field}"' in page:  # and beside its input, if the form has one
        assert f'id="e-parameters/{field}"' in page
    assert stored(app) == (0, 0)


def _form_values(data, prefix: str = ""):
    items = enumerate(data) if isinstance(data, list) else data.items()
    for key, value in items:
        name = f"{prefix}/{key}" if prefix else str(key)
        if isinstance(value, dict | list):
            yield from _form_values(value, name)
        else:
            yield name, "true" if value is True else str(value)


def _multidict(pairs) -> dict[str, list[str]]:
    """``[(name, value), ...]`` as the test client posts repeated inputs (the last
    value of a name typed twice wins, as the typed values come last)."""
    posted: dict[str, list[str]] = {}
    for name, value in pairs:
        if name == "lists":
            posted.setdefault(name, []).append(value)
        else:
            posted[name] = [value]
    return posted


def test_studies_take_the_periods_the_analytics_take(api):
    """One period grammar: a half-year (DHIS2's 2003S1) names a study as it names a ``pe``."""
    created = api.post("/api/jobs", json={**study("retention"), "period": "2003S2"})
    assert created.status_code == 202, created.json
    analytics = api.get("/api/v1/analytics", query_string={"dx": "REG_CLIENTS", "pe": "2003S2",
                                                           "ou": "KG"})  # fmt: skip
    assert analytics.status_code == 200
    for bad in ("2003S3", "2003H1"):
        refused = api.post("/api/jobs", json={**study("retention"), "period": bad})
        assert [e["field"] for e in refused.json["errors"]] == ["period"]
