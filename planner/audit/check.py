"""The auditor: checks any slate against every rule of a scenario with plain pandas.

Owns the verdict on a slate — one the solver made, or one a planner made by hand in Excel:
row checks (only selectable candidates selected, pins kept, national implies provincial, a
national recommendation never twice, every unit under one id and one name),
every rule group's value against its bounds (period rules counting locked earlier years),
and the candidate-pool checks of `filing` rules. Never imports ortools or `model`/`solver`:
it shares only the reading of rules (`groups`, `availability`) with the model.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.lang import say
from planner.rules import (
    FrameIndex,
    Scenario,
    blocked_reason,
    earlier_rounds,
    flag_values,
    fold_localities,
    linked_chosen,
    match,
    measure_values,
    merge_units,
    pinned_in,
    refiled_recognised,
    rule_groups,
    rule_links,
    unit_conflicts,
    unit_merges,
    unit_mode,
)

TOLERANCE = 1e-6
RULE_COLUMNS = ["rule_id", "clause", "text", "decision", "scope", "soft", "group", "value", "min", "max",
                "target_min", "slack", "binding", "violation", "ok", "weight", "penalty"]


@dataclass
class AuditReport:
    """The audit of one slate.

    Attributes
    ----------
    rules : DataFrame
        One row per rule group: RULE_COLUMNS. ``violation`` > 0 breaks a bound (allowed only
        for soft rules); ``target_min`` is a "by" target's minimum even before its year.
    rows : DataFrame
        Row-level problems: candidate_id, problem.
    filings : DataFrame
        Candidate-pool checks (`decision = "filing"`): the rule columns; failures are warnings.
    """

    rules: pd.DataFrame
    rows: pd.DataFrame
    filings: pd.DataFrame

    @property
    def hard_violations(self) -> pd.DataFrame:
        return self.rules[~self.rules["ok"]]

    @property
    def soft_deviations(self) -> pd.DataFrame:
        """Soft rule groups outside their band: the deviation and the score points it costs."""
        soft = self.rules[self.rules["soft"].astype(bool) & (self.rules["violation"] > TOLERANCE)]
        return soft[["rule_id", "clause", "group", "value", "min", "max", "violation", "weight", "penalty"]]

    @property
    def ok(self) -> bool:
        return self.hard_violations.empty and self.rows.empty

    def messages(self) -> list[str]:
        """One line per violation, in the domain's words."""
        lines = [f"{cid}: {problem}" for cid, problem in zip(self.rows["candidate_id"], self.rows["problem"])]
        for r in self.hard_violations.to_dict("records"):
            below = pd.notna(r["min"]) and r["value"] < r["min"] - TOLERANCE
            value, limit = f'{r["value"]:g}', f'{(r["min"] if below else r["max"]):g}'
            lines.append(say(f'规则“{r["rule_id"]}”（{r["clause"]}）分组“{r["group"]}”：{value}，'
                             + (f"低于下限 {limit}" if below else f"超过上限 {limit}"),
                             f'rule "{r["rule_id"]}" ({r["clause"]}) group "{r["group"]}": {value} is '
                             + (f"below its minimum {limit}" if below else f"above its maximum {limit}")))
        return lines

    def warnings(self) -> list[str]:
        failed = self.filings[~self.filings["ok"]] if not self.filings.empty else self.filings
        return [say(f'申报检查“{r["rule_id"]}”（{r["clause"]}）分组“{r["group"]}”：申报 {r["value"]:g} 项，应'
                    + (f'至少 {r["min"]:g} 项' if pd.notna(r["min"]) else f'至多 {r["max"]:g} 项'),
                    f'filing check "{r["rule_id"]}" ({r["clause"]}) group "{r["group"]}": {r["value"]:g} filed, '
                    + (f'at least {r["min"]:g}' if pd.notna(r["min"]) else f'at most {r["max"]:g}') + " expected")
                for r in failed.to_dict("records")]


def check_slate(slate: pd.DataFrame, scenario: Scenario, *, history: pd.DataFrame | None = None,
                index: FrameIndex | None = None, blocked: pd.Series | None = None) -> AuditReport:
    """Audit a slate against every rule of the scenario.

    Parameters
    ----------
    slate : DataFrame
        Candidate rows (the columns the rules name, plus candidate_id, year, task, eligible and
        the objective column) with 0/1 or bool columns ``selected`` and ``national``.
    scenario : Scenario
    history : DataFrame, optional
        Locked rows of earlier rounds, same columns; their ``selected``/``national`` count
        in period-scope rules.
    index : FrameIndex, optional
        Of the slate with its localities folded (`fold_localities`) and the same ``selected`` and
        ``national`` (0/1 or bool) — the frame a caller that also explains or ledgers the slate
        groups (`rounds.finish`). When the slate is audited alone (no history, units not merged)
        the audit reads that frame and its groups through the index; otherwise it is not used.
    blocked : Series of str, optional
        `blocked_reason` of that frame (the index's), when the caller has it; used with the index.
    """
    frame, n_slate, locked = _audit_frame(slate, scenario, history)
    selected = flag_values(frame, "selected")
    national = flag_values(frame, "national")
    if index is not None and len(frame) == len(slate) and len(index.frame) == len(slate) \
            and unit_mode(scenario.switches) != "merge":
        frame = index.frame             # the same rows and columns, grouped once for every caller
    else:
        index, blocked = FrameIndex(frame), None

    rows = _row_problems(frame.iloc[:n_slate], scenario, selected[:n_slate], national[:n_slate],
                         index if n_slate == len(frame) else None, blocked)
    if unit_mode(scenario.switches) == "check" and "unit_name" in frame:
        # A unit under two ids or two names escapes its per-unit quota (三(三)…(九)): as `prepare`.
        ids = frame["candidate_id"].astype(str).to_numpy()
        rows += [(ids[pos], problem) for pos, problem in unit_conflicts(frame)]
    records, filings = _rule_records(frame, scenario, scenario.rules, selected, national, locked, index=index)
    return AuditReport(rules=pd.DataFrame(records, columns=RULE_COLUMNS),
                       rows=pd.DataFrame(rows, columns=["candidate_id", "problem"]),
                       filings=pd.DataFrame(filings, columns=RULE_COLUMNS))


def _audit_frame(slate: pd.DataFrame, scenario: Scenario,
                 history: pd.DataFrame | None) -> tuple[pd.DataFrame, int, np.ndarray]:
    """The rows a slate is audited on: its own (localities folded), then the locked history's
    (units merged when the scenario merges them); the slate's row count and the locked rows."""
    frame = fold_localities(slate, scenario.fold)
    n_slate = len(frame)
    if history is not None and len(history) and "recognised_in" not in frame and "recognition" in scenario.switches:
        # A slate made by hand: which of its projects the locked history already recognised.
        frame = frame.copy()
        frame["recognised_in"] = earlier_rounds(frame, history, "selected")
        frame["national_in"] = earlier_rounds(frame, history, "national")
    if history is not None and len(history):
        frame = pd.concat([frame, fold_localities(history, scenario.fold)], ignore_index=True)
    if unit_mode(scenario.switches) == "merge":     # one unit under several ids or spellings counts as one
        frame = merge_units(frame, unit_merges(frame))
    locked = np.zeros(len(frame), bool)
    locked[n_slate:] = True
    return frame, n_slate, locked


def _rule_records(frame: pd.DataFrame, scenario: Scenario, rules, selected: np.ndarray, national: np.ndarray,
                  locked: np.ndarray, *, index: FrameIndex | None = None) -> tuple[list[dict], list[dict]]:
    """Every group of `rules` (in their order) checked: the rule records and the filing records.
    `index`: a `FrameIndex` of `frame` (column forms, masks and group keys shared by every rule)."""
    this_year = (frame["year"] == scenario.year).to_numpy() & ~locked
    records, filings = [], []
    index = index if index is not None and index.frame is frame else FrameIndex(frame)
    for rule in rules:
        values = measure_values(frame, rule)
        if rule.decision == "filing":
            # A filing check counts what was filed: this round's rows, and with scope
            # "period" every row of the locked earlier rounds too (selected or not).
            filed = (this_year | locked) if rule.scope == "period" else this_year
            for group in rule_groups(frame, rule, scenario, mask=filed, index=index):
                filings.append(_record(rule, group, float(values[group.rows].sum())))
            continue
        chosen = national if rule.decision == "national" else selected
        if rule_links(rule):
            # 三(三) a row counted through a link (a centre inside its 市域产教联合体) counts only
            # while the row it names is in the slate too (selected now or in an earlier round).
            chosen = linked_chosen(frame, rule, chosen, selected, index=index)
        countable = (this_year | locked) if rule.scope == "period" else this_year
        groups = rule_groups(frame, rule, scenario, mask=countable, index=index)
        sums = _group_sums(groups, values * chosen)
        sums = sums.tolist() if sums is not None else None      # Python floats, as float() of each
        head = _head(rule)
        for k, group in enumerate(groups):
            value = sums[k] if sums is not None else float((values[group.rows] * chosen[group.rows]).sum())
            records.append(_record(rule, group, value, head))
    return records, filings


def _group_sums(groups: list, amount: np.ndarray) -> np.ndarray | None:
    """Each group's amount, all in one pass, when every amount is a whole number, none below zero
    (nor -0.0) and their total below 2**52 — then the order of the additions cannot change a sum;
    None otherwise, and each group's sum is taken by numpy as before."""
    amount = np.asarray(amount, dtype=np.float64)
    if not groups or np.signbit(amount).any() or not np.all(amount == np.trunc(amount)) \
            or amount.sum() >= 2.0 ** 52:
        return None
    rows = np.concatenate([g.rows for g in groups]).astype(np.int64)
    which = np.repeat(np.arange(len(groups)), [len(g.rows) for g in groups])
    return np.bincount(which, weights=amount[rows], minlength=len(groups))


def _row_problems(frame: pd.DataFrame, scenario: Scenario, selected: np.ndarray, national: np.ndarray,
                  index: FrameIndex | None = None, blocked: pd.Series | None = None) -> list:
    ids = frame["candidate_id"].astype(str).to_numpy()
    blocked = (blocked if blocked is not None else blocked_reason(frame, scenario)).to_numpy()
    problems = []
    for pos in np.flatnonzero(selected & (blocked != "")):
        problems.append((ids[pos], say(f"不能入选却已入选（{blocked[pos]}）", f"selected although it cannot be ({blocked[pos]})")))
    # 二(二) a national pick is a provincial one — or, under a rule with draw = "pool", a re-filed
    # project an earlier round recognised (在省级项目库中择优推荐).
    pool = np.zeros(len(frame), bool)
    where = index.match if index is not None and len(index.frame) == len(frame) else lambda w: match(frame, w)
    for rule in scenario.rules:
        if rule.decision == "national" and rule.draw == "pool":
            pool |= where(rule.where)
    pool &= refiled_recognised(frame, scenario)
    for pos in np.flatnonzero(national & ~selected & ~pool):
        problems.append((ids[pos], say("推荐国家级但未入选省级", "recommended nationally without being selected provincially")))
    for pos in np.flatnonzero(pinned_in(frame, scenario) & ~selected):
        problems.append((ids[pos], say("指定入选（force_in）但未入选", "pinned in (force_in) but not selected")))
    # 二(二) a national recommendation only where a national rule of the notice covers the task.
    covered = np.zeros(len(frame), bool)
    for rule in scenario.rules:
        if rule.decision == "national":
            covered |= where(rule.where)
    for pos in np.flatnonzero(national & ~covered):
        problems.append((ids[pos], say("推荐国家级，但没有任何国家级规则涵盖其任务",
                                       "recommended nationally although no national rule covers its task")))
    if "national_in" in frame:
        again = pd.to_numeric(frame["national_in"], errors="coerce").fillna(0).to_numpy() > 0
        for pos in np.flatnonzero(national & again):
            problems.append((ids[pos], say("再次推荐国家级（以往年度已推荐过）",
                                           "recommended nationally again (an earlier round already recommended it)")))
    return problems


def _record(rule, group, value: float, head: dict | None = None) -> dict:
    """The record of one group; `head`, the rule's own fields (`_head`), when several groups of it are told."""
    lo, hi = group.min, group.max
    target = rule.min.for_group(group.key) if rule.min is not None else None
    slacks = [s for s in ((hi - value) if hi is not None else None, (value - lo) if lo is not None else None)
              if s is not None]
    slack = min(slacks) if slacks else np.nan
    violation = max([0.0, *(-s for s in slacks)])
    return {
        **(head if head is not None else _head(rule)), "group": group.label, "value": value,
        "min": lo if lo is not None else np.nan, "max": hi if hi is not None else np.nan,
        "target_min": target if target is not None else np.nan,
        "slack": slack, "binding": bool(slacks) and abs(slack) <= TOLERANCE,
        "violation": violation, "ok": rule.soft or violation <= TOLERANCE,
        "weight": rule.soft_weight if rule.soft else np.nan,
        "penalty": violation * rule.soft_weight if rule.soft else 0.0,
    }


def _head(rule) -> dict:
    return {"rule_id": rule.id, "clause": rule.clause, "text": rule.text, "decision": rule.decision,
            "scope": rule.scope, "soft": rule.soft}
