"""How each expert scores: the rater report of a round's score sheets.

Owns `score_report` — what ``planner scores`` does: the sheets read, each project's score made
by the scenario's rule, the raters judged, the workbook and chart written (`ScoreReport.save`) —
and `rater_report`: each expert's deviation from the consensus (the project's score by the
office's rule, `rules.aggregate_scores`) over the projects where the expert's score counts — its
mean (a harsh or lenient expert), its spread and the correlation with the consensus (how
consistent the expert is) — and the single scores far from their project's consensus
(outliers). The yardstick is robust: the median absolute deviation of every counted score from
its consensus, scaled to a standard deviation (×1.4826), so one wild expert does not widen it.

Does not own reading the sheets (`inputs.scores`), the office's rule (`rules.scoring`), the
chart (`show.charts.raters`) nor the workbook (`show.score_book`).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import InputError, Problem
from planner.inputs import read_scores
from planner.lang import say, speaking
from planner.rules import Scenario, ScoringRule, aggregate_scores, load_scenario, read_candidates
from planner.rules.scoring import counted

#: A score more than this many robust standard deviations from its project's consensus is an outlier.
OUTLIER_Z = 3.0
#: An expert is harsh or lenient when the mean deviation is both beyond one robust standard
#: deviation (large enough to matter) and beyond this many standard errors (not chance).
BIAS_SHARE, BIAS_T = 1.0, 3.0
#: An expert is inconsistent when the spread of their deviations is this many times the median expert's.
SPREAD_FACTOR = 1.5
RATER_COLUMNS = ["expert_id", "expert_unit", "n_scores", "n_counted", "n_recused", "mean_deviation",
                 "sd_deviation", "correlation", "n_outliers", "flag"]
OUTLIER_COLUMNS = ["candidate_id", "expert_id", "expert_unit", "score", "consensus", "deviation", "file", "row"]


@dataclass
class RaterReport:
    """The rater report: `raters` one row per expert, `outliers` one row per outlying score.

    Attributes
    ----------
    raters : DataFrame
        expert_id, expert_unit (the units the expert's rows name, 、-joined), n_scores,
        n_counted, n_recused, mean_deviation and sd_deviation (points, score − consensus),
        correlation (with the consensus; NaN under 3 projects), n_outliers, flag (``harsh``,
        ``lenient``, ``inconsistent`` or "").
    outliers : DataFrame
        candidate_id, expert_id, expert_unit, score, consensus, deviation, file, row.
    scale : float
        The robust standard deviation of all deviations (points).
    """

    raters: pd.DataFrame
    outliers: pd.DataFrame
    scale: float


def rater_report(scores: pd.DataFrame, aggregated: pd.DataFrame, candidates: pd.DataFrame,
                 rule: ScoringRule | None = None) -> RaterReport:
    """Each expert against the consensus of the panels they sat on.

    Parameters
    ----------
    scores : DataFrame
        From `inputs.scores.read_scores`.
    aggregated : DataFrame
        From `rules.aggregate_scores` of the same sheets: candidate_id, score.
    candidates : DataFrame
        The candidate table (candidate_id, unit_name, unit_id), for recusal.
    rule : ScoringRule, optional
        The scenario's ``[scoring]`` (which scores count).
    """
    rule = rule or ScoringRule()
    consensus = aggregated.set_index("candidate_id")["score"]
    keep = counted(scores, candidates, rule).to_numpy()
    frame = scores.assign(_counts=keep, consensus=scores["candidate_id"].map(consensus).to_numpy(dtype=float))
    frame["deviation"] = frame["score"] - frame["consensus"]
    used = frame[frame["_counts"] & frame["consensus"].notna()]
    dev = used["deviation"].to_numpy(dtype=float)
    scale = float(1.4826 * np.median(np.abs(dev - np.median(dev)))) if len(dev) else float("nan")
    outlying = np.abs(dev) > OUTLIER_Z * scale if scale > 0 else np.zeros(len(dev), bool)
    outliers = used[outlying].sort_values("deviation", key=np.abs, ascending=False)[OUTLIER_COLUMNS]
    rows = []
    for expert, group in frame.groupby("expert_id", sort=True):
        mine = group[group["_counts"] & group["consensus"].notna()]
        d = mine["deviation"].to_numpy(dtype=float)
        n = len(d)
        mean = float(d.mean()) if n else float("nan")
        sd = float(d.std(ddof=1)) if n > 1 else float("nan")
        corr = float(np.corrcoef(mine["score"], mine["consensus"])[0, 1]) \
            if n >= 3 and mine["score"].std() > 0 and mine["consensus"].std() > 0 else float("nan")
        rows.append([expert, "、".join(sorted({u for u in group["expert_unit"] if u})), len(group), n,
                     int((~group["_counts"]).sum()), mean, sd, corr,
                     int(outliers["expert_id"].eq(expert).sum()), ""])
    raters = pd.DataFrame(rows, columns=RATER_COLUMNS)
    if len(raters):
        se = raters["sd_deviation"] / np.sqrt(raters["n_counted"].clip(lower=1))
        biased = (raters["mean_deviation"].abs() > BIAS_SHARE * scale) & (raters["mean_deviation"].abs() > BIAS_T * se)
        typical = float(np.nanmedian(raters["sd_deviation"])) if raters["sd_deviation"].notna().any() else float("nan")
        loose = raters["sd_deviation"] > SPREAD_FACTOR * typical
        raters["flag"] = np.where(biased & (raters["mean_deviation"] < 0), "harsh",
                                  np.where(biased, "lenient", np.where(loose, "inconsistent", "")))
    return RaterReport(raters=raters, outliers=outliers.reset_index(drop=True), scale=scale)


# --- the whole report of `planner scores` ------------------------------------------------------------


@dataclass
class ScoreReport:
    """A round's score sheets read, aggregated by the scenario's rule, and the raters judged.

    Attributes
    ----------
    aggregated : DataFrame
        `rules.aggregate_scores` (candidates without any score left out; `missing` counts them).
    raters : RaterReport
    scores : DataFrame
        The sheets' scores (`inputs.read_scores`).
    candidates : DataFrame
        The round's candidate table.
    rule : ScoringRule
    missing : list of str
        Candidates of the table without any score on the sheets.
    """

    aggregated: pd.DataFrame
    raters: RaterReport
    scores: pd.DataFrame
    candidates: pd.DataFrame
    rule: ScoringRule
    missing: list[str]

    def plot_raters(self):
        """The rater chart (`show.charts.raters.plot_raters`): a matplotlib Figure, never shown."""
        from planner.show.charts.raters import plot_raters
        return plot_raters(self.raters.raters, scale=self.raters.scale)

    def save(self, path: str | Path, *, chart: bool = True, inputs: Sequence[str | Path] = ()) -> list[Path]:
        """Write the score workbook to `path` (.xlsx) and the rater chart beside it (``<stem>-raters.png``).

        Both are rendered before either is written; each is written atomically, and the chart is
        removed again if the workbook cannot be written.
        """
        from planner.analysis.figures import figure_png
        from planner.show import atomic_write_bytes
        from planner.show.score_book import score_book_bytes

        path = Path(path)
        if path.suffix.lower() != ".xlsx":
            raise InputError([Problem(str(path), say(f"扩展名“{path.suffix}”", f'the extension "{path.suffix}"'),
                                      say("一个 .xlsx 文件名，如 out/评分汇总.xlsx", "an .xlsx file name, e.g. out/scores.xlsx"))])
        book = score_book_bytes(self.aggregated, self.raters.raters, self.raters.outliers, candidates=self.candidates,
                                rule_text=_chinese(self.rule), sheets=self.scores.attrs.get("sheets"),
                                scale=self.raters.scale)
        png = figure_png(self.plot_raters()) if chart else None
        written = []
        chart_path = path.with_name(f"{path.stem}-raters.png")
        if png is not None:
            written.append(atomic_write_bytes(chart_path, png, inputs=inputs))
        try:
            written.insert(0, atomic_write_bytes(path, book, inputs=inputs))
        except BaseException:
            if png is not None:
                chart_path.unlink(missing_ok=True)
            raise
        return written


def _chinese(rule: ScoringRule) -> str:
    """The rule in words for the workbook, which is Chinese whatever the terminal speaks."""
    with speaking("zh"):
        return rule.describe()


def score_report(scenario: Scenario | str | Path, sheets: str | Path | Sequence[str | Path], *,
                 candidates: pd.DataFrame | str | Path | None = None) -> ScoreReport:
    """Read a round's score sheets, make each project's score by the scenario's ``[scoring]``, judge the raters.

    Parameters
    ----------
    scenario : Scenario or path
    sheets : path or paths
        Expert score sheets (`inputs.read_scores`).
    candidates : DataFrame or path, optional
        Replaces the scenario's candidate table.

    Raises
    ------
    InputError, PolicyError
        A sheet's problem, a project with too few counted scores, a bad scenario or table.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    frame = read_candidates(scenario, candidates)
    scores = read_scores(sheets, projects=frame["candidate_id"].astype(str).tolist())
    aggregated = aggregate_scores(scores, frame, scenario.scoring, complete=False)
    missing = sorted(set(frame["candidate_id"].astype(str)) - set(aggregated["candidate_id"]))
    return ScoreReport(aggregated=aggregated, raters=rater_report(scores, aggregated, frame, scenario.scoring),
                       scores=scores, candidates=frame, rule=scenario.scoring, missing=missing)
