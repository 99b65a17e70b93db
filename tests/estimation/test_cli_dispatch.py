"""The ``python -m estimation`` dispatcher: a light command table, modules imported on use."""

import argparse
import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import estimation.cli
from estimation.cli import COMMANDS, Command, build_parser, main

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("numpy", "scipy", "pandas", "statsmodels", "lifelines")


class _Recorder:
    """Stands in for argparse's subparsers action and records what a module registers."""

    def __init__(self, module: str) -> None:
        self.module = module
        self.commands: list[Command] = []
        self._subparsers = argparse.ArgumentParser().add_subparsers()

    def add_parser(self, name: str, **kwargs) -> argparse.ArgumentParser:
        self.commands.append(Command(name, kwargs.get("help"), self.module))
        return self._subparsers.add_parser(name, **kwargs)


def test_command_table_matches_what_the_modules_register():
    registered = []
    for info in sorted(pkgutil.iter_modules(estimation.cli.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):  # shared helpers, not a command
            continue
        recorder = _Recorder(info.name)
        importlib.import_module(f"estimation.cli.{info.name}").register(recorder)
        assert recorder.commands, f"estimation.cli.{info.name} registers no command"
        registered += recorder.commands
    assert list(COMMANDS) == registered


def test_help_imports_no_scientific_library():
    probe = (
        "import json, runpy, sys\n"
        "sys.argv = ['estimation', '--help']\n"
        "try:\n"
        "    runpy.run_module('estimation', run_name='__main__')\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "capture-recapture" in result.stdout
    assert json.loads(result.stdout.splitlines()[-1]) == []


def test_a_command_imports_only_its_module():
    probe = (
        "import sys\n"
        "from estimation.cli import main\n"
        "assert main(['project', '--base-year', '2024', '--value', '100', '--json']) == 0\n"
        "print(sorted(m for m in sys.modules if m.startswith('estimation.cli.')\n"
        "             and not m.startswith('estimation.cli._')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "['estimation.cli.project']"


@pytest.mark.parametrize("command", [entry.name for entry in COMMANDS])
def test_every_command_shows_its_own_help(command, capsys):
    with pytest.raises(SystemExit) as exit:
        main([command, "--help"])
    assert exit.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: python -m estimation {command} [-h]")
    assert "--json" in out


def test_a_module_with_two_commands_gets_both_parsers():
    parser = build_parser("petersen")
    args = parser.parse_args(["capture-recapture", "lists.csv", "--search", "bic"])
    assert (args.command, args.search, callable(args.func)) == ("capture-recapture", "bic", True)


def test_unknown_command_and_missing_command_are_usage_errors(capsys):
    for argv in (["nope"], []):
        with pytest.raises(SystemExit) as exit:
            main(argv)
        assert exit.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'nope' (choose from 'capture-recapture', 'petersen'," in err
    assert "the following arguments are required: COMMAND" in err


def _write_hiv_lists(path: Path) -> str:
    from estimation.capture_recapture import rome_hiv

    histories = rome_hiv()
    rows = [",".join(histories.lists) + ",freq"]
    rows += [
        ",".join(map(str, pattern)) + f",{count}"
        for pattern, count in zip(histories.patterns, histories.counts, strict=True)
    ]
    path.write_text("\n".join(rows) + "\n")
    return str(path)


SMALL_COMMANDS = {
    "petersen": ["petersen", "5600", "1200", "85"],
    "closedp table": ["capture-recapture", "{lists}"],
    "search": ["capture-recapture", "{lists}", "--search", "bic"],
    "one model": ["capture-recapture", "{lists}", "--model", "[12,3,4]", "--ci", "wald"],
    "coverage": ["coverage", "--on-ost", "100", "--estimate", "1000"],
    "project": ["project", "--base-year", "2024", "--value", "100"],
    "multiplier": ["multiplier", "--benchmark", "500", "--sample-size", "200",
                   "--in-benchmark", "40"],
    "regional table": ["regional-table", "--hiv", "--claimed-ratio", "10:15",
                       "--claimed-total", "350000"],
    "count estimators": ["count-estimators", "{counts}"],
    "hiv trend": ["hiv-trend", "{years}"],
    "hiv trend, permutation": ["hiv-trend", "{years}", "--selection", "permutation",
                               "--permutations", "99", "--seed", "1"],
    "hiv trend, incidence": ["hiv-trend", "{years}", "--seroconversions", "3",
                             "--person-years", "120"],
    "retention": ["retention", "{retention}", "--duration-col", "time", "--event-col", "status",
                  "--group-col", "x", "--covariates", "age"],
}  # fmt: skip


def _write_small_inputs(folder: Path) -> dict[str, str]:
    counts, years, retention = folder / "counts.csv", folder / "years.csv", folder / "aml.csv"
    counts.write_text("count,freq\n1,120\n2,30\n3,8\n4,2\n")
    years.write_text("year,tested,positive\n2019,250,20\n2020,260,25\n2021,240,27\n")
    rows = ["time,status,x,age"] + [
        f"{t},{e},{'Maintained' if i % 2 else 'Nonmaintained'},{30 + 7 * i % 25}"
        for i, (t, e) in enumerate(zip([9, 13, 18, 23, 28, 31, 34, 45, 48, 5, 8, 12, 27, 30],
                                       [1, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1], strict=True))
    ]  # fmt: skip
    retention.write_text("\n".join(rows) + "\n")
    return {"counts": str(counts), "years": str(years), "retention": str(retention)}


@pytest.mark.parametrize("name", sorted(SMALL_COMMANDS))
def test_small_commands_start_without_scipy_or_pandas(name, tmp_path):
    """A second of start-up each (issue 16): none is imported unless a method needs it."""
    files = _write_small_inputs(tmp_path)
    lists = _write_hiv_lists(tmp_path / "hiv.csv")
    argv = [arg.format(lists=lists, **files) for arg in SMALL_COMMANDS[name]]
    probe = (
        "import json, runpy, sys\n"
        f"sys.argv = ['estimation', *{argv!r}]\n"
        "try:\n"
        "    runpy.run_module('estimation', run_name='__main__')\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
        "heavy = ('scipy', 'pandas', 'statsmodels', 'lifelines')\n"
        "print(json.dumps([m for m in heavy if m in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == []
