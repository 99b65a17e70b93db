"""Disclosure control: no withheld count can be worked out, from one answer or from two.

Property tests (hypothesis) on random small registries: random org-unit trees, people with
a sex, an age group, a category and membership of a nested subset, turned into the same
canonical table the service builds (:func:`table_cells`) and suppressed by the service's
:func:`suppress`. The checks do not reuse the service's algebra:

* rank test: for each withheld sensitive cell, adding its unit vector to the constraint
  rows restricted to the unknown cells raises the rank (numpy ``matrix_rank``), so no
  linear combination of published cells gives it;
* LP test: under non-negativity its feasible interval (``scipy.optimize.linprog``, min and
  max) has width above zero;
* the same for the union of two answers (two random projections of the table).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from registry.analytics import parse_request, run_query
from registry.analytics.indicators import CATEGORY_OPTIONS, Family
from registry.analytics.suppression import suppress
from registry.analytics.tables import Geography, Unit, table_cells

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
    people = draw(st.lists(person, max_size=60))
    leaf: Counter = Counter()
    for unit, sex, age, in_y, route in people:
        leaf[("X", unit, sex, age)] += 1
        leaf[("Z", unit, sex, route)] += 1
        if in_y:
            leaf[("Y", unit, sex, age)] += 1
    return geo, leaf


def attack(values, constraints, known: set):
    """Constraint matrix over the unknown cells, its right-hand side and the column order."""
    unknown = sorted({k for c in constraints for k in (c[0], *c[1])} - known, key=repr)
    column = {k: j for j, k in enumerate(unknown)}
    rows, rhs = [], []
    for total, parts in constraints:
        row, b = np.zeros(len(unknown)), 0.0
        for key, sign in ((total, 1.0), *((p, -1.0) for p in parts)):
            if key in column:
                row[column[key]] += sign
            else:
                b -= sign * values.get(key, 0)
        if row.any():
            rows.append(row)
            rhs.append(b)
    return np.array(rows).reshape(len(rows), len(unknown)), np.array(rhs), column


def assert_protected(values, constraints, known: set, *, lp_cells: int = 4):
    """No sensitive unknown cell is determined, nor squeezed to one value by x >= 0.

    Rank test for every cell: ``e_j`` is in the row space of the matrix exactly when its
    projection onto that space (from one SVD) is ``e_j`` itself; the literal
    ``matrix_rank`` comparison and the two LPs run on ``lp_cells`` of them (they cost an
    SVD or an LP per cell).
    """
    matrix, rhs, column = attack(values, constraints, known)
    sensitive = [(k, j) for k, j in column.items() if 1 <= values.get(k, 0) < THRESHOLD]
    if not sensitive:
        return
    if len(matrix):
        _u, singular, vt = np.linalg.svd(matrix)
        rows = vt[: int((singular > 1e-9 * singular.max()).sum())] if singular.size else vt[:0]
    else:
        rows = np.zeros((0, len(column)))
    for key, j in sensitive:
        assert np.linalg.norm(rows[:, j]) < 1 - 1e-9, key  # e_j not in the row space
    rank = np.linalg.matrix_rank(matrix) if len(matrix) else 0
    for key, j in sensitive[:lp_cells]:
        unit = np.zeros(len(column))
        unit[j] = 1.0
        assert np.linalg.matrix_rank(np.vstack([matrix, unit])) > rank, key
        bounds = []
        for sign in (1.0, -1.0):
            result = linprog(sign * unit, A_eq=matrix if len(matrix) else None,
                             b_eq=rhs if len(matrix) else None, bounds=(0, None),
                             method="highs")  # fmt: skip
            assert result.status in (0, 3), key  # solved, or unbounded
            bounds.append(sign * result.fun if result.status == 0 else -sign * np.inf)
        assert bounds[1] - bounds[0] > 0.5, (key, bounds)


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
    assert_protected(values, constraints, known_cells(values, published, withheld))


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
    assert_protected(values, constraints, seen | zeros)


def test_a_lone_small_cell_gets_a_partner():
    """Two regions, one with 3 people: its count and one complementary cell are withheld."""
    geo = geography(2, 0)
    leaf = Counter({("X", 2, "M", "20-24"): 3, ("X", 3, "M", "20-24"): 40,
                    ("Z", 2, "M", "1"): 3, ("Z", 3, "M", "1"): 40})  # fmt: skip
    values, constraints, published = table_cells(FAMILY, geo, leaf)
    withheld = suppress(values, constraints, published, threshold=THRESHOLD)
    assert ("X", 2, "M", "20-24") in withheld
    assert ("X", 3, "M", "20-24") in withheld  # else root - region 3 gives it
    assert_protected(values, constraints, known_cells(values, published, withheld))


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
