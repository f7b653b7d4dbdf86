"""Ctrl-C from the first instant to the last: exit 130 with one line, never a traceback.

Owns the SIGINT handlers of the `planner` command and nothing else (it imports only the
standard library, so that it can be installed before pandas, OR-Tools and the rest load):

* **outside a command** (while Python imports the planner, while the arguments are parsed,
  after the command has ended): one line on stderr and ``os._exit(130)`` at once. Nothing is
  being written then, so there is nothing to clean up, and an import cut in half can neither
  print a traceback nor turn into an ``ImportError``.
* **inside a command** (`PlannerGroup.invoke`): ``KeyboardInterrupt`` is raised, so that an
  output folder being staged is removed and the command says what was written
  (`cli._common.interrupted_message`); `received` remembers the signal, so that an error an
  interrupted import or library call turns into is still told as an interrupt.

`install_early` is called by `planner.cli`'s ``__init__``, which `planner`'s own ``__init__``
imports first, and installs the handler only when this process is the `planner` command
(``planner …`` or ``python -m planner.cli …``), never in a notebook or a library user.
"""
from __future__ import annotations

import os
import re
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Iterator

#: Exit status of an interrupted command (128 + SIGINT, what a shell reports).
EXIT_INTERRUPTED = 130

LINES = {
    "zh": {"before": "中断：已按 Ctrl-C 停止，未写入任何文件",
           "after": "中断：已按 Ctrl-C 停止；命令已完成，写入的文件完整"},
    "en": {"before": "interrupted (Ctrl-C): nothing was written",
           "after": "interrupted (Ctrl-C) after the command had finished: what it wrote is complete"},
}

_state = {"phase": "before", "lang": "zh", "installed": False}
received = threading.Event()


def launched_as_command(argv: list[str] | None = None, orig_argv: list[str] | None = None) -> bool:
    """True when this process is the `planner` command: the console script (``planner``,
    ``planner.exe``, ``planner-script.py``) or ``python -m planner.cli``."""
    argv = sys.argv if argv is None else argv
    orig = getattr(sys, "orig_argv", []) if orig_argv is None else orig_argv
    for i, word in enumerate(orig[:-1]):
        if word == "-m":
            return orig[i + 1] == "planner.cli"
    if not argv:
        return False
    stem = re.split(r"[\\/]", argv[0])[-1].lower()
    for suffix in (".exe", "-script.py", ".py"):
        stem = stem.removesuffix(suffix)
    return stem == "planner"


def language(argv: list[str] | None = None) -> str:
    """``en`` when the arguments ask for English (``--lang en`` or ``--lang=en``), else ``zh``."""
    argv = sys.argv[1:] if argv is None else argv
    for i, word in enumerate(argv):
        if word == "--lang" and i + 1 < len(argv):
            return "en" if argv[i + 1] == "en" else "zh"
        if word.startswith("--lang="):
            return "en" if word.split("=", 1)[1] == "en" else "zh"
    return "zh"


def _exit_now(signum, frame) -> None:             # noqa: ARG001 - a signal handler's signature
    line = LINES[_state["lang"]][_state["phase"]] + "\n"
    try:
        os.write(2, line.encode("utf-8", "replace"))
    finally:
        os._exit(EXIT_INTERRUPTED)


def _raise(signum, frame) -> None:               # noqa: ARG001
    received.set()
    raise KeyboardInterrupt


def _set(handler) -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, handler)


def install_early() -> None:
    """Install the exit-at-once handler when this process is the `planner` command."""
    if _state["installed"] or not launched_as_command():
        return
    _state["lang"] = language()
    _state["installed"] = True
    _set(_exit_now)


def set_language(lang: str) -> None:
    _state["lang"] = "en" if lang == "en" else "zh"


@contextmanager
def command_running() -> Iterator[None]:
    """While a command runs: Ctrl-C raises KeyboardInterrupt (the command cleans up and says
    what it wrote). Before and after: exit at once with one line."""
    received.clear()
    _set(_raise)
    try:
        yield
    finally:
        _state["phase"] = "after"
        _set(_exit_now if _state["installed"] else signal.default_int_handler)


def take_back() -> None:
    """Make Ctrl-C raise KeyboardInterrupt again after a native library reset SIGINT (an old
    CP-SAT resets it to the system default when a search ends). Main thread only."""
    if threading.current_thread() is threading.main_thread():
        _set(_raise)
