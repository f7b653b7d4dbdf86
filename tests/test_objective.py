"""Tests of planner.model.objective: the lookahead's counters as binary digits, checked by brute
force and against one counter per copy (the formulation before) on random small rounds."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from conftest import frame_of, row, scenario_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import planner.model.objective as objective
from planner.model import build_model, tie_weight
from planner.solver import solve_model


@pytest.mark.parametrize("copies", range(1, 40))
def test_counter_digits_sum_to_the_copies_and_reach_every_count(copies):
    digits = objective.counter_digits(copies)
    assert sum(digits) == copies and all(d > 0 for d in digits)
    reached = {sum(c) for k in range(len(digits) + 1) for c in itertools.combinations(digits, k)}
    assert reached == set(range(copies + 1))
    assert len(digits) == math.ceil(math.log2(copies + 1))      # no fewer Booleans can count 0..copies


def _unary_counters(model, rows, group, source, bits, known=None):
    """The formulation before: per group of copies, one counter per copy, ordered
    (``count[SRC#1] ≥ count[SRC#2] ≥ …``), summing to the copies picked, each priced at the
    source's `tie_weight`."""
    counters, ties = [], []
    for g in np.unique(group):
        members = rows[group == g]
        src = str(source[members[0]])
        mine = [model.cp.new_bool_var(f"count[{src}#{j + 1}]") for j in range(len(members))]
        for higher, lower in zip(mine, mine[1:]):
            model.cp.add_implication(lower, higher)
        model.cp.add(sum(mine) == sum(model.select[members].tolist()))
        counters += mine
        ties += [tie_weight(src, bits)] * len(mine)
    return counters, ties


RULES = [
    {"id": "quota", "clause": "t", "max": 2},                                            # a period quota
    {"id": "city", "clause": "t", "per": ["locality"], "max": 1},
    {"id": "target", "clause": "t", "where": {"task": "core_course"}, "min": 2, "by": 2025},
    {"id": "pace", "clause": "t", "scope": "year", "max": 1},
    {"id": "budget", "clause": "t", "measure": "sum:cost", "max": 60},
]
LOCALITIES = ["长春市", "吉林市", "四平市"]


@st.composite
def rounds(draw):
    n = draw(st.integers(1, 5))
    rows = [row(f"K{i}", score=float(draw(st.integers(60, 100))), cost=float(draw(st.integers(0, 40))),
                locality=draw(st.sampled_from(LOCALITIES)),
                **(dict(task="core_course", track="offline") if draw(st.booleans()) else {}))
            for i in range(n)]
    rules = draw(st.lists(st.sampled_from(RULES), min_size=1, max_size=3, unique_by=lambda r: r["id"]))
    weight = draw(st.sampled_from([1, 0.5, 0]))
    return rows, {"period": [2023, 2025], "rule": rules,
                  "plan": {"forecast": "repeat", "future_weight": weight, "reachability": "soft"}}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=rounds())
def test_binary_counters_give_the_optima_and_slates_of_one_counter_per_copy(case):
    rows, data = case
    scenario = scenario_of(data)
    frame = frame_of(rows)
    binary = build_model(frame, scenario)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(objective, "_add_counters", _unary_counters)
        unary = build_model(frame, scenario)
    assert len(binary.cp.Proto().variables) <= len(unary.cp.Proto().variables)
    for level_b, level_u in zip(binary.objectives, unary.objectives, strict=True):
        assert level_b.name == level_u.name
        assert sum(level_b.ties) == sum(level_u.ties)            # the solver's lexicographic weight
    got, expected = (solve_model(m, time_limit_s=20, workers=1) for m in (binary, unary))
    assert got.status == expected.status == "OPTIMAL"
    assert got.selected.tolist() == expected.selected.tolist()
    assert got.national.tolist() == expected.national.tolist()
    assert [p["objective"] for p in got.phases] == pytest.approx([p["objective"] for p in expected.phases])


def test_a_round_with_a_lookahead_counts_each_candidate_and_its_two_copies_with_two_digits():
    """Three rows of 2023 repeated in 2024 and 2025 (future_weight 1): each candidate and its two
    copies are one group of 3, counted by digits 1 and 2 (priced 1× and 2× the candidate's
    weight) in one constraint: −A −A@2024 −A@2025 + count[A#1] + 2·count[A#2] = 0."""
    scenario = scenario_of({"period": [2023, 2025], "rule": [{"id": "quota", "clause": "t", "max": 2}],
                            "plan": {"forecast": "repeat", "future_weight": 1}})
    model = build_model(frame_of([row("A", score=90.0), row("B", score=80.0), row("C", score=70.0)]), scenario)
    names = [v.name for v in model.cp.Proto().variables]
    assert sorted(n for n in names if n.startswith("count[")) == \
        ["count[A#1]", "count[A#2]", "count[B#1]", "count[B#2]", "count[C#1]", "count[C#2]"]
    score = model.objectives[0]
    priced = {v.name: t for v, t in zip(score.variables, score.ties)}
    assert set(priced) == {n for n in names if n.startswith("count[")}
    for src in "ABC":
        assert priced[f"count[{src}#2]"] == 2 * priced[f"count[{src}#1]"]
    sums = [c.linear for c in model.cp.Proto().constraints if c.has_linear() and list(c.linear.domain) == [0, 0]]
    assert len(sums) == 3
    for s in sums:
        terms = {names[v]: k for v, k in zip(s.vars, s.coeffs)}
        src = next(n[6] for n in terms if n.startswith("count["))
        assert terms == {f"select[{src}]": -1, f"select[{src}@2024]": -1, f"select[{src}@2025]": -1,
                         f"count[{src}#1]": 1, f"count[{src}#2]": 2}


@settings(max_examples=200, deadline=None)
@given(units=st.lists(st.integers(-10**6, 10**6), min_size=1, max_size=30),
       weight=st.fractions(min_value=0, max_value=1, max_denominator=1000), years=st.integers(0, 4))
def test_the_denominators_of_the_discounted_scores_are_those_of_the_fractions(units, weight, years):
    """Hand rule b / gcd(u, b) against Fraction arithmetic, per (unit, years ahead)."""
    rng = np.random.default_rng(len(units))
    ahead = rng.integers(0, years + 1, size=len(units))
    factors = {int(k): weight ** int(k) for k in np.unique(ahead)}
    expected = sorted({(u * factors[int(k)]).denominator for u, k in zip(units, ahead)})
    assert objective._product_denominators(np.array(units, dtype=np.int64), ahead, factors) == expected


def test_copies_are_numbered_by_source_then_coefficient_even_beyond_int64():
    sources = np.array(["b", "a", "b", "a", "c"], dtype=object)
    for big in (0, 2**70):
        coefs = np.array([5 + big, 7 + big, 5 + big, 3 + big, 5 + big], dtype=object)
        # (a,3) (a,7) (b,5) (c,5) in that order
        assert objective._copy_groups(sources, coefs).tolist() == [2, 1, 2, 0, 3]
