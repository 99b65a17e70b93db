"""Connection settings of the embedded default database, a SQLite file.

The file is shared by the gunicorn workers, the estimation worker and the analytics
refresher. In SQLite's default rollback-journal mode an open read transaction holds back
every commit, and Python's default 5 s busy timeout then turns a clinic's save into
"database is locked". :func:`configure_sqlite` therefore gives every new connection to a
SQLite *file*:

* ``journal_mode=WAL``: a reader keeps its snapshot and never blocks the writer, and the
  writer never blocks readers (writers still take turns). The mode is stored in the file,
  so the ``sqlite3`` shell and the backup command see it too; the ``-wal`` and ``-shm``
  files next to the database belong to it (``instance/`` is never committed);
* ``synchronous=NORMAL``: with WAL a power cut may lose the last commits but never
  corrupts the file, and a commit is not an fsync;
* ``busy_timeout``: a writer waits up to ``SQLITE_BUSY_TIMEOUT_SECONDS`` for another
  writer before giving up, instead of 5 s.

Foreign keys stay unenforced, SQLite's default: migrations run on these connections in
Alembic's batch mode, which rebuilds a table by dropping it, and with enforcement on that
drop deletes the rows of every ``ON DELETE CASCADE`` child (``source_list_codes`` of
``source_lists``). PostgreSQL enforces them, and the test suite runs on both.

In-memory databases (``sqlite://``) are left as they are: WAL does not apply to them.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from sqlalchemy import URL, event

log = logging.getLogger(__name__)


def configure_sqlite(app: Flask) -> None:
    """Install the pragmas above on every SQLite-file engine of ``app`` (after ``init_app``)."""
    from registry.extensions import db

    busy_timeout_ms = app.config["SQLITE_BUSY_TIMEOUT_SECONDS"] * 1000
    with app.app_context():
        engines = list(db.engines.values())
    for engine in engines:
        if is_sqlite_file(engine.url):
            event.listen(engine, "connect", _pragmas_setter(busy_timeout_ms))


def is_sqlite_file(url: URL) -> bool:
    """Whether ``url`` names a SQLite database kept in a file (not in memory)."""
    if url.get_backend_name() != "sqlite":
        return False
    database = url.database or ""
    in_memory = database in ("", ":memory:") or url.query.get("mode") == "memory"
    return not in_memory


def _pragmas_setter(busy_timeout_ms: int):
    """The ``connect`` listener: set the pragmas on a new DB-API connection."""

    def set_pragmas(dbapi_connection: Any, _connection_record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            # first, so that switching to WAL waits for a writer of another process too
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            mode = cursor.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":  # e.g. a file system without shared memory
                log.warning("SQLite stays in journal_mode=%s: readers will block writers", mode)
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    return set_pragmas
