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
from planner.inputs import Catalogue, clean_text, load_catalogue
from planner.lang import say
from planner.rules.messages import (a_locality, a_number, a_switch, either, not_a_switch, one_of, rule_words,
                                    suggest, true_or_false, unknown_code, unknown_key, unknown_locality)
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
    named: dict[str, tuple[str, str]] = field(default_factory=dict)   # rule id → (clause, text) read so far

    def name_rule(self, raw: Mapping[str, Any]) -> None:
        """Remember a rule's clause and text, so that its problems name it by its words."""
        rid = raw.get("id")
        if isinstance(rid, str) and rid:
            self.named[rid] = (str(raw.get("clause", "") or ""), str(raw.get("text", "") or ""))

    def rule_column(self, rule_id: str, key: str | None) -> str:
        """The "column" of a rule's problem: the rule by clause and words, its id in brackets, then the key."""
        clause, text = self.named.get(rule_id, ("", ""))
        words = rule_words(rule_id, clause, text)
        return words + (say(f" 的 {key}", f" {key}") if key else "")

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
        column = None if rule_id is None else self.rule_column(rule_id, key)
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
        ctx.fail(None, "rule", f"{raw!r}", say("一个 [[rule]] 表", "a [[rule]] table"))
        return None
    rid = raw.get("id")
    if not isinstance(rid, str) or not rid:
        ctx.fail(None, "rule", say(f"一条没有 id 的规则（条款 {raw.get('clause', '?')}）",
                                   f"a rule without an id (clause {raw.get('clause', '?')})"), 'id = "some-name"')
        return None
    ctx.name_rule(raw)
    n_before = len(ctx.problems)
    for key in raw:
        if key not in RULE_KEYS:
            ctx.fail(rid, key, unknown_key(key), one_of(RULE_KEYS), hint=suggest(key, RULE_KEYS))

    when = raw.get("when", {}) or {}
    if not isinstance(when, dict):
        ctx.fail(rid, "when", f"{when!r}", say("开关 = 取值 的表", "a table of switch = value"))
        when = {}
    active = True
    for switch, wanted in when.items():
        if switch not in ctx.switches:
            ctx.fail(rid, "when", not_a_switch(switch), a_switch(), hint=suggest(switch, list(ctx.switches)))
        else:
            allowed = wanted if isinstance(wanted, list) else [wanted]
            active = active and ctx.switches[switch] in allowed
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        ctx.fail(rid, "enabled", f"enabled = {enabled!r}", true_or_false())
    elif not enabled:
        active = False

    spec = {**ctx.defaults, **raw}
    scope = spec.get("scope", "period")
    if scope not in SCOPES:
        ctx.fail(rid, "scope", f'"{scope}"', either(SCOPES))
    decision = spec.get("decision", "provincial")
    if decision not in DECISIONS:
        ctx.fail(rid, "decision", f'"{decision}"', either(DECISIONS),
                 hint=suggest(str(decision), DECISIONS))
    draw = parse_draw(spec.get("draw", "slate"), decision, lambda *problem: ctx.fail(rid, "draw", *problem))
    measure = spec.get("measure", "count")
    if not isinstance(measure, str) or not (measure == "count" or re.fullmatch(r"sum:\S+", measure)):
        ctx.fail(rid, "measure", f"{measure!r}", say('"count" 或 "sum:<数值列>"', '"count" or "sum:<numeric column>"'))
        measure = "count"
    per = spec.get("per", [])
    if isinstance(per, str):
        per = [per]
    if not isinstance(per, list) or not all(isinstance(p, str) for p in per):
        ctx.fail(rid, "per", f"{per!r}", say("列名的列表", "a list of column names"))
        per = []
    where = _parse_where(spec.get("where", {}) or {}, rid, ctx)
    soft = spec.get("soft")
    weight = None
    if soft is not None:
        w = soft.get("weight") if isinstance(soft, dict) else None
        if not is_number(w) or w <= 0:
            ctx.fail(rid, "soft", f"soft = {soft!r}", say("soft = { weight = <大于 0 的数> }", "soft = { weight = <number > 0> }"))
        elif w > MAX_NUMBER:
            ctx.fail(rid, "soft", f"weight = {_fmt(w)}", say(f"大于 0 且不超过 {MAX_NUMBER:g} 的权重",
                                                              f"a weight > 0 and at most {MAX_NUMBER:g}"))
        else:
            weight = float(w)
    by = spec.get("by")
    if by is not None and (not isinstance(by, int) or isinstance(by, bool)):
        ctx.fail(rid, "by", f"by = {by!r}", say("目标年份，如 by = 2025", "a target year, e.g. by = 2025"))
        by = None
    complete = spec.get("complete", False)
    if not isinstance(complete, bool):
        ctx.fail(rid, "complete", f"{complete!r}", true_or_false())
        complete = False
    if complete:
        for col in per:
            if col not in CATALOGUE_COLUMNS:
                ctx.fail(rid, "complete", say(f'complete = true，而 per 列为 "{col}"', f'complete = true with per column "{col}"'),
                         say("目录中的 per 列（", "per columns from the catalogue (") + ", ".join(CATALOGUE_COLUMNS)
                         + say("）", ")"))
    cost = spec.get("cost", 1.0)
    if not is_number(cost) or cost <= 0 or cost > MAX_NUMBER:
        ctx.fail(rid, "cost", f"cost = {cost!r}", say(f"大于 0 且不超过 {MAX_NUMBER:g} 的放宽代价",
                                                       f"a relaxation cost > 0 and at most {MAX_NUMBER:g}"))
        cost = 1.0
    lo = _parse_bound(spec.get("min"), "min", rid, per, ctx, fold or {})
    hi = _parse_bound(spec.get("max"), "max", rid, per, ctx, fold or {})
    if lo is None and hi is None and "min" not in spec and "max" not in spec:
        ctx.fail(rid, None, say("一条既无 min 也无 max 的规则", "a rule with neither min nor max"),
                 say("min = … 和/或 max = …", "min = … and/or max = …"))
    if lo is not None and hi is not None:
        keys = set(lo.groups) | set(hi.groups) | {"*"}
        for key in sorted(keys):
            a, b = (lo.for_group(key) if key != "*" else lo.default), (hi.for_group(key) if key != "*" else hi.default)
            if a is not None and b is not None and a > b:
                ctx.fail(rid, "min", f"min {_fmt(a)} > max {_fmt(b)}" + ("" if key == "*" else say(
                    f'（分组“{key}”）', f' for group "{key}"')), "min ≤ max")
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
        ctx.fail(rid, "where", f"where = {where!r}", say("列 = 取值 的表", "a table of column = value"))
        return {}
    out: dict[str, tuple[tuple[str, Any], ...]] = {}
    for column, spec in where.items():
        conditions: list[tuple[str, Any]] = []
        if isinstance(spec, dict):
            for op, value in spec.items():
                if op not in COMPARATORS:
                    ctx.fail(rid, f"where.{column}", say(f'运算符 "{op}"', f'operator "{op}"'), one_of(COMPARATORS),
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
            ctx.fail(rid, f"where.{column}", say(f'{op} = {value!r} 用在文本列 "{column}" 上',
                                                 f'{op} = {value!r} on the text column "{column}"'),
                     say('"ge"、"gt"、"le" 或 "lt" 只用于数值列（' + "、".join(NUMBER_COLUMNS) + "）",
                         '"ge", "gt", "le" or "lt" on a numeric column (' + ", ".join(NUMBER_COLUMNS) + ")"),
                     hint=say(f'"{column}" 请与一个值或一个列表比较', f'compare "{column}" with a value or a list instead'))
        elif not is_number(value):
            ctx.fail(rid, f"where.{column}", f"{op} = {value!r}", a_number())
        return value
    values = value if isinstance(value, list) else [value]
    checked = [_scalar_where(column, v, rid, ctx) for v in values]
    return tuple(checked) if isinstance(value, list) else checked[0]


def _scalar_where(column: str, value: Any, rid: str, ctx: Context) -> Any:
    cat = ctx.catalogue
    if column in BOOL_COLUMNS and not isinstance(value, bool):
        ctx.fail(rid, f"where.{column}", f"{value!r}", true_or_false())
    elif column == "locality":
        canon = cat.locality(str(value))
        if canon is None:
            ctx.fail(rid, "where.locality", unknown_locality(value), a_locality(),
                     hint=suggest(str(value), list(cat.localities)))
        return canon or value
    elif column in CATALOGUE_COLUMNS:
        codes = cat.codes(column) or []
        if value != "" and str(value) not in codes:
            ctx.fail(rid, f"where.{column}", unknown_code(column, value), one_of(codes),
                     hint=suggest(str(value), codes))
    elif column in NUMBER_COLUMNS and not is_number(value):
        ctx.fail(rid, f"where.{column}", f"{value!r}", a_number())
    return value


def _parse_bound(value: Any, which: str, rid: str, per: list[str], ctx: Context,
                 fold: Mapping[str, str]) -> Bound | None:
    if value is None:
        return None
    if is_number(value):
        if value < 0:
            ctx.fail(rid, which, f"{which} = {_fmt(value)}", say("不小于 0 的界限", "a bound ≥ 0"))
        elif value > MAX_NUMBER:
            ctx.fail(rid, which, f"{which} = {_fmt(value)}", say(f"不大于 {MAX_NUMBER:g} 的界限", f"a bound ≤ {MAX_NUMBER:g}"))
            return None
        return Bound(float(value))
    if not isinstance(value, dict):
        ctx.fail(rid, which, f"{which} = {value!r}", say("一个数，或 分组 = 数 的表", "a number or a table of group = number"))
        return None
    if not per:
        ctx.fail(rid, which, say(f"{which} 是一个表，但规则没有 per", f"{which} is a table but the rule has no per"),
                 say("一个数，或 per = [列]", "a number, or per = [columns]"))
        return None
    default = None
    groups: dict[str, float] = {}
    for key, v in value.items():
        if not is_number(v) or v < 0 or v > MAX_NUMBER:
            ctx.fail(rid, which, f'{which}["{key}"] = {_fmt(v) if is_number(v) else repr(v)}',
                     say("不小于 0 的数", "a number ≥ 0") if not is_number(v) or v < 0
                     else say(f"不大于 {MAX_NUMBER:g} 的数", f"a number ≤ {MAX_NUMBER:g}"))
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
        ctx.fail(rid, which, say(f'分组 "{key}" 有 {len(parts)} 段', f'group "{key}" with {len(parts)} part(s)'),
                 say(f"per = {list(per)} 对应的 {len(per)} 段，以 | 相连", f"{len(per)} part(s) joined by | for per = {list(per)}"))
        return None
    cat = ctx.catalogue
    out = []
    for column, part in zip(per, parts):
        part = clean_text(part)
        if column == "locality":
            canon = cat.locality(part)
            if canon is None:
                ctx.fail(rid, which, unknown_locality(part), a_locality(),
                         hint=suggest(part, list(cat.localities)))
                return None
            if canon in fold:
                ctx.fail(rid, which, say(f'给“{canon}”的界限，而本情景把它并入“{fold[canon]}”',
                                         f'a bound for "{canon}", which this scenario folds into "{fold[canon]}"'),
                         say(f'给“{fold[canon]}”的界限', f'a bound for "{fold[canon]}"'))
                return None
            part = canon
        elif column in CATALOGUE_COLUMNS:
            codes = cat.codes(column) or []
            if part not in codes:
                ctx.fail(rid, which, unknown_code(column, part), one_of(codes),
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
        ctx.fail(None, key, not_a_switch(name), a_switch(), hint=suggest(str(name), list(ctx.switches)))
        return None
    chosen = ctx.switches[name]
    options = {k: v for k, v in value.items() if k != "switch"}
    if str(chosen) not in options:
        ctx.fail(None, key, say(f'{name} = "{chosen}" 没有对应的值', f'no value for {name} = "{chosen}"'),
                 say("开关的每个取值各一个值：", "one value per switch value: ") + ", ".join(f'{k} = …' for k in options))
        return None
    return options[str(chosen)]


def parse_plan(section: Any, ctx: Context) -> PlanSettings:
    """Check the `[plan]` table; any value may be chosen by a switch."""
    if not isinstance(section, dict):
        ctx.fail(None, "plan", f"plan = {section!r}", say("一个 [plan] 表", "a [plan] table"))
        return PlanSettings()
    for key in section:
        if key not in PLAN_KEYS:
            ctx.fail(None, f"plan.{key}", unknown_key(key), one_of(PLAN_KEYS),
                     hint=suggest(key, PLAN_KEYS))
    values = {k: _switched(v, f"plan.{k}", ctx) for k, v in section.items() if k in PLAN_KEYS}
    values = {k: v for k, v in values.items() if v is not None}
    out: dict[str, Any] = {}
    forecast = values.get("forecast", "auto" if section else "none")
    if forecast not in FORECASTS:
        ctx.fail(None, "plan.forecast", f'"{forecast}"', either(FORECASTS),
                 hint=suggest(str(forecast), FORECASTS))
    else:
        out["forecast"] = forecast
    for key in ("future_weight", "reachability_weight"):
        if key in values:
            v = values[key]
            if not is_number(v) or v < 0 or (key == "future_weight" and v > 1) or v > MAX_NUMBER:
                ctx.fail(None, f"plan.{key}", f"{key} = {v!r}",
                         say("0 到 1 之间的数", "a number in [0, 1]") if key == "future_weight"
                         else say(f"0 到 {MAX_NUMBER:g} 之间的数", f"a number from 0 to {MAX_NUMBER:g}"))
            else:
                out[key] = float(v)
    if "through" in values:
        v = values["through"]
        if not isinstance(v, int) or isinstance(v, bool):
            ctx.fail(None, "plan.through", f"through = {v!r}", say("年份，如 through = 2025", "a year, e.g. through = 2025"))
        else:
            out["through"] = v
    if "reachability" in values:
        v = values["reachability"]
        if v not in REACHABILITY:
            ctx.fail(None, "plan.reachability", f'"{v}"', either(REACHABILITY))
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
            ctx.fail(None, f"localities.{key}", unknown_key(key), '"fold"')
    for src, dst in (section.get("fold", {}) or {}).items():
        s, d = cat.locality(src), cat.locality(str(dst))
        if s is None or d is None:
            bad = src if s is None else dst
            ctx.fail(None, "localities.fold", unknown_locality(bad), a_locality(),
                     hint=suggest(str(bad), list(cat.localities)))
            continue
        fold[s] = d
    return fold


def id_list(value: Any, key: str, ctx: Context) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        ctx.fail(None, key, f"{key} = {value!r}", say("字符串的列表", "a list of strings"))
        return ()
    return tuple(clean_text(v) for v in value)


# --- [switches] and [choices]: `switches` ---------------------------------------------------

def check_tables(data: Mapping[str, Any], ctx: Context) -> None:
    """Keys that must be tables are tables; `rule` is an array of tables."""
    for key in TABLE_KEYS:
        if key in data and not isinstance(data[key], dict):
            ctx.fail(None, key, f"{key} = {data[key]!r}", say(f"一个 [{key}] 表", f"a [{key}] table"))
    rules = data.get("rule")
    if rules is not None and not isinstance(rules, list):
        ctx.fail(None, "rule", f"rule = {rules!r}", say("[[rule]] 表", "[[rule]] tables"))


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _fmt(value: float) -> str:
    if abs(value) >= 1e15:
        return f"{value:g}" if isinstance(value, float) else str(value)
    return str(int(value)) if float(value).is_integer() else str(value)
