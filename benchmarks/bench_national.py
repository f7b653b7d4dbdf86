"""The national binding-pool run end to end: ``planner solve`` wall against its own build + solve.

    python -m benchmarks.bench_national                 # 31 provinces × 2,400 (74,400 candidates)
    python -m benchmarks.bench_national --provinces 6   # the small variant
    python -m benchmarks.bench_national --before e32aadc   # and that commit's tree first, same run
    python -m benchmarks.bench_national --before d11b3c7 --repeats 3   # runs alternate: before, after, before …
    python -m benchmarks --only national-binding        # the same line under the main table

The instance is `benchmarks.national.binding_round` written as files (candidates.csv and
scenario.toml, ``python -m benchmarks.national --binding``), kept in ``$PLANNER_BENCH_CACHE`` (default
the system's temp folder) between runs. Two measurements, same instance, one after the other:

* **end to end**: ``python -m planner.cli solve scenario.toml --out … --quiet`` as a process, from
  its start to its files written (median of the repeats), against ``build_s + solve_s`` of the
  summary.json it wrote (the model build and the solve inside that same process): the target is
  end to end ≤ 2 × build + solve. With a baseline commit the two trees' runs alternate, so that a
  change of the machine's load falls on both; each run's CPU seconds (every thread) are printed
  beside its wall, the load affects them least.
* **where each second goes**: the same steps in this process, each timed — reading and
  normalising the CSV and preparing the round, the model build, the solve, the audit and the
  reasons (`rounds.finish`), and every output file rendered (slate.csv, slate.xlsx, …) and written.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_RATIO = 2.0


def instance(provinces: int = 31) -> Path:
    """The instance's scenario.toml (written once into the cache folder)."""
    folder = Path(os.environ.get("PLANNER_BENCH_CACHE", tempfile.gettempdir())) / f"planner-national-binding-{provinces}"
    scenario = folder / "scenario.toml"
    if not (scenario.exists() and (folder / "candidates.csv").exists()):
        from benchmarks.national import main as write
        write(["--out", str(folder), "--binding", "--provinces", str(provinces)])
    return scenario


def end_to_end(scenario: Path, repeats: int = 1, repo: Path = REPO) -> dict:
    """``planner solve`` of the tree `repo` as a process: wall from start to files written, and its
    own build + solve (medians of `repeats` runs)."""
    runs = [one_run(scenario, repo) for _ in range(repeats)]
    return summarised(runs)


def one_run(scenario: Path, repo: Path = REPO) -> dict:
    """One ``planner solve`` of the tree `repo` as a process: its wall, CPU (every thread) and the
    build + solve its summary.json records; ``{"error": …}`` when it failed."""
    env = {**os.environ, "PYTHONPATH": str(repo) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        start, cpu = time.perf_counter(), os.times()
        done = subprocess.run([sys.executable, "-m", "planner.cli", "solve", str(scenario), "--out", str(out),
                               "--quiet"], cwd=repo, env=env, capture_output=True, text=True, check=False)
        wall, after = time.perf_counter() - start, os.times()
        if done.returncode != 0:
            return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {"wall_s": wall, "cpu_s": (after.children_user - cpu.children_user)
            + (after.children_system - cpu.children_system),
            "build_s": summary["build_s"], "solve_s": summary["solve_s"], "load": os.getloadavg()[0]}


def summarised(runs: list[dict]) -> dict:
    """Medians of the runs: wall, CPU, build + solve, and their ratio."""
    failed = [r for r in runs if "error" in r]
    if failed:
        return failed[0]
    wall = statistics.median(r["wall_s"] for r in runs)
    core = statistics.median(r["build_s"] + r["solve_s"] for r in runs)
    return {"runs": runs, "wall_s": round(wall, 2), "build_solve_s": round(core, 2),
            "cpu_s": round(statistics.median(r["cpu_s"] for r in runs), 2),
            "ratio": round(wall / core, 2), "target": TARGET_RATIO, "met": wall / core <= TARGET_RATIO}


def phases(scenario: Path, cpu: dict[str, float] | None = None) -> dict[str, float]:
    """The steps of ``planner solve`` in this process, each timed (wall seconds; with `cpu`, a dict,
    each step's CPU seconds of this process, every thread, go there too)."""
    out: dict[str, float] = {}
    cpu = {} if cpu is None else cpu

    def timed(name, call, *args, **kwargs):
        start, used = time.perf_counter(), time.process_time()
        value = call(*args, **kwargs)
        out[name] = round(time.perf_counter() - start, 2)
        cpu[name] = round(time.process_time() - used, 2)
        return value

    from planner.model import build_model
    from planner.rounds.finish import finish, output_tables
    from planner.rules import load_scenario, read_round
    from planner.show.render import rendered
    from planner.solver import solve_with

    rules = timed("scenario", load_scenario, scenario)
    frame, history, prepared = timed("read + normalise + prepare", read_round, rules, None)
    model = timed("build", build_model, prepared.frame, rules, locked=prepared.locked,
                  locked_national=prepared.locked_national, history_rows=prepared.history_rows)
    solution = timed("solve", solve_with, "cpsat", model, time_limit_s=60.0, seed=0, workers=0, hint=None)
    result = timed("audit + reasons", finish, rules, frame, history, prepared, model, solution, seed=0, workers=0,
                   time_limit_s=60.0)
    tables = timed("output tables", output_tables, result)
    files = rendered([], tables, {"slate.xlsx": "slate.csv"}, {"summary.json": result.summary}, {})
    while True:
        start, used = time.perf_counter(), time.process_time()
        try:
            name, _ = next(files)
        except StopIteration:
            break
        out[f"render {name}"] = round(time.perf_counter() - start, 2)
        cpu[f"render {name}"] = round(time.process_time() - used, 2)
    return out


def run(quick: bool = False, provinces: int | None = None, before: str | None = None, repeats: int = 1) -> dict:
    """The end-to-end figure and the phases (`quick`: 6 provinces); with `before` (a commit) the
    same end-to-end run of that commit's tree as the baseline of the same run, its runs and this
    tree's alternating (before first)."""
    provinces = provinces or (6 if quick else 31)
    scenario = instance(provinces)
    result = {"instance": f"national-binding{'' if provinces == 31 else f'-{provinces}'}"}
    if before:
        with tempfile.TemporaryDirectory() as tree:
            archive = subprocess.run(["git", "-C", str(REPO), "archive", before], capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", tree], input=archive.stdout, check=True)
            pairs = [(one_run(scenario, Path(tree)), one_run(scenario)) for _ in range(repeats)]
        result["before"] = {"commit": before, **summarised([b for b, _ in pairs])}
        result["end_to_end"] = summarised([a for _, a in pairs])
    else:
        result["end_to_end"] = end_to_end(scenario, repeats)
    result["phases_cpu_s"] = {}
    result["phases_s"] = phases(scenario, result["phases_cpu_s"])
    return result


def lines(result: dict) -> list[str]:
    """The result as the table's lines."""
    e2e = result["end_to_end"]
    if "error" in e2e:
        return [f"{result['instance']} end to end: {e2e['error']}"]
    n = len(e2e["runs"])
    median = f"median of {n}, " if n > 1 else ""
    out = [f"{result['instance']} end to end: planner solve {e2e['wall_s']:.1f} s wall ({median}{e2e['cpu_s']:.1f} s CPU) "
           f"vs its build + solve {e2e['build_solve_s']:.1f} s = {e2e['ratio']:.2f}× (target ≤ {e2e['target']:.0f}×) "
           f"{'MET' if e2e['met'] else 'NOT MET'}",
           *([f"  before ({result['before']['commit']}, same run): {result['before']['wall_s']:.1f} s wall "
               f"({result['before']['cpu_s']:.1f} s CPU) vs its build + solve {result['before']['build_solve_s']:.1f} s "
               f"= {result['before']['ratio']:.2f}×"] if "wall_s" in result.get("before", {}) else []),
           *(f"  run {k + 1}: " + "; ".join(
               f"{who} {r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s CPU, build + solve {r['build_s'] + r['solve_s']:.1f} s, "
               f"load {r['load']:.1f}" for who, r in (("before", result["before"]["runs"][k]), ("after", e2e["runs"][k])))
             for k in range(n) if "runs" in result.get("before", {})),
           "  where the seconds go (same steps in one process; wall, then CPU of every thread): "
           + ", ".join(f"{k} {v:.2f}" + (f"/{result['phases_cpu_s'][k]:.2f}" if k in result.get("phases_cpu_s", {}) else "")
                       for k, v in result["phases_s"].items())]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_national", description=__doc__.splitlines()[0])
    parser.add_argument("--provinces", type=int, default=31)
    parser.add_argument("--before", metavar="COMMIT", help="also the same run of this commit's tree, first")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each tree (medians; alternating with --before)")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    result = run(provinces=args.provinces, before=args.before, repeats=args.repeats)
    print("\n".join(lines(result)))
    print(f"load average before {load[0]:.2f}, after {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
