"""Sample sweep throughput: 1,000 score samples of the bundled round, and the speed-up with workers.

``run()`` times `planner.analysis.run_samples` on the bundled 2023 round (scores ± 3 points,
normal), cold — worker start-up and each worker's model build included, as a user waits for
``planner sweep`` — with the local process pool:

* ``samples`` samples on ``workers`` processes (the issue's target: 1,000 in ≤ 60 s on 2 cores);
* ``speedup_samples`` samples on 1 process and on ``workers`` processes: the speed-up and its
  efficiency (speed-up / workers);
* optionally the same on a Dask LocalCluster, and a few samples with the scenario's lookahead
  (which makes every solve much slower) to say what a lookahead sweep costs;
* the sweep (1,000 samples) and the lookahead sweep (48 samples) on 1, 2, 4, 8 and 16 Dask
  workers — each count the machine has cores for (`scale_out`) — fitted to Amdahl's law
  (`amdahl_fit`: the serial fraction, and the speed-up it predicts on 16 workers), with the
  serial part also measured directly on one worker (its wall less the samples' own seconds);
  on the 16-core device machine the same command measures the 16-worker row;
* with ``--fit``: the serial part — 200 and 1,000 samples on 1 and 2 workers, each fitted to
  T(w) = a + b/w (a: start-up, model builds and the driver, which more workers do not shorten).

Times are wall-clock seconds; the load average is reported with them (other work on the machine
slows every figure down).

    python benchmarks/bench_sweep.py                 # prints the dict as JSON
    python benchmarks/bench_sweep.py --quick         # 200 samples, no Dask, no lookahead
    python benchmarks/bench_sweep.py --scale         # 1, 2, 4, 8, 16 Dask workers (those this machine
                                                     # has cores for), Amdahl fit, 16 predicted
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "scenarios" / "jilin-2023.toml"
TARGET_S = 60.0        # the target for 1,000 samples on this 2-core machine
SCORE_SD = 3.0


def _timed(cases, samples: int, **options) -> tuple[float, object]:
    from planner.analysis import run_samples
    start = time.perf_counter()
    runs = run_samples(cases, samples, progress=False, **options)
    return time.perf_counter() - start, runs


def run(scenario: str | Path = SCENARIO, samples: int = 1000, workers: int = 2, speedup_samples: int = 200, *,
        dask: bool = True, lookahead_samples: int = 6, scale: bool = True) -> dict:
    """Time the sweeps (see the module docstring); every figure in seconds unless named otherwise."""
    from planner.analysis import make_case

    case = make_case(scenario, score_sd=SCORE_SD, lookahead=False, label="jilin-2023")
    out: dict = {"scenario": str(scenario), "score_sd": SCORE_SD, "cores": os.cpu_count(), "lookahead": False,
                 "load_before": [round(x, 2) for x in os.getloadavg()]}

    wall, runs = _timed([case], samples, executor="process", workers=workers)
    sampled = runs.runs[runs.runs["sample"] > 0]
    cpu = float(sampled["cpu_s"].sum())
    out["full"] = {"samples": samples, "workers": workers, "wall_s": round(wall, 2),
                   "samples_per_s": round(samples / wall, 2), "target_s": TARGET_S, "met": wall <= TARGET_S,
                   "median_solve_s": round(float(sampled["solve_s"].median()), 4),
                   "cpu_per_sample_s": round(cpu / len(sampled), 4),
                   # what the same sweep takes when the workers have their cores to themselves
                   "cpu_bound_wall_s": round(cpu / workers, 1),
                   "not_optimal": int((runs.runs["status"] != "OPTIMAL").sum()),
                   "mean_changed": round(float(sampled["changed"].mean()), 2)}

    one, _ = _timed([case], speedup_samples, executor="process", workers=1)
    many, _ = _timed([case], speedup_samples, executor="process", workers=workers)
    out["speedup"] = {"samples": speedup_samples, "wall_1_s": round(one, 2), f"wall_{workers}_s": round(many, 2),
                      "speedup": round(one / many, 2), "efficiency": round(one / many / workers, 2)}
    if dask:
        wall_d, _ = _timed([case], speedup_samples, executor="dask", workers=workers)
        out["dask_local_cluster"] = {"samples": speedup_samples, "workers": workers, "wall_s": round(wall_d, 2),
                                     "note": "includes starting and stopping the LocalCluster"}
    if lookahead_samples:
        ahead = make_case(scenario, score_sd=SCORE_SD, lookahead=True, label="jilin-2023-lookahead")
        wall_l, runs_l = _timed([ahead], lookahead_samples, executor="process", workers=workers)
        per = float(runs_l.runs.loc[runs_l.runs["sample"] > 0, "cpu_s"].median())
        out["with_lookahead"] = {"samples": lookahead_samples, "wall_s": round(wall_l, 2),
                                 "median_cpu_per_sample_s": round(per, 3),
                                 "projected_1000_s": round(1000 * per / workers, 1),
                                 "not_optimal": int((runs_l.runs["status"] != "OPTIMAL").sum())}
    if scale:
        try:
            import dask.distributed  # noqa: F401
            executor = "dask"
        except ImportError:
            executor = "process"
        out["scale_out"] = scale_out(scenario, speedup_samples, executor=executor)
    out["load_after"] = [round(x, 2) for x in os.getloadavg()]
    return out


PREDICT_WORKERS = 16
SCALE_WORKERS = (1, 2, 4, 8, 16)
NOT_LENT = "not measured: this machine has {cores} cores (the 16-core device machine was not lent to this session)"


def amdahl(wall_1_s: float, wall_2_s: float, workers: int = PREDICT_WORKERS) -> dict:
    """Amdahl's law fitted to a run on 1 and 2 workers: T(w) = T(1)·(f + (1 − f)/w), so the serial
    fraction is f = 2·T(2)/T(1) − 1, and the speed-up predicted on `workers` is 1 / (f + (1 − f)/w).

    Two points fit the two unknowns exactly: the prediction is only as good as those two runs
    (on a shared machine the second worker competes with other jobs, which inflates f).
    """
    f = min(1.0, max(0.0, 2.0 * wall_2_s / wall_1_s - 1.0))
    return {"serial_fraction": round(f, 3), f"predicted_speedup_{workers}": round(1.0 / (f + (1.0 - f) / workers), 2),
            f"measured_{workers}": NOT_LENT.format(cores=os.cpu_count())}


def amdahl_fit(walls: dict[int, float], workers: int = PREDICT_WORKERS) -> dict:
    """Amdahl's law T(w) = s + p/w fitted by least squares to the walls measured on several
    worker counts (exact with two): the serial fraction f = s / (s + p) and the speed-up it
    predicts on `workers`, 1 / (f + (1 − f)/w)."""
    ws = sorted(walls)
    if len(ws) < 2:
        return {}
    xs, ys = [1.0 / w for w in ws], [walls[w] for w in ws]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    p = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    s = my - p * mx
    s, p = max(0.0, s), max(0.0, p)
    f = s / (s + p) if s + p > 0 else 1.0
    return {"serial_s": round(s, 2), "parallel_s": round(p, 2), "serial_fraction": round(f, 3),
            f"predicted_speedup_{workers}": round(1.0 / (f + (1.0 - f) / workers), 2)}


def scale_out(scenario: str | Path = SCENARIO, samples: int = 1000, lookahead_samples: int = 48,
              executor: str = "dask", workers: tuple[int, ...] = SCALE_WORKERS) -> dict:
    """The sweep and the lookahead sweep on each worker count this machine has cores for.

    For each sweep: the wall on every measured worker count (the others are named as not
    measured), the speed-up over one worker, Amdahl's law fitted to them (`amdahl_fit`), and the
    serial part measured directly on one worker: its wall less the seconds the workers spent on
    the samples themselves (``solve_s`` of every sample) — cluster start, model builds, the
    driver's work — which more workers do not shorten.
    """
    from planner.analysis import make_case

    cores = os.cpu_count() or 1
    out: dict = {"executor": executor, "cores": cores, "load_before": [round(x, 2) for x in os.getloadavg()],
                 "cluster": "started before each timed sweep (as a running scheduler given with --address)"
                 if executor == "dask" else "a process pool started inside each timed sweep"}
    for name, lookahead, n in (("sweep", False, samples), ("lookahead_sweep", True, lookahead_samples)):
        case = make_case(scenario, score_sd=SCORE_SD, lookahead=lookahead, label=name)
        walls: dict[int, float] = {}
        record: dict = {"samples": n}
        for w in workers:
            if w > cores:
                record[f"wall_{w}_s"] = NOT_LENT.format(cores=cores)
                continue
            if executor == "dask":
                with running_cluster(w) as (client, start_s):
                    wall, runs = _timed([case], n, executor="dask", client=client)
                record[f"cluster_start_{w}_s"] = round(start_s, 2)
            else:
                wall, runs = _timed([case], n, executor=executor, workers=w)
            walls[w] = wall
            record[f"wall_{w}_s"] = round(wall, 2)
            if w == 1:
                sampled = float(runs.runs["solve_s"].sum())
                record["samples_work_s"] = round(sampled, 2)
                record["serial_measured_s"] = round(wall - sampled, 2)
                record["serial_fraction_measured"] = round((wall - sampled) / wall, 3)
                f = record["serial_fraction_measured"]
                record[f"predicted_speedup_{PREDICT_WORKERS}_measured"] = round(
                    1.0 / (f + (1.0 - f) / PREDICT_WORKERS), 2)
        for w in walls:
            if w > 1 and 1 in walls:
                record[f"speedup_{w}"] = round(walls[1] / walls[w], 2)
        record.update(amdahl_fit(walls))
        out[name] = record
    out["load_after"] = [round(x, 2) for x in os.getloadavg()]
    return out


@contextlib.contextmanager
def running_cluster(workers: int):
    """A Dask LocalCluster of `workers` single-threaded processes, started before the timing
    (yields the client and the seconds the start took) and closed after it."""
    from distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        for name in ("distributed", "dask", "tornado", "bokeh"):
            logger = logging.getLogger(name)
            stack.callback(logger.setLevel, logger.level)
            logger.setLevel(logging.ERROR)
        start = time.perf_counter()
        cluster = stack.enter_context(LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                   dashboard_address=None, silence_logs=logging.ERROR))
        client = stack.enter_context(Client(cluster))
        yield client, time.perf_counter() - start


def scale_lines(result: dict) -> list[str]:
    """The scale-out result as table lines: one per sweep and worker count, then the fits."""
    lines = []
    for name in ("sweep", "lookahead_sweep"):
        r = result.get(name)
        if not r:
            continue
        label = {"sweep": "sweep, scores ± 3", "lookahead_sweep": "sweep with the lookahead"}[name]
        walls = ", ".join(f"{w} → {r[f'wall_{w}_s']:.1f} s" if isinstance(r.get(f"wall_{w}_s"), float)
                          else f"{w} → not measured" for w in SCALE_WORKERS if f"wall_{w}_s" in r)
        lines.append(f"{label} ({r['samples']} samples, {result['executor']}; {result.get('cluster', '')}): {walls}")
        if "cluster_start_1_s" in r:
            lines.append("  starting the cluster (not in the walls): "
                         + ", ".join(f"{w} → {r[f'cluster_start_{w}_s']:.1f} s" for w in SCALE_WORKERS
                                     if f"cluster_start_{w}_s" in r))
        if "serial_fraction" in r:
            lines.append(f"  Amdahl fit over the measured counts: serial {r['serial_s']:.1f} s, parallel "
                         f"{r['parallel_s']:.1f} s, f = {r['serial_fraction']:.3f} → {r['predicted_speedup_16']:.1f}× "
                         f"predicted on 16 (target ≥ 12×, needs f ≤ 0.022)")
        if "serial_measured_s" in r:
            lines.append(f"  serial part measured on 1 worker: {r['serial_measured_s']:.1f} s of {r['wall_1_s']:.1f} s "
                         f"(samples themselves {r['samples_work_s']:.1f} s), f = {r['serial_fraction_measured']:.3f} → "
                         f"{r['predicted_speedup_16_measured']:.1f}× predicted on 16")
        if not isinstance(r.get("wall_16_s"), float):
            lines.append(f"  16 workers: {NOT_LENT.format(cores=result['cores'])}")
    return lines


def fit(scenario: str | Path = SCENARIO, sizes=(200, 1000), executor: str = "process") -> dict:
    """The serial part a of T(w) = a + b/w, from runs on 1 and 2 workers (a = 2·T(2) − T(1))."""
    from planner.analysis import make_case

    case = make_case(scenario, score_sd=SCORE_SD, lookahead=False, label="jilin-2023")
    out: dict = {"executor": executor, "load_before": [round(x, 2) for x in os.getloadavg()]}
    for n in sizes:
        one, _ = _timed([case], n, executor=executor, workers=1)
        two, _ = _timed([case], n, executor=executor, workers=2)
        out[str(n)] = {"wall_1_s": round(one, 2), "wall_2_s": round(two, 2), "a_s": round(2 * two - one, 2),
                       "b_s": round(2 * (one - two), 2)}
    out["load_after"] = [round(x, 2) for x in os.getloadavg()]
    return out


if __name__ == "__main__":
    if "--fit" in sys.argv:
        print(json.dumps(fit(executor="dask" if "--dask" in sys.argv else "process"), indent=2))
        raise SystemExit(0)
    quick = "--quick" in sys.argv
    if "--scale" in sys.argv:
        scaled = scale_out(executor="process" if "--process" in sys.argv else "dask")
        print("\n".join(scale_lines(scaled)))
        print(json.dumps(scaled, ensure_ascii=False, indent=2))
        raise SystemExit(0)
    result = run(samples=200 if quick else 1000, dask=not quick, lookahead_samples=0 if quick else 6, scale=not quick)
    print(json.dumps(result, ensure_ascii=False, indent=2))
