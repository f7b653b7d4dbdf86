"""The switches of a scenario: each set to a value the scenario knows, a misspelt one refused.

Owns `check_switches` (the `[switches]` and `[choices]` tables against every `when` and every
`{ switch = … }` value of `[plan]`) and telling a typo ("softband") from a deliberate value no
rule names. Does not own the other tables of a scenario (`syntax`) nor reading files
(`scenario_files`).
"""
from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from planner.lang import say
from planner.rules.messages import did_you_mean, its_choices, not_a_choice, suggest
from planner.rules.syntax import Context


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
            ctx.fail(None, f"choices.{name}", f"{name} = {values!r}",
                     say('开关可取的值的列表，如 about_n = ["soft_band", "hard_band"]',
                         'a list of the values the switch may take, e.g. about_n = ["soft_band", "hard_band"]'))
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
                        ctx.fail(str(raw.get("id", "?")), "when", not_a_choice(name, repr(v)), its_choices(declared[name]),
                                 hint=suggest(str(v), [str(c) for c in declared[name]]))
    plan = data.get("plan") if isinstance(data.get("plan"), dict) else {}
    for key, value in plan.items():
        if isinstance(value, dict) and "switch" in value:
            name = value["switch"]
            options = [k for k in value if k != "switch"]
            used.setdefault(str(name), set()).update(options)
            for option in options if str(name) in declared else []:
                if option not in map(str, declared[str(name)]):
                    ctx.fail(None, f"plan.{key}", not_a_choice(name, f'"{option}"'), its_choices(declared[str(name)]))
    known = sorted(set(declared) | set(used) | set(root_names))
    for name, value in switches.items():
        if name not in declared and name not in used and name in root_names:
            continue                             # set, read by nothing: any value does nothing
        if name not in known:
            ctx.fail(None, f"switches.{name}", say(f'开关 "{name}"，没有规则或 [plan] 的值读它',
                                                   f'switch "{name}", which no rule and no [plan] value reads'),
                     say("情景的开关之一：", "one of the scenario's switches: ") + ", ".join(known) if known
                     else say("不设 [switches]", "no [switches]"),
                     hint=suggest(str(name), known))
            continue
        if name in declared:
            allowed = declared[name]
            if value not in allowed:
                ctx.fail(None, f"switches.{name}", f"{name} = {value!r}", its_choices(allowed),
                         hint=suggest(str(value), [str(a) for a in allowed]))
            continue
        named = sorted(map(str, used.get(name, set()) | ({first_values[name]} if name in first_values else set())))
        near = _typo_of(str(value), named)
        if near:
            ctx.fail(None, f"switches.{name}", say(f"{name} = {value!r}，没有规则用到这个值", f"{name} = {value!r}, a value no rule names"),
                     say("以下之一：" + "、".join(map(repr, named)) + f"（或在 [choices] {name} = [...] 中声明这个值）",
                         "one of " + ", ".join(map(repr, named)) + f' (or declare the value in [choices] {name} = [...])'),
                     hint=did_you_mean(near))
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
                    ctx.fail(str(raw.get("id", "?")), "when",
                             say(f"{name} = {v!r}，只有这条规则用到这个值", f"{name} = {v!r}, a value only this rule names"),
                             say(f"开关的取值：{'、'.join(map(repr, others))}", f"a value of the switch: {', '.join(map(repr, others))}"),
                             hint=did_you_mean(near))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _typo_of(value: str, named: list[str]) -> str:
    """The value `value` is a likely misspelling of (close but not equal), or "".

    Without `[choices]`, a switch value no rule names is either a typo ("softband") or a
    deliberate value that switches every variant off ("fast" where rules name "slow"): only
    the first is refused.
    """
    if value in named:
        return ""
    close = difflib.get_close_matches(value, named, n=1, cutoff=0.75)
    return close[0] if close else ""
