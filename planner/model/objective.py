"""The objectives of a round's model, in the order the solver applies them, and the exact tie-break.

Owns the lexicographic levels (slate score minus soft penalties, national picks, the lookahead's
planned picks), their exact integer coefficients (scores × discount over a common denominator),
the fixed pseudo-random priority that breaks ties by candidate id (independent of row order,
seed and workers), and `integer_scale`, which turns decimal data into exact integers. With a
lookahead, a candidate and its planned copies are priced by how many of them are picked, read
from a few Boolean counters per candidate (binary digits: 2 for 3 copies; `_add_counters` says
why this is exactly the one-counter-per-copy model it replaced), and a second level places the
copies in the earliest years. Does not own the constraints (`model.build`) nor solving (`solver`).
"""
from __future__ import annotations

import hashlib
import logging
import math
from fractions import Fraction

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from planner.lang import say
from planner.model._base import Model, Objective, add_bool_vars, add_constraints_text
from planner.rules import Scenario, numeric_column

log = logging.getLogger(__name__)


MAX_DECIMALS = 6


TIE_BITS = 20


WEIGHT_DENOMINATOR = 1000       # future_weight is used as a fraction with at most this denominator


def future_weight(scenario: Scenario) -> Fraction:
    """`[plan] future_weight` as an exact fraction (a planned pick k years ahead counts weight**k)."""
    return Fraction(scenario.plan.future_weight).limit_denominator(WEIGHT_DENOMINATOR)


def set_objectives(model: Model, penalties: list[tuple[cp_model.IntVar, Fraction, int]]) -> None:
    """The objectives, in the order `solver` applies them.

    1. ``score``: total score of the provincial slate minus soft-rule penalties (exact integers),
       ties broken by a fixed priority per candidate (``tie_break``). With a lookahead, a
       planned pick (or a soft penalty) ``k`` years ahead counts ``future_weight ** k``;
    2. ``national_score``: with the provincial slate fixed, the best national picks from it
       (二(二) 国家级项目…在省级项目库中择优推荐), ties broken the same way;
    3. ``planned_score`` (with a lookahead): with this round settled, the planned picks of the
       later years — the same objective when ``future_weight > 0`` (its optimum is unchanged),
       the undiscounted planned score when ``future_weight = 0`` — ties broken the same way,
       so the tentative plan is as reproducible as the slate.
    """
    frame, scenario = model.frame, model.scenario
    score = numeric_column(frame, scenario.maximise)
    score_units, score_scale = integer_scale(score)
    ids = frame["candidate_id"].astype(str).to_numpy()
    use_ties = scenario.tie_break == "id_hash"
    weight = future_weight(scenario)
    ahead = np.where(model.planned, model.plan_year - scenario.year, 0)
    free = np.flatnonzero(model.free)

    source = np.where(model.planned, model.plan_source, ids)
    hashes = np.zeros(len(ids), dtype=np.uint64)     # of the rows the levels decide
    if use_ties:
        hashes[free] = _id_hashes(ids[free])

    def level(name: str, rows: np.ndarray, pens: list, discount: bool, decide: np.ndarray) -> None:
        """Maximise the (discounted) score of `rows` minus `pens`; then fix the `decide` rows."""
        rows = np.asarray(rows, dtype=np.int64)
        years_ahead = ahead[rows] if discount else np.zeros(len(rows), np.int64)
        factors = {int(k): weight ** int(k) if discount else Fraction(1) for k in np.unique(years_ahead)}
        keep = ~np.isin(years_ahead, [k for k, f in factors.items() if f == 0])
        rows, years_ahead = rows[keep], years_ahead[keep]
        pen_w = [(s, w * score_scale * (weight ** int(k) if discount else 1)) for s, w, k in pens]
        pen_w = [(s, f) for s, f in pen_w if f != 0]
        # Exact integer coefficients: score × factor over the least common denominator. The
        # denominator of u·a/b is b / gcd(u, b), so it is found on the distinct (u, year) pairs.
        units_of = score_units[rows]
        denominators = _product_denominators(units_of, years_ahead, factors)
        denominators += [Fraction(f).denominator for _, f in pen_w]
        lcm = math.lcm(*denominators) if denominators else 1
        coefs = _exact_products(units_of, years_ahead, factors, lcm)
        expr = cp_model.LinearExpr.weighted_sum(model.select[rows].tolist(), coefs)
        magnitude = sum(map(abs, coefs))
        if pen_w:
            pcoefs = [int(f * lcm) for _, f in pen_w]
            expr -= cp_model.LinearExpr.weighted_sum([s for s, _ in pen_w], pcoefs)
            magnitude += sum(abs(c) * list(s.proto.domain)[-1] for c, (s, _) in zip(pcoefs, pen_w))
        units = Fraction(score_scale * lcm)
        bits = _tie_bits(magnitude, len(decide))
        coef_at = np.zeros(len(frame), dtype=object)
        coef_at[rows] = coefs
        decide = np.asarray(decide, dtype=np.int64)
        # Copies: rows of one source (a candidate and its planned repeats) with the same coefficient.
        copy_group = _copy_groups(source[decide], coef_at[decide]) if use_ties else np.zeros(len(decide), np.int64)
        sizes = np.bincount(copy_group) if len(decide) else np.zeros(0, np.int64)
        copies = sizes[copy_group] > 1
        if not use_ties or not copies.any():
            ties = _ties(hashes, decide, bits) if use_ties else []
            model.objectives.append(Objective(name, expr, units, model.select[decide].tolist(), ties))
            return
        singles = decide[~copies]
        known = dict(zip(ids[free].tolist(), hashes[free].tolist()))
        counters, counter_ties = _add_counters(model, decide[copies], copy_group[copies], source, bits, known)
        model.objectives.append(Objective(name, expr, units, [*model.select[singles].tolist(), *counters],
                                          [*_ties(hashes, singles, bits), *counter_ties]))
        # Which copies: the earliest year first (a place goes to this round rather than to a
        # forecast one like it), then the fixed priority.
        arranged = decide[copies]
        last = int(ahead[arranged].max())
        abits = max(1, bits - max(1, last).bit_length())
        aties = ((np.int64(last) - ahead[arranged].astype(np.int64)) * (1 << abits)
                 + np.asarray(_ties(hashes, arranged, abits), dtype=np.int64)).tolist()
        model.objectives.append(Objective(name + "_years", expr, units, model.select[arranged].tolist(), aties))

    now = free[~model.planned[free]]
    later = free[model.planned[free]]
    joint = weight > 0
    level("score", free if joint else now, penalties, True, free if joint else now)

    nat = np.flatnonzero(model.may_national)
    if len(nat):
        ncoefs = [int(score_units[i]) for i in nat]
        nexpr = cp_model.LinearExpr.weighted_sum(list(model.national[nat]), ncoefs)
        nbits = _tie_bits(sum(ncoefs), len(nat))
        nties = _ties(_id_hashes(np.array(["national:" + i for i in ids[nat].tolist()], dtype=object)), np.arange(len(nat)), nbits) \
            if use_ties else []
        model.objectives.append(Objective("national_score", nexpr, Fraction(score_scale), list(model.national[nat]),
                                          nties))
    if not joint and len(later):
        level("planned_score", later, [p for p in penalties if p[2] > 0], False, later)


def _add_counters(model: Model, rows: np.ndarray, group: np.ndarray, source: np.ndarray, bits: int,
                  known: dict[str, int] | None = None) -> tuple[list, list[int]]:
    """Per group of copies (`rows` of the same source and coefficient: `group`, numbered in
    order of source then coefficient; `source` per frame row), Boolean counters whose weighted
    sum is the number of copies picked: ``Σ digit_j·count[SRC#j] = Σ select[copies]`` with the
    digits of `counter_digits` (1, 2, 4, …, summing to the number of copies), so the tie-break
    prices how many copies are picked, not which. Returns the counters and their tie-break
    priorities (digit × `tie_weight` of the source).

    Exact against one counter per copy (``count[SRC#1] ≥ count[SRC#2] ≥ …``, each priced at the
    source's weight, as this was written before; tests/test_objective.py compares the two on
    random rounds): for every slate both price the group at ``weight × copies picked``, so every
    level has the same optima, hence the same slate wherever the fixed priorities make the
    optimum unique; the priorities add up to the same total, so the solver's lexicographic weight
    (Σ priorities + 1) and the 53-bit room of `_tie_bits` are unchanged; and fixing the counters
    after the level fixes the number of copies picked (whichever digits spell it: 4 copies are
    1, 2, 1), which is all the later levels see of them. A group of three copies (the bundled
    rounds' lookahead) takes 2 counters and one constraint instead of 3 counters and 3 constraints.

    Filled straight into the CP-SAT proto (a linear constraint lists its variables by index:
    −1 for selections, the digit for counters). `known`: id → `_id_hashes` value, of ids hashed
    already.
    """
    select_index = _select_index(model)[rows]
    order = np.lexsort((select_index, group))        # by group (source, coef), then variable index
    group, select_index = group[order], select_index[order]
    starts = np.flatnonzero(np.concatenate([[True], group[1:] != group[:-1]]))
    sizes = np.diff(np.append(starts, len(group))).tolist()
    sources = source[rows[order][starts]].tolist()
    digits = {m: counter_digits(m) for m in set(sizes)}
    first = len(model.cp.Proto().variables)
    counters = add_bool_vars(model.cp, [f"count[{src}#{j + 1}]" for src, m in zip(sources, sizes)
                                        for j in range(len(digits[m]))])
    if len(digits) == 1:        # every group of one size (the usual lookahead): one text block, made by rows
        (m, d), = digits.items()
        terms = np.column_stack([select_index.reshape(-1, m),
                                 first + np.arange(len(sizes) * len(d)).reshape(-1, len(d))])
        row = ("constraints{linear{vars:[" + ",".join(["%d"] * (m + len(d))) + "]coeffs:["
               + ",".join(["-1"] * m + [str(k) for k in d]) + "]domain:[0,0]}}")
        add_constraints_text(model.cp, (row * len(sizes)) % tuple(terms.ravel().tolist()))    # one format for all
    else:
        constraints = model.cp.Proto().constraints
        chosen = select_index.tolist()
        at = first
        for a, m in zip(starts.tolist(), sizes):
            d = digits[m]
            linear = constraints.add().linear
            linear.vars.extend([*chosen[a:a + m], *range(at, at + len(d))])
            linear.coeffs.extend([*[-1] * m, *d])
            linear.domain.extend([0, 0])
            at += len(d)
    weights = _ties(_id_hashes(np.asarray(sources, dtype=object), known), np.arange(len(sources)), bits)
    if len(digits) == 1:        # priorities < 2^20 times digits ≤ copies: exact in int64
        counter_ties = np.outer(weights, next(iter(digits.values()))).ravel().tolist()
    else:
        counter_ties = [w * digit for w, m in zip(weights, sizes) for digit in digits[m]]
    return counters, counter_ties


def _copy_groups(sources: np.ndarray, coefs: np.ndarray) -> np.ndarray:
    """Per row, its group of (source, coefficient), numbered in order of source then coefficient
    (as ``groupby([source, coef], sort=True).ngroup()``)."""
    if not len(sources):
        return np.zeros(0, np.int64)
    by_source, _ = pd.factorize(pd.Series(sources, dtype=object), sort=True)
    try:            # exact integers: numbered by value in int64 where they fit
        distinct, by_coef = np.unique(np.array(coefs.tolist(), dtype=np.int64), return_inverse=True)
    except OverflowError:
        by_coef, distinct = pd.factorize(pd.Series(coefs, dtype=object), sort=True)
    return np.unique(by_source.astype(np.int64) * len(distinct) + by_coef, return_inverse=True)[1].ravel()


def _select_index(model: Model) -> np.ndarray:
    """The proto index of every row's select variable (-1 where it has none)."""
    out = np.full(len(model.frame), -1, dtype=np.int64)
    free = np.flatnonzero(model.free)
    if len(free):
        first, last = model.select[free[0]].index, model.select[free[-1]].index
        # made in one block, in row order (`build`); read one by one otherwise
        out[free] = first + np.arange(len(free)) if last - first == len(free) - 1 else \
            [v.index for v in model.select[free]]
    return out


def _product_denominators(units: np.ndarray, years: np.ndarray, factors: dict[int, Fraction]) -> list[int]:
    """The distinct denominators of ``units[i] × factors[years[i]]`` in lowest terms: with
    f = a/b (a, b coprime) the denominator of u·a/b is b / gcd(u, b) — per year in int64 where b
    fits, by Fractions on the distinct units otherwise."""
    out: set[int] = set()
    for k, f in factors.items():
        at = years == k
        if not at.any():
            continue
        b = f.denominator
        if b == 1:
            out.add(1)
        elif b < 2**62 and units.dtype.kind in "iu":
            out.update((b // np.gcd(np.unique(units[at]).astype(np.int64), np.int64(b))).tolist())
        else:
            out.update((int(u) * f).denominator for u in np.unique(units[at]).tolist())
    return sorted(out)


def counter_digits(copies: int) -> list[int]:
    """Positive digits summing to `copies` whose subsets sum to every number 0..copies, fewest
    first: 1, 2, 4, … and what remains (3 → [1, 2]; 4 → [1, 2, 1]; 7 → [1, 2, 4])."""
    digits, total = [], 0
    while total < copies:
        digits.append(min(1 << len(digits), copies - total))
        total += digits[-1]
    return digits


def _tie_bits(magnitude: int, n: int) -> int:
    """Bits of tie-break priority that keep |objective| × (Σ priorities) inside 2^53 (exact in floating point)."""
    room = 53 - math.log2(max(1, magnitude) + 1) - math.log2(max(1, n))
    return int(max(1, min(TIE_BITS, math.floor(room))))


def tie_weight(candidate_id: str, bits: int = 20) -> int:
    """A fixed pseudo-random priority from the id alone: independent of row order, seed and workers."""
    return 1 + (int.from_bytes(hashlib.sha256(candidate_id.encode("utf-8")).digest()[:8], "big") >> (64 - bits))


def _id_hashes(ids: np.ndarray, known: dict[str, int] | None = None) -> np.ndarray:
    """The first 8 bytes of each id's sha256 as uint64 (what `tie_weight` shifts); `known` maps
    ids to their value already found."""
    sha256 = hashlib.sha256
    if known:
        return np.array([known[i] if i in known else int.from_bytes(sha256(i.encode("utf-8")).digest()[:8], "big")
                         for i in map(str, ids)], dtype=np.uint64)
    digests = b"".join([sha256(i.encode("utf-8")).digest()[:8] for i in map(str, ids)])
    return np.frombuffer(digests, dtype=">u8").astype(np.uint64)


def _ties(hashes: np.ndarray, rows: np.ndarray, bits: int) -> list[int]:
    """`tie_weight` of the ids at `rows`, from their precomputed hashes."""
    return (1 + (hashes[np.asarray(rows, dtype=np.int64)] >> np.uint64(64 - bits))).astype(np.int64).tolist()


def _exact_products(units: np.ndarray, years_ahead: np.ndarray, factors: dict[int, Fraction], lcm: int) -> list[int]:
    """``units[i] × factors[years_ahead[i]] × lcm`` as exact Python integers.

    `lcm` is a common denominator of every product, so with f = a/b, g = gcd(lcm, b), the
    product is ``(u / (b/g)) · a · (lcm/g)`` and b/g divides u. Computed per year in int64
    when that cannot overflow, in Python integers otherwise.
    """
    out = np.zeros(len(units), dtype=object)
    for k, f in factors.items():
        at = np.flatnonzero(years_ahead == k)
        if not len(at):
            continue
        g = math.gcd(lcm, f.denominator)
        divisor, multiple = f.denominator // g, f.numerator * (lcm // g)
        u = units[at].astype(np.int64)
        assert not np.any(u % divisor), "lcm is not a common denominator"
        q = u // divisor
        if int(np.abs(q).max(initial=0)) * abs(multiple) < 2**62:
            out[at] = (q * np.int64(multiple)).tolist()
        else:
            out[at] = [int(x) * multiple for x in q.tolist()]
    return out.tolist()


def integer_scale(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Exact integers for decimal data: (values × 10^d, 10^d) with the fewest decimals d that fit."""
    finite = np.nan_to_num(np.asarray(values, dtype=float))
    for d in range(MAX_DECIMALS + 1):
        scaled = finite * 10**d
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-9 * np.maximum(1.0, np.abs(scaled))):
            return np.round(scaled).astype(np.int64), 10**d
    log.warning(say(f"小数超过 {MAX_DECIMALS} 位的数值按 {MAX_DECIMALS} 位小数取整",
                    f"values with more than {MAX_DECIMALS} decimals are rounded to {MAX_DECIMALS} decimals"))
    return np.round(finite * 10**MAX_DECIMALS).astype(np.int64), 10**MAX_DECIMALS

