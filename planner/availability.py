"""Which candidates can be chosen this year at all, and if not, why not.

Owns the row-level preconditions of the notice that no quota expresses: the candidate is of
this year, meets its task's precondition (`eligible`), its task is switched on, it reaches the
scenario's pass mark, and it is not pinned out. Shared by `model` (fixes such rows to 0),
`audit` (a slate may not select them) and `explain` (the reason). Does not own quotas.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import PolicyError, Problem
from .policy import Scenario
from .catalogue import suggest

# Reason codes, in order of precedence (the first that applies is the one reported).
BLOCKS = ("other_year", "task_disabled", "ineligible", "below_pass_mark", "pinned_out")


def blocked_reason(frame: pd.DataFrame, scenario: Scenario) -> pd.Series:
    """The first reason each row cannot be selected this year ("" when it can).

    Parameters
    ----------
    frame : DataFrame
        Candidates with columns candidate_id, year, task, eligible and the objective column.
    """
    reason = np.full(len(frame), "", dtype=object)
    year = frame["year"].to_numpy()
    enabled = frame["task"].map(lambda t: scenario.tasks_enabled.get(t, True)).to_numpy(dtype=bool)
    eligible = frame["eligible"].to_numpy(dtype=bool) if "eligible" in frame else np.ones(len(frame), bool)
    if scenario.pass_mark is not None:
        score = pd.to_numeric(frame[scenario.maximise], errors="coerce").to_numpy(dtype=float)
        below = ~(score >= scenario.pass_mark)
    else:
        below = np.zeros(len(frame), dtype=bool)
    pinned_out = frame["candidate_id"].isin(scenario.force_out).to_numpy()
    checks = {
        "other_year": year != scenario.year,
        "task_disabled": ~enabled,
        "ineligible": ~eligible,
        "below_pass_mark": below,
        "pinned_out": pinned_out,
    }
    for code in reversed(BLOCKS):
        reason[checks[code]] = code
    return pd.Series(reason, index=frame.index, name="blocked")


def pinned_in(frame: pd.DataFrame, scenario: Scenario) -> np.ndarray:
    """Mask of rows the scenario forces into the slate."""
    return frame["candidate_id"].isin(scenario.force_in).to_numpy()


def check_pins(frame: pd.DataFrame, scenario: Scenario) -> None:
    """Every pinned id must exist; a pinned-in candidate must be selectable this year."""
    ids = set(frame["candidate_id"])
    problems = []
    for key, pinned in (("force_in", scenario.force_in), ("force_out", scenario.force_out)):
        for cid in pinned:
            if cid not in ids:
                problems.append(Problem(scenario.label, f'candidate "{cid}" which is not in the candidate table',
                                        "an existing candidate_id", column=key,
                                        hint=suggest(cid, sorted(ids))))
    if problems:
        raise PolicyError(problems)
    blocked = blocked_reason(frame, scenario)
    mask = pinned_in(frame, scenario) & (blocked != "").to_numpy()
    for pos in np.flatnonzero(mask):
        problems.append(Problem(scenario.label, f'candidate "{frame["candidate_id"].iat[pos]}" pinned in although '
                                f'it cannot be selected ({blocked.iat[pos]})', "only selectable candidates in force_in",
                                column="force_in"))
    if problems:
        raise PolicyError(problems)
