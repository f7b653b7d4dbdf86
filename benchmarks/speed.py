"""Issue 28's speed table: every figure it sets a target on, each beside its baseline, one run.

    python -m benchmarks --speed                   # this tree against BEFORE, same run
    python -m benchmarks --speed --before COMMIT   # against that commit's tree
    python -m benchmarks.speed --parts build sweep # some rows only

Rows (each measured in this run, the baseline in the same run, one after the other):

* **national end to end** — ``planner solve`` of the 74,400-candidate national-binding instance as
  a process, wall from start to files written, ÷ the build + solve its summary.json records
  (`bench_national`); target ≤ 2×.
* **build share** — ``planner solve scenarios/jilin-2023.toml`` as a process, 5 times, the two
  trees alternating: build_s ÷ (build_s + solve_s) from each run's summary.json, median; target
  ≤ 15 %.
* **frontier, robust** — ``planner equity … --frontier 5`` and ``planner robust … --samples 200
  --score-sd 3`` wall ÷ ``planner solve`` wall (median of 5), each tree against its own solve
  (`bench_analyses`); targets ≤ 10× and ≤ 15×.
* **16 workers** — the sweep and the lookahead sweep on every worker count of 1, 2, 4, 8, 16 that
  the machine has cores for, Amdahl's law fitted (`bench_sweep.scale_out`); target ≥ 12× on 16.
* **not slower** — ``planner solve`` of the bundled 2023 round and its funded variant, 5 times
  each tree alternating, medians, slates byte-identical (`bench_analyses`).

The machine and its load before and after are printed with the table: on a shared 2-core machine
single wall-clock figures move by ±30 %; the ratios, each taken within this run, are the figures.
"""
from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "scenarios" / "jilin-2023.toml"
BEFORE = "d11b3c7"          # main before this last pass
REPEATS = 5
PARTS = ("national", "build", "analyses", "sweep")
TARGETS = {"national": 2.0, "build": 0.15, "equity": 10.0, "robust200": 15.0, "sweep": 12.0}


def checkout(commit: str, folder: Path) -> Path:
    """`commit`'s tree written into `folder` (git archive), byte-compiled as an install leaves it."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    compileall.compile_dir(str(folder / "planner"), quiet=1)
    return folder


def solve_once(tree: Path, out: Path, scenario: Path = SCENARIO) -> dict:
    """``planner solve`` of `tree` as a process: its wall, and build_s / solve_s of its summary."""
    env = {**os.environ, "PYTHONPATH": str(tree) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "planner.cli", "solve", str(scenario), "--out", str(out), "--quiet"],
                          cwd=tree, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]}
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    build, solve = summary["build_s"], summary["solve_s"]
    return {"wall_s": wall, "build_s": build, "solve_s": solve, "share": build / (build + solve)}


def build_share(trees: dict[str, Path], repeats: int = REPEATS) -> dict:
    """The build share of ``planner solve`` on the bundled 2023 round, each tree `repeats` times,
    the trees alternating; medians per tree."""
    runs: dict[str, list[dict]] = {side: [] for side in trees}
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        for k in range(repeats):
            for side, tree in trees.items():
                run = solve_once(tree, Path(tmp) / f"{side}-{k}")
                if "error" in run:
                    return {"error": f"{side}: {run['error']}"}
                runs[side].append(run)
    return {side: {key: round(statistics.median(r[key] for r in rs), 4) for key in ("build_s", "solve_s", "share")}
            | {"shares": [round(r["share"], 3) for r in rs]} for side, rs in runs.items()}


def run(parts=PARTS, before: str = BEFORE) -> dict:
    """Every row of the table (see the module docstring)."""
    out: dict = {"before": before, "cores": os.cpu_count(), "load_before": [round(x, 2) for x in os.getloadavg()],
                 "started": time.strftime("%Y-%m-%d %H:%M")}
    start = time.perf_counter()
    if "national" in parts:
        from benchmarks import bench_national
        print("  national-binding end to end …", flush=True, file=sys.stderr)
        out["national"] = bench_national.run(provinces=31, before=before)
    if "build" in parts:
        print("  build share, planner solve jilin-2023 × 5 each …", flush=True, file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix="bench-before-") as tmp:
            out["build"] = build_share({"before": checkout(before, Path(tmp)), "after": REPO})
    if "analyses" in parts:
        from benchmarks import bench_analyses
        out["analyses"] = bench_analyses.run(["equity", "robust200", "solve", "solve-funded"], before=before)
        bench_analyses.solve_ratios(out["analyses"])
    if "sweep" in parts:
        from benchmarks import bench_sweep
        print("  sweeps on 1, 2, … workers …", flush=True, file=sys.stderr)
        try:
            import dask.distributed  # noqa: F401
            executor = "dask"
        except ImportError:
            executor = "process"
        out["sweep"] = bench_sweep.scale_out(executor=executor)
    out["wall_s"] = round(time.perf_counter() - start, 1)
    out["load_after"] = [round(x, 2) for x in os.getloadavg()]
    return out


def _verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def lines(result: dict) -> list[str]:
    """The table: figure, this tree, the baseline of the same run, the target, the verdict."""
    before = result["before"]
    rows: list[tuple[str, str, str, str, str]] = []
    national = result.get("national")
    if national:
        e2e, old = national["end_to_end"], national.get("before", {})
        if "error" in e2e:
            rows.append(("national end to end ÷ build + solve", e2e["error"], "", "≤ 2×", "ERROR"))
        else:
            rows.append(("national end to end ÷ build + solve",
                         f"{e2e['ratio']:.2f}× ({e2e['wall_s']:.1f} / {e2e['build_solve_s']:.1f} s)",
                         f"{old['ratio']:.2f}× ({old['wall_s']:.1f} / {old['build_solve_s']:.1f} s)" if "ratio" in old else "—",
                         "≤ 2×", _verdict(e2e["ratio"] <= TARGETS["national"])))
    build = result.get("build")
    if build:
        if "error" in build:
            rows.append(("jilin-2023 build share", build["error"], "", "≤ 15 %", "ERROR"))
        else:
            a, b = build["after"], build["before"]
            rows.append(("jilin-2023 build share (median of 5)",
                         f"{100 * a['share']:.1f} % ({a['build_s']:.3f} / {a['build_s'] + a['solve_s']:.3f} s)",
                         f"{100 * b['share']:.1f} % ({b['build_s']:.3f} / {b['build_s'] + b['solve_s']:.3f} s)",
                         "≤ 15 %", _verdict(a["share"] <= TARGETS["build"])))
    analyses = result.get("analyses", {})
    solve = analyses.get("solve", {})
    for name, label in (("equity", "equity --frontier 5 ÷ one solve"), ("robust200", "robust 200 samples ÷ one solve")):
        r = analyses.get(name)
        if not r:
            continue
        if "errors" in r or "solves_after" not in r:
            rows.append((label, "; ".join(f"{k}: {v}" for k, v in r.get("errors", {}).items()) or "no solve",
                         "", f"≤ {TARGETS[name]:g}×", "ERROR"))
            continue
        rows.append((label, f"{r['solves_after']:.1f}× ({r['after_s']:.1f} / {solve['after_s']:.2f} s)",
                     f"{r['solves_before']:.1f}× ({r['before_s']:.1f} / {solve['before_s']:.2f} s)",
                     f"≤ {TARGETS[name]:g}×", _verdict(r["solves_after"] <= TARGETS[name])))
    for name in ("solve", "solve-funded"):
        r = analyses.get(name)
        if r and "errors" not in r:
            same = "slates identical" if r["check"]["identical"] else "SLATES DIFFER"
            label = {"solve": "planner solve jilin-2023", "solve-funded": "planner solve jilin-2023-funded"}[name]
            rows.append((f"{label} (median of 5)",
                         f"{r['after_s']:.2f} s", f"{r['before_s']:.2f} s", "not slower",
                         f"{'MET' if r['after_s'] <= r['before_s'] * 1.05 else 'NOT MET'} ({same})"))
    sweep = result.get("sweep")
    if sweep:
        for name, label in (("sweep", "sweep speed-up on 16 workers"),
                            ("lookahead_sweep", "lookahead sweep on 16 workers")):
            r = sweep.get(name)
            if not r:
                continue
            measured = isinstance(r.get("wall_16_s"), float)
            if measured:
                figure, ok = f"{r['speedup_16']:.1f}× measured", r["speedup_16"] >= TARGETS["sweep"]
            else:
                # The serial part measured on one worker first: two worker counts fit two unknowns
                # exactly, so the fit moves with how the second core was shared.
                parts = [f"{r['predicted_speedup_16_measured']:.1f}× from the serial part measured on 1 worker "
                         f"(f = {r['serial_fraction_measured']:.3f})"] if "serial_fraction_measured" in r else []
                parts += [f"{r['predicted_speedup_16']:.1f}× from the fit (f = {r['serial_fraction']:.3f})"] \
                    if "serial_fraction" in r else []
                figure, ok = "not measured; predicted " + ("; ".join(parts) or "—"), False
            rows.append((label, figure, f"1 worker {r.get('wall_1_s', '—')} s", "≥ 12×",
                         _verdict(ok) if measured else "NOT MEASURED"))
    width = [max(len(row[i]) for row in rows + [("figure", "this tree", f"before ({before})", "target", "")])
             for i in range(4)]
    header = (f"{'figure':<{width[0]}}  {'this tree':<{width[1]}}  {f'before ({before})':<{width[2]}}  "
              f"{'target':<{width[3]}}  verdict")
    out = [f"issue 28 — speed at every scale, {result['started']}, {result['wall_s'] / 60:.1f} min; "
           f"{result['cores']} cores; load average before {', '.join(map(str, result['load_before']))}, "
           f"after {', '.join(map(str, result['load_after']))}", header, "-" * len(header)]
    out += [f"{a:<{width[0]}}  {b:<{width[1]}}  {c:<{width[2]}}  {d:<{width[3]}}  {e}" for a, b, c, d, e in rows]
    if national and "phases_s" in national:
        out.append("national, where the seconds go (same steps in one process): "
                   + ", ".join(f"{k} {v:.2f}" for k, v in national["phases_s"].items()))
    if sweep:
        from benchmarks.bench_sweep import scale_lines
        out += scale_lines(sweep)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed", description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--before", default=BEFORE, help=f"the baseline commit (default {BEFORE})")
    parser.add_argument("--json", type=Path, help="also write the measurements as JSON here")
    args = parser.parse_args(argv)
    result = run(args.parts, before=args.before)
    print("\n".join(lines(result)))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
