"""One independent part of a built model as plain integer arrays (picklable, solver-free).

Owns `PartSpec` — a component of a model's proto as ``max obj·x, row_lo ≤ A x ≤ row_hi,
lo ≤ x ≤ hi`` over integer variables, Boolean constraints written as equivalent linear rows and
an enforced linear row with the exact big-M of its own bounds — and `part_spec`, which reads one
part of a `model.Split` into it. The forcing engine (`solver.forcing`) re-solves such parts.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from planner.errors import PlannerError
from planner.model import Split, constraint_kind, constraint_refs, ref_var


@dataclass
class PartSpec:
    """One component as an integer linear programme ``max obj·x, row_lo ≤ A x ≤ row_hi, lo ≤ x ≤ hi``.

    Boolean constraints are written as equivalent linear rows over 0/1 variables; an
    enforced linear row uses the exact big-M of its own bounds. ``decisions`` are the local
    indices of the `select` variables (whose changes are counted), ``current`` their values in
    the slate; ``hint`` holds the slate's value of every decision and national variable.
    """

    lo: np.ndarray
    hi: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    row_lo: np.ndarray
    row_hi: np.ndarray
    obj: np.ndarray
    decisions: np.ndarray
    current: np.ndarray
    hint_vars: np.ndarray
    hint_values: np.ndarray

    @property
    def n(self) -> int:
        return len(self.lo)

    def feasible(self, x: np.ndarray) -> bool:
        """Exact check of an integer point (every product and sum stays below 2^53)."""
        if np.any(x < self.lo) or np.any(x > self.hi):
            return False
        rows = np.repeat(np.arange(len(self.row_lo)), np.diff(self.indptr))
        act = np.bincount(rows, weights=self.data * x[self.indices], minlength=len(self.row_lo))
        return bool(np.all(act >= self.row_lo - 1e-9) and np.all(act <= self.row_hi + 1e-9))

    def level(self, x: np.ndarray) -> int:
        return int(np.dot(self.obj, x))


class _Rows:
    """Collects linear rows over local variables (a literal term may shift the row's constant)."""

    def __init__(self) -> None:
        self.indptr = [0]
        self.indices: list[int] = []
        self.data: list[int] = []
        self.lo: list[float] = []
        self.hi: list[float] = []

    def add(self, terms: dict[int, int], constant: int, lo: float, hi: float) -> None:
        for j, a in terms.items():
            if a:
                self.indices.append(j)
                self.data.append(a)
        self.indptr.append(len(self.indices))
        self.lo.append(lo - constant)
        self.hi.append(hi - constant)


def _literal(terms: dict[int, int], ref: int, coef: int, local: dict[int, int]) -> int:
    """Add coef × literal(ref) to terms; return the constant it adds (negated literal = 1 − x)."""
    j = local[ref_var(ref)]
    if ref >= 0:
        terms[j] = terms.get(j, 0) + coef
        return 0
    terms[j] = terms.get(j, 0) - coef
    return coef


INF64 = 2**62


def part_spec(proto: Any, split: Split, part: int, coef: dict[int, int], value: dict[int, int],
          decisions: list[int]) -> tuple[PartSpec, dict[int, int]]:
    """The arrays of one part and the map proto variable → local index."""
    local: dict[int, int] = {}
    lo: list[int] = []
    hi: list[int] = []

    def add_var(v: int) -> None:
        if v not in local:
            d = list(proto.variables[v].domain)
            local[v] = len(lo)
            lo.append(int(d[0]))
            hi.append(int(d[-1]))

    for v in np.flatnonzero(split.part == part):
        add_var(int(v))
    rows = _Rows()
    for c in split.constraints.get(part, []):
        ct = proto.constraints[c]
        refs = constraint_refs(ct) or []
        for r in refs:
            add_var(ref_var(r))
        enforce = list(ct.enforcement_literal)
        k = len(enforce)
        kind = constraint_kind(ct)
        if kind == "linear":
            d = list(ct.linear.domain)
            if len(d) != 2:
                raise PlannerError("a linear constraint with a domain of several intervals")
            terms: dict[int, int] = {}
            for v, a in zip(ct.linear.vars, ct.linear.coeffs):
                terms[local[v]] = terms.get(local[v], 0) + int(a)
            lo_b = float(d[0]) if d[0] > -INF64 else -math.inf
            hi_b = float(d[1]) if d[1] < INF64 else math.inf
            if not k:
                rows.add(terms, 0, lo_b, hi_b)
                continue
            act_min = sum(a * (lo[j] if a > 0 else hi[j]) for j, a in terms.items())
            act_max = sum(a * (hi[j] if a > 0 else lo[j]) for j, a in terms.items())
            # enforced: Σ a x ≥ lo − M·(number of enforcement literals false), M = lo − min activity
            if math.isfinite(lo_b) and act_min < lo_b:
                big = int(lo_b - act_min)
                t = dict(terms)
                const = sum(_literal(t, e, -big, local) for e in enforce)
                rows.add(t, const, lo_b - big * k, math.inf)
            if math.isfinite(hi_b) and act_max > hi_b:
                big = int(act_max - hi_b)
                t = dict(terms)
                const = sum(_literal(t, e, big, local) for e in enforce)
                rows.add(t, const, -math.inf, hi_b + big * k)
            continue
        literals = list(getattr(ct, kind).literals)
        if kind in ("bool_and",):
            for lit in literals:        # every enforcement literal true ⇒ lit: lit − Σ e ≥ 1 − k
                t: dict[int, int] = {}
                const = _literal(t, lit, 1, local) + sum(_literal(t, e, -1, local) for e in enforce)
                rows.add(t, const, 1 - k, math.inf)
        if kind in ("bool_or", "exactly_one"):
            t = {}
            const = sum(_literal(t, lit, 1, local) for lit in literals) + sum(_literal(t, e, -1, local) for e in enforce)
            rows.add(t, const, 1 - k, math.inf)
        if kind in ("at_most_one", "exactly_one"):
            t = {}
            const = sum(_literal(t, lit, 1, local) for lit in literals) + sum(_literal(t, e, 1, local) for e in enforce)
            rows.add(t, const, -math.inf, 1 + k)
    obj = np.zeros(len(lo), np.int64)
    for v, j in local.items():
        obj[j] = coef.get(v, 0)
    dec = np.array([local[v] for v in decisions], dtype=np.int64)
    hinted = [v for v in local if v in value]
    spec = PartSpec(
        lo=np.array(lo, np.int64), hi=np.array(hi, np.int64),
        indptr=np.array(rows.indptr, np.int64), indices=np.array(rows.indices, np.int64),
        data=np.array(rows.data, np.int64), row_lo=np.array(rows.lo, float), row_hi=np.array(rows.hi, float),
        obj=obj, decisions=dec, current=np.array([value[v] for v in decisions], np.int64),
        hint_vars=np.array([local[v] for v in hinted], np.int64),
        hint_values=np.array([value[v] for v in hinted], np.int64))
    return spec, local

