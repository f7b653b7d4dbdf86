"""Why no slate exists: a minimal set of conflicting rules, its figures, and how to relax it.

Owns the diagnosis of an infeasible scenario:

1. **Minimal conflict.** Every hard rule group bound and every pin gets an assumption literal
   (`model.build_model(..., with_assumptions=True)`); CP-SAT names a sufficient set of them
   (`sufficient_assumptions_for_infeasibility`), which a deletion filter shrinks to a minimal
   one: dropping any member makes the rest satisfiable.
2. **Figures.** For each member, what the other members allow: a minimum "requires at least
   L, but the other rules of this conflict allow at most N"; a maximum "allows at most L, but
   the others require at least N". When the whole scenario restricts a minimum further than
   the conflict alone (a target beyond the candidate pool *and* beyond the quotas), the rules
   that limit it further are named too (`limiting`).
3. **Relaxation advice** (`explain.relax`): the smallest changes to bounds that make the
   scenario feasible.

One assumption model serves the conflict search and the relaxation advice. A what-if session
passes one of its own: the part of its kept model that an infeasible bound change reaches, with
assumption literals added (`relax.assumptions_on`) — no build, and the search and the advice run
on a few components instead of the whole round. Every solve goes through the door
(`solver.solve_cp`, preset "assumptions"). Does not own
building the model (`model`), the wording of its lines (`explain.conflict_text`), nor how the
CLI prints them (`cli` prints `Diagnosis.lines`). Messages are Chinese by default (English under
`planner.lang`): rules by clause and words, schools by name inside `conflict_text.naming`.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from planner.errors import InfeasibleError
from planner.explain.conflict_text import (
    PIN,
    Member,
    also_holds_text,
    claim_text,
    conflict_lines,
    figure_text,
    group_label,
    infeasible_text,
    limited_text,
    naming,
    others_text,
    pin_holds_text,
    pin_text,
    singular,
)
from planner.lang import say
from planner.explain.relax import Change, assumption_model, relaxations
from planner.model import Model
from planner.rules import Scenario
from planner.solver import solve_cp

log = logging.getLogger(__name__)

CONFLICT_COLUMNS = ["rule_id", "clause", "group", "bound", "limit", "message", "kind", "year", "figure"]


@dataclass
class Diagnosis:
    """What makes a scenario infeasible and what would fix it.

    Attributes
    ----------
    status : str
        ``infeasible`` (a conflict was found), ``feasible`` (the hard rules can be met: the
        infeasibility came from elsewhere) or ``unknown`` (time ran out).
    conflicts : DataFrame
        The minimal conflict, one row per member: `CONFLICT_COLUMNS` — rule_id (``force_in``
        for a pin), clause, group (the candidate id for a pin), bound (min/max/pin), limit,
        message, kind (round / period / reach / year, see `model.Constraint`), year, figure
        (what the other members allow).
    limiting : DataFrame
        Same columns: rules outside the conflict that restrict a conflicting minimum (or
        maximum) further; empty when the conflict tells the whole story.
    relaxations : list of list of Change
        Alternatives, cheapest first; each a list of bound changes that together make the
        scenario feasible.
    minimal : bool
        False when time ran out before every member was proven necessary.
    lines : list of str
        Human lines: the conflict members, then "relax:" / "or:" alternatives.
    advice : list of str
        The alternatives alone, one line each.
    """

    status: str
    conflicts: pd.DataFrame
    limiting: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CONFLICT_COLUMNS))
    relaxations: list[list[Change]] = field(default_factory=list)
    minimal: bool = True
    lines: list[str] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)
    diagnose_s: float = 0.0

    @property
    def rule_ids(self) -> list[str]:
        return list(dict.fromkeys(self.conflicts["rule_id"].astype(str))) if len(self.conflicts) else []


# =============================================================================================
# The assumption literals of a model

def _members(model: Model) -> list[Member]:
    members = [Member(i, c) for i, c in model.assumptions.items()]
    members += [Member(i, None, cid) for i, cid in model.pin_literals.items()]
    return members


class _Oracle:
    """Satisfiability of the model under a subset of the assumptions (and one objective, optionally)."""

    def __init__(self, model: Model, deadline: float, local: dict[int, int] | None = None):
        self.model = model
        self.deadline = deadline
        self.cp = model.cp.clone()
        self.cp.clear_assumptions()
        self.cp.clear_objective()
        self.literal = {i: self.cp.get_bool_var_from_proto_index(i) for i in
                        (*model.assumptions, *model.pin_literals)}
        self.kept = set(self.literal)      # literals whose constraints are in the model
        self.base = local                  # the round's variable → variable of model.cp (None: the same)
        self.local: dict[int, int] | None = local    # the round's variable → variable of self.cp
        self.rest: list[int] = []          # constraints of model.cp that `restrict` left out
        self.solves = 0

    def remaining(self) -> float:
        return self.deadline - time.perf_counter()

    def restrict(self, literals: Iterable[int]) -> None:
        """Keep only the components (of the constraint graph) holding `literals`, renumbered.

        Exact for every later question: a conflict among these literals, and the extreme of a
        member's count, involve only the variables its constraints connect. With assumptions,
        CP-SAT keeps every variable of the model, so dropping the rest matters (the lookahead
        model is several times larger than one task).
        """
        from planner.model import Split, sub_model
        proto = self.model.cp.proto
        split = Split.of(proto)
        if not split.supported:
            return
        parts = {int(split.part[i]) for i in literals}
        keep = sorted(c for p in parts for c in split.constraints.get(p, []))
        if len(keep) == len(proto.constraints):
            return
        self.cp, inner = sub_model(proto, keep)
        kept = set(keep)
        self.rest = [c for c in range(len(proto.constraints)) if c not in kept]
        self.kept = {i for i in self.literal if i in inner}
        self.literal = {i: self.cp.get_bool_var_from_proto_index(inner[i]) for i in self.kept}
        self.local = inner if self.base is None else {v: inner[w] for v, w in self.base.items() if w in inner}
        log.info("conflict search restricted to %d of %d constraints", len(keep), len(proto.constraints))

    def rest_holds(self) -> bool:
        """Whether the constraints `restrict` left out hold together, every assumption on (one solve).

        Then those components need no change, and advice for the kept ones is advice for all.
        """
        from planner.model import sub_model
        if not self.rest or self.remaining() <= 0.5:
            return not self.rest
        proto = self.model.cp.proto
        rest, inner = sub_model(proto, self.rest)
        for i in (*self.model.assumptions, *self.model.pin_literals):
            if i in inner:
                rest.add(rest.get_bool_var_from_proto_index(inner[i]) == 1)
        found = solve_cp(rest, time_limit_s=max(0.05, 0.5 * self.remaining()), workers=0, preset="assumptions")
        self.solves += 1
        return found.found

    def as_model(self) -> Model:
        """The kept components as an assumption model of their own (for `relax.relaxations`, with `local`)."""
        index = {i: self.literal[i].index for i in self.kept}
        cp = self.cp.clone()
        cp.clear_assumptions()
        cp.add_assumptions([cp.get_bool_var_from_proto_index(j) for j in index.values()])
        return dataclasses.replace(
            self.model, cp=cp, objectives=[],
            assumptions={index[i]: c for i, c in self.model.assumptions.items() if i in index},
            pin_literals={index[i]: cid for i, cid in self.model.pin_literals.items() if i in index})

    def expr(self, expr: Any) -> Any:
        """A linear expression of the original model, over this oracle's (renumbered) variables."""
        if self.local is None:
            return expr
        from ortools.sat.python import cp_model_helper
        flat = cp_model_helper.FlatIntExpr(expr)
        variables = [self.cp.get_int_var_from_proto_index(self.local[v.index]) for v in flat.vars]
        return cp_model.LinearExpr.weighted_sum(variables, [int(c) for c in flat.coeffs]) + int(flat.offset)

    def probe(self, expr: Any, bound: int, *, at_least: bool) -> tuple["_Oracle", int]:
        """A copy of this oracle with one more assumption: `expr` ≥ bound (or ≤ bound); returns the
        copy and the key of the new assumption (a key no rule's literal has)."""
        other = _Oracle.__new__(_Oracle)
        other.model, other.deadline, other.solves = self.model, self.deadline, 0
        other.base, other.local = self.base, self.local
        other.cp = self.cp.clone()
        extra = other.cp.new_bool_var("beyond")
        local = self.expr(expr)
        (other.cp.add(local >= bound) if at_least else other.cp.add(local <= bound)).only_enforce_if(extra)
        key = -1 - len(other.cp.proto.variables)
        other.literal = {i: other.cp.get_bool_var_from_proto_index(self.literal[i].index) for i in self.kept}
        other.literal[key] = extra
        other.kept = set(self.kept) | {key}
        return other, key

    def check(self, active: Iterable[int]) -> tuple[str, list[int]]:
        """("INFEASIBLE", sufficient core ⊆ active) / ("FEASIBLE", []) / ("UNKNOWN", [])."""
        active = [i for i in active if i in self.kept]
        cp = self.cp
        cp.clear_assumptions()
        cp.add_assumptions([self.literal[i] for i in active])
        found = solve_cp(cp, time_limit_s=max(0.05, self.remaining()), workers=1, preset="assumptions")
        self.solves += 1
        cp.clear_assumptions()
        if found.status == "INFEASIBLE":
            core = set(found.core)
            return "INFEASIBLE", [i for i in active if i in core] or active
        if found.found:
            return "FEASIBLE", []
        return "UNKNOWN", []

    def extreme(self, expr: Any, active: Iterable[int], maximise: bool) -> float | None:
        """Max (or min) of `expr` (model integers) with only `active` assumptions enforced."""
        cp = self.cp.clone()
        cp.clear_assumptions()
        # Fixed, not assumed: presolve then drops the switched-off bounds and tightens the rest
        # (with assumptions, proving the extreme can take minutes).
        active = set(active)
        for i in self.kept:
            cp.add(cp.get_bool_var_from_proto_index(self.literal[i].index) == int(i in active))
        local = self.expr(expr)
        cp.maximize(local) if maximise else cp.minimize(local)
        found = solve_cp(cp, time_limit_s=max(0.05, self.remaining()), workers=0, preset="assumptions")
        self.solves += 1
        if found.status == "OPTIMAL":
            return found.objective
        if found.status == "FEASIBLE":     # time ran out: report the proven bound
            return found.bound
        return None


def minimal_core(oracle: _Oracle, core: list[int], deadline: float | None = None) -> tuple[list[int], bool]:
    """Deletion filter: a subset of `core` that is infeasible and minimal (each member needed).

    Returns (core, minimal) — minimal is False when time ran out (the oracle's, or `deadline`)
    before every member was tested; the core is then still infeasible, only perhaps not minimal.
    """
    i = 0
    minimal = True
    stop = oracle.deadline if deadline is None else min(deadline, oracle.deadline)
    while i < len(core):
        if stop - time.perf_counter() <= 0.05:
            return core, False
        trial = core[:i] + core[i + 1:]
        status, smaller = oracle.check(trial)
        if status == "INFEASIBLE":
            # Members before i stay: each was needed in a superset of `smaller`.
            core = [m for m in trial if m in set(smaller)]
        else:
            if status == "UNKNOWN":
                minimal = False
            i += 1
    return core, minimal


# =============================================================================================
# Public API

def diagnose_infeasible(frame: pd.DataFrame, scenario: Scenario, *, locked: np.ndarray | None = None,
                        locked_national: np.ndarray | None = None, history_rows: np.ndarray | None = None,
                        time_limit_s: float = 60.0, relax: bool = True, max_alternatives: int = 3,
                        pin_cost: float = 1.0, limiting: bool = True, model: Model | None = None,
                        local: dict[int, int] | None = None) -> Diagnosis:
    """Name a minimal set of conflicting rules of an infeasible scenario, and how to relax it.

    Parameters
    ----------
    frame : DataFrame
        The candidates as `rules.prepare.prepare` gives them (localities folded, locked history rows
        after this round's): every column the rules and the objective name, plus
        candidate_id, year, task, eligible.
    scenario : Scenario
    locked, locked_national : ndarray of bool, optional
        Rows selected (recommended nationally) in locked earlier rounds.
    history_rows : ndarray of bool, optional
        Every row of the locked rounds, selected or not (`rules.prepare.Prepared.history_rows`).
    time_limit_s : float
        Budget for the whole diagnosis.
    relax : bool
        Also compute relaxation advice.
    max_alternatives : int
        At most this many relaxation alternatives.
    pin_cost : float
        Cost of dropping one pin, in the units of a rule's ``cost`` (per unit of its measure).
    limiting : bool
        Also name the rules outside the conflict that restrict its minimums further.
    model, local : optional
        The assumption model, when already built (`relax.assumption_model`), or of the part of a
        built round that a what-if changed (`relax.assumptions_on`, with its variable map): the
        rest of that round keeps a slate, so the conflict and the relaxation lie in this part.
        Built from `frame` otherwise. Conflict search and relaxation advice share it.
    """
    start = time.perf_counter()
    deadline = start + time_limit_s
    if model is None:
        model, local = assumption_model(frame, scenario, locked, locked_national, history_rows), None
    oracle = _Oracle(model, deadline, local)
    members = {m.literal: m for m in _members(model)}
    order = sorted(members, key=lambda i: _priority(members[i], scenario))
    status, core = oracle.check(order)
    if status != "INFEASIBLE":
        text = (say("硬性规则和固定入选都能同时满足：不可行并非规则之间的冲突",
                    "the hard rules and pins can all be met together: the infeasibility is not a conflict of rules")
                if status == "FEASIBLE" else say("找到冲突之前时间已用完", "time ran out before a conflict was found"))
        return Diagnosis(status="feasible" if status == "FEASIBLE" else "unknown",
                         conflicts=pd.DataFrame(columns=CONFLICT_COLUMNS), lines=[text],
                         diagnose_s=time.perf_counter() - start)
    oracle.restrict(core)
    core, minimal = minimal_core(oracle, sorted(core, key=lambda i: order.index(i)))
    log.info("minimal conflict of %d members after %d solves", len(core), oracle.solves)
    rows = _describe_core(oracle, members, core, scenario)
    conflicts = pd.DataFrame(rows, columns=CONFLICT_COLUMNS)
    limits = pd.DataFrame(columns=CONFLICT_COLUMNS)
    if limiting and oracle.remaining() > 0.5:
        limits = _limiting(oracle, members, core, conflicts, scenario)
    diagnosis = Diagnosis(status="infeasible", conflicts=conflicts, limiting=limits, minimal=minimal)
    if relax and oracle.remaining() > 0.5:
        # The advice needs only the components of the conflict when every other holds as it is.
        part, part_local = (oracle.as_model(), oracle.local) if oracle.rest and oracle.rest_holds() \
            else (model, local)
        diagnosis.relaxations = relaxations(frame, scenario, locked=locked, locked_national=locked_national,
                                            history_rows=history_rows,
                                            time_limit_s=max(0.5, deadline - time.perf_counter()),
                                            max_alternatives=max_alternatives, pin_cost=pin_cost,
                                            model=part, local=part_local)
    diagnosis.lines, diagnosis.advice = conflict_lines(conflicts, diagnosis.relaxations, minimal)
    diagnosis.diagnose_s = time.perf_counter() - start
    return diagnosis


def infeasible_error(frame: pd.DataFrame, scenario: Scenario, *, locked: np.ndarray | None = None,
                     locked_national: np.ndarray | None = None, history_rows: np.ndarray | None = None,
                     time_limit_s: float = 60.0, model: Model | None = None,
                     local: dict[int, int] | None = None) -> InfeasibleError:
    """An `InfeasibleError` carrying the diagnosis (``.conflicts``, ``.diagnosis``, ``.advice``).

    For `planner.solve`: ``except InfeasibleError: raise infeasible_error(prepared.frame, scenario,
    locked=prepared.locked, locked_national=prepared.locked_national,
    history_rows=prepared.history_rows) from None``.
    """
    with naming(frame):
        diagnosis = diagnose_infeasible(frame, scenario, locked=locked, locked_national=locked_national,
                                        history_rows=history_rows, time_limit_s=time_limit_s, model=model,
                                        local=local)
    rules = {r.id: r for r in scenario.rules}
    if diagnosis.status == "infeasible":
        message = infeasible_text(diagnosis.rule_ids, rules)
    else:
        message = infeasible_text([], rules, diagnosis.lines[0])
    error = InfeasibleError(message, diagnosis.conflicts)
    error.diagnosis = diagnosis
    error.advice = diagnosis.advice
    return error


# =============================================================================================
# Helpers

def _priority(member: Member, scenario: Scenario) -> tuple:
    """Order of the deletion filter: members tried first are dropped first when they can be.

    Pins go first (a conflict is better told with rules than with the planner's own pins),
    then rules in scenario order, this round's bounds before the lookahead's.
    """
    if member.constraint is None:
        return (0, 0, 0, member.candidate)
    c = member.constraint
    index = next((k for k, r in enumerate(scenario.rules) if r.id == c.group.rule.id), len(scenario.rules))
    kinds = {"round": 0, "reach": 1, "period": 2, "year": 3}
    return (1, index, kinds.get(getattr(c, "kind", "round"), 4), c.group.key, c.bound)


def _describe_core(oracle: _Oracle, members: dict[int, Member], core: list[int], scenario: Scenario) -> list[dict]:
    """One row per member. A minimum gets its figure (what the other members allow); so does a
    maximum when the conflict has no minimum (then pins or locked rounds push it up)."""
    rows = []
    has_min = any(members[i].constraint is not None and members[i].constraint.bound == "min" for i in core)
    for lit in core:
        m = members[lit]
        others = [i for i in core if i != lit]
        if m.constraint is None:
            rows.append({"rule_id": PIN, "clause": "", "group": m.candidate, "bound": "pin", "limit": np.nan,
                         "message": pin_text(m.candidate), "kind": "pin",
                         "year": scenario.year, "figure": np.nan})
            continue
        c = m.constraint
        claim = claim_text(c)
        value = None
        if (c.bound == "min" or not has_min) and oracle.remaining() > 0.2:
            value = oracle.extreme(c.expr, others, maximise=c.bound == "min")
        figure = np.nan if value is None else value / c.scale
        who = others_text(members, others)
        one = singular(members, others)
        tail = figure_text(c.bound, who if others else "", one, figure) if value is not None else ""
        rows.append({"rule_id": c.group.rule.id, "clause": c.group.rule.clause, "group": group_label(c), "bound": c.bound,
                     "limit": float(c.limit), "message": claim + tail, "kind": getattr(c, "kind", "round"),
                     "year": getattr(c, "year", None) or scenario.year, "figure": figure})
    return rows


def _limiting(oracle: _Oracle, members: dict[int, Member], core: list[int], conflicts: pd.DataFrame,
              scenario: Scenario) -> pd.DataFrame:
    """Rules outside the conflict that restrict a member's bound further than the conflict does."""
    rows: list[dict] = []
    everything = [i for i in members if i in oracle.kept]
    for k, lit in enumerate(core):
        m = members[lit]
        if m.constraint is None or m.constraint.bound != "min" or oracle.remaining() <= 0.5:
            continue
        c = m.constraint
        rest = [i for i in everything if i != lit]
        maximise = c.bound == "min"
        value = oracle.extreme(c.expr, rest, maximise)
        in_core = conflicts["figure"].iat[k]
        if value is None or (not math.isnan(in_core) and abs(value / c.scale - in_core) < 1e-9):
            continue
        # Which rules hold it there: a minimal conflict of (the others) + (one unit beyond `value`).
        beyond = int(round(value)) + (1 if maximise else -1)
        sub, beyond_key = oracle.probe(c.expr, beyond, at_least=maximise)
        status, found = sub.check([beyond_key, *rest])
        if status != "INFEASIBLE":
            continue
        found = [i for i in found if i != beyond_key]
        ordered = sorted(found, key=lambda i: _priority(members[i], scenario))
        # Naming the limiting rules is a courtesy: a bounded share of the remaining time (the
        # set is then still sufficient, perhaps not minimal).
        reduced, _ = minimal_core(sub, [beyond_key, *ordered],
                                  deadline=time.perf_counter() + min(10.0, 0.15 * oracle.remaining()))
        oracle.solves += sub.solves
        figure = value / c.scale
        if not any(i != beyond_key and i not in core for i in reduced):
            continue
        for i in reduced:
            if i == beyond_key or i in core:
                continue
            other = members[i]
            if other.constraint is None:
                rows.append({"rule_id": PIN, "clause": "", "group": other.candidate, "bound": "pin", "limit": np.nan,
                             "message": pin_holds_text(other.candidate, c, figure),
                             "kind": "pin", "year": scenario.year, "figure": figure})
                continue
            oc = other.constraint
            rows.append({"rule_id": oc.group.rule.id, "clause": oc.group.rule.clause, "group": group_label(oc),
                         "bound": oc.bound, "limit": float(oc.limit),
                         "message": also_holds_text(oc, c, figure),
                         "kind": getattr(oc, "kind", "round"), "year": getattr(oc, "year", None) or scenario.year,
                         "figure": figure})
        summary = others_text(members, [i for i in reduced if i != beyond_key and i not in core])
        conflicts.at[conflicts.index[k], "message"] += limited_text(figure, summary)
    out = pd.DataFrame(rows, columns=CONFLICT_COLUMNS)
    return out.drop_duplicates(subset=["rule_id", "group", "bound"]).reset_index(drop=True)


