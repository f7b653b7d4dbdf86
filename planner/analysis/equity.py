"""Regional equity: shares of the slate against reference shares, indices, and what balance costs.

Owns the per-group shares of a round's slate (per locality, per 高职 tier, or any column)
against reference shares (the candidates each group submitted, equal shares, a column such as
population or enrolment, or a table of weights), the standard disproportionality indices
(Gallagher's least-squares index, Loosemore–Hanby, the largest deviation, the Gini coefficient
of representation), an equity constraint or penalty added to a built model, and the frontier of
total score against equity (ε-constraint sweep) with its chart.

Does not own the rules of the notice (`policy`, `model`) nor solving (`solve`). A scenario-level
``[equity]`` section would be read by `policy`; until then the settings are arguments (see
docs/robust-equity.md for the proposed syntax).

The index a model can hold exactly is linear: with ``n_g`` selected in group g, ``N = Σ n_g``
and reference weights ``c_g`` (``C = Σ c_g``, so ``p_g = c_g / C``), the Loosemore–Hanby index
``LH = ½ Σ |n_g/N − p_g|`` satisfies ``LH ≤ ε ⇔ Σ |C·n_g − c_g·N| ≤ 2ε·C·N`` — linear in the
decisions, with integers only. The largest deviation ``max_g |n_g/N − p_g| ≤ ε`` is linear the
same way. Gallagher's index (a square root of squares) and the Gini coefficient are reported
for every slate but not constrained.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from planner.analysis.sweep import Task, make_job, run_tasks
from planner.errors import InputError, PlannerError, Problem
from planner.model import Model, Objective, build_model, integer_scale
from planner.rounds import Result
from planner.rounds.finish import finish
from planner.rules import Scenario, load_scenario, read_candidates, read_history
from planner.rules.prepare import prepare
from planner.solver import solve_model

log = logging.getLogger(__name__)

INDICES = ("lh", "max")            # the indices a model can constrain exactly
REFERENCES = ("candidates", "equal")
SHARE_COLUMNS = ["group", "selected", "share", "reference", "reference_share", "difference_pp", "ratio"]
FRONTIER_COLUMNS = ["point", "epsilon_pp", "status", "objective", "best_bound", "total_score", "score_loss", "n_selected",
                    "lh_pp", "max_dev_pp", "gallagher_pp", "gini", "solve_s"]


# --- reference shares and indices ------------------------------------------------------------------


def counted(frame: pd.DataFrame, scenario: Scenario, by: str, n_table: int | None = None) -> np.ndarray:
    """Rows whose selection counts in the shares: this round's table, this year, a value in `by`."""
    n = len(frame) if n_table is None else n_table
    mask = np.zeros(len(frame), bool)
    values = frame[by].iloc[:n].astype("string").fillna("").str.strip()
    mask[:n] = (frame["year"].iloc[:n].to_numpy() == scenario.year) & (values != "").to_numpy(dtype=bool)
    return mask


def reference_weights(frame: pd.DataFrame, scenario: Scenario, *, by: str = "locality",
                      reference: str | Mapping[str, float] | pd.Series | Path = "candidates",
                      n_table: int | None = None) -> pd.Series:
    """Each group's reference weight (the reference share is weight / total), as exact integers.

    Parameters
    ----------
    frame : DataFrame
        Candidates (localities folded as in the model); needs `by`, year and, for a column
        reference, that column.
    by : str
        The grouping column: ``locality``, ``tier`` (高职 schools only: others have no tier),
        or any column.
    reference : str, mapping, Series or path
        ``"candidates"``: the candidates each group submitted this round; ``"equal"``: the same
        for every group; ``"column:NAME"``: a numeric column constant within each group (e.g.
        population); a path to a csv with columns ``group`` (or `by`) and ``weight``; or a
        mapping group → weight. Folded localities add their weight to their parent.

    Returns
    -------
    Series of int64 indexed by group (str), sorted; every weight ≥ 0, total > 0.

    Raises
    ------
    InputError
        Unknown column, weights that are not numbers ≥ 0, a group of the candidates without a
        weight, or a total of 0.
    """
    rows = counted(frame, scenario, by, n_table)
    if by not in frame.columns:
        raise InputError([Problem("equity", f'no column "{by}"', "a column of the candidate table")])
    groups = frame[by][rows].astype(str)
    present = sorted(groups.unique())
    problems: list[Problem] = []
    if isinstance(reference, str) and reference == "candidates":
        weights = groups.value_counts().reindex(present).astype(float)
    elif isinstance(reference, str) and reference == "equal":
        weights = pd.Series(1.0, index=present)
    elif isinstance(reference, str) and reference.startswith("column:"):
        column = reference.split(":", 1)[1]
        if column not in frame.columns:
            raise InputError([Problem("equity", f'reference column "{column}"', "a column of the candidate table")])
        values = pd.to_numeric(frame[column][rows].astype("string"), errors="coerce")
        spread = values.groupby(groups.to_numpy()).agg(["min", "max"])
        for group, lo, hi in zip(spread.index, spread["min"], spread["max"]):
            if not (np.isfinite(lo) and lo == hi):
                problems.append(Problem("equity", f'group "{group}" with {column} from {lo} to {hi}',
                                        f"one number per {by} (a reference such as population)", column=column))
        weights = spread["min"].reindex(present).astype(float)
    else:
        weights = _weights_from(reference, by, scenario, problems)
        missing = [g for g in present if g not in weights.index]
        if missing:
            problems.append(Problem("equity", "no reference weight for " + "、".join(missing[:10]),
                                    f"a weight for every {by} of the candidates"))
        weights = weights.astype(float)
    bad = weights[~(np.isfinite(weights.to_numpy()) & (weights.to_numpy() >= 0))]
    problems += [Problem("equity", f'weight {w} for "{g}"', "a number ≥ 0") for g, w in bad.items()]
    if problems:
        raise InputError(problems)
    units, _ = integer_scale(weights.to_numpy(dtype=float))
    out = pd.Series(units.astype(np.int64), index=pd.Index(weights.index.astype(str), name="group"), name="weight")
    out = out.sort_index()
    if out.sum() <= 0:
        raise InputError([Problem("equity", "reference weights that add up to 0", "a positive total")])
    return out


def _weights_from(reference: Any, by: str, scenario: Scenario, problems: list[Problem]) -> pd.Series:
    if isinstance(reference, pd.Series):
        raw = reference
    elif isinstance(reference, Mapping):
        raw = pd.Series(dict(reference))
    else:
        path = Path(reference)
        if not path.is_file():
            problems.append(Problem(str(reference), "no such file",
                                    '"candidates", "equal", "column:NAME" or a csv of group,weight'))
            return pd.Series(dtype=float)
        table = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
        key = "group" if "group" in table.columns else by
        if key not in table.columns or "weight" not in table.columns:
            problems.append(Problem(str(path), f"columns {list(table.columns)}", f'columns "group" (or "{by}") and "weight"'))
            return pd.Series(dtype=float)
        raw = pd.Series(pd.to_numeric(table["weight"], errors="coerce").to_numpy(),
                        index=table[key].astype(str).str.strip())
    raw = pd.to_numeric(raw, errors="coerce")
    if by == "locality":
        from planner.inputs import load_catalogue
        cat = load_catalogue()
        names = [cat.locality(str(g)) or str(g) for g in raw.index]
        names = [scenario.fold.get(n, n) for n in names]
        raw = pd.Series(raw.to_numpy(), index=names)
    return raw.groupby(level=0).sum()


def shares(slate: pd.DataFrame, weights: pd.Series, *, by: str, scenario: Scenario) -> pd.DataFrame:
    """Each group's share of this round's slate against its reference share.

    Parameters
    ----------
    slate : DataFrame
        Candidate rows with `by`, year and ``selected`` (0/1).
    weights : Series
        `reference_weights` output.

    Returns
    -------
    DataFrame with `SHARE_COLUMNS`: group, selected (count), share, reference (weight),
    reference_share, difference_pp (share − reference share, percentage points), ratio
    (share / reference share).
    """
    rows = counted(slate, scenario, by)
    chosen = slate["selected"].to_numpy(dtype=bool) & rows
    counts = pd.Series(slate[by][chosen].astype(str)).value_counts()
    groups = sorted(set(weights.index) | set(counts.index))
    n = counts.reindex(groups, fill_value=0).astype(np.int64)
    w = weights.reindex(groups, fill_value=0).astype(np.int64)
    total = int(n.sum())
    share = n / total if total else n * np.nan
    ref = w / int(w.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(ref > 0, share / ref.where(ref > 0, 1.0), np.nan)
    return pd.DataFrame({"group": pd.Series(groups, dtype="string"), "selected": n.to_numpy(),
                         "share": share.to_numpy(dtype=float), "reference": w.to_numpy(),
                         "reference_share": ref.to_numpy(dtype=float),
                         "difference_pp": (share - ref).to_numpy(dtype=float) * 100, "ratio": ratio})


def loosemore_hanby(share: Sequence[float], reference: Sequence[float]) -> float:
    """½ Σ |s − p| (0 = proportional, 1 = everything to groups with no reference)."""
    return 0.5 * float(np.abs(np.asarray(share, float) - np.asarray(reference, float)).sum())


def gallagher(share: Sequence[float], reference: Sequence[float]) -> float:
    """Gallagher's least-squares index √(½ Σ (s − p)²)."""
    d = np.asarray(share, float) - np.asarray(reference, float)
    return float(math.sqrt(0.5 * float((d * d).sum())))


def max_deviation(share: Sequence[float], reference: Sequence[float]) -> float:
    """The largest |s − p| over the groups."""
    d = np.abs(np.asarray(share, float) - np.asarray(reference, float))
    return float(d.max()) if len(d) else 0.0


def gini(share: Sequence[float], reference: Sequence[float]) -> float:
    """Gini coefficient of representation: ½ Σ_g Σ_h p_g p_h |r_g − r_h| with r = s / p.

    Twice the area between the equality line and the Lorenz curve of the slate's shares
    plotted against the reference shares (groups ordered by r). Groups with no reference share
    are left out (their r is undefined).
    """
    s = np.asarray(share, float)
    p = np.asarray(reference, float)
    keep = p > 0
    s, p = s[keep], p[keep]
    if not len(p) or s.sum() <= 0:
        return float("nan")
    p = p / p.sum()
    r = s / s.sum() / p
    return float(0.5 * np.sum(p[:, None] * p[None, :] * np.abs(r[:, None] - r[None, :])))


def indices(table: pd.DataFrame) -> dict[str, float]:
    """Gallagher, Loosemore–Hanby and the largest deviation (percentage points), and the Gini."""
    s, p = table["share"].to_numpy(dtype=float), table["reference_share"].to_numpy(dtype=float)
    if not np.isfinite(s).all():
        return {"gallagher_pp": math.nan, "lh_pp": math.nan, "max_dev_pp": math.nan, "gini": math.nan}
    return {"gallagher_pp": 100 * gallagher(s, p), "lh_pp": 100 * loosemore_hanby(s, p),
            "max_dev_pp": 100 * max_deviation(s, p), "gini": gini(s, p)}


# --- equity in the model ---------------------------------------------------------------------------


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
    counts = {g: cp_model.LinearExpr.sum(list(model.select[has_var & (keys == g)])) for g in groups}
    total = cp_model.LinearExpr.sum(list(model.select[has_var]))
    n_max = int(has_var.sum())
    bound = C * max(1, n_max)
    dev, abs_dev = [], []
    cp = model.cp
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
    return EquityTerms(by=by, groups=groups, weights=w, C=C, total=total, dev=dev, abs_dev=abs_dev, top=top)


def constrain(model: Model, terms: EquityTerms, epsilon: Fraction, *, index: str = "lh") -> None:
    """Hold the slate's index at or below `epsilon` (a share, e.g. Fraction(1, 10) = 10 pp).

    ``lh``: Σ |dev| ≤ 2ε·C·N; ``max``: every |dev| ≤ ε·C·N (exact rational arithmetic); and
    N ≥ 1 (an empty slate would satisfy any bound).
    """
    if index not in INDICES:
        raise InputError([Problem("equity", f'index "{index}"', "one of " + ", ".join(INDICES))])
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


# --- the frontier ---------------------------------------------------------------------------------


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


@dataclass
class _EquityState:
    case: EquityCase


def build_equity(case: EquityCase) -> _EquityState:
    """Worker state of an ε sweep (the model is rebuilt per point: a point adds a constraint)."""
    return _EquityState(case)


def solve_point(case: EquityCase, epsilon: Fraction | None, *, workers: int = 0) -> tuple[Any, Any, EquityTerms]:
    """Solve the round lexicographically (as `planner.solve`) with the index held at ≤ `epsilon`."""
    model = build_model(case.frame, case.scenario, locked=case.locked, locked_national=case.locked_national,
                        history_rows=np.arange(len(case.frame)) >= case.n_table)
    terms = add_equity(model, case.weights, by=case.by, n_table=case.n_table)
    if epsilon is not None:
        constrain(model, terms, epsilon, index=case.index)
    solution = solve_model(model, time_limit_s=case.time_limit_s, seed=case.seed, workers=workers)
    return model, solution, terms


def run_point(state: _EquityState, item: tuple[int, str | None]) -> dict:
    """Task: one point of the frontier (ε as a Fraction string; None = unconstrained)."""
    point, eps_text = item
    case = state.case
    epsilon = Fraction(eps_text) if eps_text is not None else None
    start = time.perf_counter()
    try:
        model, solution, _ = solve_point(case, epsilon, workers=case.workers)
    except PlannerError as exc:
        return {"point": point, "epsilon": eps_text, "status": type(exc).__name__, "selected": b"",
                "objective": math.nan, "best_bound": math.nan, "solve_s": time.perf_counter() - start}
    chosen = solution.selected[:case.n_table]
    return {"point": point, "epsilon": eps_text, "status": solution.status, "objective": solution.objective,
            "best_bound": solution.best_bound, "selected": np.packbits(chosen).tobytes(),
            "solve_s": time.perf_counter() - start}


def minimum_index(case: EquityCase, start: Fraction, *, time_limit_s: float = 60.0) -> tuple[Fraction, bool]:
    """The smallest index a feasible slate reaches, by Dinkelbach's method.

    The index is a ratio num/den (LH: Σ|dev| / 2CN; max: top / CN). Starting from a slate's
    value λ, minimise ``num − λ·den`` over the round's hard rules (with N ≥ 1); a negative
    value gives a slate with a smaller ratio, which becomes the next λ; an optimum of 0 proves
    λ minimal. A 0-1 problem needs few steps.

    Returns
    -------
    (index, proven) : (Fraction, bool)
        The smallest index found (a share), and whether it is proven minimal; when the time
        runs out first, the index is that of the most balanced slate found.
    """
    lam = Fraction(start)
    model = build_model(case.frame, case.scenario, locked=case.locked, locked_national=case.locked_national,
                        history_rows=np.arange(len(case.frame)) >= case.n_table)
    terms = add_equity(model, case.weights, by=case.by, n_table=case.n_table)
    model.cp.add(terms.total >= 1)
    num = terms.lh_sum if case.index == "lh" else terms.top
    den_factor = 2 * terms.C if case.index == "lh" else terms.C
    deadline = time.perf_counter() + time_limit_s
    for step in range(100):
        remaining = deadline - time.perf_counter()
        if remaining <= 0.05:
            break
        cp = model.cp.clone()
        a, b = lam.numerator, lam.denominator
        cp.minimize(b * num - a * den_factor * terms.total)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = remaining
        solver.parameters.random_seed = case.seed
        status = solver.solve(cp)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        value = int(round(solver.objective_value))
        if value >= 0:
            proven = status == cp_model.OPTIMAL
            log.info("minimum index %s after %d steps (%s)", lam, step + 1, "proven" if proven else "not proven")
            return lam, proven
        lam = Fraction(int(round(solver.value(num))), den_factor * int(round(solver.value(terms.total))))
    log.warning("the most balanced slate was not proven within %g s: using the best found (%.2f pp)",
                time_limit_s, float(lam) * 100)
    return lam, False


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


@dataclass
class Frontier:
    """Total score against equity: one row per ε-constraint point.

    Attributes
    ----------
    table : DataFrame
        `FRONTIER_COLUMNS`: point (0 = most balanced … last = unconstrained), epsilon_pp (the
        bound on the index, percentage points), status, objective (first level, points),
        total_score (this round's selected scores), score_loss (objective below the
        unconstrained optimum), n_selected, lh_pp, max_dev_pp, gallagher_pp, gini, solve_s.
    shares : DataFrame
        The shares of every point's slate (`SHARE_COLUMNS` plus point).
    summary : dict
    """

    table: pd.DataFrame
    shares: pd.DataFrame
    summary: dict[str, Any]

    def plot(self):
        """The frontier chart (see `plot_frontier`)."""
        return plot_frontier(self)

    def save(self, out_dir: str | Path, *, chart: bool = True) -> list[Path]:
        """Write frontier.csv/xlsx, frontier_shares.csv, frontier.json and frontier.png atomically."""
        from planner.analysis.robust import figure_png
        from planner.show import write_outputs
        binary = {"frontier.png": figure_png(self.plot())} if chart else None
        return write_outputs(Path(out_dir), tables={"frontier.csv": self.table, "frontier_shares.csv": self.shares},
                             json_files={"frontier.json": self.summary}, binary_files=binary,
                             xlsx={"frontier.xlsx": "frontier.csv"})


def prepare_case(scenario: Scenario | str | Path, *, candidates: pd.DataFrame | str | Path | None = None,
                 by: str = "locality", reference: Any = "candidates", index: str = "lh",
                 time_limit_s: float = 60.0, seed: int = 0, lookahead: bool = True) -> EquityCase:
    """Read and prepare a round (as `planner.solve` does) with its reference weights."""
    return _prepare(scenario, candidates, by, reference, index, time_limit_s, seed, lookahead)[0]


def _prepare(scenario: Any, candidates: Any, by: str, reference: Any, index: str, time_limit_s: float,
             seed: int, lookahead: bool = True) -> tuple[EquityCase, pd.DataFrame, Any, Any]:
    if index not in INDICES:
        raise InputError([Problem("equity", f'index "{index}"', "one of " + ", ".join(INDICES))])
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if not lookahead:
        from planner.analysis.robust import without_lookahead
        scenario = without_lookahead(scenario)
    frame = read_candidates(scenario, candidates)
    history = read_history(scenario)
    prepared = prepare(frame, scenario, history)
    if by not in prepared.frame.columns:
        raise InputError([Problem("equity", f'by = "{by}"', "a column of the candidate table (locality, tier, …)")])
    weights = reference_weights(prepared.frame, scenario, by=by, reference=reference, n_table=len(frame))
    case = EquityCase(scenario=scenario, frame=prepared.frame, locked=prepared.locked,
                      locked_national=prepared.locked_national, n_table=len(frame), weights=weights, by=by,
                      index=index, time_limit_s=time_limit_s, seed=seed)
    return case, frame, history, prepared


def frontier(scenario: Scenario | str | Path, *, candidates: pd.DataFrame | str | Path | None = None,
             by: str = "locality", reference: Any = "candidates", index: str = "lh", points: int = 7,
             executor: str = "serial", workers: int | None = None, address: str | None = None,
             client: Any = None, progress: bool | None = None, time_limit_s: float = 60.0,
             seed: int = 0, lookahead: bool = True) -> Frontier:
    """The frontier of total score against equity between groups (ε-constraint method).

    The two ends are single-objective optima: the unconstrained round (best score; its index
    is the largest ε worth asking for) and the most balanced slate the hard rules allow
    (`minimum_index`), solved for its best score. The points between hold the index at evenly
    spaced bounds and maximise the score exactly as `planner.solve` does (same lexicographic phases
    and tie-break).

    Parameters
    ----------
    scenario : Scenario or path
    candidates : DataFrame or path, optional
    by : str
        Grouping column (``locality``, ``tier``, …).
    reference : see `reference_weights`
    index : {"lh", "max"}
        The index bounded: Loosemore–Hanby or the largest deviation.
    points : int
        Points on the frontier, both ends included (≥ 2).
    executor, workers, address, client, progress
        Where the points run (`sweep.run_tasks`; default here: in this process).
    time_limit_s : float
        Budget of each solve (a point not proven optimal in time keeps its best slate, with
        status FEASIBLE and its best_bound).
    lookahead : bool
        False: the round on its own (`robust.without_lookahead`).

    Raises
    ------
    InputError, PolicyError, InfeasibleError, NoSolutionError
    """
    if points < 2:
        raise InputError([Problem("equity", f"points = {points}", "at least 2 points (the two ends)")])
    start = time.perf_counter()
    case = prepare_case(scenario, candidates=candidates, by=by, reference=reference, index=index,
                        time_limit_s=time_limit_s, seed=seed, lookahead=lookahead)
    _, top_solution, _ = solve_point(case, None)
    top = slate_index(top_solution.selected[:case.n_table], case)
    low, proven = minimum_index(case, top, time_limit_s=time_limit_s)
    case = dataclasses.replace(case, workers=0 if executor == "serial" else 1)
    bounds = [low + (top - low) * Fraction(k, points - 1) for k in range(points - 1)]
    job = make_job(build_equity, case)
    tasks = [Task(job, "planner.analysis.equity:run_point", (k, str(eps))) for k, eps in enumerate(bounds)]
    records = run_tasks(tasks, executor=executor, workers=workers, address=address, client=client,
                        progress=progress, description="frontier points")
    records.append({"point": points - 1, "epsilon": str(top), "status": top_solution.status,
                    "objective": top_solution.objective, "best_bound": top_solution.best_bound,
                    "selected": np.packbits(top_solution.selected[:case.n_table]).tobytes(), "solve_s": 0.0})
    table, share_tables = _frontier_table(records, case, float(top_solution.objective))
    summary = {"name": case.scenario.name, "by": by, "reference": str(reference), "index": index, "points": points,
               "min_index_pp": float(low) * 100, "min_index_proven": proven, "max_index_pp": float(top) * 100,
               "best_objective": top_solution.objective,
               "balanced_objective": float(table["objective"].iloc[0]),
               "cost_of_balance": float(table["score_loss"].iloc[0]),
               "executor": executor, "wall_s": round(time.perf_counter() - start, 3)}
    return Frontier(table=table, shares=share_tables, summary=summary)


def _frontier_table(records: list[dict], case: EquityCase, best: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = case.n_table
    score = pd.to_numeric(case.frame[case.scenario.maximise].iloc[:n], errors="coerce").to_numpy(dtype=float)
    slate = case.frame.iloc[:n]
    rows, share_parts = [], []
    for r in sorted(records, key=lambda r: r["point"]):
        eps = Fraction(r["epsilon"]) if r["epsilon"] is not None else None
        row = {"point": r["point"], "epsilon_pp": float(eps) * 100 if eps is not None else math.nan,
               "status": r["status"], "objective": r["objective"], "best_bound": r["best_bound"],
               "solve_s": round(r["solve_s"], 3)}
        if r["selected"]:
            chosen = np.unpackbits(np.frombuffer(r["selected"], dtype=np.uint8), count=n).astype(bool)
            table = shares(slate.assign(selected=chosen.astype(np.int8)), case.weights, by=case.by,
                           scenario=case.scenario)
            row.update(total_score=float(score[chosen].sum()), n_selected=int(chosen.sum()),
                       score_loss=best - float(r["objective"]), **indices(table))
            share_parts.append(table.assign(point=r["point"]))
        rows.append(row)
    table = pd.DataFrame(rows).reindex(columns=FRONTIER_COLUMNS)
    table["best_bound"] = table["best_bound"].replace([np.inf, -np.inf], np.nan)     # no bound known
    table["status"] = table["status"].astype("string")
    shares_table = pd.concat(share_parts, ignore_index=True) if share_parts else pd.DataFrame()
    return table, shares_table


@dataclass
class EquityResult:
    """A round solved with an equity bound or penalty, beside the unconstrained round."""

    result: Result
    shares: pd.DataFrame
    baseline_shares: pd.DataFrame
    summary: dict[str, Any]


def solve_equitable(scenario: Scenario | str | Path, *, candidates: pd.DataFrame | str | Path | None = None,
                    by: str = "locality", reference: Any = "candidates", index: str = "lh",
                    max_pp: float | None = None, weight: float | None = None, time_limit_s: float = 60.0,
                    seed: int = 0, workers: int = 0, lookahead: bool = True) -> EquityResult:
    """Solve a round with the index held at ≤ `max_pp` and/or penalised by `weight` points per seat.

    The slate is audited against every rule of the scenario (`rounds.finish.finish`); its summary gains
    an ``equity`` entry: the settings, the indices of this slate and of the unconstrained one,
    and the cost in total score. With a `weight`, the summary's objective includes the equity
    penalty (it is what was maximised).

    Raises
    ------
    InputError
        Neither `max_pp` nor `weight`, or bad settings.
    InfeasibleError
        No slate is that balanced under the hard rules (`frontier` says how far balance can go).
    """
    if max_pp is None and weight is None:
        raise InputError([Problem("equity", "neither a bound nor a weight", "--max-index PP or --weight POINTS")])
    problems = []
    if max_pp is not None and not (math.isfinite(max_pp) and 0 <= max_pp <= 100):
        problems.append(Problem("equity", f"max_pp = {max_pp}", "a bound from 0 to 100 percentage points"))
    if weight is not None and not (math.isfinite(weight) and weight >= 0):
        problems.append(Problem("equity", f"weight = {weight}", "score points per seat, ≥ 0"))
    if problems:
        raise InputError(problems)
    case, frame, history, prepared = _prepare(scenario, candidates, by, reference, index, time_limit_s, seed,
                                              lookahead)
    scenario = case.scenario
    _, base_solution, _ = solve_point(case, None, workers=workers)
    model = build_model(prepared.frame, scenario, locked=prepared.locked, locked_national=prepared.locked_national,
                        history_rows=prepared.history_rows)
    terms = add_equity(model, case.weights, by=by, n_table=len(frame))
    if max_pp is not None:
        constrain(model, terms, Fraction(str(max_pp)) / 100, index=index)
    if weight is not None:
        penalise(model, terms, weight)
    solution = solve_model(model, time_limit_s=time_limit_s, seed=seed, workers=workers)
    result = finish(scenario, frame, history, prepared, model, solution, seed=seed, workers=workers,
                        time_limit_s=time_limit_s)
    score = pd.to_numeric(frame[scenario.maximise], errors="coerce").to_numpy(dtype=float)
    base_chosen = base_solution.selected[:len(frame)].astype(bool)
    base_slate = frame.assign(selected=base_chosen.astype(np.int8))
    table = shares(result.slate, case.weights, by=by, scenario=scenario)
    base_table = shares(base_slate, case.weights, by=by, scenario=scenario)
    base_total = float(score[base_chosen].sum())
    summary = {"by": by, "reference": str(reference), "index": index, "max_pp": max_pp, "weight": weight,
               "objective": result.summary["objective"], "total_score": result.summary["total_score"],
               "unconstrained_objective": base_solution.objective, "unconstrained_total_score": base_total,
               "cost_total_score": round(base_total - result.summary["total_score"], 6),
               "indices": indices(table), "unconstrained_indices": indices(base_table)}
    result.summary["equity"] = summary
    return EquityResult(result=result, shares=table, baseline_shares=base_table, summary=summary)


# --- charts ------------------------------------------------------------------------------------------


def plot_frontier(front: Frontier):
    """Total score against the index: what each step of balance costs (a matplotlib Figure)."""
    from matplotlib.figure import Figure

    from planner.analysis.robust import use_font
    use_font()
    t = front.table.dropna(subset=["objective"])
    index_col = "lh_pp" if front.summary.get("index", "lh") == "lh" else "max_dev_pp"
    fig = Figure(figsize=(7.5, 4.2), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(t[index_col], t["objective"], color="#0072B2", zorder=1)
    proven = (t["status"] == "OPTIMAL").to_numpy()
    ax.scatter(t[index_col][proven], t["objective"][proven], color="#0072B2", zorder=2, label="已证明最优")
    if (~proven).any():
        ax.scatter(t[index_col][~proven], t["objective"][~proven], facecolors="white", edgecolors="#0072B2",
                   zorder=2, label="时限内未证明最优（可能更高）")
    for x, y, loss in zip(t[index_col], t["objective"], t["score_loss"]):
        ax.annotate(f"−{loss:.1f}" if loss > 0.05 else "最优", (x, y), textcoords="offset points", xytext=(4, 6),
                    fontsize=7)
    ax.legend(fontsize=7, loc="lower left")
    name = "Loosemore–Hanby 指数" if index_col == "lh_pp" else "最大偏差"
    by = {"locality": "市州", "tier": "高职层级"}.get(front.summary.get("by", ""), front.summary.get("by", ""))
    ax.set_xlabel(f"各{by}入选份额与参照份额的偏离（{name}，百分点；越小越均衡）")
    ax.set_ylabel("目标值（总分减软约束罚分）")
    ax.set_title(f"质量与{by}均衡的取舍：每一步均衡的代价")
    ax.invert_xaxis()
    ax.grid(alpha=0.3)
    return fig


def plot_shares(table: pd.DataFrame, *, title: str = "各地入选份额与参照份额"):
    """Bars of each group's share of the slate beside its reference share (a matplotlib Figure)."""
    from matplotlib.figure import Figure

    from planner.analysis.robust import use_font
    use_font()
    fig = Figure(figsize=(7.5, 3.8), layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["share"] * 100, width=0.4, label="入选份额", color="#0072B2")
    ax.bar(x + 0.2, table["reference_share"] * 100, width=0.4, label="参照份额", color="#E69F00")
    ax.set_xticks(x, table["group"].astype(str), rotation=30, ha="right", fontsize=7)
    ax.set_ylabel("百分比")
    ax.set_title(title)
    ax.legend(fontsize=7)
    return fig
