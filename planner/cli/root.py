"""The `planner` command line: the root commands (solve, audit, check) and `main`.

Owns the arguments of the root commands; the subcommands are one small module each in
`cli.commands`, and what every command shares (consoles, exit codes, one-line errors) is in
`cli._common`. Holds no planning logic: every command calls the library.
"""
from __future__ import annotations

import copy
import errno
import logging
import os
import sys
import traceback
from pathlib import Path
from typing import Any, Literal, Optional

import typer
from rich.table import Table
from typer.core import TyperGroup

try:                                   # typer ≥ 0.2x carries its own copy of click
    from typer._click import exceptions as click_errors
except ImportError:                    # pragma: no cover - older typer runs on click itself
    from click import exceptions as click_errors

from planner import api
from planner._version import __version__
from planner.cli._common import (
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_VIOLATIONS,
    INTERRUPTED,
    SEED_MAX,
    check_seconds,
    check_workers,
    err,
    fail,
    input_problem,
    interrupted_message,
    one_line,
    out,
    progress_reporter,
    restore_sigint,
    run_guarded,
    solve_progress,
    written_count,
)
from planner.errors import InfeasibleError, PlannerError
from planner.inputs import load_catalogue
from planner.result import task_table
from planner.rounds import write_advice
from planner.rules import load_scenario


def _show_version(ctx: typer.Context, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        typer.echo(f"planner {__version__}")
        raise typer.Exit(0)


class PlannerGroup(TyperGroup):
    """The `planner` command group: the README's exit codes on every path, one line per message.

    Usage errors (an unknown option, a value that is not one of the choices, a number out of
    range) are one line and exit 2; Ctrl-C anywhere is exit 130 with one line; a file the
    planner cannot read is exit 2; anything else is a bug: one line and exit 70 (the traceback
    with ``PLANNER_DEBUG=1``). `--version` and `-h` work on the group and on every command.
    """

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        version = next((p for p in self.params if p.name == "version"), None)
        if command is not None and version is not None and not any(p.name == "version" for p in command.params):
            shown = copy.copy(version)              # the root's --version, on every command
            shown.expose_value = False              # (the command's function does not take it)
            command.params.append(shown)
        return command

    def invoke(self, ctx: Any) -> Any:
        written = written_count()
        try:
            return super().invoke(ctx)
        except (click_errors.ClickException, typer.Exit, typer.Abort):
            raise
        except KeyboardInterrupt:
            err.print(f"error: {interrupted_message(written)}", markup=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as exc:
            line = input_problem(exc)
            if line is not None:
                err.print(f"error: {line}", markup=False)
                raise typer.Exit(EXIT_INPUT) from None
            if os.environ.get("PLANNER_DEBUG"):
                traceback.print_exc()
            err.print(f"error: internal error (a bug, please report it): {type(exc).__name__}: {one_line(exc)}"
                      " — PLANNER_DEBUG=1 shows where", markup=False)
            raise typer.Exit(EXIT_INTERNAL) from None

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click_errors.NoArgsIsHelpError as exc:
            typer.echo(exc.ctx.get_help() if exc.ctx is not None else exc.format_message())
            code = EXIT_INPUT
        except click_errors.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "planner"
            err.print(f"error: {where}: {one_line(exc.format_message())} (see {where} -h)", markup=False)
            code = EXIT_INPUT
        except click_errors.ClickException as exc:
            err.print(f"error: {one_line(exc.format_message())}", markup=False)
            code = EXIT_INPUT
        except (typer.Abort, KeyboardInterrupt):
            err.print(f"error: {INTERRUPTED}", markup=False)
            code = EXIT_INTERRUPTED
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            code = 0                                   # output piped into `head` that stopped reading
        except SystemExit as exc:                      # typer's own exit on a broken pipe (EPIPE)
            broken = isinstance(exc.__context__, OSError) and exc.__context__.errno == errno.EPIPE
            if not broken:
                raise
            code = 0
        if not isinstance(code, int):
            code = 0
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(cls=PlannerGroup, add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  context_settings={"help_option_names": ["-h", "--help"]},
                  help="Plan quota-constrained recommendation rounds (吉教职成〔2023〕7号) with CP-SAT.")


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_show_version, is_eager=True,
                                       help="Print the planner's version and exit.")) -> None:
    """Plan quota-constrained recommendation rounds (吉教职成〔2023〕7号) with CP-SAT."""


@app.command()
def solve(
    scenario: Optional[Path] = typer.Argument(None, help="scenario TOML file"),
    candidates: Optional[Path] = typer.Option(None, "--candidates", help="candidate table replacing the scenario's"),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="output folder (default out/<scenario stem>/)"),
    time_limit: float = typer.Option(60.0, "--time-limit", callback=check_seconds,
                                     help="seconds for the whole solve (> 0; inf = no limit)"),
    seed: int = typer.Option(0, "--seed", min=0, max=SEED_MAX, help="CP-SAT random seed"),
    workers: int = typer.Option(0, "--workers", callback=check_workers, help="CP-SAT workers (0 = all cores)"),
    force_in: list[str] = typer.Option([], "--force-in", help="pin a candidate into the slate (repeatable)"),
    force_out: list[str] = typer.Option([], "--force-out", help="pin a candidate out of the slate (repeatable)"),
    explain: bool = typer.Option(False, "--explain", help="exact counterfactual for every rejected candidate"),
    alternatives: int = typer.Option(0, "--alternatives", min=0, help="list up to K other slates with the same optimum"),
    backend: Literal["cpsat", "highs"] = typer.Option("cpsat", "--backend", help="cpsat (default) or highs"),
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
        try:
            with solve_progress(err, quiet=quiet):
                result = api.solve(loaded, candidates=candidates, time_limit_s=time_limit, seed=seed,
                                   workers=workers, backend=backend)
        except InfeasibleError as exc:
            write_advice(exc, target)       # the full advice beside the short form printed
            raise
        restore_sigint()                        # CP-SAT leaves Ctrl-C to the system: take it back
        extra = {}
        if explain:
            from planner.explain import explain_all, merge
            result.explanations = merge(result.explanations, explain_all(result, time_limit_s=max(10.0, time_limit)))
            result.slate["reason"] = result.explanations["reason"].to_numpy()
            result.summary["explain"] = True
        if alternatives > 0:
            from planner.explain import alternative_slates
            extra["alternatives.csv"] = alternative_slates(result, alternatives)
        restore_sigint()
        from planner.show.staging import output_folder
        with output_folder(target) as folder:   # the slate files and the briefing appear together
            api.save(result, folder, extra_tables=extra)
            if report:
                from planner.show import write_briefing
                with progress_reporter(err, quiet=quiet) as progress:
                    write_briefing(folder, result=result, progress=progress)
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
    for line in report.rerun_lines():                  # what was re-run: scenario, pins, edits, backend
        out.print(f"re-ran: {line}", markup=False, soft_wrap=True)
    if report.ok:
        out.print(f"verified: {out_dir}/slate.csv is reproduced byte for byte ({report.rerun_sha256[:12]})",
                  markup=False)
        return
    fail(report.problems, EXIT_VIOLATIONS, prefix="not verified")


@app.command()
def audit(
    scenario: Path = typer.Argument(..., help="scenario TOML file"),
    slate: Path = typer.Argument(..., help="slate table (csv/xlsx) with selected and national columns"),
    candidates: Optional[Path] = typer.Option(None, "--candidates", help="candidate table the slate was drawn "
                                              "from, replacing the scenario's"),
    against: Optional[Path] = typer.Option(None, "--against", help="run folder (planner solve --out) whose slate "
                                           "is the optimum to compare the score with, instead of solving now"),
    optimum: bool = typer.Option(True, "--optimum/--no-optimum", help="compare the slate's total score with the "
                                 "optimum of the same round"),
    findings: Optional[Path] = typer.Option(None, "--findings", help="file for the findings beyond the first 20 "
                                            "(default: SLATE's name + .audit.txt beside it)"),
) -> None:
    """Check a slate — the solver's or one made by hand — against its candidate table and every hard rule,
    and set its total score against the optimum."""
    from planner.audit import summarise
    report = run_guarded(lambda: api.audit_file(scenario, slate, candidates=candidates, optimum=optimum,
                                                       against=against))
    for warning in report.warnings():
        err.print(f"warning: {warning}", markup=False)
    score_lines = report.score.lines() if report.score is not None else [report.score_note] * bool(report.score_note)
    if not report.ok:
        head, rest = summarise(report.messages(), report.kinds())
        if rest:
            from planner.show import atomic_write_bytes
            target = findings or slate.with_name(slate.name + ".audit.txt")
            try:
                atomic_write_bytes(target, ("\n".join(report.messages()) + "\n").encode("utf-8"))
                head.append(f"… {len(rest)} more: every finding is in {target}")
            except (OSError, PlannerError) as exc:      # the verdict stands (exit 1) without the file
                head.append(f"… {len(rest)} more, not written to {target}: {exc}")
        for line in score_lines:
            err.print(f"score: {line}", markup=False)
        fail(head, EXIT_VIOLATIONS, prefix="violation")
    out.print(f"audit passed: the slate matches its candidate table; {len(report.rules)} rule groups, "
              "every hard rule holds", markup=False, soft_wrap=True)
    for line in score_lines:
        out.print(f"score: {line}", markup=False, soft_wrap=True)


@app.command()
def check(
    scenario: Path = typer.Argument(..., help="scenario TOML file"),
    candidates: Optional[Path] = typer.Option(None, "--candidates", help="candidate table replacing the scenario's"),
) -> None:
    """Validate a scenario and its candidate table without solving."""
    loaded, frame = run_guarded(lambda: api.check_inputs(scenario, candidates))
    out.print(f"ok: {loaded.label}: {len(loaded.rules)} rules; {len(frame)} candidates", markup=False)


STATUS_WORDS = {"OPTIMAL": "已证明最优", "FEASIBLE": "可行，时限内未证明最优"}


def print_summary(result: api.Result, target: Path) -> None:
    """The headline (one number: 评审总分, the objective's other parts once, explained) and the
    slate by task, in Chinese, readable at 80 columns."""
    s = result.summary
    total, penalty, objective = float(s["total_score"]), float(s.get("penalty", 0.0) or 0.0), float(s["objective"])
    later = objective - total + penalty          # the later years' planned picks (plan), when planning ahead
    status = STATUS_WORDS.get(s["status"], s["status"])
    gap = f"，与最优界差 {s['gap']:.2%}" if s["status"] != "OPTIMAL" else ""
    out.print(f"[bold]{s['name']}[/bold]（{status}{gap}；status {s['status']}）")
    out.print(f"评审总分 [bold]{total:,.1f}[/bold]：入选 {s['n_selected']} 项（候选 {s['n_candidates']} 项），"
              f"国家级推荐 {s['n_national']} 项")
    if abs(later) >= 0.05 or penalty:
        parts = [f"评审总分 {total:,.1f}"]
        if penalty:
            parts.append(f"− 软约束扣分 {penalty:,.1f}")
        if abs(later) >= 0.05:
            parts.append(f"+ 后续年度规划入选分 {later:,.1f}")
        out.print(f"  求解目标 {objective:,.1f} = " + " ".join(parts), soft_wrap=False)
        out.print("  （后续年度规划入选分：为以后年度预留名额的候选项目得分，只用于不透支以后年度，"
                  "不计入本年度名单；软约束扣分：超出“左右”目标等可放宽规则的扣分）", style="dim")
    out.print(f"规则组 {s['n_rule_groups']} 个，起决定作用 {s['n_binding']} 个；"
              f"建模 {s['build_s']:.2f} 秒，求解 {s['solve_s']:.2f} 秒")
    table = Table(title="各任务入选情况", show_lines=False, pad_edge=False, padding=(0, 1))
    table.add_column("任务类别", overflow="fold", max_width=34)
    for col in ("候选", "入选", "国家级", "入选最低分"):
        table.add_column(col, justify="right", no_wrap=True)
    cat = load_catalogue()
    for row in task_table(result).to_dict("records"):
        track = cat.tracks_of(row["task"]).get(row["track"], row["track"]) if row["track"] else ""
        name = f"{row['task_label']}\n  · {track}" if track else row["task_label"]   # no cut inside a word
        table.add_row(name, str(row["candidates"]), str(row["selected"]), str(row["national"]),
                      "" if row["lowest"] != row["lowest"] else f"{row['lowest']:.1f}")
    out.print(table)
    out.print(f"已写入 {target}/：slate.xlsx（中文名单）、slate.csv、summary.json、rules.csv、"
              "explanations.csv、ledger.csv")


def main(argv: list[str] | None = None) -> None:
    """`planner ARGS…`; exits with the README's codes (argv: the arguments, default sys.argv)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    app(args=argv, prog_name="planner")


def _register_commands() -> None:
    from planner.cli.commands import register_all
    register_all(app)


_register_commands()


if __name__ == "__main__":
    main()
