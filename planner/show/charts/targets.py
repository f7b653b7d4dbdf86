"""The target chart: progress toward each province-wide target, year by year.

Owns `plot_target_progress` (decided years solid, a plan's tentative years hatched, "about N"
bands shaded, bars cut at `CAP_PERCENT`). Does not own the table it draws
(`tables.target_table`) nor the ledger that table reads (`ledger`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

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
    _number,
    _style,
    _wrap,
)
from planner.show.charts.tables import target_table

CAP_PERCENT = float("inf")  # target progress: bars are no longer cut (kept for callers that read it)


def plot_target_progress(ledger: pd.DataFrame) -> Figure:
    """Progress toward each province-wide target, stacked by year, as a share of the target.

    The target of an "about N" band (``target_min`` and ``max``) is the middle of the band,
    drawn as a shaded range; an "at least N" target is its ``target_min``. Decided years are
    solid, a plan's tentative years (``planned_<year>`` of the ledger) hatched after them.

    Parameters
    ----------
    ledger : DataFrame
        The ledger of `planner.ledger`, or a long frame: rule_id, group, year, used, target_min;
        optional planned, text (or task/track) for the label, max for the upper end of a band
        (see `target_table`).
    """
    table = target_table(ledger)
    targets = list(dict.fromkeys(table["rule_id"]))
    fig = _figure(PAGE_WIDTH_IN, 1.0 + 0.34 * max(len(targets), 3))
    fig.suptitle("目标完成进度（各年度堆叠、全部显示，占目标值的百分比）", fontsize=FONT_PT + 2.5)
    ax = fig.add_subplot()
    if not targets:
        _empty(ax, "台账中没有全省目标")
        return fig
    years = sorted(table["year"].unique())
    first = table.drop_duplicates("rule_id").set_index("rule_id").loc[targets]
    low = first["target_min"].to_numpy(float)
    high = pd.to_numeric(first["max"], errors="coerce").to_numpy(float)
    has_band = ~np.isnan(high) & (high > low)
    goal = np.where(has_band, (low + np.where(has_band, high, 0)) / 2, low)
    y = np.arange(len(targets))

    def share(values: np.ndarray) -> np.ndarray:
        return np.divide(values, goal, out=np.zeros_like(values), where=goal > 0) * 100

    ax.barh(y[has_band], share(high)[has_band] - share(low)[has_band], left=share(low)[has_band], height=0.86,
            color="#EDEDED", zorder=0)
    left = np.zeros(len(targets))
    colours = dict(zip(years, _year_colours(len(years))))
    for kind in ("used", "planned"):            # decided years first, then a plan's tentative picks
        for year in years:
            part = table[table["year"] == year].set_index("rule_id")[kind].reindex(targets).fillna(0).to_numpy(float)
            if kind == "planned" and not part.any():
                continue
            if kind == "used" and not part.any() and table.loc[table["year"] == year, "planned"].any():
                continue                        # a year only planned: no empty "decided" legend entry
            style = (dict(color=colours[year], label=f"{year}年") if kind == "used" else
                     dict(facecolor="white", edgecolor=colours[year], hatch="////", linewidth=0.8,
                          label=f"{year}年（计划）"))
            # every year is drawn whole, however far past its target a bar runs: a cut bar would
            # hide the later years stacked on it (the axis grows instead)
            ax.barh(y, share(part), left=left.copy(), height=0.56, zorder=2, **style)
            left += share(part)
    ax.vlines(100, -0.5, len(targets) - 0.5, colors="black", linewidth=1.0, zorder=3)
    total = first["total"].to_numpy(float)
    planned = table.groupby("rule_id")["planned"].sum().reindex(targets).to_numpy(float)
    right = float(max(left.max(), np.nanmax(np.where(has_band, share(high), 0)), 100.0))
    edge = share(np.where(has_band, high, low))
    for yi, t, lo_, hi_, band, end, edge_, p in zip(y, total, low, high, has_band, left, edge, planned):
        aim = hi_ == lo_                     # "N个左右" aimed at N: a target passed, not a ceiling broken
        wanted = f"{_number(lo_)}左右" if aim else f"{_number(lo_)}–{_number(hi_)}" if band else f"≥{_number(lo_)}"
        if aim and t > hi_:
            mark, ok = f"比目标多 {_number(t - hi_)}", False
        elif band and t > hi_:
            mark, ok = f"超出上限 {_number(t - hi_)}", False
        elif t >= lo_:
            mark, ok = "已达到", True
        else:
            mark, ok = f"差 {_number(lo_ - t)}", False
        plan = f"（计划后 {_number(t + p)}）" if p > 0 else ""
        ax.text(max(end, edge_, 100) + right * 0.02, yi,
                f"{_number(t)} / {wanted}  {mark}{plan}", va="center", fontsize=FONT_PT - 1,
                color="black" if ok else VERMILION)
    ax.set_yticks(y, [_wrap(label, 15) for label in first["label"]])
    ax.set_ylim(len(targets) - 0.5, -0.5)
    ax.set_xlim(0, right * 1.5)
    step = next(s for s in (25, 50, 100, 200, 500, 1000, 10 ** 9) if right / s <= 8)
    ax.set_xticks(np.arange(0, right + 1, step))
    ax.xaxis.set_major_formatter(lambda value, _pos: f"{value:.0f}%")
    span = f"{years[0]}–{years[-1]}年累计" if len(years) > 1 else f"{years[0]}年"
    ax.set_xlabel(f"{span}完成度（黑线 = 目标值；灰底 = “左右”目标的允许区间；右侧为 已完成 / 目标）",
                  fontsize=FONT_PT)
    _style(ax)
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=max(len(handles), 1), fontsize=FONT_PT,
               frameon=False)
    return fig


def _year_colours(n: int) -> list[str]:
    palette = [SKY, BLUE, "#003F6B", GREEN, ORANGE, PURPLE]
    return [palette[i % len(palette)] for i in range(n)]
