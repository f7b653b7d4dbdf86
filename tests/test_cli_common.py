"""The CLI's shared frame (planner/cli/_common.py): a refused option value said in Chinese."""
from __future__ import annotations

import pytest
from conftest import REPO, run_cli

from planner.cli._common import _reason_words

SCENARIO = REPO / "scenarios" / "jilin-2023.toml"


@pytest.mark.parametrize("english, chinese", [
    ("Input should be a valid number, unable to parse string as a number", "应为数字"),
    ("Input should be a valid integer, unable to parse string as an integer", "应为整数"),
    ("Input should be a valid integer, got a number with a fractional part", "应为整数，不能有小数"),
    ("Input should be greater than or equal to 0", "应不小于 0"),
    ("Input should be greater than 0", "应大于 0"),
    ("Value error, 'zz' is not one of 'lh', 'max'", "“zz”不是以下之一：'lh', 'max'"),
    ("'abc' is not a valid float.", "“abc”不是数字"),
    ("Path 'x.toml' does not exist.", "“x.toml”不存在"),
    ("something typer may say one day", "something typer may say one day"),     # unknown: kept as written
])
def test_a_refusal_by_typer_or_click_reads_in_chinese(english, chinese):
    assert _reason_words(english) == chinese


def test_the_terminal_says_why_a_value_was_refused_in_chinese_and_exits_2():
    done = run_cli("solve", SCENARIO, "--seed", "-5")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "'--seed' 的值无效：应不小于 0" in done.stderr
    assert "greater than" not in done.stderr
    english = run_cli("--lang", "en", "solve", SCENARIO, "--seed", "-5")
    assert english.returncode == 2 and "Input should be greater than or equal to 0" in english.stderr


def test_the_files_a_scenario_reads_include_its_table_and_history(tmp_path):
    from planner.cli._common import read_files
    from planner.rules import load_scenario

    files = read_files(SCENARIO)
    scenario = load_scenario(SCENARIO)
    assert files == [scenario.source, scenario.candidates, *scenario.history]
    assert scenario.candidates.name.endswith(".csv") and scenario.candidates.is_file()
    assert read_files(None) == []
    broken = tmp_path / "broken.toml"
    broken.write_text("year = = 1\n", "utf-8")
    assert read_files(broken) == [broken]            # the command itself says why it cannot be read


def test_a_single_file_output_is_never_written_over_the_candidate_table_it_read(tmp_path):
    """Found by the CLI fuzzer: `planner ledger RUN --out <the scenario's candidates.csv>` wrote
    the ledger over the candidate table (the scenario came from summary.json, so its table was not
    among the files the command refused)."""
    from conftest import row, write_case

    rows = [row(f"C{i}", score=60.0 + 3 * i) for i in range(4)]
    scenario = write_case(tmp_path / "case", rows, {"rule": [{"id": "cap", "clause": "三(三)", "max": 2}]})
    table = scenario.parent / "candidates.csv"
    before = table.read_bytes()
    assert run_cli("solve", scenario, "--out", tmp_path / "run", "-q").returncode == 0
    for args in (("ledger", tmp_path / "run", "--out", table),
                 ("explain", scenario, "--all", "--out", table)):
        done = run_cli(*args)
        assert done.returncode == 2 and "Traceback" not in done.stderr, (args, done.stderr)
        assert "是本命令读取的输入文件，不能覆盖" in done.stderr
        assert table.read_bytes() == before


def test_a_library_warning_reads_in_the_terminals_frame_and_language(tmp_path):
    """A round after the first given ``history = []`` is solved on its own, with a warning that
    says so — in Chinese under 警告：, not as ``WARNING: … no history``."""
    from conftest import row, write_case

    rows = [row(f"C{i}", score=60.0 + 3 * i, year=2024) for i in range(4)]
    scenario = write_case(tmp_path / "case", rows, {"year": 2024, "period": [2023, 2025], "history": [],
                                                    "rule": [{"id": "cap", "clause": "三(三)", "max": 2}]})
    done = run_cli("solve", scenario, "--out", tmp_path / "run", "-q")
    assert done.returncode == 0, done.stderr
    assert "警告：" in done.stderr and "2024 年度评审没有历史名单——2023 年度已认定的项目未锁定" in done.stderr
    assert "WARNING" not in done.stderr
    english = run_cli("--lang", "en", "solve", scenario, "--out", tmp_path / "run-en", "-q")
    assert "warning: " in english.stderr and "a 2024 round with no history" in english.stderr
