"""solver.lp: the LP kept between solves (`WarmLps`) leaves every level's optimum exact.

The expected optima are brute force over every 0/1 vector (14 variables), not the program's
own output.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from planner.model import LinearRows
from planner.solver import WarmLps, solve_level

N = 12


def _knapsack(seed: int) -> tuple[LinearRows, np.ndarray, np.ndarray]:
    """Two capacity rows and one ≥ row over N binaries (integer data)."""
    rng = np.random.default_rng(seed)
    weights = rng.integers(1, 40, size=(2, N))
    cap = weights.sum(axis=1) // 2
    least = 3
    rows = LinearRows(lower=np.zeros(N, np.int64), upper=np.ones(N, np.int64),
                      start=np.array([0, N, 2 * N, 3 * N]), var=np.tile(np.arange(N), 3),
                      coef=np.concatenate([weights.ravel(), np.ones(N, np.int64)]),
                      lo=np.array([np.iinfo(np.int64).min] * 2 + [least]),
                      hi=np.concatenate([cap, [np.iinfo(np.int64).max]]).astype(np.int64))
    return rows, weights, cap


def _brute(weights, cap, profit, ties, lower, upper) -> tuple[int, int] | None:
    best = None
    for bits in itertools.product([0, 1], repeat=N):
        x = np.array(bits)
        if np.any(x < lower) or np.any(x > upper) or np.any(weights @ x > cap) or x.sum() < 3:
            continue
        key = (int(profit @ x), int(ties @ x))
        best = key if best is None else max(best, key)
    return best


@pytest.mark.parametrize("seed", range(3))
def test_warm_lps_keeps_the_brute_force_optimum_as_scores_and_fixings_change(seed):
    rows, weights, cap = _knapsack(seed)
    rng = np.random.default_rng(100 + seed)
    warm = WarmLps()
    for solve in range(6):
        profit = rng.integers(1, 60, size=N).astype(np.int64)
        ties = rng.permutation(N).astype(np.int64) + 1
        lower, upper = rows.lower.copy(), rows.upper.copy()
        fixed = rng.choice(N, size=solve % 3, replace=False)       # 0, 1 or 2 variables fixed, then freed
        values = rng.integers(0, 2, size=len(fixed))
        lower[fixed], upper[fixed] = values, values
        expected = _brute(weights, cap, profit, ties, lower, upper)
        result = solve_level(rows, lower, upper, profit, ties, deadline=math.inf, warm=warm)
        if expected is None:
            assert result.status == "INFEASIBLE"
            continue
        assert result.status == "OPTIMAL"
        assert (int(profit @ result.values), int(ties @ result.values)) == expected
    assert warm._model is not None and warm._model[0] is rows      # one LP kept for every solve


def test_warm_lps_matches_the_batched_lp_on_the_same_level():
    rows, weights, cap = _knapsack(7)
    profit = np.arange(1, N + 1, dtype=np.int64) * 7
    ties = np.arange(N, 0, -1, dtype=np.int64)
    cold = solve_level(rows, rows.lower.copy(), rows.upper.copy(), profit, ties, deadline=math.inf)
    warm = solve_level(rows, rows.lower.copy(), rows.upper.copy(), profit, ties, deadline=math.inf, warm=WarmLps())
    assert cold.status == warm.status == "OPTIMAL"
    assert cold.values.tolist() == warm.values.tolist()
    assert (int(profit @ warm.values), int(ties @ warm.values)) == _brute(weights, cap, profit, ties,
                                                                           rows.lower, rows.upper)


def _problem(rows: LinearRows, lower: np.ndarray, upper: np.ndarray, profit: np.ndarray):
    """The level as `solve_level` hands it to the LP: one component of every variable (none fixed)."""
    from planner.solver._base import LevelProblem

    return LevelProblem(rows=rows, lo=rows.lo, hi=rows.hi, lower=lower, upper=upper, score=profit,
                        ties=np.zeros(N, np.int64), labels=np.zeros(N, np.int64),
                        row_comp=np.zeros(rows.n_rows, np.int64), live=np.ones(len(rows.var), bool), guess=None,
                        seed=0, deadline=math.inf, log_progress=False)


def test_warm_duals_give_the_lp_bound_of_the_current_scores_and_bounds():
    """After scores and bounds changed, the kept LP's multipliers bound the level as tightly as a
    fresh LP's (both are the LP optimum): stale bounds or objective would give a weaker bound."""
    from planner.solver.levels import Groups, component_of
    from planner.solver.lp import lp_duals

    rows, weights, cap = _knapsack(3)
    rng = np.random.default_rng(5)
    warm = WarmLps()
    for _ in range(5):
        profit = rng.integers(1, 60, size=N).astype(np.int64)
        lower, upper = rows.lower.copy(), rows.upper.copy()
        upper[rng.choice(N, size=2, replace=False)] = 0
        p = _problem(rows, lower, upper, profit)
        fresh = component_of(p, 0, lp_duals(p, [0]), Groups.of(p)).bound
        kept = component_of(p, 0, warm.duals(p), Groups.of(p)).bound
        assert math.isfinite(fresh)
        assert kept == pytest.approx(fresh, rel=1e-9, abs=1e-6)


def test_warm_lps_keeps_its_multipliers_for_a_tighter_box_with_the_same_objective():
    """The next level of the same expression (its decided variables fixed) is not re-solved: the
    last multipliers are kept — and the level's optimum is still brute force's. A box reaching
    outside the one last solved, or another objective, is solved again."""
    rows, weights, cap = _knapsack(4)
    profit = np.arange(3, 3 + 5 * N, 5, dtype=np.int64)
    lower, upper = rows.lower.copy(), rows.upper.copy()
    upper[0] = 0
    warm = WarmLps()
    first = warm.duals(_problem(rows, lower, upper, profit))
    tight_lower, tight_upper = lower.copy(), upper.copy()
    tight_lower[[1, 4]] = tight_upper[[1, 4]] = 1
    tight_upper[7] = 0
    assert warm.duals(_problem(rows, tight_lower, tight_upper, profit)) is first
    ties = np.arange(1, N + 1, dtype=np.int64)
    result = solve_level(rows, tight_lower, tight_upper, profit, ties, deadline=math.inf, warm=warm)
    assert result.status == "OPTIMAL"
    assert (int(profit @ result.values), int(ties @ result.values)) == _brute(weights, cap, profit, ties,
                                                                           tight_lower, tight_upper)
    assert warm.duals(_problem(rows, rows.lower, rows.upper, profit)) is not first     # x0 freed: solved again
    again = warm.duals(_problem(rows, rows.lower, rows.upper, profit))
    assert warm.duals(_problem(rows, rows.lower, rows.upper, profit + 1)) is not again  # another objective
