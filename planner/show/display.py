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
from planner.lang import language
from planner.result import SolvedRound, task_table
from planner.rules import group_words, unit_names

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
               lang: str | None = None) -> str:
    """One DataFrame as an HTML table: numbers right-aligned, ``signed`` columns with +/− and colour,
    at most `max_rows` rows (the rest counted below). ``lang="zh"`` shows the Chinese header and
    label of every known column and code; ``"en"`` the codes; by default the language of
    `planner.lang` (Chinese unless English was asked for)."""
    lang = lang or language()
    if frame.empty:
        return f'<p class="muted">{"— none" if lang == "en" else "—（无）"}</p>'
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
        f'<p class="muted">{"…" if lang == "en" else "……"} {_more(len(frame) - max_rows, lang)}</p>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


def _more(n: int, lang: str) -> str:
    return f"{n} more rows" if lang == "en" else f"另有 {n} 行"


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


#: What the notebook views say, Chinese first and English with ``lang="en"`` (one place for both).
WORDS = {
    "selected": ("入选", "selected"), "national": ("国家级推荐", "national"), "total": ("评审总分", "total score"),
    "penalty": ("目标偏差计分", "soft-rule penalty"), "gap": ("与最优界的差距", "gap"), "solve": ("求解用时", "solve"),
    "measure": ("指标", "measure"), "value": ("值", "value"), "resolve": ("重算方式", "re-solve"),
    "by_task": ("各任务入选情况", "slate by task"),
    "binding": ("已到限额的规则组（{n}）", "binding rule groups ({n})"), "warnings": ("提示", "warnings"),
    "seconds": ("{v:.2f} 秒", "{v:.2f} s"),
    "entered": ("新入选（{n}）", "entered ({n})"), "left": ("落选（{n}）", "left ({n})"),
    "by_locality": ("各地入选数", "selected by locality"), "by_tier": ("高职各档入选数", "selected by tier"),
    "no_locality_change": ("各地入选数没有变化", "no locality count changed"),
    "binding_changes": ("限额状态改变的规则组（{n}）", "rule groups whose binding changed ({n})"),
    "headline": ("{a} → {b}：评审总分 {delta}，新入选 {entered}，落选 {left}",
                 "{a} → {b}: total score {delta}, {entered} entered, {left} left"),
    "whatif": ("情景推演 {label}：{lines}", "what-if {label}: {lines}"),
}
MODES = {"cold": ("从头求解", "cold"), "rebuild": ("重建模型", "rebuild"), "bounds": ("只改界限", "bounds"),
         "again": ("与之前相同", "again")}
STATUS = {"OPTIMAL": ("最优（已证明）", "optimal (proven)"), "FEASIBLE": ("可行（差距 {gap}）", "feasible (gap {gap})"),
          "INFEASIBLE": ("无可行方案", "infeasible")}


def word(key: str, lang: str | None = None, **values: Any) -> str:
    """`WORDS[key]` in `lang` (default: the language of `planner.lang`), filled with `values` (not escaped)."""
    zh, en = WORDS[key]
    lang = lang or language()
    return (en if lang == "en" else zh).format(**values)


def status_text(status: str, gap: float | None, lang: str | None = None) -> str:
    """A solver status in words: 最优（已证明）, 可行（差距 1.20%）…"""
    zh, en = STATUS.get(status, (status, status))
    lang = lang or language()
    return (en if lang == "en" else zh).format(gap=f"{gap:.2%}" if gap is not None and gap == gap else "?")


def _group_names(result: SolvedRound, rules: pd.DataFrame) -> list[str]:
    """The groups of a rule table as people read them: a school by its name, a code by its label."""
    per = {rule.id: rule.per for rule in result.scenario.rules}
    names = unit_names(result.slate)
    return [group_words(per.get(rid, ()), str(key), names) if per.get(rid) else str(key)
            for rid, key in zip(rules["rule_id"], rules["group"])]


def result_html(result: SolvedRound, *, max_rows: int = MAX_ROWS, lang: str | None = None) -> str:
    """A solved round: headline, key figures, the slate by task, binding rule groups, warnings.

    Needs ``result.summary`` (name, status, n_selected, n_candidates, n_national, total_score,
    penalty, gap, solve_s) and ``result.rules`` (rule_id, clause, group, value, min, max, binding).
    ``lang="zh"`` says everything in Chinese; ``"en"`` in English with the codes; by default the
    language of `planner.lang` (Chinese unless English was asked for).
    """
    lang = lang or language()
    s = result.summary
    figures = pd.DataFrame([
        (word("selected", lang), f"{s['n_selected']} / {s['n_candidates']}"),
        (word("national", lang), str(s["n_national"])),
        (word("total", lang), f"{s['total_score']:.1f}"),
        (word("penalty", lang), f"{s['penalty']:.1f}"),
        (word("gap", lang), f"{s['gap']:.2%}"),
        (word("solve", lang), word("seconds", lang, v=s["solve_s"])),
    ], columns=[word("measure", lang), word("value", lang)])
    whatif = s.get("whatif")
    if whatif:
        mode = MODES.get(whatif["mode"], (whatif["mode"],) * 2)[lang == "en"]
        figures.loc[len(figures)] = [word("resolve", lang), mode + ("，" if lang != "en" else ", ")
                                     + word("seconds", lang, v=whatif["total_s"])]
    tasks = task_table(result)
    if lang != "en":
        cat = load_catalogue()
        tasks = tasks.assign(track=[cat.tracks_of(t).get(k, k) if k else "" for t, k in zip(tasks["task"], tasks["track"])])
    tasks = tasks[["task_label", "track", "candidates", "selected", "national", "lowest"]]
    binding = result.rules[result.rules["binding"]][["rule_id", "clause", "group", "value", "min", "max"]]
    if lang != "en":
        binding = binding.assign(group=_group_names(result, binding))
    warnings = "".join(f"<li>{html.escape(w)}</li>" for w in s.get("warnings", []))
    status = status_text(str(s["status"]), s.get("gap"), lang)
    parts = [
        STYLE, '<div class="planner-view">',
        f"<h4>{html.escape(str(s['name']))}{'：' if lang != 'en' else ' — '}{html.escape(status)}</h4>",
        table_html(figures, lang=lang),
        f"<h5>{word('by_task', lang)}</h5>", table_html(tasks, max_rows=40, lang=lang),
        f"<h5>{word('binding', lang, n=len(binding))}</h5>",
        table_html(binding, max_rows=max_rows, lang=lang),
    ]
    if warnings:
        parts.append(f"<h5>{word('warnings', lang)}</h5><ul>{warnings}</ul>")
    parts.append("</div>")
    return "".join(parts)
