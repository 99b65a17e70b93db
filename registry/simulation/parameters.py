"""Parameters of the simulation model, with their defaults and where they come from.

Every rate is per person and calendar year unless said otherwise. The defaults are chosen so
that a run reproduces the published figures of ../shared/DOMAIN.md §1 (registered users,
estimated users, HIV among people who inject) — see docs/simulation.md for the reasoning.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: Primary drug codes (TDI 3.0) the simulator draws from, in a fixed order.
DRUGS = ("1.1", "1.5", "7.1", "3.4", "4.2", "6", "9")

#: Share of new users per drug, with heroin's share growing over time (see ``heroin_share``).
#: Opium ("1.5") takes what heroin leaves of ``opioid_share``.
NON_OPIOID_SHARES = {"7.1": 0.20, "3.4": 0.03, "4.2": 0.02, "6": 0.01, "9": 0.02}

#: Probability that a user of the drug injects it.
INJECTING_BY_DRUG = {"1.1": 0.80, "1.5": 0.45, "7.1": 0.0, "3.4": 0.50, "4.2": 0.05, "6": 0.0,
                     "9": 0.02}  # fmt: skip

#: Relative chance of seeking narcological treatment, by drug (opioid users most often).
TREATMENT_BY_DRUG = {"1.1": 1.0, "1.5": 0.8, "7.1": 0.3, "3.4": 0.7, "4.2": 0.6, "6": 0.4,
                     "9": 0.5}  # fmt: skip


@dataclass(frozen=True)
class Parameters:
    """The model's parameters. ``asdict`` of this object goes into the truth file."""

    #: Reference year of the calibration targets (DOMAIN §1 figures are for early 2003).
    reference_year: int = 2003
    #: Years simulated before the first reported year, so durations and histories settle.
    burn_in_years: int = 15
    #: Years of contact history simulated before the first reported year ("ever treated",
    #: and the dispensary register, which keeps people for years: as long as the burn-in).
    history_years: int = 15
    #: Yearly growth of the number of users (registered users rose 18-fold 1990-2002).
    growth: float = 0.06
    #: Share of men among users.
    male_share: float = 0.87
    #: Age at first use: 14 + Gamma(shape, scale).
    onset_shape: float = 2.0
    onset_scale: float = 4.0
    #: Heroin's share of new users: base in 1995, yearly increase, cap.
    heroin_share_1995: float = 0.30
    heroin_share_slope: float = 0.035
    heroin_share_max: float = 0.62
    opioid_share: float = 0.72
    #: Yearly exit hazards: cessation, death (injectors / others), emigration.
    cessation: float = 0.07
    death_injecting: float = 0.022
    death_other: float = 0.006
    emigration: float = 0.015
    #: HIV incidence among injectors: near zero up to ``hiv_onset``, then a linear rise to the
    #: country's ``hiv_incidence_max`` over ``hiv_ramp_years``.
    hiv_background: float = 0.0002
    hiv_onset: int = 1996
    hiv_ramp_years: int = 8
    #: Standard deviation of the log of each person's visibility (shared by every source).
    heterogeneity: float = 0.5
    #: Police contacts: Poisson rate, women's multiplier, exponent on visibility.
    police_rate: float = 0.10
    police_women: float = 0.5
    police_visibility: float = 0.7
    #: Police refer to narcology: multiplier on the registration hazard after a police contact.
    police_referral: float = 2.5
    #: Prison health: yearly hazard, multiplier after a police contact, exponent on visibility.
    prison_rate: float = 0.012
    prison_after_police: float = 3.0
    prison_visibility: float = 0.5
    #: HIV testing at AIDS centres: hazard, multiplier for injectors, exponent on visibility.
    hiv_test_rate: float = 0.03
    hiv_test_injecting: float = 2.5
    hiv_test_visibility: float = 1.0
    #: Dispensary register: years of confirmed remission before removal, drawn uniformly
    #: (docs/simulation.md "The dispensary register": 3 years in Russia's 2015 order, a
    #: 5-year observation term in the USSR's 1988 order; the range is our assumption).
    register_remission_years: tuple[int, int] = (3, 5)
    #: Extra treatment episodes in a treatment year: Poisson mean.
    repeat_episodes: float = 0.3
    #: Lab tests at admission: probability of an HIV, HCV and TB test.
    lab_hiv: float = 0.5
    lab_hcv: float = 0.3
    lab_tb: float = 0.1
    #: HCV prevalence among injectors and others; TB positivity.
    hcv_injecting: float = 0.5
    hcv_other: float = 0.03
    tb_positive: float = 0.05
    #: Probability that one typed identity carries a typing error, and of Latin spelling.
    typo_rate: float = 0.02
    latin_spelling: float = 0.2
    #: OST: monthly exit hazard, months to reach full capacity, methadone target dose (mg).
    ost_exit_monthly: float = 0.035
    ost_ramp_months: int = 24
    ost_target_dose: tuple[int, int] = (60, 120)
    #: Probability per month on OST of an interruption longer than the 2-day protocol limit.
    ost_interruption_monthly: float = 0.04
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain mapping for the truth file."""
        return asdict(self)

    def heroin_share(self, year: int) -> float:
        """Heroin's share of people starting to use drugs in ``year``."""
        share = self.heroin_share_1995 + self.heroin_share_slope * (year - 1995)
        return float(min(max(share, 0.05), self.heroin_share_max))
