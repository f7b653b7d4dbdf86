"""Run every benchmark and print one table: ``python -m benchmarks`` (see benchmarks/README.md).

    python -m benchmarks                # the standard run (every instance but the stress one)
    python -m benchmarks --quick        # a fast subset (Jilin, mknap1, three mknapcb1 instances)
    python -m benchmarks --full         # also the funded lookahead stress instance
    python -m benchmarks --only national mknapcb1 --json out.json
    python -m benchmarks --speed        # issue 28's table alone (benchmarks/speed.py)

Every figure is measured in this run, on this machine, against baselines run on the same
instance with the same rules: the project's CP-SAT solve, HiGHS on the same built model, greedy
by score within the quotas (and plain CP-SAT where named). Each (instance, method) runs in its
own process (peak memory is that process's). Times are medians over the instance's repeats.
"""
from __future__ import annotations

import argparse
import compileall
import datetime as dt
import inspect
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.instances import INSTANCES, REPO

E2E_SCENARIO = REPO / "scenarios" / "jilin-2023-funded.toml"
E2E_REPEATS = 5
EXTRA_BENCHES = ("bench_explain", "bench_whatif", "bench_sweep", "bench_analyses", "bench_publish", "speed")
# national-binding(-6) in the run: also `planner solve` on it end to end against its build + solve
# (benchmarks/bench_national.py), unless --no-e2e.


# --------------------------------------------------------------------------- running
def run_worker(instance: str, method: str, *, workers: int, timeout: float) -> dict:
    """One (instance, method) in a subprocess; its JSON result (or an error record)."""
    command = [sys.executable, "-m", "benchmarks.worker", instance, method, "--workers", str(workers)]
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    start = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        return {"instance": instance, "method": method, "error": f"no result: killed after {timeout:.0f} s"}
    wall = time.perf_counter() - start
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"instance": instance, "method": method, "error": " | ".join(tail) or f"exit {done.returncode}"}
    result = json.loads(lines[-1])
    result["process_wall_s"] = wall
    return result


def end_to_end(repeats: int = E2E_REPEATS) -> dict:
    """`planner solve <funded scenario>` as a subprocess: process start to files written.

    The package is byte-compiled first, as a regular install leaves it: an editable install
    does not, and with PYTHONDONTWRITEBYTECODE set every run would compile it again.
    """
    compileall.compile_dir(str(REPO / "planner"), quiet=1)
    script = Path(sys.executable).parent / "planner"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "planner.cli"]
    times, error = [], ""
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeats):
            out = Path(tmp) / f"run{i}"
            start = time.perf_counter()
            done = subprocess.run([*command, "solve", str(E2E_SCENARIO), "--out", str(out), "--quiet"],
                                  cwd=REPO, capture_output=True, text=True, check=False)
            times.append(time.perf_counter() - start)
            if done.returncode != 0 or not (out / "summary.json").exists():
                error = (done.stderr.strip().splitlines() or ["no output"])[-1]
                break
    return {"scenario": str(E2E_SCENARIO.relative_to(REPO)), "times": times,
            "median_s": statistics.median(times) if times else None, "error": error}


def extra_lines(result: dict, *, width: int = 150) -> list[str]:
    """An extra benchmark's dict as short lines: its figures, then one line per nested part
    (a dict, or a list of dicts named by their ``mode``); lists of records are left to --json."""
    def scalars(d: dict) -> str:
        return ", ".join(f"{k} {v}" for k, v in d.items() if not isinstance(v, (dict, list)))

    lines = [scalars(result)]
    for key, value in result.items():
        if isinstance(value, dict):
            lines.append(f"{key}: {scalars(value)}")
        elif isinstance(value, list) and 0 < len(value) <= 5 \
                and all(isinstance(v, dict) and "mode" in v for v in value):
            lines += [f"{key} [{v['mode']}]: {scalars(v)}" for v in value]
    return [line if len(line) <= width else line[:width - 1] + "…" for line in lines if line]


def extra_benches(quick: bool) -> dict:
    """Other benchmarks of the project (`run() -> dict`), when present."""
    out = {}
    for name in EXTRA_BENCHES:
        try:
            module = __import__(f"benchmarks.{name}", fromlist=["run"])
        except ImportError:
            continue
        run = getattr(module, "run", None)
        if run is None:
            continue
        kwargs = {"quick": True} if quick and "quick" in inspect.signature(run).parameters else {}
        if quick and not kwargs:
            out[name] = {"skipped": "--quick"}
            continue
        start = time.perf_counter()
        try:
            result = run(**kwargs)
        except Exception as exc:  # noqa: BLE001 — a broken extra bench must not stop the table
            result = {"error": f"{type(exc).__name__}: {exc}"}
        result = dict(result) if isinstance(result, dict) else {"result": result}
        result["bench_wall_s"] = round(time.perf_counter() - start, 1)
        out[name] = result
    return out


# --------------------------------------------------------------------------- the table
def _fmt(value, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def summarise(result: dict) -> dict:
    """One table row from a worker result (a set of rounds is added up)."""
    if "error" in result:
        return {"status": "ERROR", "note": result["error"][:80]}
    rounds = result["rounds"]
    row = {"peak_mb": result["peak_mb"], "rounds": len(rounds)}
    solve = sum(r["solve_s"] for r in rounds)
    build = sum(r["build_s"] for r in rounds)
    row.update(solve_s=solve, build_s=build, build_share=build / (build + solve) if build + solve else None)
    if result["method"] == "greedy":
        row["status"] = "audit ok" if all(r["audit_ok"] for r in rounds) else \
            f"audit fails {sum(not r['audit_ok'] for r in rounds)}/{len(rounds)}"
        row["value"] = sum(r["slate_value"] for r in rounds)
        return row
    optimal = sum(r["status"] == "OPTIMAL" for r in rounds)
    row["optimal"] = optimal
    row["status"] = "OPTIMAL" if len(rounds) == 1 and optimal == 1 else (
        rounds[0]["status"] if len(rounds) == 1 else f"{optimal}/{len(rounds)} optimal")
    row["objective"] = rounds[0]["objective"] if len(rounds) == 1 else None
    row["gap"] = max((r["gap"] for r in rounds), default=None)
    row["value"] = sum(r.get("slate_value", 0.0) for r in rounds)
    row["audit"] = all(r.get("audit_ok", False) for r in rounds)
    with_ref = [r for r in rounds if r.get("reference") is not None]
    if with_ref:
        hit = sum(abs(r["objective"] - r["reference"]) <= 1e-6 * max(1.0, abs(r["reference"])) for r in with_ref)
        kinds = sorted({r["reference_kind"] for r in with_ref})
        row["reference"] = f"{hit}/{len(with_ref)} = {'/'.join(kinds)}"
        row["reference_hit"] = hit
        row["reference_total"] = len(with_ref)
        better = sum(r["objective"] > r["reference"] + 1e-6 for r in with_ref)
        if better:
            row["reference"] += f", {better} better"
    return row


def table(results: dict[str, dict[str, dict]]) -> list[str]:
    header = (f"{'instance':<28} {'size':<22} {'method':<12} {'status':<22} {'solve s':>9} {'build s':>8} "
              f"{'build%':>6} {'objective':>14} {'gap':>8} {'peak MB':>8} {'vs HiGHS':>8}  notes")
    lines = [header, "-" * len(header)]
    for name, by_method in results.items():
        instance = INSTANCES[name]
        highs = summarise(by_method["highs"]) if "highs" in by_method else None
        best = None
        for method in ("cpsat", "cpsat-naive", "highs", "highs-comp"):
            if method in by_method and "error" not in by_method[method]:
                row = summarise(by_method[method])
                if row.get("audit") and (best is None or row["value"] > best):
                    best = row["value"]
        for method, result in by_method.items():
            row = summarise(result)
            ratio = None
            if highs and method in ("cpsat", "cpsat-naive") and highs.get("solve_s") and row.get("solve_s"):
                ratio = row["solve_s"] / highs["solve_s"]
            notes = []
            if row.get("reference"):
                notes.append(row["reference"])
            if method == "greedy" and best:
                lost = 100 * (best - row["value"]) / abs(best)
                if lost >= 0:
                    notes.append(f"slate value {row['value']:,.1f}: loses {lost:.2f}% of the optimum's {best:,.1f}")
                else:
                    notes.append(f"slate value {row['value']:,.1f} > the optimum's {best:,.1f} this year: the "
                                 "optimum keeps period quota for the planned later years")
            elif row.get("value") is not None and method != "greedy" and "audit" in row:
                notes.append("audit ok" if row["audit"] else "AUDIT FAILED")
            if row.get("note"):
                notes.append(row["note"])
            objective = row.get("objective")
            lines.append(
                f"{name:<28} {instance.size:<22} {method:<12} {row.get('status', ''):<22} "
                f"{_fmt(row.get('solve_s')):>9} {_fmt(row.get('build_s')):>8} "
                f"{_fmt(100 * row['build_share'] if row.get('build_share') is not None else None, 0):>6} "
                f"{_fmt(objective, 1):>14} {_fmt(row.get('gap'), 4):>8} {_fmt(row.get('peak_mb'), 0):>8} "
                f"{(_fmt(ratio) + '×') if ratio else '—':>8}  {'; '.join(notes)}")
    return lines


def targets(results: dict[str, dict[str, dict]], e2e: dict | None) -> list[str]:
    """The issue's targets with the measured figure beside each."""
    out = []

    def get(name, method):
        result = results.get(name, {}).get(method)
        return summarise(result) if result else None

    def verdict(ok):
        return "MET" if ok else "NOT MET"

    funded, funded_h = get("jilin-2023-funded", "cpsat"), get("jilin-2023-funded", "highs")
    if funded and funded_h and funded.get("solve_s") and funded_h.get("solve_s"):
        ratio = funded["solve_s"] / funded_h["solve_s"]
        out.append(f"funded province-year: {funded['status']}, CP-SAT {funded['solve_s']:.2f} s vs HiGHS "
                   f"{funded_h['solve_s']:.2f} s = {ratio:.2f}× (target: proven optimal, ≤ 1.0×) "
                   f"{verdict(funded['status'] == 'OPTIMAL' and ratio <= 1.0)}")
    if e2e and e2e.get("median_s") is not None:
        out.append(f"end to end `planner solve {e2e['scenario']}`: median {e2e['median_s']:.2f} s of "
                   f"{len(e2e['times'])} (target ≤ 2 s) {verdict(e2e['median_s'] <= 2.0 and not e2e['error'])}"
                   + (f" — {e2e['error']}" if e2e.get("error") else ""))
    for name in ("national", "national-funded"):
        row = get(name, "cpsat")
        if row and row.get("solve_s") is not None:
            run = row["solve_s"] + row["build_s"]
            out.append(f"{name} (100,006 candidates): {row['status']}, solve {row['solve_s']:.1f} s, build "
                       f"{row['build_s']:.1f} s, build + solve {run:.1f} s (≤ 30 s {verdict(row['status'] == 'OPTIMAL' and run <= 30)}), "
                       f"peak {row['peak_mb']:.0f} MB (≤ 2,048 MB {verdict(row['peak_mb'] <= 2048)}), "
                       f"build {100 * row['build_share']:.0f}% of build + solve (≤ 10 % {verdict(row['build_share'] <= 0.10)})")
    hit = total = 0
    for name in ("mknap1", "mknap2", "gap1-12"):
        row = get(name, "cpsat")
        if row and row.get("reference_total"):
            hit += row["reference_hit"]
            total += row["reference_total"]
    if total:
        out.append(f"OR-Library proven optima reproduced: {hit}/{total} {verdict(hit == total)}")
    for name in ("mknapcb1", "mknapcb1-quick"):
        row, row_h = get(name, "cpsat"), get(name, "highs")
        if row and row_h and row.get("solve_s") and row_h.get("solve_s"):
            ratio = row["solve_s"] / row_h["solve_s"]
            out.append(f"{name}: CP-SAT {row['solve_s']:.1f} s vs HiGHS {row_h['solve_s']:.1f} s in all = {ratio:.2f}× "
                       f"({row['status']}; {row.get('reference', '')}) (target ≤ 1.0×) {verdict(ratio <= 1.0)}")
    return out


# --------------------------------------------------------------------------- main
def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        import psutil
        mem = f", {psutil.virtual_memory().total / 2**30:.0f} GiB"
    except ImportError:
        pass
    import ortools
    versions = f"Python {platform.python_version()}, ortools {ortools.__version__}"
    try:
        from importlib.metadata import PackageNotFoundError, version
        versions += f", highspy {version('highspy')}"
    except PackageNotFoundError:
        versions += ", no highspy"

    return f"{os.cpu_count()} cores ({cpu}){mem}, {platform.system()} {platform.release()}; {versions}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="a fast subset")
    mode.add_argument("--full", action="store_true", help="also the stress instance")
    parser.add_argument("--only", nargs="+", metavar="INSTANCE", choices=sorted(INSTANCES), help="these instances")
    parser.add_argument("--workers", type=int, default=2, help="threads per solve (default 2, this machine's cores)")
    parser.add_argument("--no-e2e", action="store_true", help="skip the end-to-end timing")
    parser.add_argument("--no-extra", action="store_true", help="skip bench_explain / bench_whatif / bench_sweep")
    parser.add_argument("--json", type=Path, help="also write every measurement as JSON here")
    parser.add_argument("--speed", action="store_true",
                        help="only issue 28's speed table (national end to end, build share, frontier, robust, workers)")
    parser.add_argument("--before", help="the speed table's baseline commit (default: benchmarks/speed.py BEFORE)")
    args = parser.parse_args(argv)
    if args.speed:
        from benchmarks import speed
        print(f"benchmarks {dt.datetime.now():%Y-%m-%d %H:%M} — {machine()}", flush=True)
        result = speed.run(before=args.before or speed.BEFORE)
        print("\n".join(speed.lines(result)))
        if args.json:
            args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        return 0

    if args.only:
        names = args.only
    elif args.quick:
        names = [n for n, i in INSTANCES.items() if "quick" in i.tags or "quick-only" in i.tags]
    else:
        names = [n for n, i in INSTANCES.items()
                 if not ({"quick-only"} & i.tags) and (args.full or "stress" not in i.tags)]
    started = dt.datetime.now()
    load_before = os.getloadavg()
    print(f"benchmarks {started:%Y-%m-%d %H:%M} — {machine()}", flush=True, file=sys.stderr)
    results: dict[str, dict[str, dict]] = {}
    for name in names:
        instance = INSTANCES[name]
        results[name] = {}
        for method in instance.methods:
            timeout = instance.worker_timeout_s
            print(f"  {name} / {method} …", end="", flush=True, file=sys.stderr)
            result = run_worker(name, method, workers=args.workers, timeout=timeout)
            results[name][method] = result
            print(" done" if "error" not in result else f" {result['error']}", flush=True, file=sys.stderr)
    e2e = None if args.no_e2e or (args.only and "jilin-2023-funded" not in args.only) else end_to_end()
    national = {}
    for name in ("national-binding", "national-binding-6"):
        if name in names and not args.no_e2e:
            from benchmarks import bench_national
            print(f"  {name} / planner solve end to end …", end="", flush=True, file=sys.stderr)
            national[name] = bench_national.run(provinces=31 if name == "national-binding" else 6)
            print(" done", flush=True, file=sys.stderr)
    extra = {} if args.no_extra or args.only else extra_benches(args.quick)
    elapsed = (dt.datetime.now() - started).total_seconds()

    lines = [f"benchmarks {started:%Y-%m-%d %H:%M}, {elapsed / 60:.1f} min — {machine()}",
             (f"load average before: {', '.join(f'{x:.2f}' for x in load_before)}; after: "
              f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}; workers {args.workers}"), ""]
    lines += table(results)
    if e2e:
        lines += ["", f"end to end: planner solve {e2e['scenario']} --out … --quiet, process start to files written: "
                      f"median {_fmt(e2e['median_s'])} s of {', '.join(f'{t:.2f}' for t in e2e['times'])}"
                      + (f" — {e2e['error']}" if e2e['error'] else "")]
    for result in national.values():
        from benchmarks.bench_national import lines as national_lines
        lines += [""] + national_lines(result)
    for name, result in extra.items():
        if name == "speed" and "error" not in result and "skipped" not in result:
            from benchmarks.speed import lines as speed_lines
            lines += [""] + speed_lines(result)
            continue
        if name == "bench_analyses" and "error" not in result and "skipped" not in result:
            from benchmarks.bench_analyses import table as before_after
            lines += ["", f"{name} (before = commit {result['before']}, after = this tree):"]
            lines += [f"  {line}" for line in before_after(result)]
            continue
        lines += ["", f"{name}:"] + [f"  {line}" for line in extra_lines(result)]
    lines += ["", "targets:"] + [f"  {t}" for t in targets(results, e2e)]
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps({"started": started.isoformat(), "machine": machine(), "results": results,
                                         "e2e": e2e, "national_e2e": national, "extra": extra, "table": lines}, ensure_ascii=False, indent=1,
                                        default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
