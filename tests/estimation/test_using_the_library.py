"""docs/using-the-library.md: every example on the page runs and prints what it shows."""

import doctest
from pathlib import Path

PAGE = Path(__file__).resolve().parents[2] / "docs" / "using-the-library.md"


def test_the_page_examples_run():
    result = doctest.testfile(
        str(PAGE), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted >= 20
    assert result.failed == 0


def test_every_method_family_has_an_example():
    text = PAGE.read_text()
    for call in ("search_models(", "petersen(", "chao(", "multiplier_estimate(",
                 "ost_coverage(", "logistic_trend(", "project(", "kaplan_meier(",
                 "synthesise("):  # fmt: skip
        assert call in text, call
