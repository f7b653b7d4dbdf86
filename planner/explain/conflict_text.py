"""How a conflict and its relaxations are told: the sentences of `explain.conflicts`.

Owns the wording — a group as people read it (catalogue codes with their Chinese label), a
rule by id, clause and text, the other members of a conflict by rule, numbers without
spurious decimals — and the lines the command line prints (`conflict_lines`). Computes
nothing: every figure comes from `explain.conflicts` and `explain.relax`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from planner.inputs import load_catalogue
from planner.model import Constraint
from planner.rules import ALL

PIN = "force_in"


@dataclass(frozen=True)
class Member:
    literal: int                    # proto index of the assumption literal
    constraint: Constraint | None   # None for a pin
    candidate: str = ""             # the pinned candidate



def kind_text(c: Constraint) -> str:
    kind = getattr(c, "kind", "round")
    year = getattr(c, "year", None)
    if kind == "period":
        return f" over the whole period (this round and the planned rounds to {year})"
    if kind == "reach":
        return f" by {year} (this round plus the planned rounds must still reach it)"
    if kind == "year":
        return f" in the planned round of {year}"
    return ""


def group_label(c: Constraint) -> str:
    """The group as the scenario file names it (a bound-map key), 全省 for a rule without `per`."""
    return "全省" if c.group.key == ALL else c.group.key


def shown_group(c: Constraint) -> str:
    """The group as people read it: catalogue codes with their Chinese label."""
    key = group_label(c)
    per = c.group.rule.per
    if len(per) == 1 and per[0] in ("level", "unit_kind", "tier", "task"):
        label = load_catalogue().label(per[0], key)
        if label != key:
            return f"{key}（{label}）"
    return key


def rule_name(c: Constraint) -> str:
    rule = c.group.rule
    text = f" {rule.text}" if rule.text else ""
    return f'rule "{rule.id}" ({rule.clause}{text})'


def others_text(members: dict[int, Member], others: list[int]) -> str:
    """"rules "a" (三(三), 11 groups), "b" and 2 pins" — the other members, by rule."""
    by_rule: dict[str, list[str]] = {}
    pins = []
    clause: dict[str, str] = {}
    for i in others:
        m = members[i]
        if m.constraint is None:
            pins.append(m.candidate)
            continue
        rid = m.constraint.group.rule.id
        clause[rid] = m.constraint.group.rule.clause
        labels = by_rule.setdefault(rid, [])
        if shown_group(m.constraint) not in labels:
            labels.append(shown_group(m.constraint))
    parts = []
    for rid, groups in by_rule.items():
        detail = f"{clause[rid]}, " if clause[rid] else ""
        detail += groups[0] if len(groups) == 1 else f"{len(groups)} groups"
        parts.append(f'"{rid}" ({detail})')
    text = ("rule " if len(parts) == 1 else "rules ") + ", ".join(parts) if parts else ""
    if pins:
        pin_text = ("the pin on " if len(pins) == 1 else "the pins on ") + ", ".join(f'"{p}"' for p in pins[:5]) \
            + (" …" if len(pins) > 5 else "")
        text = f"{text} and {pin_text}" if text else pin_text
    return text


def singular(members: dict[int, Member], others: list[int]) -> bool:
    """Whether `others_text` names one thing (one rule, or one pin) — for the verb."""
    rules = {members[i].constraint.group.rule.id for i in others if members[i].constraint is not None}
    pins = [i for i in others if members[i].constraint is None]
    return len(rules) + len(pins) == 1


def conflict_lines(table: pd.DataFrame, alternatives: list[list[Any]], minimal: bool) -> tuple[list[str], list[str]]:
    """The conflict told compactly (a minimum with its figure; the bounds it meets, one line per
    rule), then the relaxation alternatives.

    Parameters
    ----------
    table : DataFrame
        The conflict's members (`explain.conflicts.CONFLICT_COLUMNS`).
    alternatives : list of list of Change
        Relaxation alternatives (`explain.relax.relaxations`), cheapest first.
    minimal : bool
        Whether the conflict was proven minimal.
    """
    lines: list[str] = []
    has_min = bool((table["bound"] == "min").any()) if len(table) else False
    grouped: dict[str, list[str]] = {}
    heads: dict[str, str] = {}
    minimums: list[str] = []
    for record in table.to_dict("records"):
        if record["bound"] == "min" or not has_min:
            minimums.append(str(record["message"]))
        elif record["bound"] == "pin":
            grouped.setdefault(PIN, []).append(f'"{record["group"]}"')
            heads[PIN] = "pinned in (force_in): "
        else:
            grouped.setdefault(record["rule_id"], []).append(f"{fmt_number(record['limit'])} in {record['group']}")
            heads[record["rule_id"]] = f'with rule "{record["rule_id"]}" ({record["clause"]}) allowing at most '
    lines += minimums[:SHOWN_MEMBERS]
    if len(minimums) > SHOWN_MEMBERS:
        lines.append(f"… and {len(minimums) - SHOWN_MEMBERS} more conflicting bounds")
    for rid, items in grouped.items():
        more = f" and {len(items) - SHOWN_MEMBERS} more" if len(items) > SHOWN_MEMBERS else ""
        lines.append(heads[rid] + ", ".join(items[:SHOWN_MEMBERS]) + more)
    if not minimal:
        lines.append("(time ran out: this conflict may not be minimal)")
    advice = []
    for alternative in alternatives:
        text = " and ".join(change.sentence() for change in alternative)
        cost = sum(change.cost for change in alternative)
        advice.append(f"{text} (cost {fmt_number(cost)})")
    lines += structural_lines(alternatives)
    lines += [("relax: " if k == 0 else "or: ") + advice_text(a) for k, a in enumerate(alternatives)]
    return lines, advice


SHOWN_MEMBERS = 5
"""Groups named in full per rule before "… and N more"."""
GROUPED_FROM = 4
"""An alternative with more changes than this is told rule by rule."""


def advice_text(alternative: list[Any], shown: int = 3) -> str:
    """One relaxation alternative as a person reads it: each change in full when there are few;
    otherwise rule by rule — how many groups, the first `shown` by name, the total relaxation."""
    cost = sum(change.cost for change in alternative)
    if len(alternative) <= GROUPED_FROM:
        return " and ".join(change.sentence() for change in alternative) + f" (cost {fmt_number(cost)})"
    parts = []
    for (rule_id, bound), changes in _by_rule(alternative).items():
        if len(changes) == 1:
            parts.append(changes[0].sentence())
            continue
        names = ", ".join(c.group for c in changes[:shown]) + (f" and {len(changes) - shown} more"
                                                               if len(changes) > shown else "")
        if bound == "pin":
            parts.append(f"drop {len(changes)} pins force_in ({names})")
            continue
        total = sum(abs(c.old - c.new) for c in changes)
        verb = "lower the minimum" if bound == "min" else "raise the maximum"
        parts.append(f'{verb} of rule "{rule_id}" ({changes[0].clause}) in {len(changes)} groups ({names}) '
                     f"by {fmt_number(total)} in total")
    return " and ".join(parts) + f" (cost {fmt_number(cost)}; {len(alternative)} changes)"


def structural_lines(alternatives: list[list[Any]], shown: int = 3) -> list[str]:
    """One sentence per rule whose relaxed minimums sit on groups without a single candidate that
    could be selected: no slate can meet those, whatever the other rules say."""
    seen: dict[str, list[Any]] = {}
    for alternative in alternatives:
        for change in alternative:
            if getattr(change, "structural", False):
                names = seen.setdefault(change.rule_id, [])
                if change.group not in [c.group for c in names]:
                    names.append(change)
    lines = []
    for rule_id, changes in seen.items():
        names = ", ".join(c.group for c in changes[:shown]) + (f" and {len(changes) - shown} more"
                                                               if len(changes) > shown else "")
        subject = f"group {names} has" if len(changes) == 1 else f"{len(changes)} groups ({names}) have"
        lines.append(f'cause: rule "{rule_id}" ({changes[0].clause}): {subject} no candidate that could be selected '
                     "at all, so no slate meets the minimum there — add candidates or drop those minimums")
    return lines


def advice_details(alternatives: list[list[Any]]) -> list[str]:
    """Every change of every alternative on its own line (for the advice file)."""
    lines = []
    for k, alternative in enumerate(alternatives, start=1):
        cost = sum(change.cost for change in alternative)
        lines.append(f"alternative {k} ({len(alternative)} changes, cost {fmt_number(cost)}):")
        lines += [f"  {change.sentence()}" + ("  [no candidate could be selected in this group]"
                                              if getattr(change, "structural", False) else "")
                  for change in alternative]
    return lines


def _by_rule(alternative: list[Any]) -> dict[tuple[str, str], list[Any]]:
    grouped: dict[tuple[str, str], list[Any]] = {}
    for change in alternative:
        grouped.setdefault((change.rule_id, change.bound), []).append(change)
    return grouped


def fmt_number(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "?"
    value = float(value)
    return str(int(round(value))) if abs(value - round(value)) < 1e-9 else f"{value:.6g}"

