"""The scenario: a recommendation round's rules as data, and the edits a planner makes to it.

Owns the immutable `Scenario` (year, period, candidate table, objective, switches, folds, pins,
history, calendar, `[plan]` and the rules) with its `with_*` edits, each returning a new
scenario and recording itself in `Scenario.edits` (`edits.Edit`); `load_scenario` and `parse_scenario`, which read the top of a scenario (name, year,
period, `[objective]`, `[switches]`, `[defaults]`, `[tasks]`, pins, paths) into one; and
`check_columns`, which holds the rules to a candidate table's columns. Does not own reading
files (`scenario_files`), checking a rule or `[plan]` table (`syntax`), the rule shapes
(`shapes`), any pandas work on candidates (`groups`) nor any number of the notice: every
quota, minimum and target comes from the file.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from planner.errors import PolicyError, Problem
from planner.inputs import load_catalogue
from planner.lang import say
from planner.rules.messages import (a_locality, a_task, either, one_of, suggest, true_or_false, unknown_column,
                                    unknown_key, unknown_task)
from planner.rules.edits import Edit
from planner.rules.publication import Publication, parse_publication
from planner.rules.scenario_files import read_scenario_file
from planner.rules.scoring import ScoringRule, parse_scoring
from planner.rules.shapes import SCOPES, TIE_BREAKS, Bound, PlanSettings, Rule, rule_to_toml
from planner.rules.syntax import (
    DEFAULT_KEYS,
    OBJECTIVE_KEYS,
    TOP_KEYS,
    Context,
    id_list,
    is_number,
    parse_fold,
    parse_plan,
    parse_rule,
)


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
    #: The what-if edits that made this scenario from the one loaded, in order (not part of
    #: equality: two scenarios with the same rules are the same scenario).
    edits: tuple[Edit, ...] = field(default=(), compare=False)
    # `[exemptions] tasks`: the tasks whose quotas an `exempt` project does not take (三(四), 三(六));
    # None = the scenario names none and `exempt` is not checked.
    exempt_tasks: tuple[str, ...] | None = None
    # `[publication]`: 文号, 落款, date, 公示 of the documents `planner publish` writes.
    publication: Publication = field(default_factory=Publication, compare=False)
    # `[scoring]`: how a panel's expert scores make a project's score (`planner scores`, `--scores`).
    scoring: ScoringRule = field(default_factory=ScoringRule, compare=False)

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
        raise PolicyError([Problem(self.label, say(f"没有规则[{rule_id}]", f'no rule "{rule_id}"'),
                                   say("情景中的规则编号之一", "one of the scenario's rule ids"),
                                   hint=suggest(rule_id, [r.id for r in self.rules]))])

    # --- what-if changes (each returns a new Scenario and records itself in `edits`) ----------
    def with_rule(self, rule: Rule | Mapping[str, Any], *, note: str = "") -> Scenario:
        """Add a rule, or replace the rule with the same id. A mapping uses the TOML syntax."""
        spec = dict(rule) if not isinstance(rule, Rule) else rule_to_toml(rule)
        rid = str(spec.get("id", ""))
        old = self._raw_rule(rid) if any(r.id == rid for r in self.rules) else None
        out = self._replace_rule(rule)
        clause = str(spec.get("clause") or (old or {}).get("clause") or "")
        words = str(spec.get("text") or (old or {}).get("text") or "")
        return out._edited(Edit("rule", rule=rid, old=old, new=spec, note=note, clause=clause, words=words))

    def without_rule(self, rule_id: str, *, note: str = "") -> Scenario:
        """Remove a rule (in a scenario file: ``[[rule]] id = "…"  enabled = false``)."""
        old = self.rule(rule_id)
        raw = dict(self.raw)
        raw["rule"] = [r for r in raw.get("rule", []) if not (isinstance(r, dict) and r.get("id") == rule_id)]
        out = dataclasses.replace(self, rules=tuple(r for r in self.rules if r.id != rule_id),
                                  raw=MappingProxyType(raw))
        return out._edited(Edit("remove_rule", rule=rule_id, old=self._raw_rule(rule_id), new=None, note=note,
                                clause=old.clause, words=old.text))

    def with_bound(self, rule_id: str, bound: str, value: float | None, group: str = "*", *,
                   note: str = "") -> Scenario:
        """Set `min` or `max` of a rule for one group (``"*"`` = every group not named).

        ``value=None`` removes the bound for that group. Recorded as a ``"bound"`` edit with
        the group's value before and after.
        """
        if bound not in ("min", "max"):
            raise PolicyError([Problem(self.label, say(f"界限“{bound}”", f'bound "{bound}"'), either(("min", "max")))])
        rule = self.rule(rule_id)
        current = getattr(rule, bound) or Bound(None)
        raw: dict[str, Any] = dict(current.groups)
        raw["*"] = current.default
        cat = load_catalogue()      # the group as the rule names it (an alias such as 长春 → 长春市)
        key = "*" if group == "*" else "|".join(cat.locality(part) or part for part in str(group).split("|"))
        raw[key] = value
        raw = {k: v for k, v in raw.items() if v is not None}
        spec = self._raw_rule(rule_id)
        spec[bound] = raw if set(raw) != {"*"} else raw["*"]
        if not raw:
            spec.pop(bound)
        out = self._replace_rule(spec)
        after = getattr(out.rule(rule_id), bound) or Bound(None)
        old = current.default if key == "*" else current.for_group(key)
        new = after.default if key == "*" else after.for_group(key)
        return out._edited(Edit("bound", rule=rule_id, group=key, key=bound, old=old, new=new, note=note,
                                clause=rule.clause, words=rule.text))

    def with_candidates(self, path: str | Path, *, note: str = "") -> Scenario:
        """Another candidate table for the same rules."""
        raw = {**self.raw, "candidates": str(path)}
        out = dataclasses.replace(self, candidates=Path(path), raw=MappingProxyType(raw))
        return out._edited(Edit("candidates", old=str(self.candidates) if self.candidates else None,
                                new=str(path), note=note))

    def with_switch(self, name: str, value: Any, *, note: str = "") -> Scenario:
        """Change a switch and re-read the rules (rules carry `when` conditions)."""
        data = dict(self.raw)
        switches = dict(data.get("switches", {}))
        if name not in switches:
            raise PolicyError([Problem(self.label, say(f"开关“{name}”", f'switch "{name}"'),
                                       say("[switches] 中的开关", "a switch named in [switches]"),
                                       hint=suggest(name, list(switches)))])
        old = switches[name]
        switches[name] = value
        data["switches"] = switches
        out = _with_overrides(self, parse_scenario(data, source=self.source))
        return out._edited(Edit("switch", key=name, old=old, new=value, note=note))

    def with_default_scope(self, scope: str, *, note: str = "") -> Scenario:
        """Every quota read per period (``"period"``) or per year (``"year"``): `[defaults] scope`.

        Rules whose file entry sets its own ``scope`` (the "by 2025" targets, the national
        splits) keep theirs, as rules added in Python with a scope of their own do.
        """
        if scope not in SCOPES:
            raise PolicyError([Problem(self.label, say(f"口径“{scope}”", f'scope "{scope}"'), either(SCOPES),
                                       column="defaults.scope", hint=suggest(str(scope), SCOPES))])
        raw = dict(self.raw)
        defaults = dict(raw.get("defaults", {}) or {})
        old = defaults.get("scope", "period")
        specs = {r.get("id"): r for r in raw.get("rule", []) if isinstance(r, dict)}
        rules = tuple(dataclasses.replace(r, scope=scope) if r.id in specs and "scope" not in specs[r.id] else r
                      for r in self.rules)
        raw["defaults"] = {**defaults, "scope": scope}
        out = dataclasses.replace(self, rules=rules, raw=MappingProxyType(raw))
        return out._edited(Edit("scope", key="defaults.scope", old=old, new=scope, note=note))

    def pinned(self, force_in: tuple[str, ...] | list[str] = (), force_out: tuple[str, ...] | list[str] = (), *,
               note: str = "", replace: bool = False) -> Scenario:
        """Pin candidates in or out (added to those the file pins; ``replace=True``: instead of them)."""
        lists = {}
        for key, given in (("force_in", force_in), ("force_out", force_out)):
            before = getattr(self, key)
            lists[key] = tuple(dict.fromkeys([*(() if replace else before), *map(str, given)]))
        out = dataclasses.replace(self, **lists, raw=MappingProxyType({**self.raw, **{k: list(v) for k, v in
                                                                                     lists.items()}}))
        for key, after in lists.items():
            if after != getattr(self, key):
                out = out._edited(Edit(key, old=list(getattr(self, key)), new=list(after), note=note))
        return out

    def folded(self, locality: str, into: str, *, note: str = "") -> Scenario:
        """Fold one locality into another (e.g. 梅河口市 into 通化市) for every rule."""
        cat = load_catalogue()
        problems = []
        src, dst = cat.locality(locality), cat.locality(into)
        for given, canon in ((locality, src), (into, dst)):
            if canon is None:
                problems.append(Problem(self.label, say(f"市（州）“{given}”", f'locality "{given}"'), a_locality(),
                                        hint=suggest(given, list(cat.localities))))
        if problems:
            raise PolicyError(problems)
        fold = dict(self.fold)
        old = fold.get(src)
        fold[src] = dst
        localities = {**dict(self.raw.get("localities", {}) or {}), "fold": dict(fold)}
        out = dataclasses.replace(self, fold=MappingProxyType(fold),
                                  raw=MappingProxyType({**self.raw, "localities": localities}))
        return out._edited(Edit("fold", key=src, old=old, new=dst, note=note))

    def with_history(self, *paths: str | Path, note: str = "") -> Scenario:
        """Slates of earlier rounds, locked (replacing the scenario's `history`)."""
        history = tuple(Path(p) for p in paths)
        out = dataclasses.replace(self, history=history,
                                  raw=MappingProxyType({**self.raw, "history": [str(p) for p in history]}))
        return out._edited(Edit("history", old=[str(p) for p in self.history], new=[str(p) for p in history],
                                note=note))

    def with_year(self, year: int, *, note: str = "") -> Scenario:
        """The same rules for another year of the period (e.g. to audit a planned year's slate)."""
        first, last = self.years
        if not isinstance(year, int) or isinstance(year, bool) or not first <= year <= last:
            raise PolicyError([Problem(self.label, say(f"年度 {year}", f"year {year}"),
                                       say(f"{first}–{last} 之间的年度（本周期）", f"a year in {first}–{last} (the period)"))])
        out = dataclasses.replace(self, year=int(year), raw=MappingProxyType({**self.raw, "year": int(year)}))
        return out._edited(Edit("year", old=self.year, new=int(year), note=note))

    def with_name(self, name: str, *, note: str = "") -> Scenario:
        """The same scenario under another name (shown in every output)."""
        out = dataclasses.replace(self, name=str(name), raw=MappingProxyType({**self.raw, "name": str(name)}))
        return out._edited(Edit("name", old=self.name, new=str(name), note=note))

    def with_plan(self, *, note: str = "", **changes: Any) -> Scenario:
        """Change `[plan]` settings (forecast, future_weight, through, reachability, …)."""
        data = dict(self.raw)
        current = dict(data.get("plan") or self.plan.as_toml())     # keeps switch-chosen values as written
        changes = {k: (list(map(str, v)) if k == "pools" else v) for k, v in changes.items()}
        plan = {**current, **changes}
        ctx = self._context()
        settings = parse_plan(plan, ctx)
        if ctx.problems:
            raise PolicyError(ctx.problems)
        data["plan"] = plan
        out = dataclasses.replace(self, plan=settings, raw=MappingProxyType(data))
        old = self.plan.as_toml()
        for key, value in changes.items():
            out = out._edited(Edit("plan", key=key, old=current.get(key, old.get(key)), new=value, note=note))
        return out

    def to_toml(self, path: str | Path | None = None, *, base: str | Path | None = None) -> str:
        """This scenario as a file that `extends` its base and holds only its edits.

        Each edit is written with a comment citing the base rule's clause and the edit's note;
        loading the file gives the same scenario. See `planner.rules.scenario_writer`.

        Parameters
        ----------
        path : path, optional
            Where to write the file (paths in it are written relative to its folder). None:
            only return the text (paths relative to the current folder).
        base : path, optional
            The file to extend (default: the file the scenario was loaded from).

        Returns
        -------
        str
            The TOML text.
        """
        from planner.rules.scenario_writer import write_scenario
        return write_scenario(self, path, base=base)

    # --- the edit log ------------------------------------------------------------------
    def _edited(self, edit: Edit) -> Scenario:
        return dataclasses.replace(self, edits=(*self.edits, edit))

    def _raw_rule(self, rule_id: str) -> dict[str, Any]:
        """The rule's table as the file wrote it (with `when`, defaults left implicit), or its
        TOML form when it was added in Python."""
        at = self._raw_index(rule_id)
        return dict(self.raw["rule"][at]) if at is not None else rule_to_toml(self.rule(rule_id))

    def _raw_index(self, rule_id: str) -> int | None:
        """Where the rule's table is in the file's rules: the one whose `when` holds now (a file
        may hold one id twice, for two readings of a switch), else the first with that id."""
        specs = list(self.raw.get("rule", []))
        found = [i for i, r in enumerate(specs) if isinstance(r, dict) and r.get("id") == rule_id]
        for i in found:
            when = specs[i].get("when") or {}
            if isinstance(when, dict) and all(self.switches.get(k) in (v if isinstance(v, list) else [v])
                                              for k, v in when.items()):
                return i
        return found[0] if found else None

    def _replace_rule(self, rule: Rule | Mapping[str, Any]) -> Scenario:
        """The scenario with `rule` added or replacing the rule of its id (rules and raw)."""
        if not isinstance(rule, Rule):
            spec = dict(rule)
            ctx = self._context()
            parsed = parse_rule(spec, ctx, fold=self.fold)
            if ctx.problems:
                raise PolicyError(ctx.problems)
        else:
            spec, parsed = rule_to_toml(rule), rule
        raw = dict(self.raw)
        specs = list(raw.get("rule", []))
        at = self._raw_index(str(spec.get("id")))
        if at is None:
            specs.append(spec)
        else:
            specs[at] = spec
        raw["rule"] = specs
        if parsed is None:      # switched off by its `when`
            return dataclasses.replace(self, raw=MappingProxyType(raw))
        rules = [r for r in self.rules if r.id != parsed.id]
        index = next((i for i, r in enumerate(self.rules) if r.id == parsed.id), len(rules))
        rules.insert(index, parsed)
        return dataclasses.replace(self, rules=tuple(rules), raw=MappingProxyType(raw))

    def _context(self) -> Context:
        return Context(self.label, str(self.raw.get("_text", "")), dict(self.switches),
                       dict(self.raw.get("defaults", {}) or {}))


# --- reading ----------------------------------------------------------------------------

def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file (and the files it `extends`).

    Raises
    ------
    PolicyError
        Every problem found in the file, each with file, line, rule id and key.
    """
    path = Path(path)
    data = read_scenario_file(path)
    return parse_scenario(data, source=path)


def parse_scenario(data: Mapping[str, Any], *, source: str | Path | None = None) -> Scenario:
    """Build a Scenario from parsed TOML (or an equivalent dict built in Python).

    Relative paths in `data` are taken relative to the current directory unless the
    data came from `load_scenario`, which resolves them against the file.
    """
    data = dict(data)
    text = data.pop("_text", "")
    sources = data.pop("_sources", [])
    label = Path(source).name if source else "<scenario>"
    ctx = Context(label, text, {}, {})
    cat = ctx.catalogue

    for key in data:
        if key not in TOP_KEYS:
            ctx.fail(None, key, unknown_key(key), one_of(TOP_KEYS),
                     hint=suggest(key, TOP_KEYS))
    name = data.get("name", label)
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        ctx.fail(None, "year", f"year = {year!r}", say("整数年份，如 year = 2023", "an integer year, e.g. year = 2023"))
        year = 0
    period = data.get("period")
    if period is not None:
        if (not isinstance(period, list) or len(period) != 2
                or not all(isinstance(y, int) for y in period) or period[0] > period[1]):
            ctx.fail(None, "period", f"period = {period!r}",
                     say("[首年, 末年]，如 [2023, 2025]", "[first_year, last_year], e.g. [2023, 2025]"))
            period = None
        else:
            period = (period[0], period[1])
            if not period[0] <= year <= period[1]:
                ctx.fail(None, "period", say(f"年度 {year} 不在周期 {period[0]}–{period[1]} 之内",
                                             f"year {year} outside period {period[0]}–{period[1]}"),
                         say("情景年度在其周期之内", "the scenario year inside its period"))

    objective = data.get("objective", {}) or {}
    for key in objective:
        if key not in OBJECTIVE_KEYS:
            ctx.fail(None, f"objective.{key}", unknown_key(key), one_of(OBJECTIVE_KEYS),
                     hint=suggest(key, OBJECTIVE_KEYS))
    maximise = objective.get("maximise", objective.get("maximize", "score"))
    pass_mark = objective.get("pass_mark")
    if pass_mark is not None and not is_number(pass_mark):
        ctx.fail(None, "objective.pass_mark", f"pass_mark = {pass_mark!r}", say("一个分数", "a number of score points"))
        pass_mark = None
    tie_break = objective.get("tie_break", "id_hash")
    if tie_break not in TIE_BREAKS:
        ctx.fail(None, "objective.tie_break", f'"{tie_break}"', either(TIE_BREAKS))

    ctx.switches = dict(data.get("switches", {}) or {})
    ctx.defaults = dict(data.get("defaults", {}) or {})
    for key in ctx.defaults:
        if key not in DEFAULT_KEYS:
            ctx.fail(None, f"defaults.{key}", unknown_key(key), one_of(DEFAULT_KEYS))

    fold = parse_fold(data.get("localities", {}) or {}, ctx)
    tasks_enabled = {code: task.enabled for code, task in cat.tasks.items()}
    for code, on in (data.get("tasks", {}) or {}).items():
        if code not in cat.tasks:
            ctx.fail(None, f"tasks.{code}", unknown_task(code), a_task(),
                     hint=suggest(code, list(cat.tasks)))
        elif not isinstance(on, bool):
            ctx.fail(None, f"tasks.{code}", f"{on!r}", true_or_false())
        else:
            tasks_enabled[code] = on

    rules: list[Rule] = []
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list):
        ctx.fail(None, "rule", say("rule 不是表的数组", "rule is not an array of tables"), say("[[rule]] 表", "[[rule]] tables"))
        raw_rules = []
    seen_ids: set[str] = set()
    for raw_rule in raw_rules:
        rule = parse_rule(raw_rule, ctx, fold=fold)
        if rule is None:
            continue
        if rule.id in seen_ids:
            ctx.fail(rule.id, "id", say(f"第二条编号为“{rule.id}”的规则", f'a second rule "{rule.id}"'),
                     say("互不相同的规则编号", "unique rule ids"))
        seen_ids.add(rule.id)
        rules.append(rule)

    force_in = id_list(data.get("force_in", []), "force_in", ctx)
    force_out = id_list(data.get("force_out", []), "force_out", ctx)
    both = sorted(set(force_in) & set(force_out))
    if both:
        ctx.fail(None, "force_in", say(f"候选既被固定入选又被固定落选：{'、'.join(both)}",
                                       f"candidates pinned both in and out: {', '.join(both)}"),
                 say("每个候选只固定一次", "each pinned once"))
    history = tuple(Path(h) for h in id_list(data.get("history", []), "history", ctx))
    candidates = data.get("candidates")
    if candidates is not None and not isinstance(candidates, str):
        ctx.fail(None, "candidates", f"candidates = {candidates!r}", say("CSV 或 xlsx 文件的路径", "a path to a CSV or xlsx file"))
        candidates = None
    calendar = data.get("calendar", [])
    exempt_tasks = _parse_exemptions(data.get("exemptions"), ctx)
    plan = parse_plan(data.get("plan", {}) or {}, ctx)
    publication = parse_publication(data.get("publication"), ctx, issuer=data.get("issuer"))
    scoring = parse_scoring(data.get("scoring"), ctx)
    if plan.through is not None and period is not None and not year <= plan.through <= period[1]:
        ctx.fail(None, "plan.through", f"through = {plan.through}",
                 say(f"{year}–{period[1]} 之间的年份", f"a year in {year}–{period[1]}"))

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
        exempt_tasks=exempt_tasks,
        publication=publication,
        scoring=scoring,
    )


EXEMPTION_KEYS = ("tasks", "clause", "text")


def _parse_exemptions(section: Any, ctx: Context) -> tuple[str, ...] | None:
    """`[exemptions]`: ``tasks`` = catalogue task codes whose quotas exempt projects do not take."""
    if section is None:
        return None
    if not isinstance(section, dict):
        ctx.fail(None, "exemptions", f"{section!r}", say('一个表：[exemptions] tasks = ["resource_library", …]',
                                                         'a table: [exemptions] tasks = ["resource_library", …]'))
        return None
    for key in section:
        if key not in EXEMPTION_KEYS:
            ctx.fail(None, f"exemptions.{key}", unknown_key(key), one_of(EXEMPTION_KEYS),
                     hint=suggest(key, EXEMPTION_KEYS))
    tasks = section.get("tasks", [])
    if not isinstance(tasks, list) or not all(isinstance(t, str) for t in tasks):
        ctx.fail(None, "exemptions.tasks", f"{tasks!r}", say("任务代码的列表", "a list of task codes"))
        return None
    for code in tasks:
        if code not in ctx.catalogue.tasks:
            ctx.fail(None, "exemptions.tasks", unknown_task(code), a_task(),
                     hint=suggest(code, list(ctx.catalogue.tasks)))
    return tuple(tasks)


def _with_overrides(old: Scenario, new: Scenario) -> Scenario:
    """Keep changes made in Python (pins, folds, candidates) when re-reading the rules."""
    return dataclasses.replace(new, force_in=old.force_in, force_out=old.force_out, fold=old.fold,
                               candidates=old.candidates, history=old.history, edits=old.edits)


def check_columns(scenario: Scenario, columns: list[str] | tuple[str, ...]) -> None:
    """Every column a rule or the objective names must exist in the candidate table."""
    ctx = Context(scenario.label, str(scenario.raw.get("_text", "")), dict(scenario.switches), {})
    available = set(columns)
    ctx.named.update({rule.id: (rule.clause, rule.text) for rule in scenario.rules})
    for rule in scenario.rules:
        for col in sorted(rule.columns()):
            if col not in available:
                key = "measure" if col == rule.column else ("per" if col in rule.per else f"where.{col}")
                ctx.fail(rule.id, key, unknown_column(col), say("候选表中的列", "a column of the candidate table"),
                         hint=suggest(col, sorted(available)))
    if scenario.maximise not in available:
        ctx.fail(None, "objective.maximise", unknown_column(scenario.maximise), say("一个数值列", "a numeric column"),
                 hint=suggest(scenario.maximise, sorted(available)))
    if ctx.problems:
        raise PolicyError(ctx.problems)
