"""The comparison chart: what a what-if changes, per locality.

Owns `plot_comparison` (the change in selected projects, B − A). Does not own comparing two
runs (`show.compare`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from planner.errors import InputError, Problem
from planner.inputs import load_catalogue
from planner.show.charts._base import (
    FONT_PT,
    GREEN,
    GREY,
    PAGE_WIDTH_IN,
    VERMILION,
    _empty,
    _figure,
    _number,
    _style,
    _wrap,
)


def plot_comparison(comparison: pd.DataFrame) -> Figure:
    """What a what-if changes, per locality: the change in selected projects, B − A.

    Parameters
    ----------
    comparison : DataFrame
        locality, count_a, count_b, delta (= count_b − count_a; computed when absent). The names
        of the two runs may be given as ``comparison.attrs["name_a"]`` / ``["name_b"]``.
    """
    missing = [c for c in ("locality", "count_a", "count_b") if c not in comparison]
    if missing:
        raise InputError([Problem("comparison", f"no column {', '.join(missing)}",
                                  "a per-locality comparison: locality, count_a, count_b, delta")])
    order = {name: i for i, name in enumerate(load_catalogue().localities)}
    frame = comparison.copy()
    if "delta" not in frame:
        frame["delta"] = frame["count_b"] - frame["count_a"]
    frame = frame.sort_values("locality", key=lambda s: s.map(order).fillna(len(order))).reset_index(drop=True)
    named = [f"{side}：{comparison.attrs[key]}" for side, key in (("A", "name_a"), ("B", "name_b"))
             if comparison.attrs.get(key)]
    names = "\n".join(_wrap(line, 46) for line in named)
    fig = _figure(PAGE_WIDTH_IN, 1.1 + 0.18 * (names.count("\n") + bool(names)) + 0.27 * max(len(frame), 3))
    fig.suptitle("情景比较：各市（州）入选项目数变化（B − A）" + (f"\n{names}" if names else ""),
                 fontsize=FONT_PT + 2)
    ax = fig.add_subplot()
    if frame.empty:
        _empty(ax, "没有可比较的市（州）")
        return fig
    delta = frame["delta"].to_numpy(float)
    y = np.arange(len(frame))
    ax.barh(y, delta, color=np.where(delta > 0, GREEN, np.where(delta < 0, VERMILION, GREY)), height=0.6)
    low, high = min(float(delta.min()), 0.0), max(float(delta.max()), 0.0)
    span = max(high - low, 1.0)
    for yi, d, a, b in zip(y, delta, frame["count_a"], frame["count_b"]):
        text = f"{_number(a)} → {_number(b)}（{'+' if d > 0 else ''}{_number(d)}）"
        ax.text(d + (span * 0.02 if d >= 0 else -span * 0.02), yi, text, va="center",
                ha="left" if d >= 0 else "right", fontsize=FONT_PT - 1)
    # room for the labels on the side(s) that have bars
    left_room = span * 0.5 if low < 0 else span * 0.05
    right_room = span * 0.5 if high > 0 or low == 0 else span * 0.05
    ax.set_xlim(low - left_room, high + right_room)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, frame["locality"].tolist())
    ax.set_ylim(len(frame) - 0.5, -0.5)
    ax.set_xlabel("入选项目数变化（绿色增加，朱红色减少）", fontsize=FONT_PT)
    _style(ax)
    if not np.any(delta):
        ax.text(0.5, 0.02, "两个情景各市（州）入选数相同", transform=ax.transAxes, ha="center",
                fontsize=FONT_PT, color=GREY)
    return fig
