"""The brief's locality chart: projects recognised per locality this year, against last year.

Owns `plot_locality_counts`. Does not own counting (`tables.count_table`) nor the page the
chart goes on (`briefing`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from planner.errors import InputError, Problem
from planner.show.charts._base import BLUE, CAP_GREY, FONT_PT, GREY, _empty, _figure, _number, _style

#: Drawn for the right half of the brief's page (a column of an A4 page).
WIDTH_IN, HEIGHT_IN = 3.3, 3.4


def plot_locality_counts(table: pd.DataFrame, *, year: int | None = None, before_year: int | None = None,
                         size_in: tuple[float, float] = (WIDTH_IN, HEIGHT_IN)) -> Figure:
    """Projects recognised per locality: this year's bar, last year's as a grey bar behind it.

    Parameters
    ----------
    table : DataFrame
        locality, selected, before (NaN or absent: no earlier year), as `tables.count_table`
        gives with ``key="locality"``.
    year, before_year : int, optional
        The two years, for the legend.
    size_in : (float, float)
        Width and height in inches.
    """
    missing = [c for c in ("locality", "selected") if c not in table]
    if missing:
        raise InputError([Problem("locality counts", f"no column {', '.join(missing)}",
                                  "locality, selected, before (as tables.count_table gives)")])
    fig = _figure(*size_in)
    this = f"{year}年度" if year else "本年度"
    fig.suptitle(f"各市（州）认定项目数（{this}）", fontsize=FONT_PT + 1.5)
    ax = fig.add_subplot()
    if table.empty:
        _empty(ax, "本年度没有认定项目")
        return fig
    y = np.arange(len(table))
    now = table["selected"].to_numpy(float)
    before = pd.to_numeric(table["before"], errors="coerce").to_numpy(float) if "before" in table else None
    has_before = before is not None and not np.isnan(before).all()
    if has_before:
        ax.barh(y, np.nan_to_num(before), height=0.82, color=CAP_GREY, zorder=1,
                label=f"{before_year}年度" if before_year else "上年度")
    ax.barh(y, now, height=0.5, color=BLUE, zorder=2, label=this)
    top = float(np.nanmax([now.max(), *(np.nan_to_num(before) if has_before else [0])])) or 1.0
    for yi, n, b in zip(y, now, np.nan_to_num(before) if has_before else [None] * len(now)):
        text = _number(n) if b is None else f"{_number(n)}（上年 {_number(b)}）"
        ax.text(max(n, b or 0) + top * 0.02, yi, text, va="center", fontsize=FONT_PT - 1,
                color="black" if b is None or n >= b else "#555555")
    ax.set_xlim(0, top * (1.55 if has_before else 1.2))
    ax.set_yticks(y, table["locality"].tolist())
    ax.set_ylim(len(table) - 0.5, -0.5)
    _style(ax)
    ax.tick_params(axis="x", labelsize=FONT_PT - 1, colors=GREY)
    if has_before:
        ax.legend(loc="lower right", fontsize=FONT_PT - 1, frameon=False)
    return fig
