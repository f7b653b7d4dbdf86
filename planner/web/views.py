"""What the what-if page shows: the rule editor's rows, a result's headline, a comparison's tables.

Owns turning library objects into the plain rows the templates print, in the office's words:
`editor_sections` (each rule with its clause, text and current bounds per group, grouped by
clause; groups by name; each group's use in the base round worded as the letters and the
ledger word it — 已用 X，为以后年度预留 Y，剩余 Z), `headline` (选中数, 评审总分, the status in
words, seconds), `comparison_view` (who entered and left, per locality, tier and task, binding
changes) and `failure_view`. Rules are named by clause and the notice's words; their ids go
only where the page's 显示规则编号 toggle shows them. Reads results and comparisons; never
solves, never writes.
"""
from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from planner.inputs import load_catalogue
from planner.rules import ALL, Scenario
from planner.show import Comparison
from planner.web.edits import EVERY_GROUP, SEP, bound_of, group_text, number_text, rule_title
from planner.web.workspaces import Trial, unit_names

STATUS_TEXT = {"OPTIMAL": "最优（已证明）", "FEASIBLE": "可行（时限内未证明最优）", "INFEASIBLE": "无可行方案",
               "UNKNOWN": "时限内未找到方案"}
MODE_TEXT = {"cold": "首次建模求解", "bounds": "在原模型上改限额重解", "rebuild": "改动涉及结构，重建模型后求解",
             "again": "与之前某方案相同，直接取回"}
CHANGE_TEXT = {"now binding": "变为紧约束（用足限额）", "no longer binding": "不再是紧约束"}
DECISION_TEXT = {"provincial": "省级", "national": "国家级推荐", "filing": "申报池检查"}
PER_TEXT = {"locality": "地区", "unit_id": "单位", "unit_name": "单位", "tier": "高职档次", "task": "任务",
            "track": "类别", "unit_kind": "单位类型", "level": "层次", "year": "年度"}
MAX_ROWS = 60


def fmt(value: Any, signed: bool = False) -> str:
    """A number as a planner reads it: integers without decimals, one decimal otherwise."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (bool, str)):
        return str(value)
    value = float(value)
    text = f"{value:+.1f}" if signed else f"{value:.1f}"
    if value.is_integer():
        text = f"{value:+.0f}" if signed else f"{value:.0f}"
    return text


# --- the rule editor -----------------------------------------------------------------------------

def editor_sections(scenario: Scenario, rules_table: pd.DataFrame | None, groups: dict[str, list[str]],
                    labels: dict[str, dict[str, str]] | None = None,
                    ledger: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """The rules by clause, each with one editable row per bound group: ``*`` (every group not
    named; the only row of a rule without `per`) and each group its bound map names.

    Parameters
    ----------
    scenario : Scenario
        The served round.
    rules_table : DataFrame, optional
        The base round's rule table (``rule_id``, ``group``, ``value``, ``binding``).
    groups : dict
        Rule id → its group keys in the base round (`edits.known_groups`).
    labels : dict, optional
        Rule id → group key → the group's name (`edits.group_labels`).
    ledger : DataFrame, optional
        The base round's ledger (``rule_id``, ``scope``, ``group``, ``used``, ``max``,
        ``planned_<year>``): what each group has used, what is held for later years and what
        is left, the figures the letters use.
    """
    labels = labels or {}
    use: dict[tuple[str, str], dict[str, Any]] = {}
    if rules_table is not None and len(rules_table):
        for r in rules_table.to_dict("records"):
            key = ALL if r["group"] == "全省" else str(r["group"])
            use[(str(r["rule_id"]), key)] = r
    held = _ledger_use(ledger)
    sections: dict[str, dict[str, Any]] = {}
    for rule in scenario.rules:
        head = re.match(r"[一二三四五六七八九十]+\([一二三四五六七八九十]+\)|[一二三四五六七八九十]+", rule.clause)
        clause = head.group(0) if head else rule.clause
        sections.setdefault(clause, {"clause": clause, "rules": []})
        named = sorted({*(rule.min.groups if rule.min else {}), *(rule.max.groups if rule.max else {})},
                       key=lambda k: (groups.get(rule.id, []).index(k) if k in groups.get(rule.id, []) else 10**6, k))
        rows = []
        names = labels.get(rule.id, {})
        for key in [EVERY_GROUP, *named]:
            if key == EVERY_GROUP:
                label = "全省" if not rule.per else "其他各组"
                rest = [k for k in groups.get(rule.id, []) if k not in named]
                used = _use_of(rule.id, rest, use, held, bound_of(rule, "max", key), several=bool(rule.per))
            else:
                label = group_text(key, names)
                used = _use_of(rule.id, [key], use, held, bound_of(rule, "max", key))
            rows.append({"key": key, "label": label, "used": used,
                         "min": number_text(bound_of(rule, "min", key)) if bound_of(rule, "min", key) is not None else "",
                         "max": number_text(bound_of(rule, "max", key)) if bound_of(rule, "max", key) is not None else "",
                         "min_field": SEP.join(("min", rule.id, key)), "max_field": SEP.join(("max", rule.id, key)),
                         "binding": bool((use.get((rule.id, key)) or {}).get("binding", False))})
        sections[clause]["rules"].append({
            "id": rule.id, "clause": rule.clause, "text": rule.text, "title": rule_title(rule),
            "per": "、".join(PER_TEXT.get(p, p) for p in rule.per),
            "decision": DECISION_TEXT.get(rule.decision, rule.decision),
            "scope": "整个周期累计" if rule.scope == "period" else "每年",
            "by": rule.by, "soft": fmt(rule.soft_weight) if rule.soft else "", "rows": rows,
            "groups": [names.get(g, g) for g in groups.get(rule.id, []) if g not in named and g != ALL],
            "new_group": SEP.join(("new", rule.id, "group")), "new_min": SEP.join(("new", rule.id, "min")),
            "new_max": SEP.join(("new", rule.id, "max")),
        })
    return list(sections.values())


def _ledger_use(ledger: pd.DataFrame | None) -> dict[tuple[str, str], tuple[float, float | None]]:
    """(rule, group) → (used, held for later years) from the ledger: ``used`` as the letters
    count it (this year and earlier years of the period), held = the plan's picks of later
    years (``planned_<year>``) of a period quota; None where nothing is held (a year rule, a
    round without a plan)."""
    if ledger is None or not len(ledger) or not {"rule_id", "group", "used"} <= set(ledger.columns):
        return {}
    planned = [c for c in ledger.columns if c.startswith("planned_")]
    out = {}
    for r in ledger.to_dict("records"):
        key = ALL if r["group"] == "全省" else str(r["group"])
        ahead = None
        if planned and r.get("scope", "period") == "period":
            ahead = float(sum(0.0 if pd.isna(r[c]) else float(r[c]) for c in planned))
        used = r.get("used")
        out[(str(r["rule_id"]), key)] = (0.0 if used is None or pd.isna(used) else float(used), ahead)
    return out


def _use_of(rule_id: str, keys: list[str], use: dict, held: dict, cap: float | None, *,
            several: bool = False) -> str:
    """A group's (or, summed, several groups') use in the base round, as the letters say it:
    ``已用 5，为以后年度预留 10，剩余 0`` (the ledger's figures; the rule table's count where
    the ledger has no row), ``剩余`` only under a maximum (``超出`` past a soft one)."""
    found = [(held[(rule_id, k)] if (rule_id, k) in held else
              (float(use[(rule_id, k)].get("value") or 0), None)) for k in keys
             if (rule_id, k) in held or (rule_id, k) in use]
    if not found:
        return ""
    used = sum(u for u, _ in found)
    ahead = [h for _, h in found if h is not None]
    text = f"已用 {fmt(used)}"
    if ahead:
        text += f"，为以后年度预留 {fmt(sum(ahead))}"
    if cap is not None:
        left = float(cap) * len(found) - used - sum(ahead)
        text += f"，剩余 {fmt(left)}" if left >= 0 else f"，超出 {fmt(-left)}"      # a soft target passed
    return f"{len(found)} 组合计：{text}" if several and len(found) > 1 else text


# --- a result ------------------------------------------------------------------------------------

def headline(trial: Trial, base: Trial | None) -> dict[str, Any]:
    """选中数, 评审总分 and 国家级推荐 with their change against the base, the status in words."""
    s = trial.result.summary
    b = base.result.summary if base is not None and base.result is not None and base is not trial else None
    whatif = s.get("whatif", {}) or {}
    out = {"n_selected": int(s["n_selected"]), "total_score": fmt(s["total_score"]),
           "n_national": int(s["n_national"]), "status": STATUS_TEXT.get(s["status"], s["status"]),
           "optimal": s["status"] == "OPTIMAL", "gap": f"{float(s.get('gap') or 0):.2%}",
           "seconds": f"{trial.seconds:.2f}", "mode": MODE_TEXT.get(whatif.get("mode", ""), ""),
           "resolve_s": fmt(whatif.get("resolve_s")), "penalty": fmt(s.get("penalty"))}
    if b is not None:
        out.update(d_selected=fmt(int(s["n_selected"]) - int(b["n_selected"]), signed=True),
                   d_score=fmt(float(s["total_score"]) - float(b["total_score"]), signed=True),
                   d_national=fmt(int(s["n_national"]) - int(b["n_national"]), signed=True))
    return out


def warnings_of(trial: Trial) -> list[str]:
    """The audit's warnings of a result (candidate-pool checks that fail, …)."""
    return [str(w) for w in trial.result.summary.get("warnings", [])] if trial.result is not None else []


def _records(frame: pd.DataFrame, columns: dict[str, str], limit: int | None = MAX_ROWS,
             signed: tuple[str, ...] = ()) -> dict[str, Any]:
    shown = frame if limit is None else frame.head(limit)
    rows = [{c: fmt(r[c], c in signed) if not isinstance(r[c], str) else r[c] for c in columns}
            for r in shown.to_dict("records")]
    return {"headers": list(columns.values()), "cols": list(columns), "rows": rows, "total": len(frame),
            "more": max(0, len(frame) - len(shown))}


def comparison_view(c: Comparison, scenario: Scenario | None = None,
                    labels: dict[str, dict[str, str]] | None = None) -> dict[str, Any]:
    """The tables of a comparison (a = reference, b = variant), Chinese headings, deltas signed;
    rules by their words (`scenario`), groups by name (`labels`), ids only in ``rule_id``."""
    a, b = c.labels
    movers = {"candidate_id": "编号", "title": "项目", "unit_name": "单位", "locality": "地区", "score": "评审分",
              "reason": "说明"}
    loc = c.by_locality[c.by_locality["delta"] != 0]
    tier = c.by_tier[c.by_tier["delta"] != 0]
    task = c.by_task[c.by_task["delta"] != 0]
    binding = c.binding_changes.assign(change=c.binding_changes["change"].map(lambda x: CHANGE_TEXT.get(x, x)))
    binding = _named(binding, scenario, labels)
    summary = c.summary.set_index("measure")
    return {
        "labels": (a, b),
        "score_delta": fmt(c.score_delta, signed=True),
        "selected": (fmt(summary.at["n_selected", "a"]), fmt(summary.at["n_selected", "b"]),
                     fmt(summary.at["n_selected", "delta"], signed=True)),
        "score": (fmt(summary.at["total_score", "a"]), fmt(summary.at["total_score", "b"])),
        "entered": _records(c.entered, movers),
        "left": _records(c.left, movers),
        "by_locality": _records(loc, {"locality": "地区", "count_a": a, "count_b": b, "delta": "变化"},
                                None, ("delta",)),
        "by_tier": _records(tier, {"tier_label": "高职档次", "count_a": a, "count_b": b, "delta": "变化"},
                            None, ("delta",)),
        "by_task": _records(task.assign(task_label=[_task_text(t, lbl, tr) for t, lbl, tr in
                                                    zip(task["task"], task["task_label"], task["track"])]),
                            {"task_label": "任务", "count_a": a, "count_b": b, "delta": "变化"}, None, ("delta",)),
        "binding": _records(binding, {"clause": "条款", "rule": "规则", "group": "组", "value_a": f"{a}用量",
                                      "limit_a": f"{a}限额", "value_b": f"{b}用量", "limit_b": f"{b}限额",
                                      "change": "变化", "rule_id": "规则编号"}),
    }


def _named(frame: pd.DataFrame, scenario: Scenario | None, labels: dict[str, dict[str, str]] | None) -> pd.DataFrame:
    """A table of rule groups with ``rule`` (the notice's words of the rule) and ``group`` by name."""
    if not len(frame) or "rule_id" not in frame:
        return frame.assign(rule=pd.Series(dtype=object))
    rules = {r.id: r for r in scenario.rules} if scenario is not None else {}
    labels = labels or {}
    ids = frame["rule_id"].astype(str)
    out = frame.assign(rule=[rule_title(rules[i]) if i in rules else i for i in ids])
    if "group" in out:
        out["group"] = [group_text(ALL if str(g) == "全省" else str(g), labels.get(i)) for i, g in zip(ids, out["group"])]
    return out


def _task_text(task: str, label: str, track: str) -> str:
    if not track:
        return label
    return f"{label}（{load_catalogue().tracks_of(task).get(track, track)}）"


def failure_view(trial: Trial, scenario: Scenario | None = None,
                 labels: dict[str, dict[str, str]] | None = None) -> dict[str, Any]:
    """An infeasible (or unsolved) what-if: the library's message whole, the conflict, the advice;
    the table of conflicting groups names rules by their words and groups by name."""
    f = trial.failure
    conflicts = f.conflicts
    rows = None
    if conflicts is not None and len(conflicts):
        conflicts = _named(conflicts, scenario, labels)
        shown = {k: v for k, v in {"clause": "条款", "rule": "规则", "group": "组", "bound": "界",
                                   "limit": "限额", "rule_id": "规则编号"}.items() if k in conflicts}
        rows = _records(conflicts.assign(bound=conflicts["bound"].map({"min": "下限", "max": "上限"}).fillna(
            conflicts["bound"])) if "bound" in conflicts else conflicts, shown, 40)
    title = {"infeasible": "无可行方案：这些改动使规则相互冲突", "no_solution": "时限内未找到方案"}.get(f.kind, "求解失败")
    return {"title": title, "message": f.message, "lines": f.lines, "advice": f.advice, "conflicts": rows}
