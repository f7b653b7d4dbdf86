"""A slate's total score against the optimum of the same round, and the candidates that explain
the difference.

Owns `ScoreComparison` and `compare_scores` (two slates over the same table compared on the
scenario's objective column), `NationalComparison` and `compare_national` (the slate's national
recommendations against the best ones for its own provincial selection, re-solved through the
caller's solve) and `read_run_slate` (the optimum read from a run folder that `planner solve`
wrote, refused when that run solved other inputs: `check_same_inputs`). Does not solve itself:
`rounds.chain.audit_file` passes its solve.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from planner.errors import InputError, Problem
from planner.lang import say
from planner.inputs import read_slate, read_summary
from planner.rules import Scenario, flag_values

FRAME_KEY = "<candidates frame>"
SHOWN = 10
"""Candidates named on each side of the difference."""


@dataclass
class ScoreComparison:
    """The slate's total score beside the optimum's.

    Attributes
    ----------
    column : str
        The objective column summed (the scenario's ``maximise``).
    slate_total, optimum_total : float
        Sum of `column` over the selected rows of the round's year.
    source : str
        Where the optimum comes from, as shown: "solved now" (with its status when not proven
        optimal) or "from RUN_DIR".
    only_optimum, only_slate : DataFrame
        candidate_id and `column` of the rows the optimum selects and the slate does not, and
        the other way round, highest first.
    national : NationalComparison or None
        The slate's national picks against the best for its provincial selection (None: not
        compared).
    """

    column: str
    slate_total: float
    optimum_total: float
    source: str
    only_optimum: pd.DataFrame = field(default_factory=pd.DataFrame)
    only_slate: pd.DataFrame = field(default_factory=pd.DataFrame)
    national: "NationalComparison | None" = None

    @property
    def difference(self) -> float:
        """Points the slate is below the optimum (negative: above it)."""
        return self.optimum_total - self.slate_total

    def lines(self, shown: int = SHOWN) -> list[str]:
        word = _column_word(self.column)
        head = say(f"{word}合计：本名单 {_num(self.slate_total)}，最优名单（{self.source}）{_num(self.optimum_total)}",
                   f"total {self.column}: this slate {_num(self.slate_total)}, the optimum ({self.source}) "
                   f"{_num(self.optimum_total)}")
        if abs(self.difference) < 1e-6:
            head += say("：合计相同", ": the same total")
        elif self.difference > 0:
            head += say(f"：比最优少 {_num(self.difference)} 分", f": {_num(self.difference)} points below the optimum")
        else:
            head += say(f"：比最优多 {_num(-self.difference)} 分（本名单不能满足最优名单满足的全部规则）",
                        f": {_num(-self.difference)} points above the optimum (it cannot hold every rule the optimum does)")
        lines = [head]
        for label, part in ((say("最优名单入选、本名单未选", "selected by the optimum, not by this slate"), self.only_optimum),
                            (say("本名单入选、最优名单未选", "selected by this slate, not by the optimum"), self.only_slate)):
            if len(part):
                named = say("，", ", ").join(_named(row, self.column) for row in part.head(shown).to_dict("records"))
                more = say(f"等，另 {len(part) - shown} 项", f" and {len(part) - shown} more") if len(part) > shown else ""
                lines.append(say(f"{label}：{len(part)} 项，共 {_num(part[self.column].sum())} 分 — {named}{more}",
                                 f"{label}: {len(part)} worth {_num(part[self.column].sum())} — {named}{more}"))
        if self.national is not None:
            lines += self.national.lines(shown)
        return lines


def compare_scores(slate: pd.DataFrame, optimum: pd.DataFrame, scenario: Scenario, *, source: str) -> ScoreComparison:
    """Compare two slates of the same round on the scenario's objective column.

    Parameters
    ----------
    slate, optimum : DataFrame
        candidate_id, year, ``selected`` and the scenario's ``maximise`` column.
    """
    column = scenario.maximise
    picked, best = _picked(slate, scenario), _picked(optimum, scenario)
    ours, theirs = set(picked["candidate_id"]), set(best["candidate_id"])
    only_optimum = best[~best["candidate_id"].isin(ours)].sort_values(column, ascending=False, kind="stable")
    only_slate = picked[~picked["candidate_id"].isin(theirs)].sort_values(column, ascending=False, kind="stable")
    return ScoreComparison(column, float(picked[column].sum()), float(best[column].sum()), source,
                           only_optimum.reset_index(drop=True), only_slate.reset_index(drop=True))


def read_run_slate(run_dir: str | Path, scenario: Scenario | None = None,
                   table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The slate a `planner solve` run wrote into `run_dir` (slate.csv, else slate.xlsx), read by
    the one run-folder reader (`inputs.read_slate`).

    Parameters
    ----------
    scenario, table : optional
        The scenario and candidate table being audited: when given, the run must have solved
        the same inputs — its summary.json's input hashes, pins and edits — or it is refused.

    Raises
    ------
    InputError
        No slate, a damaged folder, or a run of other inputs (each differing input named).
    """
    run_dir = Path(run_dir)
    for name in ("slate.csv", "slate.xlsx"):
        if (run_dir / name).is_file():
            if scenario is not None:
                check_same_inputs(run_dir, scenario, table)
            return read_slate(run_dir / name, required=("selected",))
    raise InputError([Problem(str(run_dir), say("没有 slate.csv 或 slate.xlsx", "no slate.csv or slate.xlsx"),
                              say("planner solve … --out 目录 写出的文件夹", "a folder written by planner solve … --out DIR"),
                              column="--against")])


def check_same_inputs(run_dir: Path, scenario: Scenario, table: pd.DataFrame | None) -> None:
    """Refuse a run folder whose recorded inputs are not the scenario and table audited (D20).

    Inputs are compared by content (sha256), so the same files under another path match; every
    audited input the run did not solve, every recorded input absent from the audit, and any
    difference in pins (force_in/force_out) or what-if edits is named.
    """
    from planner.rounds.finish import input_hashes

    where = str(run_dir / "summary.json")
    summary = read_summary(run_dir)
    recorded = summary.get("inputs")
    if not isinstance(recorded, dict) or not recorded:
        raise InputError([Problem(where, "没有记录输入文件的 sha256", "planner solve 写出的 summary.json（含 inputs）",
                                  column="inputs")])
    ours = input_hashes(scenario, table) if table is not None else {
        str(p): h for p, h in input_hashes(scenario, pd.DataFrame()).items() if p != FRAME_KEY}
    theirs = {str(k): str(v) for k, v in recorded.items()
              if table is not None or str(k).lower().endswith(".toml")}   # no table audited: the scenario only
    problems = [Problem(where, f"该次求解的输入中没有 {name}（sha256 {digest[:12]}…）",
                        "与被审核的情景和候选表相同的输入", column="inputs",
                        hint="--against 须指向同一情景、同一候选表求解的文件夹")
                for name, digest in ours.items() if digest not in theirs.values()]
    problems += [Problem(where, f"输入 {name}（sha256 {digest[:12]}…）不是本次审核所用的文件",
                         "与被审核的情景和候选表相同的输入", column="inputs")
                 for name, digest in theirs.items() if digest not in ours.values()]
    for key in ("force_in", "force_out"):
        run_pins = summary.get(key, [])
        if isinstance(run_pins, list) and sorted(map(str, run_pins)) != sorted(getattr(scenario, key)):
            problems.append(Problem(where, f"{key} = {sorted(map(str, run_pins))}",
                                    f"与情景相同的 {key} {sorted(getattr(scenario, key))}", column=key))
    edits = summary.get("edits", [])
    if isinstance(edits, list) and len(edits) != len(getattr(scenario, "edits", ()) or ()):
        problems.append(Problem(where, f"{len(edits)} 项情景推演修改（edits）",
                                f"与被审核情景相同的修改（{len(getattr(scenario, 'edits', ()) or ())} 项）",
                                column="edits"))
    if problems:
        raise InputError(problems)


@dataclass
class NationalComparison:
    """The slate's national recommendations beside the best ones for the same provincial slate.

    Attributes
    ----------
    column : str
        The objective column summed over the national picks.
    slate_total, best_total : float
        Sum of `column` over the slate's national picks and over the best national picks found
        with the slate's provincial selection fixed.
    status : str
        The re-solve's status ("OPTIMAL", or "FEASIBLE" at a time limit).
    only_best, only_slate : DataFrame
        candidate_id and `column` of the picks the best has and the slate has not, and the other
        way round, highest first.
    """

    column: str
    slate_total: float
    best_total: float
    status: str
    only_best: pd.DataFrame = field(default_factory=pd.DataFrame)
    only_slate: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def lost(self) -> float:
        """National score the slate's picks lose against the best (0 when none)."""
        return max(0.0, self.best_total - self.slate_total)

    def lines(self, shown: int = SHOWN) -> list[str]:
        proven = self.status == "OPTIMAL"
        head = say(f"推荐国家级的{_column_word(self.column)}：本名单的推荐 {_num(self.slate_total)}，同一省级名单下最好的推荐"
                   f"（{'重新求解' if proven else '重新求解，未证明最优'}）{_num(self.best_total)}",
                   f"national {self.column}: this slate's recommendations {_num(self.slate_total)}, the best for the "
                   f"same provincial slate ({'re-solved' if proven else self.status}) {_num(self.best_total)}")
        if self.lost < 1e-6:
            return [head + say("：推荐国家级按分择优", ": the national picks are on merit")]
        lines = [head + say(f"：推荐国家级少得 {_num(self.lost)} 分", f": {_num(self.lost)} points lost by the national picks")]
        swaps = [say(f"推荐{_named(a, self.column)}而不是{_named(b, self.column)}",
                     f"{_named(a, self.column)} instead of {_named(b, self.column)}")
                 for a, b in zip(self.only_best.to_dict("records"), self.only_slate.to_dict("records"))]
        if swaps:
            more = say(f"等，另 {len(swaps) - shown} 项", f" and {len(swaps) - shown} more") if len(swaps) > shown else ""
            lines.append(say("应" + "；".join(swaps[:shown]) + more, "recommend " + ", ".join(swaps[:shown]) + more))
        return lines


def compare_national(slate: pd.DataFrame, scenario: Scenario,
                     solve: Callable[[Scenario], Any]) -> NationalComparison | None:
    """Re-solve the national level with the slate's provincial selection fixed, and set the slate's
    national picks against the best ones (D10: a recommendation moved to a lower-scored course).

    Parameters
    ----------
    slate : DataFrame
        candidate_id, year, bool ``selected`` and ``national``, the objective column.
    solve : callable
        ``solve(scenario) -> Result`` (the caller's solve: this module never solves itself).

    Returns
    -------
    NationalComparison or None
        None when no rule decides national recommendations (nothing to compare).
    """
    if not any(rule.decision == "national" for rule in scenario.rules) and not flag_values(slate, "national").any():
        return None
    this_year = slate["year"].to_numpy() == scenario.year
    ids = slate["candidate_id"].astype(str).to_numpy()
    chosen = flag_values(slate, "selected")
    fixed = scenario.pinned(force_in=list(ids[this_year & chosen]), force_out=list(ids[this_year & ~chosen]),
                            note="audit: the slate's provincial selection fixed", replace=True)
    best = solve(fixed)
    ours = _national(slate, scenario)
    theirs = _national(best.slate, scenario)
    only_best = theirs[~theirs["candidate_id"].isin(set(ours["candidate_id"]))]
    only_slate = ours[~ours["candidate_id"].isin(set(theirs["candidate_id"]))]
    column = scenario.maximise
    return NationalComparison(column, float(ours[column].sum()), float(theirs[column].sum()),
                              str(best.summary.get("status", "")),
                              only_best.sort_values(column, ascending=False, kind="stable").reset_index(drop=True),
                              only_slate.sort_values(column, ascending=True, kind="stable").reset_index(drop=True))


def _national(frame: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    return _rows(frame, scenario, flag_values(frame, "national"))


def _picked(frame: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    return _rows(frame, scenario, flag_values(frame, "selected"))


def _rows(frame: pd.DataFrame, scenario: Scenario, flags) -> pd.DataFrame:
    """candidate_id, title (blank where the table has none) and the objective column of the
    flagged rows of the round's year."""
    chosen = flags & (frame["year"].to_numpy() == scenario.year)
    values = pd.to_numeric(frame[scenario.maximise], errors="coerce").fillna(0).to_numpy()
    titles = frame["title"].fillna("").astype(str).to_numpy() if "title" in frame.columns else [""] * len(frame)
    return pd.DataFrame({"candidate_id": frame["candidate_id"].astype(str).to_numpy()[chosen],
                         "title": pd.Series(titles).to_numpy()[chosen],
                         scenario.maximise: values[chosen]}).drop_duplicates("candidate_id")


def _named(row: dict, column: str) -> str:
    """A project as a person reads it: its title with its id, and its value (e.g. its score)."""
    title = str(row.get("title") or "").strip()
    value = _num(row[column])
    if title:
        return say(f"{title}（{row['candidate_id']}，{value}）", f"{title} ({row['candidate_id']}, {value})")
    return say(f"{row['candidate_id']}（{value}）", f"{row['candidate_id']} ({value})")


def _column_word(column: str) -> str:
    """The objective column's name as the office says it."""
    return {"score": say("评审分数", "score")}.get(column, column)


def _num(value: float) -> str:
    value = float(value)
    return str(int(round(value))) if abs(value - round(value)) < 1e-9 else f"{value:.1f}"
