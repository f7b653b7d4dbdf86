"""The brief's target chart: how far each province-wide target has come, as a progress bar.

Owns `plot_target_summary`: one bar per target, full when the target is reached, split into
earlier years and this year, with the count and what is still missing written beside it. The
planner's detailed chart (stacked by year, shares past 100 %, a plan's tentative years) is
`targets.plot_target_progress`. Does not own the table (`tables.target_table`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from planner.show.charts._base import (
    BLUE,
    CAP_GREY,
    FONT_PT,
    GREEN,
    PAGE_WIDTH_IN,
    SKY,
    VERMILION,
    _empty,
    _figure,
    _number,
    _style,
    _wrap,
)
from planner.show.charts.tables import target_table

HEIGHT_PER_TARGET_IN = 0.29


def target_status(ledger: pd.DataFrame, year: int) -> pd.DataFrame:
    """Each province-wide target as it stands after `year`'s round.

    Parameters
    ----------
    ledger : DataFrame
        A ledger `tables.target_table` reads.
    year : int
        The round: decided use of this year and every earlier one counts.

    Returns
    -------
    DataFrame
        rule_id, label, earlier (decided before `year`), this_year, total, target_min, max,
        reached (total ≥ target_min), over (total above the band's ``max``), missing (still
        needed to reach target_min, ≥ 0).
    """
    table = target_table(ledger)
    table = table[table["year"] <= year]
    columns = ["rule_id", "label", "earlier", "this_year", "total", "target_min", "max", "reached", "over", "missing"]
    if table.empty:
        return pd.DataFrame(columns=columns)
    grouped = table.assign(earlier=table["used"].where(table["year"] < year, 0.0),
                           this_year=table["used"].where(table["year"] == year, 0.0))
    out = grouped.groupby("rule_id", sort=False).agg(
        label=("label", "first"), earlier=("earlier", "sum"), this_year=("this_year", "sum"),
        target_min=("target_min", "first"), max=("max", "first")).reset_index()
    out["total"] = out["earlier"] + out["this_year"]
    out["reached"] = out["total"] >= out["target_min"]
    out["over"] = out["max"].notna() & (out["total"] > out["max"])
    out["missing"] = (out["target_min"] - out["total"]).clip(lower=0)
    return out[columns]


def plot_target_summary(ledger: pd.DataFrame, year: int, *, by: int | None = None,
                        width_in: float = PAGE_WIDTH_IN) -> Figure:
    """Progress toward each province-wide target after `year`'s round, one bar per target.

    A bar is full when the target is reached (an "about N" target counts as reached at the
    lower end of its range); earlier years light, this year dark. Beside it: how many are
    done, and 已达到 or how many are still missing (vermilion), or how far past the range.

    Parameters
    ----------
    ledger : DataFrame
        A ledger `tables.target_table` reads.
    year : int
        The round.
    by : int, optional
        The year the targets are due, for the title.
    width_in : float
        Width in inches; the height follows the number of targets.
    """
    status = target_status(ledger, year)
    fig = _figure(width_in, 0.75 + HEIGHT_PER_TARGET_IN * max(len(status), 3))
    due = f"到{by}年" if by else ""
    fig.suptitle(f"{due}建设目标完成情况（截至{year}年度）", fontsize=FONT_PT + 1.5)
    ax = fig.add_subplot()
    if status.empty:
        _empty(ax, "没有全省建设目标")
        return fig
    y = np.arange(len(status))
    goal = status["target_min"].to_numpy(float)
    total = status["total"].to_numpy(float)
    scale = np.divide(100.0, np.maximum(goal, total), out=np.zeros_like(goal), where=np.maximum(goal, total) > 0)
    earlier = status["earlier"].to_numpy(float) * scale
    now = status["this_year"].to_numpy(float) * scale
    ax.barh(y, 100, height=0.62, color=CAP_GREY, zorder=1)
    ax.barh(y, earlier, height=0.62, color=SKY, zorder=2, label="以往年度" if earlier.any() else None)
    ax.barh(y, now, left=earlier, height=0.62, color=BLUE, zorder=2, label=f"{year}年度")
    for yi, row in zip(y, status.to_dict("records")):
        if row["over"]:
            # a target aimed at N (max = N) is passed, not a ceiling broken: 比目标多
            word = "比目标多" if row["max"] == row["target_min"] else "超出上限"
            mark, colour = f"{word} {_number(row['total'] - row['max'])}", VERMILION
        elif row["reached"]:
            mark, colour = "已达到", GREEN
        else:
            mark, colour = f"还差 {_number(row['missing'])}", VERMILION
        ax.text(103, yi, f"已完成 {_number(row['total'])}", va="center", fontsize=FONT_PT)
        ax.text(127, yi, mark, va="center", fontsize=FONT_PT, color=colour)
    ax.set_xlim(0, 150)
    ax.set_xticks([])
    ax.spines["bottom"].set_visible(False)
    ax.set_yticks(y, [_wrap(label, 18) for label in status["label"]])
    ax.set_ylim(len(status) - 0.5, -0.5)
    _style(ax)
    ax.grid(False)
    ax.tick_params(axis="y", labelsize=FONT_PT + 0.5)
    ax.legend(loc="lower center", bbox_to_anchor=(0.35, 1.0), ncols=2, fontsize=FONT_PT, frameon=False,
              borderaxespad=0.1)
    return fig
