"""The README's description of the default demo matches what ``flask demo load`` prints.

The README once said about 29,000 clients and 45,000 episodes while the load printed
about 9,000 and 16,000. This loads the default demo (``make run``'s, scale 1.0, seed
2003: some seconds) and reads both.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
#: What the README says of the default demo: "about 9,000 clients, 16,300 treatment ..."
DESCRIBED = re.compile(r"about ([\d,]+) clients(?: and|,) ([\d,]+) treatment episodes")
PRINTED = re.compile(r"([\d,]+) clients, ([\d,]+) episodes")


def number(text: str) -> int:
    return int(text.replace(",", ""))


def test_the_readme_gives_the_default_demos_counts(backend, runner, tmp_path):
    if backend != "sqlite":
        pytest.skip("the counts do not depend on the backend; one load is enough")
    result = runner.invoke(args=["demo", "load", "--lists-out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    clients, episodes = map(number, PRINTED.search(result.output).groups())
    readme = README.read_text()
    about_clients, about_episodes = map(number, DESCRIBED.search(readme).groups())
    assert abs(about_clients - clients) <= 0.02 * clients
    assert abs(about_episodes - episodes) <= 0.02 * episodes
    quoted = PRINTED.search(readme[readme.index("Demo loaded:") :])
    assert quoted and tuple(map(number, quoted.groups())) == (clients, episodes)
