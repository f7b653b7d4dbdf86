"""An independent, brute-force reading of the scenario semantics, for the tests only.

Written from docs/ARCHITECTURE.md ("Scenario semantics", "The candidate frame") and the
notice digest, NOT from planner.groups / planner.audit / planner.model: it reads the scenario
as the TOML mapping a planner writes (not the parsed `Scenario`), so the parser, the grouping,
the auditor, the model and the solver are all checked against it. It imports only the
catalogue (a list of codes and locality aliases — data, not logic).

Rows are plain dicts with typed values::

    candidate_id str, year int, task str, track str, title str, unit_id str, unit_name str,
    unit_kind str, tier str, locality str (canonical), level str, score float, cost float,
    integrated/exempt/eligible bool  (+ selected/national bool on history rows)

Semantics implemented (the reading the tests hold the planner to):

- A row can be selected iff its year is the scenario year, its task is switched on
  (catalogue default, overridden by ``[tasks]``), it is eligible, its objective column
  reaches ``pass_mark`` (if set) and it is not in ``force_out``. ``force_in`` rows must be
  selected. National implies provincial; only rows some national rule matches may be national.
- ``where``: columns ANDed; scalar = equality, list = membership, bool matches bool,
  ``{not = x}`` negates (x scalar or list), ``{in = [...]}``, ``{ge/gt/le/lt = n}``.
- ``per``: one group per value combination among the rule's countable matched rows (this
  year's rows; for ``scope = "period"`` also every row of the locked earlier rounds, selected
  or not), keyed by values joined with ``|``; groups named in a bound map always exist;
  ``complete`` adds every catalogue value of the per columns. No ``per``: one group.
- value = Σ measure over chosen rows (``selected``, or ``national`` for national rules),
  history rows with their recorded flags included for period scope.
- bounds: scalar for every group, map by group with ``"*"`` for the rest; a ``by`` year later
  than the scenario year switches ``min`` off; soft rules cost ``weight`` × violation.
- ``filing`` rules never constrain the slate; they count what was filed (this round's rows,
  plus every earlier round's row for period scope). ``when`` keeps a rule only if every switch
  has (one of) the wanted value(s).
- Objective: Σ score of selected − Σ soft penalties; then, with that optimum kept, the most
  national score.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from planner.inputs import load_catalogue

EPS = 1e-6
BOOL_COLS = ("integrated", "exempt", "eligible", "selected", "national")
NUM_COLS = ("year", "score", "cost")


def canon(locality: Any) -> str:
    cat = load_catalogue()
    return cat.locality(str(locality)) or str(locality)


def key_text(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --------------------------------------------------------------------------- where
def _eq(column: str, value: Any, wanted: Any) -> bool:
    if column in BOOL_COLS or isinstance(wanted, bool):
        return bool(value) == wanted if isinstance(wanted, bool) else False
    if column in NUM_COLS:
        try:
            return float(value) == float(wanted)
        except (TypeError, ValueError):
            return False
    if column == "locality":
        return str(value) == canon(wanted)
    return str(value) == str(wanted)


def _member(column: str, value: Any, wanted: Any) -> bool:
    options = wanted if isinstance(wanted, (list, tuple)) else [wanted]
    return any(_eq(column, value, w) for w in options)


def matches(row: dict, where: dict) -> bool:
    for column, spec in where.items():
        value = row[column]
        if isinstance(spec, dict):
            for op, wanted in spec.items():
                if op == "not":
                    ok = not _member(column, value, wanted)
                elif op == "in":
                    ok = _member(column, value, wanted)
                else:
                    number = float(value)
                    ok = {"ge": number >= wanted, "gt": number > wanted,
                          "le": number <= wanted, "lt": number < wanted}[op]
                if not ok:
                    return False
        elif isinstance(spec, list):
            if not _member(column, value, spec):
                return False
        elif not _eq(column, value, spec):
            return False
    return True


# --------------------------------------------------------------------------- rules
@dataclass
class OracleRule:
    id: str
    where: dict
    per: list
    measure: str
    min: Any
    max: Any
    scope: str
    decision: str
    weight: float | None
    by: int | None
    complete: bool

    @property
    def column(self) -> str | None:
        return self.measure.split(":", 1)[1] if self.measure.startswith("sum:") else None

    def norm_key(self, key: str) -> str:
        parts = str(key).split("|")
        return "|".join(canon(p) if c == "locality" else p for c, p in zip(self.per, parts))

    def bound(self, which: str, key: str, year: int) -> float | None:
        if which == "min" and self.by is not None and year < self.by:
            return None
        spec = self.min if which == "min" else self.max
        if spec is None:
            return None
        if not isinstance(spec, dict):
            return float(spec)
        table = {("*" if k == "*" else self.norm_key(k)): float(v) for k, v in spec.items()}
        return table.get(key, table.get("*"))

    def named(self, fold: dict) -> set[str]:
        if not self.per:
            return {"(all)"}
        names = set()
        for spec in (self.min, self.max):
            if isinstance(spec, dict):
                names |= {self.norm_key(k) for k in spec if k != "*"}
        if self.complete:
            cat = load_catalogue()
            domains = []
            for column in self.per:
                if column == "locality":
                    domains.append([loc for loc in cat.localities if loc not in fold])
                else:
                    domains.append(cat.codes(column) or [])
            names |= {"|".join(combo) for combo in itertools.product(*domains)}
        return names

    def group_key(self, row: dict) -> str:
        return "|".join(key_text(row[c]) for c in self.per) if self.per else "(all)"

    def weight_of(self, row: dict) -> float:
        return 1.0 if self.column is None else float(row[self.column])


def active_rules(scenario: dict) -> list[OracleRule]:
    switches = scenario.get("switches", {})
    defaults = scenario.get("defaults", {})
    out = []
    for raw in scenario.get("rule", []):
        spec = {**defaults, **raw}
        when = spec.get("when", {})
        if any(switches.get(k) not in (v if isinstance(v, list) else [v]) for k, v in when.items()):
            continue
        if spec.get("enabled") is False:
            continue
        per = spec.get("per", [])
        per = [per] if isinstance(per, str) else list(per)
        soft = spec.get("soft")
        out.append(OracleRule(
            id=spec["id"], where=spec.get("where", {}), per=per, measure=spec.get("measure", "count"),
            min=spec.get("min"), max=spec.get("max"), scope=spec.get("scope", "period"),
            decision=spec.get("decision", "provincial"), weight=(soft or {}).get("weight") if soft else None,
            by=spec.get("by"), complete=bool(spec.get("complete", False)),
        ))
    return out


def min_over_max(scenario: dict) -> list[str]:
    """Rule ids whose min exceeds their max for some group (a PolicyError, whatever the candidates)."""
    bad = []
    for raw in scenario.get("rule", []):
        lo, hi = raw.get("min"), raw.get("max")
        if lo is None or hi is None:
            continue
        per = raw.get("per", [])
        per = [per] if isinstance(per, str) else list(per)

        def norm(table):
            if not isinstance(table, dict):
                return {"*": table}
            return {k if k == "*" else "|".join(canon(p) if c == "locality" else p
                                                 for c, p in zip(per, str(k).split("|"))): v
                    for k, v in table.items()}
        los, his = norm(lo), norm(hi)
        keys = (set(los) | set(his) | {"*"})
        for k in keys:
            a = los.get(k, los.get("*"))
            b = his.get(k, his.get("*"))
            if a is not None and b is not None and a > b:
                bad.append(raw["id"])
                break
    return bad


# --------------------------------------------------------------------------- rows
def task_enabled(scenario: dict, task: str) -> bool:
    tasks = scenario.get("tasks", {})
    if task in tasks:
        return bool(tasks[task])
    return load_catalogue().tasks[task].enabled


def objective_column(scenario: dict) -> str:
    objective = scenario.get("objective", {})
    return objective.get("maximise", objective.get("maximize", "score"))


def selectable(row: dict, scenario: dict) -> bool:
    pass_mark = scenario.get("objective", {}).get("pass_mark")
    return (row["year"] == scenario["year"] and task_enabled(scenario, row["task"]) and bool(row["eligible"])
            and (pass_mark is None or float(row[objective_column(scenario)]) >= pass_mark)
            and row["candidate_id"] not in scenario.get("force_out", []))


def folded(rows: list[dict], scenario: dict) -> list[dict]:
    fold = {canon(k): canon(v) for k, v in scenario.get("localities", {}).get("fold", {}).items()}
    return [{**r, "locality": fold.get(r["locality"], r["locality"])} for r in rows]


# --------------------------------------------------------------------------- groups
@dataclass
class OGroup:
    rule: OracleRule
    key: str
    members: list[int]          # positions in this round's rows
    history: list[int]          # positions in history rows
    lo: float | None
    hi: float | None


def rule_groups(rule: OracleRule, rows: list[dict], history: list[dict], scenario: dict) -> list[OGroup]:
    """The rule's groups over this year's rows and, for ``scope = "period"``, every row of the
    locked earlier rounds (selected or not: an unselected one counts 0 but its group exists)."""
    year = scenario["year"]
    fold = {canon(k): canon(v) for k, v in scenario.get("localities", {}).get("fold", {}).items()}
    members: dict[str, list[int]] = {}
    hist: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        if row["year"] == year and matches(row, rule.where):
            members.setdefault(rule.group_key(row), []).append(i)
    if rule.scope == "period":
        for i, row in enumerate(history):
            if matches(row, rule.where):
                hist.setdefault(rule.group_key(row), []).append(i)
    keys = set(members) | set(hist) | rule.named(fold)
    return [OGroup(rule, k, members.get(k, []), hist.get(k, []), rule.bound("min", k, year),
                   rule.bound("max", k, year)) for k in sorted(keys)]


# --------------------------------------------------------------------------- verdicts
@dataclass
class Verdict:
    ok: bool
    row_problems: list[tuple[str, str]]
    groups: list[dict]          # rule_id, key, value, min, max, soft, violation
    penalty: float
    filings: list[dict] = field(default_factory=list)


def audit(rows: list[dict], scenario: dict, selected, national, history: list[dict] | None = None) -> Verdict:
    """Check one slate against every hard rule (the oracle's own auditor)."""
    history = folded(history or [], scenario)
    rows = folded(rows, scenario)
    selected = [bool(s) for s in selected]
    national = [bool(s) for s in national]
    problems = []
    national_rules = [r for r in active_rules(scenario) if r.decision == "national"]
    for row, s, n in zip(rows, selected, national):
        if s and not selectable(row, scenario):
            problems.append((row["candidate_id"], "blocked"))
        if n and not s:
            problems.append((row["candidate_id"], "national without provincial"))
        if n and not any(matches(row, r.where) for r in national_rules):
            problems.append((row["candidate_id"], "national where no national rule covers the task"))
        if row["candidate_id"] in scenario.get("force_in", []) and not s:
            problems.append((row["candidate_id"], "pinned in, not selected"))
    groups, filings, penalty, ok = [], [], 0.0, not problems
    for rule in active_rules(scenario):
        flag = national if rule.decision == "national" else selected
        hflag = "national" if rule.decision == "national" else "selected"
        for g in rule_groups(rule, rows, history, scenario):
            if rule.decision == "filing":       # what was filed: this round (+ earlier rounds, period)
                value = (sum(rule.weight_of(rows[i]) for i in g.members)
                         + sum(rule.weight_of(history[i]) for i in g.history))
            else:
                value = (sum(rule.weight_of(rows[i]) for i in g.members if flag[i])
                         + sum(rule.weight_of(history[i]) for i in g.history if history[i][hflag]))
            violation = max(0.0, (g.lo - value) if g.lo is not None else 0.0,
                            (value - g.hi) if g.hi is not None else 0.0)
            record = dict(rule_id=rule.id, key=g.key, value=value, min=g.lo, max=g.hi,
                          soft=rule.weight is not None, violation=violation)
            if rule.decision == "filing":
                filings.append(record)
                continue
            groups.append(record)
            if rule.weight is not None:
                penalty += rule.weight * violation
            elif violation > EPS:
                ok = False
    return Verdict(ok=ok, row_problems=problems, groups=groups, penalty=penalty, filings=filings)


@dataclass
class Optimum:
    feasible: bool
    objective: float = float("nan")            # best Σ score − penalty
    # all optimal (selected, national) pairs as tuples of bools over this round's rows
    optimal: list[tuple[tuple[bool, ...], tuple[bool, ...]]] = field(default_factory=list)

    def best_national_score(self, selected: tuple[bool, ...], scores: np.ndarray) -> float:
        """The most national score among optimal pairs with this provincial slate (nan if none)."""
        values = [float(scores[np.array(n, bool)].sum()) for s, n in self.optimal if s == tuple(selected)]
        return max(values) if values else float("nan")


MAX_COMBOS = 300_000


def optimise(rows: list[dict], scenario: dict, history: list[dict] | None = None) -> Optimum:
    """Every slate of this round, by enumeration: the best objective and every slate reaching it."""
    history = folded(history or [], scenario)
    rows = folded(rows, scenario)
    n = len(rows)
    rules = [r for r in active_rules(scenario) if r.decision != "filing"]
    free = np.array([selectable(r, scenario) for r in rows], bool)
    may_nat = np.zeros(n, bool)
    for rule in rules:
        if rule.decision == "national":
            may_nat |= np.array([matches(r, rule.where) for r in rows], bool)
    may_nat &= free
    pins = np.array([r["candidate_id"] in scenario.get("force_in", []) for r in rows], bool)
    if (pins & ~free).any():
        return Optimum(False)
    # Mixed-radix enumeration: a free row is 0 (out) or 1 (in); a national-capable row adds 2 (in + national).
    radix = np.where(may_nat, 3, np.where(free, 2, 1))
    total = int(np.prod(radix))
    assert total <= MAX_COMBOS, f"{total} combinations: instance too big for brute force"
    codes = np.arange(total)
    state = np.zeros((total, n), dtype=np.int8)
    for j in range(n):
        state[:, j] = codes % radix[j]
        codes = codes // radix[j]
    sel = state >= 1
    nat = state == 2
    ok = np.all(sel[:, pins], axis=1) if pins.any() else np.ones(total, bool)
    penalty = np.zeros(total)
    for rule in rules:
        flag = nat if rule.decision == "national" else sel
        hflag = "national" if rule.decision == "national" else "selected"
        for g in rule_groups(rule, rows, history, scenario):
            w = np.array([rule.weight_of(rows[i]) for i in g.members], float)
            const = sum(rule.weight_of(history[i]) for i in g.history if history[i][hflag])
            value = (flag[:, g.members].astype(float) @ w if g.members else np.zeros(total)) + const
            viol = np.zeros(total)
            if g.lo is not None:
                viol = np.maximum(viol, g.lo - value)
            if g.hi is not None:
                viol = np.maximum(viol, value - g.hi)
            if rule.weight is not None:
                penalty += rule.weight * viol
            else:
                ok &= viol <= EPS
    if not ok.any():
        return Optimum(False)
    col = objective_column(scenario)
    scores = np.array([float(r[col]) for r in rows])
    objective = sel.astype(float) @ scores - penalty
    best = objective[ok].max()
    hit = ok & (np.abs(objective - best) <= 1e-6 * max(1.0, abs(best)))
    optimal = [(tuple(bool(x) for x in sel[i]), tuple(bool(x) for x in nat[i])) for i in np.flatnonzero(hit)]
    return Optimum(True, float(best), optimal)


def combos(rows: list[dict], scenario: dict) -> int:
    """How many slates `optimise` would enumerate (to keep generated instances small)."""
    rules = [r for r in active_rules(scenario) if r.decision == "national"]
    total = 1
    for row in folded(rows, scenario):
        if not selectable(row, scenario):
            continue
        total *= 3 if any(matches(row, r.where) for r in rules) else 2
    return total
