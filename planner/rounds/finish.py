"""After the solve: the decisions read onto the rows, audited, explained and summarised.

Owns `finish` — the step every solved round goes through, whoever solved it (`rounds.chain`,
what-if sessions, the equity and robustness analyses) — the run's summary (status, bound, gap,
counts, timings, versions, sha256 of every input) and the tables a run writes. Does not own the
checks (`audit`), the reasons (`explain`) nor writing files (`show.files`).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from planner._version import __version__
from planner.audit import check_slate
from planner.errors import AuditError
from planner.lang import say
from planner.explain import plan_frame
from planner.explain.reasons import reasons
from planner.ledger import ledger_table, planned_rows
from planner.model import Model
from planner.rounds.result import Result
from planner.rules import Prepared, Scenario, blocked_reason, fold_localities
from planner.solver import Solution


def finish(scenario: Scenario, frame: pd.DataFrame, history: pd.DataFrame | None, prepared: Prepared,
           model: Model, solution: Solution, *, seed: int, workers: int, time_limit_s: float) -> Result:
    """Read the solution onto the rows, audit it, explain it, summarise it."""
    n = len(frame)
    slate = frame.copy()
    slate["selected"] = solution.selected[:n].astype(np.int8)
    slate["national"] = solution.national[:n].astype(np.int8)
    audit = check_slate(slate, scenario, history=history)
    if not audit.ok:
        raise AuditError(say("求解器给出的名单未通过审核（这是程序缺陷，请报告）：\n",
                             "the solver's slate failed the audit (a bug — please report it):\n")
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
