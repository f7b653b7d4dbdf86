"""The slate against its candidate table: nothing deleted, added, doubled or changed.

Owns the comparison of a slate file with the candidate table of its round — ids missing from
the slate, ids the table does not hold, ids given twice, a column of the table the slate lacks,
and any changed cell of a compared column — each a located `Problem`
(``file:row:column: found …, expected …``). The compared columns are derived, not listed
(`compared_columns`): the fixed columns of every candidate frame, every column a rule of the
scenario reads (its `where`, including links such as ``consortium_id = { in_slate = true }``,
its `per`, its ``sum:`` measure), the objective's column, then every other column the table
holds — so a column that only the availability check reads (``core_course``) or that a rule
added later reads is compared too. Both sides are read by the same loader
(`inputs.load_candidates`), so edits that only change the form — 是/否 for 1/0, a GBK file,
sorted rows, a dropped ``reason`` column — compare equal. Does not own the rule check
(`audit.check`) and never imports the model or the solver.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import Problem
from planner.inputs import file_rows, parse_bool
from planner.lang import say
from planner.rules import Scenario

FIXED_COLUMNS = ("year", "task", "track", "unit_id", "unit_name", "unit_kind", "tier", "locality", "level",
                 "integrated", "score", "exempt", "eligible", "cost")
"""Columns a slate must carry unchanged from its candidate table."""

NUMBER_TOLERANCE = 1e-6


#: The columns a slate adds to its candidate table (not compared).
SLATE_COLUMNS = ("selected", "national", "reason")


def compared_columns(table: pd.DataFrame, scenario: Scenario | None = None) -> list[str]:
    """The columns of `table` a slate must carry unchanged, in the order findings are told.

    Parameters
    ----------
    table : DataFrame
        The round's candidate table.
    scenario : Scenario, optional
        Its rules: the columns each reads (`Rule.columns`: `where`, links, `per`, ``sum:``) and
        the objective's come first after `FIXED_COLUMNS`.

    Returns
    -------
    list of str
        `FIXED_COLUMNS`, the scenario's columns, then every other column of `table` (each once,
        only those `table` holds; never ``candidate_id`` or `SLATE_COLUMNS`).
    """
    read: list[str] = list(FIXED_COLUMNS)
    if scenario is not None:
        for rule in scenario.rules:
            read += sorted(rule.columns())
        read.append(scenario.maximise)
    read += list(table.columns)
    return [c for c in dict.fromkeys(read) if c in table.columns and c != "candidate_id" and c not in SLATE_COLUMNS]


def compare_with_table(slate: pd.DataFrame, table: pd.DataFrame, scenario: Scenario | None = None) -> list[Problem]:
    """Every difference between a slate and the candidate table it was drawn from.

    Parameters
    ----------
    slate : DataFrame
        A slate as `inputs.load_candidates` reads it: ``candidate_id`` and the compared columns
        (`compared_columns`), ``attrs["source"]`` its file.
    table : DataFrame
        The round's candidate table, read the same way.
    scenario : Scenario, optional
        The rules the slate is audited under (their columns are compared first).

    Returns
    -------
    list of Problem
        In this order: duplicated ids, ids not in the table, ids missing from the slate, columns
        missing from the slate, changed cells (by slate row, then column). Empty when the slate holds exactly the table's rows
        with the same fixed cells.
    """
    slate_file = str(slate.attrs.get("source", "slate"))
    shown = dict(slate.attrs.get("headers", {}))        # a column named as the slate's header wrote it (评审分数)
    table_file = Path(str(table.attrs.get("source", "candidates"))).name
    slate_ids = slate["candidate_id"].astype(str).to_numpy()
    table_ids = table["candidate_id"].astype(str).to_numpy()
    slate_rows = file_rows(slate)
    table_rows = file_rows(table)
    problems: list[Problem] = []

    first_row: dict[str, int] = {}
    for cid, row in zip(slate_ids, slate_rows):
        if cid in first_row:
            problems.append(Problem(slate_file, say(f'"{cid}" 重复（首次出现在第 {first_row[cid]} 行）',
                                                    f'"{cid}" again (first at row {first_row[cid]})'),
                                    say("每个项目只出现一次", "each candidate once"), row=int(row), column="candidate_id"))
        else:
            first_row[cid] = int(row)
    table_pos = {cid: i for i, cid in enumerate(table_ids)}
    for cid, row in zip(slate_ids, slate_rows):
        if cid not in table_pos:
            problems.append(Problem(slate_file, say(f'"{cid}"，{table_file} 中没有这个项目',
                                                    f'"{cid}", a candidate {table_file} does not hold'),
                                    say(f"{table_file} 中的项目编号", f"an id of {table_file}"), row=int(row),
                                    column="candidate_id"))
    for cid, row in zip(table_ids, table_rows):
        if cid not in first_row:
            problems.append(Problem(slate_file, say(f'没有 "{cid}" 这一行（{table_file} 第 {int(row)} 行）',
                                                    f'no row for "{cid}" ({table_file} row {int(row)})'),
                                    say(f"{table_file} 的每个项目（是否删掉了一行？）",
                                        f"every candidate of {table_file} (a row deleted?)"), column="candidate_id"))

    # Changed cells: the first slate row of each id that the table holds, column by column.
    keep = np.array([cid in table_pos for cid in slate_ids]) & ~pd.Series(slate_ids).duplicated().to_numpy()
    ours = np.flatnonzero(keep)
    theirs = np.array([table_pos[cid] for cid in slate_ids[ours]], dtype=np.int64)
    changed: list[tuple[int, int, Problem]] = []
    columns = compared_columns(table, scenario)
    problems += [Problem(slate_file, say(f'没有 "{c}" 列', f'no column "{c}"'),
                         say(f"{table_file} 的 {c} 列，原样保留（规则或申报资格检查要读它）",
                             f"the column {c} of {table_file}, unchanged (the rules or the availability check read it)"),
                         row=1, column=c)
                 for c in columns if c not in slate.columns]
    for k, column in enumerate(c for c in columns if c in slate.columns):
        found = slate[column].to_numpy()[ours]
        expected = table[column].to_numpy()[theirs]
        for i in np.flatnonzero(_differs(*_as_flags(found, expected))):
            changed.append((int(slate_rows[ours[i]]), k, Problem(
                slate_file, _cell(found[i]), say(f"{_cell(expected[i])}（与 {table_file} 第 {int(table_rows[theirs[i]])} 行相同）",
                                                 f"{_cell(expected[i])} as in {table_file} row {int(table_rows[theirs[i]])}"),
                row=int(slate_rows[ours[i]]), column=shown.get(column, column))))
    problems += [p for _, _, p in sorted(changed, key=lambda t: (t[0], t[1]))]
    return problems


def _as_flags(found: np.ndarray, expected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An extra text column whose cells are all yes/no words (``core_course``) compared as flags,
    so true/是/1 compare equal as they do in the bool columns; any other column as it is."""
    if found.dtype.kind != "O" or expected.dtype.kind != "O":
        return found, expected
    ours, bad_ours = parse_bool(pd.Series(found, dtype=object))
    theirs, bad_theirs = parse_bool(pd.Series(expected, dtype=object))
    words = pd.Series(np.concatenate([found, expected]), dtype=object).astype(str).str.strip()
    if bad_ours.any() or bad_theirs.any() or not (words != "").any():
        return found, expected
    return ours.to_numpy(dtype=bool), theirs.to_numpy(dtype=bool)


def _differs(found: np.ndarray, expected: np.ndarray) -> np.ndarray:
    if found.dtype.kind in "fi" and expected.dtype.kind in "fi":
        a, b = found.astype(float), expected.astype(float)
        both_nan = np.isnan(a) & np.isnan(b)
        return ~both_nan & ~np.isclose(a, b, rtol=1e-9, atol=NUMBER_TOLERANCE)
    return np.array([_cell(x) != _cell(y) for x, y in zip(found, expected)], dtype=bool)


def _cell(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "是" if value else "否"
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return '""'
        return str(int(value)) if float(value).is_integer() else f"{float(value):.10g}"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    text = str(value)
    return f'"{text}"'
