"""`inputs.run_folder`: one reading of slate flags and run folders for every command.

A hand-built round (as in test_publish): nine candidates of three localities under one quota per
locality (长春市 2, the others 1), scores 60 + 3·i, so the selection is worked out by hand: the
best two of 长春市 (C3 69, C6 78 — C0 60 loses), the best of 吉林市 (C7 81 over C1, C4) and of
四平市 (C8 84 over C2, C5). Slates are edited the way a person would (yes/no, a hidden sheet, a
broken summary.json) and every reader must see the same slate or refuse it, located, exit 2.
"""
from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pytest
from conftest import row, write_case
from typer.testing import CliRunner

from planner import api
from planner.cli import root as cli
from planner.errors import InputError
from planner.inputs import load_candidates, read_flags, read_run, read_summary
from planner.rounds.chain import audit_file
from planner.show.publication import publish

ROWS = [row(f"C{i}", score=60.0 + 3 * i, locality=["长春市", "吉林市", "四平市"][i % 3], title=f"实践中心{i}号",
            unit_id=f"U{i}", unit_name=f"学校{i}") for i in range(9)]
SCENARIO = {"rule": [{"id": "cap", "clause": "三(三)", "per": ["locality"], "max": {"长春市": 2, "*": 1}}]}
EXPECTED = {"C3", "C6", "C7", "C8"}


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    base = tmp_path_factory.mktemp("run_folder")
    case = write_case(base / "case", ROWS, SCENARIO)
    out = base / "out"
    api.save(api.solve(case, workers=1), out)
    return case, out


@pytest.fixture
def run(solved, tmp_path):
    """A fresh copy of the solved folder, to be edited by the test."""
    import shutil
    case, out = solved
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    return case, copy


def invoke(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli.app, [str(a) for a in args], prog_name="planner")
    return result.exit_code, result.stdout + result.stderr


def _rewrite_flags(path, words: dict[str, str]) -> None:
    slate = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for column in ("selected", "national"):
        slate[column] = slate[column].map(words)
    slate.to_csv(path, index=False, encoding="utf-8-sig")


# --------------------------------------------------------------------------- flags
def test_every_flag_word_reads_the_same_and_another_word_is_refused_located():
    frame = pd.DataFrame({"candidate_id": list("ABCDEFGHIJ"),
                          "selected": ["是", "否", "1", "0", "TRUE", "false", "Yes", "NO", "y", ""]})
    frame.attrs.update(source="slate.csv", first_data_row=2)
    flags = read_flags(frame, ("selected",))
    assert flags["selected"].tolist() == [True, False, True, False, True, False, True, False, True, False]
    frame.loc[3, "selected"] = "maybe"
    with pytest.raises(InputError) as info:
        read_flags(frame, ("selected",))
    assert info.value.lines() == ['slate.csv:5:selected：发现 "maybe"，应为 是/否、1/0、true/false 或 yes/no（不分大小写；空 = 否）']


def test_a_yes_no_slate_is_the_same_slate_in_audit_and_publish(run):
    """D4: yes/no passed the audit with the whole slate selected while publish printed an empty 认定名单."""
    case, out = run
    _rewrite_flags(out / "slate.csv", {"1": "yes", "0": "no"})
    report = audit_file(case, out / "slate.csv")
    assert report.ok, report.messages()
    run_folder = read_run(out)
    assert set(run_folder.slate.loc[run_folder.slate["selected"], "candidate_id"]) == EXPECTED
    publish(out)
    sheet = openpyxl.load_workbook(out / "认定名单.xlsx").active
    titles = {r[1] for r in sheet.iter_rows(values_only=True) if isinstance(r[0], int)}     # numbered rows: projects
    assert titles == {f"实践中心{c[1:]}号" for c in EXPECTED}


def test_y_n_is_read_as_yes_no_by_every_command(run):
    case, out = run
    _rewrite_flags(out / "slate.csv", {"1": "Y", "0": "N"})
    code, text = invoke("audit", case, out / "slate.csv", "--no-optimum")
    assert code == 0, text
    assert set(read_run(out).slate.query("selected")["candidate_id"]) == EXPECTED


def test_a_word_that_is_no_flag_is_refused_by_audit_and_publish_alike(run):
    case, out = run
    slate = pd.read_csv(out / "slate.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    slate.loc[2, "selected"] = "maybe"                      # file row 4
    slate.to_csv(out / "slate.csv", index=False, encoding="utf-8-sig")
    for args in (("audit", case, out / "slate.csv", "--no-optimum"), ("publish", out)):
        code, text = invoke(*args)
        assert code == 2, text
        assert "Traceback" not in text and 'slate.csv:4:selected：发现 "maybe"' in text
    assert not (out / "认定名单.xlsx").exists()


# --------------------------------------------------------------------------- workbooks
def _workbook(path, state: str, hidden_rows: bool = False):
    """The solved slate on a visible sheet with C0 (not selected) flipped to selected, and the
    clean slate on a second sheet in `state`."""
    slate = pd.read_csv(path.parent / "slate.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    book = openpyxl.Workbook()
    shown = book.active
    shown.title = "名单"
    tampered = slate.copy()
    tampered.loc[tampered["candidate_id"] == "C0", "selected"] = "1"
    for values in [list(tampered.columns), *tampered.to_numpy().tolist()]:
        shown.append(values)
    clean = book.create_sheet("clean")
    for values in [list(slate.columns), *slate.to_numpy().tolist()]:
        clean.append(values)
    clean.sheet_state = state
    book.move_sheet("clean", offset=-1)                    # the hidden sheet first, as a trap
    book.save(path)
    return path


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_hidden_sheet_holding_data_is_refused_located(run, state):
    """D2: the hidden sheet was audited and the visible, tampered 名单 passed."""
    case, out = run
    path = _workbook(out / "slate-edited.xlsx", state)
    with pytest.raises(InputError) as info:
        load_candidates(path, extra_bool_columns=("selected",))
    assert '工作表 "clean"：发现 隐藏' in str(info.value) or '工作表 "clean"：发现 深度隐藏' in str(info.value)
    assert str(path) in str(info.value)
    code, text = invoke("audit", case, path, "--no-optimum")
    assert code == 2 and "Traceback" not in text and '"clean"' in text


def test_the_one_visible_sheet_is_read_when_hidden_sheets_are_empty(run):
    case, out = run
    path = _workbook(out / "slate-edited.xlsx", "visible")
    book = openpyxl.load_workbook(path)
    book.remove(book["clean"])
    book.create_sheet("notes").sheet_state = "hidden"      # hidden and empty: harmless
    book.move_sheet("notes", offset=-1)
    book.save(path)
    slate = load_candidates(path, extra_bool_columns=("selected",))
    assert slate.attrs["source"] == str(path) and slate.loc[slate["candidate_id"] == "C0", "selected"].item()
    report = audit_file(case, path)                        # C0 breaks 长春市's quota of 2: C0, C3, C6
    assert not report.ok and report.hard_violations["group"].tolist() == ["长春市"]


def test_a_hidden_row_is_refused(run):
    _, out = run
    path = _workbook(out / "slate-edited.xlsx", "visible")
    book = openpyxl.load_workbook(path)
    book.remove(book["clean"])
    book["名单"].row_dimensions[3].hidden = True
    book.save(path)
    with pytest.raises(InputError, match="隐藏的行 3"):
        load_candidates(path, extra_bool_columns=("selected",))


# --------------------------------------------------------------------------- tampered folders
TAMPERED = {
    "summary a list": ("summary.json", b"[1, 2, 3]", "summary.json：发现 JSON list（不是对象）"),
    "invalid JSON": ("summary.json", b'{"year": 2023,\n "n_selected": }', "summary.json:2:第 16 列：发现 不是有效的 JSON"),
    "not UTF-8": ("summary.json", '{"name": "吉林"}'.encode("gbk"), "summary.json：发现 第 11 字节起不是 UTF-8"),
    "a number that is text": ("summary.json", None, 'summary.json:n_selected：发现 "四"，应为 一个数'),
    "no selected column": ("slate.csv", None, "selected"),
    "a score that is no number": ("slate.csv", None, "score"),
}


def _tamper(out, form: str) -> str:
    name, data, fragment = TAMPERED[form]
    if form == "a number that is text":
        summary = json.loads((out / "summary.json").read_text("utf-8"))
        summary["n_selected"] = "四"
        data = json.dumps(summary, ensure_ascii=False).encode("utf-8")
    elif name == "slate.csv":
        slate = pd.read_csv(out / "slate.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
        if form == "no selected column":
            slate = slate.drop(columns="selected")
        else:
            slate.loc[1, "score"] = "八十"
        data = slate.to_csv(index=False).encode("utf-8-sig")
    (out / name).write_bytes(data)
    return fragment


@pytest.mark.parametrize("form", list(TAMPERED))
def test_a_tampered_summary_is_refused_located_by_read_summary(run, form):
    _, out = run
    fragment = _tamper(out, form)
    with pytest.raises(InputError) as info:
        read_run(out)
    assert fragment in str(info.value)


def test_a_damaged_run_folder_is_said_in_english_when_asked(run, tmp_path):
    from planner.lang import speaking

    _, out = run
    _tamper(out, "a number that is text")
    with speaking("en"):
        with pytest.raises(InputError) as info:
            read_run(out)
        assert 'summary.json:n_selected: found "四", expected a number' in str(info.value)
        with pytest.raises(InputError) as info:
            read_run(tmp_path / "nowhere")
        assert str(info.value) == f"{tmp_path / 'nowhere'}: found no such folder, expected a folder written by planner solve --out"
    with pytest.raises(InputError) as info:
        read_run(tmp_path / "nowhere")
    assert str(info.value) == f"{tmp_path / 'nowhere'}：发现 没有这个文件夹，应为 planner solve --out 写出的文件夹"


READERS = {
    "publish": lambda case, out: ("publish", out),
    "report": lambda case, out: ("report", out),
    "ledger": lambda case, out: ("ledger", out),
    "compare": lambda case, out: ("compare", out, out),
    "audit --against": lambda case, out: ("audit", case, out.parent / "audited.csv", "--against", out),
    "solve --verify": lambda case, out: ("solve", "--verify", out),
}


@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize("form", list(TAMPERED))
def test_every_run_folder_reader_refuses_a_tampered_folder_with_exit_2(run, reader, form):
    """D18: report/ledger/compare/publish exited 70 on these."""
    case, out = run
    (out.parent / "audited.csv").write_bytes((out / "slate.csv").read_bytes())    # a clean slate audited
    assert invoke(*READERS[reader](case, out))[0] in (0, 1)                        # untampered: read
    _tamper(out, form)
    code, text = invoke(*READERS[reader](case, out))
    assert code == 2, (reader, form, text)
    assert "Traceback" not in text and "internal error" not in text
    assert text.strip().splitlines()[-1].startswith("错误："), text


def test_read_summary_accepts_what_solve_wrote(solved):
    _, out = solved
    summary = read_summary(out)
    assert summary["n_selected"] == len(EXPECTED) and summary["year"] == 2023
