"""Every Examples section in the library must stay true, and the public face documented.

Modules are discovered, not listed: a new module of :mod:`estimation` (any subpackage,
the command line included) has its doctests run without anyone adding it here.
"""

import doctest
import importlib
import pkgutil
import subprocess
import sys

import pytest

import estimation

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(estimation.__path__, prefix="estimation.")
    if info.name != "estimation.__main__"  # running it starts the command line
)


def test_discovery_finds_every_package():
    assert "estimation.capture_recapture.search" in MODULES
    assert "estimation.retention" in MODULES
    assert "estimation.cli.capture_recapture" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


@pytest.mark.parametrize("name", estimation.__all__)
def test_every_public_name_is_importable_and_documented(name):
    value = getattr(estimation, name)
    assert (value.__doc__ or "").strip(), f"estimation.{name} has no docstring"
    assert f"estimation.{name}" not in sys.modules, f"{name} is shadowed by a module"


def test_public_names_of_capture_recapture_are_documented():
    import estimation.capture_recapture as package

    for name in package.__all__:
        assert getattr(package, name).__doc__, name


def test_importing_the_library_loads_no_scientific_stack():
    probe = (
        "import sys, estimation, estimation.capture_recapture\n"
        "print(sorted(m for m in ('scipy', 'pandas', 'statsmodels', 'lifelines')"
        " if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_modules_behind_the_public_face_keep_working():
    # the registry imports these modules by name (aliases kept for one release)
    from estimation import count_estimators, hiv_trend

    assert callable(count_estimators.count_estimators) and callable(hiv_trend.logistic_trend)
