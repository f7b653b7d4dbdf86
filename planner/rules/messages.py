"""The words of the scenario part: how a rule is named in a message, and the phrases its checks share.

Owns `rule_words` (a rule by its clause and the notice's words, its id in brackets for the TOML
editor) and the short phrases every check of `syntax`, `policy` and `edits` says in both
languages (``未知的键 "…"`` / ``unknown key "…"``) — so the two languages are read side by side in
one file. Does not own the checks themselves nor where a problem is located (`syntax.Context`).
"""
from __future__ import annotations

import re
from typing import Any

from planner.inputs import column_label
from planner.inputs import suggest as nearest
from planner.lang import say
from planner.rules.shapes import notice_words

#: Characters of a rule's text quoted in a message before it is cut with "…".
QUOTED_CHARS = 40


def rule_words(rule_id: str, clause: str = "", text: str = "", *, chars: int = QUOTED_CHARS) -> str:
    """A rule as a person reads it: its clause and its words, the id in brackets for the TOML editor.

    ``三(三)“学校实践中心：长春市推荐不超过15个…”[pc-school-locality]`` (English: ``rule 三(三)
    “…” [pc-school-locality]``): the notice's words without the planner's-reading bracket, cut
    after `chars` characters; without clause and text, ``规则[id]``.
    """
    words = notice_words(text).strip()
    if len(words) > chars:
        words = words[:chars] + "…"
    clause = str(clause or "").strip()
    if not clause and not words:
        return say(f"规则[{rule_id}]", f"rule [{rule_id}]")
    zh = clause + (f"“{words}”" if words else "") + f"[{rule_id}]"
    en = "rule " + (f"{clause} " if clause else "") + (f"“{words}” " if words else "") + f"[{rule_id}]"
    return say(zh, en)


def unknown_key(key: str) -> str:
    return say(f"未知的键“{key}”", f'unknown key "{key}"')


def unknown_task(code: str) -> str:
    return say(f"未知的任务代码“{code}”", f'unknown task "{code}"')


def a_task() -> str:
    return say("目录中的任务代码", "a catalogue task code")


def unknown_column(column: str) -> str:
    return say(f"未知的列“{column}”", f'unknown column "{column}"')


def one_of(options: Any) -> str:
    return say("以下之一：" + "、".join(map(str, options)), "one of " + ", ".join(map(str, options)))


def either(options: Any) -> str:
    return say(" 或 ".join(f'"{o}"' for o in options), " or ".join(f'"{o}"' for o in options))


def true_or_false() -> str:
    return say("true 或 false", "true or false")


def a_number() -> str:
    return say("一个数", "a number")


def unknown_locality(name: Any) -> str:
    return say(f"未知的市（州）“{name}”", f'unknown locality "{name}"')


def a_locality() -> str:
    return say("目录中的市（州）", "a catalogue locality")


def unknown_code(column: str, value: Any) -> str:
    return say(f"未知的{column_label(column)}代码“{value}”", f'unknown {column} "{value}"')


def not_a_switch(name: Any) -> str:
    return say(f"开关“{name}”未在 [switches] 中设置", f'switch "{name}" not set in [switches]')


def a_switch() -> str:
    return say("[switches] 中的开关", "a switch of [switches]")


def not_a_choice(name: Any, value: str) -> str:
    return say(f"{name} = {value}，开关没有这个取值", f"{name} = {value}, a value the switch does not have")


def its_choices(allowed: Any) -> str:
    return say("它的 [choices] 之一：" + "、".join(map(repr, allowed)), "one of its [choices]: " + ", ".join(map(repr, allowed)))


def did_you_mean(near: str) -> str:
    return say(f"是否应为“{near}”？", f'did you mean "{near}"?')


def suggest(value: str, options: list[str] | tuple[str, ...]) -> str:
    """The nearest option (as `planner.inputs.suggest` chooses it) in the language asked for:
    ``是否应为“长春市”？`` / ``did you mean "长春市"?``; "" when none is near."""
    text = nearest(value, options)
    found = re.search(r'["“]([^"”]*)["”]', text)
    return did_you_mean(found.group(1)) if found else text
