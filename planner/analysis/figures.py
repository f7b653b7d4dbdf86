"""Chart helpers the analyses share: the Chinese font and a figure as PNG bytes.

Owns nothing but these two helpers; the charts themselves live beside their analyses
(`analysis.robust.plot_marginal`, `analysis.equity.plot_frontier`, `analysis.equity.plot_shares`).
"""
from __future__ import annotations

import logging

from planner.lang import say

log = logging.getLogger(__name__)


def use_font() -> None:
    """Draw Chinese with the planner's CJK font (`fonts`); a missing font is a warning, not an error."""
    try:
        from planner.show import use_cjk_font
        use_cjk_font()
    except Exception as exc:        # a chart without Chinese glyphs is still a chart
        log.warning(say(f"图表没有中文字体：{exc}", f"no Chinese font for charts: {exc}"))


def figure_png(fig) -> bytes:
    """A figure as PNG bytes (150 dpi)."""
    import io
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150)
    return buffer.getvalue()
