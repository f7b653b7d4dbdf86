"""A built model read back as sparse linear rows, and split into independent components.

Owns turning a `cp_model.CpModel` — as `model.build_model` makes it: Boolean and bounded
integer variables, linear constraints, implications (national ⇒ provincial) — into numpy
arrays (`LinearRows`), the form an LP relaxation, the HiGHS backend and the component split
need; and finding the components of a model: sets of variables that no constraint links
(rules that share no candidate), which can be solved one by one and give the same optimum.

Does not own building the model (`model`) nor running any solver (`solver`,
`highs_backend`). Reads only the model's proto, never the rules, so whatever `model` adds
(lookahead years, pacing, pools) is read the same way.
"""
from __future__ import annotations

import itertools
import logging
import os
import tempfile
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from ortools.sat import cp_model_pb2
from ortools.sat.python import cp_model, cp_model_helper

log = logging.getLogger(__name__)

INT_MIN = int(np.iinfo(np.int64).min)
INT_MAX = int(np.iinfo(np.int64).max)
_UNBOUNDED = 2**62          # CP-SAT writes ±2^63-ish for "no bound"; anything beyond this is none


class Unsupported(Exception):
    """The model holds a constraint these rows cannot express (the caller solves it as it is)."""


@dataclass
class LinearRows:
    """A model as ``lo ≤ A x ≤ hi`` with ``lower ≤ x ≤ upper``, x integer, A in CSR form.

    Attributes
    ----------
    lower, upper : ndarray of int64
        Bounds of every proto variable (index = proto index).
    start : ndarray of int64
        Row ``r`` holds entries ``start[r]:start[r + 1]``.
    var, coef : ndarray of int64
        Column (proto variable index) and coefficient of each entry.
    lo, hi : ndarray of int64
        Row bounds; `INT_MIN` / `INT_MAX` mean none.
    """

    lower: np.ndarray
    upper: np.ndarray
    start: np.ndarray
    var: np.ndarray
    coef: np.ndarray
    lo: np.ndarray
    hi: np.ndarray

    @property
    def n_vars(self) -> int:
        return len(self.lower)

    @property
    def n_rows(self) -> int:
        return len(self.lo)

    def entry_rows(self) -> np.ndarray:
        """The row of every entry."""
        return np.repeat(np.arange(self.n_rows, dtype=np.int64), np.diff(self.start))

    def activity(self, values: np.ndarray) -> np.ndarray:
        """``A @ values`` (exact integers) for integer `values` over every variable."""
        terms = self.coef * np.asarray(values, dtype=np.int64)[self.var]
        return _row_sums(terms, self.start)

    def violated(self, values: np.ndarray) -> np.ndarray:
        """Rows whose bounds `values` break (a mask over rows)."""
        act = self.activity(values)
        return (act < self.lo) | (act > self.hi)

    def lo_float(self) -> np.ndarray:
        return np.where(self.lo <= -_UNBOUNDED, -np.inf, self.lo.astype(float))

    def hi_float(self) -> np.ndarray:
        return np.where(self.hi >= _UNBOUNDED, np.inf, self.hi.astype(float))


def _row_sums(terms: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Sum of `terms` per CSR row (empty rows give 0), exact for int64."""
    cums = np.concatenate([[0], np.cumsum(terms, dtype=terms.dtype)])
    return cums[start[1:]] - cums[start[:-1]]


def model_proto(cp: cp_model.CpModel) -> cp_model_pb2.CpModelProto:
    """The model as a protobuf message (through its binary form: far faster than the wrapper)."""
    fd, path = tempfile.mkstemp(suffix=".pb", prefix="planner-model-")
    os.close(fd)
    try:
        if not cp_model_helper.CpSatHelper.write_model_to_file(cp.proto, path):
            raise Unsupported("CP-SAT could not write the model")
        with open(path, "rb") as handle:
            return cp_model_pb2.CpModelProto.FromString(handle.read())
    finally:
        os.unlink(path)


def read_rows(cp: cp_model.CpModel | cp_model_pb2.CpModelProto) -> LinearRows:
    """The model's variables and constraints as linear rows.

    Linear constraints become rows as they are; ``e ⇒ l`` (``bool_and`` with one enforcement
    literal) becomes ``l − e ≥ 0``; ``bool_or``, ``at_most_one`` and ``exactly_one`` become
    cardinality rows (a negated literal ``¬x`` is ``1 − x``).

    Raises
    ------
    Unsupported
        Assumptions, variables with holes in their domain, enforced linear constraints,
        linear domains with holes, or any other kind of constraint.
    """
    proto = cp if isinstance(cp, cp_model_pb2.CpModelProto) else model_proto(cp)
    if len(proto.assumptions):
        raise Unsupported("the model has assumptions")
    domains = [v.domain for v in proto.variables]
    if any(len(d) != 2 for d in domains):
        raise Unsupported("a variable with holes in its domain")
    n = len(domains)
    lower = np.fromiter((d[0] for d in domains), np.int64, n)
    upper = np.fromiter((d[1] for d in domains), np.int64, n)

    linear, logical = [], []
    for ct in proto.constraints:
        kind = ct.WhichOneof("constraint")
        if kind == "linear":
            if len(ct.enforcement_literal) or len(ct.linear.domain) != 2:
                raise Unsupported("an enforced linear constraint or one with holes")
            linear.append(ct.linear)
        elif kind in ("bool_and", "bool_or", "at_most_one", "exactly_one"):
            logical.append(ct)
        else:
            raise Unsupported(f"a {kind} constraint")

    lens = np.fromiter((len(c.vars) for c in linear), np.int64, len(linear))
    total = int(lens.sum())
    var = np.fromiter(itertools.chain.from_iterable(c.vars for c in linear), np.int64, total)
    coef = np.fromiter(itertools.chain.from_iterable(c.coeffs for c in linear), np.int64, total)
    lo = np.fromiter((c.domain[0] for c in linear), np.int64, len(linear))
    hi = np.fromiter((c.domain[1] for c in linear), np.int64, len(linear))
    if np.any(var < 0):
        raise Unsupported("a linear constraint over a negated reference")

    # Logical constraints as rows over literals: a literal ref r is x_r, or 1 − x_{-r-1} if r < 0.
    row_refs: list[list[int]] = []
    row_signs: list[list[int]] = []
    row_lo: list[int] = []
    row_hi: list[int] = []
    for ct in logical:
        kind = ct.WhichOneof("constraint")
        enforce = list(ct.enforcement_literal)
        if kind == "bool_and":
            if len(enforce) > 1:
                raise Unsupported("a bool_and with several enforcement literals")
            for lit in ct.bool_and.literals:
                if enforce:                         # e ⇒ l:  l + ¬e ≥ 1
                    row_refs.append([lit, _negate(enforce[0])])
                    row_signs.append([1, 1])
                    row_lo.append(1)
                    row_hi.append(INT_MAX)
                else:
                    row_refs.append([lit])
                    row_signs.append([1])
                    row_lo.append(1)
                    row_hi.append(INT_MAX)
        elif kind == "bool_or":                     # e₁ ∧ … ⇒ ∨ lits:  Σ lits + Σ ¬e ≥ 1
            refs = list(ct.bool_or.literals) + [_negate(e) for e in enforce]
            row_refs.append(refs)
            row_signs.append([1] * len(refs))
            row_lo.append(1)
            row_hi.append(INT_MAX)
        else:
            if enforce:
                raise Unsupported(f"an enforced {kind} constraint")
            refs = list(getattr(ct, kind).literals)
            row_refs.append(refs)
            row_signs.append([1] * len(refs))
            row_lo.append(1 if kind == "exactly_one" else INT_MIN)
            row_hi.append(1)
    if row_refs:
        l_lens = np.array([len(r) for r in row_refs], np.int64)
        refs = np.fromiter(itertools.chain.from_iterable(row_refs), np.int64, int(l_lens.sum()))
        signs = np.fromiter(itertools.chain.from_iterable(row_signs), np.int64, int(l_lens.sum()))
        negated = refs < 0
        l_var = np.where(negated, -refs - 1, refs)
        l_coef = np.where(negated, -signs, signs)
        # Each ¬x contributes the constant 1 (times its sign): move it to the bounds.
        const = _row_sums(np.where(negated, signs, 0), np.concatenate([[0], np.cumsum(l_lens)]))
        l_lo = np.array(row_lo, np.int64)
        l_hi = np.array(row_hi, np.int64)
        l_lo = np.where(l_lo == INT_MIN, INT_MIN, l_lo - const)
        l_hi = np.where(l_hi == INT_MAX, INT_MAX, l_hi - const)
        lens = np.concatenate([lens, l_lens])
        var = np.concatenate([var, l_var])
        coef = np.concatenate([coef, l_coef])
        lo = np.concatenate([lo, l_lo])
        hi = np.concatenate([hi, l_hi])
    lo = np.where(lo <= -_UNBOUNDED, INT_MIN, lo)
    hi = np.where(hi >= _UNBOUNDED, INT_MAX, hi)
    start = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    return LinearRows(lower=lower, upper=upper, start=start, var=var, coef=coef, lo=lo, hi=hi)


def _negate(ref: int) -> int:
    return -ref - 1


def linear_terms(expr: cp_model.LinearExprT) -> tuple[np.ndarray, np.ndarray, int]:
    """(proto variable indices, integer coefficients, constant) of a linear expression."""
    if isinstance(expr, (int, np.integer)):
        return np.zeros(0, np.int64), np.zeros(0, np.int64), int(expr)
    flat = cp_model_helper.FlatIntExpr(expr)
    if not flat.ok:
        raise Unsupported("an objective with non-integer coefficients")
    index = np.array([v.index for v in flat.vars], dtype=np.int64)
    coefs = np.array(flat.coeffs, dtype=np.int64)
    return index, coefs, int(flat.offset)


def component_labels(rows: LinearRows, active: np.ndarray) -> np.ndarray:
    """Which component every active variable belongs to (−1 for inactive ones).

    Two active variables are in one component when a chain of rows links them (inactive,
    i.e. fixed, variables link nothing). Components are numbered 0, 1, … in the order of
    their smallest variable index, so the numbering depends on the model alone.

    Parameters
    ----------
    rows : LinearRows
    active : ndarray of bool
        Variables still to decide.
    """
    return _labels(rows.n_vars, rows.var, rows.entry_rows(), active)


def _labels(n: int, var: np.ndarray, row: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Components of the active variables of `n`, linked by the incidences (var[i] in row[i])."""
    labels = np.arange(n, dtype=np.int64)
    keep = active[var]
    var = var[keep]
    row = row[keep]
    if len(var):
        # Label propagation with pointer jumping: every variable takes the smallest label of a
        # row it is in, every row the smallest label of its variables, until nothing changes.
        order = np.argsort(row, kind="stable")
        var, row = var[order], row[order]
        cuts = np.flatnonzero(np.diff(row)) + 1
        firsts = np.concatenate([[0], cuts])
        while True:
            row_min = np.minimum.reduceat(labels[var], firsts)
            new = labels.copy()
            np.minimum.at(new, var, np.repeat(row_min, np.diff(np.concatenate([firsts, [len(var)]]))))
            while True:                     # pointer jumping: a label's label
                jumped = new[new]
                if np.array_equal(jumped, new):
                    break
                new = jumped
            if np.array_equal(new, labels):
                break
            labels = new
    out = np.full(n, -1, dtype=np.int64)
    roots = labels[active]
    _, numbered = np.unique(roots, return_inverse=True)
    out[active] = numbered
    return out


# =============================================================================================
# The structure of any model: which constraint touches which variable (no rows needed).
# These read the wrapper `cp_model.CpModel().proto` (has_*, copy_from), not a protobuf message.

STRUCTURE_KINDS = ("linear", "bool_and", "bool_or", "at_most_one", "exactly_one")


def constraint_kind(ct: Any) -> str | None:
    """The kind of a proto constraint among `STRUCTURE_KINDS`, None for any other.

    Checked with ``has_*``: reading the sub-message of another kind would set it.
    """
    return next((k for k in STRUCTURE_KINDS if getattr(ct, "has_" + k)()), None)


def constraint_refs(ct: Any) -> list[int] | None:
    """Variable references of one constraint (negative = negated literal); None for an unknown kind."""
    kind = constraint_kind(ct)
    if kind is None:
        return None
    body = ct.linear.vars if kind == "linear" else getattr(ct, kind).literals
    return list(ct.enforcement_literal) + list(body)


def ref_var(ref: int) -> int:
    """The variable of a literal reference (``-v - 1`` is ¬v)."""
    return ref if ref >= 0 else -ref - 1


@dataclass
class Split:
    """Connected components of a CP-SAT model, on its proto.

    ``part[v]`` is the component of proto variable v, numbered by smallest variable (−1 for a
    fixed variable when fixed variables link nothing); ``constraints[p]`` lists the constraint
    indices of component p (−1: constraints over fixed variables only); ``in_constraint[v]``
    says whether any constraint uses v. ``supported`` is False when a constraint kind outside
    `STRUCTURE_KINDS` occurs (the model is then one part).
    """

    part: np.ndarray
    constraints: dict[int, list[int]]
    in_constraint: np.ndarray
    supported: bool = True

    @classmethod
    def of(cls, proto: Any, *, fixed_link: bool = False) -> "Split":
        """The components of `proto`; with `fixed_link`, fixed variables link like any other."""
        n = len(proto.variables)
        refs_of: list[list[int]] = []
        for ct in proto.constraints:
            refs = constraint_refs(ct)
            if refs is None:
                log.info("the model has a constraint kind the split does not know: one part")
                return cls(part=np.zeros(n, np.int64), constraints={0: list(range(len(proto.constraints)))},
                           in_constraint=np.ones(n, bool), supported=False)
            refs_of.append(refs)
        lens = np.fromiter((len(r) for r in refs_of), np.int64, len(refs_of))
        var = np.fromiter((ref_var(r) for refs in refs_of for r in refs), np.int64, int(lens.sum()))
        row = np.repeat(np.arange(len(refs_of), dtype=np.int64), lens)
        active = np.ones(n, bool)
        if not fixed_link:
            for i, variable in enumerate(proto.variables):
                d = variable.domain
                active[i] = not (len(d) == 2 and d[0] == d[1])
        part = _labels(n, var, row, active)
        in_constraint = np.zeros(n, bool)
        in_constraint[var] = True
        # A constraint belongs to the part of any of its live variables (all are in one part).
        live_part = np.where(part[var] >= 0, part[var], np.iinfo(np.int64).max)
        first = np.concatenate([[0], np.cumsum(lens)])[:-1]
        own = np.full(len(refs_of), -1, np.int64)
        has = lens > 0
        if has.any():
            own[has] = np.minimum.reduceat(live_part, first[has])
        own[own == np.iinfo(np.int64).max] = -1
        constraints: dict[int, list[int]] = {}
        for c, p in enumerate(own.tolist()):
            constraints.setdefault(p, []).append(c)
        return cls(part=part, constraints=constraints, in_constraint=in_constraint)


def sub_model(proto: Any, constraints: Sequence[int],
              variables: np.ndarray | None = None) -> tuple[cp_model.CpModel, dict[int, int]]:
    """A CP-SAT model of only `constraints` (renumbered), and the map proto variable → new one.

    The new model's variables are `variables` in that order when given (they must hold every
    variable the constraints use), else the constraints' variables in order of first use.
    Supports `STRUCTURE_KINDS` (raises Unsupported otherwise); objective and hints are not copied.
    """
    sub = cp_model.CpModel()
    target = sub.proto
    local: dict[int, int] = {}

    def add(v: int) -> int:
        j = local[v] = len(local)
        target.variables.add().copy_from(proto.variables[v])
        return j

    for v in ([] if variables is None else np.asarray(variables).tolist()):
        add(int(v))

    def loc(ref: int) -> int:
        v = ref_var(ref)
        j = local.get(v)
        if j is None:
            if variables is not None:
                raise Unsupported(f"constraint over variable {v}, not among the part's variables")
            j = add(v)
        return j if ref >= 0 else -j - 1

    for c in constraints:
        ct = proto.constraints[c]
        kind = constraint_kind(ct)
        if kind is None:
            raise Unsupported("a constraint kind the model copy does not support")
        new = target.constraints.add()
        new.copy_from(ct)
        if len(ct.enforcement_literal):
            new.enforcement_literal.clear()
            new.enforcement_literal.extend([loc(r) for r in ct.enforcement_literal])
        body = new.linear.vars if kind == "linear" else getattr(new, kind).literals
        mapped = [loc(r) for r in body]
        body.clear()
        body.extend(mapped)
    return sub, local
