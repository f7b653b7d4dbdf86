"""What a chart reads: a solved round as a `Run`, and the tables each chart is drawn from.

Owns `Run` (a `Result` or an output folder of ``planner solve`` read back, with `read_run`),
the run's ledger (`ledger_of`), the table of locality and 高职-tier cap use (`quota_use_table`,
`quota_tasks`), the province-wide targets of a ledger year by year (`target_table`) and the
dated entries of a scenario's ``[[calendar]]`` (`calendar_table`). Plain pandas: it draws
nothing and does not load matplotlib. Does not own computing the ledger (`ledger`) nor any
number of the notice: caps, targets and deadlines are read from the run's rule table and the
scenario.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import pandas as pd

from planner.errors import InputError, PolicyError, Problem
from planner.inputs import load_catalogue
from planner.inputs import read_run as read_run_folder
from planner.lang import say
from planner.rules import notice_words

if TYPE_CHECKING:
    from planner.result import SolvedRound
    from planner.rules import Scenario

log = logging.getLogger(__name__)

OUTPUT_FILES = ("slate.csv", "rules.csv", "summary.json")


# --- what a chart reads -----------------------------------------------------------------------


@dataclass
class Run:
    """One solved round, as the charts need it.

    Attributes
    ----------
    slate : DataFrame
        Every candidate row with ``selected`` and ``national`` (0/1); needs candidate_id, year,
        task, track, unit_id, unit_name, tier, locality, score.
    rules : DataFrame
        One row per rule group: rule_id, clause, group, value, min, max, binding, text, decision,
        target_min (``rules.csv``).
    summary : dict
        ``summary.json``: name, year, n_selected, n_national, total_score, n_binding …
    scenario : Scenario or None
        The scenario, when it could be found (needed for the calendar and the pass mark).
    ledger : DataFrame or None
        ``ledger.csv`` when the output folder has one.
    source : str
        Where the run came from (an output folder, or "<result>").
    history : DataFrame or None
        Locked rows of earlier rounds (a `Result`'s ``history``).
    """

    slate: pd.DataFrame
    rules: pd.DataFrame
    summary: dict[str, Any]
    scenario: "Scenario | None" = None
    ledger: pd.DataFrame | None = None
    source: str = "<result>"
    history: pd.DataFrame | None = None

    @property
    def year(self) -> int:
        return int(self.summary.get("year", int(self.slate["year"].max())))


def read_run(result_or_outdir: "SolvedRound | Run | str | Path", *, scenario: "Scenario | str | Path | None" = None) -> Run:
    """A `Run` from a `Result`, an output folder of ``planner solve``, or a `Run`.

    An output folder needs slate.csv, rules.csv and summary.json; ledger.csv is read when
    present. The scenario is the one given, else the one the summary names (``scenario`` or
    the ``.toml`` among ``inputs``) when that file still exists.

    Raises
    ------
    InputError
        The folder is missing or lacks one of its files (every missing file is listed).
    """
    if isinstance(result_or_outdir, Run):
        run = result_or_outdir
    elif hasattr(result_or_outdir, "slate") and hasattr(result_or_outdir, "rules"):
        result = result_or_outdir
        run = Run(slate=result.slate, rules=result.rules, summary=dict(result.summary),
                  scenario=getattr(result, "scenario", None), source="<result>",
                  history=getattr(result, "history", None))
    else:
        run = _read_out_dir(Path(result_or_outdir))
    if scenario is not None:
        from planner.rules import Scenario as _Scenario
        from planner.rules import load_scenario
        loaded = scenario if isinstance(scenario, _Scenario) else load_scenario(scenario)
        run = dataclasses.replace(run, scenario=loaded)
    return run


def _read_out_dir(folder: Path) -> Run:
    if not folder.is_dir():
        raise InputError([Problem(str(folder), say("没有这个文件夹", "no such folder"),
                                  say("planner solve 写出的输出文件夹（slate.csv、rules.csv、summary.json）",
                                      "an output folder written by `planner solve` (slate.csv, rules.csv, summary.json)"))])
    missing = [name for name in OUTPUT_FILES if not (folder / name).is_file()]
    if missing:
        raise InputError([Problem(str(folder / name), say("没有这个文件", "no such file"),
                                  say("planner solve 写出的输出文件夹里的文件", "an output folder written by `planner solve`"))
                          for name in missing])
    run = read_run_folder(folder, explanations=False)   # slate and summary checked (a damaged folder: exit 2)
    slate = run.slate
    for column in ("year", "selected", "national"):
        if column in slate:
            slate[column] = pd.to_numeric(slate[column], errors="coerce").fillna(0).astype("int64")
    if "score" in slate:
        slate["score"] = pd.to_numeric(slate["score"], errors="coerce")
    rules = pd.read_csv(folder / "rules.csv", encoding="utf-8-sig", dtype={"group": str, "rule_id": str})
    rules["group"] = rules["group"].fillna("")
    for column in ("binding", "soft"):
        if column in rules and rules[column].dtype != bool:
            rules[column] = rules[column].astype(str).str.lower().eq("true")
    summary = run.summary
    ledger = None
    if (folder / "ledger.csv").is_file():
        ledger = pd.read_csv(folder / "ledger.csv", encoding="utf-8-sig", dtype={"group": str, "rule_id": str})
    return Run(slate=slate, rules=rules, summary=summary, scenario=_scenario_of(summary, folder),
               ledger=ledger, source=str(folder))


def _scenario_of(summary: Mapping[str, Any], folder: Path) -> "Scenario | None":
    """The scenario a summary names, if its file can still be read (else None, logged)."""
    from planner.rules import load_scenario

    names = [summary["scenario"]] if summary.get("scenario") else []
    names += [name for name in summary.get("inputs", {}) if str(name).endswith(".toml")]
    for name in names:
        for path in (Path(name), folder / name, folder.parent / name):
            if path.is_file():
                try:
                    return load_scenario(path)
                except Exception as exc:     # a scenario edited since the run: no calendar, say why
                    log.warning(say(f"情景 {path} 无法再次读取：{exc}", f"scenario {path} could not be read again: {exc}"))
                    return None
    log.info("no scenario file found for %s; the calendar and pass mark are left out", folder)
    return None


# --- tables the charts draw -------------------------------------------------------------------


def _task_of_rules(rules: pd.DataFrame, scenario: "Scenario | None") -> tuple[pd.Series, pd.Series]:
    """Task and track code of each rule row: from the scenario's `where` when known, else the
    task whose catalogue clause equals the rule's clause (track unknown)."""
    cat = load_catalogue()
    by_clause = {task.clause: code for code, task in cat.tasks.items()}
    task = rules["clause"].map(by_clause).fillna("")
    track = pd.Series("", index=rules.index, dtype=object)
    if scenario is not None:
        known = {}
        for rule in scenario.rules:
            wanted = {col: conds[0][1] for col, conds in rule.where.items()
                      if len(conds) == 1 and conds[0][0] == "eq" and col in ("task", "track")}
            known[rule.id] = (wanted.get("task", ""), wanted.get("track", ""))
        from_rule = rules["rule_id"].map(lambda r: known.get(r, ("", "")))
        scenario_task = from_rule.map(lambda pair: pair[0])
        task = scenario_task.where(scenario_task != "", task)
        track = from_rule.map(lambda pair: pair[1])
    return task.astype(str), track.astype(str)


def quota_use_table(run: Run) -> pd.DataFrame:
    """Use of every locality and 高职-tier cap, one row per rule group.

    A locality cap is a provincial rule with a ``max`` whose groups are all localities; a tier
    cap is one whose groups are all 高职 schools (``unit_id``) of a single tier. Rules that
    forbid (``max = 0``), province-wide bands and national splits are left out.

    Parameters
    ----------
    run : Run
        Needs ``rules`` (rule_id, clause, group, value, max, binding, decision) and ``slate``
        (unit_id, unit_name, tier).

    Returns
    -------
    DataFrame
        rule_id, clause, task, track, kind (``locality``/``tier``), group, label, tier, used,
        cap, binding.
    """
    cat = load_catalogue()
    rules = run.rules
    caps = rules[(rules.get("decision", "provincial") == "provincial") & rules["max"].notna()
                 & (rules["max"] > 0)].copy()
    columns = ["rule_id", "clause", "task", "track", "kind", "group", "label", "tier", "used", "cap", "binding"]
    if caps.empty:
        return pd.DataFrame(columns=columns)
    slate = run.slate
    units = slate.loc[slate["tier"].astype(str) != "", ["unit_id", "tier", "unit_name"]].drop_duplicates("unit_id")
    tier_of = units.set_index("unit_id")["tier"]
    name_of = units.set_index("unit_id")["unit_name"]
    caps["tier"] = caps["group"].map(tier_of).astype(object).fillna("")
    is_locality = caps["group"].isin(list(cat.localities))
    per_rule = caps.assign(_loc=is_locality).groupby("rule_id").agg(
        all_localities=("_loc", "all"), tiers=("tier", lambda t: set(t)))
    locality_rules = set(per_rule.index[per_rule["all_localities"]])
    tier_rules = set(per_rule.index[per_rule["tiers"].map(lambda t: len(t) == 1 and "" not in t)])
    caps["kind"] = np.where(caps["rule_id"].isin(locality_rules), "locality",
                            np.where(caps["rule_id"].isin(tier_rules), "tier", ""))
    caps = caps[caps["kind"] != ""].copy()
    caps["task"], caps["track"] = _task_of_rules(caps, run.scenario)
    caps["label"] = np.where(caps["kind"] == "locality", caps["group"],
                             caps["group"].map(name_of).astype(object).fillna(caps["group"]))
    caps = caps.rename(columns={"value": "used", "max": "cap"})
    caps["binding"] = caps["binding"].astype(bool)
    return caps[columns].reset_index(drop=True)


def quota_tasks(run: Run) -> list[str]:
    """Task codes that have a locality or tier cap, in catalogue order."""
    table = quota_use_table(run)
    present = set(table["task"])
    return [code for code in load_catalogue().tasks if code in present]


_TARGET_PREFIX = re.compile(r"^到\d{4}年[，,]\s*(全省)?(建设)?")


TARGET_COLUMNS = ["rule_id", "label", "year", "used", "planned", "target_min", "max", "total"]
_YEAR_COLUMN = re.compile(r"^(used|planned)_(\d{4})$")


def _long_ledger(ledger: pd.DataFrame) -> pd.DataFrame:
    """A ledger as one row per rule group and year: rule_id, group, year, used, planned, target_min …

    Takes the ledger of `planner.ledger` (one row per rule group, ``used_<year>`` and
    ``planned_<year>`` columns, ``target``) or a long one (``year``, ``used``, ``target_min``).
    """
    year_columns = [c for c in ledger.columns if _YEAR_COLUMN.match(str(c))]
    if not year_columns:
        frame = ledger.copy()
        frame["planned"] = pd.to_numeric(frame["planned"], errors="coerce") if "planned" in frame else 0.0
        return frame
    keep = [c for c in ledger.columns if c not in year_columns and c not in ("used", "min")]
    base = ledger[keep].reset_index(drop=True)
    amounts = ledger[year_columns].reset_index(drop=True).rename_axis("_row").reset_index()
    long = amounts.melt(id_vars="_row", var_name="_column", value_name="_amount")
    parts = long["_column"].str.extract(_YEAR_COLUMN)
    long = long.assign(_kind=parts[0], year=parts[1].astype(int))
    wide = long.pivot(index=["_row", "year"], columns="_kind", values="_amount").reset_index()
    wide.columns.name = None
    for kind in ("used", "planned"):
        if kind not in wide:
            wide[kind] = np.nan
    wide = wide[wide["used"].notna() | wide["planned"].notna()]     # years not yet decided nor planned
    frame = base.join(wide.set_index("_row"), how="inner").reset_index(drop=True)
    if "target" in frame and "target_min" not in frame:
        frame = frame.rename(columns={"target": "target_min"})
    return frame


def target_table(ledger: pd.DataFrame) -> pd.DataFrame:
    """Province-wide targets of a ledger, one row per target and year.

    Parameters
    ----------
    ledger : DataFrame
        The ledger of `planner.ledger` (rule_id, group, text, scope, max, target, ``used_<year>``
        and, for a plan, ``planned_<year>``), or a long frame with rule_id, group, year, used,
        target_min and optional planned, text (or task/track), max, scope. A target is a rule
        with a target minimum, a single group, and a scope other than ``year`` (a per-year
        minimum is a pace, not a target).

    Returns
    -------
    DataFrame
        rule_id, label, year, used, planned, target_min, max, total (decided use over all years).
    """
    frame = _long_ledger(ledger)
    needed = ["rule_id", "group", "year", "used", "target_min"]
    missing = [c for c in needed if c not in frame]
    if missing:
        raise InputError([Problem("ledger", say(f"没有列 {'、'.join(missing)}", f"no column {', '.join(missing)}"),
                                  say("有 " + "、".join(needed) + " 列（或 used_<年度> 与 target 列）的名额台账",
                                      "a ledger with " + ", ".join(needed) + " (or used_<year> and target)"))])
    rows = frame[frame["target_min"].notna()].copy()
    if "scope" in rows:
        rows = rows[rows["scope"].astype(str) != "year"]
    groups_per_rule = rows.groupby("rule_id")["group"].nunique()
    rows = rows[rows["rule_id"].isin(groups_per_rule.index[groups_per_rule == 1])]
    if rows.empty:
        return pd.DataFrame(columns=TARGET_COLUMNS)
    cat = load_catalogue()
    if "task" in rows:
        label = rows["task"].map(lambda t: cat.label("task", t))
        if "track" in rows:
            tracks = pd.Series([cat.tracks_of(t).get(tr, "") for t, tr in zip(rows["task"], rows["track"].fillna(""))],
                               index=rows.index)
            label = label.where(tracks == "", tracks)
    elif "text" in rows:
        label = (rows["text"].astype(str).str.replace(_TARGET_PREFIX, "", regex=True)
                 .map(notice_words))        # the notice's words, not the planner's reading
    else:
        label = rows["rule_id"]
    rows["label"] = label.astype(str)
    rows["max"] = pd.to_numeric(rows["max"], errors="coerce") if "max" in rows else np.nan
    rows["used"] = pd.to_numeric(rows["used"], errors="coerce").fillna(0.0)
    rows["planned"] = pd.to_numeric(rows["planned"], errors="coerce").fillna(0.0)
    rows["year"] = rows["year"].astype(int)
    rows["total"] = rows.groupby("rule_id")["used"].transform("sum")
    order = {r: i for i, r in enumerate(dict.fromkeys(rows["rule_id"]))}
    rows = rows.assign(_order=rows["rule_id"].map(order)).sort_values(["_order", "year"])
    # the label of a rule is the one of its first row (a long ledger may write it once)
    rows["label"] = rows.groupby("rule_id")["label"].transform("first")
    return rows[TARGET_COLUMNS].reset_index(drop=True)


def ledger_of(run: Run) -> pd.DataFrame:
    """The run's ledger: ``run.ledger`` (``ledger.csv`` of its folder) when there is one; else
    `planner.ledger` over the run and its scenario; else, without a scenario, the targets of the
    rule table as one row per target in the run's year (its ``value`` already counts every
    earlier locked year, so the bar is not split by year).

    Returns
    -------
    DataFrame
        A ledger `target_table` reads.
    """
    if run.ledger is not None:
        return run.ledger
    try:
        from planner.ledger import ledger as ledgers
    except ImportError:                     # an installation without the ledger module
        ledgers = None
    if run.scenario is not None and ledgers is not None:
        from planner.errors import PlannerError

        try:
            if run.source != "<result>":
                return ledgers.ledger_from_outputs([run.source], run.scenario)[1]
            return ledgers.ledger_table(run.slate, run.scenario, run.history)
        except PlannerError as exc:         # e.g. a scenario edited since the run
            log.warning(say(f"{run.source} 的名额台账未能计算（{exc}）；目标取自 rules.csv",
                            f"ledger of {run.source} not computed ({exc}); targets read from rules.csv"))
    rules = run.rules[run.rules["target_min"].notna()]
    return pd.DataFrame({
        "rule_id": rules["rule_id"], "clause": rules["clause"], "text": rules["text"],
        "group": rules["group"], "year": run.year, "used": rules["value"], "min": rules["min"],
        "max": rules["max"], "target_min": rules["target_min"], "scope": rules["scope"],
    }).reset_index(drop=True)


# --- counts of the brief: this year against the year before ------------------------------------


def previous_round(run: Run) -> pd.DataFrame | None:
    """Rows of the latest round before the run's year: from ``run.history`` (a `Result`), else
    from the slates the run's scenario names as ``history``; None when there is none (or its
    files can no longer be read, logged)."""
    history = run.history
    if history is None and run.scenario is not None and run.scenario.history:
        from planner.errors import PlannerError
        from planner.rules import read_history

        try:
            history = read_history(run.scenario)
        except PlannerError as exc:          # moved or edited since the run: no comparison, say why
            log.warning(say(f"{run.source} 的往年名单未能读取（{exc}）；简报不与上一年比较",
                             f"history of {run.source} not read ({exc}); the brief says nothing about last year"))
            return None
    if history is None or not len(history):
        return None
    years = pd.to_numeric(history["year"], errors="coerce")
    earlier = years[years < run.year]
    if earlier.empty:
        return None
    rows = history[years == earlier.max()].copy()
    for column in ("selected", "national"):
        rows[column] = pd.to_numeric(rows[column], errors="coerce").fillna(0).astype(bool).astype("int64")
    return rows


def count_table(rows: pd.DataFrame, before: pd.DataFrame | None, key: str) -> pd.DataFrame:
    """Per value of `key`: candidates, selected and national this round, and selected the round before.

    Parameters
    ----------
    rows : DataFrame
        This round's rows: `key`, selected, national (0/1).
    before : DataFrame or None
        The previous round's rows (`key`, selected), or None.
    key : str
        ``task`` (catalogue order, every task with a row in either round) or ``locality``
        (catalogue order).

    Returns
    -------
    DataFrame
        `key`, label, candidates, selected, national, before (NaN without `before`).
    """
    cat = load_catalogue()
    order = list(cat.tasks) if key == "task" else list(cat.localities)
    now = rows.groupby(key).agg(candidates=("selected", "size"), selected=("selected", "sum"),
                                national=("national", "sum"))
    keys = [*now.index, *(before[key].unique() if before is not None else [])]
    rank = {k: i for i, k in enumerate(order)}
    keys = sorted(dict.fromkeys(str(k) for k in keys), key=lambda k: (rank.get(k, len(rank)), k))
    table = now.reindex(keys).fillna(0).astype("int64")
    table["before"] = (before.groupby(key)["selected"].sum().reindex(keys).fillna(0).astype(float)
                       if before is not None else np.nan)
    table = table.rename_axis(key).reset_index()
    table.insert(1, "label", table[key].map(lambda k: cat.label(key, k)) if key == "task" else table[key])
    return table


# --- the calendar ---------------------------------------------------------------------------


def calendar_table(scenario: "Scenario") -> pd.DataFrame:
    """Every dated occurrence of the scenario's ``[[calendar]]`` entries.

    An entry has ``tasks`` (codes, or ``"*"`` for all), ``event``, ``clause`` and either a
    ``date`` (optionally ``then_yearly = "MM-DD"`` from ``from_year``), a ``start``/``end``
    window, or a yearly ``yearly_start``/``yearly_end`` window (a yearly deadline when only
    ``yearly_end`` is given) from ``from_year`` to the last year of the period.

    Returns
    -------
    DataFrame
        entry (index of the entry), row (task code or ``"*:<event>"``), event, clause, start,
        end (equal for a deadline), rule (the entry's dates in words).

    Raises
    ------
    PolicyError
        An entry without an event or with a date that is not ``YYYY-MM-DD`` / ``MM-DD``.
    """
    first, last = scenario.years
    records: list[dict[str, Any]] = []
    problems: list[Problem] = []

    def day(text: Any, year: int | None, key: str, entry: int) -> dt.date | None:
        try:
            return dt.date.fromisoformat(str(text) if year is None else f"{year}-{text}")
        except ValueError:
            problems.append(Problem(scenario.label, say(f"工作日历第 {entry + 1} 项：{key} = {text!r}",
                                                        f"calendar entry {entry + 1}: {key} = {text!r}"),
                                    say("日期，格式为 ", "a date ") + ("YYYY-MM-DD" if year is None else "MM-DD"),
                                    column=f"calendar/{key}"))
            return None

    for i, entry in enumerate(scenario.calendar):
        event = str(entry.get("event", "")).strip()
        if not event:
            problems.append(Problem(scenario.label, say(f"工作日历第 {i + 1} 项没有事项", f"calendar entry {i + 1} without an event"),
                                    'event = "…"', column="calendar/event"))
            continue
        from_year = int(entry.get("from_year", first))
        spans: list[tuple[dt.date | None, dt.date | None]] = []
        words: list[str] = []
        if "date" in entry:
            d = day(entry["date"], None, "date", i)
            spans.append((d, d))
            words.append(str(entry["date"]))
            if "then_yearly" in entry:
                spans += [(day(entry["then_yearly"], y, "then_yearly", i),) * 2 for y in range(from_year, last + 1)]
                words.append(f"{from_year}年起每年{entry['then_yearly']}")
        if "start" in entry or "end" in entry:
            spans.append((day(entry.get("start", entry.get("end")), None, "start", i),
                          day(entry.get("end", entry.get("start")), None, "end", i)))
            words.append(f"{entry.get('start', '')}至{entry.get('end', '')}")
        if "yearly_start" in entry or "yearly_end" in entry:
            s = entry.get("yearly_start", entry.get("yearly_end"))
            e = entry.get("yearly_end", entry.get("yearly_start"))
            spans += [(day(s, y, "yearly_start", i), day(e, y, "yearly_end", i)) for y in range(from_year, last + 1)]
            words.append(f"{from_year}年起每年{s}至{e}" if s != e else f"{from_year}年起每年{e}前")
        tasks = entry.get("tasks", ["*"])
        tasks = [tasks] if isinstance(tasks, str) else list(tasks)
        rows = [f"*:{event}" if t == "*" else str(t) for t in tasks]
        for start, end in spans:
            if start is None or end is None:
                continue
            records += [{"entry": i, "row": r, "event": event, "clause": str(entry.get("clause", "")),
                         "start": start, "end": end, "rule": "，".join(words)} for r in rows]
    if problems:
        raise PolicyError(problems)
    return pd.DataFrame(records, columns=["entry", "row", "event", "clause", "start", "end", "rule"])
