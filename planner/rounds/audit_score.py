"""A slate's total score against the optimum of the same round, and the candidates that explain
the difference.

Owns `ScoreComparison` and `compare_scores` (two slates over the same table compared on the
scenario's objective column) and `read_run_slate` (the optimum read from a run folder that
`planner solve` wrote). Does not solve: `rounds.chain.audit_file` solves the round when no run
folder is given.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from planner.errors import InputError, Problem
from planner.inputs import load_candidates
from planner.rules import Scenario, flag_values

SHOWN = 10
"""Candidates named on each side of the difference."""


@dataclass
class ScoreComparison:
    """The slate's total score beside the optimum's.

    Attributes
    ----------
    column : str
        The objective column summed (the scenario's ``maximise``).
    slate_total, optimum_total : float
        Sum of `column` over the selected rows of the round's year.
    source : str
        Where the optimum comes from, as shown: "solved now" (with its status when not proven
        optimal) or "from RUN_DIR".
    only_optimum, only_slate : DataFrame
        candidate_id and `column` of the rows the optimum selects and the slate does not, and
        the other way round, highest first.
    """

    column: str
    slate_total: float
    optimum_total: float
    source: str
    only_optimum: pd.DataFrame = field(default_factory=pd.DataFrame)
    only_slate: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def difference(self) -> float:
        """Points the slate is below the optimum (negative: above it)."""
        return self.optimum_total - self.slate_total

    def lines(self, shown: int = SHOWN) -> list[str]:
        head = (f"total {self.column}: this slate {_num(self.slate_total)}, the optimum ({self.source}) "
                f"{_num(self.optimum_total)}")
        if abs(self.difference) < 1e-6:
            head += ": the same total"
        elif self.difference > 0:
            head += f": {_num(self.difference)} points below the optimum"
        else:
            head += f": {_num(-self.difference)} points above the optimum (it cannot hold every rule the optimum does)"
        lines = [head]
        for label, part in (("selected by the optimum, not by this slate", self.only_optimum),
                            ("selected by this slate, not by the optimum", self.only_slate)):
            if len(part):
                named = ", ".join(f"{cid} ({_num(v)})" for cid, v in zip(part["candidate_id"][:shown],
                                                                         part[self.column][:shown]))
                more = f" and {len(part) - shown} more" if len(part) > shown else ""
                lines.append(f"{label}: {len(part)} worth {_num(part[self.column].sum())} — {named}{more}")
        return lines


def compare_scores(slate: pd.DataFrame, optimum: pd.DataFrame, scenario: Scenario, *, source: str) -> ScoreComparison:
    """Compare two slates of the same round on the scenario's objective column.

    Parameters
    ----------
    slate, optimum : DataFrame
        candidate_id, year, ``selected`` and the scenario's ``maximise`` column.
    """
    column = scenario.maximise
    picked, best = _picked(slate, scenario), _picked(optimum, scenario)
    ours, theirs = set(picked["candidate_id"]), set(best["candidate_id"])
    only_optimum = best[~best["candidate_id"].isin(ours)].sort_values(column, ascending=False, kind="stable")
    only_slate = picked[~picked["candidate_id"].isin(theirs)].sort_values(column, ascending=False, kind="stable")
    return ScoreComparison(column, float(picked[column].sum()), float(best[column].sum()), source,
                           only_optimum.reset_index(drop=True), only_slate.reset_index(drop=True))


def read_run_slate(run_dir: str | Path) -> pd.DataFrame:
    """The slate a `planner solve` run wrote into `run_dir` (slate.csv, else slate.xlsx)."""
    run_dir = Path(run_dir)
    for name in ("slate.csv", "slate.xlsx"):
        if (run_dir / name).is_file():
            return load_candidates(run_dir / name, extra_bool_columns=("selected",))
    raise InputError([Problem(str(run_dir), "no slate.csv or slate.xlsx",
                              "a folder written by planner solve … --out DIR", column="--against")])


def _picked(frame: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    chosen = flag_values(frame, "selected") & (frame["year"].to_numpy() == scenario.year)
    values = pd.to_numeric(frame[scenario.maximise], errors="coerce").fillna(0).to_numpy()
    return pd.DataFrame({"candidate_id": frame["candidate_id"].astype(str).to_numpy()[chosen],
                         scenario.maximise: values[chosen]}).drop_duplicates("candidate_id")


def _num(value: float) -> str:
    value = float(value)
    return str(int(round(value))) if abs(value - round(value)) < 1e-9 else f"{value:.1f}"
