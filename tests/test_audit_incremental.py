"""Tests of planner.audit.incremental: a slate audited from the audit of another slate of the round.

The rules to check again are named by hand from the rule text (which rules count the changed
rows, which bounds changed); `recheck` must then give exactly what `check_slate` gives.
"""
from __future__ import annotations

import numpy as np
from conftest import frame_of, row, scenario_of

from planner.audit import check_slate, recheck

RULES = [{"id": "cap", "clause": "三(三)", "where": {"task": "practice_centre"}, "per": ["locality"],
          "max": {"长春市": 2, "*": 1}},
         {"id": "total", "where": {"task": "practice_centre"}, "max": 3},
         {"id": "jl-min", "where": {"locality": "吉林市"}, "min": 1},
         {"id": "courses", "where": {"task": "resource_library"}, "max": 1}]


def case():
    rows = [row("a1", score=90), row("a2", score=80), row("a3", score=70),
            row("b1", locality="吉林市", score=85), row("b2", locality="吉林市", score=75),
            row("c1", task="resource_library", track="", score=60)]
    return scenario_of({"rule": RULES}), frame_of(rows)


def slate(frame, chosen):
    out = frame.copy()
    out["selected"] = out["candidate_id"].isin(chosen).astype(np.int8)
    out["national"] = np.zeros(len(out), np.int8)
    return out


def assert_same(got, want):
    assert got.rules.equals(want.rules)
    assert got.rows.equals(want.rows)
    assert got.filings.equals(want.filings)


def test_a_changed_row_is_checked_again_in_the_rules_that_count_it():
    scenario, frame = case()
    before = check_slate(slate(frame, ["a1", "a2", "b1"]), scenario)
    after = slate(frame, ["a1", "b1", "b2"])            # a2 out, b2 in: both practice centres
    rows = np.flatnonzero(frame["candidate_id"].isin(["a2", "b2"]).to_numpy())
    # a2 and b2 are counted by cap, total and (b2) jl-min; "courses" counts neither.
    got = recheck(before, after, scenario, rules={"cap", "total", "jl-min"}, rows=rows)
    assert_same(got, check_slate(after, scenario))
    assert not got.ok                                   # 吉林 2 > 1: the cap's record was checked again


def test_a_changed_bound_is_checked_again_without_a_changed_row():
    scenario, frame = case()
    chosen = slate(frame, ["a1", "a2", "b1"])
    before = check_slate(chosen, scenario)
    tighter = scenario.with_bound("total", "max", 2)
    got = recheck(before, chosen, tighter, rules={"total"}, rows=np.array([], np.int64))
    want = check_slate(chosen, tighter)
    assert_same(got, want)
    assert list(got.hard_violations["rule_id"]) == ["total"]


def test_a_row_problem_of_a_changed_row_gives_the_full_audit():
    scenario, frame = case()
    pinned_out = scenario.pinned(force_out=["a3"])
    before = check_slate(slate(frame, ["a1", "a2", "b1"]), pinned_out)
    after = slate(frame, ["a1", "a3", "b1"])            # a3 is pinned out: a row problem
    rows = np.flatnonzero(frame["candidate_id"].isin(["a2", "a3"]).to_numpy())
    got = recheck(before, after, pinned_out, rules={"cap", "total"}, rows=rows)
    want = check_slate(after, pinned_out)
    assert_same(got, want)
    assert list(got.rows["candidate_id"]) == ["a3"]
