"""The LP relaxation asked many questions in a row: each answer as from a fresh model, and a valid relaxation."""
from __future__ import annotations

import itertools

import numpy as np
from ortools.sat.python import cp_model

from planner.model import read_rows
from planner.solver import Relaxation


def small_model():
    """x0..x3 binary, x0+x1+x2 ≤ 2, x1+x3 ≥ 1, x0 − x2 ≤ 0; n = x0+x1 (an integer variable)."""
    cp = cp_model.CpModel()
    x = [cp.new_bool_var(f"x{i}") for i in range(4)]
    n = cp.new_int_var(0, 5, "n")
    cp.add(x[0] + x[1] + x[2] <= 2)
    cp.add(x[1] + x[3] >= 1)
    cp.add(x[0] - x[2] <= 0)
    cp.add(n == x[0] + x[1])
    return cp, x, n


def test_ranges_asked_in_turn_match_fresh_models_and_contain_every_integer_solution():
    cp, x, n = small_model()
    rows = read_rows(cp)
    kept = Relaxation(rows)
    solutions = []
    for bits in itertools.product([0, 1], repeat=4):
        if bits[0] + bits[1] + bits[2] <= 2 and bits[1] + bits[3] >= 1 and bits[0] <= bits[2]:
            solutions.append((*bits, bits[0] + bits[1]))
    for index in [n.index, 0, 1, 2, 3, n.index]:
        lo, hi = kept.span(index)
        assert (lo, hi) == Relaxation(rows).span(index)          # no objective left over from the last question
        values = [s[index] for s in solutions]
        assert lo <= min(values) and max(values) <= hi
    # by hand: the LP reaches n = 4/3 (x0 = x1 = x2 = 2/3), so the integer range ends at 1
    assert kept.span(n.index) == (0, 1)


def test_fixings_are_checked_and_released():
    cp, x, n = small_model()
    rows = read_rows(cp)
    relax = Relaxation(rows)
    fixed = np.array([x[1].index, x[3].index])
    relax.fix(fixed, np.array([0, 0]))              # x1 + x3 ≥ 1 cannot hold
    assert relax.feasible() is False
    relax.release(fixed)
    assert relax.feasible() is True
    # n = 2 forces x0 = x1 = 1 (their upper bounds, in the LP too), so x2 ≥ x0 = 1 and x0+x1+x2 = 3 > 2
    relax.fix(np.array([n.index]), np.array([2]))
    assert relax.feasible() is False
    relax.release(np.array([n.index]))
    relax.fix(np.array([n.index]), np.array([1]))
    assert relax.feasible() is True


def test_questions_after_fixings_answer_as_a_fresh_model():
    """One GLOP model kept warm: a range asked after fixings (released) is the fresh model's, and a
    range asked with a fixing in place is the range of the rows with that variable fixed."""
    cp, x, n = small_model()
    rows = read_rows(cp)
    kept = Relaxation(rows)
    kept.span(n.index)
    kept.fix(np.array([x[3].index]), np.array([0]))             # x1 + x3 ≥ 1 now needs x1 = 1
    assert kept.span(x[1].index) == (1, 1)
    # by hand: x1 = 1, so x0 + x2 ≤ 1 and x0 ≤ x2 give x0 ≤ 1/2: n = x0 + x1 in [1, 1.5]
    assert kept.span(n.index) == (1, 1)
    kept.release(np.array([x[3].index]))
    for index in [x[1].index, n.index, 0, 2]:
        assert kept.span(index) == Relaxation(rows).span(index)
