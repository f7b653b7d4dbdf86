"""`planner.components`: the structure of a model — components, their constraints, sub-models.

Components are checked against a breadth-first search written here (an independent oracle),
and a sub-model against brute force over its 0/1 assignments.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from planner.model import Split, component_labels, read_rows, sub_model


def _small_model():
    """x0 + x1 ≤ 1; x2 ⇒ x3; x4 == 1; x4 + x5 + x6 ≤ 2; x5 ≤ 1; x7 in no constraint."""
    m = cp_model.CpModel()
    x = [m.new_bool_var(f"x{i}") for i in range(8)]
    m.add(x[0] + x[1] <= 1)
    m.add_implication(x[2], x[3])
    m.add(x[4] == 1)
    m.add(x[4] + x[5] + x[6] <= 2)
    m.add(x[5] <= 1)                     # a constraint of one variable links nothing
    return m, x


def _fix(m: cp_model.CpModel, index: int, value: int) -> None:
    domain = m.proto.variables[index].domain
    domain.clear()
    domain.extend([value, value])


def _groups(part: np.ndarray) -> set[frozenset[int]]:
    return {frozenset(np.flatnonzero(part == p).tolist()) for p in set(part.tolist()) if p >= 0}


def test_fixed_variables_link_nothing_unless_asked():
    m, _ = _small_model()
    _fix(m, 4, 1)
    split = Split.of(m.proto)
    assert split.supported
    # x5 and x6 share a constraint; x4 (fixed) links nothing, so x4 == 1 belongs to no part.
    assert _groups(split.part) == {frozenset({0, 1}), frozenset({2, 3}), frozenset({5, 6}), frozenset({7})}
    assert split.part[4] == -1
    assert split.in_constraint.tolist() == [True] * 7 + [False]
    assert split.constraints[-1] == [2]
    assert split.constraints[int(split.part[0])] == [0]
    assert split.constraints[int(split.part[2])] == [1]
    assert split.constraints[int(split.part[5])] == [3, 4]
    assert sorted(c for cs in split.constraints.values() for c in cs) == [0, 1, 2, 3, 4]

    linked = Split.of(m.proto, fixed_link=True)
    assert _groups(linked.part) == {frozenset({0, 1}), frozenset({2, 3}), frozenset({4, 5, 6}),
                                    frozenset({7})}
    assert -1 not in linked.constraints


def test_an_unknown_constraint_kind_makes_one_part():
    m, x = _small_model()
    y = m.new_int_var(0, 4, "y")
    m.add_multiplication_equality(y, [x[0], x[7]])
    split = Split.of(m.proto)
    assert not split.supported
    assert set(split.part.tolist()) == {0}
    assert split.constraints == {0: list(range(len(m.proto.constraints)))}


def _reachable_groups(n: int, rows: list[list[int]], active: np.ndarray) -> set[frozenset[int]]:
    """Components by breadth-first search over the active variables (the oracle)."""
    neighbours: dict[int, set[int]] = {v: set() for v in range(n) if active[v]}
    for row in rows:
        live = [v for v in row if active[v]]
        for a, b in itertools.combinations(live, 2):
            neighbours[a].add(b)
            neighbours[b].add(a)
    seen: set[int] = set()
    groups = set()
    for start in neighbours:
        if start in seen:
            continue
        frontier, group = [start], {start}
        while frontier:
            v = frontier.pop()
            for w in neighbours[v] - group:
                group.add(w)
                frontier.append(w)
        seen |= group
        groups.add(frozenset(group))
    return groups


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 14), data=st.data())
def test_components_match_a_breadth_first_search(n, data):
    rows = data.draw(st.lists(st.lists(st.integers(0, n - 1), min_size=1, max_size=4, unique=True), max_size=10))
    fixed = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    m = cp_model.CpModel()
    x = [m.new_bool_var(f"x{i}") for i in range(n)]
    for row in rows:
        m.add(sum(x[v] for v in row) <= len(row))
    for v in np.flatnonzero(fixed):
        _fix(m, int(v), 0)
    active = ~np.array(fixed, dtype=bool)
    expected = _reachable_groups(n, rows, active)

    split = Split.of(m.proto)
    assert _groups(split.part) == expected
    assert (split.part[~active] == -1).all()
    assert _groups(component_labels(read_rows(m), active)) == expected
    # Labels are numbered in the order of each component's smallest variable.
    labels = component_labels(read_rows(m), active)
    firsts = [int(np.flatnonzero(labels == p)[0]) for p in range(labels.max() + 1)]
    assert firsts == sorted(firsts)


def _brute_max(n: int, check, weights: list[int]) -> int:
    return max(sum(w * b for w, b in zip(weights, bits))
               for bits in itertools.product((0, 1), repeat=n) if check(bits))


def test_a_sub_model_keeps_its_constraints_and_drops_the_rest():
    m, x = _small_model()
    _fix(m, 4, 1)
    split = Split.of(m.proto, fixed_link=True)
    part = int(split.part[5])
    variables = np.flatnonzero(split.part == part)
    sub, local = sub_model(m.proto, split.constraints[part], variables)
    assert local == {4: 0, 5: 1, 6: 2}
    assert len(sub.proto.constraints) == 3
    y = [sub.get_bool_var_from_proto_index(j) for j in range(3)]
    weights = [1, 3, 2]
    sub.maximize(sum(w * v for w, v in zip(weights, y)))
    solver = cp_model.CpSolver()
    assert solver.solve(sub) == cp_model.OPTIMAL
    # x4 = 1 and x4 + x5 + x6 ≤ 2 by hand: 1 + 3 = 4 (x6 would be 2 < 3).
    expected = _brute_max(3, lambda b: b[0] == 1 and sum(b) <= 2, weights)
    assert expected == 4 and solver.objective_value == expected

    # Negated literals and enforcement are renumbered too: ¬x3 ⇒ ¬x2 in a fresh copy.
    m2 = cp_model.CpModel()
    z = [m2.new_bool_var(f"z{i}") for i in range(4)]
    m2.add_bool_or([z[2].Not(), z[3]]).only_enforce_if(z[1])
    copy, local2 = sub_model(m2.proto, [0])
    assert sorted(local2) == [1, 2, 3]
    w = {v: copy.get_bool_var_from_proto_index(j) for v, j in local2.items()}
    copy.maximize(4 * w[2] + w[1] - 2 * w[3])
    assert solver.solve(copy) == cp_model.OPTIMAL
    # z1 ⇒ (¬z2 ∨ z3): best is z2 = z1 = 1 with z3 = 1 (4 + 1 − 2 = 3) or z1 = 0 (4): 4.
    assert solver.objective_value == 4


def test_a_sub_model_refuses_a_variable_outside_the_given_ones():
    m, _ = _small_model()
    from planner.model import Unsupported
    with pytest.raises(Unsupported, match="not among"):
        sub_model(m.proto, [0], np.array([0]))
