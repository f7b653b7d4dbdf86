"""The command line under random argument lists (issue 17): it never leaves its contract.

Hypothesis draws a command of the real `planner` app and arguments built from that command's own
parameters (read from the app, so a new option is fuzzed the day it is added): values of the
right type and of the wrong one, missing files, empty strings, folders, a FIFO, tables and
scenarios with mistakes in them. Every run must end with an exit code of the README
(0, 1, 2, 3, 4, 130), no traceback, and — on exit 2 or above — nothing written: the workspace
is byte for byte, inode for inode, as it was.

Two groups: one where the commands that take long on good input (robust, sweep, equity, report)
always get a bad first argument, so every case fails or finishes fast (450 cases); one with real
small solves of a valid 9-candidate scenario under fuzzed options (100 cases).
"""
from __future__ import annotations

import os
import typing
from pathlib import Path

import pytest
from conftest import row, write_case, write_csv
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from planner.cli import root as cli

README_CODES = {0, 1, 2, 3, 4, 130}
HEAVY = {"robust", "sweep", "equity", "report"}       # long on good input: always given a bad first argument
ROWS = [row(f"C{i}", score=60.0 + 3 * i, locality=["长春市", "吉林市", "四平市"][i % 3], cost=5.0 + i)
        for i in range(9)]
CAP = {"id": "cap", "clause": "三(三)", "per": ["locality"], "max": {"长春市": 2, "*": 1}}
def common(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


# --------------------------------------------------------------------------- the workspace
@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """Files every case may name; the current folder while the cases run (default outputs land here)."""
    root = tmp_path_factory.mktemp("fuzz")
    good = write_case(root / "good", ROWS, {"rule": [CAP]})
    write_case(root / "bad", ROWS, {"rule": [dict(CAP, maks=3)]})                 # an unknown rule key
    write_case(root / "tight", ROWS, {"rule": [{"id": "min", "clause": "三(三)", "per": ["locality"], "min": {"长春市": 5, "*": 0}}]})
    (root / "syntax.toml").write_text("year = = 2023\n", "utf-8")
    (root / "junk.csv").write_bytes(b"\x00\x01not,a\ntable")
    write_csv(root / "other.csv", [dict(r, score=r["score"] - 1) for r in ROWS])
    (root / "plain.txt").write_text("a file where a folder is expected")
    (root / "empty").mkdir()
    os.mkfifo(root / "pipe")
    # `planner serve` on good input serves until Ctrl-C: here it stops as soon as it would start
    # serving (everything before — options, port, the base round — runs as a user's would).
    from planner.cli.commands import serve as serve_command
    patch = pytest.MonkeyPatch()
    patch.setattr(serve_command, "run_server", lambda app, sock: sock.close())
    before = Path.cwd()
    os.chdir(root)
    runner = CliRunner()
    solved = runner.invoke(cli.app, ["solve", str(good), "--out", "solved", "--workers", "1", "-q"])
    assert solved.exit_code == 0, solved.stderr
    try:
        yield root
    finally:
        os.chdir(before)
        patch.undo()


def paths(root: Path) -> list[str]:
    return [str(root / "good" / "scenario.toml"), str(root / "bad" / "scenario.toml"), "tight/scenario.toml",
            "syntax.toml", "missing.toml", "", str(root / "empty"), "junk.csv", "good/candidates.csv", "other.csv",
            "solved", "solved/slate.csv", "solved/slate.xlsx", "plain.txt", "pipe", "out-a", "nowhere/deep/out",
            "plain.txt/out"]


def snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    """Every entry under `root`: (size, mtime, inode) — a FIFO is listed, never opened."""
    out = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            st_ = os.lstat(os.path.join(folder, name))
            out[os.path.relpath(os.path.join(folder, name), root)] = (st_.st_size, st_.st_mtime_ns, st_.st_ino)
    return out


# --------------------------------------------------------------------------- the app's own parameters
def _commands() -> dict[str, tuple[typing.Any, dict[str, typing.Any]]]:
    """command name → (click command, parameter name → its annotation)."""
    import typer
    group = typer.main.get_command(cli.app)
    out = {}
    for info in cli.app.registered_commands:
        name = info.name or info.callback.__name__
        out[name] = (group.commands[name], typing.get_type_hints(info.callback))
    return out


COMMANDS = _commands()
INTS = ["-3", "abc", "", "2147483648", "99999999999999999999", "1.5"]
FLOATS = ["-5", "0", "nan", "-inf", "abc", "", "1e300"]
TEXTS = ["", "x", "C99", "a,b", "中文", "--out", "column:nope"]
GOOD_TEXT = {"by": ["locality", "tier"], "reference": ["candidates", "equal"], "candidate": ["C1", "C4"],
             "force_in": ["C1", "C8"], "force_out": ["C2", "C7"], "sd_column": ["score_sd"], "reviewers": [""]}
GOOD_PATH = {"scenario": ["good/scenario.toml"], "scenarios": ["good/scenario.toml"], "slate": ["solved/slate.csv"],
             "candidates": ["other.csv", "good/candidates.csv"], "out_dir": ["out-a", "out-b"],
             "out_file": ["out-a/table.csv"], "out_a": ["solved"], "out_b": ["solved"], "out_dirs": ["solved"],
             "compare": ["solved"], "fix": ["solved/slate.csv"], "pools": ["other.csv"], "verify": ["solved"]}


def _values(annotation: typing.Any, root: Path, name: str, good: bool) -> st.SearchStrategy[list[str]]:
    """Values for parameter `name`: a sensible one when `good`, else a wrong type, a missing file, ''…"""
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin is typing.Union or (args and type(None) in args):
        inner = [a for a in args if a is not type(None)]
        return _values(inner[0], root, name, good)
    if origin is typing.Literal:
        return st.sampled_from(list(map(str, args)) if good else ["", "bogus", "CPSAT"]).map(lambda v: [v])
    if origin in (list, typing.List):
        return st.lists(_values(args[0], root, name, good), min_size=1, max_size=2).map(lambda vs: sum(vs, []))
    if annotation is Path:
        return st.sampled_from(GOOD_PATH.get(name, ["out-a"]) if good else paths(root)).map(lambda v: [v])
    if annotation is int:
        return st.sampled_from(["0", "1", "2"] if good else INTS).map(lambda v: [v])
    if annotation is float:
        return st.sampled_from(["0.5", "1", "5", "inf"] if good else FLOATS).map(lambda v: [v])
    return st.sampled_from(GOOD_TEXT.get(name, ["x"]) if good else TEXTS).map(lambda v: [v])


@st.composite
def argument_lists(draw, root: Path, *, names: list[str], quick: bool) -> list[str]:
    """A command and arguments built from its parameters (three in four values sensible, the rest
    wrong; eleven in twelve for the real solves), sometimes a missing argument or an option the command lacks."""
    name = draw(st.sampled_from(names))
    command, hints = COMMANDS[name]

    def value(param: typing.Any) -> list[str]:
        good = draw(st.integers(0, 11 if quick else 3)) > 0
        return draw(_values(hints[param.name], root, param.name, good))

    positional: list[str] = []
    options = [p for p in command.params if p.param_type_name == "option" and p.name != "version"]
    for param in command.params:
        if param.param_type_name != "argument":
            continue
        if quick and param.name in ("scenario", "scenarios"):
            values = ["good/scenario.toml"]
        elif not quick and name in HEAVY and not positional:
            values = [draw(st.sampled_from(["missing.toml", "", "junk.csv", "syntax.toml", "bad/scenario.toml",
                                            str(root / "empty"), "plain.txt", "pipe"]))]
        else:
            values = value(param)
        if not quick and draw(st.integers(0, 9)) == 0:
            continue                                          # a missing argument
        positional += values
    args: list[str] = []
    if quick and name == "explain":
        args += ["-c", draw(st.sampled_from(["C1", "C4", "C8"]))]
    chosen = draw(st.lists(st.sampled_from(options), max_size=3 if quick else 5,
                           unique_by=lambda p: p.name)) if options else []
    for param in chosen:
        if quick and param.name in ("every", "processes", "verify"):
            continue                                          # a process pool, or another solve
        if param.is_flag:
            args.append(draw(st.sampled_from(param.opts + param.secondary_opts)))
            continue
        args += [draw(st.sampled_from(param.opts)), *value(param)[:1]]
    if not quick and draw(st.integers(0, 19)) == 0:
        args.append(draw(st.sampled_from(["--colour", "--tme-limit", "-x", "--", "-"])))
    first = draw(st.booleans())
    return [name, *positional, *args] if first else [name, *args, *positional]


def _run(root: Path, args: list[str]) -> None:
    before = snapshot(root)
    result = CliRunner().invoke(cli.app, args, prog_name="planner")
    stderr, stdout = result.stderr, result.stdout
    event(f"{args[0]} exit {result.exit_code}")
    assert result.exit_code in README_CODES, (args, result.exit_code, stderr)
    assert "Traceback" not in stderr and "Traceback" not in stdout, (args, stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, repr(result.exception))
    if result.exit_code >= 2:
        assert snapshot(root) == before, (args, result.exit_code, stderr)
        assert stderr.strip(), (args, "an exit ≥ 2 says why")


# --------------------------------------------------------------------------- the cases
FAST = sorted(COMMANDS)


@common(450)
@given(data=st.data())
def test_any_command_with_random_arguments_keeps_the_contract(workspace, data):
    _run(workspace, data.draw(argument_lists(workspace, names=FAST, quick=False)))


@common(100)
@given(data=st.data())
def test_real_small_solves_under_random_options_keep_the_contract(workspace, data):
    _run(workspace, data.draw(argument_lists(workspace, names=["solve", "check", "audit", "explain", "plan"],
                                             quick=True)))


def test_the_fuzzer_draws_from_every_command_and_the_workspace_gives_every_exit_of_interest(workspace):
    """The fuzzing is not degenerate: it draws from every registered command, and its workspace
    holds inputs that end in 0, 1 (every candidate selected: over the quota) and 2."""
    assert set(FAST) == {info.name or info.callback.__name__ for info in cli.app.registered_commands}
    assert {"solve", "audit", "check", "explain", "plan", "ledger", "report", "compare"} <= set(FAST)
    write_csv(workspace / "tampered.csv", [dict(r, selected=True, national=False) for r in ROWS],
              extra=("selected", "national"))
    try:
        codes = [CliRunner().invoke(cli.app, args).exit_code for args in (
            ["check", "good/scenario.toml"], ["audit", "good/scenario.toml", "tampered.csv"],
            ["solve", "missing.toml"])]
    finally:
        (workspace / "tampered.csv").unlink()
    assert codes == [0, 1, 2]


# --------------------------------------------------------------------------- run-folder readers
READERS = ["publish", "report", "ledger", "compare"]


@st.composite
def reader_arguments(draw, root: Path, folders: list[str]) -> list[str]:
    """A run-folder reader on a solved folder (or a tampered copy), with fuzzed options."""
    name = draw(st.sampled_from(READERS))
    command, hints = COMMANDS[name]
    positional = [draw(st.sampled_from(folders)) for _ in range(2 if name == "compare" else 1)]
    options = [p for p in command.params if p.param_type_name == "option" and p.name not in ("version", "lang")]
    args: list[str] = []
    for param in draw(st.lists(st.sampled_from(options), max_size=3, unique_by=lambda p: p.name)):
        if param.is_flag:
            args.append(draw(st.sampled_from(param.opts + param.secondary_opts)))
            continue
        good = draw(st.integers(0, 3)) > 0
        args += [draw(st.sampled_from(param.opts)), *draw(_values(hints[param.name], root, param.name, good))[:1]]
    return [name, *positional, *args]


@common(40)
@given(data=st.data())
def test_run_folder_readers_on_a_solved_folder_keep_the_contract(workspace, data):
    _run(workspace, data.draw(reader_arguments(workspace, ["solved", "solved", "empty", "plain.txt", "missing"])))


#: A solved folder tampered as issue 23 (D18) found: every form must be refused with exit 2.
TAMPERED = {
    "summary-list": ("summary.json", b"[1, 2]"),
    "summary-not-json": ("summary.json", b"{bad"),
    "summary-not-utf8": ("summary.json", b"\xff\xfe\x00bad"),
}


def test_run_folder_readers_refuse_a_tampered_folder_with_exit_2(workspace):
    import shutil
    codes = {}
    for form, (name, data) in TAMPERED.items():
        folder = workspace / f"tampered-{form}"
        shutil.copytree(workspace / "solved", folder)
        (folder / name).write_bytes(data)
        try:
            for reader in READERS:
                args = [reader, "solved", folder.name] if reader == "compare" else [reader, folder.name]
                result = CliRunner().invoke(cli.app, [*args, "--out", f"out-{form}-{reader}"], prog_name="planner")
                codes[(form, reader)] = result.exit_code
                assert "Traceback" not in result.stderr
        finally:
            shutil.rmtree(folder)
    assert {k: c for k, c in codes.items() if c != 2} == {}
