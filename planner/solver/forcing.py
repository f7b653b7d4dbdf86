"""Re-solving a solved model's first objective level with one decision forced, part by part.

Owns the engine behind exact counterfactuals (`explain.counterfactual`) and alternative optima
(`explain.alternatives`): the model is split into connected components on its CP-SAT proto
(variables linked by a constraint; fixed variables link nothing); the objective is a sum over
variables, so only the forced variable's part is re-solved — exactly:

1. each part is first re-solved as a linear programme (GLOP), warm-started from the previous
   re-solve. The quota matrices are mostly totally unimodular, so the LP optimum is usually
   integral; an integral LP optimum that passes an exact integer feasibility check *is* the
   integer optimum (the LP is a relaxation). Objective and exchange size are one
   lexicographic objective (objective × W − changes, W far above the number of decisions);
2. when an LP optimum is fractional, CP-SAT re-solves that part with the same objective,
   hinted with the current slate (or the caller is told so, and solves it its own way:
   ``cp_sat_most``);
3. parts run in separate processes (``processes``; GLOP holds the GIL).

Does not own what a counterfactual means for a candidate (`explain.counterfactual`).
"""
from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np
from ortools.sat.python import cp_model, cp_model_helper

from planner.lang import say
from planner.model import LinearRows, Split, component_labels
from planner.solver.cp import CpOutcome, solve_cp
from planner.solver.partspec import INF64, PartSpec, part_spec

if TYPE_CHECKING:       # pragma: no cover - typing only
    from planner.model import Model

log = logging.getLogger(__name__)

INT_TOLERANCE = 1e-6
ENUMERATE = 10          # a cluster of at most this many 0/1 variables is completed by trying every assignment


class _Lp:
    """A GLOP model of a part, re-solved after bound changes (warm start)."""

    def __init__(self, spec: PartSpec, objective: np.ndarray, maximise: bool):
        self.spec = spec
        # GLOP and the process pool are loaded on first use: a plain solve never re-solves a part,
        # and the command line should not pay for importing them.
        from ortools.linear_solver import linear_solver_pb2, pywraplp
        self._pywraplp = pywraplp
        s = pywraplp.Solver.CreateSolver("GLOP")
        # Warm start: without presolve GLOP keeps the last basis while only bounds change (one
        # forced variable a re-solve), and the dual simplex goes on from it. Measured on the 2023
        # round's 1,775 flip margins: 16.4 s → 8.8 s of CPU, the same margins.
        s.SetSolverSpecificParametersAsString("use_preprocessing: false use_dual_simplex: true")
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
        variables, e.g. counters of a tie-break) is completed: those variables — and, if need be,
        the weightless ones sharing a row with them (`_Completer.widen`) — are re-chosen as
        integers with everything else fixed; the objective, and so optimality, is unchanged.
        """
        if time_limit_s < 1e9:                          # no limit (inf, or beyond int64 ms): none
            self.solver.SetTimeLimit(max(1, int(time_limit_s * 1000)))
        status = self.solver.Solve()
        if status == self._pywraplp.Solver.INFEASIBLE:
            return "INFEASIBLE", None
        if status != self._pywraplp.Solver.OPTIMAL:
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
            completer = self.completer
            x = completer.complete(x, fractional, values, wider=lambda: completer.widen(fractional, self.objective))
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

    def widen(self, fractional: np.ndarray, objective: np.ndarray) -> np.ndarray:
        """The fractional variables and every variable without objective weight in a row with one.

        A fractional variable's integer value may need its neighbours to move too: a counter
        written in binary (``x + x' + x'' = c₁ + 2·c₂``) is fractional in ``c₂`` at ½ while ``c₁``
        sits at 0, and only ``c₁ = 1, c₂ = 0`` completes it. Only weightless variables are freed,
        so any completion keeps the LP's objective value.
        """
        spec = self.spec
        rows = np.unique(self.row_of_entry[np.isin(spec.indices, fractional)])
        entries = np.isin(self.row_of_entry, rows)
        neighbours = spec.indices[entries]
        return np.union1d(fractional, neighbours[objective[neighbours] == 0])

    def complete(self, x: np.ndarray, free: np.ndarray, values: np.ndarray | None = None,
                 wider: Callable[[], np.ndarray] | None = None) -> np.ndarray | None:
        """Integer values for `free` (others fixed as in `x`); `values` = the LP values, for a first
        cheap guess (in each cluster of free 0/1 variables sharing a row, the largest LP values
        set to 1, as many as the cluster's LP total), checked exactly before it is used. `wider`:
        a larger set of variables the exact completion may change when the guess fails (`widen`)."""
        if values is not None:
            guess = self._round_clusters(x, free, values)
            if guess is not None and self.spec.feasible(guess):
                return guess
        free = free if wider is None else wider()
        tried = self._enumerate(x, free)
        return tried if tried is not None else self._solve(x, free)

    def _enumerate(self, x: np.ndarray, free: np.ndarray) -> np.ndarray | None:
        """Integer values for `free` by trying every assignment of each cluster (None: not done so).

        The free variables fall apart into clusters linked by the rows they share; each cluster
        of at most `ENUMERATE` 0/1 variables takes the first of its assignments that keeps its
        rows (the others fixed as in `x`). None when a cluster is larger, a variable not 0/1, or
        a cluster has no such assignment (CP-SAT then decides).
        """
        spec = self.spec
        if not len(free) or np.any(spec.lo[free] != 0) or np.any(spec.hi[free] != 1):
            return None
        is_free = np.zeros(spec.n, bool)
        is_free[free] = True
        entry_free = is_free[spec.indices]
        fixed = np.bincount(self.row_of_entry, weights=np.where(entry_free, 0, spec.data * x[spec.indices]),
                            minlength=len(spec.row_lo))
        structure = LinearRows(lower=spec.lo, upper=spec.hi, start=spec.indptr, var=spec.indices, coef=spec.data,
                               lo=spec.row_lo, hi=spec.row_hi)
        cluster = component_labels(structure, is_free)
        sizes = np.bincount(cluster[free])
        if sizes.max() > ENUMERATE:
            return None
        out = x.copy()
        entry_cluster = np.where(entry_free, cluster[spec.indices], -1)
        for c in range(len(sizes)):
            members = np.flatnonzero(cluster == c)
            mine = entry_cluster == c
            rows, at = np.unique(self.row_of_entry[mine], return_inverse=True)
            a = np.zeros((len(rows), len(members)), np.int64)
            np.add.at(a, (at, np.searchsorted(members, spec.indices[mine])), spec.data[mine])
            assign = (np.arange(2 ** len(members))[:, None] >> np.arange(len(members))) & 1
            act = assign @ a.T + fixed[rows]
            holds = np.all((act >= spec.row_lo[rows] - 1e-9) & (act <= spec.row_hi[rows] + 1e-9), axis=1)
            if not holds.any():
                return None
            out[members] = assign[int(np.argmax(holds))]
        return out

    def _round_clusters(self, x: np.ndarray, free: np.ndarray, values: np.ndarray) -> np.ndarray | None:
        spec = self.spec
        if np.any(spec.lo[free] != 0) or np.any(spec.hi[free] != 1):
            return None
        # Clusters: the free variables linked by the rows they share (the rows over them alone).
        position = np.full(spec.n, -1, np.int64)
        position[free] = np.arange(len(free))
        kept = position[spec.indices] >= 0
        rows = self.row_of_entry[kept]
        start = np.concatenate([[0], np.flatnonzero(np.diff(rows)) + 1, [len(rows)]]) if len(rows) else np.zeros(1, np.int64)
        zeros = np.zeros(len(start) - 1, np.int64)
        structure = LinearRows(lower=np.zeros(len(free), np.int64), upper=np.ones(len(free), np.int64), start=start,
                               var=position[spec.indices[kept]], coef=spec.data[kept], lo=zeros, hi=zeros)
        cluster = component_labels(structure, np.ones(len(free), bool))
        # In each cluster, the largest LP values first (then the lower index), as many ones as its LP total.
        order = np.lexsort((free, -np.round(values[free], 6), cluster))
        ranked = cluster[order]
        rank = np.arange(len(order)) - np.searchsorted(ranked, ranked)
        total = np.rint(np.bincount(cluster, weights=values[free])).astype(np.int64)
        out = x.copy()
        out[free[order]] = (rank < total[ranked]).astype(np.int64)
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
        found = solve_cp(self.model, time_limit_s=5.0)
        if not found.found:
            return None
        out = x.copy()
        out[free] = found.values
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
            found = solve_part_cp(self.cp, time_limit_s)
        finally:
            var.domain.clear()
            var.domain.extend(saved)
        return found.status, found.values


def solve_part_cp(cp: cp_model.CpModel, limit_s: float) -> CpOutcome:
    """One CP-SAT solve of a part's model (one worker, seed 0, the "small_part" parameters)."""
    return solve_cp(cp, time_limit_s=limit_s, seed=0, workers=1, preset="small_part")


def moves_weight(spec: PartSpec) -> int:
    """The weight of the objective over the number of changed decisions (lexicographic in one solve).

    Above twice the number of decisions plus a margin, so that an LP optimum that is off by
    floating-point tolerance still cannot trade one unit of objective for fewer changes.
    """
    return 2 * (len(spec.decisions) + 1) + 1024


def solve_part(spec: PartSpec, tasks: Sequence[tuple[int, int]], deadline: float,
               solve_limit_s: float = 5.0, cp_sat: bool = True) -> list[dict]:
    """Re-solve one part once per task (local variable, forced value).

    Maximises ``objective × moves_weight − changed decisions``: first as an LP (an integral,
    exactly feasible LP optimum is the integer optimum), then with CP-SAT when it is fractional
    — or, with ``cp_sat=False``, status FRACTIONAL: the caller solves that task another way.
    Returns one dict per task: status, delta (objective change in model units), changed
    (positions in ``spec.decisions`` whose value differs from the slate, the forced one
    excluded), method, solve_s. ``deadline`` is a `time.monotonic` instant.
    """
    weights = lexicographic_weights(spec)
    try:
        lp = _Lp(spec, weights, maximise=True)
    except Exception as exc:       # pragma: no cover - GLOP unavailable
        log.warning(say(f"没有线性规划求解器（{exc}）：只用 CP-SAT", f"no LP solver ({exc}): CP-SAT only"))
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
        if status == "FRACTIONAL" and cp_sat:
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


def _run(job: tuple[PartSpec, list[tuple[int, int]], float, float, bool]) -> list[dict]:
    spec, tasks, deadline, solve_limit_s, cp_sat = job
    return solve_part(spec, tasks, deadline, solve_limit_s, cp_sat)


@dataclass
class Engine:
    """The first objective level of a solved model, split into parts, with the current slate.

    Parameters
    ----------
    model : Model
        The built model (`model.build_model`); its ``frame`` rows align with ``selected``.
    selected, national : ndarray of bool
        The current decisions per row of ``model.frame`` (`solver.Solution`).
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
        spec, local = part_spec(self.model.cp.proto, self.split, part, self.coef, self.value, decisions)
        return spec, local, [self.row_of[v] for v in decisions]

    def solve(self, rows: Sequence[int], forces: Sequence[int], *, processes: int = 1, time_limit_s: float = 60.0,
              solve_limit_s: float = 5.0, cp_sat_most: int | None = None) -> dict[int, dict]:
        """Re-solve once per row with its select forced to ``forces[k]``; returns row → outcome.

        Outcome: status, delta (model units), changed (frame rows whose select differs from
        the slate, the forced row excluded), method, solve_s. `cp_sat_most`: in a part of more
        variables than this, a row whose LP optimum is fractional comes back with status
        FRACTIONAL instead of a CP-SAT solve of the whole part (`solve_part`); None: CP-SAT
        whatever the size.
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
                jobs.append((spec, [(local[self.model.select[r].index], f) for r, f in chunk], deadline, solve_limit_s,
                             cp_sat_most is None or spec.n <= cp_sat_most))
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
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    if processes <= 1 or len(jobs) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [_run(job) for job in jobs]
    context = multiprocessing.get_context("fork")
    try:
        with ProcessPoolExecutor(max_workers=min(processes, len(jobs)), mp_context=context) as pool:
            return list(pool.map(_run, jobs))
    except (OSError, BrokenProcessPool) as exc:       # no processes to be had: do it here
        log.warning(say(f"反事实只在本进程内计算（{exc}）", f"counterfactuals in this process only ({exc})"))
        return [_run(job) for job in jobs]

