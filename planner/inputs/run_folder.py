"""A run folder read back: slate flags, slate.csv, explanations.csv and summary.json, each checked.

Owns the one reading of what ``planner solve --out`` wrote, for every command that reads it back
(publish, report, ledger, compare, ``audit --against``, ``solve --verify``): a folder that was
edited by hand or damaged is refused with a located `InputError` (file, row, column, what was
found, what was expected), never a traceback.

- Slate flags (``selected``, ``national``) are read by `read_flags` and nowhere else, with the
  candidate loader's words (`inputs.candidates.parse_bool`): 是/否, 1/0, true/false, t/f and —
  the reading chosen here — yes/no and y/n, in any case and width; an empty cell is 否. Any other
  word is refused, located. So a slate with yes/no is the same slate in audit, publish and
  every other command.
- slate.csv is read with `load_candidates` (every column validated, flags as bool) and its
  ``reason`` kept as written.
- summary.json must be UTF-8 JSON holding an object whose numbers (`SUMMARY_NUMBERS`) are
  numbers.

Does not own writing a run folder (`show.files`, `rounds`), nor what is done with what is read.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from planner.errors import InputError, Problem
from planner.inputs.candidate_files import load_candidates
from planner.inputs.candidates import file_rows, parse_bool
from planner.lang import say

SLATE = "slate.csv"
SUMMARY = "summary.json"
EXPLANATIONS = "explanations.csv"
COUNTERFACTUALS = "counterfactuals.csv"
FLAG_COLUMNS = ("selected", "national")
FLAG_EXPECTED = ("是/否、1/0、true/false 或 yes/no（不分大小写；空 = 否）",
                 "是/否, 1/0, true/false or yes/no (any case; empty = 否)")
"""What a flag cell must hold: (中文, English), said with `say`."""
#: Fields of summary.json that are numbers whenever present (a count or a score).
SUMMARY_NUMBERS = ("year", "objective", "total_score", "penalty", "best_bound", "gap", "n_candidates",
                   "n_selectable", "n_selected", "n_national", "n_rule_groups", "n_binding")
#: Columns explanations.csv must hold.
EXPLANATION_COLUMNS = ("candidate_id", "reason_code", "reason")


@dataclass
class RunFolder:
    """What a run folder holds, read and checked.

    Attributes
    ----------
    path : Path
        The folder.
    slate : DataFrame
        slate.csv as `load_candidates` reads it: bool ``selected`` and ``national``, ``reason``
        as written.
    explanations : DataFrame or None
        explanations.csv as text (None when not asked for).
    summary : dict
        summary.json.
    counterfactuals : DataFrame or None
        counterfactuals.csv as text, or None when the folder has none.
    """

    path: Path
    slate: pd.DataFrame
    explanations: pd.DataFrame | None
    summary: dict[str, Any]
    counterfactuals: pd.DataFrame | None = None


def read_flags(frame: pd.DataFrame, columns: Sequence[str] = FLAG_COLUMNS, *, source: str | None = None,
               required: Sequence[str] = ()) -> pd.DataFrame:
    """The slate flags of `frame` as bool columns, each cell read with the same words everywhere.

    Parameters
    ----------
    frame : DataFrame
        A slate: ``candidate_id`` and the flag `columns` (any of 是/否, 1/0, true/false, yes/no,
        y/n in any case, or bool); ``attrs`` as `load_candidates` sets them (for file rows).
    columns : sequence of str
        The flag columns to read; one absent from `frame` becomes all False unless `required`.
    source : str, optional
        The file named in messages (default ``frame.attrs["source"]``).
    required : sequence of str
        Flag columns that must be present.

    Returns
    -------
    DataFrame
        A copy of `frame` with every column of `columns` bool.

    Raises
    ------
    InputError
        A required column is absent, or a cell holds another word (file, row, column, found).
    """
    source = source or str(frame.attrs.get("source", SLATE))
    problems = [Problem(source, _no_column(c), say(f"一列 {c}（{FLAG_EXPECTED[0]}）", f"a column {c} ({FLAG_EXPECTED[1]})"),
                        column=c)
                for c in required if c not in frame]
    out = frame.copy()
    rows = file_rows(frame) if len(frame) else np.zeros(0, np.int64)
    for column in columns:
        if column not in frame:
            out[column] = np.zeros(len(frame), bool)
            continue
        values, bad = parse_bool(frame[column])
        for i in np.flatnonzero(bad.to_numpy()):
            problems.append(Problem(source, f'"{frame[column].iat[i]}"', say(*FLAG_EXPECTED), row=int(rows[i]),
                                    column=frame.attrs.get("headers", {}).get(column, column)))
        out[column] = values.to_numpy(dtype=bool)
    if problems:
        raise InputError(problems)
    return out


def read_slate(path: str | Path, *, required: Sequence[str] = FLAG_COLUMNS) -> pd.DataFrame:
    """A slate file (slate.csv/xlsx of a run, or one made by hand) with bool flags.

    Parameters
    ----------
    path : str or Path
        A run folder (its slate.csv) or a slate file.
    required : sequence of str
        Flag columns that must be present (the others of ``selected``/``national`` default to False).

    Returns
    -------
    DataFrame
        The candidate frame (`load_candidates`), bool ``selected`` and ``national``, ``reason``
        as written in the file (the loader would normalise its punctuation).
    """
    path = Path(path)
    if path.is_dir():
        path = path / SLATE
    frame = load_candidates(path, extra_bool_columns=tuple(required))
    frame = read_flags(frame, FLAG_COLUMNS, required=required)
    if "reason" in frame and path.suffix.lower() == ".csv":
        written = read_text_table(path, ("candidate_id", "reason"))
        reasons = dict(zip(written["candidate_id"].str.strip(), written["reason"]))
        frame["reason"] = frame["candidate_id"].astype(str).map(reasons).fillna("").astype(object)
    return frame


def read_summary(path: str | Path) -> dict[str, Any]:
    """summary.json of a run (a folder or the file), checked.

    Raises
    ------
    InputError
        No such file, bytes that are not UTF-8, invalid JSON (line and column), JSON that is not
        an object, or a `SUMMARY_NUMBERS` field that is not a number.
    """
    path = Path(path)
    if path.is_dir():
        path = path / SUMMARY
    expected = say("planner solve 写出的 summary.json（一个 JSON 对象）", "a summary.json written by planner solve (a JSON object)")
    if not path.is_file():
        raise InputError([Problem(str(path), _no_file(), expected)])
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError([Problem(str(path), _not_utf8(exc), expected)]) from None
    except json.JSONDecodeError as exc:
        raise InputError([Problem(str(path), say(f"不是有效的 JSON（{exc.msg}）", f"invalid JSON ({exc.msg})"), expected,
                                  row=exc.lineno, column=say(f"第 {exc.colno} 列", f"column {exc.colno}"))]) from None
    except OSError as exc:
        raise InputError([Problem(str(path), _unreadable(exc), expected)]) from None
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "null"
        raise InputError([Problem(str(path), say(f"JSON {kind}（不是对象）", f"a JSON {kind} (not an object)"), expected)])
    problems = [Problem(str(path), json.dumps(data[key], ensure_ascii=False)[:60], say("一个数", "a number"), column=key)
                for key in SUMMARY_NUMBERS
                if key in data and data[key] is not None
                and (isinstance(data[key], bool) or not isinstance(data[key], (int, float)))]
    if problems:
        raise InputError(problems)
    return data


def read_text_table(path: str | Path, required: Sequence[str] = (), *, what: str = "") -> pd.DataFrame:
    """A CSV the planner wrote (explanations.csv, rules.csv, counterfactuals.csv) as text cells.

    Raises
    ------
    InputError
        No such file, not UTF-8, not a table, or a `required` column absent.
    """
    path = Path(path)
    expected = what or say(f"planner 写出的 {path.name}", f"a {path.name} written by the planner")
    if not path.is_file():
        raise InputError([Problem(str(path), _no_file(), expected)])
    try:
        text = path.read_bytes().decode("utf-8-sig")
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except UnicodeDecodeError as exc:
        raise InputError([Problem(str(path), _not_utf8(exc), expected)]) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        why = str(exc).splitlines()[0] if str(exc) else exc
        raise InputError([Problem(str(path), say(f"读不成表格（{why}）", f"not a readable table ({why})"),
                                  expected)]) from None
    missing = [c for c in required if c not in table]
    if missing:
        raise InputError([Problem(str(path), _no_column(c), expected, row=1, column=c) for c in missing])
    return table


def read_run(folder: str | Path, *, explanations: bool = True) -> RunFolder:
    """slate.csv, summary.json, explanations.csv and counterfactuals.csv (if any) of a run folder.

    Parameters
    ----------
    folder : str or Path
        A folder written by ``planner solve --out``.
    explanations : bool
        Read explanations.csv (required then).

    Raises
    ------
    InputError
        A file absent or damaged: every absent file listed at once, then the first damaged one.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError([Problem(str(folder), say("没有这个文件夹", "no such folder") if not folder.exists()
                                  else say("不是文件夹", "not a folder"),
                                  say("planner solve --out 写出的文件夹", "a folder written by planner solve --out"))])
    names = (SLATE, SUMMARY) + ((EXPLANATIONS,) if explanations else ())
    missing = [name for name in names if not (folder / name).is_file()]
    if missing:
        raise InputError([Problem(str(folder / name), _no_file(),
                                  say("planner solve --out 写出的文件夹里的文件", "a file of a folder written by planner solve --out"),
                                  hint=say("先运行 planner solve SCENARIO --out FOLDER",
                                           "run planner solve SCENARIO --out FOLDER first")) for name in missing])
    summary = read_summary(folder / SUMMARY)
    slate = read_slate(folder / SLATE)
    table = read_text_table(folder / EXPLANATIONS, EXPLANATION_COLUMNS) if explanations else None
    cf_path = folder / COUNTERFACTUALS
    counterfactuals = read_text_table(cf_path, ("candidate_id",)) if cf_path.is_file() else None
    if counterfactuals is None and table is not None and "counterfactual" in table:   # solve --explain
        counterfactuals = table
    return RunFolder(folder, slate, table, summary, counterfactuals)


def _no_file() -> str:
    return say("没有这个文件", "no such file")


def _no_column(column: str) -> str:
    return say(f'没有 "{column}" 列', f'no column "{column}"')


def _not_utf8(exc: UnicodeDecodeError) -> str:
    return say(f"第 {exc.start + 1} 字节起不是 UTF-8 文本", f"bytes that are not UTF-8 text from byte {exc.start + 1}")


def _unreadable(exc: OSError) -> str:
    return say(f"读不出的文件（{exc.strerror or exc}）", f"a file that cannot be read ({exc.strerror or exc})")
