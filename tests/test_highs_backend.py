"""The HiGHS backend on the same built model: hand-worked slates, brute force on random small
rounds, the exact tie-break (the same slate as CP-SAT's), levels, infeasibility and the audit —
each for HiGHS by components (`--backend highs`) and HiGHS on the whole model (the benchmarks')."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import SIX_ROWS, row, scenario_of, typed_frame

from planner.errors import InfeasibleError
from planner.model import build_model
from planner.rounds.finish import finish
from planner.rules import read_candidates
from planner.rules.prepare import prepare
from planner.solver import solve_model, solve_model_highs, solve_model_highs_whole

pytest.importorskip("highspy")

ROWS = [r for r in SIX_ROWS if r["candidate_id"] != "E"]


@pytest.fixture(params=["components", "whole"], autouse=True)
def way(request):
    """Every test runs with HiGHS by components and with HiGHS on the whole model."""
    global solve_highs
    solve_highs = solve_model_highs if request.param == "components" else solve_model_highs_whole
    return request.param


def run(data, rows=ROWS, **kw):
    frame = typed_frame(rows)
    model = build_model(frame, scenario_of(data))
    solution = solve_highs(model, **{"time_limit_s": 30, "workers": 1, **kw})
    ids = frame["candidate_id"].to_numpy()
    return solution, set(ids[solution.selected]), set(ids[solution.national])


def test_a_budget_in_decimals_is_exact():
    # Σ cost ≤ 65.5: B+C+D+F cost exactly 65.5 for 270 points; every set with A is worth less
    # (A+C+F 215, A+B+F 225). One unit less (65.4) and A+C+F (cost 50) is the best.
    solution, got, _ = run({"rule": [{"id": "r", "measure": "sum:cost", "max": 65.5}]})
    assert got == set("BCDF") and solution.objective == 270 and solution.status == "OPTIMAL"
    _, got, _ = run({"rule": [{"id": "r", "measure": "sum:cost", "max": 65.4}]})
    assert got == set("ACF")


def test_national_picks_keep_the_provincial_optimum_and_soft_penalties_count():
    # Soft max 2 at weight 60: the 3rd (70) and 4th (65) pay for themselves, the 5th (55) does not.
    solution, got, _ = run({"rule": [{"id": "r", "max": 2, "soft": {"weight": 60}}]})
    assert got == set("ABCD") and solution.objective == 90 + 80 + 70 + 65 - 2 * 60
    # National: exactly 1 secondary + 1 higher core course: C (70) and D (65).
    _, got, national = run({"rule": [{"id": "n", "decision": "national", "where": {"task": "core_course"},
                                      "per": ["level"], "min": 1, "max": 1}]})
    assert got == set("ABCDF") and national == {"C", "D"}
    # A soft national cap may not buy national picks with provincial score.
    two = [row("A", task="core_course", track="offline", score=90.0),
           row("B", task="core_course", track="offline", score=80.0)]
    solution, _, national = run({"rule": [{"id": "n", "decision": "national", "max": 1, "soft": {"weight": 100}}]},
                                two)
    assert solution.objective == 170 and national == {"A"}


def test_infeasible_rules_raise():
    with pytest.raises(InfeasibleError):
        run({"rule": [{"id": "r", "where": {"task": "core_course"}, "min": 4}]})


def test_ties_are_broken_exactly_as_cp_sat_breaks_them():
    tied = [row(f"T{i}", score=70.0, locality=["长春市", "吉林市"][i % 2], cost=float(i % 3)) for i in range(10)]
    for data in ({"rule": [{"id": "r", "per": ["locality"], "max": 2}]},
                 {"rule": [{"id": "r", "measure": "sum:cost", "max": 4}]}):
        frame = typed_frame(tied)
        model = build_model(frame, scenario_of(data))
        assert np.array_equal(solve_highs(model, workers=1).selected, solve_model(model, workers=1).selected)


@pytest.mark.parametrize("seed", range(6))
def test_random_small_rounds_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    localities = ["长春市", "吉林市", "四平市"]
    rows = [row(f"R{i}", score=float(rng.integers(40, 100)), cost=float(rng.integers(0, 30)),
                locality=localities[int(rng.integers(0, 3))]) for i in range(9)]
    budget = float(rng.integers(30, 90))
    data = {"rule": [{"id": "q", "per": ["locality"], "max": {"长春市": 2, "*": 3}},
                     {"id": "pool", "measure": "sum:cost", "max": budget}]}
    solution, _, _ = run(data, rows)
    best = 0.0
    for k in range(len(rows) + 1):                   # brute force over every subset
        for pick in itertools.combinations(rows, k):
            per = {loc: sum(r["locality"] == loc for r in pick) for loc in localities}
            if per["长春市"] <= 2 and max(per.values()) <= 3 and sum(r["cost"] for r in pick) <= budget:
                best = max(best, sum(r["score"] for r in pick))
    assert solution.status == "OPTIMAL" and solution.objective == pytest.approx(best)


def test_its_solution_goes_through_the_api_and_its_audit():
    frame = typed_frame(ROWS)
    scenario = scenario_of({"rule": [{"id": "r", "measure": "sum:cost", "max": 65.5}]})
    frame = read_candidates(scenario, frame)
    prepared = prepare(frame, scenario, None)
    model = build_model(prepared.frame, scenario, locked=prepared.locked, locked_national=prepared.locked_national)
    solution = solve_highs(model, workers=1)
    result = finish(scenario, frame, None, prepared, model, solution, seed=0, workers=1, time_limit_s=30)
    assert result.audit.ok and result.summary["total_score"] == 270
    assert set(result.selected["candidate_id"]) == set("BCDF")
