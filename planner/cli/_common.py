"""What every command of the command line shares: the consoles, exit codes, one-line errors.

Owns how a message reaches a person (one line each on stderr, never a traceback for a user's
mistake), the exit codes the README promises, and the progress bar of long steps. The root
commands (`cli.root`) and the subcommands (`cli.commands.*`) import it; it imports neither.

Exit codes: 0 solved (OPTIMAL or FEASIBLE) / audit passed, 1 audit found violations,
2 bad input, 3 infeasible, 4 no solution within the time limit, 130 interrupted.
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator

import typer
from rich.console import Console

from planner.errors import AuditError, InfeasibleError, InputError, NoSolutionError, PolicyError
from planner.show import FontError

EXIT_OK, EXIT_VIOLATIONS, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_NO_SOLUTION = 0, 1, 2, 3, 4

out = Console(width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(lines: list[str], code: int, prefix: str = "error") -> None:
    for line in lines:
        err.print(f"{prefix}: {line}", markup=False)
    raise typer.Exit(code)


def run_guarded(action):
    """Run `action`, turning the planner's own errors into one-line messages and exit codes."""
    try:
        return action()
    except (InputError, PolicyError) as exc:
        fail(exc.lines(), EXIT_INPUT)
    except InfeasibleError as exc:
        lines = [str(exc)]
        diagnosis = getattr(exc, "diagnosis", None)
        conflicts = getattr(exc, "conflicts", None)
        if diagnosis is not None:
            lines += list(diagnosis.lines)
        elif conflicts is not None and len(conflicts) and "message" in conflicts:
            lines += [f"conflict: {m}" for m in conflicts["message"]]
        fail(lines, EXIT_INFEASIBLE)
    except NoSolutionError as exc:
        fail([str(exc)], EXIT_NO_SOLUTION)
    except AuditError as exc:
        fail(str(exc).splitlines(), EXIT_VIOLATIONS)
    except FontError as exc:
        fail([str(exc)], EXIT_INPUT)
    except KeyboardInterrupt:
        fail(["interrupted: nothing was written"], 130)



STEP_NAMES = {"targets": "目标进度", "scores": "分数分布", "comparison": "情景比较", "calendar": "工作日历",
              "charts drawn": "图表完成", "written": "已写入"}


@contextmanager
def progress_reporter(console: Console, *, quiet: bool = False) -> Iterator[Callable[[int, int, str], None]]:
    """Yield ``progress(done, total, what)``: a rich bar on `console` when it is a terminal,
    nothing at all when output is piped or redirected, or `quiet`."""
    if quiet or not console.is_terminal:
        yield lambda done, total, what: None
        return
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
    bar = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                   console=console, transient=True)
    with bar:
        task = bar.add_task("简报", total=1)

        def update(done: int, total: int, what: str) -> None:
            bar.update(task, completed=done, total=total, description=f"简报：{STEP_NAMES.get(what, what)}")
        yield update


SOLVE_PROGRESS_AFTER_S = 2.0


@contextmanager
def solve_progress(console: Console, *, quiet: bool = False) -> Iterator[None]:
    """While the block solves: after about 2 s, a line on `console` (a terminal) with the
    independent parts proven / to solve, the best slate's value, the bound and the gap; nothing
    when output is piped or redirected, or `quiet`, or the solve ends sooner."""
    if quiet or not console.is_terminal:
        yield
        return
    import math
    import time

    from planner.solver import watch_progress
    started = time.monotonic()
    shown: dict = {}

    def update(report: dict) -> None:
        if "bar" not in shown:
            if time.monotonic() - started < SOLVE_PROGRESS_AFTER_S:
                return
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
            shown["bar"] = Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                                    console=console, transient=True)
            shown["bar"].start()
            shown["task"] = shown["bar"].add_task("求解", total=1)
        value, bound = report["objective"], report["bound"]
        gap = abs(bound - value) / max(1.0, abs(value)) if math.isfinite(value) and math.isfinite(bound) else math.nan
        text = (f"求解 {report['phase']}：已证明 {report['proven']}/{report['components']} 个独立部分"
                + (f"，最好 {value:,.1f}" if math.isfinite(value) else "")
                + (f"，上界 {bound:,.1f}" if math.isfinite(bound) else "")
                + (f"，差距 {gap:.2%}" if math.isfinite(gap) else ""))
        shown["bar"].update(shown["task"], completed=report["proven"], total=max(1, report["components"]),
                            description=text)

    try:
        with watch_progress(update):
            yield
    finally:
        if "bar" in shown:
            shown["bar"].stop()
