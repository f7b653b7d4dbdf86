"""The page's bound edits: the rule editor's fields read into edits, and the edits applied.

Owns `BoundEdit` (one rule's min or max for one group, old → new, with the planner's note),
`read_form`, which compares the submitted fields with the base scenario and keeps only what
changed, and `apply_edits`, which makes the changed scenario with the library's own
`Scenario.with_bound` — so a bad value (negative, min > max, an unknown locality) is refused
with the very message a notebook gets. Also `known_groups` (the groups each rule has in the
base round) and the Chinese wording of an edit. Does not own solving (`workspaces`) nor what a
page shows (`views`).

Form fields (one per bound the editor shows, values as typed; empty = no bound):
``max::<rule id>::<group key>``, ``min::<rule id>::<group key>`` (``*`` = every group not
named); a group not yet named: ``new::<rule id>::group`` with ``new::<rule id>::min`` /
``new::<rule id>::max``; the note: ``note``.
"""
from __future__ import annotations

import inspect
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from planner.errors import PolicyError, Problem
from planner.inputs import load_catalogue, suggest
from planner.rules import ALL, Rule, Scenario

SEP = "::"
BOUND_WORDS = {"min": "下限", "max": "上限"}
EVERY_GROUP = "*"


@dataclass(frozen=True)
class BoundEdit:
    """One bound changed on the page: rule, min or max, group (``"*"`` = every group not named)."""

    rule_id: str
    bound: str
    group: str
    old: float | str | None
    new: float | str | None
    note: str = ""

    def text(self, scenario: Scenario | None = None) -> str:
        """The edit in Chinese, worded as the library words its recorded edits:
        ``规则「pc-school-locality」（三(三)）长春市 上限 15 → 17（note）``."""
        clause = ""
        if scenario is not None:
            clause = next((f"（{r.clause}）" for r in scenario.rules if r.id == self.rule_id and r.clause), "")
        where = "其他各组" if self.group == EVERY_GROUP else group_text(self.group)
        line = f"规则「{self.rule_id}」{clause}{where} {BOUND_WORDS.get(self.bound, self.bound)} " \
               f"{number_text(self.old)} → {number_text(self.new)}"
        return line + (f"（{self.note}）" if self.note else "")

    def as_dict(self) -> dict[str, object]:
        return {"rule_id": self.rule_id, "bound": self.bound, "group": self.group, "old": self.old,
                "new": self.new, "note": self.note}


def edit_lines(scenario: Scenario, edits: Iterable[BoundEdit], base: Scenario) -> list[str]:
    """The edits of a what-if in Chinese: the scenario's own record (``scenario.edits``, each
    with ``describe()``) where the library keeps one, else the page's `BoundEdit` texts."""
    recorded = getattr(scenario, "edits", None)
    if recorded and all(callable(getattr(e, "describe", None)) for e in recorded):
        return [str(e.describe()) for e in recorded]
    return [e.text(base) for e in edits]


def group_text(key: str) -> str:
    """A group as a planner reads it: ``其他各组`` for ``*``, ``全省`` for a rule without `per`."""
    if key == EVERY_GROUP:
        return "其他各组（*）"
    if key == ALL:
        return "全省"
    return key


def number_text(value: float | str | None) -> str:
    if value is None:
        return "无"
    if isinstance(value, str):
        return f"“{value}”"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def bound_of(rule: Rule, bound: str, group: str) -> float | None:
    """The value a rule's file entry sets for one group (``"*"``: the value of the groups not named)."""
    current = getattr(rule, bound)
    if current is None:
        return None
    return current.default if group == EVERY_GROUP else current.groups.get(group)


def known_groups(rules_table: pd.DataFrame | None) -> dict[str, list[str]]:
    """The group keys of each rule in the base round (from a result's rule table)."""
    if rules_table is None or not len(rules_table):
        return {}
    out: dict[str, list[str]] = {}
    for rid, label in zip(rules_table["rule_id"].astype(str), rules_table["group"].astype(str)):
        out.setdefault(rid, [])
        key = ALL if label == "全省" else label
        if key not in out[rid]:
            out[rid].append(key)
    return out


def parse_value(text: str) -> int | float | str | None:
    """A typed value: empty → None (no bound), a number → float, anything else as typed (the
    library then refuses it with its own message)."""
    text = text.strip().replace("，", "").replace(",", "")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return text
    if not math.isfinite(value):
        return text
    return int(value) if value.is_integer() else value


def read_form(form: Mapping[str, str], base: Scenario) -> tuple[list[BoundEdit], str]:
    """The edits the submitted fields make to `base`, in the order of the scenario's rules, and the note.

    A field equal to the base value makes no edit; fields of unknown rules are kept (the
    library names the rule then).
    """
    note = str(form.get("note", "") or "").strip()
    order = {r.id: k for k, r in enumerate(base.rules)}
    found: list[tuple[tuple, BoundEdit]] = []
    rules = {r.id: r for r in base.rules}
    for name, raw in form.items():
        parts = name.split(SEP, 2)
        if len(parts) != 3 or parts[0] not in ("min", "max"):
            continue
        bound, rule_id, group = parts
        new = parse_value(str(raw))
        old = bound_of(rules[rule_id], bound, group) if rule_id in rules else None
        if rule_id in rules and _same(old, new):
            continue
        found.append(((order.get(rule_id, len(order)), group != EVERY_GROUP, group, bound),
                      BoundEdit(rule_id, bound, group, old, new, note)))
    for name, raw in form.items():
        parts = name.split(SEP, 2)
        if len(parts) != 3 or parts[0] != "new" or parts[2] != "group":
            continue
        rule_id, group = parts[1], str(raw).strip()
        if not group:
            continue
        if rule_id in rules and rules[rule_id].per == ("locality",):
            group = load_catalogue().locality(group) or group      # an alias: 长春 → 长春市
        for bound in ("min", "max"):
            new = parse_value(str(form.get(SEP.join(("new", rule_id, bound)), "") or ""))
            if new is None:
                continue
            old = bound_of(rules[rule_id], bound, group) if rule_id in rules else None
            found.append(((order.get(rule_id, len(order)), True, group, bound),
                          BoundEdit(rule_id, bound, group, old, new, note)))
    found.sort(key=lambda item: item[0])
    return [edit for _, edit in found], note


def apply_edits(base: Scenario, edits: Iterable[BoundEdit], *,
                groups: Mapping[str, list[str]] | None = None) -> Scenario:
    """The base scenario with every edit made by `Scenario.with_bound`, in order.

    Raises
    ------
    PolicyError
        Every edit the library refuses (its own messages: a negative value, min > max, an
        unknown rule or locality), and a group the rule does not have in this round (a
        unit id or other code no candidate files under), with the nearest group.
    """
    scenario = base
    problems: list[Problem] = []
    messages: list[str] = []
    takes_note = "note" in inspect.signature(Scenario.with_bound).parameters
    for edit in edits:
        kwargs = {"group": edit.group}
        if takes_note and edit.note:
            kwargs["note"] = edit.note
        try:
            scenario = scenario.with_bound(edit.rule_id, edit.bound, edit.new, **kwargs)
        except PolicyError as exc:
            problems.extend(exc.problems)
            messages.extend([] if exc.problems else exc.lines())
            continue
        if groups is not None and edit.rule_id in groups:
            problems.extend(_unknown_groups(base, scenario, edit, groups[edit.rule_id]))
    if messages:
        raise PolicyError("\n".join([*map(str, problems), *messages]))
    if problems:
        raise PolicyError(problems)
    return scenario


def _unknown_groups(base: Scenario, changed: Scenario, edit: BoundEdit, known: list[str]) -> list[Problem]:
    """A group named by the edit that the rule does not have in this round (after the library
    normalised it: a locality alias is known)."""
    rule = changed.rule(edit.rule_id)
    bound = getattr(rule, edit.bound)
    before = getattr(base.rule(edit.rule_id), edit.bound)
    named = set(bound.groups) if bound is not None else set()
    named -= set(before.groups) if before is not None else set()
    return [Problem(base.label, f'group "{key}"', f'a group of rule "{edit.rule_id}" in this round',
                    column=f'rule "{edit.rule_id}" {edit.bound}', hint=suggest(key, known))
            for key in sorted(named) if key not in known and key != EVERY_GROUP]


def _same(old: float | None, new: float | str | None) -> bool:
    if old is None or new is None:
        return old is None and new is None
    return not isinstance(new, str) and abs(float(old) - float(new)) < 1e-12
