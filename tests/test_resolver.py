"""analysis.resolver: a round re-solved under other scores gives brute force's slate and objective.

The sampled objective coefficients are read back from the built model (`Resolver._level`); the
expected slates and objectives come from enumerating every slate (`tests/oracle.py`), not from
the program.
"""
from __future__ import annotations

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
