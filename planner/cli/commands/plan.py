"""`planner plan SCENARIO`: this round and the rest of the period planned together.

Owns the command's arguments and how the plan is printed; the plan itself is
`planner.plan.plan_period`. Answers "if we pick these now (`--fix SLATE`), can we still reach
the 2025 targets?". Exit codes: 0 every hard target reachable, 1 a hard "by" target
unreachable in the plan, 2 bad input, 3 the hard rules fail already this round, 4 no solution
in time.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from planner.cli._common import SEED_MAX, check_seconds, check_workers
from planner.cli._messages import english, prefixed, say, status_word
from planner.inputs import load_catalogue


def register(app: typer.Typer) -> None:
    app.command(name="plan")(plan)


def plan(
    scenario: Path = typer.Argument(..., help="scenario TOML file of this round"),
    pools: list[Path] | None = typer.Option(None, "--pool", help="candidate table of a later year "
                                               "(repeatable; default: the scenario's [plan] pools)"),
    fix: Path | None = typer.Option(None, "--fix", help="keep this slate of this round as it is "
                                       "(e.g. out/jilin-2023/slate.csv) and plan the later years after it"),
    repeat: bool = typer.Option(False, "--repeat", help="ignore the pools: every later year brings a pool "
                                "like this year's"),
    out_dir: Path | None = typer.Option(None, "--out", help="write plan.csv, slate.csv, ledger.csv, "
                                           "targets.csv, by_year.csv, summary.json here"),
    time_limit: float = typer.Option(60.0, "--time-limit", callback=check_seconds, help="seconds for the whole solve"),
    seed: int = typer.Option(0, "--seed", min=0, max=SEED_MAX, help="CP-SAT random seed"),
    workers: int = typer.Option(0, "--workers", callback=check_workers, help="CP-SAT workers (0 = all cores)"),
) -> None:
    """Plan all remaining years at once and say which 2025 targets are reachable, and when."""
    from planner.cli._common import EXIT_VIOLATIONS, err, out, run_guarded
    from planner.ledger import plan_period

    def action():
        result = plan_period(scenario, pools=pools or None, fix=fix, forecast="repeat" if repeat else None,
                             time_limit_s=time_limit, seed=seed, workers=workers)
        if out_dir is not None:
            from planner.show import write_outputs
            write_outputs(out_dir, tables={"plan.csv": result.planned, "slate.csv": result.slate,
                                           "ledger.csv": result.ledger, "targets.csv": result.targets,
                                           "by_year.csv": result.by_year},
                          json_files={"summary.json": result.summary})
        return result

    result = run_guarded(action)
    print_plan(result)
    if out_dir is not None:
        out.print(say("written_list", target=f"{out_dir}/",
                      files="plan.csv、slate.csv、ledger.csv、targets.csv、by_year.csv、summary.json"), markup=False)
    missed = result.targets[~result.targets["soft"] & ~result.targets["reachable"]]
    for row in missed.to_dict("records"):
        err.print(prefixed("error", say("plan_unreachable", rule=row["rule_id"], group=row["group"], clause=row["clause"],
                                  year=row["target_year"], projected=f'{row["projected"]:g}',
                                  target=f'{row["target"]:g}')), markup=False)
    if len(missed):
        raise typer.Exit(EXIT_VIOLATIONS)


#: How the later years' candidates are foreseen (`[plan] forecast`), in words.
FORECASTS = {"table": "以后年度按候选表", "repeat": "以后每年与本年度相似", "auto": "以后年度按候选表，没有的按本年度",
             "none": "不预测以后年度"}


def print_plan(result) -> None:
    """The plan on the terminal: headline, the targets year by year, the picks per task and year
    (Chinese; English with ``--lang en``)."""
    from planner.cli._common import out
    s = result.summary
    sc = result.scenario
    first, last = sc.years
    years = list(range(first, last + 1))
    en = english()
    fixed = say("plan_fixed", slate=s["fixed_slate"]) if s["fixed_slate"] else ""
    forecast = s["forecast"] if en else FORECASTS.get(s["forecast"], s["forecast"])
    out.print(say("plan_headline", name=f"[bold]{escape(s['name'])}[/bold]", year=sc.year, last=last,
                  forecast=escape(str(forecast)), fixed=escape(fixed), status=status_word(s["status"], s.get("gap")),
                  seconds=f"{s['solve_s']:.2f}"))
    planned = ("; " if en else "，").join(say("plan_year", year=y, n=n) for y, n in s["n_planned"].items())
    out.print(say("plan_counts", now=s["n_selected_now"], planned=planned), markup=False)
    t = result.targets
    rules = (t.groupby("rule_id", sort=False)
             .agg(clause=("clause", "first") if "clause" in t else ("rule_id", "first"),
                  text=("text", "first"), soft=("soft", "first"), groups=("group", "size"),
                  reachable=("reachable", "sum"), target=("target", "sum"),
                  **{f"cum_{y}": (f"cum_{y}", "sum") for y in years},
                  reached_in=("reached_in", "max"), shortfall=("shortfall", "sum")).reset_index())
    table = Table(title=say("plan_targets"), box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1))
    first_column, target, reached, reachable, kind = say("plan_columns").split("|")
    table.add_column(first_column, overflow="fold", max_width=30)
    for col in (target, *map(str, years), reached, reachable, kind):
        table.add_column(col, justify="right", no_wrap=True)
    for r in rules.to_dict("records"):
        whole = r["reachable"] == r["groups"]
        clause = r["clause"] if r["clause"] != r["rule_id"] else ""
        name = r["rule_id"] if en else f"{clause}{r['text'] or r['rule_id']}"
        short = "" if whole else say("plan_short", n=f"{r['shortfall']:g}")
        table.add_row(escape(name), f"{r['target']:g}", *(f"{r[f'cum_{y}']:g}" for y in years),
                      "" if not whole or r["reached_in"] is pd.NA else str(r["reached_in"]),
                      f"{r['reachable']}/{r['groups']}{short}", say("plan_soft" if r["soft"] else "plan_hard"))
    out.print(table)
    by_year = Table(title=say("plan_by_year"), box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1))
    by_year.add_column(say("solve_columns").split("|")[0], overflow="fold", max_width=40)
    for col in map(str, years):
        by_year.add_column(col if en else f"{col}年", justify="right", no_wrap=True)
    cat = load_catalogue()
    for r in result.by_year.to_dict("records"):
        track = (r["track"] if en else cat.tracks_of(r["task"]).get(r["track"], r["track"])) if r["track"] else ""
        name = (r["task"] if en else cat.label("task", r["task"])) + (f"\n  · {track}" if track else "")
        by_year.add_row(escape(name), *(str(r[f"n_{y}"]) for y in years))
    out.print(by_year)
