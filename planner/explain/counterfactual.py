"""Exact counterfactuals: what forcing one candidate in (or out) would cost, and who would move.

Owns re-solving a solved round with one candidate's decision flipped: the change in the
first-level objective (total score minus soft penalties, plus the lookahead's planned picks
when the scenario has one) and the candidates that would leave or enter — found by re-solving,
never estimated. At the forced optimum the number of decisions that differ from the current
slate is minimised, so "who moves" is the smallest exchange rather than an arbitrary equally
good slate.

How it stays fast (benchmarks/bench_explain.py):

1. The model is split into connected components on its CP-SAT proto (variables linked by a
   constraint; fixed variables link nothing). The objective is a sum over variables, so a
   component's optimum does not depend on the others: only the candidate's component is
   re-solved — exactly.
2. Each component is first re-solved as a linear programme (GLOP), warm-started from the
   previous re-solve. The quota matrices are mostly totally unimodular, so the LP optimum is
   usually integral; an integral LP optimum that passes an exact integer feasibility check *is*
   the integer optimum (the LP is a relaxation). Objective and exchange size are one
   lexicographic objective (objective × W − changes, W far above the number of decisions).
   When an LP optimum is fractional, CP-SAT re-solves that candidate's component with the same
   objective, hinted with the current slate.
3. Components run in separate processes (``processes``; GLOP holds the GIL).

Does not own the model (`model`), the main solve (`solve`), reason codes (`explain`) nor the
conflicts of an infeasible scenario (`conflicts`, used here only to name why a forced
candidate cannot be in).
"""
from __future__ import annotations

import dataclasses
import logging
import math
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np
import pandas as pd
from ortools.linear_solver import linear_solver_pb2, pywraplp
from ortools.sat.python import cp_model, cp_model_helper

from planner.errors import InputError, PlannerError, Problem
from planner.inputs import suggest
from planner.model import Split, constraint_kind, constraint_refs, ref_var
from planner.rules import blocked_reason

if TYPE_CHECKING:       # pragma: no cover - typing only
    from planner.model import Model
    from planner.result import SolvedRound

log = logging.getLogger(__name__)

COLUMNS = ["candidate_id", "force", "status", "delta_if_forced", "delta_score", "leaving", "entering",
           "counterfactual", "method", "solve_s"]
INT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Counterfactual:
    """The outcome of forcing one candidate in or out.

    Attributes
    ----------
    candidate_id, force : str
        The candidate and what was forced (``"in"`` or ``"out"``).
    status : str
        ``OPTIMAL`` (exact), ``FEASIBLE`` (time ran out: the change is at least this good),
        ``INFEASIBLE`` (no slate satisfies the hard rules with it forced), ``UNKNOWN`` (not
        decided in time), ``blocked`` (it cannot be selected this year at all: see `sentence`)
        or ``unchanged`` (the slate already decides it that way).
    delta_objective : float
        New minus current first-level objective, in score points (≤ 0 when the slate is
        optimal); NaN without a re-solve.
    delta_score : float
        Change of this round's total score (the forced candidate included).
    entering, leaving : tuple of str
        This round's candidates that would enter / leave the slate, besides the forced one.
    sentence : str
        One Chinese sentence with the figures.
    method : str
        ``lp`` (integral LP optimum, certified), ``cp-sat`` or ``""``.
    conflict : tuple of str
        Rule ids that make a forced candidate impossible (status INFEASIBLE), when named.
    """

    candidate_id: str
    force: str
    status: str
    delta_objective: float = math.nan
    delta_score: float = math.nan
    entering: tuple[str, ...] = ()
    leaving: tuple[str, ...] = ()
    sentence: str = ""
    solve_s: float = 0.0
    method: str = ""
    conflict: tuple[str, ...] = ()


# =============================================================================================
# One part as plain arrays (picklable): integer variables, linear rows, the objective

@dataclass
class PartSpec:
    """One component as an integer linear programme ``max obj·x, row_lo ≤ A x ≤ row_hi, lo ≤ x ≤ hi``.

    Boolean constraints are written as equivalent linear rows over 0/1 variables; an
    enforced linear row uses the exact big-M of its own bounds. ``decisions`` are the local
    indices of the `select` variables (whose changes are counted), ``current`` their values in
    the slate; ``hint`` holds the slate's value of every decision and national variable.
    """

    lo: np.ndarray
    hi: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    row_lo: np.ndarray
    row_hi: np.ndarray
    obj: np.ndarray
    decisions: np.ndarray
    current: np.ndarray
    hint_vars: np.ndarray
    hint_values: np.ndarray

    @property
    def n(self) -> int:
        return len(self.lo)

    def feasible(self, x: np.ndarray) -> bool:
        """Exact check of an integer point (every product and sum stays below 2^53)."""
        if np.any(x < self.lo) or np.any(x > self.hi):
            return False
        rows = np.repeat(np.arange(len(self.row_lo)), np.diff(self.indptr))
        act = np.bincount(rows, weights=self.data * x[self.indices], minlength=len(self.row_lo))
        return bool(np.all(act >= self.row_lo - 1e-9) and np.all(act <= self.row_hi + 1e-9))

    def level(self, x: np.ndarray) -> int:
        return int(np.dot(self.obj, x))


class _Rows:
    """Collects linear rows over local variables (a literal term may shift the row's constant)."""

    def __init__(self) -> None:
        self.indptr = [0]
        self.indices: list[int] = []
        self.data: list[int] = []
        self.lo: list[float] = []
        self.hi: list[float] = []

    def add(self, terms: dict[int, int], constant: int, lo: float, hi: float) -> None:
        for j, a in terms.items():
            if a:
                self.indices.append(j)
                self.data.append(a)
        self.indptr.append(len(self.indices))
        self.lo.append(lo - constant)
        self.hi.append(hi - constant)


def _literal(terms: dict[int, int], ref: int, coef: int, local: dict[int, int]) -> int:
    """Add coef × literal(ref) to terms; return the constant it adds (negated literal = 1 − x)."""
    j = local[ref_var(ref)]
    if ref >= 0:
        terms[j] = terms.get(j, 0) + coef
        return 0
    terms[j] = terms.get(j, 0) - coef
    return coef


INF64 = 2**62


def _spec(proto: Any, split: Split, part: int, coef: dict[int, int], value: dict[int, int],
          decisions: list[int]) -> tuple[PartSpec, dict[int, int]]:
    """The arrays of one part and the map proto variable → local index."""
    local: dict[int, int] = {}
    lo: list[int] = []
    hi: list[int] = []

    def add_var(v: int) -> None:
        if v not in local:
            d = list(proto.variables[v].domain)
            local[v] = len(lo)
            lo.append(int(d[0]))
            hi.append(int(d[-1]))

    for v in np.flatnonzero(split.part == part):
        add_var(int(v))
    rows = _Rows()
    for c in split.constraints.get(part, []):
        ct = proto.constraints[c]
        refs = constraint_refs(ct) or []
        for r in refs:
            add_var(ref_var(r))
        enforce = list(ct.enforcement_literal)
        k = len(enforce)
        kind = constraint_kind(ct)
        if kind == "linear":
            d = list(ct.linear.domain)
            if len(d) != 2:
                raise PlannerError("a linear constraint with a domain of several intervals")
            terms: dict[int, int] = {}
            for v, a in zip(ct.linear.vars, ct.linear.coeffs):
                terms[local[v]] = terms.get(local[v], 0) + int(a)
            lo_b = float(d[0]) if d[0] > -INF64 else -math.inf
            hi_b = float(d[1]) if d[1] < INF64 else math.inf
            if not k:
                rows.add(terms, 0, lo_b, hi_b)
                continue
            act_min = sum(a * (lo[j] if a > 0 else hi[j]) for j, a in terms.items())
            act_max = sum(a * (hi[j] if a > 0 else lo[j]) for j, a in terms.items())
            # enforced: Σ a x ≥ lo − M·(number of enforcement literals false), M = lo − min activity
            if math.isfinite(lo_b) and act_min < lo_b:
                big = int(lo_b - act_min)
                t = dict(terms)
                const = sum(_literal(t, e, -big, local) for e in enforce)
                rows.add(t, const, lo_b - big * k, math.inf)
            if math.isfinite(hi_b) and act_max > hi_b:
                big = int(act_max - hi_b)
                t = dict(terms)
                const = sum(_literal(t, e, big, local) for e in enforce)
                rows.add(t, const, -math.inf, hi_b + big * k)
            continue
        literals = list(getattr(ct, kind).literals)
        if kind in ("bool_and",):
            for lit in literals:        # every enforcement literal true ⇒ lit: lit − Σ e ≥ 1 − k
                t: dict[int, int] = {}
                const = _literal(t, lit, 1, local) + sum(_literal(t, e, -1, local) for e in enforce)
                rows.add(t, const, 1 - k, math.inf)
        if kind in ("bool_or", "exactly_one"):
            t = {}
            const = sum(_literal(t, lit, 1, local) for lit in literals) + sum(_literal(t, e, -1, local) for e in enforce)
            rows.add(t, const, 1 - k, math.inf)
        if kind in ("at_most_one", "exactly_one"):
            t = {}
            const = sum(_literal(t, lit, 1, local) for lit in literals) + sum(_literal(t, e, 1, local) for e in enforce)
            rows.add(t, const, -math.inf, 1 + k)
    obj = np.zeros(len(lo), np.int64)
    for v, j in local.items():
        obj[j] = coef.get(v, 0)
    dec = np.array([local[v] for v in decisions], dtype=np.int64)
    hinted = [v for v in local if v in value]
    spec = PartSpec(
        lo=np.array(lo, np.int64), hi=np.array(hi, np.int64),
        indptr=np.array(rows.indptr, np.int64), indices=np.array(rows.indices, np.int64),
        data=np.array(rows.data, np.int64), row_lo=np.array(rows.lo, float), row_hi=np.array(rows.hi, float),
        obj=obj, decisions=dec, current=np.array([value[v] for v in decisions], np.int64),
        hint_vars=np.array([local[v] for v in hinted], np.int64),
        hint_values=np.array([value[v] for v in hinted], np.int64))
    return spec, local


# =============================================================================================
# Solving one part: LP first, CP-SAT when the LP optimum is fractional

class _Lp:
    """A GLOP model of a part, re-solved after bound changes (warm start)."""

    def __init__(self, spec: PartSpec, objective: np.ndarray, maximise: bool):
        self.spec = spec
        s = pywraplp.Solver.CreateSolver("GLOP")
        self.solver = s
        inf = s.infinity()
        self.x = [s.NumVar(float(a), float(b), "") for a, b in zip(spec.lo, spec.hi)]
        for r in range(len(spec.row_lo)):
            lo_b, hi_b = spec.row_lo[r], spec.row_hi[r]
            ct = s.Constraint(lo_b if math.isfinite(lo_b) else -inf, hi_b if math.isfinite(hi_b) else inf)
            for k in range(spec.indptr[r], spec.indptr[r + 1]):
                ct.SetCoefficient(self.x[spec.indices[k]], float(spec.data[k]))
        o = s.Objective()
        for j in np.flatnonzero(objective):
            o.SetCoefficient(self.x[j], float(objective[j]))
        o.SetMaximization() if maximise else o.SetMinimization()
        self.objective = objective
        self.scale = float(np.abs(objective).sum())
        self.completer: _Completer | None = None
        self.response = linear_solver_pb2.MPSolutionResponse()

    def solve(self, time_limit_s: float) -> tuple[str, np.ndarray | None]:
        """("OPTIMAL", x) with x integral and exactly feasible; ("INFEASIBLE", None); ("FRACTIONAL", None).

        An LP optimum that is fractional only in variables without objective weight (auxiliary
        variables, e.g. counters of a tie-break) is completed: those variables are re-chosen as
        integers with everything else fixed; the objective, and so optimality, is unchanged.
        """
        self.solver.SetTimeLimit(max(1, int(time_limit_s * 1000)))
        status = self.solver.Solve()
        if status == pywraplp.Solver.INFEASIBLE:
            return "INFEASIBLE", None
        if status != pywraplp.Solver.OPTIMAL:
            return "FRACTIONAL", None
        self.solver.FillSolutionResponseProto(self.response)
        values = np.asarray(self.response.variable_value, dtype=float)
        x = np.round(values)
        fractional = np.flatnonzero(np.abs(values - x) > INT_TOLERANCE)
        x = x.astype(np.int64)
        if len(fractional):
            if np.any(self.objective[fractional] != 0):
                return "FRACTIONAL", None
            if self.completer is None:
                self.completer = _Completer(self.spec)
            x = self.completer.complete(x, fractional, values)
            if x is None:
                return "FRACTIONAL", None
        if not self.spec.feasible(x):
            return "FRACTIONAL", None
        # The LP optimum is an integer point: it is the integer optimum (up to LP tolerance,
        # far below one unit of the objective since every coefficient is an integer).
        if abs(self.solver.Objective().Value() - float(np.dot(self.objective, x))) > 0.5 + 1e-6 * self.scale:
            return "FRACTIONAL", None
        return "OPTIMAL", x

    def bound(self, j: int, lo: float, hi: float) -> None:
        self.x[j].SetBounds(float(lo), float(hi))


class _Completer:
    """Integer values for a few variables with every other variable fixed (a tiny CP-SAT model)."""

    EMPTY = cp_model_helper.CpModelProto()

    def __init__(self, spec: PartSpec):
        self.spec = spec
        self.row_of_entry = np.repeat(np.arange(len(spec.row_lo)), np.diff(spec.indptr))
        self.model = cp_model.CpModel()

    def complete(self, x: np.ndarray, free: np.ndarray, values: np.ndarray | None = None) -> np.ndarray | None:
        """Integer values for `free` (others fixed as in `x`); `values` = the LP values, for a first
        cheap guess (in each cluster of free 0/1 variables sharing a row, the largest LP values
        set to 1, as many as the cluster's LP total), checked exactly before it is used."""
        if values is not None:
            guess = self._round_clusters(x, free, values)
            if guess is not None and self.spec.feasible(guess):
                return guess
        return self._solve(x, free)

    def _round_clusters(self, x: np.ndarray, free: np.ndarray, values: np.ndarray) -> np.ndarray | None:
        spec = self.spec
        if np.any(spec.lo[free] != 0) or np.any(spec.hi[free] != 1):
            return None
        is_free = np.zeros(spec.n, bool)
        is_free[free] = True
        parent = {int(j): int(j) for j in free}

        def find(a: int) -> int:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        entry_free = is_free[spec.indices]
        for r in np.unique(self.row_of_entry[entry_free]):
            a, b = spec.indptr[r], spec.indptr[r + 1]
            members = spec.indices[a:b][entry_free[a:b]]
            root = find(int(members[0]))
            for j in members[1:]:
                other = find(int(j))
                if other != root:
                    parent[other] = root
        clusters: dict[int, list[int]] = {}
        for j in free:
            clusters.setdefault(find(int(j)), []).append(int(j))
        out = x.copy()
        for members in clusters.values():
            members = np.array(sorted(members, key=lambda j: (-round(float(values[j]), 6), j)), dtype=np.int64)
            total = int(round(float(values[members].sum())))
            out[members] = 0
            out[members[:total]] = 1
        return out

    def _solve(self, x: np.ndarray, free: np.ndarray) -> np.ndarray | None:
        spec = self.spec
        is_free = np.zeros(spec.n, bool)
        is_free[free] = True
        entry_free = is_free[spec.indices]
        fixed_part = np.bincount(self.row_of_entry, weights=np.where(entry_free, 0, spec.data * x[spec.indices]),
                                 minlength=len(spec.row_lo))
        position = np.full(spec.n, -1, np.int64)
        position[free] = np.arange(len(free))
        proto = self.model.proto
        proto.copy_from(self.EMPTY)
        for j in free:
            proto.variables.add().domain.extend([int(spec.lo[j]), int(spec.hi[j])])
        for r in np.unique(self.row_of_entry[entry_free]):
            a, b = spec.indptr[r], spec.indptr[r + 1]
            mine = entry_free[a:b]
            constant = int(round(fixed_part[r]))
            lo_b, hi_b = spec.row_lo[r], spec.row_hi[r]
            ct = proto.constraints.add()
            ct.linear.vars.extend(position[spec.indices[a:b][mine]].tolist())
            ct.linear.coeffs.extend(spec.data[a:b][mine].tolist())
            ct.linear.domain.extend([int(lo_b) - constant if math.isfinite(lo_b) else -INF64,
                                     int(hi_b) - constant if math.isfinite(hi_b) else INF64])
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = 5.0
        if solver.solve(self.model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        out = x.copy()
        out[free] = np.asarray(list(solver.response_proto.solution), dtype=np.int64)
        return out


def cpsat_model(spec: PartSpec) -> tuple[cp_model.CpModel, list]:
    """The part's rows as a CP-SAT model (no objective); returns the model and its variables."""
    cp = cp_model.CpModel()
    x = [cp.new_int_var(int(a), int(b), f"x{j}") for j, (a, b) in enumerate(zip(spec.lo, spec.hi))]
    for r in range(len(spec.row_lo)):
        a, b = spec.indptr[r], spec.indptr[r + 1]
        expr = cp_model.LinearExpr.weighted_sum([x[j] for j in spec.indices[a:b]], [int(c) for c in spec.data[a:b]])
        lo_b, hi_b = spec.row_lo[r], spec.row_hi[r]
        cp.add_linear_constraint(expr, int(lo_b) if math.isfinite(lo_b) else -INF64,
                                 int(hi_b) if math.isfinite(hi_b) else INF64)
    return cp, x


class _CpSat:
    """The same part as a CP-SAT model (only built when an LP optimum is fractional)."""

    def __init__(self, spec: PartSpec, weights: np.ndarray):
        self.spec = spec
        self.cp, self.x = cpsat_model(spec)
        nz = np.flatnonzero(weights)
        self.cp.maximize(cp_model.LinearExpr.weighted_sum([self.x[j] for j in nz], [int(w) for w in weights[nz]]))
        for j, v in zip(spec.hint_vars, spec.hint_values):
            self.cp.add_hint(self.x[j], int(v))

    def solve(self, j: int, value: int, time_limit_s: float) -> tuple[str, np.ndarray | None]:
        var = self.cp.proto.variables[self.x[j].index]
        saved = list(var.domain)
        var.domain.clear()
        var.domain.extend([value, value])
        try:
            solver = cpsat_solver(time_limit_s)
            status = solver.solve(self.cp)
        finally:
            var.domain.clear()
            var.domain.extend(saved)
        name = solver.status_name(status)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return name, np.asarray(list(solver.response_proto.solution), dtype=np.int64)
        return name, None


def cpsat_solver(limit_s: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_time_in_seconds = max(0.01, float(limit_s))
    # Measured on the 2023 round: a re-solve from the slate's hint is mostly set-up; presolve
    # (which also loses much of the hint's value), probing and symmetry detection cost more
    # than they save.
    solver.parameters.cp_model_presolve = False
    solver.parameters.cp_model_probing_level = 0
    solver.parameters.symmetry_level = 0
    return solver


def moves_weight(spec: PartSpec) -> int:
    """The weight of the objective over the number of changed decisions (lexicographic in one solve).

    Above twice the number of decisions plus a margin, so that an LP optimum that is off by
    floating-point tolerance still cannot trade one unit of objective for fewer changes.
    """
    return 2 * (len(spec.decisions) + 1) + 1024


def solve_part(spec: PartSpec, tasks: Sequence[tuple[int, int]], deadline: float,
               solve_limit_s: float = 5.0) -> list[dict]:
    """Re-solve one part once per task (local variable, forced value).

    Maximises ``objective × moves_weight − changed decisions``: first as an LP (an integral,
    exactly feasible LP optimum is the integer optimum), then with CP-SAT when it is fractional.
    Returns one dict per task: status, delta (objective change in model units), changed
    (positions in ``spec.decisions`` whose value differs from the slate, the forced one
    excluded), method, solve_s. ``deadline`` is a `time.monotonic` instant.
    """
    weights = lexicographic_weights(spec)
    try:
        lp = _Lp(spec, weights, maximise=True)
    except Exception as exc:       # pragma: no cover - GLOP unavailable
        log.warning("no LP solver (%s): CP-SAT only", exc)
        lp = None
    cpsat = None
    decision_index = {int(j): k for k, j in enumerate(spec.decisions)}
    base = baseline(spec, lp)
    out: list[dict] = []
    for j, value in tasks:
        start = time.monotonic()
        remaining = min(solve_limit_s, deadline - start)
        if remaining <= 0.005 or base is None:
            out.append({"status": "UNKNOWN", "delta": math.nan, "changed": [], "method": "", "solve_s": 0.0})
            continue
        status, x, method = "FRACTIONAL", None, "lp"
        if lp is not None:
            lp.bound(j, value, value)
            status, x = lp.solve(remaining)
            lp.bound(j, spec.lo[j], spec.hi[j])
        if status == "FRACTIONAL":
            method = "cp-sat"
            if cpsat is None:
                cpsat = _CpSat(spec, weights)
            status, x = cpsat.solve(j, value, max(0.01, min(solve_limit_s, deadline - time.monotonic())))
        record = {"status": status, "delta": math.nan, "changed": [], "method": method,
                  "solve_s": time.monotonic() - start}
        if x is not None:
            record["delta"] = spec.level(x) - base
            record["changed"] = [decision_index[int(k)] for k in spec.decisions[x[spec.decisions] != spec.current]
                                 if int(k) != j]
        out.append(record)
    return out


def lexicographic_weights(spec: PartSpec) -> np.ndarray:
    """objective × moves_weight − (1 per decision that differs from the slate, up to a constant)."""
    change = np.zeros(spec.n, np.int64)
    change[spec.decisions] = np.where(spec.current == 1, 1, -1)
    return spec.obj * moves_weight(spec) + change


def baseline(spec: PartSpec, lp: _Lp | None) -> int | None:
    """The part's objective with every decision as in the slate (slack variables at their best)."""
    if lp is not None:
        for j, v in zip(spec.decisions, spec.current):
            lp.bound(j, v, v)
        status, x = lp.solve(30.0)
        for j in spec.decisions:
            lp.bound(j, spec.lo[j], spec.hi[j])
        if status == "OPTIMAL":
            return spec.level(x)
    fixed = dataclasses.replace(spec, lo=spec.lo.copy(), hi=spec.hi.copy())
    fixed.lo[spec.decisions] = spec.current
    fixed.hi[spec.decisions] = spec.current
    solver_model = _CpSat(fixed, fixed.obj)
    status, x = solver_model.solve(int(spec.decisions[0]) if len(spec.decisions) else 0,
                                   int(spec.current[0]) if len(spec.current) else int(fixed.lo[0]), 30.0)
    if x is None:
        log.error("the slate does not satisfy its own model in a part (%s) — a bug", status)
        return None
    return spec.level(x)


def part_level(spec: PartSpec) -> int | None:
    """The part's first-level objective at the slate (decisions fixed, the rest at its best)."""
    try:
        lp = _Lp(spec, spec.obj, maximise=True)
    except Exception:       # pragma: no cover - GLOP unavailable
        lp = None
    return baseline(spec, lp)


def _run(job: tuple[PartSpec, list[tuple[int, int]], float, float]) -> list[dict]:
    spec, tasks, deadline, solve_limit_s = job
    return solve_part(spec, tasks, deadline, solve_limit_s)


# =============================================================================================
# The engine over a solved model

@dataclass
class Engine:
    """The first objective level of a solved model, split into parts, with the current slate.

    Parameters
    ----------
    model : Model
        The built model (`model.build_model`); its ``frame`` rows align with ``selected``.
    selected, national : ndarray of bool
        The current decisions per row of ``model.frame`` (`solve.Solution`).
    """

    model: "Model"
    selected: np.ndarray
    national: np.ndarray
    split: Split = field(init=False)
    coef: dict[int, int] = field(init=False)        # proto variable → objective coefficient (model units)
    units: float = field(init=False)
    row_of: dict[int, int] = field(init=False)      # proto variable of a select[] → frame row
    value: dict[int, int] = field(init=False)       # proto variable → current value (decisions, national)

    def __post_init__(self) -> None:
        model = self.model
        level = model.objectives[0]
        flat = cp_model_helper.FlatIntExpr(level.expr)
        coef: dict[int, int] = {}
        for var, c in zip(flat.vars, flat.coeffs):
            coef[var.index] = coef.get(var.index, 0) + int(c)
        self.coef = coef
        self.units = float(level.units)
        self.split = Split.of(model.cp.proto)
        free = np.flatnonzero(model.free)
        self.row_of = {model.select[i].index: int(i) for i in free}
        self.value = {model.select[i].index: int(bool(self.selected[i])) for i in free}
        for i in np.flatnonzero(model.may_national):
            self.value[model.national[i].index] = int(bool(self.national[i]))

    def part_of(self, row: int) -> int:
        return int(self.split.part[self.model.select[row].index])

    def spec(self, part: int) -> tuple[PartSpec, dict[int, int], list[int]]:
        """The part's arrays, its local index map and the frame row of each decision.

        Decisions are this round's `select` variables: their changes are counted and
        minimised. Planned picks of later years (lookahead) are re-planned freely — counting
        them too makes the LP fractional, and the plan is tentative anyway.
        """
        planned = getattr(self.model, "planned", None)
        decisions = [v for v in np.flatnonzero(self.split.part == part).tolist()
                     if v in self.row_of and not (planned is not None and planned[self.row_of[v]])]
        spec, local = _spec(self.model.cp.proto, self.split, part, self.coef, self.value, decisions)
        return spec, local, [self.row_of[v] for v in decisions]

    def solve(self, rows: Sequence[int], forces: Sequence[int], *, processes: int = 1, time_limit_s: float = 60.0,
              solve_limit_s: float = 5.0) -> dict[int, dict]:
        """Re-solve once per row with its select forced to ``forces[k]``; returns row → outcome.

        Outcome: status, delta (model units), changed (frame rows whose select differs from
        the slate, the forced row excluded), method, solve_s.
        """
        deadline = time.monotonic() + time_limit_s
        if not self.split.supported:
            return {int(r): {"status": "UNSUPPORTED", "delta": math.nan, "changed": [], "method": "", "solve_s": 0.0}
                    for r in rows}
        by_part: dict[int, list[tuple[int, int]]] = {}
        for r, f in zip(rows, forces):
            by_part.setdefault(self.part_of(int(r)), []).append((int(r), int(f)))
        jobs, keys = [], []
        sizes = {p: int((self.split.part == p).sum()) for p in by_part}
        total = sum(sizes[p] * len(t) for p, t in by_part.items()) or 1
        share = total / max(1, processes)
        for p in sorted(by_part, key=lambda q: -sizes[q] * len(by_part[q])):
            spec, local, frame_rows = self.spec(p)
            tasks = by_part[p]
            pieces = max(1, min(processes, math.ceil(sizes[p] * len(tasks) / share - 1e-9))) if processes > 1 else 1
            step = math.ceil(len(tasks) / pieces)
            for k in range(0, len(tasks), step):
                chunk = tasks[k:k + step]
                jobs.append((spec, [(local[self.model.select[r].index], f) for r, f in chunk], deadline, solve_limit_s))
                keys.append(([r for r, _ in chunk], frame_rows))
        results = _map(jobs, processes)
        out: dict[int, dict] = {}
        for (chunk_rows, frame_rows), outcomes in zip(keys, results):
            for r, o in zip(chunk_rows, outcomes):
                o = dict(o)
                o["changed"] = [frame_rows[k] for k in o["changed"]]
                out[r] = o
        return out


def _map(jobs: list, processes: int) -> list[list[dict]]:
    """Run part jobs, in `processes` forked processes when that helps (GLOP holds the GIL)."""
    if processes <= 1 or len(jobs) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [_run(job) for job in jobs]
    context = multiprocessing.get_context("fork")
    try:
        with ProcessPoolExecutor(max_workers=min(processes, len(jobs)), mp_context=context) as pool:
            return list(pool.map(_run, jobs))
    except (OSError, BrokenProcessPool) as exc:       # no processes to be had: do it here
        log.warning("counterfactuals in this process only (%s)", exc)
        return [_run(job) for job in jobs]


# =============================================================================================
# Public API

def counterfactual(result: "SolvedRound", candidate_id: str, *, force: str | None = None,
                   time_limit_s: float = 30.0, engine: Engine | None = None) -> Counterfactual:
    """Force one candidate in (or out), re-solve exactly, and say what changes.

    Parameters
    ----------
    result : SolvedRound
        A solved round: uses ``result.model`` (its frame needs candidate_id, year and the
        objective column), ``result.solution``, ``result.scenario`` and, for the wording of
        blocked candidates, ``result.explanations`` (candidate_id, reason, rule_id).
    candidate_id : str
    force : {"in", "out"}, optional
        Default: the opposite of the current decision.
    time_limit_s : float
        Budget for the re-solve (and, if it is infeasible, for naming the conflict).
    engine : Engine, optional
        ``Engine(result.model, result.solution.selected, result.solution.national)``, to share
        between several calls on the same result (its set-up is the slow part).

    Raises
    ------
    InputError
        Unknown candidate id, or a force other than "in"/"out".
    """
    row = _row(result, candidate_id)
    selected = bool(result.solution.selected[row])
    force = force or ("out" if selected else "in")
    if force not in ("in", "out"):
        raise InputError([Problem("counterfactual", f'force "{force}"', '"in" or "out"', column="force")])
    if selected == (force == "in"):
        what = "已入选" if selected else "未入选"
        return Counterfactual(candidate_id, force, "unchanged", 0.0, 0.0, sentence=f"当前名单中本项目{what}，无需强制")
    scenario = result.scenario
    if (force == "out" and candidate_id in scenario.force_in) or (force == "in" and candidate_id in scenario.force_out):
        return _unpinned(result, candidate_id, row, force, time_limit_s)
    if not result.model.free[row]:
        return _blocked(result, candidate_id, row, force)
    engine = engine or Engine(result.model, result.solution.selected, result.solution.national)
    outcome = engine.solve([row], [1 if force == "in" else 0], time_limit_s=time_limit_s,
                           solve_limit_s=time_limit_s)[row]
    return _describe(result, engine, row, force, outcome, time_limit_s)


def explain_all(result: "SolvedRound", *, processes: int = 2, time_limit_s: float = 60.0, solve_limit_s: float = 5.0,
                candidates: Iterable[str] | None = None) -> pd.DataFrame:
    """Counterfactual "forced in" for every rejected candidate of this round.

    Parameters
    ----------
    result : SolvedRound
        See `counterfactual`.
    processes : int
        Parts solved side by side in forked processes (1 = in this process).
    time_limit_s : float
        Budget for all re-solves together; candidates left when it runs out get status UNKNOWN.
    solve_limit_s : float
        Budget for one re-solve.
    candidates : iterable of str, optional
        Only these (default: every candidate of this round not selected).

    Returns
    -------
    DataFrame
        `COLUMNS`: candidate_id, force ("in"), status, delta_if_forced (score points),
        delta_score, leaving and entering (ids joined by "、"), counterfactual
        (the sentence), method, solve_s. One row per rejected candidate, in table order.
    """
    start = time.perf_counter()
    model, solution, scenario = result.model, result.solution, result.scenario
    n = _n_input(model)
    ids = model.frame["candidate_id"].astype(str).to_numpy()
    this_year = model.frame["year"].to_numpy()[:n] == scenario.year
    rejected = np.flatnonzero(this_year & ~np.asarray(solution.selected[:n], bool))
    if candidates is not None:
        rejected = rejected[np.isin(ids[rejected], [str(c) for c in candidates])]
    engine = Engine(model, solution.selected, solution.national)
    solvable = [int(r) for r in rejected if model.free[r]]
    outcomes = engine.solve(solvable, [1] * len(solvable), processes=processes, time_limit_s=time_limit_s,
                            solve_limit_s=solve_limit_s)
    context = _Context.of(result)
    found = {r: _describe(result, engine, r, "in", outcomes[r], solve_limit_s, context=context, name_conflict=False)
             for r in solvable}
    deadline = start + time_limit_s
    for r in rejected:
        r = int(r)
        if r in found:
            continue
        cid = ids[r]
        if cid in scenario.force_out and deadline - time.perf_counter() > 0.5:
            found[r] = _unpinned(result, cid, r, "in", deadline - time.perf_counter())
        elif cid in scenario.force_out:
            found[r] = Counterfactual(cid, "in", "UNKNOWN", sentence="时间不足，未计算")
        else:
            found[r] = _blocked(result, cid, r, "in", context=context)
    log.info("counterfactuals of %d rejected candidates in %.2f s", len(rejected), time.perf_counter() - start)
    return table([found[int(r)] for r in rejected])


def table(items: Sequence[Counterfactual]) -> pd.DataFrame:
    """Counterfactuals as a DataFrame with `COLUMNS`."""
    return pd.DataFrame({
        "candidate_id": pd.Series([c.candidate_id for c in items], dtype=object),
        "force": pd.Series([c.force for c in items], dtype=object),
        "status": pd.Series([c.status for c in items], dtype=object),
        "delta_if_forced": np.array([c.delta_objective for c in items], dtype=float),
        "delta_score": np.array([c.delta_score for c in items], dtype=float),
        "leaving": pd.Series(["、".join(c.leaving) for c in items], dtype=object),
        "entering": pd.Series(["、".join(c.entering) for c in items], dtype=object),
        "counterfactual": pd.Series([c.sentence for c in items], dtype=object),
        "method": pd.Series([c.method for c in items], dtype=object),
        "solve_s": np.array([round(c.solve_s, 4) for c in items], dtype=float),
    }, columns=COLUMNS)


def merge(explanations: pd.DataFrame, counterfactuals: pd.DataFrame) -> pd.DataFrame:
    """Explanations with the counterfactual columns added and its sentence appended to ``reason``.

    Parameters
    ----------
    explanations : DataFrame
        `explain.reasons` output (candidate_id, reason, …).
    counterfactuals : DataFrame
        `explain_all` / `table` output.
    """
    extra = counterfactuals.drop(columns=["solve_s", "force", "method"]).set_index("candidate_id")
    out = explanations.copy()
    keyed = out["candidate_id"].astype(str)
    for column in extra.columns:
        out[column] = keyed.map(extra[column]).to_numpy()
    sentence = out["counterfactual"].fillna("").astype(str).to_numpy(dtype=object)
    has = np.array([len(s) > 0 for s in sentence], dtype=bool)
    reason = out["reason"].astype(str).to_numpy(dtype=object)
    reason[has] = reason[has] + "；" + sentence[has]
    out["reason"] = reason
    return out


# =============================================================================================
# Helpers

@dataclass
class _Context:
    """Per-round lookups shared by every sentence (computed once)."""

    ids: np.ndarray
    score: np.ndarray
    reason: dict[str, str]
    rule: dict[str, str]
    blocked: dict[str, str]

    @classmethod
    def of(cls, result: "SolvedRound") -> "_Context":
        model = result.model
        frame = model.frame
        ids = frame["candidate_id"].astype(str).to_numpy()
        score = pd.to_numeric(frame[result.scenario.maximise], errors="coerce").to_numpy(dtype=float)
        expl = getattr(result, "explanations", None)
        reason, rule = {}, {}
        if expl is not None and len(expl) and "reason" in expl:
            keys = expl["candidate_id"].astype(str).tolist()
            reason = dict(zip(keys, expl["reason"].astype(str).tolist()))
            if "rule_id" in expl:
                rule = dict(zip(keys, expl["rule_id"].fillna("").astype(str).tolist()))
        n = _n_input(model)
        codes = blocked_reason(frame.iloc[:n], result.scenario).astype(str).tolist()
        return cls(ids=ids, score=score, reason=reason, rule=rule,
                   blocked=dict(zip(ids[:n].tolist(), codes)))


def _history_rows(model: "Model", n: int) -> np.ndarray | None:
    """Every row of the locked rounds (selected or not), as the model was built with, if it knows."""
    rows = getattr(model, "history_rows", None)
    return None if rows is None else np.asarray(rows, bool)[:n]


def _n_input(model: "Model") -> int:
    return int(getattr(model, "n_input", 0) or len(model.frame))


def _row(result: "SolvedRound", candidate_id: str) -> int:
    model = result.model
    n = _n_input(model)
    ids = model.frame["candidate_id"].astype(str).to_numpy()[:n]
    hit = np.flatnonzero(ids == str(candidate_id))
    if not len(hit):
        raise InputError([Problem(result.scenario.label, f'candidate "{candidate_id}" which is not in the candidate table',
                                  "a candidate_id of this round", column="candidate",
                                  hint=suggest(str(candidate_id), list(ids)))])
    return int(hit[0])


def _blocked(result: "SolvedRound", candidate_id: str, row: int, force: str, *, context: _Context | None = None) -> Counterfactual:
    """A candidate without a decision variable this round: say why it cannot be forced in."""
    context = context or _Context.of(result)
    code = context.blocked.get(candidate_id) or "locked"
    why = context.reason.get(candidate_id) or code
    return Counterfactual(candidate_id, force, "blocked", sentence=f"无法强制入选（{code}）：{why}")


def _describe(result: "SolvedRound", engine: Engine, row: int, force: str, outcome: dict, time_limit_s: float, *,
              context: _Context | None = None, name_conflict: bool = True) -> Counterfactual:
    context = context or _Context.of(result)
    ids, score = context.ids, context.score
    cid = ids[row]
    status, method, solve_s = outcome["status"], outcome.get("method", ""), outcome.get("solve_s", 0.0)
    verb = "强制入选" if force == "in" else "强制不入选"
    if status == "INFEASIBLE":
        rules = _conflict_rules(result, cid, force, time_limit_s) if name_conflict else \
            [r for r in [context.rule.get(cid, "")] if r]
        named = "、".join(f"“{r}”" for r in rules)
        return Counterfactual(cid, force, status, sentence=f"无法{verb}：没有满足全部硬性规则的名单"
                              + (f"（冲突规则：{named}）" if rules else ""), solve_s=solve_s, method=method,
                              conflict=tuple(rules))
    if status == "UNSUPPORTED":
        return Counterfactual(cid, force, "UNKNOWN", sentence="模型含不支持的约束类型，未计算反事实")
    if status not in ("OPTIMAL", "FEASIBLE"):
        return Counterfactual(cid, force, "UNKNOWN", sentence=f"{verb}后的重新求解在时限内未完成", solve_s=solve_s,
                              method=method)
    changed = np.asarray(outcome["changed"], dtype=np.int64)
    was = np.asarray(engine.selected, bool)
    leaving = sorted((int(r) for r in changed if was[r]), key=lambda r: (-score[r], ids[r]))
    entering = sorted((int(r) for r in changed if not was[r]), key=lambda r: (-score[r], ids[r]))
    sign = 1 if force == "in" else -1
    delta_score = sign * score[row] + sum(score[r] for r in entering) - sum(score[r] for r in leaving)
    delta = outcome["delta"] / engine.units
    text = [f"若{verb}，"]
    if abs(delta) < 1e-9:
        text.append("目标值不变（并列最优）")
    elif delta < 0:
        text.append(f"目标值减少 {-delta:.10g} 分")
    else:
        text.append(f"目标值增加 {delta:.10g} 分（当前名单并非最优）")
    if leaving:
        text.append("，替换出 " + "、".join(f"{ids[r]}（{score[r]:g}）" for r in leaving))
    if entering:
        text.append("，" + ("替补入选 " if force == "out" else "另增 ") + "、".join(f"{ids[r]}（{score[r]:g}）" for r in entering))
    if abs(delta - delta_score) > 1e-6:
        text.append(f"（本年度名单总分变化 {delta_score:+.10g}，其余来自后续年度规划或软约束）")
    if status == "FEASIBLE":
        text.append("（时限内未证明最优）")
    return Counterfactual(cid, force, status, float(delta), float(round(delta_score, 9)),
                          tuple(ids[r] for r in entering), tuple(ids[r] for r in leaving),
                          "".join(text), solve_s, method)


def _conflict_rules(result: "SolvedRound", candidate_id: str, force: str, time_limit_s: float) -> list[str]:
    """The rules of a minimal conflict once the candidate is pinned (in or out)."""
    from planner.explain.conflicts import diagnose_infeasible
    model = result.model
    n = _n_input(model)
    scenario = _repinned(result.scenario, candidate_id, force)
    try:
        diagnosis = diagnose_infeasible(model.frame.iloc[:n].reset_index(drop=True), scenario,
                                        locked=model.locked[:n], locked_national=model.locked_national[:n],
                                        history_rows=_history_rows(model, n), time_limit_s=time_limit_s, relax=False)
    except PlannerError as exc:      # pragma: no cover - naming is best effort here
        log.warning("could not name the conflict of forcing %s %s: %s", candidate_id, force, exc)
        return []
    if not len(diagnosis.conflicts):
        return []
    return [r for r in dict.fromkeys(diagnosis.conflicts["rule_id"].astype(str)) if r not in ("", "force_in", "force_out")]


def _repinned(scenario: Any, candidate_id: str, force: str | None) -> Any:
    """The scenario with the candidate's pin removed (force None) or set to `force`."""
    force_in = tuple(c for c in scenario.force_in if c != candidate_id)
    force_out = tuple(c for c in scenario.force_out if c != candidate_id)
    if force == "in":
        force_in += (candidate_id,)
    elif force == "out":
        force_out += (candidate_id,)
    return dataclasses.replace(scenario, force_in=force_in, force_out=force_out)


def _unpinned(result: "SolvedRound", candidate_id: str, row: int, force: str, time_limit_s: float) -> Counterfactual:
    """Counterfactual of a pinned candidate: the model rebuilt without its pin, then forced the other way."""
    from planner.model import build_model
    model = result.model
    n = _n_input(model)
    scenario = _repinned(result.scenario, candidate_id, None)
    extra = {} if _history_rows(model, n) is None else {"history_rows": _history_rows(model, n)}
    rebuilt = build_model(model.frame.iloc[:n].reset_index(drop=True), scenario, locked=model.locked[:n],
                          locked_national=model.locked_national[:n], **extra)
    if len(rebuilt.frame) != len(model.frame) or not rebuilt.free[row]:
        return _blocked(result, candidate_id, row, force)
    engine = Engine(rebuilt, result.solution.selected, result.solution.national)
    outcome = engine.solve([row], [1 if force == "in" else 0], time_limit_s=time_limit_s,
                           solve_limit_s=time_limit_s)[row]
    cf = _describe(result, engine, row, force, outcome, time_limit_s)
    return dataclasses.replace(cf, sentence=cf.sentence.replace("若", "若取消指定并", 1))
