"""Capture-recapture (multiple-systems) estimation of hidden populations.

Numbers match R's Rcapture (Baillargeon & Rivest 2007) and SparseMSE (Chan, Silverman &
Vincent 2019); see ``docs/methods/capture-recapture.md`` for formulas and assumptions.

Modules, from data to inference:

* :mod:`~.histories` capture histories; :mod:`~.datasets` published data; :mod:`~.simulate`
* :mod:`~.two_lists` Lincoln-Petersen and Chapman
* :mod:`~.design` model notation and design columns; :mod:`~.models` the ``closedp.t``
  family and any hierarchical model; :mod:`~.results` result types
* :mod:`~.identifiability` existence (linear programme, and its shortcuts) and rank checks
* :mod:`~.fit_warnings` Rcapture's warnings on a fit (``infoFit``); :mod:`~.chao` Chao's
  model with negative ``eta`` set to 0
* :mod:`~.intervals` Wald, log-normal, Chao and profile-likelihood intervals
* :mod:`~.candidates`, :mod:`~.search` all-model search; :mod:`~.averaging`
* :mod:`~.stepwise` SparseMSE's stepwise selection; :mod:`~.stratified`; :mod:`~.bootstrap`
* :mod:`~.diagnostics` the heterogeneity check and the registry's default average;
  :mod:`~.nesting` lists (nearly) contained in another
* :mod:`~.scenarios`, :mod:`~.validation`, :mod:`~.validation_report` the coverage study
  of docs/validation.md (simulated lists with known N)
* :mod:`~.glm`, :mod:`~.linear_solve` batched Poisson fits
* :mod:`~.dga` Bayesian model averaging over :mod:`~.decomposable` graphs, on a grid
  (:mod:`~.dga_grid`); :mod:`~.lcmcr` latent classes (:mod:`~.lcmcr_sampler`,
  :mod:`~.mcmc_diagnostics`); :mod:`~.posterior` the Bayesian methods' result
"""

from estimation.capture_recapture.averaging import AveragedEstimate, model_average
from estimation.capture_recapture.bootstrap import BootstrapResult, bootstrap
from estimation.capture_recapture.candidates import count_models, enumerate_models
from estimation.capture_recapture.datasets import rome_hiv
from estimation.capture_recapture.fit_warnings import FitWarning
from estimation.capture_recapture.histories import CaptureHistories, history_patterns
from estimation.capture_recapture.identifiability import Identifiability, check_identifiability
from estimation.capture_recapture.lcmcr import lcmcr
from estimation.capture_recapture.models import closed_population_models, fit_loglinear
from estimation.capture_recapture.results import LoglinearResult, ModelTable
from estimation.capture_recapture.search import search_models
from estimation.capture_recapture.simulate import simulate_histories
from estimation.capture_recapture.stepwise import StepwiseResult, fit_pairwise, stepwise
from estimation.capture_recapture.stratified import StratifiedResult, stratified
from estimation.capture_recapture.two_lists import PetersenResult, petersen

__all__ = [
    "AveragedEstimate",
    "BootstrapResult",
    "CaptureHistories",
    "FitWarning",
    "Identifiability",
    "LoglinearResult",
    "ModelTable",
    "PetersenResult",
    "StepwiseResult",
    "StratifiedResult",
    "bootstrap",
    "check_identifiability",
    "closed_population_models",
    "count_models",
    "enumerate_models",
    "fit_loglinear",
    "fit_pairwise",
    "history_patterns",
    "lcmcr",
    "model_average",
    "petersen",
    "rome_hiv",
    "search_models",
    "simulate_histories",
    "stepwise",
    "stratified",
]
