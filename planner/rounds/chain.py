"""One round, end to end: `solve(scenario) -> Result`, what the CLI and the notebooks call.

Owns the way through — candidates → scenario → model → solve → audit → explain — as one call,
and the small calls beside it: saving a result, auditing a slate file, checking inputs. Owns
no rule logic of its own: every step is a call into the part that owns it.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from planner.audit import SlateAudit, check_amendment, check_slate, compare_with_table, excused_table
from planner.errors import InfeasibleError, NoSolutionError, PlannerError
from planner.inputs import read_scores, read_slate, read_summary
from planner.lang import say
from planner.model import build_model
from planner.rounds.audit_score import compare_national, compare_scores, read_run_slate
from planner.rounds.finish import finish, output_tables
from planner.rounds.result import Result
from planner.rules import (
    Scenario,
    check_columns,
    check_table_year,
    check_years,
    load_scenario,
    pad_hint,
    read_candidates,
    read_history,
    read_round,
    score_candidates,
)
from planner.solver import Solution, solve_with

log = logging.getLogger(__name__)

def solve(scenario: Scenario | str | Path, *, candidates: pd.DataFrame | str | Path | None = None,
          time_limit_s: float = 60.0, seed: int = 0, workers: int = 0,
          hint: np.ndarray | None = None, backend: str = "cpsat", diagnose: bool = True,
          scores: str | Path | list[str | Path] | pd.DataFrame | None = None) -> Result:
    """Solve one recommendation round and audit the slate.

    Parameters
    ----------
    scenario : Scenario or path to a scenario TOML file
    candidates : DataFrame or path, optional
        Replaces the scenario's candidate table (a DataFrame is validated like a file).
    time_limit_s, seed, workers
        CP-SAT settings: wall-clock budget, `random_seed`, `num_workers` (0 = all cores).
    hint : ndarray of bool, optional
        A previous selection over the same rows, to start from.
    backend : {"cpsat", "highs"}
        CP-SAT (default) or HiGHS on the same model; the slate is audited either way.
    diagnose : bool
        When infeasible, name a minimal set of conflicting rules and relaxation advice
        (`conflicts.diagnose_infeasible`) on the raised InfeasibleError.
    scores : path, list of paths or DataFrame, optional
        Expert score sheets (`read_scores`, or its table): every candidate's score is made from
        its panel by the scenario's ``[scoring]`` rule (`scored_candidates`) before the solve;
        ``summary["scores"]`` records the rule and each sheet's sha256.

    Raises
    ------
    InputError, PolicyError
        Bad candidate table or scenario (every problem listed).
    InfeasibleError
        No slate satisfies the hard rules.
    NoSolutionError
        No slate found in time.
    AuditError
        The solver's slate failed the independent audit (a bug: please report it).
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    scored = None
    if scores is not None:
        candidates, scored, _ = scored_candidates(scenario, candidates, scores)
    frame, history, prepared = read_round(scenario, candidates)
    model = build_model(prepared.frame, scenario, locked=prepared.locked, locked_national=prepared.locked_national,
                        history_rows=prepared.history_rows)
    started = time.perf_counter()
    try:
        solution = solve_with(backend, model, time_limit_s=time_limit_s, seed=seed, workers=workers,
                              hint=None if hint is None else pad_hint(hint, len(model.frame)))
    except NoSolutionError as exc:
        if not getattr(exc, "timed_out", False) and time.perf_counter() - started < 0.9 * time_limit_s:
            raise KeyboardInterrupt from None      # CP-SAT stopped on Ctrl-C, not on time
        raise
    except InfeasibleError:
        if not diagnose:
            raise
        from planner.explain import infeasible_error
        raise infeasible_error(prepared.frame, scenario, locked=prepared.locked,
                               locked_national=prepared.locked_national, history_rows=prepared.history_rows,
                               time_limit_s=max(5.0, time_limit_s)) from None
    check_interrupted(solution, time.perf_counter() - started, time_limit_s)
    result = finish(scenario, frame, history, prepared, model, solution, seed=seed, workers=workers,
                    time_limit_s=time_limit_s)
    if scored is not None:
        result.summary["scores"] = {"sheets": scored.attrs["sheets"], "rule": scored.attrs["rule"],
                                    "n_projects": len(scored)}
    return result


def scored_candidates(scenario: Scenario, candidates: pd.DataFrame | str | Path | None,
                      scores: str | Path | list[str | Path] | pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                                     pd.DataFrame]:
    """The round's candidate table with every score made from its expert panel.

    Returns
    -------
    (DataFrame, DataFrame, DataFrame)
        The table with the scenario's score column replaced, the aggregated table
        (`rules.aggregate_scores`) and the sheets' scores (`inputs.read_scores`).

    Raises
    ------
    InputError
        A sheet's problem, a project with too few counted scores, a candidate without scores.
    """
    frame = read_candidates(scenario, candidates)
    sheet = scores if isinstance(scores, pd.DataFrame) else read_scores(scores, projects=frame["candidate_id"].tolist())
    table, aggregated = score_candidates(frame, sheet, scenario.scoring, column=scenario.maximise)
    return table, aggregated, sheet


def check_interrupted(solution: Solution, elapsed_s: float, time_limit_s: float) -> None:
    """CP-SAT's own solver object catches Ctrl-C and stops as if time were up: on the plain path
    an unproven stop well inside the limit can only be an interrupt, so it becomes
    KeyboardInterrupt (nothing is written). The fast path raises KeyboardInterrupt itself and
    says so (``solution.interrupted is False``): a phase cut by the time limit stays FEASIBLE."""
    if solution.interrupted is not None:
        if solution.interrupted:
            raise KeyboardInterrupt
        return
    unproven = any(p.get("status") not in ("OPTIMAL", "INFEASIBLE") for p in solution.phases)
    if unproven and elapsed_s < 0.9 * time_limit_s:
        raise KeyboardInterrupt


def save(result: Result, out_dir: str | Path, *, extra_tables: dict[str, pd.DataFrame] | None = None) -> list[Path]:
    """Write slate.csv/xlsx, summary.json, rules.csv, explanations.csv, ledger.csv (and any
    `extra_tables`) atomically into `out_dir`."""
    from planner.show import write_outputs
    return write_outputs(Path(out_dir), tables={**output_tables(result), **(extra_tables or {})},
                         json_files={"summary.json": result.summary}, xlsx={"slate.xlsx": "slate.csv"})


def audit_file(scenario: Scenario | str | Path, slate_path: str | Path, *, table: bool = True,
               candidates: str | Path | None = None,
               optimum: bool = False, against: str | Path | None = None, time_limit_s: float = 60.0) -> SlateAudit:
    """Audit a slate file (csv/xlsx with `selected` and `national` columns) against a scenario.

    First the slate is compared with the scenario's candidate table (`audit.compare_with_table`:
    rows deleted, added, doubled or changed), then every rule is checked (`audit.check_slate`),
    then, when asked, its total score is set against the optimum of the same round and — when
    every rule holds — its national picks against the best ones for its own provincial selection
    (`audit_score.compare_national`, one more solve with that selection pinned).

    Parameters
    ----------
    table : bool
        Compare with the round's candidate table (skipped when the scenario names none).
    candidates : path, optional
        The candidate table the slate was drawn from, replacing the scenario's (as ``solve``'s).
    optimum : bool
        Also compare the slate's total score with the optimum, solved now (`solve`).
    against : path, optional
        A run folder written by ``planner solve --out``: its slate is the optimum (implies `optimum`);
        refused (InputError) when its summary.json records other inputs, pins or edits.
    time_limit_s : float
        Budget of the solve when the optimum is solved now.

    Raises
    ------
    InputError
        An unreadable slate, or a slate of another year than the scenario's.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    slate = read_slate(slate_path, required=("selected",))     # the one reading of slate flags
    check_table_year(slate, scenario, what="slate")
    check_years(slate, scenario)
    check_columns(scenario, list(slate.columns))
    frame = read_candidates(scenario, candidates) if candidates is not None or scenario.candidates is not None else None
    findings = compare_with_table(slate, frame, scenario) if table and frame is not None else []
    report = check_slate(slate, scenario, history=read_history(scenario))
    audit = SlateAudit(rules=report.rules, rows=report.rows, filings=report.filings, table=findings)
    record = _amendment_record(slate_path)
    if record is not None and against is not None:      # an amendment held to its base (docs/amend.md)
        audit.table = excused_table(findings, record, slate) + check_amendment(
            slate, read_slate(against), record, scenario, history=read_history(scenario), base_folder=against,
            source=str(slate_path))
        audit.score_note = say("调整结果：与基础名单的每个差异已逐项核对（不与最优总分比较）",
                               "an amendment: every difference from its base checked (the score is not compared)")
        return audit
    if optimum or against is not None:
        if against is not None:
            audit.score = compare_scores(slate, read_run_slate(against, scenario, frame), scenario,
                                         source=say(f"取自 {against}", f"from {against}"))
        else:
            try:
                best = solve(scenario, candidates=candidates, time_limit_s=time_limit_s, diagnose=False)
            except (InfeasibleError, NoSolutionError) as exc:
                audit.score_note = say(f"没有可比较总分的最优名单：{exc}", f"no optimum to compare the score with: {exc}")
            else:
                status = best.summary["status"]
                source = say("现场求解", "solved now") if status == "OPTIMAL" else \
                    say(f"现场求解，未证明最优：差距 {best.summary['gap']:.2%}",
                        f"solved now, not proven optimal: {status}, gap {best.summary['gap']:.2%}")
                audit.score = compare_scores(slate, best.slate, scenario, source=source)
        if audit.score is not None and audit.ok:       # national picks on merit, the provincial slate fixed
            try:
                audit.score.national = compare_national(slate, scenario, lambda fixed: solve(
                    fixed, candidates=candidates, time_limit_s=time_limit_s, diagnose=False))
            except PlannerError as exc:
                first = str(exc).splitlines()[0] if str(exc) else str(exc)
                audit.score_note = say(f"未比较推荐国家级的项目：{first}", f"national picks not compared: {first}")
    return audit


def _amendment_record(slate_path: str | Path) -> dict | None:
    """summary.json's ``amendment`` beside a slate written by ``planner amend`` (None otherwise)."""
    folder = Path(slate_path) if Path(slate_path).is_dir() else Path(slate_path).parent
    if not (folder / "summary.json").is_file():
        return None
    try:
        record = read_summary(folder).get("amendment")
    except PlannerError:
        return None
    return record if isinstance(record, dict) else None


def check_inputs(scenario: Scenario | str | Path, candidates: str | Path | None = None) -> tuple[Scenario, pd.DataFrame]:
    """Validate a scenario and its candidates as `solve` would, without solving."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    return scenario, read_round(scenario, candidates).frame


