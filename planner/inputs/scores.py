"""Expert score sheets: each expert's score for each project, read from one or many files.

Owns `read_scores`: a sheet in long form (one row per score: 项目编号, 专家编号, 专家单位, 评分 —
or the English candidate_id, expert_id, expert_unit, score) or in wide form (one row per
project, one column per expert, and optionally a row 专家单位 giving each expert's unit), as CSV
or xlsx, checked cell by cell — a project the candidate table does not have, a score that is
not a number from 0 to 100, an expert scoring one project twice (in one file or across files)
— every problem said with file, row and column, in Chinese. The files are read as the
candidate tables are (`candidate_files`: encodings, delimiters, xlsx sheets, hidden rows,
formulas without a saved value), and each file's sha256 is kept (``attrs["sheets"]``).

Does not own what counts (recusal, the minimum number of scores) nor how a panel's scores make
one score (the office's rule, `rules.scoring`).
"""
from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from planner.errors import InputError, Problem
from planner.inputs.candidate_files import (
    _check_inflated_size,
    _data_sheet,
    _formulas_without_values,
    _hidden_rows,
    _read_csv_rows,
)
from planner.inputs.candidates import cell_text, column_letter
from planner.inputs.catalogue import clean_text, suggest
from planner.inputs.labels import COLUMN_LABELS, column_code
from planner.lang import say

#: Header cell → column of a long-form sheet (compared after NFKC, blanks dropped, case folded).
SHEET_HEADERS = {
    "candidate_id": ("项目编号", "项目", "candidate_id", "project"),
    "expert_id": ("专家编号", "专家", "专家姓名", "评审专家", "expert_id", "expert"),
    "expert_unit": ("专家单位", "专家所在单位", "所在单位", "工作单位", "expert_unit", "unit"),
    "score": ("评分", "分数", "得分", "评审分数", "score"),
}
#: Chinese header of each column, as messages and the tables written say it.
SHEET_LABELS = {"candidate_id": "项目编号", "expert_id": "专家编号", "expert_unit": "专家单位", "score": "评分"}
#: The points a score may take: the notice's 0–100 scale, as the candidate table's ``score``.
SCORE_RANGE = (0.0, 100.0)
SCORE_COLUMNS = ["candidate_id", "expert_id", "expert_unit", "score", "file", "row", "column"]
HEADER_SEARCH_ROWS = 20
MAX_PROBLEMS = 200


def _key(text: str) -> str:
    return clean_text(text).replace(" ", "").casefold()


_HEADER_OF = {_key(alias): column for column, aliases in SHEET_HEADERS.items() for alias in aliases}


def read_scores(paths: str | Path | Iterable[str | Path], *, projects: Sequence[str] | None = None) -> pd.DataFrame:
    """Read expert score sheets (long or wide form, CSV or xlsx) into one long table.

    Parameters
    ----------
    paths : path or iterable of paths
        One or many sheets. Long form: a header row with 项目编号, 专家编号, 评分 and optionally
        专家单位 (English candidate_id, expert_id, score, expert_unit). Wide form: a header row with
        项目编号 and one column per expert (the header cell is the expert's id; columns the
        candidate table knows, such as 项目名称 or 申报单位, are not experts), a blank cell where an
        expert gave no score, and optionally one row whose 项目编号 cell is 专家单位 holding each
        expert's unit.
    projects : sequence of str, optional
        The candidate ids a score may be for (the candidate table's); another id is refused.

    Returns
    -------
    pandas.DataFrame
        One row per score: candidate_id, expert_id, expert_unit ("" when not given), score
        (float), file, row (1-based file row) and column (the header of the cell) of the score.
        ``attrs["sheets"]`` maps each file to its sha256.

    Raises
    ------
    InputError
        Every problem of every file, located (at most 200, then how many more).
    """
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    if not items:
        raise InputError([Problem("scores", say("没有评分表", "no score sheet"),
                                  say("至少一个专家评分表（csv/xlsx）", "at least one score sheet (csv/xlsx)"))])
    problems: list[Problem] = []
    parts, sheets = [], {}
    for item in items:
        source = str(item)
        data = _file_bytes(Path(item), source)
        sheets[source] = hashlib.sha256(data).hexdigest()
        label, rows, file_problems = _rows(source, data)
        problems += file_problems
        parts.append(_scores_of(label, rows, problems))
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=SCORE_COLUMNS)
    problems += _doubles(frame)
    if projects is not None:
        problems += _unknown(frame, projects)
    if problems:
        more = len(problems) - MAX_PROBLEMS
        shown = problems[:MAX_PROBLEMS]
        if more > 0:
            shown.append(Problem("scores", say(f"另有 {more} 处问题", f"{more} more problems")))
        raise InputError(shown)
    frame = frame.astype({"candidate_id": str, "expert_id": str, "expert_unit": str, "score": float,
                          "file": str, "row": "int64", "column": str})
    frame.attrs["sheets"] = sheets
    return frame


# --------------------------------------------------------------------------- files into rows of text
def _file_bytes(path: Path, source: str) -> bytes:
    expected = say("专家评分表（.csv 或 .xlsx）", "an expert score sheet (.csv or .xlsx)")
    if not path.is_file():
        found = say("文件夹", "a folder") if path.is_dir() else say("文件不存在", "no such file")
        raise InputError([Problem(source, found, expected)])
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError([Problem(source, say(f"无法读取的文件（{exc.strerror or exc}）",
                                              f"a file that cannot be read ({exc.strerror or exc})"), expected)]) from None
    if not data:
        raise InputError([Problem(source, say("空文件（0 字节）", "an empty file (0 bytes)"), expected)])
    if path.suffix.lower() == ".xls" or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError([Problem(source, say("旧版 Excel .xls 工作簿", "an old-style Excel .xls workbook"),
                                  say(".xlsx 工作簿或 CSV 文件", "an .xlsx workbook or a CSV file"),
                                  hint=say("请用 Excel 或 WPS 打开后另存为 .xlsx", "open it in Excel or WPS and save it as .xlsx"))])
    return data


def _rows(source: str, data: bytes) -> tuple[str, list[list[str]], list[Problem]]:
    """The sheet's rows as cleaned text, the label its problems are said under, and file problems."""
    if not (Path(source).suffix.lower() in (".xlsx", ".xlsm") or data.startswith(b"PK\x03\x04")):
        return source, _read_csv_rows(data, source), []
    import openpyxl

    _check_inflated_size(source, data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds of error on a damaged file
        raise InputError([Problem(source, say(f"无法读取的 xlsx 工作簿（{exc}）", f"not a readable xlsx workbook ({exc})"),
                                  say("Excel 或 WPS 保存的 .xlsx 工作簿", "an .xlsx workbook saved by Excel or WPS"))]) from None
    sheet = _data_sheet(workbook, source)
    label = f'{source} 工作表 "{sheet.title}"' if len(workbook.sheetnames) > 1 else source
    rows = [[cell_text(v) for v in r] for r in sheet.iter_rows(values_only=True)]
    header = _header_row(rows) or 1
    problems = _formulas_without_values(data, sheet, header, label) + _hidden_rows(sheet, header, len(rows), label)
    return label, rows, problems


def _header_row(rows: list[list[str]]) -> int | None:
    """1-based row of the header: the first of the first 20 with a 项目编号 (candidate_id) cell."""
    for r, row in enumerate(rows[:HEADER_SEARCH_ROWS], start=1):
        if any(_HEADER_OF.get(_key(cell)) == "candidate_id" for cell in row if cell):
            return r
    return None


# --------------------------------------------------------------------------- rows into scores
def _scores_of(label: str, rows: list[list[str]], problems: list[Problem]) -> pd.DataFrame:
    header_row = _header_row(rows)
    if header_row is None:
        problems.append(Problem(label, say("前 20 行中没有“项目编号”列的表头", "no header with 项目编号 (candidate_id) "
                                           "in the first 20 rows"),
                                say("长表：项目编号、专家编号、专家单位、评分；或宽表：项目编号和每位专家一列",
                                    "long form: 项目编号, 专家编号, 专家单位, 评分; or wide form: 项目编号 and one "
                                    "column per expert")))
        return pd.DataFrame(columns=SCORE_COLUMNS)
    header = rows[header_row - 1]
    columns = {j: _HEADER_OF.get(_key(cell)) for j, cell in enumerate(header) if cell}
    if "expert_id" in columns.values() or "score" in columns.values():
        return _long(label, header, rows, header_row, columns, problems)
    return _wide(label, header, rows, header_row, problems)


def _long(label: str, header: list[str], rows: list[list[str]], header_row: int, columns: dict[int, str | None],
          problems: list[Problem]) -> pd.DataFrame:
    where = {}
    for j, column in columns.items():
        if column is None:
            continue
        if column in where:
            problems.append(Problem(label, say(f"第二个“{header[j]}”列", f'a second column "{header[j]}"'),
                                    say("每列只出现一次", "each column once"), row=header_row, column=header[j]))
        where.setdefault(column, j)
    missing = [c for c in ("candidate_id", "expert_id", "score") if c not in where]
    if missing:
        names = "、".join(SHEET_LABELS[c] for c in missing)
        given = [c for c in header if c]
        problems.append(Problem(label, say(f"缺少列：{names}", f"no column {', '.join(missing)}"),
                                say("长表的列：项目编号、专家编号、专家单位（可选）、评分",
                                    "long-form columns: 项目编号, 专家编号, 专家单位 (optional), 评分"), row=header_row,
                                hint=say(f"表头为：{'、'.join(given)}", f"the header is: {', '.join(given)}")))
        return pd.DataFrame(columns=SCORE_COLUMNS)
    records = []
    for r, row in enumerate(rows[header_row:], start=header_row + 1):
        cells = {c: (row[j] if j < len(row) else "") for c, j in where.items()}
        if not any(row):
            continue
        for column in ("candidate_id", "expert_id"):
            if not cells[column]:
                problems.append(Problem(label, say("空单元格", "an empty cell"), say(f"{SHEET_LABELS[column]}",
                                        f"a {column}"), row=r, column=header[where[column]]))
        score = _score(cells["score"], label, r, header[where["score"]], problems, blank_ok=False)
        if score is not None and cells["candidate_id"] and cells["expert_id"]:
            records.append((_id(cells["candidate_id"]), cells["expert_id"], cells.get("expert_unit", ""), score,
                            label, r, header[where["score"]]))
    return pd.DataFrame(records, columns=SCORE_COLUMNS)


def _wide(label: str, header: list[str], rows: list[list[str]], header_row: int, problems: list[Problem]) -> pd.DataFrame:
    id_col = next(j for j, cell in enumerate(header) if _HEADER_OF.get(_key(cell)) == "candidate_id")
    known = set(COLUMN_LABELS) | set(COLUMN_LABELS.values())
    experts = {j: cell for j, cell in enumerate(header)
               if cell and j != id_col and column_code(cell) not in known and cell not in known}
    if not experts:
        problems.append(Problem(label, say("没有专家评分列", "no column of an expert's scores"),
                                say("宽表：项目编号和每位专家一列（表头为专家编号）",
                                    "wide form: 项目编号 and one column per expert (headed by the expert's id)"),
                                row=header_row))
        return pd.DataFrame(columns=SCORE_COLUMNS)
    seen: dict[str, int] = {}
    for j, name in experts.items():
        if name in seen:
            problems.append(Problem(label, say(f"专家“{name}”的第二列（第一列在 {column_letter(seen[name])} 列）",
                                               f'a second column of expert "{name}" (the first is column '
                                               f"{column_letter(seen[name])})"),
                                    say("每位专家一列", "one column per expert"), row=header_row,
                                    column=f"{name}（{column_letter(j)}）"))
        seen.setdefault(name, j)
    units = {j: "" for j in experts}
    records = []
    for r, row in enumerate(rows[header_row:], start=header_row + 1):
        pid = row[id_col] if id_col < len(row) else ""
        if _HEADER_OF.get(_key(pid)) == "expert_unit":
            units.update({j: (row[j] if j < len(row) else "") for j in experts})
            continue
        if not any(row):
            continue
        if not pid:
            problems.append(Problem(label, say("空单元格", "an empty cell"), say("项目编号", "a candidate_id"),
                                    row=r, column=header[id_col]))
            continue
        for j, name in experts.items():
            score = _score(row[j] if j < len(row) else "", label, r, name, problems, blank_ok=True)
            if score is not None:
                records.append((_id(pid), name, j, score, label, r, name))
    frame = pd.DataFrame(records, columns=SCORE_COLUMNS)
    frame["expert_unit"] = frame["expert_unit"].map(units).fillna("")
    return frame


def _id(text: str) -> str:
    """A project id as the candidate table reads it (NFKC, blanks dropped at the ends)."""
    return clean_text(text)


def _score(text: str, label: str, row: int, column: str, problems: list[Problem], *, blank_ok: bool) -> float | None:
    """A score cell as a number from 0 to 100 (None for a blank wide-form cell or a problem)."""
    expected = say(f"{SCORE_RANGE[0]:g}–{SCORE_RANGE[1]:g} 之间的分数", f"a score from {SCORE_RANGE[0]:g} to {SCORE_RANGE[1]:g}")
    cleaned = clean_text(text)
    if not cleaned:
        if not blank_ok:
            problems.append(Problem(label, say("空单元格", "an empty cell"), expected, row=row, column=column,
                                    hint=say("专家未评分的项目请删去这一行", "delete the row if the expert gave no score")))
        return None
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        problems.append(Problem(label, f'"{text}"', expected, row=row, column=column))
        return None
    if not number.is_finite() or not SCORE_RANGE[0] <= number <= SCORE_RANGE[1]:
        problems.append(Problem(label, f'"{text}"', expected, row=row, column=column))
        return None
    return float(cleaned)


def _doubles(frame: pd.DataFrame) -> list[Problem]:
    """An expert scoring one project twice (in one sheet or two): every second score, with the first's place."""
    if not len(frame):
        return []
    keyed = frame.assign(_expert=frame["expert_id"].map(_key))
    twice = keyed.duplicated(["candidate_id", "_expert"], keep=False)
    problems = []
    for (pid, _), group in keyed[twice].groupby(["candidate_id", "_expert"], sort=False):
        first = group.iloc[0]
        for record in group.iloc[1:].to_dict("records"):               # one message per problem
            problems.append(Problem(record["file"], say(
                f"专家“{record['expert_id']}”对项目“{pid}”的第二个评分 {record['score']:g}"
                f"（第一个在 {first.file} 第 {first.row} 行：{first.score:g}）",
                f'a second score {record["score"]:g} of expert "{record["expert_id"]}" '
                f'for project "{pid}" (the first at {first.file} row {first.row}: {first.score:g})'),
                say("每位专家对每个项目只评一次分", "one score per expert and project"),
                row=int(record["row"]), column=record["column"]))
    return problems


def _unknown(frame: pd.DataFrame, projects: Sequence[str]) -> list[Problem]:
    known = {str(p) for p in projects}
    options = sorted(known)
    problems = []
    unknown = frame[~frame["candidate_id"].isin(known)].drop_duplicates("candidate_id")
    for pid, file, row in zip(unknown["candidate_id"], unknown["file"], unknown["row"]):    # one message per problem
        problems.append(Problem(file, say(f"候选项目表中没有的项目“{pid}”",
                                          f'project "{pid}", which the candidate table does not have'),
                                say("候选项目表中的项目编号", "a candidate_id of the candidate table"),
                                row=int(row), column=SHEET_LABELS["candidate_id"], hint=suggest(pid, options)))
    return problems
