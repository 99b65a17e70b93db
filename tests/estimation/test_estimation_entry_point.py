"""``python -m estimation`` as a separate process: every command of part 2 is registered."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = (
    "multiplier",
    "count-estimators",
    "hiv-trend",
    "retention",
    "coverage",
    "project",
    "regional-table",
)


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "estimation", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_help_lists_every_command():
    result = _run("--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout


def test_regional_table_json_in_a_subprocess():
    result = _run("regional-table", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["issues"][0]["country"] == "Tajikistan"
