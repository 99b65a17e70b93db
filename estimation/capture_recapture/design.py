"""Design matrices of the log-linear capture-recapture models (Rcapture's conventions).

A hierarchical model is named by its generating terms in Rcapture's notation: ``[12,3,4]``
means the main effects of lists 1-4 plus the interaction of lists 1 and 2; every subset of a
generating term is in the model. Heterogeneity (Rivest & Baillargeon 2007) adds columns that
depend only on the number of lists ``x`` a history appears on:

* Chao's lower bound (``"Chao"`` or ``"LB"``): ``max(x - j + 1, 0)`` for ``j = 3..k``;
* Poisson: ``theta**x - 1`` (``theta = 2`` by default);
* Darroch: ``x**2 / 2``;
* Gamma: ``-log(theta + x) + log(theta)`` (``theta = 3.5`` by default).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from itertools import combinations

import numpy as np

__all__ = [
    "HETEROGENEITY",
    "Term",
    "heterogeneity_columns",
    "hierarchical_terms",
    "model_name",
    "parse_model",
    "term_columns",
]

Term = frozenset[int]

HETEROGENEITY = {
    "chao": "Chao",
    "lb": "Chao",
    "poisson": "Poisson",
    "darroch": "Darroch",
    "gamma": "Gamma",
}
DEFAULT_THETA = {"Poisson": 2.0, "Gamma": 3.5}

_MODEL_RE = re.compile(r"^\[?\s*([1-9]+(\s*,\s*[1-9]+)*)?\s*\]?$")


def parse_model(spec: str, n_lists: int) -> tuple[Term, ...]:
    """Parse Rcapture's notation (``"[12,3,4]"``) into generating terms of 0-based lists.

    Examples
    --------
    >>> [sorted(t) for t in parse_model("[12,3,4]", 4)]
    [[0, 1], [2], [3]]
    """
    text = spec.strip()
    match = _MODEL_RE.match(text)
    if not match:
        raise ValueError(
            f"cannot read model {spec!r}: write generating terms of list numbers, e.g. [12,3,4]"
        )
    if n_lists > 9:
        raise ValueError("the [12,3,4] notation needs at most 9 lists")
    terms = []
    body = match.group(1) or ""
    for part in filter(None, (p.strip() for p in body.split(","))):
        numbers = [int(ch) for ch in part]
        if len(set(numbers)) != len(numbers):
            raise ValueError(f"term {part!r} of model {spec!r} repeats a list")
        if max(numbers) > n_lists:
            raise ValueError(
                f"model {spec!r} refers to list {max(numbers)}, but there are {n_lists}"
            )
        terms.append(frozenset(n - 1 for n in numbers))
    if any(len(term) == n_lists for term in terms):
        raise ValueError(
            f"model {spec!r} has the {n_lists}-list interaction: it has more parameters than cells"
        )
    return tuple(terms)


def hierarchical_terms(generators: Iterable[Term]) -> list[Term]:
    """All non-empty subsets of the generating terms, by order then lexicographically."""
    terms: set[Term] = set()
    for generator in generators:
        items = sorted(generator)
        for size in range(1, len(items) + 1):
            terms.update(frozenset(c) for c in combinations(items, size))
    return sorted(terms, key=lambda t: (len(t), sorted(t)))


def model_name(terms: Iterable[Term]) -> str:
    """Rcapture-style name from any set of terms: the maximal terms, highest order first.

    Examples
    --------
    >>> model_name([frozenset({0, 1}), frozenset({0}), frozenset({1}), frozenset({2})])
    '[12,3]'
    """
    terms = set(terms)
    maximal = [t for t in terms if not any(t < other for other in terms)]
    maximal.sort(key=lambda t: (-len(t), sorted(t)))
    return "[" + ",".join("".join(str(i + 1) for i in sorted(t)) for t in maximal) + "]"


def term_columns(patterns: np.ndarray, terms: Sequence[Term]) -> np.ndarray:
    """Column of each term: the product of the 0/1 indicators of its lists."""
    columns = np.ones((patterns.shape[0], len(terms)))
    for j, term in enumerate(terms):
        for i in term:
            columns[:, j] *= patterns[:, i]
    return columns


def term_label(term: Term, lists: Sequence[str]) -> str:
    """Readable name of a term, e.g. ``"registry:OST"``."""
    return ":".join(lists[i] for i in sorted(term))


def normalise_heterogeneity(
    kind: str | None, theta: float | None
) -> tuple[str | None, float | None]:
    """Return the canonical heterogeneity name and its ``theta`` (default per Rcapture)."""
    if kind is None:
        return None, None
    canonical = HETEROGENEITY.get(str(kind).lower())
    if canonical is None:
        raise ValueError(f"unknown heterogeneity {kind!r}: use Chao, Poisson, Darroch or Gamma")
    if canonical in DEFAULT_THETA:
        theta = DEFAULT_THETA[canonical] if theta is None else float(theta)
        if not theta > 0:
            raise ValueError("theta must be positive")
    else:
        theta = None
    return canonical, theta


def heterogeneity_label(kind: str | None, theta: float | None) -> str:
    """Rcapture's label: ``Chao (LB)``, ``Poisson2``, ``Darroch``, ``Gamma3.5``."""
    if kind is None:
        return ""
    if kind == "Chao":
        return "Chao (LB)"
    if kind == "Darroch":
        return "Darroch"
    return f"{kind}{theta:g}"


def heterogeneity_columns(
    n_captures: np.ndarray, kind: str, theta: float | None, n_lists: int
) -> tuple[np.ndarray, list[str]]:
    """Heterogeneity columns of Rivest & Baillargeon (2007) and their names."""
    x = np.asarray(n_captures, dtype=float)
    if kind == "Chao":
        if n_lists < 3:
            raise ValueError("Chao's heterogeneity model needs at least 3 lists")
        js = range(3, n_lists + 1)
        return np.column_stack([np.maximum(x - j + 1, 0) for j in js]), [f"eta{j}" for j in js]
    if kind == "Poisson":
        return (theta**x - 1)[:, None], ["tau"]
    if kind == "Darroch":
        return (x**2 / 2)[:, None], ["tau"]
    if kind == "Gamma":
        return (-np.log(theta + x) + np.log(theta))[:, None], ["tau"]
    raise ValueError(f"unknown heterogeneity {kind!r}")


def first_capture_columns(patterns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Occasions before the first capture and captures after it (Rcapture's Mb design)."""
    before = np.argmax(patterns == 1, axis=1).astype(float)
    after = patterns.sum(axis=1) - 1.0
    return before, after
