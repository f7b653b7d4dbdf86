"""What a solved round is, as plain data: the slate, its summary, rule table and explanations.

Owns `SolvedRound`, the type every part after the solve reads — explanations, the ledger,
charts, the briefing, comparisons, analyses — and `task_table`, the slate by task. It sits
below all of them and imports none of them, so none has to import the public face to read a
result. The conveniences a notebook user calls on a result (``plot_*``, the HTML view) belong
to `planner.rounds.result.Result`, a `SolvedRound` with those methods; every round the library
solves is one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from planner.audit import AuditReport
from planner.inputs import load_catalogue
from planner.model import Model
from planner.rules import Scenario
from planner.solver import Solution


@dataclass
class SolvedRound:
    """A solved round: the input rows plus decisions, and everything said about them.

    Attributes
    ----------
    slate : DataFrame
        Every candidate row of the table with ``selected`` (0/1), ``national`` (0/1), ``reason``.
    summary : dict
        Status, objective, bound, gap, counts, timings, seed, workers, versions, input hashes.
    rules : DataFrame
        One row per rule group: value, min, max, slack, binding (see `audit.RULE_COLUMNS`).
    explanations : DataFrame
        candidate_id, reason_code, reason, rule_id, group.
    """

    scenario: Scenario
    slate: pd.DataFrame
    summary: dict[str, Any]
    rules: pd.DataFrame
    explanations: pd.DataFrame
    audit: AuditReport
    model: Model = field(repr=False)
    solution: Solution = field(repr=False)
    history: pd.DataFrame | None = field(default=None, repr=False)
    ledger: pd.DataFrame | None = None
    planned: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def selected(self) -> pd.DataFrame:
        return self.slate[self.slate["selected"] == 1]

    def __repr__(self) -> str:
        s = self.summary
        return (f"<Result {s['name']}: {s['status']}, selected {s['n_selected']} of {s['n_candidates']}, "
                f"national {s['n_national']}, objective {s['objective']:.1f}>")

    def explain(self, candidate_id: str | None = None) -> pd.DataFrame:
        """The reason of one candidate (or all), as in explanations.csv."""
        if candidate_id is None:
            return self.explanations
        return self.explanations[self.explanations["candidate_id"] == str(candidate_id)]


def task_table(result: SolvedRound) -> pd.DataFrame:
    """Candidates, selected, national and lowest selected score per task and track."""
    cat = load_catalogue()
    slate = result.slate[result.slate["year"] == result.scenario.year]
    score = pd.to_numeric(slate[result.scenario.maximise], errors="coerce")
    table = (slate.assign(_lowest=score.where(slate["selected"] == 1))
             .groupby(["task", "track"], sort=False)
             .agg(candidates=("candidate_id", "size"), selected=("selected", "sum"),
                  national=("national", "sum"), lowest=("_lowest", "min"))
             .reset_index())
    order = {code: i for i, code in enumerate(cat.tasks)}
    table = table.sort_values(["task", "track"], key=lambda s: s.map(order) if s.name == "task" else s)
    table["task_label"] = table["task"].map(lambda t: cat.label("task", t))
    return table.reset_index(drop=True)
