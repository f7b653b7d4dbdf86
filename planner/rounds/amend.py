"""After the 公示: a published round amended with the fewest changes (`amend_round`).

Owns what an amendment asks (`Requests`: projects withdrawn, found ineligible, rescored, with who
asked and why), how it is applied to a round (the withdrawn pinned out, the ineligible marked
``eligible = False``, the rescored given their new score) and the lexicographic re-solve:

1. every hard rule (the model of the round, `model.build_model`);
2. the fewest **departures** from the published decisions — a published project that leaves the
   provincial list, a published national pick that loses its recommendation — not counting the
   projects the requests themselves take out (objective level ``changes``, put in front of the
   round's own levels and solved by the one door, `solver.solve_with`);
3. the score and the national picks as in any round (each vacancy filled by the best project the
   rules allow), then the fixed tie-break.

A rescored project is judged on its new score: its decision is the one a full re-solve with the
same requests gives it, and the rest of the list moves as little as that allows. The same
requests are also solved as a full re-solve (`chain.solve`), so the score an amendment gives up is
reported beside it. Does not own saying why each change happened (`amend_changes`) nor reading
a run folder back (`api.amend`) nor publishing (`show.amendment`).
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from planner.errors import InputError, NoSolutionError, Problem
from planner.inputs import suggest
from planner.lang import say
from planner.model import Objective, build_model
from planner.rounds.amend_changes import change_table, count_changes, published_flags
from planner.rounds.chain import check_interrupted, solve
from planner.rounds.finish import finish
from planner.rounds.result import Result
from planner.rules import Scenario, read_round
from planner.solver import solve_with

log = logging.getLogger(__name__)

#: The name of the objective level that counts departures from the published list.
CHANGES_LEVEL = "changes"


@dataclass(frozen=True)
class Requests:
    """What an amendment is asked to do (all ids are candidate ids of the round).

    Attributes
    ----------
    withdraw : tuple of str
        Projects their units withdrew (申报单位撤回): fixed out, never re-enter.
    ineligible : tuple of str
        Projects found not to meet the conditions (经核查不符合申报条件): fixed out.
    rescore : dict
        candidate_id → the corrected score (复核后分数).
    reasons : dict
        candidate_id → free text: why this request was made (shown in the 调整说明 and recorded).
    asked_by : str
        Who asked (e.g. 申报单位、异议人、评审组), recorded.
    note : str
        A free-text reason for the amendment as a whole.
    """

    withdraw: tuple[str, ...] = ()
    ineligible: tuple[str, ...] = ()
    rescore: dict[str, float] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    asked_by: str = ""
    note: str = ""

    @property
    def ids(self) -> list[str]:
        """Every id a request names, in the order given."""
        return list(dict.fromkeys([*self.withdraw, *self.ineligible, *self.rescore]))

    def then(self, later: Requests) -> Requests:
        """These requests followed by `later` (an amendment of an amendment keeps the earlier ones)."""
        return Requests(withdraw=tuple(dict.fromkeys([*self.withdraw, *later.withdraw])),
                        ineligible=tuple(dict.fromkeys([*self.ineligible, *later.ineligible])),
                        rescore={**self.rescore, **later.rescore}, reasons={**self.reasons, **later.reasons},
                        asked_by=later.asked_by or self.asked_by, note=later.note or self.note)

    def as_json(self) -> dict[str, Any]:
        return {"withdraw": list(self.withdraw), "ineligible": list(self.ineligible),
                "rescore": {k: float(v) for k, v in self.rescore.items()}, "reasons": dict(self.reasons),
                "asked_by": self.asked_by, "note": self.note}

    @classmethod
    def from_json(cls, data: Any, where: str = "summary.json") -> Requests:
        """Requests as `as_json` wrote them (a hand-edited record is refused, located)."""
        if not isinstance(data, dict):
            raise InputError([Problem(where, repr(data)[:60], say("调整请求（一个对象）", "the requests (an object)"),
                                      column="amendment.requests")])
        try:
            return cls(withdraw=tuple(map(str, data.get("withdraw", []))),
                       ineligible=tuple(map(str, data.get("ineligible", []))),
                       rescore={str(k): float(v) for k, v in dict(data.get("rescore", {})).items()},
                       reasons={str(k): str(v) for k, v in dict(data.get("reasons", {})).items()},
                       asked_by=str(data.get("asked_by", "")), note=str(data.get("note", "")))
        except (TypeError, ValueError) as exc:
            raise InputError([Problem(where, str(exc)[:80], say("调整请求（withdraw、ineligible、rescore…）",
                                                             "the requests (withdraw, ineligible, rescore …)"),
                                      column="amendment.requests")]) from None


@dataclass
class Amendment:
    """An amended round and the full re-solve of the same requests beside it.

    Attributes
    ----------
    result : Result
        The amended round (``slate``, ``summary`` with an ``amendment`` record, …).
    full : Result or None
        A full re-solve of the same requests (every project free to move); None when not asked.
    base_slate : DataFrame
        The published slate the amendment changes (``candidate_id``, ``selected``, ``national``).
    requests : Requests
        The requests of this amendment; ``all_requests`` adds the earlier amendments' in a chain.
    changes : DataFrame
        One row per change (`amend_changes.CHANGE_COLUMNS`): who left or entered, which list, why.
    record : dict
        What summary.json records under ``amendment``.
    """

    result: Result
    full: Result | None
    base_slate: pd.DataFrame
    requests: Requests
    all_requests: Requests
    changes: pd.DataFrame
    record: dict[str, Any]

    @property
    def slate(self) -> pd.DataFrame:
        return self.result.slate

    @property
    def summary(self) -> dict[str, Any]:
        return self.result.summary


def check_requests(requests: Requests, frame: pd.DataFrame, scenario: Scenario) -> None:
    """Every requested id is a candidate of this round, asked once, with a score in 0–100.

    Raises
    ------
    InputError
        One located problem per bad id or score (all listed).
    """
    this_year = frame["year"].to_numpy() == scenario.year
    ids = sorted(set(frame["candidate_id"].astype(str)[this_year]))
    known = set(ids)
    problems = []
    for option, given in (("--withdraw", requests.withdraw), ("--ineligible", requests.ineligible),
                          ("--rescore", list(requests.rescore))):
        for cid in given:
            if cid not in known:
                problems.append(Problem(option, say(f"项目编号 {cid}", f"candidate id {cid}"),
                                        say(f"{scenario.year} 年度本轮的项目编号", f"a candidate id of the {scenario.year} round"),
                                        hint=suggest(cid, ids)))
    both = sorted(set(requests.withdraw) & set(requests.ineligible))
    for cid in both:
        problems.append(Problem("--withdraw/--ineligible", say(f"{cid} 同时撤回又不符合条件", f"{cid} both withdrawn and ineligible"),
                                say("每个项目只给一种调整", "one request per project")))
    for cid, value in requests.rescore.items():
        if not (isinstance(value, (int, float)) and 0 <= float(value) <= 100):
            problems.append(Problem("--rescore", f"{cid}={value}", say("0–100 之间的分数", "a score in 0–100")))
    if problems:
        raise InputError(problems)


def apply_requests(scenario: Scenario, frame: pd.DataFrame, requests: Requests) -> tuple[Scenario, pd.DataFrame]:
    """The round the requests leave: the withdrawn pinned out, the ineligible not eligible, new scores.

    Parameters
    ----------
    frame : DataFrame
        The round's candidate table (``candidate_id``, ``eligible``, the scored column).
    """
    out = frame.copy()
    ids = out["candidate_id"].astype(str)
    if requests.ineligible:
        out["eligible"] = out["eligible"].astype(bool) & ~ids.isin(requests.ineligible).to_numpy()
    column = scenario.maximise if scenario.maximise in out else "score"
    for cid, value in requests.rescore.items():
        out.loc[ids == cid, column] = float(value)
    out.attrs = {k: v for k, v in frame.attrs.items() if k != "source"}
    if requests.withdraw:
        scenario = scenario.pinned(force_out=list(requests.withdraw), note=say("申报单位撤回", "withdrawn by the unit"))
    return scenario, out


def amend_round(scenario: Scenario, frame: pd.DataFrame, base_slate: pd.DataFrame, requests: Requests, *,
                earlier: Requests | None = None, time_limit_s: float = 60.0, seed: int = 0,
                workers: int = 0, full_resolve: bool = True) -> Amendment:
    """Re-solve a published round with the fewest changes to its published decisions.

    Parameters
    ----------
    scenario : Scenario
        The scenario the published round was solved from.
    frame : DataFrame
        The round's candidate table as published (before these requests).
    base_slate : DataFrame
        The published decisions: ``candidate_id``, bool-like ``selected`` and ``national``.
    requests : Requests
        What this amendment asks.
    earlier : Requests, optional
        Requests of the amendments before this one (a chain): applied again, not counted again.
    time_limit_s, seed, workers
        Solver settings of each of the two solves (amendment, full re-solve).
    full_resolve : bool
        Also solve the requests as a full re-solve, for comparison (always when a project is
        rescored: its decisions are the full re-solve's). False: ``record["full_resolve"]`` is None.

    Raises
    ------
    InputError
        A request names an id that is not a candidate of the round.
    InfeasibleError, NoSolutionError
        No slate satisfies the hard rules with these requests (or none found in time).
    """
    every = (earlier or Requests()).then(requests)
    check_requests(every, frame, scenario)
    amended_scenario, amended_frame = apply_requests(scenario, frame, every)
    started = time.perf_counter()
    full = solve(amended_scenario, candidates=amended_frame, time_limit_s=time_limit_s, seed=seed, workers=workers) \
        if full_resolve or every.rescore else None
    round_ = read_round(amended_scenario, amended_frame)
    prepared = round_.prepared
    model = build_model(prepared.frame, amended_scenario, locked=prepared.locked,
                        locked_national=prepared.locked_national, history_rows=prepared.history_rows)
    n = len(round_.frame)
    published = published_flags(base_slate, round_.frame["candidate_id"].astype(str).to_numpy())
    taken_out = round_.frame["candidate_id"].astype(str).isin([*every.withdraw, *every.ineligible]).to_numpy()
    rescored = round_.frame["candidate_id"].astype(str).isin(list(every.rescore)).to_numpy()
    # A rescored project is judged on its new score: both its decisions are the full re-solve's.
    full_sel, full_nat = (full.slate[c].to_numpy(dtype=bool) for c in ("selected", "national")) \
        if full is not None else (np.zeros(0, bool), np.zeros(0, bool))
    kept_sel, kept_nat = add_changes_level(model, n, published, excused=taken_out | rescored,
                                           fixed={int(i): (bool(full_sel[i]), bool(full_nat[i]))
                                                  for i in np.flatnonzero(rescored)})
    limit_started = time.perf_counter()
    try:
        solution = solve_with("cpsat", model, time_limit_s=time_limit_s, seed=seed, workers=workers)
    except NoSolutionError as exc:
        if not getattr(exc, "timed_out", False) and time.perf_counter() - limit_started < 0.9 * time_limit_s:
            raise KeyboardInterrupt from None
        raise
    check_interrupted(solution, time.perf_counter() - limit_started, time_limit_s)
    _score_headline(solution)
    result = finish(amended_scenario, round_.frame, round_.history, prepared, model, solution, seed=seed,
                    workers=workers, time_limit_s=time_limit_s)
    changes = change_table(result, base_slate, every, requests)
    record = {
        "requests": requests.as_json(),
        "all_requests": every.as_json(),
        "counts": count_changes(changes),
        "full_resolve": None if full is None else {
            **count_changes(change_table(full, base_slate, every, requests, explain=False)),
            "total_score": full.summary["total_score"], "objective": full.summary["objective"]},
        "total_score": result.summary["total_score"],
        "objective": result.summary["objective"],
        "kept": {"provincial": int(kept_sel), "national": int(kept_nat)},
        "changes": changes.to_dict("records"),
        "solve_s": round(time.perf_counter() - started, 3),
    }
    result.summary["amendment"] = record
    log.info("amendment: %s", record["counts"])
    return Amendment(result=result, full=full, base_slate=base_slate, requests=requests, all_requests=every,
                     changes=changes, record=record)


def add_changes_level(model, n: int, published: tuple[np.ndarray, np.ndarray], *, excused: np.ndarray,
                      fixed: dict[int, tuple[bool, bool]]) -> tuple[int, int]:
    """Put the level "fewest departures from the published decisions" in front of the model's levels.

    Departures: a published project (not `excused`) whose select variable is 0, a published
    national pick whose national variable is 0. Maximising the kept ones is minimising them.
    `fixed` pins rows (a rescored project) to (selected, national). Returns how many published
    provincial and national decisions the level counts.
    """
    selected, national = published
    rows_sel = [i for i in np.flatnonzero(model.free[:n]) if selected[i] and not excused[i]]
    rows_nat = [i for i in np.flatnonzero(model.may_national[:n]) if national[i] and not excused[i]]
    for i, (chosen, national_pick) in fixed.items():
        if model.select[i] is not None:
            model.cp.add(model.select[i] == int(chosen))
        if model.national[i] is not None:
            model.cp.add(model.national[i] == int(national_pick))
    variables = [model.select[i] for i in rows_sel] + [model.national[i] for i in rows_nat]
    if variables:       # kept − counted = −(departures): the level's value is minus the departures
        expr = cp_model.LinearExpr.sum(variables) - len(variables)
        model.objectives.insert(0, Objective(CHANGES_LEVEL, expr, Fraction(1), [], []))
    return len(rows_sel), len(rows_nat)


def _score_headline(solution) -> None:
    """The summary's objective, bound and gap are the round's score level, as for any round (the
    level of changes in front of it is recorded under ``amendment``)."""
    phases = [p for p in solution.phases if p.get("phase") != CHANGES_LEVEL]
    if phases and phases[0].get("objective") is not None:
        solution.objective = float(phases[0]["objective"])
        bound = phases[0].get("best_bound")
        solution.best_bound = float(bound) if bound is not None else solution.objective
        solution.gap = abs(solution.best_bound - solution.objective) / max(1.0, abs(solution.objective))


def slate_hashes(folder: str | Path) -> dict[str, str]:
    """sha256 of a run folder's slate.csv and summary.json (what an amendment records of its base)."""
    folder = Path(folder)
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
            for name in ("slate.csv", "summary.json") if (folder / name).is_file()}
