"""Tests of planner.audit.table and `planner audit`: a slate compared with its candidate table,
its score set against the optimum, long findings summarised, slates of another year refused.

Tampered slates are built from the bundled 2023 round's own slate; every expected finding is the
edit the test made (the row deleted, the cell changed), never a copy of the program's output.
"""
from __future__ import annotations

import pandas as pd
import pytest
from conftest import REPO, row, run_cli, typed_frame

from planner import api
from planner.audit import FIXED_COLUMNS, check_slate, compare_with_table, compared_columns, summarise
from planner.errors import InputError
from planner.rules import load_scenario

SCENARIO = REPO / "scenarios" / "jilin-2023.toml"


# --------------------------------------------------------------------------- compare_with_table
def frames(slate_rows, table_rows):
    slate, table = typed_frame(slate_rows), typed_frame(table_rows)
    slate.attrs.update(source="slate.csv", first_data_row=2)
    table.attrs.update(source="data/candidates.csv", first_data_row=2)
    return slate, table


TABLE = [row("A", score=90.0), row("B", score=80.0, locality="吉林市"), row("C", score=70.0)]


def test_an_unchanged_slate_in_another_order_has_no_findings():
    slate, table = frames(list(reversed(TABLE)), TABLE)
    assert compare_with_table(slate, table) == []


def test_deleted_added_and_doubled_rows_are_located():
    slate, table = frames([TABLE[0], row("X", score=1.0), TABLE[0]], TABLE)
    found = [str(p) for p in compare_with_table(slate, table)]
    assert found == [
        'slate.csv:4:candidate_id：发现 "A" 重复（首次出现在第 2 行），应为 每个项目只出现一次',
        'slate.csv:3:candidate_id：发现 "X"，candidates.csv 中没有这个项目，应为 candidates.csv 中的项目编号',
        'slate.csv:candidate_id：发现 没有 "B" 这一行（candidates.csv 第 3 行），应为 candidates.csv 的每个项目（是否删掉了一行？）',
        'slate.csv:candidate_id：发现 没有 "C" 这一行（candidates.csv 第 4 行），应为 candidates.csv 的每个项目（是否删掉了一行？）',
    ]


def test_every_changed_fixed_cell_is_reported_with_found_and_expected():
    edited = [dict(TABLE[0], score=95.5), dict(TABLE[1], locality="长春市", exempt=True), dict(TABLE[2], tier="")]
    slate, table = frames(edited, TABLE)
    found = [(p.row, p.column, p.found, p.expected) for p in compare_with_table(slate, table)]
    assert found == [(2, "score", "95.5", "90（与 candidates.csv 第 2 行相同）"),
                     (3, "locality", '"长春市"', '"吉林市"（与 candidates.csv 第 3 行相同）'),
                     (3, "exempt", "是", "否（与 candidates.csv 第 3 行相同）")]


def test_a_score_changed_below_the_tolerance_is_no_change():
    slate, table = frames([dict(TABLE[0], score=90.0 + 1e-9), TABLE[1], TABLE[2]], TABLE)
    assert compare_with_table(slate, table) == []


def test_a_slate_with_chinese_headers_names_the_changed_column_as_its_header(tmp_path):
    """slate.xlsx is written with Chinese headers: a changed score is told at 评审分数, as the office sees it."""
    from planner.inputs import load_candidates
    from planner.inputs.labels import to_chinese

    slate, table = frames([dict(TABLE[0], score=95.5), TABLE[1], TABLE[2]], TABLE)
    path = tmp_path / "slate.csv"
    to_chinese(slate).to_csv(path, index=False)
    read = load_candidates(path)
    found = [(p.row, p.column, p.found) for p in compare_with_table(read, table)]
    assert found == [(2, "评审分数", "95.5")]


def test_summarise_counts_kinds_and_keeps_the_rest_for_a_file():
    lines = [f"line {i}" for i in range(25)]
    kinds = ["a"] * 3 + ["b"] * 22
    head, rest = summarise(lines, kinds)
    assert head[0] == "共 25 条问题：a 3 条；b 22 条"
    assert head[1:] == lines[:20] and rest == lines[20:]
    assert summarise(["x"], ["k"]) == (["共 1 条问题：k 1 条", "x"], [])
    many = [f"k{i}" for i in range(15) for _ in range(2)]
    head, _ = summarise(many, many)
    assert head[0] == "共 30 条问题：" + "；".join(f"k{i} 2 条" for i in range(12)) + "；其余 3 类共 6 条"


# --------------------------------------------------------------------------- the bundled round, tampered
@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("jilin-2023")
    api.save(api.solve(SCENARIO), folder)
    return folder


def slate_text(run) -> pd.DataFrame:
    return pd.read_csv(run / "slate.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")


def test_the_solvers_slate_passes_with_the_same_total_as_its_run(run):
    done = run_cli("audit", SCENARIO, run / "slate.xlsx", "--against", run)
    assert done.returncode == 0, done.stderr
    assert "审核通过" in done.stdout and "合计相同" in done.stdout


def test_deleted_rows_one_of_them_selected_exit_1_each_located(run, tmp_path):
    s = slate_text(run)
    chosen = s.index[s["selected"] == "1"][0]
    gone = [chosen, *s.index[s["selected"] == "0"][:4]]
    path = tmp_path / "edited.csv"
    s.drop(index=gone).to_csv(path, index=False)
    done = run_cli("audit", SCENARIO, path, "--no-optimum")
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    assert lines[0].startswith("违规：共 5 条问题：名单中缺少的项目 5 条")
    for i in gone:
        assert any(f'没有 "{s.at[i, "candidate_id"]}" 这一行' in line and "edited.csv" in line for line in lines)
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("column, value", [("score", "99.9"), ("locality", "白城市"), ("unit_id", "G-NEW"),
                                           ("level", "secondary")])
def test_a_changed_fixed_cell_exit_1_with_file_row_column(run, tmp_path, column, value):
    s = slate_text(run)
    i = s.index[(s[column] != value) & (s["unit_kind"] == "government")][0]
    old = s.at[i, column]
    s.at[i, column] = value
    path = tmp_path / "edited.csv"
    s.to_csv(path, index=False)
    done = run_cli("audit", SCENARIO, path, "--no-optimum")
    assert done.returncode == 1, done.stderr
    wanted = f"edited.csv:{i + 2}:{column}：发现 "
    line = next(x for x in done.stderr.splitlines() if wanted in x)
    assert value in line and f"应为 {old}" in line.replace('"', "") + ""


def test_a_changed_tier_and_an_unknown_id_are_findings(run, tmp_path):
    s = slate_text(run)
    i = s.index[s["tier"] == "national_double_high"][0]
    s.at[i, "tier"] = "other_higher"
    extra = s.iloc[[0]].assign(candidate_id="C2023-99999")
    path = tmp_path / "edited.csv"
    pd.concat([s, extra]).to_csv(path, index=False)
    done = run_cli("audit", SCENARIO, path, "--no-optimum")
    assert done.returncode == 1
    assert f'edited.csv:{i + 2}:tier：发现 "other_higher"，应为 "national_double_high"' in done.stderr
    assert f'edited.csv:{len(s) + 2}:candidate_id：发现 "C2023-99999"' in done.stderr


def test_a_doubled_row_is_refused_located(run, tmp_path):
    s = slate_text(run)
    path = tmp_path / "edited.csv"
    pd.concat([s, s.iloc[[5]]]).to_csv(path, index=False)
    done = run_cli("audit", SCENARIO, path, "--no-optimum")
    assert done.returncode in (1, 2) and f"edited.csv:{len(s) + 2}:candidate_id" in done.stderr
    assert s.at[5, "candidate_id"] in done.stderr and "Traceback" not in done.stderr


def test_format_only_edits_keep_passing(run, tmp_path):
    s = slate_text(run)
    s["selected"] = s["selected"].map({"1": "是", "0": "否"})
    s["national"] = s["national"].map({"1": "是", "0": "否"})
    s["eligible"] = s["eligible"].map({"True": "是", "False": "否"})
    s = s.drop(columns="reason").sort_values(["locality", "score"], kind="stable")
    path = tmp_path / "gbk.csv"
    s.to_csv(path, index=False, encoding="gbk")
    done = run_cli("audit", SCENARIO, path, "--against", run)
    assert done.returncode == 0, done.stderr
    assert "合计相同" in done.stdout


def test_a_slate_edited_within_the_rules_passes_and_shows_the_points_lost(run, tmp_path):
    scenario = load_scenario(SCENARIO)
    table = pd.read_csv(run / "slate.csv", encoding="utf-8-sig")
    chosen = table.index[table["selected"] == 1]
    # The auditor (not the solver) finds a selected candidate whose removal keeps every rule.
    drop = next(i for i in chosen if check_slate(table.assign(selected=table["selected"].where(table.index != i, 0)),
                                                 scenario).ok)
    edited = table.copy()
    edited.at[drop, "selected"] = 0
    path = tmp_path / "fewer.csv"
    edited.to_csv(path, index=False)
    done = run_cli("audit", SCENARIO, path, "--against", run)
    assert done.returncode == 0, done.stderr
    points = table.at[drop, "score"]
    total = table.loc[chosen, "score"].sum()
    assert f"本名单 {total - points:.1f}" in done.stdout
    assert f"比最优少 {points:g} 分" in done.stdout
    assert f"{table.at[drop, 'title']}（{table.at[drop, 'candidate_id']}，{points:g}）" in done.stdout


def test_the_api_compares_scores_when_asked(run):
    report = api.audit_file(SCENARIO, run / "slate.csv", against=run)
    assert report.ok and report.score.difference == pytest.approx(0.0)
    assert report.score.slate_total == pytest.approx(pd.read_csv(run / "slate.csv").query("selected == 1")["score"].sum())


# --------------------------------------------------------------------------- long outputs
def test_many_violations_a_summary_first_twenty_in_full_the_rest_in_a_file(run, tmp_path):
    s = slate_text(run)
    s["selected"] = "1"                    # every candidate: ineligible ones and quotas break
    path = tmp_path / "all.csv"
    s.to_csv(path, index=False)
    done = run_cli("audit", SCENARIO, path, "--no-optimum", "--findings", tmp_path / "all.txt")
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    n_ineligible = int((s["eligible"] == "False").sum())
    total = int(lines[0].split()[1])
    assert lines[0].startswith(f"违规：共 {total} 条问题：")
    assert f"不能入选却已入选（ineligible） {n_ineligible} 条" in lines[0] or n_ineligible == 0
    assert len(lines) == 1 + 20 + 1 and "全部问题见" in lines[-1]
    written = (tmp_path / "all.txt").read_text(encoding="utf-8").splitlines()
    assert len(written) == total
    assert [f"违规：{x}" for x in written[:20]] == lines[1:21]


# --------------------------------------------------------------------------- wrong year
def test_a_slate_of_another_year_is_one_line_exit_2(run, tmp_path):
    s = slate_text(run)
    s["year"] = "2024"
    path = tmp_path / "slate-2024.csv"
    s.to_csv(path, index=False)
    done = run_cli("audit", SCENARIO, path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "这张名单的年度是 2024，情景的年度是 2023" in done.stderr
    assert "jilin-2024.toml" in done.stderr
    with pytest.raises(InputError, match="这张名单的年度是 2024"):
        api.audit_file(SCENARIO, path)


def test_the_table_given_with_candidates_replaces_the_scenarios(run, tmp_path):
    table = pd.read_csv(REPO / "data" / "jilin" / "candidates_2023.csv", dtype=str, keep_default_na=False,
                        encoding="utf-8-sig")
    table.at[0, "score"] = "12.5"
    other = tmp_path / "other.csv"
    table.to_csv(other, index=False)
    done = run_cli("audit", SCENARIO, run / "slate.csv", "--candidates", other, "--no-optimum")
    assert done.returncode == 1
    assert "slate.csv:2:score：发现 " in done.stderr and "应为 12.5（与 other.csv 第 2 行相同）" in done.stderr


# --------------------------------------------------------------------------- columns the rules read (D3)
def test_the_compared_columns_are_those_the_rules_read_then_every_other_column_of_the_table():
    from conftest import scenario_of
    scenario = scenario_of({"rule": [
        {"id": "zone", "clause": "x", "where": {"zone": "北"}, "max": 1},
        {"id": "cost", "clause": "x", "per": ["district"], "measure": "sum:weight", "max": 9}]})
    table = typed_frame([dict(r, note="", zone="北", district="d", weight="1") for r in TABLE],
                        extra=("note", "zone", "district", "weight"))
    columns = compared_columns(table, scenario)
    fixed = [c for c in FIXED_COLUMNS if c in table.columns]
    assert columns[:len(fixed)] == fixed
    assert columns[len(fixed):] == ["zone", "district", "weight", "title", "note"]


@pytest.mark.parametrize("column, old, new", [("core_course", "false", "true"), ("consortium_id", "", "C9"),
                                              ("zone", "南", "北")])
def test_a_changed_cell_of_a_column_only_a_rule_or_the_availability_reads_is_a_finding(column, old, new):
    """D3: core_course flipped to true on an ineligible course passed, and so did consortium_id."""
    from conftest import scenario_of
    scenario = scenario_of({"rule": [{"id": "zone", "clause": "x", "where": {"zone": "北"}, "max": 1}]})
    extra = ("core_course", "consortium_id", "zone")
    rows = [dict(r, core_course="false", consortium_id="", zone="南") for r in TABLE]
    edited = [dict(rows[0]), dict(rows[1], **{column: new}), dict(rows[2])]
    slate, table = typed_frame(edited, extra=extra), typed_frame(rows, extra=extra)
    slate.attrs.update(source="slate.csv", first_data_row=2)
    table.attrs.update(source="candidates.csv", first_data_row=2)
    found = [(p.row, p.column) for p in compare_with_table(slate, table, scenario)]
    assert found == [(3, column)]
    assert rows[1][column] == old


def test_the_same_flag_written_otherwise_in_an_extra_column_is_no_change():
    rows = [dict(r, core_course="false") for r in TABLE]
    slate, table = typed_frame([dict(rows[0], core_course="否"), rows[1], dict(rows[2], core_course="0")],
                               extra=("core_course",)), typed_frame(rows, extra=("core_course",))
    assert compare_with_table(slate, table) == []


def test_a_column_the_table_holds_dropped_from_the_slate_is_a_finding():
    rows = [dict(r, core_course="true") for r in TABLE]
    slate, table = typed_frame(TABLE), typed_frame(rows, extra=("core_course",))
    slate.attrs.update(source="slate.csv", first_data_row=2)
    found = compare_with_table(slate, table)
    assert [(p.row, p.column, p.found) for p in found] == [(1, "core_course", '没有 "core_course" 列')]


def test_the_bundled_slate_with_core_course_flipped_on_an_ineligible_course_fails(run, tmp_path):
    s = slate_text(run)
    ineligible = s.index[(s["task"] == "core_course") & (s["core_course"] == "false")][0]
    linked = s.index[s["consortium_id"] != ""][0]
    s.loc[ineligible, "core_course"] = "true"
    s.loc[linked, "consortium_id"] = "C2023-99999"
    path = tmp_path / "edited.csv"
    s.to_csv(path, index=False)
    done = run_cli("audit", SCENARIO, path, "--no-optimum")
    assert done.returncode == 1, done.stdout
    assert f"edited.csv:{ineligible + 2}:core_course：发现 \"true\"，应为 \"false\"" in done.stderr
    assert f"edited.csv:{linked + 2}:consortium_id：发现 \"C2023-99999\"" in done.stderr
