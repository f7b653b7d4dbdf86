"""After the solve: the decisions read onto the rows, audited, explained and summarised.

Owns `finish` — the step every solved round goes through, whoever solved it (`rounds.chain`,
what-if sessions, the equity and robustness analyses) — the run's summary (status, bound, gap,
counts, timings, versions, sha256 of every input) and the tables a run writes. Does not own the
checks (`audit`), the reasons (`explain`) nor writing files (`show.files`).
"""
from __future__ import annotations

import dataclasses
import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner._version import __version__
from planner.audit import AuditReport, check_slate, recheck
from planner.errors import AuditError
from planner.lang import say
from planner.explain import plan_frame
from planner.explain.reasons import reasons
from planner.ledger import ledger_table, planned_rows
from planner.model import Model
from planner.rounds.result import Result
from planner.rules import (FrameIndex, Prepared, Scenario, blocked_reason, complete_columns, fold_localities, match,
                           rule_links, unit_mode)
from planner.solver import Solution


@dataclass
class Kept:
    """A finished result as the next finish reads it: copies, so that changing a result a user
    holds (its slate, its tables) never changes what the next what-if starts from."""

    scenario: Scenario
    selected: np.ndarray            # per slate row
    national: np.ndarray
    decided: np.ndarray             # `Solution.selected` over the model's rows (planned ones included)
    audit: AuditReport
    explanations: pd.DataFrame
    ledger: pd.DataFrame | None
    history: pd.DataFrame | None

    @classmethod
    def of(cls, result: Result) -> Kept:
        audit = result.audit
        return cls(scenario=result.scenario, selected=result.slate["selected"].to_numpy() != 0,
                   national=result.slate["national"].to_numpy() != 0,
                   decided=np.asarray(result.solution.selected, bool).copy(),
                   audit=AuditReport(rules=audit.rules.copy(), rows=audit.rows.copy(), filings=audit.filings.copy()),
                   explanations=result.explanations.copy(),
                   ledger=None if result.ledger is None else result.ledger.copy(), history=result.history)


@dataclass
class Reuse:
    """What finishing a what-if may take from the last result of the same round.

    A what-if `Session` keeps one per built model and passes it to every `finish` of that
    model: `finish` starts from ``last`` (the previous result, kept as `Kept`) and leaves the
    new one there.
    With it are kept, per rule, the rows its ``where`` matches in the candidate table ``frame``
    and in the lookahead's planned rows (they depend on the table alone).
    """

    last: Kept | None = None
    frame: pd.DataFrame | None = None
    masks: dict[str, tuple[Any, np.ndarray]] = field(default_factory=dict)
    plan_masks: dict[str, tuple[Any, np.ndarray]] = field(default_factory=dict)
    #: What the last finish did: ``rules`` and ``rows`` worked out again (``whole`` 1 when every
    #: one was) and ``cpu_s``, CPU seconds of each step (audit, explain, ledger, summary).
    report: dict[str, Any] = field(default_factory=dict)
    planned: pd.DataFrame | None = None     # the lookahead's planned rows of the model (without decisions)

    def plan(self, model: Model) -> pd.DataFrame | None:
        """The planned rows of the model's lookahead (None without one), kept: they never change in a round."""
        if not np.asarray(model.planned, bool).any():
            return None
        if self.planned is None or len(self.planned) != int(np.asarray(model.planned, bool).sum()):
            self.planned = model.frame[np.asarray(model.planned, bool)].reset_index(drop=True)
            self.plan_masks.clear()
        return self.planned


def finish(scenario: Scenario, frame: pd.DataFrame, history: pd.DataFrame | None, prepared: Prepared,
           model: Model, solution: Solution, *, seed: int, workers: int, time_limit_s: float,
           reuse: Reuse | None = None) -> Result:
    """Read the solution onto the rows, audit it, explain it, summarise it.

    With `reuse` (a what-if of the same round, only bounds changed since ``reuse.last``), the
    audit, the explanations and the ledger are those of the last result but for the rules the
    change reaches — every rule whose bounds changed or that counts a row whose decision
    changed — and the rows those rules count, which are worked out again
    (`audit.recheck`, `explain.reasons` on those rows, `ledger.ledger_table` on those rules).
    The result is the one a full finish gives; the what-if tests compare them.
    """
    n = len(frame)
    slate = frame.copy()
    slate["selected"] = solution.selected[:n].astype(np.int8)
    slate["national"] = solution.national[:n].astype(np.int8)
    steps = _Steps()
    parts = _finish_from(reuse, scenario, frame, history, model, solution, slate, steps) \
        if reuse is not None else None
    if parts is None:
        parts = _finish_whole(scenario, history, model, solution, slate, steps)
        done = {"rules": len(scenario.rules), "rows": n, "whole": 1}
    else:
        *parts, done = parts
    audit, explanations, ledger, planned = parts
    slate["reason"] = explanations["reason"].to_numpy()
    result = _result(scenario, frame, history, model, solution, slate, audit, explanations, ledger, planned,
                     seed=seed, workers=workers, time_limit_s=time_limit_s)
    steps.done("summary")
    if reuse is not None:
        reuse.last, reuse.frame = Kept.of(result), frame
        reuse.report = {**done, "cpu_s": {k: round(v, 4) for k, v in steps.cpu.items()}}
    return result


class _Steps:
    """CPU seconds of this process (every thread) spent on each step of a finish."""

    def __init__(self):
        self.cpu: dict[str, float] = {}
        self._mark = time.process_time()

    def done(self, step: str) -> None:
        now = time.process_time()
        self.cpu[step] = self.cpu.get(step, 0.0) + now - self._mark
        self._mark = now


def _finish_whole(scenario: Scenario, history: pd.DataFrame | None, model: Model, solution: Solution,
                  slate: pd.DataFrame, steps: _Steps) -> tuple:
    """The audit, explanations, ledger and planned rows of a slate, worked out in full."""
    # One frame of the slate's rows (localities folded, columns completed) and one index of its
    # groups for the audit, the reasons and the ledger: each groups the same rows by the same rules.
    folded = complete_columns(_folded(slate, scenario), scenario)
    index = FrameIndex(folded, keep_groups=True)
    blocked = blocked_reason(folded, scenario)
    audit = check_slate(slate, scenario, history=history, index=index, blocked=blocked)
    _raise_unless_ok(audit)
    steps.done("audit")
    explanations = reasons(folded, scenario, audit, blocked, plan=plan_frame(model, solution.selected), index=index)
    steps.done("explain")
    planned = planned_rows(model, solution)
    ledger = ledger_table(slate, scenario, history, planned=planned, index=index)
    steps.done("ledger")
    return audit, explanations, ledger, planned


def _finish_from(reuse: Reuse, scenario: Scenario, frame: pd.DataFrame, history: pd.DataFrame | None, model: Model,
                 solution: Solution, slate: pd.DataFrame, steps: _Steps) -> tuple | None:
    """The audit, explanations, ledger and planned rows from the last result of the round, worked
    out again only where the change reaches; None when the last result is of something else."""
    last = reuse.last
    if last is None or reuse.frame is not frame or len(last.selected) != len(frame) or last.ledger is None \
            or len(last.decided) != len(solution.selected) or last.history is not history:
        return None
    bounds = _bound_changes(last.scenario, scenario)
    if bounds is None:
        return None
    selected, national = slate["selected"].to_numpy() != 0, slate["national"].to_numpy() != 0
    rows = np.flatnonzero((selected != last.selected) | (national != last.national))
    planned_mask = np.asarray(model.planned, bool)
    plan_rows = np.flatnonzero(np.asarray(solution.selected, bool)[planned_mask]
                               != last.decided[planned_mask])
    folded = _folded(slate, scenario)
    plan = reuse.plan(model)
    reached = _reached(reuse, scenario, folded, plan, history, rows, plan_rows) | bounds
    audit = recheck(last.audit, slate, scenario, rules=reached, rows=rows, history=history)
    _raise_unless_ok(audit)
    steps.done("audit")
    chosen_plan = None if plan is None else np.asarray(solution.selected, bool)[planned_mask]
    explanations, redone = _reasons_from(reuse, last.explanations, folded, scenario, audit, plan, chosen_plan,
                                         reached, rows)
    steps.done("explain")
    planned = planned_rows(model, solution)
    again = [r for r in scenario.rules if r.id in reached and r.decision != "filing"]
    if again:
        # Only the columns those rules read go into the ledger's tables: the same records, less copying.
        read = set().union(*(r.columns() for r in again)) | _LEDGER_COLUMNS

        def narrow(table: pd.DataFrame) -> pd.DataFrame:
            return table[[c for c in table.columns if c in read]]

        fresh = ledger_table(narrow(slate), dataclasses.replace(scenario, rules=tuple(again)),
                             None if history is None else narrow(history), planned=narrow(planned))
        ledger = _splice(last.ledger, fresh, {r.id for r in again}, scenario)
    else:
        ledger = last.ledger.copy()
    steps.done("ledger")
    return audit, explanations, ledger, planned, {"rules": len(reached), "rows": redone, "whole": 0}


def _reached(reuse: Reuse, scenario: Scenario, folded: pd.DataFrame, plan: pd.DataFrame | None,
             history: pd.DataFrame | None, rows: np.ndarray, plan_rows: np.ndarray) -> set[str]:
    """Ids of the rules that count a changed row (of this round, or planned), directly or through a link."""
    if not len(rows) and not len(plan_rows):
        return set()
    merged = unit_mode(scenario.switches) == "merge"
    out = set()
    for rule in scenario.rules:
        if merged and "unit_id" in rule.where:
            out.add(rule.id)            # merged units: which rows a unit id matches is the audit's reading
            continue
        if rule_links(rule):
            now, ahead = _link_watch(reuse, scenario, folded, plan, history, rule)
        else:
            now = _mask(reuse.masks, folded, rule)
            ahead = None if plan is None else _mask(reuse.plan_masks, plan, rule)
        if (len(rows) and now[rows].any()) or (len(plan_rows) and ahead is not None and ahead[plan_rows].any()):
            out.add(rule.id)
    return out


def _link_watch(reuse: Reuse, scenario: Scenario, folded: pd.DataFrame, plan: pd.DataFrame | None,
                history: pd.DataFrame | None, rule) -> tuple[np.ndarray, np.ndarray | None]:
    """Rows of this round and planned rows whose decision a linked rule reads: the rows it may count
    (its ``where`` without the links) and every row one of those — or of the history — names."""
    key = "link:" + rule.id
    known = reuse.masks.get(key)
    if known is not None and known[0] == rule.where:
        return known[1]
    links = rule_links(rule)
    loose = {k: v for k, v in rule.where.items() if k not in links}
    past = None if history is None or not len(history) else fold_localities(history, scenario.fold)
    parts = [("now", folded), ("plan", plan), ("past", past)]
    ids = {name: part["candidate_id"].astype(str).to_numpy() for name, part in parts if part is not None}
    watch = {name: match(part, loose) for name, part in parts if part is not None}
    for name, part in parts:
        if part is None:
            continue
        for column in links:
            if column not in part:
                continue
            named = part[column].fillna("").astype(str).str.strip().to_numpy()[watch[name]]
            for target in ("now", "plan"):
                if target in ids:
                    watch[target] |= np.isin(ids[target], named[named != ""])
    out = (watch["now"], watch.get("plan"))
    reuse.masks[key] = (rule.where, out)
    return out


def _reasons_from(reuse: Reuse, last: pd.DataFrame, folded: pd.DataFrame, scenario: Scenario, audit,
                  plan: pd.DataFrame | None, chosen_plan: np.ndarray | None, reached: set[str],
                  rows: np.ndarray) -> tuple[pd.DataFrame, int]:
    """The last explanations with those of the rows the change reaches worked out again.

    A row's reason reads its own decision and the groups it is in: their bounds, values, lowest
    selected (and national) scores and planned share. Those of a rule the change does not reach
    are as they were, so only the rows of a reached rule (and the changed rows) are explained
    again — on a slate of those rows and the selected rows of every rule they are in (each of
    their groups then has its lowest scores), with those rules alone.
    """
    this_year = (folded["year"] == scenario.year).to_numpy()
    explained = [r for r in scenario.rules if r.decision == "national" or (r.decision == "provincial"
                                                                            and r.max is not None)]
    again = np.zeros(len(folded), bool)
    again[rows] = True
    for rule in explained:
        if rule.id in reached:
            again |= _mask(reuse.masks, folded, rule) & this_year
    if not again.any():
        return last.copy(), 0
    chosen = this_year & (folded["selected"].to_numpy() | folded["national"].to_numpy())
    context = again.copy()
    used = []
    for rule in explained:
        mask = _mask(reuse.masks, folded, rule)
        if (mask & again).any():
            used.append(rule)
            context |= mask & chosen
    positions = np.flatnonzero(context)
    part = folded.iloc[positions].reset_index(drop=True)
    # The planned picks those rules count (a period quota's share of later years).
    ahead = None
    if plan is not None:
        counted = np.zeros(len(plan), bool)
        for rule in used:
            counted |= _mask(reuse.plan_masks, plan, rule)
        ahead = plan[counted & chosen_plan].assign(selected=True).reset_index(drop=True)
    fresh = reasons(part, dataclasses.replace(scenario, rules=tuple(used)), audit, blocked_reason(part, scenario),
                    plan=ahead)
    where = np.flatnonzero(again[positions])
    target = positions[where]
    columns = {}
    for column in last.columns:
        values = last[column].to_numpy(copy=True)
        values[target] = fresh[column].to_numpy()[where]
        columns[column] = values
    return pd.DataFrame(columns, columns=last.columns), int(len(target))


def _mask(cache: dict[str, tuple[Any, np.ndarray]], frame: pd.DataFrame, rule) -> np.ndarray:
    """The rows of `frame` a rule's ``where`` matches, kept per rule (the rows never change within a round)."""
    known = cache.get(rule.id)
    if known is None or known[0] != rule.where or len(known[1]) != len(frame):
        known = (rule.where, match(frame, rule.where))
        cache[rule.id] = known
    return known[1]


def _bound_changes(old: Scenario, new: Scenario) -> set[str] | None:
    """Ids of the rules whose bounds differ, or None when the scenarios differ otherwise."""
    if len(old.rules) != len(new.rules):
        return None
    bare = dict(rules=(), name="", source=None)
    if dataclasses.replace(old, **bare) != dataclasses.replace(new, **bare):
        return None
    changed = set()
    for a, b in zip(old.rules, new.rules):
        if a == b:
            continue
        if dataclasses.replace(a, min=None, max=None, line=None) != dataclasses.replace(b, min=None, max=None,
                                                                                          line=None):
            return None
        changed.add(b.id)
    return changed


def _splice(table: pd.DataFrame, fresh: pd.DataFrame, again: set[str], scenario: Scenario) -> pd.DataFrame:
    """A ledger with the rows of the rules worked out `again` (`fresh`) in place of theirs, in rule order."""
    kept = table[~table["rule_id"].isin(again)]
    if not len(fresh):
        return kept.reset_index(drop=True)
    if not len(kept):
        return fresh
    both = pd.concat([kept, fresh.astype(kept.dtypes.to_dict())], ignore_index=True)
    order = {r.id: k for k, r in enumerate(scenario.rules)}
    return both.iloc[np.argsort(both["rule_id"].map(order).to_numpy(), kind="stable")].reset_index(drop=True)


#: Columns a ledger reads besides those of its rules.
_LEDGER_COLUMNS = frozenset({"candidate_id", "year", "selected", "national", "eligible", "locality"})


def _raise_unless_ok(audit) -> None:
    if not audit.ok:
        raise AuditError(say("求解器给出的名单未通过审核（这是程序缺陷，请报告）：\n",
                             "the solver's slate failed the audit (a bug — please report it):\n")
                         + "\n".join(audit.messages()[:20]), audit.hard_violations)


def _folded(slate: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    return fold_localities(slate, scenario.fold).assign(selected=slate["selected"].astype(bool),
                                                        national=slate["national"].astype(bool))


def _result(scenario: Scenario, frame: pd.DataFrame, history: pd.DataFrame | None, model: Model,
            solution: Solution, slate: pd.DataFrame, audit, explanations: pd.DataFrame, ledger, planned, *,
            seed: int, workers: int, time_limit_s: float) -> Result:
    """The result and its summary."""
    n = len(frame)
    score = pd.to_numeric(slate[scenario.maximise], errors="coerce").fillna(0).to_numpy()
    total = float(score[slate["selected"].to_numpy() == 1].sum())
    weights = {r.id: r.soft_weight for r in scenario.rules if r.soft}
    soft = audit.rules[audit.rules["soft"]]
    penalty = float((soft["violation"] * soft["rule_id"].map(weights)).sum()) if len(soft) else 0.0
    summary = {
        "name": scenario.name,
        "year": scenario.year,
        "status": solution.status,
        "objective": round(solution.objective, 6),
        "total_score": round(total, 6),
        "penalty": round(penalty, 6),
        "best_bound": round(solution.best_bound, 6),
        "gap": round(solution.gap, 9),
        "n_candidates": n,
        "n_selectable": int(model.free[:n].sum()),
        "n_selected": int(slate["selected"].sum()),
        "n_national": int(slate["national"].sum()),
        "n_rule_groups": int(len(audit.rules)),
        "n_binding": int(audit.rules["binding"].sum()),
        "build_s": round(model.build_s, 3),
        "solve_s": round(solution.solve_s, 3),
        "time_limit_s": time_limit_s,
        "seed": seed,
        "workers": workers,
        "phases": solution.phases,
        # Same inputs and seed give the same slate byte for byte only when every phase is proven.
        "reproducible": solution.status == "OPTIMAL",
        "warnings": [*solution.warnings, *audit.warnings()],
        "versions": versions(),
        "inputs": input_hashes(scenario, frame),
        "working_dir": str(Path.cwd()),         # relative input paths are relative to this folder
        "scenario": str(Path(scenario.source).resolve()) if scenario.source else None,
        "plan": scenario.plan.as_toml() if scenario.plan is not None else None,
        "force_in": list(scenario.force_in),
        "force_out": list(scenario.force_out),
        "backend": solution.phases[0].get("backend", "cpsat") if solution.phases else "cpsat",
        # a what-if's changes of the loaded scenario, then of the table (api.without_units), in order
        "edits": [e.as_json() for e in (*scenario.edits, *frame.attrs.get("edits", ()))],
    }
    return Result(scenario=scenario, slate=slate, summary=summary, rules=audit.rules, explanations=explanations,
                  audit=audit, model=model, solution=solution, history=history, ledger=ledger, planned=planned)


def versions() -> dict[str, str]:
    import ortools
    return {"planner": __version__, "ortools": ortools.__version__, "pandas": pd.__version__,
            "numpy": np.__version__}


def input_hashes(scenario: Scenario, frame: pd.DataFrame) -> dict[str, str]:
    """sha256 of every input: each scenario file of the `extends` chain, the candidate table
    actually solved (an in-memory table is hashed by content) and the history slates."""
    sources = [Path(p) for p in scenario.raw.get("_sources", [])] or ([scenario.source] if scenario.source else [])
    table = frame.attrs.get("source")
    table_path = Path(table) if isinstance(table, str) and Path(table).is_file() else None
    paths = [*sources, *([table_path] if table_path else []), *scenario.history]
    hashes = {str(p): _sha256(Path(p)) for p in paths if Path(p).is_file()}
    if table_path is None:
        digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()).hexdigest()
        hashes["<candidates frame>"] = digest
    return hashes


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


RULES_CSV_COLUMNS = ["rule_id", "clause", "group", "value", "min", "max", "slack", "binding",
                     "text", "decision", "scope", "soft", "target_min", "violation"]


def output_tables(result: Result) -> dict[str, pd.DataFrame]:
    """The tables a run writes, by file name."""
    slate = result.slate.copy()
    return {
        "slate.csv": slate,
        "rules.csv": result.rules[RULES_CSV_COLUMNS],
        "explanations.csv": result.explanations,
        **({"ledger.csv": result.ledger} if result.ledger is not None else {}),
    }
