"""A round's candidate table made ready for its scenario: read, years checked, localities folded,
the locked history of earlier rounds appended after this round's rows, pins checked.

Owns `Prepared` (the rows a model is built over, and which of them are locked) and the reading
of the history slates a scenario names. Does not own reading or validating a table
(`inputs.candidates`) nor the rules themselves (`rules.policy`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import InputError, PolicyError, Problem
from planner.inputs import load_candidates, normalise_candidates
from planner.rules.availability import check_pins
from planner.rules.groups import fold_localities
from planner.rules.policy import Scenario, check_columns
from planner.rules.round_years import check_history_files, check_table_year

SLATE_FLAGS = ("selected", "national")


@dataclass
class Prepared:
    frame: pd.DataFrame          # this round's rows then history rows, localities folded
    locked: np.ndarray
    locked_national: np.ndarray
    n_history: int

    @property
    def history_rows(self) -> np.ndarray:
        """Rows that came from the locked history (selected or not)."""
        n = len(self.frame)
        return np.arange(n) >= n - self.n_history


def read_candidates(scenario: Scenario, candidates: pd.DataFrame | str | Path | None) -> pd.DataFrame:
    """The candidate table of a round, validated, with years checked against the scenario."""
    if isinstance(candidates, pd.DataFrame):
        frame = candidates if candidates.attrs.get("normalised") else normalise_candidates(candidates)
    else:
        path = candidates if candidates is not None else scenario.candidates
        if path is None:
            raise PolicyError([Problem(scenario.label, "no candidates", 'candidates = "path/to/table.csv"',
                                       column="candidates")])
        frame = load_candidates(path)
        check_table_year(frame, scenario)   # a file of another round (a frame of other years may be meant)
    check_years(frame, scenario)
    check_columns(scenario, list(frame.columns))
    return frame


def check_years(frame: pd.DataFrame, scenario: Scenario) -> None:
    """Every candidate's year must lie in the scenario's planning period."""
    first, last = scenario.years
    years = frame["year"].to_numpy()
    bad = np.flatnonzero((years < first) | (years > last))
    if len(bad):
        source = frame.attrs.get("source", "candidates")
        row0 = int(frame.attrs.get("first_data_row", 2))
        expected = f"{first}" if first == last else f"a year in {first}–{last}"
        raise InputError([Problem(source, f"year {years[i]}", f"{expected} (the scenario's "
                                  + ("year" if first == last else "period") + ")", row=int(i) + row0,
                                  column="year") for i in bad[:100]])


def read_history(scenario: Scenario) -> pd.DataFrame | None:
    """Locked slates of earlier rounds named by the scenario (rows of earlier years only)."""
    if not scenario.history:
        return None
    check_history_files(scenario)
    parts = []
    for path in scenario.history:
        part = load_candidates(path, extra_bool_columns=SLATE_FLAGS)
        parts.append(part[part["year"] < scenario.year])
    history = pd.concat(parts, ignore_index=True)
    dup = history["candidate_id"].duplicated(keep="last")
    return history[~dup].reset_index(drop=True)


def prepare(frame: pd.DataFrame, scenario: Scenario, history: pd.DataFrame | None) -> Prepared:
    """Fold localities, append the locked history after this table's rows, check pins."""
    rows = fold_localities(frame, scenario.fold)
    n = len(rows)
    if history is None or not len(history):
        check_pins(rows, scenario)
        return Prepared(frame=rows, locked=np.zeros(n, bool), locked_national=np.zeros(n, bool), n_history=0)
    clash = rows["candidate_id"].isin(set(history["candidate_id"])).to_numpy()
    if clash.any():
        first = int(frame.attrs.get("first_data_row", 2))
        raise InputError([Problem(frame.attrs.get("source", "candidates"),
                                  f'candidate "{rows["candidate_id"].iat[i]}" which the locked history also holds',
                                  "each candidate decided once: earlier rounds in the history, this round here",
                                  row=int(i) + first, column="candidate_id") for i in np.flatnonzero(clash)[:50]])
    past = fold_localities(history, scenario.fold).reindex(columns=rows.columns)
    for column in rows.columns:
        if rows[column].dtype == bool:
            past[column] = past[column].fillna(False).astype(bool)
    combined = pd.concat([rows, past], ignore_index=True)
    locked = np.concatenate([np.zeros(n, bool), history["selected"].to_numpy(dtype=bool)])
    locked_national = np.concatenate([np.zeros(n, bool), history["national"].to_numpy(dtype=bool)])
    check_pins(combined, scenario)
    return Prepared(frame=combined, locked=locked, locked_national=locked_national, n_history=len(history))


def pad_hint(hint: np.ndarray, n_rows: int) -> np.ndarray:
    """A selection over this table's rows, padded with False for history and planned rows."""
    hint = np.asarray(hint, bool)
    return np.concatenate([hint, np.zeros(n_rows - len(hint), bool)])


class Round(NamedTuple):
    """A round read for its scenario: the candidate table, the locked history, the prepared rows."""

    frame: pd.DataFrame
    history: pd.DataFrame | None
    prepared: Prepared


def read_round(scenario: Scenario, candidates: pd.DataFrame | str | Path | None) -> Round:
    """The first steps of every solve: the table read and checked (`read_candidates`), the
    locked history read (`read_history`), both prepared for the scenario (`prepare`)."""
    frame = read_candidates(scenario, candidates)
    history = read_history(scenario)
    return Round(frame, history, prepare(frame, scenario, history))
