"""`Result`: a solved round with the one-line conveniences a notebook user calls on it.

Owns nothing but those conveniences — the charts of `show.charts` and the HTML view of
`show.display` — on top of the plain data of `planner.result.SolvedRound`, which is what
every other part reads.
"""
from __future__ import annotations

from planner.result import SolvedRound


class Result(SolvedRound):
    """A solved round (see `SolvedRound`), with ``plot_*`` and an HTML view for notebooks."""

    # matplotlib is imported on first use only: a command-line solve never draws.
    def _repr_html_(self) -> str:
        from planner.show import result_html
        return result_html(self)

    def plot_quota_use(self, task: str | None = None):
        from planner.show import plot_quota_use
        return plot_quota_use(self, task=task)

    def plot_scores(self):
        from planner.show import plot_scores
        return plot_scores(self)

    def plot_target_progress(self):
        from planner.show import plot_target_progress
        return plot_target_progress(self.ledger)

    def plot_calendar(self):
        from planner.show import plot_calendar
        return plot_calendar(self.scenario)
