"""The analytics XLSX read by LibreOffice in a Russian locale: numbers stay numbers.

The issue: opened in LibreOffice under ``ru_RU``, every decimal of the CSV download
arrived as text (a Russian locale expects a decimal comma). Here LibreOffice itself
(``soffice --headless``, Debian's ``libreoffice-calc-nogui``, which ``.ci/run``
installs) converts the XLSX download to CSV under ``LANG=ru_RU.UTF-8``, writing each
cell as shown: a number cell is shown in the locale, so ``0.2`` comes out as ``0,2``,
while a text cell would come out unchanged. Skipped without ``soffice``; a failure under
``REQUIRE_LIBREOFFICE=1`` (``.ci/run``).
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.registry.analytics.test_analytics_spreadsheets import QUERY, get  # noqa: F401

#: LibreOffice's CSV export: comma, double quote, UTF-8 (76), from line 1.
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1"


@pytest.fixture
def app_config() -> dict:
    return {"SUPPRESSION_THRESHOLD": 1}  # the small registry's rates with decimals


@pytest.fixture
def soffice() -> str:
    path = shutil.which("soffice")
    if path is None:
        if os.environ.get("REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("REQUIRE_LIBREOFFICE=1 but soffice is not installed")
        pytest.skip("LibreOffice (soffice) is not installed; .ci/run installs it")
    return path


def russian(value: float) -> str:
    """``value`` as LibreOffice shows it in ru_RU with the number format ``0.0#####``."""
    text = f"{value:.6f}".rstrip("0")
    return (text + "0" if text.endswith(".") else text).replace(".", ",")


def test_decimals_of_the_xlsx_stay_numbers_under_a_russian_locale(get, soffice, tmp_path: Path):  # noqa: F811
    body = get(f"/api/v1/analytics?{QUERY}").get_json()
    workbook = tmp_path / "analytics.xlsx"
    workbook.write_bytes(get(f"/api/v1/analytics.xlsx?{QUERY}").data)
    env = {**os.environ, "LANG": "ru_RU.UTF-8", "LC_ALL": "ru_RU.UTF-8", "HOME": str(tmp_path)}
    subprocess.run(
        [soffice, "--headless", "--convert-to", CSV_FILTER, "--outdir", str(tmp_path / "out"),
         str(workbook)],
        env=env, check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    with open(tmp_path / "out" / "analytics.csv", encoding="utf-8", newline="") as file:
        lines = list(csv.reader(file))
    assert lines[0][0] == "Indicator"
    assert len(lines) == len(body["rows"]) + 1
    decimals = 0
    for fields, values in zip(lines[1:], body["rows"], strict=True):
        for field, value in zip(fields, values, strict=True):
            if value is None:
                assert field == ""
            elif isinstance(value, float):
                assert field == russian(value)  # shown in the locale: a number cell
                decimals += not value.is_integer()
            else:
                assert field == str(value)
    assert decimals
