"""How sure is the slate? The robustness report: selection probabilities, bands and flip margins.

Owns `robust` — solve a round, re-solve it under score samples and find every candidate's
exact flip margin — and its result: the robustness table (selection probability with a Wilson
interval, a certain / marginal / out band, flip margin, what decides each candidate) and the
chart of the marginal candidates.

Does not own the score spread (`analysis.spread`), the re-solves (`analysis.resolver`), the
sample and margin tasks (`analysis.sampling`), the executors (`analysis.sweep`), the model and
its rules (`model`), nor the nominal slate and its audit (`rounds.finish`). A sample decides the
provincial slate only: national picks are drawn from a settled slate by a later phase and are
not re-sampled.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from planner.analysis.figures import figure_png, prepare_charts, use_font
from planner.analysis.sampling import (
    Case,
    build_case,
    flip_tasks,
    gather_samples,
    sample_tasks,
    wilson,
    without_lookahead,
)
from planner.analysis.spread import Spread, panel_spread, score_spread
from planner.analysis.sweep import Progress, make_job, run_tasks
from planner.errors import InputError, PlannerError, Problem
from planner.lang import say
from planner.model import Model, build_model
from planner.rounds import Result
from planner.rounds.chain import scored_candidates
from planner.rounds.finish import finish
from planner.rules import Scenario, blocked_reason, load_scenario, numeric_column, panels, pinned_in, read_round
from planner.solver import solve_model

log = logging.getLogger(__name__)

BANDS = ("certain", "marginal", "out")
MARGIN_MODES = ("all", "marginal", "none")


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
           sample_time_limit_s: float = 60.0, lookahead: bool = True, verbose: bool = False,
           scores: str | Path | Sequence[str | Path] | None = None) -> RobustResult:
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
    executor, workers, address, client, progress, verbose
        Where the samples and counterfactuals run, the progress bar (shown from the first
        second: the nominal solve is its first step) and Dask's own log lines (see
        `sweep.run_tasks`).
    time_limit_s : float
        Budget of the nominal solve.
    sample_time_limit_s : float
        Budget of each re-solve.
    lookahead : bool
        False: solve the round on its own, without the scenario's lookahead
        (`without_lookahead`) — the nominal slate, samples and margins alike.
    scores : path or paths, optional
        Expert score sheets: the scores are made from the panels by the scenario's
        ``[scoring]`` and each sample draws every panel again (`spread.panel_spread`);
        `score_sd`, `sd_column` and `reviewers` are then not read.

    Raises
    ------
    InputError, PolicyError, InfeasibleError, NoSolutionError
        As `planner.solve`; InputError also for a missing spread or bad options.
    """
    problems = []
    if margins not in MARGIN_MODES:
        problems.append(Problem("options", f'margins = "{margins}"', say("以下之一：" + "、".join(MARGIN_MODES), "one of " + ", ".join(MARGIN_MODES))))
    if not 0 <= out < certain <= 1:
        problems.append(Problem("options", f"out = {out}, certain = {certain}", "0 ≤ out < certain ≤ 1"))
    if samples < 1:
        problems.append(Problem("options", f"samples = {samples}", say("至少 1 个样本", "at least 1 sample")))
    if problems:
        raise InputError(problems)
    start = time.perf_counter()
    prepare_charts()                # the chart's matplotlib loads while the samples solve
    with Progress(1, "求解原始评分下的名单", progress) as bar:
        if not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario)
        if not lookahead:
            scenario = without_lookahead(scenario)
        panel = None
        if scores is not None:               # the panels' scores, each sample a panel drawn again
            candidates, scored, sheet = scored_candidates(scenario, candidates, scores)
            panel = panel_spread(panels(sheet, candidates, scenario.scoring), scenario.scoring)
        frame, history, prepared = read_round(scenario, candidates)
        spread = panel or score_spread(frame, score_column=scenario.maximise, score_sd=score_sd,
                                       sd_column=sd_column, reviewers=reviewers)
        model = build_model(prepared.frame, scenario, locked=prepared.locked,
                            locked_national=prepared.locked_national, history_rows=prepared.history_rows)
        solution = solve_model(model, time_limit_s=time_limit_s, seed=seed)
        result = finish(scenario, frame, history, prepared, model, solution, seed=seed, workers=0,
                        time_limit_s=time_limit_s)
        bar.advance(1)
        case = Case(scenario=scenario, frame=prepared.frame, locked=prepared.locked,
                    locked_national=prepared.locked_national, n_table=len(frame), spread=spread, seed=seed,
                    time_limit_s=sample_time_limit_s, label=scenario.label)
        job = make_job(build_case, case)
        decidable = _decidable(model, scenario, len(frame))

        processes = workers or os.cpu_count() or 1
        tasks = sample_tasks(case, samples, job)
        if margins == "all":
            # The margins first, largest group first: the samples, short and alike, fill in after
            # them, so that the workers finish together.
            tasks = flip_tasks(job, model, np.flatnonzero(decidable), processes) + tasks
        bar.describe("评分抽样与翻转边际" if margins == "all" else "评分抽样")
        # One task per chunk: a group of margins can take much longer than a sample.
        records = run_tasks(tasks, executor=executor, workers=workers, address=address, client=client,
                            chunk_size=1, bar=bar, verbose=verbose)
        sample_records = [r for r in records if "sample" in r]
        flips = [f for r in records for f in r.get("flips", [])]
        runs = gather_samples(sample_records, {case.label: case}, 0.0)
        matrix = runs.selections[case.label]
        probability, n_solved = runs.probability(case.label)
        if n_solved == 0:
            raise PlannerError(say(f"没有一个样本在 {sample_time_limit_s:g} 秒内解出：请调高 sample_time_limit_s",
                                   f"no sample was solved within {sample_time_limit_s:g} s: raise sample_time_limit_s"))
        band = np.where(probability >= certain, "certain", np.where(probability <= out, "out", "marginal"))
        if margins == "marginal":
            rows = np.flatnonzero(decidable & (band == "marginal"))
            bar.describe("边缘项目的翻转边际")
            records = run_tasks(flip_tasks(job, model, rows, processes), executor=executor, workers=workers,
                                address=address, client=client, chunk_size=1, bar=bar,
                                verbose=verbose) if len(rows) else []
            flips = [f for r in records for f in r["flips"]]
    nominal_selected = result.slate["selected"].to_numpy(dtype=bool)
    if not np.array_equal(matrix[0], nominal_selected):
        differ = int((matrix[0] != nominal_selected).sum())
        log.warning(say(f"按原分数重新求解的名单与规划名单有 {differ} 行不同",
                        f"the re-solved nominal slate differs from the planner's in {differ} rows"))
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
    if panel is not None:
        summary["scores"] = {"sheets": scored.attrs["sheets"], "rule": scored.attrs["rule"],
                             "text": scenario.scoring.describe()}
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
