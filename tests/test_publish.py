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


def docx_text(path) -> str:
    """Every paragraph and table cell of a .docx (header included), one per line."""
    import docx

    document = docx.Document(str(path))
    parts = [p.text for p in document.sections[0].header.paragraphs]
    parts += [p.text for p in document.paragraphs]
    parts += [c.text for t in document.tables for r in t.rows for c in r.cells]
    return "\n".join(parts)


def _sheet_rows(path):
    sheet = openpyxl.load_workbook(path).active
    return sheet, [[c.value for c in r] for r in sheet.iter_rows()]


def test_every_selected_title_is_in_the_list_exactly_once(run):
    _, out = run
    sheet, rows = _sheet_rows(out / "认定名单.xlsx")
    assert rows[0][0] == "附件1"
    at = next(i for i, r in enumerate(rows) if r[0] == "序号")
    assert rows[at] == ["序号", "项目名称", "申报/牵头单位", "所属市（州）", "国家级推荐"]
    body = [r for r in rows[at + 1:] if isinstance(r[0], int)]
    assert sorted(r[1] for r in body) == sorted(TITLES[c] for c in EXPECTED)
    assert [r[0] for r in body] == list(range(1, len(EXPECTED) + 1))
    heads = [r[0] for r in rows[at + 1:] if isinstance(r[0], str)]
    assert heads == [f"开放型区域产教融合实践中心（学校实践中心）（{len(EXPECTED)}项）"]    # the task row
    units = {r["title"]: r["unit_name"] for r in ROWS}
    assert all(r[2] == units[r[1]] for r in body)            # as filed
    assert sheet.freeze_panes == f"A{at + 2}" and sheet.auto_filter.ref
    assert "第 &P 页" in sheet.oddFooter.center.text and sheet.page_setup.paperSize == 9
    assert sheet["A1"].font.name == "黑体" and sheet.cell(at + 3, 2).font.name == "仿宋"
    text = docx_text(out / "认定名单.docx")
    assert "附件1" in text.splitlines()[:3]
    for cid, title in TITLES.items():
        assert text.count(title) == (1 if cid in EXPECTED else 0), title


def test_an_empty_recommendation_list_says_none(run):
    _, out = run
    _, rows = _sheet_rows(out / "推荐名单.xlsx")            # no national rule: nothing recommended
    at = next(i for i, r in enumerate(rows) if r[0] == "序号")
    assert [r[0] for r in rows[at + 1:]] == ["无"]
    text = docx_text(out / "推荐名单.docx")
    assert "无" in text.splitlines() and "序号" not in text
    assert "本年度无推荐参加国家级遴选的项目" in docx_text(out / "公示通知.docx")


def test_feedback_summary_is_one_sheet_with_numbers(run):
    _, out = run
    explanations = pd.read_csv(out / "explanations.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    book = openpyxl.load_workbook(out / "反馈汇总.xlsx")
    assert book.sheetnames == ["反馈汇总"]
    sheet = book.active
    assert sheet.freeze_panes == "C2" and sheet.auto_filter.ref == f"A1:J{len(ROWS) + 1}"
    rows = [r for r in sheet.iter_rows(values_only=True)]
    header = list(rows[0])
    assert header == ["单位编号", "申报单位", "项目编号", "项目名称", "任务类别", "评审分数", "结果", "原因",
                      "同组入选最低分", "怎样才能入选"]
    records = [dict(zip(header, r)) for r in rows[1:]]
    assert sorted(r["项目编号"] for r in records) == sorted(TITLES)
    score = {r["candidate_id"]: r["score"] for r in ROWS}
    # The lowest score in: of the deciding rule group where explain names one (a locality's
    # quota: 长春市 C3 69, 吉林市 C7 81, 四平市 C8 84), else of the task (C3, 69, of all nine).
    by_locality = {"长春市": 69.0, "吉林市": 81.0, "四平市": 84.0}
    locality = {r["candidate_id"]: r["locality"] for r in ROWS}
    group_named = dict(zip(explanations["candidate_id"], explanations["lowest_selected"] != ""))
    for r in records:
        cid = r["项目编号"]
        assert _is_number(r["评审分数"]) and r["评审分数"] == score[cid]
        assert _is_number(r["同组入选最低分"])
        assert r["同组入选最低分"] == (by_locality[locality[cid]] if group_named[cid] else 69.0), r
        assert r["结果"].startswith("入选") == (cid in EXPECTED)
        assert r["申报单位"] == UNITS[int(cid[1:]) % 4] and r["单位编号"] == f"U{int(cid[1:]) % 4}"


def _is_number(value) -> bool:
    """A number cell (openpyxl reads 69.0 stored as a number as int 69, and text as str)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def test_letters_say_each_reason_in_plain_words(run):
    _, out = run
    letters = sorted(p.name for p in (out / "反馈").iterdir())
    assert letters == sorted(f"{n}_U{i}.docx" for i, n in enumerate(UNITS))
    text = docx_text(out / "反馈" / f"{UNITS[0]}_U0.docx")      # C0 (60), C4 (72), C8 (84: in)
    assert text.splitlines()[0] == ""                           # no 文号 in the header: no [publication]
    assert f"{UNITS[0]}：" in text and "贵单位本年度共申报3项，入选省级认定名单1项，未入选2项。" in text
    # 长春市 C0 (60 points) and 吉林市 C4 (72): each locality's places went to higher scores
    # (长春市: C3 69 and C6 78; 吉林市: C7 81), said with the lowest score admitted; the rule has no
    # `where` on the track, so the places are said of the task.
    assert "长春市开放型区域产教融合实践中心的推荐名额为2个，已全部安排；本年度入选项目最低分为69分，本项目60分，未能入选。" in text
    assert "吉林市开放型区域产教融合实践中心的推荐名额为1个，已全部安排；本年度入选项目最低分为81分，本项目72分，未能入选。" in text
    assert_clean_letters(out, ROWS)


@pytest.mark.parametrize("said", ["在“H002（吉林省城市建设职业技术学院）”的名额已满", "不符合条件（eligible = 否）",
                                  "后续年度规划 4", "再入选将扣分", "同组最低分 nan", "按“通知“三(三)”规定”",
                                  "C2023-00017", "unit_name"])
def test_the_letter_scan_catches_what_the_old_letters_said(run, tmp_path, said):
    import shutil

    import docx

    _, out = run
    folder = tmp_path / "run"
    shutil.copytree(out, folder)
    letter = next((folder / "反馈").iterdir())
    document = docx.Document(str(letter))
    document.add_paragraph(said)
    document.save(str(letter))
    with pytest.raises(AssertionError):
        assert_clean_letters(folder, ROWS)


def test_without_a_publication_block_publish_warns_and_prints_no_number(run, tmp_path):
    _, out = run
    done = run_cli("publish", out, "--out", tmp_path / "pub")
    assert done.returncode == 0, done.stderr
    assert "文号" in done.stderr and "[publication]" in done.stderr
    for name in ("公示通知.docx", "认定名单.docx"):
        assert "〔" not in docx_text(tmp_path / "pub" / name)
    assert "公示期：　　年　　月　　日至　　年　　月　　日。" in docx_text(tmp_path / "pub" / "公示通知.docx")


FORBIDDEN = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{1,2}\d{3}(?![0-9])|[A-Z]\d{4}-\d{3,}"            # unit and candidate ids
    r"|(?<![A-Za-z])(nan|None|True|False)(?![A-Za-z])|[A-Za-z]+_[A-Za-z_]+"     # missing values, booleans, columns
    r"|eligible|= *否|= *是|扣分|规划(?!教材)|已满|目标上限|约束|OPTIMAL|quota|selected"   # internal words
    r"|“[^”]*“")                                                                # nested quotes “…“…”…”


def assert_clean_letters(out, rows, *, extra_columns=()) -> int:
    """Every letter of a publish folder: no code, column name, boolean, nan or internal word.

    Titles and unit names are removed first: they are printed as filed (a course may be called
    《Java程序设计》). Returns the number of letters read.
    """
    slate = pd.read_csv(out / "slate.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    explanations = pd.read_csv(out / "explanations.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    columns = {c for c in [*slate.columns, *explanations.columns, *extra_columns] if len(c) > 3}
    filed = sorted(set(slate["title"]) | set(slate["unit_name"]), key=len, reverse=True)
    ids = set(slate["candidate_id"]) | set(slate["unit_id"])
    letters = sorted((out / "反馈").iterdir())
    assert len(letters) == slate["unit_id"].nunique()
    for path in letters:
        text = docx_text(path)
        for name in filed:
            text = text.replace(name, "")
        found = FORBIDDEN.search(text)
        assert found is None, f"{path.name}: {found.group(0)!r} in …{text[max(found.start() - 40, 0):found.end() + 40]}…"
        words = set(re.findall(r"[A-Za-z_]+", text))
        assert not words & columns, (path.name, words & columns)
        assert not any(i in text for i in ids if len(i) > 2), path.name
    return len(letters)


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
    sheet = openpyxl.load_workbook(folder / "反馈汇总.xlsx").active
    seen = 0
    for r in sheet.iter_rows(min_row=2, values_only=True):
        cid, said_here = r[2], r[9] or ""
        assert said_here == ("" if cid in EXPECTED else said.get(cid, "")), r
        seen += cid not in EXPECTED and bool(said_here)
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


# --------------------------------------------------------------------------- templates, transaction, names
def _office_letter(folder, letterhead: str):
    """The bundled letter template with the office's letterhead line put above everything."""
    import docx

    from planner.show.word import BUNDLED

    folder.mkdir(parents=True, exist_ok=True)
    document = docx.Document(str(BUNDLED / "反馈.docx"))
    first = document.paragraphs[0]
    first.insert_paragraph_before(letterhead + "{{ year }}")
    document.save(str(folder / "反馈.docx"))
    return folder


def test_an_office_template_changes_the_letterhead_of_every_letter(run, tmp_path):
    _, out = run
    templates = _office_letter(tmp_path / "模板", "某某厅专用信笺")
    done = run_cli("publish", out, "--out", tmp_path / "pub", "--templates", templates)
    assert done.returncode == 0, done.stderr
    letters = sorted((tmp_path / "pub" / "反馈").iterdir())
    assert len(letters) == len(UNITS)
    for path in letters:
        assert docx_text(path).splitlines()[1] == "某某厅专用信笺2023"     # line 0: the (empty) header
    # The templates the folder lacks are the bundled ones.
    assert "附件1" in docx_text(tmp_path / "pub" / "认定名单.docx")
    assert "某某厅" not in docx_text(tmp_path / "pub" / "公示通知.docx")


@pytest.mark.parametrize("tag, said", [("{{ unit ", "模板标签有误"), ("{{ unti }}", "未知字段"),
                                       ("{%p if unit %}", "模板标签有误")])
def test_a_broken_template_is_a_located_error_and_nothing_is_written(run, tmp_path, tag, said):
    _, out = run
    templates = _office_letter(tmp_path / "模板", tag)
    before = sorted(p.name for p in out.iterdir())
    done = run_cli("publish", out, "--out", tmp_path / "pub", "--templates", templates)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "反馈.docx" in done.stderr and said in done.stderr, done.stderr
    assert not (tmp_path / "pub").exists()
    assert sorted(p.name for p in out.iterdir()) == before


def test_a_template_folder_that_is_not_there_is_refused(run, tmp_path):
    _, out = run
    done = run_cli("publish", out, "--out", tmp_path / "pub", "--templates", tmp_path / "无此文件夹")
    assert done.returncode == 2 and "无此文件夹" in done.stderr and not (tmp_path / "pub").exists()


def test_a_second_publish_drops_the_letters_of_the_first(run, tmp_path):
    import shutil

    _, out = run
    folder = tmp_path / "run"
    shutil.copytree(out, folder)                      # published once already (the fixture)
    stale = folder / "反馈" / "已撤销单位_X9.docx"
    stale.write_bytes(b"old")
    (folder / "认定名单.docx").write_bytes(b"old")
    done = run_cli("publish", folder, "--quiet")
    assert done.returncode == 0, done.stderr
    assert not stale.exists() and len(list((folder / "反馈").iterdir())) == len(UNITS)
    assert (folder / "认定名单.docx").read_bytes() != b"old"
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]      # no staging left behind


ODD_UNITS = [("H 004", "某职业学院"), ("H_004", "某职业学院"), ("ab1", "同名学校"), ("AB1", "同名学校"),
             ("U9", "+加号开头的学校"), ("U10", "=公式开头的单位"), ("U11", "CON"), ("U12", "长" * 120)]
ODD_TITLES = ["+5G实训基地", "=HYPERLINK(\"http://x\",\"点我\")", "-减号开头的项目", "@艾特开头的项目",
              "含<尖括号>&符号的项目", "含\u0007响铃字符的项目", "普通项目甲", "普通项目乙"]


@pytest.fixture(scope="module")
def odd(tmp_path_factory):
    """A legal round whose unit ids collide as file names and whose names and titles look like formulas."""
    base = tmp_path_factory.mktemp("odd")
    rows = [row(f"D{i}", score=70.0 + i, unit_id=uid, unit_name=name, title=ODD_TITLES[i])
            for i, (uid, name) in enumerate(ODD_UNITS)]
    case = write_case(base / "case", rows, {"rule": [{"id": "cap", "clause": "三(三)", "max": 7}]})   # D0 out
    out = base / "out"
    done = run_cli("solve", case, "--out", out, "--quiet", "--workers", "1")
    assert done.returncode == 0, done.stderr
    done = run_cli("publish", out)
    assert done.returncode == 0, done.stderr
    slate = pd.read_csv(out / "slate.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return out, slate


def test_colliding_unit_ids_give_one_letter_each(odd):
    out, slate = odd
    letters = sorted(p.name for p in (out / "反馈").iterdir())
    assert len(letters) == len(ODD_UNITS) == slate["unit_id"].nunique()
    assert len({name.casefold() for name in letters}) == len(letters)
    assert all(len(name) <= 90 and not re.search(r'[<>:"/\\|?*\s]', name) for name in letters)
    assert all(len(name.encode("utf-8")) <= 160 for name in letters)         # a Linux name holds 255 bytes
    assert not any(name.split(".")[0].upper() in ("CON", "PRN", "AUX", "NUL") for name in letters)
    # Each letter is its unit's: H 004 and H_004 share a name, their letters name their own projects.
    seen = {}
    for path in (out / "反馈").iterdir():
        text = docx_text(path)
        seen[path.name] = [t for t in ODD_TITLES if t.replace("\u0007", "") in text]
    assert sorted(len(v) for v in seen.values()) == [1] * len(ODD_UNITS)


def test_titles_are_printed_as_filed_and_formula_looking_text_is_a_string_cell(odd):
    out, _ = odd
    text = docx_text(out / "认定名单.docx")
    for title in ODD_TITLES[1:]:                                      # D0 (the lowest score) is out
        assert title.replace("\u0007", "") in text                       # no apostrophe, nothing escaped
    assert "'+5G" not in text and "'=" not in text
    assert "+加号开头的学校" in docx_text(out / "反馈" / next(p.name for p in (out / "反馈").iterdir() if "加号" in p.name))
    for name in ("认定名单.xlsx", "反馈汇总.xlsx"):
        sheet = openpyxl.load_workbook(out / name).active
        cells = [c for r in sheet.iter_rows() for c in r if isinstance(c.value, str)]
        assert [c.value for c in cells if c.data_type == "f"] == [], name
        values = {c.value for c in cells}
        assert "=HYPERLINK(\"http://x\",\"点我\")" in values and "-减号开头的项目" in values, name
        assert "+加号开头的学校" in values and not any(v.startswith("'") for v in values)
