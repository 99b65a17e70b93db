"""Small published datasets shipped with the library, each with its citation.

They feed the documentation's worked examples and the reference tests. Every CSV keeps
its citation in ``#`` comment lines at the top.
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "load_aml",
    "load_central_asia_2003",
    "load_central_asia_hiv_2002",
    "load_dutch_immigrants_1995",
]


def _load(name: str) -> pd.DataFrame:
    import pandas as pd

    with resources.files(__name__).joinpath(name).open(encoding="utf-8") as handle:
        return pd.read_csv(handle, comment="#")


def load_central_asia_2003() -> pd.DataFrame:
    """Registered users, population and estimate ranges for four Central Asian countries.

    Columns ``country, registered, population, estimate_low, estimate_high,
    published_rate_low, published_rate_high`` (early 2003; published rates per 100,000
    copied as published, including Tajikistan's inconsistent upper figure).
    """
    return _load("central_asia_2003.csv")


def load_central_asia_hiv_2002() -> pd.DataFrame:
    """HIV infections registered in 2002 and those among people who inject drugs.

    Columns ``country, hiv_registered, among_pwid, claimed_share`` (DOMAIN §1; Uzbekistan
    as published; ``claimed_share`` blank where the source claims nothing).
    """
    return _load("central_asia_hiv_2002.csv")


def load_aml() -> pd.DataFrame:
    """Miller's (1981) acute myelogenous leukaemia data (R ``survival::aml``).

    Columns ``time`` (weeks), ``status`` (1 relapse, 0 censored), ``x`` (Maintained /
    Nonmaintained).
    """
    return _load("aml.csv")


def load_dutch_immigrants_1995() -> pd.DataFrame:
    """Police-contact frequencies of illegal immigrants, Netherlands 1995.

    Columns ``count, freq`` (van der Heijden et al. 2003; 1,880 people).
    """
    return _load("dutch_immigrants_1995.csv")
