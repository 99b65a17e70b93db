"""Where the server's CPU goes under load: py-spy samples of the gunicorn workers.

``bench/load.py --profile DIR`` calls :func:`start` when the measured run begins and
:func:`report` after it. py-spy (a dev dependency) reads the workers' Python stacks from
outside, 100 times a second, without pausing them (``--nonblocking``), and only the thread
holding the GIL (``--gil``): the samples are where the CPU went, not threads waiting for a
request, the database or their turn. Unlike ``bench/request_cpu.py`` (one request at a
time in process), this includes gunicorn, HTTP, the threads' contention and the real mix.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from processes import processes

#: A frame of py-spy's raw output: ``function (path:line)``.
FRAME = re.compile(r"^(?P<function>.*) \((?P<path>[^()]*?)(?::\d+)?\)$")


def worker_pids(server_pid: int) -> list[int]:
    """The gunicorn workers under ``python -m registry.serve`` (the master's children)."""
    table = processes()
    masters = [
        p.pid for p in table.values() if p.parent == server_pid and "gunicorn" in p.command_line()
    ]
    return sorted(p.pid for p in table.values() if p.parent in masters)


def start(server_pid: int, seconds: float, folder: Path) -> list[tuple[subprocess.Popen, Path]]:
    """One py-spy per worker for ``seconds``; its raw stacks go to ``folder`` (one
    ``function (file:line);...  count`` line per stack, as flamegraph.pl reads them)."""
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if spy is None:
        raise SystemExit("--profile needs py-spy: make install-dev (or pip install py-spy)")
    folder.mkdir(parents=True, exist_ok=True)
    runs = []
    for pid in worker_pids(server_pid):
        out = folder / f"py-spy-{pid}.txt"
        command = [spy, "record", "--pid", str(pid), "--duration", str(max(1, int(seconds))),
                   "--rate", "100", "--gil", "--nonblocking", "--format", "raw",
                   "--output", str(out)]  # fmt: skip
        runs.append(
            (subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), out)
        )
    return runs


def report(runs: list[tuple[subprocess.Popen, Path]], top: int = 30) -> None:
    """Print the samples' share by package (self time) and by function (inclusive)."""
    by_package, inclusive, total = Counter(), Counter(), 0
    for process, out in runs:
        _, errors = process.communicate(timeout=120)
        if process.returncode != 0 or not out.exists():
            print(f"py-spy failed: {errors.decode(errors='replace')[-500:]}")
            continue
        for line in out.read_text(errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            frames = [FRAME.match(frame) for frame in stack.split(";")]
            names = [f"{m['function']} ({m['path']})" for m in frames if m]
            if not names:
                continue
            total += int(count)
            by_package[package(frames[-1]["path"] if frames[-1] else "")] += int(count)
            for name in set(names):
                inclusive[name] += int(count)
    if not total:
        return
    print(f"\nServer CPU by package (self time; {total} samples of the workers, GIL held):")
    for name, count in by_package.most_common(12):
        print(f"  {count / total:6.1%}  {name}")
    print(f"\nServer CPU by function (inclusive, top {top}):")
    for name, count in inclusive.most_common(top):
        print(f"  {count / total:6.1%}  {name}")


def package(path: str) -> str:
    """``sqlalchemy.orm``, ``jinja2``, ``registry.web`` ... from a frame's file (py-spy
    gives paths from the package, without ``site-packages``)."""
    if path.endswith(".html"):
        return "templates (compiled)"
    parts = path.split("/")
    first = parts[0].removesuffix(".py")
    if first in sys.stdlib_module_names:
        return "python (standard library)"
    if first in ("sqlalchemy", "registry") and len(parts) > 2:
        return f"{first}.{parts[1]}"
    return first or "?"
