"""The calendar chart: the notice's deadlines and reporting windows per task.

Owns `plot_calendar` (diamonds for deadlines, bars for windows, entries explained under the
chart). Does not own reading the scenario's ``[[calendar]]`` entries into dates
(`tables.calendar_table`).
"""
from __future__ import annotations

import datetime as dt
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
    GREEN,
    ORANGE,
    PAGE_WIDTH_IN,
    PURPLE,
    SKY,
    VERMILION,
    _empty,
    _figure,
    _task_title,
    _wrap,
)
from planner.show.charts.tables import calendar_table

if TYPE_CHECKING:
    from planner.rules import Scenario


def plot_calendar(scenario: "Scenario | str | Path") -> Figure:
    """The notice's deadlines (diamonds) and reporting windows (bars) per task, from the scenario.

    Rows are the tasks named by the scenario's ``[[calendar]]`` entries, then one row per
    entry that concerns every task; colours are entries, explained under the chart with their
    dates and clause.

    Parameters
    ----------
    scenario : Scenario or path of a scenario TOML file
        Its ``calendar`` entries (see `calendar_table`) and its period.
    """
    from planner.rules import Scenario as _Scenario
    from planner.rules import load_scenario

    if not isinstance(scenario, _Scenario):
        scenario = load_scenario(scenario)
    table = calendar_table(scenario)
    cat = load_catalogue()
    task_order = {code: i for i, code in enumerate(cat.tasks)}
    task_rows = sorted({r for r in table["row"] if not r.startswith("*:")},
                       key=lambda r: task_order.get(r, len(task_order)))
    all_rows = list(dict.fromkeys(r for r in table["row"] if r.startswith("*:")))
    rows = task_rows + all_rows
    entries = list(dict.fromkeys(table["entry"]))
    legend_lines = len(entries)          # an upper bound: lines that say the same are merged below
    fig = _figure(PAGE_WIDTH_IN, 1.0 + 0.36 * max(len(rows), 3) + 0.2 * legend_lines)
    fig.suptitle(f"工作日历：申报截止（◆）与填报窗口（▬），{scenario.years[0]}–{scenario.years[1]}年",
                 fontsize=FONT_PT + 2.5)
    ax = fig.add_subplot()
    if table.empty:
        _empty(ax, "情景文件中没有 [[calendar]] 日程")
        return fig
    palette = [BLUE, VERMILION, GREEN, ORANGE, PURPLE, SKY, "#7F6000", "#444444"]
    # One colour and one legend line per event: entries that say the same (the same step of
    # several tasks or years) share them, so the legend never repeats a line.
    firsts_of_entry = table.drop_duplicates("entry").set_index("entry")
    events = list(dict.fromkeys(firsts_of_entry.loc[entries, "event"]))
    colour_of_event = {ev: palette[k % len(palette)] for k, ev in enumerate(events)}
    colour = {e: colour_of_event[firsts_of_entry.at[e, "event"]] for e in entries}
    # the event named once, then each of its clauses with its dates
    lines = {ev: _wrap(ev + "：" + "；".join(f"{firsts_of_entry.at[e, 'clause']} {firsts_of_entry.at[e, 'rule']}"
                                              for e in entries if firsts_of_entry.at[e, "event"] == ev), 58)
             for ev in events}
    y_of = {r: k for k, r in enumerate(rows)}
    y = table["row"].map(y_of).to_numpy(float)
    start = pd.to_datetime(table["start"]).to_numpy()
    end = pd.to_datetime(table["end"]).to_numpy()
    colours = table["entry"].map(colour).to_numpy()
    window = end > start
    ax.barh(y[window], (end[window] - start[window]) / np.timedelta64(1, "D"), left=start[window], height=0.42,
            color=colours[window])
    ax.scatter(start[~window], y[~window], marker="D", s=26, color=colours[~window], zorder=3,
               edgecolors="white", linewidths=0.5)
    # the first deadline of each row gets its date written beside it (the legend has the rest)
    firsts = table[~window].sort_values("start").drop_duplicates("row")
    for r, d in zip(firsts["row"], firsts["start"]):
        ax.annotate(d.strftime("%m-%d"), (pd.Timestamp(d), y_of[r]), xytext=(-5, 0), textcoords="offset points",
                    ha="right", va="center", fontsize=FONT_PT - 2, color="#333333")
    labels = [_wrap(_task_title(r), 14) if not r.startswith("*:") else _wrap("全部：" + r[2:], 14) for r in rows]
    ax.set_yticks(np.arange(len(rows)), labels, fontsize=FONT_PT - 1)
    ax.set_ylim(len(rows) - 0.5, -0.7)
    lo = pd.Timestamp(min(table["start"])) - pd.Timedelta(days=80)     # room for the first date label
    hi = pd.Timestamp(dt.date(scenario.years[1], 12, 31)) + pd.Timedelta(days=10)
    ax.set_xlim(lo, hi)
    years = list(range(lo.year + 1, hi.year + 1))
    ax.set_xticks([pd.Timestamp(dt.date(yr, 1, 1)) for yr in years], [f"{yr}年" for yr in years])
    ax.set_xticks([pd.Timestamp(dt.date(yr, m, 1)) for yr in range(lo.year, hi.year + 1) for m in (4, 7, 10)
                   if lo <= pd.Timestamp(dt.date(yr, m, 1)) <= hi], minor=True)
    ax.tick_params(axis="x", which="minor", length=2)
    ax.grid(axis="x", which="major", color="#BBBBBB", linewidth=0.8)
    ax.grid(axis="x", which="minor", color="#EEEEEE", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=FONT_PT - 0.5, length=2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if all_rows:
        ax.axhline(len(task_rows) - 0.5, color="#999999", linewidth=0.6, linestyle="--")
    handles = [Line2D([], [], color=colour_of_event[ev], marker="s", linestyle="", markersize=6, label=lines[ev])
               for ev in events]
    fig.legend(handles=handles, loc="outside lower left", ncols=1, fontsize=FONT_PT - 1, frameon=False,
               handletextpad=0.3, labelspacing=0.35)
    return fig
