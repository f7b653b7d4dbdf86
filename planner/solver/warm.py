"""What a solved round keeps for its next re-solve after bound changes: the rows, the components, the slate.

Owns `Warm`, the state `solver.solve_model` leaves on an optimal `Solution` (``solution.warm``),
and the two steps of a warm re-solve (`solve_model(model, warm=…, changed=…)`):

1. the rows are not read again from the model: the kept rows get the new bounds of the
   constraints the caller says it changed (`patched_rows`);
2. only the components (rules that share no candidate, `model.components`) that hold a changed
   row are solved again; every other component keeps its values of every level (`clean_fixings`).

Why that is exact: the levels (slate score, years, national picks) are separable over the
components of the first level — every later level's components lie inside them, and each level
keeps its optimum component by component — so the lexicographic optimum of the whole model is
every component's own, and the exact tie-break makes each one unique. A component whose rows,
bounds and objectives did not change has the same optimum, which is the one kept. A cold solve
of the changed model gives the same slate (the what-if tests compare them).

Does not own the levels (`solver.cpsat`) nor the components' solves (`solver.levels`).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from planner.model import INT_MAX, INT_MIN, LinearRows, Model

log = logging.getLogger(__name__)

_UNBOUNDED = 2**62          # as `model.components`: beyond this a row has no bound


@dataclass
class LevelTerms:
    """One objective level as arrays over the proto variables (read from its expression once)."""

    score: np.ndarray
    ties: np.ndarray
    offset: int
    chosen: np.ndarray          # proto indices of the variables the level decides


@dataclass
class Warm:
    """A solved model's state for a warm re-solve.

    Attributes
    ----------
    rows : LinearRows
        The model's rows as they were solved (their bounds, not the levels' fixings).
    values : ndarray of int64
        The value of every proto variable after the last level.
    labels : ndarray of int64
        The component of every variable at the first level (−1: fixed from the start).
    constraint_row : ndarray of int64
        The first row of every proto constraint (`constraint_rows`).
    n_vars, n_constraints : int
        The proto's size when solved: another size is another model.
    levels : list of LevelTerms
        The objectives as arrays, kept with the identity of the `Objective` objects they came from.
    """

    rows: LinearRows
    values: np.ndarray
    labels: np.ndarray
    constraint_row: np.ndarray
    n_vars: int
    n_constraints: int
    levels: list[LevelTerms] = field(default_factory=list)
    level_ids: tuple[int, ...] = ()
    decisions: tuple[np.ndarray, np.ndarray] | None = None    # `solver._base.decision_index` of the model


def constraint_rows(cp_proto) -> np.ndarray:
    """The first row `model.read_rows` makes of every proto constraint (−1: none).

    Linear constraints come first, in order, one row each; then the logical ones in order:
    a ``bool_and`` one row per literal, ``bool_or``, ``at_most_one`` and ``exactly_one`` one row.
    """
    n = len(cp_proto.constraints)
    linear = np.zeros(n, bool)
    count = np.zeros(n, np.int64)
    for i, c in enumerate(cp_proto.constraints):
        if c.has_linear():
            linear[i] = True
        elif c.has_bool_and():
            count[i] = len(c.bool_and.literals)
        elif c.has_bool_or() or c.has_at_most_one() or c.has_exactly_one():
            count[i] = 1
    out = np.full(n, -1, np.int64)
    out[linear] = np.arange(int(linear.sum()))
    logical = count > 0
    out[logical] = int(linear.sum()) + np.concatenate([[0], np.cumsum(count[logical])[:-1]])
    return out


def reached_constraints(warm: Warm, model: Model, changed: Iterable[int]) -> np.ndarray | None:
    """Every proto constraint of the components that hold a `changed` constraint (and those
    themselves), in order: the part of the model a change since the warm solve can make infeasible.

    Every other component still has the slate the warm solve found for it. None when the model
    is not the one solved.
    """
    patched = patched_rows(warm, model, changed)
    if patched is None:
        return None
    rows, touched = patched
    labels = warm.labels
    n_comp = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
    dirty = _dirty_components(labels, rows, touched, n_comp) if n_comp else np.zeros(0, bool)
    first = warm.constraint_row
    keep = np.zeros(len(first), bool)
    if n_comp and dirty.any():
        # The component of every row (the largest label of its variables: fixed ones have −1),
        # and the constraint every row was made from.
        row_label = np.full(rows.n_rows, -1, np.int64)
        filled = np.flatnonzero(np.diff(rows.start) > 0)
        if len(filled):
            row_label[filled] = np.maximum.reduceat(labels[rows.var], rows.start[filled])
        owners = np.flatnonzero(first >= 0)
        owners = owners[np.argsort(first[owners], kind="stable")]
        counts = np.diff(np.append(first[owners], rows.n_rows))
        row_owner = np.repeat(owners, counts)
        hit = (row_label >= 0) & dirty[np.maximum(row_label, 0)]
        keep[row_owner[hit[:len(row_owner)]]] = True
    keep[np.asarray(sorted(set(int(i) for i in changed)), np.int64)] = True
    return np.flatnonzero(keep)


def patched_rows(warm: Warm, model: Model, changed: Iterable[int]) -> tuple[LinearRows, np.ndarray] | None:
    """The kept rows with the current bounds of the `changed` proto constraints, and the rows changed.

    None when the model is not the one solved (another size) or a changed constraint is not a
    linear row: the caller then reads the rows afresh.
    """
    proto = model.cp.proto
    if len(proto.variables) != warm.n_vars or len(proto.constraints) != warm.n_constraints:
        return None
    lo, hi = warm.rows.lo.copy(), warm.rows.hi.copy()
    touched = []
    for index in sorted(set(int(i) for i in changed)):
        row = int(warm.constraint_row[index]) if 0 <= index < len(warm.constraint_row) else -1
        if row < 0 or not proto.constraints[index].has_linear():
            return None
        domain = list(proto.constraints[index].linear.domain)
        if len(domain) != 2:
            return None
        lo[row] = INT_MIN if domain[0] <= -_UNBOUNDED else domain[0]
        hi[row] = INT_MAX if domain[1] >= _UNBOUNDED else domain[1]
        touched.append(row)
    rows = LinearRows(lower=warm.rows.lower, upper=warm.rows.upper, start=warm.rows.start, var=warm.rows.var,
                      coef=warm.rows.coef, lo=lo, hi=hi)
    return rows, np.asarray(touched, np.int64)


def changed_rows(warm: Warm, rows: LinearRows) -> np.ndarray | None:
    """Rows whose bounds differ from the kept ones; None when anything else differs (another model)."""
    old = warm.rows
    if (rows.n_vars != old.n_vars or rows.n_rows != old.n_rows or len(rows.var) != len(old.var)
            or not np.array_equal(rows.lower, old.lower) or not np.array_equal(rows.upper, old.upper)
            or not np.array_equal(rows.start, old.start) or not np.array_equal(rows.var, old.var)
            or not np.array_equal(rows.coef, old.coef)):
        return None
    return np.flatnonzero((rows.lo != old.lo) | (rows.hi != old.hi))


def clean_fixings(warm: Warm, rows: LinearRows, touched: np.ndarray,
                  others: Iterable[Warm] = ()) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Bounds that keep every component without a changed row at its kept values.

    A component changed since `warm` but whose rows are as they were in one of `others`
    (earlier solves of the same model: a what-if back to the base) keeps that solve's values.
    Returns (lower, upper, components kept, variables kept). A changed row without a variable
    to decide (every one fixed from the start) changes no component: its feasibility is
    checked by the level itself.
    """
    labels = warm.labels
    n_comp = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
    lower, upper = rows.lower.copy(), rows.upper.copy()
    if not n_comp:
        return lower, upper, 0, 0
    dirty = _dirty_components(labels, rows, touched, n_comp)
    keep = (labels >= 0) & ~dirty[np.maximum(labels, 0)]
    lower[keep] = warm.values[keep]
    upper[keep] = warm.values[keep]
    for other in others:
        if not dirty.any():
            break
        if other is warm or not _same_structure(other, warm):
            continue
        differ = np.flatnonzero((other.rows.lo != rows.lo) | (other.rows.hi != rows.hi))
        clean = dirty & ~_dirty_components(labels, rows, differ, n_comp)
        if not clean.any():
            continue
        take = (labels >= 0) & clean[np.maximum(labels, 0)]
        lower[take] = other.values[take]
        upper[take] = other.values[take]
        keep |= take
        dirty &= ~clean
    return lower, upper, int(n_comp - dirty.sum()), int(keep.sum())


def _dirty_components(labels: np.ndarray, rows: LinearRows, touched: np.ndarray, n_comp: int) -> np.ndarray:
    """Components holding a variable of one of the `touched` rows."""
    dirty = np.zeros(n_comp, bool)
    if len(touched):
        starts, stops = rows.start[touched], rows.start[touched + 1]
        entries = np.concatenate([np.arange(a, b) for a, b in zip(starts.tolist(), stops.tolist())])
        hit = labels[rows.var[entries]]
        dirty[hit[hit >= 0]] = True
    return dirty


def _same_structure(a: Warm, b: Warm) -> bool:
    """Whether two solves were of one model (the same rows but for their bounds, the same objectives)."""
    return (a.n_vars == b.n_vars and a.n_constraints == b.n_constraints and a.level_ids == b.level_ids
            and a.rows.var is b.rows.var and a.rows.coef is b.rows.coef and a.rows.start is b.rows.start
            and a.rows.lower is b.rows.lower and a.rows.upper is b.rows.upper and np.array_equal(a.labels, b.labels))
