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
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

try:                                   # typer ≥ 0.2x carries its own copy of click
    from typer._click import exceptions as click_errors
except ImportError:                    # pragma: no cover - older typer runs on click itself
    from click import exceptions as click_errors

from planner import api
from planner._version import __version__
from planner.cli import _help, _interrupt
from planner.cli._common import (
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_VIOLATIONS,
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
    read_files,
    restore_sigint,
    run_guarded,
    solve_progress,
    usage_text,
    written_count,
)
from planner.cli._messages import english, lang, prefixed, say, set_language, status_word
from planner.errors import InfeasibleError, PlannerError
from planner.inputs import load_catalogue
from planner.result import task_table
from planner.rounds import write_advice
from planner.rules import load_scenario


def _show_version(ctx: typer.Context, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        typer.echo(f"planner {__version__}")
        raise typer.Exit(0)


def _set_lang(ctx: typer.Context, value: str | None) -> str | None:
    if value is not None and not ctx.resilient_parsing:
        set_language(value)
        _interrupt.set_language(value)
    return value


#: Options of the root that every command also takes (`planner --lang en solve …` or `planner solve … --lang en`).
SHARED = ("version", "lang")
#: Options naming a file or folder: an empty value ("") is refused before anything runs.
PATH_OPTIONS = ("--out", "--findings", "--candidates", "--verify", "--against", "--fix", "--pool", "--scenario",
                "--compare", "--templates", "--scores")


def empty_paths(args: list[str]) -> list[str]:
    """The path options of `args` given an empty value (``--out ""`` or ``--out=``)."""
    found = []
    for i, word in enumerate(args):
        if word == "--":
            break
        if word in PATH_OPTIONS and i + 1 < len(args) and args[i + 1] == "":
            found.append(word)
        elif "=" in word and word.split("=", 1)[0] in PATH_OPTIONS and word.split("=", 1)[1] == "":
            found.append(word.split("=", 1)[0])
    return found


class PlannerGroup(TyperGroup):
    """The `planner` command group: the README's exit codes on every path, one line per message.

    Usage errors (an unknown option, a value that is not one of the choices, a number out of
    range) are one line and exit 2; Ctrl-C anywhere is exit 130 with one line; a file the
    planner cannot read is exit 2; anything else is a bug: one line and exit 70 (the traceback
    with ``PLANNER_DEBUG=1``). `--version` and `-h` work on the group and on every command.
    """

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is None:
            return command
        for name in SHARED:                         # the root's --version and --lang, on every command
            shared = next((p for p in self.params if p.name == name), None)
            if shared is not None and not any(p.name == name for p in command.params):
                shown = copy.copy(shared)
                shown.expose_value = False          # (the command's function does not take it)
                command.params.append(shown)
        _help.apply(command, cmd_name, lang())
        if not hasattr(command, "_help_option_of"):
            command._help_option_of = command.get_help_option
            command.get_help_option = lambda c, cmd=command: _help.apply_help_option(cmd._help_option_of(c), lang())
        return command

    def get_help_option(self, ctx: Any) -> Any:
        return _help.apply_help_option(super().get_help_option(ctx), lang())

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _help.apply(self, "", lang())
        super().format_help(ctx, formatter)

    def invoke(self, ctx: Any) -> Any:
        written = written_count()
        try:
            with _interrupt.command_running():
                return super().invoke(ctx)
        except (click_errors.ClickException, typer.Exit, typer.Abort):
            if _interrupt.received.is_set():        # an interrupt a library turned into an exit
                err.print(interrupted_message(written), markup=False)
                raise typer.Exit(EXIT_INTERRUPTED) from None
            raise
        except KeyboardInterrupt:
            err.print(interrupted_message(written), markup=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as exc:
            if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
                raise                               # output piped into `head` that stopped reading
            if _interrupt.received.is_set():        # e.g. an ImportError of an import cut by Ctrl-C
                err.print(interrupted_message(written), markup=False)
                raise typer.Exit(EXIT_INTERRUPTED) from None
            line = input_problem(exc)
            if line is not None:
                err.print(prefixed("error", line), markup=False)
                raise typer.Exit(EXIT_INPUT) from None
            if os.environ.get("PLANNER_DEBUG"):
                traceback.print_exc()
            err.print(prefixed("error", say("internal_error", kind=type(exc).__name__, text=one_line(exc))), markup=False)
            raise typer.Exit(EXIT_INTERNAL) from None

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        words = list(sys.argv[1:] if args is None else args)
        set_language(_interrupt.language(words))
        _interrupt.set_language(lang())
        try:
            empty = empty_paths(words)
            if empty:
                fail([say("empty_path", option=option) for option in empty], EXIT_INPUT)
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.Exit as exc:
            code = exc.exit_code
        except click_errors.NoArgsIsHelpError as exc:
            typer.echo(exc.ctx.get_help() if exc.ctx is not None else exc.format_message())
            code = EXIT_INPUT
        except click_errors.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "planner"
            err.print(prefixed("error", say("usage_error", where=where, text=usage_text(exc))), markup=False)
            code = EXIT_INPUT
        except click_errors.ClickException as exc:
            err.print(prefixed("error", one_line(exc.format_message())), markup=False)
            code = EXIT_INPUT
        except (typer.Abort, KeyboardInterrupt):
            err.print(say("interrupted"), markup=False)
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
                                       help="Print the planner's version and exit."),
          lang: Optional[Literal["zh", "en"]] = typer.Option(None, "--lang", callback=_set_lang, is_eager=True,
                                                       help="language of the terminal: zh (default) or en")) -> None:
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
    scores: list[Path] = typer.Option([], "--scores", help="expert score sheets (repeatable): each score made "
                                      "from its panel by the scenario's [scoring] before the solve"),
) -> None:
    """Solve one round, audit the slate and write slate.csv/xlsx, summary.json, rules.csv."""
    if verify is not None:
        return verify_run(verify)
    if scenario is None:
        fail([say("missing_scenario")], EXIT_INPUT)
    target = out_dir or Path("out") / scenario.stem

    def action():
        loaded = load_scenario(scenario)
        if force_in or force_out:
            loaded = loaded.pinned(force_in=force_in, force_out=force_out)
        try:
            with solve_progress(err, quiet=quiet):
                result = api.solve(loaded, candidates=candidates, time_limit_s=time_limit, seed=seed,
                                   workers=workers, backend=backend, scores=list(scores) or None)
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
        from planner.show.publication import FEEDBACK_DIR, PUBLISHED
        from planner.show.staging import output_folder
        # the slate files and the briefing appear together; an earlier publish of the folder goes with
        # the slate it was made from (no 认定名单 or letters of another slate left beside this one)
        with output_folder(target, drop=(*PUBLISHED, FEEDBACK_DIR), inputs=[scenario, candidates, *scores, *read_files(scenario)]) as folder:
            api.save(result, folder, extra_tables=extra)
            if report:
                from planner.show import write_briefing
                with progress_reporter(err, quiet=quiet) as progress:
                    write_briefing(folder, result=result, progress=progress)
        return result, extra

    result, extra = run_guarded(action)
    if result.summary["status"] != "OPTIMAL":
        err.print(say("solve_time_limit", gap=f"{result.summary['gap']:.2%}"), markup=False)
    for warning in result.summary["warnings"]:
        err.print(prefixed("warning", warning), markup=False)
    if not quiet:
        print_summary(result, target)
        if "alternatives.csv" in extra:
            alt = extra["alternatives.csv"]
            n = alt["alternative"].nunique() if "alternative" in alt and len(alt) else 0
            out.print(say("solve_alternatives", n=n, path=target / "alternatives.csv"), markup=False)


def verify_run(out_dir: Path) -> None:
    """`planner solve --verify OUT_DIR`: exit 0 when the recorded slate is reproduced, 1 when not."""
    from planner.api.verify import verify as verify_folder
    report = run_guarded(lambda: verify_folder(out_dir))
    for line in report.rerun_lines():                  # what was re-run: scenario, pins, edits, backend
        out.print(prefixed("re-ran", line), markup=False, soft_wrap=True)
    if report.ok:
        out.print(say("verified", path=out_dir / "slate.csv", sha=report.rerun_sha256[:12]), markup=False)
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
    time_limit: float = typer.Option(60.0, "--time-limit", callback=check_seconds,
                                     help="seconds for the optimum solved now (> 0; inf = no limit)"),
) -> None:
    """Check a slate — the solver's or one made by hand — against its candidate table and every hard rule,
    and set its total score against the optimum."""
    from planner.audit import summarise
    report = run_guarded(lambda: api.audit_file(scenario, slate, candidates=candidates, optimum=optimum,
                                                       against=against, time_limit_s=time_limit))
    for warning in report.warnings():
        err.print(prefixed("warning", warning), markup=False)
    score_lines = report.score.lines() if report.score is not None else [report.score_note] * bool(report.score_note)
    if not report.ok:
        head, rest = summarise(report.messages(), report.kinds())
        if rest:
            from planner.show import atomic_write_bytes
            target = findings or slate.with_name(slate.name + ".audit.txt")
            try:
                atomic_write_bytes(target, ("\n".join(report.messages()) + "\n").encode("utf-8"),
                                   inputs=[scenario, slate, candidates, against and against / "slate.csv",
                                           *read_files(scenario)])
                head.append(say("audit_more", n=len(rest), target=target))
            except (OSError, PlannerError) as exc:      # the verdict stands (exit 1) without the file
                head.append(say("audit_more_unwritten", n=len(rest), target=target, error=exc))
        for line in score_lines:
            err.print(prefixed("score", line), markup=False)
        fail(head, EXIT_VIOLATIONS, prefix="violation")
    out.print(say("audit_passed", groups=len(report.rules)), markup=False)
    for line in score_lines:
        out.print(prefixed("score", line), markup=False)


@app.command()
def check(
    scenario: Path = typer.Argument(..., help="scenario TOML file"),
    candidates: Optional[Path] = typer.Option(None, "--candidates", help="candidate table replacing the scenario's"),
) -> None:
    """Validate a scenario and its candidate table without solving."""
    loaded, frame = run_guarded(lambda: api.check_inputs(scenario, candidates))
    out.print(say("check_ok", label=loaded.label, rules=len(loaded.rules), candidates=len(frame)), markup=False)


def print_summary(result: api.Result, target: Path) -> None:
    """The headline (one number: 评审总分, the objective's other parts once, explained) and the
    slate by task, in Chinese (English with ``--lang en``), readable at 80 columns."""
    s = result.summary
    total, penalty, objective = float(s["total_score"]), float(s.get("penalty", 0.0) or 0.0), float(s["objective"])
    later = objective - total + penalty          # the later years' planned picks (plan), when planning ahead
    status = status_word(s["status"], s.get("gap"))
    out.print(say("solve_headline", name=f"[bold]{escape(s['name'])}[/bold]", status=status))
    out.print(say("solve_total", total=f"[bold]{total:,.1f}[/bold]", selected=s["n_selected"],
                  candidates=s["n_candidates"], national=s["n_national"]))
    if abs(later) >= 0.05 or penalty:
        parts = [say("part_total", value=f"{total:,.1f}")]
        if penalty:
            parts.append(say("part_penalty", value=f"{penalty:,.1f}"))
        if abs(later) >= 0.05:
            parts.append(say("part_later", value=f"{later:,.1f}"))
        out.print(say("solve_objective", objective=f"{objective:,.1f}", parts=" ".join(parts)), markup=False)
        for note, shown in (("note_later", abs(later) >= 0.05), ("note_penalty", bool(penalty))):
            if shown:
                out.print(say(note), style="dim", markup=False)
    out.print(say("solve_groups", groups=s["n_rule_groups"], binding=s["n_binding"], build=f"{s['build_s']:.2f}",
                  solve=f"{s['solve_s']:.2f}"), markup=False)
    table = Table(title=say("solve_table"), show_lines=False, pad_edge=False, padding=(0, 1))
    first, *numbers = say("solve_columns").split("|")
    table.add_column(first, overflow="fold", max_width=40)
    for col in numbers:
        table.add_column(col, justify="right", no_wrap=True)
    cat = load_catalogue()
    for row in task_table(result).to_dict("records"):
        label = row["task"] if english() else row["task_label"]
        track = (row["track"] if english() else cat.tracks_of(row["task"]).get(row["track"], row["track"])) \
            if row["track"] else ""
        name = f"{label}\n  · {track}" if track else label                     # no cut inside a word
        table.add_row(escape(name), str(row["candidates"]), str(row["selected"]), str(row["national"]),
                      "" if row["lowest"] != row["lowest"] else f"{row['lowest']:.1f}")
    out.print(table)
    out.print(say("written_list", target=f"{target}/", files=say("solve_files")), markup=False)


def main(argv: list[str] | None = None) -> None:
    """`planner ARGS…`; exits with the README's codes (argv: the arguments, default sys.argv)."""
    _interrupt.install_early()          # as `python -m planner.cli.root`, or a script calling main
    handler = logging.StreamHandler()
    handler.setFormatter(_LogFrame())
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    app(args=argv, prog_name="planner")


class _LogFrame(logging.Formatter):
    """A library warning in the terminal's frame: ``警告：…`` (``warning: …`` under --lang en)."""

    KINDS = {"WARNING": "warning", "ERROR": "error", "CRITICAL": "error"}

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        kind = self.KINDS.get(record.levelname)
        return prefixed(kind, text) if kind else f"{record.levelname}: {text}"


def _register_commands() -> None:
    from planner.cli.commands import register_all
    register_all(app)


_register_commands()


if __name__ == "__main__":
    main()
