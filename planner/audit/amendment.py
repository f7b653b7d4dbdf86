"""An amendment held to its base (`planner audit SCENARIO AMEND/slate.csv --against BASE`).

Owns `check_amendment`: with plain pandas and the rule check (`check.check_slate`), never the
solver, every difference between the base's published decisions and the amended slate must be a
change the amendment recorded (summary.json ``amendment.changes``), every recorded change must be
a real difference, each project the requests take out must be out, each departure recorded as
forced must really be forced — put back, it breaks the rule the record names — and the base must
be the one recorded (its slate.csv and summary.json hash as they did). Also `excused_table`: the
differences from the candidate table that the requests made (a rescored project's score, an
ineligible one's flag) are not findings. Does not own solving or writing the amendment.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.audit.check import check_slate
from planner.errors import Problem
from planner.lang import say
from planner.rules import Scenario

TRUE_WORDS = ("1", "true", "是", "yes", "y", "t")


def _flags(frame: pd.DataFrame, column: str) -> dict[str, bool]:
    if column not in frame:
        return {}
    values = frame[column]
    flags = values.to_numpy(dtype=bool) if values.dtype == bool else \
        values.astype(str).str.strip().str.lower().isin(TRUE_WORDS).to_numpy()
    return dict(zip(frame["candidate_id"].astype(str), flags))


def check_amendment(slate: pd.DataFrame, base_slate: pd.DataFrame, record: dict[str, Any], scenario: Scenario, *,
                    history: pd.DataFrame | None = None, base_folder: str | Path | None = None,
                    source: str = "slate.csv") -> list[Problem]:
    """Every difference of an amended slate from its base, explained — or a located finding.

    Parameters
    ----------
    slate, base_slate : DataFrame
        The amended and the base slates (``candidate_id``, ``selected``, ``national``).
    record : dict
        summary.json's ``amendment`` of the amended slate's folder.
    scenario : Scenario
        The round's scenario (the forced departures are re-checked against its rules).
    history : DataFrame, optional
        The locked earlier rounds.
    base_folder : path, optional
        The folder given as the base: its files must hash as the record says.

    Returns
    -------
    list of Problem
        Empty when the amendment is fully explained.
    """
    problems: list[Problem] = []
    changes = pd.DataFrame(record.get("changes") or [])
    recorded = {(str(r["candidate_id"]), str(r["list"]), str(r["change"])): r for r in changes.to_dict("records")}
    if base_folder is not None:
        problems += _base_problems(Path(base_folder), record)
    where = (record.get("base") or {}).get("path") or "base"
    rows = {cid: i for i, cid in enumerate(slate["candidate_id"].astype(str))}
    first = int(slate.attrs.get("first_data_row", 2))
    file_row = {cid: i + first for cid, i in rows.items()}
    for listed, column in (("provincial", "selected"), ("national", "national")):
        before, after = _flags(base_slate, column), _flags(slate, column)
        for cid in sorted(set(before) | set(after)):
            was, now = bool(before.get(cid, False)), bool(after.get(cid, False))
            if was == now:
                continue
            change = "entered" if now else "left"
            if (cid, listed, change) not in recorded:
                problems.append(Problem(source, say(f"{cid} {'列入' if now else '移出'}{_list(listed)}，调整记录中没有",
                                                    f"{cid} {change} the {listed} list, not in the amendment's record"),
                                        say(f"与基础名单 {where} 的每个差异都有记录的原因",
                                            f"every difference from the base {where} recorded with its cause"),
                                        row=file_row.get(cid), column=column))
    for (cid, listed, change), r in recorded.items():
        column = "selected" if listed == "provincial" else "national"
        was = bool(_flags(base_slate, column).get(cid, False))
        now = bool(_flags(slate, column).get(cid, False))
        if (change == "entered") != (now and not was) and (change == "left") != (was and not now):
            problems.append(Problem(source, say(f"记录的变动 {cid}（{change}）在名单中没有发生",
                                                f"the recorded change {cid} ({change}) did not happen"),
                                    say("记录与名单一致", "the record matching the slate"), column=column))
    requests = record.get("all_requests") or {}
    for cid in [*requests.get("withdraw", []), *requests.get("ineligible", [])]:
        if _flags(slate, "selected").get(str(cid), False):
            problems.append(Problem(source, say(f"{cid} 已撤回或不符合条件，却仍在名单中",
                                                f"{cid} withdrawn or ineligible, still selected"),
                                    say("撤回、不符合条件的项目不在名单中", "withdrawn and ineligible projects out"),
                                    row=file_row.get(str(cid)), column="selected"))
    problems += _forced_problems(slate, changes, scenario, history, source, rows, first)
    return problems


def excused_table(findings: list[Problem], record: dict[str, Any], slate: pd.DataFrame) -> list[Problem]:
    """The candidate-table findings the requests do not explain (a rescored score, an ineligible flag are).

    Parameters
    ----------
    slate : DataFrame
        The amended slate as read (``attrs["first_data_row"]`` maps a finding's file row to its id).
    """
    requests = record.get("all_requests") or {}
    excused = {"score": set(map(str, requests.get("rescore", {}))),
               "eligible": set(map(str, requests.get("ineligible", [])))}
    first = int(slate.attrs.get("first_data_row", 2))
    at_row = {i + first: cid for i, cid in enumerate(slate["candidate_id"].astype(str))}
    return [p for p in findings if at_row.get(p.row if isinstance(p.row, int) else -1) not in
            excused.get(str(p.column), set())]


def _list(listed: str) -> str:
    return say("省级认定名单", "provincial list") if listed == "provincial" else say("国家级推荐", "national picks")


def _base_problems(folder: Path, record: dict[str, Any]) -> list[Problem]:
    base = record.get("base") or {}
    problems = []
    recorded_path = base.get("path")
    if recorded_path and Path(recorded_path).resolve() != folder.resolve():
        problems.append(Problem(str(folder), say("另一个文件夹", "another folder"),
                                say(f"调整所依据的基础名单 {recorded_path}", f"the amendment's base {recorded_path}"),
                                column="--against"))
    for name, value in (base.get("sha256") or {}).items():
        path = folder / name
        now = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        if now != value:
            problems.append(Problem(str(path), say("调整后被修改或不存在（sha256 不同）", "changed or gone (sha256)"),
                                    say("调整时的基础名单", "the base as the amendment read it")))
    return problems


def _forced_problems(slate: pd.DataFrame, changes: pd.DataFrame, scenario: Scenario, history: pd.DataFrame | None,
                     source: str, rows: dict[str, int], first: int) -> list[Problem]:
    """Each departure recorded as forced: put back, it must break the hard rule the record names."""
    if not len(changes):
        return []
    forced = changes[(changes["cause"] == "forced") & (changes["change"] == "left")]
    problems = []
    base = slate.copy()
    for column in ("selected", "national"):
        base[column] = np.array([_flags(slate, column).get(c, False) for c in slate["candidate_id"].astype(str)],
                                dtype=np.int8)
    for r in forced.to_dict("records"):
        cid, column = str(r["candidate_id"]), "selected" if r["list"] == "provincial" else "national"
        at = rows.get(cid)
        if at is None:
            continue
        trial = base.copy()
        trial.iloc[at, trial.columns.get_loc(column)] = 1
        broken = set(check_slate(trial, scenario, history=history).hard_violations["rule_id"].astype(str))
        if str(r.get("rule_id") or "") not in broken:
            problems.append(Problem(source, say(f"{cid} 记为规则所迫调出（{r.get('rule_id') or '未写规则'}），"
                                                f"但放回后该规则仍满足", f"{cid} recorded as forced out by "
                                                f"{r.get('rule_id') or 'no rule'}, but putting it back keeps that rule"),
                                    say("放回后违反所记规则的调出", "a departure whose return breaks the recorded rule"),
                                    row=at + first, column=column))
    return problems
