"""Capture histories: which of k lists each observed person appears on.

A :class:`CaptureHistories` holds the names of the ``k`` lists and the frequency of each
of the ``2**k - 1`` observable histories (the all-zero history is never observed: it is
the "dark figure" the estimators extrapolate to).

Cells are stored in Rcapture's order (``histpos.t``): the history read as a binary
number with list 1 as the most significant digit, from ``11...1`` down to ``00...1``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pandas is imported only by the methods that return data frames
    import pandas as pd

__all__ = ["CaptureHistories", "history_patterns"]

MAX_LISTS = 20


def history_patterns(n_lists: int) -> np.ndarray:
    """Return the ``(2**k - 1, k)`` 0/1 matrix of observable histories, Rcapture's order.

    Examples
    --------
    >>> history_patterns(2).tolist()
    [[1, 1], [1, 0], [0, 1]]
    """
    codes = np.arange(2**n_lists - 1, 0, -1)
    shifts = np.arange(n_lists - 1, -1, -1)
    return ((codes[:, None] >> shifts) & 1).astype(np.int64)


def _as_counts(values: Iterable[object], what: str) -> np.ndarray:
    array = np.asarray(list(values) if not isinstance(values, np.ndarray) else values)
    if array.size and array.dtype.kind not in "iufb":
        raise ValueError(f"{what} must be numbers, got {array.dtype}")
    array = array.astype(float)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} must be finite numbers")
    if np.any(array < 0):
        raise ValueError(f"{what} must be non-negative, got {array[array < 0][0]:g}")
    if np.any(array != np.round(array)):
        raise ValueError(
            f"{what} must be whole numbers, got {array[array != np.round(array)][0]:g}"
        )
    return array.astype(np.int64)


def _number(text: str, column: str) -> float | str:
    """A CSV cell as a number (``nan`` when empty); other text is kept for the checks."""
    if text == "":
        return float("nan")
    try:
        return float(text)
    except ValueError:
        return text  # the checks of list and frequency columns name the problem


def _has_missing(values: np.ndarray) -> bool:
    values = np.asarray(values)
    if values.dtype.kind == "f":
        return bool(np.isnan(values).any())
    if values.dtype.kind == "O":
        return any(v is None or (isinstance(v, float) and v != v) for v in values)
    return False


def _check_binary(matrix: np.ndarray, names: Sequence[str]) -> np.ndarray:
    if matrix.dtype.kind not in "iufb":
        for j, name in enumerate(names):
            column = matrix[:, j]
            if not all(isinstance(v, int | float | np.number) and v in (0, 1) for v in column):
                raise ValueError(f"list column {name!r} must contain only 0 and 1")
        matrix = matrix.astype(float)
    bad = ~np.isin(matrix, (0, 1))
    if np.any(bad):
        column = names[int(np.nonzero(bad)[1][0])]
        raise ValueError(f"list column {column!r} must contain only 0 and 1")
    return matrix.astype(np.int64)


@dataclass(frozen=True)
class CaptureHistories:
    """Frequencies of the observable capture histories of ``k`` overlapping lists.

    Build it with :meth:`from_frequencies`, :meth:`from_individuals`, :meth:`from_sets` or
    :meth:`from_frame` rather than directly.

    Attributes
    ----------
    lists : tuple of str
        Names of the ``k`` lists (sources), in order.
    counts : numpy.ndarray
        Integer frequency of each of the ``2**k - 1`` histories, in the order of
        :func:`history_patterns` (list 1 most significant, ``11...1`` first).

    Examples
    --------
    >>> h = CaptureHistories.from_frequencies(["A", "B"], {"11": 10, "10": 40, "01": 20})
    >>> h.observed, h.list_totals.tolist()
    (70, [50, 30])
    """

    lists: tuple[str, ...]
    counts: np.ndarray = field(repr=False)

    def __post_init__(self) -> None:
        lists = tuple(str(name) for name in self.lists)
        object.__setattr__(self, "lists", lists)
        if len(lists) < 2:
            raise ValueError(f"capture-recapture needs at least 2 lists, got {len(lists)}")
        if len(lists) > MAX_LISTS:
            raise ValueError(f"at most {MAX_LISTS} lists are supported, got {len(lists)}")
        if len(set(lists)) != len(lists):
            raise ValueError(f"list names must be distinct, got {list(lists)}")
        counts = _as_counts(self.counts, "history frequencies")
        if counts.shape != (2 ** len(lists) - 1,):
            raise ValueError(
                f"expected {2 ** len(lists) - 1} history frequencies for {len(lists)} lists"
            )
        counts.setflags(write=False)
        object.__setattr__(self, "counts", counts)
        if counts.sum() == 0:
            raise ValueError("no observations: every history frequency is zero")
        empty = [name for name, total in zip(lists, self.list_totals, strict=True) if total == 0]
        if empty:
            raise ValueError(f"list {empty[0]!r} captured nobody; drop it before estimating")

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_frequencies(
        cls, lists: Sequence[str], frequencies: Mapping[str, int] | Mapping[tuple[int, ...], int]
    ) -> CaptureHistories:
        """Build from ``{history: frequency}``; a history is a 0/1 string or tuple.

        Histories not given have frequency 0; an all-zero history must have frequency 0.
        """
        k = len(lists)
        if k < 2:
            raise ValueError(f"capture-recapture needs at least 2 lists, got {k}")
        counts = np.zeros(2**k - 1, dtype=np.int64)
        for history, value in frequencies.items():
            bits = [int(ch) for ch in history] if isinstance(history, str) else list(history)
            if len(bits) != k or any(bit not in (0, 1) for bit in bits):
                raise ValueError(f"history {history!r} must be {k} digits 0 or 1")
            (number,) = _as_counts([value], f"frequency of history {history!r}")
            code = int("".join(map(str, bits)), 2)
            if code == 0:
                if number:
                    raise ValueError("the all-zero history cannot be observed")
                continue
            counts[2**k - 1 - code] += number
        return cls(tuple(lists), counts)

    @classmethod
    def from_individuals(cls, lists: Sequence[str], rows: object) -> CaptureHistories:
        """Build from one 0/1 row per person (columns in the order of ``lists``).

        Rows of all zeros are ignored (such a person was not captured).
        """
        matrix = np.asarray(rows)
        if matrix.ndim != 2 or matrix.shape[1] != len(lists):
            raise ValueError(f"expected a matrix with {len(lists)} columns, one per list")
        matrix = _check_binary(matrix, lists)
        return cls._from_matrix(lists, matrix, np.ones(len(matrix), dtype=np.int64))

    @classmethod
    def from_sets(cls, sources: Mapping[str, Iterable[object]]) -> CaptureHistories:
        """Build from ``{list name: client codes on that list}`` (record linkage by code)."""
        names = list(sources)
        members = [set(values) for values in sources.values()]
        people = sorted(set().union(*members), key=str) if members else []
        matrix = np.array([[code in group for group in members] for code in people], dtype=np.int64)
        if not people:
            matrix = np.zeros((0, len(names)), dtype=np.int64)
        return cls._from_matrix(names, matrix, np.ones(len(people), dtype=np.int64))

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, *, lists: Sequence[str] | None = None, freq: str | None = "freq"
    ) -> CaptureHistories:
        """Build from a data frame of 0/1 list columns plus an optional frequency column.

        Without a ``freq`` column each row is one person.
        """
        columns = {name: frame[name].to_numpy() for name in frame.columns}
        return cls._from_columns(columns, lists=lists, freq=freq)

    @classmethod
    def from_csv(
        cls, path: str, *, lists: Sequence[str] | None = None, freq: str | None = "freq"
    ) -> CaptureHistories:
        """Read a CSV file of 0/1 list columns plus an optional frequency column (as
        :meth:`from_frame`, without pandas: the command line starts faster)."""
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
        if len(rows) < 2:
            raise ValueError(f"{path}: no rows")
        header = [name.strip() for name in rows[0]]
        columns = {}
        for j, name in enumerate(header):
            values = [row[j].strip() if j < len(row) else "" for row in rows[1:]]
            parsed = [_number(v, name) for v in values]
            kind = float if all(isinstance(v, float) for v in parsed) else object
            columns[name] = np.array(parsed, dtype=kind)
        return cls._from_columns(columns, lists=lists, freq=freq)

    @classmethod
    def _from_columns(
        cls,
        columns: Mapping[str, np.ndarray],
        *,
        lists: Sequence[str] | None,
        freq: str | None,
    ) -> CaptureHistories:
        has_freq = freq is not None and freq in columns
        if lists is None:
            lists = [column for column in columns if column != freq]
        missing = [name for name in lists if name not in columns]
        if missing:
            raise ValueError(f"columns not found: {missing}")
        list_values = [np.asarray(columns[name]) for name in lists]
        if any(_has_missing(values) for values in list_values):
            raise ValueError("list columns must not have missing values")
        n_rows = len(list_values[0]) if list_values else 0
        matrix = np.column_stack(list_values) if list_values else np.zeros((n_rows, 0))
        matrix = _check_binary(matrix, list(lists))
        if has_freq:
            if _has_missing(columns[freq]):
                raise ValueError(f"column {freq!r} must not have missing values")
            weights = _as_counts(columns[freq], f"column {freq!r}")
        else:
            weights = np.ones(n_rows, dtype=np.int64)
        return cls._from_matrix(list(lists), matrix, weights)

    @classmethod
    def _from_matrix(cls, lists: Sequence[str], matrix: np.ndarray, weights: np.ndarray):
        k = len(lists)
        if k < 2:
            raise ValueError(f"capture-recapture needs at least 2 lists, got {k}")
        codes = matrix @ (1 << np.arange(k - 1, -1, -1)) if len(matrix) else np.zeros(0, int)
        seen = codes > 0
        counts = np.bincount(
            2**k - 1 - codes[seen], weights=weights[seen], minlength=2**k - 1
        ).astype(np.int64)
        return cls(tuple(lists), counts)

    # ------------------------------------------------------------------ derived values
    @property
    def n_lists(self) -> int:
        """Number of lists ``k``."""
        return len(self.lists)

    @property
    def observed(self) -> int:
        """Number of distinct people observed on at least one list, ``n``."""
        return int(self.counts.sum())

    @property
    def patterns(self) -> np.ndarray:
        """The ``(2**k - 1, k)`` 0/1 matrix of histories matching :attr:`counts`."""
        return history_patterns(self.n_lists)

    @property
    def list_totals(self) -> np.ndarray:
        """Number of people on each list."""
        return self.counts @ self.patterns

    def describe(self) -> pd.DataFrame:
        """Rcapture's ``descriptive`` statistics, one row per ``i = 1..k``.

        ``fi`` people on exactly ``i`` lists (a convex ``log fi`` curve hints at
        heterogeneity), ``ui`` people whose first list is list ``i``, ``vi`` people whose
        last list is list ``i``, ``ni`` people on list ``i``.
        """
        patterns = self.patterns
        k = self.n_lists
        captures = patterns.sum(axis=1)
        first = np.argmax(patterns == 1, axis=1)
        last = k - 1 - np.argmax(patterns[:, ::-1] == 1, axis=1)
        import pandas as pd

        frame = pd.DataFrame(
            {
                "fi": np.bincount(captures - 1, weights=self.counts, minlength=k),
                "ui": np.bincount(first, weights=self.counts, minlength=k),
                "vi": np.bincount(last, weights=self.counts, minlength=k),
                "ni": self.list_totals,
            },
            index=pd.RangeIndex(1, k + 1, name="i"),
        )
        return frame.astype(np.int64)

    def to_frame(self) -> pd.DataFrame:
        """Return one row per history: the 0/1 list columns and ``freq``."""
        import pandas as pd

        frame = pd.DataFrame(self.patterns, columns=list(self.lists))
        frame["freq"] = self.counts
        return frame

    def reorder(self, order: Sequence[int | str]) -> CaptureHistories:
        """Return the same data with the lists permuted (by index or name)."""
        index = [self.lists.index(item) if isinstance(item, str) else int(item) for item in order]
        if sorted(index) != list(range(self.n_lists)):
            raise ValueError("order must be a permutation of the lists")
        patterns = self.patterns[:, index]
        return CaptureHistories._from_matrix([self.lists[i] for i in index], patterns, self.counts)

    def select(self, lists: Sequence[int | str]) -> CaptureHistories:
        """Return the histories restricted to some of the lists (collapsing the others)."""
        index = [self.lists.index(item) if isinstance(item, str) else int(item) for item in lists]
        patterns = self.patterns[:, index]
        return CaptureHistories._from_matrix([self.lists[i] for i in index], patterns, self.counts)

    def with_counts(self, counts: np.ndarray) -> CaptureHistories:
        """Return histories with the same lists and new frequencies."""
        return CaptureHistories(self.lists, np.asarray(counts))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CaptureHistories):
            return NotImplemented
        return self.lists == other.lists and np.array_equal(self.counts, other.counts)

    __hash__ = None  # type: ignore[assignment]
