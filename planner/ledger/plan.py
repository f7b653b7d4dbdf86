"""The joint plan of the remaining years: "if we pick these now, can we still reach the 2025 targets?"

Owns `plan_period`: this round and every later year of the period solved together — this
year's candidates, locked earlier slates, and forecast pools (candidate tables of later years
named in `[plan] pools`, or a copy of this year's pool for a year without one) — and the
answer read back: the slate this round would take, the tentative slate of each later year,
the ledger with the planned years, and for every "by" target whether and when the plan
reaches it. A fixed slate for this year (`fix`) turns it into the what-if question above.
Does not own the model of the lookahead (`model`), the forecast rows (`availability`) nor
the ledger arithmetic (`ledger`); the CLI command is `planner.commands.plan`.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.audit import AuditReport, check_slate
from planner.errors import AuditError, InputError, Problem
from planner.inputs import load_candidates
from planner.lang import say
from planner.ledger.ledger import TOLERANCE, ledger_table
from planner.model import Model, build_model
from planner.rules import Scenario, load_scenario, read_candidates, read_history
from planner.rules.prepare import prepare
from planner.solver import Solution, solve_model

log = logging.getLogger(__name__)

SLATE_FLAGS = ("selected", "national")


@dataclass
class PlanResult:
    """A plan of this round and the later years of the period.

    Attributes
    ----------
    slate : DataFrame
        This round's candidate rows with ``selected``/``national`` (0/1): what it would take.
    planned : DataFrame
        The forecast rows of the later years with ``plan_year``, ``plan_source`` (the row it
        stands for: a pool row, or this year's row it copies) and ``selected`` (0/1).
    ledger : DataFrame
        `ledger.ledger_table` with ``planned_<year>`` columns.
    targets : DataFrame
        One row per group of a rule with a "by" minimum: rule_id, clause, text, group, target,
        target_year, soft, ``cum_<year>`` (cumulative count at the end of each year: locked,
        then this round, then planned), projected, reached_in (first year the cumulative count
        reaches the target; <NA> if never), reachable (reached by the target year), shortfall.
    by_year : DataFrame
        Selected count per task and track in every year of the period (locked, this round, planned).
    audits : dict[int, AuditReport]
        This round's slate and every planned year's slate audited as if decided in turn (a
        planned year without its national rules: national picks are not planned ahead).
    summary : dict
    """

    scenario: Scenario
    slate: pd.DataFrame
    planned: pd.DataFrame
    ledger: pd.DataFrame
    targets: pd.DataFrame
    by_year: pd.DataFrame
    audits: dict[int, AuditReport]
    summary: dict[str, Any]
    model: Model = field(repr=False)
    solution: Solution = field(repr=False)

    @property
    def reachable(self) -> bool:
        """Every hard "by" target is reached by its year in the plan."""
        hard = self.targets[~self.targets["soft"]]
        return bool(hard["reachable"].all())


def plan_period(scenario: Scenario | str | Path, *, candidates: pd.DataFrame | str | Path | None = None,
                pools: list[str | Path] | tuple | None = None, fix: pd.DataFrame | str | Path | None = None,
                forecast: str | None = None, time_limit_s: float = 60.0, seed: int = 0,
                workers: int = 0) -> PlanResult:
    """Plan this round and every later year of the period at once.

    Parameters
    ----------
    scenario : Scenario or path
        The round; its `[plan]` settings apply, except that the lookahead is always on
        (forecast ``"none"`` becomes ``"auto"``) and a hard minimum that cannot be reached is
        reported rather than refused (reachability ``"hard"`` becomes ``"soft"``).
    candidates : DataFrame or path, optional
        Replaces the scenario's candidate table.
    pools : list of paths, optional
        Candidate tables of later years (default: `[plan] pools`); only rows of years after
        this round's and inside the period are used, each standing for its own year.
    fix : DataFrame or path, optional
        A slate of this round (``selected`` per candidate_id) to keep as it is: the plan then
        answers whether the later years can still reach the targets after it.
    forecast : str, optional
        Overrides `[plan] forecast` (``"repeat"`` ignores the pools).
    time_limit_s, seed, workers
        CP-SAT settings.

    Raises
    ------
    InputError, PolicyError, InfeasibleError, NoSolutionError, AuditError
        As `planner.solve`; InfeasibleError now means the hard rules fail even this round.
    """
    start = time.perf_counter()
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    mode = forecast or (scenario.plan.forecast if scenario.plan.forecast != "none" else "auto")
    reach = "soft" if scenario.plan.reachability == "hard" else scenario.plan.reachability
    scenario = scenario.with_plan(forecast=mode, reachability=reach)
    table = read_candidates(scenario, candidates)
    n = len(table)
    pool_paths = list(scenario.plan.pools if pools is None else pools) if mode != "repeat" else []
    frame = _with_pools(table, scenario, pool_paths)
    if fix is not None:
        scenario = _pin_to_slate(scenario, table, fix)
    history = read_history(scenario)
    prepared = prepare(frame, scenario, history)
    model = build_model(prepared.frame, scenario, locked=prepared.locked, locked_national=prepared.locked_national,
                        history_rows=prepared.history_rows)
    solution = solve_model(model, time_limit_s=time_limit_s, seed=seed, workers=workers)

    slate = table.copy()
    slate["selected"] = solution.selected[:n].astype(np.int8)
    slate["national"] = solution.national[:n].astype(np.int8)
    audit = check_slate(slate, scenario, history=history)
    if not audit.ok:
        raise AuditError("the plan's slate for this round failed the audit (a bug — please report it):\n"
                         + "\n".join(audit.messages()[:20]), audit.hard_violations)
    planned = planned_rows(model, solution)

    audits = {scenario.year: audit}
    decided = [d for d in (history, slate) if d is not None and len(d)]
    for year in scenario.planned_years:
        rows = planned[planned["plan_year"] == year].drop(columns=["plan_year", "plan_source"])
        before = pd.concat([d.reindex(columns=rows.columns) for d in decided], ignore_index=True) if decided else None
        # National picks are made round by round from that round's slate, never planned ahead.
        as_of = scenario.with_year(year)
        as_of = dataclasses.replace(as_of, rules=tuple(r for r in as_of.rules if r.decision != "national"))
        audits[year] = check_slate(rows, as_of, history=_as_history(before, rows))
        decided.append(rows)

    ledger = ledger_table(slate, scenario, history, planned=planned)
    targets = target_table(ledger, scenario)
    by_year = year_table(slate, scenario, history, planned)
    summary = {
        "name": scenario.name, "year": scenario.year, "planned_years": list(scenario.planned_years),
        "forecast": mode, "pools": [str(p) for p in pool_paths], "fixed_slate": fix is not None if not isinstance(
            fix, (str, Path)) else str(fix),
        "status": solution.status, "objective": round(solution.objective, 6), "gap": round(solution.gap, 9),
        "n_selected_now": int(slate["selected"].sum()),
        "n_planned": {int(y): int(planned.loc[planned["plan_year"] == y, "selected"].sum())
                      for y in scenario.planned_years},
        "targets": len(targets), "targets_reachable": int(targets["reachable"].sum()),
        "hard_targets_unreachable": targets.loc[~targets["soft"] & ~targets["reachable"], "rule_id"].tolist(),
        "build_s": round(model.build_s, 3), "solve_s": round(solution.solve_s, 3),
        "total_s": round(time.perf_counter() - start, 3), "phases": solution.phases,
        "seed": seed, "workers": workers, "time_limit_s": time_limit_s,
    }
    log.info("plan %s: %d now, planned %s; %d of %d targets reachable", scenario.name, summary["n_selected_now"],
             summary["n_planned"], summary["targets_reachable"], summary["targets"])
    return PlanResult(scenario=scenario, slate=slate, planned=planned, ledger=ledger, targets=targets,
                      by_year=by_year, audits=audits, summary=summary, model=model, solution=solution)


def planned_rows(model: Model, solution: Solution) -> pd.DataFrame:
    """The tentative picks of the later years of a solved lookahead (empty without one).

    Returns
    -------
    DataFrame
        The planned rows of `model.frame` (candidate_id ``<id>@<year>``, year = planned year)
        with ``plan_year``, ``plan_source``, ``selected`` (0/1) and ``national`` (0: national
        picks are never planned); what `ledger.ledger_table(..., planned=)` takes.
    """
    planned = model.frame[model.planned].copy()
    planned["plan_year"] = model.plan_year[model.planned]
    planned["plan_source"] = model.plan_source[model.planned]
    planned["selected"] = solution.selected[model.planned].astype(np.int8)
    planned["national"] = np.zeros(len(planned), np.int8)
    return planned.reset_index(drop=True)


def _with_pools(table: pd.DataFrame, scenario: Scenario, paths: list) -> pd.DataFrame:
    """The round's table followed by the pool rows of later years of the period."""
    if not paths:
        return table
    planned_years = set(scenario.planned_years)
    parts = [table]
    seen = set(table["candidate_id"].astype(str))
    for path in paths:
        pool = load_candidates(path)
        keep = pool["year"].isin(planned_years).to_numpy() & ~pool["candidate_id"].astype(str).isin(seen).to_numpy()
        missing = sorted(set(table.columns) - set(pool.columns))
        if missing:
            raise InputError([Problem(str(path), say(f"没有列 {'、'.join(missing)}", f"no column {', '.join(missing)}"),
                                      say("与本年度候选项目表相同的各列", "the columns of the round's candidate table"))])
        pool = pool.loc[keep, list(table.columns)]
        seen |= set(pool["candidate_id"].astype(str))
        parts.append(pool)
        log.info("pool %s: %d rows of years %s", path, int(keep.sum()), sorted(set(pool["year"])))
    frame = pd.concat(parts, ignore_index=True)
    frame.attrs.update(table.attrs)
    return frame


def _pin_to_slate(scenario: Scenario, table: pd.DataFrame, fix: pd.DataFrame | str | Path) -> Scenario:
    """Pin this round's candidates in or out as a given slate has them."""
    slate = fix if isinstance(fix, pd.DataFrame) else load_candidates(fix, extra_bool_columns=SLATE_FLAGS)
    label = str(fix) if not isinstance(fix, pd.DataFrame) else "slate"
    if "selected" not in slate:
        raise InputError([Problem(label, say('没有 "selected" 列', 'no column "selected"'),
                                  say("每行有 selected（0/1）的名单", "a slate with selected (0/1) per row"))])
    chosen = pd.to_numeric(slate["selected"], errors="coerce").fillna(0).to_numpy(dtype=float) > 0.5
    ids = slate["candidate_id"].astype(str).to_numpy()
    this_year = set(table.loc[table["year"] == scenario.year, "candidate_id"].astype(str))
    chosen_ids = [i for i in ids[chosen] if i in this_year]
    unknown = [i for i in ids[chosen] if i not in this_year]
    if unknown:
        raise InputError([Problem(label, say(f'已入选的项目 "{i}"，它不是 {scenario.year} 年度的候选项目',
                                             f'selected candidate "{i}" which is not a candidate of {scenario.year}'),
                                  say("由本年度候选项目组成的名单", "a slate of this round's candidates"),
                                  column="candidate_id") for i in unknown[:50]])
    out = sorted(this_year - set(chosen_ids))
    return scenario.pinned(force_in=chosen_ids, force_out=out)


def _as_history(before: pd.DataFrame | None, rows: pd.DataFrame) -> pd.DataFrame | None:
    if before is None or not len(before):
        return None
    out = before.copy()
    for column in rows.columns:
        if rows[column].dtype == bool and column in out:
            out[column] = out[column].fillna(False).astype(bool)
    return out


def target_table(ledger: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Progress of every "by" target group through the years of the period.

    Parameters
    ----------
    ledger : DataFrame
        `ledger.ledger_table` output (with ``planned_<year>`` columns for a plan).
    """
    first, last = scenario.years
    rows = ledger[ledger["target"].notna()].copy()
    cum = np.zeros(len(rows))
    cum_cols = []
    for year in range(first, last + 1):
        step = rows[f"used_{year}"] if year <= scenario.year else rows.get(f"planned_{year}")
        step = step.fillna(0).to_numpy(dtype=float) if step is not None else np.zeros(len(rows))
        cum = cum + step
        rows[f"cum_{year}"] = cum
        cum_cols.append(f"cum_{year}")
    target = rows["target"].to_numpy(dtype=float)
    reached = np.column_stack([rows[c].to_numpy() >= target - TOLERANCE for c in cum_cols]) if len(rows) \
        else np.zeros((0, len(cum_cols)), bool)
    years = np.arange(first, last + 1)
    first_hit = np.where(reached.any(axis=1), years[np.argmax(reached, axis=1)], -1) if len(rows) else np.array([], int)
    rows["reached_in"] = pd.array(np.where(first_hit >= 0, first_hit, 0), dtype="Int64")
    rows.loc[first_hit < 0, "reached_in"] = pd.NA
    by = rows["target_year"].astype(float).to_numpy()
    rows["projected"] = cum
    rows["reachable"] = (first_hit >= 0) & (first_hit <= by)
    rows["shortfall"] = np.maximum(0.0, target - rows[f"cum_{last}"].to_numpy())
    keep = ["rule_id", "clause", "text", "group", "soft", "target", "target_year", *cum_cols, "projected",
            "reached_in", "reachable", "shortfall"]
    return rows[keep].reset_index(drop=True)


def year_table(slate: pd.DataFrame, scenario: Scenario, history: pd.DataFrame | None,
               planned: pd.DataFrame) -> pd.DataFrame:
    """Selected count per task and track in each year: locked history, this round, planned.

    Parameters
    ----------
    slate, history, planned : DataFrame
        Rows with task, track, year (planned: plan_year) and ``selected``.
    """
    parts = []
    if history is not None and len(history):
        h = history[pd.to_numeric(history["selected"], errors="coerce").fillna(0) > 0]
        parts.append(pd.DataFrame({"task": h["task"], "track": h["track"], "year": h["year"], "status": "locked"}))
    s = slate[(slate["selected"] == 1) & (slate["year"] == scenario.year)]
    parts.append(pd.DataFrame({"task": s["task"], "track": s["track"], "year": s["year"], "status": "this round"}))
    p = planned[planned["selected"] == 1]
    parts.append(pd.DataFrame({"task": p["task"], "track": p["track"], "year": p["plan_year"], "status": "planned"}))
    rows = pd.concat(parts, ignore_index=True)
    rows["track"] = rows["track"].astype(object).fillna("")
    table = (rows.groupby(["task", "track", "year"], sort=True).size().unstack("year", fill_value=0)
             .reindex(columns=list(range(scenario.years[0], scenario.years[1] + 1)), fill_value=0))
    table.columns = [f"n_{y}" for y in table.columns]
    return table.reset_index()
