"""Rule shapes: the values a scenario is made of, and how each is written back as TOML.

Owns `Rule` (count or sum, per group, min/max, scope, decision, hard or soft), its `Bound`s,
the `[plan]` settings (`PlanSettings`), the columns a `where` may name with the kind of value
each holds, the words a shape may use (scopes, decisions, comparators, forecasts …) and
`rule_to_toml`, the TOML-syntax mapping of a rule. Does not own reading or checking a file
(`syntax`, `scenario_files`), the `Scenario` that holds the rules (`policy`) nor any number
of the notice.
"""
from __future__ import annotations

import re

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from planner.lang import say

# Entry conditions of single tasks (三(五) pilot school, 三(七) online quality course, 三(八) listed
# textbook): true/false where a table has them; a table without one takes `eligible` for it.
FLAG_COLUMNS = ("digital_pilot", "online_quality", "textbook_listed")
#: A rule text's bracket that marks the planner's reading (…；规划者的理解）: not the notice's words,
#: so a letter or a chart that quotes the notice leaves it out (`notice_words`).
READING_NOTE = re.compile(r"（[^（）]*规划者的理解[^（）]*）")


def notice_words(text: str) -> str:
    """A rule's text without the bracket that marks the planner's reading."""
    return READING_NOTE.sub("", str(text))


# Columns every candidate frame has (the flags: where a rule names them), with the kind of value
# a `where` may compare them to.
BOOL_COLUMNS = ("integrated", "exempt", "eligible", *FLAG_COLUMNS)
NUMBER_COLUMNS = ("year", "score", "cost")
CATALOGUE_COLUMNS = ("task", "track", "unit_kind", "tier", "level", "locality")
TEXT_COLUMNS = ("candidate_id", "title", "unit_id", "unit_name")
KNOWN_COLUMNS = TEXT_COLUMNS + CATALOGUE_COLUMNS + BOOL_COLUMNS + NUMBER_COLUMNS

# What a shape may say.
SCOPES = ("period", "year")
DECISIONS = ("provincial", "national", "filing")
# Where a national rule draws its recommendations from (二(二) 在省级项目库中择优推荐): "slate" = this
# round's provincial slate (default); "pool" = the accumulated provincial pool — this round's slate
# and the rows of this round's table that re-file a project an earlier round recognised
# (`recognised_in` > 0: not recognised again, but open to a national recommendation).
DRAWS = ("slate", "pool")
COMPARATORS = ("not", "in", "ge", "gt", "le", "lt", "in_slate")
# `where = { <link column> = { in_slate = true } }`: a row counts only while the row its link
# column names (a candidate_id of this round or of an earlier round, see the catalogue's
# `[link]` table) is in the slate — selected in an earlier round, or selected this round (the
# model counts such a row through one AND of the two choices; the auditor the same).
LINK_OP = "in_slate"
TIE_BREAKS = ("id_hash", "none")
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
    draw: str = "slate"
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


def parse_draw(value: Any, decision: str, fail: Callable[[str, str, str], None]) -> str:
    """A rule's `draw` ("slate" when absent); a wrong one is reported as (found, expected, hint)."""
    if value in DRAWS and (value == "slate" or decision == "national"):
        return value
    options = " or ".join(f'"{d}"' for d in DRAWS)
    expected = say(" 或 ".join(f'"{d}"' for d in DRAWS) + '（"pool" 只用于 decision = "national"）',
                   options + ' ("pool" only with decision = "national")')
    near = [d for d in DRAWS if str(value)[:2] == d[:2]]
    fail(f"draw = {value!r}", expected, say(f'是否应为 "{near[0]}"？', f'did you mean "{near[0]}"?') if near else "")
    return "slate"


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
    if rule.draw != "slate":
        spec["draw"] = rule.draw
    return spec

