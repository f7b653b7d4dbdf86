"""Which candidates can be chosen this year at all, and if not, why not; and who is planned later.

Owns the row-level preconditions of the notice that no quota expresses: the candidate is of
this year, its task is switched on, it was not recognised in an earlier round (`recognised_in`,
set by `prepare` from the locked history; "once recognised, not again"), meets its task's
precondition (`eligible`; for 三(七) also `core_course`), it reaches the scenario's pass mark,
and it is not pinned out. Also owns the identity of a project across rounds (`project_keys`). Shared by `model` (fixes such rows to 0),
`audit` (a slate may not select them) and `explain` (the reason). Also owns the forecast rows
of the lookahead (`forecast_rows`: the candidates a later year of the period is assumed to
bring, per `[plan] forecast`). Does not own quotas.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from planner.errors import PolicyError, Problem
from planner.lang import say
from planner.rules.messages import suggest
from planner.rules.policy import Scenario

# Reason codes, in order of precedence (the first that applies is the one reported).
BLOCKS = ("other_year", "task_disabled", "already_recognised", "ineligible", "not_core_course",
          "below_pass_mark", "pinned_out")
#: Each block in words, for a message (the codes stay the data).
BLOCK_WORDS = {"other_year": "不是本年度的项目", "task_disabled": "该任务本轮不开放", "already_recognised": "往年已认定",
               "ineligible": "不符合申报条件", "not_core_course": "不是专业核心课程", "below_pass_mark": "低于及格分",
               "pinned_out": "已被固定落选"}
# 三(七) 申报课程须为专业核心课程: the task whose rows carry a `core_course` column.
CORE_COURSE_TASK = "core_course"
# "once" | "recertify"; a scenario without the switch has no identity of projects across rounds
# (scenarios/jilin-base.toml says "once").
RECOGNITION_SWITCH = "recognition"
CORE_COURSE_SWITCH = "core_course_column"   # "required" | "off"
TRUE_WORDS = ("true", "1", "yes", "y", "是", "t")
FALSE_WORDS = ("false", "0", "no", "n", "否", "f")


def project_keys(frame: pd.DataFrame) -> pd.Series:
    """The identity of a project across rounds: its `project_id` where the table gives one,
    else unit_id + task + track + the title normalised (NFKC, blanks and punctuation dropped)."""
    import unicodedata

    def norm(text: object) -> str:
        t = unicodedata.normalize("NFKC", str(text)).lower()
        return "".join(ch for ch in t if ch.isalnum())

    track = frame["track"].astype(str) if "track" in frame else ""
    key = ("u:" + frame["unit_id"].astype(str) + "|" + frame["task"].astype(str) + "|" + track + "|"
           + frame["title"].map(norm))
    if "project_id" in frame:
        pid = frame["project_id"].fillna("").astype(str).str.strip()
        key = key.where(pid == "", "p:" + pid)
    return key


def earlier_rounds(rows: pd.DataFrame, history: pd.DataFrame | None, flag: str) -> np.ndarray:
    """Per row, the year an earlier round flagged (`selected` or `national`) the same project; 0 if none."""
    out = np.zeros(len(rows), dtype=np.int64)
    if history is None or not len(history) or flag not in history:
        return out
    past = history[np.asarray(history[flag].fillna(False).astype(bool))]
    if not len(past):
        return out
    first = pd.Series(past["year"].to_numpy(dtype=np.int64), index=project_keys(past).to_numpy())
    first = first.groupby(level=0).min()
    found = project_keys(rows).map(first)
    return found.fillna(0).to_numpy(dtype=np.int64)
PLAN_SEP = "@"      # a planned row's id: <source candidate_id>@<planned year>


def blocked_reason(frame: pd.DataFrame, scenario: Scenario, *, checks: dict[str, np.ndarray] | None = None) -> pd.Series:
    """The first reason each row cannot be selected this year ("" when it can).

    Parameters
    ----------
    frame : DataFrame
        Candidates with columns candidate_id, year, task, eligible and the objective column.
    checks : dict, optional
        `row_checks` of this frame and scenario, when the caller has them already.
    """
    checks = {"other_year": frame["year"].to_numpy() != scenario.year,
              **(row_checks(frame, scenario) if checks is None else checks),
              "pinned_out": frame["candidate_id"].isin(scenario.force_out).to_numpy()}
    reason = np.full(len(frame), "", dtype=object)
    for code in reversed(BLOCKS):
        reason[checks[code]] = code
    return pd.Series(reason, index=frame.index, name="blocked")


def row_checks(frame: pd.DataFrame, scenario: Scenario) -> dict[str, np.ndarray]:
    """The blocks that depend on the row alone, not on its year or on pins: task_disabled,
    already_recognised, ineligible, not_core_course, below_pass_mark (a mask each). What
    `blocked_reason` and `forecast_positions` read; a model build finds them once for both."""
    enabled = per_value(frame["task"], lambda t: scenario.tasks_enabled.get(t, True))
    eligible = frame["eligible"].to_numpy(dtype=bool) if "eligible" in frame else np.ones(len(frame), bool)
    if scenario.pass_mark is not None:
        score = pd.to_numeric(frame[scenario.maximise], errors="coerce").to_numpy(dtype=float)
        below = ~(score >= scenario.pass_mark)
    else:
        below = np.zeros(len(frame), dtype=bool)
    if "recognised_in" in frame and scenario.switches.get(RECOGNITION_SWITCH) == "once":
        recognised = pd.to_numeric(frame["recognised_in"], errors="coerce").fillna(0).to_numpy() > 0
    else:
        recognised = np.zeros(len(frame), bool)
    if "core_course" in frame and scenario.switches.get(CORE_COURSE_SWITCH, "required") != "off":
        core = per_value(frame["core_course"], lambda v: v is True or str(v).strip().lower() in TRUE_WORDS)
        not_core = (frame["task"] == CORE_COURSE_TASK).to_numpy() & ~core
    else:
        not_core = np.zeros(len(frame), bool)
    return {"task_disabled": ~enabled, "already_recognised": recognised, "ineligible": ~eligible,
            "not_core_course": not_core, "below_pass_mark": below}


def per_value(column: pd.Series, test) -> np.ndarray:
    """``test`` of each value as a bool array, tested once per distinct value where equal values
    are the same value (a text, bool or integer column; in a mixed column 1 and True are equal but
    read apart, so each is tested there), and once per missing cell."""
    plain = (isinstance(column.dtype, np.dtype) and column.dtype.kind in "biu") \
        or pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty")
    if not plain:
        return column.map(test).to_numpy(dtype=bool)
    codes, distinct = pd.factorize(column)
    out = np.array([bool(test(v)) for v in np.asarray(distinct, dtype=object).tolist()] + [False], bool)[codes]
    for pos in np.flatnonzero(codes < 0).tolist():
        out[pos] = bool(test(column.iat[pos]))
    return out


def refiled_recognised(frame: pd.DataFrame, scenario: Scenario) -> np.ndarray:
    """Rows of this round that re-file a project an earlier round recognised (reason
    ``already_recognised``): not recognised again, but in the accumulated provincial pool that a
    national rule with ``draw = "pool"`` (二(二) 在省级项目库中择优推荐) may recommend from."""
    return (blocked_reason(frame, scenario) == "already_recognised").to_numpy()


def pinned_in(frame: pd.DataFrame, scenario: Scenario) -> np.ndarray:
    """Mask of rows the scenario forces into the slate."""
    return frame["candidate_id"].isin(scenario.force_in).to_numpy()


def check_pins(frame: pd.DataFrame, scenario: Scenario) -> None:
    """Every pinned id must exist; a pinned-in candidate must be selectable this year."""
    ids = set(frame["candidate_id"].to_numpy(dtype=object).tolist())
    problems = []
    for key, pinned in (("force_in", scenario.force_in), ("force_out", scenario.force_out)):
        for cid in pinned:
            if cid not in ids:
                problems.append(Problem(scenario.label, say(f"候选表中没有的项目“{cid}”",
                                                            f'candidate "{cid}" which is not in the candidate table'),
                                        say("候选表中已有的项目编号", "an existing candidate_id"), column=key,
                                        hint=suggest(cid, sorted(ids))))
    if problems:
        raise PolicyError(problems)
    blocked = blocked_reason(frame, scenario)
    mask = pinned_in(frame, scenario) & (blocked != "").to_numpy()
    for pos in np.flatnonzero(mask):
        cid, code = frame["candidate_id"].iat[pos], blocked.iat[pos]
        problems.append(Problem(scenario.label, say(f"固定入选了不能入选的项目“{cid}”（{BLOCK_WORDS.get(code, code)}）",
                                                    f'candidate "{cid}" pinned in although it cannot be selected '
                                                    f'({blocked.iat[pos]})'),
                                say("force_in 中只放可以入选的项目", "only selectable candidates in force_in"),
                                column="force_in"))
    if problems:
        raise PolicyError(problems)


def forecast_rows(frame: pd.DataFrame, scenario: Scenario, *, locked: np.ndarray | None = None) -> pd.DataFrame:
    """The candidates each later year of the lookahead is assumed to bring (may be empty).

    For every year of `scenario.planned_years`: with ``forecast = "table"`` (or ``"auto"`` when
    the table has rows of that year) the table's own rows of that year; with ``"repeat"`` (or
    ``"auto"`` otherwise) a copy of this year's rows, re-dated. Only rows that could be chosen in
    their year are kept (task on, eligible, at the pass mark; pins apply to this round only).

    Parameters
    ----------
    frame : DataFrame
        Candidates (localities folded): candidate_id, year, task, eligible, the objective column.
    locked : ndarray of bool, optional
        Rows decided in earlier rounds (never copied).

    Returns
    -------
    DataFrame
        The frame's columns with ``year`` set to the planned year and ``candidate_id`` to
        ``<id>@<year>``, plus ``plan_year`` (int) and ``plan_source`` (the original id);
        a fresh RangeIndex.
    """
    columns = [*frame.columns, "plan_year", "plan_source"]
    positions, plan_year = forecast_positions(frame, scenario, locked=locked)
    if not len(positions):
        return _empty_plan(frame, columns)
    out = frame.take(positions)
    out.index = pd.RangeIndex(len(out))
    source_ids = out["candidate_id"].astype(str).to_numpy(dtype=object)
    out["candidate_id"] = planned_ids(source_ids, plan_year, frame["candidate_id"].dtype)
    out["year"] = plan_year.astype(frame["year"].dtype)
    out["plan_year"] = plan_year
    out["plan_source"] = pd.Series(source_ids, index=out.index, dtype=object)
    return out[columns]


def forecast_positions(frame: pd.DataFrame, scenario: Scenario, *, locked: np.ndarray | None = None,
                       checks: dict[str, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Which rows of `frame` the rows of `forecast_rows` copy (positions, in its order) and the
    year each is planned in (int64); `checks`: `row_checks` of the frame, when the caller has them."""
    years = scenario.planned_years
    if not years:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    locked = np.zeros(len(frame), bool) if locked is None else np.asarray(locked, bool)
    mode = scenario.plan.forecast
    year = frame["year"].to_numpy()
    # A copy re-dated to its year, pins cleared, is blocked only by what depends on the row
    # alone: the same for every year, so found once on the input's rows.
    open_rows = ~np.logical_or.reduce(list((row_checks(frame, scenario) if checks is None else checks).values()),
                                      initial=False)
    positions, planned_in = [], []
    for planned in years:
        own = (year == planned) & ~locked
        source = own if mode == "table" or (mode == "auto" and own.any()) else (year == scenario.year) & ~locked
        kept = np.flatnonzero(source & open_rows)
        positions.append(kept)
        planned_in.append(np.full(len(kept), planned, dtype=np.int64))
    return np.concatenate(positions).astype(np.int64), np.concatenate(planned_in)


def planned_ids(source_ids: np.ndarray, plan_year: np.ndarray, dtype) -> pd.api.extensions.ExtensionArray:
    """The candidate_id of planned rows, ``<source id>@<year>``, as a column of `dtype` (the frame's)."""
    return pd.array([f"{i}{PLAN_SEP}{y}" for i, y in zip(np.asarray(source_ids, dtype=object).tolist(),
                                                          np.asarray(plan_year).tolist())],
                    dtype=object).astype(dtype)


def _empty_plan(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = frame.iloc[:0].copy()
    out["plan_year"] = pd.Series([], dtype=np.int64)
    out["plan_source"] = pd.Series([], dtype=object)
    return out[columns].reset_index(drop=True)
