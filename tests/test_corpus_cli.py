"""Every case of the odd-and-bad corpus through the real command line, as a planner would run it.

Cases: tests/fixtures/inputs/*/ (candidate tables) and tests/fixtures/scenarios/*/ (scenario files),
each a folder with scenario.toml, its candidate table and expected.toml:

    outcome = "ok" | "error" | "infeasible"
    exit = 2                 # optional; default 0 / 2 / 3 by outcome
    messages = ["…"]         # substrings stderr must hold, each within one line
    out = "blocker/out"      # optional --out, relative to the case folder (default: a fresh folder)
    [slate] selected = […], national = […]   # optional: the expected decisions (worked out by hand)
    [normalised] rows = N    # optional: rows of the slate

Each case is copied to a temporary folder and `planner solve <case>/scenario.toml --out OUT` runs
as a subprocess from the folder above it (so relative paths must resolve against the scenario).
ok: exit 0 and every output written. error/infeasible: the exit code, every expected message on a
line of its own, no traceback, OUT not created and nothing written into the case folder.
"""
from __future__ import annotations

import csv
import io
import shutil
import tomllib

import pytest
from conftest import INPUTS, SCENARIO_CASES, run_cli, tree

OUTPUTS = {"slate.csv", "slate.xlsx", "summary.json", "rules.csv", "explanations.csv"}
EXIT = {"ok": 0, "error": 2, "infeasible": 3}
CASES = sorted(p for root in (INPUTS, SCENARIO_CASES) for p in root.iterdir() if (p / "expected.toml").is_file())


def test_the_corpus_is_complete():
    expected = [tomllib.loads((c / "expected.toml").read_text("utf-8")) for c in CASES]
    outcomes = [e["outcome"] for e in expected]
    assert len(CASES) >= 60 and outcomes.count("ok") >= 20 and outcomes.count("error") >= 30
    assert set(outcomes) <= set(EXIT)
    for case, e in zip(CASES, expected):
        assert (case / "scenario.toml").is_file(), case.name
        assert e["outcome"] == "ok" or e.get("messages"), f"{case.name}: an error case must say what stderr shows"


def _located(message: str) -> bool:
    return any(ext in message.split(": ")[0] for ext in (".csv", ".xlsx", ".toml")) or message.startswith("scenario")


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_case_through_the_cli(case, tmp_path):
    expected = tomllib.loads((case / "expected.toml").read_text("utf-8"))
    folder = tmp_path / case.name
    shutil.copytree(case, folder)
    before = tree(folder)
    out = folder / expected["out"] if "out" in expected else tmp_path / "out"
    done = run_cli("solve", folder / "scenario.toml", "--out", out, "--quiet", "--workers", "1", cwd=tmp_path)
    stderr = done.stderr
    assert "Traceback" not in stderr and "Traceback" not in done.stdout, stderr
    want = expected.get("exit", EXIT[expected["outcome"]])
    assert done.returncode == want, f"exit {done.returncode}, expected {want}\n{stderr}"

    if expected["outcome"] == "ok":
        assert OUTPUTS <= set(tree(out)), sorted(tree(out))
        rows = list(csv.DictReader(io.StringIO((out / "slate.csv").read_text("utf-8-sig"))))
        if "rows" in expected.get("normalised", {}):
            assert len(rows) == expected["normalised"]["rows"]
        slate = expected.get("slate", {})
        for column in ("selected", "national"):
            if column in slate:
                got = sorted(r["candidate_id"] for r in rows if r[column] == "1")
                assert got == sorted(slate[column]), (column, got)
        return

    lines = stderr.splitlines()
    at = []
    for message in expected["messages"]:
        hits = [i for i, line in enumerate(lines) if message in line]
        assert hits, f"{message!r} not on any line of stderr:\n{stderr}"
        if _located(message):
            at.append(hits[0])
    assert len(set(at)) == len(at), f"located problems share a line:\n{stderr}"
    assert all(line.startswith(("错误：", "警告：", "冲突：")) for line in lines if line.strip()), stderr
    assert not out.exists(), "the output folder was created on failure"
    assert tree(folder) == before, "something was written into the case folder"


def test_a_bad_candidate_file_is_said_in_chinese_and_in_english_with_lang_en(tmp_path):
    """`planner solve` on a table with several problems: each a located line on stderr in Chinese
    (错误：文件:行:列：发现 …，应为 …), the same lines in English under ``--lang en``; exit 2 and nothing written."""
    case = INPUTS / "32-several-problems"
    folder = tmp_path / case.name
    shutil.copytree(case, folder)
    zh = run_cli("solve", folder / "scenario.toml", "--out", tmp_path / "out", "--quiet", cwd=tmp_path)
    en = run_cli("--lang", "en", "solve", folder / "scenario.toml", "--out", tmp_path / "out", "--quiet", cwd=tmp_path)
    assert zh.returncode == en.returncode == 2, zh.stderr + en.stderr
    assert not (tmp_path / "out").exists() and "Traceback" not in zh.stderr + en.stderr
    lines = zh.stderr.splitlines()
    assert lines and all(line.startswith("错误：") for line in lines), zh.stderr
    assert 'candidates.csv:2:score：发现 "八十"，应为 0 到 100 之间的数' in zh.stderr
    assert 'candidates.csv:3:locality：发现 "长春县"，应为 以下之一：长春市' in zh.stderr
    assert not any(word in zh.stderr for word in ("found", "expected", "error:", "did you mean"))
    lines = en.stderr.splitlines()
    assert len(lines) == len(zh.stderr.splitlines()) and all(line.startswith("error: ") for line in lines)
    assert 'candidates.csv:2:score: found "八十", expected a number from 0 to 100' in en.stderr
    assert "发现" not in en.stderr and "应为" not in en.stderr and "错误" not in en.stderr
