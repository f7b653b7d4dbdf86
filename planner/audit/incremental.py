"""The audit of a slate from the audit of another slate of the same round: only what differs is checked again.

Owns `recheck`: a what-if changes some bounds and the solver changes a few decisions; the groups
of every other rule count the same rows with the same bounds, so their records are the earlier
audit's. The rules named (every rule whose bounds changed or that counts a changed row, which the
caller works out) are checked again in full, and the row checks are run again on the changed
rows (they look at one row at a time). The result equals `check_slate` of the new slate; the
what-if tests compare the two. Like `check`, never imports the model or the solver.

Does not own the checks themselves (`audit.check`) nor which rules a change reaches (the caller).
"""
from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from planner.audit.check import (
    RULE_COLUMNS,
    AuditReport,
    _audit_frame,
    _row_problems,
    _rule_records,
    check_slate,
)
from planner.rules import Scenario, flag_values


def recheck(previous: AuditReport, slate: pd.DataFrame, scenario: Scenario, *, rules: Iterable[str],
            rows: np.ndarray, history: pd.DataFrame | None = None) -> AuditReport:
    """Audit `slate` from `previous`, checking again only `rules` and the row checks of `rows`.

    Parameters
    ----------
    previous : AuditReport
        `check_slate` of another slate of the same candidate table and history, under a scenario
        that differs from `scenario` at most in the bounds of `rules`.
    slate : DataFrame
        As `check_slate`: candidate rows with ``selected`` and ``national``.
    scenario : Scenario
    rules : iterable of str
        Ids of every rule whose bounds changed, that counts a row whose decision changed, or
        that counts through a link.
    rows : ndarray of int
        Positions of the slate rows whose ``selected`` or ``national`` changed.
    history : DataFrame, optional
        As `check_slate`.

    Returns
    -------
    AuditReport
        Equal to ``check_slate(slate, scenario, history=history)``. When `previous` found row
        problems, or a changed row has one, the slate is simply audited in full.
    """
    if len(previous.rows):
        return check_slate(slate, scenario, history=history)
    frame, n_slate, locked = _audit_frame(slate, scenario, history)
    selected = flag_values(frame, "selected")
    national = flag_values(frame, "national")
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) and _row_problems(frame.iloc[rows], scenario, selected[rows], national[rows]):
        return check_slate(slate, scenario, history=history)
    wanted = set(rules)
    again = [r for r in scenario.rules if r.id in wanted]
    records, filings = _rule_records(frame, scenario, again, selected, national, locked)
    order = {r.id: k for k, r in enumerate(scenario.rules)}
    return AuditReport(rules=_splice(previous.rules, records, wanted, order),
                       rows=previous.rows.copy(), filings=_splice(previous.filings, filings, wanted, order))


def _splice(table: pd.DataFrame, records: list[dict], again: set[str], order: dict[str, int]) -> pd.DataFrame:
    """The earlier table with the records of the rules checked again in place of theirs, in rule order."""
    kept = table[~table["rule_id"].isin(again)]
    fresh = pd.DataFrame(records, columns=RULE_COLUMNS)
    if not len(fresh):
        return kept.reset_index(drop=True)
    if not len(kept):
        return fresh
    fresh = fresh.astype(kept.dtypes.to_dict())
    both = pd.concat([kept, fresh], ignore_index=True)
    position = both["rule_id"].map(order).to_numpy()
    return both.iloc[np.argsort(position, kind="stable")].reset_index(drop=True)
