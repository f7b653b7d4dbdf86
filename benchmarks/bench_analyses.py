"""The analyses before and after they went through the solver's door, timed in one run — and the
annual solve, which must be no slower.

``run()`` times these commands on the bundled rounds as a user waits for them — each a
``planner`` command in a process of its own, cold, writing its files:

* ``planner equity scenarios/jilin-2023.toml --frontier 5`` (the score–equity frontier);
* ``planner robust scenarios/jilin-2023.toml --samples 10 --score-sd 3`` (every flip margin), and the
  same with 200 samples (the issue's target: ≤ 60 s on 2 cores);
* ``planner solve scenarios/jilin-2023.toml`` and ``planner solve scenarios/jilin-2023-funded.toml``
  (the annual round, with the lookahead; the funded year), each 5 times, before and after
  alternating, median — the slates must be byte-identical;

once with the code of commit 37c60c3 (before the analyses were brought to meeting speed,
issue 7/7), checked out with ``git worktree add`` into a temporary folder, and once with this
working tree: same machine, same run, same inputs (this
tree's scenario file), same interpreter. Each process runs in its own tree with ``PYTHONPATH``
pointing there (``python -m`` puts the working directory first on ``sys.path``, so the working
directory must be that tree too).

Then it reads both runs' files and says whether they agree:

* robust: ``robust.csv`` (selection probability, band, flip margin … of every candidate) and
  ``samples.csv`` (less its timing columns) must be identical;
* equity: the frontier's points are compared where both runs proved them optimal at the same
  bound. The old code searched the balanced end within a time limit without proving it, so its
  bounds differ from the new ones; as an independent reference, the old code's own
  ε-constrained solve is run at every bound of the new frontier (`old_points`): each new point
  must equal the old proven optimum there, or lie between the old incumbent and the old bound.

Wall-clock seconds; the load average is reported with them (other work on the machine slows
every figure down, before and after alike).

    python -m benchmarks.bench_analyses                  # the table, then the dict as JSON
    python -m benchmarks.bench_analyses --only robust    # one analysis
"""
from __future__ import annotations

import argparse
import compileall
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "scenarios" / "jilin-2023.toml"
FUNDED = REPO / "scenarios" / "jilin-2023-funded.toml"
BEFORE = "37c60c3"
TIMEOUT_S = 1200.0

# The commands as a user types them (plus --out); the same arguments before and after.
COMMANDS = {
    "equity": ["equity", str(SCENARIO), "--frontier", "5"],
    "robust": ["robust", str(SCENARIO), "--samples", "10", "--score-sd", "3"],
    "robust200": ["robust", str(SCENARIO), "--samples", "200", "--score-sd", "3"],
    "solve": ["solve", str(SCENARIO), "--quiet"],
    "solve-funded": ["solve", str(FUNDED), "--quiet"],
}
LABELS = {"equity": "equity --frontier 5", "robust": "robust --samples 10 --score-sd 3",
          "robust200": "robust --samples 200 --score-sd 3",
          "solve": "solve jilin-2023 (median of 5)", "solve-funded": "solve jilin-2023-funded (median of 5)"}
REPEATS = {"solve": 5, "solve-funded": 5}
ALL = ("equity", "robust", "robust200", "solve", "solve-funded")


def run(analyses: Sequence[str] = ALL, *, before: str = BEFORE) -> dict:
    """Time each analysis before and after; compare their files (see the module docstring).

    Returns
    -------
    dict
        scenario, before (the commit), cores, load_before / load_after (1-minute load
        averages), and per analysis: command, before_s, after_s, speedup (before / after),
        errors (if a run failed) and check (what the comparison of the files found).
    """
    out: dict = {"scenario": str(SCENARIO.relative_to(REPO)), "before": before, "cores": os.cpu_count(),
                 "load_before": round(os.getloadavg()[0], 2)}
    with tempfile.TemporaryDirectory(prefix="bench-analyses-") as tmp:
        old_tree = Path(tmp) / "before"
        _git("worktree", "add", "--detach", str(old_tree), before)
        try:
            trees = {"before": old_tree, "after": REPO}
            for tree in trees.values():
                compileall.compile_dir(str(tree / "planner"), quiet=1)
                _check_import(tree)
            for name in analyses:
                record: dict = {"command": "planner " + LABELS[name]}
                folders = {}
                times: dict[str, list[float]] = {side: [] for side in trees}
                for k in range(REPEATS.get(name, 1)):        # before and after alternate
                    for side, tree in trees.items():
                        folders[side] = Path(tmp) / f"{name}-{side}-{k}"
                        print(f"  {name} / {side} …", end="", flush=True, file=sys.stderr)
                        wall, error = _planner(tree, [*COMMANDS[name], "--out", str(folders[side])])
                        print(f" {wall:.1f} s" + (f" — {error}" if error else ""), flush=True, file=sys.stderr)
                        times[side].append(wall)
                        if error:
                            record.setdefault("errors", {})[side] = error
                for side in trees:
                    record[f"{side}_s"] = round(float(sorted(times[side])[len(times[side]) // 2]), 2)
                    if len(times[side]) > 1:
                        record[f"{side}_runs"] = [round(x, 2) for x in times[side]]
                if "errors" not in record:
                    record["speedup"] = round(record["before_s"] / record["after_s"], 2)
                    record["check"] = COMPARE[name](folders["before"], folders["after"])
                    if name == "equity":
                        print("  equity / the old code at the new bounds …", flush=True, file=sys.stderr)
                        record["check"]["reference"] = old_points(old_tree, folders["after"])
                out[name] = record
        finally:
            _git("worktree", "remove", "--force", str(old_tree), check=False)
            _git("worktree", "prune", check=False)
    out["load_after"] = round(os.getloadavg()[0], 2)
    return out


# --------------------------------------------------------------------------- running
def _git(*args: str, check: bool = True) -> None:
    done = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr.strip()}")


def _environment(tree: Path) -> dict:
    return {**os.environ, "PYTHONPATH": str(tree)}


def _check_import(tree: Path) -> None:
    """The `planner` a process started in `tree` imports is the tree's own."""
    done = subprocess.run([sys.executable, "-c", "import planner; print(planner.__file__)"], cwd=tree,
                          env=_environment(tree), capture_output=True, text=True, check=True)
    found = Path(done.stdout.strip()).resolve()
    if tree.resolve() not in found.parents:
        raise RuntimeError(f"a process in {tree} imports {found}, not the tree's planner")


def _planner(tree: Path, args: list[str]) -> tuple[float, str]:
    """``python -m planner.cli ARGS`` in `tree`: wall seconds, and the error ("" when it worked)."""
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "planner.cli", *args], cwd=tree, env=_environment(tree),
                              capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, f"killed after {TIMEOUT_S:.0f} s"
    wall = time.perf_counter() - start
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-2:]
        return wall, f"exit {done.returncode}: " + " | ".join(tail)
    return wall, ""


# --------------------------------------------------------------------------- comparing
def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig")


def compare_robust(before: Path, after: Path) -> dict:
    """Are robust.csv and samples.csv (less timings) the same? Where not, how many rows differ."""
    a, b = _csv(before / "robust.csv"), _csv(after / "robust.csv")
    check: dict = {"candidates": len(a), "table_identical": bool(a.equals(b))}
    if not check["table_identical"] and a.shape == b.shape and list(a.columns) == list(b.columns):
        check["rows_differing"] = {c: int((~((a[c] == b[c]) | (a[c].isna() & b[c].isna()))).sum())
                                   for c in ("selected", "probability", "band", "flip_margin", "margin_kind")}
    keep = ["case", "sample", "status", "objective", "nominal_score", "n_selected", "changed"]
    sa, sb = _csv(before / "samples.csv"), _csv(after / "samples.csv")
    check["samples_identical"] = bool(sa[keep].equals(sb[keep]))
    check["margins"] = int(a["flip_margin"].notna().sum())
    check["identical"] = check["table_identical"] and check["samples_identical"]
    return check


def compare_equity(before: Path, after: Path, tolerance: float = 1e-6) -> dict:
    """Points proven optimal at the same bound in both runs must have the same objective."""
    a = _csv(before / "frontier.csv").set_index("point")
    b = _csv(after / "frontier.csv").set_index("point")
    sa = json.loads((before / "frontier.json").read_text(encoding="utf-8"))
    sb = json.loads((after / "frontier.json").read_text(encoding="utf-8"))
    same_bound = [p for p in a.index if p in b.index
                  and math.isclose(a.at[p, "epsilon_pp"], b.at[p, "epsilon_pp"], rel_tol=0, abs_tol=1e-9)]
    proven = [p for p in same_bound if a.at[p, "status"] == "OPTIMAL" and b.at[p, "status"] == "OPTIMAL"]
    equal = [p for p in proven if abs(a.at[p, "objective"] - b.at[p, "objective"]) <= tolerance]
    return {"points": len(a), "same_bound": len(same_bound), "proven_in_both": len(proven),
            "proven_equal": len(equal), "all_proven_equal": len(equal) == len(proven),
            "min_index_pp": [round(sa["min_index_pp"], 4), round(sb["min_index_pp"], 4)],
            "min_index_proven": [sa["min_index_proven"], sb["min_index_proven"]],
            "status": [a["status"].tolist(), b["status"].tolist()],
            "objective": [a["objective"].round(1).tolist(), b["objective"].round(1).tolist()]}


def compare_slates(before: Path, after: Path) -> dict:
    """The annual solve: the same slate.csv, byte for byte (a proven optimum does not depend on
    the code's layout)."""
    a, b = (before / "slate.csv").read_bytes(), (after / "slate.csv").read_bytes()
    status = [json.loads((d / "summary.json").read_text(encoding="utf-8"))["status"] for d in (before, after)]
    return {"identical": a == b, "status": status}


COMPARE = {"equity": compare_equity, "robust": compare_robust, "robust200": compare_robust, "solve": compare_slates,
           "solve-funded": compare_slates}

# The old code's own ε-constrained solve (`balance.PointModel`) at each bound of the new frontier.
_OLD_POINTS = """
import json, sys
from fractions import Fraction
from planner.analysis.balance import prepare_case, PointModel
bounds = json.loads(sys.argv[1])
points = PointModel(prepare_case(sys.argv[2], time_limit_s=float(sys.argv[3])))
for eps in bounds:
    s = points.solve(Fraction(eps))
    print(json.dumps({"status": s.status, "objective": s.objective, "best_bound": s.best_bound}), flush=True)
"""


def old_points(old_tree: Path, after: Path, time_limit_s: float = 60.0, tolerance: float = 1e-6) -> dict:
    """An independent reference for every point of the new frontier: the old code at the same bound.

    The old code (a CP-SAT search over the slates with the bound as one row) proves the easy
    points and leaves the balanced ones with an incumbent and a bound: a new point agrees when it
    equals the old proven optimum, and is consistent when it lies between the old incumbent and
    the old bound. Its balanced end is checked the same way, at the new (proven) minimum.
    """
    summary = json.loads((after / "frontier.json").read_text(encoding="utf-8"))
    table = _csv(after / "frontier.csv").set_index("point")
    bounds = summary.get("bounds") or []
    done = subprocess.run([sys.executable, "-c", _OLD_POINTS, json.dumps(bounds), str(SCENARIO), str(time_limit_s)],
                          cwd=old_tree, env=_environment(old_tree), capture_output=True, text=True,
                          timeout=TIMEOUT_S, check=False)
    found = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    verdicts = []
    for point, old in enumerate(found):
        new = float(table.at[point, "objective"])
        if old["status"] == "OPTIMAL":
            verdicts.append("equal" if abs(old["objective"] - new) <= tolerance else "DIFFERENT")
        elif old["status"] == "FEASIBLE":
            top = old["best_bound"] if math.isfinite(old["best_bound"]) else math.inf
            verdicts.append("consistent" if old["objective"] - tolerance <= new <= top + tolerance else "DIFFERENT")
        else:
            verdicts.append("old: " + old["status"])
    return {"bounds": len(bounds), "old": found, "verdicts": verdicts,
            "agree": bool(found) and len(found) == len(bounds) and "DIFFERENT" not in verdicts,
            "error": "" if done.returncode == 0 else (done.stderr.strip().splitlines() or [""])[-1]}


# --------------------------------------------------------------------------- the table
def verdict(name: str, record: dict) -> str:
    if "errors" in record:
        return "; ".join(f"{side} failed: {e}" for side, e in record["errors"].items())
    check = record["check"]
    if name.startswith("solve"):
        text = f"slate.csv {'identical' if check['identical'] else 'DIFFERENT'}, status {'/'.join(check['status'])}"
        return text
    if name.startswith("robust"):
        if check["identical"]:
            return f"identical: {check['candidates']} probabilities and bands, {check['margins']} margins, samples"
        return f"DIFFERENT: {check.get('rows_differing', 'shapes differ')}; samples identical {check['samples_identical']}"
    lows = "/".join(f"{x:.2f}" for x in check["min_index_pp"])
    text = (f"{check['proven_equal']} of {check['proven_in_both']} points proven in both at the same bound "
            f"have the same objective; {check['points'] - check['same_bound']} of {check['points']} bounds differ "
            f"(balanced end {lows} pp, proven {check['min_index_proven']})")
    ref = check.get("reference")
    if ref:
        counts = {v: ref["verdicts"].count(v) for v in dict.fromkeys(ref["verdicts"])}
        text += "; old code at the new bounds: " + ", ".join(f"{n} {v}" for v, n in counts.items())
        if not ref["agree"]:
            return "DIFFERENT: " + text
    return text if check["all_proven_equal"] else "DIFFERENT: " + text


def table(result: dict) -> list[str]:
    header = f"{'command (bundled 2023 round)':<40} {'before s':>9} {'after s':>9} {'speed-up':>9}  outputs"
    lines = [header, "-" * len(header)]
    for name in ALL:
        if name not in result:
            continue
        r = result[name]
        speedup = f"{r['speedup']:.2f}×" if "speedup" in r else "—"
        lines.append(f"{LABELS[name]:<40} {r['before_s']:>9.1f} {r['after_s']:>9.1f} {speedup:>9}  "
                     f"{verdict(name, r)}")
    lines += solve_ratios(result)
    lines.append(f"before = {result['before']}, after = this working tree; {result['cores']} cores, load average "
                 f"{result['load_before']} before, {result['load_after']} after")
    return lines


TARGETS = {"equity": 10.0, "robust200": 15.0}     # issue 28: frontier ≤ 10×, robust 200 ≤ 15× one solve


def solve_ratios(result: dict) -> list[str]:
    """Each analysis's wall time in solves of the round (``planner solve jilin-2023``, median),
    each side against its own solve in the same run — the ratios issue 28 sets targets on."""
    solve = result.get("solve")
    if not solve or "errors" in solve:
        return []
    lines = []
    for name, target in TARGETS.items():
        r = result.get(name)
        if not r or "errors" in r:
            continue
        before, after = r["before_s"] / solve["before_s"], r["after_s"] / solve["after_s"]
        r["solves_before"], r["solves_after"] = round(before, 2), round(after, 2)
        lines.append(f"{LABELS[name]}: {before:.1f}× one solve before, {after:.1f}× after "
                     f"(target ≤ {target:g}×: {'met' if after <= target else 'not met'})")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_analyses", description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(COMMANDS), default=list(ALL))
    parser.add_argument("--before", default=BEFORE, help=f"the commit to compare with (default {BEFORE})")
    args = parser.parse_args(argv)
    result = run(args.only, before=args.before)
    print("\n".join(table(result)))
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
