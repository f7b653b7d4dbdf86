"""The candidate frame: a table's raw cells validated and normalised into one row per candidate.

Owns the columns a candidate table must and may have, the cleaning of every cell (``1001.0`` ids,
full-width ``８５``, 是/否 flags, 长春 for 长春市, blanks of every width), the check of every
column against the catalogue of codes (`catalogue`), and the report of *every* problem of a bad
table at once, each with its file, row, column (as the file's header wrote it), the value found
and what was expected, in Chinese through `planner.lang.say` (English on request) — the frame
described in docs/ARCHITECTURE.md. Also `parse_bool` and `file_rows` for callers that
read flags or map rows back to the file.

Does not own reading files (encodings, CSV delimiters, xlsx title rows, merged cells, unsaved
formulas: `candidate_files`) nor rules: which candidates may be selected, quotas and pass marks
live in the scenario (`rules`).
"""
from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from planner.errors import InputError, Problem
from planner.inputs.catalogue import clean_text, load_catalogue, suggest
from planner.inputs.distinct import cell_count, lookup_codes, nfkc_codes, parse_numbers, per_distinct, strip_blanks
from planner.inputs.labels import column_code, column_label, value_aliases
from planner.lang import say

log = logging.getLogger(__name__)

REQUIRED_COLUMNS: tuple[str, ...] = (
    "candidate_id", "year", "task", "track", "title", "unit_id", "unit_name",
    "unit_kind", "tier", "locality", "level", "score",
)
"""Columns every candidate table must have (values of ``track``/``tier`` may be empty)."""

OPTIONAL_DEFAULTS: MappingProxyType = MappingProxyType(
    {"integrated": False, "exempt": False, "eligible": True, "cost": 0.0}
)
"""Optional columns and the value used when the column is absent or a cell is empty."""

BOOL_COLUMNS: tuple[str, ...] = ("integrated", "exempt", "eligible")
FLAG_COLUMNS: tuple[str, ...] = ("digital_pilot", "online_quality", "textbook_listed")
"""Entry conditions of single tasks, read as true/false where a table has them (empty = false) and
not added where it has not: 三(五) 数字校园试点学校, 三(七) 已入选的在线精品课程, 三(八) 国家规划教材或
全国教材建设奖名单内. The scenario's rules say what each means (jilin-base.toml)."""
FREE_TEXT_COLUMNS: tuple[str, ...] = ("title", "unit_name")   # kept as typed, only trimmed
MAX_PROBLEMS = 200

TRUE_WORDS = frozenset({"true", "1", "1.0", "yes", "y", "是", "t"})
FALSE_WORDS = frozenset({"false", "0", "0.0", "no", "n", "否", "f"})
BOOL_EXPECTED = ("是/否、true/false、yes/no、y/n 或 1/0（空 = 默认值）",
                 "true/false, yes/no, 是/否, y/n or 1/0 (empty = default)")
"""What a flag cell must hold: (中文, English), said with `say`."""

_FLOAT_ID = re.compile(r"^(-?\d+)\.0+$")


# --------------------------------------------------------------------------- public API
def normalise_candidates(
    raw: pd.DataFrame,
    *,
    source: str = "<frame>",
    first_data_row: int = 2,
    extra_bool_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """Validate and normalise a frame of raw candidate values.

    Every cell is converted to text (``1001.0`` → ``"1001"``, NaN → ``""``), NFKC-normalised
    (full-width ``８５`` → ``85``) and stripped of spaces, full-width spaces and NBSP; header
    names are cleaned the same way (a leading BOM is dropped) but otherwise kept exactly.
    Fully blank rows are skipped; columns with neither a name nor values are dropped.

    Parameters
    ----------
    raw : pandas.DataFrame
        Raw values, one row per candidate, columns named in the header. Needs the columns
        `REQUIRED_COLUMNS`; may have the columns of `OPTIONAL_DEFAULTS` and any others
        (kept as stripped text, in their original order).
    source : str
        Name used in messages and stored in ``attrs["source"]``.
    first_data_row : int
        1-based file row of ``raw``'s first row (the header being the row above).
    extra_bool_columns : sequence of str
        Further required columns parsed as booleans (empty = False).

    Returns
    -------
    pandas.DataFrame
        RangeIndex; ``candidate_id``, ``task``, ``track``, ``title``, ``unit_id``,
        ``unit_name``, ``unit_kind``, ``tier``, ``locality``, ``level`` and extra columns as
        strings; ``year`` int64; ``score``/``cost`` float64; ``integrated``, ``exempt``,
        ``eligible`` and `extra_bool_columns` bool. Missing optional columns are appended
        with their defaults. ``attrs``: ``source``, ``first_data_row`` (file row of index
        0) and ``skipped_rows`` (file rows of blank rows skipped between candidate rows;
        use `file_rows` to map index labels to file rows when it is not empty).

    Raises
    ------
    InputError
        With every problem found.
    """
    header = [cell_text(c) for c in raw.columns]
    cells = np.empty((len(raw), raw.shape[1]), dtype=object)
    for j in range(raw.shape[1]):
        cells[:, j] = _text_array(raw.iloc[:, j])
    return normalise_cells(header, cells, source=source, header_row=first_data_row - 1,
                           extra_bool_columns=tuple(extra_bool_columns), problems=[])


def parse_bool(values: pd.Series | Iterable[Any], *, default: bool = False) -> tuple[pd.Series, pd.Series]:
    """Parse a column of yes/no values.

    Accepts true/false, t/f, 1/0, 1.0/0.0, yes/no, y/n, 是/否 in any case and width, Python
    and numpy booleans and numbers 1/0; empty cells (``""``, None, NaN) take `default`.

    Parameters
    ----------
    values : pandas.Series or iterable
        Raw cells.
    default : bool
        Value of an empty cell.

    Returns
    -------
    values : pandas.Series of bool
        Parsed values (`default` where the cell is bad), same index as the input.
    bad : pandas.Series of bool
        True where the cell is not a recognised boolean.
    """
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    text = _text_array(series)
    parsed, bad = _parse_bool_text(text, default)
    return (pd.Series(parsed, index=series.index, name=series.name),
            pd.Series(bad, index=series.index, name=series.name))


def file_rows(frame: pd.DataFrame) -> np.ndarray:
    """1-based file rows of a candidate frame's index labels (blank rows skipped on load included).

    Parameters
    ----------
    frame : pandas.DataFrame
        A frame from `load_candidates`/`normalise_candidates`, or a row subset of one that
        kept its index labels.
    """
    rows = np.asarray(frame.index, dtype=np.int64) + int(frame.attrs.get("first_data_row", 2))
    for skipped in sorted(frame.attrs.get("skipped_rows", ())):
        rows[rows >= skipped] += 1
    return rows


# --------------------------------------------------------------------------- cells
def cell_text(value: Any) -> str:
    """One raw cell (from CSV, openpyxl or a notebook frame) as cleaned text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return strip_blanks(value)
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if np.isnan(number):
            return ""
        if number.is_integer():
            return str(int(number))
        return f"{number:.15g}"
    if value is pd.NA or value is pd.NaT:
        return ""
    if hasattr(value, "isoformat"):           # dates and times from Excel cells
        return value.isoformat()
    return strip_blanks(str(value))


def _text_array(series: pd.Series) -> np.ndarray:
    return np.array([cell_text(v) for v in series.to_numpy(dtype=object)], dtype=object)


def _empty() -> str:
    return say("空单元格", "an empty cell")


def _one_of(options: Sequence[str]) -> str:
    return say("以下之一：" + "、".join(options), "one of " + ", ".join(options))


def _quote(text: str) -> str:
    if text == "":
        return _empty()
    shown = text if len(text) <= 60 else text[:59] + "…"
    return f'"{shown}"'


def _parse_bool_text(text: np.ndarray | tuple[np.ndarray, np.ndarray], default: bool) -> tuple[np.ndarray, np.ndarray]:
    """(the flags, the cells that are no flag), each distinct text read once (`text`: cells or `nfkc_codes`'s codes)."""
    def read(distinct: np.ndarray) -> np.ndarray:
        lower = np.array([t.lower() for t in distinct], dtype=object)
        is_true = np.isin(lower, list(TRUE_WORDS))
        is_false = np.isin(lower, list(FALSE_WORDS))
        blank = lower == ""
        bad = ~(is_true | is_false | blank)
        return np.stack([np.where(blank | bad, default, is_true).astype(bool), bad], axis=1)
    if not cell_count(text):
        return np.zeros(0, bool), np.zeros(0, bool)
    both = per_distinct(text, read)
    return both[:, 0].copy(), both[:, 1].copy()


def column_letter(position: int) -> str:
    """Excel's name of the 0-based column `position`: A, B, …, Z, AA, …"""
    letters = ""
    n = position + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# --------------------------------------------------------------------------- validation
_Text = str | Callable[[int], str]


@dataclass
class _Check:
    """Problems found while validating one table (collected, then raised together)."""

    source: str
    rows: np.ndarray                       # file row of each kept row
    positions: dict[str, int]             # header as written → position
    shown: dict[str, str] = field(default_factory=dict)   # column code → header as written
    problems: list[Problem] = field(default_factory=list)

    def fail(self, mask: np.ndarray, column: str, found: _Text, expected: _Text, hint: _Text = "") -> None:
        """One problem per row in `mask`; `found`/`expected`/`hint` are text or a function of the row position."""
        def text(part: _Text, i: int) -> str:
            return part if isinstance(part, str) else part(i)

        for i in np.flatnonzero(mask):
            self.problems.append(Problem(self.source, text(found, i), text(expected, i), row=int(self.rows[i]),
                                         column=self.shown.get(column, column), hint=text(hint, i)))

    def sorted_problems(self, first: list[Problem]) -> list[Problem]:
        # Whole-file problems first, then by row and column (stable: header problems keep their order).
        problems = sorted(first + self.problems,
                          key=lambda p: (p.row or 0, self.positions.get(p.column or "", -1)))
        if len(problems) > MAX_PROBLEMS:
            extra = len(problems) - MAX_PROBLEMS
            problems = problems[:MAX_PROBLEMS] + [Problem(self.source, say(f"…… 另有 {extra} 个问题",
                                                                           f"… and {extra} more problems"),
                                                          say("改正以上问题后重新读入",
                                                              "fix the problems above and load again"))]
        return problems


def normalise_cells(header: list[str], cells: np.ndarray, *, source: str, header_row: int,
                    extra_bool_columns: tuple[str, ...], problems: list[Problem]) -> pd.DataFrame:
    """The candidate frame of a table's header and cells (text), or every problem found in them.

    `header_row` is the header's 1-based file row (cells start on the row below); `problems` are
    the caller's own problems with the file, raised together with those found here.
    """
    written = [strip_blanks(unicodedata.normalize("NFKC", cell_text(h))) for h in header]
    header = [column_code(h) if h else h for h in written]      # 项目编号 → candidate_id (`labels`)
    n_rows = cells.shape[0]
    filled = cells != ""
    structural: list[Problem] = list(problems)

    # Columns: unnamed ones must be empty; names must be unique.
    keep_cols: list[int] = []
    for j, name in enumerate(header):
        if name:
            keep_cols.append(j)
        elif filled[:, j].any():
            i = int(np.flatnonzero(filled[:, j])[0])
            first, row = _quote(cells[i, j]), header_row + 1 + i
            structural.append(Problem(
                source, say(f"没有列名的列中有值（第一个为第 {row} 行的 {first}）",
                            f"values in a column without a name (first {first} on row {row})"),
                say("表头行中的列名", "a column name in the header row"), row=header_row,
                column=say(f"第 {j + 1} 列（{column_letter(j)}）", f"column {j + 1} ({column_letter(j)})")))
    names = [header[j] for j in keep_cols]
    seen: dict[str, list[int]] = {}
    for j in keep_cols:
        seen.setdefault(header[j], []).append(j)
    for name, cols in seen.items():
        if len(cols) > 1:
            where_zh = "、".join(f"{j + 1}（{column_letter(j)}）" for j in cols)
            where = ", ".join(f"{j + 1} ({column_letter(j)})" for j in cols)
            structural.append(Problem(source, say(f'列名 "{name}" 出现 {len(cols)} 次（第 {where_zh} 列）',
                                                  f'the column name "{name}" {len(cols)} times (columns {where})'),
                                      say("每个列名只出现一次", "each column name once"), row=header_row,
                                      column=written[cols[0]]))
    if len(structural) > len(problems):      # columns cannot be told apart: stop here
        raise InputError(structural)

    # Rows: fully blank ones are Excel leftovers.
    blank_rows = ~filled.any(axis=1)
    file_row = np.arange(n_rows) + header_row + 1
    kept = np.flatnonzero(~blank_rows)
    if len(kept) == 0:
        structural.append(Problem(source, say(f"表头（第 {header_row} 行）下没有候选项目行",
                                              f"no candidate rows below the header (row {header_row})"),
                                  say("至少一行候选项目", "at least one candidate row")))
        raise InputError(structural)
    rows = file_row[kept]
    skipped = tuple(int(r) for r in file_row[blank_rows] if rows[0] < r < rows[-1])
    # Codes, ids and numbers are NFKC-normalised (８５ → 85, full-width letters); free text
    # (titles, unit names) keeps the planner's own punctuation (，（）stay Chinese).
    coded = {name: nfkc_codes(cells[kept, j]) for name, j in zip(names, keep_cols) if name not in FREE_TEXT_COLUMNS}
    text = {name: cells[kept, j] if name in FREE_TEXT_COLUMNS else coded[name][1][coded[name][0]]
            for name, j in zip(names, keep_cols)}
    # Problems name a column as the file's header wrote it (评审分数 where the table is in Chinese).
    check = _Check(source, rows, {written[j]: j for j in keep_cols}, {header[j]: written[j] for j in keep_cols})

    required = list(REQUIRED_COLUMNS) + [c for c in extra_bool_columns if c not in REQUIRED_COLUMNS]
    missing = [c for c in required if c not in text]
    if missing:
        others = [n for n in names if n not in REQUIRED_COLUMNS and n not in OPTIONAL_DEFAULTS]
        hints = []
        for m in missing:
            near = _nearest_column(m, others)
            if near:
                hints.append((m, near))
        structural.append(Problem(
            source, say("缺少列 " + "、".join(f'"{m}"（{column_label(m)}）' for m in missing),
                        "missing columns " + ", ".join(f'"{m}"' for m in missing)),
            say("以下各列：" + "、".join(f"{c}（{column_label(c)}）" for c in required),
                "the columns " + ", ".join(required)), row=header_row,
            hint=say("".join(f"“{near}”是否应为“{m}”？" for m, near in hints),
                     "did you mean " + " ".join(f'"{near}" for "{m}"?' for m, near in hints)) if hints else ""))

    out = _validate(text, coded, check, extra_bool_columns)
    all_problems = check.sorted_problems(structural)
    if all_problems:
        raise InputError(all_problems)

    frame = pd.DataFrame(
        {name: out[name] if name in out else pd.Series(text[name], dtype="str") for name in names},
        index=pd.RangeIndex(len(rows)),
    )
    for name, default in OPTIONAL_DEFAULTS.items():
        if name not in frame:
            frame[name] = np.full(len(rows), default, dtype=bool if isinstance(default, bool) else float)
    frame.attrs["source"] = source
    frame.attrs["first_data_row"] = int(rows[0])
    frame.attrs["skipped_rows"] = skipped
    frame.attrs["headers"] = {header[j]: written[j] for j in keep_cols if header[j] != written[j]}   # 评审分数 …
    log.info("%s: %d candidates", source, len(frame))
    return frame


def _nearest_column(name: str, others: list[str]) -> str:
    lowered = {o.casefold().replace(" ", "_").replace("-", "_"): o for o in others}
    if name in lowered:
        return lowered[name]
    hint = re.search(r'["“]([^"”]*)["”]', suggest(name, others))
    return hint.group(1) if hint else ""


@dataclass(frozen=True)
class _Codes:
    """Catalogue lookups: accepted spelling (lower-case code or Chinese label) → code."""

    task: dict[str, str]
    track: dict[str, str]          # "task\x1fspelling" → track code
    tracks_of: dict[str, list[str]]
    unit_kind: dict[str, str]
    tier: dict[str, str]
    level: dict[str, str]
    localities: list[str]
    locality: dict[str, str]


@lru_cache(maxsize=1)
def _codes() -> _Codes:
    cat = load_catalogue()

    def spellings(labels: dict[str, str], column: str = "") -> dict[str, str]:
        out = {clean_text(label).lower(): code for code, label in labels.items()}
        out.update({clean_text(label).lower(): code for label, code in value_aliases(column).items()})  # 政府, 高职 …
        out.update({code.lower(): code for code in labels})
        return out

    track: dict[str, str] = {}
    for task in cat.tasks.values():
        for key, code in spellings(task.tracks).items():
            track[f"{task.code}\x1f{key}"] = code
    return _Codes(
        task=spellings({c: t.name for c, t in cat.tasks.items()}),
        track=track,
        tracks_of={c: list(t.tracks) for c, t in cat.tasks.items()},
        unit_kind=spellings(cat.unit_kinds, "unit_kind"),
        tier=spellings(cat.tiers, "tier"),
        level=spellings(cat.levels, "level"),
        localities=list(cat.localities),
        locality={k.replace(" ", ""): v for k, v in cat.aliases.items()},
    )


def _float_ids(values: np.ndarray) -> np.ndarray:
    """Ids as typed, an Excel float id ``1001.0`` read as ``1001`` (only ids with a dot are looked at)."""
    ids = np.array(values, dtype=object)
    if "." not in "".join(ids):               # one test for the column: no id to look at
        return ids
    dotted = np.flatnonzero(np.fromiter(("." in v for v in ids), bool, len(ids)))
    if len(dotted):
        ids[dotted] = [_FLOAT_ID.sub(r"\1", v) for v in ids[dotted]]
    return ids


def _validate(text: dict[str, np.ndarray], coded: dict[str, tuple[np.ndarray, np.ndarray]], check: _Check,
              extra_bool_columns: tuple[str, ...]) -> dict[str, Any]:
    """Check every present column; return the parsed columns (only meaningful without problems).

    `coded` holds the (codes, texts) of the columns `nfkc_codes` read, so each distinct text is
    looked up or parsed once without factorizing the column again.
    """
    codes = _codes()
    out: dict[str, Any] = {}
    n = len(check.rows)

    def quoted(column: str) -> Callable[[int], str]:
        return lambda i: _quote(text[column][i])

    def hint_for(column: str, options: list[str]) -> Callable[[int], str]:
        return lambda i: suggest(text[column][i], options)

    for column in ("candidate_id", "unit_id"):
        if column in text:
            ids = _float_ids(text[column])
            check.fail(ids == "", column, _empty(), say("一个编号", "an id"))
            out[column] = pd.Series(ids, dtype="str")
    if "candidate_id" in out:
        ids = out["candidate_id"]
        again = ids.duplicated(keep="first").to_numpy() & (ids != "").to_numpy()
        # the file row of each id's first row, only read for the rows said again
        first_row = (pd.Series(check.rows).groupby(ids.to_numpy()).transform("first").to_numpy()
                     if again.any() else check.rows)
        check.fail(again, "candidate_id", lambda i: say(f'"{ids.iat[i]}" 重复（首次出现在第 {first_row[i]} 行）',
                                                        f'"{ids.iat[i]}" again (first on row {first_row[i]})'),
                   say("不重复的项目编号", "a unique candidate id"))

    if "year" in text:
        year = parse_numbers(coded["year"])
        bad = ~(np.isfinite(year) & (np.mod(year, 1) == 0) & (year >= 2000) & (year <= 2100))
        check.fail(bad, "year", quoted("year"), say("年份，如 2023", "a year such as 2023"))
        out["year"] = np.where(bad, 0, year).astype(np.int64)

    for column in ("title", "unit_name"):
        if column in text:
            check.fail(text[column] == "", column, _empty(), say("一个名称", "a name"))

    task = None
    if "task" in text:
        task = lookup_codes(coded["task"], codes.task)
        options = list(codes.tracks_of)
        check.fail(task == "", "task", quoted("task"), say("任务代码：" + "、".join(options),
                                                           "a task code: " + ", ".join(options)),
                   hint_for("task", options))
        out["task"] = pd.Series(task, dtype="str")
    if "track" in text and task is not None:
        given = text["track"]
        # each (task, track) pair looked up once
        pair = pd.factorize(pd.factorize(task)[0] * (n + 1) + coded["track"][0])[0] if n else np.zeros(0, int)
        _, first = np.unique(pair, return_index=True)
        keys = pd.Series([f"{task[i]}\x1f{given[i].lower()}" for i in first.tolist()], dtype=object)
        track = keys.map(codes.track).fillna("").to_numpy(dtype=object)[pair]
        has_tracks = per_distinct(task, lambda tasks: np.array([bool(codes.tracks_of.get(t)) for t in tasks], bool)) \
            if n else np.zeros(0, bool)
        known_task = task != ""
        check.fail(known_task & has_tracks & (track == ""), "track", quoted("track"),
                   lambda i: say(f"{task[i]} 的子类：{'、'.join(codes.tracks_of[task[i]])}",
                                 f"a track of {task[i]}: {', '.join(codes.tracks_of[task[i]])}"),
                   lambda i: suggest(given[i], codes.tracks_of[task[i]]) if given[i] else "")
        check.fail(known_task & ~has_tracks & (given != ""), "track",
                   lambda i: say(f"{_quote(given[i])}，而任务 {task[i]} 没有子类",
                                 f"{_quote(given[i])} for task {task[i]}, which has no tracks"),
                   say("空的子类", "an empty track"))
        out["track"] = pd.Series(np.where(has_tracks, track, ""), dtype="str")

    kind = None
    if "unit_kind" in text:
        kind = lookup_codes(coded["unit_kind"], codes.unit_kind)
        options = list(dict.fromkeys(codes.unit_kind.values()))
        check.fail(kind == "", "unit_kind", quoted("unit_kind"), _one_of(options),
                   hint_for("unit_kind", options))
        out["unit_kind"] = pd.Series(kind, dtype="str")
    if "tier" in text:
        given = text["tier"]
        tier = lookup_codes(coded["tier"], codes.tier)
        options = list(dict.fromkeys(codes.tier.values()))
        # The tier distinguishes 高职 schools (双高 or not); other units have none.
        higher = kind == "higher_vocational" if kind is not None else np.zeros(n, dtype=bool)
        other = (kind != "higher_vocational") & (kind != "") if kind is not None else np.zeros(n, dtype=bool)
        check.fail(higher & (given == ""), "tier", say("高职学校（higher_vocational）行中的空单元格",
                                                       "an empty cell on a higher_vocational row"),
                   _one_of(options))
        check.fail(~other & (given != "") & (tier == ""), "tier", quoted("tier"), _one_of(options),
                   hint_for("tier", options))
        check.fail(other & (given != ""), "tier", lambda i: say(f"{kind[i]} 行中的 {_quote(given[i])}",
                                                                f"{_quote(given[i])} on a {kind[i]} row"),
                   say("空的学校类别（只有高职学校 higher_vocational 有学校类别）",
                       "an empty tier (tiers apply to higher_vocational units only)"))
        out["tier"] = pd.Series(np.where(other, "", tier), dtype="str")

    if "locality" in text:
        locality = lookup_codes(coded["locality"], codes.locality, lower=False)
        check.fail(locality == "", "locality", quoted("locality"), _one_of(codes.localities),
                   hint_for("locality", codes.localities))
        out["locality"] = pd.Series(locality, dtype="str")

    if "level" in text:
        level = lookup_codes(coded["level"], codes.level)
        options = list(dict.fromkeys(codes.level.values()))
        check.fail(level == "", "level", quoted("level"), _one_of(options), hint_for("level", options))
        out["level"] = pd.Series(level, dtype="str")

    if "score" in text:
        score = parse_numbers(coded["score"])
        bad = ~(np.isfinite(score) & (score >= 0) & (score <= 100))
        check.fail(bad, "score", quoted("score"), say("0 到 100 之间的数", "a number from 0 to 100"))
        out["score"] = score
    if "cost" in text:
        cost = parse_numbers(coded["cost"])
        given = text["cost"] != ""
        bad = given & ~(np.isfinite(cost) & (cost >= 0))
        check.fail(bad, "cost", quoted("cost"), say("≥ 0 的数（万元）或空单元格", "a number ≥ 0 (万元) or an empty cell"))
        out["cost"] = np.where(given & ~bad, cost, 0.0).astype(np.float64)

    for column in dict.fromkeys(BOOL_COLUMNS + FLAG_COLUMNS + extra_bool_columns):
        if column in text:
            values, bad = _parse_bool_text(coded[column], bool(OPTIONAL_DEFAULTS.get(column, False)))
            check.fail(bad, column, quoted(column), say(*BOOL_EXPECTED))
            out[column] = values
    return out
