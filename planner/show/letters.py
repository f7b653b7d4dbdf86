"""The reason for each project said to the unit that filed it: one plain Chinese sentence.

Owns the wording of a result as a school, a government office or an enterprise reads it — from
the notice's point of view, with names only (unit, locality, task, tier in words): not eligible
(which condition), below the pass mark, the group's places this year went to higher scores (the
lowest score admitted), a period quota spread over the years (三年共15个名额，本年度安排5个，其余
名额留待2024、2025年度 — never "full" when it is not), recognised before, exempt. Sentences are
built from the structured columns of explanations.csv (reason_code, rule_id, group, limit,
value, planned, lowest_selected), rules.csv (clause and text of a rule) and ledger.csv (the use
of a group per year), never from the internal sentence in its ``reason`` column. Does not own
why a project is in or out (`explain.reasons`) nor the letters' layout (the templates).
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from planner.inputs import load_catalogue
from planner.rules import notice_words

# Text that may not reach a letter: ids, column names, booleans, missing values, internal words.
_CODE_LIKE = re.compile(r"[A-Za-z_]{2,}|\b[A-Z]\d+")
_COLUMN_NOTE = re.compile(r"（[^（）]*[A-Za-z_]{2,}[^（）]*）")
_RECOGNISED_IN = re.compile(r"(\d{4})年")
_SCORE = "{:g}"


@dataclass
class RoundFacts:
    """What the sentences need to know about the round besides a project's own row."""

    year: int
    period: tuple[int, int] | None = None
    pass_mark: float | None = None
    # rule_id → clause, text, scope, soft, by_track ("1" when the rule counts one track of a task)
    rules: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    used: Mapping[tuple[str, str], Mapping[str, float]] = field(default_factory=dict)  # (rule, group) → year → use
    conditions: Mapping[str, str] = field(default_factory=dict)           # task → eligibility condition
    exempt_clause: str = ""


def read_facts(year: int, rules: pd.DataFrame | None, ledger: pd.DataFrame | None, *,
               period: tuple[int, int] | None = None, pass_mark: float | None = None,
               conditions: Mapping[str, str] | None = None, exempt_clause: str = "",
               track_rules: Mapping[str, bool] | None = None) -> RoundFacts:
    """The round's facts from rules.csv and ledger.csv (either may be None: sentences say less).

    Parameters
    ----------
    rules : pandas.DataFrame, optional
        rules.csv: ``rule_id``, ``clause``, ``text``, ``scope``, ``soft``.
    ledger : pandas.DataFrame, optional
        ledger.csv: ``rule_id``, ``group``, ``used_<year>`` per year of the period.
    track_rules : mapping of str to bool, optional
        rule_id → whether the rule's ``where`` names a track (from the scenario); unknown rules
        are said of the project's track.
    """
    table: dict[str, dict[str, str]] = {}
    if rules is not None and {"rule_id", "clause"} <= set(rules.columns):
        for record in rules.drop_duplicates("rule_id").to_dict("records"):
            table[str(record["rule_id"])] = {k: str(record.get(k, "") or "") for k in ("clause", "text", "scope", "soft")}
    for rule_id, by_track in (track_rules or {}).items():
        table.setdefault(rule_id, {})["by_track"] = "1" if by_track else "0"
    used: dict[tuple[str, str], dict[str, float]] = {}
    if ledger is not None and {"rule_id", "group"} <= set(ledger.columns):
        years = [c for c in ledger.columns if re.fullmatch(r"used_\d{4}", str(c))]
        if period is None and years:
            span = sorted(int(c[5:]) for c in years)
            period = (span[0], span[-1])
        for record in ledger.to_dict("records"):
            per_year = {c[5:]: _number(record.get(c)) for c in years}
            used[(str(record["rule_id"]), str(record["group"]))] = per_year
    return RoundFacts(year=int(year), period=period, pass_mark=pass_mark, rules=table, used=used,
                      conditions=dict(conditions or {}), exempt_clause=exempt_clause)


def reason_sentence(row: Mapping[str, Any], facts: RoundFacts) -> str:
    """One plain sentence for one project.

    Parameters
    ----------
    row : mapping
        The project: ``unit_id``, ``task``, ``track``, ``score``, ``selected``, ``national``,
        ``exempt`` and its explanations.csv columns ``reason_code``, ``reason``, ``rule_id``,
        ``group``, ``limit``, ``value``, ``planned``, ``lowest_selected``.
    facts : RoundFacts

    Returns
    -------
    str
        A sentence ending in 。 with no code, column name, boolean or missing value.
    """
    code = str(row.get("reason_code", "") or "")
    score = _number(row.get("score"))
    rule = facts.rules.get(str(row.get("rule_id", "") or ""), {})
    # A rule of the whole task (a target of 三(七)) is said of the task; a track's rule of the track.
    by_track = rule.get("by_track", "1") == "1"
    task = task_words(str(row.get("task", "")), str(row.get("track", "") or "") if by_track else "")
    cat = load_catalogue()
    task_clause = cat.tasks[row["task"]].clause if row.get("task") in cat.tasks else ""
    clause = rule.get("clause", "") or task_clause
    per_notice = f"按通知{clause}规定，" if clause else "按通知规定，"
    if code in ("selected", "selected_national", "pinned_in", "selected_not_national"):
        text = "入选省级认定名单"
        if code == "selected_national":
            text += "，并推荐参加国家级遴选"
        text += "。"
        if code == "selected_not_national":
            text = text[:-1] + "；" + _not_national(row, facts, rule) + "。"
        if _truthy(row.get("exempt")) and facts.exempt_clause:
            text = text[:-1] + f"。按通知{facts.exempt_clause}规定，本项目不占用推荐名额。"
        return text
    if code == "below_pass_mark":
        mark = f"{facts.pass_mark:g}分" if facts.pass_mark is not None else "合格线"
        return f"评审分数{_SCORE.format(score)}分，低于合格线{mark}，未能入选。".replace("合格线合格线", "合格线")
    if code == "ineligible":
        condition = facts.conditions.get(str(row.get("task", "")), "")
        where = f"通知{task_clause}" if task_clause else "通知"
        if condition:
            return f"不符合{where}规定的申报条件（{_plain(condition)}），未列入评审。"
        return f"不符合{where}对{task}规定的申报条件，未列入评审。"
    if code == "not_core_course":
        condition = facts.conditions.get("core_course", "") or "申报课程须为专业核心课程"
        return f"不符合通知{task_clause}规定的申报条件（{_plain(condition)}），本课程未列为专业核心课程。"
    if code == "already_recognised":
        found = _RECOGNISED_IN.search(str(row.get("reason", "")))
        when = f"已于{found.group(1)}年" if found else "已在以往年度"
        return f"该项目{when}获省级认定，按通知规定不再重复认定。"
    if code == "task_disabled":
        return f"{task}本年度未开放申报。"
    if code == "pinned_out":
        return "经研究确定，本项目本年度未列入认定名单。"
    if code == "other_year":
        return "该项目不属于本年度申报项目。"
    if code == "locked":
        return "该项目已在以往年度作出决定。"
    if code == "not_in_scope":
        # the rule's words where they are the notice's, else the task's condition as the office wrote it
        quote = _quote(rule) or _plain(facts.conditions.get(str(row.get("task", "")), ""))
        return f"不在通知{clause}规定的推荐范围内{('（' + quote + '）') if quote else ''}，未能入选。"
    if code in ("quota_full", "target_reached"):
        return _no_room(row, facts, rule, per_notice, task, score, target=(code == "target_reached"))
    return f"在通知规定的各项名额和目标下，本项目（{_SCORE.format(score)}分）未能入选。"


def task_words(task: str, track: str) -> str:
    """任务类别 in words: the task's name, and its track in brackets where it has one."""
    cat = load_catalogue()
    name = cat.label("task", task)
    sub = cat.tracks_of(task).get(track, "") if track else ""
    return f"{name}（{sub}）" if sub else name


def clean_for_letter(text: str) -> bool:
    """Whether `text` is free of what a letter may not say (ids, column names, booleans)."""
    return not _CODE_LIKE.search(text)


# --------------------------------------------------------------------------- the sentences' parts
def _no_room(row: Mapping[str, Any], facts: RoundFacts, rule: Mapping[str, str], per_notice: str, task: str,
             score: float, *, target: bool) -> str:
    """A group with no room left: a quota (hard) or a target band (about N), spread or full."""
    who = group_words(row, facts)
    limit, value = _number(row.get("limit")), _number(row.get("value"))
    planned = _number(row.get("planned"))
    low = _number(row.get("lowest_selected"))
    span = _span(facts)
    period = rule.get("scope", "period") != "year" and span
    later = _later_years(facts)
    this_year = _this_year_use(row, facts)
    so_far = "本年度" if (facts.period is None or facts.year == facts.period[0]) else "截至本年度"
    head = per_notice
    if target:
        quote = _quote(rule)
        head = f"通知{rule.get('clause', '')}提出{('“' + quote + '”') if quote else '建设目标'}，按此目标，"
        amount = f"{who}{task}{span + '年' if period else ''}计划安排不超过{_int(limit)}个"
    else:
        amount = f"{who}{task}的推荐名额为{span + '年共' if period else ''}{_int(limit)}个"
    if planned > 0 and later:
        used = f"{so_far}已安排{_int(value)}个"
        if this_year is not None and so_far != "本年度":
            used += f"（其中本年度{_int(this_year)}个）"
        text = f"{head}{amount}，{used}，其余名额留待{later}年度"
    elif math.isnan(low):
        text = f"{head}{amount}，已在以往年度全部安排"
    else:
        text = f"{head}{amount}，已全部安排"
    if math.isnan(low):
        return text + f"，本项目（{_SCORE.format(score)}分）未能入选。"
    if score < low:
        return text + f"；本年度入选项目最低分为{_SCORE.format(low)}分，本项目{_SCORE.format(score)}分，未能入选。"
    return text + f"；为同时满足通知的其他名额要求，本项目（{_SCORE.format(score)}分）未能入选。"


def _not_national(row: Mapping[str, Any], facts: RoundFacts, rule: Mapping[str, str]) -> str:
    """Selected, not recommended nationally: the national places of its group went elsewhere."""
    clause = rule.get("clause", "")
    who = group_words(row, facts, national=True)
    limit, low = _number(row.get("limit")), _number(row.get("lowest_selected"))
    score = _number(row.get("score"))
    places = f"{who}推荐参加国家级遴选的名额为{_span(facts) + '年共' if rule.get('scope') != 'year' and _span(facts) else ''}" \
             f"{_int(limit)}个" if not math.isnan(limit) else f"{who}推荐参加国家级遴选的名额"
    head = f"按通知{clause}规定，" if clause else "按通知规定，"
    if math.isnan(low):
        return f"{head}{places}，已在以往年度推荐完毕，本项目未列入国家级推荐名单"
    if score < low:
        return f"{head}{places}，本年度推荐项目最低分为{_SCORE.format(low)}分，本项目未列入国家级推荐名单"
    return f"{head}{places}，本项目未列入国家级推荐名单"


def group_words(row: Mapping[str, Any], facts: RoundFacts, *, national: bool = False) -> str:
    """The group of a rule in words: 全省, a locality, 贵单位, a level or track by name ("" if unsure)."""
    group = str(row.get("group", "") or "")
    uid = str(row.get("unit_id", "") or "")
    if not group or group == "全省":
        return "全省"
    if uid and (group == uid or group.startswith(uid + "（")):
        return "贵单位"
    cat = load_catalogue()
    track = cat.tracks_of(str(row.get("task", ""))).get(group)
    if track:
        return f"{track}类"
    for column in ("level", "tier", "unit_kind"):
        label = cat.label(column, group)
        if label != group:
            return label
    if group in cat.localities or group in (cat.levels.values() if hasattr(cat, "levels") else ()):
        return group
    return group if clean_for_letter(group) else ""


def _this_year_use(row: Mapping[str, Any], facts: RoundFacts) -> float | None:
    rule_id, group = str(row.get("rule_id", "")), str(row.get("group", "") or "")
    for key in (group, group.split("（")[0]):
        per_year = facts.used.get((rule_id, key))
        if per_year is not None:
            value = per_year.get(str(facts.year))
            return None if value is None or math.isnan(value) else value
    return None


def _span(facts: RoundFacts) -> str:
    if facts.period is None or facts.period[0] == facts.period[1]:
        return ""
    return f"{facts.period[0]}—{facts.period[1]}"


def _later_years(facts: RoundFacts) -> str:
    if facts.period is None:
        return ""
    return "、".join(str(y) for y in range(facts.year + 1, facts.period[1] + 1))


def _quote(rule: Mapping[str, str]) -> str:
    """The rule's text when it is the notice's words (no column name, no nested quotes)."""
    # the notice's words: not the planner's reading, nor a note naming the column the rule reads
    text = _plain(_COLUMN_NOTE.sub("", notice_words(rule.get("text", ""))))
    if not text or not clean_for_letter(text):
        return ""
    return text.replace("“", "‘").replace("”", "’")


def _plain(text: str) -> str:
    return str(text).strip().rstrip("。；;")


def _number(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def _int(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:g}"


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1", "1.0", "是")
