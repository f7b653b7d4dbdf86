"""What every command of the command line shares: the consoles, exit codes, one-line errors.

Owns how a message reaches a person (one line each on stderr after its word — ``错误：`` in
Chinese, ``error: `` under ``--lang en`` — never a traceback for a user's mistake; click's own
usage errors put into Chinese, `usage_text`), the exit codes the README promises, the checks of options every command shares
(seconds, workers, seeds), what a Ctrl-C left (`interrupted_message`; the handlers themselves
are `cli._interrupt`), the consoles that wrap Chinese by the line-start rule (`cli._wrap`), and
the progress bar of long steps. Words are from the catalogue `cli._messages`. The root commands
(`cli.root`) and the subcommands (`cli.commands.*`) import it; it imports neither.

Exit codes: 0 solved (OPTIMAL or FEASIBLE) / audit passed, 1 audit found violations,
2 bad input (a wrong option, a file that cannot be read, a malformed table or scenario),
3 infeasible, 4 no solution within the time limit, 130 interrupted (Ctrl-C), 70 an internal
error (a bug: one line, the traceback only with ``PLANNER_DEBUG=1``).
"""
from __future__ import annotations

import math
import os
import re
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Callable, Iterator

import typer
from rich.console import Console

try:                                   # typer ≥ 0.2x carries its own copy of click
    from typer._click import exceptions as click_errors
except ImportError:                    # pragma: no cover - older typer runs on click itself
    from click import exceptions as click_errors

from planner.cli._messages import english, phase_word, prefixed, say
from planner.cli._wrap import CjkConsole

from planner.errors import (
    AuditError,
    InfeasibleError,
    InputError,
    NoSolutionError,
    PlannerError,
    PolicyError,
)
from planner.show import FontError

EXIT_OK, EXIT_VIOLATIONS, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_NO_SOLUTION = 0, 1, 2, 3, 4
EXIT_INTERNAL, EXIT_INTERRUPTED = 70, 130


def interrupted_message(written_before: int) -> str:
    """What a Ctrl-C left, in one line: nothing, or output folders already complete before it came."""
    from planner.show.staging import written_folders
    done = written_folders()[written_before:]
    if not done:
        return say("interrupted")
    return say("interrupted_after", folders=", ".join(str(p) for p in done))


def written_count() -> int:
    from planner.show.staging import written_folders
    return len(written_folders())

#: CP-SAT's and HiGHS's random seed is a 32-bit signed integer; the score samples need one ≥ 0.
SEED_MAX = 2**31 - 1

def _width() -> int | None:
    """The terminal's width; ``COLUMNS`` when set; else 120 when output goes to a file or pipe."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return None if sys.stdout.isatty() else 120


out = CjkConsole(width=_width())
err = CjkConsole(stderr=True, highlight=False, soft_wrap=True)


def fail(lines: list[str], code: int, prefix: str = "error") -> None:
    """Print `lines` on stderr, each after its word (``错误：`` / ``error: ``), and exit with `code`."""
    for line in lines:
        err.print(prefixed(prefix, line), markup=False)
    raise typer.Exit(code)


def one_line(text: object) -> str:
    """`text` on one line (a message from a library may hold newlines)."""
    return " ".join(str(text).split()) or say("no_message")


def usage_text(exc: click_errors.UsageError) -> str:
    """A usage error's words in the terminal's language (click writes them in English).

    Read from click's own sentence, so a change of typer's classes cannot turn it into a traceback.
    """
    text = one_line(exc.format_message())
    if english():
        return text
    if isinstance(exc, click_errors.NoSuchOption):
        near = sorted(exc.possibilities or ())
        return f"没有选项 {exc.option_name}" + (f"。是否应为 {' 或 '.join(near)}？" if near else "")
    invalid = re.match(r"Invalid value for (.+?): (.*)$", text)
    if invalid:
        return f"{invalid[1]} 的值无效：{_reason_words(invalid[2])}"
    missing = re.match(r"Missing (?:argument|option|parameter):? (.+?)\.?$", text)
    if missing:
        return f"缺少参数 {missing[1]}"
    return text


#: Why a value was refused, as typer (pydantic) and click say it, and in Chinese; the first match wins.
REASONS = (
    (r"Input should be a valid integer, got a number with a fractional part", "应为整数，不能有小数"),
    (r"Input should be a valid integer.*", "应为整数"),
    (r"Input should be a finite number.*", "应为有限的数"),
    (r"Input should be a valid number.*", "应为数字"),
    (r"Input should be a valid boolean.*", "应为 true 或 false"),
    (r"Input should be greater than or equal to (.+)", r"应不小于 \1"),
    (r"Input should be greater than (.+)", r"应大于 \1"),
    (r"Input should be less than or equal to (.+)", r"应不大于 \1"),
    (r"Input should be less than (.+)", r"应小于 \1"),
    (r"Input should be (.+)", r"应为 \1"),
    (r"'?(.*?)'? is not a valid (?:float|number)\.?", r"“\1”不是数字"),
    (r"'?(.*?)'? is not a valid integer\.?", r"“\1”不是整数"),
    (r"'?(.*?)'? is not a valid boolean\.?", r"“\1”不是 true 或 false"),
    (r"'?(.*?)'? is not one of (.+?)\.?", r"“\1”不是以下之一：\2"),
    (r"'?(.*?)'? is not in the range (.+?)\.?", r"“\1”不在范围 \2 内"),
    (r"(?:Path|File|Directory) '(.*?)' does not exist\.?", r"“\1”不存在"),
    (r"(?:Path|File) '(.*?)' is a directory\.?", r"“\1”是文件夹，应为文件"),
    (r"Directory '(.*?)' is a file\.?", r"“\1”是文件，应为文件夹"),
)


def _reason_words(reason: str) -> str:
    """Why typer/click refused a value, in Chinese where the sentence is one they write."""
    reason = re.sub(r"^Value error, ", "", reason.strip())
    for pattern, words in REASONS:
        match = re.fullmatch(pattern, reason)
        if match:
            return match.expand(words)
    return reason


def read_files(scenario: object) -> list:
    """The files a scenario reads — the scenario file, its candidate table, its history tables —
    so a command can refuse any of them as its output (`show.write_outputs(inputs=…)`): a table
    written over the candidate table it was made from loses the user's input.

    `scenario` is a loaded `Scenario` or a path (loaded here; one that cannot be loaded names
    itself only — the command reports why it cannot be read); None gives none.
    """
    from planner.errors import PlannerError
    from planner.rules import Scenario, load_scenario
    if scenario is None:
        return []
    if not isinstance(scenario, Scenario):
        try:
            scenario = load_scenario(scenario)
        except (PlannerError, OSError):
            return [scenario]
    return [scenario.source, scenario.candidates, *scenario.history]


def restore_sigint() -> None:
    """Give Ctrl-C back to Python.

    CP-SAT catches SIGINT while it searches and, when the search ends, resets it to the
    system default, which kills the process without a word and without the clean-up of a
    half-written output folder. Python still believes its own handler is installed; setting
    it again makes Ctrl-C raise KeyboardInterrupt. Only the main thread may do this.
    """
    if threading.current_thread() is threading.main_thread():
        current = signal.getsignal(signal.SIGINT)
        if callable(current) or current in (signal.SIG_IGN,):
            signal.signal(signal.SIGINT, current)


def run_guarded(action):
    """Run `action`, turning the planner's own errors into one-line messages and exit codes."""
    restore_sigint()
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
            lines += [prefixed("conflict", m) for m in conflicts["message"]]
        fail(lines, EXIT_INFEASIBLE)
    except NoSolutionError as exc:
        fail([one_line(exc)], EXIT_NO_SOLUTION)
    except AuditError as exc:
        fail(str(exc).splitlines(), EXIT_VIOLATIONS)
    except FontError as exc:
        fail([one_line(exc)], EXIT_INPUT)
    except (KeyboardInterrupt, typer.Exit, SystemExit):
        raise                                            # said once, by `main`
    except PlannerError as exc:                          # e.g. an unknown backend or executor
        fail([one_line(exc)], EXIT_INPUT)
    except BaseException as exc:
        line = input_problem(exc)
        if line is None:
            raise
        fail([line], EXIT_INPUT)


def input_problem(exc: BaseException) -> str | None:
    """The one-line message of an exception that means bad input, or None for anything else.

    A file the planner may not read, a folder where a file should be, a disk that is full, a
    chain of files too deep to follow, an input too large for memory: each is the user's to fix.
    """
    if isinstance(exc, OSError):
        where = exc.filename if exc.filename is not None else say("a_file")
        return say("os_problem", where=where, why=one_line(exc.strerror or exc))
    if isinstance(exc, RecursionError):
        return say("too_deep", why=one_line(exc))
    if isinstance(exc, MemoryError):
        return say("too_large")
    return None


# --- options every command shares (typer callbacks: a bad value is a usage error, exit 2) ---

def check_seconds(value: float | None) -> float | None:
    """`--time-limit`: seconds > 0, or ``inf`` for no limit."""
    if value is not None and (math.isnan(value) or value <= 0):
        raise typer.BadParameter(say("bad_seconds", value=f"{value:g}"))
    return value


def check_workers(value: int | None) -> int | None:
    """`--workers` of CP-SAT: 0 = every core, else ≥ 1."""
    if value is not None and value < 0:
        raise typer.BadParameter(say("bad_workers", value=value))
    return value


def check_fraction(value: float | None) -> float | None:
    """A probability or share: a number from 0 to 1."""
    if value is not None and not (0 <= value <= 1):
        raise typer.BadParameter(say("bad_fraction", value=f"{value:g}"))
    return value


def check_non_negative(value: float | None) -> float | None:
    """A finite number ≥ 0 (a weight, a bound in points)."""
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise typer.BadParameter(say("bad_non_negative", value=f"{value:g}"))
    return value


def check_positive(value: float | None) -> float | None:
    """A finite number > 0 (a standard deviation)."""
    if value is not None and not (math.isfinite(value) and value > 0):
        raise typer.BadParameter(say("bad_positive", value=f"{value:g}"))
    return value


STEP_NAMES = {"targets": "目标进度", "scores": "分数分布", "comparison": "情景比较", "calendar": "工作日历",
              "charts drawn": "图表完成", "written": "已写入"}


@contextmanager
def progress_reporter(console: Console, *, quiet: bool = False) -> Iterator[Callable[[int, int, str], None]]:
    """Yield ``progress(done, total, what)``: a rich bar on `console` when it is a terminal,
    nothing at all when output is piped or redirected, or `quiet`."""
    if quiet or not console.is_terminal:
        yield lambda done, total, what: None
        return
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )
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
        text = (say("solve_progress", phase=phase_word(report["phase"]), proven=report["proven"],
                    parts=report["components"])
                + (say("progress_best", value=f"{value:,.1f}") if math.isfinite(value) else "")
                + (say("progress_bound", value=f"{bound:,.1f}") if math.isfinite(bound) else "")
                + (say("progress_gap", value=f"{gap:.2%}") if math.isfinite(gap) else ""))
        shown["bar"].update(shown["task"], completed=report["proven"], total=max(1, report["components"]),
                            description=text)

    try:
        with watch_progress(update):
            yield
    finally:
        if "bar" in shown:
            shown["bar"].stop()
