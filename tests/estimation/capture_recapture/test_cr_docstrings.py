"""The Examples sections of the capture-recapture modules must stay true."""

import doctest
import importlib
import pkgutil

import pytest

import estimation.capture_recapture as package

MODULES = sorted(m.name for m in pkgutil.iter_modules(package.__path__))


@pytest.mark.parametrize("name", MODULES)
def test_examples(name):
    module = importlib.import_module(f"estimation.capture_recapture.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_every_public_name_is_documented():
    for name in package.__all__:
        assert getattr(package, name).__doc__, name
