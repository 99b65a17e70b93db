"""Fixtures for the estimation tests: run the CLI in-process and capture its output."""

from __future__ import annotations

import json

import pytest

from estimation.cli import main


@pytest.fixture
def run_cli(capsys):
    """Run ``python -m estimation ARGS`` in-process; return (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture
def run_json(run_cli):
    """Run a command with ``--json`` and return the parsed output (exit code must be 0)."""

    def run(*args: str):
        code, out, err = run_cli(*args, "--json")
        assert code == 0, err
        return json.loads(out)

    return run
