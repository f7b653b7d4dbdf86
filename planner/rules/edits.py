"""The edits of a what-if: what a planner changed in a scenario, in order, and why.

Owns `Edit` — one change (its kind, the rule or group it touches, the value before and after,
an optional note) as a `Scenario` records it in ``scenario.edits`` —, its plain-JSON form for
`summary.json` (`Edit.as_json`, `edit_from_json`), `replay`, which applies recorded edits to a
base scenario again (`planner solve --verify`), and `describe_edits`, the edits as Chinese lines
for the briefing, `compare` and the what-if page. Does not own the edits themselves (the
``with_*`` methods of `policy.Scenario`) nor writing a scenario file (`scenario_writer`).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from planner.errors import PolicyError, Problem
from planner.lang import say
from planner.rules.shapes import notice_words

#: Characters of a rule's words quoted in an edit's line before they are cut with "…".
WORDS_CHARS = 24

#: The kinds of edit, each with the `Scenario` method that makes it and its Chinese name.
KINDS: Mapping[str, str] = {
    "bound": "限额",          # with_bound
    "rule": "规则",           # with_rule (added or replaced)
    "remove_rule": "删除规则",  # without_rule
    "switch": "开关",         # with_switch
    "scope": "默认口径",       # with_default_scope
    "force_in": "指定入选",    # pinned
    "force_out": "指定不入选",  # pinned
    "fold": "合并地区",        # folded
    "history": "历史名单",     # with_history
    "year": "年度",           # with_year
    "name": "名称",           # with_name
    "plan": "前瞻设置",        # with_plan
    "candidates": "申报表",    # with_candidates
    "units": "撤回申报",       # api.without_units (a change of the candidate table)
}
BOUND_WORDS = {"min": "下限", "max": "上限"}
SCOPE_WORDS = {"period": "按规划期合计", "year": "按年度"}


@dataclass(frozen=True)
class Edit:
    """One change of a what-if.

    Attributes
    ----------
    what : str
        The kind of change, one of `KINDS` (``"bound"``, ``"rule"``, ``"switch"`` …).
    rule : str or None
        The rule id it touches (bound, rule and remove_rule edits).
    group : str or None
        The group of a bound edit (``"长春市"``; ``"*"`` = every group not named).
    key : str or None
        What inside the target changed: ``"min"``/``"max"`` of a bound, the switch's name, the
        folded locality, the `[plan]` key.
    old, new : JSON-like values
        The value before and after (a bound's number or None; a rule's TOML mapping; a list of
        ids or paths as strings).
    note : str
        Why, in the planner's words (optional).
    clause : str
        The clause of the notice the touched rule cites ("" for edits of no rule).
    words : str
        The touched rule's words (its ``text``) when the edit was made, to name it as the notice
        does; not part of the edit's identity (equality ignores it).
    """

    what: str
    rule: str | None = None
    group: str | None = None
    key: str | None = None
    old: Any = None
    new: Any = None
    note: str = ""
    clause: str = ""
    words: str = field(default="", compare=False)

    def as_json(self) -> dict[str, Any]:
        """The edit as plain JSON values (for `summary.json`)."""
        out = {"what": self.what, "rule": self.rule, "group": self.group, "key": self.key,
               "old": _plain(self.old), "new": _plain(self.new), "note": self.note, "clause": self.clause}
        if self.words:
            out["words"] = self.words
        return out

    def describe(self) -> str:
        """The edit as one Chinese line (see `describe_edits`)."""
        return _describe(self)


def edit_from_json(data: Any, where: str = "summary.json") -> Edit:
    """An `Edit` from its `as_json` form.

    Raises
    ------
    PolicyError
        `data` is not an edit (no known ``what``, or a field of the wrong type).
    """
    if not isinstance(data, Mapping) or data.get("what") not in KINDS:
        found = data.get("what") if isinstance(data, Mapping) else data
        raise PolicyError([Problem(where, say(f"修改 {found!r}", f"edit {found!r}"),
                                   say("what 为以下之一的修改：" + "、".join(KINDS), "an edit with what = one of " + ", ".join(KINDS)),
                                   column="edits")])
    for name in ("rule", "group", "key"):
        if data.get(name) is not None and not isinstance(data.get(name), str):
            raise PolicyError([Problem(where, f"{name} = {data.get(name)!r}", say("一段文字", "a string"), column="edits")])
    return Edit(what=str(data["what"]), rule=data.get("rule"), group=data.get("group"), key=data.get("key"),
                old=data.get("old"), new=data.get("new"), note=str(data.get("note") or ""),
                clause=str(data.get("clause") or ""), words=str(data.get("words") or ""))


def replay(scenario: Any, edits: Iterable[Edit | Mapping[str, Any]], where: str = "summary.json") -> Any:
    """Apply recorded edits to a scenario again, in order, through its ``with_*`` methods.

    Edits of the candidate table (``"units"``) are not the scenario's: they are skipped here
    (see `table_edits`). Each replayed edit is recorded again, with its note.

    Raises
    ------
    PolicyError
        An edit that does not apply to this scenario (a rule it lacks, a bad value …).
    """
    for item in edits:
        edit = item if isinstance(item, Edit) else edit_from_json(item, where)
        note = edit.note
        w = edit.what
        if w == "bound":
            scenario = scenario.with_bound(edit.rule, edit.key, edit.new, group=edit.group or "*", note=note)
        elif w == "rule":
            scenario = scenario.with_rule(edit.new, note=note)
        elif w == "remove_rule":
            scenario = scenario.without_rule(edit.rule, note=note)
        elif w == "switch":
            scenario = scenario.with_switch(edit.key, edit.new, note=note)
        elif w == "scope":
            scenario = scenario.with_default_scope(edit.new, note=note)
        elif w == "force_in":
            scenario = scenario.pinned(force_in=_strings(edit.new), note=note, replace=True)
        elif w == "force_out":
            scenario = scenario.pinned(force_out=_strings(edit.new), note=note, replace=True)
        elif w == "fold":
            scenario = scenario.folded(edit.key, edit.new, note=note)
        elif w == "history":
            scenario = scenario.with_history(*_strings(edit.new), note=note)
        elif w == "year":
            scenario = scenario.with_year(edit.new, note=note)
        elif w == "name":
            scenario = scenario.with_name(edit.new, note=note)
        elif w == "plan":
            scenario = scenario.with_plan(note=note, **{edit.key: edit.new})
        elif w == "candidates":
            scenario = scenario.with_candidates(edit.new, note=note)
    return scenario


def table_edits(edits: Iterable[Edit | Mapping[str, Any]], where: str = "summary.json") -> list[Edit]:
    """The edits of the candidate table among recorded edits (units withdrawn)."""
    out = [e if isinstance(e, Edit) else edit_from_json(e, where) for e in edits]
    return [e for e in out if e.what == "units"]


def describe_edits(edits: Any) -> list[str]:
    """The edits of a scenario (or a list of edits, or their JSON) as Chinese lines, in order.

    A rule is named as the notice says it (its clause and words, as recorded with the edit); an
    edit recorded without the words (an older summary.json) names it by id:

    >>> describe_edits([Edit("bound", rule="pc-school-locality", group="长春市", key="max", old=15, new=17,
    ...                      clause="三(三)", note="会议讨论", words="学校实践中心：长春市推荐不超过15个，其他市州各不超过3个")])
    ['三(三)“学校实践中心：长春市推荐不超过15个，其他市州各…”：长春市 上限 15 → 17（会议讨论）']
    >>> describe_edits([{"what": "bound", "rule": "pc-school-locality", "group": "长春市", "key": "max",
    ...                  "old": 15, "new": 17, "clause": "三(三)"}])
    ['规则「pc-school-locality」（三(三)）长春市 上限 15 → 17']
    """
    items = getattr(edits, "edits", edits)
    return [(e if isinstance(e, Edit) else edit_from_json(e)).describe() for e in items or ()]


def _describe(e: Edit) -> str:
    if e.rule and e.words:          # the rule as the notice says it: 三(三)“学校实践中心：长春市推荐不超过15个…”：
        words = notice_words(e.words).strip()
        words = words[:WORDS_CHARS] + "…" if len(words) > WORDS_CHARS else words
        where = f"{e.clause}“{words}”：" if words else f"规则「{e.rule}」" + (f"（{e.clause}）" if e.clause else "")
    else:                           # an edit recorded before its rule's words were kept
        where = f"规则「{e.rule}」" + (f"（{e.clause}）" if e.clause else "") if e.rule else ""
    w = e.what
    if w == "bound":
        group = "其他各组" if e.group in (None, "*") else e.group
        text = f"{where}{group} {BOUND_WORDS.get(e.key or '', e.key)} {_value(e.old)} → {_value(e.new)}"
    elif w == "rule":
        text = f"{where}{'改写' if e.old is not None else '新增'}"
    elif w == "remove_rule":
        text = f"{where}取消"
    elif w == "switch":
        text = f"开关 {e.key}：{_value(e.old)} → {_value(e.new)}"
    elif w == "scope":
        text = f"限额默认口径：{SCOPE_WORDS.get(str(e.old), _value(e.old))} → {SCOPE_WORDS.get(str(e.new), _value(e.new))}"
    elif w in ("force_in", "force_out"):
        added = [x for x in _strings(e.new) if x not in _strings(e.old)]
        dropped = [x for x in _strings(e.old) if x not in _strings(e.new)]
        text = KINDS[w] + "：" + "；".join(filter(None, [("增加 " + "、".join(added)) if added else "",
                                                        ("取消 " + "、".join(dropped)) if dropped else ""])) \
            if (added or dropped) else KINDS[w] + "：不变"
    elif w == "fold":
        text = f"{e.key} 并入 {e.new} 计算" + (f"（原并入 {e.old}）" if e.old else "")
    elif w == "units":
        text = "撤回申报：" + "、".join(_strings(e.new))
    elif w == "plan":
        text = f"前瞻设置 {e.key}：{_value(e.old)} → {_value(e.new)}"
    else:
        text = f"{KINDS.get(w, w)}：{_value(e.old)} → {_value(e.new)}"
    return text + (f"（{e.note}）" if e.note else "")


def _value(v: Any) -> str:
    if v is None:
        return "无"
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (list, tuple)):
        return "、".join(map(_value, v)) if v else "无"
    return str(v)


def _strings(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, (str, bytes)):
        return [str(v)]
    return [str(x) for x in v]


def _plain(v: Any) -> Any:
    """A value as JSON: tuples as lists, paths as strings, mappings as dicts."""
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return str(v)
