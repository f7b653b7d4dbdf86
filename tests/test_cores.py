"""solver.cores: a core's small independent parts decided by enumeration (`settle_small_parts`).

Expected values are brute force over each part's 0/1 vectors (or worked by hand where said),
not the program's own output.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from planner.model import INT_MAX, INT_MIN
from planner.solver import solve_level
from planner.solver._base import Component
from planner.solver.cores import settle_small_parts


def _component(rows: list[tuple[list[int], list[int], int, int]], lower, upper, score, ties) -> Component:
    e_row = np.concatenate([[r] * len(v) for r, (v, _, _, _) in enumerate(rows)]).astype(np.int64)
    return Component(members=np.arange(len(lower)), lower=np.array(lower), upper=np.array(upper),
                     score=np.array(score, np.int64), ties=np.array(ties, np.int64), e_row=e_row,
                     e_var=np.concatenate([v for v, _, _, _ in rows]).astype(np.int64),
                     e_coef=np.concatenate([c for _, c, _, _ in rows]).astype(np.int64),
                     lo=np.array([lo for *_, lo, _ in rows], np.int64), hi=np.array([hi for *_, hi in rows], np.int64),
                     hint=None)


def _brute(sub: Component, part: list[int], lower: np.ndarray) -> tuple[int, ...]:
    """The part's lexicographic optimum (score, then ties) over its rows, the other variables at `lower`."""
    best, arg = None, None
    mine = np.isin(np.arange(len(sub.lo)), sub.e_row[np.isin(sub.e_var, part)])
    for bits in itertools.product([0, 1], repeat=len(part)):
        x = lower.copy()
        x[part] = bits
        act = np.zeros(len(sub.lo), np.int64)
        np.add.at(act, sub.e_row, sub.e_coef * x[sub.e_var])
        holds = ((sub.lo == INT_MIN) | (act >= sub.lo)) & ((sub.hi == INT_MAX) | (act <= sub.hi))
        if np.all(holds[mine]):
            key = (int(sub.score[part] @ x[part]), int(sub.ties[part] @ x[part]))
            if best is None or key > best:
                best, arg = key, tuple(bits)
    return arg


def test_small_parts_take_their_brute_force_optimum_and_wide_ones_are_left():
    rows = [([0, 1, 2], [1, 1, 1], INT_MIN, 2),      # part A: at most two of 0, 1, 2 …
            ([0, 7], [1, 1], INT_MIN, 1),            # … and 0 excluded by 7, fixed at 1 (a constant)
            ([3, 4], [1, 1], 1, 1),                  # part B: exactly one of 3, 4
            ([5, 6], [1, 2], INT_MIN, 4)]            # part C: 5 is an integer in [0, 3]: left to CP-SAT
    lower = np.array([0, 0, 0, 0, 0, 0, 0, 1])
    upper = np.array([1, 1, 1, 1, 1, 3, 1, 1])
    sub = _component(rows, lower, upper, score=[5, 5, 1, 3, 3, 2, 1, 0], ties=[1, 2, 3, 7, 9, 1, 1, 0])
    lo, hi = settle_small_parts(sub, lower, upper, most=8)
    assert np.array_equal(lo[[0, 1, 2]], hi[[0, 1, 2]]) and np.array_equal(lo[[3, 4]], hi[[3, 4]])
    assert tuple(lo[[0, 1, 2]]) == _brute(sub, [0, 1, 2], lower) == (0, 1, 1)      # by hand: 0 is excluded
    assert tuple(lo[[3, 4]]) == _brute(sub, [3, 4], lower) == (0, 1)                # equal scores: ties decide
    assert lo[5] == 0 and hi[5] == 3 and lo[6] == 0 and hi[6] == 1                  # part C untouched
    lo, hi = settle_small_parts(sub, lower, upper, most=2)                          # A is now too large
    assert lo[0] == 0 and hi[0] == 1 and tuple(lo[[3, 4]]) == (0, 1)


def test_an_infeasible_small_part_makes_the_core_infeasible():
    rows = [([0, 1], [1, 1], 3, INT_MAX), ([2, 3], [1, 1], INT_MIN, 1)]
    sub = _component(rows, np.zeros(4, np.int64), np.ones(4, np.int64), score=[1, 1, 1, 1], ties=[1, 2, 3, 4])
    assert settle_small_parts(sub, sub.lower, sub.upper, most=8) is None


def test_a_level_of_small_parts_needs_no_cp_sat_and_keeps_the_optimum():
    """Six independent 5-variable knapsacks merged into one component: every part is enumerated
    (the engine is "lp": nothing left for CP-SAT), and each block keeps brute force's optimum."""
    rng = np.random.default_rng(3)
    n_blocks, size = 6, 5
    n = n_blocks * size
    weights = rng.integers(1, 20, size=n)
    profit = rng.integers(1, 50, size=n).astype(np.int64)
    ties = rng.permutation(n).astype(np.int64) + 1
    from planner.model import LinearRows
    cap = np.array([weights[b * size:(b + 1) * size].sum() // 2 for b in range(n_blocks)])
    rows = LinearRows(lower=np.zeros(n, np.int64), upper=np.ones(n, np.int64), start=np.arange(0, n + 1, size),
                      var=np.arange(n), coef=weights.astype(np.int64), lo=np.full(n_blocks, INT_MIN),
                      hi=cap.astype(np.int64))
    result = solve_level(rows, rows.lower.copy(), rows.upper.copy(), profit, ties, deadline=math.inf, merge=size,
                         small_parts=size)
    assert result.status == "OPTIMAL" and result.stats["engines"] == {"lp": 1}
    for b in range(n_blocks):
        part = slice(b * size, (b + 1) * size)
        best = max((int(profit[part] @ np.array(x)), int(ties[part] @ np.array(x)))
                   for x in itertools.product([0, 1], repeat=size) if weights[part] @ np.array(x) <= cap[b])
        assert (int(profit[part] @ result.values[part]), int(ties[part] @ result.values[part])) == best
