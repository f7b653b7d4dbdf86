"""Tests of planner.solver.warm: a re-solve after bound changes solves only the components they reach.

The expected row numbering is worked out by hand from `model.read_rows`' order (linear
constraints first, then the logical ones, a `bool_and` one row per literal); the warm re-solve
must give what a cold solve of the edited model gives.
"""
from __future__ import annotations

import numpy as np
from conftest import frame_of, row, scenario_of
from ortools.sat.python import cp_model

from planner.model import build_model, read_rows
from planner.rules.prepare import prepare
from planner.solver import reached_constraints, solve_model
from planner.solver.warm import constraint_rows


def test_constraint_rows_follow_the_order_of_read_rows():
    cp = cp_model.CpModel()
    x = [cp.new_bool_var(f"x{i}") for i in range(4)]
    cp.add(x[0] + x[1] <= 1)                        # linear: row 0
    cp.add_bool_and([x[1], x[2]]).only_enforce_if(x[0])    # two rows: 2, 3
    cp.add(x[2] + x[3] >= 1)                        # linear: row 1
    cp.add_bool_or([x[0], x[3]])                    # row 4
    assert constraint_rows(cp.proto).tolist() == [0, 2, 1, 4]
    assert read_rows(cp).n_rows == 5


def two_cities():
    rows = [row("a1", score=90), row("a2", score=80), row("a3", score=70),
            row("b1", locality="吉林市", score=85), row("b2", locality="吉林市", score=75)]
    rules = [{"id": "cc", "where": {"locality": "长春市"}, "max": 1},
             {"id": "jl", "where": {"locality": "吉林市"}, "max": 1}]
    scenario = scenario_of({"rule": rules})
    prepared = prepare(frame_of(rows), scenario, None)
    return build_model(prepared.frame, scenario), prepared.frame


def edit(model, rule_id, value):
    """The proto constraint of a rule's bound, given a new maximum; its index."""
    c = next(c for c in model.constraints if c.group.rule.id == rule_id)
    proto = model.cp.proto
    index = [q for q, ct in enumerate(proto.constraints)
             if ct.has_linear() and list(ct.linear.domain)[1] == int(c.limit) and len(ct.linear.vars) > 1
             and all(v in {s.index for s in model.select[c.group.rows]} for v in ct.linear.vars)]
    (q,) = index
    proto.constraints[q].linear.domain[1] = value
    return q


def test_a_warm_resolve_solves_the_reached_city_only_and_equals_a_cold_solve():
    model, frame = two_cities()
    first = solve_model(model, workers=1)
    assert first.warm is not None
    assert frame["candidate_id"][first.selected[:len(frame)]].tolist() == ["a1", "b1"]
    q = edit(model, "cc", 2)                                 # 长春 may take two: a2 (80) enters
    warm = solve_model(model, workers=1, warm=first.warm, changed=[q])
    cold = solve_model(model, workers=1)
    assert np.array_equal(warm.selected, cold.selected) and warm.objective == cold.objective
    assert frame["candidate_id"][warm.selected[:len(frame)]].tolist() == ["a1", "a2", "b1"]
    assert warm.phases[0]["kept_components"] == 1            # 吉林's part kept its slate
    # The part of the model the change reaches: 长春's constraints, not 吉林's.
    kept = reached_constraints(first.warm, model, [q])
    assert q in kept.tolist() and len(kept) < len(model.cp.proto.constraints)
