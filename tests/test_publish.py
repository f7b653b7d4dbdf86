"""`planner publish` (`planner.show.publication`, `lists`, `feedback`) and the slate workbook (`workbook`).

A hand-built round: nine candidates of three localities under one quota per locality (长春市 2, the
others 1), so the selected set is worked out by hand (as in test_cli): 长春市 C3, C6; 吉林市 C7; 四平市 C8.
"""
from __future__ import annotations

import csv
import io
import re

import openpyxl
import pandas as pd
import pytest
from conftest import row, run_cli, write_case

from planner.inputs import load_candidates, to_chinese

UNITS = ["长春市机械工业学校", "吉林工业职业技术学院", "四平市第一职业中专", "一汽解放集团股份有限公司"]
ROWS = [row(f"C{i}", score=60.0 + 3 * i, locality=["长春市", "吉林市", "四平市"][i % 3],
            title=f"实践中心（{i}号）：智能制造", unit_id=f"U{i % 4}", unit_name=UNITS[i % 4]) for i in range(9)]
SCENARIO = {"rule": [{"id": "cap", "clause": "三(三)", "per": ["locality"], "max": {"长春市": 2, "*": 1}}]}
EXPECTED = {"C3", "C6", "C7", "C8"}
TITLES = {r["candidate_id"]: r["title"] for r in ROWS}


def _selected(out) -> set[str]:
    rows = csv.DictReader(io.StringIO((out / "slate.csv").read_text("utf-8-sig")))
    return {r["candidate_id"] for r in rows if r["selected"] == "1"}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("publish")
    case = write_case(base / "case", ROWS, SCENARIO)
    out = base / "out"
    done = run_cli("solve", case, "--out", out, "--quiet", "--workers", "1")
    assert done.returncode == 0, done.stderr
    assert _selected(out) == EXPECTED
    done = run_cli("publish", out)
    assert done.returncode == 0, done.stderr
    return case, out


def _docx_text(path) -> str:
    import docx

    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    parts += [c.text for t in document.tables for r in t.rows for c in r.cells]
    return "\n".join(parts)


def test_every_selected_title_is_in_the_list_exactly_once(run):
    _, out = run
    sheet = openpyxl.load_workbook(out / "认定名单.xlsx").active
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    header, body = rows[0], rows[1:]
    assert header == ["序号", "项目名称", "申报/牵头单位", "所属市（州）", "任务类别", "国家级推荐"]
    assert sorted(r[1] for r in body) == sorted(TITLES[c] for c in EXPECTED)
    assert [r[0] for r in body] == list(range(1, len(EXPECTED) + 1))
    units = {r["title"]: r["unit_name"] for r in ROWS}
    assert all(r[2] == units[r[1]] for r in body)            # as filed
    text = _docx_text(out / "认定名单.docx")
    assert text.startswith("附件1")
    for cid, title in TITLES.items():
        # merged cells repeat their text per cell in python-docx; titles sit in plain cells
        assert text.count(title) == (1 if cid in EXPECTED else 0), title


def test_the_national_list_holds_only_recommendations(run):
    _, out = run
    sheet = openpyxl.load_workbook(out / "推荐名单.xlsx").active
    assert sheet.max_row == 2                                 # no national rule: title and header only


def test_feedback_reasons_agree_with_explanations(run):
    _, out = run
    explanations = pd.read_csv(out / "explanations.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    reason = dict(zip(explanations["candidate_id"], explanations["reason"]))
    book = openpyxl.load_workbook(out / "反馈汇总.xlsx")
    assert sorted(book.sheetnames) == sorted(UNITS)
    seen = set()
    for sheet in book.worksheets:
        rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=4)]
        header = rows[0]
        for r in rows[1:]:
            if r[0] in reason:
                record = dict(zip(header, r))
                assert record["原因"] == reason[r[0]]
                assert record["结果"].startswith("入选") == (r[0] in EXPECTED)
                seen.add(r[0])
    assert seen == set(TITLES)
    # The lowest score in: of the deciding rule group where explain names one (a locality's
    # quota: 长春市 C3 69, 吉林市 C7 81, 四平市 C8 84), else of the task (C3, 69, of all nine).
    by_locality = {"长春市": "69", "吉林市": "81", "四平市": "84"}
    locality = {r["candidate_id"]: r["locality"] for r in ROWS}
    group_named = dict(zip(explanations["candidate_id"], explanations["lowest_selected"] != ""))
    for sheet in book.worksheets:
        for r in sheet.iter_rows(min_row=5, values_only=True):
            if r[0] in TITLES:
                assert r[6] == (by_locality[locality[r[0]]] if group_named[r[0]] else "69"), r
    letters = sorted(p.name for p in (out / "反馈").iterdir())
    assert letters == sorted(f"{n}_U{i}.docx" for i, n in enumerate(UNITS))
    text = _docx_text(out / "反馈" / f"{UNITS[0]}_U0.docx")
    for cid in ("C0", "C4", "C8"):
        assert reason[cid] in text


def test_slate_workbook_is_chinese_filtered_and_reads_back_to_the_slate(run):
    case, out = run
    book = openpyxl.load_workbook(out / "slate.xlsx")
    assert book.sheetnames == ["名单", "规则", "说明"]
    sheet = book["名单"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["项目编号", "年度", "任务类别"] and "省级入选" in header and "国家级推荐" in header
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert len(lists) == 2 and set(lists.values()) == {'"是,否"'}
    slate = load_candidates(out / "slate.csv", extra_bool_columns=("selected", "national"))
    back = load_candidates(out / "slate.xlsx", extra_bool_columns=("selected", "national"))
    pd.testing.assert_frame_equal(back.drop(columns="reason"), slate.drop(columns="reason"))
    assert back["reason"].tolist() == slate["reason"].tolist()
    again = out.parent / "again"
    done = run_cli("solve", case, "--candidates", out / "slate.xlsx", "--out", again, "--quiet", "--workers", "1")
    assert done.returncode == 0, done.stderr
    assert _selected(again) == EXPECTED


def test_a_table_in_chinese_solves_to_the_same_slate(run, tmp_path):
    case, out = run
    english = load_candidates(case.parent / "candidates.csv")
    chinese = to_chinese(english)
    assert "政府" not in set(chinese["单位类型"]) and "中职学校" in set(chinese["单位类型"])
    path = tmp_path / "中文.csv"
    chinese.to_csv(path, index=False)
    again = tmp_path / "out"
    done = run_cli("solve", case, "--candidates", path, "--out", again, "--quiet", "--workers", "1")
    assert done.returncode == 0, done.stderr
    assert _selected(again) == EXPECTED


def test_publish_of_a_folder_without_a_run_is_a_one_line_error(tmp_path):
    done = run_cli("publish", tmp_path)
    assert done.returncode == 2 and "slate.csv" in done.stderr and "Traceback" not in done.stderr
    assert not re.search(r"反馈", " ".join(p.name for p in tmp_path.iterdir()))


def test_feedback_carries_the_exact_counterfactual_of_planner_explain(run, tmp_path):
    import shutil

    case, out = run
    folder = tmp_path / "run"
    shutil.copytree(out, folder)
    done = run_cli("explain", case, "--all", "--out", folder / "counterfactuals.csv")
    assert done.returncode == 0, done.stderr
    cf = pd.read_csv(folder / "counterfactuals.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    said = dict(zip(cf["candidate_id"], cf["counterfactual"]))
    done = run_cli("publish", folder, "--quiet")
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(folder / "反馈汇总.xlsx")
    seen = 0
    for sheet in book.worksheets:
        for r in sheet.iter_rows(min_row=5, values_only=True):
            if r[0] in TITLES:
                assert (r[7] or "") == ("" if r[0] in EXPECTED else said.get(r[0], "")), r
                seen += r[0] not in EXPECTED and bool(r[7])
    assert seen == len(TITLES) - len(EXPECTED)      # every rejected one has its counterfactual


# --------------------------------------------------------------------------- the terminal at 80 columns
def test_solve_and_ledger_print_chinese_tables_that_fit_80_columns(run, monkeypatch):
    from rich.console import Console

    import planner.cli._common as common
    from planner import api
    from planner.cli import root
    from planner.cli.commands.ledger import print_ledger
    from planner.ledger import ledger_from_outputs

    case, out = run
    console = Console(width=80, record=True, file=io.StringIO())
    monkeypatch.setattr(root, "out", console)
    monkeypatch.setattr(common, "out", console)
    result = api.solve(case, workers=1)
    root.print_summary(result, out)
    print_ledger(*ledger_from_outputs([out]))
    text = console.export_text()
    lines = text.splitlines()
    import unicodedata

    def width(line: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in line)

    assert max(width(line) for line in lines) <= 80
    total = sum(r["score"] for r in ROWS if r["candidate_id"] in EXPECTED)       # 69 + 78 + 81 + 84
    assert f"评审总分 {total:,.1f}" in text and "objective" not in text
    assert "任务类别" in text and "开放型区域产教融合实践中心" in text and "学校实践中心" in text
    assert "practice_centre" not in text
