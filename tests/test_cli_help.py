"""Help pages and the language of the terminal (`planner.cli._help`, `planner.cli._messages`).

Every command's ``--help`` is Chinese — the command's own text and the help of each option —
with the option names as they are and no ``<bool>`` type on flags; ``--lang en`` (before or after
the command) gives the English help and output.
"""
from __future__ import annotations

import re

import click
import pytest
import typer.main
from typer.testing import CliRunner

from planner.cli import _help
from planner.cli import root as cli

CJK = re.compile(r"[\u4e00-\u9fff]")
GROUP = typer.main.get_command(cli.app)
COMMANDS = sorted(GROUP.list_commands(click.Context(GROUP)))


def invoke(*args: str):
    result = CliRunner().invoke(cli.app, list(args), prog_name="planner", env={"COLUMNS": "100"})
    return result.exit_code, result.stdout, result.stderr


def test_every_option_of_every_command_has_chinese_help_in_the_catalogue():
    missing = []
    for name in COMMANDS:
        command = GROUP.get_command(click.Context(GROUP), name)
        if not CJK.search(_help.help_of(name, "") or ""):
            missing.append(f"{name}: (the command)")
        missing += [f"{name} {p.name}" for p in command.params if p.name not in cli.SHARED
                    and not CJK.search(_help.help_of(name, p.name) or "")]
    assert missing == []


@pytest.mark.parametrize("name", COMMANDS)
def test_help_is_chinese_with_the_option_names_and_no_bool(name):
    code, out, _ = invoke(name, "--help")
    assert code == 0 and "<bool>" not in out and "Usage: planner " + name in out
    command = GROUP.get_command(click.Context(GROUP), name)
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.opts[0] in out, (name, param.opts[0])
    # each option's row carries Chinese: every line of the options panel that names an option
    rows = [line for line in out.splitlines() if re.search(r"│\s+--[a-z]", line)]
    assert rows and all(CJK.search(line) for line in rows), "\n".join(r for r in rows if not CJK.search(r))


def test_lang_en_gives_the_english_help_and_no_bool():
    code, out, _ = invoke("--lang", "en", "solve", "--help")
    assert code == 0 and "seconds for the whole solve" in out and "<bool>" not in out
    assert not CJK.search(out.split("Options")[1].split("--verify")[0])
    code, out, _ = invoke("solve", "--help", "--lang", "en")
    assert code == 0 and "pin a candidate" in out and "强制某个项目入选" not in out
    code, out, _ = invoke("solve", "--help")                     # the next command is Chinese again
    assert code == 0 and "强制某个项目入选" in out


def test_the_group_help_is_chinese_and_lists_every_command():
    code, out, _ = invoke("--help")
    assert code == 0 and "<bool>" not in out and "显示版本号后退出" in out
    assert all(name in out for name in COMMANDS)
    listed = [line for line in out.splitlines() if re.match(r"│ [a-z]+ +", line)]
    assert listed and all(CJK.search(line) for line in listed)


@pytest.mark.parametrize("option", ["--out", "--findings", "--candidates"])
def test_an_empty_path_is_refused_before_anything_runs(option, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = {"--out": ["solve", "x.toml", "--out", ""], "--findings": ["audit", "x.toml", "s.csv", "--findings", ""],
            "--candidates": ["check", "x.toml", "--candidates="]}[option]
    code, out, err = invoke(*args)
    assert code == 2 and f'{option} ""' in err and "不能为空" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["ledger", "compare", "plan", "explain", "equity", "robust", "sweep", "report",
                                     "publish"])
def test_every_command_with_out_refuses_an_empty_one(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = {"compare": ["a", "b"], "ledger": ["a"], "report": ["a"], "publish": ["a"]}.get(command, ["x.toml"])
    code, _, err = invoke(command, *first, "--out", "")
    assert code == 2 and '--out ""' in err and list(tmp_path.iterdir()) == []


def test_sweep_refuses_zero_samples_like_robust():
    for command in ("sweep", "robust"):
        code, _, err = invoke(command, "x.toml", "--samples", "0")
        assert code == 2 and "--samples" in err and "Traceback" not in err, (command, err)
