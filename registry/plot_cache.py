"""The cache of drawn plots: in each server process and as files shared between them.

Drawing a plot takes 50-400 ms of CPU, more than any page, and a plot is asked for again
and again with the same data (the ministry dashboard of a year, a study's result), so
:func:`cached_png` keeps the last :data:`CACHE_SIZE` images of each server process, keyed
by the plot, the language and the data drawn: different data is a different key, so a
cached image is never stale. The images are also kept as files in ``PLOT_CACHE_FOLDER``
(default ``instance/plots``; mode 0700, files 0600; the :data:`DISK_CACHE_SIZE` newest),
so the server processes draw each image once between them, not once each, and a restart
does not draw them all again. The key includes a digest of the drawing code
(:data:`DRAWING_MODULES`), so an upgrade never serves an image drawn by older code.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context
from flask_babel import get_locale

__all__ = [
    "CACHE_SIZE",
    "DISK_CACHE_SIZE",
    "DRAWING_MODULES",
    "cached_png",
    "drawing_version",
    "folder_configured",
]


#: Images kept by :func:`cached_png` in each server process (a plot is 20-60 kB).
CACHE_SIZE = 128
_cache: OrderedDict[str, bytes] = OrderedDict()
_cache_lock = threading.Lock()


def cached_png(name: str, data: Any, draw: Callable[[], bytes]) -> bytes:
    """``draw()``, or the image it gave before for the same ``name``, language and ``data``.

    ``data`` is everything the plot shows (its ``repr`` is the key: plain values,
    dataclasses and dicts of them); least recently used images are dropped first.
    """
    basis = (name, str(get_locale()), data, drawing_version())
    key = hashlib.sha256(repr(basis).encode()).hexdigest()
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    folder = _disk_folder()
    image = _read(folder / f"{key}.png") if folder else None
    if image is None:
        image = draw()
        if folder:
            _write(folder, key, image)
    with _cache_lock:
        _cache[key] = image
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return image


#: The modules whose code draws the cached images (relative to the ``registry`` package).
DRAWING_MODULES = (
    "plots.py",
    "plot_style.py",
    "estimate_plots.py",
    "ministry_web/charts.py",
)


@functools.cache
def drawing_version() -> str:
    """A digest of the drawing code, part of every image's key: after an upgrade that
    changes how a plot is drawn, the files drawn by the old code are never served."""
    digest = hashlib.sha256()
    for name in DRAWING_MODULES:
        with contextlib.suppress(OSError):
            digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:16]


#: Image files kept in ``PLOT_CACHE_FOLDER``; the oldest are deleted beyond it.
DISK_CACHE_SIZE = 2048


def folder_configured() -> bool:
    """Whether images are kept as files that every server process finds."""
    return _disk_folder() is not None


def _disk_folder() -> Path | None:
    folder = current_app.config.get("PLOT_CACHE_FOLDER") if has_app_context() else None
    return Path(folder) if folder else None


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _write(folder: Path, key: str, image: bytes) -> None:
    """Store ``image`` as ``folder/key.png`` whole or not at all (another process may be
    reading); keep the :data:`DISK_CACHE_SIZE` newest files."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = folder / f".{key}.{os.getpid()}.{threading.get_ident()}"
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(image)
        os.replace(partial, folder / f"{key}.png")
        files = list(folder.glob("*.png"))
        if len(files) > DISK_CACHE_SIZE:
            files.sort(key=lambda path: path.stat().st_mtime)
            for path in files[: len(files) - DISK_CACHE_SIZE]:
                with contextlib.suppress(OSError):
                    path.unlink()
    except OSError:  # a full or read-only disk: the image is still served
        return
