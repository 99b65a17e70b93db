"""What a capture-recapture model's name means, in the names of the study's lists.

Rcapture's notation numbers the lists in the study's order: ``[13,23]`` is the model with
an interaction between lists 1 and 3 and one between lists 2 and 3 (single digits are the
lists' own terms). :func:`explain_model` writes it as "police × OST clients, OST clients ×
hospital"; :func:`result_list_names` gives the lists' names as the page shows them (the
registry's own lists translated, an upload by its source name).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l

from estimation.capture_recapture.design import parse_model
from registry.services.source_lists import REGISTRY_LISTS

#: Rcapture's named closed-population models, in words.
NAMED = {
    "M0": _l("the same chance of being on every list"),
    "Mt": _l("each list has its own chance"),
    "Mh": _l("people differ in their chance"),
    "Mth": _l("lists and people differ in their chance"),
    "Mb": _l("being on one list changes the chance of the next"),
    "Mbh": _l("behavioural response and people who differ"),
}
INDEPENDENCE = _l("the lists are independent")


def list_name(entry: Mapping[str, Any]) -> str:
    """The name of a linkage report's list entry (``ref``, ``name``) on a page."""
    label = REGISTRY_LISTS.get(str(entry.get("ref") or ""))
    return str(label) if label is not None else str(entry.get("name") or entry.get("ref"))


def linkage_names(linkage: Mapping[str, Any]) -> dict[str, str]:
    """``{short name: page name}`` of a linkage report's lists (``ost`` -> "OST clients")."""
    return {str(e.get("name")): list_name(e) for e in linkage.get("lists") or []}


def result_list_names(payload: Any) -> list[str]:
    """The lists of a capture-recapture payload (a ``CaptureRecaptureResult``: not
    imported, which imports this module), in the models' numbering (1 is first)."""
    entries = (payload.linkage or {}).get("lists") or []
    if entries:
        return [list_name(entry) for entry in entries]
    return [str(name) for name in payload.lists]


def explain_model(name: str, lists: Sequence[str]) -> str:
    """``"police × OST clients, OST clients × hospital"`` for ``[13,23]``; ``""`` when the
    name is not a model of these lists (count estimators, an average's name)."""
    base = name.split()[0] if name else ""
    if base in NAMED:
        return str(NAMED[base])
    try:
        terms = parse_model(name, len(lists))
    except ValueError:
        return ""
    interactions = [term for term in terms if len(term) > 1]
    if not interactions:
        return str(INDEPENDENCE)
    return ", ".join(" × ".join(lists[i] for i in sorted(term)) for term in interactions)


__all__ = ["explain_model", "linkage_names", "list_name", "result_list_names"]
