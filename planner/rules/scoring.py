"""The office's scoring rule: how a panel's scores make a project's one score, as scenario data.

Owns the ``[scoring]`` table of a scenario (`ScoringRule`, checked by `parse_scoring`, each
problem located as every scenario key is) and applying it (`aggregate_scores`): which scores
count — recusal (回避): an expert whose unit is the applying unit does not count, units compared by
name (or id) after the normalisation `units.name_key` uses —, how many must count
(``min_scores``), how they make one score (``trimmed``: 去掉最高分和最低分 then the mean of the rest;
``mean``; ``median``) and how it is rounded (``decimals`` places, ``half_up`` as an office
rounds by hand — 83.585 → 83.59 — or ``half_even``). The arithmetic is exact (decimal), so a
mean of 80.005 rounds to 80.01 under half_up, never to 80.00 by a binary float.

A scenario without ``[scoring]`` reads the default: recusal by unit, one highest and one lowest
dropped, at least three scores counted, two decimals half up, no clause. Does not own reading
the sheets (`inputs.scores`) nor the candidate table (`prepare`).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

from planner.errors import InputError, Problem
from planner.inputs import suggest
from planner.lang import say
from planner.rules.units import name_key

SCORING_KEYS = ("method", "trim", "min_scores", "recusal", "decimals", "rounding", "clause", "text")
METHODS = ("trimmed", "mean", "median")
RECUSALS = ("unit", "none")
ROUNDINGS = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}
#: The most decimals a rounded score may keep (the candidate table is read to six).
MAX_DECIMALS = 6
FLAGS = ("recused", "tie_high", "tie_low", "wide")
#: A panel whose spread is more than this many times the median panel's is flagged ``wide``.
WIDE_FACTOR = 2.0
AGGREGATE_COLUMNS = ["candidate_id", "score", "n_scores", "n_counted", "n_used", "n_recused", "recused", "dropped",
                     "score_mean", "score_sd", "score_min", "score_max", "flags"]


@dataclass(frozen=True)
class ScoringRule:
    """How the office makes one score of a panel's scores (``[scoring]``; the defaults below).

    Attributes
    ----------
    method : {"trimmed", "mean", "median"}
        ``trimmed``: the `trim` highest and the `trim` lowest counted scores dropped, the mean
        of the rest.
    trim : int
        Scores dropped at each end by ``trimmed`` (1: 去掉一个最高分和一个最低分).
    min_scores : int
        Counted scores a project needs (after recusal); fewer is an input error. At least
        ``2 * trim + 1`` under ``trimmed``.
    recusal : {"unit", "none"}
        ``unit``: a score by an expert of the applying unit does not count.
    decimals : int
        Places the score is rounded to.
    rounding : {"half_up", "half_even"}
    clause, text : str
        Where the rule comes from (the notice's clause, or the office's own rules).
    given : bool
        The scenario has a ``[scoring]`` table.
    """

    method: str = "trimmed"
    trim: int = 1
    min_scores: int = 3
    recusal: str = "unit"
    decimals: int = 2
    rounding: str = "half_up"
    clause: str = ""
    text: str = ""
    given: bool = False

    def describe(self) -> str:
        """The rule in one sentence (Chinese, English under ``speaking("en")``)."""
        how = {"trimmed": say(f"去掉{self.trim}个最高分和{self.trim}个最低分后取平均",
                              f"the mean after dropping the {self.trim} highest and {self.trim} lowest"),
               "mean": say("取平均", "the mean"), "median": say("取中位数", "the median")}[self.method]
        recuse = say("本单位专家回避，", "experts of the applying unit recused, ") if self.recusal == "unit" else ""
        rounding = say("四舍五入" if self.rounding == "half_up" else "四舍六入五成双",
                       "half up" if self.rounding == "half_up" else "half to even")
        cite = f"（{self.clause}）" if self.clause else ""
        return say(f"{recuse}{how}，至少 {self.min_scores} 个有效评分，保留 {self.decimals} 位小数（{rounding}）{cite}",
                   f"{recuse}{how}, at least {self.min_scores} counted scores, {self.decimals} decimals ({rounding})"
                   + (f" ({self.clause})" if self.clause else ""))

    def as_json(self) -> dict[str, Any]:
        return {"method": self.method, "trim": self.trim, "min_scores": self.min_scores, "recusal": self.recusal,
                "decimals": self.decimals, "rounding": self.rounding, "clause": self.clause}


def parse_scoring(section: Any, ctx: Any) -> ScoringRule:
    """Check a ``[scoring]`` table and make its `ScoringRule`; problems go to `ctx`.

    Parameters
    ----------
    section : Any
        The parsed ``[scoring]`` value (None: the default rule).
    ctx : rules.syntax.Context
        Where problems are said (``ctx.fail(None, "scoring.<key>", found, expected)``).
    """
    if section is None:
        return ScoringRule()
    if not isinstance(section, Mapping):
        ctx.fail(None, "scoring", f"{section!r}", say('[scoring] 表，如 method = "trimmed"', 'a [scoring] table, '
                                                     'e.g. method = "trimmed"'))
        return ScoringRule()
    for key in section:
        if key not in SCORING_KEYS:
            ctx.fail(None, f"scoring.{key}", say(f"未知的键“{key}”", f'unknown key "{key}"'),
                     say("其中之一：", "one of ") + ", ".join(SCORING_KEYS), hint=suggest(key, SCORING_KEYS))
    default = ScoringRule()
    values: dict[str, Any] = {}
    for key, options in (("method", METHODS), ("recusal", RECUSALS), ("rounding", tuple(ROUNDINGS))):
        value = section.get(key, getattr(default, key))
        if value not in options:
            ctx.fail(None, f"scoring.{key}", f"{value!r}", say("其中之一：", "one of ") + ", ".join(options),
                     hint=suggest(str(value), options))
            value = getattr(default, key)
        values[key] = value
    for key, low, high in (("trim", 0, 10), ("decimals", 0, MAX_DECIMALS), ("min_scores", 1, 100)):
        value = section.get(key, getattr(default, key))
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            ctx.fail(None, f"scoring.{key}", f"{value!r}", say(f"{low} 到 {high} 之间的整数", f"an integer from {low} to {high}"))
            value = getattr(default, key)
        values[key] = value
    trimmed = values["method"] == "trimmed"
    least = 2 * values["trim"] + 1 if trimmed else 1
    if "min_scores" not in section:
        values["min_scores"] = max(least, 1 if not trimmed else default.min_scores)
    elif values["min_scores"] < least:
        ctx.fail(None, "scoring.min_scores", f"min_scores = {values['min_scores']}",
                 say(f"至少 {least}（去掉 {values['trim']} 个最高分和 {values['trim']} 个最低分后还要留下至少一个评分）",
                     f"at least {least} (dropping {values['trim']} highest and lowest must leave a score)"))
    for key in ("clause", "text"):
        if not isinstance(section.get(key, ""), str):
            ctx.fail(None, f"scoring.{key}", f"{section[key]!r}", say("文字", "text"))
    return ScoringRule(**values, clause=str(section.get("clause", "")), text=str(section.get("text", "")), given=True)


# --------------------------------------------------------------------------- the rule applied
def counted(scores: pd.DataFrame, candidates: pd.DataFrame, rule: ScoringRule) -> pd.Series:
    """Whether each score counts: False where the expert's unit is the applying unit (``recusal = "unit"``).

    Parameters
    ----------
    scores : DataFrame
        From `inputs.scores.read_scores`: candidate_id, expert_unit.
    candidates : DataFrame
        candidate_id, unit_name and (optional) unit_id.
    """
    if rule.recusal == "none" or not len(scores):
        return pd.Series(True, index=scores.index)
    units = candidates.assign(_id=candidates["candidate_id"].astype(str)).drop_duplicates("_id").set_index("_id")
    by_name = name_key(units["unit_name"]) if "unit_name" in units else pd.Series("", index=units.index)
    by_id = name_key(units["unit_id"]) if "unit_id" in units else pd.Series("", index=units.index)
    expert = name_key(scores["expert_unit"]).to_numpy()
    ids = scores["candidate_id"].astype(str)
    own_name = ids.map(by_name).fillna("").to_numpy()
    own_id = ids.map(by_id).fillna("").to_numpy()
    recused = (expert != "") & ((expert == own_name) | (expert == own_id))
    return pd.Series(~recused, index=scores.index)


def aggregate_scores(scores: pd.DataFrame, candidates: pd.DataFrame, rule: ScoringRule | None = None, *,
                     complete: bool = True) -> pd.DataFrame:
    """Each project's score by the office's rule, with what went into it.

    Parameters
    ----------
    scores : DataFrame
        From `inputs.scores.read_scores`: candidate_id, expert_id, expert_unit, score, file,
        row, column.
    candidates : DataFrame
        The candidate table: candidate_id, unit_name, unit_id (``attrs["source"]`` and
        ``attrs["first_data_row"]`` locate a project without scores).
    rule : ScoringRule, optional
        The scenario's ``[scoring]`` (default: `ScoringRule()`).
    complete : bool
        Every candidate must have scores (True, for a solve); False leaves candidates without
        any score out of the result.

    Returns
    -------
    DataFrame
        One row per project, in the candidate table's order: candidate_id, score (rounded by
        the rule), n_scores (on the sheets), n_counted (after recusal), n_used (in the mean:
        after recusal and trimming),
        n_recused, recused and dropped (the experts' ids, 、-joined; dropped ones marked ↑ high
        or ↓ low), score_mean, score_sd (sample standard deviation), score_min, score_max of the
        scores that count before trimming, flags (``;``-joined codes of `FLAGS`).

    Raises
    ------
    InputError
        A project with fewer counted scores than ``min_scores`` (located at its first score),
        a project of the sheets the table does not have, or (`complete`) a candidate without
        any score (located in the candidate table).
    """
    rule = rule or ScoringRule()
    ids = candidates["candidate_id"].astype(str)
    problems: list[Problem] = []
    unknown = scores[~scores["candidate_id"].astype(str).isin(set(ids))].drop_duplicates("candidate_id")
    for pid, file, row in zip(unknown["candidate_id"], unknown["file"], unknown["row"]):   # one message per problem
        problems.append(Problem(file, say(f"候选项目表中没有的项目“{pid}”",
                                          f'project "{pid}", which the candidate table does not have'),
                                say("候选项目表中的项目编号", "a candidate_id of the candidate table"), row=int(row),
                                column="项目编号"))
    keep = counted(scores, candidates, rule).to_numpy()
    order = np.lexsort((scores["expert_id"].astype(str).to_numpy(), scores["score"].to_numpy(dtype=float),
                        scores["candidate_id"].astype(str).to_numpy()))
    sheet = {c: scores[c].to_numpy()[order] for c in ("candidate_id", "expert_id", "score", "file", "row", "column")}
    sheet["counts"], sheet["position"] = keep[order], order
    pids = sheet["candidate_id"].astype(str)
    starts = np.flatnonzero(np.r_[True, pids[1:] != pids[:-1]]) if len(pids) else np.array([], dtype=np.int64)
    spans = dict(zip(pids[starts], zip(starts, np.r_[starts[1:], len(pids)])))
    records = []
    source = candidates.attrs.get("source", "candidates")
    first = int(candidates.attrs.get("first_data_row", 2))
    for i, pid in enumerate(ids):
        span = spans.get(pid)
        if span is None:
            if complete:
                problems.append(Problem(source, say(f"项目“{pid}”没有任何专家评分", f'project "{pid}" with no expert score'),
                                        say(f"至少 {rule.min_scores} 个有效评分", f"at least {rule.min_scores} counted scores"),
                                        row=i + first, column="candidate_id",
                                        hint=say("在评分表中补上这个项目的评分", "add its scores to the score sheets")))
            continue
        record, problem = _one(pid, {k: v[span[0]:span[1]] for k, v in sheet.items()}, rule)
        if problem is not None:
            problems.append(problem)
        records.append(record)
    if problems:
        raise InputError(problems[:200])
    table = pd.DataFrame(records, columns=AGGREGATE_COLUMNS)
    if len(table):
        sd = table["score_sd"].to_numpy(dtype=float)
        typical = float(np.nanmedian(sd)) if np.isfinite(sd).any() else float("nan")
        wide = np.isfinite(sd) & (typical > 0) & (sd > WIDE_FACTOR * typical)
        table["flags"] = [";".join(f for f in (flags, "wide" if w else "") if f) for flags, w in zip(table["flags"], wide)]
    table.attrs["rule"] = rule.as_json()
    table.attrs["sheets"] = dict(scores.attrs.get("sheets", {}))
    return table


def _one(pid: str, panel: dict[str, np.ndarray], rule: ScoringRule) -> tuple[list[Any], Problem | None]:
    """One project's row of `aggregate_scores` and its too-few problem (exact decimal arithmetic).

    `panel` holds the project's scores sorted by score, then expert id (ties: the score dropped is
    the same whichever tied expert is named; the one named is the first by id).
    """
    counts = panel["counts"]
    recused = [str(e) for e in panel["expert_id"][~counts]]
    experts = [str(e) for e in panel["expert_id"][counts]]
    plain = panel["score"][counts].astype(float)
    values = [Decimal(repr(float(v))) for v in plain]
    flags = ["recused"] if recused else []
    problem = None
    n = len(values)
    if n < rule.min_scores:
        at = int(np.argmin(panel["position"]))                 # the project's first score in the sheets
        problem = Problem(str(panel["file"][at]), say(
            f"项目“{pid}”只有 {n} 个有效评分（评分表中 {len(counts)} 个，{len(recused)} 位专家回避"
            f"{'：' + '、'.join(recused) if recused else ''}）",
            f'project "{pid}" with {n} counted scores ({len(counts)} on the sheets, {len(recused)} recused'
            f"{': ' + ', '.join(recused) if recused else ''})"),
            say(f"至少 {rule.min_scores} 个有效评分（[scoring] min_scores）",
                f"at least {rule.min_scores} counted scores ([scoring] min_scores)"),
            row=int(panel["row"][at]), column=str(panel["column"][at]))
    dropped: list[str] = []
    n_used = n
    if problem is not None or not values:
        score = float("nan")
    else:
        if rule.method == "trimmed":
            t = rule.trim
            kept = values[t:n - t]
            top = sorted(zip(values, experts), key=lambda pair: (-pair[0], pair[1]))[:t]
            dropped = [f"{e}↑" for _, e in top] + [f"{e}↓" for e in experts[:t]]
            if t and values.count(values[-1]) > 1:
                flags.append("tie_high")
            if t and values.count(values[0]) > 1:
                flags.append("tie_low")
            n_used = len(kept)
            exact = sum(kept, Decimal(0)) / len(kept)
        elif rule.method == "mean":
            exact = sum(values, Decimal(0)) / n
        else:
            mid = n // 2
            exact = values[mid] if n % 2 else (values[mid - 1] + values[mid]) / 2
        score = float(exact.quantize(Decimal(1).scaleb(-rule.decimals), rounding=ROUNDINGS[rule.rounding]))
    nan = float("nan")
    return [pid, score, len(counts), n, n_used, len(recused), "、".join(recused), "、".join(dropped),
            float(plain.mean()) if n else nan, float(plain.std(ddof=1)) if n > 1 else nan,
            float(plain.min()) if n else nan, float(plain.max()) if n else nan, ";".join(flags)], problem


def score_candidates(candidates: pd.DataFrame, scores: pd.DataFrame, rule: ScoringRule | None = None, *,
                     column: str = "score") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The candidate table with each project's score made from its panel (`aggregate_scores`).

    Parameters
    ----------
    candidates : DataFrame
        The round's validated candidate table (`prepare.read_candidates`).
    scores : DataFrame
        From `inputs.scores.read_scores`.
    column : str
        The column replaced (the scenario's ``[objective] maximise``).

    Returns
    -------
    (DataFrame, DataFrame)
        A copy of the table with `column` replaced (its attrs kept, marked normalised), and the
        aggregated table.
    """
    table = aggregate_scores(scores, candidates, rule, complete=True)
    out = candidates.copy()
    out[column] = out["candidate_id"].astype(str).map(table.set_index("candidate_id")["score"]).astype(float).to_numpy()
    out.attrs.update(candidates.attrs)
    out.attrs["normalised"] = True
    return out, table


def panels(scores: pd.DataFrame, candidates: pd.DataFrame, rule: ScoringRule | None = None) -> np.ndarray:
    """The counted scores of each candidate's panel, row by row of `candidates`: shape (rows, k), NaN-padded."""
    rule = rule or ScoringRule()
    used = scores[counted(scores, candidates, rule).to_numpy()]
    position = pd.Series(np.arange(len(candidates)), index=candidates["candidate_id"].astype(str).to_numpy())
    rows = used["candidate_id"].astype(str).map(position)
    used = used[rows.notna().to_numpy()]
    rows = rows.dropna().astype(np.int64).to_numpy()
    slot = pd.Series(rows).groupby(rows).cumcount().to_numpy()
    width = int(slot.max()) + 1 if len(slot) else 1
    out = np.full((len(candidates), width), np.nan)
    out[rows, slot] = used["score"].to_numpy(dtype=float)
    return out
