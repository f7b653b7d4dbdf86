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
    TEXT_COLUMNS,
    Bound,
    PlanSettings,
    Rule,
    parse_draw,
)

# The keys each table of a scenario file may have.
TOP_KEYS = (
    "name", "description", "issuer", "year", "period", "candidates", "extends", "objective", "switches",
    "defaults", "localities", "tasks", "force_in", "force_out", "history", "calendar", "rule", "plan", "choices",
    "exemptions", "publication", "scoring",
)
#: Keys whose value must be a table (a mapping), whatever file sets them.
TABLE_KEYS = ("objective", "switches", "defaults", "localities", "tasks", "plan", "choices", "publication", "scoring")
#: The largest number a scenario may hold (a bound, a weight, a cost, a pool): a weight times a
#: shortfall times the scale of six-decimal scores must stay within the solver's 64-bit
#: integers (1e9 for both overflowed; 1e6 solves). 1e6 is far above any quota (hundreds),
#: weight (hundreds or thousands) or pool in 万元 (tens of thousands).
MAX_NUMBER = 1e6
RULE_KEYS = (
    "id", "clause", "text", "where", "per", "measure", "min", "max", "scope", "decision", "soft",
    "by", "complete", "when", "cost", "note", "enabled", "draw",
)
OBJECTIVE_KEYS = ("maximise", "maximize", "pass_mark", "tie_break")
DEFAULT_KEYS = ("scope", "decision", "cost")
PLAN_KEYS = ("forecast", "future_weight", "through", "reachability", "reachability_weight", "pools")


class SourceText(str):
    """The text of a scenario with the files it came from: ``parts`` = ((file name, text), …), base first.

    A scenario that extends another is one mapping with one text; the parts let a problem be
    said in the file and at the line where it was written, not at a line of the two joined.
    """

    parts: tuple[tuple[str, str], ...]

    def __new__(cls, text: str, parts: tuple[tuple[str, str], ...] = ()) -> SourceText:
        obj = super().__new__(cls, text)
        obj.parts = tuple(parts)
        return obj

    def __str__(self) -> str:        # str(text) keeps the parts (e.g. `policy.check_columns`)
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (SourceText, (self[:], self.parts))

    @classmethod
    def of(cls, name: str, text: str) -> SourceText:
        return cls(text, ((name, text),))

    @staticmethod
    def joined(base: str, child: str) -> SourceText:
        """Base then child, as `scenario_files` merges them."""
        def parts(text: str) -> tuple[tuple[str, str], ...]:
            return getattr(text, "parts", ()) or ((("", text),) if text else ())
        return SourceText(base[:] + "\n" + child[:], parts(base) + parts(child))


@dataclass
class Context:
    """One reading of a scenario: where problems are said, and every problem found so far."""

    file: str
    text: str
    switches: dict[str, Any]
    defaults: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    catalogue: Catalogue = field(default_factory=load_catalogue)

    def _parts(self) -> tuple[tuple[str, str], ...]:
        return getattr(self.text, "parts", ()) or ((self.file, self.text),)

    def where_of(self, rule_id: str) -> tuple[str, int | None]:
        """File and line of the rule `rule_id`: the file that defines it last (a child over its base)."""
        pattern = re.compile(r'^\s*id\s*=\s*["\']' + re.escape(str(rule_id)) + r'["\']', re.MULTILINE)
        for name, text in reversed(self._parts()):
            match = pattern.search(text)
            if match:
                return name or self.file, text[: match.start()].count("\n") + 1
        return self.file, None

    def line_of(self, rule_id: str) -> int | None:
        return self.where_of(rule_id)[1]

    def file_of_key(self, key: str) -> str:
        """The file that sets a top-level `key` (``year``, ``switches.about_n``, ``plan.forecast``)."""
        parts = self._parts()
        if len(parts) < 2:
            return self.file
        head, _, leaf = key.partition(".")
        for name, text in reversed(parts):
            if _sets(text, head, leaf):
                return name or self.file
        return self.file

    def fail(self, rule_id: str | None, key: str | None, found: str, expected: str, hint: str = "") -> None:
        column = None if rule_id is None else f'rule "{rule_id}"' + (f" {key}" if key else "")
        if rule_id is None and key:
            column = key
        if rule_id is None and key == "period" and any(p.column == "year" for p in self.problems):
            return                  # with the year itself refused, "year … outside the period" says nothing
        file, row = self.where_of(rule_id) if rule_id is not None else (self.file_of_key(key or ""), None)
        self.problems.append(Problem(file, found, expected, row=row, column=column, hint=hint))


def _sets(text: str, head: str, leaf: str) -> bool:
    """Whether a TOML text sets `head` (or `head.leaf`): roughly, by its lines."""
    name = re.escape(head)
    if not leaf:
        return bool(re.search(rf'^\s*(?:{name}\s*=|\[\[?\s*{name}\s*\]\]?)', text, re.MULTILINE))
    item = re.escape(leaf)
    if re.search(rf'^\s*{name}\s*\.\s*["\']?{item}["\']?\s*=|^\s*{name}\s*=.*\b{item}\b', text, re.MULTILINE):
        return True
    section = re.search(rf'^\s*\[\s*{name}\s*\][^\n]*\n(.*?)(?=^\s*\[|\Z)', text, re.MULTILINE | re.DOTALL)
    return bool(section and re.search(rf'^\s*["\']?{item}["\']?\s*=', section.group(1), re.MULTILINE))


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
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        ctx.fail(rid, "enabled", f"enabled = {enabled!r}", "true or false")
    elif not enabled:
        active = False

    spec = {**ctx.defaults, **raw}
    scope = spec.get("scope", "period")
    if scope not in SCOPES:
        ctx.fail(rid, "scope", f'"{scope}"', " or ".join(f'"{s}"' for s in SCOPES))
    decision = spec.get("decision", "provincial")
    if decision not in DECISIONS:
        ctx.fail(rid, "decision", f'"{decision}"', " or ".join(f'"{d}"' for d in DECISIONS),
                 hint=suggest(str(decision), DECISIONS))
    draw = parse_draw(spec.get("draw", "slate"), decision, lambda *problem: ctx.fail(rid, "draw", *problem))
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
        elif w > MAX_NUMBER:
            ctx.fail(rid, "soft", f"weight = {_fmt(w)}", f"a weight > 0 and at most {MAX_NUMBER:g}")
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
    if not is_number(cost) or cost <= 0 or cost > MAX_NUMBER:
        ctx.fail(rid, "cost", f"cost = {cost!r}", f"a relaxation cost > 0 and at most {MAX_NUMBER:g}")
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
        relax_cost=float(cost), draw=draw,
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
        if column in TEXT_COLUMNS + CATALOGUE_COLUMNS + BOOL_COLUMNS:
            ctx.fail(rid, f"where.{column}", f'{op} = {value!r} on the text column "{column}"',
                     '"ge", "gt", "le" or "lt" on a numeric column (' + ", ".join(NUMBER_COLUMNS) + ")",
                     hint=f'compare "{column}" with a value or a list instead')
        elif not is_number(value):
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
        elif value > MAX_NUMBER:
            ctx.fail(rid, which, f"{which} = {_fmt(value)}", f"a bound ≤ {MAX_NUMBER:g}")
            return None
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
        if not is_number(v) or v < 0 or v > MAX_NUMBER:
            ctx.fail(rid, which, f'{which}["{key}"] = {_fmt(v) if is_number(v) else repr(v)}',
                     "a number ≥ 0" if not is_number(v) or v < 0 else f"a number ≤ {MAX_NUMBER:g}")
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
            if not is_number(v) or v < 0 or (key == "future_weight" and v > 1) or v > MAX_NUMBER:
                ctx.fail(None, f"plan.{key}", f"{key} = {v!r}",
                         "a number in [0, 1]" if key == "future_weight" else f"a number from 0 to {MAX_NUMBER:g}")
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


# --- [switches] and [choices] ------------------------------------------------------------

def check_tables(data: Mapping[str, Any], ctx: Context) -> None:
    """Keys that must be tables are tables; `rule` is an array of tables."""
    for key in TABLE_KEYS:
        if key in data and not isinstance(data[key], dict):
            ctx.fail(None, key, f"{key} = {data[key]!r}", f"a [{key}] table")
    rules = data.get("rule")
    if rules is not None and not isinstance(rules, list):
        ctx.fail(None, "rule", f"rule = {rules!r}", "[[rule]] tables")


def check_switches(data: Mapping[str, Any], first_values: Mapping[str, Any], ctx: Context, *,
                   root_names: tuple[str, ...] = ()) -> None:
    """Every switch is one the scenario knows, set to a value it may take.

    A switch is known when `[choices]` lists it, a rule's `when` or a `{ switch = … }` table
    reads it, or the base-most file (the scenario itself when it extends nothing) sets it — so a
    misspelt name in a file that extends another is an error. A switch declared in `[choices]`
    takes only those values, and a `when` naming it only those. An undeclared switch may take
    any value, except one that is close to a value the rules name or the base-most file gives
    it (``softband`` for ``soft_band``): a typo, refused with the nearest (a value far from all,
    e.g. ``fast`` where rules name ``slow``, switches every variant off, as meant). `first_values`: switch → the
    value set by the base-most file that sets it; `root_names`: the switches the base-most file sets.
    """
    switches = data.get("switches") or {}
    choices = data.get("choices") or {}
    if not isinstance(switches, dict) or not isinstance(choices, dict):
        return                                   # said by `check_tables`
    declared: dict[str, list[Any]] = {}
    for name, values in choices.items():
        if not isinstance(values, list) or not values or not all(isinstance(v, (str, int, bool)) for v in values):
            ctx.fail(None, f"choices.{name}", f"{name} = {values!r}", 'a list of the values the switch may take, '
                     'e.g. about_n = ["soft_band", "hard_band"]')
            continue
        declared[name] = values
    used: dict[str, set[Any]] = {}
    rules = data.get("rule") if isinstance(data.get("rule"), list) else []
    for raw in rules:
        when = raw.get("when") if isinstance(raw, dict) else None
        if not isinstance(when, dict):
            continue
        for name, wanted in when.items():
            values = wanted if isinstance(wanted, list) else [wanted]
            used.setdefault(name, set()).update(v for v in values if isinstance(v, (str, int, bool)))
            if name in declared:
                for v in values:
                    if v not in declared[name]:
                        ctx.fail(str(raw.get("id", "?")), "when", f'{name} = {v!r}, a value the switch does not have',
                                 "one of its [choices]: " + ", ".join(map(repr, declared[name])),
                                 hint=suggest(str(v), [str(c) for c in declared[name]]))
    plan = data.get("plan") if isinstance(data.get("plan"), dict) else {}
    for key, value in plan.items():
        if isinstance(value, dict) and "switch" in value:
            name = value["switch"]
            options = [k for k in value if k != "switch"]
            used.setdefault(str(name), set()).update(options)
            for option in options if str(name) in declared else []:
                if option not in map(str, declared[str(name)]):
                    ctx.fail(None, f"plan.{key}", f'{name} = "{option}", a value the switch does not have',
                             "one of its [choices]: " + ", ".join(map(repr, declared[str(name)])))
    known = sorted(set(declared) | set(used) | set(root_names))
    for name, value in switches.items():
        if name not in declared and name not in used and name in root_names:
            continue                             # set, read by nothing: any value does nothing
        if name not in known:
            ctx.fail(None, f"switches.{name}", f'switch "{name}", which no rule and no [plan] value reads',
                     "one of the scenario's switches: " + ", ".join(known) if known else "no [switches]",
                     hint=suggest(str(name), known))
            continue
        if name in declared:
            allowed = declared[name]
            if value not in allowed:
                ctx.fail(None, f"switches.{name}", f"{name} = {value!r}", "one of its [choices]: "
                         + ", ".join(map(repr, allowed)), hint=suggest(str(value), [str(a) for a in allowed]))
            continue
        named = sorted(map(str, used.get(name, set()) | ({first_values[name]} if name in first_values else set())))
        near = _typo_of(str(value), named)
        if near:
            ctx.fail(None, f"switches.{name}", f"{name} = {value!r}, a value no rule names",
                     "one of " + ", ".join(map(repr, named)) + f' (or declare the value in [choices] {name} = [...])',
                     hint=f'did you mean "{near}"?')
    for raw in rules:                                   # `when` values of undeclared switches: typos only
        when = raw.get("when") if isinstance(raw, dict) else None
        for name, wanted in (when.items() if isinstance(when, dict) else ()):
            if name in declared:
                continue
            values = wanted if isinstance(wanted, list) else [wanted]
            current = switches.get(name)
            named = {str(v) for v in used.get(name, set())} | ({str(current)} if current is not None else set())
            for v in values:
                others = sorted(named - {str(x) for x in values})
                near = _typo_of(str(v), others)
                if near and sum(1 for r in rules if isinstance(r, dict) and isinstance(r.get("when"), dict)
                                and v in _as_list(r["when"].get(name))) == 1:
                    ctx.fail(str(raw.get("id", "?")), "when", f"{name} = {v!r}, a value only this rule names",
                             f"a value of the switch: {', '.join(map(repr, others))}", hint=f'did you mean "{near}"?')


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _typo_of(value: str, named: list[str]) -> str:
    """The value `value` is a likely misspelling of (close but not equal), or "".

    Without `[choices]`, a switch value no rule names is either a typo ("softband") or a
    deliberate value that switches every variant off ("fast" where rules name "slow"): only
    the first is refused.
    """
    import difflib
    if value in named:
        return ""
    close = difflib.get_close_matches(value, named, n=1, cutoff=0.75)
    return close[0] if close else ""


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _fmt(value: float) -> str:
    if abs(value) >= 1e15:
        return f"{value:g}" if isinstance(value, float) else str(value)
    return str(int(value)) if float(value).is_integer() else str(value)
