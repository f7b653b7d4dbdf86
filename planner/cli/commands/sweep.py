"""`planner sweep SCENARIO…`: many scenarios and score samples on a process pool or Dask.

Owns the command's options and the printed summary; the samples are `planner.analysis.sampling.run_samples`
on the executors of `planner.analysis.sweep`. Writes one tidy table (runs.csv: one row per scenario and
sample), the selection probabilities (probabilities.csv) and sweep.json.
Exit codes as every command: 0 done, 2 bad input.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import List, Literal, Optional

import typer

from rich.table import Table

from planner.cli._common import SEED_MAX, check_positive
from planner.cli._messages import say


def register(app: typer.Typer) -> None:
    app.command(name="sweep")(sweep)


def sweep(
    scenarios: List[Path] = typer.Argument(..., help="one or more scenario TOML files"),
    samples: int = typer.Option(100, "--samples", "-n", min=1, help="score samples per scenario (≥ 1; the scores as given are always solved too)"),
    score_sd: Optional[float] = typer.Option(None, "--score-sd", callback=check_positive,
                                             help="default standard deviation of a score (points), e.g. 3"),
    sd_column: str = typer.Option("score_sd", "--sd-column", help="column with each candidate's standard deviation"),
    reviewers: str = typer.Option("", "--reviewers", help="comma-separated columns of reviewers' scores"),
    seed: int = typer.Option(0, "--seed", min=0, max=SEED_MAX, help="seed of the samples"),
    executor: Literal["process", "dask", "serial"] = typer.Option("process", "--executor", help="process | dask | serial"),
    address: Optional[str] = typer.Option(None, "--address", help="Dask scheduler address (default: a LocalCluster)"),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="worker processes (default: all cores)"),
    lookahead: bool = typer.Option(True, "--lookahead/--no-lookahead",
                                   help="keep each scenario's lookahead (slower) or solve rounds on their own"),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="output folder (default out/sweep/)"),
    progress: Optional[bool] = typer.Option(None, "--progress/--no-progress",
                                            help="progress bar (default: on a terminal only)"),
    verbose: bool = typer.Option(False, "--verbose",
                                 help="show Dask's own log lines (scheduler, workers) and the solver's progress notes"),
) -> None:
    """Solve score samples of one or more rounds in parallel and gather them into one table."""
    from planner.analysis import make_case, run_samples
    from planner.cli._common import out, run_guarded
    from planner.show import write_outputs

    target = out_dir or Path("out") / "sweep"
    if verbose:
        import logging
        logging.getLogger("planner").setLevel(logging.INFO)
    columns = [c.strip() for c in reviewers.split(",") if c.strip()]

    def action():
        start = time.perf_counter()
        cases = [make_case(path, score_sd=score_sd, sd_column=sd_column, reviewers=columns, seed=seed,
                           need_spread=samples > 0, label=path.stem, lookahead=lookahead) for path in scenarios]
        runs = run_samples(cases, samples, executor=executor, workers=workers, address=address, progress=progress,
                           verbose=verbose)
        wall = time.perf_counter() - start
        summary = {"scenarios": [str(p) for p in scenarios], "samples": samples, "seed": seed, "executor": executor,
                   "workers": workers, "address": address, "lookahead": lookahead, "wall_s": round(wall, 3),
                   "solves": len(runs.runs), "solves_per_s": round(len(runs.runs) / wall, 3) if wall else None}
        write_outputs(target, tables={"runs.csv": runs.runs, "probabilities.csv": runs.probabilities()},
                      json_files={"sweep.json": summary})
        return runs, summary

    runs, summary = run_guarded(action)
    table = Table(title=say("sweep_title", solves=summary["solves"], wall=f"{summary['wall_s']:.1f}",
                            rate=f"{summary['solves_per_s']:.1f}", executor=executor), title_justify="left")
    for k, column in enumerate(say("sweep_columns").split("|")):
        table.add_column(column, justify="left" if k == 0 else "right")
    for case, part in runs.runs.groupby("case", sort=False):
        sampled = part[part["sample"] > 0]
        nominal = part.loc[part["sample"] == 0, "objective"]
        table.add_row(str(case), str(len(sampled)), f"{nominal.iloc[0]:.1f}" if len(nominal) else "",
                      f"{sampled['objective'].mean():.1f}" if len(sampled) else "",
                      f"{sampled['objective'].std():.1f}" if len(sampled) > 1 else "",
                      f"{sampled['changed'].mean():.1f}" if len(sampled) else "",
                      str(int((part["status"] != "OPTIMAL").sum())))
    out.print(table)
    out.print(say("written_list", target=f"{target}/", files="runs.csv、probabilities.csv、sweep.json"), markup=False)
