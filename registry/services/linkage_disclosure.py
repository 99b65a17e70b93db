"""Small-count protection of a linkage report before it leaves the server.

Public interface::

    protect_report(report: dict, *, threshold: int) -> dict
        # a copy of the report of registry.services.linkage with withheld counts as None
    linkage_table(report: dict) -> tuple[values, constraints, published, known]
        # the additive table the protection is computed on (the attacker tests read it)

The rule is the analytics' rule (docs/disclosure.md): a count from 1 to ``threshold - 1``
is withheld, zero is shown, and complementary cells are withheld so that no withheld
count can be worked out from the published ones. The table handed to
:func:`registry.analytics.suppression.suppress` is the 2^k capture-history table of the
``k`` lists with every margin the report publishes:

* ``("history", "101")``: people with that history (``"000"`` is nobody's);
* ``("list", i)``: people on list ``i`` = the histories with a 1 at ``i``;
* ``("pair", i, j)``: people on lists ``i`` and ``j`` = the histories with 1 at both;
* ``("observed",)``: every history; ``("registered",)``: the histories with a 1 on a
  registry list;
* with strata: ``("stratum", value, history)`` and ``("stratum_observed", value)``; a
  history is its strata plus ``("unknown", history)`` (codes of unknown sex, never
  published: their sum ``("unknown_stratum",)`` is).

Estimation still runs on the exact counts inside the server; only what is shown, sent
or downloaded goes through :func:`protect_report`.
"""

from __future__ import annotations

import copy
from collections.abc import Hashable
from itertools import combinations
from typing import Any

Key = Hashable
Constraint = tuple[Key, tuple[Key, ...]]  # as registry.analytics.suppression's


def _patterns(k: int) -> list[str]:
    return [format(mask, f"0{k}b") for mask in range(1, 2**k)]


def _on(patterns: list[str], *positions: int) -> list[str]:
    return [p for p in patterns if all(p[i] == "1" for i in positions)]


def linkage_table(
    report: dict[str, Any], *, threshold: int
) -> tuple[dict[Key, int], list[Constraint], set[Key], set[Key]]:
    """``(values, constraints, published, known)`` of a report's capture-history table.

    ``known`` are the cells the attacker knows from elsewhere (:func:`_known_margins`):
    the protection may neither withhold them nor rely on moving them.
    """
    lists = report["lists"]
    k = len(lists)
    patterns = _patterns(k)
    histories = report["histories"]
    values: dict[Key, int] = {("history", p): histories.get(p, 0) for p in patterns}
    constraints: list[Constraint] = []

    def margin(key: Key, value: int, parts: list[str]) -> None:
        values[key] = value
        constraints.append((key, tuple(("history", p) for p in parts)))

    for i, entry in enumerate(lists):
        margin(("list", i), entry["count"], _on(patterns, i))
    pairs = combinations(range(k), 2)  # the order of the report's "pairwise"
    for (i, j), pair in zip(pairs, report["pairwise"], strict=True):
        margin(("pair", i, j), pair["overlap"], _on(patterns, i, j))
    margin(("observed",), report["observed"], patterns)
    registry = [i for i, entry in enumerate(lists) if entry["ref"].startswith("registry:")]
    registered = [p for p in patterns if any(p[i] == "1" for i in registry)]
    margin(("registered",), report["registered"], registered)
    published = set(values)
    strata = report.get("strata")
    if strata is not None:
        for value, entry in strata.items():
            for p in patterns:
                values[("stratum", value, p)] = entry["histories"].get(p, 0)
            values[("stratum_observed", value)] = entry["observed"]
            constraints.append(
                (("stratum_observed", value), tuple(("stratum", value, p) for p in patterns))
            )
        for p in patterns:
            inside = sum(entry["histories"].get(p, 0) for entry in strata.values())
            values[("unknown", p)] = values[("history", p)] - inside
            parts = (*(("stratum", value, p) for value in strata), ("unknown", p))
            constraints.append((("history", p), parts))
        values[("unknown_stratum",)] = report["unknown_stratum"]
        constraints.append((("unknown_stratum",), tuple(("unknown", p) for p in patterns)))
        published = {key for key in values if key[0] != "unknown"}
    known = _known_margins(report, values, constraints, threshold)
    return values, constraints, published | known, known


def _known_margins(report, values, constraints, threshold: int) -> set[Key]:
    """Add what the attacker knows without this report, as cells ``("known", side,
    pattern)``; they are the ``fixed`` cells of the protection.

    The caller knows the marginal table of the uploaded lists (they hold the people) and
    can get the marginal table of the registry lists from an overlap of those alone. Each
    such margin of at least ``threshold`` people (smaller ones are withheld elsewhere) is
    added, so the protection never relies on hiding or moving a count the attacker has.
    """
    lists = report["lists"]
    patterns = _patterns(len(lists))
    uploads = [i for i, entry in enumerate(lists) if entry["ref"].startswith("upload:")]
    registry = [i for i in range(len(lists)) if i not in uploads]
    known: set[Key] = set()
    if not uploads or not registry:  # the marginal table is this table: nothing else known
        return known
    for side, positions in (("upload", uploads), ("registry", registry)):
        margins: dict[str, list[str]] = {}
        for p in patterns:
            sub = "".join(p[i] for i in positions)
            if "1" in sub:
                margins.setdefault(sub, []).append(p)
        for sub, parts in sorted(margins.items()):
            value = sum(values[("history", p)] for p in parts)
            if value < threshold:
                continue
            key = ("known", side, sub)
            values[key] = value
            known.add(key)
            constraints.append((key, tuple(("history", p) for p in parts)))
    return known


def protect_report(report: dict[str, Any], *, threshold: int) -> dict[str, Any]:
    """A copy of ``report`` whose withheld counts are ``None`` (histories, margins, strata).

    A history with nobody is left out of ``histories`` as before (it is a published zero).
    ``withheld`` says how many counts were withheld and under which threshold.
    """
    protected = copy.deepcopy(report)
    if len(report["lists"]) < 2:
        return protected
    # imported here: the registry.analytics package imports the studies service
    from registry.analytics.suppression import UnprotectableError, suppress

    values, constraints, published, known = linkage_table(report, threshold=threshold)
    try:
        withheld = suppress(values, constraints, published, threshold=threshold, fixed=known)
    except UnprotectableError:  # no protection without hiding what the caller has:
        withheld = _everything_linked(values, report)  # show the registry margins only

    def shown(key: Key) -> int | None:
        return None if key in withheld else values[key]

    k = len(report["lists"])
    for i, entry in enumerate(protected["lists"]):
        entry["count"] = shown(("list", i))
    for n, (i, j) in enumerate(combinations(range(k), 2)):
        protected["pairwise"][n]["overlap"] = shown(("pair", i, j))
    protected["observed"] = shown(("observed",))
    protected["registered"] = shown(("registered",))
    protected["histories"] = _shown_histories(report["histories"], withheld, ("history",))
    for value, entry in protected.get("strata", {}).items():
        entry["observed"] = shown(("stratum_observed", value))
        entry["histories"] = _shown_histories(entry["histories"], withheld, ("stratum", value))
    if "unknown_stratum" in protected:
        protected["unknown_stratum"] = shown(("unknown_stratum",))
    protected["withheld"] = {"cells": len(withheld), "threshold": threshold}
    return protected


def _everything_linked(values: dict[Key, int], report: dict[str, Any]) -> frozenset:
    """Every count that depends on how uploaded people fall on registry lists."""
    lists = report["lists"]
    uploads = {i for i, entry in enumerate(lists) if entry["ref"].startswith("upload:")}
    return frozenset(
        key for key in values
        if key[0] in ("history", "stratum", "stratum_observed", "observed", "unknown_stratum")
        or (key[0] == "pair" and uploads & set(key[1:]))
    )  # fmt: skip


def _shown_histories(
    histories: dict[str, int], withheld: frozenset, prefix: tuple
) -> dict[str, int | None]:
    return {p: (None if (*prefix, p) in withheld else n) for p, n in histories.items()}
