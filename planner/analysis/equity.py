"""Regional equity: the score–equity frontier and the round solved with an equity bound or penalty.

Owns the frontier of total score against equity between groups (ε-constraint sweep: `frontier`,
its points as tasks for the executors of `analysis.sweep`, its table and chart) and the round
solved with the index held at a bound or priced in the objective (`solve_equitable`).

Does not own the rules of the notice (`rules`, `model`), the shares and indices of a slate
(`analysis.shares`), the equity terms in a model and the most balanced slate (`analysis.balance`)
nor solving (`solve`). A scenario-level ``[equity]`` section would be read by `rules`; until then
the settings are arguments (see docs/robust-equity.md for the proposed syntax).

Why a point is slower than a plain solve: the bound on the index links the independent parts of
the round into one (over one count variable per group, so the LP stays small and well scaled).
What keeps it fast: the score end is the round solved without the equity terms
(`balance.solve_unconstrained`: independent parts, as `planner.solve`), and its optimum proves one
cut per part for every bounded model (`balance.ScoreCuts`: no slate is cut off, the LP bound
falls to the unconstrained optimum, so reduced-cost fixing works again). The most balanced end is
found and proven from the group counts (`balance.most_balanced`: count vectors in order of the
index, the LP and CP-SAT asked which one a slate can have), and solved at its counts
(`balance.solve_counts`); if the walk cannot finish in time it ends unproven, flagged in the
summary. Each worker builds the model once and replaces the bound per point (`balance.PointModel`).
Not started from a neighbour's slate: measured on the 2023 round, a point started from the
tighter point's slate (feasible there) took longer to prove, and at 2.6 pp not at all within the
minute that it proves in without (CP-SAT stays near the hint; see benchmarks/README.md).
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

from planner.analysis.balance import (
    EquityCase,
    PointModel,
    add_equity,
    constrain,
    most_balanced,
    penalise,
    prepare_case,
    prepare_round,
    slate_index,
    solve_counts,
    solve_unconstrained,
)
from planner.analysis.figures import figure_png, prepare_charts, use_font
from planner.analysis.shares import indices, shares
from planner.analysis.sweep import Progress, Task, make_job, run_tasks
from planner.errors import InputError, PlannerError, Problem
from planner.lang import say
from planner.model import build_model
from planner.rounds import Result
from planner.rounds.finish import finish
from planner.rules import Scenario
from planner.solver import solve_model

log = logging.getLogger(__name__)

FRONTIER_COLUMNS = ["point", "epsilon_pp", "status", "objective", "best_bound", "total_score", "score_loss", "n_selected",
                    "lh_pp", "max_dev_pp", "gallagher_pp", "gini", "solve_s"]


@dataclass
class _EquityState:
    """A worker's model for points of one frontier (built on its first point)."""

    case: EquityCase
    points: PointModel | None = None


def build_equity(case: EquityCase) -> _EquityState:
    """Worker state of an ε sweep (the model is built on the first point and kept)."""
    return _EquityState(case)


def run_point(state: _EquityState, item: tuple) -> dict:
    """Task: one point of the frontier.

    `item`: (point, ε as a Fraction string — None = unconstrained[, the only group counts at
    that bound]).
    """
    point, eps_text, *rest = item
    counts = rest[0] if rest else None
    case = state.case
    epsilon = Fraction(eps_text) if eps_text is not None else None
    start = time.perf_counter()
    try:
        if epsilon is None:
            solution, _ = solve_unconstrained(case, workers=case.workers)
        elif counts is not None:
            solution = solve_counts(case, counts, workers=case.workers)
        else:
            if state.points is None:
                state.points = PointModel(case)
            solution = state.points.solve(epsilon, workers=case.workers)
    except PlannerError as exc:
        return {"point": point, "epsilon": eps_text, "status": type(exc).__name__, "selected": b"",
                "objective": math.nan, "best_bound": math.nan, "solve_s": time.perf_counter() - start}
    chosen = solution.selected[:case.n_table]
    return {"point": point, "epsilon": eps_text, "status": solution.status, "objective": solution.objective,
            "best_bound": solution.best_bound, "selected": np.packbits(chosen).tobytes(),
            "solve_s": time.perf_counter() - start}


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
        from planner.show import write_outputs
        binary = {"frontier.png": figure_png(self.plot())} if chart else None
        return write_outputs(Path(out_dir), tables={"frontier.csv": self.table, "frontier_shares.csv": self.shares},
                             json_files={"frontier.json": self.summary}, binary_files=binary,
                             xlsx={"frontier.xlsx": "frontier.csv"})


def frontier(scenario: Scenario | str | Path, *, candidates: pd.DataFrame | str | Path | None = None,
             by: str = "locality", reference: Any = "candidates", index: str = "lh", points: int = 7,
             executor: str = "serial", workers: int | None = None, address: str | None = None,
             client: Any = None, progress: bool | None = None, time_limit_s: float = 60.0,
             seed: int = 0, lookahead: bool = True, verbose: bool = False) -> Frontier:
    """The frontier of total score against equity between groups (ε-constraint method).

    The two ends are single-objective optima: the unconstrained round (best score; its index
    is the largest ε worth asking for) and the most balanced slate the hard rules allow
    (`balance.most_balanced`), solved for its best score. The points between hold the index at evenly
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
    executor, workers, address, client, progress, verbose
        Where the points run (`sweep.run_tasks`; default here: in this process), the progress
        bar (from the first second: the two ends are its first steps) and Dask's log lines.
    time_limit_s : float
        Budget of each solve (a point not proven optimal in time keeps its best slate, with
        status FEASIBLE and its best_bound).
    lookahead : bool
        False: the round on its own (`sampling.without_lookahead`).

    Raises
    ------
    InputError, PolicyError, InfeasibleError, NoSolutionError
    """
    if points < 2:
        raise InputError([Problem("equity", f"points = {points}", say("至少 2 个点（两端）", "at least 2 points (the two ends)"))])
    start = time.perf_counter()
    prepare_charts()                # the chart's matplotlib loads while the points solve
    with Progress(points + 1, "求解不设均衡约束的最优名单", progress) as bar:
        case = prepare_case(scenario, candidates=candidates, by=by, reference=reference, index=index,
                            time_limit_s=time_limit_s, seed=seed, lookahead=lookahead)
        top_solution, cuts = solve_unconstrained(case)
        top = slate_index(top_solution.selected[:case.n_table], case)
        bar.advance(1)
        bar.describe("寻找最均衡的可行名单")
        balanced = most_balanced(case, top, time_limit_s=time_limit_s)
        low, proven = balanced.index, balanced.proven
        bar.advance(1)
        case = dataclasses.replace(case, workers=0 if executor == "serial" else 1, cuts=cuts)
        bounds = [low + (top - low) * Fraction(k, points - 1) for k in range(points - 1)]
        job = make_job(build_equity, case)
        items: list[tuple] = [(k, str(eps)) for k, eps in enumerate(bounds)]
        if proven and len(balanced.counts) == 1:
            # The only group counts a slate at the minimum can have (proven): the balanced end is
            # the best slate with exactly those counts — the same slates as the bound, fewer links.
            items[0] = (0, str(low), balanced.counts[0])
        tasks = [Task(job, "planner.analysis.equity:run_point", item) for item in items]
        bar.describe("前沿上各点（逐步放宽均衡约束）")
        records = run_tasks(tasks, executor=executor, workers=workers, address=address, client=client,
                            bar=bar, verbose=verbose)
    records.append({"point": points - 1, "epsilon": str(top), "status": top_solution.status,
                    "objective": top_solution.objective, "best_bound": top_solution.best_bound,
                    "selected": np.packbits(top_solution.selected[:case.n_table]).tobytes(), "solve_s": 0.0})
    table, share_tables = _frontier_table(records, case, float(top_solution.objective))
    summary = {"name": case.scenario.name, "by": by, "reference": str(reference), "index": index, "points": points,
               "min_index_pp": float(low) * 100, "min_index_proven": proven, "max_index_pp": float(top) * 100,
               "best_objective": top_solution.objective,
               "balanced_objective": float(table["objective"].iloc[0]),
               "cost_of_balance": float(table["score_loss"].iloc[0]),
               "executor": executor, "bounds": [str(b) for b in bounds] + [str(top)],
               "count_vectors_checked": balanced.checked, "wall_s": round(time.perf_counter() - start, 3)}
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
        raise InputError([Problem("equity", say("既没有上限也没有权重", "neither a bound nor a weight"),
                                  say("--max-index 百分点 或 --weight 分值", "--max-index PP or --weight POINTS"))])
    problems = []
    if max_pp is not None and not (math.isfinite(max_pp) and 0 <= max_pp <= 100):
        problems.append(Problem("equity", f"max_pp = {max_pp}", say("0 到 100 个百分点之间的上限",
                                                                    "a bound from 0 to 100 percentage points")))
    if weight is not None and not (math.isfinite(weight) and weight >= 0):
        problems.append(Problem("equity", f"weight = {weight}", say("每个名额的分值，≥ 0", "score points per seat, ≥ 0")))
    if problems:
        raise InputError(problems)
    case, frame, history, prepared = prepare_round(scenario, candidates, by, reference, index, time_limit_s, seed,
                                                   lookahead)
    scenario = case.scenario
    base_solution, cuts = solve_unconstrained(case, workers=workers)
    model = build_model(prepared.frame, scenario, locked=prepared.locked, locked_national=prepared.locked_national,
                        history_rows=prepared.history_rows)
    if cuts is not None:
        cuts.add_to(model)          # every slate keeps them: the same optimum, a far better LP bound
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
