"""The simulation model without a database: calibration, HIV trend, OST, identities, estimation.

Targets are the figures of ../shared/DOMAIN.md §1 for Kyrgyzstan in 2003: about 5,600
registered users and 80-100 thousand users, so a ratio of users to registered of 10-18.
"Registered" is the dispensary register (people on it at the end of 2002, "early 2003"),
not the people treated in a year.
"""

from __future__ import annotations

import numpy as np
import pytest

from estimation.capture_recapture import CaptureHistories, model_average, search_models
from registry.codes import DOSE_CHANGE_REASONS
from registry.simulation.identities import Coder
from registry.simulation.outputs import capture_lists, truth
from registry.simulation.parameters import DRUGS, Parameters
from registry.simulation.register import PROGRAMME as REGISTRATION
from registry.simulation.simulate import simulate

KEY = "simulation-test-linkage-key-0123456789abcdef"


@pytest.fixture(scope="module")
def kyrgyzstan():
    """The full-size Kyrgyz simulation (no database: about a second)."""
    return simulate("KG", 1998, 2004, scale=1.0, seed=11)


def test_same_seed_same_simulation_other_seed_differs():
    first, again = simulate(scale=0.05, seed=5), simulate(scale=0.05, seed=5)
    other = simulate(scale=0.05, seed=6)
    for name in ("person", "admission", "discharge", "programme"):
        values = [str(v) for v in getattr(first.episodes, name).tolist()]  # NaT != NaT
        assert values == [str(v) for v in getattr(again.episodes, name).tolist()]
    assert np.array_equal(first.population.visibility, again.population.visibility)
    assert not np.array_equal(first.population.birth_year, other.population.birth_year)


def test_users_and_registered_people_match_the_published_figures(kyrgyzstan):
    national = truth(kyrgyzstan)["national"]
    year, early = national["2003"], national["2002"]["registered_people"]
    assert 80_000 <= year["users"] <= 100_000
    assert 5_000 <= early <= 6_200
    assert 10 <= year["users"] / early <= 18
    # people stay registered for years: the register holds several years' entrants, and
    # follows the users' growth (6% a year) rather than the simulation's start
    assert 3 * year["treated_people"] < early
    growth = (national["2004"]["registered_people"] / national["1998"]["registered_people"]) ** (
        1 / 6
    )
    assert 1.03 < growth < 1.10


def test_registrations_are_removed_for_the_documented_reasons(kyrgyzstan):
    episodes = kyrgyzstan.episodes
    programme = np.asarray(episodes.programme.labels)[episodes.programme.codes]
    registration = programme == REGISTRATION
    reasons = np.asarray(episodes.discharge_reason.labels)[episodes.discharge_reason.codes]
    closed = registration & ~np.isnat(episodes.discharge)
    assert set(reasons[closed]) == {"completed_drug_free", "died", "moved_away", "imprisoned"}
    assert set(reasons[registration & np.isnat(episodes.discharge)]) == {""}
    # a registration opened by a written admission shares its day, typed identity and items
    treated = ~registration & (programme != "ost")
    starts = set(zip(episodes.person[treated].tolist(), episodes.admission[treated].tolist(),
                     strict=True))  # fmt: skip
    reported = registration & (episodes.admission >= np.datetime64("1998-01-01"))
    assert all(
        (p, a) in starts
        for p, a in zip(episodes.person[reported].tolist(), episodes.admission[reported].tolist(),
                        strict=True)
    )  # fmt: skip
    # remission removals come 3-5 years after the person stopped using
    population = kyrgyzstan.population
    ceased = closed & (reasons == "completed_drug_free")
    people = episodes.person[ceased]
    lag = episodes.discharge[ceased].astype("datetime64[Y]").astype(int) + 1970
    lag = lag - population.exit_year[people]
    assert lag.min() >= 3 and lag.max() <= 5


def test_every_country_is_calibrated_on_its_own_figures():
    for country, users, registered in (
        ("KZ", 175_500, 49_736),
        ("TJ", 50_000, 8_813),
        ("UZ", 78_000, 21_360),
    ):
        national = truth(simulate(country, 2002, 2003, scale=0.02, seed=1))["national"]
        assert national["2003"]["users"] == pytest.approx(users * 0.02, rel=0.1), country
        early = national["2002"]["registered_people"]
        assert early == pytest.approx(registered * 0.02, rel=0.15), country


def test_opioids_dominate_and_heroin_grows(kyrgyzstan):
    population = kyrgyzstan.population
    active = population.active(2003)
    shares = np.bincount(population.drug[active], minlength=len(DRUGS)) / active.sum()
    assert shares[DRUGS.index("1.1")] + shares[DRUGS.index("1.5")] > 0.6
    assert shares[DRUGS.index("1.1")] > shares[DRUGS.index("7.1")] > shares[DRUGS.index("3.4")]
    heroin = population.drug == DRUGS.index("1.1")
    late, early = population.entry_year == 2003, population.entry_year == 1995
    assert heroin[late].mean() > heroin[early].mean() + 0.1


def test_hiv_among_injectors_is_near_zero_before_1997_then_rises():
    national = truth(simulate("KG", 1994, 2004, scale=0.2, seed=3))["national"]
    prevalence = {
        int(year): values["hiv_prevalence_injectors"] for year, values in national.items()
    }
    assert prevalence[1996] < 0.005
    assert prevalence[1997] < prevalence[2000] < prevalence[2002] < prevalence[2004]
    assert 0.01 < prevalence[2003] < 0.08


def test_ost_only_at_the_pilot_sites_from_2002_with_about_100_places(kyrgyzstan):
    enrolments = kyrgyzstan.enrolments
    assert {e.centre for e in enrolments} == {"RNC", "OSH"}
    assert min(e.enrolment_date for e in enrolments) >= np.datetime64("2002-01-01")
    end = np.datetime64("2004-12-31")
    on_ost = sum(1 for e in enrolments if e.exit_date is None or e.exit_date > end)
    assert 80 <= on_ost <= 110
    population = kyrgyzstan.population
    assert all(population.injects[e.person] for e in enrolments)
    reasons = {why for e in enrolments for *_, why in e.changes}
    assert "missed_doses" in reasons  # re-induction after a gap
    assert reasons <= set(DOSE_CHANGE_REASONS)
    gaps = [np.diff(e.dose_dates).astype(int).max() for e in enrolments if len(e.dose_dates) > 1]
    assert max(gaps) > 2


def test_typing_errors_split_a_small_share_of_identities():
    sim = simulate(scale=0.2, seed=7)
    coder = Coder(KEY)
    episodes = sim.episodes
    codes = [
        coder.typed_code(sim.identities, int(p), episodes.typing, i)
        for i, p in enumerate(episodes.person)
    ]
    pairs = set(zip(episodes.person.tolist(), codes, strict=True))
    people = len(set(episodes.person.tolist()))
    split_rate = (len(pairs) - people) / people
    # a registration is typed with the admission that opens it (one typing, two rows), so
    # count each typing once; only a person typed more than once can end up with two codes
    latin, has_typo, seed = episodes.typing
    typings = {*zip(episodes.person.tolist(), latin.tolist(), has_typo.tolist(), seed.tolist(),
                    strict=True)}  # fmt: skip
    typed = np.bincount([person for person, *_ in typings])
    typos = sum(typo for *_, typo, _seed in typings) / people
    typos_of_retyped = sum(typo for person, _, typo, _ in typings if typed[person] > 1) / people
    # a typo changes the code unless it misses the SLK letters; never more than one per typo
    assert 0.3 * typos_of_retyped <= split_rate <= typos
    # most people are typed at one admission in the reported years (the register, not
    # repeated treatment, keeps them in the registry), so splits are rarer than typos
    assert 0.001 < split_rate < 0.05

    clean = simulate(scale=0.2, seed=7, params=Parameters(typo_rate=0.0))
    clean_codes = {
        coder.typed_code(clean.identities, int(p), clean.episodes.typing, i)
        for i, p in enumerate(clean.episodes.person)
    }
    clean_people = len(set(clean.episodes.person.tolist()))
    # without typos one code per person, bar the rare SLK-581 collision
    assert clean_people * 0.995 <= len(clean_codes) <= clean_people


def test_capture_recapture_recovers_the_true_population_and_the_expected_ratio(kyrgyzstan):
    lists = capture_lists(kyrgyzstan, KEY, 2003)
    histories = CaptureHistories.from_sets(lists)
    averaged = model_average(search_models(histories, criterion="aic"), criterion="aic")
    low, high = averaged.conf_int(0.05)
    true_users = truth(kyrgyzstan)["national"]["2003"]["users"]
    assert low <= true_users <= high
    # one run's estimate is noisy (its interval is as wide as the truth): the estimated ratio
    # to the register (early 2003) must be compatible with the published 10-18
    registered = truth(kyrgyzstan)["national"]["2002"]["registered_people"]
    assert low / registered <= 18 and high / registered >= 10
    assert 8 <= averaged.abundance / registered <= 22
