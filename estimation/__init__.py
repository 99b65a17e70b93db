"""Epidemiological estimation for hidden populations of people who use drugs.

A pure library (numpy, scipy, pandas): it never imports Flask or the registry, so
epidemiologists can use it from a notebook or the command line
(``python -m estimation --help``).

The public interface is what this package exports (``from estimation import
search_models``); ``docs/using-the-library.md`` shows each method family at work. The
modules behind it are named after their method; the names below are loaded on first use,
so that ``import estimation`` and the command line start without scipy or pandas.

One vocabulary runs through the results: the population size is ``abundance`` (capture-
recapture, single-list and averaged estimates) or ``estimate`` (other quantities); the
standard error is ``stderr``; the choice of interval is ``method=``; ``alpha=`` is one minus
the confidence level.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: public name -> (module, name in that module)
_EXPORTS: dict[str, tuple[str, str]] = {
    # capture-recapture (multiple lists)
    "AveragedEstimate": ("capture_recapture.averaging", "AveragedEstimate"),
    "BootstrapResult": ("capture_recapture.bootstrap", "BootstrapResult"),
    "CaptureHistories": ("capture_recapture.histories", "CaptureHistories"),
    "FitWarning": ("capture_recapture.fit_warnings", "FitWarning"),
    "LoglinearResult": ("capture_recapture.results", "LoglinearResult"),
    "ModelTable": ("capture_recapture.results", "ModelTable"),
    "PetersenResult": ("capture_recapture.two_lists", "PetersenResult"),
    "StepwiseResult": ("capture_recapture.stepwise", "StepwiseResult"),
    "StratifiedResult": ("capture_recapture.stratified", "StratifiedResult"),
    "bootstrap": ("capture_recapture.bootstrap", "bootstrap"),
    "closed_population_models": ("capture_recapture.models", "closed_population_models"),
    "count_models": ("capture_recapture.candidates", "count_models"),
    "dga": ("capture_recapture.dga", "dga"),
    "enumerate_models": ("capture_recapture.candidates", "enumerate_models"),
    "fit_loglinear": ("capture_recapture.models", "fit_loglinear"),
    "lcmcr": ("capture_recapture.lcmcr", "lcmcr"),
    "model_average": ("capture_recapture.averaging", "model_average"),
    "petersen": ("capture_recapture.two_lists", "petersen"),
    "rome_hiv": ("capture_recapture.datasets", "rome_hiv"),
    "scotland_pwid": ("capture_recapture.datasets", "scotland_pwid"),
    "search_models": ("capture_recapture.search", "search_models"),
    "simulate_histories": ("capture_recapture.simulate", "simulate_histories"),
    "stepwise": ("capture_recapture.stepwise", "stepwise"),
    "stratified": ("capture_recapture.stratified", "stratified"),
    # single list: how often people appear on it
    "CountEstimate": ("single_list", "CountEstimate"),
    "ZeroTruncatedPoissonRegression": ("ztpoisson", "ZeroTruncatedPoissonRegression"),
    "chao": ("count_estimators", "chao"),
    "frequency_table": ("single_list", "frequency_table"),
    "single_list_estimates": ("count_estimators", "count_estimators"),
    "zelterman": ("count_estimators", "zelterman"),
    "zero_truncated_poisson": ("ztpoisson", "ztpoisson"),
    # benchmark multiplier and pooling
    "CombinedMultiplier": ("pooling", "CombinedMultiplier"),
    "MultiplierEstimate": ("multiplier", "MultiplierEstimate"),
    "combine_multipliers": ("pooling", "combine_multipliers"),
    "multiplier_estimate": ("multiplier", "multiplier_estimate"),
    "rate_per_100k": ("multiplier", "rate_per_100k"),
    # coverage, projection, regional tables
    "Coverage": ("coverage", "Coverage"),
    "Projection": ("projection", "Projection"),
    "RegionalTable": ("consistency", "RegionalTable"),
    "ShareTable": ("shares", "ShareTable"),
    "ost_coverage": ("coverage", "ost_coverage"),
    "project": ("projection", "project"),
    "regional_table": ("consistency", "regional_table"),
    "share_table": ("shares", "share_table"),
    "who_band": ("coverage", "who_band"),
    # regional estimates: the multivariate indicator method
    "MimResult": ("mim", "MimResult"),
    "mim_estimate": ("mim", "mim_estimate"),
    # HIV prevalence, trends and incidence
    "IncidenceRate": ("incidence", "IncidenceRate"),
    "LogisticTrend": ("hiv_trend", "LogisticTrend"),
    "YearPrevalence": ("hiv_trend", "YearPrevalence"),
    "hiv_joinpoints": ("hiv_trend", "hiv_joinpoints"),
    "logistic_trend": ("hiv_trend", "logistic_trend"),
    "repeat_tester_incidence": ("incidence", "repeat_tester_incidence"),
    "yearly_prevalence": ("hiv_trend", "yearly_prevalence"),
    # retention in treatment
    "HazardRatio": ("cox", "HazardRatio"),
    "LogrankResult": ("retention", "LogrankResult"),
    "RetentionCurve": ("retention", "RetentionCurve"),
    "cox_hazard_ratios": ("cox", "cox_hazard_ratios"),
    "durations_from_dates": ("episodes", "durations_from_dates"),
    "episodes_from_doses": ("episodes", "episodes_from_doses"),
    "kaplan_meier": ("retention", "kaplan_meier"),
    "logrank_test": ("retention", "logrank_test"),
    # synthesis of several estimates of one population
    "Synthesis": ("synthesis", "Synthesis"),
    "SynthesisInput": ("synthesis", "SynthesisInput"),
    "synthesise": ("synthesis", "synthesise"),
    # intervals
    "exact_poisson_interval": ("intervals", "exact_poisson_interval"),
    "normal_quantile": ("intervals", "normal_quantile"),
    "wilson_interval": ("intervals", "wilson_interval"),
}

__all__ = sorted(_EXPORTS)  # noqa: PLE0605 (built from the table above)


def __getattr__(name: str) -> object:
    if name in _EXPORTS:
        module, attribute = _EXPORTS[name]
        value = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
