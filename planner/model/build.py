"""The CP-SAT model of a recommendation round, built vectorised from rules as data.

Owns turning (candidates, scenario) into a `cp_model.CpModel`: one Boolean `select[ID]` per
candidate that can be chosen this year, one `national[ID]` where a national rule may count it,
one linear constraint per rule group (period rules also count locked earlier years), slack
variables for soft rules, and the objective terms. With a lookahead (`[plan]`, see
docs/multi-year.md) it also owns the tentative `select[ID@YEAR]` variables of the later years
of the period — period quotas count them, `by` minimums of a later year bind on the planned
cumulative count (reachability), year rules hold in every planned year — and the weight of
planned picks in the objective. Does not own solving (`solver`), the forecast rows themselves
(`availability.forecast_rows`) nor the check of a slate (`audit`, which never imports this module).
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from planner.rules import (
    Group,
    Rule,
    Scenario,
    blocked_reason,
    forecast_rows,
    measure_values,
    numeric_column,
    pinned_in,
    rule_groups,
)

log = logging.getLogger(__name__)

MAX_DECIMALS = 6
TIE_BITS = 20
WEIGHT_DENOMINATOR = 1000       # future_weight is used as a fraction with at most this denominator


@dataclass
class Objective:
    """One lexicographic level: maximise `expr`, then (exactly) the tie-break priorities."""

    name: str
    expr: cp_model.LinearExprT
    units: Fraction                  # model integers per score point
    variables: list                  # the decision variables this level chooses
    ties: list[int]                  # tie-break priority per variable ([] = no tie-break)


@dataclass
class Constraint:
    """One bound of one rule group as it stands in the model (for slack, conflicts, relaxation).

    ``kind`` says which count it bounds: ``"round"`` this round's (locked history + this year
    for period rules, this year for year rules, as before any lookahead); ``"period"`` a period
    quota over locked + this year + every planned year; ``"reach"`` a `by` minimum of a later
    year over locked + this year + the years planned up to it; ``"year"`` a year rule in one
    planned year. ``year`` is the year whose count is bounded.
    """

    group: Group
    bound: str                      # "min" or "max"
    limit: float                    # in the measure's own units
    scale: int                      # measure units → model integers
    expr: cp_model.LinearExprT
    constant: int                   # locked history's share of expr (already inside expr)
    slack: cp_model.IntVar | None   # soft rules: units of violation (scaled)
    literal: cp_model.IntVar | None = None   # enforcement literal when built with assumptions
    kind: str = "round"
    year: int | None = None


@dataclass
class Model:
    """A built model and everything needed to read a solution back onto the candidate frame.

    ``frame`` is the input frame followed by the planned (forecast) rows of the lookahead, if
    any: rows ``[:n_input]`` are the input's, ``planned`` marks the others.
    """

    cp: cp_model.CpModel
    frame: pd.DataFrame
    scenario: Scenario
    free: np.ndarray                # rows with a select variable
    select: np.ndarray              # object array: IntVar at free rows, None elsewhere
    national: np.ndarray            # object array: IntVar where a national rule may count the row
    may_national: np.ndarray        # rows with a national variable
    locked: np.ndarray              # rows selected in locked earlier years (count in period rules)
    locked_national: np.ndarray
    constraints: list[Constraint]
    objectives: list[Objective]
    build_s: float = 0.0
    assumptions: dict[int, Constraint] = field(default_factory=dict)   # literal index → constraint
    pin_literals: dict[int, str] = field(default_factory=dict)         # literal index → candidate_id
    planned: np.ndarray | None = None        # rows of the lookahead (tentative picks of later years)
    plan_year: np.ndarray | None = None      # planned year per row (0 for rows of the input)
    plan_source: np.ndarray | None = None    # id of the row a planned row was copied from ("" otherwise)
    n_input: int = 0
    history_rows: np.ndarray | None = None   # every row of the locked rounds (selected or not)

    def __post_init__(self) -> None:
        n = len(self.frame)
        if self.history_rows is None:
            self.history_rows = self.locked.copy()
        if self.planned is None:
            self.planned = np.zeros(n, bool)
        if self.plan_year is None:
            self.plan_year = np.zeros(n, np.int64)
        if self.plan_source is None:
            self.plan_source = np.full(n, "", dtype=object)
        if not self.n_input:
            self.n_input = int(n - self.planned.sum())

    @property
    def this_year(self) -> np.ndarray:
        """Rows this round decides (of the scenario year, not locked, not planned)."""
        return (self.frame["year"] == self.scenario.year).to_numpy() & ~self.locked & ~self.planned


def build_model(frame: pd.DataFrame, scenario: Scenario, *, locked: np.ndarray | None = None,
                locked_national: np.ndarray | None = None, with_assumptions: bool = False,
                forecast: pd.DataFrame | None = None, history_rows: np.ndarray | None = None) -> Model:
    """Build the CP-SAT model of one round (with its lookahead when the scenario has one).

    Parameters
    ----------
    frame : DataFrame
        Candidates after locality folding, one row each: candidate_id, year, task, eligible,
        the objective column and every column a rule names; rows of earlier years may be
        present (locked history) as may rows of later years (never selected this round; with
        ``[plan] forecast = "table"``/``"auto"`` they are the forecast of their year).
    scenario : Scenario
    locked, locked_national : ndarray of bool, optional
        Rows selected (recommended nationally) in earlier, locked rounds.
    with_assumptions : bool
        Give every hard group bound and every pin an enforcement literal and make them
        assumptions, so an infeasible model can name its conflicting rules.
    history_rows : ndarray of bool, optional
        Every row of the locked earlier rounds, selected or not (default: the locked ones).
        A period rule's groups are formed over them, exactly as the auditor forms them.
    forecast : DataFrame, optional
        The planned rows (`availability.forecast_rows` output: the frame's columns plus
        plan_year and plan_source); default: computed from the scenario's `[plan]`.
    """
    start = time.perf_counter()
    n_input = len(frame)
    locked = np.zeros(n_input, bool) if locked is None else np.asarray(locked, bool)
    locked_national = np.zeros(n_input, bool) if locked_national is None else np.asarray(locked_national, bool)
    history_rows = locked.copy() if history_rows is None else np.asarray(history_rows, bool) | locked
    if forecast is None:
        forecast = forecast_rows(frame, scenario, locked=locked)
    n_plan = len(forecast)
    if n_plan:
        attrs = dict(frame.attrs)
        frame = pd.concat([frame, forecast[list(frame.columns)]], ignore_index=True)
        frame.attrs.update(attrs)
    n = len(frame)
    planned = np.concatenate([np.zeros(n_input, bool), np.ones(n_plan, bool)])
    plan_year = np.concatenate([np.zeros(n_input, np.int64), forecast["plan_year"].to_numpy(dtype=np.int64)
                                if n_plan else np.zeros(0, np.int64)])
    plan_source = np.concatenate([np.full(n_input, "", dtype=object),
                                  forecast["plan_source"].astype(str).to_numpy(dtype=object)
                                  if n_plan else np.zeros(0, dtype=object)])
    locked = np.concatenate([locked, np.zeros(n_plan, bool)])
    locked_national = np.concatenate([locked_national, np.zeros(n_plan, bool)])
    history_rows = np.concatenate([history_rows, np.zeros(n_plan, bool)])
    cp = cp_model.CpModel()
    cp.name = scenario.name
    ids = frame["candidate_id"].astype(str)

    # Planned rows were filtered for their own year by the forecast; input rows for this year.
    free = ((blocked_reason(frame, scenario) == "").to_numpy() & ~locked) | planned
    select = np.full(n, None, dtype=object)
    if free.any():
        select[free] = cp.new_bool_var_series("select", pd.Index(ids[free].to_numpy())).to_numpy()

    # 二(二): national recommendations are drawn from the provincial slate (this round's only:
    # national picks are made round by round, never planned ahead).
    national_rules = [r for r in scenario.rules if r.decision == "national"]
    national = np.full(n, None, dtype=object)
    may_national = np.zeros(n, bool)
    for rule in national_rules:
        may_national |= _matched(frame, rule)
    may_national &= free & ~planned
    if may_national.any():
        national[may_national] = cp.new_bool_var_series("national", pd.Index(ids[may_national].to_numpy())).to_numpy()
        for chosen, recommended in zip(select[may_national], national[may_national]):
            cp.add_implication(recommended, chosen)

    model = Model(cp=cp, frame=frame, scenario=scenario, free=free, select=select, national=national,
                  may_national=may_national, locked=locked, locked_national=locked_national,
                  history_rows=history_rows, constraints=[],
                  objectives=[], planned=planned, plan_year=plan_year, plan_source=plan_source, n_input=n_input)

    pins = pinned_in(frame, scenario) & free & ~planned
    for pos in np.flatnonzero(pins):
        if with_assumptions:
            lit = cp.new_bool_var(f"pin[{ids.iat[pos]}]")
            cp.add(select[pos] == 1).only_enforce_if(lit)
            model.pin_literals[lit.index] = ids.iat[pos]
        else:
            cp.add(select[pos] == 1)

    penalties: list[tuple[cp_model.IntVar, Fraction, int]] = []
    for rule in scenario.rules:
        if rule.decision == "filing":
            continue
        _add_rule(model, rule, penalties, with_assumptions)

    _set_objectives(model, penalties)
    if with_assumptions:
        cp.add_assumptions([cp.get_bool_var_from_proto_index(i) for i in (*model.assumptions, *model.pin_literals)])
    model.build_s = time.perf_counter() - start
    log.info("model built: %d select (%d planned), %d national variables, %d constraints in %.2f s",
             int(free.sum()), int((free & planned).sum()), int(may_national.sum()), len(model.constraints),
             model.build_s)
    return model


def future_weight(scenario: Scenario) -> Fraction:
    """`[plan] future_weight` as an exact fraction (a planned pick k years ahead counts weight**k)."""
    return Fraction(scenario.plan.future_weight).limit_denominator(WEIGHT_DENOMINATOR)


def _matched(frame: pd.DataFrame, rule: Rule) -> np.ndarray:
    from planner.rules import match
    return match(frame, rule.where)


@dataclass
class _RuleContext:
    """What every constraint of one rule shares."""

    rule: Rule
    variables: np.ndarray
    history: np.ndarray
    has_variable: np.ndarray
    units: np.ndarray
    scale: int
    penalties: list
    with_assumptions: bool


def _add_rule(model: Model, rule: Rule, penalties: list, with_assumptions: bool) -> None:
    """One linear constraint per group and bound of a rule (and per planned year with a lookahead)."""
    frame, scenario = model.frame, model.scenario
    national = rule.decision == "national"
    variables = model.national if national else model.select
    history = model.locked_national if national else model.locked
    has_variable = model.may_national if national else model.free
    planned = np.zeros(len(frame), bool) if national else model.planned
    this_year = model.this_year
    values = measure_values(frame, rule)
    # One integer grid for the values and the bounds together, so a soft bound between two
    # grid points (max 2.5 over whole counts) is penalised for its real violation, not a rounded one.
    bounds = [b for bound in (rule.min, rule.max) if bound is not None
              for b in (bound.default, *bound.groups.values()) if b is not None]
    units_all, scale = integer_scale(np.concatenate([values, np.asarray(bounds, dtype=float)]))
    units = units_all[:len(values)]
    ctx = _RuleContext(rule, variables, history, has_variable, units, scale, penalties, with_assumptions)

    # This round's count, exactly as without a lookahead; a period rule's groups span every
    # row of the locked rounds (unselected ones count 0), as the auditor's do.
    countable = (this_year | history | model.history_rows) if rule.scope == "period" else this_year
    round_slack: dict[tuple[str, str], cp_model.IntVar] = {}
    for group in rule_groups(frame, rule, scenario, mask=countable):
        for bound, limit in (("min", group.min), ("max", group.max)):
            if limit is not None:
                c = _bound(model, ctx, group, group.rows, bound, limit, "round", scenario.year, ahead=0)
                if c.slack is not None:
                    round_slack[(group.key, bound)] = c.slack
    if not planned.any():
        return
    years = scenario.planned_years
    reach = scenario.plan.reachability

    if rule.scope == "year":
        # A year rule (pacing, funding pool, …) holds in every planned year on that year's picks.
        for year in years:
            in_year = planned & (model.plan_year == year)
            if not in_year.any():
                continue
            as_of = dataclasses.replace(scenario, year=year)
            for group in rule_groups(frame, rule, as_of, mask=in_year):
                if group.max is not None:
                    _bound(model, ctx, group, group.rows, "max", group.max, "year", year, ahead=year - scenario.year)
                if group.min is not None and (rule.soft or reach != "off"):
                    _bound(model, ctx, group, group.rows, "min", group.min, "year", year,
                           ahead=year - scenario.year, reach=not rule.soft)
        return

    # 二(二) a period quota is spent by this year and the planned years together.
    everything = this_year | history | planned
    if rule.max is not None:
        for group in rule_groups(frame, rule, scenario, mask=everything):
            if group.max is None or not planned[group.rows].any():
                continue
            _bound(model, ctx, group, group.rows, "max", group.max, "period", years[-1],
                   ahead=years[-1] - scenario.year, prior_slack=round_slack.get((group.key, "max")))
    # "by 2025": a later year's minimum must stay reachable with the planned years up to it.
    if rule.min is not None and rule.by is not None and scenario.year < rule.by <= years[-1] \
            and (rule.soft or reach != "off"):
        upto = this_year | history | (planned & (model.plan_year <= rule.by))
        as_of = dataclasses.replace(scenario, year=rule.by)
        for group in rule_groups(frame, rule, as_of, mask=upto):
            if group.min is not None:
                _bound(model, ctx, group, group.rows, "min", group.min, "reach", rule.by,
                       ahead=rule.by - scenario.year, reach=not rule.soft)


def _bound(model: Model, ctx: _RuleContext, group: Group, rows: np.ndarray, bound: str, limit: float, kind: str,
           year: int, *, ahead: int, reach: bool = False, prior_slack: cp_model.IntVar | None = None) -> Constraint:
    """Add `count(rows) >= limit` or `<= limit` (soft: with a penalised slack) and record it.

    ``ahead`` = years after this round whose picks the bound judges (discounts a soft penalty);
    ``reach`` = a hard minimum of a later year, governed by `[plan] reachability`;
    ``prior_slack`` = the round constraint's slack of the same soft group (a period quota then
    only penalises the excess the planned years add).
    """
    rule, units = ctx.rule, ctx.units
    var_rows = rows[ctx.has_variable[rows]]
    constant = int(units[rows[ctx.history[rows]]].sum()) if len(rows) else 0
    expr = cp_model.LinearExpr.weighted_sum(list(ctx.variables[var_rows]), [int(u) for u in units[var_rows]]) + constant
    scaled = math.ceil(limit * ctx.scale - 1e-9) if bound == "min" else math.floor(limit * ctx.scale + 1e-9)
    suffix = "" if kind == "round" else f"@{year}"
    name = f"{rule.id}|{group.key}|{bound}{suffix}"
    soft = rule.soft or (reach and model.scenario.plan.reachability == "soft")
    slack = literal = None
    if soft:
        top = int(np.abs(units[var_rows]).sum()) + abs(constant) + abs(scaled)
        slack = model.cp.new_int_var(0, max(top, 0), f"slack[{name}]")
        if bound == "min":
            model.cp.add(expr + slack >= scaled)
        elif prior_slack is not None:
            model.cp.add(expr - prior_slack - slack <= scaled)
        else:
            model.cp.add(expr - slack <= scaled)
        if rule.soft:
            weight, discounted = Fraction(rule.soft_weight).limit_denominator(10_000), ahead
        else:       # a reachability shortfall costs the same whenever it would happen
            weight, discounted = Fraction(model.scenario.plan.reachability_weight).limit_denominator(10_000), 0
        ctx.penalties.append((slack, weight / ctx.scale, discounted))
    else:
        ct = model.cp.add(expr >= scaled) if bound == "min" else model.cp.add(expr <= scaled)
        if ctx.with_assumptions:
            literal = model.cp.new_bool_var(f"hold[{name}]")
            ct.only_enforce_if(literal)
    c = Constraint(group=group, bound=bound, limit=limit, scale=ctx.scale, expr=expr, constant=constant,
                   slack=slack, literal=literal, kind=kind, year=year)
    model.constraints.append(c)
    if literal is not None:
        model.assumptions[literal.index] = c
    return c


def _set_objectives(model: Model, penalties: list[tuple[cp_model.IntVar, Fraction, int]]) -> None:
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
    hashes = _id_hashes(ids) if use_ties else None

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
        pairs = np.unique(np.stack([units_of, years_ahead]), axis=1) if len(rows) else np.zeros((2, 0), np.int64)
        denominators = [(int(u) * factors[int(k)]).denominator for u, k in pairs.T.tolist()]
        denominators += [Fraction(f).denominator for _, f in pen_w]
        lcm = math.lcm(*denominators) if denominators else 1
        coefs = _exact_products(units_of, years_ahead, factors, lcm)
        expr = cp_model.LinearExpr.weighted_sum(list(model.select[rows]), coefs)
        magnitude = sum(abs(c) for c in coefs)
        if pen_w:
            pcoefs = [int(f * lcm) for _, f in pen_w]
            expr -= cp_model.LinearExpr.weighted_sum([s for s, _ in pen_w], pcoefs)
            magnitude += sum(abs(c) * list(s.proto.domain)[-1] for c, (s, _) in zip(pcoefs, pen_w))
        units = Fraction(score_scale * lcm)
        bits = _tie_bits(magnitude, len(decide))
        coef_at = np.zeros(len(frame), dtype=object)
        coef_at[rows] = coefs
        keyed = pd.DataFrame({"row": np.asarray(decide, dtype=np.int64),
                              "source": pd.Series(source[decide], dtype=object),
                              "coef": coef_at[decide]})
        copies = keyed.groupby(["source", "coef"], sort=False)["row"].transform("size").to_numpy() > 1
        if not use_ties or not copies.any():
            ties = _ties(hashes, decide, bits) if use_ties else []
            model.objectives.append(Objective(name, expr, units, list(model.select[decide]), ties))
            return
        singles = keyed["row"].to_numpy()[~copies]
        counters, counter_ties = [], []
        for (src, _), members in keyed[copies].groupby(["source", "coef"], sort=True)["row"]:
            members = members.to_numpy()
            units_of = [model.cp.new_bool_var(f"count[{src}#{j + 1}]") for j in range(len(members))]
            for higher, lower in zip(units_of, units_of[1:]):
                model.cp.add_implication(lower, higher)
            model.cp.add(sum(units_of) == sum(model.select[members]))
            counters += units_of
            counter_ties += [tie_weight(str(src), bits)] * len(units_of)
        model.objectives.append(Objective(name, expr, units, [*model.select[singles], *counters],
                                          [*_ties(hashes, singles, bits), *counter_ties]))
        # Which copies: the earliest year first (a place goes to this round rather than to a
        # forecast one like it), then the fixed priority.
        arranged = keyed["row"].to_numpy()[copies]
        last = int(ahead[arranged].max())
        abits = max(1, bits - max(1, last).bit_length())
        aties = [((last - int(ahead[i])) << abits) + tie_weight(ids[i], abits) for i in arranged]
        model.objectives.append(Objective(name + "_years", expr, units, list(model.select[arranged]), aties))

    now = free[~model.planned[free]]
    later = free[model.planned[free]]
    joint = weight > 0
    level("score", free if joint else now, penalties, True, free if joint else now)

    nat = np.flatnonzero(model.may_national)
    if len(nat):
        ncoefs = [int(score_units[i]) for i in nat]
        nexpr = cp_model.LinearExpr.weighted_sum(list(model.national[nat]), ncoefs)
        nbits = _tie_bits(sum(ncoefs), len(nat))
        nties = _ties(_id_hashes(np.char.add("national:", ids[nat].astype(str))), np.arange(len(nat)), nbits) \
            if use_ties else []
        model.objectives.append(Objective("national_score", nexpr, Fraction(score_scale), list(model.national[nat]),
                                          nties))
    if not joint and len(later):
        level("planned_score", later, [p for p in penalties if p[2] > 0], False, later)


def _tie_bits(magnitude: int, n: int) -> int:
    """Bits of tie-break priority that keep |objective| × (Σ priorities) inside 2^53 (exact in floating point)."""
    room = 53 - math.log2(max(1, magnitude) + 1) - math.log2(max(1, n))
    return int(max(1, min(TIE_BITS, math.floor(room))))


def tie_weight(candidate_id: str, bits: int = 20) -> int:
    """A fixed pseudo-random priority from the id alone: independent of row order, seed and workers."""
    return 1 + (int.from_bytes(hashlib.sha256(candidate_id.encode("utf-8")).digest()[:8], "big") >> (64 - bits))


def _id_hashes(ids: np.ndarray) -> np.ndarray:
    """The first 8 bytes of each id's sha256 as uint64 (what `tie_weight` shifts)."""
    return np.fromiter((int.from_bytes(hashlib.sha256(str(i).encode("utf-8")).digest()[:8], "big") for i in ids),
                       dtype=np.uint64, count=len(ids))


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
    log.warning("values with more than %d decimals are rounded to %d decimals", MAX_DECIMALS, MAX_DECIMALS)
    return np.round(finite * 10**MAX_DECIMALS).astype(np.int64), 10**MAX_DECIMALS
