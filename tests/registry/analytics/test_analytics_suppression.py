"""Disclosure control: no withheld count can be narrowed below 3, from one answer or two.

Property tests (hypothesis) on random small registries: random org-unit trees, people with
a sex, an age group, a category and membership of a nested subset, turned into the same
canonical table the service builds (:func:`table_cells`) and suppressed by the service's
:func:`suppress`. The check does not reuse the service's algebra: for each withheld cell
(and each small hidden one) the attacker's LP (HiGHS, :func:`attacker.bound`) minimises
and maximises it under the attacker's knowledge (published cells fixed, withheld cells
>= 1 with no upper bound, hidden cells >= 0) and the interval must be at least 3 wide;
the same for the union of two answers. The whole-demo attack over HTTP is in
``test_analytics_attack.py``.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.analytics import parse_request, run_query
from registry.analytics.indicators import CATEGORY_OPTIONS, Family
from registry.analytics.suppression import suppress
from registry.analytics.tables import Geography, Unit, table_cells
from tests.registry.analytics.attacker import Findings, Model, bound

pytestmark = pytest.mark.slow

THRESHOLD = 10
FAMILY = Family("test", True, ("X", "Y"), nested=(("X", "Y"),), categories={"Z": "route"})
AGES = ("15-19", "20-24", "25-29")


def geography(children: int, grandchildren: int) -> Geography:
    units = {1: Unit(1, "R", "root", 1, None, "/R/")}
    for i in range(children):
        units[2 + i] = Unit(2 + i, f"C{i}", f"c{i}", 2, 1, f"/R/C{i}/")
    for j in range(grandchildren):
        units[10 + j] = Unit(10 + j, f"G{j}", f"g{j}", 3, 2, f"/R/C0/G{j}/")
    return Geography(units)


@st.composite
def registries(draw):
    """(geography, leaf counts) of a random small registry."""
    geo = geography(draw(st.integers(2, 4)), draw(st.integers(0, 2)))
    person = st.tuples(
        st.sampled_from(sorted(geo.units)),
        st.sampled_from(("M", "F")),
        st.sampled_from(AGES),
        st.booleans(),
        st.sampled_from(CATEGORY_OPTIONS["route"][:3]),
    )
    # groups of alike people: cells from 0 to well past the threshold, so that a table has
    # both published and withheld cells (with one person each, nearly every cell is small)
    groups = draw(st.lists(st.tuples(person, st.integers(1, 12)), max_size=30))
    leaf: Counter = Counter()
    for (unit, sex, age, in_y, route), size in groups:
        leaf[("X", unit, sex, age)] += size
        leaf[("Z", unit, sex, route)] += size
        if in_y:
            leaf[("Y", unit, sex, age)] += size
    return geo, leaf


def assert_protected(values, constraints, known: set, withheld: set):
    """Every withheld cell, and every hidden cell from 1 to 9, spans at least 3 in the
    attacker's LP: ``known`` cells fixed, ``withheld`` ones >= 1, the rest >= 0."""
    cells = sorted({k for c in constraints for k in (c[0], *c[1])}, key=repr)
    model = Model()
    for key in cells:
        if key in known:
            model.var(key, values.get(key, 0), values.get(key, 0))
        else:
            model.var(key, 1.0 if key in withheld else 0.0)
    for total, parts in constraints:
        model.equal(total, parts)
    targets = [k for k in cells if k in withheld or
               (k not in known and 1 <= values.get(k, 0) < THRESHOLD)]  # fmt: skip
    findings = Findings()
    bound(model, targets, findings)
    for key in targets:
        low, high = findings.intervals[key]
        assert high - low >= 3 - 1e-6, (key, values.get(key), (low, high))


def known_cells(values, published, suppressed):
    """What an attacker holds: published values, and (to be strict) every zero."""
    zeros = {k for k, v in values.items() if v == 0}
    return (set(published) - set(suppressed)) | zeros


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(registries())
def test_one_answer_reveals_no_withheld_count(registry):
    geo, leaf = registry
    values, constraints, published = table_cells(FAMILY, geo, leaf)
    withheld = suppress(values, constraints, published, threshold=THRESHOLD)
    for key in published:  # primary suppression, zero shown
        value = values.get(key, 0)
        assert (key in withheld) if 1 <= value < THRESHOLD else True
        assert key not in withheld or value > 0
    assert_protected(values, constraints, known_cells(values, published, withheld), withheld)


def projection(published, units: set[int], sexes: set[str]):
    return {k for k in published if k[1] in units and k[2] in sexes}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(registries(), st.data())
def test_two_answers_together_reveal_no_withheld_count(registry, data):
    geo, leaf = registry
    values, constraints, published = table_cells(FAMILY, geo, leaf)
    withheld = suppress(values, constraints, published, threshold=THRESHOLD)
    answers = []
    for _ in range(2):
        units = set(data.draw(st.sets(st.sampled_from(sorted(geo.units)), min_size=1)))
        sexes = set(data.draw(st.sets(st.sampled_from(("M", "F", "T")), min_size=1)))
        answers.append(projection(published, units, sexes))
    seen = (answers[0] | answers[1]) - set(withheld)
    zeros = {k for k, v in values.items() if v == 0}
    assert_protected(values, constraints, seen | zeros, (answers[0] | answers[1]) & withheld)


def test_a_lone_small_cell_gets_a_partner():
    """Two regions, one with 3 people: its count and one complementary cell are withheld."""
    geo = geography(2, 0)
    leaf = Counter({("X", 2, "M", "20-24"): 3, ("X", 3, "M", "20-24"): 40,
                    ("Z", 2, "M", "1"): 3, ("Z", 3, "M", "1"): 40})  # fmt: skip
    values, constraints, published = table_cells(FAMILY, geo, leaf)
    withheld = suppress(values, constraints, published, threshold=THRESHOLD)
    assert ("X", 2, "M", "20-24") in withheld
    assert ("X", 3, "M", "20-24") in withheld  # else root - region 3 gives it
    assert_protected(values, constraints, known_cells(values, published, withheld), withheld)


def test_cells_of_one_are_not_pinned_by_the_zeros_shown():
    """The issue 12 pattern: two withheld cells of a published row add up to 2, and an
    attacker who knows zeros are shown knows each is at least 1, so both are 1; a
    protection against non-negative solutions only (the old rule) let that through."""
    leaf: Counter = Counter()
    for unit, sex, age, n, nested in ((2, "M", "15-19", 1, 0), (2, "M", "20-24", 1, 0),
                                      (2, "M", "25-29", 30, 30), (2, "F", "25-29", 30, 30),
                                      (3, "M", "25-29", 30, 30), (3, "F", "25-29", 30, 30),
                                      (2, "F", "20-24", 20, 20), (3, "F", "20-24", 20, 20),
                                      (3, "M", "20-24", 20, 20)):  # fmt: skip
        leaf[("X", unit, sex, age)] += n
        leaf[("Y", unit, sex, age)] += nested
        leaf[("Z", unit, sex, "1")] += n
    values, constraints, published = table_cells(FAMILY, geography(2, 0), leaf)
    withheld = suppress(values, constraints, published, threshold=THRESHOLD)
    assert_protected(values, constraints, known_cells(values, published, withheld), withheld)


def test_forced_cells_are_withheld_and_protected_but_zeros_stay_shown():
    """A cell withheld in the previous generation (``forced``) stays withheld at 12 and
    gets a protection interval like a sensitive one; a forced zero is shown."""
    leaf: Counter = Counter()
    for unit, sex, age, n in (
        (2, "M", "15-19", 12),
        (2, "M", "20-24", 40),
        (3, "M", "15-19", 40),
        (3, "M", "20-24", 40),
        (2, "F", "15-19", 40),
        (3, "F", "20-24", 40),
    ):
        leaf[("X", unit, sex, age)] += n
        leaf[("Z", unit, sex, "1")] += n
    values, constraints, published = table_cells(FAMILY, geography(2, 0), leaf)
    forced = {("X", 2, "M", "15-19"), ("X", 2, "M", "25-29")}  # 12 and 0
    assert not suppress(values, constraints, published, threshold=THRESHOLD)
    withheld = suppress(values, constraints, published, threshold=THRESHOLD, forced=forced)
    assert ("X", 2, "M", "15-19") in withheld and ("X", 2, "M", "25-29") not in withheld
    assert_protected(values, constraints, known_cells(values, published, withheld), withheld)


@pytest.fixture
def app_config() -> dict:
    return {"SUPPRESSION_THRESHOLD": 3}


def rows(actor, **args):
    response = run_query(parse_request(args), actor=actor("ministry"))
    return {tuple(row[:-2]): (row[-2], row[-1]) for row in response.rows}


def test_rates_and_percentages_follow_their_counts(small_registry, actor):
    got = rows(actor, dx="REG_CLIENTS;REG_PER_100K;OST_ADEQUATE_DOSE_PCT;EST_PER_REG",
               pe="2002;2003", ou="KG;KG-GB")  # fmt: skip
    assert got[("REG_CLIENTS", "2003", "KG-GB")] == (None, "suppressed")  # 1 person
    assert got[("REG_PER_100K", "2003", "KG-GB")] == (None, "suppressed")
    assert got[("OST_ADEQUATE_DOSE_PCT", "2003", "KG")] == (None, "suppressed")
    assert got[("EST_PER_REG", "2003", "KG")] == (None, "suppressed")  # 2 registered
    assert got[("REG_CLIENTS", "2002", "KG")] == (0, "ok")  # zero is shown


def test_answers_are_projections_of_one_table(small_registry, actor):
    """The same cell has the same value (or is withheld) whatever else is asked."""
    one = rows(actor, dx="TDI_ENTRANTS", pe="2003", ou="KG;KG-GB;KG-GO")
    two = rows(actor, dx="TDI_ENTRANTS;TDI_FIRST", pe="2003;2004", ou="KG-GO;KG")
    three = rows(actor, dx="TDI_ENTRANTS", pe="2003", ou="KG", dimension="sex")
    # 2 entrants in each city and 2 of each sex: withheld everywhere
    assert one[("TDI_ENTRANTS", "2003", "KG")] == two[("TDI_ENTRANTS", "2003", "KG")]
    assert one[("TDI_ENTRANTS", "2003", "KG-GO")] == (None, "suppressed")
    assert two[("TDI_ENTRANTS", "2003", "KG-GO")] == (None, "suppressed")
    assert three[("TDI_ENTRANTS", "2003", "KG", "M")] == (None, "suppressed")
    assert three[("TDI_ENTRANTS", "2003", "KG", "F")] == (None, "suppressed")
