"""Equity in a round's model: group counts, deviations, the bound or penalty, and the balanced end.

Owns the equity expressions added to a built model (`add_equity`), holding the index at a bound
(`constrain`, and `PointModel`: one model whose bound is replaced point after point) or pricing
it in the objective (`penalise`), what a worker needs for points of a frontier (`EquityCase`),
the exact index of a slate (`slate_index`), the most balanced slate the hard rules allow
(`most_balanced`: proven from the group counts, with Dinkelbach's method as the fallback) and the
round solved at given group counts (`solve_counts`), the unconstrained round solved without the
equity terms (`solve_unconstrained`) and the cuts its optimum proves for every bounded model
(`ScoreCuts`). Every solve goes through the solver's door (`planner.solver`); the count vectors
themselves are `analysis.apportion`'s.

Does not own the shares and indices of a slate (`analysis.shares`) nor the frontier and the
equity-bounded solve (`analysis.equity`).

The index a model can hold exactly is linear: with ``n_g`` selected in group g, ``N = Σ n_g``
and reference weights ``c_g`` (``C = Σ c_g``, so ``p_g = c_g / C``), the Loosemore–Hanby index
``LH = ½ Σ |n_g/N − p_g|`` satisfies ``LH ≤ ε ⇔ Σ |C·n_g − c_g·N| ≤ 2ε·C·N`` — linear in the
decisions, with integers only. The largest deviation ``max_g |n_g/N − p_g| ≤ ε`` is linear the
same way. Gallagher's index (a square root of squares) and the Gini coefficient are reported
for every slate but not constrained.

Why the cuts: without the equity terms the round falls apart into independent components
(rules that share no candidate), each solved fast. The count rows link them all into one, whose
LP bound is the sum of every component's LP bound — far above the integer optimum — so
reduced-cost fixing frees nearly every variable and CP-SAT searches the whole round. A slate
within any bound is a slate of the unconstrained round, so on each of its components it scores at
most that component's own proven optimum: ``Σ_{j∈c} score_j·x_j ≤ z_c`` holds for every slate
the bounded model allows (no slate is cut off, so the optimum and its tie-break are unchanged),
and with these rows the LP bound is at most the unconstrained optimum.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from planner.analysis.sampling import without_lookahead
from planner.analysis.shares import counted, reference_weights
from planner.errors import InputError, Problem
from planner.lang import say
from planner.model import Model, Objective, Unsupported, build_model, linear_terms, read_rows
from planner.rules import Scenario, load_scenario, read_round
from planner.solver import Relaxation, Solution, solve_cp, solve_level, solve_model

log = logging.getLogger(__name__)

INDICES = ("lh", "max")            # the indices a model can constrain exactly


@dataclass
class EquityTerms:
    """The equity expressions added to a model (all in integers).

    ``dev[g] = C·n_g − c_g·N``; ``total`` is N; ``lh_sum`` = Σ_g |dev[g]| through ``abs_dev``
    (variables ≥ ±dev, so exact wherever they are bounded above or minimised); ``top`` ≥ every
    |dev[g]|. LH = lh_sum / (2·C·N), largest deviation = top / (C·N).
    """

    by: str
    groups: list[str]
    weights: np.ndarray
    C: int
    total: Any
    dev: list[Any]
    abs_dev: list[cp_model.IntVar]
    top: cp_model.IntVar
    counts: list[cp_model.IntVar] = dataclasses.field(default_factory=list)     # n_g per group

    @property
    def lh_sum(self) -> Any:
        return cp_model.LinearExpr.sum(self.abs_dev)


def add_equity(model: Model, weights: pd.Series, *, by: str, n_table: int) -> EquityTerms:
    """Add the group counts, deviations and their absolute values to a built model.

    Parameters
    ----------
    model : Model
        Its ``frame`` needs `by` and year; rows ``[:n_table]`` are this round's table.
    weights : Series
        `reference_weights` output (group → integer weight).
    """
    frame = model.frame
    rows = counted(frame, model.scenario, by, n_table)
    has_var = rows & model.free
    keys = frame[by].astype(str).to_numpy()
    groups = sorted(set(weights.index) | set(keys[rows]))
    w = weights.reindex(groups, fill_value=0).to_numpy(dtype=np.int64)
    C = int(w.sum())
    cp = model.cp
    counts = {}
    for g in groups:
        members = list(model.select[has_var & (keys == g)])
        n_g = cp.new_int_var(0, len(members), f"equity_count[{by}={g}]")
        cp.add(n_g == cp_model.LinearExpr.sum(members))
        counts[g] = n_g
    n_max = int(has_var.sum())
    total = cp.new_int_var(0, n_max, f"equity_total[{by}]")
    cp.add(total == cp_model.LinearExpr.sum(list(counts.values())))
    bound = C * max(1, n_max)
    dev, abs_dev = [], []
    for g, c in zip(groups, w):
        expr = C * counts[g] - int(c) * total
        d = cp.new_int_var(0, bound, f"equity_dev[{by}={g}]")
        cp.add(d >= expr)
        cp.add(d >= -expr)
        dev.append(expr)
        abs_dev.append(d)
    top = cp.new_int_var(0, bound, f"equity_top[{by}]")
    for d in abs_dev:
        cp.add(top >= d)
    return EquityTerms(by=by, groups=groups, weights=w, C=C, total=total, dev=dev, abs_dev=abs_dev, top=top,
                       counts=[counts[g] for g in groups])


def constrain(model: Model, terms: EquityTerms, epsilon: Fraction, *, index: str = "lh") -> None:
    """Hold the slate's index at or below `epsilon` (a share, e.g. Fraction(1, 10) = 10 pp).

    ``lh``: Σ |dev| ≤ 2ε·C·N; ``max``: every |dev| ≤ ε·C·N (exact rational arithmetic); and
    N ≥ 1 (an empty slate would satisfy any bound).
    """
    if index not in INDICES:
        raise InputError([Problem("equity", say(f'指数 "{index}"', f'index "{index}"'), say("以下之一：" + "、".join(INDICES), "one of " + ", ".join(INDICES)))])
    eps = Fraction(epsilon)
    a, b = eps.numerator, eps.denominator
    model.cp.add(terms.total >= 1)          # an empty slate has no shares to be balanced
    if index == "lh":
        model.cp.add(b * terms.lh_sum <= 2 * a * terms.C * terms.total)
    else:
        model.cp.add(b * terms.top <= a * terms.C * terms.total)


def penalise(model: Model, terms: EquityTerms, weight: float) -> None:
    """Subtract `weight` score points per seat out of proportion from the first objective level.

    Seats out of proportion = ½ Σ_g |n_g − p_g·N| = Σ|dev| / (2C): the seats that would have
    to move between groups for the slate to match the reference shares. The level is rescaled
    to stay in integers; its tie-break priorities are coarsened (shifted right) just enough to
    keep the objective exact in floating point.
    """
    level = model.objectives[0]
    w = Fraction(str(weight))
    per_unit = level.units * w / (2 * terms.C)            # model integers per unit of |dev|
    scale = per_unit.denominator
    expr = level.expr * scale - int(per_unit * scale) * terms.lh_sum
    from ortools.sat.python import cp_model_helper
    flat = cp_model_helper.FlatIntExpr(level.expr)
    magnitude = sum(abs(int(c)) for c in flat.coeffs) * scale + int(per_unit * scale) * terms.C * \
        max(1, len(terms.groups)) * int(model.free.sum())
    ties = list(level.ties)
    if ties:
        room = 53 - math.log2(magnitude + 1) - math.log2(len(ties))
        bits = max(1, int(room))
        shift = max(0, max(t.bit_length() for t in ties) - bits)
        ties = [(t >> shift) + 1 for t in ties]
    model.objectives[0] = Objective(level.name, expr, level.units * scale, level.variables, ties)


@dataclass
class EquityCase:
    """What a worker needs to solve ε-constraint points of one round (a sweep payload)."""

    scenario: Scenario
    frame: pd.DataFrame
    locked: np.ndarray
    locked_national: np.ndarray
    n_table: int
    weights: pd.Series
    by: str
    index: str
    time_limit_s: float
    seed: int = 0
    workers: int = 0                 # CP-SAT workers per solve (1 when points run side by side)
    cuts: ScoreCuts | None = None    # from the unconstrained optimum (`ScoreCuts.of`)


@dataclass
class ScoreCuts:
    """The first level's score on each component of the unconstrained round, at most its optimum.

    Row r is ``Σ coefs[starts[r]:starts[r+1]] · x[variables[…]] ≤ bounds[r]`` over proto variable
    indices of the round's model (`build_round` adds the equity terms after the round's own
    variables, so the indices hold in the bounded models too). See the module docstring.
    """

    starts: np.ndarray
    variables: np.ndarray
    coefs: np.ndarray
    bounds: np.ndarray
    n_vars: int                      # the unconstrained model's variables (a check on the indices)

    @classmethod
    def of(cls, solution: Solution) -> ScoreCuts | None:
        """The cuts an optimal solve of the unconstrained round proves (None: not proven, no state)."""
        warm = solution.warm
        if solution.status != "OPTIMAL" or warm is None or not warm.levels:
            return None
        score, labels, values = warm.levels[0].score, warm.labels, warm.values
        members = np.flatnonzero((labels >= 0) & (score != 0))
        order = members[np.argsort(labels[members], kind="stable")]
        comps = labels[order]
        cuts = np.flatnonzero(np.diff(comps)) + 1 if len(comps) else np.zeros(0, np.int64)
        starts = np.concatenate([[0], cuts, [len(order)]]).astype(np.int64) if len(order) else np.zeros(1, np.int64)
        coefs = score[order]
        bounds = np.add.reduceat(coefs * values[order], starts[:-1]) if len(order) else np.zeros(0, np.int64)
        return cls(starts, order.astype(np.int64), coefs.astype(np.int64), bounds.astype(np.int64), warm.n_vars)

    def add_to(self, model: Model) -> None:
        """Write the rows into the model's proto (the model must extend the unconstrained one)."""
        proto = model.cp.proto
        if len(proto.variables) < self.n_vars:
            raise ValueError("score cuts of another model")
        for r in range(len(self.bounds)):
            a, b = int(self.starts[r]), int(self.starts[r + 1])
            row = proto.constraints.add().linear
            row.vars.extend(self.variables[a:b].tolist())
            row.coeffs.extend(self.coefs[a:b].tolist())
            row.domain.extend([-(2**62), int(self.bounds[r])])


def prepare_case(scenario: Scenario | str | Path, *, candidates: pd.DataFrame | str | Path | None = None,
                 by: str = "locality", reference: Any = "candidates", index: str = "lh",
                 time_limit_s: float = 60.0, seed: int = 0, lookahead: bool = True) -> EquityCase:
    """Read and prepare a round (as `planner.solve` does) with its reference weights."""
    return prepare_round(scenario, candidates, by, reference, index, time_limit_s, seed, lookahead)[0]


def prepare_round(scenario: Any, candidates: Any, by: str, reference: Any, index: str, time_limit_s: float,
                  seed: int, lookahead: bool = True) -> tuple[EquityCase, pd.DataFrame, Any, Any]:
    """`prepare_case`, and the candidate table, history and prepared rows it was made from."""
    if index not in INDICES:
        raise InputError([Problem("equity", say(f'指数 "{index}"', f'index "{index}"'), say("以下之一：" + "、".join(INDICES), "one of " + ", ".join(INDICES)))])
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if not lookahead:
        scenario = without_lookahead(scenario)
    frame, history, prepared = read_round(scenario, candidates)
    if by not in prepared.frame.columns:
        raise InputError([Problem("equity", f'by = "{by}"', say("候选项目表中的一列（locality、tier 等）",
                                                                "a column of the candidate table (locality, tier, …)"))])
    weights = reference_weights(prepared.frame, scenario, by=by, reference=reference, n_table=len(frame))
    case = EquityCase(scenario=scenario, frame=prepared.frame, locked=prepared.locked,
                      locked_national=prepared.locked_national, n_table=len(frame), weights=weights, by=by,
                      index=index, time_limit_s=time_limit_s, seed=seed)
    return case, frame, history, prepared


def plain_round(case: EquityCase) -> Model:
    """The round's model exactly as `planner.solve` builds it (no equity terms)."""
    return build_model(case.frame, case.scenario, locked=case.locked, locked_national=case.locked_national,
                       history_rows=np.arange(len(case.frame)) >= case.n_table)


def build_round(case: EquityCase, *, cuts: bool = False) -> tuple[Model, EquityTerms]:
    """The round's model (as `planner.solve` builds it) with the equity terms added.

    `cuts`: also the case's `ScoreCuts` (where it has them), for models that bound the index.
    """
    model = plain_round(case)
    if cuts and case.cuts is not None:
        case.cuts.add_to(model)
    return model, add_equity(model, case.weights, by=case.by, n_table=case.n_table)


def solve_unconstrained(case: EquityCase, *, workers: int = 0) -> tuple[Solution, ScoreCuts | None]:
    """The round without any equity bound, as `planner.solve` solves it, and the cuts it proves.

    Solved without the equity terms: they bound nothing here, but their count rows would link
    every independent part of the round into one (the same slate, many times slower).
    """
    solution = solve_model(plain_round(case), time_limit_s=case.time_limit_s, seed=case.seed, workers=workers)
    return solution, ScoreCuts.of(solution)


def solve_point(case: EquityCase, epsilon: Fraction | None, *, workers: int = 0) -> tuple[Any, Any, EquityTerms]:
    """Solve the round lexicographically (as `planner.solve`) with the index held at ≤ `epsilon`."""
    model, terms = build_round(case, cuts=epsilon is not None)
    if epsilon is not None:
        constrain(model, terms, epsilon, index=case.index)
    solution = solve_model(model, time_limit_s=case.time_limit_s, seed=case.seed, workers=workers)
    return model, solution, terms


def solve_counts(case: EquityCase, counts: tuple[int, ...], *, workers: int = 0) -> Solution:
    """Solve the round lexicographically (as `planner.solve`) with each group's count held at `counts`.

    `counts` follows `EquityTerms.groups`. Where these are the only counts a slate within an
    index bound can have (`most_balanced` proves so at the balanced end), this is the bounded
    solve: the same slates, without the bound's row linking every part of the model.
    """
    model, terms = build_round(case, cuts=True)
    for var, n in zip(terms.counts, counts):
        model.cp.add(var == int(n))
    return solve_model(model, time_limit_s=case.time_limit_s, seed=case.seed, workers=workers)


class PointModel:
    """One built model for many points of a frontier: the bound on the index is replaced in place.

    The model is built once (a fair part of a point's time); its bound is one linear row —
    ``b·Σ|dev| − 2a·C·N ≤ 0`` for ε = a/b (Loosemore–Hanby) or ``b·top − a·C·N ≤ 0`` (the
    largest deviation), beside ``N ≥ 1`` — whose coefficients each point rewrites. The same
    constraints as `constrain` adds, so a point solves exactly as `solve_point` would.
    """

    def __init__(self, case: EquityCase):
        self.case = case
        self.model, self.terms = build_round(case, cuts=True)
        cp = self.model.cp
        cp.add(self.terms.total >= 1)          # an empty slate has no shares to be balanced
        self._row = len(cp.proto.constraints)
        cp.add(self._bound(Fraction(1)) <= 0)

    def _bound(self, epsilon: Fraction) -> Any:
        a, b = epsilon.numerator, epsilon.denominator
        if self.case.index == "lh":
            return b * self.terms.lh_sum - 2 * a * self.terms.C * self.terms.total
        return b * self.terms.top - a * self.terms.C * self.terms.total

    def solve(self, epsilon: Fraction, *, workers: int = 0) -> Solution:
        """The best slate (as `planner.solve` finds it) whose index is at most `epsilon`.

        Not hinted: measured on the 2023 round, a balanced slate given as a hint (the previous
        point's, or the most balanced one) kept CP-SAT near it — with the cuts too, a point started
        from the tighter point's slate took longer to prove, or did not within the limit.
        """
        variables, coefs, offset = linear_terms(self._bound(Fraction(epsilon)))
        row = self.model.cp.proto.constraints[self._row].linear
        row.vars.clear()
        row.vars.extend(variables.tolist())
        row.coeffs.clear()
        row.coeffs.extend(coefs.tolist())
        low = int(row.domain[0])
        row.domain.clear()
        row.domain.extend([low, -int(offset)])
        return solve_model(self.model, time_limit_s=self.case.time_limit_s, seed=self.case.seed, workers=workers)


@dataclass
class Balanced:
    """The most balanced slate's index, whether it is proven, and its count vectors.

    ``counts``: every count vector (per group of `EquityTerms.groups`) a slate at that index can
    have — known when the index was proven by the walk over count vectors (empty otherwise).
    """

    index: Fraction
    proven: bool
    counts: list[tuple[int, ...]] = dataclasses.field(default_factory=list)
    checked: int = 0


def minimum_index(case: EquityCase, start: Fraction, *, time_limit_s: float = 60.0) -> tuple[Fraction, bool]:
    """The smallest index a feasible slate reaches, and whether it is proven (see `most_balanced`)."""
    found = most_balanced(case, start, time_limit_s=time_limit_s)
    return found.index, found.proven


def most_balanced(case: EquityCase, start: Fraction, *, time_limit_s: float = 60.0,
                  max_vectors: int = 20000) -> Balanced:
    """The most balanced slate the hard rules allow, by its group counts in order of the index.

    A slate's index depends on its group counts alone. The LP relaxation bounds every group's
    count and the total (`solver.Relaxation`); the count vectors inside those ranges are walked
    in increasing order of their index (`analysis.apportion.count_vectors`, exact rationals),
    each asked first of the LP relaxation with the counts fixed (most are ruled out there), then
    of CP-SAT through the solver's door (`solve_level`: is there a slate with these counts?). The
    first vector a slate can have gives the minimum, proven: every vector before it was proven
    impossible. Vectors are taken in widening slices of the index, up to `start` (the index of a
    slate known to be feasible). Where the slices hold too many vectors, Dinkelbach's method on
    the whole model takes over (`_dinkelbach`; rarely proven).
    """
    from planner.analysis.apportion import TooMany, count_vectors

    deadline = time.perf_counter() + time_limit_s
    model, terms = build_round(case)
    model.cp.add(terms.total >= 1)
    try:
        rows = read_rows(model.cp)
    except Unsupported:
        return _dinkelbach(case, start, deadline)
    count_index = np.array([v.index for v in terms.counts], dtype=np.int64)
    total_index = int(terms.total.index)
    fixed = np.append(count_index, total_index)
    weights = [int(w) for w in terms.weights]
    num = terms.lh_sum if case.index == "lh" else terms.top
    den_factor = 2 * terms.C if case.index == "lh" else terms.C
    score = np.zeros(rows.n_vars, np.int64)
    checked = 0

    def relaxation(limit: Fraction) -> tuple[Relaxation, list[tuple[int, int]], tuple[int, int]]:
        """The LP relaxation with the index held at ≤ limit, and the count ranges it leaves."""
        cp = model.cp.clone()
        cp.add(limit.denominator * num - limit.numerator * den_factor * terms.total <= 0)
        relax = Relaxation(read_rows(cp), time_limit_s=max(1.0, time_limit_s / 10))
        return relax, [relax.span(int(i)) for i in count_index], relax.span(total_index)

    def possible(relax: Relaxation, counts: tuple[int, ...]) -> str:
        """OPTIMAL (a slate has these counts), INFEASIBLE, or UNKNOWN (out of time)."""
        values = np.append(np.asarray(counts, dtype=np.int64), sum(counts))
        relax.fix(fixed, values)
        lp = relax.feasible()
        relax.release(fixed)
        if lp is False:
            return "INFEASIBLE"
        lower, upper = rows.lower.copy(), rows.upper.copy()
        lower[fixed] = values
        upper[fixed] = values
        return solve_level(rows, lower, upper, score, score, deadline=deadline, seed=case.seed, threads=1).status

    # Slices of the index, each twice the last: from twice the least index the LP ranges allow.
    # One relaxation (with the index held at ≤ start) serves every slice: a relaxation held at a
    # slice's own limit narrows the ranges a little but costs as many LPs again as it saves.
    relax, spans, n_span = relaxation(Fraction(start))
    least = _least_index(weights, [s[0] for s in spans], [s[1] for s in spans], n_span, case.index)
    limit = min(Fraction(start), least * 2) if least > 0 else Fraction(start)
    above: Fraction | None = None
    best: Fraction | None = None
    at_best: list[tuple[int, ...]] = []
    while True:
        try:
            vectors = count_vectors(weights, [s[0] for s in spans], [s[1] for s in spans], n_span, limit=limit,
                                    above=above, index=case.index, max_vectors=max_vectors)
        except TooMany as why:
            log.info("balanced end: %s; searching the slates directly", why)
            return _dinkelbach(case, start, deadline)
        log.debug("balanced end: %d count vectors with an index in (%s, %s]", len(vectors), above, limit)
        for value, _, counts in vectors:
            if best is not None and value > best:
                break
            if time.perf_counter() >= deadline:
                log.warning(say(f"时限 {time_limit_s:g} 秒内未证明最均衡的名单", f"the most balanced slate was not proven within {time_limit_s:g} s"))
                return Balanced(best if best is not None else start, False, [], checked)
            checked += 1
            status = possible(relax, counts)
            if status == "UNKNOWN":
                return Balanced(best if best is not None else start, False, [], checked)
            if status != "INFEASIBLE":
                best = value
                at_best.append(counts)
        if best is not None:
            log.info("minimum index %s proven after %d count vectors (%d at the minimum)", best, checked,
                     len(at_best))
            return Balanced(best, True, at_best, checked)
        if limit >= start:          # cannot happen: the slate of `start` has a vector ≤ start
            return Balanced(Fraction(start), False, [], checked)
        above, limit = limit, min(Fraction(start), limit * 2)


def _least_index(weights: list[int], lo: list[int], hi: list[int], n_span: tuple[int, int], index: str) -> Fraction:
    """A lower bound on the index of any count vector in the box (each group at its nearest count)."""
    C = sum(weights)
    best: Fraction | None = None
    factor = 2 if index == "lh" else 1
    for N in range(max(1, n_span[0], sum(lo)), min(n_span[1], sum(hi)) + 1):
        costs = []
        for c, a, b in zip(weights, lo, hi):
            t = c * N
            v = min(max(a, round(t / C)), b)
            cost = min(abs(C * u - t) for u in {v, min(max(a, t // C), b), min(max(a, t // C + 1), b)})
            costs.append(cost)
        value = Fraction(sum(costs) if index == "lh" else max(costs), factor * C * N)
        if best is None or value < best:
            best = value
    return best if best is not None else Fraction(0)


def _dinkelbach(case: EquityCase, start: Fraction, deadline: float) -> Balanced:
    """The smallest index a feasible slate reaches, by Dinkelbach's method on the whole model.

    The index is a ratio num/den (LH: Σ|dev| / 2CN; max: top / CN). Starting from a slate's
    value λ, minimise ``num − λ·den`` over the round's hard rules (with N ≥ 1); a negative
    value gives a slate with a smaller ratio, which becomes the next λ; an optimum of 0 proves
    λ minimal. Each step is one `solver.solve_cp` of the whole model (the ratio links every
    part of it; its LP bound is weak, so a step is rarely proven) with CP-SAT's own parameters
    on every core. The fallback of `most_balanced` when the count vectors are too many.
    """
    lam = Fraction(start)
    model, terms = build_round(case)
    model.cp.add(terms.total >= 1)
    num = terms.lh_sum if case.index == "lh" else terms.top
    den_factor = 2 * terms.C if case.index == "lh" else terms.C
    for step in range(100):
        remaining = deadline - time.perf_counter()
        if remaining <= 0.05:
            break
        cp = model.cp.clone()
        a, b = lam.numerator, lam.denominator
        cp.minimize(b * num - a * den_factor * terms.total)
        outcome = solve_cp(cp, time_limit_s=remaining, seed=case.seed, workers=0, preset="default")
        if not outcome.found:
            break
        if int(round(outcome.objective)) >= 0:
            proven = outcome.status == "OPTIMAL"
            log.info("minimum index %s after %d steps (%s)", lam, step + 1, "proven" if proven else "not proven")
            return Balanced(lam, proven)
        lam = Fraction(outcome.value(num), den_factor * outcome.value(terms.total))
    log.warning(say(f"最均衡的名单未在时限内证明：采用找到的最好名单（{float(lam) * 100:.2f} 个百分点）",
                    f"the most balanced slate was not proven in time: using the best found ({float(lam) * 100:.2f} pp)"))
    return Balanced(lam, False)


def slate_index(selected: np.ndarray, case: EquityCase) -> Fraction:
    """The exact index (LH or max, as a share) of a slate over this round's rows."""
    rows = counted(case.frame, case.scenario, case.by, case.n_table)
    keys = case.frame[case.by].astype(str).to_numpy()
    groups = sorted(set(case.weights.index) | set(keys[rows]))
    w = case.weights.reindex(groups, fill_value=0).to_numpy(dtype=np.int64)
    C = int(w.sum())
    chosen = np.zeros(len(case.frame), bool)
    chosen[:len(selected)] = selected
    chosen &= rows
    n = np.array([int((chosen & (keys == g)).sum()) for g in groups], dtype=np.int64)
    N = int(n.sum())
    if N == 0:
        return Fraction(0)
    dev = np.abs(C * n - w * N)
    if case.index == "lh":
        return Fraction(int(dev.sum()), 2 * C * N)
    return Fraction(int(dev.max()), C * N)
