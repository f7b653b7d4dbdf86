"""How a conflict and its relaxations are told: the sentences of `explain.conflicts`.

Owns the wording, Chinese by default and English under `planner.lang` — a group as people read
it (a school by its name, catalogue codes by their Chinese label, localities as they are), a
rule by its clause and words with its id in brackets, the other members of a conflict by rule,
numbers without spurious decimals — and the lines the command line prints (`conflict_lines`).
Schools are named by name inside `naming(frame)` (`infeasible_error` opens it); outside it
they keep their ``unit_id``. Computes nothing: every figure comes from `explain.conflicts` and
`explain.relax`.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import pandas as pd

from planner.lang import say
from planner.model import Constraint
from planner.rules import ALL, group_words, rule_words, unit_names

PIN = "force_in"
#: While a diagnosis is told: unit_id → unit name, and (rule id, group key) → the group as shown.
_naming: ContextVar[dict | None] = ContextVar("planner_conflict_naming", default=None)


@contextmanager
def naming(frame: pd.DataFrame) -> Iterator[None]:
    """Name schools by their name (from `frame`'s unit_id and unit_name) in the sentences made inside."""
    token = _naming.set({"units": unit_names(frame), "shown": {}, "rules": {}})
    try:
        yield
    finally:
        _naming.reset(token)


@dataclass(frozen=True)
class Member:
    literal: int                    # proto index of the assumption literal
    constraint: Constraint | None   # None for a pin
    candidate: str = ""             # the pinned candidate



def kind_text(c: Constraint) -> str:
    kind = getattr(c, "kind", "round")
    year = getattr(c, "year", None)
    if kind == "period":
        return say(f"（整个周期：本轮及规划到 {year} 年的各轮）",
                   f" over the whole period (this round and the planned rounds to {year})")
    if kind == "reach":
        return say(f"（到 {year} 年：本轮加上到那时规划的各轮仍须达到）",
                   f" by {year} (this round plus the planned rounds must still reach it)")
    if kind == "year":
        return say(f"（{year} 年的规划轮次）", f" in the planned round of {year}")
    return ""


def group_label(c: Constraint) -> str:
    """The group as the scenario file names it (a bound-map key), 全省 for a rule without `per`."""
    return "全省" if c.group.key == ALL else c.group.key


def shown_group(c: Constraint) -> str:
    """The group as people read it: 全省, a school by its name (inside `naming`), a catalogue code by its label."""
    state = _naming.get()
    shown = group_words(c.group.rule.per, c.group.key, state["units"] if state else None)
    if state is not None:
        state["shown"][(c.group.rule.id, group_label(c))] = shown
        state["rules"][c.group.rule.id] = c.group.rule.text
    return shown


def shown_key(rule_id: str, key: str) -> str:
    """A group of a conflict table (rule id, key) as `shown_group` named it (the key if it never did)."""
    state = _naming.get()
    return state["shown"].get((rule_id, key), key) if state else key


def rule_name(c: Constraint, chars: int | None = None) -> str:
    """The rule of a member by its clause and words, id in brackets."""
    rule = c.group.rule
    return rule_words(rule.id, rule.clause, rule.text) if chars is None else \
        rule_words(rule.id, rule.clause, rule.text, chars=chars)


def claim_text(c: Constraint) -> str:
    """What one bound of a conflict asks: "… 要求长春市至少 40"."""
    where, limit = shown_group(c), fmt_number(c.limit)
    if c.bound == "min":
        return say(f"{rule_name(c)}要求{where}至少 {limit}{kind_text(c)}",
                   f"{rule_name(c)} requires at least {limit} in {where}{kind_text(c)}")
    return say(f"{rule_name(c)}允许{where}至多 {limit}{kind_text(c)}",
               f"{rule_name(c)} allows at most {limit} in {where}{kind_text(c)}")


def figure_text(bound: str, who: str, one: bool, figure: float) -> str:
    """What the other members allow (`who`, empty when none): the tail of `claim_text`."""
    n = fmt_number(figure)
    if bound == "min":
        if who:
            return say(f"，但按{who}，这些候选至多只能计入 {n}",
                       f", but {who} {'allows' if one else 'allow'} at most {n} from these candidates")
        return say(f"，但这些候选至多只能计入 {n}", f", but at most {n} can count from these candidates")
    if who:
        return say(f"，但{who}要求至少 {n}", f", but {who} {'requires' if one else 'require'} at least {n}")
    return say(f"，但已锁定的往年轮次已计入至少 {n}", f", but at least {n} count already (locked earlier rounds)")


def pin_text(candidate: str) -> str:
    return say(f"候选“{candidate}”被固定入选（force_in）", f'candidate "{candidate}" is pinned in (force_in)')


def also_holds_text(oc: Constraint, c: Constraint, figure: float) -> str:
    """A rule outside the conflict that limits a member further (`conflicts._limiting`)."""
    bound = say("下限" if oc.bound == "min" else "上限", oc.bound)
    return say(f"{rule_name(oc)}（{shown_group(oc)}{bound} {fmt_number(oc.limit)}）也把{rule_name(c, 12)}"
               f"在{shown_group(c)}限制在 {fmt_number(figure)}",
               f"{rule_name(oc)} ({bound} {fmt_number(oc.limit)} in {shown_group(oc)}) also holds "
               f"{rule_name(c, 12)} in {shown_group(c)} at {fmt_number(figure)}")


def pin_holds_text(candidate: str, c: Constraint, figure: float) -> str:
    return say(f"对“{candidate}”的固定入选也把{rule_name(c, 12)}限制在 {fmt_number(figure)}",
               f'the pin on "{candidate}" also holds {rule_name(c, 12)} at {fmt_number(figure)}')


def limited_text(figure: float, summary: str) -> str:
    """Appended to a minimum the whole scenario restricts further than its conflict."""
    return say(f"；算上情景的全部规则，至多 {fmt_number(figure)}（还受{summary}限制）",
               f"; with every rule of the scenario at most {fmt_number(figure)} (also limited by {summary})")


def infeasible_text(rule_ids: list[str], rules: dict[str, Any], reason: str = "") -> str:
    """The one-line message of an `InfeasibleError`: the conflicting rules by clause and words."""
    if not rule_ids:
        return say(f"没有任何名单能满足情景的全部硬性规则（{reason}）",
                   f"no slate satisfies every hard rule of the scenario ({reason})")
    named = [say("固定入选（force_in）", "the pins (force_in)") if r == PIN
             else rule_words(r, rules[r].clause, rules[r].text, chars=20) if r in rules else rule_words(r)
             for r in rule_ids]
    if len(named) == 1:
        return say(f"没有任何名单能满足情景的全部硬性规则：{named[0]}无法满足",
                   f"no slate satisfies every hard rule of the scenario: {named[0]} cannot be met")
    return say("没有任何名单能满足情景的全部硬性规则：" + "、".join(named) + "相互冲突",
               "no slate satisfies every hard rule of the scenario: " + ", ".join(named) + " conflict")


def others_text(members: dict[int, Member], others: list[int]) -> str:
    """"三(三)“…”[a]（11 个分组）、[b] 和 2 个固定入选" — the other members, by rule."""
    by_rule: dict[str, list[str]] = {}
    pins = []
    named: dict[str, str] = {}
    for i in others:
        m = members[i]
        if m.constraint is None:
            pins.append(m.candidate)
            continue
        rid = m.constraint.group.rule.id
        named[rid] = rule_name(m.constraint, 20)
        labels = by_rule.setdefault(rid, [])
        if shown_group(m.constraint) not in labels:
            labels.append(shown_group(m.constraint))
    parts = []
    for rid, groups in by_rule.items():
        detail = groups[0] if len(groups) == 1 else say(f"{len(groups)} 个分组", f"{len(groups)} groups")
        parts.append(say(f"{named[rid]}（{detail}）", f"{named[rid]} ({detail})"))
    text = say("、".join(parts), ("" if len(parts) == 1 else "rules ") + ", ".join(parts)) if parts else ""
    if pins:
        listed = say("、", ", ").join(f'"{p}"' for p in pins[:5]) + (" …" if len(pins) > 5 else "")
        pinned = say(f"对 {listed} 的固定入选", ("the pin on " if len(pins) == 1 else "the pins on ") + listed)
        text = say(f"{text}和{pinned}", f"{text} and {pinned}") if text else pinned
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
            heads[PIN] = say("固定入选（force_in）：", "pinned in (force_in): ")
        else:
            group, limit = shown_key(record["rule_id"], record["group"]), fmt_number(record["limit"])
            grouped.setdefault(record["rule_id"], []).append(say(f"{group}至多 {limit}", f"{limit} in {group}"))
            state = _naming.get()
            words = rule_words(record["rule_id"], record["clause"], state["rules"].get(record["rule_id"], "") if state else "")
            heads[record["rule_id"]] = say(f"而{words}允许：", f"with {words} allowing at most ")
    lines += minimums[:SHOWN_MEMBERS]
    if len(minimums) > SHOWN_MEMBERS:
        n = len(minimums) - SHOWN_MEMBERS
        lines.append(say(f"……另有 {n} 个相互冲突的界限", f"… and {n} more conflicting bounds"))
    for rid, items in grouped.items():
        n = len(items) - SHOWN_MEMBERS
        more = say(f"等，另有 {n} 个", f" and {n} more") if n > 0 else ""
        lines.append(heads[rid] + say("、", ", ").join(items[:SHOWN_MEMBERS]) + more)
    if not minimal:
        lines.append(say("（时间用完：这组冲突可能不是最小的）", "(time ran out: this conflict may not be minimal)"))
    advice = [advice_text(alternative, grouped=False) for alternative in alternatives]
    lines += structural_lines(alternatives)
    lines += [say("放宽：" if k == 0 else "或者：", "relax: " if k == 0 else "or: ") + advice_text(a)
              for k, a in enumerate(alternatives)]
    return lines, advice


SHOWN_MEMBERS = 5
"""Groups named in full per rule before "… and N more"."""
GROUPED_FROM = 4
"""An alternative with more changes than this is told rule by rule."""


def _names(changes: list[Any], shown: int) -> str:
    """The first `shown` groups of some changes by name, "等 N 个" for the rest."""
    names = say("、", ", ").join(c.shown_group for c in changes[:shown])
    n = len(changes) - shown
    return names + (say(f"等，另有 {n} 个", f" and {n} more") if n > 0 else "")


def _and(parts: list[str]) -> str:
    return say("；并且", " and ").join(parts)


def advice_text(alternative: list[Any], shown: int = 3, *, grouped: bool = True) -> str:
    """One relaxation alternative as a person reads it: each change in full when there are few (or
    not `grouped`); otherwise rule by rule — how many groups, the first `shown` by name, the total."""
    cost = fmt_number(sum(change.cost for change in alternative))
    if len(alternative) <= GROUPED_FROM or not grouped:
        return _and([change.sentence() for change in alternative]) + say(f"（代价 {cost}）", f" (cost {cost})")
    parts = []
    for (rule_id, bound), changes in _by_rule(alternative).items():
        if len(changes) == 1:
            parts.append(changes[0].sentence())
            continue
        names, n = _names(changes, shown), len(changes)
        if bound == "pin":
            parts.append(say(f"取消 {n} 个固定入选 force_in（{names}）", f"drop {n} pins force_in ({names})"))
            continue
        total = fmt_number(sum(abs(c.old - c.new) for c in changes))
        words = changes[0].rule_words()
        parts.append(say(f"把{words}在 {n} 个分组（{names}）的" + ("下限共降低 " if bound == "min" else "上限共提高 ")
                         + total,
                         ("lower the minimum" if bound == "min" else "raise the maximum")
                         + f" of {words} in {n} groups ({names}) by {total} in total"))
    n = len(alternative)
    return _and(parts) + say(f"（代价 {cost}；共 {n} 处改动）", f" (cost {cost}; {n} changes)")


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
        names, n, words = _names(changes, shown), len(changes), changes[0].rule_words()
        lines.append(say(f"原因：{words}：" + (f"分组 {names}" if n == 1 else f"{n} 个分组（{names}）")
                         + "没有任何可以入选的候选，任何名单都达不到那里的下限——请增加候选或去掉这些下限",
                         f"cause: {words}: " + (f"group {names} has" if n == 1 else f"{n} groups ({names}) have")
                         + " no candidate that could be selected at all, so no slate meets the minimum there"
                         " — add candidates or drop those minimums"))
    return lines


def advice_details(alternatives: list[list[Any]]) -> list[str]:
    """Every change of every alternative on its own line (for the advice file)."""
    lines = []
    for k, alternative in enumerate(alternatives, start=1):
        cost, n = fmt_number(sum(change.cost for change in alternative)), len(alternative)
        lines.append(say(f"方案 {k}（{n} 处改动，代价 {cost}）：", f"alternative {k} ({n} changes, cost {cost}):"))
        lines += [f"  {change.sentence()}" + (say("  [该分组没有任何可以入选的候选]",
                                                  "  [no candidate could be selected in this group]")
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

