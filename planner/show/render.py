"""The bytes of output files: csv with a BOM, xlsx, json, and the guard against spreadsheet formulas.

Owns turning finished result tables (and summary dicts, PNG/HTML bytes) into bytes:
byte-deterministic csv and xlsx, and a guard against spreadsheet formula injection. Does not
own writing them (`files`), computing those tables, choosing their columns or wording their
contents: that belongs to `explain`, `audit` and `api`.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FIXED_TIMESTAMP", "FORMULA_PREFIXES", "SLATE_COLUMNS", "neutralise_formulas", "rendered"]

#: First characters that make a spreadsheet treat a text cell as a formula (OWASP CSV
#: injection): ``=``, ``+``, ``-``, ``@``, and tab / carriage return, which some
#: spreadsheets strip before looking at the next character.
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

#: Timestamp written into every xlsx's document properties so that the same frame always
#: gives the same bytes.
FIXED_TIMESTAMP = dt.datetime(2000, 1, 1)

#: Columns that make a table a slate, written as the planner's workbook (`workbook`).
SLATE_COLUMNS = frozenset({"candidate_id", "task", "unit_kind", "selected", "national"})

_XLSX_MAX_WIDTH = 60          # characters; long titles wrap in Excel rather than fill the screen
_XLSX_MIN_WIDTH = 6
_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")
# Control characters an xlsx cell cannot hold (the ones openpyxl refuses too).
_ILLEGAL_CHARACTERS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
_DATE_FORMATS = {dt.datetime: "yyyy-mm-dd hh:mm:ss", dt.date: "yyyy-mm-dd", dt.time: "hh:mm:ss",
                 dt.timedelta: "[h]:mm:ss"}
# A quoted csv field (quotes inside doubled, as Python's csv writer does) or a bare CRLF.
_QUOTED_OR_CRLF = re.compile(r'"[^"]*(?:""[^"]*)*"|\r\n')


def rendered(names: list[str], tables: Mapping[str, pd.DataFrame], xlsx: Mapping[str, str],
             json_files: Mapping[str, Mapping[str, Any]], binary_files: Mapping[str, bytes]) -> Iterator[tuple[str, bytes]]:
    """(file name, bytes) of every output, in `names` order, rendered one at a time."""
    # One neutralised copy per exported table, shared by its csv and xlsx, and the codes of its
    # text columns (`TextCodes`), found by the guard and shared by both too.
    safe, codes = {}, {}
    for name, frame in tables.items():
        safe[name], codes[name] = _guarded(frame)
    for name, frame in safe.items():
        yield name, _csv_bytes(frame, codes[name])
    for name, table in xlsx.items():
        if SLATE_COLUMNS <= set(safe[table].columns):     # a slate: the planner's workbook (`workbook`)
            from planner.show.workbook import slate_xlsx_bytes
            yield name, slate_xlsx_bytes(safe[table], rules=safe.get("rules.csv"), codes=codes[table])
            continue
        yield name, _xlsx_bytes(safe[table], sheet_title=Path(table).stem)
    for name, payload in json_files.items():
        yield name, _json_bytes(payload)
    for name, data in binary_files.items():
        yield name, bytes(data)


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of `frame` whose text cannot run as a spreadsheet formula.

    In text columns (object, string or categorical-of-text dtype) a cell that starts
    with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading apostrophe,
    so ``=HYPERLINK(...)`` is shown as the text ``'=HYPERLINK(...)``. Text column
    names are treated the same way, since the header row is a row of cells too.
    Numeric and boolean columns are untouched (``-3`` stays the number ``-3``), as are
    non-text values inside an object column.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any columns; not modified.

    Returns
    -------
    pandas.DataFrame
        A copy with the same index, columns (apart from guarded names) and dtypes.
    """
    return _guarded(frame)[0]


#: The text columns of a table by position: each cell's code (-1: missing) and the distinct texts
#: in the order first seen, ``pd.factorize`` of the column. A table's text columns are walked by
#: the formula guard, the csv and the workbook in turn; numbered once, they are shared by all three.
TextCodes = dict[int, tuple[np.ndarray, list[str]]]


def _guarded(frame: pd.DataFrame) -> tuple[pd.DataFrame, TextCodes]:
    """`neutralise_formulas` of `frame`, and the codes of its columns of text and missing cells
    after the guard (the guard changes texts, never which cells hold the same text)."""
    out = frame.copy()
    codes: TextCodes = {}
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        guarded, coded = _guard_column(column)
        if guarded is not column:
            out.isetitem(position, guarded)
        if coded is not None:
            codes[position] = coded
    out.columns = pd.Index(
        [_neutralise_text(c) if isinstance(c, str) else c for c in out.columns],
        name=out.columns.name,
    )
    return out, codes


# --- rendering -----------------------------------------------------------------------------


def _csv_bytes(frame: pd.DataFrame, codes: TextCodes | None = None) -> bytes:
    """UTF-8-with-BOM csv of `frame` with ``\\n`` line ends.

    pandas writes floats by their shortest round-trip repr, so the same frame always
    gives the same bytes. Python's csv writer quotes a field only for the characters of
    its line terminator, so with ``\\n`` a carriage return inside a cell would be left
    bare and split the row when read back; when the text has one, the csv is written
    with ``\\r\\n`` (quoting such cells) and the row ends outside quotes become ``\\n``.
    `codes`: those of `frame`'s text columns, where the caller has them (`_guarded`).
    """
    text = _csv_text(frame, codes)
    if text is None:
        text = frame.to_csv(index=False, lineterminator="\n")
    if "\r" in text:
        text = _QUOTED_OR_CRLF.sub(
            lambda m: "\n" if m.group() == "\r\n" else m.group(),
            frame.to_csv(index=False, lineterminator="\r\n"),
        )
    return text.encode("utf-8-sig")


def _csv_text(frame: pd.DataFrame, codes: TextCodes | None = None) -> str | None:
    """`frame` as pandas' ``to_csv(index=False, lineterminator="\\n")`` writes it, built by column:
    each column's fields formatted as pandas formats them (floats by numpy's shortest repr, NaN and
    missing text empty, ``True``/``False``), each distinct text quoted once where it holds a comma,
    a quote or a line feed, then the rows joined. None (pandas writes it) for a frame of one
    column or none, no rows, or a column of another kind (dates, nullable integers, mixed objects)."""
    if frame.shape[1] < 2 or not len(frame):
        return None
    columns = []
    for j in range(frame.shape[1]):
        fields = _csv_fields(frame.iloc[:, j], (codes or {}).get(j))
        if fields is None:
            return None
        columns.append(fields)
    header = _csv_fields(pd.Series([str(c) for c in frame.columns], dtype=object))
    if header is None or frame.columns.nlevels != 1 or not all(isinstance(c, str) for c in frame.columns):
        return None
    return ",".join(header) + "\n" + "\n".join(map(",".join, zip(*columns))) + "\n"


#: What makes Python's csv writer quote a field (line terminator "\n"; a "\r" anywhere makes `_csv_bytes` redo the file).
_CSV_QUOTED = re.compile('[,"\n]')


def _csv_fields(column: pd.Series, coded: tuple[np.ndarray, list[str]] | None = None) -> list[str] | None:
    """The csv fields of one column, each distinct value formatted once (None: not a plain column);
    `coded`: the column's codes and distinct texts where the caller has them (`TextCodes`)."""
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        values = column.to_numpy()
        codes, distinct = pd.factorize(values.view(np.int64) if dtype.kind == "f" and dtype.itemsize == 8 else values)
        if dtype.kind == "b":
            text = np.array(["True" if v else "False" for v in distinct], dtype=object)
        elif dtype.kind == "f":
            if dtype.itemsize != 8:
                return None
            floats = distinct.view(np.float64)
            text = floats.astype(str).astype(object)        # what pandas' to_csv writes (numpy's repr)
            text[np.isnan(floats)] = ""
        else:
            text = np.asarray(distinct).astype(str).astype(object)
        return text[codes].tolist()
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in "iu" \
            and isinstance(column.array, pd.arrays.IntegerArray):      # Int64 & co.: the number, or empty
        fields = _csv_fields(pd.Series(column.array.to_numpy(dtype=dtype.numpy_dtype, na_value=0)))
        return np.where(column.isna().to_numpy(), "", np.array(fields, dtype=object)).tolist()
    if not (isinstance(dtype, pd.StringDtype) or dtype == object):
        return None
    if coded is None:
        coded = _text_codes(column)
        if coded is None:
            return None
    codes, distinct = coded[0], list(coded[1])
    quoted = _texts_holding(distinct, _CSV_QUOTED)
    for k in np.flatnonzero(quoted).tolist():
        distinct[k] = '"' + distinct[k].replace('"', '""') + '"'
    return np.array(distinct + [""], dtype=object)[codes].tolist()


def _texts_holding(texts: list[str], pattern: re.Pattern) -> np.ndarray:
    """Which texts hold a match of the one-character `pattern`, searched in one pass over all of them
    joined by NUL (never in `pattern`)."""
    out = np.zeros(len(texts), bool)
    joined = "\x00".join(texts)
    if not pattern.search(joined):
        return out
    ends = np.cumsum(np.fromiter(map(len, texts), np.int64, len(texts)) + 1) - 1     # the NUL after each
    starts = np.fromiter((m.start() for m in pattern.finditer(joined)), np.int64)
    out[np.searchsorted(ends, starts, side="right")] = True
    return out


def _json_bytes(payload: Mapping[str, Any]) -> bytes:
    text = json.dumps(_jsonable(payload), ensure_ascii=False, indent=2, sort_keys=False,
                      allow_nan=False)
    return (text + "\n").encode("utf-8")


def _jsonable(value: Any) -> Any:
    """`value` with numpy/pandas scalars made plain and non-finite floats made None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, Mapping):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return value.isoformat()
    return value


def _xlsx_bytes(frame: pd.DataFrame, *, sheet_title: str) -> bytes:
    """One-sheet workbook of `frame`: bold frozen header, fitted widths, typed cells.

    Written with XlsxWriter (several times faster to import than openpyxl, which only reads
    here). Text is always a text cell — never a formula or an error value like ``#N/A``.
    Byte-deterministic: document properties carry :data:`FIXED_TIMESTAMP`, and XlsxWriter
    dates every zip entry 1980-01-01 (Excel's own choice) when writing in memory.
    """
    raw = io.BytesIO()
    import xlsxwriter      # loaded when a workbook is written, not by every command that imports this module
    workbook = xlsxwriter.Workbook(raw, {"in_memory": True, "strings_to_numbers": False,
                                         "strings_to_formulas": False, "strings_to_urls": False})
    workbook.set_properties({"author": "planner", "created": FIXED_TIMESTAMP})
    sheet = workbook.add_worksheet(_sheet_title(sheet_title))
    bold = workbook.add_format({"bold": True})
    dates = {kind: workbook.add_format({"num_format": code}) for kind, code in _DATE_FORMATS.items()}

    headers = [_excel_value(name) for name in frame.columns]
    columns = [_excel_column(frame.iloc[:, i]) for i in range(frame.shape[1])]
    for j, (header, values) in enumerate(zip(headers, columns)):
        width = max(map(_display_width, {header, *values}))
        sheet.set_column(j, j, min(max(width + 2, _XLSX_MIN_WIDTH), _XLSX_MAX_WIDTH))
    sheet.freeze_panes(1, 0)
    for j, header in enumerate(headers):
        sheet.write_string(0, j, str(header if header is not None else ""), bold)

    number, text, flag = sheet.write_number, sheet.write_string, sheet.write_boolean
    writers = {float: number, int: number, str: text, bool: flag}
    for j, values in enumerate(columns):
        for i, value in enumerate(values, start=1):
            if value is None:
                continue
            write = writers.get(type(value))
            if write is not None:
                write(i, j, value)
            else:                                   # dates, times, durations
                kind = next(k for k in _DATE_FORMATS if isinstance(value, k))
                sheet.write_datetime(i, j, value, dates[kind])
    workbook.close()
    return raw.getvalue()


def _excel_column(column: pd.Series) -> list[Any]:
    """The values of `column` as the xlsx should store them; plain numpy bool and int
    columns need no per-value work."""
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "biu":
        return column.tolist()
    return [_excel_value(value) for value in column.tolist()]


def _excel_value(value: Any) -> Any:
    """A frame value as the xlsx should store it (None = empty cell)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return value if math.isfinite(value) else str(value)    # Excel has no inf
    if isinstance(value, int):
        return value
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.isoformat()                                 # Excel has no time zones
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value
    if isinstance(value, pd.Timedelta):
        return value.to_pytimedelta()
    if isinstance(value, dt.timedelta):
        return value
    return _ILLEGAL_CHARACTERS.sub("", str(value))


def _display_width(value: Any) -> int:
    """Rough on-screen width of a cell: East Asian wide characters count double."""
    if value is None:
        return 0
    text = value if isinstance(value, str) else str(value)
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _sheet_title(stem: str) -> str:
    title = _SHEET_TITLE_BAD.sub("_", stem).strip("'")[:31]
    return title or "Sheet1"


def _neutralise_text(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


#: A formula's first character right after the NUL that `_formula_starts` puts before every text.
_FORMULA_START = re.compile("\x00[" + re.escape("".join(FORMULA_PREFIXES)) + "]")


def _formula_starts(distinct) -> np.ndarray:
    """Which values are texts starting as a formula; all-text values searched in one pass, each
    preceded by a NUL (a match at a NUL inside a text is not a start, and is dropped)."""
    if len(distinct) and pd.api.types.infer_dtype(distinct, skipna=False) == "string":
        texts = np.asarray(distinct, dtype=object).tolist()
        out = np.zeros(len(texts), bool)
        joined = "\x00" + "\x00".join(texts)
        if not _FORMULA_START.search(joined):
            return out
        lengths = np.fromiter(map(len, texts), np.int64, len(texts))
        starts = np.cumsum(lengths + 1) - lengths - 1          # the NUL before each text
        found = np.fromiter((m.start() for m in _FORMULA_START.finditer(joined)), np.int64)
        at = np.searchsorted(starts, found)
        at = at[(at < len(starts)) & (starts[np.minimum(at, len(starts) - 1)] == found)]   # not a NUL inside a text
        out[at] = True
        return out
    return np.array([isinstance(v, str) and v.startswith(FORMULA_PREFIXES) for v in distinct], bool)


def _text_codes(column: pd.Series) -> tuple[np.ndarray, list[str]] | None:
    """The codes and distinct texts of a column of texts and missing cells (`TextCodes`); None
    where a cell is something else."""
    codes, distinct = pd.factorize(np.asarray(column, dtype=object), use_na_sentinel=True)
    distinct = distinct.tolist()                              # not element by element through pandas
    return (codes, distinct) if set(map(type, distinct)) <= {str} else None


def _guard_column(column: pd.Series) -> tuple[pd.Series, tuple[np.ndarray, list[str]] | None]:
    """`column` guarded against formulas (`column` itself when nothing changes) and, for a column
    of texts and missing cells, its codes and distinct texts after the guard (`TextCodes`)."""
    dtype = column.dtype
    if (isinstance(dtype, pd.StringDtype) or dtype == object) and len(column):
        try:
            coded = _text_codes(column)
        except TypeError:                                     # unhashable cells
            coded = None
        if coded is not None:
            codes, distinct = coded
            hit = _formula_starts(distinct)
            if not hit.any():
                return column, coded
            distinct = [_neutralise_text(t) if h else t for t, h in zip(distinct, hit.tolist())]
            return _neutralise_series(column), (codes, distinct)
    return _neutralise_series(column), None


def _neutralise_series(column: pd.Series) -> pd.Series:
    """`column` guarded against formulas, or `column` itself when nothing changes."""
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = dtype.categories
        if not (categories.dtype == object or isinstance(categories.dtype, pd.StringDtype)):
            return column
        renamed = [_neutralise_text(c) if isinstance(c, str) else c for c in categories]
        if renamed == list(categories):
            return column
        if len(set(renamed)) == len(renamed):
            return column.cat.rename_categories(renamed)
        return _neutralise_series(column.astype(object))      # "'=a" and "=a" both present
    if isinstance(dtype, pd.StringDtype) or dtype == object:
        # Each distinct text tested once (a national slate repeats its codes and names).
        try:
            codes, distinct = pd.factorize(column, use_na_sentinel=True)
        except TypeError:                                     # unhashable cells: each tested
            codes, distinct = np.arange(len(column)), column.tolist()
        starts = np.append(_formula_starts(distinct), False)
        hit = starts[codes]                                   # code -1 (missing) → the trailing False
        if not hit.any():
            return column
        if isinstance(dtype, pd.StringDtype):
            return column.mask(pd.Series(hit, index=column.index), "'" + column)
        values = column.tolist()
        guarded = [_neutralise_text(v) if h else v for v, h in zip(values, hit.tolist())]
        return pd.Series(guarded, index=column.index, name=column.name, dtype=object)
    return column
