"""Count vectors of a slate in order of their disproportionality: the search space of the balanced end.

Owns `count_vectors`: every vector of group counts ``n`` (``lo_g ≤ n_g ≤ hi_g``, ``N = Σ n_g`` in
a range) whose index is at most a limit, in increasing order of the index — exact rationals,
no solver. The index of a slate depends on its counts alone: Loosemore–Hanby
``LH(n) = Σ_g |C·n_g − c_g·N| / (2·C·N)`` or the largest deviation ``max_g |C·n_g − c_g·N| / (C·N)``
(weights ``c_g``, ``C = Σ c_g``). So the most balanced slate the hard rules allow is found by
walking these vectors in order and asking the solver which is the first a slate can have
(`analysis.balance.minimum_index`): every vector before it is proven impossible, so its index
is proven minimal — where a direct search over the slates leaves the proof to integrality (the
LP relaxation reaches any proportion fractionally) and does not finish.

Does not own the model, the feasibility checks nor the shares of a slate (`analysis.shares`).
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Iterator, Sequence

import numpy as np


class TooMany(Exception):
    """More vectors under the limit than the caller allows."""


def deviation_sum(counts: Sequence[int], weights: Sequence[int], index: str = "lh") -> int:
    """``Σ_g |C·n_g − c_g·N|`` (``lh``) or ``max_g |C·n_g − c_g·N|`` (``max``) in integers."""
    n = np.asarray(counts, dtype=np.int64)
    c = np.asarray(weights, dtype=np.int64)
    dev = np.abs(int(c.sum()) * n - c * int(n.sum()))
    return int(dev.sum()) if index == "lh" else int(dev.max(initial=0))


def index_of(counts: Sequence[int], weights: Sequence[int], index: str = "lh") -> Fraction:
    """The exact index (a share) of a slate with these group counts (0 for an empty slate)."""
    total = int(np.sum(counts))
    if total == 0:
        return Fraction(0)
    C = int(np.sum(weights))
    return Fraction(deviation_sum(counts, weights, index), (2 if index == "lh" else 1) * C * total)


def count_vectors(weights: Sequence[int], lo: Sequence[int], hi: Sequence[int], n_range: tuple[int, int], *,
                  limit: Fraction, above: Fraction | None = None, index: str = "lh",
                  max_vectors: int = 20000) -> list[tuple[Fraction, int, tuple[int, ...]]]:
    """Every count vector in the box with ``above < index ≤ limit``, sorted by (index, N, counts).

    Parameters
    ----------
    weights : sequence of int
        Reference weight per group (``c_g``).
    lo, hi : sequence of int
        Range of each group's count (e.g. from the LP relaxation: every slate lies inside).
    n_range : (int, int)
        Range of the total N (N ≥ 1 is always required: an empty slate has no shares).
    limit, above : Fraction
        The index interval asked for (``above`` None: from 0 on).
    index : {"lh", "max"}

    Raises
    ------
    TooMany
        More than `max_vectors` vectors in the interval.
    """
    c = [int(x) for x in weights]
    C = sum(c)
    lo = [int(x) for x in lo]
    hi = [int(x) for x in hi]
    found: list[tuple[Fraction, int, tuple[int, ...]]] = []
    n_first = max(1, int(n_range[0]), sum(lo))
    n_last = min(int(n_range[1]), sum(hi))
    factor = 2 if index == "lh" else 1
    for N in range(n_first, n_last + 1):
        budget = math.floor(limit * factor * C * N)          # Σ|dev| (or max |dev|) ≤ budget
        for counts in _vectors_at(c, C, lo, hi, N, budget, index):
            value = index_of(counts, c, index)
            if above is not None and value <= above:
                continue
            found.append((value, N, counts))
            if len(found) > max_vectors:
                raise TooMany(f"more than {max_vectors} count vectors with an index up to {float(limit):.4%}")
    found.sort()
    return found


def _vectors_at(c: list[int], C: int, lo: list[int], hi: list[int], N: int, budget: int,
                index: str) -> Iterator[tuple[int, ...]]:
    """Vectors with Σ n = N in the box whose deviations fit the budget (depth-first, pruned)."""
    choices: list[list[tuple[int, int]]] = []
    for g, cg in enumerate(c):
        t = cg * N
        first = max(lo[g], -((budget - t) // C))
        last = min(hi[g], (t + budget) // C)
        options = [(abs(C * v - t), v) for v in range(first, last + 1)]
        if not options:
            return
        options.sort()
        choices.append(options)
    k = len(c)
    least = [opts[0][0] for opts in choices]
    rest_cost = [0] * (k + 1)              # the least cost of groups g.. (Σ for lh, max for max)
    rest_lo = [0] * (k + 1)
    rest_hi = [0] * (k + 1)
    for g in range(k - 1, -1, -1):
        rest_cost[g] = rest_cost[g + 1] + least[g] if index == "lh" else max(rest_cost[g + 1], least[g])
        rest_lo[g] = rest_lo[g + 1] + min(v for _, v in choices[g])
        rest_hi[g] = rest_hi[g + 1] + max(v for _, v in choices[g])
    if rest_cost[0] > budget or not rest_lo[0] <= N <= rest_hi[0]:
        return
    counts = [0] * k

    def walk(g: int, used: int, left: int) -> Iterator[tuple[int, ...]]:
        if g == k:
            if left == N:
                yield tuple(counts)
            return
        for cost, v in choices[g]:
            spent = used + cost if index == "lh" else max(used, cost)
            if (spent + rest_cost[g + 1] if index == "lh" else max(spent, rest_cost[g + 1])) > budget:
                break                           # options are sorted by cost: the rest cost more
            remaining = left + v
            if remaining + rest_lo[g + 1] > N or remaining + rest_hi[g + 1] < N:
                continue
            counts[g] = v
            yield from walk(g + 1, spent, remaining)

    yield from walk(0, 0, 0)
