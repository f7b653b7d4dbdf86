"""planner.show.workbook: the 名单 sheet written by column reads back as xlsxwriter's cell-by-cell writer."""
from __future__ import annotations

import io

import numpy as np
import openpyxl
import pandas as pd
import pytest

from planner.show import workbook


def _cell_by_cell(table: pd.DataFrame) -> bytes:
    """The oracle: xlsxwriter's own write_* per cell (`workbook._write_sheet`), one sheet."""
    import xlsxwriter

    raw = io.BytesIO()
    book = xlsxwriter.Workbook(raw, {"in_memory": True, "strings_to_numbers": False,
                                     "strings_to_formulas": False, "strings_to_urls": False})
    workbook._write_sheet(book, "名单", table, book.add_format({"bold": True}))
    book.close()
    return raw.getvalue()


def _by_column(table: pd.DataFrame) -> bytes:
    import xlsxwriter

    raw = io.BytesIO()
    book = xlsxwriter.Workbook(raw, {"in_memory": True})
    workbook._write_sheet(book, "名单", table, book.add_format({"bold": True}), header_only=True)
    book.close()
    return workbook._with_rows(raw.getvalue(), {"xl/worksheets/sheet1.xml": table})


def _cells(data: bytes) -> list[list[tuple[type, object]]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data))["名单"]
    return [[(type(c.value), c.value) for c in row] for row in sheet.iter_rows()]


TRICKY = pd.DataFrame({
    "text": ["普通文本", "a & b < c > d", " leading", "trailing ", "_x0041_ literal", "ctl\x01\x1f", "", "="],
    "mixed": [None, 3, 2.5, True, np.int64(7), float("nan"), "文字", np.float64(1e-7)],
    "ints": np.arange(8, dtype=np.int64) - 3,
    "floats": [0.1, 1 / 3, float("nan"), 1e20, -2.0, 123456789.123, 0.0, 5e-324],
    "flags": [True, False] * 4,
})


def test_the_sheet_by_column_reads_back_as_the_cell_by_cell_writer():
    assert _cells(_by_column(TRICKY)) == _cells(_cell_by_cell(TRICKY))


@pytest.mark.parametrize("n", [0, 1])
def test_an_empty_or_one_row_sheet_is_read_as_written(n):
    table = TRICKY.iloc[:n]
    assert _cells(_by_column(table)) == _cells(_cell_by_cell(table))


def test_an_overlong_text_is_cut_to_excels_limit_as_xlsxwriter_cuts_it():
    table = pd.DataFrame({"text": ["长" * 40000]})
    back = _cells(_by_column(table))[1][0][1]
    assert len(back) == 32767 and back == _cells(_cell_by_cell(table))[1][0][1]


def test_the_slate_workbook_keeps_its_filter_lists_shading_and_dimension():
    slate = pd.DataFrame({"candidate_id": ["C1", "C2", "C3"], "task": ["x", "y", "x"], "unit_kind": ["a", "b", "a"],
                          "score": [80.5, 70.0, 61.0], "selected": [True, False, True],
                          "national": [False, False, True], "reason": ["入选", "名额已满", "入选"]})
    book = openpyxl.load_workbook(io.BytesIO(workbook.slate_xlsx_bytes(slate)))
    sheet = book["名单"]
    assert sheet.dimensions == "A1:G4" and sheet.auto_filter.ref == "A1:G4" and sheet.freeze_panes == "A2"
    assert [c.value for c in sheet["F"]][1:] == ["否", "否", "是"]
    assert [c.value for c in sheet["D"]][1:] == [80.5, 70, 61]
    assert {str(v.sqref) for v in sheet.data_validations.dataValidation} == {"E2:E4", "F2:F4"}
    assert len(sheet.conditional_formatting) == 1


def test_the_rules_sheet_is_written_by_column_too():
    slate = pd.DataFrame({"candidate_id": ["C1"], "task": ["x"], "unit_kind": ["a"], "selected": [True],
                          "national": [False]})
    rules = pd.DataFrame({"rule_id": ["r1", "r2"], "group": ["长春市", "*"], "value": [3, 0], "max": [5.0, None],
                          "binding": [False, True]})
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.slate_xlsx_bytes(slate, rules=rules)))["规则"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["规则编号", "分组", "已用（含以往年度）", "上限", "卡线"], ["r1", "长春市", 3, 5, "否"], ["r2", "*", 0, None, "是"]]


def test_the_same_slate_gives_the_same_bytes():
    slate = TRICKY.assign(candidate_id=[f"C{i}" for i in range(8)], task="t", unit_kind="k",
                          selected=TRICKY["flags"], national=False)
    assert workbook.slate_xlsx_bytes(slate) == workbook.slate_xlsx_bytes(slate.copy())


def test_chinese_labels_are_those_of_to_chinese_row_by_row():
    """Relabelling each distinct combination once gives what `to_chinese` gives every row (its
    own definition is the oracle), also where a key column mixes 1 and True (then it is used whole)."""
    from planner.inputs import to_chinese

    rng = np.random.default_rng(3)
    n = 200
    slate = pd.DataFrame({
        "candidate_id": [f"C{i}" for i in range(n)],
        "task": rng.choice(["school_centre", "public_centre", "enterprise_centre", "unknown"], n),
        "track": rng.choice(["", "school", "public", "zz"], n),
        "unit_kind": pd.array(rng.choice(["government", "enterprise", "其他"], n), dtype="str"),
        "tier": [None if i % 7 == 0 else "national_double_high" for i in range(n)],
        "title": [f"项目{i}" for i in range(n)],
        "score": rng.uniform(50, 100, n),
        "selected": rng.integers(0, 2, n).astype(np.int8),
        "national": rng.integers(0, 2, n).astype(np.int8),
        "eligible": rng.integers(0, 2, n).astype(bool),
    })
    flags = ["selected", "national", "eligible"]
    pd.testing.assert_frame_equal(workbook._chinese(slate, flags), to_chinese(slate, bool_columns=flags),
                                  check_dtype=False)
    mixed = slate.assign(level=[1, True, "higher", None] * (n // 4))
    pd.testing.assert_frame_equal(workbook._chinese(mixed, flags), to_chinese(mixed, bool_columns=flags),
                                  check_dtype=False)


def test_the_shared_strings_escape_only_the_texts_that_need_it():
    """One pass over all texts marks the same texts as a search of each (`_si` on every text is the oracle)."""
    texts = ["a", "", "x&y", "plain", "_x0041_", " lead", "trail ", "<", "end\x01", "多\n行", "ok\t"]
    strings = workbook._Strings(0)
    strings.numbers(texts)
    assert strings.xml() == "".join(workbook._si(t) for t in texts)
    plain = workbook._Strings(5)
    assert plain.numbers(["b", "a", "b"]) == [5, 6, 5] and plain.xml() == "<si><t>b</t></si><si><t>a</t></si>"


def _sheet_xml_cell_by_cell(table: pd.DataFrame, strings) -> str:
    """The oracle for the row template: every cell typed on its own by `_value_cell`, row by row."""
    from xlsxwriter.utility import xl_col_to_name

    letters = [xl_col_to_name(j) for j in range(table.shape[1])]
    columns = [table.iloc[:, j].tolist() for j in range(table.shape[1])]
    # The by-column writer numbers texts column by column: number them in that order first.
    for j, values in enumerate(columns):
        for i, v in enumerate(values):
            workbook._value_cell(f"{letters[j]}{i + 2}", v, strings)
    strings.uses = 0
    return "".join(f'<row r="{i + 2}">'
                   + "".join(workbook._value_cell(f"{letters[j]}{i + 2}", columns[j][i], strings)
                             for j in range(table.shape[1])) + "</row>" for i in range(len(table)))


GAPPY = pd.DataFrame({
    "ids": [f"C{i}" for i in range(6)],
    "gaps": ["a", None, "=cmd", float("nan"), "<&>", "a"],
    "floats": [1.5, float("nan"), -0.0, 1e300, float("nan"), 2.0],
    "ints": np.array([1, 2, 3, 2**53 + 1, 0, -7], np.int64),
    "flags": np.array([True, False, True, True, False, False]),
    "mixed": [None, 3, "x", True, np.float64("nan"), float("inf")],
    "str": pd.array(["_x0041_", None, " lead", "ctl\x02", "a", ""], dtype="str"),
})


@pytest.mark.parametrize("rows", [1, 2, 6])
def test_the_row_template_writes_what_each_cell_typed_on_its_own_writes(rows):
    """Rows made from one template (`_row_template`, `_rows_xml`) in chunks of any size, with
    empty cells in number and text columns, are the cells `_value_cell` types one by one, and the
    shared strings count the same uses."""
    table = GAPPY.iloc[:rows]
    ours, theirs = workbook._Strings(3), workbook._Strings(3)
    template, parts = workbook._row_template(table, ours)
    expected = _sheet_xml_cell_by_cell(table, theirs)
    for chunk in (1, 4, 4096):
        assert "".join(workbook._rows_xml(template, parts, chunk)) == expected
    assert ours.index == theirs.index and ours.uses == theirs.uses


def test_the_zip_entries_hold_the_same_bytes_as_one_written_whole():
    """A sheet streamed into its zip entry in chunks is the entry `writestr` makes of the whole text."""
    import zipfile

    table = pd.DataFrame({"t": [f"文本{i % 97}" for i in range(20000)], "x": np.arange(20000) / 7})
    data = _by_column(table)
    book = zipfile.ZipFile(io.BytesIO(data))
    again = io.BytesIO()
    with zipfile.ZipFile(again, "w", zipfile.ZIP_DEFLATED) as whole:
        for info in book.infolist():
            whole.writestr(info, book.read(info), compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
    assert again.getvalue() == data
