"""``python -m registry.serve``: run gunicorn and the estimation worker.

Used by ``make run``. Each process is started as a child:

* gunicorn serves the site. Its control socket (``gunicornc``) is ``gunicorn.ctl`` in the
  instance folder, so instances of the same user never share one (gunicorn's default is
  ``~/.gunicorn/gunicorn.ctl``). If gunicorn exits, the worker is stopped and this
  process exits with gunicorn's status.
* the estimation worker (:data:`COMPANIONS`) is supervised: if it dies, it is started
  again after a back-off (:data:`FIRST_BACKOFF` seconds, doubled after each quick death up
  to :data:`MAX_BACKOFF`, back to the first once a worker has run :data:`STABLE_SECONDS`),
  and every death and start is logged. The site keeps serving meanwhile; jobs wait in
  the queue, and a job the dead worker was running is queued again by the new worker's
  reaper (docs/estimation-jobs.md).

Ctrl-C or SIGTERM stops all of them.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from flask import Flask

from registry.config import instance_path

log = logging.getLogger("registry.serve")

#: Extra processes to run beside gunicorn, as argument lists: the estimation worker.
COMPANIONS: list[list[str]] = [[sys.executable, "-m", "registry.jobs.worker"]]
#: Restart back-off of a companion, in seconds.
FIRST_BACKOFF, MAX_BACKOFF, STABLE_SECONDS = 1.0, 60.0, 60.0
#: gunicorn's control socket, in the instance folder.
CONTROL_SOCKET = "gunicorn.ctl"


class Supervised:
    """A companion process, started again with a back-off whenever it exits."""

    def __init__(self, command: list[str]) -> None:
        self.command = command
        self.name = command[command.index("-m") + 1] if "-m" in command else command[0]
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0.0
        self.restart_at = 0.0
        self.backoff = FIRST_BACKOFF

    def tend(self, now: float) -> None:
        """Start the process when it is due; notice and log its death."""
        if self.process is not None:
            status = self.process.poll()
            if status is None:
                if now - self.started >= STABLE_SECONDS:
                    self.backoff = FIRST_BACKOFF
                return
            log.warning("%s (pid %s) exited with status %s; starting it again in %.0f s",
                        self.name, self.process.pid, status, self.backoff)  # fmt: skip
            self.process = None
            self.restart_at = now + self.backoff
            self.backoff = min(self.backoff * 2, MAX_BACKOFF)
        if now >= self.restart_at:
            self.process = subprocess.Popen(self.command)  # noqa: S603
            self.started = now
            log.info("%s started (pid %s)", self.name, self.process.pid)

    def stop(self) -> None:
        """Terminate the process (if running) and wait for it."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def gunicorn_command(
    host: str, port: int, workers: int, instance: Path, threads: int = 4
) -> list[str]:
    """gunicorn serving ``wsgi:app``, with its control socket in ``instance``.

    Threaded workers: a request waiting on the database or the network does not hold a
    process, and a quick page is not queued behind a slow one (docs/operations.md).
    """
    return [
        sys.executable, "-m", "gunicorn", "wsgi:app",
        "--bind", f"{host}:{port}",
        "--workers", str(workers),
        "--worker-class", "gthread",
        "--threads", str(threads),
        "--access-logfile", "-",
        "--control-socket", str(instance / CONTROL_SOCKET),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Start gunicorn on ``--host``/``--port`` with the companions and watch them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 2)))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", 4)))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    instance = Path(Flask("registry", instance_path=instance_path()).instance_path)
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    web = subprocess.Popen(  # noqa: S603
        gunicorn_command(args.host, args.port, args.workers, instance, args.threads)
    )
    companions = [Supervised(command) for command in COMPANIONS]
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while not stopping and web.poll() is None:
            for companion in companions:
                companion.tend(time.monotonic())
            time.sleep(0.5)
    finally:
        if web.poll() is None:
            web.terminate()
        for companion in companions:
            companion.stop()
        web.wait(timeout=30)
    return abs(web.returncode or 0)


if __name__ == "__main__":
    raise SystemExit(main())
