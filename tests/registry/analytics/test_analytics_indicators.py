"""Every indicator against the value worked out by hand on the small registry (conftest).

The threshold is 1 here, so nothing is withheld and each count can be checked; the
suppression itself is tested in ``test_analytics_suppression.py``.
"""

from __future__ import annotations

import pytest

from registry.analytics import INDICATORS, parse_request, run_query
from registry.analytics.indicators import COUNT
from registry.schemas import AdmissionSchema
from registry.services.episodes import admit_client
from registry.services.linkage import overlap_report


@pytest.fixture
def app_config() -> dict:
    return {"SUPPRESSION_THRESHOLD": 1}


def answer(actor, **args):
    """``{(dx, pe, ou, *splits): (value, status)}`` of one query as the ministry user."""
    response = run_query(parse_request(args), actor=actor("ministry"))
    return {tuple(row[:-2]): (row[-2], row[-1]) for row in response.rows}


def values(actor, **args):
    return {key: value for key, (value, _status) in answer(actor, **args).items()}


def test_treatment_entrants_once_per_person_per_year(small_registry, actor):
    got = values(actor, dx="TDI_ENTRANTS;TDI_FIRST", pe="2003;2004", ou="KG;KG-GB;KG-GO")
    # 2003: A (twice, counted once), B, C, D; first treatment: A (first admission coded
    # "never treated"), C. 2004: E, first treatment.
    assert got[("TDI_ENTRANTS", "2003", "KG")] == 4
    assert got[("TDI_ENTRANTS", "2003", "KG-GB")] == 2
    assert got[("TDI_ENTRANTS", "2003", "KG-GO")] == 2
    assert got[("TDI_FIRST", "2003", "KG")] == 2
    assert got[("TDI_ENTRANTS", "2004", "KG")] == 1
    assert got[("TDI_FIRST", "2004", "KG-GB")] == 1


def test_a_dispensary_registration_is_registered_but_no_treatment_entry(
    small_registry, actor, centre, admission_form, db_session
):
    # F is put on the register at RNC (a dispensary) on 2003-05-01, with no treatment
    lists = ["registry:treatment_entrants", "registry:registrations"]
    before = [e["count"] for e in overlap_report(lists, period="2003", area_code="KG")["lists"]]
    form = admission_form(family_name="Бекова", given_name="Гулнара", birth_date="1978-02-02",
                          sex="F", region_code="KG-GB", programme="dispensary_observation",
                          admission_date="2003-05-01")  # fmt: skip
    admit_client(AdmissionSchema().load(form), actor=actor("clinic-bishkek"), centre=centre("RNC"))
    db_session.commit()
    got = values(actor, dx="TDI_ENTRANTS;REG_CLIENTS;REG_NEW", pe="2003", ou="KG")
    assert got[("TDI_ENTRANTS", "2003", "KG")] == 4  # A, B, C, D as before
    assert got[("REG_CLIENTS", "2003", "KG")] == 3  # A, C and now F
    assert got[("REG_NEW", "2003", "KG")] == 4  # A, C, D and F
    # the capture-recapture lists agree: on the registrations list, not among the entrants
    after = [e["count"] for e in overlap_report(lists, period="2003", area_code="KG")["lists"]]
    assert after == [before[0], before[1] + 1]


def test_entrants_by_sex_and_age(small_registry, actor):
    got = values(actor, dx="TDI_ENTRANTS", pe="2003", ou="KG", dimension=["sex", "age"])
    # ages at admission: A 22 (20-24), B 12 (<15), C 28 (25-29), D 17 (15-19)
    assert got[("TDI_ENTRANTS", "2003", "KG", "M", "20-24")] == 1
    assert got[("TDI_ENTRANTS", "2003", "KG", "F", "<15")] == 1
    assert got[("TDI_ENTRANTS", "2003", "KG", "M", "25-29")] == 1
    assert got[("TDI_ENTRANTS", "2003", "KG", "F", "15-19")] == 1
    assert sum(got.values()) == 4


def test_entrants_by_drug_route_and_injecting(small_registry, actor):
    got = values(actor, dx="TDI_ENTRANTS_DRUG;TDI_ENTRANTS_ROUTE;TDI_ENTRANTS_INJECTING",
                 pe="2003", ou="KG")  # fmt: skip
    # first admission of 2003 of each: A heroin/inject/2.3, B methamphetamine/sniff/never,
    # C heroin/inject/2.3, D opium/smoke/2.1
    assert got[("TDI_ENTRANTS_DRUG", "2003", "KG", "1")] == 3
    assert got[("TDI_ENTRANTS_DRUG", "2003", "KG", "3")] == 1
    assert got[("TDI_ENTRANTS_DRUG", "2003", "KG", "7")] == 0
    assert got[("TDI_ENTRANTS_ROUTE", "2003", "KG", "1")] == 2
    assert got[("TDI_ENTRANTS_ROUTE", "2003", "KG", "2")] == 1
    assert got[("TDI_ENTRANTS_ROUTE", "2003", "KG", "4")] == 1
    assert got[("TDI_ENTRANTS_INJECTING", "2003", "KG", "2.3")] == 2
    assert got[("TDI_ENTRANTS_INJECTING", "2003", "KG", "1")] == 1
    assert got[("TDI_ENTRANTS_INJECTING", "2003", "KG", "2.1")] == 1


def test_registered_new_registrations_and_rate(small_registry, actor):
    got = values(actor, dx="REG_CLIENTS;REG_NEW;REG_PER_100K", pe="2002;2003",
                 ou="KG;KG-GB;KG-GO")  # fmt: skip
    # open at 2003-12-31: A (outpatient at RNC), C (OST programme at OSH); D left 2003-12-01
    assert got[("REG_CLIENTS", "2003", "KG")] == 2
    assert got[("REG_CLIENTS", "2003", "KG-GB")] == 1
    assert got[("REG_CLIENTS", "2002", "KG")] == 0  # B left on 2002-11-20
    # first admission ever in 2003: A, C, D (B's was in 2002)
    assert got[("REG_NEW", "2003", "KG")] == 3
    assert got[("REG_NEW", "2002", "KG")] == 1
    # 1 / 1,000,000 and 1 / 250,000 per 100,000; KG 2 / 1,250,000 = 0.16
    assert got[("REG_PER_100K", "2003", "KG-GB")] == 0.1
    assert got[("REG_PER_100K", "2003", "KG-GO")] == 0.4
    assert got[("REG_PER_100K", "2003", "KG")] == 0.2


def test_ost_census_dose_and_retention(small_registry, actor):
    got = values(actor, dx="OST_CLIENTS;OST_ADEQUATE_DOSE_PCT;OST_RETENTION_6M;OST_RETENTION_12M",
                 pe="2003;2003Q3", ou="KG")  # fmt: skip
    # 2003-12-31: C only (70 mg); 2003-09-30: C (70 mg) and D (40 mg)
    assert got[("OST_CLIENTS", "2003", "KG")] == 1
    assert got[("OST_ADEQUATE_DOSE_PCT", "2003", "KG")] == 100.0
    assert got[("OST_CLIENTS", "2003Q3", "KG")] == 2
    assert got[("OST_ADEQUATE_DOSE_PCT", "2003Q3", "KG")] == 50.0
    # started 2003: C (still on) and D (left 2003-10-10: after 6 months, before 12)
    assert got[("OST_RETENTION_6M", "2003", "KG")] == 100.0
    assert got[("OST_RETENTION_12M", "2003", "KG")] == 50.0
    assert answer(actor, dx="OST_RETENTION_6M", pe="2003Q3", ou="KG")[
        ("OST_RETENTION_6M", "2003Q3", "KG")] == (None, "whole_years_only")  # fmt: skip


def test_hiv_tests_and_prevalence_among_pwid(small_registry, actor):
    got = values(actor, dx="HIV_TESTED;HIV_PWID_TESTED;HIV_PWID_POSITIVE;HIV_PWID_PREVALENCE",
                 pe="2003;2004", ou="KG")  # fmt: skip
    # 2003: A (PWID, negative), C (PWID, positive), D (not PWID: injected over a year ago)
    assert got[("HIV_TESTED", "2003", "KG")] == 3
    assert got[("HIV_PWID_TESTED", "2003", "KG")] == 2
    assert got[("HIV_PWID_POSITIVE", "2003", "KG")] == 1
    assert got[("HIV_PWID_PREVALENCE", "2003", "KG")] == 50.0
    # 2004: E tested twice, once positive: one person, positive
    assert got[("HIV_TESTED", "2004", "KG")] == 1
    assert got[("HIV_PWID_PREVALENCE", "2004", "KG")] == 100.0


def test_estimate_based_indicators_use_the_approved_result_only(small_registry, actor):
    got = answer(actor, dx="EST_USERS;EST_USERS_LOW;EST_USERS_HIGH;EST_PER_REG;OST_COVERAGE",
                 pe="2003;2004", ou="KG;KG-GB")  # fmt: skip
    assert got[("EST_USERS", "2003", "KG")] == (20, "ok")
    assert got[("EST_USERS_LOW", "2003", "KG")] == (15, "ok")
    assert got[("EST_USERS_HIGH", "2003", "KG")] == (30, "ok")
    assert got[("EST_PER_REG", "2003", "KG")] == (10.0, "ok")  # 20 / 2 registered
    assert got[("OST_COVERAGE", "2003", "KG")] == (5.0, "ok")  # 1 on OST / 20
    assert got[("EST_USERS", "2004", "KG")] == (None, "no_estimate")
    assert got[("EST_USERS", "2003", "KG-GB")] == (None, "no_estimate")


def test_coverage_band_in_metadata(small_registry, actor):
    response = run_query(parse_request({"dx": "OST_COVERAGE", "pe": "2003", "ou": "KG"}),
                         actor=actor("ministry"))  # fmt: skip
    assert response.meta_data["whoBands"] == [{"pe": "2003", "ou": "KG", "band": "low"}]


def test_every_indicator_answers(small_registry, actor):
    codes = ";".join(INDICATORS)
    got = answer(actor, dx=codes, pe="2003", ou="KG;LEVEL-2", dimension="sex")
    assert {key[0] for key in got} == set(INDICATORS)
    counts = [v for k, (v, _s) in got.items() if INDICATORS[k[0]].kind == COUNT]
    assert all(isinstance(v, int) and v >= 0 for v in counts)
