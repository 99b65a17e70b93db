"""What a MIM study reads from the registry: its regions, their counts, its anchors.

Public interface::

    regions_of(area) -> list[OrgUnit]        # the regions (with a centre) under ``area``
    region_of(unit, regions) -> OrgUnit | None
    anchor_result(study_id) -> (Study, EstimationResult) | None   # latest approved result
    indicator_table(study, regions, threshold) -> (table, names, digests, withheld)
    anchors(study) -> list[dict]             # each anchor's estimate, read again at run time

The counts are the analytics' (:mod:`registry.analytics`): never counted again here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from registry.extensions import db
from registry.models import EstimationResult, OrgUnit, SourceList, Study, TreatmentCentre
from registry.services.approvals import approved_results
from registry.services.methods import sources


def anchor_result(study_id: int) -> tuple[Study, EstimationResult] | None:
    """A study and its latest approved result (None: no such study or no approval)."""
    row = db.session.execute(
        approved_results(Study, EstimationResult).where(Study.id == study_id).limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else None


def region_of(unit: OrgUnit, regions: list[OrgUnit]) -> OrgUnit | None:
    return next((r for r in regions if unit.path.startswith(r.path)), None)


def regions_of(area: OrgUnit) -> list[OrgUnit]:
    """The org units directly under ``area`` with a treatment centre in them, by code.

    The registry counts people where they are treated (the centre's org unit), as every
    study and indicator does: a region without a centre of its own has no counts, its
    people are counted where they are treated (Chui's at the Bishkek RNC), so it is not a
    region of the method.
    """
    centre_units = select(OrgUnit.path).join(
        TreatmentCentre, TreatmentCentre.org_unit_id == OrgUnit.id
    )
    paths = set(db.session.scalars(centre_units))
    children = db.session.scalars(
        select(OrgUnit).where(OrgUnit.parent_id == area.id).order_by(OrgUnit.code)
    )
    return [unit for unit in children if any(p.startswith(unit.path) for p in paths)]


def indicator_table(
    study: Study, regions: list[OrgUnit], threshold: int
) -> tuple[dict, list[str], list, set[str]]:
    """``{region code: {indicator: count}}``, the indicator names, the upload digests, and
    the regions whose estimate must not be published (a count of theirs is withheld).

    The counts are the analytics' canonical tables of the period (the region's total
    cell), so a region's count is withheld exactly when the dashboard withholds it; an
    upload's count below the threshold is treated as withheld too.
    """
    # the analytics layer imports the methods (published estimates): import it here
    from registry.analytics import cache
    from registry.analytics.indicators import TOTAL, family_of
    from registry.analytics.periods import parse_period
    from registry.analytics.tables import Geography, canonical_table

    geography = Geography.load()
    period = parse_period(study.period, today=study.period_end)[0]
    table: dict[str, dict[str, int]] = {r.code: {} for r in regions}
    withheld: set[str] = set()
    names = list(study.parameters["indicators"])
    for code in names:
        family = family_of(code)
        leaf = cache.family_counts(family, [period])[period.iso]
        canonical = canonical_table(family, geography, leaf, threshold=threshold)
        for region in regions:
            key = (code, region.id, TOTAL, TOTAL)
            table[region.code][code] = int(canonical.values.get(key, 0))
            if key in canonical.suppressed:
                withheld.add(region.code)
    digests = []
    for ref in study.lists:
        source = db.session.get(SourceList, int(ref.partition(":")[2]))
        region = region_of(source.area, regions)
        count, digest = sources.list_count(ref, start=study.period_start,
                                           end=study.period_end, area=source.area)  # fmt: skip
        name = f"upload:{source.source_name}"
        if name not in names:
            names.append(name)
        table[region.code][name] = count
        if count < threshold:
            withheld.add(region.code)
        digests.append({"ref": ref, "digest": digest})
    return table, names, digests, withheld


def anchors(study: Study) -> list[dict[str, Any]]:
    out = []
    for study_id in study.parameters["anchor_studies"]:
        found = anchor_result(study_id)
        if found is None:
            raise ValueError(f"anchor study {study_id} no longer has an approved result")
        anchor, result = found
        estimate = sources.result_estimate(result)
        out.append({"study": anchor.id, "job": result.job_id, "method": anchor.method,
                    "region": anchor.area.code, "abundance": estimate.abundance,
                    "ci_low": estimate.ci_low, "ci_high": estimate.ci_high,
                    "level": 1 - float((anchor.parameters or {}).get("alpha") or 0.05),
                    "input_hash": result.input_hash})  # fmt: skip
    return out
