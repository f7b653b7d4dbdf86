"""The quota chart: how much of each locality (市州) and 高职-tier cap a round used.

Owns `plot_quota_use` and its two kinds of panel (each locality against its cap; per tier, the
caps of the 高职 schools that filed added up, the part used at full caps marked). Does not own
the table it draws (`tables.quota_use_table`).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from planner.errors import InputError, Problem
from planner.inputs import load_catalogue, suggest
from planner.show.charts._base import (
    BLUE,
    CAP_GREY,
    FONT_PT,
    PAGE_WIDTH_IN,
    VERMILION,
    _empty,
    _figure,
    _number,
    _style,
    _task_title,
    _wrap,
)
from planner.show.charts.tables import Run, quota_tasks, quota_use_table, read_run

if TYPE_CHECKING:
    from planner.result import SolvedRound


def plot_quota_use(result_or_outdir: "SolvedRound | Run | str | Path", task: str | None = None) -> Figure:
    """Use of each locality (市州) and 高职-tier cap, per task: used against cap, full caps marked.

    One row of panels per task: left, each locality's used count against its cap; right, per
    tier, the caps of every 高职 school that filed added up, the part used by schools at their
    cap in vermilion and the number of such schools.

    Parameters
    ----------
    result_or_outdir : SolvedRound, Run, or path of an output folder
        The solved round (see `read_run`; needs rules and slate columns of `quota_use_table`).
    task : str, optional
        A task code (``resource_library`` …); all tasks with caps when omitted.

    Raises
    ------
    InputError
        `task` is not a catalogue task code.
    """
    run = read_run(result_or_outdir)
    table = quota_use_table(run)
    cat = load_catalogue()
    if task is not None and task not in cat.tasks:
        raise InputError([Problem("plot_quota_use", f'task "{task}"', "a task code of the catalogue",
                                  hint=suggest(task, list(cat.tasks)))])
    tasks = [task] if task is not None else quota_tasks(run)
    panels: list[list[tuple[str, pd.DataFrame]]] = []
    for code in tasks:
        rows = table[table["task"] == code]
        row_panels = [(rule_id, rows[rows["rule_id"] == rule_id])
                      for rule_id in dict.fromkeys(rows.loc[rows["kind"] == "locality", "rule_id"])]
        if (rows["kind"] == "tier").any():
            row_panels.append(("tier", rows[rows["kind"] == "tier"]))
        panels.append(row_panels)
    n_cols = max([len(p) for p in panels] + [1])
    heights = [max([_panel_height(frame) for _, frame in p] + [1.2]) for p in panels] or [1.5]
    fig = _figure(PAGE_WIDTH_IN, sum(heights) + 0.9)
    name = run.summary.get("name", "")
    years = tuple(run.scenario.years) if run.scenario is not None else ()
    # Period quotas count every year of the period together: say so, not just this round's year.
    span = f"{years[0]}–{years[1]}累计" if len(years) == 2 and years[0] != years[1] else ""
    heading = f"限额使用：{span}已用 / 限额"
    fig.suptitle(f"{name}\n{heading}" if name else heading, fontsize=FONT_PT + 2.5)
    if not tasks or not any(panels):
        _empty(fig.add_subplot(), f"{_task_title(task) if task else '本轮'}没有市（州）或高职学校分档限额")
        return fig
    grid = fig.add_gridspec(len(panels), n_cols, height_ratios=heights,
                            width_ratios=[1.25] + [1.0] * (n_cols - 1) if n_cols > 1 else [1])
    for i, (code, row_panels) in enumerate(zip(tasks, panels)):
        if not row_panels:
            _empty(fig.add_subplot(grid[i, :]), f"{_task_title(code)}：没有市（州）或高职学校分档限额")
            continue
        for j, (key, frame) in enumerate(row_panels):
            ax = fig.add_subplot(grid[i, j])
            if key == "tier":
                _draw_tier_panel(ax, frame, code)
            else:
                _draw_locality_panel(ax, frame, code)
    fig.legend(handles=[Patch(color=CAP_GREY, label="限额"), Patch(color=BLUE, label="已用"),
                        Patch(color=VERMILION, label="已用（名额已用满）")],
               loc="outside lower center", ncols=3, fontsize=FONT_PT, frameon=False)
    return fig


def _panel_height(frame: pd.DataFrame) -> float:
    n = len(frame) if frame["kind"].iat[0] == "locality" else frame["rule_id"].nunique()
    return 0.55 + 0.19 * n


def _draw_locality_panel(ax, frame: pd.DataFrame, task: str) -> None:
    order = {name: i for i, name in enumerate(load_catalogue().localities)}
    frame = frame.sort_values("group", key=lambda s: s.map(order).fillna(len(order)))
    y = np.arange(len(frame))
    used, cap, binding = frame["used"].to_numpy(float), frame["cap"].to_numpy(float), frame["binding"].to_numpy(bool)
    ax.barh(y, cap, color=CAP_GREY, height=0.8)
    ax.barh(y, used, color=np.where(binding, VERMILION, BLUE), height=0.5)
    right = float(max(cap.max(), used.max()))
    for yi, u, c in zip(y, used, cap):
        ax.text(max(u, c) + right * 0.02, yi, f"{_number(u)}/{_number(c)}", va="center", fontsize=FONT_PT - 1)
    ax.set_yticks(y, frame["group"].tolist())
    ax.invert_yaxis()
    ax.set_xlim(0, right * 1.28)
    ax.set_ylim(len(frame) - 0.5, -0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _style(ax)
    track = frame["track"].iat[0]
    ax.set_title(f"{_task_title(task, track)}\n各市（州）限额（满额 {int(binding.sum())}/{len(frame)}）",
                 fontsize=FONT_PT + 0.5, loc="left")
    ax.set_xlabel("项目数", fontsize=FONT_PT)


def _draw_tier_panel(ax, frame: pd.DataFrame, task: str) -> None:
    cat = load_catalogue()
    tier_order = {code: i for i, code in enumerate(cat.tiers)}
    summary = (frame.assign(_full=frame["used"].where(frame["binding"], 0.0),
                            _part=frame["used"].where(~frame["binding"], 0.0))
               .groupby(["rule_id", "tier", "track"], sort=False)
               .agg(cap=("cap", "sum"), full=("_full", "sum"), part=("_part", "sum"),
                    schools=("group", "size"), at_cap=("binding", "sum"), per_school=("cap", "max"))
               .reset_index())
    summary = summary.sort_values("tier", key=lambda s: s.map(tier_order).fillna(len(tier_order)))
    y = np.arange(len(summary))
    cap, full, part = (summary[c].to_numpy(float) for c in ("cap", "full", "part"))
    ax.barh(y, cap, color=CAP_GREY, height=0.8)
    ax.barh(y, full, color=VERMILION, height=0.5)
    ax.barh(y, part, left=full, color=BLUE, height=0.5)
    right = float(max(cap.max(), (full + part).max()))
    for yi, used, c, n, k in zip(y, full + part, cap, summary["schools"], summary["at_cap"]):
        ax.text(c + right * 0.02, yi, f"{_number(used)}/{_number(c)}\n满额 {int(k)}/{int(n)} 校",
                va="center", fontsize=FONT_PT - 1.5, linespacing=1.0)
    labels = [f"{_wrap(cat.label('tier', t), 9)}\n（每校≤{_number(p)}）"
              for t, p in zip(summary["tier"], summary["per_school"])]
    ax.set_yticks(y, labels, fontsize=FONT_PT - 1)
    ax.set_xlim(0, right * 1.45)
    ax.set_ylim(len(summary) - 0.5, -0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _style(ax)
    ax.set_title("高职学校分档限额\n（申报学校限额合计）", fontsize=FONT_PT + 0.5, loc="left")
    ax.set_xlabel("项目数", fontsize=FONT_PT)
