"""What every chart shares: the palette, the page size, a figure in Chinese, axis style, labels.

Owns the Okabe-Ito colours, the print size and font size the charts are drawn at, a new
constrained-layout `Figure` with the CJK font (`fonts`) in use, and the small helpers that
wrap Chinese labels, name a task and track, write a number and mark an empty panel. Does not
own any chart, nor the tables charts are drawn from (`tables`).
"""
from __future__ import annotations

from matplotlib.figure import Figure

from planner.inputs import load_catalogue
from planner.show.fonts import use_cjk_font

# Okabe-Ito colours: distinguishable in colour-blind vision and in grey print.
BLUE, VERMILION, ORANGE, GREEN, SKY, PURPLE, YELLOW, GREY = (
    "#0072B2", "#D55E00", "#E69F00", "#009E73", "#56B4E9", "#CC79A7", "#F0E442", "#999999")
CAP_GREY = "#E4E7EB"
PAGE_WIDTH_IN = 7.5        # an A4 page's text width: charts are drawn at the size they print
FONT_PT = 8.5


def _figure(width_in: float, height_in: float) -> Figure:
    use_cjk_font()
    fig = Figure(figsize=(width_in, height_in), layout="constrained", dpi=100)
    fig.get_layout_engine().set(h_pad=0.06, w_pad=0.06, hspace=0.04, wspace=0.04)
    return fig


def _style(ax) -> None:
    ax.tick_params(labelsize=FONT_PT, length=2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.6)
    ax.set_axisbelow(True)


_NO_LINE_START = "、，。：；）》”’·"


def _wrap(text: str, width: int) -> str:
    """`text` on lines of at most about `width` characters, lines balanced in length.

    Chinese may break between any two characters; a break after "·" or a closing quote is
    preferred when it gives short enough lines, and no line starts with closing punctuation.
    """
    text = str(text)
    if len(text) <= width:
        return text
    for mark in ("·", "”"):
        cut = text.find(mark)
        if 0 < cut < len(text) - 1 and cut + 1 <= width and len(text) - cut - 1 <= width:
            return text[:cut + 1] + "\n" + text[cut + 1:]
    n_lines = -(-len(text) // width)
    per = -(-len(text) // n_lines)
    lines, start = [], 0
    while start < len(text):
        end = min(start + per, len(text))
        while end < len(text) and text[end] in _NO_LINE_START:
            end += 1
        lines.append(text[start:end])
        start = end
    return "\n".join(lines)


def _task_title(task: str, track: str = "") -> str:
    cat = load_catalogue()
    label = cat.label("task", task) if task else "其他"
    track_label = cat.tracks_of(task).get(track, "") if track else ""
    return f"{label}·{track_label}" if track_label else label


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _empty(ax, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, fontsize=FONT_PT + 1, color=GREY)
    ax.set_axis_off()
