"""What people look at: output files written atomically (`files`), charts in Chinese (`charts`,
with the CJK font of `fonts`), the leadership briefing (`briefing`), HTML for notebooks
(`display`), two results side by side (`compare`), the slate workbook (`workbook`) and what the
office publishes: 认定名单/推荐名单, 公示通知 and feedback per unit (`publication`, `lists`, `feedback`,
the plain reasons of `letters`, rendered from Word templates by `word`).

Reads results (`planner.result`), never solves.
"""
from planner.show.compare import ABSENT, NOT_HIGHER, Comparison, comparison_html, load_output
from planner.show.display import result_html, table_html
from planner.show.files import atomic_write_bytes, neutralise_formulas, write_outputs
from planner.show.fonts import FontError, use_cjk_font
from planner.show.publication import publish

__all__ = ["ABSENT", "NOT_HIGHER", "Comparison", "comparison_html", "load_output", "result_html", "table_html",
           "atomic_write_bytes", "neutralise_formulas", "write_outputs", "FontError", "use_cjk_font", "publish"]







# Charts and the briefing load matplotlib: imported on first use, so that a command-line solve,
# which never draws, does not pay for it.
_CHARTS = ("plot_calendar", "plot_quota_use", "plot_scores", "plot_target_progress")

def __getattr__(name: str):
    if name == "write_briefing":
        from planner.show.briefing import write_briefing
        return write_briefing
    if name in _CHARTS:
        from planner.show import charts
        return getattr(charts, name)
    raise AttributeError(f"module 'planner.show' has no attribute {name!r}")
