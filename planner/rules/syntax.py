"""The syntax of a scenario: every table of a parsed TOML file checked and turned into shapes.

Owns `Context` (one reading: the file, its text for line numbers, the switches and defaults in
force, the problems found so far), the keys each table may have, and the checks of a `[[rule]]`
(its `when`, `where`, `per`, `measure`, bounds, `soft`, `by`, `cost`), of `[plan]` (values a
switch may choose) and of `[localities]` folds — each problem said with file, line, rule id and
key, and a "did you mean" from the catalogue. Does not own reading files (`scenario_files`), the
top of a scenario and the `Scenario` it makes (`policy`) nor the shapes themselves (`shapes`).
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from planner.errors import Problem
from planner.inputs import Catalogue, clean_text, load_catalogue, suggest
from planner.rules.shapes import (
    BOOL_COLUMNS,
    CATALOGUE_COLUMNS,
    COMPARATORS,
    DECISIONS,
    FORECASTS,
    NUMBER_COLUMNS,
    REACHABILITY,
    SCOPES,
    Bound,
    PlanSettings,
    Rule,
)

# The keys each table of a scenario file may have.
TOP_KEYS = (
    "name", "description", "issuer", "year", "period", "candidates", "extends", "objective", "switches",
    "defaults", "localities", "tasks", "force_in", "force_out", "history", "calendar", "rule", "plan",
)
RULE_KEYS = (
    "id", "clause", "text", "where", "per", "measure", "min", "max", "scope", "decision", "soft",
    "by", "complete", "when", "cost", "note", "enabled",
)
OBJECTIVE_KEYS = ("maximise", "maximize", "pass_mark", "tie_break")
DEFAULT_KEYS = ("scope", "decision", "cost")
PLAN_KEYS = ("forecast", "future_weight", "through", "reachability", "reachability_weight", "pools")


@dataclass
class Context:
    """One reading of a scenario: where problems are said, and every problem found so far."""

    file: str
    text: str
    switches: dict[str, Any]
    defaults: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    catalogue: Catalogue = field(default_factory=load_catalogue)

    def line_of(self, rule_id: str) -> int | None:
        match = re.search(r'^\s*id\s*=\s*["\']' + re.escape(str(rule_id)) + r'["\']', self.text, re.MULTILINE)
        return self.text[: match.start()].count("\n") + 1 if match else None

    def fail(self, rule_id: str | None, key: str | None, found: str, expected: str, hint: str = "") -> None:
        column = None if rule_id is None else f'rule "{rule_id}"' + (f" {key}" if key else "")
        if rule_id is None and key:
            column = key
        row = self.line_of(rule_id) if rule_id is not None else None
        self.problems.append(Problem(self.file, found, expected, row=row, column=column, hint=hint))


# --- [[rule]] -------------------------------------------------------------------------------

def parse_rule(raw: Any, ctx: Context, *, fold: Mapping[str, str] | None = None) -> Rule | None:
    """Check one `[[rule]]` table and turn it into a Rule (None when its `when` is off)."""
    if not isinstance(raw, dict):
        ctx.fail(None, "rule", f"{raw!r}", "a [[rule]] table")
        return None
    rid = raw.get("id")
    if not isinstance(rid, str) or not rid:
        ctx.fail(None, "rule", f"a rule without an id (clause {raw.get('clause', '?')})", 'id = "some-name"')
        return None
    n_before = len(ctx.problems)
    for key in raw:
        if key not in RULE_KEYS:
            ctx.fail(rid, key, f'unknown key "{key}"', "one of " + ", ".join(RULE_KEYS), hint=suggest(key, RULE_KEYS))

    when = raw.get("when", {}) or {}
    if not isinstance(when, dict):
        ctx.fail(rid, "when", f"{when!r}", "a table of switch = value")
        when = {}
    active = True
    for switch, wanted in when.items():
        if switch not in ctx.switches:
            ctx.fail(rid, "when", f'switch "{switch}" not set in [switches]', "a switch of [switches]",
                     hint=suggest(switch, list(ctx.switches)))
        else:
            allowed = wanted if isinstance(wanted, list) else [wanted]
            active = active and ctx.switches[switch] in allowed
    if raw.get("enabled") is False:
        active = False

    spec = {**ctx.defaults, **raw}
    scope = spec.get("scope", "period")
    if scope not in SCOPES:
        ctx.fail(rid, "scope", f'"{scope}"', " or ".join(f'"{s}"' for s in SCOPES))
    decision = spec.get("decision", "provincial")
    if decision not in DECISIONS:
        ctx.fail(rid, "decision", f'"{decision}"', " or ".join(f'"{d}"' for d in DECISIONS),
                 hint=suggest(str(decision), DECISIONS))
    measure = spec.get("measure", "count")
    if not isinstance(measure, str) or not (measure == "count" or re.fullmatch(r"sum:\S+", measure)):
        ctx.fail(rid, "measure", f"{measure!r}", '"count" or "sum:<numeric column>"')
        measure = "count"
    per = spec.get("per", [])
    if isinstance(per, str):
        per = [per]
    if not isinstance(per, list) or not all(isinstance(p, str) for p in per):
        ctx.fail(rid, "per", f"{per!r}", "a list of column names")
        per = []
    where = _parse_where(spec.get("where", {}) or {}, rid, ctx)
    soft = spec.get("soft")
    weight = None
    if soft is not None:
        w = soft.get("weight") if isinstance(soft, dict) else None
        if not is_number(w) or w <= 0:
            ctx.fail(rid, "soft", f"soft = {soft!r}", "soft = { weight = <number > 0> }")
        else:
            weight = float(w)
    by = spec.get("by")
    if by is not None and (not isinstance(by, int) or isinstance(by, bool)):
        ctx.fail(rid, "by", f"by = {by!r}", "a target year, e.g. by = 2025")
        by = None
    complete = spec.get("complete", False)
    if not isinstance(complete, bool):
        ctx.fail(rid, "complete", f"{complete!r}", "true or false")
        complete = False
    if complete:
        for col in per:
            if col not in CATALOGUE_COLUMNS:
                ctx.fail(rid, "complete", f'complete = true with per column "{col}"',
                         "per columns from the catalogue (" + ", ".join(CATALOGUE_COLUMNS) + ")")
    cost = spec.get("cost", 1.0)
    if not is_number(cost) or cost <= 0:
        ctx.fail(rid, "cost", f"cost = {cost!r}", "a relaxation cost > 0")
        cost = 1.0
    lo = _parse_bound(spec.get("min"), "min", rid, per, ctx, fold or {})
    hi = _parse_bound(spec.get("max"), "max", rid, per, ctx, fold or {})
    if lo is None and hi is None and "min" not in spec and "max" not in spec:
        ctx.fail(rid, None, "a rule with neither min nor max", "min = … and/or max = …")
    if lo is not None and hi is not None:
        keys = set(lo.groups) | set(hi.groups) | {"*"}
        for key in sorted(keys):
            a, b = (lo.for_group(key) if key != "*" else lo.default), (hi.for_group(key) if key != "*" else hi.default)
            if a is not None and b is not None and a > b:
                ctx.fail(rid, "min", f"min {_fmt(a)} > max {_fmt(b)}" + ("" if key == "*" else f' for group "{key}"'),
                         "min ≤ max")
    if len(ctx.problems) > n_before or not active:
        return None
    return Rule(
        id=rid,
        clause=str(spec.get("clause", "")),
        text=str(spec.get("text", "")),
        where=MappingProxyType(where),
        per=tuple(per),
        measure=measure,
        min=lo,
        max=hi,
        scope=scope,
        decision=decision,
        soft_weight=weight,
        by=by,
        complete=complete,
        relax_cost=float(cost),
        line=ctx.line_of(rid),
    )


def _parse_where(where: Any, rid: str, ctx: Context) -> dict[str, tuple[tuple[str, Any], ...]]:
    if not isinstance(where, dict):
        ctx.fail(rid, "where", f"where = {where!r}", "a table of column = value")
        return {}
    out: dict[str, tuple[tuple[str, Any], ...]] = {}
    for column, spec in where.items():
        conditions: list[tuple[str, Any]] = []
        if isinstance(spec, dict):
            for op, value in spec.items():
                if op not in COMPARATORS:
                    ctx.fail(rid, f"where.{column}", f'operator "{op}"', "one of " + ", ".join(COMPARATORS),
                             hint=suggest(op, COMPARATORS))
                    continue
                conditions.append((op, _where_value(column, op, value, rid, ctx)))
        elif isinstance(spec, list):
            conditions.append(("in", _where_value(column, "in", spec, rid, ctx)))
        else:
            conditions.append(("eq", _where_value(column, "eq", spec, rid, ctx)))
        out[column] = tuple(conditions)
    return out


def _where_value(column: str, op: str, value: Any, rid: str, ctx: Context) -> Any:
    """Check a `where` value against what the column holds; localities are normalised."""
    if op in ("ge", "gt", "le", "lt"):
        if not is_number(value):
            ctx.fail(rid, f"where.{column}", f"{op} = {value!r}", "a number")
        return value
    values = value if isinstance(value, list) else [value]
    checked = [_scalar_where(column, v, rid, ctx) for v in values]
    return tuple(checked) if isinstance(value, list) else checked[0]


def _scalar_where(column: str, value: Any, rid: str, ctx: Context) -> Any:
    cat = ctx.catalogue
    if column in BOOL_COLUMNS and not isinstance(value, bool):
        ctx.fail(rid, f"where.{column}", f"{value!r}", "true or false")
    elif column == "locality":
        canon = cat.locality(str(value))
        if canon is None:
            ctx.fail(rid, "where.locality", f'unknown locality "{value}"', "a catalogue locality",
                     hint=suggest(str(value), list(cat.localities)))
        return canon or value
    elif column in CATALOGUE_COLUMNS:
        codes = cat.codes(column) or []
        if value != "" and str(value) not in codes:
            ctx.fail(rid, f"where.{column}", f'unknown {column} "{value}"', f"one of {', '.join(codes)}",
                     hint=suggest(str(value), codes))
    elif column in NUMBER_COLUMNS and not is_number(value):
        ctx.fail(rid, f"where.{column}", f"{value!r}", "a number")
    return value


def _parse_bound(value: Any, which: str, rid: str, per: list[str], ctx: Context,
                 fold: Mapping[str, str]) -> Bound | None:
    if value is None:
        return None
    if is_number(value):
        if value < 0:
            ctx.fail(rid, which, f"{which} = {_fmt(value)}", "a bound ≥ 0")
        return Bound(float(value))
    if not isinstance(value, dict):
        ctx.fail(rid, which, f"{which} = {value!r}", "a number or a table of group = number")
        return None
    if not per:
        ctx.fail(rid, which, f"{which} is a table but the rule has no per", "a number, or per = [columns]")
        return None
    default = None
    groups: dict[str, float] = {}
    for key, v in value.items():
        if not is_number(v) or v < 0:
            ctx.fail(rid, which, f'{which}["{key}"] = {v!r}', "a number ≥ 0")
            continue
        if key == "*":
            default = float(v)
            continue
        norm = normalise_group_key(key, per, ctx, rid, which, fold)
        if norm is not None:
            groups[norm] = float(v)
    return Bound(default, MappingProxyType(groups))


def normalise_group_key(key: str, per: list[str] | tuple[str, ...], ctx: Context, rid: str, which: str,
                        fold: Mapping[str, str]) -> str | None:
    """Normalise a bound-map key (locality aliases, codes checked) or record a problem."""
    parts = str(key).split("|")
    if len(parts) != len(per):
        ctx.fail(rid, which, f'group "{key}" with {len(parts)} part(s)',
                 f"{len(per)} part(s) joined by | for per = {list(per)}")
        return None
    cat = ctx.catalogue
    out = []
    for column, part in zip(per, parts):
        part = clean_text(part)
        if column == "locality":
            canon = cat.locality(part)
            if canon is None:
                ctx.fail(rid, which, f'unknown locality "{part}"', "a catalogue locality",
                         hint=suggest(part, list(cat.localities)))
                return None
            if canon in fold:
                ctx.fail(rid, which, f'a bound for "{canon}", which this scenario folds into "{fold[canon]}"',
                         f'a bound for "{fold[canon]}"')
                return None
            part = canon
        elif column in CATALOGUE_COLUMNS:
            codes = cat.codes(column) or []
            if part not in codes:
                ctx.fail(rid, which, f'unknown {column} "{part}"', f"one of {', '.join(codes)}",
                         hint=suggest(part, codes))
                return None
        out.append(part)
    return "|".join(out)


# --- [plan] and [localities] --------------------------------------------------------------

def _switched(value: Any, key: str, ctx: Context) -> Any:
    """A value, or the choice of a switch: ``{ switch = "name", a = 1.0, b = 0.0 }``."""
    if not (isinstance(value, dict) and "switch" in value):
        return value
    name = value["switch"]
    if name not in ctx.switches:
        ctx.fail(None, key, f'switch "{name}" not set in [switches]', "a switch of [switches]",
                 hint=suggest(str(name), list(ctx.switches)))
        return None
    chosen = ctx.switches[name]
    options = {k: v for k, v in value.items() if k != "switch"}
    if str(chosen) not in options:
        ctx.fail(None, key, f'no value for {name} = "{chosen}"', "one value per switch value: "
                 + ", ".join(f'{k} = …' for k in options))
        return None
    return options[str(chosen)]


def parse_plan(section: Any, ctx: Context) -> PlanSettings:
    """Check the `[plan]` table; any value may be chosen by a switch."""
    if not isinstance(section, dict):
        ctx.fail(None, "plan", f"plan = {section!r}", "a [plan] table")
        return PlanSettings()
    for key in section:
        if key not in PLAN_KEYS:
            ctx.fail(None, f"plan.{key}", f'unknown key "{key}"', "one of " + ", ".join(PLAN_KEYS),
                     hint=suggest(key, PLAN_KEYS))
    values = {k: _switched(v, f"plan.{k}", ctx) for k, v in section.items() if k in PLAN_KEYS}
    values = {k: v for k, v in values.items() if v is not None}
    out: dict[str, Any] = {}
    forecast = values.get("forecast", "auto" if section else "none")
    if forecast not in FORECASTS:
        ctx.fail(None, "plan.forecast", f'"{forecast}"', " or ".join(f'"{f}"' for f in FORECASTS),
                 hint=suggest(str(forecast), FORECASTS))
    else:
        out["forecast"] = forecast
    for key in ("future_weight", "reachability_weight"):
        if key in values:
            v = values[key]
            if not is_number(v) or v < 0 or (key == "future_weight" and v > 1):
                ctx.fail(None, f"plan.{key}", f"{key} = {v!r}",
                         "a number in [0, 1]" if key == "future_weight" else "a number ≥ 0")
            else:
                out[key] = float(v)
    if "through" in values:
        v = values["through"]
        if not isinstance(v, int) or isinstance(v, bool):
            ctx.fail(None, "plan.through", f"through = {v!r}", "a year, e.g. through = 2025")
        else:
            out["through"] = v
    if "reachability" in values:
        v = values["reachability"]
        if v not in REACHABILITY:
            ctx.fail(None, "plan.reachability", f'"{v}"', " or ".join(f'"{r}"' for r in REACHABILITY))
        else:
            out["reachability"] = v
    if "pools" in values:
        out["pools"] = tuple(Path(p) for p in id_list(values["pools"], "plan.pools", ctx))
    return PlanSettings(**out)


def parse_fold(section: Mapping[str, Any], ctx: Context) -> dict[str, str]:
    cat = ctx.catalogue
    fold: dict[str, str] = {}
    for key in section:
        if key != "fold":
            ctx.fail(None, f"localities.{key}", f'unknown key "{key}"', '"fold"')
    for src, dst in (section.get("fold", {}) or {}).items():
        s, d = cat.locality(src), cat.locality(str(dst))
        if s is None or d is None:
            bad = src if s is None else dst
            ctx.fail(None, "localities.fold", f'unknown locality "{bad}"', "a catalogue locality",
                     hint=suggest(str(bad), list(cat.localities)))
            continue
        fold[s] = d
    return fold


def id_list(value: Any, key: str, ctx: Context) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        ctx.fail(None, key, f"{key} = {value!r}", "a list of strings")
        return ()
    return tuple(clean_text(v) for v in value)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
