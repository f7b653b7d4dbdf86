"""Tests of planner.rules.round_years: a table of another year, and a history not yet written,
named as such (cause and fix) before anything is solved — exit 2, nothing written."""
from __future__ import annotations

import shutil

import pytest
from conftest import REPO, row, run_cli, scenario_of, typed_frame

from planner.errors import InputError
from planner.rules import check_history_files, check_table_year, load_scenario


def test_a_table_without_a_row_of_the_scenarios_year_is_refused_in_one_line():
    frame = typed_frame([row("A", year=2024), row("B", year=2024)])
    frame.attrs["source"] = "t.csv"
    with pytest.raises(InputError) as caught:
        check_table_year(frame, scenario_of({"period": [2023, 2025]}))
    assert len(caught.value.lines()) == 1
    assert "这张候选表的年度是 2024，情景的年度是 2023" in caught.value.lines()[0]


def test_a_table_holding_rows_of_the_scenarios_year_passes_even_with_other_years():
    check_table_year(typed_frame([row("A", year=2023), row("B", year=2024)]), scenario_of({"period": [2023, 2025]}))


def test_the_2024_table_given_to_the_2023_scenario_exit_2_before_any_solve(tmp_path):
    out = tmp_path / "out"
    done = run_cli("solve", REPO / "scenarios" / "jilin-2023.toml", "--candidates",
                   REPO / "data" / "jilin" / "candidates_2024.csv", "--out", out)
    assert done.returncode == 2
    assert "这张候选表的年度是 2024，情景的年度是 2023" in done.stderr
    assert "jilin-2024.toml" in done.stderr                      # the fix: the scenario the table belongs to
    assert "co-national-split" not in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1 and not out.exists()


@pytest.fixture
def project(tmp_path):
    """The bundled scenarios and tables in a fresh folder where no round has been run yet."""
    shutil.copytree(REPO / "scenarios", tmp_path / "scenarios")
    shutil.copytree(REPO / "data", tmp_path / "data")
    return tmp_path


def test_the_2024_round_before_the_2023_slate_exists_says_run_2023_first(project):
    done = run_cli("solve", "scenarios/jilin-2024.toml", "--out", "out/jilin-2024", cwd=project)
    assert done.returncode == 2, done.stderr
    line, = done.stderr.splitlines()
    assert line.startswith("error: 请先求解2023年度的轮次：out/jilin-2023/slate.csv 不存在")
    assert "planner solve scenarios/jilin-2023.toml --out out/jilin-2023" in line
    assert not (project / "out").exists()


def test_each_missing_history_slate_is_named_with_its_round(project):
    scenario = load_scenario(project / "scenarios" / "jilin-2025.toml")
    with pytest.raises(InputError) as caught:
        check_history_files(scenario)
    lines = caught.value.lines()
    assert len(lines) == 2
    assert lines[0].startswith("请先求解2023年度的轮次：") and "jilin-2023" in lines[0]
    assert lines[1].startswith("请先求解2024年度的轮次：") and "jilin-2024" in lines[1]
    (project / "out" / "jilin-2023").mkdir(parents=True)
    (project / "out" / "jilin-2023" / "slate.csv").write_text("x", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        check_history_files(scenario)
    assert len(caught.value.lines()) == 1 and "请先求解2024年度的轮次" in caught.value.lines()[0]
