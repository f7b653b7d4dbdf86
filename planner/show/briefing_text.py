"""The words of the briefing: the summary paragraph at the top, the lists of names, the status in
Chinese, the issuing office, the date and the data version.

Owns the parts of ``briefing.html`` that are sentences and lists rather than charts: a one-paragraph
summary (how many, which targets met, what changed since the year before), the 入选名单 and the
国家级推荐名单 (collapsible on screen, printed in full as an appendix), and the footer line. Does not
own the page's layout and charts (`briefing`) nor the lists' columns (`lists`).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import html
from collections.abc import Mapping
from typing import Any

import pandas as pd

from planner.show.lists import recognised_list

STATUS_WORDS = {"OPTIMAL": "已证明最优", "FEASIBLE": "可行（时限内未证明最优）", "INFEASIBLE": "无可行方案",
                "UNKNOWN": "时限内未得到方案", "MODEL_INVALID": "模型有误"}

LIST_CSS = """
details.list { margin: 6pt 0; } details.list summary { cursor: pointer; font-weight: 700; color: #0072B2; }
table.names td:first-child, table.names th:first-child { width: 2.5em; text-align: right; }
.summary { font-size: 11pt; background: #F6F8FA; border-left: 3pt solid #0072B2; padding: 4pt 8pt; }
.appendix .label { margin: 10pt 0 0; font-weight: 700; }
@media print {
  details.list summary { display: none; }
  .appendix { break-before: page; page-break-before: always; }
}
"""


def status_word(status: str) -> str:
    """The solver's status in Chinese."""
    return STATUS_WORDS.get(str(status), "未知")


def data_version(summary: Mapping[str, Any]) -> str:
    """A short fingerprint of the run's inputs (scenario files and candidate tables, by their hashes)."""
    inputs = summary.get("inputs", {}) or {}
    text = "\n".join(f"{name}:{digest}" for name, digest in sorted(inputs.items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12] if text else "无"


def issuer_of(summary: Mapping[str, Any], scenario: Any) -> str:
    """The issuing office: the scenario's ``issuer`` field (empty when not given)."""
    if scenario is not None:
        value = scenario.raw.get("issuer", "")
        if value:
            return str(value)
    return str(summary.get("issuer", "") or "")


def summary_paragraph(headline: Mapping[str, Any], slate: pd.DataFrame, history: pd.DataFrame | None) -> str:
    """One paragraph: how many, targets met, full quotas, and the change against the year before."""
    h = headline
    text = (f"{h['year']}年度共受理申报 {h['n_candidates']:,} 项，经评审和优化，"
            f"{h['n_selected']:,} 项入选省级认定名单，其中 {h['n_national']:,} 项推荐参加国家级遴选；"
            f"入选项目评审总分 {h['total_score']:,.1f}。")
    if h["targets"]:
        text += f"全省建设目标 {h['targets']} 项中已达到 {h['targets_met']} 项"
        text += "。" if h["targets_met"] == h["targets"] else f"，尚有 {h['targets'] - h['targets_met']} 项未达到。"
    if h["locality_groups"]:
        text += f"各市（州）限额 {h['locality_groups']} 组中 {h['locality_full']} 组已用满。"
    if history is not None and len(history):
        last = history[history["year"] == h["year"] - 1]
        if len(last):
            before = int(pd.to_numeric(last["selected"], errors="coerce").fillna(0).astype(bool).sum())
            change = h["n_selected"] - before
            word = f"增加 {change} 项" if change > 0 else f"减少 {-change} 项" if change < 0 else "持平"
            text += f"与{h['year'] - 1}年度（入选 {before} 项）相比{word}。"
    return text


def _names_table(table: pd.DataFrame) -> str:
    columns = [c for c in table.columns if c != "task"]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in record) + "</tr>"
                   for record in table[columns].itertuples(index=False))
    return f'<table class="names"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def name_lists(slate: pd.DataFrame, year: int) -> str:
    """The 入选名单 and the 国家级推荐名单 of `year` as the page's appendix.

    Each list is collapsible on screen (the short national list opens by itself); printing opens
    both (`PRINT_SCRIPT`) and starts each on a new page, so every title is on the page once.
    """
    rows = slate[slate["year"] == year] if "year" in slate else slate
    recognised = recognised_list(rows)
    national = recognised_list(rows, national_only=True)
    parts = [("入选名单", "附件1", recognised), ("国家级推荐名单", "附件2", national)]
    return "".join(f'<section class="appendix"><p class="label">{label}</p><h2>{year}年度{title}（{len(table)} 项）</h2>'
                   f'<details class="list"{" open" if len(table) <= 30 else ""}><summary>展开或收起{title}</summary>'
                   f"{_names_table(table)}</details></section>" for title, label, table in parts)


PRINT_SCRIPT = ("<script>addEventListener('beforeprint', () => "
                "document.querySelectorAll('details').forEach(d => { d.open = true; }));</script>")


def footer(summary: Mapping[str, Any], scenario: Any, *, n_rule_groups: int, n_binding: int,
           today: dt.date | None = None) -> str:
    """The footer: issuing office, date, rule groups, data version."""
    issuer = issuer_of(summary, scenario)
    date = (today or dt.date.today())
    parts = [html.escape(issuer)] if issuer else []
    parts.append(f"{date.year}年{date.month}月{date.day}日")
    parts.append(f"规则组 {n_rule_groups} 个，其中起决定作用 {n_binding} 个")
    return (f"<footer>{' · '.join(parts)}<br>"
            f'<span class="version">数据版本 {data_version(summary)}</span></footer>')
