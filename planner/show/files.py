"""Writing the outputs of a run: csv with BOM, xlsx, json and binary files, atomically and safely.

Owns turning finished result tables (and summary dicts, PNG/HTML bytes) into files:
byte-deterministic csv and xlsx, a guard against spreadsheet formula injection, and the
"nothing partial is ever left behind" write protocol (stage in a temporary folder, fsync,
rename into place). Does not own computing those tables, choosing their columns or
wording their contents: that belongs to `explain`, `audit` and `api`.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import logging
import math
import os
import re
import secrets
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.errors import InputError, Problem
from planner.show.staging import fsync_dir, not_writable, output_folder, staging_target

__all__ = ["FORMULA_PREFIXES", "atomic_write_bytes", "neutralise_formulas", "write_outputs"]

logger = logging.getLogger(__name__)

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


# --- public API ----------------------------------------------------------------------------


def write_outputs(
    out_dir: str | os.PathLike[str],
    *,
    tables: Mapping[str, pd.DataFrame],
    json_files: Mapping[str, Mapping[str, Any]] | None = None,
    binary_files: Mapping[str, bytes] | None = None,
    xlsx: Mapping[str, str] | None = None,
) -> list[Path]:
    """Write every output of a run into `out_dir`, all of them or none.

    Files are first written (and fsynced) into a temporary folder next to `out_dir`
    that starts with `out_dir`'s other files, then swapped in as a whole, under a lock
    that refuses a second writer (`staging.output_folder`). If anything fails — including
    Ctrl-C — the temporary folder is removed and `out_dir` is left as it was: absent if it
    was absent, with its earlier files if it existed. Files of `out_dir` that this run
    does not write are kept. Inside `staging.output_folder`, on the folder it yields, the
    files are written straight into it (the swap comes when that block ends).

    Parameters
    ----------
    out_dir : str or path-like
        Folder to write into; created (with missing parents) if absent.
    tables : mapping of str to pandas.DataFrame
        File name (with extension, e.g. ``"slate.csv"``) → frame. Any columns. Written
        as UTF-8 csv with a BOM (so Excel reads Chinese text), no index, ``\\n`` line
        ends, after :func:`neutralise_formulas`. The frames are not modified.
    json_files : mapping of str to dict, optional
        File name → JSON-able dict, written UTF-8 with ``indent=2``, key order kept and
        Chinese text unescaped. numpy scalars become numbers; NaN and ±inf become
        ``null`` (they are not valid JSON).
    binary_files : mapping of str to bytes, optional
        File name → bytes written as they are (PNG charts, HTML).
    xlsx : mapping of str to str, optional
        xlsx file name → key of `tables` to export, e.g. ``{"slate.xlsx": "slate.csv"}``.
        One sheet, header row bold and frozen, widths fitted, numbers and booleans kept
        as numbers and booleans.

    Returns
    -------
    list of pathlib.Path
        The final paths, in the order tables, xlsx, json, binary.

    Raises
    ------
    InputError
        `out_dir` (or its nearest existing parent) is not a writable folder, a file this
        run should write is a folder in `out_dir`, or another process is writing `out_dir`.
    ValueError
        A file name is not a plain file name, a name is used twice, or `xlsx` names a
        table that is not in `tables` (mistakes of the calling code).
    """
    json_files = json_files or {}
    binary_files = binary_files or {}
    xlsx = xlsx or {}
    names = _check_names(tables, xlsx, json_files, binary_files)
    out_dir = Path(out_dir)

    outputs = (tables, xlsx, json_files, binary_files)
    if staging_target(out_dir) is not None:             # inside `staging.output_folder`: straight in
        _write_into(out_dir, names, *outputs)
    else:
        with output_folder(out_dir) as folder:
            if staging_target(folder) is None:          # written file by file (see `staging`)
                _write_in_place(folder, names, *outputs)
            else:
                _write_into(folder, names, *outputs)

    paths = [out_dir / name for name in names]
    logger.info("wrote %d file(s) into %s: %s", len(paths), out_dir, ", ".join(names))
    return paths


def _rendered(names: list[str], tables: Mapping[str, pd.DataFrame], xlsx: Mapping[str, str],
              json_files: Mapping[str, Mapping[str, Any]], binary_files: Mapping[str, bytes]) -> Iterator[tuple[str, bytes]]:
    """(file name, bytes) of every output, in `names` order, rendered one at a time."""
    # One neutralised copy per exported table, shared by its csv and xlsx.
    safe = {name: neutralise_formulas(frame) for name, frame in tables.items()}
    for name, frame in safe.items():
        yield name, _csv_bytes(frame)
    for name, table in xlsx.items():
        if SLATE_COLUMNS <= set(safe[table].columns):     # a slate: the planner's workbook (`workbook`)
            from planner.show.workbook import slate_xlsx_bytes
            yield name, slate_xlsx_bytes(safe[table], rules=safe.get("rules.csv"))
            continue
        yield name, _xlsx_bytes(safe[table], sheet_title=Path(table).stem)
    for name, payload in json_files.items():
        yield name, _json_bytes(payload)
    for name, data in binary_files.items():
        yield name, bytes(data)


def _write_into(stage: Path, names: list[str], *outputs: Any) -> None:
    """Write the outputs into an open staging folder (each file through a temporary name)."""
    clashes = [name for name in names if (stage / name).is_dir() and not (stage / name).is_symlink()]
    if clashes:
        target = staging_target(stage) or stage
        raise InputError([Problem(file=str(target / name), found="a folder",
                                  expected="no folder where an output file goes") for name in clashes])
    for name, data in _rendered(names, *outputs):
        temp = _create_exclusive(stage, f".{name}.tmp-")
        try:
            _write_file(temp, data, create=False)
            os.replace(temp, stage / name)              # replaces a hard link, never writes through it
        except BaseException:
            temp.unlink(missing_ok=True)
            raise


def _write_in_place(out_dir: Path, names: list[str], *outputs: Any) -> None:
    """Files staged in a temporary folder inside `out_dir`, then renamed in one by one (a folder
    that cannot be swapped as a whole: see `staging`); on failure `out_dir` is put back."""
    try:
        stage = Path(tempfile.mkdtemp(prefix=".planner.tmp-", dir=out_dir))
    except OSError as exc:                              # e.g. a read-only file system
        raise not_writable(out_dir) from exc
    try:
        staged = stage / "files"     # plain mkdir: the folder gets the user's usual permissions
        staged.mkdir()
        for name, data in _rendered(names, *outputs):
            _write_file(staged / name, data)
        _move_into_place(staged, out_dir, names, backup_dir=stage / "backup")
    finally:                                            # also on Ctrl-C
        shutil.rmtree(stage, ignore_errors=True)


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
    out = frame.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        guarded = _neutralise_series(column)
        if guarded is not column:
            out.isetitem(position, guarded)
    out.columns = pd.Index(
        [_neutralise_text(c) if isinstance(c, str) else c for c in out.columns],
        name=out.columns.name,
    )
    return out


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write `data` to `path` so that readers see the old file or the new one, never half.

    The bytes go to a hidden temporary file in the same folder, are fsynced, and the
    temporary file is renamed over `path`. On any failure the temporary file is removed
    and `path` is unchanged. Missing parent folders are created.

    Parameters
    ----------
    path : str or path-like
        Final file path.
    data : bytes
        Contents.

    Returns
    -------
    pathlib.Path
        `path`.

    Raises
    ------
    InputError
        The folder of `path` (or its nearest existing parent) cannot be written.
    """
    path = Path(path)
    folder = path.parent
    _check_writable(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _not_writable(folder) from exc
    if path.is_dir():
        raise InputError([Problem(file=str(path), found="a folder",
                                  expected="a file name that can be written")])
    temp = _create_exclusive(folder, f".{path.name}.tmp-")
    try:
        _write_file(temp, bytes(data), create=False)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_dir(folder)
    logger.debug("wrote %s (%d bytes)", path, len(data))
    return path


# --- rendering -----------------------------------------------------------------------------


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8-with-BOM csv of `frame` with ``\\n`` line ends.

    pandas writes floats by their shortest round-trip repr, so the same frame always
    gives the same bytes. Python's csv writer quotes a field only for the characters of
    its line terminator, so with ``\\n`` a carriage return inside a cell would be left
    bare and split the row when read back; when the text has one, the csv is written
    with ``\\r\\n`` (quoting such cells) and the row ends outside quotes become ``\\n``.
    """
    text = frame.to_csv(index=False, lineterminator="\n")
    if "\r" in text:
        text = _QUOTED_OR_CRLF.sub(
            lambda m: "\n" if m.group() == "\r\n" else m.group(),
            frame.to_csv(index=False, lineterminator="\r\n"),
        )
    return text.encode("utf-8-sig")


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
    if isinstance(dtype, pd.StringDtype):
        hit = column.str.startswith(FORMULA_PREFIXES).fillna(False).astype(bool)
        if not hit.any():
            return column
        return column.mask(hit, "'" + column)
    if dtype == object:
        values = column.tolist()
        guarded = [_neutralise_text(v) if isinstance(v, str) else v for v in values]
        if all(a is b for a, b in zip(values, guarded)):
            return column
        return pd.Series(guarded, index=column.index, name=column.name, dtype=object)
    return column


# --- the write protocol --------------------------------------------------------------------


def _check_names(tables: Mapping[str, pd.DataFrame], xlsx: Mapping[str, str],
                 json_files: Mapping[str, Any], binary_files: Mapping[str, bytes]) -> list[str]:
    """All output file names in write order; each a plain, unique file name."""
    names = [*tables, *xlsx, *json_files, *binary_files]
    for name in names:
        if (not isinstance(name, str) or name in ("", ".", "..")
                or "/" in name or "\\" in name or "\0" in name):
            raise ValueError(f"output file name {name!r} is not a plain file name")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"output file name(s) used twice: {', '.join(repeated)}")
    missing = [table for table in xlsx.values() if table not in tables]
    if missing:
        raise ValueError(f"xlsx export names table(s) not in `tables`: {', '.join(missing)}")
    return names


def _not_writable(folder: Path) -> InputError:
    return not_writable(folder)


def _is_writable_dir(folder: Path) -> bool:
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


def _nearest_existing(path: Path) -> Path:
    probe = path.absolute()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return probe


def _check_writable(folder: Path) -> None:
    """Raise InputError unless `folder`, or the nearest parent that exists, can be written.

    A regular file on the way (``report.csv/out``) can never become a folder, so it
    fails here too. As root, permission bits do not stop writes and pass this check.
    """
    if not _is_writable_dir(_nearest_existing(folder)):
        raise _not_writable(folder)


def _move_into_place(staged: Path, out_dir: Path, names: list[str], *, backup_dir: Path) -> None:
    """Rename the staged files into `out_dir`; on failure put `out_dir` back as it was."""
    if not out_dir.exists():
        try:
            os.rename(staged, out_dir)          # the whole folder appears at once
            fsync_dir(out_dir.absolute().parent)
            return
        except OSError:
            if not out_dir.is_dir():            # not a race with another writer: give up
                raise
    clashes = [name for name in names if (out_dir / name).is_dir()]
    if clashes:
        raise InputError([Problem(file=str(out_dir / name), found="a folder",
                                  expected="no folder where an output file goes")
                          for name in clashes])
    backup_dir.mkdir()
    done: list[tuple[Path, Path | None]] = []    # (target, backup of the old file or None)
    try:
        for name in names:
            target = out_dir / name
            backup = _back_up(target, backup_dir / name)
            done.append((target, backup))
            os.replace(staged / name, target)
    except BaseException:
        for target, backup in reversed(done):
            try:
                if backup is not None:
                    os.replace(backup, target)
                else:
                    target.unlink(missing_ok=True)
            except OSError:
                logger.exception("could not restore %s after a failed write", target)
        raise
    fsync_dir(out_dir)


def _back_up(target: Path, backup: Path) -> Path | None:
    """Keep the current `target` (if any) at `backup`; a hard link leaves it in place."""
    if not (target.exists() or target.is_symlink()):
        return None
    try:
        os.link(target, backup, follow_symlinks=False)
    except OSError:
        os.replace(target, backup)
    return backup


def _create_exclusive(folder: Path, prefix: str) -> Path:
    """Create a new empty file with a random name in `folder` (usual permissions,
    unlike `tempfile.mkstemp`, which makes it owner-only)."""
    while True:
        path = folder / f"{prefix}{secrets.token_hex(6)}"
        try:
            with open(path, "xb"):
                return path
        except FileExistsError:
            continue
        except OSError as exc:
            raise _not_writable(folder) from exc


def _write_file(path: Path, data: bytes, *, create: bool = True) -> None:
    with open(path, "xb" if create else "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())

