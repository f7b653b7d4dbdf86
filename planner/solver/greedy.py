"""THE BASELINE, not a planner: greedy by score within the hard maximum quotas.

Owns `greedy_slate`, what an expert meeting does by hand: go down the list of this round's
candidates from the highest score, keep each one if every hard ``max`` of a provincial rule
still holds with it (locality and tier quotas, bans such as ``max = 0``, sums such as a funding
pool — period rules count the locked earlier years), then draw the national picks the same way
from the slate within the national maxima. Pinned-in candidates go first. It never looks at
minimums, soft rules, targets or later years, and never undoes a pick: it is the yardstick the
optimum is measured against (benchmarks report the score it loses), and its slate may fail the
audit where a minimum binds.

Does not own the model or any solver: it reads the rules through the same `groups` and
`availability` as the model and the auditor, with plain numpy.
"""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from planner.rules import Scenario, blocked_reason, measure_values, numeric_column, pinned_in, rule_groups

log = logging.getLogger(__name__)
TOLERANCE = 1e-9


def greedy_slate(frame: pd.DataFrame, scenario: Scenario, *, locked: np.ndarray | None = None,
                 locked_national: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The greedy slate: by descending score (ties: candidate_id), keep whoever still fits.

    Parameters
    ----------
    frame : DataFrame
        Candidates after locality folding (as `rules.prepare.prepare` makes them): candidate_id, year,
        task, eligible, the objective column and every column a rule names; locked rows of
        earlier years may follow.
    scenario : Scenario
    locked, locked_national : ndarray of bool, optional
        Rows selected (recommended nationally) in earlier, locked rounds; they keep their
        decision and count in period rules.

    Returns
    -------
    selected, national : ndarray of bool
        Over the rows of `frame`.
    """
    n = len(frame)
    locked = np.zeros(n, bool) if locked is None else np.asarray(locked, bool)
    locked_national = np.zeros(n, bool) if locked_national is None else np.asarray(locked_national, bool)
    this_year = (frame["year"] == scenario.year).to_numpy() & ~locked
    selectable = (blocked_reason(frame, scenario) == "").to_numpy() & this_year
    score = numeric_column(frame, scenario.maximise)
    ids = frame["candidate_id"].astype(str).to_numpy()
    order = np.lexsort((ids, -score))                  # highest score first, then by id
    pins = pinned_in(frame, scenario) & selectable
    order = np.concatenate([order[pins[order]], order[~pins[order]]])

    selected = _fill(frame, scenario, "provincial", selectable, order, locked, this_year)
    national_rules = [r for r in scenario.rules if r.decision == "national"]
    may = np.zeros(n, bool)
    for rule in national_rules:
        from planner.rules import match
        may |= match(frame, rule.where)
    national = _fill(frame, scenario, "national", selected & may & this_year, order, locked_national, this_year)
    selected = selected | locked
    national = national | locked_national
    log.info("greedy slate: %d selected, %d national", int((selected & this_year).sum()), int((national & this_year).sum()))
    return selected, national


def _fill(frame: pd.DataFrame, scenario: Scenario, decision: str, candidates: np.ndarray, order: np.ndarray,
          history: np.ndarray, this_year: np.ndarray) -> np.ndarray:
    """Take `candidates` in `order` while every hard max of the `decision` rules still holds."""
    n = len(frame)
    caps: list[float] = []
    member_rows: list[np.ndarray] = []
    member_weights: list[np.ndarray] = []
    for rule in scenario.rules:
        if rule.decision != decision or rule.soft or rule.max is None:
            continue
        countable = (this_year | history) if rule.scope == "period" else this_year
        values = measure_values(frame, rule)
        for group in rule_groups(frame, rule, scenario, mask=countable):
            if group.max is None:
                continue
            rows = group.rows
            used = float(values[rows[history[rows]]].sum())
            caps.append(group.max - used)
            member_rows.append(rows[candidates[rows]])
            member_weights.append(values[rows[candidates[rows]]])
    # Candidate → (group, weight) lists in CSR form.
    if member_rows:
        all_rows = np.concatenate(member_rows)
        all_groups = np.repeat(np.arange(len(caps)), [len(r) for r in member_rows])
        all_weights = np.concatenate(member_weights)
    else:
        all_rows = all_groups = np.zeros(0, np.int64)
        all_weights = np.zeros(0)
    sort = np.argsort(all_rows, kind="stable")
    all_rows, all_groups, all_weights = all_rows[sort], all_groups[sort], all_weights[sort]
    starts = np.searchsorted(all_rows, np.arange(n + 1))
    room = np.array(caps, dtype=float)
    chosen = np.zeros(n, bool)
    group_list, weight_list = all_groups.tolist(), all_weights.tolist()
    for pos in order[candidates[order]].tolist():
        a, b = starts[pos], starts[pos + 1]
        if all(weight_list[e] <= room[group_list[e]] + TOLERANCE for e in range(a, b)):
            for e in range(a, b):
                room[group_list[e]] -= weight_list[e]
            chosen[pos] = True
    return chosen
