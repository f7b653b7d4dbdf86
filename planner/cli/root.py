"""The `planner` command line: the root commands (solve, audit, check) and `main`.

Owns the arguments of the root commands; the subcommands are one small module each in
`cli.commands`, and what every command shares (consoles, exit codes, one-line errors) is in
`cli._common`. Holds no planning logic: every command calls the library.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from planner import api
from planner.cli._common import EXIT_INPUT, EXIT_VIOLATIONS, err, fail, out, progress_reporter, run_guarded
from planner.cli._common import solve_progress
from planner.result import task_table
from planner.rules import load_scenario

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Plan quota-constrained recommendation rounds (吉教职成〔2023〕7号) with CP-SAT.")


@app.command()
def solve(
    scenario: Optional[Path] = typer.Argument(None, help="scenario TOML file"),
    candidates: Optional[Path] = typer.Option(None, "--candidates", help="candidate table replacing the scenario's"),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="output folder (default out/<scenario stem>/)"),
    time_limit: float = typer.Option(60.0, "--time-limit", help="seconds for the whole solve"),
    seed: int = typer.Option(0, "--seed", help="CP-SAT random seed"),
    workers: int = typer.Option(0, "--workers", help="CP-SAT workers (0 = all cores)"),
    force_in: list[str] = typer.Option([], "--force-in", help="pin a candidate into the slate (repeatable)"),
    force_out: list[str] = typer.Option([], "--force-out", help="pin a candidate out of the slate (repeatable)"),
    explain: bool = typer.Option(False, "--explain", help="exact counterfactual for every rejected candidate"),
    alternatives: int = typer.Option(0, "--alternatives", help="list up to K other slates with the same optimum"),
    backend: str = typer.Option("cpsat", "--backend", help="cpsat (default) or highs"),
    verify: Optional[Path] = typer.Option(None, "--verify", help="re-run the solve recorded in OUT_DIR and confirm "
                                          "the same slate"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="print nothing but errors"),
    report: bool = typer.Option(False, "--report", help="also write briefing.html and the chart PNGs"),
) -> None:
    """Solve one round, audit the slate and write slate.csv/xlsx, summary.json, rules.csv."""
    if verify is not None:
        return verify_run(verify)
    if scenario is None:
        fail(["missing SCENARIO (or --verify OUT_DIR)"], EXIT_INPUT)
    target = out_dir or Path("out") / scenario.stem

    def action():
        loaded = load_scenario(scenario)
        if force_in or force_out:
            loaded = loaded.pinned(force_in=force_in, force_out=force_out)
        with solve_progress(err, quiet=quiet):
            result = api.solve(loaded, candidates=candidates, time_limit_s=time_limit, seed=seed, workers=workers,
                               backend=backend)
        extra = {}
        if explain:
            from planner.explain import explain_all, merge
            result.explanations = merge(result.explanations, explain_all(result, time_limit_s=max(10.0, time_limit)))
            result.slate["reason"] = result.explanations["reason"].to_numpy()
            result.summary["explain"] = True
        if alternatives > 0:
            from planner.explain import alternative_slates
            extra["alternatives.csv"] = alternative_slates(result, alternatives)
        api.save(result, target, extra_tables=extra)
        if report:
            from planner.show import write_briefing
            with progress_reporter(err, quiet=quiet) as progress:
                write_briefing(target, result=result, progress=progress)
        return result, extra

    result, extra = run_guarded(action)
    if result.summary["status"] != "OPTIMAL":
        err.print(f"warning: time limit reached — best slate found, gap {result.summary['gap']:.2%}", markup=False)
    for warning in result.summary["warnings"]:
        err.print(f"warning: {warning}", markup=False)
    if not quiet:
        print_summary(result, target)
        if "alternatives.csv" in extra:
            alt = extra["alternatives.csv"]
            out.print(f"{alt['alternative'].nunique() if 'alternative' in alt and len(alt) else 0} other slates reach "
                      f"the same optimum: see {target}/alternatives.csv", markup=False)


def verify_run(out_dir: Path) -> None:
    """`planner solve --verify OUT_DIR`: exit 0 when the recorded slate is reproduced, 1 when not."""
    from planner.api.verify import verify as verify_folder
    report = run_guarded(lambda: verify_folder(out_dir))
    if report.ok:
        out.print(f"verified: {out_dir}/slate.csv is reproduced byte for byte ({report.rerun_sha256[:12]})",
                  markup=False)
        return
    fail(report.problems, EXIT_VIOLATIONS, prefix="not verified")


@app.command()
def audit(
    scenario: Path = typer.Argument(..., help="scenario TOML file"),
    slate: Path = typer.Argument(..., help="slate table (csv/xlsx) with selected and national columns"),
) -> None:
    """Check a slate — the solver's or one made by hand — against every hard rule."""
    report = run_guarded(lambda: api.audit_file(scenario, slate))
    for warning in report.warnings():
        err.print(f"warning: {warning}", markup=False)
    if not report.ok:
        fail(report.messages(), EXIT_VIOLATIONS, prefix="violation")
    out.print(f"audit passed: {len(report.rules)} rule groups, every hard rule holds", markup=False)


@app.command()
def check(
    scenario: Path = typer.Argument(..., help="scenario TOML file"),
    candidates: Optional[Path] = typer.Option(None, "--candidates", help="candidate table replacing the scenario's"),
) -> None:
    """Validate a scenario and its candidate table without solving."""
    loaded, frame = run_guarded(lambda: api.check_inputs(scenario, candidates))
    out.print(f"ok: {loaded.label}: {len(loaded.rules)} rules; {len(frame)} candidates", markup=False)


def print_summary(result: api.Result, target: Path) -> None:
    s = result.summary
    out.print(f"[bold]{s['name']}[/bold]  status [bold]{s['status']}[/bold]  "
              f"objective {s['objective']:.1f} (bound {s['best_bound']:.1f}, gap {s['gap']:.2%})")
    out.print(f"selected {s['n_selected']} of {s['n_candidates']} candidates, national {s['n_national']}; "
              f"{s['n_binding']} of {s['n_rule_groups']} rule groups binding; "
              f"build {s['build_s']:.2f} s, solve {s['solve_s']:.2f} s")
    table = Table(title="slate by task", show_lines=False)
    for col in ("task", "track", "candidates", "selected", "national", "lowest selected score"):
        table.add_column(col, justify="right" if col not in ("task", "track") else "left")
    for row in task_table(result).to_dict("records"):
        table.add_row(row["task_label"], row["track"], str(row["candidates"]), str(row["selected"]),
                      str(row["national"]), "" if row["lowest"] != row["lowest"] else f"{row['lowest']:.1f}")
    out.print(table)
    out.print(f"written to {target}/: slate.csv, slate.xlsx, summary.json, rules.csv, explanations.csv, ledger.csv")


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    from planner.cli.commands import register_all
    register_all(app)
    app()


if __name__ == "__main__":
    main()
