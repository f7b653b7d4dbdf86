"""The fast path of planner.solver — rows, components, LP bound and reduced-cost fixing — is exact:
it reads the model right, splits it right, and gives the optimum (and the same slate) that brute
force and the plain one-solve-per-level path give, whatever the workers and the seed.

Correctness and determinism only: no timing is asserted (benchmarks/ measures time).
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from conftest import REPO, row, scenario_of, typed_frame
from ortools.sat.python import cp_model

from planner.model import INT_MAX, LinearRows, build_model, component_labels, read_rows
from planner.rules import load_scenario, read_candidates
from planner.rules.prepare import prepare
from planner.solver import solve_level, solve_model, solve_model_direct


# --------------------------------------------------------------------------- reading the model
def test_rows_say_what_the_constraints_say_for_every_assignment():
    cp = cp_model.CpModel()
    x = [cp.new_bool_var(f"x{i}") for i in range(4)]
    cp.add(2 * x[0] + 3 * x[1] - x[2] <= 3)
    cp.add_implication(x[3], x[0])                 # x3 ⇒ x0
    cp.add_bool_or([x[1], ~x[2]])                  # x1 ∨ ¬x2
    cp.add_at_most_one([x[0], x[2], x[3]])
    rows = read_rows(cp)
    for values in itertools.product([0, 1], repeat=4):
        a = np.array(values)
        by_hand = (2 * a[0] + 3 * a[1] - a[2] <= 3) and (not a[3] or a[0]) and (a[1] or not a[2]) \
            and a[0] + a[2] + a[3] <= 1
        assert (not rows.violated(a).any()) == by_hand, values


def test_components_are_the_variables_no_row_links():
    # Rows: {0,1}, {1,2}, {3,4}; variable 5 in no row; variable 6 fixed (inactive) links {7} to {0}.
    rows = LinearRows(lower=np.zeros(8, np.int64), upper=np.ones(8, np.int64),
                      start=np.array([0, 2, 4, 6, 8]), var=np.array([0, 1, 1, 2, 3, 4, 6, 7]),
                      coef=np.ones(8, np.int64), lo=np.zeros(4, np.int64), hi=np.full(4, INT_MAX))
    active = np.array([True] * 6 + [False, True])
    labels = component_labels(rows, active)
    assert labels.tolist() == [0, 0, 0, 1, 1, 2, -1, 3]


# --------------------------------------------------------------------------- exactness
def knapsack_level(n: int, seed: int):
    """A 2-constraint knapsack with integer data, as rows plus objective and tie priorities."""
    rng = np.random.default_rng(seed)
    weights = rng.integers(1, 40, size=(2, n))
    profit = rng.integers(1, 60, size=n)
    cap = weights.sum(axis=1) // 2
    rows = LinearRows(lower=np.zeros(n, np.int64), upper=np.ones(n, np.int64),
                      start=np.array([0, n, 2 * n]), var=np.tile(np.arange(n), 2), coef=weights.ravel(),
                      lo=np.array([np.iinfo(np.int64).min] * 2), hi=cap.astype(np.int64))
    ties = rng.integers(1, 2**10, size=n)
    return rows, weights, profit, cap, ties


@pytest.mark.parametrize("seed", range(8))
def test_reduced_cost_fixing_keeps_the_lexicographic_optimum_of_brute_force(seed):
    n = 14
    rows, weights, profit, cap, ties = knapsack_level(n, seed)
    result = solve_level(rows, rows.lower.copy(), rows.upper.copy(), profit.astype(np.int64), ties.astype(np.int64),
                         deadline=math.inf)
    best = None
    for bits in itertools.product([0, 1], repeat=n):
        x = np.array(bits)
        if np.all(weights @ x <= cap):
            key = (int(profit @ x), int(ties @ x))
            best = max(best, key) if best else key
    assert result.status == "OPTIMAL"
    assert (int(profit @ result.values), int(ties @ result.values)) == best


ROWS = [row(f"K{i:02d}", score=float(s), cost=float(c), locality=loc, task=task, track=track,
            level=level, unit_kind="higher_vocational" if level == "higher" else "secondary_vocational")
        for i, (s, c, loc, task, track, level) in enumerate([
            (91, 40, "长春市", "practice_centre", "school", "secondary"),
            (88, 35, "长春市", "core_course", "offline", "higher"),
            (85, 10, "吉林市", "core_course", "offline", "secondary"),
            (83, 22, "吉林市", "practice_centre", "school", "secondary"),
            (80, 18, "四平市", "core_course", "online", "higher"),
            (78, 30, "四平市", "practice_centre", "school", "secondary"),
            (77, 5, "长春市", "core_course", "offline", "secondary"),
            (70, 12, "吉林市", "practice_centre", "school", "higher"),
            (66, 8, "四平市", "core_course", "offline", "higher"),
            (60, 2, "长春市", "practice_centre", "school", "secondary"),
        ])]
SCENARIOS = {
    "pool-and-quota": {"rule": [{"id": "pool", "measure": "sum:cost", "max": 90},
                                {"id": "q", "per": ["locality"], "max": {"长春市": 2, "*": 3}}]},
    "soft-band-and-national": {"rule": [{"id": "band", "where": {"task": "core_course"}, "min": 3, "max": 3,
                                         "soft": {"weight": 40}},
                                        {"id": "pool", "measure": "sum:cost", "max": 70},
                                        {"id": "n", "decision": "national", "where": {"task": "core_course"},
                                         "per": ["level"], "max": 1}]},
    "independent-tasks": {"rule": [{"id": "pc", "where": {"task": "practice_centre"}, "max": 2},
                                   {"id": "cc", "where": {"task": "core_course"}, "measure": "sum:cost", "max": 30}]},
}


def brute_force(rows, data) -> float:
    """Best Σ score − penalty over every subset (provincial rules of the scenarios above)."""
    best = -math.inf
    for k in range(len(rows) + 1):
        for pick in itertools.combinations(rows, k):
            value = sum(r["score"] for r in pick)
            ok = True
            for rule in data["rule"]:
                if rule.get("decision") == "national":
                    continue
                where = rule.get("where", {})
                chosen = [r for r in pick if all(r[c] == v for c, v in where.items())]
                if "per" in rule:
                    groups = {}
                    for r in chosen:
                        groups[r["locality"]] = groups.get(r["locality"], 0) + 1
                    limit = rule["max"]
                    ok &= all(v <= limit.get(g, limit["*"]) for g, v in groups.items())
                    continue
                total = sum(r["cost"] for r in chosen) if rule.get("measure") == "sum:cost" else len(chosen)
                if "soft" in rule:
                    value -= rule["soft"]["weight"] * (max(0, rule["min"] - total) + max(0, total - rule["max"]))
                else:
                    ok &= total <= rule["max"]
            if ok:
                best = max(best, value)
    return best


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_the_fast_path_gives_brute_force_optimum_and_the_plain_paths_slate(name):
    data = SCENARIOS[name]
    frame = typed_frame(ROWS)
    model = build_model(frame, scenario_of(data))
    fast = solve_model(model, workers=2)
    plain = solve_model_direct(model, workers=1)
    assert fast.status == plain.status == "OPTIMAL"
    assert fast.objective == pytest.approx(brute_force(ROWS, data))
    assert np.array_equal(fast.selected, plain.selected) and np.array_equal(fast.national, plain.national)


def test_independent_rules_are_solved_as_separate_components():
    model = build_model(typed_frame(ROWS), scenario_of(SCENARIOS["independent-tasks"]))
    solution = solve_model(model, workers=1)
    assert solution.phases[0]["components"] == 2      # practice centres | core courses


def test_a_model_with_assumptions_takes_the_plain_path_and_agrees():
    data = SCENARIOS["pool-and-quota"]
    frame = typed_frame(ROWS)
    with_lits = solve_model(build_model(frame, scenario_of(data), with_assumptions=True), workers=1)
    plain = solve_model(build_model(frame, scenario_of(data)), workers=1)
    assert "components" not in with_lits.phases[0] and "components" in plain.phases[0]
    assert np.array_equal(with_lits.selected, plain.selected)


# --------------------------------------------------------------------------- determinism
@pytest.mark.slow
def test_the_funded_round_gives_one_slate_for_any_workers_and_seed():
    scenario = load_scenario(REPO / "scenarios" / "jilin-2023-funded.toml")
    frame = read_candidates(scenario, None)
    prepared = prepare(frame, scenario, None)
    model = build_model(prepared.frame, scenario, locked=prepared.locked, locked_national=prepared.locked_national)
    slates = set()
    for workers, seed in [(1, 0), (2, 7), (8, 12345)]:
        solution = solve_model(model, workers=workers, seed=seed)
        assert solution.status == "OPTIMAL"
        slates.add((solution.selected.tobytes(), solution.national.tobytes()))
    assert len(slates) == 1


# --------------------------------------------------------------------------- warm re-solves
WARM_RULES = {"rule": [
    {"id": "pc-city", "where": {"task": "practice_centre"}, "per": ["locality"], "max": 1},
    {"id": "cc-city", "where": {"task": "core_course"}, "per": ["locality"], "max": 1},
    {"id": "cc-min", "where": {"task": "core_course"}, "min": 1},
    {"id": "pc-budget", "where": {"task": "practice_centre"}, "measure": "sum:cost", "max": 80}]}


@pytest.mark.parametrize("seed", range(3))
def test_a_warm_resolve_after_random_bound_edits_gives_the_cold_slate(seed):
    """Random bounds written into the kept model one after another (as a what-if session does),
    each re-solved warm — only the components a change reaches, the others from the solves kept —
    and cold: the same status, objective and slate (or both infeasible)."""
    from planner.api.kept_model import match_constraints
    from planner.errors import InfeasibleError

    rng = np.random.default_rng(seed)
    model = build_model(typed_frame(ROWS), scenario_of(WARM_RULES))
    index, offsets = match_constraints(model)
    solution = solve_model(model, workers=1)
    warm, earlier, pending = solution.warm, [solution.warm], set()
    for _ in range(8):
        pos = int(rng.integers(len(model.constraints)))
        c = model.constraints[pos]
        limit = int(rng.integers(0, 3)) if c.group.rule.id != "pc-budget" else int(rng.integers(20, 120))
        domain = [limit * c.scale - offsets[pos], cp_model.INT_MAX] if c.bound == "min" else \
            [cp_model.INT_MIN, limit * c.scale - offsets[pos]]
        linear = model.cp.proto.constraints[index[pos]].linear
        linear.domain.clear()
        linear.domain.extend(domain)
        pending.add(index[pos])
        try:
            cold = solve_model(model, workers=1)
        except InfeasibleError:
            with pytest.raises(InfeasibleError):
                solve_model(model, workers=1, warm=warm, changed=sorted(pending), earlier=earlier)
            continue
        again = solve_model(model, workers=1, warm=warm, changed=sorted(pending), earlier=earlier)
        assert again.status == cold.status == "OPTIMAL"
        assert again.objective == cold.objective
        assert np.array_equal(again.selected, cold.selected) and np.array_equal(again.national, cold.national)
        warm, pending = again.warm, set()
        earlier = [warm, *earlier][:4]
