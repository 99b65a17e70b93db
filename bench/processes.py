"""The machine's processes, read from ``/proc`` (Linux): parent, command and CPU time."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Process:
    pid: int
    parent: int
    name: str  # the short command name (``python``), not its arguments
    cpu_seconds: float  # user + system so far

    def command_line(self) -> str:
        """The full command with its arguments ("" once the process has ended)."""
        try:
            raw = (Path("/proc") / str(self.pid) / "cmdline").read_bytes()
        except OSError:
            return ""
        return raw.replace(b"\0", b" ").decode(errors="replace")


def processes() -> dict[int, Process]:
    """Every process now running, by pid."""
    found, tick = {}, os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                head, fields = (entry / "stat").read_text().rsplit(")", 1)
            except OSError:
                continue
            fields = fields.split()
            found[int(entry.name)] = Process(
                pid=int(entry.name),
                parent=int(fields[1]),
                name=head.split("(", 1)[1],
                cpu_seconds=(int(fields[11]) + int(fields[12])) / tick,
            )
    return found


def tree(root: int, table: dict[int, Process]) -> list[Process]:
    """``root`` and its descendants in ``table``."""
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        if pid in table:
            found.append(table[pid])
        pending += [p.pid for p in table.values() if p.parent == pid]
    return found
