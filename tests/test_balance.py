"""Equity in a round's model: the cuts the unconstrained round proves, and the points solved with them.

Expectations come from every slate of a small round enumerated and audited by `tests/oracle.py`
(a round of two independent tasks, so the round without equity falls apart into two parts that
the count rows link), never from the planner's own output.
"""
from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import oracle
import pytest
from conftest import scenario_of, typed_frame, unit_row

from planner.analysis import balance
from planner.errors import InfeasibleError

# Two tasks, each with its own cap: two independent parts without the equity rows.
ROWS = [
    unit_row("A1", 90, "长春市"), unit_row("A2", 85, "长春市"), unit_row("A3", 70, "吉林市"),
    unit_row("A4", 66, "四平市"),
    unit_row("B1", 88, "长春市", task="core_course", track="offline"),
    unit_row("B2", 80, "长春市", task="core_course", track="offline"),
    unit_row("B3", 75, "吉林市", task="core_course", track="offline"),
    unit_row("B4", 61, "白山市", task="core_course", track="offline"),
]
SCENARIO = {
    "objective": {"pass_mark": 60},
    "rule": [
        {"id": "a", "clause": "x", "where": {"task": "practice_centre"}, "max": 2},
        {"id": "b", "clause": "x", "where": {"task": "core_course"}, "max": 2},
    ],
}
WEIGHTS = {"长春市": 4, "吉林市": 2, "四平市": 1, "白山市": 1}      # candidates submitted


def every_slate():
    """(flags, score, LH) of every feasible slate with N ≥ 1, by enumeration and the oracle's audit."""
    full = {"name": "test", "year": 2023, **SCENARIO}
    groups = list(WEIGHTS)
    c = np.array([WEIGHTS[g] for g in groups])
    C = int(c.sum())
    out = []
    for flags in itertools.product([False, True], repeat=len(ROWS)):
        if not any(flags) or not oracle.audit(ROWS, full, flags, [False] * len(ROWS)).ok:
            continue
        n = np.array([sum(f for f, r in zip(flags, ROWS) if r["locality"] == g) for g in groups])
        N = int(n.sum())
        score = sum(r["score"] for f, r in zip(flags, ROWS) if f)
        out.append((flags, score, Fraction(int(np.abs(C * n - c * N).sum()), 2 * C * N)))
    return out


SLATES = every_slate()


def case_with_cuts():
    case = balance.prepare_case(scenario_of(SCENARIO), candidates=typed_frame(ROWS))
    solution, cuts = balance.solve_unconstrained(case)
    return case, solution, cuts


def test_cuts_hold_every_slate_and_each_part_reaches_its_own():
    case, solution, cuts = case_with_cuts()
    assert solution.objective == max(s[1] for s in SLATES)              # 90 + 85 + 88 + 80
    assert len(cuts.bounds) == 2                                         # one per task
    model = balance.plain_round(case)
    select = np.array([v.index for v in model.select])
    units = float(model.objectives[0].units)
    reached = np.full(len(cuts.bounds), -np.inf)
    for flags, _, _ in SLATES:
        values = np.zeros(len(model.cp.proto.variables), np.int64)
        values[select] = np.asarray(flags, np.int64)
        for r in range(len(cuts.bounds)):
            part = slice(cuts.starts[r], cuts.starts[r + 1])
            lhs = int(cuts.coefs[part] @ values[cuts.variables[part]])
            assert lhs <= cuts.bounds[r]
            reached[r] = max(reached[r], lhs)
    assert (reached == cuts.bounds).all()                                # no cut is looser than its part's optimum
    # Each part's best by hand: task A 90 + 85, task B 88 + 80.
    assert sorted(cuts.bounds / units) == [168.0, 175.0]


def test_points_with_the_cuts_are_the_best_slates_within_their_bounds():
    case, _, cuts = case_with_cuts()
    plain = balance.PointModel(case)
    cut = balance.PointModel(type(case)(**{**case.__dict__, "cuts": cuts}))
    assert len(cut.model.cp.proto.constraints) == len(plain.model.cp.proto.constraints) + len(cuts.bounds)
    lowest = min(s[2] for s in SLATES)
    for eps in sorted({s[2] for s in SLATES}) + [lowest / 2]:
        if eps < lowest:
            with pytest.raises(InfeasibleError):
                cut.solve(eps)
            continue
        best = max(s[1] for s in SLATES if s[2] <= eps)
        with_cuts, without = cut.solve(eps), plain.solve(eps)
        assert with_cuts.status == "OPTIMAL"
        assert with_cuts.objective == pytest.approx(best), eps
        assert (with_cuts.selected == without.selected).all(), eps


def test_balanced_end_with_the_cuts_is_the_best_slate_at_its_counts():
    case, _, cuts = case_with_cuts()
    found = balance.most_balanced(case, Fraction(1), time_limit_s=30)
    assert found.index == min(s[2] for s in SLATES) and found.proven
    _, terms = balance.build_round(case)
    case.cuts = cuts
    for counts in found.counts:
        same = [s[1] for s in SLATES
                if tuple(sum(f for f, r in zip(s[0], ROWS) if r["locality"] == g) for g in terms.groups) == counts]
        assert balance.solve_counts(case, counts).objective == pytest.approx(max(same)), counts
