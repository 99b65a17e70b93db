"""The Examples sections of the part-2 estimation modules must stay true."""

import doctest
import importlib

import pytest

MODULES = [
    "consistency",
    "count_estimators",
    "coverage",
    "episodes",
    "hiv_trend",
    "incidence",
    "intervals",
    "joinpoint",
    "multiplier",
    "pooling",
    "projection",
    "retention",
    "shares",
    "ztpoisson",
]


@pytest.mark.parametrize("name", MODULES)
def test_examples(name):
    module = importlib.import_module(f"estimation.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
