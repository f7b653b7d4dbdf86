"""Tests of planner.alternatives: other slates that reach the same optimum.

Expected ties are worked out by hand, or enumerated by brute force over every subset.
"""
from __future__ import annotations

import itertools

from conftest import frame_of
from conftest import unit_row as row

from planner import api
from planner.explain.alternatives import COLUMNS, alternative_slates, undecided
from planner.rules import parse_scenario


def solve(rows: list[dict], rules: list[dict], **top) -> api.Result:
    scenario = parse_scenario({"name": "test", "year": 2023, "rule": rules, **top})
    return api.solve(scenario, candidates=frame_of(rows), workers=1)


def cap(n: int) -> dict:
    return {"id": "cap", "clause": "三(三)", "where": {"task": "practice_centre"}, "per": ["locality"],
            "max": {"长春市": n}}


def chosen(result: api.Result) -> set[str]:
    return set(result.slate.loc[result.slate["selected"] == 1, "candidate_id"])


def test_two_equal_scores_for_one_place_are_a_tie():
    # 长春 has one place; A and B both score 80, C 70: {A} and {B} are both optimal, C never is.
    result = solve([row("A", 80), row("B", 80), row("C", 70)], [cap(1)])
    table = alternative_slates(result, 5)
    assert list(table.columns) == COLUMNS and len(table) == 1
    first = table.iloc[0]
    picked = chosen(result) & {"A", "B"}
    other = ({"A", "B"} - picked).pop()
    assert (first["entering"], first["leaving"], first["n_changes"], first["delta_score"]) == (other, picked.pop(), 2, 0)
    assert "替换" in first["sentence"]
    assert undecided(table) == ["A", "B"]


def test_a_unique_optimum_has_no_alternative():
    result = solve([row("A", 90), row("B", 80)], [cap(1)])
    assert alternative_slates(result, 5).empty


def test_all_other_optima_of_a_component_are_found_as_brute_force_enumerates_them():
    rows = [row("A", 80), row("B", 80), row("C", 80), row("D", 70), row("E", 60, "吉林市")]
    result = solve(rows, [cap(2)])
    # Brute force: every subset within 长春 ≤ 2, keep those of the best total.
    ids = [r["candidate_id"] for r in rows]
    score = {r["candidate_id"]: r["score"] for r in rows}
    slates = []
    for bits in itertools.product((0, 1), repeat=len(ids)):
        pick = {c for c, b in zip(ids, bits) if b}
        if len(pick & {"A", "B", "C", "D"}) <= 2:
            slates.append((sum(score[c] for c in pick), frozenset(pick)))
    best = max(v for v, _ in slates)
    optima = {s for v, s in slates if v == best}
    assert len(optima) == 3                      # two of the three 80s, plus E
    current = chosen(result)
    table = alternative_slates(result, 5)
    found = {frozenset((current - set(l.split("、"))) | set(e.split("、")))
             for e, l in zip(table["entering"], table["leaving"])}
    assert found == optima - {frozenset(current)}


def test_deferring_a_pick_to_a_planned_round_is_not_a_tie_of_this_round():
    # One place in 长春 over 2023–2024 and a pool repeated next year at full weight: A now or its
    # planned copy next year score the same, but this round's slate would lose A — not a tie.
    result = solve([row("A", 90)], [{**cap(1), "scope": "period"}], period=[2023, 2024],
                   plan={"forecast": "repeat", "future_weight": 1.0})
    assert alternative_slates(result, 5).empty
