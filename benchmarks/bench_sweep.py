"""Sample sweep throughput: 1,000 score samples of the bundled round, and the speed-up with workers.

``run()`` times `planner.analysis.run_samples` on the bundled 2023 round (scores ± 3 points,
normal), cold — worker start-up and each worker's model build included, as a user waits for
``planner sweep`` — with the local process pool:

* ``samples`` samples on ``workers`` processes (the issue's target: 1,000 in ≤ 60 s on 2 cores);
* ``speedup_samples`` samples on 1 process and on ``workers`` processes: the speed-up and its
  efficiency (speed-up / workers);
* optionally the same on a Dask LocalCluster, and a few samples with the scenario's lookahead
  (which makes every solve much slower) to say what a lookahead sweep costs;
* the sweep and the lookahead sweep on 1 and 2 Dask workers (`scale_out`), each fitted to
  Amdahl's law (`amdahl`: the serial fraction, and the speed-up it predicts on 16 workers — a
  prediction: the 16-worker row is measured only on a 16-core machine, none lent here);
* with ``--fit``: the serial part — 200 and 1,000 samples on 1 and 2 workers, each fitted to
  T(w) = a + b/w (a: start-up, model builds and the driver, which more workers do not shorten).

Times are wall-clock seconds; the load average is reported with them (other work on the machine
slows every figure down).

    python benchmarks/bench_sweep.py                 # prints the dict as JSON
    python benchmarks/bench_sweep.py --quick         # 200 samples, no Dask, no lookahead
    python benchmarks/bench_sweep.py --scale         # 1 and 2 Dask workers, Amdahl fit, 16 predicted
"""
from __future__ import annotations

import json
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


def amdahl(wall_1_s: float, wall_2_s: float, workers: int = PREDICT_WORKERS) -> dict:
    """Amdahl's law fitted to a run on 1 and 2 workers: T(w) = T(1)·(f + (1 − f)/w), so the serial
    fraction is f = 2·T(2)/T(1) − 1, and the speed-up predicted on `workers` is 1 / (f + (1 − f)/w).

    Two points fit the two unknowns exactly: the prediction is only as good as those two runs
    (on a shared machine the second worker competes with other jobs, which inflates f).
    """
    f = min(1.0, max(0.0, 2.0 * wall_2_s / wall_1_s - 1.0))
    return {"serial_fraction": round(f, 3), f"predicted_speedup_{workers}": round(1.0 / (f + (1.0 - f) / workers), 2),
            f"measured_{workers}": "not measured: no 16-core device machine was lent to this session"}


def scale_out(scenario: str | Path = SCENARIO, samples: int = 200, lookahead_samples: int = 12,
              executor: str = "dask") -> dict:
    """The sweep and the lookahead sweep on 1 and 2 workers, each with its Amdahl fit."""
    from planner.analysis import make_case

    out: dict = {"executor": executor}
    for name, lookahead, n in (("sweep", False, samples), ("lookahead_sweep", True, lookahead_samples)):
        case = make_case(scenario, score_sd=SCORE_SD, lookahead=lookahead, label=name)
        one, _ = _timed([case], n, executor=executor, workers=1)
        two, _ = _timed([case], n, executor=executor, workers=2)
        out[name] = {"samples": n, "wall_1_s": round(one, 2), "wall_2_s": round(two, 2),
                     "speedup_2": round(one / two, 2), **amdahl(one, two)}
    return out


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
        print(json.dumps(scale_out(), indent=2))
        raise SystemExit(0)
    result = run(samples=200 if quick else 1000, dask=not quick, lookahead_samples=0 if quick else 6, scale=not quick)
    print(json.dumps(result, ensure_ascii=False, indent=2))
