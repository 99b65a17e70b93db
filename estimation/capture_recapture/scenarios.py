"""The scenarios of the capture-recapture coverage study (docs/validation.md).

Five kinds of data with a known population size, for 2 to 5 lists
(:func:`~estimation.capture_recapture.simulate.simulate_histories` draws them):

``independent``
    Lists catch people independently and everybody equally: model Mt holds.
``heterogeneity``
    Two latent classes of catchability with the same effect on every list: three people
    in four are hard to catch (logit shifted by -1), one in four easy (+1.5). No list
    depends on another given the class, so every log-linear model is misspecified.
``positive``
    Being on list 1 multiplies the odds of being on list 2 by 4 (a referral).
``negative``
    Being on list 1 divides the odds of being on list 2 by 4 (a list that lowers
    another's capture chance, e.g. people in prison are not in treatment).
``heterogeneity_dependence``
    The latent classes of ``heterogeneity`` and the referral of ``positive`` together.

The lists' base capture probabilities are :data:`PROBABILITIES` (the first ``k``): sparse
lists, as the registry's are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from estimation.capture_recapture.histories import CaptureHistories
from estimation.capture_recapture.simulate import simulate_histories

__all__ = [
    "MANRIQUE_VALLIER_2016",
    "PROBABILITIES",
    "SCENARIOS",
    "Scenario",
    "simulate_latent_classes",
    "simulate_scenario",
]

#: Capture probability of each list for a person of no class shift and no dependence.
PROBABILITIES = (0.15, 0.20, 0.12, 0.18, 0.10)
#: Latent classes ``(share, logit shift)`` of the heterogeneous scenarios.
CLASSES = ((0.75, -1.0), (0.25, 1.5))


@dataclass(frozen=True)
class Scenario:
    """One kind of data: latent classes and list dependence (see the module docstring)."""

    name: str
    description: str
    classes: tuple[tuple[float, float], ...] | None = None
    dependence: dict[tuple[int, int], float] = field(default_factory=dict)

    def simulate(self, population: int, lists: int, rng: np.random.Generator) -> CaptureHistories:
        """Histories of ``population`` people on ``lists`` lists (2 to 5)."""
        if not 2 <= lists <= len(PROBABILITIES):
            raise ValueError(f"the scenarios have 2 to {len(PROBABILITIES)} lists")
        return simulate_histories(
            population=population,
            probabilities=PROBABILITIES[:lists],
            rng=rng,
            classes=self.classes,
            dependence=self.dependence,
        )


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("independent", "independent lists, everybody equally catchable"),
        Scenario(
            "heterogeneity", "latent classes of catchability, same on every list", classes=CLASSES
        ),  # fmt: skip
        Scenario(
            "positive", "list 1 raises list 2's capture odds 4-fold", dependence={(0, 1): 4.0}
        ),  # fmt: skip
        Scenario(
            "negative", "list 1 lowers list 2's capture odds 4-fold", dependence={(0, 1): 0.25}
        ),  # fmt: skip
        Scenario(
            "heterogeneity_dependence",
            "latent classes and list 1 raising list 2",
            classes=CLASSES,
            dependence={(0, 1): 4.0},
        ),  # fmt: skip
    )
}


def simulate_scenario(
    scenario: str, *, population: int, lists: int, seed: int | Sequence[int]
) -> CaptureHistories:
    """Seeded histories of one scenario: the same arguments give the same histories.

    Examples
    --------
    >>> a = simulate_scenario("negative", population=2000, lists=3, seed=7)
    >>> a == simulate_scenario("negative", population=2000, lists=3, seed=7)
    True
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}: use one of {', '.join(SCENARIOS)}")
    return SCENARIOS[scenario].simulate(population, lists, np.random.default_rng(seed))


#: The simulation of Manrique-Vallier (2016), the paper that defines LCMCR (parameters
#: as in public re-runs of it): class shares, then each class's chance on each of five
#: lists. 90% of people are rarely caught, 10% almost always; 64% are on no list.
MANRIQUE_VALLIER_2016 = (
    (0.9, 0.1),
    ((0.033, 0.033, 0.099, 0.132, 0.033), (0.660, 0.825, 0.759, 0.990, 0.693)),
)


def simulate_latent_classes(
    population: int,
    shares: Sequence[float],
    chances: Sequence[Sequence[float]],
    rng: np.random.Generator,
) -> CaptureHistories:
    """Histories of ``population`` people drawn into latent classes with ``shares``;
    class ``k``'s lists catch independently, list ``j`` with ``chances[k][j]`` (the
    model LCMCR assumes)."""
    chances = np.asarray(chances)
    classes = rng.choice(len(shares), size=population, p=shares)
    caught = rng.random((population, chances.shape[1])) < chances[classes]
    names = [f"L{j + 1}" for j in range(chances.shape[1])]
    return CaptureHistories.from_individuals(names, caught.astype(np.int64))
