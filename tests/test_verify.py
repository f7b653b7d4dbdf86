"""Tests of planner.verify: re-running a recorded round and confirming the same slate."""
from __future__ import annotations

import json

import pytest
from conftest import row, run_cli, tree, write_case

from planner import api
from planner.api.verify import verify
from planner.errors import InputError

ROWS = [row(f"C{i}", score=60.0 + 3 * i, locality=["长春市", "吉林市", "四平市"][i % 3]) for i in range(9)]
SCENARIO = {"rule": [{"id": "cap", "clause": "三(三)", "per": ["locality"], "max": {"长春市": 2, "*": 1}}]}


@pytest.fixture
def solved(tmp_path):
    """A round solved and saved as `planner solve` does (absolute input paths)."""
    path = write_case(tmp_path / "case", ROWS, SCENARIO)
    result = api.solve(path, workers=1, seed=3, time_limit_s=20)
    out = tmp_path / "out"
    api.save(result, out)
    return path, out


def test_an_untouched_run_is_confirmed_and_nothing_is_written(solved):
    path, out = solved
    before = tree(out)
    report = verify(out)
    assert report.ok and report.rerun and report.same_slate
    assert report.scenario == path and report.recorded_status == report.status == "OPTIMAL"
    assert report.rerun_sha256 == report.recorded_sha256
    assert "已验证" in report.lines()[0]
    assert tree(out) == before


def test_the_recorded_seed_workers_and_backend_are_used(solved, monkeypatch):
    _, out = solved
    from planner import rounds as chain
    calls = []
    real = chain.solve

    def spy(*args, **kw):
        calls.append(kw)
        return real(*args, **kw)

    monkeypatch.setattr(chain, "solve", spy)
    verify(out)
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert calls and calls[0]["seed"] == summary["seed"] == 3 and calls[0]["workers"] == summary["workers"] == 1
    assert calls[0]["time_limit_s"] == summary["time_limit_s"] == 20
    assert calls[0].get("backend", "cpsat") == summary.get("backend", "cpsat")


def test_a_changed_input_is_reported_and_not_re_solved(solved, monkeypatch):
    path, out = solved
    table = path.parent / "candidates.csv"
    table.write_text(table.read_text("utf-8").replace("60", "61", 1), "utf-8")
    monkeypatch.setattr(api, "solve", lambda *a, **k: pytest.fail("re-solved although an input changed"))
    report = verify(out)
    assert not report.ok and not report.rerun and report.same_slate is None
    assert report.changed == [str(table)]
    assert any("运行后已被改动" in line and "未重新求解" in line for line in report.lines())


def test_a_missing_input_is_reported(solved):
    path, out = solved
    path.unlink()
    report = verify(out)
    assert not report.ok and report.missing == [str(path)] and not report.rerun


def test_a_slate_edited_after_the_run_is_a_different_slate(solved):
    _, out = solved
    slate = out / "slate.csv"
    lines = slate.read_text("utf-8-sig").splitlines()
    lines[1] = lines[1][:-1] + ("0" if lines[1].endswith("1") else "1")     # flip the last field of row 1
    slate.write_text("\n".join(lines) + "\n", "utf-8-sig")
    report = verify(out)
    assert report.rerun and report.same_slate is False and not report.ok
    assert any("不同的 slate.csv" in line for line in report.lines())


def test_a_folder_without_a_summary_or_with_a_broken_one_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="summary.json：发现 没有这个文件"):
        verify(tmp_path)
    (tmp_path / "summary.json").write_text('{"status": "OPTIMAL",\n "seed": }', "utf-8")
    (tmp_path / "slate.csv").write_text("x\n", "utf-8")
    with pytest.raises(InputError) as info:
        verify(tmp_path)
    assert info.value.lines()[0].startswith(f"{tmp_path / 'summary.json'}:2:第 10 列：发现 不是有效的 JSON")


def test_an_in_memory_table_cannot_be_verified(tmp_path):
    from conftest import scenario_of, typed_frame
    result = api.solve(scenario_of(SCENARIO), candidates=typed_frame(ROWS), workers=1)
    api.save(result, tmp_path / "out")
    report = verify(tmp_path / "out")
    assert not report.ok and "<candidates frame>" in report.missing


def test_relative_paths_verify_from_the_folder_the_run_was_made_in(tmp_path, monkeypatch):
    write_case(tmp_path / "case", ROWS, SCENARIO)
    monkeypatch.chdir(tmp_path)
    api.save(api.solve("case/scenario.toml", workers=1), "out")
    assert verify("out").ok


def test_relative_paths_verify_from_any_folder_while_the_run_folder_exists(tmp_path, monkeypatch):
    write_case(tmp_path / "case", ROWS, SCENARIO)
    monkeypatch.chdir(tmp_path)
    api.save(api.solve("case/scenario.toml", workers=1), "out")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    report = verify(tmp_path / "out")
    assert report.ok and report.scenario == tmp_path / "case" / "scenario.toml"


def test_a_relative_input_missing_everywhere_names_where_it_was_looked_for(tmp_path, monkeypatch):
    write_case(tmp_path / "case", ROWS, SCENARIO)
    monkeypatch.chdir(tmp_path)
    api.save(api.solve("case/scenario.toml", workers=1), "out")
    (tmp_path / "case" / "candidates.csv").rename(tmp_path / "moved.csv")
    report = verify("out")
    assert not report.ok and any("candidates.csv" in m for m in report.missing)
    assert any(f"已在 {tmp_path}" in p for p in report.problems)


def test_a_run_on_another_candidate_table_is_re_run_on_that_table(tmp_path):
    path = write_case(tmp_path / "case", ROWS, SCENARIO)
    other = tmp_path / "other.csv"
    from conftest import write_csv
    write_csv(other, ROWS[:5])
    api.save(api.solve(path, candidates=other, workers=1), tmp_path / "out")
    report = verify(tmp_path / "out")
    assert report.ok and report.candidates == other


def test_the_cli_verifies_an_output_folder(solved):
    path, out = solved
    before = tree(out)
    done = run_cli("solve", "--verify", out)
    assert done.returncode == 0, done.stderr
    assert "已验证" in done.stdout and "Traceback" not in done.stderr
    assert tree(out) == before
    table = path.parent / "candidates.csv"
    table.write_text(table.read_text("utf-8").replace("60", "61", 1), "utf-8")
    done = run_cli("solve", "--verify", out)
    assert done.returncode != 0 and "运行后已被改动" in done.stderr and "Traceback" not in done.stderr
    assert tree(out) == before


# --------------------------------------------------------------------------- what-ifs and tampering
@pytest.fixture
def whatif(tmp_path):
    """A what-if (长春市 capped at 1 instead of 2) solved and saved; the base slate differs."""
    path = write_case(tmp_path / "case", ROWS, SCENARIO)
    from planner.rules import load_scenario
    base = load_scenario(path)
    result = api.solve(base.with_bound("cap", "max", 1, group="长春市", note="试算"), workers=1, seed=3)
    plain = api.solve(base, workers=1, seed=3)
    assert result.slate["selected"].tolist() != plain.slate["selected"].tolist()
    out = tmp_path / "out"
    api.save(result, out)
    return path, out


def test_a_saved_what_if_records_its_edits_and_verifies(whatif):
    _, out = whatif
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["edits"] == [{"what": "bound", "rule": "cap", "group": "长春市", "key": "max", "old": 2,
                                 "new": 1, "note": "试算", "clause": "三(三)"}]
    report = verify(out)
    assert report.ok, report.problems
    done = run_cli("solve", "--verify", out)
    assert done.returncode == 0 and "已验证" in done.stdout, done.stderr


def test_a_changed_edit_fails(whatif):
    _, out = whatif
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    summary["edits"][0]["new"] = 2
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False), "utf-8")
    report = verify(out)
    assert not report.ok and report.same_slate is False
    done = run_cli("solve", "--verify", out)
    assert done.returncode == 1 and "不同的 slate.csv" in done.stderr and "Traceback" not in done.stderr


def test_an_edited_slate_xlsx_fails(whatif):
    import openpyxl
    _, out = whatif
    book = openpyxl.load_workbook(out / "slate.xlsx")
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    col = header.index("省级入选") + 1                # the workbook people open is in Chinese (是/否)
    cell = sheet.cell(row=2, column=col)
    assert cell.value in ("是", "否")
    cell.value = "否" if cell.value == "是" else "是"
    book.save(out / "slate.xlsx")
    report = verify(out)
    assert report.same_slate is True and not report.ok                  # slate.csv itself is untouched
    assert any(str(out / "slate.xlsx") + ":2:" in p for p in report.problems)
    done = run_cli("solve", "--verify", out)
    assert done.returncode == 1 and "slate.xlsx" in done.stderr


def test_an_edited_summary_fails(whatif):
    _, out = whatif
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    summary["n_selected"] += 1
    summary["total_score"] = 999.0
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False), "utf-8")
    report = verify(out)
    assert not report.ok
    assert any("n_selected 记录为" in p for p in report.problems)
    assert any("total_score 记录为 999.0" in p for p in report.problems)


@pytest.mark.parametrize("key, value", [("seed", "abc"), ("seed", 10 ** 30), ("workers", -3),
                                        ("time_limit_s", "fast"), ("edits", {"what": "bound"}),
                                        ("edits", [{"what": "teleport"}])])
def test_a_hand_edited_setting_is_a_located_input_error(whatif, key, value):
    _, out = whatif
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    summary[key] = value
    (out / "summary.json").write_text(json.dumps(summary), "utf-8")
    with pytest.raises(InputError) as info:
        verify(out)
    assert str(out / "summary.json") in info.value.lines()[0]
    done = run_cli("solve", "--verify", out)
    assert done.returncode == 2 and "Traceback" not in done.stderr and key in done.stderr


def test_a_run_without_a_time_limit_verifies(tmp_path):
    path = write_case(tmp_path / "case", ROWS, SCENARIO)
    done = run_cli("solve", path, "--out", tmp_path / "out", "--time-limit", "inf", "--workers", "1", "-q")
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))["time_limit_s"] is None
    done = run_cli("solve", "--verify", tmp_path / "out")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr


def test_a_moved_project_verifies(tmp_path, monkeypatch):
    project = tmp_path / "project"
    write_case(project / "case", ROWS, SCENARIO)
    monkeypatch.chdir(project)
    from planner.rules import load_scenario
    api.save(api.solve(load_scenario("case/scenario.toml").with_bound("cap", "max", 1, group="长春市"),
                       workers=1), "out")
    summary_path = project / "out" / "summary.json"
    summary = json.loads(summary_path.read_text("utf-8"))
    assert summary["scenario"] == str(project / "case" / "scenario.toml")     # absolute: found again below
    moved = tmp_path / "elsewhere" / "project2"
    moved.parent.mkdir()
    monkeypatch.chdir(tmp_path)
    project.rename(moved)
    monkeypatch.chdir(moved)
    report = verify("out")
    assert report.ok, report.problems
    monkeypatch.chdir(tmp_path)                                         # and from outside the project
    assert verify(moved / "out").ok


def test_a_what_if_that_withdrew_units_verifies(tmp_path):
    rows = [{**r, "unit_id": f"U{i}", "unit_name": f"单位{i}"} for i, r in enumerate(ROWS)]
    path = write_case(tmp_path / "case", rows, SCENARIO)
    session = api.Session(path, workers=1)
    table = api.without_units(session.candidates, "U8", note="撤回")
    result = session.solve(candidates=table)
    assert len(result.slate) == len(rows) - 1
    assert result.summary["edits"][-1]["what"] == "units"
    api.save(result, tmp_path / "out")
    assert verify(tmp_path / "out").ok
    summary = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    summary["edits"][-1]["new"] = ["U7"]
    (tmp_path / "out" / "summary.json").write_text(json.dumps(summary, ensure_ascii=False), "utf-8")
    report = verify(tmp_path / "out")
    assert not report.ok and any("与该次运行求解的表格不同" in p for p in report.problems)


# --------------------------------------------------------------------------- everything a run publishes (D11)
def test_an_edited_reason_in_explanations_is_not_verified(solved):
    """D11: an edited reason verified, and the letter printed it."""
    _, out = solved
    path = out / "explanations.csv"
    lines = path.read_text("utf-8-sig").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    reason = header.index("reason")
    cells[reason] = "材料不全，不予推荐"
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", "utf-8-sig")
    report = verify(out)
    assert not report.ok and report.same_slate is True          # the slate itself is untouched
    assert any(line.startswith(f"{path}:2:reason：发现 \"材料不全，不予推荐\"") for line in report.problems)


@pytest.mark.parametrize("status", ["OPTIMAL", "FEASIBLE"])
def test_edited_numbers_in_the_summary_are_not_verified_whatever_the_status(solved, status):
    """D11: 520 selected / 45000 points verified. The slate selects 4 (长春市 2, 吉林市 1, 四平市 1:
    C3 69 + C6 78 + C7 81 + C8 84 = 312 points), whatever the recorded status says."""
    _, out = solved
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["n_selected"] == 4 and summary["total_score"] == pytest.approx(312.0)
    summary.update(n_selected=520, total_score=45000, status=status)
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False), "utf-8")
    report = verify(out)
    assert not report.ok
    text = "\n".join(report.problems)
    assert "n_selected 记录为 520，而记录的 slate.csv 算得 4" in text
    assert "total_score 记录为 45000，而记录的 slate.csv 算得 312" in text


def test_an_edited_rules_table_is_not_verified(solved):
    _, out = solved
    path = out / "rules.csv"
    path.write_text(path.read_text("utf-8-sig").replace("三(三)", "三(四)", 1), "utf-8-sig")
    report = verify(out)
    assert not report.ok and any(line.startswith(f"{path}:2:clause：发现 \"三(四)\"") for line in report.problems)


def test_a_swapped_scenario_with_a_forced_out_project_says_what_was_re_run(solved, tmp_path):
    """D11: a folder replaced by a run of another scenario, which forces C8 out, verifies — it is
    a consistent run — but says the scenario and the pin it re-ran, so neither passes unseen."""
    path, out = solved
    other = path.parent / "other.toml"
    other.write_text('force_out = ["C8"]\n' + path.read_text("utf-8"), "utf-8")
    import shutil
    shutil.rmtree(out)
    api.save(api.solve(other, workers=1, seed=3, time_limit_s=20), out)
    from planner.lang import speaking
    with speaking("en"):                          # the English words once; the command line below in Chinese
        report = verify(out)
    assert report.ok
    lines = report.rerun_lines()
    assert lines[0].startswith(f"scenario {other}")
    assert "1 forced out (force_out): C8" in lines
    assert any(line.startswith("backend cpsat, seed 3, workers 1") for line in lines)
    done = run_cli("solve", "--verify", out)
    assert done.returncode == 0, done.stderr
    assert f"已重新运行：情景 {other}" in done.stdout and "已重新运行：指定不入选 1 个（force_out）：C8" in done.stdout


# --------------------------------------------------------------------------- audit --against another run (D20)
def test_audit_against_a_run_of_another_scenario_or_table_is_refused_naming_them(solved, tmp_path):
    path, out = solved
    other_case = write_case(tmp_path / "other", [dict(r, score=r["score"] + 1) for r in ROWS], SCENARIO)
    other_out = tmp_path / "other-out"
    api.save(api.solve(other_case, workers=1), other_out)
    done = run_cli("audit", path, out / "slate.csv", "--against", other_out)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"{path.parent / 'candidates.csv'}" in done.stderr and f"{other_case.parent / 'candidates.csv'}" in done.stderr
    assert "summary.json:inputs" in done.stderr
    done = run_cli("audit", path, out / "slate.csv", "--against", out)          # its own run: compared
    assert done.returncode == 0 and "合计相同" in done.stdout, done.stderr


def test_audit_against_a_run_with_other_pins_is_refused(solved, tmp_path):
    path, out = solved
    pinned = path.parent / "pinned.toml"
    pinned.write_text('force_out = ["C8"]\n' + path.read_text("utf-8"), "utf-8")
    other_out = tmp_path / "pinned-out"
    api.save(api.solve(pinned, workers=1), other_out)
    done = run_cli("audit", path, out / "slate.csv", "--against", other_out)
    assert done.returncode == 2, done.stdout
    assert "force_out" in done.stderr and "pinned.toml" in done.stderr


def test_a_run_on_expert_score_sheets_replays_them_and_a_changed_sheet_is_reported(tmp_path):
    """`solve --scores`: verify re-reads the recorded sheets (checked by sha256) and solves on them.
    The sheet reverses the table's order, so a replay that ignored it would pick other projects."""
    path = write_case(tmp_path / "case", ROWS, SCENARIO)
    sheet = tmp_path / "case" / "评分表.csv"
    lines = ["项目编号,专家编号,专家单位,评分"]
    lines += [f"C{i},E{k},评审专家库,{90 - 3 * i + k}" for i in range(9) for k in (1, 2, 3)]
    sheet.write_text("\n".join(lines) + "\n", "utf-8")
    result = api.solve(path, workers=1, seed=3, time_limit_s=20, scores=sheet)
    by_table = api.solve(path, workers=1, seed=3, time_limit_s=20)
    picked = set(result.slate.loc[result.slate["selected"].astype(bool), "candidate_id"])
    assert picked == {"C0", "C3", "C1", "C2"}               # by hand: 长春市 2, 吉林市 1, 四平市 1, reversed order
    assert picked != set(by_table.slate.loc[by_table.slate["selected"].astype(bool), "candidate_id"])
    out = tmp_path / "out"
    api.save(result, out)
    report = verify(out)
    assert report.ok and report.same_slate, report.lines()
    sheet.write_text(sheet.read_text("utf-8").replace("C0,E1,评审专家库,91", "C0,E1,评审专家库,11"), "utf-8")
    report = verify(out)
    assert not report.ok and not report.rerun
    assert report.changed == [str(sheet)] or any("评分表.csv" in c for c in report.changed)
