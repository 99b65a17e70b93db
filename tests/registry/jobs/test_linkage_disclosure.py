"""An attacker with an epidemiologist's account tries to learn whether people are clients.

The attack of issue 12 (section 2): upload an identifier list of one person and ask
``/api/linkage/overlap`` against treatment entrants; ``{"11": 1}`` or ``{"10": 1}`` says
whether that person is a client. Here the attacker gets every count a caller can get
(the overlap API, the new-study page, a study's result through the API, its page and its
downloads) and bounds each withheld count by linear programming, knowing the table's
structure and that a withheld count is at least 1 (zeros are shown).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from itertools import combinations

import numpy as np
import pytest
from scipy.optimize import linprog

from registry.extensions import db
from registry.jobs.runner import run_job
from registry.services.client_codes import ClientIdentifiers, client_code
from tests.conftest import TEST_SECRETS

TREATED = "registry:treatment_entrants"


def identifiers_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["family_name", "given_name", "birth_date", "sex"])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def strangers(people: int) -> list[dict[str, str]]:
    """Identifiers of people the registry has never seen (names unlike the population's)."""
    return [{"family_name": f"Qqxw{chr(65 + n % 26)}{n}", "given_name": "Wwq",
             "birth_date": date(1940 + n % 15, 1 + n % 12, 1 + n % 28).isoformat(), "sex": "F"}
            for n in range(people)]  # fmt: skip


def clients_on_police_list(population, how_many: int) -> list[dict[str, str]]:
    """Identifier rows of people who are treatment entrants (the attacker's targets)."""
    key = TEST_SECRETS["LINKAGE_KEY"]
    chosen = []
    for row in population.police_rows:
        ids = ClientIdentifiers(row["family_name"], row["given_name"],
                                date.fromisoformat(row["birth_date"]), row["sex"])  # fmt: skip
        if client_code(ids, key) in population.lists["treatment"]:
            chosen.append(row)
    assert len(chosen) >= how_many
    return chosen[:how_many]


def overlap(api, refs: list[str]):
    query = {"lists": refs, "period": "2003", "area_code": "KG"}
    return api.get("/api/linkage/overlap", query_string=query)


def outside_knowledge(api, report: dict, upload: dict) -> list[tuple[str, str, int]]:
    """What the attacker knows besides the report: ``(side, marginal pattern, count)``.

    The upload's own size (``code_count``), and the registry lists' own table, asked for
    with an overlap of the registry lists alone (a single list's count from a pair).
    """
    refs = [entry["ref"] for entry in report["lists"]]
    registry = [ref for ref in refs if ref.startswith("registry:")]
    known = [("upload", "1", upload["code_count"])]
    asked = registry if len(registry) > 1 else [*registry, "registry:hiv_tested"]
    alone = overlap(api, asked).json
    for pattern, count in alone["histories"].items():
        sub = pattern[: len(registry)]
        if count is not None and "1" in sub and len(registry) == len(asked):
            known.append(("registry", sub, count))
    if len(registry) == 1 and alone["lists"][0]["count"] is not None:
        known.append(("registry", "1", alone["lists"][0]["count"]))
    return known


def attacker_bounds(report: dict, known=()) -> dict[str, tuple[float, float]]:
    """The feasible interval of every withheld history cell, as the attacker computes it.

    Unknowns: the 2^k - 1 history cells. Known: every published history (absent = 0),
    every published margin (list counts, pairwise overlaps, observed, registered) as an
    equation, every withheld count (cell or margin) at least 1, and the ``known``
    marginal counts of :func:`outside_knowledge`.
    """
    k = len(report["lists"])
    patterns = [format(mask, f"0{k}b") for mask in range(1, 2**k)]
    column = {p: j for j, p in enumerate(patterns)}
    rows, rhs, upper_rows = [], [], []

    def row_of(cells: list[str]) -> np.ndarray:
        vector = np.zeros(len(patterns))
        for cell in cells:
            vector[column[cell]] = 1.0
        return vector

    def margin(cells: list[str], value: int | None) -> None:
        if value is None:
            upper_rows.append(-row_of(cells))  # sum >= 1
        else:
            rows.append(row_of(cells))
            rhs.append(value)

    for p in patterns:
        margin([p], report["histories"].get(p, 0))
    for i, entry in enumerate(report["lists"]):
        margin([p for p in patterns if p[i] == "1"], entry["count"])
    for (i, j), pair in zip(combinations(range(k), 2), report["pairwise"], strict=True):
        margin([p for p in patterns if p[i] == p[j] == "1"], pair["overlap"])
    margin(patterns, report["observed"])
    registry = [i for i, e in enumerate(report["lists"]) if e["ref"].startswith("registry:")]
    margin([p for p in patterns if any(p[i] == "1" for i in registry)], report["registered"])
    uploads = [i for i in range(k) if i not in registry]
    for side, sub, count in known:
        positions = uploads if side == "upload" else registry
        margin([p for p in patterns if "".join(p[i] for i in positions) == sub], count)
    bounds = {}
    for p in (p for p in patterns if report["histories"].get(p, 0) is None):
        ends = []
        for sign in (1.0, -1.0):
            solution = linprog(
                sign * row_of([p]), A_eq=np.array(rows), b_eq=np.array(rhs),
                A_ub=np.array(upper_rows) if upper_rows else None,
                b_ub=-np.ones(len(upper_rows)) if upper_rows else None,
                bounds=[(0, None)] * len(patterns), method="highs",
            )  # fmt: skip
            assert solution.status == 0, "the published counts are consistent"
            ends.append(sign * solution.fun)
        bounds[p] = (ends[0], ends[1])
    return bounds


def test_a_one_person_list_is_refused_wherever_it_could_be_linked(app, api, population):
    target = clients_on_police_list(population, 1)
    upload = api.upload(identifiers_csv(target), source_name="one person").json
    response = overlap(api, [upload["ref"], TREATED])
    assert response.status_code == 422
    message = json.dumps(response.json, ensure_ascii=False)
    assert "one person" in message and "50" in message and "lists" in message
    assert "11" not in response.json and "histories" not in response.json
    study = {"method": "capture_recapture", "lists": [upload["ref"], TREATED],
             "period": "2003", "area_code": "KG"}  # fmt: skip
    assert api.post("/api/jobs", json=study).status_code == 422
    page = api.client.post("/studies/new", data={
        **study, "lists": study["lists"], "action": "overlap", "csrf_token": api.token,
    })  # fmt: skip
    assert page.status_code == 422 and "one person" in page.get_data(as_text=True)


def test_a_few_people_below_the_minimum_are_refused_and_the_setting_moves_the_line(
    app, api, population
):
    rows = clients_on_police_list(population, 3) + strangers(46)  # 49 distinct people
    upload = api.upload(identifiers_csv(rows), source_name="few").json
    assert overlap(api, [upload["ref"], TREATED]).status_code == 422
    app.config["LINKAGE_MIN_LIST_CODES"] = 49
    assert overlap(api, [upload["ref"], TREATED]).status_code == 200


def test_a_small_overlap_is_withheld_and_cannot_be_worked_out(app, api, population):
    rows = clients_on_police_list(population, 3) + strangers(47)
    upload = api.upload(identifiers_csv(rows), source_name="police sample").json
    for refs in ([upload["ref"], TREATED], [upload["ref"], TREATED, "registry:ost"]):
        response = overlap(api, refs)
        assert response.status_code == 200
        report = response.json
        assert report["withheld"]["cells"] > 0
        on_both = report["pairwise"][0]
        assert on_both["overlap"] is None  # 3 people: withheld
        bounds = attacker_bounds(report, outside_knowledge(api, report, upload))
        assert bounds, "some history is withheld"
        for history, (low, high) in bounds.items():
            assert high - low > 2, (refs, history, low, high)


def test_a_study_shows_and_keeps_only_protected_counts(app, api, population):
    rows = clients_on_police_list(population, 3) + strangers(47)
    upload = api.upload(identifiers_csv(rows), source_name="police sample").json
    refs = [upload["ref"], TREATED, "registry:ost"]
    study = {"method": "capture_recapture", "lists": refs, "period": "2003", "area_code": "KG"}
    job = api.post("/api/jobs", json=study).json
    with app.app_context():
        assert run_job(job["id"]) == "succeeded"
        db.session.remove()
    result = api.get(f"/api/jobs/{job['id']}/result").json
    linkage = result["payload"]["linkage"]
    assert linkage["pairwise"][0]["overlap"] is None
    assert result["history_counts"]["histories"] == linkage["histories"]
    bounds = attacker_bounds(linkage, outside_knowledge(api, linkage, upload))
    assert bounds and all(high - low > 2 for low, high in bounds.values())
    assert result["payload"]["estimate"]["abundance"] > 0  # estimated on the exact counts
    download = api.client.get(f"/studies/jobs/{job['id']}/result.json")
    document = json.loads(download.get_data(as_text=True))
    assert document["provenance"]["history_counts"]["histories"] == linkage["histories"]
    page = api.client.get(f"/studies/jobs/{job['id']}").get_data(as_text=True)
    assert 'class="withheld"' in page and 'id="withheld-note"' in page


@pytest.mark.parametrize("people", [1, 2])
def test_the_attack_of_the_issue_no_longer_answers(app, api, population, people):
    """``{"11": 1}`` / ``{"10": 1}``: the overlap of a list of one or two people."""
    rows = clients_on_police_list(population, 1) + strangers(people - 1)
    upload = api.upload(identifiers_csv(rows), source_name="probe").json
    response = overlap(api, [upload["ref"], TREATED])
    assert response.status_code == 422
    assert "histories" not in response.json
