"""Ties: other slates that reach the same optimum, and what differs from the chosen one.

Owns finding up to K other optimal slates of a solved round, so a planner knows which choices
the rules did not decide (the tie-break did). The model splits into independent components
(`components.Split`); an optimal slate differs from the chosen one only where a component
has another optimum, so each component is searched on its own: its first-level objective is
held at the slate's value and so is this round's own total (deferring a pick to a planned
later round is not a tie of this round), a no-good cut excludes the chosen decisions (and
every alternative already found), and the fewest changed decisions are sought. The K smallest
differences over all components are returned. Only this round's provincial decisions count
as a difference (planned picks of later years and national picks are re-chosen freely).

Does not own the tie-break itself (`model`, `solver`), nor the counterfactual engine it reuses
(`counterfactual`).
"""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from planner.lang import say
from planner.solver import Engine, cpsat_model, part_level, solve_cp

if TYPE_CHECKING:       # pragma: no cover - typing only
    from planner.result import SolvedRound

log = logging.getLogger(__name__)

COLUMNS = ["alternative", "n_changes", "entering", "leaving", "delta_score", "sentence"]


def alternative_slates(result: "SolvedRound", k: int = 5, *, time_limit_s: float = 30.0,
                       per_component: int | None = None) -> pd.DataFrame:
    """Up to `k` other slates with the same optimum, fewest changes first.

    Parameters
    ----------
    result : SolvedRound
        A solved round: ``result.model`` (frame with candidate_id and the objective column),
        ``result.solution``, ``result.scenario``.
    k : int
        At most this many alternatives.
    time_limit_s : float
        Budget for the whole search; components not searched in time are skipped (logged).
    per_component : int, optional
        At most this many alternatives from one component (default `k`).

    Returns
    -------
    DataFrame
        `COLUMNS`: alternative (1…), n_changes, entering and leaving (ids joined by "、": this
        round's candidates that the alternative selects instead / drops), delta_score (change of
        this round's total score; 0 unless soft penalties or planned picks compensate), sentence.
        Empty when the optimum is unique.
    """
    start = time.perf_counter()
    deadline = start + time_limit_s
    model, solution = result.model, result.solution
    engine = Engine(model, solution.selected, solution.national)
    ids = model.frame["candidate_id"].astype(str).to_numpy()
    score = pd.to_numeric(model.frame[result.scenario.maximise], errors="coerce").to_numpy(dtype=float)
    limit = per_component or k
    found: list[tuple[int, list[int], list[int]]] = []      # (n_changes, entering rows, leaving rows)
    if not engine.split.supported or k <= 0:
        return _table([], ids, score)
    parts = sorted({engine.part_of(int(r)) for r in np.flatnonzero(model.free[: _n(model)])
                    if not _planned(model, int(r))})
    skipped = 0
    for part in parts:
        if time.perf_counter() >= deadline:
            skipped += 1
            continue
        spec, _, rows = engine.spec(part)
        if not len(spec.decisions):
            continue
        found += _alternatives_of(spec, rows, limit, deadline)
    if skipped:
        log.warning(say(f"备选名单：时间用完，{skipped} 个互不相关的部分未搜索",
                        f"alternative slates: time ran out, {skipped} components not searched"))
    found.sort(key=lambda f: (f[0], sorted(ids[f[1] + f[2]].tolist())))
    return _table(found[:k], ids, score)


def _alternatives_of(spec, rows: list[int], limit: int, deadline: float) -> list[tuple[int, list[int], list[int]]]:
    """Other optima of one component (its decisions differ from the slate), fewest changes first."""
    level = part_level(spec)
    if level is None:
        return []
    cp, x = cpsat_model(spec)
    nz = np.flatnonzero(spec.obj)
    objective = cp_model.LinearExpr.weighted_sum([x[j] for j in nz], [int(c) for c in spec.obj[nz]])
    cp.add(objective == level)                  # the same optimum
    decisions = [x[j] for j in spec.decisions]
    current = spec.current.astype(int)
    # … and the same total this round: a pick merely deferred to a planned later round (or paid
    # for by a soft penalty) is not a tie of this round's slate.
    own = [int(c) for c in spec.obj[spec.decisions]]
    cp.add(cp_model.LinearExpr.weighted_sum(decisions, own) == int(np.dot(own, current)))
    changes = cp_model.LinearExpr.weighted_sum(decisions, [1 if v == 0 else -1 for v in current]) + int(current.sum())
    cp.minimize(changes)
    for j, v in zip(spec.hint_vars, spec.hint_values):
        cp.add_hint(x[j], int(v))
    out = []
    excluded = [current]
    for _ in range(limit):
        for assignment in excluded[-1:]:        # no-good cut: differ from it in at least one decision
            cp.add(cp_model.LinearExpr.weighted_sum(decisions, [1 if v == 0 else -1 for v in assignment])
                   + int(np.sum(assignment)) >= 1)
        remaining = deadline - time.perf_counter()
        if remaining <= 0.01:
            break
        found = solve_cp(cp, time_limit_s=remaining, workers=1, preset="enumeration")
        if not found.found:
            break
        values = np.array([found.value(d) for d in decisions], dtype=int)
        differ = np.flatnonzero(values != current)
        entering = [rows[i] for i in differ if values[i] == 1]
        leaving = [rows[i] for i in differ if values[i] == 0]
        out.append((len(differ), entering, leaving))
        excluded.append(values)
    return out


def _table(found: list[tuple[int, list[int], list[int]]], ids: np.ndarray, score: np.ndarray) -> pd.DataFrame:
    records = []
    for n, (count, entering, leaving) in enumerate(found, start=1):
        entering = sorted(entering, key=lambda r: (-score[r], ids[r]))
        leaving = sorted(leaving, key=lambda r: (-score[r], ids[r]))
        delta = float(sum(score[r] for r in entering) - sum(score[r] for r in leaving))
        swap_in = "、".join(f"{ids[r]}（{score[r]:g}）" for r in entering)
        swap_out = "、".join(f"{ids[r]}（{score[r]:g}）" for r in leaving)
        if entering and leaving:
            sentence = f"同样最优：以 {swap_in} 替换 {swap_out}"
        elif entering:
            sentence = f"同样最优：另选 {swap_in}"
        else:
            sentence = f"同样最优：不选 {swap_out}"
        if abs(delta) > 1e-9:
            sentence += f"（本年度总分变化 {delta:+g}，由软约束或后续年度规划抵消）"
        records.append({"alternative": n, "n_changes": count, "entering": "、".join(ids[r] for r in entering),
                        "leaving": "、".join(ids[r] for r in leaving), "delta_score": delta, "sentence": sentence})
    frame = pd.DataFrame(records, columns=COLUMNS)
    for column in ("entering", "leaving", "sentence"):
        frame[column] = frame[column].astype(object)
    return frame


def undecided(alternatives: pd.DataFrame) -> list[str]:
    """Candidates whose place the rules did not decide: they enter or leave in some alternative."""
    names: list[str] = []
    for column in ("entering", "leaving"):
        for text in alternatives[column].astype(str):
            names += [n for n in text.split("、") if n]
    return sorted(set(names))


def _n(model) -> int:
    return int(getattr(model, "n_input", 0) or len(model.frame))


def _planned(model, row: int) -> bool:
    planned = getattr(model, "planned", None)
    return bool(planned is not None and planned[row])
