"""The greedy baseline: by descending score, keep whoever still fits every hard maximum.

Every expected slate below is worked out by hand from that rule; the knapsack case shows the
score greedy loses against the optimum (also by hand), which is what the benchmarks report.
"""
from __future__ import annotations

import numpy as np
from conftest import row, scenario_of, typed_frame

from planner.audit import check_slate
from planner.model import build_model
from planner.solver import greedy_slate, solve_model


def greedy(rows, data, *, locked=None, locked_national=None):
    frame = typed_frame(rows)
    selected, national = greedy_slate(frame, scenario_of(data), locked=locked, locked_national=locked_national)
    ids = frame["candidate_id"].to_numpy()
    return set(ids[selected]), set(ids[national]), frame


ROWS = [
    row("A", locality="长春市", score=90.0, cost=60.0),
    row("B", locality="长春市", score=80.0, cost=50.0),
    row("C", locality="吉林市", score=75.0, cost=50.0, task="core_course", track="offline"),
    row("D", locality="吉林市", score=65.0, cost=10.0, task="core_course", track="offline", level="higher",
        unit_kind="higher_vocational"),
    row("E", locality="吉林市", score=60.0, cost=10.0),
    row("F", locality="四平市", score=50.0, cost=5.0),
]


def test_a_locality_quota_keeps_the_best_of_each_locality():
    # 长春 ≤ 1: A (90) in, B (80) out; 吉林 ≤ 2: C (75), D (65) in, E (60) out; 四平 ≤ 2: F.
    got, _, _ = greedy(ROWS, {"rule": [{"id": "q", "per": ["locality"], "max": {"长春市": 1, "*": 2}}]})
    assert got == {"A", "C", "D", "F"}


def test_a_budget_makes_greedy_lose_score_against_the_optimum():
    rows = ROWS[:3]
    data = {"rule": [{"id": "pool", "measure": "sum:cost", "max": 100}]}
    got, _, frame = greedy(rows, data)
    # Greedy takes A (cost 60); B and C (50 each) no longer fit: 90 points.
    assert got == {"A"}
    model = build_model(frame, scenario_of(data))
    best = solve_model(model, workers=1)
    # The optimum takes B and C (cost 100): 155 points, 65 more than greedy.
    assert set(frame["candidate_id"][best.selected]) == {"B", "C"} and best.objective == 155
    assert best.objective - frame["score"][frame["candidate_id"].isin(got)].sum() == 65


def test_a_ban_and_a_pass_mark_keep_candidates_out():
    data = {"objective": {"pass_mark": 62}, "rule": [{"id": "ban", "where": {"locality": "长春市"}, "max": 0}]}
    got, _, _ = greedy(ROWS, data)
    assert got == {"C", "D"}            # A, B banned; E (60), F (50) below the pass mark


def test_a_period_quota_counts_the_locked_history():
    rows = ROWS + [row("H", year=2022, locality="长春市", score=99.0)]
    locked = np.array([False] * 6 + [True])
    data = {"period": [2022, 2023], "rule": [{"id": "q", "per": ["locality"], "max": {"长春市": 1, "*": 9}}]}
    got, _, _ = greedy(rows, data, locked=locked)
    assert got == {"C", "D", "E", "F", "H"}     # H took 长春市's place in 2022 and keeps it


def test_national_picks_come_from_the_slate_within_the_national_maximum():
    data = {"rule": [{"id": "p", "max": 3},
                     {"id": "n", "decision": "national", "where": {"task": "core_course"}, "max": 1}]}
    got, national, _ = greedy(ROWS, data)
    assert got == {"A", "B", "C"} and national == {"C"}      # D (core course) is not on the slate


def test_minimums_are_not_its_business_so_its_slate_can_fail_the_audit():
    data = {"rule": [{"id": "all", "max": 2}, {"id": "siping", "where": {"locality": "四平市"}, "min": 1}]}
    got, _, frame = greedy(ROWS, data)
    assert got == {"A", "B"}
    slate = frame.assign(selected=frame["candidate_id"].isin(got), national=False)
    report = check_slate(slate, scenario_of(data))
    assert not report.ok and any("siping" in line for line in report.messages())


def test_pins_go_first_and_equal_scores_go_by_candidate_id():
    data = {"force_in": ["F"], "rule": [{"id": "all", "max": 2}]}
    got, _, _ = greedy(ROWS, data)
    assert got == {"F", "A"}
    tied = [row("T2", score=70.0), row("T1", score=70.0), row("T3", score=70.0)]
    got, _, _ = greedy(tied, {"rule": [{"id": "one", "max": 1}]})
    assert got == {"T1"}
