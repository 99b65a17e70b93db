"""Decomposable graphical models of k lists: every chordal graph on k labelled vertices.

A decomposable (graphical) log-linear model of capture histories is a chordal graph on the
lists; its cliques are the model's generating terms (``[12,3]`` is the graph with one edge,
between lists 1 and 2). dga (Madigan & York 1997) averages over all of them. The graphs are
enumerated once per process and cached: every subset of the ``k(k-1)/2`` possible edges is
tested for chordality by maximum cardinality search (Tarjan & Yannakakis 1984), which also
gives each graph's factorisation.

Maximum cardinality search numbers the vertices one at a time, each time choosing an
unnumbered vertex with the most numbered neighbours. A graph is chordal if and only if, for
every vertex ``v``, its neighbours numbered before it (``pa(v)``) form a clique; then the
marginal likelihood of a decomposable model factorises as

.. math::

    p(n \\mid G) = \\prod_v \\frac{p(n_{\\{v\\} \\cup pa(v)})}{p(n_{pa(v)})}
               = \\frac{\\prod_C p(n_C)}{\\prod_S p(n_S)},

because the families that are not cliques cancel, leaving the cliques ``C`` over the
separators ``S`` of a junction tree (with ``p(n_\\emptyset) = 1``). :class:`Graph` keeps that
product as integer coefficients over the subsets of lists (a subset is a bit mask, bit ``j``
for list ``j + 1``).

The counts of chordal graphs on 3, 4, 5, 6 labelled vertices are 8, 61, 822 and 18,154
(OEIS A058862); 7 lists would give 617,675 graphs, which :func:`decomposable_graphs` refuses.

References
----------
Tarjan, R. E. & Yannakakis, M. (1984). Simple linear-time algorithms to test chordality of
graphs, test acyclicity of hypergraphs, and selectively reduce acyclic hypergraphs. SIAM
Journal on Computing 13, 566-579.

Lauritzen, S. L. (1996). Graphical Models. Oxford University Press, section 3.2.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import combinations

import numpy as np

from estimation.capture_recapture.design import model_name

__all__ = ["MAX_DGA_LISTS", "MIN_DGA_LISTS", "Graph", "decomposable_graphs"]

MIN_DGA_LISTS = 3
MAX_DGA_LISTS = 6


@dataclass(frozen=True)
class Graph:
    """One decomposable graph on the lists.

    Attributes
    ----------
    edges : tuple of (int, int)
        Pairs of 0-based list indices joined by an edge.
    cliques : tuple of frozenset
        The maximal cliques (the log-linear model's generating terms).
    factors : tuple of (int, int)
        ``(subset mask, coefficient)``: the log marginal likelihood of the model is
        ``sum(coefficient * log p(n_subset))`` (cliques +1, separators -1).
    """

    edges: tuple[tuple[int, int], ...]
    cliques: tuple[frozenset[int], ...]
    factors: tuple[tuple[int, int], ...]

    @property
    def name(self) -> str:
        """The log-linear bracket notation of the model, e.g. ``[12,3]``."""
        return model_name(self.cliques)


def _maximum_cardinality_search(n_vertices: int, neighbours: list[int]) -> list[tuple[int, int]]:
    """``(vertex, mask of its earlier neighbours)`` in search order, or [] if not chordal."""
    numbered = 0
    order = []
    for _ in range(n_vertices):
        best, best_count = -1, -1
        for vertex in range(n_vertices):
            if numbered >> vertex & 1:
                continue
            count = (neighbours[vertex] & numbered).bit_count()
            if count > best_count:
                best, best_count = vertex, count
        earlier = neighbours[best] & numbered
        # chordal iff the earlier neighbours form a clique
        for u in range(n_vertices):
            if earlier >> u & 1 and (earlier & ~(1 << u)) & ~neighbours[u]:
                return []
        order.append((best, earlier))
        numbered |= 1 << best
    return order


def _graph(n_lists: int, edges: tuple[tuple[int, int], ...]) -> Graph | None:
    neighbours = [0] * n_lists
    for a, b in edges:
        neighbours[a] |= 1 << b
        neighbours[b] |= 1 << a
    order = _maximum_cardinality_search(n_lists, neighbours)
    if not order:
        return None
    coefficients: dict[int, int] = {}
    families = []
    for vertex, earlier in order:
        family = earlier | 1 << vertex
        families.append(family)
        coefficients[family] = coefficients.get(family, 0) + 1
        if earlier:
            coefficients[earlier] = coefficients.get(earlier, 0) - 1
    maximal = [f for f in families if not any(f != g and f & g == f for g in families)]
    cliques = tuple(frozenset(j for j in range(n_lists) if f >> j & 1) for f in maximal)
    factors = tuple(sorted((mask, c) for mask, c in coefficients.items() if c))
    return Graph(edges=edges, cliques=cliques, factors=factors)


def check_dga_lists(n_lists: int) -> None:
    """Refuse numbers of lists for which dga is not offered."""
    if n_lists < MIN_DGA_LISTS:
        raise ValueError(
            f"dga needs at least {MIN_DGA_LISTS} lists, got {n_lists}: with two lists every "
            "decomposable model is either independence or saturated (use petersen)"
        )
    if n_lists > MAX_DGA_LISTS:
        raise ValueError(
            f"dga averages over every decomposable graph, and {n_lists} lists have too many "
            f"(617,675 for 7 lists); it is offered for {MIN_DGA_LISTS} to {MAX_DGA_LISTS} "
            "lists: merge or drop lists, or use --bayes lcmcr or --search"
        )


@cache
def decomposable_graphs(n_lists: int) -> tuple[Graph, ...]:
    """Every decomposable graph on ``n_lists`` lists (3 to 6), in order of edge sets.

    Examples
    --------
    >>> [len(decomposable_graphs(k)) for k in (3, 4, 5)]
    [8, 61, 822]
    >>> decomposable_graphs(3)[1].name
    '[12,3]'
    """
    check_dga_lists(n_lists)
    pairs = list(combinations(range(n_lists), 2))
    graphs = []
    for edge_set in range(2 ** len(pairs)):
        edges = tuple(pair for i, pair in enumerate(pairs) if edge_set >> i & 1)
        graph = _graph(n_lists, edges)
        if graph is not None:
            graphs.append(graph)
    return tuple(graphs)


@cache
def factor_matrix(n_lists: int) -> np.ndarray:
    """The ``(graphs, 2**k)`` matrix of each graph's coefficient on each subset of lists."""
    graphs = decomposable_graphs(n_lists)
    matrix = np.zeros((len(graphs), 2**n_lists))
    for row, graph in enumerate(graphs):
        for mask, coefficient in graph.factors:
            matrix[row, mask] = coefficient
    matrix.setflags(write=False)
    return matrix
