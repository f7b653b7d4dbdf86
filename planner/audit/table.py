"""The slate against its candidate table: nothing deleted, added, doubled or changed.

Owns the comparison of a slate file with the candidate table of its round — ids missing from
the slate, ids the table does not hold, ids given twice, and any cell of a fixed column (the
columns the rules and the objective read: score, task, track, locality, unit, tier, level,
exempt, eligible, cost, year) that differs — each a located `Problem`
(``file:row:column: found …, expected …``). Both sides are read by the same loader
(`inputs.load_candidates`), so edits that only change the form — 是/否 for 1/0, a GBK file, sorted
rows, a dropped ``reason`` column — compare equal. Does not own the rule check (`audit.check`)
and never imports the model or the solver.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import Problem
from planner.inputs import file_rows

FIXED_COLUMNS = ("year", "task", "track", "unit_id", "unit_name", "unit_kind", "tier", "locality", "level",
                 "integrated", "score", "exempt", "eligible", "cost")
"""Columns a slate must carry unchanged from its candidate table."""

NUMBER_TOLERANCE = 1e-6


def compare_with_table(slate: pd.DataFrame, table: pd.DataFrame) -> list[Problem]:
    """Every difference between a slate and the candidate table it was drawn from.

    Parameters
    ----------
    slate : DataFrame
        A slate as `inputs.load_candidates` reads it: ``candidate_id`` and the fixed columns
        (`FIXED_COLUMNS`), ``attrs["source"]`` its file.
    table : DataFrame
        The round's candidate table, read the same way.

    Returns
    -------
    list of Problem
        In this order: duplicated ids, ids not in the table, ids missing from the slate, changed
        cells (by slate row, then column). Empty when the slate holds exactly the table's rows
        with the same fixed cells.
    """
    slate_file = str(slate.attrs.get("source", "slate"))
    table_file = Path(str(table.attrs.get("source", "candidates"))).name
    slate_ids = slate["candidate_id"].astype(str).to_numpy()
    table_ids = table["candidate_id"].astype(str).to_numpy()
    slate_rows = file_rows(slate)
    table_rows = file_rows(table)
    problems: list[Problem] = []

    first_row: dict[str, int] = {}
    for cid, row in zip(slate_ids, slate_rows):
        if cid in first_row:
            problems.append(Problem(slate_file, f'"{cid}" again (first at row {first_row[cid]})',
                                    "each candidate once", row=int(row), column="candidate_id"))
        else:
            first_row[cid] = int(row)
    table_pos = {cid: i for i, cid in enumerate(table_ids)}
    for cid, row in zip(slate_ids, slate_rows):
        if cid not in table_pos:
            problems.append(Problem(slate_file, f'"{cid}", a candidate {table_file} does not hold',
                                    f"an id of {table_file}", row=int(row), column="candidate_id"))
    for cid, row in zip(table_ids, table_rows):
        if cid not in first_row:
            problems.append(Problem(slate_file, f'no row for "{cid}" ({table_file} row {int(row)})',
                                    f"every candidate of {table_file} (a row deleted?)", column="candidate_id"))

    # Changed cells: the first slate row of each id that the table holds, column by column.
    keep = np.array([cid in table_pos for cid in slate_ids]) & ~pd.Series(slate_ids).duplicated().to_numpy()
    ours = np.flatnonzero(keep)
    theirs = np.array([table_pos[cid] for cid in slate_ids[ours]], dtype=np.int64)
    changed: list[tuple[int, int, Problem]] = []
    for k, column in enumerate(c for c in FIXED_COLUMNS if c in table.columns and c in slate.columns):
        found = slate[column].to_numpy()[ours]
        expected = table[column].to_numpy()[theirs]
        for i in np.flatnonzero(_differs(found, expected)):
            changed.append((int(slate_rows[ours[i]]), k, Problem(
                slate_file, _cell(found[i]), f"{_cell(expected[i])} as in {table_file} row {int(table_rows[theirs[i]])}",
                row=int(slate_rows[ours[i]]), column=column)))
    problems += [p for _, _, p in sorted(changed, key=lambda t: (t[0], t[1]))]
    return problems


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
