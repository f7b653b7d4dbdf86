"""Re-solving one built model of a round under other scores, or with one candidate forced.

Owns `Resolver`: the round's model read once as linear rows, its objective levels ready to be
re-weighted by sampled scores (at a resolution of 1/1000 point; soft-rule penalties and the
tie-break priorities unchanged), the pass mark applied per solve, and the counterfactual of every
candidate the score decides — its first-level optimum with its decision forced the other way,
which is what a flip margin compares (`analysis.sampling.flip_margin`).

Every solve goes through the solver's door (`planner.solver`):

* a score sample is `solve_level` over the rows, level by level (components, LP bound,
  reduced-cost fixing, CP-SAT on the small cores), hinted with the slate at the scores as given.
  What stays the same from sample to sample is kept: the LP of the rows (re-solved from its last
  basis; the next level of the same expression takes its multipliers as they are), each
  component's fixing threshold, and the small components go together (`MERGE`), their cores'
  small parts decided by enumeration (`SMALL_PARTS`: most of a lookahead's counters);
* a forced candidate is `solver.Engine` (only its independent part re-solved, as an LP — the
  quota matrices make the LP optimum integral almost always); where that LP optimum is
  fractional, CP-SAT on the whole part if it is small (`FORCED_CP_SAT`), else `solve_level`
  over the parts its variable touches (a budget row makes one large part of a round), as for
  a candidate below the pass mark forced in (the Engine's model holds it out: it has no part
  of its own there).

Does not own the model or its rules (`model`), the samples and tasks (`analysis.sampling`) nor
the report (`analysis.robust`). A re-solve decides the provincial slate only: national picks are
drawn from a settled slate by a later phase and are not re-solved.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

import numpy as np
from ortools.sat.python import cp_model_helper

from planner.errors import PlannerError
from planner.model import Model, Unsupported, component_labels, integer_scale, read_rows
from planner.rules import numeric_column, pinned_in
from planner.solver import Engine, WarmLps, solve_level

RESOLUTION = 1000            # sampled scores are exact to 1/1000 point

MERGE = 64                   # components of at most this many variables solved together (`solve_level`) …
SMALL_PARTS = 8              # … and a core's parts of at most this many 0/1 variables by enumeration

# A forced row whose part's LP optimum is fractional: CP-SAT on the whole part when it has at most
# this many variables, else `solve_level` on the parts it touches. Either is exact; measured per
# row: the 2023 consortium's part (478 variables) 27 ms whole against 70 ms through the level,
# the funded round's single part (2,297, a budget row) 1.7 s whole against 0.1 s.
FORCED_CP_SAT = 1000


@dataclass
class Outcome:
    """One re-solve: the provincial slate and the exact value of the first objective level.

    ``objective`` is in score points (total score minus soft-rule penalties — with a lookahead,
    plus the planned picks the first level values — under the scores of the solve).
    ``selected`` is None for a counterfactual (only its first level is solved).
    """

    status: str
    selected: np.ndarray | None
    objective: Fraction | None
    solve_s: float


@dataclass
class _Level:
    """One lexicographic level of the model, ready to be re-weighted by other scores."""

    name: str
    vars: np.ndarray            # proto variables of the level's expression
    coefs: np.ndarray           # their coefficients as built (model integers, int64)
    rows: np.ndarray            # frame row a term's variable decides (-1: slack, counter, …)
    sampled: np.ndarray         # coefficient per 1/resolution point of the row's score (0 for others)
    others: np.ndarray          # coefficient of a non-row term in sampled units
    units: Fraction             # model integers per score point (scores as given)
    sample_units: Fraction      # integers per score point under sampled scores
    offset: Fraction
    decides: np.ndarray         # proto variables the level fixes for the next one
    ties: np.ndarray            # tie-break priority of each of `decides` (empty: none)

    def objective(self, coefs: np.ndarray, values: np.ndarray, units: Fraction) -> Fraction:
        """The level's exact value (score points) at proto `values`, with these coefficients."""
        value = int(np.dot(coefs.astype(object), values[self.vars].astype(object)))
        return Fraction(value) / units + self.offset


class Resolver:
    """One built model, re-solved many times with other scores or with one candidate forced.

    Parameters
    ----------
    model : Model
        A built model. For score samples, build it with the scenario's pass mark lifted
        (``pass_mark = None``) so that a row a sampled score makes selectable has a variable,
        and give the real pass mark here: rows below it are fixed to 0 per solve.
    pass_mark : float or None
        The pass mark applied per solve (None: the model's own blocking is all there is).
    n_table : int
        Rows of this round's candidate table (the first rows of ``model.frame``); their
        scores are the ones a sample changes. Other rows (locked history, the lookahead's
        planned copies) keep their scores.
    resolution : int
        Sampled scores are rounded to 1/resolution point (at least the table's own precision).

    Notes
    -----
    A solve follows `solver.solve_model` level by level — maximise the level, then (exactly) its
    tie-break priorities among the maximisers, then fix the level's decisions — and stops once
    every row of this round is decided (national picks and the lookahead's later levels do not
    change this round's provincial slate). Only the score coefficients change between solves.

    Raises
    ------
    PlannerError
        The model holds a constraint the linear rows cannot express (models built for a round
        never do: only the conflict search adds assumptions), or a level too large to re-solve
        exactly.
    """

    def __init__(self, model: Model, *, pass_mark: float | None, n_table: int, resolution: int = RESOLUTION):
        self.model = model
        self.pass_mark = pass_mark
        self.n_table = int(n_table)
        frame = model.frame
        scenario = model.scenario
        self.score = numeric_column(frame, scenario.maximise)
        self.score_units, score_scale = integer_scale(self.score)
        self.resolution = max(int(resolution), score_scale)
        try:
            self.rows = read_rows(model.cp)
        except Unsupported as why:
            raise PlannerError(f"the round's model cannot be re-solved by its rows ({why})") from None

        self.row_of_var = np.full(self.rows.n_vars, -1, dtype=np.int64)
        for row, var in enumerate(model.select):
            if var is not None:
                self.row_of_var[var.index] = row
        for row, var in enumerate(getattr(model, "national", [])):
            if var is not None:
                self.row_of_var[var.index] = row
        self.free = np.flatnonzero(model.free)
        self.select_index = np.array([model.select[r].index for r in self.free], dtype=np.int64)
        table_rows = self.free[self.free < self.n_table]
        self.round_vars = np.array([model.select[r].index for r in table_rows], dtype=np.int64)
        national = getattr(model, "national", [])
        self._round_national = np.array([national[r].index for r in range(min(self.n_table, len(national)))
                                         if national[r] is not None], dtype=np.int64)
        self.pinned = pinned_in(frame, scenario) & model.free
        self.levels = [self._level(level, score_scale) for level in model.objectives]
        self._nominal: Outcome | None = None
        self._nominal_values: np.ndarray | None = None      # proto values after the first level
        self._engine: Engine | None = None
        self._part_labels: np.ndarray | None = None          # parts with the pass mark's fixings
        self._warm = WarmLps()                               # the LP of the rows, kept between solves
        self._gaps: list[dict[int, float]] = [{} for _ in self.levels]   # each level's fixing thresholds
        self._forced_gaps: dict[int, float] = {}                         # … and the forced solves'

    def _level(self, level: Any, score_scale: int) -> _Level:
        flat = cp_model_helper.FlatIntExpr(level.expr)
        merged: dict[int, int] = {}
        for var, c in zip(flat.vars, flat.coeffs):
            merged[var.index] = merged.get(var.index, 0) + int(c)
        # A row whose score is 0 has no term (the expression drops a zero coefficient), yet a
        # sample may give it a score: a level that scores this round's rows (or their national
        # picks) gets a term of coefficient 0 for each one it lacks, weighted like the others.
        for family in (self.round_vars, self._round_national):
            present = np.fromiter((v in merged for v in family.tolist()), bool, len(family))
            if present.any():
                merged.update(dict.fromkeys(family[~present].tolist(), 0))
        vars_ = np.array(list(merged), dtype=np.int64)
        coefs = [merged[v] for v in vars_]
        rows = self.row_of_var[vars_] if len(vars_) else np.zeros(0, dtype=np.int64)
        units = Fraction(level.units)
        # A row term's coefficient is (score × scale) × w: w is read back from the model. The
        # terms hold few distinct (coefficient, score units) pairs: each is made a fraction once.
        coef_arr = np.asarray(coefs, dtype=np.int64)
        u_arr = np.where(rows >= 0, self.score_units[np.maximum(rows, 0)], 0) if len(rows) else coef_arr
        known_at = np.flatnonzero((rows >= 0) & (u_arr != 0))
        pairs, first, back = np.unique(np.stack([coef_arr[known_at], u_arr[known_at]], axis=1), axis=0,
                                       return_index=True, return_inverse=True)
        back = back.reshape(-1)
        pair_w = [Fraction(int(c), int(u)) for c, u in pairs.tolist()]
        counts: dict[Fraction, int] = {}
        table = rows[known_at] < self.n_table
        for k in np.argsort(first, kind="stable").tolist():          # in the order the terms hold them
            counts[pair_w[k]] = counts.get(pair_w[k], 0) + int(np.count_nonzero((back == k) & table))
        # The default weight: this round's most common (its rows all have one; a lookahead's
        # discounted copies keep their scores), the first of equals.
        common = max(counts, key=counts.__getitem__) if counts else Fraction(0)
        # Each distinct weight per 1/resolution point; the default one (`common`) where a row's score is 0.
        distinct = list(dict.fromkeys([*pair_w, common] if len(known_at) < int((rows >= 0).sum()) else pair_w))
        per_point = {w: w * score_scale / self.resolution for w in distinct}
        mult = math.lcm(*(p.denominator for p in per_point.values())) if counts else 1
        value_of = np.array([int(per_point[w] * mult) for w in pair_w] + [int(per_point.get(common, 0) * mult)],
                            dtype=np.int64)
        at = np.full(len(rows), len(pair_w), dtype=np.int64)         # the default weight's slot …
        at[known_at] = back                                          # … unless the term's own is known
        sampled = np.where(rows >= 0, value_of[at], 0).astype(np.int64) if len(rows) else np.zeros(0, np.int64)
        others = np.where(rows < 0, coef_arr * mult, 0).astype(np.int64) if len(rows) else np.zeros(0, np.int64)
        decides = np.array([v.index for v in level.variables], dtype=np.int64)
        ties = np.array(level.ties, dtype=np.int64) if level.ties else np.zeros(0, dtype=np.int64)
        # The level's value must stay inside int64 at any scores from 0 to 100 (exact arithmetic).
        largest = np.maximum(np.abs(coef_arr.astype(object)), np.abs(sampled.astype(object)) * (100 * self.resolution))
        largest = np.maximum(largest, np.abs(others.astype(object)))
        span = np.maximum(np.abs(self.rows.lower[vars_]), np.abs(self.rows.upper[vars_])).astype(object)
        if int(np.dot(largest, span)) >= 2 ** 62:
            raise PlannerError(f"objective level {level.name} is too large to re-solve exactly")
        return _Level(name=level.name, vars=vars_, coefs=np.asarray(coefs, dtype=np.int64), rows=rows,
                      sampled=sampled, others=others, units=units, sample_units=units * mult,
                      offset=Fraction(int(flat.offset)) / units, decides=decides, ties=ties)

    # --- score samples ---------------------------------------------------------------------------

    def _bounds(self, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Variable bounds with every free row below the pass mark (not pinned in) fixed out."""
        lower, upper = self.rows.lower.copy(), self.rows.upper.copy()
        if self.pass_mark is not None:
            below = self.free[(scores[self.free] < self.pass_mark) & ~self.pinned[self.free]]
            index = np.array([self.model.select[r].index for r in below], dtype=np.int64)
            lower[index] = 0
            upper[index] = 0
        return lower, upper

    def solve(self, scores: np.ndarray | None = None, *, time_limit_s: float = 10.0, seed: int = 0) -> Outcome:
        """Solve this round's provincial slate at `scores`.

        Parameters
        ----------
        scores : ndarray of float, optional
            A score per row of the candidate table (`n_table`). None = the scores as given,
            with the model's own integers (exactly the planner's objective).
        """
        start = time.perf_counter()
        deadline = start + time_limit_s
        nominal = scores is None
        full = self.score
        if not nominal:
            full = self.score.copy()
            full[:self.n_table] = np.asarray(scores, dtype=float)
            q = np.round(full * self.resolution).astype(np.int64)
        lower, upper = self._bounds(full)
        guess = None if nominal else self._nominal_values
        status = "OPTIMAL"
        first: Fraction | None = None
        values = lower
        for i, level in enumerate(self.levels):
            if i > 0 and np.all(lower[self.round_vars] == upper[self.round_vars]):
                break
            if nominal:
                coefs, units = level.coefs, level.units
            else:
                coefs = np.where(level.rows >= 0, q[np.maximum(level.rows, 0)] * level.sampled, level.others)
                units = level.sample_units
            score = np.zeros(self.rows.n_vars, dtype=np.int64)
            np.add.at(score, level.vars, coefs)
            ties = np.zeros(self.rows.n_vars, dtype=np.int64)
            if len(level.ties):
                ties[level.decides] = level.ties
            result = solve_level(self.rows, lower, upper, score, ties, deadline=deadline, seed=seed, threads=1,
                                 guess=guess, warm=self._warm, merge=MERGE, gaps=self._gaps[i],
                                 small_parts=SMALL_PARTS)
            if result.values is None:
                return Outcome(result.status, None, None, time.perf_counter() - start)
            values = result.values
            if result.status != "OPTIMAL":
                status = result.status
            if i == 0:
                first = level.objective(coefs, values, units)
                if nominal:
                    self._nominal_values = values.copy()
            lower = lower.copy()
            upper = upper.copy()
            lower[level.decides] = values[level.decides]
            upper[level.decides] = values[level.decides]
            guess = values
        selected = np.asarray(self.model.locked, dtype=bool).copy()
        selected[self.free] = values[self.select_index].astype(bool)
        return Outcome(status, selected, first, time.perf_counter() - start)

    def nominal(self, *, time_limit_s: float = 10.0, seed: int = 0) -> Outcome:
        """The round at the scores as given (solved once, then kept)."""
        if self._nominal is None:
            self._nominal = self.solve(None, time_limit_s=time_limit_s, seed=seed)
            if self._nominal.selected is None:
                raise PlannerError(f"the round at the scores as given is {self._nominal.status}")
        return self._nominal

    # --- counterfactuals ---------------------------------------------------------------------------

    def forced(self, rows: Sequence[int], *, time_limit_s: float = 10.0, seed: int = 0) -> dict[int, Outcome]:
        """The first-level optimum, at the scores as given, with each row's decision flipped.

        Each row of the table is forced the other way from the slate at the scores as given
        (`nominal`), alone; the rest of the model may re-arrange itself. Returns row → Outcome
        (``selected`` None; ``objective`` the forced optimum, exact, when ``status`` is
        OPTIMAL). `time_limit_s` is each re-solve's budget.
        """
        nominal = self.nominal(time_limit_s=time_limit_s, seed=seed)
        lower, upper = self._bounds(self.score)
        held = (lower != self.rows.lower) | (upper != self.rows.upper)     # fixed by the pass mark
        rows = [int(r) for r in rows]
        for r in rows:
            if self.model.select[r] is None:
                raise PlannerError(f"row {r} has no decision variable")
        below = [r for r in rows if held[self.model.select[r].index]]
        engine_rows = [r for r in rows if not held[self.model.select[r].index]]
        out: dict[int, Outcome] = {}
        if engine_rows:
            engine = self._forcing_engine(held, lower, upper)
            units = self.levels[0].units
            found = engine.solve(engine_rows, [0 if nominal.selected[r] else 1 for r in engine_rows], processes=1,
                                 time_limit_s=time_limit_s * len(engine_rows), solve_limit_s=time_limit_s,
                                 cp_sat_most=FORCED_CP_SAT)
            for r in engine_rows:
                o = found[r]
                if o["status"] == "FRACTIONAL":          # the level's own path, not CP-SAT on the whole part
                    out[r] = self._force(r, 0 if nominal.selected[r] else 1, lower, upper,
                                         time_limit_s=time_limit_s, seed=seed)
                    continue
                objective = None
                if o["status"] in ("OPTIMAL", "FEASIBLE") and math.isfinite(o["delta"]):
                    objective = nominal.objective + Fraction(int(o["delta"])) / units
                out[r] = Outcome(o["status"], None, objective, float(o["solve_s"]))
        for r in below:
            out[r] = self._force(r, 1, lower, upper, time_limit_s=time_limit_s, seed=seed)
        return out

    def _forcing_engine(self, held: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> Engine:
        """`solver.Engine` over a copy of the model with the pass mark's fixings (built once)."""
        if self._engine is None:
            cp = self.model.cp.clone()
            for index in np.flatnonzero(held).tolist():
                domain = cp.proto.variables[index].domain
                domain.clear()
                domain.extend([int(lower[index]), int(upper[index])])
            selected = self._nominal.selected
            self._engine = Engine(dataclasses.replace(self.model, cp=cp), selected,
                                  np.zeros(len(selected), dtype=bool))
        return self._engine

    def _force(self, row: int, value: int, lower: np.ndarray, upper: np.ndarray, *, time_limit_s: float,
               seed: int) -> Outcome:
        """A row forced to `value`: the parts of the model its variable touches re-solved (`solve_level`).

        For a row below the pass mark forced in (the Engine's model holds it out), and for a row
        whose part's LP optimum is fractional when forced (`solve_level`'s reduced-cost fixing
        leaves CP-SAT a small core where the Engine would give it the whole part). Fixed
        variables link nothing, so the model with the pass mark's fixings falls apart into
        independent parts; the forced variable changes only the rows it is in, and so only the
        optimum of the parts with a variable in those rows. The others keep the slate's values
        at the scores as given.
        """
        start = time.perf_counter()
        level = self.levels[0]
        values = self._nominal_values
        rows = self.rows
        index = int(self.model.select[row].index)
        if self._part_labels is None:
            self._part_labels = component_labels(rows, lower < upper)
        labels = self._part_labels
        entry_rows = rows.entry_rows()
        touched = rows.var[np.isin(entry_rows, entry_rows[rows.var == index])]
        free = np.isin(labels, labels[touched][labels[touched] >= 0])
        lo, hi = values.copy(), values.copy()
        lo[free], hi[free] = lower[free], upper[free]
        lo[index] = hi[index] = value
        score = np.zeros(rows.n_vars, dtype=np.int64)
        np.add.at(score, level.vars, level.coefs)
        result = solve_level(rows, lo, hi, score, np.zeros(rows.n_vars, dtype=np.int64),
                             deadline=start + time_limit_s, seed=seed, threads=1, guess=values,
                             merge=MERGE, gaps=self._forced_gaps, small_parts=SMALL_PARTS)
        objective = None if result.values is None else level.objective(level.coefs, result.values, level.units)
        return Outcome(result.status, None, objective, time.perf_counter() - start)
