"""Run small linear algebra on one OpenBLAS thread.

Public interface::

    one_blas_thread()      # context manager; a no-op where OpenBLAS cannot be found

The suppression's matrices are a few hundred rows wide. OpenBLAS splits even those over
every core, and on a busy server the threads wait for each other: measured on the
1,000,000-episode registry (2 cores, load 7), one family's suppression took 46 s with the
default threads and 2.4 s on one. The thread count is set back on leaving.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

#: (setter, getter) symbol names of the OpenBLAS builds numpy and scipy ship.
_SYMBOLS = (
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
    ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
    ("openblas_set_num_threads", "openblas_get_num_threads"),
)


@cache
def _libraries() -> tuple[tuple[object, object], ...]:
    """(set, get) functions of every OpenBLAS loaded in this process (Linux)."""
    import numpy  # noqa: F401  (loads numpy's OpenBLAS)
    import scipy.linalg  # noqa: F401  (and scipy's)

    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    except OSError:
        return ()
    found = []
    for path in sorted(paths):
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for setter, getter in _SYMBOLS:
            if hasattr(library, setter) and hasattr(library, getter):
                found.append((getattr(library, setter), getattr(library, getter)))
                break
    return tuple(found)


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Use one OpenBLAS thread inside the block."""
    libraries = _libraries()
    before = [get() for _set, get in libraries]
    for set_threads, _get in libraries:
        set_threads(1)
    try:
        yield
    finally:
        for (set_threads, _get), threads in zip(libraries, before, strict=True):
            set_threads(threads)
