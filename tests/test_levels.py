"""solver.levels: small components solved together (`merge`) and fixing thresholds kept between
solves (`gaps`) leave every level's optimum exact.

The expected optima are brute force over every 0/1 vector of each independent block, not the
program's own output.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from planner.model import INT_MAX, INT_MIN, LinearRows
from planner.solver import solve_level

BLOCK = 6


def _blocks(n_blocks: int, seed: int) -> tuple[LinearRows, np.ndarray, np.ndarray, np.ndarray]:
    """`n_blocks` independent knapsacks of BLOCK binaries: a capacity row and an at-least-2 row each."""
    rng = np.random.default_rng(seed)
    n = n_blocks * BLOCK
    weights = rng.integers(1, 30, size=n)
    cap = np.array([weights[b * BLOCK:(b + 1) * BLOCK].sum() // 2 for b in range(n_blocks)])
    var = np.tile(np.arange(n).reshape(n_blocks, BLOCK), (1, 2)).ravel()
    coef = np.concatenate([np.concatenate([weights[b * BLOCK:(b + 1) * BLOCK], np.ones(BLOCK, np.int64)])
                           for b in range(n_blocks)])
    rows = LinearRows(lower=np.zeros(n, np.int64), upper=np.ones(n, np.int64),
                      start=np.arange(0, 2 * n + 1, BLOCK), var=var, coef=coef,
                      lo=np.tile([INT_MIN, 2], n_blocks).astype(np.int64),
                      hi=np.stack([cap, np.full(n_blocks, INT_MAX)], axis=1).ravel().astype(np.int64))
    return rows, weights, cap, rng.permutation(n).astype(np.int64) + 1


def _brute_block(b: int, weights, cap, profit, ties) -> tuple[int, int]:
    part = slice(b * BLOCK, (b + 1) * BLOCK)
    best = None
    for bits in itertools.product([0, 1], repeat=BLOCK):
        x = np.array(bits)
        if weights[part] @ x <= cap[b] and x.sum() >= 2:
            key = (int(profit[part] @ x), int(ties[part] @ x))
            best = key if best is None else max(best, key)
    return best


@pytest.mark.parametrize("seed", range(4))
def test_merged_small_components_keep_each_blocks_brute_force_optimum(seed):
    n_blocks = 5
    rows, weights, cap, ties = _blocks(n_blocks, seed)
    profit = np.random.default_rng(50 + seed).integers(1, 80, size=n_blocks * BLOCK).astype(np.int64)
    alone = solve_level(rows, rows.lower.copy(), rows.upper.copy(), profit, ties, deadline=math.inf)
    merged = solve_level(rows, rows.lower.copy(), rows.upper.copy(), profit, ties, deadline=math.inf, merge=BLOCK)
    assert alone.stats["to_solve"] == n_blocks
    assert merged.stats["to_solve"] == 1                 # every block in one group
    for result in (alone, merged):
        assert result.status == "OPTIMAL"
        for b in range(n_blocks):
            part = slice(b * BLOCK, (b + 1) * BLOCK)
            got = (int(profit[part] @ result.values[part]), int(ties[part] @ result.values[part]))
            assert got == _brute_block(b, weights, cap, profit, ties)


def test_components_larger_than_merge_are_solved_alone():
    rows, weights, cap, ties = _blocks(3, 9)
    profit = np.arange(1, 3 * BLOCK + 1, dtype=np.int64) * 3
    result = solve_level(rows, rows.lower.copy(), rows.upper.copy(), profit, ties, deadline=math.inf,
                         merge=BLOCK - 1)
    assert result.stats["to_solve"] == 3


def _gap_level(seed: int):
    """One knapsack whose LP bound lies well above its optimum (the fixing must widen)."""
    rng = np.random.default_rng(seed)
    n = 14
    weights = rng.integers(20, 40, size=n)
    profit = (weights * 10 + rng.integers(0, 5, size=n)).astype(np.int64)
    cap = int(weights.sum() // 3) + 7
    rows = LinearRows(lower=np.zeros(n, np.int64), upper=np.ones(n, np.int64), start=np.array([0, n]),
                      var=np.arange(n), coef=weights.astype(np.int64), lo=np.array([INT_MIN]),
                      hi=np.array([cap], dtype=np.int64))
    return rows, weights, cap, profit, rng.permutation(n).astype(np.int64) + 1


def test_a_remembered_gap_starts_the_next_solve_where_the_last_one_ended():
    rows, weights, cap, profit, ties = _gap_level(2)
    best = max((int(profit @ np.array(x)), int(ties @ np.array(x)))
               for x in itertools.product([0, 1], repeat=len(profit)) if weights @ np.array(x) <= cap)
    gaps: dict[int, float] = {}
    first = solve_level(rows, rows.lower.copy(), rows.upper.copy(), profit, ties, deadline=math.inf, gaps=gaps)
    assert first.stats["cp_sat_solves"] >= 2             # the instance needs its core widened
    assert list(gaps) == [0] and gaps[0] > 0
    again = solve_level(rows, rows.lower.copy(), rows.upper.copy(), profit, ties, deadline=math.inf, gaps=gaps)
    assert again.stats["cp_sat_solves"] == 1             # started at the threshold it needed
    for result in (first, again):
        assert result.status == "OPTIMAL"
        assert (int(profit @ result.values), int(ties @ result.values)) == best
