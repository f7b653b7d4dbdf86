"""Publishing a round against solving it: the bundled 2023 round solved, then published, in one run.

``run()`` solves `scenarios/jilin-2023.toml` (`planner.api.solve`, timed), saves the run folder
as ``planner solve --out`` does, then publishes it (`planner.show.publish`: 认定名单, 推荐名单,
公示通知, 反馈汇总 and one letter per applying unit — about 300), timed from reading the folder to
the files swapped in. The target of issue 22: publish ≤ 3 × one solve. Wall-clock and CPU
seconds are both reported (on a shared machine wall time grows with the load; CPU time does not).

    python -m benchmarks.bench_publish            # prints the dict as JSON
    python -m benchmarks.bench_publish --repeats 3
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SCENARIO = REPO / "scenarios" / "jilin-2023.toml"
TARGET_RATIO = 3.0


def _timed(action):
    wall, cpu = time.perf_counter(), time.process_time()
    value = action()
    return value, time.perf_counter() - wall, time.process_time() - cpu


def run(repeats: int = 1, *, quick: bool = False) -> dict:
    """Solve and publish the bundled 2023 round `repeats` times; medians and the ratio.

    Returns
    -------
    dict
        ``solve_s``, ``publish_s`` (wall medians), ``solve_cpu_s``, ``publish_cpu_s``,
        ``ratio`` (publish / solve, wall), ``target_ratio``, ``letters``, ``load_1min``.
    """
    from planner import api
    from planner.rounds.chain import save
    from planner.show import publish

    api.solve(SCENARIO, workers=1 if quick else 0)        # warm: imports, catalogue, first solve
    solves, publishes, solve_cpu, publish_cpu, letters = [], [], [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(max(1, repeats)):
            result, wall, cpu = _timed(lambda: api.solve(SCENARIO))
            solves.append(wall)
            solve_cpu.append(cpu)
            out = Path(tmp) / f"run{i}"
            save(result, out)
            written, wall, cpu = _timed(lambda: publish(out))
            publishes.append(wall)
            publish_cpu.append(cpu)
            letters = sum(1 for p in written if p.parent.name == "反馈")
    solve_s, publish_s = statistics.median(solves), statistics.median(publishes)
    return {"solve_s": round(solve_s, 2), "publish_s": round(publish_s, 2),
            "solve_cpu_s": round(statistics.median(solve_cpu), 2),
            "publish_cpu_s": round(statistics.median(publish_cpu), 2),
            "ratio": round(publish_s / solve_s, 2), "target_ratio": TARGET_RATIO, "letters": letters,
            "load_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    print(json.dumps(run(args.repeats), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
