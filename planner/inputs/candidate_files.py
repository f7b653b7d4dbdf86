"""Candidate files: a CSV or xlsx table from a school office read into cells, then validated.

Owns `load_candidates`: finding what a file is (CSV, xlsx, an old .xls refused), decoding a
CSV (UTF-8 with or without BOM, UTF-16 "Unicode 文本", GB18030/GBK, else charset-normalizer)
and guessing its delimiter, reading an xlsx workbook (sheet ``candidates`` or the first visible one, a hidden sheet
holding data refused; saved formula values, merged cells refused below the header, formulas without a saved value reported)
and finding the header row below any title rows. Every file problem is said with file, row and
column, in Chinese through `planner.lang.say` (English under ``--lang en``), a column named as the
file's header wrote it (评审分数 in a table with Chinese headers). Does not own what the cells must hold (`candidates`, which validates and normalises
them into the candidate frame).
"""
from __future__ import annotations

import csv
import io
import logging
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.errors import InputError, Problem
from planner.inputs.candidates import cell_text, column_letter, normalise_cells
from planner.inputs.distinct import EXTRA_BLANKS, strip_blanks
from planner.inputs.labels import column_code, is_header_mark
from planner.lang import say

log = logging.getLogger(__name__)

HEADER_SEARCH_ROWS = 20
HEADER_MARK = "candidate_id"
#: The most an xlsx may inflate to (the sum of its parts' sizes as the zip declares them, which
#: is also the most Python's zip reader will inflate): a 100,000-row candidate table is about
#: 60 MB of sheet XML; a small file that would inflate past this is a zip bomb, refused unread.
MAX_XLSX_INFLATED = 512 * 2**20
#: The largest number a numeric cell may hold (cost in 万元, score_sd): beyond it a sum of them,
#: scaled to integers, no longer fits the solver's 64-bit integers. The same bound as a scenario's.
MAX_CELL_NUMBER = 1e6
#: Columns whose cells are numbers (a percent format there is refused, as "96.7%" in a CSV is).
NUMBER_CELL_COLUMNS = ("score", "cost", "year", "score_sd")
#: Columns holding ids: an invisible character or a Cyrillic/Greek look-alike in one is refused.
ID_COLUMNS = ("candidate_id", "unit_id")

_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


def load_candidates(path: str | Path, *, extra_bool_columns: Sequence[str] = ()) -> pd.DataFrame:
    """Read a candidate table (CSV or xlsx) and validate it.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` file (UTF-8 with or without BOM, GBK/GB18030, or whatever
        charset-normalizer recognises; comma, semicolon or tab separated) or an
        ``.xlsx``/``.xlsm`` workbook (sheet ``candidates`` if present, else the first visible
        sheet; a hidden or very hidden sheet holding data is refused;
        title rows above the header allowed; formulas read as their saved values).
        The header is the first row, among the first 20, with a cell ``candidate_id``.
    extra_bool_columns : sequence of str, optional
        Further columns that must be present and are parsed as booleans (empty = False),
        e.g. ``("selected", "national")`` when reading a slate.

    Returns
    -------
    pandas.DataFrame
        The candidate frame (see `normalise_candidates`), with ``attrs["source"]`` the
        path as given and ``attrs["first_data_row"]`` the file row of index 0.

    Raises
    ------
    InputError
        With one `Problem` per problem found (at most 200, then "… and N more").
    """
    source = str(path)
    path = Path(path)
    if not path.exists():
        raise InputError([Problem(source, say("文件不存在", "no such file"), _expected_table())])
    if not path.is_file():
        raise InputError([Problem(source, _what_is(path), _expected_table())])
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError([Problem(source, say(f"无法读取的文件（{exc.strerror or exc}）",
                                              f"a file that cannot be read ({exc.strerror or exc})"),
                                  say("规划程序可以读取的候选项目表", "a candidate table the planner may read"))]) from None
    if not data:
        raise InputError([Problem(source, say("空文件（0 字节）", "an empty file (0 bytes)"), _expected_rows())])
    suffix = path.suffix.lower()
    if suffix == ".xls" or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError([Problem(source, say("旧版 Excel .xls 工作簿", "an old-style Excel .xls workbook"),
                                  say(".xlsx 工作簿或 CSV 文件", "an .xlsx workbook or a CSV file"),
                                  hint=say("请用 Excel 或 WPS 打开，另存为 .xlsx", "open it in Excel or WPS and save it as .xlsx"))])
    if suffix in (".xlsx", ".xlsm") or data.startswith(b"PK\x03\x04"):
        return _load_xlsx(source, data, extra_bool_columns)
    rows = _read_csv_rows(data, source)
    return _normalise_rows(rows, source, extra_bool_columns, header_problems=[])


def _expected_table() -> str:
    return say("候选项目表（.csv 或 .xlsx）", "a candidate table (.csv or .xlsx)")


def _expected_rows() -> str:
    return say("一行表头（项目编号 candidate_id 等）和其下的候选项目行",
               "a header row with candidate_id, … and candidate rows")


# --------------------------------------------------------------------------- CSV
def _decode(data: bytes, source: str) -> str:
    """Text of a CSV: UTF-16 (BOM), UTF-8 (BOM optional), GB18030/GBK, else charset-normalizer."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):     # Excel "Unicode 文本"
        log.debug("%s decoded as utf-16", source)
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        log.debug("%s decoded as %s", source, encoding)
        return text
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise InputError([Problem(source, say("不是任何已知编码的文本", "bytes that are not text in any known encoding"),
                                  say("以 UTF-8 或 GBK 保存的 CSV 文件", "a CSV file saved as UTF-8 or GBK"))])
    log.info("%s decoded as %s (guessed)", source, best.encoding)
    return str(best)


def _read_csv_rows(data: bytes, source: str) -> list[list[str]]:
    text = _decode(data, source)
    lines = text.splitlines()[:HEADER_SEARCH_ROWS]
    header_line = next((ln for ln in lines if HEADER_MARK in ln or "项目编号" in ln), next((ln for ln in lines if ln.strip()), ""))
    counts = {sep: header_line.count(sep) for sep in (",", ";", "\t")}
    delimiter = max(counts, key=lambda sep: (counts[sep], sep == ","))
    # strip_blanks is str.strip when the text holds none of the extra blanks it strips.
    strip = strip_blanks if any(ch in text for ch in EXTRA_BLANKS) else str.strip
    try:
        return [list(map(strip, r)) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise InputError([Problem(source, say(f"格式有误的 CSV（{exc}）", f"malformed CSV ({exc})"),
                                  say("以逗号分隔的表格", "a comma-separated table"))]) from None


# --------------------------------------------------------------------------- xlsx
def _load_xlsx(source: str, data: bytes, extra_bool_columns: Sequence[str]) -> pd.DataFrame:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    _check_inflated_size(source, data)
    try:
        # From bytes: openpyxl refuses paths whose extension is not .xlsx/.xlsm.
        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True, read_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise InputError([Problem(source, say(f"无法作为 xlsx 工作簿读取的文件（{exc}）",
                                              f"a file that is not a readable xlsx workbook ({exc})"),
                                  say("由 Excel 或 WPS 保存的 .xlsx 工作簿", "an .xlsx workbook saved by Excel or WPS"))]) from None
    sheet = _data_sheet(workbook, source)
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    label = (say(f'{source} 工作表“{sheet.title}”', f'{source} sheet "{sheet.title}"')
             if len(workbook.sheetnames) > 1 else source)
    if not any(v is not None and cell_text(v) != "" for r in rows for v in r):
        raise InputError([Problem(label, say("空工作表", "an empty sheet"), _expected_rows())])
    text_rows = [[cell_text(v) for v in r] for r in rows]
    header_row = _header_row(text_rows)
    merged = sheet.merged_cells.ranges
    in_header = [Problem(label, say(f"表头行中的合并单元格 {rng.coord}", f"merged cells {rng.coord} in the header row"),
                         say("每个单元格一个列名", "one column name per cell"),
                         row=header_row, hint=say("请取消合并表头单元格", "unmerge the header cells"))
                 for rng in merged if rng.min_row <= header_row <= rng.max_row]
    if in_header:
        raise InputError(in_header)
    # Merged cells above the header are title rows and harmless; below it they hide values.
    problems = [Problem(label, say(f"合并单元格 {rng.coord}", f"merged cells {rng.coord}"),
                        say("每个单元格各有一个值", "one value in every cell"), row=rng.min_row,
                        hint=say("请取消合并，并把值填入每一行", "unmerge them and fill the value into every row"))
                for rng in merged if rng.min_row > header_row]
    problems += _formulas_without_values(data, sheet, header_row, label)
    problems += _hidden_rows(sheet, header_row, len(rows), label)
    problems += _percent_cells(sheet, text_rows[header_row - 1], header_row, label)
    return _normalise_rows(text_rows, label, extra_bool_columns, header_problems=problems, source=source)


def _data_sheet(workbook: Any, source: str) -> Any:
    """The sheet a workbook is read from: ``candidates`` if visible, else the first visible sheet.

    A hidden or very hidden sheet that holds any value is refused, located: what a person sees
    in Excel is what the planner reads, never a sheet kept out of sight (it may hold another
    slate than the one shown).
    """
    hidden = [ws for ws in workbook.worksheets if ws.sheet_state != "visible"
              and any(v is not None and cell_text(v) != "" for r in ws.iter_rows(values_only=True) for v in r)]
    if hidden:
        raise InputError([_hidden_sheet(source, ws) for ws in hidden])
    visible = [ws for ws in workbook.worksheets if ws.sheet_state == "visible"]
    if not visible:
        raise InputError([Problem(source, say("没有可见的工作表", "no visible sheet"),
                                  say("一个可见的数据工作表", "one visible data sheet"))])
    by_name = {ws.title.casefold(): ws for ws in visible}
    return by_name.get("candidates", visible[0])


def _hidden_sheet(source: str, sheet: Any) -> Problem:
    zh, en = {"hidden": ("隐藏", "hidden"), "veryHidden": ("深度隐藏（veryHidden）", "very hidden")}.get(
        sheet.sheet_state, (sheet.sheet_state, sheet.sheet_state))
    return Problem(source, say(f'{zh}的工作表 "{sheet.title}"，其中有数据', f'a {en} sheet "{sheet.title}" holding data'),
                   say("只有一个可见的数据工作表（不读隐藏的工作表）", "one visible data sheet (hidden sheets are not read)"),
                   column=say(f'工作表 "{sheet.title}"', f'sheet "{sheet.title}"'),
                   hint=say("取消隐藏后删除不用的工作表，或把要用的表另存为新工作簿",
                            "unhide it and delete the sheets not used, or save the sheet to use as a new workbook"))


def _formulas_without_values(data: bytes, sheet: Any, header_row: int, label: str) -> list[Problem]:
    """Formula cells below the header whose value was never saved.

    Excel and WPS save each formula's last value next to it, and that is what is read.
    Workbooks written by scripts (openpyxl, pandas) hold the formula only; such a cell
    would read as empty and silently take a default, so it is reported instead. A formula
    whose saved value is an empty string is told apart by its cell type (``str``).
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        has_formulas = any(_FORMULA_TAG.search(archive.read(name))
                           for name in archive.namelist() if name.startswith("xl/worksheets/"))
    if not has_formulas:
        return []
    import openpyxl

    formulas = openpyxl.load_workbook(io.BytesIO(data), data_only=False, read_only=True)[sheet.title]
    problems = []
    for r, row in enumerate(formulas.iter_rows(min_row=header_row + 1, values_only=True), start=header_row + 1):
        for c, value in enumerate(row, start=1):
            if not (isinstance(value, str) and value.startswith("=")):
                continue
            saved = sheet.cell(row=r, column=c)
            if saved.value is None and saved.data_type == "n":
                problems.append(Problem(label, say(f"公式 {value}，没有保存的计算结果",
                                                   f"the formula {value} with no saved value"),
                                        say("一个值（公式按 Excel 保存的计算结果读取）",
                                            "a value (formulas are read as the value Excel saved)"), row=r,
                                        column=say(f"单元格 {column_letter(c - 1)}{r}", f"cell {column_letter(c - 1)}{r}"),
                                        hint=say("请用 Excel 或 WPS 打开该文件并重新保存",
                                                 "open the file in Excel or WPS and save it again")))
    return problems


def _header_row(rows: list[list[str]]) -> int:
    """1-based row of the header: the first with a ``candidate_id`` cell, else the first non-empty."""
    for r, row in enumerate(rows[:HEADER_SEARCH_ROWS], start=1):
        if any(is_header_mark(cell) for cell in row if cell):      # candidate_id or 项目编号
            return r
    for r, row in enumerate(rows, start=1):
        if any(row):
            return r
    return 1


# --------------------------------------------------------------------------- header and cells
def _normalise_rows(text_rows: list[list[str]], label: str, extra_bool_columns: Sequence[str], *,
                    header_problems: list[Problem], source: str | None = None) -> pd.DataFrame:
    """Normalise a file's rows (cells already cleaned text): find the header, then `candidates.normalise_cells`."""
    if not any(any(r) for r in text_rows):
        raise InputError([Problem(label, say("没有表头行（文件只有空行）", "no header row (the file has only blank lines)"),
                                  _expected_rows())])
    header_row = _header_row(text_rows)
    body = text_rows[header_row:]
    header = list(text_rows[header_row - 1])
    width = max([len(header)] + [len(r) for r in body])
    header += [""] * (width - len(header))
    cells = np.full((len(body), width), "", dtype=object)
    if body and all(len(row) == width for row in body):
        cells[:] = body                      # a rectangular table (the usual CSV) in one assignment
    else:
        for i, row in enumerate(body):
            cells[i, : len(row)] = row
    header_problems = header_problems + _cell_problems(header, cells, label, header_row)
    frame = normalise_cells(header, cells, source=label, header_row=header_row,
                            extra_bool_columns=tuple(extra_bool_columns), problems=header_problems)
    frame.attrs["source"] = source or label
    return frame


# --------------------------------------------------------------------------- files and cells refused
# Readings chosen (README, "Candidate tables"): a percent-formatted number in a numeric column
# is refused, as "96.7%" in a CSV is (0.967 shown as 96.7 % is neither 0.967 points nor surely
# 96.7); hidden rows are refused (hidden may mean "leave out" or only "not now" — the planner
# does not guess); an id with an invisible character inside or a Cyrillic/Greek letter is
# refused (C2023-0001 with a Cyrillic С is another id that looks the same).

def _what_is(path: Path) -> str:
    if path.is_dir():
        return say("一个文件夹", "a directory")
    try:
        mode = path.stat().st_mode
    except OSError:
        return say("一个指向不存在位置或循环的链接", "a link that leads nowhere or loops")
    import stat
    if stat.S_ISFIFO(mode):
        return say("一个命名管道（FIFO，不是文件）", "a FIFO (a named pipe, not a file)")
    return say("不是普通文件", "not a regular file")


def _check_inflated_size(source: str, data: bytes) -> None:
    """Refuse an xlsx whose parts inflate past `MAX_XLSX_INFLATED` (a zip bomb), before reading it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return                                           # said by the workbook reader
    if total > MAX_XLSX_INFLATED:
        size, inflated, most = f"{len(data) / 2**20:.1f}", f"{total / 2**20:,.0f}", MAX_XLSX_INFLATED // 2**20
        raise InputError([Problem(source, say(f"大小 {size} MB、解压后达 {inflated} MB 的 xlsx",
                                              f"an xlsx of {size} MB that inflates to {inflated} MB"),
                                  say(f"解压后不超过 {most} MB 的工作簿（10 万行的候选项目表约 60 MB）",
                                      f"a workbook that inflates to at most {most} MB "
                                      "(a candidate table of 100,000 rows is about 60 MB)"),
                                  hint=say("请只把候选项目另存为新工作簿，或另存为 CSV",
                                           "save the candidates alone as a new workbook, or as CSV"))])


def _hidden_rows(sheet: Any, header_row: int, n_rows: int, label: str) -> list[Problem]:
    """Rows below the header hidden in Excel (by hand or by a filter) that hold values."""
    hidden = sorted(r for r, dim in sheet.row_dimensions.items() if dim.hidden and header_row < r <= n_rows)
    hidden = [r for r in hidden if any(v is not None and cell_text(v) != "" for v in
                                       next(sheet.iter_rows(min_row=r, max_row=r, values_only=True), ()))]
    if not hidden:
        return []
    more = len(hidden) - 20
    shown_zh = "、".join(map(str, hidden[:20])) + (f" 等（另有 {more} 行）" if more > 0 else "")
    shown_en = ", ".join(map(str, hidden[:20])) + (f" and {more} more" if more > 0 else "")
    return [Problem(label, say(f"隐藏的行 {shown_zh}", f"hidden rows {shown_en}" if len(hidden) > 1
                               else f"a hidden row {shown_en}"),
                    say("每一行候选项目都可见", "every candidate row visible"), row=hidden[0],
                    hint=say("请取消隐藏（不要的行直接删除）后保存；隐藏的行算不算，规划程序不作猜测",
                             "unhide them (delete the ones to leave out) and save; the planner does not guess "
                             "whether a hidden row counts"))]


def _percent_cells(sheet: Any, header: list[str], header_row: int, label: str) -> list[Problem]:
    """Numbers formatted as a percentage in a numeric column (0.967 shown as 96.7 %)."""
    columns = {j: (column_code(name), name) for j, name in enumerate(_canonical(h) for h in header)
               if column_code(name) in NUMBER_CELL_COLUMNS}
    problems = []
    for j, (code, name) in columns.items():
        for (cell,) in sheet.iter_rows(min_row=header_row + 1, min_col=j + 1, max_col=j + 1):
            value = cell.value
            if isinstance(value, (int, float)) and not isinstance(value, bool) and "%" in str(cell.number_format):
                cell_name = f"{column_letter(j)}{cell.row}"
                problems.append(Problem(label, say(f"{value:g}，显示为百分比（{100 * value:g}%）",
                                                   f"{value:g} shown as a percentage ({100 * value:g}%)"),
                                        (say("普通数字（评审分数：0 到 100 分）", "a plain number (score: points from 0 to 100)")
                                         if code == "score" else say("普通数字", "a plain number")), row=cell.row,
                                        column=say(f"{name}（单元格 {cell_name}）", f"{name} (cell {cell_name})"),
                                        hint=say("请把该列设为数字格式，并填入应有的值",
                                                 "format the column as a number and type the value it should hold")))
    return problems


def _cell_problems(header: list[str], cells: np.ndarray, label: str, header_row: int) -> list[Problem]:
    """Ids with invisible or look-alike characters; numbers too large for the solver."""
    problems = []
    for j, raw in enumerate(header):
        name = _canonical(raw)
        code = column_code(name)
        if code in ID_COLUMNS:
            whole = "".join(cells[:, j])                     # the cells are text (`_normalise_rows`)
            if whole.isascii() and whole.isprintable():      # every id: no invisible or look-alike character
                continue
            texts = [str(value) for value in cells[:, j]]
            for i, value in enumerate(cells[:, j]):
                found = _odd_characters(texts[i])
                if found:
                    problems.append(Problem(label, say(f'"{value}"，其中有{found}', f'"{value}" with {found}'),
                                            say("由字母、数字和标点照常输入的编号（不含不可见或形近字符）",
                                                "an id of letters, digits and punctuation as typed "
                                                "(no invisible or look-alike characters)"),
                                            row=header_row + 1 + i, column=name,
                                            hint=say("请重新输入该编号；看起来相同但实际不同的编号会被当作两个项目",
                                                     "retype the id; ids that look alike but differ would be two "
                                                     "candidates")))
        elif code in NUMBER_CELL_COLUMNS and code != "year":
            codes, distinct = pd.factorize(cells[:, j])       # each text once (the cells are text, none missing)
            numbers = pd.to_numeric(pd.Series([unicodedata.normalize("NFKC", v) for v in distinct], dtype=object),
                                    errors="coerce").to_numpy(dtype=float)[codes] if len(codes) else np.zeros(0)
            for i in np.flatnonzero(np.isfinite(numbers) & (np.abs(numbers) > MAX_CELL_NUMBER)):
                text = str(cells[i, j])
                shown = text if len(text) <= 40 else say(f"{text[:20]}…{text[-8:]}（共 {len(text)} 个字符）",
                                                         f"{text[:20]}…{text[-8:]} ({len(text)} characters)")
                problems.append(Problem(label, f'"{shown}"', say(f"不超过 {MAX_CELL_NUMBER:g} 的数",
                                                                 f"a number of at most {MAX_CELL_NUMBER:g}"),
                                        row=header_row + 1 + int(i), column=name))
    return problems


def _canonical(header_cell: str) -> str:
    return strip_blanks(unicodedata.normalize("NFKC", cell_text(header_cell)))


def _odd_characters(text: str) -> str:
    """Words for the invisible or look-alike characters in an id ("" if none)."""
    if text.isascii() and text.isprintable():          # no invisible, Cyrillic or Greek character
        return ""
    found = []
    for position, ch in enumerate(unicodedata.normalize("NFKC", text), start=1):
        category = unicodedata.category(ch)
        name = unicodedata.name(ch, f"U+{ord(ch):04X}")
        if category in ("Cf", "Cc", "Zl", "Zp") or (category == "Zs" and ch != " "):
            found.append(say(f"第 {position} 个字符为不可见字符 U+{ord(ch):04X}",
                             f"an invisible character U+{ord(ch):04X} at position {position}"))
        elif name.startswith(("CYRILLIC", "GREEK")):
            script = name.split()[0]
            found.append(say(f'第 {position} 个字符为{"西里尔" if script == "CYRILLIC" else "希腊"}字母“{ch}”'
                             f"（U+{ord(ch):04X}），看起来像拉丁字母",
                             f'the {script.title()} letter "{ch}" (U+{ord(ch):04X}) at position {position}, '
                             "which looks like a Latin one"))
    return say("；", "; ").join(found[:3])
