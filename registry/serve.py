"""``python -m registry.serve``: run gunicorn and the estimation worker.

Used by ``make run``. Each process is started as a child; Ctrl-C or SIGTERM stops all of
them, and if one dies the others are stopped too, so a half-running product never lingers.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

#: Extra processes to run beside gunicorn, as argument lists: the estimation worker.
COMPANIONS: list[list[str]] = [[sys.executable, "-m", "registry.jobs.worker"]]


def main(argv: list[str] | None = None) -> int:
    """Start gunicorn on ``--host``/``--port`` with the companions and wait for them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 2)))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", 4)))
    args = parser.parse_args(argv)

    commands = [
        [
            sys.executable,
            "-m",
            "gunicorn",
            "wsgi:app",
            "--bind",
            f"{args.host}:{args.port}",
            "--workers",
            str(args.workers),
            # threads: a request waiting on the database or the network does not hold a
            # process, and a quick page is not queued behind a slow one (docs/operations.md)
            "--worker-class",
            "gthread",
            "--threads",
            str(args.threads),
            "--access-logfile",
            "-",
        ],  # fmt: skip
        *COMPANIONS,
    ]
    processes = [subprocess.Popen(command) for command in commands]  # noqa: S603

    def stop(*_: object) -> None:
        for process in processes:
            if process.poll() is None:
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
    finally:
        stop()
        for process in processes:
            process.wait(timeout=30)
    return max(abs(process.returncode or 0) for process in processes)


if __name__ == "__main__":
    raise SystemExit(main())
