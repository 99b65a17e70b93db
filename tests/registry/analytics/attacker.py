"""An attacker who knows the disclosure rules, for the tests (docs/disclosure.md).

Public interface::

    Attacker(get)                         # get(url) -> werkzeug-like response (HTTP API)
    .collect(years) -> Published          # every family, year, level, split; JSON + CSV
    attack(published, generations=...)    # -> Findings: LP interval of every withheld cell
    Findings.narrow(width=3)              # withheld cells the attacker pins closer than that

Independent of the protection code on purpose: it reads what a ministry token holder
reads (``/api/v1/analytics`` as JSON, CSV and ADX, every org-unit level, every split),
learns the org-unit tree from the answers (``ou=CODE;LEVEL-n``), and writes the additivity
constraints from the published indicator definitions (docs/indicators.md): T = M + F,
T = sum of the age groups, a category breakdown sums to the entrants' total, a parent is
the sum of its children and of its own centres (unknown, >= 0), and a nested count is
the outer count less a hidden difference (>= 0). Every published figure is fixed; a
withheld figure is at least 1 (zeros are shown) with no upper bound; then each withheld
cell is minimised and maximised with HiGHS (one model per table, only the objective
changes).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from xml.etree import ElementTree

import highspy
import numpy as np

#: The count indicators by family as docs/indicators.md publishes them: the sex x age
#: tables, the nested pairs (inner is a subset of outer) and the category breakdowns of
#: the entrants' total.
FAMILIES = {
    "registered": (("REG_CLIENTS",), (), ()),
    "ost_census": (("OST_CLIENTS", "OST_MAINTENANCE", "OST_ADEQUATE_DOSE"),
                   (("OST_CLIENTS", "OST_MAINTENANCE"), ("OST_MAINTENANCE", "OST_ADEQUATE_DOSE")),
                   ()),
    "new_registrations": (("REG_NEW",), (), ()),
    "entrants": (("TDI_ENTRANTS", "TDI_FIRST"), (("TDI_ENTRANTS", "TDI_FIRST"),),
                 ("TDI_ENTRANTS_DRUG", "TDI_ENTRANTS_ROUTE", "TDI_ENTRANTS_INJECTING",
                  "TDI_ENTRANTS_POLYDRUG")),
    "ost_cohort": (("OST_INITIATED", "OST_RETAINED_6M", "OST_RETAINED_12M"),
                   (("OST_INITIATED", "OST_RETAINED_6M"), ("OST_RETAINED_6M", "OST_RETAINED_12M")),
                   ()),
    "hiv": (("HIV_TESTED", "HIV_PWID_TESTED", "HIV_PWID_POSITIVE"),
            (("HIV_TESTED", "HIV_PWID_TESTED"), ("HIV_PWID_TESTED", "HIV_PWID_POSITIVE")), ()),
}  # fmt: skip
SPLITS = ("", "&dimension=sex", "&dimension=age", "&dimension=sex&dimension=age")
T = "T"
#: The sex options (U: not known); the total is their sum.
SEXES = ("M", "F", "U")


@dataclass
class Published:
    """Every figure seen: ``cells[(dx, period, ou, sex, x)] = value or None`` (withheld),
    the org-unit tree, and the figures that disagreed between two answers."""

    cells: dict = field(default_factory=dict)
    parent: dict = field(default_factory=dict)
    conflicts: list = field(default_factory=list)
    requests: int = 0

    def see(self, key: tuple, value: int | None, source: str) -> None:
        if key in self.cells and self.cells[key] != value:
            self.conflicts.append((key, self.cells[key], value, source))
        self.cells.setdefault(key, value)


class Attacker:
    """Reads the analytics API the way a ministry token holder can."""

    def __init__(self, get) -> None:
        self.get = get
        self.published = Published()

    def _fetch(self, path: str):
        response = self.get(path)
        self.published.requests += 1
        assert response.status_code == 200, (path, response.status_code)
        return response

    def tree(self) -> list[str]:
        """Every org unit and its parent, from ``ou=LEVEL-n`` and ``ou=CODE;LEVEL-n``."""
        levels = {}
        for level in range(1, 10):
            body = self._fetch(f"/api/v1/analytics?dx=REG_CLIENTS&pe=2003&ou=LEVEL-{level}")
            levels[level] = body.get_json()["metaData"]["dimensions"]["ou"]
        for level, codes in levels.items():
            for code in codes:
                if level + 1 in levels and levels[level + 1]:
                    query = f"dx=REG_CLIENTS&pe=2003&ou={code};LEVEL-{level + 1}"
                    body = self._fetch(f"/api/v1/analytics?{query}").get_json()
                    for child in body["metaData"]["dimensions"]["ou"]:
                        self.published.parent[child] = code
        return [code for codes in levels.values() for code in codes]

    def collect(self, years: list[int], *, adx: bool = True) -> Published:
        """Every count of every family, year, level and split, as JSON and CSV (and the
        finest split as ADX), plus the year-end census asked as a quarter and a month and
        the years asked as a relative period."""
        units = self.tree()
        ou = ";".join(units)
        pe = ";".join(str(year) for year in years)
        for name, (tables, _nested, categories) in FAMILIES.items():
            dx = ";".join((*tables, *categories))
            for split in SPLITS:
                query = f"dx={dx}&pe={pe}&ou={ou}{split}"
                self._json(f"/api/v1/analytics?{query}", f"json {name}{split}")
                self._csv(f"/api/v1/analytics.csv?{query}", f"csv {name}{split}")
            if adx:
                self._adx(f"/api/v1/analytics.adx?dx={dx}&pe={pe}&ou={ou}{SPLITS[-1]}")
            if name in ("registered", "ost_census"):  # a census: any period ending 31 December
                ends = ";".join(f"{year}Q4;{year}12;{year}S2" for year in years)
                self._json(f"/api/v1/analytics?dx={dx}&pe={ends}&ou={ou}{SPLITS[-1]}",
                           "census", period=lambda iso: iso[:4])  # fmt: skip
        last = max(years)
        relative = f"pe=LAST_5_YEARS&relativePeriodDate={last + 1}-06-30"
        self._json(f"/api/v1/analytics?dx=TDI_ENTRANTS;REG_NEW&{relative}&ou={ou}{SPLITS[-1]}",
                   "relative")  # fmt: skip
        return self.published

    def _row(self, names, row, source, period=lambda iso: iso) -> None:
        item = dict(zip(names, row, strict=True))
        x = item.get("co", T) if item.get("co", T) != T else item.get("age", T)
        key = (item["dx"], period(item["pe"]), item["ou"], item.get("sex", T), x)
        value = item["value"]
        self.published.see(key, None if value in (None, "") else int(value), source)

    def _json(self, path: str, source: str, period=lambda iso: iso) -> None:
        body = self._fetch(path).get_json()
        names = [header["name"] for header in body["headers"]]
        for row in body["rows"]:
            self._row(names, row, source, period)

    def _csv(self, path: str, source: str) -> None:
        reader = csv.reader(io.StringIO(self._fetch(path).get_data(as_text=True)))
        names = next(reader)
        for row in reader:
            self._row(names, row, source)

    def _adx(self, path: str) -> None:
        """ADX leaves withheld values out: every value given must match. A data element is
        an indicator at one level of disaggregation, an option its category's code and its
        own (``REG_CLIENTS_BY_SEX`` with ``SEX="SEX_M"``): read back to the native keys."""
        root = ElementTree.fromstring(self._fetch(path).get_data())  # noqa: S314 (our own answer)
        for group in root:
            period = group.get("period").split("-")[0]
            for value in group:
                attrs = dict(value.attrib)
                element, number = attrs.pop("dataElement"), int(attrs.pop("value"))
                dx = element.removesuffix("_TOTAL").split("_BY_")[0]
                options = {name: option.removeprefix(f"{name}_") for name, option in attrs.items()}
                sex = options.pop("SEX", T)
                x = next(iter(options.values()), T)
                key = (dx, period, group.get("orgUnit"), sex, x)
                self.published.see(key, number, "adx")


@dataclass
class Findings:
    """The attacker's interval of every withheld (and every non-zero hidden) cell."""

    intervals: dict = field(default_factory=dict)  # (generation, key) -> (low, high)
    withheld: set = field(default_factory=set)

    def narrow(self, width: float = 3) -> dict:
        """Withheld cells pinned to an interval narrower than ``width`` (exact ones too),
        and hidden cells the attacker knows to be a small positive count that narrowly."""
        found = {}
        for key, (low, high) in self.intervals.items():
            if high - low >= width - 1e-6:
                continue
            if key in self.withheld or 1 - 1e-6 <= low <= 9:
                found[key] = (low, high)
        return found

    def exact(self) -> dict:
        """Cells the attacker knows exactly."""
        return self.narrow(1e-3)


class Model:
    """The attacker's constraints of one or more tables: variables, rows, bounds."""

    def __init__(self) -> None:
        self.index: dict = {}
        self.low: list[float] = []
        self.high: list[float] = []
        self.rows: list[tuple[dict, float, float]] = []

    def var(self, key, low=0.0, high=np.inf) -> int:
        if key not in self.index:
            self.index[key] = len(self.low)
            self.low.append(low)
            self.high.append(high)
        return self.index[key]

    def equal(self, total, parts, constant: float = 0.0) -> None:
        """``total - sum(parts) == constant`` (keys of variables)."""
        row: dict[int, float] = defaultdict(float)
        row[self.index[total]] += 1.0
        for part in parts:
            row[self.index[part]] -= 1.0
        self.rows.append((row, constant, constant))

    def highs(self) -> tuple[highspy.Highs, dict[int, int]]:
        """The model with the published (fixed) figures substituted; the column of each
        unknown variable."""
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        free = [j for j in range(len(self.low)) if self.low[j] != self.high[j]]
        column = {j: c for c, j in enumerate(free)}
        inf = highspy.kHighsInf
        h.addVars(
            len(free),
            np.array([self.low[j] for j in free]),
            np.array([inf if np.isinf(self.high[j]) else self.high[j] for j in free]),
        )
        for row, lo, hi in self.rows:
            fixed = sum(a * self.low[j] for j, a in row.items() if j not in column)
            cols = [j for j in row if j in column]
            if not cols:
                assert lo - 1e-9 <= fixed <= hi + 1e-9, "the published figures do not add up"
                continue
            h.addRow(lo - fixed, hi - fixed, len(cols), np.array([column[j] for j in cols],
                     dtype=np.int32), np.array([row[j] for j in cols]))  # fmt: skip
        return h, column


def _table_model(model: Model, published: Published, family: str, year: str, tag) -> list:
    """Add one family's table of one year to ``model``; its withheld cells' keys."""
    tables, nested, categories = FAMILIES[family]
    units = sorted({k[2] for k in published.cells if k[1] == year})
    children = defaultdict(list)
    for child, parent in published.parent.items():
        children[parent].append(child)
    options = defaultdict(set)
    for dx, pe, _ou, _sex, x in published.cells:
        if pe == year and x != T:
            options[dx].add(x)
    withheld = []
    for dx in (*tables, *categories):
        xs = sorted(options[dx]) + ([] if dx in categories else [T])
        for ou in units:
            for sex in (*SEXES, T):
                for x in xs:
                    value = published.cells.get((dx, year, ou, sex, x), 0)
                    key = (tag, dx, year, ou, sex, x)
                    if value is None:
                        model.var(key, 1.0)
                        withheld.append(key)
                    else:
                        model.var(key, value, value)
    for dx in (*tables, *categories):
        xs = sorted(options[dx])
        total = (lambda ou, sex: (tag, tables[0], year, ou, sex, T)) if dx in categories else (
            lambda ou, sex, dx=dx: (tag, dx, year, ou, sex, T))  # fmt: skip
        for ou in units:
            for x in xs + ([] if dx in categories else [T]):
                model.equal((tag, dx, year, ou, T, x), [(tag, dx, year, ou, s, x) for s in SEXES])
            for sex in (*SEXES, T):
                model.equal(total(ou, sex), [(tag, dx, year, ou, sex, x) for x in xs])
            if children[ou]:
                for sex in SEXES:
                    for x in xs:
                        own = (tag, "own", dx, year, ou, sex, x)
                        model.var(own)
                        parts = [(tag, dx, year, c, sex, x) for c in children[ou]]
                        model.equal((tag, dx, year, ou, sex, x), [*parts, own])
    for outer, inner in nested:
        for ou in units:
            for sex in SEXES:
                for x in sorted(options[outer]):
                    hidden = (tag, "difference", outer, inner, year, ou, sex, x)
                    model.var(hidden)
                    model.equal((tag, outer, year, ou, sex, x), [(tag, inner, year, ou, sex, x),
                                                                 hidden])  # fmt: skip
    return withheld


def attack(generations: list[Published], *, added: int | None = None, only=None) -> Findings:
    """Bound every withheld cell of every family and year by LP.

    With two generations and ``added`` people added in between (and nothing else
    changed), every cell of the second is at least the same cell of the first, and the
    national total of each flow-free count grows by at most ``added``: the tables of both
    generations are solved together.

    The LPs see only what was published: the same figures, tree and arguments attacked
    again (the same demo on the other database backend) give the findings of the first
    solve, which the caller judges again.
    """
    key = repr((
        [(sorted(p.cells.items()), sorted(p.parent.items())) for p in generations],
        added, sorted(only) if only is not None else None,
    ))  # fmt: skip
    if key not in _SOLVED:
        _SOLVED[key] = _attack(generations, added, only)
    return _SOLVED[key]


#: Findings by everything :func:`attack` was given (see there).
_SOLVED: dict[str, Findings] = {}


def _attack(generations: list[Published], added: int | None, only) -> Findings:
    findings = Findings()
    first = generations[0]
    years = sorted({k[1] for k in first.cells})
    for family, (tables, _nested, categories) in FAMILIES.items():
        for year in years:
            if only is not None and not {(dx, year) for dx in (*tables, *categories)} & only:
                continue
            model = Model()
            withheld = []
            for tag, published in enumerate(generations):
                withheld += _table_model(model, published, family, year, tag)
            if added is not None and len(generations) == 2:
                _link(model, added)
            hidden = [k for k in model.index if k[1] in ("own", "difference")]
            findings.withheld.update(withheld)
            bound(model, withheld + hidden, findings, hidden_zero_ok=True)
    return findings


def _link(model: Model, added: int) -> None:
    """Generation 1 = generation 0 + the added people: no cell falls, and none rises by
    more than ``added`` (each person is in one cell of each breakdown)."""
    for key in list(model.index):
        if key[0] == 0:
            later = (1, *key[1:])
            if later in model.index:
                model.rows.append(({model.index[later]: 1.0, model.index[key]: -1.0}, 0.0,
                                   float(added)))  # fmt: skip


def _spread(h: highspy.Highs, n: int, seen_low, seen_high, tries: int = 6) -> None:
    """Feasible points from random objectives (inside a box, so none is unbounded; a point
    of the box is a point of the model): most cells are seen 3 apart without an LP each."""
    lp = h.getLp()
    upper = np.array(lp.col_upper_)
    everything = np.arange(n, dtype=np.int32)
    h.changeColsBounds(n, everything, np.array(lp.col_lower_), np.minimum(upper, 10_000.0))
    rng = np.random.default_rng(12)
    for _ in range(tries):
        h.changeColsCost(n, everything, rng.choice([-1.0, 1.0], size=n))
        h.run()
        if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            point = np.array(h.getSolution().col_value)
            np.minimum(seen_low, point, out=seen_low)
            np.maximum(seen_high, point, out=seen_high)
    h.changeColsBounds(n, everything, np.array(lp.col_lower_), upper)


def bound(
    model: Model, keys: list, findings: Findings, width: float = 3, *, hidden_zero_ok=False
) -> None:
    """Minimise and maximise every key, skipping those that two feasible points already
    seen (solutions of earlier LPs) show to be at least ``width`` apart, and with
    ``hidden_zero_ok`` the hidden (not withheld) keys seen at 0: :meth:`Findings.narrow`
    reports a hidden cell only when the attacker knows it to be at least 1."""
    h, column = model.highs()
    n = len(column)
    if not n:
        return
    seen_low = np.full(n, np.inf)
    seen_high = np.full(n, -np.inf)
    everything = np.arange(n, dtype=np.int32)
    _spread(h, n, seen_low, seen_high)
    for key in keys:
        j = column[model.index[key]]
        if seen_high[j] - seen_low[j] >= width:
            findings.intervals[key] = (seen_low[j], seen_high[j])  # at least this wide
            continue
        if hidden_zero_ok and key not in findings.withheld and seen_low[j] < 1e-6:
            findings.intervals[key] = (0.0, seen_high[j])  # may be 0: never narrow
            continue
        ends = []
        for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
            h.changeColsCost(n, everything, np.zeros(n))
            h.changeColCost(j, 1.0)
            h.changeObjectiveSense(sense)
            h.run()
            status = h.getModelStatus()
            if status == highspy.HighsModelStatus.kOptimal:
                ends.append(h.getInfo().objective_function_value)
                point = np.array(h.getSolution().col_value)
                np.minimum(seen_low, point, out=seen_low)
                np.maximum(seen_high, point, out=seen_high)
            elif status == highspy.HighsModelStatus.kUnbounded:
                ends.append(np.inf)
            else:
                raise AssertionError(f"the attacker's model of {key} is {status}")
        findings.intervals[key] = tuple(ends)
