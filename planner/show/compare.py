"""Comparing two solved rounds: who entered, who left, what moved where, which rules now bind.

Owns `compare(a, b) -> Comparison` over two results — `Result` objects of this session or the
output folders `planner solve` wrote (slate.csv, rules.csv, summary.json) — and the tables of
a comparison: candidates that entered and left the slate, the change in total score, counts
per locality, per 高职 tier and per task side by side, and the rule groups whose binding status
changed. Does not own solving, the HTML rendering (`display`) nor writing files (`report`).
"""
from __future__ import annotations

import html
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.errors import InputError, PlannerError, Problem
from planner.lang import language, say
from planner.inputs import load_catalogue, read_run, read_text_table
from planner.result import SolvedRound
from planner.rules import describe_edits
from planner.show.display import MAX_ROWS, STYLE, table_html, word

log = logging.getLogger(__name__)

OUTPUT_FILES = ("slate.csv", "rules.csv", "summary.json")
CANDIDATE_COLUMNS = ["candidate_id", "task", "track", "title", "unit_name", "locality", "tier"]
NOT_HIGHER = "非高职（中职、政府、企业等）"
ABSENT = "不在该方案的候选名单中"       # reason shown for a candidate the other table does not hold


@dataclass(eq=False)
class Comparison:
    """Two solved rounds side by side (``a`` is the reference, ``b`` the variant).

    Attributes
    ----------
    labels : (str, str)
        Names of the two sides, used in the tables' headings.
    summary : DataFrame
        measure, a, b, delta — total score, objective, penalty, selected, national, binding groups.
    entered, left : DataFrame
        Candidates selected in b but not in a (entered) and in a but not in b (left):
        candidate_id, task, track, title, unit_name, locality, tier, score, and ``reason``
        (b's reason: why it is in, or why it is now out).
    by_locality : DataFrame
        locality, count_a, count_b, delta (selected candidates, localities as filed);
        ``attrs["name_a"]``/``["name_b"]`` are the labels (for `charts.plot_comparison`).
    by_tier : DataFrame
        tier, tier_label, count_a, count_b, delta (``tier`` "" = not a 高职 school).
    by_task : DataFrame
        task, track, task_label, count_a, count_b, delta.
    binding_changes : DataFrame
        rule_id, clause, group, text, value_a, value_b, limit_a, limit_b, binding_a, binding_b,
        change (``"now binding"`` / ``"no longer binding"``).
    edits : (tuple of str, tuple of str)
        Each side's what-if edits as Chinese lines (`rules.describe_edits`; empty for a
        scenario as loaded).
    """

    labels: tuple[str, str]
    summary: pd.DataFrame
    entered: pd.DataFrame
    left: pd.DataFrame
    by_locality: pd.DataFrame
    by_tier: pd.DataFrame
    by_task: pd.DataFrame
    binding_changes: pd.DataFrame
    edits: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())

    @property
    def score_delta(self) -> float:
        """Total score of b minus total score of a."""
        row = self.summary[self.summary["measure"] == "total_score"]
        return float(row["delta"].iloc[0])

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by file name (what `planner compare --out` writes)."""
        return {"summary.csv": self.summary, "entered.csv": self.entered, "left.csv": self.left,
                "by_locality.csv": self.by_locality, "by_tier.csv": self.by_tier, "by_task.csv": self.by_task,
                "binding_changes.csv": self.binding_changes}

    def _repr_html_(self) -> str:
        return comparison_html(self)

    def __repr__(self) -> str:
        return (f"Comparison({self.labels[0]!r} → {self.labels[1]!r}: {len(self.entered)} entered, "
                f"{len(self.left)} left, total score {self.score_delta:+.1f})")


@dataclass
class Side:
    """One side of a comparison: a slate, its rule table and its summary."""

    label: str
    slate: pd.DataFrame       # candidate rows with bool selected, national and str reason
    rules: pd.DataFrame       # rule_id, clause, group, text, value, min, max, binding
    summary: dict[str, Any]
    score_column: str = "score"


def compare(a: SolvedRound | Side | str | Path, b: SolvedRound | Side | str | Path, *,
            labels: tuple[str, str] | None = None) -> Comparison:
    """Compare two solved rounds.

    Parameters
    ----------
    a, b : SolvedRound, or path to an output folder of `planner solve`
        ``a`` is the reference (e.g. the base scenario), ``b`` the variant. A folder needs
        slate.csv (the candidate columns plus selected, national, reason), rules.csv and
        summary.json.
    labels : (str, str), optional
        Names for the two sides (default: the scenario names, or "A"/"B" when they are equal).

    Returns
    -------
    Comparison

    Raises
    ------
    InputError
        A folder without the files of a run, or a file that cannot be read.
    """
    left_side, right_side = side_of(a, "A"), side_of(b, "B")
    if labels is None:
        names = (left_side.label, right_side.label)
        labels = names if names[0] != names[1] else ("A", "B")
    labels = (str(labels[0]), str(labels[1]))

    sa, sb = left_side.slate, right_side.slate
    chosen_a = set(sa.loc[sa["selected"], "candidate_id"])
    chosen_b = set(sb.loc[sb["selected"], "candidate_id"])
    entered = _movers(sb, chosen_b - chosen_a, sb, right_side.score_column)
    left = _movers(sa, chosen_a - chosen_b, sb, left_side.score_column)

    by_locality = _by_locality(sa, sb)
    by_locality.attrs.update(name_a=labels[0], name_b=labels[1])     # read by charts.plot_comparison
    return Comparison(
        labels=labels,
        summary=_summary(left_side.summary, right_side.summary),
        entered=entered,
        left=left,
        by_locality=by_locality,
        by_tier=_by_tier(sa, sb),
        by_task=_by_task(sa, sb),
        binding_changes=_binding_changes(left_side.rules, right_side.rules),
        edits=(_edit_lines(left_side.summary), _edit_lines(right_side.summary)),
    )


def _edit_lines(summary: dict[str, Any]) -> tuple[str, ...]:
    """A side's what-if edits (summary["edits"]) as Chinese lines."""
    edits = summary.get("edits") or []
    try:
        return tuple(describe_edits(edits if isinstance(edits, list) else []))
    except PlannerError:                    # a hand-edited summary.json: show what it says
        return tuple(json.dumps(e, ensure_ascii=False) for e in edits)


# --- the two sides -------------------------------------------------------------------------------

def side_of(value: SolvedRound | Side | str | Path, default_label: str) -> Side:
    """A `Side` from a Result, an output folder or a Side."""
    if isinstance(value, Side):
        return value
    if isinstance(value, SolvedRound):
        slate = value.slate.assign(selected=value.slate["selected"].astype(bool),
                                   national=value.slate["national"].astype(bool))
        if "reason" not in slate:
            slate["reason"] = ""
        return Side(label=str(value.summary.get("name", default_label)), slate=slate, rules=value.rules,
                    summary=dict(value.summary), score_column=value.scenario.maximise)
    return load_output(value)


def load_output(folder: str | Path) -> Side:
    """Read an output folder of `planner solve` (slate.csv, rules.csv, summary.json).

    Raises
    ------
    InputError
        The folder or one of its files is missing or unreadable (every problem listed).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError([Problem(str(folder), say("没有这个文件夹", "no such folder"),
                                  say("planner solve 的输出文件夹（含 " + "、".join(OUTPUT_FILES) + "）",
                                      "an output folder of `planner solve` (" + ", ".join(OUTPUT_FILES) + ")"))])
    missing = [name for name in OUTPUT_FILES if not (folder / name).is_file()]
    if missing:
        raise InputError([Problem(str(folder / name), say("没有这个文件", "no such file"),
                                  say("planner solve 写出的文件", "a file that `planner solve` writes"))
                          for name in missing])
    run = read_run(folder, explanations=False)          # slate (reason as written) and summary, checked
    summary, slate = run.summary, run.slate
    if "reason" not in slate:
        slate["reason"] = ""
    rules = read_text_table(folder / "rules.csv")
    need = ["rule_id", "clause", "group", "value", "min", "max", "binding"]
    absent = [c for c in need if c not in rules]
    if absent:
        raise InputError([Problem(str(folder / "rules.csv"), say(f"没有“{c}”列", f'no column "{c}"'),
                                  say("一次求解的 rules.csv", "the rules.csv of a run"))
                          for c in absent])
    for column in ("value", "min", "max"):
        rules[column] = pd.to_numeric(rules[column], errors="coerce")
    rules["binding"] = rules["binding"].str.strip().str.lower().isin(["true", "1"])
    if "text" not in rules:
        rules["text"] = ""
    label = str(summary.get("name", folder.name))
    return Side(label=label, slate=slate, rules=rules, summary=summary,
                score_column=str(summary.get("maximise", "score")))


# --- the tables ----------------------------------------------------------------------------------

SUMMARY_MEASURES = ("total_score", "objective", "penalty", "n_selected", "n_national", "n_binding")


def _summary(a: dict[str, Any], b: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for measure in SUMMARY_MEASURES:
        va, vb = a.get(measure), b.get(measure)
        va = float(va) if va is not None else np.nan
        vb = float(vb) if vb is not None else np.nan
        rows.append({"measure": measure, "a": va, "b": vb, "delta": vb - va})
    return pd.DataFrame(rows, columns=["measure", "a", "b", "delta"])


def _movers(rows_from: pd.DataFrame, ids: set[str], other: pd.DataFrame, score_column: str) -> pd.DataFrame:
    """The candidates `ids` of `rows_from`, with b's reason for each (`ABSENT` if b lacks it)."""
    columns = [c for c in CANDIDATE_COLUMNS if c in rows_from]
    picked = rows_from[rows_from["candidate_id"].isin(ids)]
    out = picked[columns].copy()
    out["score"] = pd.to_numeric(picked[score_column], errors="coerce").to_numpy()
    reason = dict(zip(other["candidate_id"], other["reason"].astype(str)))
    out["reason"] = out["candidate_id"].map(lambda cid: reason.get(cid, ABSENT)).astype(object)
    order = {code: i for i, code in enumerate(load_catalogue().tasks)}
    out = out.assign(_task=out["task"].map(order).fillna(len(order)))
    out = out.sort_values(["_task", "track", "score", "candidate_id"], ascending=[True, True, False, True])
    return out.drop(columns="_task").reset_index(drop=True)


def _counts(slate: pd.DataFrame, keys: list[str]) -> pd.Series:
    chosen = slate[slate["selected"]]
    return chosen.groupby(keys, sort=False).size()


def _side_by_side(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """count_a, count_b, delta per key: every key value of either candidate table, 0 when none selected."""
    index = pd.MultiIndex.from_frame(pd.concat([a[keys], b[keys]], ignore_index=True).drop_duplicates()) \
        if len(keys) > 1 else pd.Index(pd.concat([a[keys[0]], b[keys[0]]]).drop_duplicates(), name=keys[0])
    counts = pd.DataFrame({"count_a": _counts(a, keys).reindex(index, fill_value=0),
                           "count_b": _counts(b, keys).reindex(index, fill_value=0)}, index=index)
    counts = counts.astype(np.int64)
    counts["delta"] = counts["count_b"] - counts["count_a"]
    return counts.reset_index()


def _by_locality(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    table = _side_by_side(a, b, ["locality"])
    order = {name: i for i, name in enumerate(load_catalogue().localities)}
    table = table.assign(_o=table["locality"].map(order).fillna(len(order)))
    table = table.sort_values(["_o", "locality"]).drop(columns="_o").reset_index(drop=True)
    table["locality"] = table["locality"].astype(object)
    return table


def _by_tier(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    cat = load_catalogue()
    table = _side_by_side(a.assign(tier=a["tier"].astype(str)), b.assign(tier=b["tier"].astype(str)), ["tier"])
    order = {code: i for i, code in enumerate(cat.tiers)}
    table = table.assign(_o=table["tier"].map(order).fillna(len(order)))
    table = table.sort_values(["_o", "tier"]).drop(columns="_o").reset_index(drop=True)
    table["tier"] = table["tier"].astype(object)
    table.insert(1, "tier_label", table["tier"].map(lambda t: cat.label("tier", t) if t else NOT_HIGHER).astype(object))
    return table


def _by_task(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    cat = load_catalogue()
    keys = ["task", "track"]
    table = _side_by_side(a.assign(track=a["track"].astype(str)), b.assign(track=b["track"].astype(str)), keys)
    order = {code: i for i, code in enumerate(cat.tasks)}
    table = table.assign(_o=table["task"].map(order).fillna(len(order)))
    table = table.sort_values(["_o", "track"]).drop(columns="_o").reset_index(drop=True)
    for column in keys:
        table[column] = table[column].astype(object)
    table.insert(2, "task_label", table["task"].map(lambda t: cat.label("task", t)).astype(object))
    return table


def _binding_changes(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    columns = ["rule_id", "clause", "group", "text", "value_a", "value_b", "limit_a", "limit_b",
               "binding_a", "binding_b", "change"]
    keys = ["rule_id", "group"]

    def prepare(rules: pd.DataFrame) -> pd.DataFrame:
        out = rules[["rule_id", "clause", "group", "text", "value", "min", "max", "binding"]].copy()
        for column in ("rule_id", "clause", "group", "text"):
            out[column] = out[column].astype(str).astype(object)
        out["binding"] = out["binding"].astype(bool)
        out["limit"] = [_limit_text(lo, hi) for lo, hi in zip(out["min"], out["max"])]
        return out.drop(columns=["min", "max"])

    merged = prepare(a).merge(prepare(b), on=keys, how="outer", suffixes=("_a", "_b"), sort=False)
    for column in ("binding_a", "binding_b"):
        merged[column] = merged[column].astype("boolean").fillna(False).astype(bool)
    for column in ("clause", "text"):
        merged[column] = merged[f"{column}_a"].where(merged[f"{column}_a"].notna(), merged[f"{column}_b"]).astype(object)
    changed = merged[merged["binding_a"] != merged["binding_b"]].copy()
    changed["change"] = np.where(changed["binding_b"], "now binding", "no longer binding").astype(object)
    for column in ("limit_a", "limit_b"):
        changed[column] = changed[column].astype(object).where(changed[column].notna(), "")
    changed = changed.sort_values(["change", "rule_id", "group"], kind="stable")
    return changed[columns].reset_index(drop=True)


def _limit_text(lo: float, hi: float) -> str:
    """A group's bounds as a planner reads them: "≤ 15", "≥ 2", "2–3"."""
    def fmt(v: float) -> str:
        return str(int(v)) if float(v).is_integer() else f"{v:g}"
    has_lo, has_hi = pd.notna(lo), pd.notna(hi)
    if has_lo and has_hi:
        return fmt(lo) if lo == hi else f"{fmt(lo)}–{fmt(hi)}"
    if has_hi:
        return f"≤ {fmt(hi)}"
    if has_lo:
        return f"≥ {fmt(lo)}"
    return ""


def comparison_html(comparison: Comparison, *, max_rows: int = MAX_ROWS, lang: str | None = None) -> str:
    """A comparison: the change in total score, then entered/left, localities, tiers, binding changes.
    ``lang="zh"`` says it in Chinese, ``"en"`` in English with the codes; by default the language
    of `planner.lang` (Chinese unless English was asked for)."""
    lang = lang or language()
    a, b = (html.escape(x) for x in comparison.labels)
    summary = comparison.summary.rename(columns={"a": comparison.labels[0], "b": comparison.labels[1]})
    delta = comparison.score_delta
    shown = ["candidate_id", "title", "unit_name", "locality", "score", "reason"]
    entered = comparison.entered[[c for c in shown if c in comparison.entered]]
    left = comparison.left[[c for c in shown if c in comparison.left]]
    sides = {"count_a": comparison.labels[0], "count_b": comparison.labels[1]}
    moved = comparison.by_locality[comparison.by_locality["delta"] != 0]
    changes = comparison.binding_changes[["rule_id", "clause", "group", "value_a", "value_b", "limit_a", "limit_b",
                                          "change"]]
    if lang != "en":
        changes = changes.assign(change=changes["change"].map(
            {"now binding": "变为已到限额", "no longer binding": "不再到限额"}).fillna(changes["change"]))
    sep = "; " if lang == "en" else "；"
    parts = [
        STYLE, '<div class="planner-view">',
        f"<h4>{word('headline', lang, a=a, b=b, delta=f'{delta:+.1f}', entered=len(comparison.entered), left=len(comparison.left))}</h4>",
        *(f"<p>{word('whatif', lang, label=html.escape(label), lines=sep.join(html.escape(x) for x in lines))}</p>"
          for label, lines in zip(comparison.labels, comparison.edits) if lines),
        table_html(summary, signed=("delta",), lang=lang),
        f"<h5>{word('entered', lang, n=len(entered))}</h5>", table_html(entered, max_rows=max_rows, lang=lang),
        f"<h5>{word('left', lang, n=len(left))}</h5>", table_html(left, max_rows=max_rows, lang=lang),
        f"<h5>{word('by_locality', lang)}</h5>",
        table_html(comparison.by_locality.rename(columns=sides), max_rows=40, signed=("delta",), lang=lang),
        "" if len(moved) else f'<p class="muted">{word("no_locality_change", lang)}</p>',
        f"<h5>{word('by_tier', lang)}</h5>",
        table_html(comparison.by_tier.drop(columns="tier").rename(columns=sides), signed=("delta",), lang=lang),
        f"<h5>{word('binding_changes', lang, n=len(comparison.binding_changes))}</h5>",
        table_html(changes, max_rows=max_rows, lang=lang),
    ]
    parts.append("</div>")
    return "".join(parts)
