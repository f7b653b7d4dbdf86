"""One (instance, method) measured in a process of its own, so its peak memory is its own.

    python -m benchmarks.worker INSTANCE METHOD [--repeats R] [--time-limit S] [--workers W]

Prints one JSON object on its last line of stdout: per round, the median model-build and solve
times over the repeats (every repeat builds the model again and solves it from scratch), the
status, objective, bound and gap of the last repeat, the independent audit of its slate, the
slate's own score and soft penalty, and the process's peak resident memory.

Methods: ``cpsat`` (`planner.solver.solve_model`, the project's solve), ``cpsat-naive``
(`planner.solver.solve_model_direct` with CP-SAT's default parameters: one solve of the whole
model per level), ``highs`` (HiGHS on the whole model, `planner.solver.solve_model_highs_whole`),
``highs-comp`` (HiGHS on every component, `planner.solver.solve_model_highs`: what
``--backend highs`` runs), ``greedy`` (`planner.solver.greedy_slate`, the baseline).
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import resource
import statistics
import sys
import time


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _audited(frame, scenario, selected, national, history=None) -> dict:
    """The slate's own verdict and numbers: audit ok, score of this year's picks, soft penalty."""
    import numpy as np
    import pandas as pd

    from planner.audit import check_slate

    n = len(frame)
    slate = frame.assign(selected=np.asarray(selected[:n], bool).astype(np.int8),
                         national=np.asarray(national[:n], bool).astype(np.int8))
    report = check_slate(slate, scenario, history=history)
    score = pd.to_numeric(slate[scenario.maximise], errors="coerce").fillna(0).to_numpy()
    total = float(score[slate["selected"].to_numpy() == 1].sum())
    weights = {r.id: r.soft_weight for r in scenario.rules if r.soft}
    soft = report.rules[report.rules["soft"]]
    penalty = float((soft["violation"] * soft["rule_id"].map(weights)).sum()) if len(soft) else 0.0
    return {"audit_ok": bool(report.ok), "violations": len(report.messages()), "slate_score": round(total, 6),
            "slate_penalty": round(penalty, 6), "slate_value": round(total - penalty, 6)}


def measure(instance_name: str, method: str, *, repeats: int | None = None, time_limit_s: float | None = None,
            workers: int = 2) -> dict:
    from benchmarks.instances import INSTANCES
    from planner.model import build_model
    from planner.rules.prepare import prepare

    instance = INSTANCES[instance_name]
    repeats = repeats or instance.repeats
    time_limit_s = time_limit_s or instance.time_limit_s
    baseline_mb = _rss_mb()
    tick = time.perf_counter()
    rounds = instance.load()
    load_s = time.perf_counter() - tick
    out_rounds = []
    for rnd in rounds:
        prepared = prepare(rnd.frame, rnd.scenario, None)
        record: dict = {"round": rnd.name, "reference": rnd.reference, "reference_kind": rnd.reference_kind,
                        "lp_bound": rnd.lp_bound, "candidates": len(rnd.frame)}
        if method == "greedy":
            from planner.solver import greedy_slate

            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                selected, national = greedy_slate(prepared.frame, rnd.scenario, locked=prepared.locked,
                                                  locked_national=prepared.locked_national)
                times.append(time.perf_counter() - start)
            record.update(status="GREEDY", solve_s=statistics.median(times), solve_all=times, build_s=0.0)
            record.update(_audited(rnd.frame, rnd.scenario, selected, national))
            out_rounds.append(record)
            continue
        builds, solves, solution = [], [], None
        for _ in range(repeats):
            start = time.perf_counter()
            model = build_model(prepared.frame, rnd.scenario, locked=prepared.locked,
                                locked_national=prepared.locked_national)
            builds.append(time.perf_counter() - start)
            start = time.perf_counter()
            solution = _solve(method, model, time_limit_s, workers)
            solves.append(time.perf_counter() - start)
        record.update(status=solution.status, objective=solution.objective, best_bound=solution.best_bound,
                      gap=solution.gap, build_s=statistics.median(builds), solve_s=statistics.median(solves),
                      solve_all=solves, build_all=builds,
                      phases=[{k: v for k, v in p.items() if k in ("phase", "status", "wall_s", "components",
                                                                    "core_variables", "rounds", "proven", "to_solve",
                                                                    "engines")}
                              for p in solution.phases])
        if solution.selected is not None:
            record.update(_audited(rnd.frame, rnd.scenario, solution.selected, solution.national))
        out_rounds.append(record)
    return {"instance": instance_name, "method": method, "repeats": repeats, "time_limit_s": time_limit_s,
            "workers": workers, "load_s": load_s, "baseline_mb": baseline_mb, "peak_mb": _rss_mb(),
            "rounds": out_rounds}


def _solve(method: str, model, time_limit_s: float, workers: int):
    from planner.errors import NoSolutionError

    try:
        if method == "cpsat":
            from planner.solver import solve_model
            return solve_model(model, time_limit_s=time_limit_s, workers=workers)
        if method == "cpsat-naive":
            from planner.solver import solve_model_direct
            return solve_model_direct(model, time_limit_s=time_limit_s, workers=workers)
        if method == "highs":
            from planner.solver import solve_model_highs_whole
            return solve_model_highs_whole(model, time_limit_s=time_limit_s, workers=workers)
        if method == "highs-comp":
            from planner.solver import solve_model_highs
            return solve_model_highs(model, time_limit_s=time_limit_s, workers=workers)
    except NoSolutionError:
        from planner.solver import Solution
        return Solution("NO_SOLUTION", None, None, math.nan, math.nan, math.inf, time_limit_s)
    raise ValueError(f"unknown method {method!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.worker")
    parser.add_argument("instance")
    parser.add_argument("method", choices=("cpsat", "cpsat-naive", "highs", "highs-comp", "greedy"))
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    result = measure(args.instance, args.method, repeats=args.repeats, time_limit_s=args.time_limit,
                     workers=args.workers)
    sys.stdout.write("\n" + json.dumps(result, ensure_ascii=False, default=_json_default) + "\n")
    return 0


def _json_default(value):
    import numpy as np

    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    raise TypeError(type(value))


if __name__ == "__main__":
    raise SystemExit(main())
