"""The CP-SAT model of a recommendation round, built vectorised from rules as data.

Owns turning (candidates, scenario) into a `cp_model.CpModel`: one Boolean `select[ID]` per
candidate that can be chosen this year, one `national[ID]` where a national rule may count it,
one linear constraint per rule group (period rules also count locked earlier years), slack
variables for soft rules (the objective levels over them are `model.objective`). With a lookahead (`[plan]`, see
docs/multi-year.md) it also owns the tentative `select[ID@YEAR]` variables of the later years
of the period — period quotas count them, `by` minimums of a later year bind on the planned
cumulative count (reachability), year rules hold in every planned year — and the weight of
planned picks in the objective. Variables and group bounds go into the proto in bulk (by
index, `model._base`): a group bound's `Constraint.expr` is made only when something reads it
(explanations, what-if edits), never on the way to a solve. Does not own solving (`solver`), the
forecast rows themselves (`availability.forecast_rows`) nor the check of a slate (`audit`, which
never imports this module).
"""
from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from planner.model._base import Constraint, LazyExpr, Model, add_bool_vars, add_constraints_text, add_linear
from planner.model.objective import integer_scale, set_objectives
from planner.rules import (
    Group,
    Rule,
    Scenario,
    blocked_reason,
    forecast_positions,
    link_wanted,
    measure_values,
    numeric_column,
    pinned_in,
    planned_ids,
    row_checks,
    rule_groups,
    rule_links,
)
from planner.rules.groups import FrameIndex

INT_MIN, INT_MAX = cp_model.INT_MIN, cp_model.INT_MAX

log = logging.getLogger(__name__)

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
    attrs = dict(frame.attrs)
    frame, blocked, plan_year, plan_source = _with_planned(frame, scenario, locked, forecast)
    n_plan = len(plan_year)
    n = len(frame)
    planned = np.concatenate([np.zeros(n_input, bool), np.ones(n_plan, bool)])
    plan_year = np.concatenate([np.zeros(n_input, np.int64), plan_year])
    plan_source = np.concatenate([np.full(n_input, "", dtype=object), plan_source])
    locked = np.concatenate([locked, np.zeros(n_plan, bool)])
    locked_national = np.concatenate([locked_national, np.zeros(n_plan, bool)])
    history_rows = np.concatenate([history_rows, np.zeros(n_plan, bool)])
    cp = cp_model.CpModel()
    cp.name = scenario.name
    index = FrameIndex(frame)       # column forms, masks and group keys shared by every rule
    ids = index.column("candidate_id").text

    # Planned rows were filtered for their own year by the forecast; input rows for this year.
    free = ((blocked == "") & ~locked) | planned
    select = np.full(n, None, dtype=object)
    # what every rule reads: each row's select and national variable by proto index (-1: none), the
    # integer grid of each measure and set of bounds
    shared = {"select": np.full(n, -1, dtype=np.int64), "national": np.full(n, -1, dtype=np.int64), "grids": {},
              "measures": {}}
    if free.any():
        shared["select"][free] = len(cp.Proto().variables) + np.arange(int(free.sum()))
        select[free] = add_bool_vars(cp, [f"select[{i}]" for i in ids[free].tolist()])

    # 二(二): national recommendations are drawn from the provincial slate (this round's only:
    # national picks are made round by round, never planned ahead).
    national_rules = [r for r in scenario.rules if r.decision == "national"]
    national = np.full(n, None, dtype=object)
    may_national = np.zeros(n, bool)
    # A rule with draw = "pool" (二(二) 在省级项目库中择优推荐) may also recommend a row that re-files a
    # project an earlier round recognised (not recognised again, so no provincial pick implied).
    refiled = (blocked == "already_recognised") & ~locked & ~planned
    for rule in national_rules:
        may_national |= index.match(rule.where) & (free | refiled if rule.draw == "pool" else free)
    may_national &= ~planned
    if "national_in" in frame:
        # 二(二) never the same project recommended nationally twice (even where offices re-certify).
        may_national &= ~(pd.to_numeric(frame["national_in"], errors="coerce").fillna(0).to_numpy() > 0)
    if may_national.any():
        shared["national"][may_national] = len(cp.Proto().variables) + np.arange(int(may_national.sum()))
        national[may_national] = add_bool_vars(cp, [f"national[{i}]" for i in ids[may_national].tolist()])
        both = may_national & free
        add_constraints_text(cp, "".join(
            f"constraints{{enforcement_literal:{recommended} bool_and{{literals:{chosen}}}}}"
            for chosen, recommended in zip(shared["select"][both].tolist(), shared["national"][both].tolist())))

    model = Model(cp=cp, frame=frame, scenario=scenario, free=free, select=select, national=national,
                  may_national=may_national, locked=locked, locked_national=locked_national,
                  history_rows=history_rows, constraints=[],
                  objectives=[], planned=planned, plan_year=plan_year, plan_source=plan_source, n_input=n_input)

    pins = pinned_in(frame, scenario) & free & ~planned
    for pos in np.flatnonzero(pins):
        if with_assumptions:
            lit = cp.new_bool_var(f"pin[{ids[pos]}]")
            cp.add(select[pos] == 1).only_enforce_if(lit)
            model.pin_literals[lit.index] = ids[pos]
        else:
            cp.add(select[pos] == 1)

    penalties: list[tuple[cp_model.IntVar, Fraction, int]] = []
    this_year = model.this_year
    for rule in scenario.rules:
        if rule.decision == "filing":
            continue
        _add_rule(model, rule, penalties, with_assumptions, index, this_year, shared)

    set_objectives(model, penalties)
    if with_assumptions:
        cp.add_assumptions([cp.get_bool_var_from_proto_index(i) for i in (*model.assumptions, *model.pin_literals)])
    frame.attrs.update(attrs)
    model.build_s = time.perf_counter() - start
    log.info("model built: %d select (%d planned), %d national variables, %d constraints in %.2f s",
             int(free.sum()), int((free & planned).sum()), int(may_national.sum()), len(model.constraints),
             model.build_s)
    return model


def _with_planned(frame: pd.DataFrame, scenario: Scenario, locked: np.ndarray, forecast: pd.DataFrame | None
                  ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """The input's rows followed by the planned rows (`forecast`, or the scenario's forecast),
    without the input's attrs, a fresh RangeIndex — exactly ``pd.concat([frame, forecast])`` —
    with every row's block this year (a planned row: "other_year") and the planned rows' year
    and source id."""
    n_input = len(frame)
    if forecast is None:
        checks = row_checks(frame, scenario)        # what blocks a row itself: read by both
        blocked = blocked_reason(frame, scenario, checks=checks).to_numpy(dtype=object)
        positions, plan_year = forecast_positions(frame, scenario, locked=locked, checks=checks)
    else:
        blocked = blocked_reason(frame, scenario).to_numpy(dtype=object)
        positions, plan_year = None, forecast["plan_year"].to_numpy(dtype=np.int64)
    n_plan = len(plan_year)
    if not n_plan:
        return frame, blocked, np.zeros(0, np.int64), np.zeros(0, dtype=object)
    blocked = np.concatenate([blocked, np.full(n_plan, "other_year", dtype=object)])
    # Every number a rule adds up, checked on the input (a bad cell is named in its file);
    # the planned rows are copies of its rows.
    for column in dict.fromkeys([scenario.maximise, *(r.column for r in scenario.rules
                                                      if r.column is not None and r.decision != "filing")]):
        numeric_column(frame, column)
    if positions is None:
        frame = pd.concat([frame, forecast[list(frame.columns)]], ignore_index=True)
        # built without the input's attrs (pandas deep-copies them into every column read);
        # the model's frame gets them back at the end of the build
        frame.attrs.clear()
        return frame, blocked, plan_year, forecast["plan_source"].astype(str).to_numpy(dtype=object)
    # The forecast's rows taken from the input at once (`forecast_rows`, without a frame of its own).
    sources = np.concatenate([np.arange(n_input, dtype=np.int64), positions])
    source_ids = frame["candidate_id"].astype(str).to_numpy(dtype=object)[positions]
    id_dtype, year_dtype = frame["candidate_id"].dtype, frame["year"].dtype
    out = frame.take(sources)
    out.attrs.clear()
    out.index = pd.RangeIndex(len(out))
    redated = {"candidate_id": pd.Series(planned_ids(source_ids, plan_year, id_dtype)),
               "year": pd.Series(plan_year.astype(year_dtype))}
    for column, values in redated.items():
        # as `pd.concat` joins one column of the input and the forecast
        out[column] = pd.concat([out[column].iloc[:n_input], values], ignore_index=True)
    return out, blocked, plan_year, source_ids


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
    var_index: np.ndarray           # proto index of `variables` per row (-1: none)
    plain: bool = False             # var_index increases with the row and no unit is 0 (`add_linear`)
    history_units: np.ndarray | None = None     # units where `history`, 0 elsewhere
    any_history: bool = False

    def __post_init__(self) -> None:
        self.any_history = bool(self.history.any())
        self.history_units = np.where(self.history, self.units, 0) if self.any_history else None


def _add_rule(model: Model, rule: Rule, penalties: list, with_assumptions: bool, index: FrameIndex,
              this_year: np.ndarray, shared: dict) -> None:
    """One linear constraint per group and bound of a rule (and per planned year with a lookahead)."""
    _add_groups(model, _rule_context(model, rule, penalties, with_assumptions, index, shared), index, this_year)


def _rule_context(model: Model, rule: Rule, penalties: list, with_assumptions: bool, index: FrameIndex,
                  shared: dict) -> _RuleContext:
    """The variables, constants and integer grid a rule's bounds count with (`shared`: what
    every rule of the build reads — the proto index of each row's select and national variable,
    -1 where it has none, the integer grid of each measure and set of bounds, and each measure's
    distinct values)."""
    frame = model.frame
    national = rule.decision == "national"
    variables = model.national if national else model.select
    history = model.locked_national if national else model.locked
    has_variable = model.may_national if national else model.free
    # One integer grid for the values and the bounds together, so a soft bound between two
    # grid points (max 2.5 over whole counts) is penalised for its real violation, not a rounded one.
    bounds = tuple(b for bound in (rule.min, rule.max) if bound is not None
                   for b in (bound.default, *bound.groups.values()) if b is not None)
    key = (rule.column, bounds)
    if key not in shared["grids"]:      # rules measuring the same column with the same bounds share it
        # found on the measure's distinct values (the grid depends on which values there are, a
        # row's integer on its value alone), each measure's read once
        if rule.column not in shared["measures"]:
            shared["measures"][rule.column] = np.unique(measure_values(frame, rule), return_inverse=True)
        distinct, inverse = shared["measures"][rule.column]
        units_all, scale = integer_scale(np.concatenate([distinct, np.asarray(bounds, dtype=float)]))
        shared["grids"][key] = (units_all[:len(distinct)][inverse.ravel()], scale)
    units, scale = shared["grids"][key]
    links = rule_links(rule)
    if links and not national:
        # A row counted through a link (三(三) a centre inside a recognised 市域产教联合体) counts
        # only while the row it names is in the slate too.
        counted, counted_locked = _linked_choices(model, links, rule, index)
        has = _present(counted)
        at = np.full(len(frame), -1, dtype=np.int64)
        at[has] = [v.index for v in counted[has]]
        return _RuleContext(rule, counted, counted_locked, has, units, scale, penalties, with_assumptions, at)
    # select and national variables were made in row order, so a group's (in row order) come sorted
    return _RuleContext(rule, variables, history, has_variable, units, scale, penalties, with_assumptions,
                        shared["national" if national else "select"], plain=bool(units.all()))


def _add_groups(model: Model, ctx: _RuleContext, index: FrameIndex, this_year: np.ndarray) -> None:
    frame, scenario, rule = model.frame, model.scenario, ctx.rule
    national = rule.decision == "national"
    history = model.locked_national if national else model.locked
    planned = np.zeros(len(frame), bool) if national else model.planned
    # This round's count, exactly as without a lookahead; a period rule's groups span every
    # row of the locked rounds (unselected ones count 0), as the auditor's do.
    countable = (this_year | history | model.history_rows) if rule.scope == "period" else this_year
    round_slack: dict[tuple[str, str], cp_model.IntVar] = {}
    for group in rule_groups(frame, rule, scenario, mask=countable, index=index):
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
            for group in rule_groups(frame, rule, as_of, mask=in_year, index=index):
                if group.max is not None:
                    _bound(model, ctx, group, group.rows, "max", group.max, "year", year, ahead=year - scenario.year)
                if group.min is not None and (rule.soft or reach != "off"):
                    _bound(model, ctx, group, group.rows, "min", group.min, "year", year,
                           ahead=year - scenario.year, reach=not rule.soft)
        return

    # 二(二) a period quota is spent by this year and the planned years together.
    everything = this_year | history | planned
    if rule.max is not None:
        for group in rule_groups(frame, rule, scenario, mask=everything, index=index):
            if group.max is None or not planned[group.rows].any():
                continue
            _bound(model, ctx, group, group.rows, "max", group.max, "period", years[-1],
                   ahead=years[-1] - scenario.year, prior_slack=round_slack.get((group.key, "max")))
    # "by 2025": a later year's minimum must stay reachable with the planned years up to it.
    if rule.min is not None and rule.by is not None and scenario.year < rule.by <= years[-1] \
            and (rule.soft or reach != "off"):
        upto = this_year | history | (planned & (model.plan_year <= rule.by))
        as_of = dataclasses.replace(scenario, year=rule.by)
        for group in rule_groups(frame, rule, as_of, mask=upto, index=index):
            if group.min is not None:
                _bound(model, ctx, group, group.rows, "min", group.min, "reach", rule.by,
                       ahead=rule.by - scenario.year, reach=not rule.soft)


def _linked_choices(model: Model, links: tuple[str, ...], rule: Rule, index: FrameIndex) -> tuple[np.ndarray, np.ndarray]:
    """Per row, what it adds to a rule counting through `links`: a literal (the row's choice, the
    named row's choice, or one AND of the two, made once per model and row) or the constant 1
    (both locked in the slate: ``counted_locked``); None and False where it cannot count.
    With ``in_slate = false`` (三(三) strict: a centre outside every recognised 联合体) a row counts
    while the row it names is *not* in the slate: its choice AND NOT the named row's."""
    frame = model.frame
    counted = model.select.copy()
    one = model.locked.copy()
    has = model.free                # where `counted` holds a literal (model.select: the free rows)
    ids = index.column("candidate_id").text
    for column in links:
        wanted = link_wanted(rule, column)
        target = index.link_targets(column)
        named = target >= 0
        t = np.where(named, target, 0)
        t_var, t_one = model.select[t], model.locked[t] & named
        t_has = model.free[t]
        new_counted = np.full(len(frame), None, dtype=object)
        pending = []                # rows that need a new AND literal
        if wanted:
            new_one = one & t_one
            rows = np.flatnonzero(named & (one | has) & (t_one | t_has))
        else:       # counts unless the named row is in the slate: nothing where it is locked in
            new_one = one & ~named | one & named & ~t_one & ~t_has
            rows = np.flatnonzero((one | has) & ~t_one)
        for pos in rows:
            if new_one[pos]:
                continue
            mine = None if one[pos] else counted[pos]
            theirs = None if (wanted and t_one[pos]) or not named[pos] or not t_has[pos] else t_var[pos]
            if theirs is None:
                new_counted[pos] = mine
                continue
            if mine is None and wanted:
                new_counted[pos] = theirs
                continue
            key = (column, pos, wanted)
            if key in model.link_literals:
                new_counted[pos] = model.link_literals[key]
                continue
            # proto literals: a variable's index, its negation −index − 1
            pending.append((pos, key, [*([] if mine is None else [mine.index]),
                                       theirs.index if wanted else -theirs.index - 1]))
        _add_ands(model, pending, new_counted, [f"{'linked' if wanted else 'unlinked'}[{ids[pos]}]"
                                                for pos, _, _ in pending])
        counted, one = new_counted, new_one
        has = _present(counted)
    return counted, one


def _add_ands(model: Model, pending: list, counted: np.ndarray, names: list[str]) -> None:
    """One new literal per (row, key, literals) of `pending`, the AND of its literals (``both ⇒ l``
    for each, ``∨ ¬l ∨ both``), recorded in `counted` and `model.link_literals` — in one step,
    as ``new_bool_var``, ``add_implication`` and ``add_bool_or`` write them row by row."""
    if not pending:
        return
    made = add_bool_vars(model.cp, names)
    text = []
    for both, (pos, key, parts) in zip(made, pending):
        text += [f"constraints{{enforcement_literal:{both.index} bool_and{{literals:{lit}}}}}" for lit in parts]
        text.append(f"constraints{{bool_or{{literals:[{','.join(str(-lit - 1) for lit in parts)},{both.index}]}}}}")
        model.link_literals[key] = both
        counted[pos] = both
    add_constraints_text(model.cp, "".join(text))


def _present(literals: np.ndarray) -> np.ndarray:
    """Where an object array of literals holds one (a literal's `!=` builds a constraint)."""
    return ~pd.isna(np.asarray(literals, dtype=object))


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
    # locked history's share: Σ units over the rows locked in (in int64, as the rows' units add up)
    constant = int(ctx.history_units[rows].sum()) if ctx.any_history and len(rows) else 0
    expr = LazyExpr(ctx.variables, units, var_rows, constant)
    scaled = math.ceil(limit * ctx.scale - 1e-9) if bound == "min" else math.floor(limit * ctx.scale + 1e-9)
    soft = rule.soft or (reach and model.scenario.plan.reachability == "soft")
    slack = literal = None
    terms, coefs = ctx.var_index[var_rows], units[var_rows]
    lo, hi = (scaled - constant, INT_MAX) if bound == "min" else (INT_MIN, scaled - constant)
    if soft or ctx.with_assumptions:      # the name is carried by a slack or a literal only
        suffix = "" if kind == "round" else f"@{year}"
        name = f"{rule.id}|{group.key}|{bound}{suffix}"
    if soft:
        top = int(np.abs(units[var_rows]).sum()) + abs(constant) + abs(scaled)
        slack = model.cp.new_int_var(0, max(top, 0), f"slack[{name}]")
        # min: count + slack ≥ limit; max: count − slack (− this round's slack) ≤ limit
        extra = [slack] if bound == "min" else [slack] if prior_slack is None else [prior_slack, slack]
        terms = np.concatenate([terms, [v.index for v in extra]])
        coefs = np.concatenate([coefs, [1 if bound == "min" else -1] * len(extra)])
        if rule.soft:
            weight, discounted = Fraction(rule.soft_weight).limit_denominator(10_000), ahead
        else:       # a reachability shortfall costs the same whenever it would happen
            weight, discounted = Fraction(model.scenario.plan.reachability_weight).limit_denominator(10_000), 0
        ctx.penalties.append((slack, weight / ctx.scale, discounted))
    elif ctx.with_assumptions:
        literal = model.cp.new_bool_var(f"hold[{name}]")
    # the slack variables come after every select and national variable (and a period's after its round's)
    at = add_linear(model.cp, terms, coefs, lo, hi, None if literal is None else literal.index, plain=ctx.plain)
    c = Constraint(group=group, bound=bound, limit=limit, scale=ctx.scale, expr=expr, constant=constant,
                   slack=slack, literal=literal, kind=kind, year=year, index=at)
    model.constraints.append(c)
    if literal is not None:
        model.assumptions[literal.index] = c
    return c


