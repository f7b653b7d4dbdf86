"""Tests of planner.report: csv/xlsx/json outputs, formula guard, all-or-nothing writes."""
from __future__ import annotations

import json
import os
from pathlib import Path
import re
import time
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from planner.errors import InputError
from planner.show import atomic_write_bytes, neutralise_formulas, write_outputs
from planner.show import files as report

BOM = b"\xef\xbb\xbf"


def slate_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "candidate_id": ["C2023-00001", "C2023-00002", "C2023-00003"],
        "title": ["长春市职业教育集团", "吉林工业职业技术学院 双高计划", "延边州 “示范” 专业"],
        "locality": ["长春市", "吉林市", "延边朝鲜族自治州"],
        "score": [91.5, 87.25, 1 / 3],
        "cost": [120.0, 0.0, 35.5],
        "selected": [True, False, True],
        "rank": [1, 2, 3],
    })


def injected_frame(text_dtype: str) -> pd.DataFrame:
    texts = ['=HYPERLINK("http://evil.example","点击")', "+1", "-2", "@SUM(1)",
             "\tcmd", "\r=1+1", "普通文本", "a=b"]
    text = pd.Series(texts, dtype=text_dtype)
    return pd.DataFrame({"note": text, "delta": [-3, 1, 2, 3, 4, 5, 6, 7]})


GUARDED = ["'=HYPERLINK(\"http://evil.example\",\"点击\")", "'+1", "'-2", "'@SUM(1)",
           "'\tcmd", "'\r=1+1", "普通文本", "a=b"]


def hidden_entries(folder) -> list[str]:
    """Temporary leftovers: every write-protocol temp name starts with a dot."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# --- csv -----------------------------------------------------------------------------------


def test_csv_starts_with_bom_and_round_trips_chinese(tmp_path):
    frame = slate_frame()
    [path] = write_outputs(tmp_path / "out", tables={"slate.csv": frame})

    data = path.read_bytes()
    assert data.startswith(BOM)
    assert not data.startswith(BOM + BOM)
    assert b"\r\n" not in data
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert list(back.columns) == list(frame.columns)          # BOM not glued to the first name
    assert back["title"].tolist() == frame["title"].tolist()
    assert back["locality"].tolist() == frame["locality"].tolist()
    assert back["score"].tolist() == frame["score"].tolist()  # floats round-trip exactly
    assert back["selected"].tolist() == [True, False, True]


def test_csv_does_not_write_the_index(tmp_path):
    frame = slate_frame().set_index(pd.Index([10, 20, 30]))
    [path] = write_outputs(tmp_path / "out", tables={"slate.csv": frame})
    header = path.read_bytes()[len(BOM):].split(b"\n")[0].decode()
    assert header == ",".join(frame.columns)


# --- determinism ---------------------------------------------------------------------------


def test_same_frame_gives_byte_identical_csv_and_xlsx(tmp_path, monkeypatch):
    frame = slate_frame()
    first = write_outputs(tmp_path / "a", tables={"slate.csv": frame},
                          xlsx={"slate.xlsx": "slate.csv"})
    # A day later: zip entry dates and workbook properties would differ if taken from the clock.
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 86_400 + 3)
    second = write_outputs(tmp_path / "b", tables={"slate.csv": frame.copy()},
                           xlsx={"slate.xlsx": "slate.csv"})

    for one, two in zip(first, second):
        assert one.name == two.name
        assert one.read_bytes() == two.read_bytes(), one.name
    with zipfile.ZipFile(first[1]) as archive:
        # XlsxWriter's fixed entry date (Excel's epoch), not the clock's.
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert b"2000-01-01T00:00:00Z" in archive.read("docProps/core.xml")


# --- xlsx ----------------------------------------------------------------------------------


def test_xlsx_has_bold_frozen_header_and_typed_values(tmp_path):
    frame = slate_frame()
    frame.loc[1, "cost"] = np.nan
    frame["flag01"] = [1, 0, 1]
    paths = write_outputs(tmp_path / "out", tables={"slate.csv": frame},
                          xlsx={"slate.xlsx": "slate.csv"})
    assert [p.name for p in paths] == ["slate.csv", "slate.xlsx"]

    workbook = openpyxl.load_workbook(paths[1])
    assert workbook.sheetnames == ["slate"]
    sheet = workbook.active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == list(frame.columns)
    assert all(cell.font.b for cell in sheet[1])
    assert not any(cell.font.b for cell in sheet[2])
    assert sheet.freeze_panes == "A2"

    assert rows[1] == ["C2023-00001", "长春市职业教育集团", "长春市", 91.5, 120.0, True, 1, 1]
    assert rows[2][4] is None                                 # NaN -> empty cell
    assert rows[3][3] == pytest.approx(1 / 3, abs=0)
    score, selected, flag = sheet["D2"], sheet["F2"], sheet["H3"]
    assert (score.data_type, selected.data_type, flag.data_type) == ("n", "b", "n")
    assert isinstance(score.value, float) and isinstance(selected.value, bool)
    assert flag.value == 0 and not isinstance(flag.value, bool)  # 0/1 stays a number


def test_xlsx_widths_count_cjk_double(tmp_path):
    frame = pd.DataFrame({"a": ["x" * 10], "b": ["长" * 10]})
    [_, path] = write_outputs(tmp_path / "out", tables={"t.csv": frame}, xlsx={"t.xlsx": "t.csv"})
    widths = openpyxl.load_workbook(path).active.column_dimensions
    assert widths["B"].width > widths["A"].width
    assert widths["B"].width >= 20


def test_xlsx_keeps_error_like_text_as_text(tmp_path):
    frame = pd.DataFrame({"note": ["#N/A", "#DIV/0!"]})
    [_, path] = write_outputs(tmp_path / "out", tables={"t.csv": frame}, xlsx={"t.xlsx": "t.csv"})
    sheet = openpyxl.load_workbook(path).active
    assert [(c.value, c.data_type) for c in sheet["A"][1:]] == [("#N/A", "s"), ("#DIV/0!", "s")]


# --- formula injection ---------------------------------------------------------------------


@pytest.mark.parametrize("text_dtype", ["object", "str", "string", "category"])
def test_formula_injection_is_neutralised_in_csv_and_xlsx(tmp_path, text_dtype):
    frame = injected_frame(text_dtype)
    before = frame.copy(deep=True)
    paths = write_outputs(tmp_path / "out", tables={"t.csv": frame}, xlsx={"t.xlsx": "t.csv"})

    pd.testing.assert_frame_equal(frame, before)               # caller's frame untouched
    back = pd.read_csv(paths[0], encoding="utf-8-sig", keep_default_na=False)
    assert back["note"].tolist() == GUARDED
    assert back["delta"].tolist() == [-3, 1, 2, 3, 4, 5, 6, 7]
    assert pd.api.types.is_integer_dtype(back["delta"])

    sheet = openpyxl.load_workbook(paths[1]).active
    # A carriage return is stored as the OOXML escape _x000D_ (ECMA-376 ST_Xstring), which
    # Excel decodes and openpyxl does not; XML may also read a bare one back as a line feed.
    # The apostrophe in front is what this test is about.
    notes = [re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), cell.value) for cell in sheet["A"][1:]]
    assert [t.replace("\r", "\n") for t in notes] == [t.replace("\r", "\n") for t in GUARDED]
    assert all(cell.data_type == "s" for cell in sheet["A"][1:])   # never a formula
    assert sheet["B2"].value == -3 and sheet["B2"].data_type == "n"


def test_neutralise_formulas_returns_guarded_copy_and_keeps_dtypes():
    frame = pd.DataFrame({
        "text": pd.Series(["-2", None, "ok"], dtype="str"),
        "mixed": pd.Series(["=1", -4, None], dtype=object),
        "number": [-3.5, 2.0, 0.0],
        "flag": [True, False, True],
    })
    out = neutralise_formulas(frame)

    assert out is not frame
    assert frame.loc[0, "text"] == "-2" and frame.loc[0, "mixed"] == "=1"
    assert out["text"].tolist()[0] == "'-2" and pd.isna(out["text"].tolist()[1])
    assert out["mixed"].tolist() == ["'=1", -4, None]        # a real number in text stays
    assert out["number"].tolist() == [-3.5, 2.0, 0.0]
    assert out.dtypes.tolist() == frame.dtypes.tolist()


def test_formula_like_column_names_are_guarded():
    out = neutralise_formulas(pd.DataFrame({"=cmd()": ["a"], "ok": ["b"]}))
    assert list(out.columns) == ["'=cmd()", "ok"]


# --- json and binary -----------------------------------------------------------------------


def test_json_and_binary_files(tmp_path):
    summary = {"场景": "吉林 2023", "selected": np.int64(42), "objective": np.float64(1.5),
               "gap": float("nan"), "zeta": [1, 2]}
    paths = write_outputs(tmp_path / "out", tables={},
                          json_files={"summary.json": summary},
                          binary_files={"chart.png": b"\x89PNG\r\n\x1a\n\x00"})

    text = paths[0].read_bytes().decode("utf-8")
    assert text.endswith("}\n")
    assert "吉林 2023" in text                                  # not \\u escaped
    assert '\n  "场景"' in text                                 # indent=2
    assert json.loads(text) == {"场景": "吉林 2023", "selected": 42, "objective": 1.5,
                                "gap": None, "zeta": [1, 2]}
    assert list(json.loads(text)) == list(summary)             # key order kept
    assert paths[1].read_bytes() == b"\x89PNG\r\n\x1a\n\x00"


# --- writable folder -----------------------------------------------------------------------


def test_folder_under_a_regular_file_is_an_input_error(tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    out_dir = tmp_path / "afile" / "out"
    before = sorted(p.name for p in tmp_path.iterdir())

    with pytest.raises(InputError) as caught:
        write_outputs(out_dir, tables={"slate.csv": slate_frame()})

    [problem] = caught.value.problems
    assert problem.file == str(out_dir)
    # Issue 17: the file on the way is called a file, not "a folder".
    assert problem.found == f"{tmp_path / 'afile'} 处是一个文件，此处需要文件夹"
    assert problem.expected == "可写入的输出文件夹"
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (tmp_path / "afile").read_text() == "not a folder"


def test_out_dir_that_is_a_file_is_an_input_error(tmp_path):
    (tmp_path / "out").write_text("x")
    with pytest.raises(InputError):
        write_outputs(tmp_path / "out", tables={"slate.csv": slate_frame()})
    assert (tmp_path / "out").read_text() == "x"
    assert hidden_entries(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root ignores permission bits; the regular-file case covers this")
def test_read_only_parent_is_an_input_error(tmp_path):
    parent = tmp_path / "locked"
    parent.mkdir()
    parent.chmod(0o500)
    try:
        with pytest.raises(InputError):
            write_outputs(parent / "out", tables={"slate.csv": slate_frame()})
        assert list(parent.iterdir()) == []
    finally:
        parent.chmod(0o700)


# --- all or nothing ------------------------------------------------------------------------


class Boom:
    """A cell value whose text cannot be made: to_csv fails when it reaches it."""

    def __init__(self, exc: BaseException):
        self.exc = exc

    def __str__(self) -> str:
        raise self.exc


@pytest.mark.parametrize("exc", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_failure_midway_leaves_no_out_dir_and_no_temp_folder(tmp_path, exc):
    out_dir = tmp_path / "deep" / "out"
    bad = pd.DataFrame({"x": [1, Boom(exc)]})
    with pytest.raises(type(exc)):
        write_outputs(out_dir, tables={"good.csv": slate_frame(), "bad.csv": bad},
                      json_files={"summary.json": {"a": 1}})
    assert list(tmp_path.iterdir()) == []                      # not even the parent it made


def test_failure_midway_leaves_existing_out_dir_unchanged(tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "slate.csv").write_bytes(b"old slate")
    (out_dir / "notes.txt").write_text("mine")
    bad = pd.DataFrame({"x": [Boom(RuntimeError("boom"))]})

    with pytest.raises(RuntimeError, match="boom"):
        write_outputs(out_dir, tables={"slate.csv": slate_frame(), "bad.csv": bad})

    assert sorted(p.name for p in out_dir.iterdir()) == ["notes.txt", "slate.csv"]
    assert (out_dir / "slate.csv").read_bytes() == b"old slate"
    assert hidden_entries(tmp_path) == []


def test_failure_while_moving_files_in_restores_the_old_ones(tmp_path, monkeypatch):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "a.csv").write_bytes(b"old a")
    (out_dir / "keep.txt").write_text("mine")
    real_replace = os.replace
    calls = []

    def flaky_replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:                                   # second file: a.csv moved, b not
            raise OSError("device went away")
        return real_replace(src, dst)

    monkeypatch.setattr(report.os, "replace", flaky_replace)
    with pytest.raises(OSError, match="device went away"):
        write_outputs(out_dir, tables={"a.csv": slate_frame(), "b.csv": slate_frame()})
    monkeypatch.undo()

    # The files go into a staging folder that replaces out_dir as a whole (issue 17), so the
    # failure on b.csv leaves out_dir untouched.
    assert [p.name for p in map(Path, calls[:2])] == ["a.csv", "b.csv"]
    assert sorted(p.name for p in out_dir.iterdir()) == ["a.csv", "keep.txt"]
    assert (out_dir / "a.csv").read_bytes() == b"old a"
    assert hidden_entries(tmp_path) == [] and hidden_entries(out_dir) == []


def test_unrelated_files_survive_and_outputs_are_replaced(tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "slate.csv").write_bytes(b"old slate")
    (out_dir / "planner-notes.md").write_text("keep me")
    (out_dir / "sub").mkdir()
    (out_dir / "sub" / "x.txt").write_text("deep")

    paths = write_outputs(out_dir, tables={"slate.csv": slate_frame()},
                          json_files={"summary.json": {"ok": True}})

    assert paths == [out_dir / "slate.csv", out_dir / "summary.json"]
    assert (out_dir / "slate.csv").read_bytes().startswith(BOM)
    assert (out_dir / "planner-notes.md").read_text() == "keep me"
    assert (out_dir / "sub" / "x.txt").read_text() == "deep"
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "planner-notes.md", "slate.csv", "sub", "summary.json"]
    assert hidden_entries(tmp_path) == []


def test_output_name_that_is_a_folder_in_out_dir_is_an_input_error(tmp_path):
    out_dir = tmp_path / "out"
    (out_dir / "slate.csv").mkdir(parents=True)
    with pytest.raises(InputError):
        write_outputs(out_dir, tables={"slate.csv": slate_frame()},
                      json_files={"summary.json": {}})
    assert sorted(p.name for p in out_dir.iterdir()) == ["slate.csv"]
    assert hidden_entries(tmp_path) == []


@pytest.mark.parametrize("tables, xlsx", [
    ({"../escape.csv": pd.DataFrame()}, None),
    ({"sub/../slate.csv": pd.DataFrame()}, None),      # nested names are fine (test_files); ".." is not
    ({"/abs/slate.csv": pd.DataFrame()}, None),
    ({"sub//slate.csv": pd.DataFrame()}, None),
    ({"sub\\slate.csv": pd.DataFrame()}, None),
    ({"sub": pd.DataFrame(), "sub/slate.csv": pd.DataFrame()}, None),   # a name used as file and folder
    ({"slate.csv": pd.DataFrame()}, {"slate.xlsx": "missing.csv"}),
    ({"slate.csv": pd.DataFrame()}, {"slate.csv": "slate.csv"}),
])
def test_bad_output_names_are_caller_errors_and_write_nothing(tmp_path, tables, xlsx):
    with pytest.raises(ValueError):
        write_outputs(tmp_path / "out", tables=tables, xlsx=xlsx)
    assert list(tmp_path.iterdir()) == []


# --- atomic_write_bytes --------------------------------------------------------------------


def test_atomic_write_bytes_replaces_and_leaves_no_temp(tmp_path):
    target = tmp_path / "sub" / "chart.png"
    assert atomic_write_bytes(target, b"one") == target
    atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["chart.png"]


def test_atomic_write_bytes_failure_keeps_old_file(tmp_path, monkeypatch):
    target = tmp_path / "chart.png"
    target.write_bytes(b"old")

    def broken_replace(src, dst):
        raise OSError("no")

    monkeypatch.setattr(report.os, "replace", broken_replace)
    with pytest.raises(OSError):
        atomic_write_bytes(target, b"new")
    monkeypatch.undo()
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["chart.png"]


def test_atomic_write_bytes_under_a_file_is_an_input_error(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(InputError):
        atomic_write_bytes(tmp_path / "afile" / "chart.png", b"data")
