"""solver.forcing: a part re-solved with one decision forced — the LP path's integer completion.

The expected values are brute force over every 0/1 vector of the tiny parts, or worked by hand.
"""
from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

from planner.solver import forcing
from planner.solver.partspec import PartSpec


def _spec(obj, rows, current, n_decisions):
    """A PartSpec over 0/1 variables; rows are (coefficients by variable, low, high)."""
    n = len(obj)
    indptr, indices, data, lo, hi = [0], [], [], [], []
    for coefs, low, high in rows:
        for j, a in coefs.items():
            indices.append(j)
            data.append(a)
        indptr.append(len(indices))
        lo.append(float(low))
        hi.append(float(high))
    decisions = np.arange(n_decisions)
    return PartSpec(lo=np.zeros(n, np.int64), hi=np.ones(n, np.int64), indptr=np.array(indptr),
                    indices=np.array(indices, np.int64), data=np.array(data, np.int64),
                    row_lo=np.array(lo), row_hi=np.array(hi), obj=np.array(obj, np.int64), decisions=decisions,
                    current=np.array(current, np.int64), hint_vars=decisions, hint_values=np.array(current, np.int64))


def _brute(spec: PartSpec, j: int, value: int) -> float:
    best = -np.inf
    for x in itertools.product((0, 1), repeat=spec.n):
        x = np.array(x, np.int64)
        if x[j] == value and spec.feasible(x):
            best = max(best, spec.level(x))
    return best


# Three candidates x0, x1, x2 (scores 50, 40, 30), at most two; how many are in is counted in
# binary by c1 + 2·c2 (weightless), the way a lookahead counts a candidate's copies.
COUNTED = _spec([50, 40, 30, 0, 0],
                [({0: 1, 1: 1, 2: 1}, 0, 2), ({0: 1, 1: 1, 2: 1, 3: -1, 4: -2}, 0, 0)],
                current=[1, 1, 0], n_decisions=3)


def test_a_binary_counter_is_completed_by_freeing_its_weightless_neighbours():
    # The LP may stop at x = (1, 0, 0), c1 = 0, c2 = ½: rounding c2 alone cannot meet
    # x0 + x1 + x2 = c1 + 2·c2 = 1; freeing c1 too gives c1 = 1, c2 = 0 (by hand).
    spec = _spec([50, 40, 30, 0, 0], [({0: 1, 1: 1, 2: 1, 3: -1, 4: -2}, 0, 0)], current=[1, 0, 0], n_decisions=3)
    completer = forcing._Completer(spec)
    x = np.array([1, 0, 0, 0, 0], np.int64)
    values = np.array([1, 0, 0, 0, 0.5])
    fractional = np.array([4])
    assert completer.complete(x, fractional, values) is None
    objective = forcing.lexicographic_weights(spec)
    wider = completer.widen(fractional, objective)
    assert wider.tolist() == [3, 4]                    # the weighted x's stay as the LP set them
    done = completer.complete(x, fractional, values, wider=lambda: wider)
    assert done.tolist() == [1, 0, 0, 1, 0]


@pytest.mark.parametrize("enumerate_up_to", [forcing.ENUMERATE, 0])
def test_a_completion_by_enumeration_and_by_cp_sat_agree_with_the_hand(monkeypatch, enumerate_up_to):
    # Two counters, independent: x0 + x1 = c1 + 2·c2 with x = (1, 1) needs c1 = 0, c2 = 1;
    # x2 + x3 = d1 + 2·d2 with x = (1, 0) needs d1 = 1, d2 = 0. The only completion (by hand),
    # by trying every assignment of each cluster or (enumeration off) by CP-SAT.
    monkeypatch.setattr(forcing, "ENUMERATE", enumerate_up_to)
    spec = _spec([9, 8, 7, 6, 0, 0, 0, 0],
                 [({0: 1, 1: 1, 4: -1, 5: -2}, 0, 0), ({2: 1, 3: 1, 6: -1, 7: -2}, 0, 0)],
                 current=[1, 1, 1, 0], n_decisions=4)
    completer = forcing._Completer(spec)
    x = np.array([1, 1, 1, 0, 0, 0, 0, 0], np.int64)
    assert completer.complete(x, np.array([4, 5, 6, 7])).tolist() == [1, 1, 1, 0, 0, 1, 1, 0]


def test_enumeration_declines_what_it_cannot_complete():
    spec = _spec([9, 8, 0, 0], [({0: 1, 1: 1, 2: -1, 3: -1}, 0, 0)], current=[1, 1], n_decisions=2)
    completer = forcing._Completer(spec)
    # x0 + x1 = 2 = c1 + c2: c1 = c2 = 1; with x0 + x1 = 3 impossible (no assignment holds).
    assert completer._enumerate(np.array([1, 1, 0, 0]), np.array([2, 3])).tolist() == [1, 1, 1, 1]
    wide = _spec([9, 8, 7, 0, 0], [({0: 1, 1: 1, 2: 1, 3: -1, 4: -1}, 0, 0)], current=[1, 1, 1], n_decisions=3)
    assert forcing._Completer(wide)._enumerate(np.array([1, 1, 1, 0, 0]), np.array([3, 4])) is None


def test_widening_never_frees_a_variable_with_objective_weight():
    spec = COUNTED
    completer = forcing._Completer(spec)
    objective = np.array([50, 40, 30, 0, 7])
    # c2 is weighted here: only c1 (weightless, in c2's row) joins the fractional c2.
    assert completer.widen(np.array([4]), objective).tolist() == [3, 4]
    objective = np.array([50, 40, 30, 5, 0])
    assert completer.widen(np.array([4]), objective).tolist() == [4]


@pytest.mark.parametrize("j,value", [(0, 0), (1, 0), (2, 1)])
def test_forced_optima_of_a_counted_part_match_brute_force_without_cp_sat(monkeypatch, j, value):
    # Forcing x2 in costs 10 (x1 leaves), x0 out 20, x1 out 10: by hand and by brute force.
    def no_cp_sat(*args, **kwargs):
        raise AssertionError("the LP path should have completed this part")
    monkeypatch.setattr(forcing, "_CpSat", no_cp_sat)
    base = _brute(COUNTED, 0, 1)
    assert base == 90
    [found] = forcing.solve_part(COUNTED, [(j, value)], time.monotonic() + 60)
    assert found["status"] == "OPTIMAL" and found["method"] == "lp"
    assert found["delta"] == _brute(COUNTED, j, value) - base == {(0, 0): -20, (1, 0): -10, (2, 1): -10}[(j, value)]
