"""analysis.resolver: a round re-solved under other scores gives brute force's slate and objective.

The sampled objective coefficients are read back from the built model (`Resolver._level`); the
expected slates and objectives come from enumerating every slate (`tests/oracle.py`), not from
the program.
"""
from __future__ import annotations

import itertools

import numpy as np
import oracle
import pytest
from conftest import row, scenario_of, typed_frame

from planner.analysis.sampling import build_case, make_case

ROWS = [
    row("A1", locality="长春市", score=88.0, unit_id="U1"),
    row("A2", locality="长春市", score=84.5, unit_id="U2"),
    row("A3", locality="长春市", score=60.5, unit_id="U3"),
    row("B1", locality="吉林市", score=82.0, unit_id="U4"),
    row("B2", locality="吉林市", score=79.5, unit_id="U5"),
    row("C1", locality="四平市", score=76.0, unit_id="U6"),
    row("C2", locality="四平市", score=61.0, unit_id="U7"),
]
SCENARIO = {
    "rule": [
        {"id": "loc-cap", "clause": "三(三)", "where": {"task": "practice_centre"}, "per": ["locality"], "max": 2},
        {"id": "total", "clause": "三(三)", "where": {"task": "practice_centre"}, "max": 4},
        {"id": "siping", "clause": "三(三)", "where": {"locality": "四平市"}, "min": 1, "soft": {"weight": 5}},
    ],
}


@pytest.mark.parametrize("scores", [
    [88.0, 84.5, 90.25, 82.0, 79.5, 76.0, 61.0],      # A3 now wins a place of 长春市
    [70.0, 84.5, 0.0, 91.0, 79.5, 60.0, 95.125],
    [50.0, 49.0, 50.5, 40.0, 40.5, 10.0, 10.25],       # 四平市 left out: the soft minimum's penalty
])
def test_a_sample_is_brute_forces_slate_at_its_scores(scores):
    case = make_case(scenario_of(SCENARIO), candidates=typed_frame(ROWS), score_sd=3.0)
    state = build_case(case)
    outcome = state.resolver.solve(np.array(scores))
    trial = [dict(r, score=s) for r, s in zip(ROWS, scores)]
    best = oracle.optimise(trial, {"name": "test", "year": 2023, **SCENARIO})
    assert outcome.status == "OPTIMAL"
    assert len(best.optimal) == 1, "the case is built without ties"
    assert tuple(outcome.selected[:len(ROWS)]) == best.optimal[0][0]
    assert float(outcome.objective) == pytest.approx(best.objective, abs=1e-9)


def test_a_row_scored_0_as_given_competes_at_its_sampled_score():
    # A3 scores 0 as given: the model's objective has no term for it (a zero coefficient is
    # dropped). A sample giving it 95 must still let it take 长春市's place from A2 (84.5):
    # the slate and objective are brute force's at the sampled scores.
    rows = [dict(r, score=0.0) if r["candidate_id"] == "A3" else r for r in ROWS]
    case = make_case(scenario_of(SCENARIO), candidates=typed_frame(rows), score_sd=3.0)
    state = build_case(case)
    assert not state.nominal.selected[2]
    scores = [88.0, 84.5, 95.0, 82.0, 79.5, 76.0, 61.0]
    outcome = state.resolver.solve(np.array(scores))
    best = oracle.optimise([dict(r, score=s) for r, s in zip(rows, scores)], {"name": "test", "year": 2023, **SCENARIO})
    assert outcome.status == "OPTIMAL" and len(best.optimal) == 1
    assert tuple(outcome.selected[:len(rows)]) == best.optimal[0][0]
    assert outcome.selected[2] and not outcome.selected[1]
    assert float(outcome.objective) == pytest.approx(best.objective, abs=1e-9)


KNAPSACK = [row("K1", score=90.0, cost=60.0, unit_id="U1"), row("K2", score=80.0, cost=50.0, unit_id="U2"),
            row("K3", score=75.0, cost=45.0, unit_id="U3"), row("K4", score=40.0, cost=10.0, unit_id="U4"),
            row("K5", score=30.0, cost=30.0, unit_id="U5"), row("K6", score=52.5, cost=35.0, unit_id="U6")]
BUDGET = {"rule": [{"id": "budget", "clause": "二(三)", "where": {"task": "practice_centre"}, "measure": "sum:cost",
                    "max": 100}]}


def _knapsack_forced(i: int, value: bool) -> float:
    """Brute force: the best total score within the budget with candidate i's decision forced."""
    best = -np.inf
    for pick in itertools.product((False, True), repeat=len(KNAPSACK)):
        cost = sum(r["cost"] for r, p in zip(KNAPSACK, pick) if p)
        if pick[i] == value and cost <= 100:
            best = max(best, sum(r["score"] for r, p in zip(KNAPSACK, pick) if p))
    return best


@pytest.mark.parametrize("cp_sat_most", [0, 1000])
def test_forced_optima_of_a_budget_round_are_brute_forces(monkeypatch, cp_sat_most):
    # A budget row makes the LP fractional: each forced row goes to CP-SAT on its part (a small
    # part) or through solve_level (`cp_sat_most` = 0, as for the funded round's large part).
    from planner.analysis import resolver
    from planner.solver import forcing

    monkeypatch.setattr(resolver, "FORCED_CP_SAT", cp_sat_most)
    through_level = []
    force = resolver.Resolver._force
    monkeypatch.setattr(resolver.Resolver, "_force",
                        lambda self, row, *a, **k: through_level.append(row) or force(self, row, *a, **k))
    if cp_sat_most == 0:
        monkeypatch.setattr(forcing, "_CpSat", None)        # no CP-SAT on a whole part
    case = make_case(scenario_of(BUDGET), candidates=typed_frame(KNAPSACK), score_sd=3.0)
    state = build_case(case)
    nominal = state.nominal
    best = max(_knapsack_forced(0, False), _knapsack_forced(0, True))
    assert float(nominal.objective) == best
    forced = state.resolver.forced(range(len(KNAPSACK)))
    for i in range(len(KNAPSACK)):
        assert forced[i].status == "OPTIMAL"
        assert float(forced[i].objective) == _knapsack_forced(i, not nominal.selected[i]), i
    assert bool(through_level) == (cp_sat_most == 0)
