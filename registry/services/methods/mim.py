"""Regional estimates by the multivariate indicator method (MIM, EMCDDA).

The study's area is a country (or any area with regions under it); its *regions* are the
org units directly under it. Every region needs every indicator; some regions are
*anchors*, with an approved population estimate of their own (capture-recapture, most
often). :func:`estimation.mim.mim_estimate` regresses the anchors' log estimates on the
principal components of the log indicators and estimates every region, with bootstrap
prediction intervals and a national total (docs/methods/mim.md).

Parameters::

    {"anchor_studies": [12, 15, 18],   # studies with an approved result: one per region,
                                       # of the study's period and population, >= components + 2
     "indicators": ["TDI_ENTRANTS", "REG_CLIENTS", "REG_NEW"],
     "components": 1, "replicates": 2000, "seed": DEFAULT_SEED, "alpha": 0.05,
     "key_population": "pwud"}

The indicators are the analytics' counts (``registry.analytics``: people counted once per
period, at the org unit of their centre), summed over each region. The study's lists, if
any, are uploads, one per region and source (police, prison ...): each source becomes an
indicator, its count the upload's distinct codes. An anchor is a study's latest approved
result (the approval gate): it must be of a region under the study's area, of the same
period and the same population, one per region.

Payload::

    {"method": "mim", "area": "KG", "indicators": ["TDI_ENTRANTS", ..., "upload:police"],
     "regions": [{"code", "name", "name_ru", "estimate", "ci_low", "ci_high", "anchor": bool,
                  "anchor_estimate", "anchor_ci", "anchor_study", "anchor_job",
                  "published": bool, "scores": [...],
                  "values": {indicator: count}}, ...],
     "anchors": [{"study", "job", "method", "region", "abundance", "ci_low", "ci_high",
                  "level"}],                    # level: of the anchor's own interval
     "estimate": {"name": "MIM national total", "abundance", "ci_low", "ci_high",
                  "interval": "bootstrap", "published": bool},  # the total (sum of regions)
     "pca": {"indicators", "loadings", "variance_explained", "means", "sds"},
     "fit": {"intercept", "slopes", "r_squared", "residual_sd", "df", "tau2",
             "anchor_se", "residuals", "tau2_uncertainty"},  # True: tau2 drawn in the
                                                             # bootstrap (mim_estimate's default)
     "components", "replicates", "seed", "alpha",
     "key_population": "pwud", ...per_registered entries (the national total)...,
     "warnings": [...]}          # plausibility.estimate_warnings, and
                                 # {"code": "few_anchors", "anchors", "df"} (df <= 2)
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import date
from statistics import NormalDist
from typing import Any

import pandas as pd
from flask import current_app
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from estimation.mim import mim_estimate
from registry.extensions import db
from registry.models import OrgUnit, SourceList, Study
from registry.models.users import User
from registry.schemas.base import REQUIRED, integer
from registry.services import audit
from registry.services.access import ensure_epidemiology
from registry.services.errors import ServiceError
from registry.services.methods import mim_inputs as inputs
from registry.services.methods import sources
from registry.services.methods.base import (
    DEFAULT_SEED,
    MAX_ID,
    Checkpoint,
    Computed,
    Estimate,
    Method,
    ParametersSchema,
    alpha_field,
    parameter_error,
)
from registry.services.methods.mim_result import (
    MimResult,
    draw,
    plots,
    regional_estimates,
    rows,
    warnings,
)
from registry.services.methods.population import (
    DEFAULT_POPULATION,
    KEY_POPULATIONS,
    key_population_field,
    per_registered,
)

#: The registry indicators a study may use: analytics count codes (the names of
#: ``registry.analytics.indicators``, which imports this package), in the form's order.
INDICATOR_CHOICES = {
    "TDI_ENTRANTS": _l("Treatment entrants, all"),
    "REG_CLIENTS": _l("Registered clients at the end of the period"),
    "REG_NEW": _l("New registrations (first time in life)"),
    "HIV_PWID_TESTED": _l("People who inject drugs tested for HIV"),
    "HIV_PWID_POSITIVE": _l("People who inject drugs testing HIV positive"),
    "TDI_FIRST": _l("Treatment entrants, first treatment"),
    "OST_CLIENTS": _l("Clients on OST at the end of the period"),
}
DEFAULT_INDICATORS = ["TDI_ENTRANTS", "REG_CLIENTS", "REG_NEW"]
MAX_ANCHORS = 30
#: Anchor rows the new-study form offers (the API takes up to MAX_ANCHORS).
FORM_ANCHORS = 6


class Parameters(ParametersSchema):
    """A MIM study's parameters (see the module docstring)."""

    anchor_studies = fields.List(
        integer(1, MAX_ID, required=True),
        required=True,
        validate=validate.Length(min=3, max=MAX_ANCHORS,
                                 error=_l("Give three to thirty anchor studies.")),
        error_messages={"required": REQUIRED, "null": REQUIRED, "invalid": REQUIRED},
    )  # fmt: skip
    indicators = fields.List(
        fields.String(validate=validate.OneOf(list(INDICATOR_CHOICES),
                                              error=_l("Unknown indicator."))),
        load_default=lambda: list(DEFAULT_INDICATORS),
        validate=validate.Length(min=1, error=_l("Choose at least one indicator.")),
    )  # fmt: skip
    components = integer(1, 3, default=1)
    replicates = integer(200, 10_000, default=2000)
    seed = integer(0, 2**31 - 1, default=DEFAULT_SEED)
    alpha = alpha_field()
    key_population = key_population_field(default=DEFAULT_POPULATION)

    @validates_schema
    def _enough(self, data: dict[str, Any], **_: Any) -> None:
        studies = data.get("anchor_studies") or []
        if len(set(studies)) != len(studies):
            raise ValidationError(_l("A study is named twice."), field_name="anchor_studies")
        if studies and len(studies) < data.get("components", 1) + 2:
            raise ValidationError(
                _l("Give at least two anchors more than the number of components."),
                field_name="anchor_studies",
            )
        if len(set(data.get("indicators") or [])) != len(data.get("indicators") or []):
            raise ValidationError(_l("An indicator is named twice."), field_name="indicators")


def check(
    refs: list[str], p: dict[str, Any], *, actor: User, period: tuple[date, date], area: OrgUnit
) -> list:
    """Uploads only; each anchor study approved, of the period and population, and of a
    distinct region of ``area`` (:func:`check_area`)."""
    if any(not ref.startswith("upload:") for ref in refs):
        raise ServiceError(_l("Choose uploaded lists only: the registry's own counts are "
                              "the indicators."), "lists")  # fmt: skip
    ensure_epidemiology(actor)
    for study_id in p["anchor_studies"]:
        found = inputs.anchor_result(study_id)
        if found is None:
            raise parameter_error(
                "anchor_studies", _l("Study %(id)s has no approved result.", id=study_id)
            )
        study, result = found
        estimate = sources.result_estimate(result)
        if study.method == "mim" or estimate is None:
            raise parameter_error(
                "anchor_studies",
                _l("Study %(id)s is not a population estimate of one area.", id=study_id),
            )
        if (study.period_start, study.period_end) != period:
            raise parameter_error(
                "anchor_studies", _l("Study %(id)s is of another period.", id=study_id)
            )
        if estimate.key_population != p["key_population"]:
            raise parameter_error(
                "anchor_studies", _l("Study %(id)s estimates another population.", id=study_id)
            )
        audit.record_event(actor, "read", "estimation_result", result.id)
    check_area(refs, p, area=area)
    return refs  # fmt: skip


def check_area(refs: list[str], p: dict[str, Any], *, area: OrgUnit) -> None:
    """Anchors and uploads lie in distinct regions under ``area``; enough regions."""
    regions = inputs.regions_of(area)
    if len(regions) < len(p["anchor_studies"]) + 1:
        raise ServiceError(_l("MIM estimates the regions under the study's area: choose an "
                              "area with more regions than anchors."), "area_code")  # fmt: skip
    seen: set[int] = set()
    for study_id in p["anchor_studies"]:
        study, _result = inputs.anchor_result(study_id)  # checked by ``check``
        if study.area_id not in {region.id for region in regions}:
            raise parameter_error(
                "anchor_studies",
                _l(
                    "Study %(id)s is not of a region of the study's area (with a treatment "
                    "centre).",
                    id=study_id,
                ),
            )
        if study.area_id in seen:
            raise parameter_error(
                "anchor_studies", _l("Two anchor studies are of the same region.", id=study_id)
            )
        seen.add(study.area_id)  # fmt: skip
    uploads: dict[str, set[int]] = {}
    for ref in refs:
        source = db.session.get(SourceList, int(ref.partition(":")[2]))
        region = inputs.region_of(source.area, regions) if source is not None else None
        if region is None:
            raise ServiceError(_l("Each uploaded list must be of one region of the area."),
                               "lists")  # fmt: skip
        if region.id in uploads.setdefault(source.source_name, set()):
            raise ServiceError(_l("Two uploads of the same source are of one region."), "lists")
        uploads[source.source_name].add(region.id)
    for name, covered in uploads.items():
        if len(covered) != len(regions):
            raise ServiceError(_l("The uploads of %(source)s do not cover every region: "
                                  "choose one per region.", source=name), "lists")  # fmt: skip


def _at_95(anchor: dict[str, Any]) -> tuple[float, float]:
    """The anchor's interval widened or narrowed, on the log scale, to a 95% one (an
    anchor study run at 90% or 99% keeps its own ``alpha``)."""
    level = float(anchor.get("level") or 0.95)
    if abs(level - 0.95) < 1e-9:
        return anchor["ci_low"], anchor["ci_high"]
    ratio = NormalDist().inv_cdf(0.975) / NormalDist().inv_cdf(0.5 + level / 2)
    centre = math.log(anchor["abundance"])
    return tuple(math.exp(centre + ratio * (math.log(anchor[bound]) - centre))
                 for bound in ("ci_low", "ci_high"))  # fmt: skip


def mim(
    table: dict[str, dict[str, int]],
    names: list[str],
    anchors: list[dict[str, Any]],
    parameters: dict[str, Any],
    *,
    area: str,
    labels: dict[str, tuple[str, str | None]],
    registered: int,
    on: date,
    withheld: set[str] = frozenset(),
) -> dict[str, Any]:
    """Payload of a MIM study (see the module docstring) from the regions' counts
    ``{region: {indicator: n}}`` and the anchors (``region``, ``abundance``, ``ci_low``,
    ``ci_high``, ``study`` ...); ``labels``: each region's name and Russian name;
    ``withheld``: regions not to publish."""
    p = parameters
    given = {}
    for a in anchors:
        if a["ci_low"] is None or a["ci_high"] is None:
            raise ValueError(f"anchor study {a['study']} has no interval")
        given[a["region"]] = (a["abundance"], _at_95(a))
    matrix = {region: [values[name] for name in names] for region, values in table.items()}
    frame = pd.DataFrame.from_dict(matrix, orient="index", columns=names)
    result = mim_estimate(frame, given, components=int(p["components"]), alpha=float(p["alpha"]),
                          replicates=int(p["replicates"]), seed=int(p["seed"]))  # fmt: skip
    by_region = {a["region"]: a for a in anchors}
    regional = [
        {"code": e.region, "name": labels.get(e.region, (e.region, None))[0],
         "name_ru": labels.get(e.region, (e.region, None))[1], "estimate": e.estimate,
         "ci_low": e.ci_low, "ci_high": e.ci_high, "anchor": e.anchor,
         "anchor_estimate": e.anchor_estimate,
         "anchor_ci": list(e.anchor_ci) if e.anchor_ci else None,
         "anchor_study": by_region.get(e.region, {}).get("study"),
         "anchor_job": by_region.get(e.region, {}).get("job"), "scores": list(e.scores),
         "values": table[e.region], "published": e.region not in withheld}
        for e in result.regions
    ]  # fmt: skip
    national = result.national
    as_dict = result.as_dict()
    return {
        "method": "mim",
        "area": area,
        "indicators": names,
        "regions": regional,
        "anchors": [{k: v for k, v in a.items() if k != "input_hash"} for a in anchors],
        "estimate": {"name": "MIM national total", "abundance": national.estimate,
                     "ci_low": national.ci_low, "ci_high": national.ci_high,
                     "interval": "bootstrap", "published": not withheld},
        "pca": as_dict["pca"],
        "fit": as_dict["fit"],
        "components": result.components,
        "replicates": result.replicates,
        "seed": result.seed,
        "alpha": result.alpha,
        "key_population": p.get("key_population") or DEFAULT_POPULATION,
        **per_registered(national.estimate, national.ci_low, national.ci_high,
                         registered=registered, on=on),
    }  # fmt: skip


def run(study: Study, checkpoint: Checkpoint | None = None) -> Computed:
    """``(payload, history_counts, hash basis)`` of a MIM study on today's data."""
    regions = inputs.regions_of(study.area)
    threshold = int(current_app.config["SUPPRESSION_THRESHOLD"])
    table, names, digests, withheld = inputs.indicator_table(study, regions, threshold)
    anchors = inputs.anchors(study)
    payload = mim(table, names, anchors, study.parameters, area=study.area.code,
                  labels={r.code: (r.name, r.name_ru) for r in regions},
                  registered=sources.registered(study.area, study.period_end),
                  on=study.period_end, withheld=withheld)  # fmt: skip
    digest = hashlib.sha256(json.dumps(table, sort_keys=True).encode()).hexdigest()
    basis = {"lists": [{"ref": "indicators", "digest": digest}, *digests,
                       *({"ref": f"study:{a['study']}", "digest": a["input_hash"]}
                         for a in anchors)]}  # fmt: skip
    return Computed(payload, {"lists": study.lists, "indicators": table}, basis)


METHOD = Method(
    name="mim",
    label=_l("Multivariate indicator method (regional estimates)"),
    parameters=Parameters,
    check=check,
    run=run,
    checks_area=True,
    rows=rows,
    payload=MimResult,
    estimate=Estimate.of_payload,
    plots=plots,
    draw=draw,
    plot_titles={
        "regions": _l(
            "Each region's estimate with its prediction interval; anchors with their own estimate"
        )
    },
    estimates_population=True,
    listless=True,
    warnings=warnings,
    choices={"key_population": KEY_POPULATIONS, "indicators": INDICATOR_CHOICES},
    regional_estimates=regional_estimates,
)
