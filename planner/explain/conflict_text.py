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
    for record in table.to_dict("records"):
        if record["bound"] == "min" or not has_min:
            lines.append(str(record["message"]))
        elif record["bound"] == "pin":
            grouped.setdefault(PIN, []).append(f'"{record["group"]}"')
            heads[PIN] = "pinned in (force_in): "
        else:
            grouped.setdefault(record["rule_id"], []).append(f"{fmt_number(record['limit'])} in {record['group']}")
            heads[record["rule_id"]] = f'with rule "{record["rule_id"]}" ({record["clause"]}) allowing at most '
    for rid, items in grouped.items():
        lines.append(heads[rid] + ", ".join(items))
    if not minimal:
        lines.append("(time ran out: this conflict may not be minimal)")
    advice = []
    for alternative in alternatives:
        text = " and ".join(change.sentence() for change in alternative)
        cost = sum(change.cost for change in alternative)
        advice.append(f"{text} (cost {fmt_number(cost)})")
    lines += [("relax: " if k == 0 else "or: ") + a for k, a in enumerate(advice)]
    return lines, advice


def fmt_number(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "?"
    value = float(value)
    return str(int(round(value))) if abs(value - round(value)) < 1e-9 else f"{value:.6g}"

