"""What-if re-solve time: one changed bound re-solved in a `Session` against a cold solve, same run.

``run()`` solves the bundled round cold (read, build, solve, audit, explain), then changes one
bound at a time — each change relative to the base, as a planner does in a meeting — and
re-solves in the same session (in place: the kept model's constraint is edited, the previous
slate is the hint). For reference it also solves the first changed scenario from scratch with
`planner.solve`. Times are wall-clock seconds; the machine's load average is reported with them.

    python benchmarks/bench_whatif.py                   # prints the dict as JSON
    python benchmarks/bench_whatif.py --no-lookahead    # each round on its own
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "scenarios" / "jilin-2023.toml"
TARGET_S = 0.3      # the target for one changed bound

# (rule, bound, value, group): caps a planner changes in a meeting, each alone against the base.
CHANGES = (
    ("pc-school-locality", "max", 20, "长春市"),
    ("pc-school-locality", "max", 10, "长春市"),
    ("rl-locality", "max", 3, "*"),
    ("vs-national-dh", "max", 4, "*"),
    ("co-offline-locality", "max", 6, "长春市"),
    ("pp-locality-cap", "max", 2, "*"),
)


def run(scenario: str | Path = SCENARIO, changes=CHANGES, repeats: int = 2, *, lookahead: bool = True) -> dict:
    """Cold solve, then every change re-solved in place `repeats` times; medians and maxima.

    ``lookahead=False`` solves the round on its own (``[plan] forecast = "none"``).

    Returns
    -------
    dict
        scenario, cold_s (first `Session.solve`, everything included), fresh_changed_s (the
        first change solved from scratch by `planner.solve`), resolve_s_median / _max (change
        + CP-SAT, the model edit included), whatif_s_median / _max (the whole what-if: with the
        audit and the explanations), modes (how each change was solved), solver_parameters
        (whether `solve_model` took the re-solve parameters), target_s, meets_target
        (resolve_s_median ≤ target), load_avg (1-minute load average before and after),
        whatif_cpu_s_median (CPU seconds of this process per what-if: close to the wall time
        on an idle machine, since a re-solve runs on one worker).
    """
    from planner import api
    from planner.api import Session
    from planner.rules import load_scenario

    load_before = os.getloadavg()[0]
    base = load_scenario(scenario)
    if not lookahead:
        base = base.with_plan(forecast="none")
    session = Session(base)
    start = time.perf_counter()
    session.solve()
    cold_s = time.perf_counter() - start

    rows = []
    for _ in range(repeats):
        for rule_id, bound, value, group in changes:
            session.forget_results()        # measure a re-solve, not the hand-back of an earlier result
            changed = base.with_bound(rule_id, bound, value, group=group)
            cpu = time.process_time()
            result = session.solve(changed)
            cpu = time.process_time() - cpu
            w = result.summary["whatif"]
            rows.append({"change": f"{rule_id} {bound} {value} [{group}]", "mode": w["mode"],
                         "edited": w["edited"], "resolve_s": w["resolve_s"], "resolve_cpu_s": w["resolve_cpu_s"],
                         "whatif_s": w["total_s"], "cpu_s": round(cpu, 4)})

    rule_id, bound, value, group = changes[0]
    start = time.perf_counter()
    api.solve(base.with_bound(rule_id, bound, value, group=group))
    fresh_s = time.perf_counter() - start

    resolve = [r["resolve_s"] for r in rows]
    whole = [r["whatif_s"] for r in rows]
    return {
        "scenario": str(Path(scenario).name),
        "lookahead_years": list(base.planned_years),
        "cold_s": round(cold_s, 3),
        "fresh_changed_s": round(fresh_s, 3),
        "resolve_s_median": round(statistics.median(resolve), 3),
        "resolve_s_max": round(max(resolve), 3),
        "resolve_cpu_s_median": round(statistics.median(r["resolve_cpu_s"] for r in rows), 3),
        "whatif_s_median": round(statistics.median(whole), 3),
        "whatif_s_max": round(max(whole), 3),
        "whatif_cpu_s_median": round(statistics.median(r["cpu_s"] for r in rows), 3),
        "modes": sorted({r["mode"] for r in rows}),
        "target_s": TARGET_S,
        "meets_target": statistics.median(resolve) <= TARGET_S,
        "load_avg": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "changes": rows,
    }


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    print(json.dumps(run(lookahead="--no-lookahead" not in sys.argv[1:]), ensure_ascii=False, indent=2))
