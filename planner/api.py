"""The one-call API: `planner.solve(scenario) -> Result`, used by the CLI and the notebooks.

Owns the way through — candidates → scenario → model → solve → audit → explain — and the
`Result` that carries the slate, summary, rule table and explanations. Owns no rule logic of
its own: every step is a call into the module that owns it.
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import __version__
from .audit import AuditReport, check_slate
from .availability import blocked_reason, check_pins
from .candidates import file_rows, load_candidates, normalise_candidates, parse_bool
from .errors import AuditError, InfeasibleError, InputError, NoSolutionError, PolicyError, Problem
from .explain import plan_frame, reasons
from .groups import fold_localities
from .ledger import ledger_table
from .plan import planned_rows
from .model import Model, build_model
from .policy import Scenario, check_columns, load_scenario
from .solve import Solution, solve_with

log = logging.getLogger(__name__)

SLATE_FLAGS = ("selected", "national")


@dataclass
class Result:
    """A solved round: the input rows plus decisions, and everything said about them.

    Attributes
    ----------
    slate : DataFrame
        Every candidate row of the table with ``selected`` (0/1), ``national`` (0/1), ``reason``.
    summary : dict
        Status, objective, bound, gap, counts, timings, seed, workers, versions, input hashes.
    rules : DataFrame
        One row per rule group: value, min, max, slack, binding (see `audit.RULE_COLUMNS`).
    explanations : DataFrame
        candidate_id, reason_code, reason, rule_id, group.
    """

    scenario: Scenario
    slate: pd.DataFrame
    summary: dict[str, Any]
    rules: pd.DataFrame
    explanations: pd.DataFrame
    audit: AuditReport
    model: Model = field(repr=False)
    solution: Solution = field(repr=False)
    history: pd.DataFrame | None = field(default=None, repr=False)
    ledger: pd.DataFrame | None = None
    planned: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def selected(self) -> pd.DataFrame:
        return self.slate[self.slate["selected"] == 1]

    def _repr_html_(self) -> str:
        from .display import result_html
        return result_html(self)

    def __repr__(self) -> str:
        s = self.summary
        return (f"<Result {s['name']}: {s['status']}, selected {s['n_selected']} of {s['n_candidates']}, "
                f"national {s['n_national']}, objective {s['objective']:.1f}>")

    # --- charts (planner.charts), one line each ---------------------------------------
    def plot_quota_use(self, task: str | None = None):
        from .charts import plot_quota_use
        return plot_quota_use(self, task=task)

    def plot_scores(self):
        from .charts import plot_scores
        return plot_scores(self)

    def plot_target_progress(self):
        from .charts import plot_target_progress
        return plot_target_progress(self.ledger)

    def plot_calendar(self):
        from .charts import plot_calendar
        return plot_calendar(self.scenario)

    def explain(self, candidate_id: str | None = None) -> pd.DataFrame:
        """The reason of one candidate (or all), as in explanations.csv."""
        if candidate_id is None:
            return self.explanations
        return self.explanations[self.explanations["candidate_id"] == str(candidate_id)]


def solve(scenario: Scenario | str | Path, *, candidates: pd.DataFrame | str | Path | None = None,
          time_limit_s: float = 60.0, seed: int = 0, workers: int = 0,
          hint: np.ndarray | None = None, backend: str = "cpsat", diagnose: bool = True) -> Result:
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
    frame = read_candidates(scenario, candidates)
    history = read_history(scenario)
    prepared = prepare(frame, scenario, history)
    model = build_model(prepared.frame, scenario, locked=prepared.locked, locked_national=prepared.locked_national,
                        history_rows=prepared.history_rows)
    started = time.perf_counter()
    try:
        solution = solve_with(backend, model, time_limit_s=time_limit_s, seed=seed, workers=workers,
                              hint=None if hint is None else pad_hint(hint, len(model.frame)))
    except NoSolutionError:
        if time.perf_counter() - started < 0.9 * time_limit_s:
            raise KeyboardInterrupt from None      # CP-SAT stopped on Ctrl-C, not on time
        raise
    except InfeasibleError:
        if not diagnose:
            raise
        from .conflicts import infeasible_error
        raise infeasible_error(prepared.frame, scenario, locked=prepared.locked,
                               locked_national=prepared.locked_national, history_rows=prepared.history_rows,
                               time_limit_s=max(5.0, time_limit_s)) from None
    check_interrupted(solution, time.perf_counter() - started, time_limit_s)
    return finish(scenario, frame, history, prepared, model, solution, seed=seed, workers=workers,
                  time_limit_s=time_limit_s)


def check_interrupted(solution: Solution, elapsed_s: float, time_limit_s: float) -> None:
    """CP-SAT catches Ctrl-C and stops as if time were up: an unproven stop well inside the
    limit can only be an interrupt, so it becomes KeyboardInterrupt (nothing is written)."""
    unproven = any(p.get("status") not in ("OPTIMAL", "INFEASIBLE") for p in solution.phases)
    if unproven and elapsed_s < 0.9 * time_limit_s:
        raise KeyboardInterrupt


def pad_hint(hint: np.ndarray, n_rows: int) -> np.ndarray:
    """A selection over this table's rows, padded with False for history and planned rows."""
    hint = np.asarray(hint, bool)
    return np.concatenate([hint, np.zeros(n_rows - len(hint), bool)])


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


def finish(scenario: Scenario, frame: pd.DataFrame, history: pd.DataFrame | None, prepared: Prepared,
           model: Model, solution: Solution, *, seed: int, workers: int, time_limit_s: float) -> Result:
    """Read the solution onto the rows, audit it, explain it, summarise it."""
    n = len(frame)
    slate = frame.copy()
    slate["selected"] = solution.selected[:n].astype(np.int8)
    slate["national"] = solution.national[:n].astype(np.int8)
    audit = check_slate(slate, scenario, history=history)
    if not audit.ok:
        raise AuditError("the solver's slate failed the audit (a bug — please report it):\n"
                         + "\n".join(audit.messages()[:20]), audit.hard_violations)
    folded = fold_localities(slate, scenario.fold).assign(selected=slate["selected"].astype(bool),
                                                          national=slate["national"].astype(bool))
    explanations = reasons(folded, scenario, audit, blocked_reason(folded, scenario),
                           plan=plan_frame(model, solution.selected))
    planned = planned_rows(model, solution)
    ledger = ledger_table(slate, scenario, history, planned=planned)
    slate["reason"] = explanations["reason"].to_numpy()
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
        "warnings": audit.warnings(),
        "versions": versions(),
        "inputs": input_hashes(scenario, frame),
        "working_dir": str(Path.cwd()),         # relative input paths are relative to this folder
        "scenario": str(Path(scenario.source).resolve()) if scenario.source else None,
        "plan": scenario.plan.as_toml() if scenario.plan is not None else None,
        "force_in": list(scenario.force_in),
        "force_out": list(scenario.force_out),
        "backend": solution.phases[0].get("backend", "cpsat") if solution.phases else "cpsat",
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


def save(result: Result, out_dir: str | Path, *, extra_tables: dict[str, pd.DataFrame] | None = None) -> list[Path]:
    """Write slate.csv/xlsx, summary.json, rules.csv, explanations.csv, ledger.csv (and any
    `extra_tables`) atomically into `out_dir`."""
    from .report import write_outputs
    return write_outputs(Path(out_dir), tables={**output_tables(result), **(extra_tables or {})},
                         json_files={"summary.json": result.summary}, xlsx={"slate.xlsx": "slate.csv"})


def audit_file(scenario: Scenario | str | Path, slate_path: str | Path) -> AuditReport:
    """Audit a slate file (csv/xlsx with `selected` and `national` columns) against a scenario."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    slate = load_candidates(slate_path, extra_bool_columns=("selected",))
    if "national" in slate:
        values, bad = parse_bool(slate["national"])
        if bad.any():
            rows = file_rows(slate)[bad.to_numpy()]
            raise InputError([Problem(str(slate_path), f'"{slate["national"][i]}"', "0/1, true/false, 是/否",
                                      row=int(r), column="national")
                              for i, r in zip(np.flatnonzero(bad.to_numpy()), rows)])
        slate["national"] = values.to_numpy()
    else:
        slate["national"] = False
    check_years(slate, scenario)
    check_columns(scenario, list(slate.columns))
    return check_slate(slate, scenario, history=read_history(scenario))


def check_inputs(scenario: Scenario | str | Path, candidates: str | Path | None = None) -> tuple[Scenario, pd.DataFrame]:
    """Validate a scenario and its candidates as `solve` would, without solving."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    frame = read_candidates(scenario, candidates)
    prepare(frame, scenario, read_history(scenario))
    return scenario, frame


def task_table(result: Result) -> pd.DataFrame:
    """Candidates, selected, national and lowest selected score per task and track."""
    from .catalogue import load_catalogue
    cat = load_catalogue()
    slate = result.slate[result.slate["year"] == result.scenario.year]
    score = pd.to_numeric(slate[result.scenario.maximise], errors="coerce")
    table = (slate.assign(_lowest=score.where(slate["selected"] == 1))
             .groupby(["task", "track"], sort=False)
             .agg(candidates=("candidate_id", "size"), selected=("selected", "sum"),
                  national=("national", "sum"), lowest=("_lowest", "min"))
             .reset_index())
    order = {code: i for i, code in enumerate(cat.tasks)}
    table = table.sort_values(["task", "track"], key=lambda s: s.map(order) if s.name == "task" else s)
    table["task_label"] = table["task"].map(lambda t: cat.label("task", t))
    return table.reset_index(drop=True)
