"""Nested lists: one list (nearly) contained in another, which capture-recapture cannot use.

Capture-recapture learns how many people no list caught from the people one list caught
and another missed. When list A is (nearly) a part of list B -- the clients on opioid
substitution and all clients in treatment, or the same source entered twice -- the cells
"on A, not on B" are empty not by chance but by construction (structural zeros). Every
analysis of the library reads such an empty cell as evidence that B misses nobody A
catches, or as an interaction without a finite estimate, and extrapolates from it: the
estimate is then meaningless, whatever its interval says. With two lists, Lincoln and
Petersen's estimate is exactly the size of B when A lies inside B:

.. math:: \\hat N = \\frac{n_A n_B}{m_{AB}} = n_B \\quad\\text{when } m_{AB} = n_A.

:func:`nested_lists` checks every ordered pair of lists (A, B) for the share of A's
people also on B,

.. math:: s_{A \\subset B} = \\frac{m_{AB}}{n_A},

and reports the pairs with :math:`s \\ge` :data:`NESTED_SHARE` (0.95: at most one person
in twenty of A is missing from B). Two lists that each hold the other at that share
(the same source twice) are reported once, as ``mutual``. The threshold is a judgement,
not a test: lists that overlap this much by chance catch nearly everybody, and then the
estimate is also close to the observed count; either way the pair must be looked at.
What to do: leave the contained list out (it says nothing about the people the other
misses), merge the two, or model the structural zeros explicitly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from estimation.capture_recapture.histories import CaptureHistories

__all__ = ["NESTED_SHARE", "NestedPair", "nested_lists"]

#: The share of one list's people also on another above which the pair is reported.
NESTED_SHARE = 0.95


@dataclass(frozen=True)
class NestedPair:
    """A list whose people are (nearly) all on another list.

    Attributes
    ----------
    list, within : str
        The contained list (A) and the list that holds it (B).
    size : int
        People on A.
    shared : int
        People on A and on B.
    share : float
        ``shared / size``.
    mutual : bool
        B's people are as well (nearly) all on A: the two are (nearly) the same list.
    """

    list: str
    within: str
    size: int
    shared: int
    share: float
    mutual: bool = False

    @property
    def outside(self) -> int:
        """People on A but not on B (0: A lies wholly inside B)."""
        return self.size - self.shared

    @property
    def exact(self) -> bool:
        """Every person on A is on B."""
        return self.outside == 0

    def to_dict(self) -> dict[str, object]:
        """The pair as JSON-ready values, with ``outside`` and ``exact``."""
        return {**asdict(self), "outside": self.outside, "exact": self.exact}

    def describe(self) -> str:
        """One sentence in English (the command line's warning)."""
        if self.mutual:
            return (
                f"lists {self.list!r} and {self.within!r} hold nearly the same people "
                f"({100 * self.share:.1f}% of {self.list!r} is on {self.within!r}): the same "
                "source entered twice? Capture-recapture cannot use such a pair"
            )
        whole = "every person" if self.exact else f"{100 * self.share:.1f}%"
        return (
            f"list {self.list!r} is nested in {self.within!r}: {whole} of its {self.size} "
            f"people are on {self.within!r}, so the estimate extrapolates from a structural "
            f"zero; leave {self.list!r} out or merge the two"
        )


def nested_lists(
    histories: CaptureHistories, *, threshold: float = NESTED_SHARE
) -> tuple[NestedPair, ...]:
    """The pairs of lists where one is (nearly) contained in the other.

    Parameters
    ----------
    histories : CaptureHistories
    threshold : float
        Report A in B when at least this share of A's people are on B (default
        :data:`NESTED_SHARE`).

    Returns
    -------
    tuple of NestedPair
        Largest share first; a mutual pair once (A before B in the lists' order).

    Examples
    --------
    >>> h = CaptureHistories.from_frequencies(["ost", "treatment", "police"],
    ...     {"110": 40, "010": 300, "011": 20, "001": 90, "111": 5})
    >>> [(p.list, p.within, p.exact) for p in nested_lists(h)]
    [('ost', 'treatment', True)]
    """
    if not 0 < threshold <= 1:
        raise ValueError("threshold must be in (0, 1]")
    patterns = histories.patterns.astype(bool)
    counts = histories.counts
    sizes = histories.list_totals
    found: dict[tuple[int, int], NestedPair] = {}
    k = histories.n_lists
    for a in range(k):
        for b in range(k):
            if a == b or sizes[a] <= 0:
                continue
            shared = int(counts[patterns[:, a] & patterns[:, b]].sum())
            share = shared / int(sizes[a])
            if share < threshold:
                continue
            back = shared / int(sizes[b]) if sizes[b] > 0 else 0.0
            mutual = back >= threshold
            if mutual and (b, a) in found:
                continue
            found[(a, b)] = NestedPair(
                histories.lists[a], histories.lists[b], int(sizes[a]), shared, share, mutual
            )
    return tuple(sorted(found.values(), key=lambda p: (-p.share, p.list, p.within)))
