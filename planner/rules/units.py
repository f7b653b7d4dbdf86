"""Who a unit is: one unit across every row and round, so a per-unit quota cannot be dodged.

Owns the unit facts the notice's per-unit quotas rest on (三(三)(四)(六)(七)(九) "每所…学校推荐不超过…"):
a unit keeps one kind, tier and locality on every row and year, history included, and
``unit_id`` and ``unit_name`` name each other one to one — one name per id and one id per name,
names compared after the usual normalisation (NFKC: full- and half-width alike; every blank
dropped). Under the switch ``unit_consistency``:

- ``"check"`` (default): any conflict is a located input error listing every row involved;
- ``"merge"``: rows whose names are the same unit are one unit, under the smallest of their ids
  (an id under two spellings is taken as one unit too); kind, tier and locality are then
  checked on the merged units;
- ``"off"``: nothing is checked (tables that do not keep units apart).

Shared by `prepare` (before a model is built) and the auditor (a slate made by hand). Does not
own reading tables (`inputs`) nor the quotas themselves (the scenario's rules).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

import pandas as pd

from planner.errors import InputError, Problem
from planner.inputs import column_label
from planner.lang import say

UNIT_SWITCH = "unit_consistency"     # "check" | "merge" | "off" (a scenario without it: off)
UNIT_FACTS = ("unit_kind", "tier", "locality")
_BLANKS = re.compile(r"\s+")
ONE_NAME = ("同一单位编号对应一个单位名称", "one unit_name per unit_id")
ONE_ID = ("同一单位名称对应一个单位编号", "one unit_id per unit_name")
MERGE_HINT = ('同一单位请用同一编号和名称；或在 [switches] 设 unit_consistency = "merge" 合并为一个单位',
              'give one unit one id and one name; or set unit_consistency = "merge" in [switches] to merge them')


def name_key(names: pd.Series) -> pd.Series:
    """Unit names as compared: NFKC (全角/半角 alike), blanks of every width dropped."""
    return names.fillna("").astype(str).map(lambda t: _BLANKS.sub("", unicodedata.normalize("NFKC", t)))


def unit_mode(switches: Mapping[str, object]) -> str:
    """The scenario's reading of unit identity: "check", "merge" or "off"."""
    return str(switches.get(UNIT_SWITCH, "off"))


def unit_merges(rows: pd.DataFrame) -> dict[str, str]:
    """``unit_id`` → the id of the unit it is merged into (only ids that change): ids sharing a
    normalised name, or linked through an id spelled two ways, become the smallest id of the set."""
    if not len(rows) or "unit_name" not in rows:
        return {}
    pairs = pd.DataFrame({"id": rows["unit_id"].astype(str).to_numpy(), "name": name_key(rows["unit_name"]).to_numpy()})
    pairs = pairs.drop_duplicates()
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for _, ids in pairs.groupby("name")["id"]:
        ids = sorted(ids)
        for other in ids[1:]:
            a, b = root(ids[0]), root(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return {i: root(i) for i in pairs["id"].unique() if root(i) != i}


def merge_units(frame: pd.DataFrame, merges: Mapping[str, str]) -> pd.DataFrame:
    """A copy of `frame` with merged units under one `unit_id` (the frame itself when none merge)."""
    if not merges:
        return frame
    out = frame.copy()
    out["unit_id"] = out["unit_id"].astype(str).replace(dict(merges))
    return out


def check_units(frame: pd.DataFrame, history: pd.DataFrame | None, *, mode: str = "check") -> None:
    """A unit has one kind, tier and locality on every row, this year's and the history's alike
    (else a tier cap could be dodged by filing as another tier), and with ``mode = "check"`` one
    name per id and one id per name; every conflicting row is named.

    Parameters
    ----------
    frame : DataFrame
        This round's candidates: unit_id, unit_name, unit_kind, tier, locality (attrs
        ``source`` and ``first_data_row`` locate a row in its file).
    history : DataFrame or None
        The locked slates of earlier rounds: the same columns and candidate_id.
    mode : {"check", "merge"}
        ``"merge"``: units sharing a name are merged first (`unit_merges`), names are not checked.

    Raises
    ------
    InputError
        Every row of every conflicting unit, with the values found.
    """
    source = frame.attrs.get("source", "candidates")
    row0 = int(frame.attrs.get("first_data_row", 2))
    columns = ["unit_id", "unit_name", *UNIT_FACTS]
    parts = [frame.reindex(columns=columns).assign(_where=[(source, i + row0, "") for i in range(len(frame))])]
    if history is not None and len(history):
        parts.append(history.reindex(columns=columns).assign(
            _where=[("history", None, cid) for cid in history["candidate_id"].astype(str)]))
    rows = pd.concat(parts, ignore_index=True)
    rows["unit_id"] = rows["unit_id"].astype(str)
    rows["_name"] = name_key(rows["unit_name"])
    problems: list[Problem] = []
    if mode == "merge":
        rows = merge_units(rows, unit_merges(rows))
    else:
        problems += _conflicts(rows, "unit_id", "_name", "unit_name", say(*ONE_NAME), hint=say(*MERGE_HINT))
        problems += _conflicts(rows, "_name", "unit_id", "unit_id", say(*ONE_ID), hint=say(*MERGE_HINT))
    for column in UNIT_FACTS:
        problems += _conflicts(rows, "unit_id", column, column,
                               say(f"同一单位在每一行、每一年的{column_label(column)}相同",
                                   f"one {column} per unit on every row and year"))
    if problems:
        raise InputError(problems[:200])


def unit_conflicts(rows: pd.DataFrame) -> list[tuple[int, str]]:
    """For the auditor: (position, problem) for every row of a unit named two ways or a name under
    two ids (positions into `rows`: unit_id, unit_name)."""
    keyed = rows[["unit_id", "unit_name"]].assign(
        unit_id=rows["unit_id"].astype(str), _name=name_key(rows["unit_name"]),
        _where=[(None, i, "") for i in range(len(rows))])
    out = []
    for problem in (_conflicts(keyed, "unit_id", "_name", "unit_name", "")
                    + _conflicts(keyed, "_name", "unit_id", "unit_id", "")):
        out.append((int(problem.row), say(f"单位不唯一：{problem.found}", f"unit ambiguous: {problem.found}")))
    return out


def _conflicts(rows: pd.DataFrame, key: str, value: str, shown: str, expected: str, hint: str = "") -> list[Problem]:
    """Rows whose `key` has more than one `value`: one problem per row, `shown` column's value named."""
    counts = rows.groupby(key)[value].nunique()
    problems = []
    for group in counts.index[counts > 1]:
        these = rows[rows[key] == group]
        found_all = "、".join(sorted(map(str, these[shown].unique())))
        label = these["unit_name"].iat[0] if key == "_name" else group
        what = say("单位名称" if key == "_name" else "单位", "unit_name" if key == "_name" else "unit")
        shown_zh = column_label(shown)
        for (src, row, cid), v in zip(these["_where"], these[shown]):
            found = say(f"{what}“{label}”的{shown_zh}为“{v}”" + (f"（往年名单中的项目“{cid}”）" if cid else ""),
                        f'{what} "{label}" with {shown} "{v}"' + (f' (history candidate "{cid}")' if cid else ""))
            problems.append(Problem(src, found, say(f"{expected}（实际有：{found_all}）", f"{expected} (found {found_all})"),
                                    row=row, column=shown, hint=hint))
    return problems
