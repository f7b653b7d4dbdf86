"""Tests of planner.solve: each rule shape feasible / infeasible / binding with slates worked out
by hand, the lexicographic levels, the tie-break, and the time limit."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import (
    KNAPSACK_WEIGHTS,
    SIX_ROWS,
    knapsack_rows,
    knapsack_scenario,
    market_split_rows,
    row,
    scenario_of,
    typed_frame,
)

from planner.errors import InfeasibleError, NoSolutionError
from planner.model import build_model
from planner.solver import solve_model

# Selectable: A 90, B 80, C 70, D 65, F 55 (E is not eligible).
ROWS = SIX_ROWS
SCORE = {r["candidate_id"]: r["score"] for r in ROWS}


def run(data: dict, rows=ROWS, *, locked=None, locked_national=None, **kw):
    frame = typed_frame(rows)
    model = build_model(frame, scenario_of(data), locked=locked, locked_national=locked_national)
    solution = solve_model(model, **{"time_limit_s": 20, "workers": 1, **kw})
    ids = frame["candidate_id"].to_numpy()
    return solution, set(ids[solution.selected]), set(ids[solution.national])


# --------------------------------------------------------------------------- one triple per shape
# (scenario, expected selected, expected national); None = infeasible. Each worked out by hand.
CASES = {
    "no-rule-takes-every-selectable": ({"rule": [{"id": "r", "max": 10}]}, "ABCDF", ""),
    # 长春 ≤ 1 keeps A (90) over B; 吉林 ≤ 2 keeps C, D; 四平 has only F (E ineligible).
    "count-per-group-binding": ({"rule": [{"id": "r", "per": ["locality"], "max": {"长春市": 1, "*": 2}}]},
                                "ACDF", ""),
    "count-named-empty-group-infeasible": ({"rule": [{"id": "r", "per": ["locality"], "min": {"白城市": 1}}]},
                                           None, ""),
    # At most 2 in all, at least 1 from 四平市: F must be in, then the best other one (A).
    "count-min-forces-a-low-score": ({"rule": [{"id": "m", "max": 2},
                                               {"id": "s", "where": {"locality": "四平"}, "min": 1}]}, "AF", ""),
    "count-min-above-pool-infeasible": ({"rule": [{"id": "r", "where": {"task": "core_course"}, "min": 4}]},
                                        None, ""),
    # Σ cost ≤ 65.5: B+C+D+F cost 25.5+10+30+0 = 65.5 exactly for 270 points; any set with A
    # (cost 40) fits at most C and F beside it (215) or B and F (225).
    "sum-decimal-binding": ({"rule": [{"id": "r", "measure": "sum:cost", "max": 65.5}]}, "BCDF", ""),
    # Σ cost ≤ 65.4: B+C+D+F and A+B+F (65.5 each) no longer fit; A+C+F (cost 50, 215 points) beats
    # B+C+F (205), B+D+F (200) and C+D+F (190).
    "sum-one-unit-less": ({"rule": [{"id": "r", "measure": "sum:cost", "max": 65.4}]}, "ACF", ""),
    # Soft max 2, weight 30: each extra pick costs 30, every score is above 30, so all five.
    "soft-cheap-violated": ({"rule": [{"id": "r", "max": 2, "soft": {"weight": 30}}]}, "ABCDF", ""),
    # Weight 60: the 3rd (70) and 4th (65) pay for themselves, the 5th (55) does not.
    "soft-binding": ({"rule": [{"id": "r", "max": 2, "soft": {"weight": 60}}]}, "ABCD", ""),
    "soft-min-never-infeasible": ({"rule": [{"id": "r", "where": {"locality": "白城"}, "min": 2,
                                             "soft": {"weight": 1}}]}, "ABCDF", ""),
    # National: exactly 1 secondary + 1 higher core course: C (70) and D (65); F stays provincial.
    "national-split": ({"rule": [{"id": "n", "decision": "national", "where": {"task": "core_course"},
                                  "per": ["level"], "min": 1, "max": 1}]}, "ABCDF", "CD"),
    "national-cap": ({"rule": [{"id": "n", "decision": "national", "max": 2}]}, "ABCDF", "AB"),
    "national-min-infeasible": ({"rule": [{"id": "n", "decision": "national", "where": {"level": "higher"},
                                           "min": 3}]}, None, ""),
    # A national max 1 together with a provincial max 3: provincial first (A, B, C), national from it.
    "national-from-provincial": ({"rule": [{"id": "p", "max": 3},
                                           {"id": "n", "decision": "national", "where": {"task": "core_course"},
                                            "max": 1}]}, "ABC", "C"),
    "by-later-year-min-off": ({"period": [2023, 2025], "rule": [{"id": "r", "min": 9, "by": 2025}]}, "ABCDF", ""),
    "by-this-year-min-on": ({"period": [2021, 2023], "rule": [{"id": "r", "min": 9, "by": 2023}]}, None, ""),
    "pins": ({"force_in": ["F"], "force_out": ["A"], "rule": [{"id": "r", "max": 2}]}, "BF", ""),
    "pass-mark": ({"objective": {"pass_mark": 66}, "rule": [{"id": "r", "max": 9}]}, "ABC", ""),
    "where-list-and-not": ({"rule": [{"id": "r", "where": {"task": ["core_course"], "track": {"not": "online"}},
                                      "max": 0}]}, "ABD", ""),
}


def test_a_soft_bound_between_integers_costs_only_the_real_violation():
    # Soft max 2.5, weight 1: a third pick breaks it by 0.5 and costs 0.5 < 0.7, so C is worth taking.
    rows = [row("A", score=50.0), row("B", score=40.0), row("C", score=0.7)]
    solution, got, _ = run({"rule": [{"id": "band", "max": 2.5, "soft": {"weight": 1}}]}, rows)
    assert got == {"A", "B", "C"}
    assert solution.objective == pytest.approx(50 + 40 + 0.7 - 0.5)


def test_a_soft_group_of_locked_history_only_keeps_its_penalty():
    """Regression (found by the property tests): a soft per-locality minimum whose 吉林市 group holds
    only an unselected 2022 row must cost its 0.5 — the component solver once dropped it."""
    rows = [row("C00", score=0.0), row("H00", year=2022, locality="吉林市", score=0.0)]
    frame = typed_frame(rows)
    data = {"period": [2022, 2023], "rule": [{"id": "r0", "per": ["locality"], "min": 1, "soft": {"weight": 0.5}}]}
    model = build_model(frame, scenario_of(data), locked=np.array([False, False]),
                        history_rows=np.array([False, True]))
    solution = solve_model(model, workers=1)
    assert solution.objective == pytest.approx(0.0 - 0.5)


@pytest.mark.parametrize("name", list(CASES))
def test_rule_shapes(name):
    data, selected, national = CASES[name]
    if selected is None:
        with pytest.raises(InfeasibleError):
            run(data)
        return
    solution, got, got_national = run(data)
    assert got == set(selected) and got_national == set(national)
    assert solution.status == "OPTIMAL" and solution.gap == 0
    # The objective is the score of the slate minus the soft penalty computed by hand.
    penalty = {"soft-cheap-violated": 30 * 3, "soft-binding": 60 * 2, "soft-min-never-infeasible": 2}.get(name, 0)
    assert solution.objective == pytest.approx(sum(SCORE[c] for c in selected) - penalty)
    assert solution.best_bound == pytest.approx(solution.objective)


def test_period_rules_count_locked_history_year_rules_do_not():
    rows = ROWS + [row("H", year=2022, locality="长春市", score=99.0)]
    locked = np.array([False] * 6 + [True])
    data = {"period": [2022, 2023], "rule": [{"id": "r", "per": ["locality"], "max": {"长春市": 1, "*": 9}}]}
    # H took 长春市's one place in 2022: no 长春市 candidate this year.
    _, got, _ = run(data, rows, locked=locked)
    assert got == set("CDF") | {"H"}          # locked rows keep their recorded decision
    yearly = {**data, "rule": [{**data["rule"][0], "scope": "year"}]}
    _, got, _ = run(yearly, rows, locked=locked)
    assert got == set("ACDF") | {"H"}


def test_locked_national_picks_count_in_national_period_rules():
    rows = ROWS + [row("H", year=2022, task="core_course", track="online", score=99.0)]
    lock = np.array([False] * 6 + [True])
    data = {"period": [2022, 2023], "rule": [{"id": "n", "decision": "national", "where": {"task": "core_course"},
                                              "max": 2}]}
    _, _, national = run(data, rows, locked=lock, locked_national=lock)
    assert national == {"C", "H"}             # H used one of the two places; C (70) is the best left


def test_a_round_with_nothing_to_decide_is_solved():
    """Regression: the component solver once raised IndexError when no variable was left free (the
    only candidate below the pass mark, a soft `min = 0` rule whose slack has domain [0, 0])."""
    data = {"objective": {"pass_mark": 40}, "rule": [{"id": "r", "min": 0, "soft": {"weight": 0.5}}]}
    solution, got, _ = run(data, [row("A", score=0.0)])
    assert got == set() and solution.status == "OPTIMAL" and solution.objective == 0


# --------------------------------------------------------------------------- lexicographic levels
def test_a_national_rule_never_costs_provincial_score():
    base = {"rule": [{"id": "p", "per": ["locality"], "max": 1}]}
    with_national = {"rule": base["rule"] + [{"id": "n", "decision": "national", "where": {"locality": "四平市"},
                                              "max": 1}]}
    plain, got, _ = run(base)
    both, got_both, national = run(with_national)
    assert got == got_both == set("ACF") and national == {"F"}
    assert plain.objective == both.objective == 90 + 70 + 55
    assert [p["phase"] for p in both.phases] == ["score", "national_score"]


def test_national_phase_keeps_the_provincial_optimum():
    """Regression: the national phase once fixed only the select variables, not the first level's
    optimum, so a soft national rule let it add penalised picks (objective 170 reported, slate worth 70)."""
    rows = [row("A", task="core_course", track="offline", score=90.0),
            row("B", task="core_course", track="offline", score=80.0)]
    data = {"rule": [{"id": "n", "decision": "national", "max": 1, "soft": {"weight": 100}}]}
    # Level 1: both provincially (170), one national (no penalty) = 170; a second national costs 100.
    # Level 2 may only choose among slates keeping 170: one national pick, A (90).
    solution, got, national = run(data, rows)
    assert solution.objective == 170
    assert got == {"A", "B"} and national == {"A"}


# --------------------------------------------------------------------------- ties
TIED = [row(f"T{i}", score=70.0, locality=["长春市", "吉林市"][i % 2]) for i in range(8)]


def test_ties_are_broken_the_same_way_whatever_the_seed_workers_or_row_order():
    data = {"rule": [{"id": "r", "per": ["locality"], "max": 2}]}
    slates = set()
    for seed, workers, order in [(0, 1, TIED), (7, 1, TIED), (3, 2, TIED[::-1]), (11, 2, TIED[3:] + TIED[:3])]:
        _, got, _ = run(data, order, seed=seed, workers=workers)
        assert len(got) == 4
        slates.add(frozenset(got))
    assert len(slates) == 1


def test_the_tie_break_never_trades_score():
    # The 0.1-point better candidate wins whatever its id priority, for every pair.
    for i in range(6):
        rows = [row(f"P{i}", score=70.1), row(f"Q{i}", score=70.0)]
        _, got, _ = run({"rule": [{"id": "r", "max": 1}]}, rows)
        assert got == {f"P{i}"}
        rows = [row(f"P{i}", score=70.0), row(f"Q{i}", score=70.1)]
        _, got, _ = run({"rule": [{"id": "r", "max": 1}]}, rows)
        assert got == {f"Q{i}"}


def test_a_hint_does_not_change_the_optimum():
    data = CASES["count-per-group-binding"][0]
    _, plain, _ = run(data)
    _, hinted, _ = run(data, hint=np.array([False, True, False, False, False, True]))
    assert plain == hinted


# --------------------------------------------------------------------------- the time limit
def _knapsack_model():
    return build_model(typed_frame(knapsack_rows(300), extra=KNAPSACK_WEIGHTS), scenario_of(knapsack_scenario()))


def test_a_run_cut_by_the_time_limit_returns_its_best_slate_with_the_gap():
    model = _knapsack_model()
    try:
        solution = solve_model(model, time_limit_s=1.5, workers=2)
    except NoSolutionError:          # a heavily loaded machine: the other half of the contract
        return
    assert solution.status == "FEASIBLE"
    assert solution.best_bound > solution.objective and solution.gap > 0
    assert solution.gap == pytest.approx((solution.best_bound - solution.objective) / solution.objective)
    # The slate is a real one: every budget holds.
    frame = model.frame
    for w in KNAPSACK_WEIGHTS:
        assert frame[w].astype(int)[solution.selected].sum() <= 3000


def test_no_slate_within_the_time_limit_is_a_no_solution_error():
    rows, data = market_split_rows()
    model = build_model(typed_frame(rows, extra=["w1", "w2", "w3", "w4"]), scenario_of(data))
    with pytest.raises(NoSolutionError, match="time limit"):
        solve_model(model, time_limit_s=0.5, workers=1)
