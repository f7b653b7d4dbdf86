"""Why each candidate is in or out: a reason code (English) and a sentence (Chinese).

Owns the reading of a solved slate against the rules for people: blocked candidates
(other year, ineligible, task off, below the pass mark, pinned out), selected ones (and
whether recommended nationally), and rejected ones whose group's quota is full — with
the lowest score selected in that group — or that a better combination displaced.
Does not own solving; exact counterfactuals re-solve through `solve`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .audit import AuditReport
from .availability import pinned_in
from .groups import ALL, group_keys, match
from .policy import Scenario

SENTENCES = {
    "selected": "入选省级推荐名单",
    "selected_national": "入选省级推荐名单，并推荐申报国家级",
    "selected_not_national": "入选省级推荐名单，未进入国家级推荐",
    "pinned_in": "按指定入选（force_in）",
    "pinned_out": "按指定不入选（force_out）",
    "other_year": "非本年度申报项目（{year}年），本轮不作决定",
    "task_disabled": "该任务本轮未开放申报",
    "ineligible": "不符合该任务的推荐条件（eligible = 否）",
    "below_pass_mark": "专家评分 {score:g} 低于合格线 {pass_mark:g}",
    "quota_full": "{clause}“{rule}”在“{group}”的名额已满（{value:g}/{limit:g}），该组入选最低分 {lowest:g}，本项目 {score:g}",
    "displaced": "在全部规则下，其他组合总分更高，本项目（{score:g}）未入选",
    "locked": "以往年度已作决定（锁定）",
}


def reasons(slate: pd.DataFrame, scenario: Scenario, audit: AuditReport, blocked: pd.Series) -> pd.DataFrame:
    """One reason per candidate row of the slate.

    Parameters
    ----------
    slate : DataFrame
        Candidate rows with bool ``selected`` and ``national`` (localities folded as in the model).
    audit : AuditReport
        The audit of this slate (its rule table tells which groups are full).
    blocked : Series of str
        `availability.blocked_reason` of each row.

    Returns
    -------
    DataFrame with candidate_id, reason_code, reason, rule_id, group.
    """
    n = len(slate)
    code = np.full(n, "", dtype=object)
    rule_id = np.full(n, "", dtype=object)
    group = np.full(n, "", dtype=object)
    text = np.full(n, "", dtype=object)
    selected = slate["selected"].to_numpy(dtype=bool)
    national = slate["national"].to_numpy(dtype=bool)
    score = pd.to_numeric(slate[scenario.maximise], errors="coerce").to_numpy(dtype=float)
    blocked = blocked.to_numpy()
    national_possible = np.zeros(n, bool)
    for rule in scenario.rules:
        if rule.decision == "national":
            national_possible |= match(slate, rule.where)

    code[selected] = "selected"
    code[selected & national_possible] = "selected_not_national"
    code[selected & national] = "selected_national"
    code[selected & pinned_in(slate, scenario)] = "pinned_in"
    code[~selected & (blocked != "")] = blocked[~selected & (blocked != "")]

    # 名额已满: the candidate sits in a provincial max group that the slate fills.
    full = audit.rules[(audit.rules["decision"] == "provincial") & audit.rules["binding"]
                       & audit.rules["max"].notna() & (audit.rules["value"] >= audit.rules["max"] - 1e-9)
                       & ~audit.rules["soft"]]
    open_rows = (code == "")
    details: dict[int, tuple] = {}
    for record in full.to_dict("records"):
        if not open_rows.any():
            break
        rule = scenario.rule(record["rule_id"])
        members = match(slate, rule.where) & open_rows & (slate["year"] == scenario.year).to_numpy()
        if rule.per:
            keys = group_keys(slate, rule.per).to_numpy()
            members &= keys == record["group"]
        elif record["group"] not in (ALL, "全省"):
            continue
        chosen = match(slate, rule.where) & selected & (slate["year"] == scenario.year).to_numpy()
        if rule.per:
            chosen &= group_keys(slate, rule.per).to_numpy() == record["group"]
        lowest = float(np.nanmin(score[chosen])) if chosen.any() else float("nan")
        for pos in np.flatnonzero(members):
            code[pos], rule_id[pos], group[pos] = "quota_full", rule.id, record["group"]
            details[pos] = (rule, record, lowest)
        open_rows &= ~members
    code[code == ""] = "displaced"

    years = slate["year"].to_numpy()
    for pos in range(n):
        c = code[pos]
        if c == "quota_full":
            rule, record, lowest = details[pos]
            text[pos] = SENTENCES[c].format(clause=rule.clause, rule=rule.text or rule.id, group=record["group"],
                                            value=record["value"], limit=record["max"], lowest=lowest,
                                            score=score[pos])
        else:
            text[pos] = SENTENCES[c].format(year=years[pos], score=score[pos],
                                            pass_mark=scenario.pass_mark if scenario.pass_mark is not None else 0)
    return pd.DataFrame({"candidate_id": slate["candidate_id"].to_numpy(), "reason_code": code, "reason": text,
                         "rule_id": rule_id, "group": group})
