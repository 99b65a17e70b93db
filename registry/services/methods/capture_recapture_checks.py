"""What a capture-recapture study is refused for when it is made, and its nested lists.

Every combination the computation cannot run is refused here, when the study is created
(the form next to the field, the API as problem details naming it), never when its job
runs (:func:`check`):

- fewer than two lists; a chosen model naming more lists than the study has; Mh and
  Mth on two lists; dga on fewer than three or more than six lists (``lists``,
  ``parameters/model``);
- strata with an analysis that takes none: dga and LCMCR (one study per stratum), and
  the family table, stepwise selection and bootstrap, which a stratified study used to
  replace silently by Mt in each stratum (``strata``);
- a heterogeneity term on two lists or on Mb or Mbh (``parameters/heterogeneity``), a
  bootstrap of a
named model other than Mt (``parameters/model``);
- a search whose highest interaction order the lists cannot have, or too many models
  to enumerate (seven or more lists search only main effects) (``parameters/max_order``).

:func:`check_lists` links the chosen lists once they are known to exist and refuses a
list wholly inside another (:func:`estimation.capture_recapture.nesting.nested_lists`):
every person on it is on the other, so the people "on A, not on B" that capture-recapture
learns from cannot exist, in any analysis; leaving A out loses nothing about the people
the lists miss. A nearly nested pair (a share of at least 0.95) is not refused -- a few
people outside can be real -- but is shown on the form's overlap report and warned about
on the result (:func:`nested_entries`, the ``nested_lists`` warning). A list with nobody
in the period and area is left to the job (the registry's own lists may fill before it
runs), and the check is then skipped.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from estimation.capture_recapture import CaptureHistories
from estimation.capture_recapture.candidates import check_order
from estimation.capture_recapture.design import parse_model
from estimation.capture_recapture.nesting import nested_lists
from registry.models import OrgUnit, User
from registry.services import linkage
from registry.services.errors import ServiceError
from registry.services.methods.base import parameter_error
from registry.services.methods.model_names import list_name

#: Rcapture's named closed-population models (besides the [12,3] notation).
NAMED_MODELS = ("M0", "Mt", "Mh", "Mth", "Mb", "Mbh")
#: The analyses a stratified study may run (the payload sums one fit per stratum).
STRATIFIED_ANALYSES = ("average", "search", "model")
#: The analyses that search the hierarchical models up to ``max_order``.
SEARCHES = ("average", "search", "bootstrap")


def check(
    refs: list[str],
    p: dict[str, Any],
    *,
    actor: User,
    period: tuple[date, date],
    strata: str | None = None,
) -> list:
    """The study's lists, or the refusal of a combination its job could not run."""
    k = len(set(refs))
    if k < 2:
        raise ServiceError(_l("Choose at least two lists."), "lists")
    analysis, model = p.get("analysis"), p.get("model")
    if model and model not in NAMED_MODELS:
        try:
            parse_model(model, k)
        except ValueError:
            raise parameter_error(
                "model", _l("The model names more lists than the study has.")
            ) from None
    if model in ("Mh", "Mth") and k < 3:
        raise parameter_error("model", _l("This model needs at least three lists."))
    if analysis == "dga" and not 3 <= k <= 6:
        raise ServiceError(_l("The dga analysis needs three to six lists."), "lists")
    if strata is not None and analysis in ("dga", "lcmcr"):
        raise ServiceError(
            _l("The Bayesian analyses (dga, LCMCR) do not take strata: choose no strata and "
               "run one study per stratum's lists, or choose a log-linear analysis."),
            "strata",
        )  # fmt: skip
    if strata is not None and analysis not in STRATIFIED_ANALYSES:
        raise ServiceError(
            _l("With strata, choose the model average, the model search or one chosen "
               "model: this analysis does not take strata."),
            "strata",
        )  # fmt: skip
    if p.get("heterogeneity") and k < 3 and analysis in ("average", "search", "model",
                                                         "bootstrap"):  # fmt: skip
        raise parameter_error(
            "heterogeneity", _l("Heterogeneity terms need at least three lists: choose none.")
        )
    if model in ("Mb", "Mbh") and p.get("heterogeneity") and analysis == "model":
        raise parameter_error(
            "heterogeneity", _l("Mb and Mbh take no heterogeneity term: choose none.")
        )
    if analysis == "bootstrap" and model and model != "Mt" and model in NAMED_MODELS:
        raise parameter_error(
            "model",
            _l("The bootstrap takes Mt or a log-linear model such as [12,3], or no model."),
        )
    if analysis in SEARCHES and not (analysis == "bootstrap" and model):
        _check_order(k, p.get("max_order"))
    return refs


def _check_order(k: int, max_order: int | None) -> None:
    try:
        check_order(k, max_order)
    except ValueError:
        if max_order is not None and max_order > k - 1:
            message = _l("With %(n)s lists the highest interaction order is %(top)s at most.",
                         n=k, top=k - 1)  # fmt: skip
        else:
            message = _l(
                "%(n)s lists have too many models to search at this order: set the highest "
                "interaction order to %(top)s, or choose the stepwise selection.",
                n=k, top=2 if k == 6 else 1,
            )  # fmt: skip
        raise parameter_error("max_order", message) from None


def check_lists(
    refs: list[str], p: dict[str, Any], *, period: str, area: OrgUnit, strata: str | None
) -> None:
    """Refuse a list wholly inside another (``lists``), once the lists are known to exist."""
    try:
        histories, report = linkage.build_histories(
            refs, period=period, area_code=area.code, strata=strata
        )
    except ServiceError:  # a list empty today: its job says so (the registry's may fill)
        return
    names = {str(e["name"]): list_name(e) for e in report["lists"]}
    for pair in nested_lists(pooled(histories)):
        if pair.exact:
            raise ServiceError(
                _l("Every person on the list “%(a)s” is also on “%(b)s”: the first list lies "
                   "inside the second, so nobody can be on it and missed by the other, which "
                   "capture-recapture needs. Leave “%(a)s” out (it says nothing about the "
                   "people the lists miss), or merge the two lists.",
                   a=names[pair.list], b=names[pair.within]),
                "lists",
            )  # fmt: skip


def pooled(histories: CaptureHistories | dict[str, CaptureHistories]) -> CaptureHistories:
    """The histories of every stratum added up (nesting is a property of the lists)."""
    if isinstance(histories, CaptureHistories):
        return histories
    parts = list(histories.values())
    return parts[0].with_counts(sum(h.counts for h in parts))


def nested_entries(histories: CaptureHistories | dict[str, CaptureHistories]) -> list[dict]:
    """The payload's ``nested_lists``: each nested pair, protected like the linkage report.

    ``{"list", "within", "share", "exact", "mutual"}``; ``share`` is None when the people
    on ``list`` but not on ``within`` are fewer than the suppression threshold (but not
    none), since the share and the list's shown count would give that small number away.
    """
    threshold = current_app.config["SUPPRESSION_THRESHOLD"]
    entries = []
    for pair in nested_lists(pooled(histories)):
        hidden = 0 < pair.outside < threshold
        entries.append({"list": pair.list, "within": pair.within,
                        "share": None if hidden else round(pair.share, 3),
                        "exact": pair.exact, "mutual": pair.mutual})  # fmt: skip
    return entries


__all__ = ["NAMED_MODELS", "check", "check_lists", "nested_entries", "pooled"]
