"""The rater chart: how each expert scores against the consensus of the panels they sat on.

Owns `plot_raters`: one row per expert — on the left the mean deviation from the consensus with
its 95 % interval (harsh experts left of zero, lenient ones right), on the right the spread of
the deviations (how consistent the expert is) — coloured by the report's flag. Drawn from the
rater table of `analysis.raters.rater_report` (given as a frame, so the chart reads no file and
computes nothing of its own). Does not own the report, nor writing the PNG.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from planner.show.charts._base import BLUE, FONT_PT, GREY, ORANGE, PAGE_WIDTH_IN, PURPLE, VERMILION, _empty, _figure, _style

FLAG_WORDS = {"harsh": "偏严", "lenient": "偏宽", "inconsistent": "不一致", "": "正常"}
FLAG_COLOURS = {"harsh": VERMILION, "lenient": ORANGE, "inconsistent": PURPLE, "": BLUE}
Z_95 = 1.959963984540054


def plot_raters(raters: pd.DataFrame, *, scale: float | None = None, title: str = "") -> Figure:
    """Each expert's mean deviation from the consensus (95 % interval) and the spread of the deviations.

    Parameters
    ----------
    raters : DataFrame
        expert_id, expert_unit, n_counted, mean_deviation, sd_deviation, flag (the rater
        table of `analysis.raters.rater_report`).
    scale : float, optional
        The robust standard deviation of all deviations: drawn as the dotted lines at ±scale.
    title : str, optional
        The figure's title (default: 专家评分画像).
    """
    table = raters[raters["n_counted"] > 0].sort_values(["mean_deviation", "expert_id"]).reset_index(drop=True)
    n = len(table)
    fig = _figure(PAGE_WIDTH_IN, 1.4 + 0.17 * max(n, 4))
    fig.suptitle(title or "专家评分画像：各专家相对项目得分（按规则汇总的分数）的偏差", fontsize=FONT_PT + 2.5)
    left, right = fig.subplots(1, 2, sharey=True, width_ratios=[3, 1.3])
    if not n:
        _empty(left, "没有计入的专家评分")
        right.set_axis_off()
        return fig
    y = np.arange(n)
    colours = [FLAG_COLOURS.get(f, BLUE) for f in table["flag"]]
    half = Z_95 * table["sd_deviation"].fillna(0).to_numpy() / np.sqrt(table["n_counted"].to_numpy())
    left.errorbar(table["mean_deviation"], y, xerr=half, fmt="none", ecolor=GREY, elinewidth=0.8, capsize=1.5)
    left.scatter(table["mean_deviation"], y, s=16, color=colours, zorder=3)
    left.axvline(0, color="black", linewidth=0.8)
    if scale is not None and np.isfinite(scale) and scale > 0:
        for x in (-scale, scale):
            left.axvline(x, color=GREY, linestyle=":", linewidth=0.8)
    labels = [f"{e} {str(u)[:12]}（{k}）" if u else f"{e}（{k}）"
              for e, u, k in zip(table["expert_id"], table["expert_unit"], table["n_counted"])]
    left.set_yticks(y, labels, fontsize=FONT_PT - 2)
    left.set_ylim(n - 0.5, -0.5)
    left.set_xlabel("平均偏差（分）= 专家评分 − 项目得分\n左偏严，右偏宽", fontsize=FONT_PT)
    right.barh(y, table["sd_deviation"].fillna(0), color=colours, height=0.6)
    right.set_xlabel("偏差的标准差（分）\n越大越不一致", fontsize=FONT_PT)
    for ax in (left, right):
        _style(ax)
    handles = [Patch(color=FLAG_COLOURS[f], label=FLAG_WORDS[f]) for f in ("", "harsh", "lenient", "inconsistent")]
    note = f"；虚线为 ±{scale:.1f} 分（全部评分偏差的稳健标准差）" if scale else ""
    fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize=FONT_PT, frameon=False,
               title=f"括号内为计入的评分数，横线为 95% 区间{note}", title_fontsize=FONT_PT - 1)
    return fig
