"""Scenario files: the notice's rules as data.

Owns reading a scenario TOML file (with `extends`, `[switches]`, `[defaults]` and per-rule
`when`), checking every key, code, locality and bound in it, and the immutable `Scenario`,
`Rule` and `Bound` values a planner changes with `Scenario.with_*` methods. Does not own any
pandas work on candidates (that is `groups`) nor any number of the notice: every quota,
minimum and target comes from the file.
"""
from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from planner.errors import PolicyError, Problem
from planner.inputs import Catalogue, clean_text, load_catalogue, suggest

# Columns every candidate frame has, with the kind of value a `where` may compare them to.
BOOL_COLUMNS = ("integrated", "exempt", "eligible")
NUMBER_COLUMNS = ("year", "score", "cost")
CATALOGUE_COLUMNS = ("task", "track", "unit_kind", "tier", "level", "locality")
TEXT_COLUMNS = ("candidate_id", "title", "unit_id", "unit_name")
KNOWN_COLUMNS = TEXT_COLUMNS + CATALOGUE_COLUMNS + BOOL_COLUMNS + NUMBER_COLUMNS

TOP_KEYS = (
    "name", "description", "year", "period", "candidates", "extends", "objective", "switches",
    "defaults", "localities", "tasks", "force_in", "force_out", "history", "calendar", "rule", "plan",
)
RULE_KEYS = (
    "id", "clause", "text", "where", "per", "measure", "min", "max", "scope", "decision", "soft",
    "by", "complete", "when", "cost", "note", "enabled",
)
OBJECTIVE_KEYS = ("maximise", "maximize", "pass_mark", "tie_break")
DEFAULT_KEYS = ("scope", "decision", "cost")
SCOPES = ("period", "year")
DECISIONS = ("provincial", "national", "filing")
COMPARATORS = ("not", "in", "ge", "gt", "le", "lt")
TIE_BREAKS = ("id_hash", "none")
PLAN_KEYS = ("forecast", "future_weight", "through", "reachability", "reachability_weight", "pools")
FORECASTS = ("auto", "repeat", "table", "none")
REACHABILITY = ("hard", "soft", "off")


@dataclass(frozen=True)
class Bound:
    """A rule's min or max: one number for every group, or a map keyed by group.

    ``default`` is the value for groups not named (``"*"``, or the scalar form);
    ``groups`` maps a normalised group key (values of the `per` columns joined by ``|``).
    """

    default: float | None
    groups: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    def for_group(self, key: str) -> float | None:
        return self.groups.get(key, self.default)

    def as_toml(self) -> Any:
        if not self.groups:
            return self.default
        out = dict(self.groups)
        if self.default is not None:
            out["*"] = self.default
        return out


@dataclass(frozen=True)
class Rule:
    """One rule of the notice, as a shape: count or sum, per group, min/max, scope, hard/soft."""

    id: str
    clause: str
    text: str
    where: Mapping[str, tuple[tuple[str, Any], ...]]   # column -> ((op, value), ...)
    per: tuple[str, ...] = ()
    measure: str = "count"
    min: Bound | None = None
    max: Bound | None = None
    scope: str = "period"
    decision: str = "provincial"
    soft_weight: float | None = None
    by: int | None = None
    complete: bool = False
    relax_cost: float = 1.0
    line: int | None = None

    @property
    def column(self) -> str | None:
        """The summed column of a `sum:<column>` measure, None for `count`."""
        return self.measure.split(":", 1)[1] if self.measure.startswith("sum:") else None

    @property
    def soft(self) -> bool:
        return self.soft_weight is not None

    def columns(self) -> set[str]:
        cols = set(self.where) | set(self.per)
        if self.column:
            cols.add(self.column)
        return cols


@dataclass(frozen=True)
class PlanSettings:
    """How a round looks ahead to the later years of its period (`[plan]`; see docs/multi-year.md).

    Attributes
    ----------
    forecast : str
        Where later years' candidates come from: ``"table"`` = rows of later years in the
        candidate table; ``"repeat"`` = a copy of this year's pool for every later year (the
        assumption "future rounds bring a pool like this one"); ``"auto"`` = the table's rows
        for a later year that has some, a copy of this year's pool otherwise; ``"none"`` = no
        lookahead (each round on its own, the 2025 minimums only checked in 2025).
    future_weight : float
        What a planned pick in year ``this + k`` is worth in this round's objective, as
        ``future_weight ** k`` times its score: 1 = as much as a pick now (quotas are spread over
        the years by merit), 0 = nothing (this year's best first; later years only have to
        stay feasible).
    through : int or None
        Last year planned ahead (default: the period's last year).
    reachability : str
        A hard "by" minimum of a later year binds on the planned cumulative count:
        ``"hard"`` (the round is infeasible if it would make the minimum unreachable),
        ``"soft"`` (each missing unit costs ``reachability_weight`` points), ``"off"``.
    pools : tuple of Path
        Candidate tables of later years that `planner plan` adds as forecast pools.
    """

    forecast: str = "none"
    future_weight: float = 1.0
    through: int | None = None
    reachability: str = "hard"
    reachability_weight: float = 1000.0
    pools: tuple[Path, ...] = ()

    def as_toml(self) -> dict[str, Any]:
        out: dict[str, Any] = {"forecast": self.forecast, "future_weight": self.future_weight,
                               "reachability": self.reachability, "reachability_weight": self.reachability_weight,
                               "pools": [str(p) for p in self.pools]}
        if self.through is not None:
            out["through"] = self.through
        return out


@dataclass(frozen=True)
class Scenario:
    """A recommendation round: the year, the candidate table and the rules. Immutable.

    Every ``with_*`` method returns a new scenario; the original is never changed.
    """

    name: str
    year: int
    rules: tuple[Rule, ...]
    period: tuple[int, int] | None = None
    candidates: Path | None = None
    maximise: str = "score"
    pass_mark: float | None = None
    tie_break: str = "id_hash"
    switches: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    fold: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    tasks_enabled: Mapping[str, bool] = field(default_factory=lambda: MappingProxyType({}))
    force_in: tuple[str, ...] = ()
    force_out: tuple[str, ...] = ()
    history: tuple[Path, ...] = ()
    calendar: tuple[Mapping[str, Any], ...] = ()
    source: Path | None = None
    raw: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), repr=False, compare=False)
    plan: PlanSettings = field(default_factory=PlanSettings)

    # --- the years ----------------------------------------------------------------
    @property
    def years(self) -> tuple[int, int]:
        """First and last year of the planning period (the scenario year if none is set)."""
        return self.period or (self.year, self.year)

    @property
    def planned_years(self) -> tuple[int, ...]:
        """The later years this round plans ahead for (empty without lookahead)."""
        if self.plan.forecast == "none":
            return ()
        last = self.years[1] if self.plan.through is None else min(self.plan.through, self.years[1])
        return tuple(range(self.year + 1, last + 1))

    @property
    def label(self) -> str:
        return self.source.name if self.source else "<scenario>"

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise PolicyError([Problem(self.label, f'no rule "{rule_id}"', "one of the scenario\'s rule ids",
                                   hint=suggest(rule_id, [r.id for r in self.rules]))])

    # --- what-if changes (each returns a new Scenario) -----------------------------
    def with_rule(self, rule: Rule | Mapping[str, Any]) -> Scenario:
        """Add a rule, or replace the rule with the same id. A mapping uses the TOML syntax."""
        if not isinstance(rule, Rule):
            ctx = self._context()
            parsed = parse_rule(dict(rule), ctx, fold=self.fold)
            if ctx.problems:
                raise PolicyError(ctx.problems)
            if parsed is None:      # switched off by its `when`
                return self
            rule = parsed
        rules = [r for r in self.rules if r.id != rule.id]
        index = next((i for i, r in enumerate(self.rules) if r.id == rule.id), len(rules))
        rules.insert(index, rule)
        return dataclasses.replace(self, rules=tuple(rules))

    def without_rule(self, rule_id: str) -> Scenario:
        self.rule(rule_id)
        return dataclasses.replace(self, rules=tuple(r for r in self.rules if r.id != rule_id))

    def with_bound(self, rule_id: str, bound: str, value: float | None, group: str = "*") -> Scenario:
        """Set `min` or `max` of a rule for one group (``"*"`` = every group not named)."""
        if bound not in ("min", "max"):
            raise PolicyError([Problem(self.label, f'bound "{bound}"', '"min" or "max"')])
        rule = self.rule(rule_id)
        current = getattr(rule, bound) or Bound(None)
        raw: dict[str, Any] = dict(current.groups)
        raw["*"] = current.default
        key = "*" if group == "*" else group
        raw[key] = value
        raw = {k: v for k, v in raw.items() if v is not None}
        spec = rule_to_toml(rule)
        spec[bound] = raw if set(raw) != {"*"} else raw["*"]
        if not raw:
            spec.pop(bound)
        return self.with_rule(spec)

    def with_candidates(self, path: str | Path) -> Scenario:
        return dataclasses.replace(self, candidates=Path(path))

    def with_switch(self, name: str, value: Any) -> Scenario:
        """Change a switch and re-read the rules (rules carry `when` conditions)."""
        data = dict(self.raw)
        switches = dict(data.get("switches", {}))
        if name not in switches:
            raise PolicyError([Problem(self.label, f'switch "{name}"', "a switch named in [switches]",
                                       hint=suggest(name, list(switches)))])
        switches[name] = value
        data["switches"] = switches
        return _with_overrides(self, parse_scenario(data, source=self.source))

    def pinned(self, force_in: tuple[str, ...] | list[str] = (), force_out: tuple[str, ...] | list[str] = ()) -> Scenario:
        """Pin candidates in or out (added to those the file pins)."""
        return dataclasses.replace(
            self,
            force_in=tuple(dict.fromkeys([*self.force_in, *map(str, force_in)])),
            force_out=tuple(dict.fromkeys([*self.force_out, *map(str, force_out)])),
        )

    def folded(self, locality: str, into: str) -> Scenario:
        """Fold one locality into another (e.g. 梅河口市 into 通化市) for every rule."""
        cat = load_catalogue()
        problems = []
        src, dst = cat.locality(locality), cat.locality(into)
        for given, canon in ((locality, src), (into, dst)):
            if canon is None:
                problems.append(Problem(self.label, f'locality "{given}"', "one of the catalogue localities",
                                        hint=suggest(given, list(cat.localities))))
        if problems:
            raise PolicyError(problems)
        fold = dict(self.fold)
        fold[src] = dst
        return dataclasses.replace(self, fold=MappingProxyType(fold))

    def with_history(self, *paths: str | Path) -> Scenario:
        return dataclasses.replace(self, history=tuple(Path(p) for p in paths))

    def with_year(self, year: int) -> Scenario:
        """The same rules for another year of the period (e.g. to audit a planned year's slate)."""
        first, last = self.years
        if not first <= year <= last:
            raise PolicyError([Problem(self.label, f"year {year}", f"a year in {first}–{last} (the period)")])
        return dataclasses.replace(self, year=int(year))

    def with_plan(self, **changes: Any) -> Scenario:
        """Change `[plan]` settings (forecast, future_weight, through, reachability, …)."""
        data = dict(self.raw)
        current = dict(data.get("plan") or self.plan.as_toml())     # keeps switch-chosen values as written
        plan = {**current, **{k: (list(map(str, v)) if k == "pools" else v) for k, v in changes.items()}}
        ctx = self._context()
        settings = parse_plan(plan, ctx)
        if ctx.problems:
            raise PolicyError(ctx.problems)
        data["plan"] = plan
        return dataclasses.replace(self, plan=settings, raw=MappingProxyType(data))

    def _context(self) -> _Context:
        return _Context(self.label, "", dict(self.switches), {})


# --- reading ----------------------------------------------------------------------------

@dataclass
class _Context:
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


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file (and the files it `extends`).

    Raises
    ------
    PolicyError
        Every problem found in the file, each with file, line, rule id and key.
    """
    path = Path(path)
    data = _read_merged(path, seen=())
    return parse_scenario(data, source=path)


def _read_toml(path: Path) -> tuple[dict[str, Any], str]:
    if not path.is_file():
        raise PolicyError([Problem(str(path), "no such file", "a scenario TOML file")])
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PolicyError([Problem(str(path), f"bytes that are not UTF-8 (at byte {exc.start})",
                                   "a UTF-8 TOML file")]) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"at line (\d+), column (\d+)", msg)
        line, col = (int(m.group(1)), m.group(2)) if m else (None, None)
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
        raise PolicyError([Problem(str(path), f"TOML syntax error: {reason}", "valid TOML",
                                   row=line, column=f"column {col}" if col else None)]) from None


def _read_merged(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    """Read `path`, resolve its relative paths, and merge it over the file it extends."""
    resolved = path.resolve()
    if resolved in seen:
        chain = " → ".join(p.name for p in (*seen, resolved))
        raise PolicyError([Problem(str(path), f"a cycle of extends: {chain}", "a chain of files without cycles")])
    data, text = _read_toml(path)
    data["_text"] = text
    data["_sources"] = [str(path)]
    for key in ("candidates",):
        if isinstance(data.get(key), str):
            data[key] = str(_resolve(path, data[key], key))
    if isinstance(data.get("history"), list):
        data["history"] = [str(_resolve(path, h, "history")) if isinstance(h, str) else h for h in data["history"]]
    plan = data.get("plan")
    if isinstance(plan, dict) and isinstance(plan.get("pools"), list):
        data["plan"] = {**plan, "pools": [str(_resolve(path, p, "plan.pools")) if isinstance(p, str) else p
                                          for p in plan["pools"]]}
    base_ref = data.pop("extends", None)
    if base_ref is None:
        return data
    if not isinstance(base_ref, str):
        raise PolicyError([Problem(str(path), f"extends = {base_ref!r}", "a path to another scenario file",
                                   column="extends")])
    base = _read_merged(_resolve(path, base_ref, "extends"), seen=(*seen, resolved))
    return _merge(base, data)


# Folders a scenario never reads from: an absolute or ../-escaping path into them is an error,
# not something to follow silently (a scenario file may come from someone else).
SYSTEM_PREFIXES = ("/etc", "/proc", "/sys", "/dev", "/boot", "/bin", "/sbin", "/run", "/var/run")


def _resolve(scenario_path: Path, ref: str, key: str = "path") -> Path:
    """A path named in a scenario, relative to the scenario file; never into a system folder."""
    ref_path = Path(ref)
    target = ref_path if ref_path.is_absolute() else (scenario_path.parent / ref_path)
    resolved = str(target.resolve())
    for prefix in SYSTEM_PREFIXES:
        if resolved == prefix or resolved.startswith(prefix + "/"):
            raise PolicyError([Problem(str(scenario_path), f'{key} = "{ref}", which resolves to {resolved} '
                                       f"(a system location)",
                                       "a path to the project's data, relative to the scenario file",
                                       column=key)])
    return target


def _merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Child over base: tables merge key by key, rules by id, everything else is replaced."""
    out = dict(base)
    for key, value in child.items():
        if key == "rule":
            rules = list(base.get("rule", []))
            index = {r.get("id"): i for i, r in enumerate(rules) if isinstance(r, dict)}
            for r in value if isinstance(value, list) else []:
                rid = r.get("id") if isinstance(r, dict) else None
                if rid in index:
                    rules[index[rid]] = r
                else:
                    rules.append(r)
            out["rule"] = [r for r in rules if not (isinstance(r, dict) and r.get("enabled") is False)]
        elif isinstance(value, dict) and isinstance(base.get(key), dict) and key != "_text":
            out[key] = {**base[key], **value}
        else:
            out[key] = value
    out["_text"] = base.get("_text", "") + "\n" + child.get("_text", "")
    out["_sources"] = [*child.get("_sources", []), *base.get("_sources", [])]
    return out


def parse_scenario(data: Mapping[str, Any], *, source: str | Path | None = None) -> Scenario:
    """Build a Scenario from parsed TOML (or an equivalent dict built in Python).

    Relative paths in `data` are taken relative to the current directory unless the
    data came from `load_scenario`, which resolves them against the file.
    """
    data = dict(data)
    text = data.pop("_text", "")
    sources = data.pop("_sources", [])
    label = Path(source).name if source else "<scenario>"
    ctx = _Context(label, text, {}, {})
    cat = ctx.catalogue

    for key in data:
        if key not in TOP_KEYS:
            ctx.fail(None, key, f'unknown key "{key}"', "one of " + ", ".join(TOP_KEYS),
                     hint=suggest(key, TOP_KEYS))
    name = data.get("name", label)
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        ctx.fail(None, "year", f"year = {year!r}", "an integer year, e.g. year = 2023")
        year = 0
    period = data.get("period")
    if period is not None:
        if (not isinstance(period, list) or len(period) != 2
                or not all(isinstance(y, int) for y in period) or period[0] > period[1]):
            ctx.fail(None, "period", f"period = {period!r}", "[first_year, last_year], e.g. [2023, 2025]")
            period = None
        else:
            period = (period[0], period[1])
            if not period[0] <= year <= period[1]:
                ctx.fail(None, "period", f"year {year} outside period {period[0]}–{period[1]}",
                         "the scenario year inside its period")

    objective = data.get("objective", {}) or {}
    for key in objective:
        if key not in OBJECTIVE_KEYS:
            ctx.fail(None, f"objective.{key}", f'unknown key "{key}"', "one of " + ", ".join(OBJECTIVE_KEYS),
                     hint=suggest(key, OBJECTIVE_KEYS))
    maximise = objective.get("maximise", objective.get("maximize", "score"))
    pass_mark = objective.get("pass_mark")
    if pass_mark is not None and not _is_number(pass_mark):
        ctx.fail(None, "objective.pass_mark", f"pass_mark = {pass_mark!r}", "a number of score points")
        pass_mark = None
    tie_break = objective.get("tie_break", "id_hash")
    if tie_break not in TIE_BREAKS:
        ctx.fail(None, "objective.tie_break", f'"{tie_break}"', " or ".join(TIE_BREAKS))

    ctx.switches = dict(data.get("switches", {}) or {})
    ctx.defaults = dict(data.get("defaults", {}) or {})
    for key in ctx.defaults:
        if key not in DEFAULT_KEYS:
            ctx.fail(None, f"defaults.{key}", f'unknown key "{key}"', "one of " + ", ".join(DEFAULT_KEYS))

    fold = _parse_fold(data.get("localities", {}) or {}, ctx)
    tasks_enabled = {code: task.enabled for code, task in cat.tasks.items()}
    for code, on in (data.get("tasks", {}) or {}).items():
        if code not in cat.tasks:
            ctx.fail(None, f"tasks.{code}", f'unknown task "{code}"', "a catalogue task code",
                     hint=suggest(code, list(cat.tasks)))
        elif not isinstance(on, bool):
            ctx.fail(None, f"tasks.{code}", f"{on!r}", "true or false")
        else:
            tasks_enabled[code] = on

    rules: list[Rule] = []
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list):
        ctx.fail(None, "rule", "rule is not an array of tables", "[[rule]] tables")
        raw_rules = []
    seen_ids: set[str] = set()
    for raw_rule in raw_rules:
        rule = parse_rule(raw_rule, ctx, fold=fold)
        if rule is None:
            continue
        if rule.id in seen_ids:
            ctx.fail(rule.id, "id", f'a second rule "{rule.id}"', "unique rule ids")
        seen_ids.add(rule.id)
        rules.append(rule)

    force_in = _id_list(data.get("force_in", []), "force_in", ctx)
    force_out = _id_list(data.get("force_out", []), "force_out", ctx)
    both = sorted(set(force_in) & set(force_out))
    if both:
        ctx.fail(None, "force_in", f"candidates pinned both in and out: {', '.join(both)}", "each pinned once")
    history = tuple(Path(h) for h in _id_list(data.get("history", []), "history", ctx))
    candidates = data.get("candidates")
    if candidates is not None and not isinstance(candidates, str):
        ctx.fail(None, "candidates", f"candidates = {candidates!r}", "a path to a CSV or xlsx file")
        candidates = None
    calendar = data.get("calendar", [])
    plan = parse_plan(data.get("plan", {}) or {}, ctx)
    if plan.through is not None and period is not None and not year <= plan.through <= period[1]:
        ctx.fail(None, "plan.through", f"through = {plan.through}", f"a year in {year}–{period[1]}")

    if ctx.problems:
        raise PolicyError(ctx.problems)
    data_keep = dict(data)
    data_keep["_text"] = text
    data_keep["_sources"] = list(sources)
    return Scenario(
        name=str(name),
        year=year,
        period=period,
        rules=tuple(rules),
        candidates=Path(candidates) if candidates else None,
        maximise=str(maximise),
        pass_mark=float(pass_mark) if pass_mark is not None else None,
        tie_break=tie_break,
        switches=MappingProxyType(ctx.switches),
        fold=MappingProxyType(fold),
        tasks_enabled=MappingProxyType(tasks_enabled),
        force_in=force_in,
        force_out=force_out,
        history=history,
        calendar=tuple(calendar) if isinstance(calendar, list) else (),
        source=Path(source) if source else None,
        raw=MappingProxyType(data_keep),
        plan=plan,
    )


def _switched(value: Any, key: str, ctx: _Context) -> Any:
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


def parse_plan(section: Any, ctx: _Context) -> PlanSettings:
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
            if not _is_number(v) or v < 0 or (key == "future_weight" and v > 1):
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
        out["pools"] = tuple(Path(p) for p in _id_list(values["pools"], "plan.pools", ctx))
    return PlanSettings(**out)


def _with_overrides(old: Scenario, new: Scenario) -> Scenario:
    """Keep changes made in Python (pins, folds, candidates) when re-reading the rules."""
    return dataclasses.replace(new, force_in=old.force_in, force_out=old.force_out, fold=old.fold,
                               candidates=old.candidates, history=old.history)


def _parse_fold(section: Mapping[str, Any], ctx: _Context) -> dict[str, str]:
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


def _id_list(value: Any, key: str, ctx: _Context) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        ctx.fail(None, key, f"{key} = {value!r}", "a list of strings")
        return ()
    return tuple(clean_text(v) for v in value)


def parse_rule(raw: Any, ctx: _Context, *, fold: Mapping[str, str] | None = None) -> Rule | None:
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
        if not _is_number(w) or w <= 0:
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
    if not _is_number(cost) or cost <= 0:
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


def _parse_where(where: Any, rid: str, ctx: _Context) -> dict[str, tuple[tuple[str, Any], ...]]:
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


def _where_value(column: str, op: str, value: Any, rid: str, ctx: _Context) -> Any:
    """Check a `where` value against what the column holds; localities are normalised."""
    if op in ("ge", "gt", "le", "lt"):
        if not _is_number(value):
            ctx.fail(rid, f"where.{column}", f"{op} = {value!r}", "a number")
        return value
    values = value if isinstance(value, list) else [value]
    checked = [_scalar_where(column, v, rid, ctx) for v in values]
    return tuple(checked) if isinstance(value, list) else checked[0]


def _scalar_where(column: str, value: Any, rid: str, ctx: _Context) -> Any:
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
    elif column in NUMBER_COLUMNS and not _is_number(value):
        ctx.fail(rid, f"where.{column}", f"{value!r}", "a number")
    return value


def _parse_bound(value: Any, which: str, rid: str, per: list[str], ctx: _Context,
                 fold: Mapping[str, str]) -> Bound | None:
    if value is None:
        return None
    if _is_number(value):
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
        if not _is_number(v) or v < 0:
            ctx.fail(rid, which, f'{which}["{key}"] = {v!r}', "a number ≥ 0")
            continue
        if key == "*":
            default = float(v)
            continue
        norm = normalise_group_key(key, per, ctx, rid, which, fold)
        if norm is not None:
            groups[norm] = float(v)
    return Bound(default, MappingProxyType(groups))


def normalise_group_key(key: str, per: list[str] | tuple[str, ...], ctx: _Context, rid: str, which: str,
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


def check_columns(scenario: Scenario, columns: list[str] | tuple[str, ...]) -> None:
    """Every column a rule or the objective names must exist in the candidate table."""
    ctx = _Context(scenario.label, str(scenario.raw.get("_text", "")), dict(scenario.switches), {})
    available = set(columns)
    for rule in scenario.rules:
        for col in sorted(rule.columns()):
            if col not in available:
                key = "measure" if col == rule.column else ("per" if col in rule.per else f"where.{col}")
                ctx.fail(rule.id, key, f'unknown column "{col}"', "a column of the candidate table",
                         hint=suggest(col, sorted(available)))
    if scenario.maximise not in available:
        ctx.fail(None, "objective.maximise", f'unknown column "{scenario.maximise}"', "a numeric column",
                 hint=suggest(scenario.maximise, sorted(available)))
    if ctx.problems:
        raise PolicyError(ctx.problems)


def rule_to_toml(rule: Rule) -> dict[str, Any]:
    """The TOML-syntax mapping of a rule (round-trips through `parse_rule`)."""
    where: dict[str, Any] = {}
    for col, conds in rule.where.items():
        if len(conds) == 1 and conds[0][0] in ("eq", "in"):
            v = conds[0][1]
            where[col] = list(v) if isinstance(v, tuple) else v
        else:
            where[col] = {op: (list(v) if isinstance(v, tuple) else v) for op, v in conds}
    spec: dict[str, Any] = {"id": rule.id, "clause": rule.clause, "text": rule.text, "where": where,
                            "per": list(rule.per), "measure": rule.measure, "scope": rule.scope,
                            "decision": rule.decision, "complete": rule.complete, "cost": rule.relax_cost}
    if rule.min is not None:
        spec["min"] = rule.min.as_toml()
    if rule.max is not None:
        spec["max"] = rule.max.as_toml()
    if rule.soft_weight is not None:
        spec["soft"] = {"weight": rule.soft_weight}
    if rule.by is not None:
        spec["by"] = rule.by
    return spec


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
