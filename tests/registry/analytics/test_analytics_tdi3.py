"""The TDI 3.0 options in the analytics: polydrug use, injecting "2", sex not known (U).

On the small registry of ``conftest.py`` (its admissions all answer polydrug use "1"),
plus F: sex not known, Bishkek, detox 2003-07-01, injected ever (last time not known),
no polydrug use problem. A sex not known is a third sex option: the total is M + F + U,
and its cells are suppressed like every other.
"""

from __future__ import annotations

import pytest

from registry.analytics import parse_request, run_query
from registry.analytics.dhis2_ids import CATEGORIES
from registry.schemas import AdmissionSchema
from registry.services.episodes import admit_client

UNKNOWN_SEX = {"family_name": "Бекова", "given_name": "Гулнара", "birth_date": "1978-02-02",
               "sex": "U"}  # fmt: skip


@pytest.fixture
def threshold() -> int:
    return 1


@pytest.fixture
def app_config(threshold: int) -> dict:
    return {"SUPPRESSION_THRESHOLD": threshold}


@pytest.fixture
def with_unknown_sex(small_registry, actor, centre, admission_form, db_session):
    form = admission_form(**UNKNOWN_SEX, admission_date="2003-07-01", injecting="2",
                          needle_sharing="2", polydrug_use="2")  # fmt: skip
    admit_client(AdmissionSchema().load(form), actor=actor("clinic-bishkek"), centre=centre("RNC"))
    db_session.commit()
    return small_registry


def answer(actor, **args) -> dict:
    """``{(dx, pe, ou, *splits): (value, status)}`` as the ministry user."""
    response = run_query(parse_request(args), actor=actor("ministry"))
    return {tuple(row[:-2]): (row[-2], row[-1]) for row in response.rows}


def values(actor, **args) -> dict:
    return {key: value for key, (value, _status) in answer(actor, **args).items()}


def test_entrants_by_polydrug_use_and_injecting_ever(with_unknown_sex, actor):
    got = values(actor, dx="TDI_ENTRANTS_POLYDRUG;TDI_ENTRANTS_INJECTING", pe="2003", ou="KG")
    # A, B, C, D answered "1"; F "2"
    assert got[("TDI_ENTRANTS_POLYDRUG", "2003", "KG", "1")] == 4
    assert got[("TDI_ENTRANTS_POLYDRUG", "2003", "KG", "2")] == 1
    assert got[("TDI_ENTRANTS_POLYDRUG", "2003", "KG", "99")] == 0
    assert got[("TDI_ENTRANTS_INJECTING", "2003", "KG", "2")] == 1
    assert got[("TDI_ENTRANTS_INJECTING", "2003", "KG", "2.3")] == 2


def test_sex_not_known_is_an_option_and_in_the_total(with_unknown_sex, actor):
    got = values(actor, dx="TDI_ENTRANTS", pe="2003", ou="KG", dimension=["sex"])
    by_sex = {sex: got[("TDI_ENTRANTS", "2003", "KG", sex)] for sex in ("M", "F", "U")}
    assert by_sex == {"M": 2, "F": 2, "U": 1}
    assert values(actor, dx="TDI_ENTRANTS", pe="2003", ou="KG") == {
        ("TDI_ENTRANTS", "2003", "KG"): 5
    }
    got = values(actor, dx="TDI_ENTRANTS_POLYDRUG", pe="2003", ou="KG", dimension=["sex"])
    assert got[("TDI_ENTRANTS_POLYDRUG", "2003", "KG", "U", "2")] == 1


def test_a_rate_for_sex_not_known_has_no_population(with_unknown_sex, actor):
    got = answer(actor, dx="REG_PER_100K", pe="2003", ou="KG-GB", dimension=["sex"])
    assert got[("REG_PER_100K", "2003", "KG-GB", "U")] == (None, "no_denominator")


@pytest.mark.parametrize("threshold", [3])
def test_the_sex_not_known_cell_is_withheld_and_not_recoverable(with_unknown_sex, actor):
    got = values(actor, dx="TDI_ENTRANTS", pe="2003", ou="KG-GB", dimension=["sex"])
    cells = {sex: got[("TDI_ENTRANTS", "2003", "KG-GB", sex)] for sex in ("M", "F", "U")}
    total = values(actor, dx="TDI_ENTRANTS", pe="2003", ou="KG-GB")
    cells["T"] = total[("TDI_ENTRANTS", "2003", "KG-GB")]
    assert cells["U"] is None  # 1, below the threshold
    # T = M + F + U: at least one more of them is withheld, or U would be T - M - F
    assert sum(value is None for value in cells.values()) >= 2


def test_the_dhis2_categories_carry_the_new_options():
    assert CATEGORIES["sex"].options == ("M", "F", "U")
    assert CATEGORIES["polydrug"].options == ("1", "2", "99")
    assert "2" in CATEGORIES["injecting"].options
    assert CATEGORIES["sex"].option_name("U") == "Not known"
