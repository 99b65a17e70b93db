"""What clinic staff record at each admission: the TDI 3.0 items, discharge and lab tests.

Items that follow from the person (primary drug, route, injecting, ever treated, referral
by police) come from the simulation; the social items (living situation, education, labour
status, testing history) are drawn from plausible distributions for the region's clinical
population. Everything is drawn vectorised up front, so building the form of one episode is
string formatting only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from registry.simulation.parameters import DRUGS

#: (codes, probabilities) of the items drawn independently of the person.
SOCIAL_ITEMS: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    "living_with": (("2", "3", "1", "4", "6", "7", "99"), (.45, .25, .12, .08, .02, .03, .05)),
    "living_where": (("1", "2", "4", "99"), (.85, .08, .03, .04)),
    "education": (("3", "4", "2", "1", "99"), (.62, .12, .15, .03, .08)),
    "labour_status": (("4", "1", "2", "3", "5", "6", "99"), (.5, .2, .12, .05, .05, .03, .05)),
    "hiv_testing": (("1", "2.1", "2.2", "3", "99"), (.35, .25, .30, .03, .07)),
    "hcv_testing": (("1", "2.1", "2.2", "3", "99"), (.55, .15, .15, .05, .10)),
}  # fmt: skip
REFERRALS = (("6", "4", "3", "2", "7", "99"), (0.60, 0.15, 0.10, 0.06, 0.04, 0.05))
SECONDARY = ((), ("8",), ("7.1",), ("4.2",), ("7.1", "8"))
SECONDARY_P = (0.35, 0.25, 0.20, 0.10, 0.10)
ROUTE_NOT_INJECTED = {"1.1": "2", "1.5": "3", "7.1": "2", "3.4": "4", "4.2": "3", "6": "2",
                      "9": "3"}  # fmt: skip
INJECTING_RECENT = (("2.3", "2.2", "2.1"), (0.75, 0.15, 0.10))
SHARING = (("1", "2.1", "2.2", "2.3", "99"), (0.35, 0.20, 0.20, 0.15, 0.10))
FREQUENCY_OPIOID = (("1", "2", "3", "4", "5"), (0.65, 0.15, 0.10, 0.05, 0.05))
FREQUENCY_OTHER = (("1", "2", "3", "4", "5"), (0.30, 0.20, 0.25, 0.20, 0.05))
DISCHARGES = (
    ("completed", "completed_drug_free", "dropped_out", "transferred", "withdrawn",
     "moved_away", "other"),
    (0.38, 0.10, 0.30, 0.06, 0.08, 0.03, 0.05),
)  # fmt: skip
#: TDI 3.0 answers the simulator gained later. They are drawn from a stream of their own
#: (``tdi3`` of :func:`draw_admission_items`), so every earlier draw, and with it the
#: default demo's clients, episodes and figures, stays as it was. An "ever" answer
#: (injecting, sharing, HIV or HCV testing) becomes "2", last time not known, this often:
LAST_TIME_NOT_KNOWN = 0.05
EVER_ITEMS = ("injecting", "needle_sharing", "hiv_testing", "hcv_testing")
#: Polydrug use problem (1 yes, 2 no, 99 not known), by whether other drugs are used.
POLYDRUG_WITH_OTHER_DRUGS = (("1", "2", "99"), (0.70, 0.25, 0.05))
POLYDRUG_WITHOUT_OTHER_DRUGS = (("1", "2", "99"), (0.03, 0.90, 0.07))
#: Discharge reason of the OST episode for each OST exit reason.
OST_TO_DISCHARGE = {"interrupted": "dropped_out"}


#: Above this many distinct strings, :meth:`Coded.of` sorts instead of comparing per label.
MANY_LABELS = 64


@dataclass
class Coded:
    """A column of strings kept as small integer codes into ``labels`` (a million episodes'
    items take a few MB instead of hundreds). Indexing returns a ``Coded`` column."""

    labels: tuple[str, ...]
    codes: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray) -> Coded:
        """Encode an array of strings: labels sorted, codes as ``np.unique`` gives them, but
        a few passes per label instead of sorting a million strings."""
        values = np.asarray(values, dtype=str)
        labels: set[str] = set()
        rest = values
        while rest.size and len(labels) <= MANY_LABELS:
            labels.add(str(rest[0]))
            rest = rest[rest != rest[0]]
        if rest.size:  # many distinct strings: sorting is cheaper
            unique, codes = np.unique(values, return_inverse=True)
            return cls(tuple(unique.tolist()), codes.astype(np.int16))
        ordered = tuple(sorted(labels))
        codes = np.zeros(len(values), dtype=np.int16)
        for code, label in enumerate(ordered[1:], start=1):
            codes[values == label] = code
        return cls(ordered, codes)

    def __getitem__(self, index: slice | np.ndarray) -> Coded:
        return Coded(self.labels, self.codes[index])

    def __len__(self) -> int:
        return len(self.codes)

    def tolist(self) -> list[str]:
        """The strings, as a list."""
        labels = self.labels
        return [labels[code] for code in self.codes.tolist()]


@dataclass
class AdmissionItems:
    """Per-episode drawn items (arrays of strings or numbers, one entry per episode)."""

    items: dict[str, Coded]
    secondary: np.ndarray  # index into SECONDARY
    first_injection_lag: np.ndarray
    discharge_reason: Coded
    lab_hiv: np.ndarray
    lab_hcv: np.ndarray
    lab_tb: np.ndarray
    lab_delay: np.ndarray
    lab_noise: np.ndarray

    #: The per-episode arrays besides ``items``.
    ARRAYS = ("secondary", "first_injection_lag", "discharge_reason", "lab_hiv", "lab_hcv",
              "lab_tb", "lab_delay", "lab_noise")  # fmt: skip

    def copy_rows(self, rows: np.ndarray, sources: np.ndarray) -> None:
        """Give episodes ``rows`` the items of episodes ``sources`` (in place)."""
        for column in self.items.values():
            column.codes[rows] = column.codes[sources]
        for name in self.ARRAYS:
            values = getattr(self, name)
            values = values.codes if isinstance(values, Coded) else values
            values[rows] = values[sources]


def _pick(rng: np.random.Generator, spec: tuple[tuple[str, ...], tuple[float, ...]], n: int):
    codes, probs = spec
    p = np.asarray(probs, dtype=float)
    return np.asarray(codes)[rng.choice(len(codes), n, p=p / p.sum())]


def draw_admission_items(
    rng: np.random.Generator,
    drug: np.ndarray,
    injects: np.ndarray,
    police: np.ndarray,
    previous: np.ndarray,
    lab_rates: tuple[float, float, float],
    tdi3: np.random.Generator,
) -> AdmissionItems:
    """Draw the TDI items of ``len(drug)`` admissions of people with these attributes
    (the TDI 3.0 answers added later from ``tdi3``, a generator of their own)."""
    n = len(drug)
    items = {name: _pick(rng, spec, n) for name, spec in SOCIAL_ITEMS.items()}
    partner = items["living_with"] == "3"
    children = np.where(rng.random(n) < np.where(partner, 0.7, 0.1), "2", "1")
    items["living_with_children"] = np.where(rng.random(n) < 0.04, "99", children)
    referral = _pick(rng, REFERRALS, n)
    items["referral_source"] = np.where(police & (rng.random(n) < 0.6), "1", referral)
    ever = np.where(previous, "2", "1")
    items["ever_treated"] = np.where(rng.random(n) < 0.03, "3", ever)
    drug_codes = np.asarray(DRUGS)[drug]
    items["primary_drug"] = drug_codes
    not_injected = np.vectorize(ROUTE_NOT_INJECTED.get, otypes=[object])(drug_codes)
    items["route"] = np.where(injects, "1", not_injected.astype(str))
    opioid = np.isin(drug_codes, ("1.1", "1.5"))
    items["frequency"] = np.where(
        opioid, _pick(rng, FREQUENCY_OPIOID, n), _pick(rng, FREQUENCY_OTHER, n)
    )
    never = np.where(rng.random(n) < 0.05, "99", "1")
    items["injecting"] = np.where(injects, _pick(rng, INJECTING_RECENT, n), never)
    items["needle_sharing"] = np.where(injects, _pick(rng, SHARING, n), "1")
    hiv, hcv, tb = lab_rates
    secondary = rng.choice(len(SECONDARY), n, p=SECONDARY_P)
    _draw_tdi3_items(tdi3, items, secondary)
    return AdmissionItems(
        items={name: Coded.of(values) for name, values in items.items()},
        secondary=secondary,
        first_injection_lag=rng.integers(0, 3, n),
        discharge_reason=Coded.of(_pick(rng, DISCHARGES, n)),
        lab_hiv=rng.random(n) < hiv,
        lab_hcv=rng.random(n) < hcv,
        lab_tb=rng.random(n) < tb,
        lab_delay=rng.integers(0, 3, n),
        lab_noise=rng.random(n),
    )


def _draw_tdi3_items(rng: np.random.Generator, items: dict, secondary: np.ndarray) -> None:
    """Add the TDI 3.0 answers to ``items`` (in place): "2" (ever, last time not known)
    for some "ever" answers, and the polydrug use problem."""
    n = len(secondary)
    for name in EVER_ITEMS:
        values = np.asarray(items[name], dtype=str)
        ever = np.char.startswith(values, "2.")
        items[name] = np.where(ever & (rng.random(n) < LAST_TIME_NOT_KNOWN), "2", values)
    with_other = secondary > 0  # SECONDARY[0] is "no other drug"
    items["polydrug_use"] = np.where(
        with_other,
        _pick(rng, POLYDRUG_WITH_OTHER_DRUGS, n),
        _pick(rng, POLYDRUG_WITHOUT_OTHER_DRUGS, n),
    )
