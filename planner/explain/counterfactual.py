"""Exact counterfactuals: what forcing one candidate in (or out) would cost, and who would move.

Owns re-solving a solved round with one candidate's decision flipped: the change in the
first-level objective (total score minus soft penalties, plus the lookahead's planned picks
when the scenario has one) and the candidates that would leave or enter — found by re-solving,
never estimated. At the forced optimum the number of decisions that differ from the current
slate is minimised, so "who moves" is the smallest exchange rather than an arbitrary equally
good slate.

The re-solves go through the solver's door: `solver.Engine` re-solves only the candidate's
independent part of the model, as an LP first and with CP-SAT where the LP optimum is
fractional (see `solver.forcing`; benchmarks/bench_explain.py). Does not own the model
(`model`), the main solve (`solver`), reason codes (`explain.reasons`) nor the conflicts of an
infeasible scenario (`explain.conflicts`, used here only to name why a forced candidate cannot
be in).
"""
from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np
import pandas as pd

from planner.errors import InputError, PlannerError, Problem
from planner.inputs import suggest
from planner.lang import say
from planner.rules import blocked_reason, rule_words
from planner.solver import Engine

if TYPE_CHECKING:       # pragma: no cover - typing only
    from planner.model import Model
    from planner.result import SolvedRound

log = logging.getLogger(__name__)

COLUMNS = ["candidate_id", "force", "status", "delta_if_forced", "delta_score", "leaving", "entering",
           "counterfactual", "method", "solve_s"]
INT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Counterfactual:
    """The outcome of forcing one candidate in or out.

    Attributes
    ----------
    candidate_id, force : str
        The candidate and what was forced (``"in"`` or ``"out"``).
    status : str
        ``OPTIMAL`` (exact), ``FEASIBLE`` (time ran out: the change is at least this good),
        ``INFEASIBLE`` (no slate satisfies the hard rules with it forced), ``UNKNOWN`` (not
        decided in time), ``blocked`` (it cannot be selected this year at all: see `sentence`)
        or ``unchanged`` (the slate already decides it that way).
    delta_objective : float
        New minus current first-level objective, in score points (≤ 0 when the slate is
        optimal); NaN without a re-solve.
    delta_score : float
        Change of this round's total score (the forced candidate included).
    entering, leaving : tuple of str
        This round's candidates that would enter / leave the slate, besides the forced one.
    sentence : str
        One Chinese sentence with the figures.
    method : str
        ``lp`` (integral LP optimum, certified), ``cp-sat`` or ``""``.
    conflict : tuple of str
        Rule ids that make a forced candidate impossible (status INFEASIBLE), when named.
    """

    candidate_id: str
    force: str
    status: str
    delta_objective: float = math.nan
    delta_score: float = math.nan
    entering: tuple[str, ...] = ()
    leaving: tuple[str, ...] = ()
    sentence: str = ""
    solve_s: float = 0.0
    method: str = ""
    conflict: tuple[str, ...] = ()


# =============================================================================================
# One part as plain arrays (picklable): integer variables, linear rows, the objective

# =============================================================================================
# Solving one part: LP first, CP-SAT when the LP optimum is fractional

# =============================================================================================
# The engine over a solved model

# =============================================================================================
# Public API

def counterfactual(result: "SolvedRound", candidate_id: str, *, force: str | None = None,
                   time_limit_s: float = 30.0, engine: Engine | None = None) -> Counterfactual:
    """Force one candidate in (or out), re-solve exactly, and say what changes.

    Parameters
    ----------
    result : SolvedRound
        A solved round: uses ``result.model`` (its frame needs candidate_id, year and the
        objective column), ``result.solution``, ``result.scenario`` and, for the wording of
        blocked candidates, ``result.explanations`` (candidate_id, reason, rule_id).
    candidate_id : str
    force : {"in", "out"}, optional
        Default: the opposite of the current decision.
    time_limit_s : float
        Budget for the re-solve (and, if it is infeasible, for naming the conflict).
    engine : Engine, optional
        ``Engine(result.model, result.solution.selected, result.solution.national)``, to share
        between several calls on the same result (its set-up is the slow part).

    Raises
    ------
    InputError
        Unknown candidate id, or a force other than "in"/"out".
    """
    row = _row(result, candidate_id)
    selected = bool(result.solution.selected[row])
    force = force or ("out" if selected else "in")
    if force not in ("in", "out"):
        raise InputError([Problem("counterfactual", f'force "{force}"', '"in" or "out"', column="force")])
    if selected == (force == "in"):
        what = "已入选" if selected else "未入选"
        return Counterfactual(candidate_id, force, "unchanged", 0.0, 0.0, sentence=f"当前名单中本项目{what}，无需强制")
    scenario = result.scenario
    if (force == "out" and candidate_id in scenario.force_in) or (force == "in" and candidate_id in scenario.force_out):
        return _unpinned(result, candidate_id, row, force, time_limit_s)
    if not result.model.free[row]:
        return _blocked(result, candidate_id, row, force)
    engine = engine or Engine(result.model, result.solution.selected, result.solution.national)
    outcome = engine.solve([row], [1 if force == "in" else 0], time_limit_s=time_limit_s,
                           solve_limit_s=time_limit_s)[row]
    return _describe(result, engine, row, force, outcome, time_limit_s)


def explain_all(result: "SolvedRound", *, processes: int = 2, time_limit_s: float = 60.0, solve_limit_s: float = 5.0,
                candidates: Iterable[str] | None = None) -> pd.DataFrame:
    """Counterfactual "forced in" for every rejected candidate of this round.

    Parameters
    ----------
    result : SolvedRound
        See `counterfactual`.
    processes : int
        Parts solved side by side in forked processes (1 = in this process).
    time_limit_s : float
        Budget for all re-solves together; candidates left when it runs out get status UNKNOWN.
    solve_limit_s : float
        Budget for one re-solve.
    candidates : iterable of str, optional
        Only these (default: every candidate of this round not selected).

    Returns
    -------
    DataFrame
        `COLUMNS`: candidate_id, force ("in"), status, delta_if_forced (score points),
        delta_score, leaving and entering (ids joined by "、"), counterfactual
        (the sentence), method, solve_s. One row per rejected candidate, in table order.
    """
    start = time.perf_counter()
    model, solution, scenario = result.model, result.solution, result.scenario
    n = _n_input(model)
    ids = model.frame["candidate_id"].astype(str).to_numpy()
    this_year = model.frame["year"].to_numpy()[:n] == scenario.year
    rejected = np.flatnonzero(this_year & ~np.asarray(solution.selected[:n], bool))
    if candidates is not None:
        rejected = rejected[np.isin(ids[rejected], [str(c) for c in candidates])]
    engine = Engine(model, solution.selected, solution.national)
    solvable = [int(r) for r in rejected if model.free[r]]
    outcomes = engine.solve(solvable, [1] * len(solvable), processes=processes, time_limit_s=time_limit_s,
                            solve_limit_s=solve_limit_s)
    context = _Context.of(result)
    found = {r: _describe(result, engine, r, "in", outcomes[r], solve_limit_s, context=context, name_conflict=False)
             for r in solvable}
    deadline = start + time_limit_s
    for r in rejected:
        r = int(r)
        if r in found:
            continue
        cid = ids[r]
        if cid in scenario.force_out and deadline - time.perf_counter() > 0.5:
            found[r] = _unpinned(result, cid, r, "in", deadline - time.perf_counter())
        elif cid in scenario.force_out:
            found[r] = Counterfactual(cid, "in", "UNKNOWN", sentence="时间不足，未计算")
        else:
            found[r] = _blocked(result, cid, r, "in", context=context)
    log.info("counterfactuals of %d rejected candidates in %.2f s", len(rejected), time.perf_counter() - start)
    return table([found[int(r)] for r in rejected])


def table(items: Sequence[Counterfactual]) -> pd.DataFrame:
    """Counterfactuals as a DataFrame with `COLUMNS`."""
    return pd.DataFrame({
        "candidate_id": pd.Series([c.candidate_id for c in items], dtype=object),
        "force": pd.Series([c.force for c in items], dtype=object),
        "status": pd.Series([c.status for c in items], dtype=object),
        "delta_if_forced": np.array([c.delta_objective for c in items], dtype=float),
        "delta_score": np.array([c.delta_score for c in items], dtype=float),
        "leaving": pd.Series(["、".join(c.leaving) for c in items], dtype=object),
        "entering": pd.Series(["、".join(c.entering) for c in items], dtype=object),
        "counterfactual": pd.Series([c.sentence for c in items], dtype=object),
        "method": pd.Series([c.method for c in items], dtype=object),
        "solve_s": np.array([round(c.solve_s, 4) for c in items], dtype=float),
    }, columns=COLUMNS)


def merge(explanations: pd.DataFrame, counterfactuals: pd.DataFrame) -> pd.DataFrame:
    """Explanations with the counterfactual columns added and its sentence appended to ``reason``.

    Parameters
    ----------
    explanations : DataFrame
        `explain.reasons` output (candidate_id, reason, …).
    counterfactuals : DataFrame
        `explain_all` / `table` output.
    """
    extra = counterfactuals.drop(columns=["solve_s", "force", "method"]).set_index("candidate_id")
    out = explanations.copy()
    keyed = out["candidate_id"].astype(str)
    for column in extra.columns:
        out[column] = keyed.map(extra[column]).to_numpy()
    sentence = out["counterfactual"].fillna("").astype(str).to_numpy(dtype=object)
    has = np.array([len(s) > 0 for s in sentence], dtype=bool)
    reason = out["reason"].astype(str).to_numpy(dtype=object)
    reason[has] = reason[has] + "；" + sentence[has]
    out["reason"] = reason
    return out


# =============================================================================================
# Helpers

@dataclass
class _Context:
    """Per-round lookups shared by every sentence (computed once)."""

    ids: np.ndarray
    score: np.ndarray
    reason: dict[str, str]
    rule: dict[str, str]
    blocked: dict[str, str]

    @classmethod
    def of(cls, result: "SolvedRound") -> "_Context":
        model = result.model
        frame = model.frame
        ids = frame["candidate_id"].astype(str).to_numpy()
        score = pd.to_numeric(frame[result.scenario.maximise], errors="coerce").to_numpy(dtype=float)
        expl = getattr(result, "explanations", None)
        reason, rule = {}, {}
        if expl is not None and len(expl) and "reason" in expl:
            keys = expl["candidate_id"].astype(str).tolist()
            reason = dict(zip(keys, expl["reason"].astype(str).tolist()))
            if "rule_id" in expl:
                rule = dict(zip(keys, expl["rule_id"].fillna("").astype(str).tolist()))
        n = _n_input(model)
        codes = blocked_reason(frame.iloc[:n], result.scenario).astype(str).tolist()
        return cls(ids=ids, score=score, reason=reason, rule=rule,
                   blocked=dict(zip(ids[:n].tolist(), codes)))


def _history_rows(model: "Model", n: int) -> np.ndarray | None:
    """Every row of the locked rounds (selected or not), as the model was built with, if it knows."""
    rows = getattr(model, "history_rows", None)
    return None if rows is None else np.asarray(rows, bool)[:n]


def _n_input(model: "Model") -> int:
    return int(getattr(model, "n_input", 0) or len(model.frame))


def _row(result: "SolvedRound", candidate_id: str) -> int:
    model = result.model
    n = _n_input(model)
    ids = model.frame["candidate_id"].astype(str).to_numpy()[:n]
    hit = np.flatnonzero(ids == str(candidate_id))
    if not len(hit):
        raise InputError([Problem(result.scenario.label, say(f"候选表中没有的项目“{candidate_id}”",
                                                             f'candidate "{candidate_id}" which is not in the candidate table'),
                                  say("本轮的项目编号", "a candidate_id of this round"), column="candidate",
                                  hint=suggest(str(candidate_id), list(ids)))])
    return int(hit[0])


def _blocked(result: "SolvedRound", candidate_id: str, row: int, force: str, *, context: _Context | None = None) -> Counterfactual:
    """A candidate without a decision variable this round: say why it cannot be forced in."""
    context = context or _Context.of(result)
    code = context.blocked.get(candidate_id) or "locked"
    why = context.reason.get(candidate_id) or code
    return Counterfactual(candidate_id, force, "blocked", sentence=say(f"无法强制入选（{code}）：{why}",
                                                                       f"cannot be forced in ({code}): {why}"))


def _describe(result: "SolvedRound", engine: Engine, row: int, force: str, outcome: dict, time_limit_s: float, *,
              context: _Context | None = None, name_conflict: bool = True) -> Counterfactual:
    context = context or _Context.of(result)
    ids, score = context.ids, context.score
    cid = ids[row]
    status, method, solve_s = outcome["status"], outcome.get("method", ""), outcome.get("solve_s", 0.0)
    verb = say("强制入选" if force == "in" else "强制不入选", "forced in" if force == "in" else "forced out")
    if status == "INFEASIBLE":
        rules = _conflict_rules(result, cid, force, time_limit_s) if name_conflict else \
            [r for r in [context.rule.get(cid, "")] if r]
        known = {r.id: r for r in result.scenario.rules}
        named = say("、", ", ").join(rule_words(r, known[r].clause, known[r].text, chars=20) if r in known
                                     else rule_words(r) for r in rules)
        return Counterfactual(cid, force, status, sentence=say(f"无法{verb}：没有满足全部硬性规则的名单"
                                                               + (f"（冲突规则：{named}）" if rules else ""),
                                                               f"cannot be {verb}: no slate satisfies every hard rule"
                                                               + (f" (conflicting rules: {named})" if rules else "")),
                              solve_s=solve_s, method=method, conflict=tuple(rules))
    if status == "UNSUPPORTED":
        return Counterfactual(cid, force, "UNKNOWN", sentence=say("模型含不支持的约束类型，未计算反事实",
                                                                  "the model has a constraint type not supported: no counterfactual"))
    if status not in ("OPTIMAL", "FEASIBLE"):
        return Counterfactual(cid, force, "UNKNOWN", sentence=say(f"{verb}后的重新求解在时限内未完成",
                                                                  f"the re-solve {verb} did not finish in time"),
                              solve_s=solve_s, method=method)
    changed = np.asarray(outcome["changed"], dtype=np.int64)
    was = np.asarray(engine.selected, bool)
    leaving = sorted((int(r) for r in changed if was[r]), key=lambda r: (-score[r], ids[r]))
    entering = sorted((int(r) for r in changed if not was[r]), key=lambda r: (-score[r], ids[r]))
    sign = 1 if force == "in" else -1
    delta_score = sign * score[row] + sum(score[r] for r in entering) - sum(score[r] for r in leaving)
    delta = outcome["delta"] / engine.units
    text = [say(f"若{verb}，", f"if {verb}, ")]
    if abs(delta) < 1e-9:
        text.append(say("目标值不变（并列最优）", "the objective is unchanged (tied optimum)"))
    elif delta < 0:
        text.append(say(f"目标值减少 {-delta:.10g} 分", f"the objective falls by {-delta:.10g} points"))
    else:
        text.append(say(f"目标值增加 {delta:.10g} 分（当前名单并非最优）",
                        f"the objective rises by {delta:.10g} points (the current slate is not optimal)"))
    if leaving:
        listed = say("、", ", ").join(say(f"{ids[r]}（{score[r]:g}）", f"{ids[r]} ({score[r]:g})") for r in leaving)
        text.append(say(f"，替换出 {listed}", f"; out go {listed}"))
    if entering:
        listed = say("、", ", ").join(say(f"{ids[r]}（{score[r]:g}）", f"{ids[r]} ({score[r]:g})") for r in entering)
        text.append(say("，" + ("替补入选 " if force == "out" else "另增 ") + listed,
                        ("; in come " if force == "out" else "; also in ") + listed))
    if abs(delta - delta_score) > 1e-6:
        text.append(say(f"（本年度名单总分变化 {delta_score:+.10g}，其余来自后续年度规划或软约束）",
                        f" (this year's slate total changes by {delta_score:+.10g}; the rest comes from the "
                        "planned later years or soft rules)"))
    if status == "FEASIBLE":
        text.append(say("（时限内未证明最优）", " (not proven optimal in the time limit)"))
    return Counterfactual(cid, force, status, float(delta), float(round(delta_score, 9)),
                          tuple(ids[r] for r in entering), tuple(ids[r] for r in leaving),
                          "".join(text), solve_s, method)


def _conflict_rules(result: "SolvedRound", candidate_id: str, force: str, time_limit_s: float) -> list[str]:
    """The rules of a minimal conflict once the candidate is pinned (in or out)."""
    from planner.explain.conflicts import diagnose_infeasible
    model = result.model
    n = _n_input(model)
    scenario = _repinned(result.scenario, candidate_id, force)
    try:
        diagnosis = diagnose_infeasible(model.frame.iloc[:n].reset_index(drop=True), scenario,
                                        locked=model.locked[:n], locked_national=model.locked_national[:n],
                                        history_rows=_history_rows(model, n), time_limit_s=time_limit_s, relax=False)
    except PlannerError as exc:      # pragma: no cover - naming is best effort here
        log.warning(say(f"未能指出强制{'入选' if force == 'in' else '不选'} {candidate_id} 时冲突的规则：{exc}",
                        f"could not name the conflict of forcing {candidate_id} {force}: {exc}"))
        return []
    if not len(diagnosis.conflicts):
        return []
    return [r for r in dict.fromkeys(diagnosis.conflicts["rule_id"].astype(str)) if r not in ("", "force_in", "force_out")]


def _repinned(scenario: Any, candidate_id: str, force: str | None) -> Any:
    """The scenario with the candidate's pin removed (force None) or set to `force`."""
    force_in = tuple(c for c in scenario.force_in if c != candidate_id)
    force_out = tuple(c for c in scenario.force_out if c != candidate_id)
    if force == "in":
        force_in += (candidate_id,)
    elif force == "out":
        force_out += (candidate_id,)
    return dataclasses.replace(scenario, force_in=force_in, force_out=force_out)


def _unpinned(result: "SolvedRound", candidate_id: str, row: int, force: str, time_limit_s: float) -> Counterfactual:
    """Counterfactual of a pinned candidate: the model rebuilt without its pin, then forced the other way."""
    from planner.model import build_model
    model = result.model
    n = _n_input(model)
    scenario = _repinned(result.scenario, candidate_id, None)
    extra = {} if _history_rows(model, n) is None else {"history_rows": _history_rows(model, n)}
    rebuilt = build_model(model.frame.iloc[:n].reset_index(drop=True), scenario, locked=model.locked[:n],
                          locked_national=model.locked_national[:n], **extra)
    if len(rebuilt.frame) != len(model.frame) or not rebuilt.free[row]:
        return _blocked(result, candidate_id, row, force)
    engine = Engine(rebuilt, result.solution.selected, result.solution.national)
    outcome = engine.solve([row], [1 if force == "in" else 0], time_limit_s=time_limit_s,
                           solve_limit_s=time_limit_s)[row]
    cf = _describe(result, engine, row, force, outcome, time_limit_s)
    return dataclasses.replace(cf, sentence=cf.sentence.replace("若", "若取消指定并", 1) if cf.sentence.startswith("若")
                               else cf.sentence.replace("if ", "if unpinned and ", 1))
