"""Tests of planner.model: variables, one constraint per rule group and bound, and that the model
holds exactly the slates the rules allow (checked slate by slate against tests/oracle.py)."""
from __future__ import annotations

import itertools
import logging
import math
from fractions import Fraction

import numpy as np
import oracle
import pytest
from conftest import SIX_ROWS, frame_of, row, scenario_of
from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model, cp_model_helper

from planner.model import build_model, integer_scale, tie_weight
from planner.model._base import LazyExpr, add_bool_vars, add_constraints_text, add_linear
from planner.model.objective import _exact_products, _id_hashes, _ties

ROWS = SIX_ROWS


def build(data: dict, rows=ROWS, **kw):
    scenario = scenario_of(data)
    return build_model(frame_of(rows), scenario, **kw), scenario


def var_names(array) -> list[str]:
    return [v.name if v is not None else None for v in array]


# --------------------------------------------------------------------------- variables
def test_one_select_variable_per_selectable_candidate_named_by_its_id():
    model, _ = build({"force_out": ["F"], "rule": [{"id": "r", "max": 3}]})
    assert var_names(model.select) == ["select[A]", "select[B]", "select[C]", "select[D]", None, None]
    assert model.free.tolist() == [True, True, True, True, False, False]
    assert var_names(model.national) == [None] * 6


def test_national_variables_only_where_a_national_rule_may_count_the_row():
    model, _ = build({"rule": [{"id": "n", "decision": "national", "where": {"task": "core_course"}, "max": 1}]})
    assert var_names(model.national) == [None, None, "national[C]", "national[D]", None, "national[F]"]
    # national implies provincial: national[C] = 1 with select[C] = 0 is infeasible.
    cp = model.cp.clone()
    cp.add(model.national[2] == 1)
    cp.add(model.select[2] == 0)
    assert cp_model.CpSolver().solve(cp) == cp_model.INFEASIBLE


def test_one_constraint_per_group_and_bound_filing_rules_add_none():
    model, _ = build({"rule": [
        {"id": "loc", "per": ["locality"], "min": 1, "max": {"长春市": 1, "*": 2}},   # 3 groups × 2 bounds
        {"id": "all", "max": 4},                                                      # 1
        {"id": "named", "per": ["locality"], "min": {"白城市": 0}},                   # 3 present + 白城市 named
        {"id": "file", "decision": "filing", "per": ["locality"], "min": 1},
        {"id": "soft", "max": 2, "soft": {"weight": 3}},
    ]})
    count = {}
    for c in model.constraints:
        count[c.group.rule.id] = count.get(c.group.rule.id, 0) + 1
    assert count == {"loc": 6, "all": 1, "named": 1, "soft": 1}
    soft = [c for c in model.constraints if c.group.rule.id == "soft"]
    assert soft[0].slack is not None and all(c.slack is None for c in model.constraints if c.group.rule.id != "soft")


def test_locked_history_is_a_constant_of_period_rules_only():
    rows = ROWS[:2] + [row("H1", year=2022, locality="长春市"), row("H2", year=2022, locality="长春市")]
    locked = np.array([False, False, True, False])
    model, _ = build({"period": [2022, 2023], "rule": [{"id": "p", "max": 2}, {"id": "y", "scope": "year", "max": 2}]},
                     rows=rows, locked=locked)
    constants = {c.group.rule.id: c.constant for c in model.constraints}
    assert constants == {"p": 1, "y": 0}
    assert model.select[2] is None and model.select[3] is None



def test_locked_history_adds_its_units_per_group_and_a_soft_bound_its_slack_last():
    # sum:cost per locality over 2022–2023; H1 (长春市, 2.5) and H3 (吉林市, 4.0) locked, H2 not.
    rows = ROWS[:2] + [row("H1", year=2022, locality="长春市", cost=2.5), row("H2", year=2022, locality="长春市", cost=7.0),
                       row("H3", year=2022, locality="吉林市", cost=4.0)]
    locked = np.array([False, False, True, False, True])
    model, _ = build({"period": [2022, 2023], "rule": [{"id": "c", "measure": "sum:cost", "per": ["locality"], "max": 20},
                                                         {"id": "s", "max": 1, "soft": {"weight": 1}}]},
                     rows=rows, locked=locked)
    by_key = {(c.group.rule.id, c.group.key): c for c in model.constraints}
    assert by_key[("c", "长春市")].constant == 25 and by_key[("c", "吉林市")].constant == 40     # tenths
    assert by_key[("c", "长春市")].scale == 10
    assert list(model.cp.proto.constraints[by_key[("c", "吉林市")].index].linear.domain)[-1] == 200 - 40
    soft = by_key[("s", "(all)")]
    linear = model.cp.proto.constraints[soft.index].linear
    chosen = [v.index for v in model.select if v is not None]
    assert soft.constant == 2 and list(linear.vars) == [*chosen, soft.slack.index]
    assert list(linear.coeffs) == [1] * len(chosen) + [-1] and list(linear.domain)[-1] == 1 - 2


def test_each_set_of_bounds_of_one_measure_gets_its_own_integer_grid():
    # cost 10.5, 0.25, 3, 10.5: two decimals; a bound of 0.125 needs three (one grid per set of bounds)
    rows = [row("A", cost=10.5), row("B", cost=0.25), row("C", cost=3.0), row("D", cost=10.5)]
    model, _ = build({"rule": [{"id": "two", "measure": "sum:cost", "max": 20},
                               {"id": "three", "measure": "sum:cost", "max": 0.125},
                               {"id": "count", "max": 2.5, "soft": {"weight": 1}}]}, rows=rows)
    by_rule = {c.group.rule.id: c for c in model.constraints}
    coeffs = {rule: list(model.cp.proto.constraints[c.index].linear.coeffs) for rule, c in by_rule.items()}
    assert by_rule["two"].scale == 100 and coeffs["two"] == [1050, 25, 300, 1050]
    assert by_rule["three"].scale == 1000 and coeffs["three"] == [10500, 250, 3000, 10500]
    assert by_rule["count"].scale == 10 and coeffs["count"] == [10, 10, 10, 10, -1]

def test_assumptions_name_every_hard_bound_and_pin():
    model, _ = build({"force_in": ["A"], "rule": [{"id": "h", "per": ["locality"], "max": 1},
                                                   {"id": "s", "max": 1, "soft": {"weight": 1}}]},
                     with_assumptions=True)
    assert sorted(c.group.key for c in model.assumptions.values()) == ["吉林市", "四平市", "长春市"]
    assert list(model.pin_literals.values()) == ["A"]


# --------------------------------------------------------------------------- the model holds the rules
SHAPES = {
    "count-per-locality-max": {"rule": [{"id": "r", "per": ["locality"], "max": {"长春市": 1, "*": 2}}]},
    "count-min-and-max": {"rule": [{"id": "r", "where": {"task": "core_course"}, "min": 2, "max": 2}]},
    "sum-max-decimal": {"rule": [{"id": "r", "measure": "sum:cost", "max": 65.5}]},
    "sum-min": {"rule": [{"id": "r", "measure": "sum:cost", "min": 50}]},
    "per-two-columns": {"rule": [{"id": "r", "per": ["locality", "level"], "max": 1}]},
    "named-empty-group-min": {"rule": [{"id": "r", "per": ["locality"], "min": {"白城市": 1}}]},
    "where-not-and-score": {"rule": [{"id": "r", "where": {"unit_kind": {"not": "higher_vocational"},
                                                           "score": {"ge": 60}}, "max": 1}]},
    "by-later-year": {"period": [2023, 2025], "rule": [{"id": "r", "min": 5, "by": 2025}, {"id": "m", "max": 3}]},
    "by-this-year": {"period": [2021, 2023], "rule": [{"id": "r", "min": 3, "by": 2023}]},
    "soft-never-infeasible": {"rule": [{"id": "r", "min": 6, "soft": {"weight": 2}}]},
    "year-scope": {"rule": [{"id": "r", "scope": "year", "per": ["task"], "max": {"core_course": 1, "*": 0}}]},
    "pins": {"force_in": ["D"], "force_out": ["A"], "rule": [{"id": "r", "max": 2}]},
    "national": {"rule": [{"id": "n", "decision": "national", "per": ["level"], "min": {"higher": 1}, "max": 1}]},
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_the_model_admits_exactly_the_slates_the_rules_allow(name):
    """Every (selected, national) assignment of the free rows: feasible in CP-SAT iff the oracle passes it."""
    model, _ = build(SHAPES[name])
    data = {"name": "test", "year": 2023, **SHAPES[name]}
    free = np.flatnonzero(model.free)
    nat = np.flatnonzero(model.may_national)
    agree = 0
    for bits in itertools.product([0, 1], repeat=len(free) + len(nat)):
        selected = np.zeros(len(ROWS), bool)
        national = np.zeros(len(ROWS), bool)
        selected[free] = bits[:len(free)]
        national[nat] = bits[len(free):]
        cp = model.cp.clone()
        for i in free:
            cp.add(model.select[i] == int(selected[i]))
        for i in nat:
            cp.add(model.national[i] == int(national[i]))
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        feasible = solver.solve(cp) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        expected = oracle.audit(ROWS, data, selected, national).ok
        assert feasible == expected, (name, selected.tolist(), national.tolist())
        agree += 1
    assert agree == 2 ** (len(free) + len(nat))


# --------------------------------------------------------------------------- numbers
@pytest.mark.parametrize("values, units, scale", [
    ([1, 2, 3], [1, 2, 3], 1),
    ([1.5, 2.25, 0], [150, 225, 0], 100),
    ([85.5, 91.0], [855, 910], 10),
    ([0.000001], [1], 10**6),
    ([-2.5, 3], [-25, 30], 10),
])
def test_integer_scale_finds_the_fewest_decimals(values, units, scale):
    got_units, got_scale = integer_scale(np.array(values, float))
    assert got_scale == scale and got_units.tolist() == units


def test_integer_scale_rounds_beyond_six_decimals_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="planner.model"):
        units, scale = integer_scale(np.array([1 / 3]))
    assert scale == 10**6 and units.tolist() == [333333] and "小数超过 6 位的数值按 6 位小数取整" in caplog.text


def test_tie_weight_depends_on_the_id_alone():
    import hashlib
    digest = int.from_bytes(hashlib.sha256(b"C2023-00017").digest()[:8], "big")
    assert tie_weight("C2023-00017", 20) == 1 + (digest >> 44)
    weights = [tie_weight(f"C{i}", 12) for i in range(500)]
    assert all(1 <= w <= 2**12 for w in weights) and len(set(weights)) > 400


@settings(max_examples=200, deadline=None)
@given(units=st.lists(st.integers(-10**6, 10**6), min_size=1, max_size=30),
       numerator=st.integers(1, 999), denominator=st.integers(1, 1000), data=st.data())
def test_discounted_coefficients_are_the_exact_fractions_over_their_least_denominator(units, numerator, denominator,
                                                                                   data):
    """`_exact_products` against Fraction arithmetic row by row (the way it was computed before)."""
    weight = Fraction(numerator, denominator)
    years = data.draw(st.lists(st.integers(0, 3), min_size=len(units), max_size=len(units)))
    exact = [u * weight ** k for u, k in zip(units, years)]
    lcm = math.lcm(*(x.denominator for x in exact))
    factors = {k: weight ** k for k in set(years)}
    got = _exact_products(np.array(units, dtype=np.int64), np.array(years, dtype=np.int64), factors, lcm)
    assert got == [int(x * lcm) for x in exact]


def test_tie_weights_from_precomputed_hashes_are_tie_weight():
    ids = np.array([f"C2023-{i:05d}" for i in range(300)] + ["长春-项目", ""], dtype=object)
    for bits in (1, 7, 20):
        assert _ties(_id_hashes(ids), np.arange(len(ids)), bits) == [tie_weight(i, bits) for i in ids]


# --------------------------------------------------------------------------- bulk proto
NAMES = ["select[C2023-00017]", "select[长春市-01]", 'select[a"b]', "select[c\\d]", "select[e\nf]", "count[X#2]", ""]


@pytest.mark.parametrize("names", [NAMES, NAMES[:2], NAMES[2:5], []])
def test_bulk_boolean_variables_are_those_new_bool_var_makes(names):
    one_by_one, bulk = cp_model.CpModel(), cp_model.CpModel()
    for model in (one_by_one, bulk):
        model.new_int_var(0, 5, "before")          # indices continue after what is there
    expected = [one_by_one.new_bool_var(name) for name in names]
    made = add_bool_vars(bulk, names)
    assert str(bulk.Proto()) == str(one_by_one.Proto())
    assert [v.index for v in made] == [v.index for v in expected] == list(range(1, 1 + len(names)))
    assert [v.name for v in made] == names


def test_constraints_in_text_form_are_those_the_api_adds():
    one_by_one, bulk = cp_model.CpModel(), cp_model.CpModel()
    a, b, c = (one_by_one.new_bool_var(n) for n in "abc")
    add_bool_vars(bulk, list("abc"))
    one_by_one.add_implication(c, a)
    one_by_one.add(sum([c, b]) == sum([a]))
    add_constraints_text(bulk, "constraints { enforcement_literal: 2 bool_and { literals: 0 } }\n"
                               "constraints { linear { vars: [0, 1, 2] coeffs: [-1, 1, 1] domain: [0, 0] } }\n")
    add_constraints_text(bulk, "")
    assert str(bulk.Proto()) == str(one_by_one.Proto())


@settings(max_examples=100, deadline=None)
@given(terms=st.lists(st.tuples(st.integers(0, 5), st.integers(-3, 3)), max_size=12),
       lo=st.integers(-10, 10), width=st.sampled_from([0, 3, None]), enforced=st.booleans())
def test_a_linear_row_in_bulk_is_the_one_the_api_adds(terms, lo, width, enforced):
    """Terms in any order, repeated variables, zero coefficients, an open side, an enforcement
    literal: `add_linear` writes the proto `CpModel.add` writes."""
    hi = cp_model.INT_MAX if width is None else lo + width
    one_by_one, bulk = cp_model.CpModel(), cp_model.CpModel()
    made = [one_by_one.new_bool_var(f"x{i}") for i in range(7)]
    add_bool_vars(bulk, [f"x{i}" for i in range(7)])
    expr = cp_model.LinearExpr.weighted_sum([made[v] for v, _ in terms], [k for _, k in terms])
    ct = one_by_one.add_linear_constraint(expr, lo, hi)
    if enforced:
        ct.only_enforce_if(made[6])
    at = add_linear(bulk, np.array([v for v, _ in terms], dtype=np.int64), np.array([k for _, k in terms]), lo, hi,
                    6 if enforced else None)
    assert at == 0
    assert str(bulk.Proto()) == str(one_by_one.Proto())


def test_a_bound_written_in_bulk_reads_its_expression_back():
    model, _ = build({"rule": [{"id": "r", "per": ["locality"], "max": 1}]})
    for c in model.constraints:
        assert isinstance(c.__dict__["_expr"], LazyExpr)
        proto = model.cp.proto.constraints[c.index].linear
        expr = c.expr                                   # made now, from the rows it counts
        flat = cp_model_helper.FlatIntExpr(expr)
        assert [v.index for v in flat.vars] == list(proto.vars) and list(flat.coeffs) == list(proto.coeffs)
        assert list(proto.domain) == [cp_model.INT_MIN, math.floor(c.limit * c.scale) - c.constant]
        assert c.expr is expr                           # made once


def test_a_bad_number_in_a_summed_column_is_named_in_its_file_with_a_lookahead():
    """The planned rows are copies of the input's; a bad cell is named once, at its file row,
    and the built model's frame keeps the input's attrs (file name, first data row)."""
    from planner.errors import InputError

    frame = frame_of([row("A", score=90.0), row("B", score=80.0)])
    frame["budget"] = ["12", "十二"]
    frame.attrs.update(source="candidates_2023.csv", first_data_row=2)
    scenario = scenario_of({"period": [2023, 2025], "plan": {"forecast": "repeat", "future_weight": 1},
                            "rule": [{"id": "r", "measure": "sum:budget", "max": 20}]})
    with pytest.raises(InputError) as error:
        build_model(frame, scenario)
    assert [(p.file, p.row, p.column) for p in error.value.problems] == [("candidates_2023.csv", 3, "budget")]
    assert str(error.value.problems[0]).startswith("candidates_2023.csv:3:budget：发现 \"十二\"")
    frame["budget"] = ["12", "7"]
    model = build_model(frame, scenario)
    assert len(model.frame) == 6 and model.frame.attrs == frame.attrs
