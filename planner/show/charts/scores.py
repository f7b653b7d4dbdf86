"""The score chart: selected and not selected candidates' scores per task and track, with cut-offs.

Owns `plot_scores` (each group's lowest selected score, the scenario's pass mark when known).
Does not own the run it reads (`tables.read_run`).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from planner.inputs import load_catalogue
from planner.show.charts._base import (
    BLUE,
    FONT_PT,
    GREY,
    ORANGE,
    PAGE_WIDTH_IN,
    VERMILION,
    _empty,
    _figure,
    _number,
    _style,
    _task_title,
    _wrap,
)
from planner.show.charts.tables import Run, read_run

if TYPE_CHECKING:
    from planner.result import SolvedRound


def plot_scores(result_or_outdir: "SolvedRound | Run | str | Path") -> Figure:
    """Scores of selected and not selected candidates per task and track, with each cut-off.

    The cut-off of a group is its lowest selected score (the vermilion tick and number). The
    pass mark of the scenario, when known, is a dotted line.

    Parameters
    ----------
    result_or_outdir : SolvedRound, Run, or path of an output folder
        Needs slate columns year, task, track, score, selected.
    """
    run = read_run(result_or_outdir)
    slate = run.slate[run.slate["year"] == run.year]
    score = pd.to_numeric(slate["score"], errors="coerce")
    frame = slate.assign(_score=score, _selected=slate["selected"].astype(int) == 1)[
        ["task", "track", "_score", "_selected"]].dropna(subset=["_score"])
    cat = load_catalogue()
    task_order = {code: i for i, code in enumerate(cat.tasks)}
    groups = (frame[["task", "track"]].drop_duplicates()
              .assign(_o=lambda f: f["task"].map(task_order).fillna(len(task_order)))
              .sort_values(["_o", "track"]))
    keys = list(zip(groups["task"], groups["track"]))
    fig = _figure(PAGE_WIDTH_IN, 1.1 + 0.3 * max(len(keys), 3))
    fig.suptitle(f"{run.year}年评审分数分布：入选与未入选（朱红色竖线为各组入选最低分）", fontsize=FONT_PT + 2.5)
    ax = fig.add_subplot()
    if not keys:
        _empty(ax, "没有候选项目")
        return fig
    rng = np.random.default_rng(0)          # fixed jitter: the same picture every run
    index = pd.MultiIndex.from_tuples(keys)
    position = pd.Series(np.arange(len(keys)), index=index)
    row = position.reindex(pd.MultiIndex.from_arrays([frame["task"], frame["track"]])).to_numpy()
    jitter = rng.uniform(-0.12, 0.12, len(frame))
    chosen = frame["_selected"].to_numpy()
    ax.scatter(frame["_score"].to_numpy()[~chosen], row[~chosen] + 0.18 + jitter[~chosen], s=5, color=GREY,
               alpha=0.55, linewidths=0, label="未入选")
    ax.scatter(frame["_score"].to_numpy()[chosen], row[chosen] - 0.18 + jitter[chosen], s=5, color=BLUE,
               alpha=0.75, linewidths=0, label="入选")
    cut = frame[frame["_selected"]].groupby(["task", "track"])["_score"].min().reindex(index)
    # Left out although above their group's cut-off: a quota or target was full, or places were
    # kept for later years (the reason is in explanations.csv and each unit's feedback letter).
    above = ~chosen & (frame["_score"].to_numpy() > cut.to_numpy()[row.astype(int)])
    ax.scatter(frame["_score"].to_numpy()[above], row[above] + 0.18 + jitter[above], s=14, facecolors="none",
               edgecolors=ORANGE, linewidths=0.7, zorder=3)
    # each group's cut-off: a tick on its row and, in a column right of the plot, its value
    ax.text(1.01, 1.0, "入选\n最低分", transform=ax.transAxes, ha="left", va="bottom", fontsize=FONT_PT - 1)
    for yi, value in zip(position.to_numpy(), cut.to_numpy()):
        if not np.isnan(value):
            ax.vlines(value, yi - 0.42, yi + 0.42, color=VERMILION, linewidth=1.6)
        ax.text(1.01, yi, "无入选" if np.isnan(value) else f"{value:.1f}", transform=ax.get_yaxis_transform(),
                ha="left", va="center", fontsize=FONT_PT - 1, color=GREY if np.isnan(value) else VERMILION)
    lo = float(frame["_score"].min())
    pass_mark = getattr(run.scenario, "pass_mark", None) if run.scenario is not None else None
    handles = [Line2D([], [], marker="o", linestyle="", color=BLUE, label="入选"),
               Line2D([], [], marker="o", linestyle="", color=GREY, label="未入选"),
               Line2D([], [], marker="o", linestyle="", markerfacecolor="none", color=ORANGE,
                      label="高于最低分而未入选（限额或目标已满、名额留给后续年度）"),
               Line2D([], [], color=VERMILION, label="入选最低分")]
    if pass_mark is not None:
        ax.axvline(pass_mark, color="black", linestyle=":", linewidth=1.0)
        handles.append(Line2D([], [], color="black", linestyle=":", label=f"及格线 {_number(pass_mark)}"))
    ax.set_yticks(position.to_numpy(), [_wrap(_task_title(t, tr), 15) for t, tr in keys], fontsize=FONT_PT - 1)
    ax.set_ylim(len(keys) - 0.5, -0.5)
    ax.set_xlabel("专家评审分数", fontsize=FONT_PT)
    ax.set_xlim(lo - 1.5, float(frame["_score"].max()) + 1.5)
    _style(ax)
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 3), fontsize=FONT_PT, frameon=False)
    return fig
