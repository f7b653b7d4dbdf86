"""A round's candidate table made ready for its scenario: read, years checked, localities folded,
the locked history of earlier rounds appended after this round's rows, pins checked; the
row-level facts the notice needs across rounds (a unit is one unit: `units`;
`exempt` only on the tasks the scenario's `[exemptions]` names; a link column of the catalogue
such as 三(三) `consortium_id` names a row of the right task and locality; which rows are projects
an earlier round already recognised or recommended nationally: `recognised_in`, `national_in`).

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
from planner.inputs import load_candidates, load_catalogue, normalise_candidates, parse_bool
from planner.lang import say
from planner.rules.messages import suggest
from planner.rules.availability import (
    CORE_COURSE_SWITCH,
    CORE_COURSE_TASK,
    FALSE_WORDS,
    RECOGNITION_SWITCH,
    TRUE_WORDS,
    check_pins,
    earlier_rounds,
    per_value,
)
from planner.rules.groups import fold_localities
from planner.rules.policy import Scenario, check_columns
from planner.rules.shapes import FLAG_COLUMNS
from planner.rules.units import check_units, merge_units, unit_merges, unit_mode
from planner.rules.round_years import check_history_files, check_history_years, check_table_year

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
        # A copy: `prepare` writes recognised_in / national_in onto the round's table.
        frame = candidates.copy() if candidates.attrs.get("normalised") else normalise_candidates(candidates)
        if candidates.attrs.get("edits"):       # a what-if's table (api.without_units) keeps its edits
            frame.attrs["edits"] = tuple(candidates.attrs["edits"])
    else:
        path = candidates if candidates is not None else scenario.candidates
        if path is None:
            raise PolicyError([Problem(scenario.label, say("没有候选表", "no candidates"), 'candidates = "path/to/table.csv"',
                                       column="candidates")])
        frame = load_candidates(path)
        check_table_year(frame, scenario)   # a file of another round (a frame of other years may be meant)
    complete_columns(frame, scenario)
    check_years(frame, scenario)
    check_exemptions(frame, scenario)
    check_courses(frame, scenario)
    check_columns(scenario, list(frame.columns))
    return frame


def complete_columns(frame: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Optional columns the rules read, added in place where a table (or a slate of an older run)
    lacks them: a link column empty; an entry column of 三(五)(七)(八) taken from ``eligible``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Candidates or a slate; ``eligible`` is read where an entry column is missing.
    scenario : Scenario
        Its rules say which columns are read.

    Returns
    -------
    pandas.DataFrame
        `frame`, completed.
    """
    named = set().union(*(rule.columns() for rule in scenario.rules)) if scenario.rules else set()
    for column in load_catalogue().links:
        if column in named and column not in frame:   # a table without the optional link column
            frame[column] = pd.Series([""] * len(frame), index=frame.index, dtype=object)
    for column in FLAG_COLUMNS:
        if column in named and column not in frame:
            # 三(五)(七)(八) a table without the task's own entry column: its `eligible` says it
            frame[column] = parse_bool(frame["eligible"], default=True)[0].astype(bool) if "eligible" in frame else True
        elif column in frame and frame[column].dtype != bool:     # a frame built in Python
            frame[column] = parse_bool(frame[column])[0].astype(bool)
    return frame


def check_exemptions(frame: pd.DataFrame, scenario: Scenario) -> None:
    """三(四)/三(六): `exempt = true` only on the tasks the scenario's `[exemptions]` names."""
    if scenario.exempt_tasks is None or "exempt" not in frame:
        return
    bad = np.flatnonzero(frame["exempt"].to_numpy(dtype=bool) & ~frame["task"].isin(scenario.exempt_tasks).to_numpy())
    if len(bad):
        source = frame.attrs.get("source", "candidates")
        row0 = int(frame.attrs.get("first_data_row", 2))
        allowed = say("、", ", ").join(scenario.exempt_tasks) or say("无", "none")
        raise InputError([Problem(source, say(f"任务“{frame['task'].iat[i]}”上的 exempt = true",
                                              f'exempt = true on task "{frame["task"].iat[i]}"'),
                                  say(f"exempt 只能用在豁免项目不占限额的任务上（{allowed}；{scenario.label} 的 [exemptions]）",
                                      f"exempt only on the tasks whose quotas exempt projects do not take ({allowed}; "
                                      f"[exemptions] of {scenario.label})"), row=int(i) + row0, column="exempt")
                          for i in bad[:100]])


SCHOOL_LEVELS = {"secondary_vocational": "secondary", "higher_vocational": "higher"}
# "by_school": a course that is not integrated carries its school's level; "as_filed" (and a
# scenario without the switch): the level is taken as filed.
COURSE_LEVEL_SWITCH = "course_level"


def check_courses(frame: pd.DataFrame, scenario: Scenario) -> None:
    """三(七): with ``course_level = "by_school"`` a course carries its school's level unless it is a
    中高职一体化 (integrated) course, which is classed as filed; with ``core_course_column = "required"`` every 三(七) row says
    whether it is a 专业核心课程 (true/false)."""
    course = (frame["task"] == CORE_COURSE_TASK).to_numpy()
    if not course.any():
        return
    by_school = scenario.switches.get(COURSE_LEVEL_SWITCH) == "by_school"
    source = frame.attrs.get("source", "candidates")
    row0 = int(frame.attrs.get("first_data_row", 2))
    problems = []
    expected = frame["unit_kind"].map(SCHOOL_LEVELS)
    integrated = frame["integrated"].to_numpy(dtype=bool) if "integrated" in frame else np.zeros(len(frame), bool)
    wrong = by_school & course & ~integrated & expected.notna().to_numpy() & (frame["level"] != expected).to_numpy()
    for i in np.flatnonzero(wrong)[:100]:
        problems.append(Problem(source, say(f"{frame['unit_kind'].iat[i]} 学校的课程，办学层次为“{frame['level'].iat[i]}”",
                                            f'level "{frame["level"].iat[i]}" on a course of a {frame["unit_kind"].iat[i]} school'),
                                say(f"“{expected.iat[i]}”（三(七)：只有中高职一体化课程，即 integrated = true，可另行归类）",
                                    f'"{expected.iat[i]}" (三(七): only 中高职一体化 courses, integrated = true, '
                                    "may be classed otherwise)"), row=int(i) + row0, column="level"))
    if scenario.switches.get(CORE_COURSE_SWITCH) == "required":
        if "core_course" not in frame:
            problems.append(Problem(source, say("没有 core_course 列", 'no column "core_course"'),
                                    say("每个三(七)行都有 core_course 列（是/否）：申报课程须为专业核心课程",
                                        "a core_course column (true/false) on every 三(七) row: 申报课程须为专业核心课程"),
                                    column="core_course"))
        else:
            said = per_value(frame["core_course"], lambda v: str(v).strip().lower() in TRUE_WORDS + FALSE_WORDS)
            bad = course & ~said
            for i in np.flatnonzero(bad)[:100]:
                problems.append(Problem(source, f'core_course "{frame["core_course"].iat[i]}"',
                                        say("三(七)行上为 是 或 否（是否专业核心课程）", "true or false on a 三(七) row (专业核心课程?)"),
                                        row=int(i) + row0,
                                        column="core_course"))
    if problems:
        raise InputError(problems)


def check_links(frame: pd.DataFrame, history: pd.DataFrame | None, fold: dict | None = None) -> None:
    """Every link column of the catalogue (三(三) `consortium_id`) names, by candidate_id, a row of
    this table or of the locked history with the catalogue's task and the same `same` columns
    (localities compared after folding), and only on the rows the catalogue lets carry it."""
    links = load_catalogue().links
    source = frame.attrs.get("source", "candidates")
    row0 = int(frame.attrs.get("first_data_row", 2))
    parts = [frame] + ([history] if history is not None and len(history) else [])
    problems = []
    for column, link in links.items():
        if column not in frame:
            continue
        text = frame[column].fillna("").astype(str).to_numpy(dtype=object)
        codes, distinct = pd.factorize(text)            # every cell text (astype): each stripped once
        named = np.array([v.strip() for v in distinct], dtype=object)[codes]
        if not (named != "").any():
            continue
        pool = fold_localities(pd.concat([p[["candidate_id", "task", *link.same]] for p in parts],
                                         ignore_index=True), fold or {})
        pool = pool.drop_duplicates("candidate_id")
        pool.index = pool["candidate_id"].astype(str)
        rows = fold_localities(frame[[*link.same, *link.on]].copy(), fold or {})
        may_carry = np.ones(len(frame), bool)
        for col, value in link.on.items():
            may_carry &= (rows[col].astype(str) == value).to_numpy()
        expected = say(f"本轮或往年轮次中一个 {link.task} 行（{link.clause}）的项目编号" + (
            "，且 " + "、".join(link.same) + " 相同" if link.same else ""),
            f"the candidate_id of a {link.task} row ({link.clause}) of this round or an earlier round" + (
                " with the same " + ", ".join(link.same) if link.same else ""))
        for i in _link_suspects(named, pool, rows, link, may_carry):
            where = dict(row=int(i) + row0, column=column)
            value = named[i]
            if not may_carry[i]:
                on = ", ".join(f"{c} = {v}" for c, v in link.on.items())
                problems.append(Problem(source, say(f"{column}“{value}”出现在不是 {on} 的行上",
                                                    f'{column} "{value}" on a row that is not {on}'),
                                        say(f"此行 {column} 留空（只有 {on} 的行填写）",
                                            f"{column} empty on this row (only rows with {on} name one)"), **where))
            elif value not in pool.index:
                problems.append(Problem(source, say(f"{column}“{value}”，本表和已锁定的往年名单中都没有这个项目",
                                                    f'{column} "{value}", which names no candidate of this table or '
                                                    "the locked history"), expected, hint=suggest(value, [
                                            c for c, t in zip(pool.index, pool["task"]) if t == link.task]), **where))
            elif pool.at[value, "task"] != link.task:
                problems.append(Problem(source, say(f"{column}“{value}”，是一个 {pool.at[value, 'task']} 行",
                                                    f'{column} "{value}", a {pool.at[value, "task"]} row'), expected, **where))
            else:
                for col in link.same:
                    if str(pool.at[value, col]) != str(rows[col].iat[i]):
                        problems.append(Problem(source, say(f"{col} 为“{pool.at[value, col]}”的 {column}“{value}”出现在 "
                                                            f"{col} 为“{rows[col].iat[i]}”的行上",
                                                            f'{column} "{value}" of {col} "{pool.at[value, col]}" on a row '
                                                            f'of {col} "{rows[col].iat[i]}"'), expected, **where))
    if problems:
        raise InputError(problems[:200])


def _link_suspects(named: np.ndarray, pool: pd.DataFrame, rows: pd.DataFrame, link, may_carry: np.ndarray) -> np.ndarray:
    """Positions of the rows naming a link that the checks of `check_links` must look at one by one:
    every row naming one, less those that pass all of them at once (may carry it, name a row of
    the pool of the link's task, and agree with it in every `same` column, compared as text)."""
    named_at = np.flatnonzero(named != "")
    if not pool.index.is_unique:
        return named_at
    found = pool.index.get_indexer(named[named_at])
    fine = may_carry[named_at] & (found >= 0)
    at = np.where(found >= 0, found, 0)
    fine &= pool["task"].to_numpy(dtype=object)[at] == link.task
    for col in link.same:
        theirs = np.array(list(map(str, pool[col].to_numpy(dtype=object))), dtype=object)[at]
        ours = np.array(list(map(str, rows[col].to_numpy(dtype=object)[named_at])), dtype=object)
        fine &= theirs == ours
    return named_at[~fine]


def check_years(frame: pd.DataFrame, scenario: Scenario) -> None:
    """Every candidate's year must lie in the scenario's planning period."""
    first, last = scenario.years
    years = frame["year"].to_numpy()
    bad = np.flatnonzero((years < first) | (years > last))
    if len(bad):
        source = frame.attrs.get("source", "candidates")
        row0 = int(frame.attrs.get("first_data_row", 2))
        expected = say(f"{first}（情景的年度）" if first == last else f"{first}–{last} 之间的年度（情景的周期）",
                       f"{first} (the scenario's year)" if first == last else f"a year in {first}–{last} (the scenario's period)")
        raise InputError([Problem(source, say(f"年度 {years[i]}", f"year {years[i]}"), expected, row=int(i) + row0,
                                  column="year") for i in bad[:100]])


def read_history(scenario: Scenario) -> pd.DataFrame | None:
    """Locked slates of earlier rounds named by the scenario (rows of earlier years only): every
    earlier year of the period, in year order (二(二); `round_years.check_history_years` refuses a
    gap, a wrong year or a wrong order)."""
    if not scenario.history:
        check_history_years(scenario, [])        # a round on its own: logged after the first year
        return None
    check_history_files(scenario)
    parts = [load_candidates(path, extra_bool_columns=SLATE_FLAGS) for path in scenario.history]
    check_history_years(scenario, list(zip(scenario.history, parts)))
    history = pd.concat([part[part["year"] < scenario.year] for part in parts], ignore_index=True)
    dup = history["candidate_id"].duplicated(keep="last")
    return history[~dup].reset_index(drop=True)


def prepare(frame: pd.DataFrame, scenario: Scenario, history: pd.DataFrame | None) -> Prepared:
    """Fold localities, append the locked history after this table's rows, check pins.

    With a history, this round's rows get ``recognised_in`` / ``national_in``: the year an earlier
    round selected / recommended nationally the same project (`availability.project_keys`), 0 if none.
    """
    units = unit_mode(scenario.switches)
    if units in ("check", "merge"):
        check_units(frame, history, mode=units)
    merges = unit_merges(pd.concat([f[["unit_id", "unit_name"]] for f in (frame, history) if f is not None and len(f)],
                                   ignore_index=True)) if units == "merge" else {}
    check_links(frame, history, scenario.fold)
    if history is not None and len(history) and RECOGNITION_SWITCH in scenario.switches:
        # Written onto the caller's table too: the slate is that table plus columns, and its
        # audit and reasons must see why a re-filed project cannot be chosen.
        frame["recognised_in"] = earlier_rounds(frame, history, "selected")
        frame["national_in"] = earlier_rounds(frame, history, "national")
    rows = merge_units(fold_localities(frame, scenario.fold), merges)
    n = len(rows)
    if history is None or not len(history):
        check_pins(rows, scenario)
        return Prepared(frame=rows, locked=np.zeros(n, bool), locked_national=np.zeros(n, bool), n_history=0)
    clash = rows["candidate_id"].isin(set(history["candidate_id"])).to_numpy()
    if clash.any():
        first = int(frame.attrs.get("first_data_row", 2))
        raise InputError([Problem(frame.attrs.get("source", "candidates"),
                                  say(f"候选“{rows['candidate_id'].iat[i]}”，已锁定的往年名单中也有",
                                      f'candidate "{rows["candidate_id"].iat[i]}" which the locked history also holds'),
                                  say("每个候选只决定一次：往年的在 history 中，本轮的在这里",
                                      "each candidate decided once: earlier rounds in the history, this round here"),
                                  row=int(i) + first, column="candidate_id") for i in np.flatnonzero(clash)[:50]])
    past = merge_units(fold_localities(history, scenario.fold), merges).reindex(columns=rows.columns)
    for column in ("recognised_in", "national_in"):
        if column in past:
            past[column] = pd.to_numeric(past[column], errors="coerce").fillna(0).astype(np.int64)
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
