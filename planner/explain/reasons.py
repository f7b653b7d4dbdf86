"""Why each candidate is in or out: a stable English reason code and one Chinese sentence with a figure.

Owns the reading of a solved slate against the rules for people: blocked candidates (other
year, task off, ineligible, below the pass mark, pinned out), candidates outside a rule's
scope (a group whose maximum is 0), selected ones (pinned, recommended nationally or not —
with the lowest national score of their group), and rejected ones whose group has no room
left (the quota of rule R in group G is full, with the lowest score selected there), whose
soft target band is full, or that a better combination elsewhere displaced.

Does not own solving: exact counterfactuals (what forcing a candidate in or out would cost)
re-solve in `counterfactual`; conflicts of an infeasible scenario are `conflicts`; other
optimal slates are `alternatives`. Never imports ortools. The codes and sentences are
documented in docs/explanations.md; codes are stable, sentences may be reworded.
"""
from __future__ import annotations

import logging
import math
import string

import numpy as np
import pandas as pd

from planner.audit import AuditReport
from planner.rules import ALL, FrameIndex, Rule, Scenario, flag_values, group_keys, match, measure_values, pinned_in, rule_groups

log = logging.getLogger(__name__)

TOLERANCE = 1e-6

# Reason codes (English, stable) → sentence templates (Chinese). Order of precedence for a
# rejected candidate: blocked (availability) → not_in_scope → quota_full → target_reached → displaced.
SENTENCES = {
    "selected": "入选省级推荐名单（本项目 {score:g} 分）",
    "selected_national": "入选省级推荐名单，并推荐申报国家级（本项目 {score:g} 分）",
    "selected_not_national": ("入选省级推荐名单，未进入国家级推荐：{clause}“{rule}”在“{group}”推荐 {value:g}/{limit} 项，"
                              "国家级推荐最低分 {lowest}，本项目 {score:g}"),
    "pinned_in": "按指定入选（force_in），本项目 {score:g} 分",
    "pinned_out": "按指定不入选（force_out），本项目 {score:g} 分",
    "other_year": "非本年度申报项目（{year}年），本轮不作决定",
    "task_disabled": "该任务本轮未开放申报",
    "already_recognised": "该项目已于{recognised_in}年获省级认定，已认定项目不再重复认定",
    "ineligible": "不符合该任务的推荐条件（eligible = 否）",
    "not_core_course": "三(七)申报课程须为专业核心课程，本课程未标注为专业核心课程（core_course = 否）",
    "below_pass_mark": "专家评分 {score:g} 低于合格线 {pass_mark:g}",
    "not_in_scope": "不符合推荐范围：{clause}“{rule}”（该类项目限额为 0）",
    "quota_full": "{clause}“{rule}”在“{group}”的名额已满（{used_text}），{lowest_text}，本项目 {score:g}",
    "target_reached": ("{clause}“{rule}”在“{group}”已达目标上限（{used_text}，再入选将超出目标），"
                       "{lowest_text}，本项目 {score:g}"),
    "displaced": "在全部规则下，其他组合总分更高，本项目（{score:g}）未入选",
    "locked": "以往年度已作决定（锁定）",
}

CODES = tuple(SENTENCES)
COLUMNS = ["candidate_id", "reason_code", "reason", "rule_id", "group", "limit", "value", "planned", "lowest_selected",
           "lowest_planned"]

# Kinds of a "no room" group for a rejected candidate, best explanation first.
_ROOM_KINDS = ("not_in_scope", "quota_full", "target_reached")


def reasons(slate: pd.DataFrame, scenario: Scenario, audit: AuditReport, blocked: pd.Series, *,
            plan: pd.DataFrame | None = None, index: FrameIndex | None = None) -> pd.DataFrame:
    """One reason per candidate row of the slate.

    Parameters
    ----------
    slate : DataFrame
        Candidate rows with bool ``selected`` and ``national`` (localities folded as in the
        model); needs candidate_id, year, the objective column, the columns the rules name
        and, for readable unit groups, unit_name.
    scenario : Scenario
    audit : AuditReport
        The audit of this slate: its rule table gives each group's value (locked history included).
    blocked : Series of str
        `availability.blocked_reason` of each row ("" = selectable).
    plan : DataFrame, optional
        The lookahead's planned rows (`plan_frame`): the rule columns plus bool ``selected``.
        A period quota is then full when this round and the planned later rounds fill it.
    index : FrameIndex, optional
        A `FrameIndex` of `slate` itself (the one its audit grouped, `rounds.finish`): the groups
        are read through it, not formed again. One of another frame is not used.

    Returns
    -------
    DataFrame
        `COLUMNS`: candidate_id, reason_code (one of `CODES`), reason (Chinese sentence),
        rule_id and group of the rule that explains it ("" if none), limit, value (this round
        with locked history), planned (the planned later rounds' share of a period quota),
        lowest_selected and lowest_planned (lowest score selected / planned in that group;
        NaN if none). One row per slate row, in slate order.
    """
    n = len(slate)
    code = np.full(n, "", dtype=object)
    rule_id = np.full(n, "", dtype=object)
    group = np.full(n, "", dtype=object)
    limit = np.full(n, np.nan)
    value = np.full(n, np.nan)
    planned_used = np.full(n, np.nan)
    lowest = np.full(n, np.nan)
    lowest_plan = np.full(n, np.nan)
    selected = flag_values(slate, "selected")
    national = flag_values(slate, "national")
    score = pd.to_numeric(slate[scenario.maximise], errors="coerce").to_numpy(dtype=float)
    blocked = np.asarray(blocked.to_numpy(), dtype=object)
    this_year = (slate["year"] == scenario.year).to_numpy()
    values = _audit_values(audit)

    # 1. The row-level decisions: selected (pinned, national or not) and blocked rows.
    code[selected] = "selected"
    code[selected & national] = "selected_national"
    code[selected & pinned_in(slate, scenario)] = "pinned_in"
    is_blocked = ~selected & (blocked != "")
    code[is_blocked] = blocked[is_blocked]

    if index is None or index.frame is not slate:
        index = FrameIndex(slate)       # column forms, masks and group keys shared by every rule

    # 2. Selected but not recommended nationally: the national group it competes in. A rule's
    # groups hold distinct rows, so each rule's groups are read at once (`_Members`).
    national_rules = [r for r in scenario.rules if r.decision == "national"]
    waiting = (code == "selected")
    for rule in national_rules:
        if not waiting.any():
            break
        weights = measure_values(slate, rule)
        groups = rule_groups(slate, rule, scenario, mask=this_year, index=index)
        m = _Members(groups)
        waits = waiting[m.rows]
        if not waits.any():
            continue
        chosen = national[m.rows]
        low = m.lowest(score, chosen)
        value_of = np.full(len(groups), np.nan)
        for k in np.unique(m.group[waits]).tolist():
            g = groups[k]
            known = (rule.id, g.label)
            value_of[k] = values[known] if known in values else float(weights[g.rows[national[g.rows]]].sum())
        rows, at = m.rows[waits], m.group[waits]
        code[rows] = "selected_not_national"
        rule_id[rows] = rule.id
        group[rows] = m.labels(slate, rule, at, rows, each_row=False)
        limit[rows] = m.max[at]
        value[rows] = value_of[at]
        lowest[rows] = low[at]
        waiting[rows] = False

    # 3. Rejected, selectable rows: the group with no room left that explains it best.
    open_rows = (code == "") & this_year
    planned_share = _planned_share(plan, scenario) if plan is not None and len(plan) else {}
    best_key = np.full(n, np.inf)
    for rule in scenario.rules:
        if rule.decision != "provincial" or rule.max is None or not open_rows.any():
            continue
        weights = measure_values(slate, rule)
        groups = [g for g in rule_groups(slate, rule, scenario, mask=this_year, index=index) if g.max is not None]
        m = _Members(groups)
        open_at = open_rows[m.rows] & (weights[m.rows] > 0)
        if not open_at.any():
            continue
        # Per group with an open row: the amount used, and the later rounds' planned share.
        used_of, later_of, low_later_of = (np.full(len(groups), np.nan) for _ in range(3))
        shares = planned_share.get(rule.id, {})
        for k in np.unique(m.group[open_at]).tolist():
            g = groups[k]
            known = (rule.id, g.label)
            used_of[k] = values[known] if known in values else float(weights[g.rows[selected[g.rows]]].sum())
            later_of[k], low_later_of[k] = shares.get(g.key, (0.0, math.nan))
        rows, at = m.rows[open_at], m.group[open_at]
        no_room = (used_of[at] + later_of[at]) + weights[rows] > m.max[at] + TOLERANCE
        rows, at = rows[no_room], at[no_room]
        if not len(rows):
            continue
        # The kind of each group: scope (a maximum of 0), then hard quota, then soft band.
        rank_of = np.where(m.max <= TOLERANCE, 0, _ROOM_KINDS.index("target_reached" if rule.soft else "quota_full"))
        low = m.lowest(score, selected[m.rows] & this_year[m.rows])
        # Prefer: scope, then hard quota, then soft band; within a kind, a group whose lowest
        # selected score is at least the candidate's (a plain "others were better"), then
        # the group with the highest lowest score.
        best_low = np.fmax(low, low_later_of)[at]
        beaten = np.where(np.isnan(best_low) | (best_low >= score[rows] - TOLERANCE), 0, 1)
        key = rank_of[at] * 1e6 + beaten * 1e4 - np.where(np.isnan(best_low), 0.0, best_low / 1e3)
        better = key < best_key[rows]
        rows, at = rows[better], at[better]
        if not len(rows):
            continue
        best_key[rows] = key[better]
        code[rows] = np.array(_ROOM_KINDS, dtype=object)[rank_of[at]]
        rule_id[rows] = rule.id
        group[rows] = m.labels(slate, rule, at, rows, each_row=_unit_group(rule))
        limit[rows], value[rows], lowest[rows] = m.max[at], used_of[at], low[at]
        planned_used[rows], lowest_plan[rows] = later_of[at], low_later_of[at]
    code[(code == "") & this_year] = "displaced"
    code[code == ""] = "other_year"

    text = _sentences(slate, scenario, code, rule_id, group, limit, value, planned_used, lowest, lowest_plan, score)
    return pd.DataFrame({"candidate_id": slate["candidate_id"].astype(str).to_numpy(), "reason_code": code,
                         "reason": text, "rule_id": rule_id, "group": group, "limit": limit, "value": value,
                         "planned": planned_used, "lowest_selected": lowest, "lowest_planned": lowest_plan},
                        columns=COLUMNS)


class _Members:
    """The rows of a rule's groups (which hold distinct rows), in group order, each with its group's
    number; and per group its maximum (NaN for none)."""

    def __init__(self, groups: list):
        self.groups = groups
        sizes = [len(g.rows) for g in groups]
        self.rows = np.concatenate([g.rows for g in groups]).astype(np.int64) if groups else np.zeros(0, np.int64)
        self.group = np.repeat(np.arange(len(groups)), sizes)
        self.max = np.array([np.nan if g.max is None else g.max for g in groups], dtype=float)

    def lowest(self, score: np.ndarray, chosen: np.ndarray) -> np.ndarray:
        """Per group, the lowest score of its `chosen` rows (`chosen` per member; NaN for none,
        NaN scores skipped — as `np.nanmin`)."""
        out = np.full(len(self.groups), np.nan)
        np.fmin.at(out, self.group[chosen], score[self.rows[chosen]])
        return out

    def labels(self, slate: pd.DataFrame, rule: Rule, at: np.ndarray, rows: np.ndarray, *,
               each_row: bool) -> list[str] | np.ndarray:
        """The group label of each of `rows` (in groups `at`): per row (a unit with its name) or
        per group."""
        if each_row:
            return [_label(slate, rule, self.groups[k].key, r) for k, r in zip(at.tolist(), rows.tolist())]
        distinct, first = np.unique(at, return_index=True)
        texts = {k: _label(slate, rule, self.groups[k].key, int(rows[f])) for k, f in zip(distinct.tolist(), first.tolist())}
        return np.array([texts[k] for k in distinct.tolist()], dtype=object)[np.searchsorted(distinct, at)]


def for_result(result: object) -> pd.DataFrame:
    """`reasons` of a solved round, with its lookahead plan (what `rounds.finish.finish` computes, plus the plan).

    Parameters
    ----------
    result : Result
        Uses ``slate`` (selected/national 0/1), ``scenario``, ``audit``, ``model`` and ``solution``.
    """
    from planner.rules import blocked_reason, fold_localities
    scenario = result.scenario
    slate = result.slate
    folded = fold_localities(slate, scenario.fold).assign(selected=flag_values(slate, "selected"),
                                                          national=flag_values(slate, "national"))
    return reasons(folded, scenario, result.audit, blocked_reason(folded, scenario),
                   plan=plan_frame(result.model, result.solution.selected))


def plan_frame(model: object, selected: np.ndarray) -> pd.DataFrame | None:
    """The planned rows of a model's lookahead with their ``selected`` flag (None without one).

    Parameters
    ----------
    model : model.Model
        Uses ``frame`` and ``planned`` (rows of later years the round plans for).
    selected : ndarray of bool
        `solver.Solution.selected`, aligned with ``model.frame``.
    """
    planned = getattr(model, "planned", None)
    if planned is None or not np.asarray(planned).any():
        return None
    rows = model.frame[np.asarray(planned, bool)].copy()
    rows["selected"] = np.asarray(selected, bool)[np.asarray(planned, bool)]
    return rows.reset_index(drop=True)


def _planned_share(plan: pd.DataFrame, scenario: Scenario) -> dict[str, dict[str, tuple[float, float]]]:
    """rule id → group key → (planned picks' measure, lowest planned score) for period max rules."""
    out: dict[str, dict[str, tuple[float, float]]] = {}
    chosen = flag_values(plan, "selected")
    if not chosen.any():
        return out
    score = pd.to_numeric(plan[scenario.maximise], errors="coerce").to_numpy(dtype=float)
    for rule in scenario.rules:
        if rule.decision != "provincial" or rule.max is None or rule.scope != "period":
            continue
        hit = match(plan, rule.where) & chosen
        if not hit.any():
            continue
        keys = group_keys(plan[hit], rule.per).to_numpy()
        weights = measure_values(plan, rule)[hit]
        scores = score[hit]
        table = pd.DataFrame({"key": keys, "w": weights, "s": scores}).groupby("key").agg(w=("w", "sum"), s=("s", "min"))
        out[rule.id] = {str(k): (float(w), float(v)) for k, w, v in zip(table.index, table["w"], table["s"])}
    return out


def _sentences(slate: pd.DataFrame, scenario: Scenario, code: np.ndarray, rule_id: np.ndarray, group: np.ndarray,
               limit: np.ndarray, value: np.ndarray, planned: np.ndarray, lowest: np.ndarray, lowest_plan: np.ndarray,
               score: np.ndarray) -> list[str]:
    """Each row's sentence, worked out once per distinct set of the figures its code's sentence reads
    but the row's own score, which is put in afterwards (a national slate of 74,400 rows has about
    3,000 such sets)."""
    years = slate["year"].to_numpy()
    recognised_in = (pd.to_numeric(slate["recognised_in"], errors="coerce").fillna(0).to_numpy(dtype=np.int64)
                     if "recognised_in" in slate else np.zeros(len(slate), np.int64))
    n = len(code)
    if not n:
        return []
    # What each row's sentence reads, as integers (floats by their bits, so -0.0 and 0.0 stay apart);
    # a figure its code's sentence does not read is left out, and so is the score where the
    # sentence reads it once (it is formatted per row below).
    kind_of, kinds = pd.factorize(code)        # (each set is numbered afresh below: any numbering of kinds will do)
    kinds = [str(kind) for kind in kinds]
    specs = [_score_spec(kind) for kind in kinds]
    apart = np.array([spec is not None for spec in specs], bool)[kind_of]
    key = [pd.factorize(rule_id)[0], pd.factorize(group)[0],
           *(np.asarray(v, np.float64).view(np.int64) for v in (score, value, limit, lowest, planned, lowest_plan)),
           np.asarray(years).astype(np.int64), recognised_in]
    reads = np.array([[name in _fields(kind) for name in _KEY_FIELDS] for kind in kinds], bool)[kind_of]
    reads[:, _KEY_FIELDS.index("score")] &= ~apart
    combined = kind_of.astype(np.int64)
    for k, column in enumerate(key):
        codes, distinct = pd.factorize(np.where(reads[:, k], column, 0))
        combined = pd.factorize(combined * len(distinct) + codes)[0]
    inverse = combined                  # (numbered by first appearance: no sort needed)
    first = _first_seen(combined)
    context = (scenario, {r.id: r for r in scenario.rules},
               scenario.pass_mark if scenario.pass_mark is not None else 0.0)
    figures = (code, rule_id, group, limit, value, planned, lowest, lowest_plan, score, years, recognised_in)
    texts = [_sentence(pos, context, *figures, mark=bool(apart[pos])) for pos in first.tolist()]
    halves = [text.split(_MARK) for text in texts]
    if all(len(h) == 1 for h in halves):
        return np.array(texts, dtype=object)[inverse].tolist()
    # The score of each row, formatted once per distinct score and format.
    spec_of = np.array([spec or "" for spec in specs], dtype=object)[kind_of]
    bits, _ = pd.factorize(np.asarray(score, np.float64).view(np.int64))
    score_inverse = pd.factorize(bits * len(specs) + kind_of)[0]
    scores = np.array([format(_num(score[p]), spec_of[p]) for p in _first_seen(score_inverse).tolist()],
                      dtype=object)[score_inverse].tolist()
    head = np.array([h[0] for h in halves], dtype=object)[inverse].tolist()
    tail = np.array([h[1] if len(h) == 2 else None for h in halves], dtype=object)[inverse].tolist()
    out = [a if t is None else a + s + t for a, s, t in zip(head, scores, tail)]
    for pos in np.flatnonzero(np.array([len(h) > 2 for h in halves], bool)[inverse]).tolist():
        out[pos] = _sentence(pos, context, *figures)        # a figure's own text held the mark: in full
    return out


def _first_seen(codes: np.ndarray) -> np.ndarray:
    """Where each code first appears, for codes numbered in order of first appearance (0, 1, 2, …
    as `pd.factorize` numbers them): a code is new where it passes the highest one before it."""
    if not len(codes):
        return np.zeros(0, np.int64)
    return np.flatnonzero(np.diff(np.maximum.accumulate(codes), prepend=-1) > 0)


#: What a sentence holds where its row's score goes, until the score is put in (`_sentences`).
_MARK = "\x00score\x00"


class _ScoreMark:
    """Formats as `_MARK` whatever the format asked."""

    def __format__(self, spec: str) -> str:
        return _MARK


def _score_spec(kind: str) -> str | None:
    """The format of the score in the sentence of reason code `kind`, when it reads the score once
    and plainly ({score} or {score:spec}); None otherwise."""
    fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(SENTENCES[kind])
              if name == "score"]
    if len(fields) != 1 or fields[0][2] is not None:
        return None
    return fields[0][1] or ""


#: The figures a row's key holds, in `_sentences`' order, and the template fields that read each.
_KEY_FIELDS = ("rule", "group", "score", "value", "limit", "lowest", "planned", "lowest_plan", "year", "recognised_in")
_READ_BY = {"rule": {"clause", "rule"}, "group": {"group"}, "score": {"score"}, "value": {"value", "used_text"},
            "limit": {"limit", "used_text"}, "lowest": {"lowest", "lowest_text"},
            "planned": {"used_text", "lowest_text"}, "lowest_plan": {"lowest_text"}, "year": {"year"},
            "recognised_in": {"recognised_in"}}


def _fields(kind: str) -> set[str]:
    """The figures of `_KEY_FIELDS` that the sentence of reason code `kind` reads."""
    names = {name for _, name, _, _ in string.Formatter().parse(SENTENCES[kind]) if name}
    unknown = names - set().union(*_READ_BY.values()) - {"pass_mark"}
    if unknown:         # a sentence reads a field `_READ_BY` does not know: rows would share a wrong text
        raise KeyError(f"reason {kind!r} reads {sorted(unknown)}: add them to reasons._READ_BY")
    return {figure for figure, read in _READ_BY.items() if read & names}


def _sentence(pos: int, context: tuple, code: np.ndarray, rule_id: np.ndarray, group: np.ndarray, limit: np.ndarray,
              value: np.ndarray, planned: np.ndarray, lowest: np.ndarray, lowest_plan: np.ndarray, score: np.ndarray,
              years: np.ndarray, recognised_in: np.ndarray, *, mark: bool = False) -> str:
    """The sentence of row `pos` (`mark`: with `_MARK` where its score goes)."""
    scenario, rules, pass_mark = context
    c = code[pos]
    rule = rules.get(rule_id[pos])
    fields = dict(year=years[pos], recognised_in=recognised_in[pos],
                  score=_ScoreMark() if mark else _num(score[pos]), pass_mark=pass_mark,
                  group=group[pos], value=_num(value[pos]), limit=_fmt(limit[pos]), lowest=_fmt(lowest[pos]))
    if rule is not None:
        fields.update(clause=rule.clause, rule=rule.text or rule.id)
    if c in ("quota_full", "target_reached"):
        later = _num(planned[pos])
        if later > 0:
            fields["used_text"] = (f"本年度及以往 {_num(value[pos]):g} + 后续年度规划 {later:g} = "
                                   f"{_num(value[pos]) + later:g}/{_num(limit[pos]):g}")
        else:
            fields["used_text"] = f"{_num(value[pos]):g}/{_num(limit[pos]):g}"
        parts = []
        if not math.isnan(lowest[pos]):
            parts.append(f"该组本年度入选最低分 {_fmt(lowest[pos])}")
        if later > 0 and not math.isnan(lowest_plan[pos]):
            parts.append(f"后续年度规划入选最低分 {_fmt(lowest_plan[pos])}")
        fields["lowest_text"] = "，".join(parts) or "本年度该组无入选项目（名额已被以往年度用完）"
    return SENTENCES[c].format(**fields)


def _audit_values(audit: AuditReport) -> dict[tuple[str, str], float]:
    """(rule_id, group label) → the group's value in the audited slate (history included)."""
    table = audit.rules
    if table is None or table.empty:
        return {}
    return dict(zip(zip(table["rule_id"].astype(str).tolist(), table["group"].astype(str).tolist()),
                    table["value"].astype(float).tolist()))


def _unit_group(rule: Rule) -> bool:
    return rule.per == ("unit_id",)


def _label(slate: pd.DataFrame, rule: Rule, key: str, pos: int) -> str:
    """A group as people read it: 全省 for a rule without `per`, a unit with its name."""
    if key == ALL:
        return "全省"
    if _unit_group(rule) and "unit_name" in slate:
        name = str(slate["unit_name"].iat[pos])
        return f"{key}（{name}）" if name else key
    if len(rule.per) == 1 and rule.per[0] in ("level", "unit_kind", "tier", "task"):
        from planner.inputs import load_catalogue
        return load_catalogue().label(rule.per[0], key)
    return key


def _num(value: float) -> float:
    return 0.0 if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _fmt(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{float(value):g}"
