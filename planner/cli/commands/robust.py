"""`planner robust SCENARIO`: how sure is the slate under noisy expert scores.

Owns the command's options and how the result is printed; the work is `planner.analysis.robust.robust`.
Exit codes as every command: 0 done, 2 bad input (including no score spread), 3 infeasible,
4 no solution in time.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal, Optional

import typer

from rich.markup import escape
from rich.table import Table

from planner.cli._common import SEED_MAX, check_fraction, check_positive, check_seconds
from planner.cli._messages import say


def register(app: typer.Typer) -> None:
    app.command(name="robust")(robust)


def robust(
    scenario: Path = typer.Argument(..., help="scenario TOML file"),
    samples: int = typer.Option(200, "--samples", "-n", min=1, help="score samples to re-solve"),
    score_sd: Optional[float] = typer.Option(None, "--score-sd", callback=check_positive,
                                             help="default standard deviation of a score (points) where the "
                                                  "table has no score_sd column or cell, e.g. 3"),
    sd_column: str = typer.Option("score_sd", "--sd-column", help="column with each candidate's standard deviation"),
    reviewers: str = typer.Option("", "--reviewers",
                                  help="comma-separated columns holding several reviewers' scores (bootstrap)"),
    seed: int = typer.Option(0, "--seed", min=0, max=SEED_MAX, help="seed of the samples and of CP-SAT"),
    margins: Literal["all", "marginal", "none"] = typer.Option("all", "--margins", help="flip margins for: all | marginal | none"),
    certain: float = typer.Option(0.95, "--certain", callback=check_fraction, help="probability at or above which a candidate is certain"),
    out_band: float = typer.Option(0.05, "--out-band", callback=check_fraction, help="probability at or below which a candidate is out"),
    executor: Literal["process", "dask", "serial"] = typer.Option("process", "--executor", help="process | dask | serial"),
    address: Optional[str] = typer.Option(None, "--address", help="Dask scheduler address (default: a LocalCluster)"),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="worker processes (default: all cores)"),
    lookahead: bool = typer.Option(True, "--lookahead/--no-lookahead",
                                   help="keep the scenario's lookahead (slower) or solve the round on its own"),
    candidates: Optional[Path] = typer.Option(None, "--candidates", help="candidate table replacing the scenario's"),
    scores: list[Path] = typer.Option([], "--scores", help="expert score sheets (repeatable): each sample draws every "
                                      "project's panel again and scores it by [scoring]; no --score-sd needed"),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="output folder (default out/<scenario stem>-robust/)"),
    chart: bool = typer.Option(True, "--chart/--no-chart", help="draw marginal.png"),
    rows: int = typer.Option(20, "--rows", min=0, help="marginal candidates listed"),
    time_limit: float = typer.Option(60.0, "--time-limit", callback=check_seconds, help="seconds for the nominal solve"),
    sample_time_limit: float = typer.Option(60.0, "--sample-time-limit", callback=check_seconds, help="seconds for each re-solve"),
    progress: Optional[bool] = typer.Option(None, "--progress/--no-progress",
                                            help="progress bar (default: on a terminal only)"),
    verbose: bool = typer.Option(False, "--verbose",
                                 help="show Dask's own log lines (scheduler, workers) and the solver's progress notes"),
) -> None:
    """Re-solve the round under sampled scores: selection probability, band and flip margin of every candidate."""
    from planner.analysis.robust import robust as run_robust
    from planner.cli._common import out, run_guarded

    target = out_dir or Path("out") / f"{scenario.stem}-robust"
    if verbose:
        import logging
        logging.getLogger("planner").setLevel(logging.INFO)
    columns = [c.strip() for c in reviewers.split(",") if c.strip()]

    def action():
        result = run_robust(scenario, candidates=candidates, samples=samples, score_sd=score_sd, sd_column=sd_column,
                            reviewers=columns, seed=seed, margins=margins, certain=certain, out=out_band,
                            executor=executor, workers=workers, address=address, progress=progress,
                            time_limit_s=time_limit, sample_time_limit_s=sample_time_limit, lookahead=lookahead,
                            verbose=verbose, scores=list(scores) or None)
        result.save(target, chart=chart)
        return result

    result = run_guarded(action)
    s = result.summary
    bands = s["bands"]
    on, off = say("on_off").split("|")
    out.print(say("robust_headline", name=f"[bold]{escape(s['name'])}[/bold]", samples=s["samples"], spread=escape(str(s["spread"])),
                  sd=f"{s['score_sd_mean']:.2f}", wall=f"{s['wall_s']:.1f}", executor=s["executor"],
                  lookahead=on if s["lookahead"] else off))
    if s.get("scores"):
        out.print(say("robust_scores", rule=s["scores"]["text"]), markup=False)
    out.print(say("robust_bands", certain=bands["certain"], marginal=bands["marginal"], out=bands["out"],
                  changed=f"{s['mean_changed']:.1f}"), markup=False)
    marginal = result.marginal.assign(_d=(result.marginal["probability"] - 0.5).abs()).sort_values("_d")
    table = Table(title=say("robust_table"), title_justify="left")
    columns = say("robust_columns").split("|")
    for k, column in enumerate(columns):
        table.add_column(column, justify="right" if k in (3, 5, 6) else "left", overflow="fold")
    yes, no = say("in_out").split("|")
    for record in marginal.head(rows).to_dict("records"):
        margin = record["flip_margin"]
        table.add_row(escape(str(record["candidate_id"])), escape(str(record.get("title", ""))[:24]),
                      escape(str(record.get("locality", ""))), f"{record['score']:.1f}",
                      yes if record["selected"] else no, f"{record['probability']:.2f}",
                      "" if margin != margin else f"{margin:.1f}")
    out.print(table)
    files = "robust.csv、robust.xlsx、samples.csv、robust.json" + ("、marginal.png" if chart else "")
    out.print(say("written_list", target=f"{target}/", files=files), markup=False)
