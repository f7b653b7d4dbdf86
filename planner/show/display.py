"""Tidy HTML for Jupyter: small tables, and a solved round as a headline, key figures and a few
short tables.

Owns `table_html` (every cell escaped, numbers right-aligned) and `result_html` (what
`Result._repr_html_` returns). Does not compute anything a table shows (that is `result`,
`compare`, `audit`) nor write files (`files`).
"""
from __future__ import annotations

import html
from typing import Any

import pandas as pd

from planner.inputs import column_label, load_catalogue, to_chinese
from planner.result import SolvedRound, task_table

MAX_ROWS = 20
STYLE = """<style>
.planner-view {font-family: system-ui, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; font-size: 13px}
.planner-view h4 {margin: 0.3em 0}
.planner-view h5 {margin: 0.8em 0 0.2em 0; font-size: 13px}
.planner-view table {border-collapse: collapse; margin: 0.2em 0}
.planner-view th, .planner-view td {padding: 2px 8px; border-bottom: 1px solid #ddd; text-align: left}
.planner-view td.num, .planner-view th.num {text-align: right; font-variant-numeric: tabular-nums}
.planner-view .muted {color: #666}
.planner-view .up {color: #1a7f37} .planner-view .down {color: #b3261e}
</style>"""


#: Headers of the notebook tables beyond the candidate columns (`planner.inputs.COLUMN_LABELS`).
DISPLAY_LABELS = {"task_label": "任务类别", "candidates": "候选", "lowest": "入选最低分", "clause": "条款",
                  "min": "下限", "max": "上限", "value": "已用", "binding": "卡线"}


def table_html(frame: pd.DataFrame, *, max_rows: int = MAX_ROWS, signed: tuple[str, ...] = (),
               lang: str = "zh") -> str:
    """One DataFrame as an HTML table: numbers right-aligned, ``signed`` columns with +/− and colour,
    at most `max_rows` rows (the rest counted below). ``lang="zh"`` (default) shows the Chinese
    header and label of every known column and code; ``"en"`` the codes."""
    if frame.empty:
        return '<p class="muted">—（无 none）</p>'
    shown = frame.head(max_rows)
    if lang != "en":
        labelled = to_chinese(shown, bool_columns=())
        labelled.columns = [DISPLAY_LABELS.get(c, label) for c, label in zip(shown.columns, labelled.columns)]
        signed = tuple(DISPLAY_LABELS.get(c, column_label(c)) for c in signed)
        shown = labelled
    numeric = {c for c in shown.columns if pd.api.types.is_numeric_dtype(shown[c]) and shown[c].dtype != bool}
    head = "".join(f'<th class="{"num" if c in numeric else ""}">{html.escape(str(c))}</th>' for c in shown.columns)
    body = []
    for values in zip(*(shown[c].tolist() for c in shown.columns)):
        cells = []
        for column, value in zip(shown.columns, values):
            cls = "num" if column in numeric else ""
            text = _cell(value, signed=column in signed)
            if column in signed and isinstance(value, (int, float)) and pd.notna(value) and value != 0:
                cls += " up" if value > 0 else " down"
            cells.append(f'<td class="{cls.strip()}">{text}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = "" if len(frame) <= max_rows else \
        f'<p class="muted">… 另有 {len(frame) - max_rows} 行 / {len(frame) - max_rows} more rows</p>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


def _cell(value: Any, *, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return "✓" if value else ""
    if isinstance(value, float):
        text = f"{value:+.1f}" if signed else (f"{value:.0f}" if value.is_integer() else f"{value:.1f}")
        return html.escape(text)
    if isinstance(value, int) and signed:
        return f"{value:+d}"
    return html.escape(str(value))


def result_html(result: SolvedRound, *, max_rows: int = MAX_ROWS, lang: str = "zh") -> str:
    """A solved round: headline, key figures, the slate by task, binding rule groups, warnings.

    Needs ``result.summary`` (name, status, n_selected, n_candidates, n_national, total_score,
    penalty, gap, solve_s) and ``result.rules`` (rule_id, clause, group, value, min, max, binding).
    """
    s = result.summary
    figures = pd.DataFrame([
        ("入选 selected", f"{s['n_selected']} / {s['n_candidates']}"),
        ("国家级推荐 national", str(s["n_national"])),
        ("总分 total score", f"{s['total_score']:.1f}"),
        ("扣分 penalty", f"{s['penalty']:.1f}"),
        ("最优性差距 gap", f"{s['gap']:.2%}"),
        ("求解 solve", f"{s['solve_s']:.2f} s"),
    ], columns=["指标 measure", "值 value"])
    whatif = s.get("whatif")
    if whatif:
        figures.loc[len(figures)] = ["重算方式 re-solve", f"{whatif['mode']}, {whatif['total_s']:.2f} s"]
    tasks = task_table(result)
    if lang != "en":
        cat = load_catalogue()
        tasks = tasks.assign(track=[cat.tracks_of(t).get(k, k) if k else "" for t, k in zip(tasks["task"], tasks["track"])])
    tasks = tasks[["task_label", "track", "candidates", "selected", "national", "lowest"]]
    binding = result.rules[result.rules["binding"]][["rule_id", "clause", "group", "value", "min", "max"]]
    warnings = "".join(f"<li>{html.escape(w)}</li>" for w in s.get("warnings", []))
    parts = [
        STYLE, '<div class="planner-view">',
        f"<h4>{html.escape(str(s['name']))} — {html.escape(str(s['status']))}</h4>",
        table_html(figures, lang=lang),
        "<h5>各任务入选情况 slate by task</h5>", table_html(tasks, max_rows=40, lang=lang),
        f"<h5>已用满的规则组 binding rule groups ({len(binding)})</h5>",
        table_html(binding, max_rows=max_rows, lang=lang),
    ]
    if warnings:
        parts.append(f"<h5>提示 warnings</h5><ul>{warnings}</ul>")
    parts.append("</div>")
    return "".join(parts)
