"""`planner equity`'s frontier table: a point's status with its gap, never a bare question mark."""
from __future__ import annotations

import math

from planner.cli._messages import status_word
from planner.cli.commands.equity import _gap


def test_a_points_gap_is_its_bound_less_its_objective_over_the_bound():
    assert _gap(95805.8, 95805.8) == 0.0
    assert math.isclose(_gap(99.0, 100.0), 0.01)           # (100 − 99) / 100
    assert _gap(99.0, None) is None and _gap(99.0, math.inf) is None


def test_a_feasible_point_at_its_bound_reads_gap_zero_not_a_question_mark():
    assert status_word("FEASIBLE", _gap(95805.8, 95805.8)) == "可行（差距 0.00%）"
    assert status_word("FEASIBLE", _gap(99.0, 100.0)) == "可行（差距 1.00%）"
    assert status_word("FEASIBLE", _gap(99.0, None)) == "可行（差距 ?）"
