"""Chart helpers the analyses share: the Chinese font, a figure as PNG bytes, and matplotlib
made ready on a second thread while an analysis solves.

Owns nothing but these helpers; the charts themselves live beside their analyses
(`analysis.robust.plot_marginal`, `analysis.equity.plot_frontier`, `analysis.equity.plot_shares`).
"""
from __future__ import annotations

import logging
import threading

from planner.lang import say

log = logging.getLogger(__name__)

_ready: threading.Thread | None = None
_ready_lock = threading.Lock()


def prepare_charts() -> None:
    """Import matplotlib and load the Chinese font on a second thread, once per process.

    About a second that a chart would otherwise cost after the analysis: while the solver works
    (in C++, without the interpreter's lock) this thread has the interpreter to itself. Daemonic:
    it never holds the process up; `use_font` waits for it, so a chart never races it.
    """
    global _ready
    with _ready_lock:
        if _ready is None:
            _ready = threading.Thread(target=_load, name="planner-charts", daemon=True)
            _ready.start()


def _load() -> None:
    try:
        import matplotlib.figure  # noqa: F401
        from matplotlib.backends import backend_agg  # noqa: F401

        from planner.show import use_cjk_font
        use_cjk_font()
    except Exception:               # the chart itself says what is missing (`use_font`)
        return


def use_font() -> None:
    """Draw Chinese with the planner's CJK font (`fonts`); a missing font is a warning, not an error."""
    ready = _ready
    if ready is not None and ready is not threading.current_thread():
        ready.join()
    _use_font()


def _use_font() -> None:
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
