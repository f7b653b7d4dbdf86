"""Charts for the people who decide: quota use, target progress, scores, what-ifs, the calendar.

The face of the charts, the one notebooks use (``from planner import charts``). Each chart is a
module of its own: quota use (`quota`), progress toward the targets (`targets`), scores and
cut-offs (`scores`), a what-if per locality (`comparison`), the notice's dates (`calendar`),
and the brief's two: recognised per locality against last year (`localities`) and the targets
as progress bars (`progress`); all titled and labelled in Chinese in the look of `_base`. A
chart takes a `Result` or an output folder written by ``planner solve`` (read as a `Run` by
`read_run`), a ledger frame, a comparison frame, or a scenario, and is drawn from a table of
`tables` that can be read on its own. Charts never call ``show()`` and never write files: the
briefing (`briefing`) and notebooks decide where pictures go.

Does not own computing the year-by-year ledger (`ledger`), comparing two runs (`compare`),
the HTML page (`briefing`) or the font (`fonts`). Holds no number of the notice: caps, targets,
deadlines and the pass mark are read from the run's rule table and the scenario.
"""
from planner.show.charts._base import PAGE_WIDTH_IN, VERMILION
from planner.show.charts.calendar import plot_calendar
from planner.show.charts.comparison import plot_comparison
from planner.show.charts.localities import plot_locality_counts
from planner.show.charts.progress import plot_target_summary, target_status
from planner.show.charts.quota import plot_quota_use
from planner.show.charts.scores import plot_scores
from planner.show.charts.tables import (
    Run,
    calendar_table,
    count_table,
    ledger_of,
    previous_round,
    quota_tasks,
    quota_use_table,
    read_run,
    target_table,
)
from planner.show.charts.targets import CAP_PERCENT, plot_target_progress

__all__ = [
    "Run", "read_run", "ledger_of", "quota_use_table", "quota_tasks", "target_table", "calendar_table",
    "plot_quota_use", "plot_target_progress", "plot_scores", "plot_comparison", "plot_calendar",
    "VERMILION", "PAGE_WIDTH_IN", "CAP_PERCENT",
    "previous_round", "count_table", "plot_locality_counts", "plot_target_summary", "target_status",
]
