"""How sure is the slate? Re-solving under sampled scores, and each candidate's flip margin.

Owns the score spread (a per-candidate standard deviation — a ``score_sd`` column or a default —
or several reviewers' scores, resampled), drawing score samples reproducibly (sample ``s`` of
seed ``k`` is always the same draw, whatever executor or chunking runs it), re-solving one
built model under changed objective coefficients (`Resolver`), the exact flip margin of every
candidate, and the robustness table (selection probability, a certain / marginal / out band,
flip margin) with its chart of the marginal candidates.

Does not own the model or its rules (`model`), the executors (`sweep`), nor the nominal slate
and its audit (`api`). A sample decides the provincial slate only: national picks are drawn
from a settled slate by a later phase and are not re-sampled.

How a sample is solved (the speed of ``planner robust``/``planner sweep``): each worker process
builds the round's CP-SAT model once, with the pass mark lifted so that a sampled score may cross
it, and cuts it into its independent parts (the rules bind within a task); a sample rewrites the
objective coefficients (sampled scores at a resolution of 1/1000 point; soft-rule penalties and
tie-break priorities unchanged), fixes candidates whose sampled score is below the pass mark to
"out", and solves each part with one CP-SAT worker. A flip margin re-solves only the part of its
candidate. (The parts machinery — `Resolver`, `_Parts` — could move to a module of its own shared
with `counterfactual`, which splits models the same way.)
"""
from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from planner.analysis.sweep import Job, Task, make_job, run_tasks
from planner.errors import InputError, PlannerError, Problem
from planner.model import Model, Split, build_model, integer_scale, sub_model
from planner.rounds import Result
from planner.rounds.finish import finish
from planner.rules import (
    Scenario,
    blocked_reason,
    load_scenario,
    numeric_column,
    pinned_in,
    read_candidates,
    read_history,
)
from planner.rules.prepare import prepare
from planner.solver import solve_model

log = logging.getLogger(__name__)

BANDS = ("certain", "marginal", "out")
RESOLUTION = 1000            # sampled scores are exact to 1/1000 point
SCORE_RANGE = (0.0, 100.0)   # sampled scores are clipped to the notice's 0–100 scale
MARGIN_MODES = ("all", "marginal", "none")
Z_95 = 1.959963984540054     # Wilson interval of a selection probability


# --- the spread of the scores -------------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """How each candidate's score may vary, row by row of the candidate table.

    Attributes
    ----------
    sd : ndarray of float
        Standard deviation of a normal draw around the score (0 = the score is certain); used
        for rows without reviewers' scores.
    reviews : ndarray of float, shape (rows, k), optional
        Several reviewers' scores per candidate (NaN = no score). A row with at least one is
        drawn by the bootstrap: the mean of as many scores drawn with replacement from its
        own, shifted so that its centre is the candidate's official score.
    kind : str
        ``"normal"`` or ``"reviewers"`` (for reports).
    """

    sd: np.ndarray
    reviews: np.ndarray | None = None
    kind: str = "normal"

    @property
    def effective_sd(self) -> np.ndarray:
        """Standard deviation of each row's sampled score (bootstrap mean for reviewers' rows)."""
        sd = np.asarray(self.sd, dtype=float).copy()
        if self.reviews is not None:
            k = np.sum(~np.isnan(self.reviews), axis=1)
            has = k > 0
            with np.errstate(invalid="ignore", divide="ignore"):
                spread = np.nanstd(np.where(has[:, None], self.reviews, 0.0), axis=1) / np.sqrt(np.maximum(k, 1))
            sd[has] = spread[has]
        return sd

    def draw(self, score: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One sample of every row's score (clipped to 0–100)."""
        score = np.asarray(score, dtype=float)
        out = score + np.asarray(self.sd, dtype=float) * rng.standard_normal(len(score))
        if self.reviews is not None:
            reviews = np.sort(self.reviews, axis=1)            # NaN last
            k = np.sum(~np.isnan(reviews), axis=1)
            has = k > 0
            picks = np.floor(rng.random(reviews.shape) * np.maximum(k, 1)[:, None]).astype(np.int64)
            drawn = np.take_along_axis(reviews, picks, axis=1)
            used = np.arange(reviews.shape[1])[None, :] < k[:, None]
            boot = np.where(used, drawn, 0.0).sum(axis=1) / np.maximum(k, 1)
            centre = np.where(used, reviews, 0.0).sum(axis=1) / np.maximum(k, 1)
            out[has] = score[has] + boot[has] - centre[has]
        return np.clip(out, *SCORE_RANGE)


def score_spread(frame: pd.DataFrame, *, score_column: str = "score", score_sd: float | None = None,
                 sd_column: str = "score_sd", reviewers: Sequence[str] = ()) -> Spread:
    """The spread of each candidate's score, from the table or a default.

    Precedence: reviewers' score columns (bootstrap) where a row has any; else the
    `sd_column` where the table has it and the cell is filled; else `score_sd`.

    Parameters
    ----------
    frame : DataFrame
        The candidate table; needs `score_column` and, if named or present, `sd_column` and
        the `reviewers` columns (numbers; blank = none).
    score_sd : float, optional
        Default standard deviation (score points) where the table gives none.
    reviewers : sequence of str
        Columns holding one reviewer's score each.

    Raises
    ------
    InputError
        A spread cell that is not a number ≥ 0, an unknown reviewer column, or no spread at
        all (no column and no default).
    """
    source = frame.attrs.get("source", "candidates")
    first = int(frame.attrs.get("first_data_row", 2))
    problems: list[Problem] = []
    n = len(frame)
    sd = np.full(n, np.nan)
    if score_sd is not None:
        if not (math.isfinite(score_sd) and score_sd >= 0):
            problems.append(Problem("options", f"score_sd = {score_sd}", "a standard deviation ≥ 0 (score points)"))
        sd[:] = score_sd
    has_column = sd_column in frame.columns
    if has_column:
        given = _numbers(frame, sd_column, problems, source, first, minimum=0.0)
        filled = ~np.isnan(given)
        sd[filled] = given[filled]
    reviews = None
    for column in reviewers:
        if column not in frame.columns:
            from planner.inputs import suggest
            problems.append(Problem(source, f'no column "{column}"', "a column of reviewers\' scores",
                                    hint=suggest(column, [str(c) for c in frame.columns])))
    if reviewers and not problems:
        reviews = np.column_stack([_numbers(frame, c, problems, source, first, minimum=0.0, maximum=100.0)
                                   for c in reviewers])
        has = np.any(~np.isnan(reviews), axis=1)
        sd[has] = 0.0          # the bootstrap replaces the normal draw on these rows
    if not problems and np.isnan(sd).any() and reviews is None and not has_column:
        problems.append(Problem(source, f'no score spread (no "{sd_column}" column, no reviewers\' scores)',
                                "a spread for the scores",
                                hint=f'add a "{sd_column}" column, name reviewers\' columns, or give a default '
                                     "such as --score-sd 3"))
    if problems:
        raise InputError(problems)
    blank = np.isnan(sd)
    if blank.any():
        log.info("%d candidates without a score spread keep their score in every sample", int(blank.sum()))
    return Spread(sd=np.nan_to_num(sd, nan=0.0), reviews=reviews, kind="reviewers" if reviews is not None else "normal")


def _numbers(frame: pd.DataFrame, column: str, problems: list[Problem], source: str, first: int, *,
             minimum: float | None = None, maximum: float | None = None) -> np.ndarray:
    """A column as floats (blank = NaN); every other non-number or out-of-range cell is a problem."""
    raw = frame[column]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        values = raw.to_numpy(dtype=float)
        blank = np.isnan(values)
    else:
        text = raw.astype("string").fillna("").str.strip()
        blank = (text == "").to_numpy(dtype=bool)
        values = pd.to_numeric(text.where(~pd.Series(blank, index=text.index)), errors="coerce").to_numpy(dtype=float)
    bad = ~blank & ~np.isfinite(values)
    if minimum is not None:
        bad |= ~blank & (values < minimum)
    if maximum is not None:
        bad |= ~blank & (values > maximum)
    expected = "a number" + (f" ≥ {minimum:g}" if minimum is not None else "") + \
               (f" and ≤ {maximum:g}" if maximum is not None else "") + " or blank"
    for i in np.flatnonzero(bad)[:50]:
        problems.append(Problem(source, f'"{raw.iloc[i]}"', expected, row=int(i) + first, column=column))
    values = values.copy()
    values[blank | bad] = np.nan
    return values


def sample_scores(spread: Spread, score: np.ndarray, seed: int, sample: int) -> np.ndarray:
    """Scores of sample `sample` (0 = the scores as given); the same for a given (seed, sample)."""
    if sample == 0:
        return np.asarray(score, dtype=float)
    return spread.draw(score, np.random.default_rng([int(seed), int(sample)]))


# --- re-solving one model under other scores -------------------------------------------------


@dataclass
class Outcome:
    """One re-solve: the provincial slate and the exact value of the first objective level.

    ``objective`` is in score points (total score minus soft-rule penalties — with a lookahead,
    plus the planned picks the first level values — under the scores of the solve).
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
    all_vars: np.ndarray        # objective variables (expression and tie-break), unique
    term_pos: np.ndarray        # position of each expression term in all_vars
    tie_pos: np.ndarray         # position of each tie-break variable in all_vars
    ties: np.ndarray
    k: int                      # K of `solve`: above every sum of priorities


class Resolver:
    """One built model, re-solved many times with other scores or with one candidate pinned.

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
    batch_vars : int
        Independent parts of the model smaller than this are solved together (see Notes).

    Notes
    -----
    A solve follows `solver.solve_model` level by level — maximise ``K·level + Σ priorities``
    (the id-hash tie-break), then fix the level's decisions — and stops once every row of this
    round is decided (national picks and the lookahead's later levels do not change this
    round's provincial slate). Only the score coefficients change between solves; soft-rule
    penalties and the tie-break priorities stay as built.

    The rules of the notice mostly bind within one task, so the model falls apart into
    independent parts (connected components of the variables that share a constraint). Every
    level is a sum over the parts, so its lexicographic optimum is the union of the parts'
    optima: each part is solved on its own (much faster than the whole); a variable in no
    constraint is decided by the sign of its coefficient; and a counterfactual that pins one row
    re-solves only that row's part.
    """

    def __init__(self, model: Model, *, pass_mark: float | None, n_table: int, resolution: int = RESOLUTION,
                 batch_vars: int = 150):
        self.model = model
        self.pass_mark = pass_mark
        self.n_table = int(n_table)
        frame = model.frame
        scenario = model.scenario
        self.ids = frame["candidate_id"].astype(str).to_numpy()
        self.score = numeric_column(frame, scenario.maximise)
        self.score_units, score_scale = integer_scale(self.score)
        self.resolution = max(int(resolution), score_scale)
        self.parts = _Parts(model.cp, batch_vars)

        n_vars = self.parts.n
        self.row_of_var = np.full(n_vars, -1, dtype=np.int64)
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
        self.pinned = pinned_in(frame, scenario) & model.free
        self.levels = [self._level(level, score_scale) for level in model.objectives]
        self._nominal_values: np.ndarray | None = None

    def _level(self, level: Any, score_scale: int) -> _Level:
        from ortools.sat.python import cp_model_helper

        flat = cp_model_helper.FlatIntExpr(level.expr)
        merged: dict[int, int] = {}
        for var, c in zip(flat.vars, flat.coeffs):
            merged[var.index] = merged.get(var.index, 0) + int(c)
        vars_ = np.array(list(merged), dtype=np.int64)
        coefs = [merged[v] for v in vars_]
        rows = self.row_of_var[vars_] if len(vars_) else np.zeros(0, dtype=np.int64)
        units = Fraction(level.units)
        # A row term's coefficient is (score × scale) × w: w is read back from the model.
        weight: list[Fraction | None] = []
        for r, c in zip(rows, coefs):
            u = int(self.score_units[r]) if r >= 0 else 0
            weight.append(Fraction(c, u) if r >= 0 and u else None)
        known = [w for w in weight if w is not None]
        common = max(set(known), key=known.count) if known else Fraction(0)
        per_point = [(w if w is not None else common) * score_scale / self.resolution if r >= 0 else None
                     for w, r in zip(weight, rows)]
        mult = math.lcm(*(p.denominator for p in per_point if p is not None)) if known else 1
        sampled = np.array([int(p * mult) if p is not None else 0 for p in per_point], dtype=np.int64)
        others = np.array([c * mult if r < 0 else 0 for c, r in zip(coefs, rows)], dtype=np.int64)
        decides = np.array([v.index for v in level.variables], dtype=np.int64)
        tie_vars = decides if level.ties else np.zeros(0, dtype=np.int64)
        ties = np.array(level.ties, dtype=np.int64) if level.ties else np.zeros(0, dtype=np.int64)
        all_vars, inverse = np.unique(np.concatenate([vars_, tie_vars]), return_inverse=True)
        k = int(ties.sum()) + 1 if len(ties) else 1
        top = max(int(np.abs(np.asarray(coefs, dtype=np.int64)).max(initial=0)),
                  int(np.abs(sampled).max(initial=0)) * 100 * self.resolution,
                  int(np.abs(others).max(initial=0)))
        if top * k >= 2 ** 62 // max(1, len(all_vars)):
            raise PlannerError(f"objective level {level.name} is too large to re-solve exactly")
        return _Level(name=level.name, vars=vars_, coefs=np.asarray(coefs, dtype=np.int64), rows=rows,
                      sampled=sampled, others=others, units=units, sample_units=units * mult,
                      offset=Fraction(int(flat.offset)) / units, decides=decides, all_vars=all_vars,
                      term_pos=inverse[:len(vars_)], tie_pos=inverse[len(vars_):], ties=ties, k=k)

    def solve(self, scores: np.ndarray | None = None, *, force: tuple[int, int] | None = None,
              time_limit_s: float = 10.0, seed: int = 0) -> Outcome:
        """Solve this round's provincial slate at `scores`, optionally with one row pinned.

        Parameters
        ----------
        scores : ndarray of float, optional
            A score per row of the candidate table (`n_table`). None = the scores as given,
            with the model's own integers (exactly the planner's objective).
        force : (row, 0 or 1), optional
            Pin one row out or in: a counterfactual. Only the first level is solved (its value
            is what a flip margin compares), and with the scores as given only the row's part.
        """
        start = time.perf_counter()
        deadline = start + time_limit_s
        nominal = scores is None
        full = self.score
        if not nominal:
            full = self.score.copy()
            full[:self.n_table] = np.asarray(scores, dtype=float)
            q = np.round(full * self.resolution).astype(np.int64)
        fixed: dict[int, int] = {}
        if self.pass_mark is not None:
            below = self.free[(full[self.free] < self.pass_mark) & ~self.pinned[self.free]]
            fixed.update({int(self.model.select[r].index): 0 for r in below})
        values = np.array(self.parts.lower, copy=True)
        only = None
        if force is not None:
            row, value = force
            if self.model.select[row] is None:
                raise PlannerError(f"row {row} has no decision variable")
            index = int(self.model.select[row].index)
            fixed[index] = int(value)
            if nominal:      # the rest of the model keeps the optimum it has at the scores as given
                if self._nominal_values is None:
                    self.solve(None, time_limit_s=time_limit_s, seed=seed)
                values = self._nominal_values.copy()
                only = [self.parts.part_of(index)]
        status = "OPTIMAL"
        first: Fraction | None = None
        for i, level in enumerate(self.levels):
            if i > 0 and (force is not None or all(int(v) in fixed for v in self.round_vars)):
                break
            if nominal:
                coefs = level.coefs
                units = level.units
            else:
                coefs = np.where(level.rows >= 0, q[np.maximum(level.rows, 0)] * level.sampled, level.others)
                units = level.sample_units
            objective = np.zeros(len(level.all_vars), dtype=np.int64)
            np.add.at(objective, level.term_pos, coefs * level.k)
            np.add.at(objective, level.tie_pos, level.ties)
            code, values = self.parts.solve(level.all_vars, objective, fixed, values, only=only,
                                            deadline=deadline, seed=seed)
            if values is None:
                return Outcome(code, None, None, time.perf_counter() - start)
            if code != "OPTIMAL":
                status = code
            if i == 0:
                value = int(np.dot(coefs.astype(object), values[level.vars].astype(object)))
                first = Fraction(value) / units + level.offset
                if nominal and force is None:
                    self._nominal_values = values.copy()
            fixed.update({int(v): int(values[v]) for v in level.decides})
        selected = np.asarray(self.model.locked, dtype=bool).copy()
        selected[self.free] = values[self.select_index].astype(bool)
        return Outcome(status, selected, first, time.perf_counter() - start)


class _Parts:
    """A model cut into independent parts, each solved as a small CP-SAT model of its own.

    A part is a connected component of the variables that share a constraint; components
    smaller than `batch_vars` are batched (a batch of independent components is still exact).
    Variables in no constraint ("loose") are set by the sign of their objective coefficient.
    A model with a constraint kind this class cannot re-index, or with assumptions, stays one
    part.
    """

    def __init__(self, cp: cp_model.CpModel, batch_vars: int):
        proto = cp.proto
        n = len(proto.variables)
        self.n = n
        self.lower = np.array([v.domain[0] for v in proto.variables], dtype=np.int64)
        self.upper = np.array([v.domain[len(v.domain) - 1] for v in proto.variables], dtype=np.int64)
        split = Split.of(proto, fixed_link=True)        # a part's copy holds its fixed variables too
        if not split.supported or len(proto.assumptions):
            log.info("model has assumptions or a constraint kind that cannot be split: solved as one part")
            whole = cp_model.CpModel()
            for v in proto.variables:
                whole.proto.variables.add().copy_from(v)
            for c in proto.constraints:
                whole.proto.constraints.add().copy_from(c)
            self.batch_of = np.zeros(n, dtype=np.int64)
            self.local_of = np.arange(n, dtype=np.int64)
            self.batches: list[tuple[cp_model.CpModel, np.ndarray]] = [(whole, np.arange(n, dtype=np.int64))]
        else:
            self._batch(proto, split, batch_vars)
        log.debug("model in %d parts, %d loose variables", len(self.batches), int((self.batch_of < 0).sum()))
        # One worker per solve (processes give the parallelism). Measured on the 2023 round:
        # the full linearisation (level 2) closes a part with quotas and a soft target in 0.1 s
        # where the default times out after 10 s, and presolve costs more than it saves on
        # parts this small (0.12 s a sample without, 0.27 s with).
        self.solver = cp_model.CpSolver()
        self.solver.parameters.num_workers = 1
        self.solver.parameters.linearization_level = 2
        self.solver.parameters.cp_model_presolve = False

    def _batch(self, proto: Any, split: Split, batch_vars: int) -> None:
        """One sub-model per batch of components; components smaller than `batch_vars` share one."""
        size = np.bincount(split.part[split.in_constraint], minlength=self.n)
        parts = sorted(sorted(p for p in split.constraints if p >= 0), key=lambda p: -size[p])
        group_of = np.full(self.n, -1, dtype=np.int64)          # part → batch
        groups: list[list[int]] = []
        current: list[int] = []
        filled = 0
        for p in parts:
            if size[p] >= batch_vars:
                groups.append([p])
                continue
            current.append(p)
            filled += int(size[p])
            if filled >= batch_vars:
                groups.append(current)
                current, filled = [], 0
        if current:
            groups.append(current)
        for b, group in enumerate(groups):
            group_of[group] = b
        self.batch_of = np.where(split.in_constraint, group_of[split.part], -1)
        self.local_of = np.full(self.n, -1, dtype=np.int64)
        self.batches = []
        for b, group in enumerate(groups):
            variables = np.flatnonzero(self.batch_of == b)
            self.local_of[variables] = np.arange(len(variables))
            constraints = sorted(c for p in group for c in split.constraints[p])
            sub, _ = sub_model(proto, constraints, variables)
            self.batches.append((sub, variables))

    def part_of(self, index: int) -> int:
        """The part holding variable `index` (-1 for a loose variable)."""
        return int(self.batch_of[index])

    def solve(self, variables: np.ndarray, coefs: np.ndarray, fixed: dict[int, int], values: np.ndarray, *,
              only: list[int] | None, deadline: float, seed: int) -> tuple[str, np.ndarray | None]:
        """Maximise ``Σ coefs·variables`` with `fixed` variables pinned.

        Parts holding an objective variable that is not fixed are solved (all of them, or only
        those in `only`); the other variables keep their `values`.
        """
        values = values.copy()
        fixed_vars = np.fromiter(fixed.keys(), dtype=np.int64, count=len(fixed))
        fixed_vals = np.fromiter(fixed.values(), dtype=np.int64, count=len(fixed))
        values[fixed_vars] = fixed_vals
        batch = self.batch_of[variables]
        loose = batch < 0
        is_fixed = np.isin(variables, fixed_vars)
        if only is None or -1 in only:
            free_loose = loose & ~is_fixed
            v = variables[free_loose]
            values[v] = np.where(coefs[free_loose] > 0, self.upper[v], self.lower[v])
        todo = np.unique(batch[~is_fixed & ~loose]) if only is None else [b for b in only if b >= 0]
        fixed_batch = self.batch_of[fixed_vars]
        status = "OPTIMAL"
        for b in todo:
            sub, vs = self.batches[int(b)]
            here = batch == b
            proto = sub.proto
            objective = proto.objective
            objective.vars.extend(self.local_of[variables[here]].tolist())
            objective.coeffs.extend((-coefs[here]).tolist())          # minimise the negation
            mine = fixed_batch == b
            pinned = self.local_of[fixed_vars[mine]].tolist()
            saved = []
            for j, value in zip(pinned, fixed_vals[mine].tolist()):
                domain = proto.variables[j].domain
                saved.append(list(domain))
                domain.clear()
                domain.extend([value, value])
            self.solver.parameters.random_seed = int(seed)
            self.solver.parameters.max_time_in_seconds = max(0.01, deadline - time.perf_counter())
            try:
                code = self.solver.solve(sub)
            finally:            # the part's model is reused: restore it
                proto.clear_objective()
                for j, original in zip(pinned, saved):
                    domain = proto.variables[j].domain
                    domain.clear()
                    domain.extend(original)
            if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                return self.solver.status_name(code), None
            if code == cp_model.FEASIBLE:
                status = "FEASIBLE"
            values[vs] = np.array(self.solver.response_proto.solution, dtype=np.int64)
        return status, values


# --- worker state and tasks -----------------------------------------------------------------------


@dataclass
class Case:
    """What a worker needs to re-solve one round (the payload of a sweep job)."""

    scenario: Scenario
    frame: pd.DataFrame              # prepared rows: this round's table, then locked history
    locked: np.ndarray
    locked_national: np.ndarray
    n_table: int                     # rows of this round's table (the first rows of `frame`)
    spread: Spread | None
    seed: int = 0
    time_limit_s: float = 60.0
    label: str = ""


@dataclass
class CaseState:
    """A worker's built model of one case, and the round at the scores as given."""

    case: Case
    resolver: Resolver
    score: np.ndarray                 # the table's scores as given
    _nominal: Outcome | None = field(default=None, repr=False)

    @property
    def nominal(self) -> Outcome:
        if self._nominal is None:
            self._nominal = self.resolver.solve(None, time_limit_s=self.case.time_limit_s, seed=self.case.seed)
            if self._nominal.selected is None:
                raise PlannerError(f"{self.case.label}: the round at the scores as given is {self._nominal.status}")
        return self._nominal


def build_case(case: Case) -> CaseState:
    """Build the worker state of a case: the round's model with the pass mark lifted.

    The pass mark is applied per solve instead (rows whose score is below it are fixed out),
    so a sample may carry a candidate across it.
    """
    relaxed = dataclasses.replace(case.scenario, pass_mark=None)
    model = build_model(case.frame, relaxed, locked=case.locked, locked_national=case.locked_national,
                        history_rows=np.arange(len(case.frame)) >= case.n_table)
    resolver = Resolver(model, pass_mark=case.scenario.pass_mark, n_table=case.n_table)
    return CaseState(case=case, resolver=resolver, score=resolver.score[:case.n_table].copy())


def run_sample(state: CaseState, sample: int) -> dict:
    """Task: solve sample `sample` of a case (0 = the scores as given)."""
    case = state.case
    n = case.n_table
    cpu = time.process_time()
    scores = None
    if sample:
        if case.spread is None:
            raise PlannerError("samples need a score spread")
        scores = sample_scores(case.spread, state.score, case.seed, sample)
    outcome = state.resolver.solve(scores, time_limit_s=case.time_limit_s, seed=case.seed)
    record: dict[str, Any] = {"case": case.label, "sample": int(sample), "status": outcome.status,
                              "solve_s": round(outcome.solve_s, 4), "cpu_s": round(time.process_time() - cpu, 4)}
    if outcome.selected is None:
        record.update(objective=math.nan, nominal_score=math.nan, n_selected=0, changed=0, selected=b"")
        return record
    chosen = outcome.selected[:n]
    base = state.nominal.selected[:n]
    record.update(objective=float(outcome.objective), nominal_score=float(state.score[chosen].sum()),
                  n_selected=int(chosen.sum()), changed=int((chosen != base).sum()),
                  selected=np.packbits(chosen).tobytes())
    return record


def run_flip(state: CaseState, row: int) -> dict:
    """Task: the exact flip margin of one row of the table (see `flip_margin`)."""
    nominal = state.nominal
    chosen = bool(nominal.selected[row])
    forced = state.resolver.solve(None, force=(row, 0 if chosen else 1), time_limit_s=state.case.time_limit_s,
                                  seed=state.case.seed)
    margin, kind = flip_margin(chosen, nominal, forced, float(state.score[row]), state.resolver.pass_mark)
    return {"case": state.case.label, "row": int(row), "selected": chosen, "forced_status": forced.status,
            "flip_margin": margin, "margin_kind": kind,
            "forced_objective": math.nan if forced.objective is None else float(forced.objective)}


MARGIN_KINDS = ("tie", "pass_mark", "never", "unknown")


def flip_margin(selected: bool, nominal: Outcome, forced: Outcome, score: float,
                pass_mark: float | None) -> tuple[float, str]:
    """How far a candidate's score must move to change its decision, from one counterfactual.

    Only the candidate's own score moves (its forecast copies in a lookahead keep theirs), so
    every slate containing it gains or loses exactly the move and every other slate stays as
    it is. With ``z*`` the optimum of the first objective level (`counterfactual`'s
    ``delta_objective`` is the change of the same level):

    * a **selected** candidate keeps its place while ``z* − δ > z_out``, ``z_out`` the optimum
      with it forced out: its margin is the objective loss of forcing it out, ``z* − z_out``
      (``−delta_objective`` of ``counterfactual(result, id, force="out")``) — or
      ``score − pass_mark`` if that is smaller (below the pass mark it cannot be selected);
    * a **rejected** candidate enters once ``z_in + δ > z*``, ``z_in`` the optimum with it
      forced in: its margin is the loss of forcing it in, ``z* − z_in``
      (``−delta_objective`` of ``force="in"``) — or ``pass_mark − score`` if that is larger.

    So a move strictly smaller than the margin never changes the decision and a move strictly
    larger always does. At exactly the margin (kind ``"tie"``) two slates are level on score
    and the scenario's tie-break decides; a margin set by the pass mark (kind ``"pass_mark"``)
    is crossed at exactly the margin by a rejected candidate (it becomes selectable and wins),
    and only beyond it by a selected one (at the pass mark it is still selectable). If forcing
    is infeasible (kind ``"never"``) no move of the score changes the decision: the margin is
    infinite.

    Returns
    -------
    (margin, kind) : (float, str)
        Margin in score points (NaN, kind ``"unknown"``, when the counterfactual was not
        solved to optimality) and one of `MARGIN_KINDS`.
    """
    if forced.status == "INFEASIBLE":
        competition: Fraction | float = math.inf
    elif forced.status != "OPTIMAL" or nominal.objective is None or forced.objective is None:
        return math.nan, "unknown"
    else:
        competition = nominal.objective - forced.objective
    kind = "never" if competition == math.inf else "tie"
    if pass_mark is None:
        return float(competition), kind
    if selected:
        headroom = Fraction(str(score)) - Fraction(str(pass_mark))
        return (float(headroom), "pass_mark") if headroom < competition else (float(competition), kind)
    gap = Fraction(str(pass_mark)) - Fraction(str(score))
    return (float(gap), "pass_mark") if gap > competition else (float(competition), kind)


# --- many samples, many scenarios -------------------------------------------------------------


@dataclass
class SampleRuns:
    """Sample solves of one or more rounds, gathered.

    Attributes
    ----------
    runs : DataFrame
        The tidy table, one row per (case, sample): case, sample (0 = scores as given), status,
        objective (points, at the sample's scores), nominal_score (the sampled slate's total at
        the scores as given), n_selected, changed (decisions differing from sample 0), solve_s,
        worker.
    selections : dict of str to ndarray of bool, shape (samples + 1, rows)
        Per case, the provincial decision of every row of its candidate table in each sample.
    cases : dict of str to Case
    """

    runs: pd.DataFrame
    selections: dict[str, np.ndarray]
    cases: dict[str, Case]
    wall_s: float = 0.0
    solved: dict[str, np.ndarray] = field(default_factory=dict)

    def probability(self, label: str) -> tuple[np.ndarray, int]:
        """Selection probability of every row over the solved samples ≥ 1, and how many there were."""
        matrix = self.selections[label]
        ok = self.solved.get(label, np.ones(len(matrix), bool)).copy()
        ok[0] = False
        n = int(ok.sum())
        return (matrix[ok].mean(axis=0) if n else np.full(matrix.shape[1], np.nan)), n

    def probabilities(self) -> pd.DataFrame:
        """One row per (case, candidate): nominal decision and selection probability over samples ≥ 1."""
        parts = []
        for label, matrix in self.selections.items():
            case = self.cases[label]
            table = case.frame.iloc[:case.n_table]
            p, n = self.probability(label)
            lo, hi = wilson(p, n)
            parts.append(pd.DataFrame({
                "case": pd.Series([label] * case.n_table, dtype="string"),
                "candidate_id": table["candidate_id"].astype("string").to_numpy(),
                "selected": matrix[0].astype(np.int8),
                "samples": np.full(case.n_table, n, dtype=np.int64),
                "probability": p, "probability_low": lo, "probability_high": hi}))
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def make_case(scenario: Scenario | str | Path, *, candidates: pd.DataFrame | str | Path | None = None,
              score_sd: float | None = None, sd_column: str = "score_sd", reviewers: Sequence[str] = (),
              seed: int = 0, time_limit_s: float = 60.0, need_spread: bool = True, label: str | None = None,
              lookahead: bool = True) -> Case:
    """Read and prepare a round (as `planner.solve` does) and its score spread, for sample solves.

    ``lookahead=False`` solves the round on its own (`without_lookahead`).

    Raises
    ------
    InputError, PolicyError
        Bad table or scenario, or no score spread when `need_spread`.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if not lookahead:
        scenario = without_lookahead(scenario)
    frame = read_candidates(scenario, candidates)
    history = read_history(scenario)
    prepared = prepare(frame, scenario, history)
    spread = None
    if need_spread or score_sd is not None or reviewers or sd_column in frame.columns:
        spread = score_spread(frame, score_column=scenario.maximise, score_sd=score_sd, sd_column=sd_column,
                              reviewers=reviewers)
    return Case(scenario=scenario, frame=prepared.frame, locked=prepared.locked,
                locked_national=prepared.locked_national, n_table=len(frame), spread=spread, seed=seed,
                time_limit_s=time_limit_s, label=label or scenario.label)


def without_lookahead(scenario: Scenario) -> Scenario:
    """The scenario with its lookahead (`[plan] forecast`) switched off: the round on its own.

    A lookahead solves this round together with forecast copies of later years' pools; that
    makes a solve several times slower (measured on the 2023 round: about 1.4 s a sample
    instead of 0.05 s), so large sample sweeps may choose to leave it out. The slate can then
    differ from the lookahead's: say which one a report is about.
    """
    plan = getattr(scenario, "plan", None)
    if plan is None or getattr(plan, "forecast", "none") == "none":
        return scenario
    return scenario.with_plan(forecast="none")


def sample_tasks(case: Case, samples: int, job: Job | None = None) -> list[Task]:
    """Tasks solving samples 0..`samples` of a case (0 = the scores as given)."""
    job = job or make_job(build_case, case)
    return [Task(job, "planner.analysis.robust:run_sample", s) for s in range(samples + 1)]


def run_samples(cases: Sequence[Case], samples: int, *, executor: str = "process", workers: int | None = None,
                address: str | None = None, client: Any = None, progress: bool | None = None,
                chunk_size: int | None = None) -> SampleRuns:
    """Solve `samples` score samples (plus the scores as given) of every case on an executor.

    Parameters
    ----------
    cases : sequence of Case
        From `make_case`; labels must differ.
    samples : int
        Samples per case (≥ 0); sample ``s`` of a case always draws the same scores.
    executor, workers, address, client, progress, chunk_size
        See `sweep.run_tasks`.
    """
    labels = [c.label for c in cases]
    if len(set(labels)) != len(labels):
        raise InputError([Problem("sweep", f"two rounds named {l!r}", "distinct scenario names")
                          for l in sorted({l for l in labels if labels.count(l) > 1})])
    if samples < 0:
        raise InputError([Problem("options", f"samples = {samples}", "0 or more samples")])
    start = time.perf_counter()
    tasks = [t for case in cases for t in sample_tasks(case, samples)]
    records = run_tasks(tasks, executor=executor, workers=workers, address=address, client=client,
                        progress=progress, chunk_size=chunk_size, description="samples")
    return _gather_samples(records, {c.label: c for c in cases}, time.perf_counter() - start)


RUN_COLUMNS = ["case", "sample", "status", "objective", "nominal_score", "n_selected", "changed", "solve_s", "cpu_s",
               "worker"]


def _gather_samples(records: list[dict], cases: dict[str, Case], wall_s: float) -> SampleRuns:
    selections: dict[str, np.ndarray] = {}
    solved: dict[str, np.ndarray] = {}
    by_case: dict[str, list[dict]] = {}
    for r in records:
        by_case.setdefault(r["case"], []).append(r)
    for label, rows in by_case.items():
        n = cases[label].n_table
        rows = sorted(rows, key=lambda r: r["sample"])
        matrix = np.zeros((len(rows), n), dtype=bool)
        for i, r in enumerate(rows):
            if r["selected"]:
                matrix[i] = np.unpackbits(np.frombuffer(r["selected"], dtype=np.uint8), count=n).astype(bool)
        failed = [r["sample"] for r in rows if not r["selected"]]
        if failed:
            first = next(r for r in rows if not r["selected"])
            log.warning("%s: %d samples without a slate (e.g. sample %d, %s): left out of the probabilities",
                        label, len(failed), first["sample"], first["status"])
        selections[label] = matrix
        solved[label] = np.array([bool(r["selected"]) for r in rows])
    runs = pd.DataFrame([{k: r[k] for k in RUN_COLUMNS} for r in records], columns=RUN_COLUMNS)
    runs = runs.astype({"case": "string", "status": "string", "worker": "string", "sample": np.int64,
                        "n_selected": np.int64, "changed": np.int64, "objective": float,
                        "nominal_score": float, "solve_s": float, "cpu_s": float})
    runs = runs.sort_values(["case", "sample"], kind="stable").reset_index(drop=True)
    return SampleRuns(runs=runs, selections=selections, cases=cases, wall_s=wall_s, solved=solved)


def wilson(p: np.ndarray, n: int, z: float = Z_95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of proportions `p` observed in `n` trials (NaN when n = 0)."""
    p = np.asarray(p, dtype=float)
    if n <= 0:
        return np.full(p.shape, np.nan), np.full(p.shape, np.nan)
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


# --- the robustness report -----------------------------------------------------------------------


TABLE_COLUMNS = ["candidate_id", "year", "task", "track", "title", "unit_name", "locality", "tier", "score",
                 "score_sd", "selected", "probability", "probability_low", "probability_high", "band",
                 "flip_margin", "margin_kind", "flip_score", "margin_sd", "decided_by", "reason"]


@dataclass
class RobustResult:
    """How sure the slate is.

    Attributes
    ----------
    result : Result
        The nominal round (scores as given), audited.
    table : DataFrame
        One row per candidate of the table: identity columns, score, score_sd (of the sampled
        score), selected (nominal, 0/1), probability (share of samples selecting it) with a
        95 % Wilson interval, band (certain / marginal / out), flip_margin (points: how far the
        score must move to change the decision, see `flip_margin`), margin_kind (what happens
        at exactly the margin: "tie", "pass_mark", "never", "unknown"), flip_score (the score
        beyond which the decision changes), margin_sd (the margin in standard deviations of the
        score), decided_by ("score", or why the score does not decide: other_year, ineligible,
        task_disabled, pinned_in, pinned_out, locked), reason (the planner's sentence).
    runs : DataFrame
        One row per sample (see `SampleRuns.runs`).
    summary : dict
    """

    result: Result
    table: pd.DataFrame
    runs: pd.DataFrame
    summary: dict[str, Any]

    @property
    def marginal(self) -> pd.DataFrame:
        return self.table[self.table["band"] == "marginal"]

    def plot_marginal(self, max_rows: int = 40):
        """Bar chart of the marginal candidates' selection probabilities (see `plot_marginal`)."""
        return plot_marginal(self, max_rows=max_rows)

    def save(self, out_dir: str | Path, *, chart: bool = True) -> list[Path]:
        """Write robust.csv/xlsx, samples.csv, robust.json and (optionally) marginal.png atomically."""
        from planner.show import write_outputs
        binary = {"marginal.png": figure_png(self.plot_marginal())} if chart else None
        return write_outputs(Path(out_dir), tables={"robust.csv": self.table, "samples.csv": self.runs},
                             json_files={"robust.json": self.summary}, binary_files=binary,
                             xlsx={"robust.xlsx": "robust.csv"})


def robust(scenario: Scenario | str | Path, *, candidates: pd.DataFrame | str | Path | None = None,
           samples: int = 200, score_sd: float | None = None, sd_column: str = "score_sd",
           reviewers: Sequence[str] = (), seed: int = 0, margins: str = "all", certain: float = 0.95,
           out: float = 0.05, executor: str = "process", workers: int | None = None, address: str | None = None,
           client: Any = None, progress: bool | None = None, time_limit_s: float = 60.0,
           sample_time_limit_s: float = 60.0, lookahead: bool = True) -> RobustResult:
    """Solve a round, then re-solve it under `samples` score samples and find every flip margin.

    Parameters
    ----------
    scenario : Scenario or path
    candidates : DataFrame or path, optional
        Replaces the scenario's table; needs the usual columns plus the spread's (a
        ``score_sd`` column, or reviewers' score columns) unless `score_sd` is given.
    samples : int
        Score samples to solve.
    score_sd : float, optional
        Default standard deviation of a score (points) where the table gives none.
    sd_column : str
        Column with each candidate's standard deviation.
    reviewers : sequence of str
        Columns with several reviewers' scores (bootstrap).
    seed : int
        Seed of the samples (sample s of seed k is always the same draw) and of CP-SAT.
    margins : {"all", "marginal", "none"}
        Candidates whose flip margin is computed: every candidate the score decides, the
        marginal band only, or none.
    certain, out : float
        Band limits: probability ≥ `certain` is "certain", ≤ `out` is "out", else "marginal".
    executor, workers, address, client, progress
        Where the samples and counterfactuals run (see `sweep.run_tasks`).
    time_limit_s : float
        Budget of the nominal solve.
    sample_time_limit_s : float
        Budget of each re-solve.
    lookahead : bool
        False: solve the round on its own, without the scenario's lookahead
        (`without_lookahead`) — the nominal slate, samples and margins alike.

    Raises
    ------
    InputError, PolicyError, InfeasibleError, NoSolutionError
        As `planner.solve`; InputError also for a missing spread or bad options.
    """
    problems = []
    if margins not in MARGIN_MODES:
        problems.append(Problem("options", f'margins = "{margins}"', "one of " + ", ".join(MARGIN_MODES)))
    if not 0 <= out < certain <= 1:
        problems.append(Problem("options", f"out = {out}, certain = {certain}", "0 ≤ out < certain ≤ 1"))
    if samples < 1:
        problems.append(Problem("options", f"samples = {samples}", "at least 1 sample"))
    if problems:
        raise InputError(problems)
    start = time.perf_counter()
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if not lookahead:
        scenario = without_lookahead(scenario)
    frame = read_candidates(scenario, candidates)
    spread = score_spread(frame, score_column=scenario.maximise, score_sd=score_sd, sd_column=sd_column,
                          reviewers=reviewers)
    history = read_history(scenario)
    prepared = prepare(frame, scenario, history)
    model = build_model(prepared.frame, scenario, locked=prepared.locked, locked_national=prepared.locked_national,
                        history_rows=prepared.history_rows)
    solution = solve_model(model, time_limit_s=time_limit_s, seed=seed)
    result = finish(scenario, frame, history, prepared, model, solution, seed=seed, workers=0,
                        time_limit_s=time_limit_s)
    case = Case(scenario=scenario, frame=prepared.frame, locked=prepared.locked,
                locked_national=prepared.locked_national, n_table=len(frame), spread=spread, seed=seed,
                time_limit_s=sample_time_limit_s, label=scenario.label)
    job = make_job(build_case, case)
    decidable = _decidable(model, scenario, len(frame))

    tasks = sample_tasks(case, samples, job)
    if margins == "all":
        tasks += [Task(job, "planner.analysis.robust:run_flip", int(r)) for r in np.flatnonzero(decidable)]
    records = run_tasks(tasks, executor=executor, workers=workers, address=address, client=client,
                        progress=progress, description="samples and margins")
    sample_records = [r for r in records if "sample" in r]
    flips = [r for r in records if "row" in r]
    runs = _gather_samples(sample_records, {case.label: case}, 0.0)
    matrix = runs.selections[case.label]
    probability, n_solved = runs.probability(case.label)
    if n_solved == 0:
        raise PlannerError(f"no sample was solved within {sample_time_limit_s:g} s: raise sample_time_limit_s")
    band = np.where(probability >= certain, "certain", np.where(probability <= out, "out", "marginal"))
    if margins == "marginal":
        rows = np.flatnonzero(decidable & (band == "marginal"))
        flips = run_tasks([Task(job, "planner.analysis.robust:run_flip", int(r)) for r in rows], executor=executor,
                          workers=workers, address=address, client=client, progress=progress,
                          description="flip margins") if len(rows) else []
    nominal_selected = result.slate["selected"].to_numpy(dtype=bool)
    if not np.array_equal(matrix[0], nominal_selected):
        log.warning("the re-solved nominal slate differs from the planner's in %d rows",
                    int((matrix[0] != nominal_selected).sum()))
    table = _robust_table(result, spread, probability, n_solved, band, flips, decidable, model, scenario)
    summary = {
        "name": scenario.name, "scenario": str(scenario.source or ""), "samples": samples, "seed": seed,
        "lookahead": without_lookahead(scenario) is not scenario,
        "spread": spread.kind, "score_sd_mean": round(float(spread.effective_sd.mean()), 6),
        "bands": {b: int((table["band"] == b).sum()) for b in BANDS},
        "band_limits": {"certain": certain, "out": out},
        "nominal_objective": result.summary["objective"], "nominal_selected": result.summary["n_selected"],
        "mean_changed": round(float(runs.runs.loc[runs.runs["sample"] > 0, "changed"].mean()), 3),
        "margins": margins, "n_margins": len(flips),
        "executor": executor, "workers": workers, "wall_s": round(time.perf_counter() - start, 3),
        "samples_solved": n_solved, "samples_not_optimal": int((runs.runs["status"] != "OPTIMAL").sum()),
    }
    log.info("robust: %d samples, %s in %.1f s", samples, summary["bands"], summary["wall_s"])
    return RobustResult(result=result, table=table, runs=runs.runs, summary=summary)


def _decidable(model: Model, scenario: Scenario, n_table: int) -> np.ndarray:
    """Rows of the table whose decision the score can change: selectable or only below the pass mark, not pinned."""
    blocked = blocked_reason(model.frame.iloc[:n_table], scenario).to_numpy()
    pinned = pinned_in(model.frame.iloc[:n_table], scenario)
    locked = np.asarray(model.locked[:n_table], bool)
    return np.isin(blocked, ["", "below_pass_mark"]) & ~pinned & ~locked


def _robust_table(result: Result, spread: Spread, probability: np.ndarray, n_samples: int, band: np.ndarray,
                  flips: list[dict], decidable: np.ndarray, model: Model, scenario: Scenario) -> pd.DataFrame:
    slate = result.slate
    n = len(slate)
    lo, hi = wilson(probability, n_samples)
    margin = np.full(n, np.nan)
    kind = np.full(n, "", dtype=object)
    for r in flips:
        margin[r["row"]] = r["flip_margin"]
        kind[r["row"]] = r["margin_kind"]
    score = numeric_column(slate, scenario.maximise)
    selected = slate["selected"].to_numpy(dtype=bool)
    flip_score = np.where(selected, score - margin, score + margin)
    sd = spread.effective_sd
    with np.errstate(divide="ignore", invalid="ignore"):
        margin_sd = np.where(sd > 0, margin / np.where(sd > 0, sd, 1.0), np.where(margin > 0, np.inf, np.nan))
    blocked = blocked_reason(model.frame.iloc[:n], scenario).to_numpy().astype(object)
    pinned = pinned_in(model.frame.iloc[:n], scenario)
    locked = np.asarray(model.locked[:n], bool)
    decided_by = np.where(decidable, "score", np.where(pinned, "pinned_in", np.where(locked, "locked", blocked)))
    table = pd.DataFrame({c: slate[c] for c in ("candidate_id", "year", "task", "track", "title", "unit_name",
                                                 "locality", "tier") if c in slate.columns})
    table["score"] = score
    table["score_sd"] = sd
    table["selected"] = selected.astype(np.int8)
    table["probability"] = probability
    table["probability_low"] = lo
    table["probability_high"] = hi
    table["band"] = pd.Series(band, index=table.index, dtype="string")
    table["flip_margin"] = margin
    table["margin_kind"] = pd.Series(kind, index=table.index, dtype="string")
    table["flip_score"] = flip_score
    table["margin_sd"] = margin_sd
    table["decided_by"] = pd.Series(decided_by, index=table.index, dtype="string")
    table["reason"] = slate["reason"].astype("string")
    return table[[c for c in TABLE_COLUMNS if c in table.columns]]


# --- the chart --------------------------------------------------------------------------------------


def plot_marginal(robust_result: RobustResult, *, max_rows: int = 40):
    """Horizontal bars: each marginal candidate's selection probability, nominal decision by colour.

    The candidates nearest a coin toss come first (at most `max_rows`); the label carries the
    candidate, its locality and its flip margin. Returns a matplotlib Figure (never shown).
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    use_font()
    table = robust_result.marginal
    table = table.assign(_distance=(table["probability"] - 0.5).abs()).sort_values(
        ["_distance", "candidate_id"]).head(max_rows).sort_values("probability")
    n = len(table)
    fig = Figure(figsize=(7.5, max(2.2, 0.26 * n + 1.4)), layout="constrained")
    ax = fig.add_subplot()
    summary = robust_result.summary
    title = f"边缘候选项目的入选概率（{summary['samples']} 次评分抽样）"
    if not n:
        ax.text(0.5, 0.5, "没有边缘候选项目：每个项目的入选结果在抽样中都稳定", ha="center", va="center")
        ax.set_axis_off()
        ax.set_title(title)
        return fig
    colours = np.where(table["selected"].to_numpy() == 1, "#0072B2", "#D55E00")
    y = np.arange(n)
    ax.barh(y, table["probability"], color=colours, height=0.7)
    low = table["probability"] - table["probability_low"]
    high = table["probability_high"] - table["probability"]
    ax.errorbar(table["probability"], y, xerr=[low, high], fmt="none", ecolor="#444444", elinewidth=0.7, capsize=1.5)
    labels = []
    for cid, title_text, locality, margin in zip(table["candidate_id"], table.get("title", table["candidate_id"]),
                                                 table.get("locality", [""] * n), table["flip_margin"]):
        short = str(title_text)[:14] + ("…" if len(str(title_text)) > 14 else "")
        m = "" if pd.isna(margin) else f"  距翻转{margin:.1f}分"
        labels.append(f"{cid} {short}（{locality}）{m}")
    ax.set_yticks(y, labels, fontsize=7)
    limits = summary.get("band_limits", {})
    for x in (limits.get("out"), limits.get("certain")):
        if x is not None:
            ax.axvline(x, color="#999999", linestyle="--", linewidth=0.8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("入选概率（抽样中入选的比例，95% 区间）")
    ax.set_title(title)
    ax.legend(handles=[Patch(color="#0072B2", label="按原始评分入选"), Patch(color="#D55E00", label="按原始评分未入选")],
              loc="lower right", fontsize=7)
    return fig


def use_font() -> None:
    """Draw Chinese with the planner's CJK font (`fonts`); a missing font is a warning, not an error."""
    try:
        from planner.show import use_cjk_font
        use_cjk_font()
    except Exception as exc:        # a chart without Chinese glyphs is still a chart
        log.warning("no Chinese font for charts: %s", exc)


def figure_png(fig) -> bytes:
    """A figure as PNG bytes (150 dpi)."""
    import io
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150)
    return buffer.getvalue()
