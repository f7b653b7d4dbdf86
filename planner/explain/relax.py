"""The smallest changes to the rules that make an infeasible scenario feasible.

Owns relaxation advice: every hard bound (rule, group, min/max) gets one slack variable shared
by every constraint that states it; the cheapest total (rule ``cost`` × slack, a dropped pin
``pin_cost``) first, then the fewest bounds changed; each further alternative leaves every
bound an earlier one changed as it is. Solved through the door (`solver.solve_cp`). Does not
own naming the conflict (`explain.conflicts`) nor the wording (`explain.conflict_text`).
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model, cp_model_helper

from planner.explain.conflict_text import PIN, fmt_number, shown_group
from planner.lang import say
from planner.model import Constraint, Model, build_model, sub_model
from planner.rules import ALL, Scenario, rule_words
from planner.solver import solve_cp


@dataclass(frozen=True)
class Change:
    """One bound to change (or one pin to drop) so that the scenario becomes feasible."""

    rule_id: str
    clause: str
    group: str
    bound: str              # "min", "max" or "pin"
    old: float
    new: float
    cost: float
    structural: bool = False  # a minimum for a group without one candidate that could be selected
    text: str = ""            # the rule's words (its `text`)
    shown: str = ""           # the group as people read it (a school by name); `group` when empty

    @property
    def shown_group(self) -> str:
        return self.shown or self.group

    def rule_words(self) -> str:
        """The rule by its clause and words, id in brackets."""
        return rule_words(self.rule_id, self.clause, self.text, chars=20)

    def sentence(self) -> str:
        """The change as a person reads it: "把…在长春市的下限从 40 降到 4"."""
        old, new = fmt_number(self.old), fmt_number(self.new)
        if self.bound == "pin":
            return say(f"取消对“{self.group}”的固定入选（force_in）", f'drop the pin force_in = "{self.group}"')
        whole = self.group in ("", "全省", ALL)
        if self.bound == "min":
            return say(f"把{self.rule_words()}" + ("" if whole else f"在{self.shown_group}") + f"的下限从 {old} 降到 {new}",
                       f"lower the minimum of {self.rule_words()}" + ("" if whole else f" for {self.shown_group}")
                       + f" from {old} to {new}")
        return say(f"把{self.rule_words()}" + ("" if whole else f"在{self.shown_group}") + f"的上限从 {old} 提高到 {new}",
                   f"raise the maximum of {self.rule_words()}" + ("" if whole else f" for {self.shown_group}")
                   + f" from {old} to {new}")


def relaxations(frame: pd.DataFrame, scenario: Scenario, *, locked: np.ndarray | None = None,
                locked_national: np.ndarray | None = None, history_rows: np.ndarray | None = None,
                time_limit_s: float = 30.0, max_alternatives: int = 3, pin_cost: float = 1.0,
                model: Model | None = None, local: dict[int, int] | None = None) -> list[list[Change]]:
    """The cheapest sets of bound changes that make the scenario feasible (up to `max_alternatives`).

    Each hard bound (rule, group, min/max) gets one slack variable shared by every constraint
    that states it (this round, the period with planned years, the reachability of a later
    target, each planned year); cost = rule ``cost`` × slack in the rule's measure. The
    cheapest total first, then the fewest bounds changed; each further alternative leaves every
    bound an earlier alternative changed as it is. Frame columns: as `diagnose_infeasible`.

    `model` (and `local`): an assumption model already built (`assumption_model`, or
    `assumptions_on` a part of a built round with its variable map); it is not changed.
    """
    deadline = time.perf_counter() + time_limit_s
    if model is None:
        model, local = assumption_model(frame, scenario, locked, locked_national, history_rows), None
    cp = model.cp.clone()
    cp.clear_assumptions()
    cp.clear_objective()
    slack: dict[tuple[str, str, str], tuple[cp_model.IntVar, int, Constraint, Fraction]] = {}
    for lit, c in model.assumptions.items():
        literal = cp.get_bool_var_from_proto_index(lit)
        key = (c.group.rule.id, c.group.key, c.bound)
        if key not in slack:
            top = int(sum(abs(int(x)) for x in coefficients(c.expr))) + abs(int(math.ceil(c.limit * c.scale))) \
                + abs(int(c.constant)) + 1
            s = cp.new_int_var(0, top, f"relax[{'|'.join(key)}]")
            slack[key] = (s, c.scale, c, Fraction(c.group.rule.relax_cost).limit_denominator(10_000) / c.scale)
        s = slack[key][0]
        scaled = math.ceil(c.limit * c.scale - 1e-9) if c.bound == "min" else math.floor(c.limit * c.scale + 1e-9)
        expr = local_expr(cp, c.expr, local)
        cp.add(expr + s >= scaled) if c.bound == "min" else cp.add(expr - s <= scaled)
        cp.add(literal == 0)        # the original, unrelaxed bound is off
    pins = {lit: cp.get_bool_var_from_proto_index(lit) for lit in model.pin_literals}
    pin_fraction = Fraction(pin_cost).limit_denominator(10_000)
    keys = list(slack)
    fractions = [slack[k][3] for k in keys] + [pin_fraction] * len(pins)
    lcm = math.lcm(*(f.denominator for f in fractions)) if fractions else 1
    cost_expr = cp_model.LinearExpr.weighted_sum([slack[k][0] for k in keys], [int(slack[k][3] * lcm) for k in keys])
    if pins:
        cost_expr += cp_model.LinearExpr.weighted_sum([1 - p for p in pins.values()], [int(pin_fraction * lcm)] * len(pins))
    used = {key: cp.new_bool_var(f"changed[{'|'.join(key)}]") for key in slack}
    for key, (s, *_rest) in slack.items():
        cp.add(s == 0).only_enforce_if(~used[key])
    count_expr = sum(used.values()) + sum(1 - p for p in pins.values())

    alternatives: list[list[Change]] = []
    frozen: set = set()
    for _ in range(max(0, max_alternatives)):
        if time.perf_counter() >= deadline:
            break
        trial = cp.clone()
        for key in frozen:
            if key in slack:
                trial.add(slack[key][0] == 0)
            else:
                trial.add(pins[key] == 1)
        trial.minimize(cost_expr)
        found = solve_cp(trial, time_limit_s=max(0.05, deadline - time.perf_counter()), workers=0,
                         preset="assumptions")
        if not found.found:
            break
        best = int(round(found.objective))
        trial.add(cost_expr <= best)
        trial.minimize(count_expr)
        fewer = solve_cp(trial, time_limit_s=max(0.05, deadline - time.perf_counter()), workers=0,
                         preset="assumptions")
        if fewer.found:
            found = fewer
        changes = []
        for key, (s, scale, c, _) in slack.items():
            amount = found.value(s)
            if amount > 0:
                new_limit = c.limit - amount / scale if c.bound == "min" else c.limit + amount / scale
                structural = c.bound == "min" and not model.free[np.asarray(c.group.rows, dtype=np.int64)].any()
                changes.append((key, Change(c.group.rule.id, c.group.rule.clause, c.group.label, c.bound, c.limit,
                                            max(new_limit, 0.0), float(c.group.rule.relax_cost) * amount / scale,
                                            structural, c.group.rule.text, shown_group(c))))
        for lit, p in pins.items():
            if not found.value(p):
                changes.append((lit, Change(PIN, "", model.pin_literals[lit], "pin", 1.0, 0.0, float(pin_cost))))
        if not changes:
            break
        alternatives.append([change for _, change in changes])
        frozen.update(key for key, _ in changes)
    return alternatives


def assumption_model(frame: pd.DataFrame, scenario: Scenario, locked: np.ndarray | None, locked_national: np.ndarray | None,
           history_rows: np.ndarray | None) -> Model:
    """The model with an assumption literal per hard bound and pin, as `planner.solve` builds it otherwise."""
    extra = {} if history_rows is None else {"history_rows": history_rows}
    return build_model(frame, scenario, locked=locked, locked_national=locked_national, with_assumptions=True, **extra)


def assumptions_on(model: Model, index: list[int], keep: np.ndarray) -> tuple[Model, dict[int, int]] | None:
    """The assumption model of a part of a built round: as `assumption_model`, without building again.

    Parameters
    ----------
    model : Model
        A round built without assumptions (a what-if session's, its bounds edited in place).
    index : list of int
        The proto constraint of each entry of ``model.constraints``.
    keep : ndarray of int
        The proto constraints to keep (whole components of the model: `solver.reached_constraints`).

    Returns
    -------
    (Model, dict) or None
        The model of those constraints alone — each hard group bound among them enforced by an
        assumption literal — and the map from the round's variables to its own; None when the
        scenario pins candidates in (their literals are `build_model`'s).
    """
    if model.scenario.force_in:
        return None
    keep = [int(q) for q in keep]
    cp, local = sub_model(model.cp.proto, keep)
    position = {q: k for k, q in enumerate(keep)}
    assumptions: dict[int, Constraint] = {}
    for c, q in zip(model.constraints, index):
        if c.slack is not None or q not in position:
            continue
        literal = cp.new_bool_var(f"hold[{c.group.rule.id}|{c.group.key}|{c.bound}@{c.year}]")
        cp.proto.constraints[position[q]].enforcement_literal.append(literal.index)
        assumptions[literal.index] = dataclasses.replace(c, literal=literal)
    cp.add_assumptions([cp.get_bool_var_from_proto_index(i) for i in assumptions])
    return dataclasses.replace(model, cp=cp, assumptions=assumptions, pin_literals={}, objectives=[]), local


def local_expr(cp: cp_model.CpModel, expr: Any, local: dict[int, int] | None) -> Any:
    """A linear expression of a round's variables over those of `cp` (`local`: the map; None: the same)."""
    if local is None:
        return expr
    flat = cp_model_helper.FlatIntExpr(expr)
    variables = [cp.get_int_var_from_proto_index(local[v.index]) for v in flat.vars]
    return cp_model.LinearExpr.weighted_sum(variables, [int(k) for k in flat.coeffs]) + int(flat.offset)


def coefficients(expr: Any) -> list[int]:
    flat = cp_model_helper.FlatIntExpr(expr)
    return [int(c) for c in flat.coeffs]

