"""The page's bound edits: the rule editor's fields read into edits, and the edits applied.

Owns `BoundEdit` (one rule's min or max for one group, old → new, with the planner's note),
`read_form`, which compares the submitted fields with the base scenario and keeps only what
changed, and `apply_edits`, which makes the changed scenario with the library's own
`Scenario.with_bound` — so a bad value (negative, min > max, an unknown locality) is refused
with the very message a notebook gets. Also `known_groups` (the groups each rule has in the
base round), `group_labels` (each group as the office names it: a school by its name, a track
or level by its Chinese label), reading a typed group back (a school's name, normalised, to
its unit id) and the Chinese wording of an edit (clause and the notice's words, never the rule
id). A field holding a control character is refused here, located. Does not own solving
(`workspaces`) nor what a page shows (`views`).

Form fields (one per bound the editor shows, values as typed; empty = no bound):
``max::<rule id>::<group key>``, ``min::<rule id>::<group key>`` (``*`` = every group not
named); a group not yet named: ``new::<rule id>::group`` with ``new::<rule id>::min`` /
``new::<rule id>::max``; the note: ``note``. The new group may be typed as the office names it
(长春职业技术学院, 标准, 中职); it is read back to the group's key.
"""
from __future__ import annotations

import difflib
import inspect
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from planner.errors import PolicyError, Problem
from planner.inputs import clean_text, load_catalogue, value_labels
from planner.lang import say
from planner.rules import ALL, Rule, Scenario, notice_words

SEP = "::"
BOUND_WORDS = {"min": "下限", "max": "上限"}
EVERY_GROUP = "*"
TITLE_CHARS = 30
#: What a form field may not hold: control characters (a tab and a newline are text).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class BoundEdit:
    """One bound changed on the page: rule, min or max, group (``"*"`` = every group not named)."""

    rule_id: str
    bound: str
    group: str
    old: float | str | None
    new: float | str | None
    note: str = ""

    def text(self, scenario: Scenario | None = None, labels: Mapping[str, Mapping[str, str]] | None = None) -> str:
        """The edit in the office's words: the clause, the notice's words of the rule, the group
        by its name — ``三(三)「学校实践中心：长春市推荐不超过15个…」长春市 上限 15 → 17（note）``;
        no rule id (a rule `scenario` does not have is named by its id)."""
        rule = _rule(scenario, self.rule_id)
        head = f"{rule.clause}「{rule_title(rule)}」" if rule is not None else f"「{self.rule_id}」"
        where = group_text(self.group, (labels or {}).get(self.rule_id))
        line = f"{head}{where} {BOUND_WORDS.get(self.bound, self.bound)} " \
               f"{number_text(self.old)} → {number_text(self.new)}"
        return line + (f"（{self.note}）" if self.note else "")

    def as_dict(self) -> dict[str, object]:
        return {"rule_id": self.rule_id, "bound": self.bound, "group": self.group, "old": self.old,
                "new": self.new, "note": self.note}


def edit_lines(edits: Iterable[BoundEdit], base: Scenario,
               labels: Mapping[str, Mapping[str, str]] | None = None) -> list[str]:
    """The edits of a what-if in the office's words (`BoundEdit.text`). The library's own record
    (``scenario.edits``) names rules by id, for the TOML file; the page names them by clause."""
    return [e.text(base, labels) for e in edits]


def rule_title(rule: Rule) -> str:
    """A rule as the page names it: the notice's words of its text (the planner's-reading
    bracket left out), cut at `TITLE_CHARS` characters."""
    text = notice_words(rule.text).strip() or rule.clause
    return text if len(text) <= TITLE_CHARS else text[:TITLE_CHARS - 1] + "…"


def group_text(key: str, labels: Mapping[str, str] | None = None) -> str:
    """A group as a planner reads it: ``其他各组`` for ``*``, ``全省`` for a rule without `per`,
    else its label (a school's name, a track's Chinese name) or the key itself."""
    if key == EVERY_GROUP:
        return "其他各组"
    if key == ALL:
        return "全省"
    return (labels or {}).get(key, key)


def group_labels(scenario: Scenario, groups: Mapping[str, list[str]],
                 unit_names: Mapping[str, str] | None = None) -> dict[str, dict[str, str]]:
    """Each rule's groups (keys of the base round and of its bound maps) as the office names them.

    Parameters
    ----------
    scenario : Scenario
        The served round.
    groups : mapping of str to list of str
        Rule id → the group keys the rule has in the base round (`known_groups`).
    unit_names : mapping of str to str, optional
        unit_id → unit_name (a per-school group shows the school's name).

    Returns
    -------
    dict
        Rule id → group key → label: a locality as it is, a unit by its name, a task, track,
        tier, unit kind or level by its Chinese label (`inputs.value_labels`); a key without a
        label (a group of several columns) as it is.
    """
    unit_names = unit_names or {}
    out: dict[str, dict[str, str]] = {}
    for rule in scenario.rules:
        keys = [*groups.get(rule.id, [])]
        for bound in (rule.min, rule.max):
            keys += [k for k in (bound.groups if bound is not None else {}) if k not in keys]
        table: dict[str, str] = {}
        column = rule.per[0] if len(rule.per) == 1 else ""
        words = value_labels(column, _task_of(rule)) if column else {}
        for key in keys:
            if key in (ALL, EVERY_GROUP):
                continue
            table[key] = unit_names.get(key, key) if column in ("unit_id",) else words.get(key, key)
        out[rule.id] = table
    return out


def _task_of(rule: Rule) -> str:
    """The task a rule's `where` names (``""`` when it names none or several)."""
    tests = dict(rule.where).get("task", ()) if rule.where else ()
    named = [v for op, v in tests if op == "eq"]
    return str(named[0]) if len(named) == 1 else ""


def _rule(scenario: Scenario | None, rule_id: str) -> Rule | None:
    return next((r for r in scenario.rules if r.id == rule_id), None) if scenario is not None else None


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


def read_form(form: Mapping[str, str], base: Scenario,
              labels: Mapping[str, Mapping[str, str]] | None = None) -> tuple[list[BoundEdit], str]:
    """The edits the submitted fields make to `base`, in the order of the scenario's rules, and the note.

    A field equal to the base value makes no edit; fields of unknown rules are kept (the
    library names the rule then). A new group typed by its name (`labels`: rule id → group
    key → label, as `group_labels` gives them) is read back to its key.

    Raises
    ------
    PolicyError
        A field holding a control character (a carriage return, NUL …), or a typed name that
        fits several groups: every such field, located by what the page calls it.
    """
    form = {str(k): str(v).replace("\r\n", "\n") for k, v in form.items()}
    _refuse_control_characters(form, base, labels)
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
        elif rule_id in rules:
            group = _group_key(group, (labels or {}).get(rule_id, {}), rules[rule_id], base)
        for bound in ("min", "max"):
            new = parse_value(str(form.get(SEP.join(("new", rule_id, bound)), "") or ""))
            if new is None:
                continue
            old = bound_of(rules[rule_id], bound, group) if rule_id in rules else None
            found.append(((order.get(rule_id, len(order)), True, group, bound),
                          BoundEdit(rule_id, bound, group, old, new, note)))
    found.sort(key=lambda item: item[0])
    return [edit for _, edit in found], note


def _refuse_control_characters(form: Mapping[str, str], base: Scenario,
                               labels: Mapping[str, Mapping[str, str]] | None) -> None:
    problems = []
    for name, value in form.items():
        found = CONTROL.search(value)
        if found is None:
            continue
        escape = repr(found.group(0))[1:-1]
        problems.append(Problem(say("求解表单", "the form"),
                                say(f"控制字符 {escape}（第 {found.start() + 1} 个字符）",
                                    f"the control character {escape} (character {found.start() + 1})"),
                                say("可见的文字（请删去这个字符）", "printable text (remove the character)"),
                                column=_field_name(name, base, labels)))
    if problems:
        raise PolicyError(problems)


def _field_name(name: str, base: Scenario, labels: Mapping[str, Mapping[str, str]] | None) -> str:
    """A form field as the page calls it: 备注, or the rule (clause and words), group and bound."""
    if name == "note":
        return say("备注", "note")
    parts = name.split(SEP, 2)
    rule = _rule(base, parts[1]) if len(parts) == 3 else None
    if rule is None:
        return name
    head = f"{rule.clause}「{rule_title(rule)}」"
    if parts[0] == "new":
        return head + say({"group": "另设一组", "min": "新组下限", "max": "新组上限"}.get(parts[2], parts[2]),
                          {"group": "another group", "min": "its min", "max": "its max"}.get(parts[2], parts[2]))
    return f"{head}{group_text(parts[2], (labels or {}).get(rule.id))} {BOUND_WORDS.get(parts[0], parts[0])}"


def _group_key(text: str, labels: Mapping[str, str], rule: Rule, base: Scenario) -> str:
    """A typed group read back to its key: the key itself, or the label it matches once
    normalised (full-width to half-width, blanks removed, case folded), whole or as the only
    label containing it. Several labels containing it are refused, listed.

    Raises
    ------
    PolicyError
        The text is part of several groups' names.
    """
    if text in labels:
        return text
    wanted = clean_text(text).casefold()
    names = {key: clean_text(label).casefold() for key, label in labels.items()}
    exact = [key for key, name in names.items() if name == wanted]
    if len(exact) == 1:
        return exact[0]
    inside = [key for key, name in names.items() if wanted and wanted in name]
    if len(inside) == 1:
        return inside[0]
    if len(inside) > 1:
        shown = "、".join(labels[k] for k in inside[:8]) + ("等" if len(inside) > 8 else "")
        raise PolicyError([Problem(base.label, say(f"“{text}”同时符合 {len(inside)} 个分组：{shown}",
                                                   f'"{text}" fits {len(inside)} groups: {shown}'),
                                   say("其中一个分组的完整名称（从列表中选一个）", "the full name of one group (pick one)"),
                                   column=f"{rule.clause}「{rule_title(rule)}」")])
    return text


def apply_edits(base: Scenario, edits: Iterable[BoundEdit], *,
                groups: Mapping[str, list[str]] | None = None,
                labels: Mapping[str, Mapping[str, str]] | None = None) -> Scenario:
    """The base scenario with every edit made by `Scenario.with_bound`, in order.

    Raises
    ------
    PolicyError
        Every edit the library refuses (its own messages: a negative value, min > max, an
        unknown rule or locality), and a group the rule does not have in this round (a
        unit id or other code no candidate files under), with the nearest group by name
        (`labels`).
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
            problems.extend(_unknown_groups(base, scenario, edit, groups[edit.rule_id],
                                            (labels or {}).get(edit.rule_id, {})))
    if messages:
        raise PolicyError("\n".join([*map(str, problems), *messages]))
    if problems:
        raise PolicyError(problems)
    return scenario


def _unknown_groups(base: Scenario, changed: Scenario, edit: BoundEdit, known: list[str],
                    labels: Mapping[str, str]) -> list[Problem]:
    """A group named by the edit that the rule does not have in this round (after the library
    normalised it: a locality alias is known), with the nearest group's name."""
    rule = changed.rule(edit.rule_id)
    bound = getattr(rule, edit.bound)
    before = getattr(base.rule(edit.rule_id), edit.bound)
    named = set(bound.groups) if bound is not None else set()
    named -= set(before.groups) if before is not None else set()
    rule = base.rule(edit.rule_id)
    where = f"{rule.clause}「{rule_title(rule)}」"
    names = [labels.get(k, k) for k in known if k not in (ALL, EVERY_GROUP)]
    out = []
    for key in sorted(named):
        if key in known or key == EVERY_GROUP:
            continue
        near = difflib.get_close_matches(key, names, n=1, cutoff=0.3)
        out.append(Problem(base.label, say(f"分组“{key}”", f'group "{key}"'),
                           say(f"这条规则在本轮已有的分组（共 {len(names)} 个，可在“另设一组”的列表中选）",
                               f"a group this rule has in this round ({len(names)} of them, listed under the field)"),
                           column=f"{where} {say(BOUND_WORDS[edit.bound], edit.bound)}",
                           hint=say(f"是否指“{near[0]}”？", f'did you mean "{near[0]}"?') if near else ""))
    return out


def _same(old: float | None, new: float | str | None) -> bool:
    if old is None or new is None:
        return old is None and new is None
    return not isinstance(new, str) and abs(float(old) - float(new)) < 1e-12
