"""The words of the briefing: the sentence that matters, the issuing office and date, the lists of
names, and the note on how the lists were made.

Owns the parts of ``briefing.html`` that are sentences and lists rather than charts: the change
since last year in one sentence (`key_sentence`), the targets in one more (`target_sentence`),
the sentence said instead of a zero (`national_sentence`), the 落款 (`signature`, from the
scenario's ``[publication]`` block when it has one), the 认定名单 and the 国家级推荐名单 as
attachments (collapsible on screen, printed in full) and the small-print provenance at the end.
Every word is one a department head uses: no solver status, no hash on page 1.

Does not own the page's layout and charts (`briefing`) nor the lists' columns (`lists`).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from planner.errors import PlannerError
from planner.rules import describe_edits
from planner.show.lists import recognised_list

#: Keys of the scenario's ``[publication]`` block read here, each with the names it may go by.
PUBLICATION_KEYS = {"office": ("office", "issuer", "issuing_office"),
                    "date": ("date", "issue_date"),
                    "programme": ("programme", "program", "programme_name", "title")}

LIST_CSS = """
details.list { margin: 6pt 0; } details.list summary { cursor: pointer; font-weight: 700; color: #0072B2; }
table.names td:first-child, table.names th:first-child { width: 2.5em; text-align: right; }
.appendix .label { margin: 10pt 0 0; font-weight: 700; }
.provenance { color: #777; font-size: 7.5pt; margin-top: 14pt; border-top: 0.6pt solid #DDD; padding-top: 4pt; }
@media print {
  details.list summary { display: none; }
  .appendix { break-before: page; page-break-before: always; }
}
"""


def whatif_lines(summary: Mapping[str, Any]) -> list[str]:
    """The title-block mark of a what-if: "情景推演：" and its edits (summary["edits"]), one line
    each; empty for a run of a scenario as loaded. For the briefing, charts and 名单 files."""
    edits = summary.get("edits") or []
    try:
        lines = describe_edits(edits if isinstance(edits, list) else [])
    except PlannerError:                    # a hand-edited summary.json: say what it holds
        lines = [str(e) for e in edits]
    return [f"情景推演：{line}" for line in lines]


def _n(value: float) -> str:
    return f"{value:,.0f}"


def _top_changes(tasks: pd.DataFrame, n: int = 2) -> list[str]:
    """The `n` tasks whose count moved most against the year before, as "名称（前→后）"."""
    moved = tasks.assign(_d=(tasks["selected"] - tasks["before"]).abs())
    moved = moved[moved["_d"] > 0].sort_values("_d", ascending=False, kind="stable").head(n)
    return [f"{label}（{_n(b)}→{_n(s)}项）" for label, b, s in zip(moved["label"], moved["before"], moved["selected"])]


def key_sentence(headline: Mapping[str, Any], tasks: pd.DataFrame, before_year: int | None,
                 period: tuple[int, int] | None = None) -> str:
    """The one sentence that matters: what changed since last year, or, without a year before,
    what this round decided.

    Parameters
    ----------
    headline : mapping
        year, n_selected, n_candidates (see `briefing.headline_figures`).
    tasks : DataFrame
        label, selected, before (NaN without an earlier round), from `charts.count_table`.
    before_year : int or None
        The year of the earlier round, when there is one.
    period : (int, int), optional
        The scenario's first and last year: a first year is said to be one.
    """
    h = headline
    year, n = h["year"], h["n_selected"]
    if before_year is None or tasks["before"].isna().all():
        first = (f"本年度是{period[0]}—{period[1]}年建设周期的第一年，"
                 if period and period[0] == year and period[1] > year else "")
        national = f"，其中{_n(h['n_national'])}项推荐参加国家级遴选" if h["n_national"] else ""
        return f"{first}{year}年度共受理申报{_n(h['n_candidates'])}项，认定省级项目{_n(n)}项{national}。"
    before = int(tasks["before"].sum())
    change = n - before
    word = f"增加{_n(change)}项" if change > 0 else f"减少{_n(-change)}项" if change < 0 else "数量持平"
    text = f"{year}年度认定省级项目{_n(n)}项，比{before_year}年度（{_n(before)}项）{word}"
    top = _top_changes(tasks)
    if top:
        text += "，变化最大的是" + "、".join(top)
    return text + "。"


def national_sentence(headline: Mapping[str, Any], national_left: float | None) -> str:
    """What is said of the national recommendations instead of a card reading 0.

    `national_left` is the room left in the national quotas (None when the run has no national
    rule): with none left, the quotas were used in earlier years.
    """
    if headline["n_national"]:
        return f"推荐参加国家级遴选{_n(headline['n_national'])}项，名单见附件2。"
    if national_left is not None and national_left <= 0:
        return "本年度无国家级推荐任务（通知规定的国家级推荐名额已在以往年度用完）。"
    return "本年度无国家级推荐任务。"


def target_sentence(status: pd.DataFrame, by: int | None) -> str:
    """The targets in one sentence: how many reached, which are still short and by how much."""
    if status.empty:
        return ""
    due = f"到{by}年的" if by else ""
    reached = int(status["reached"].sum())
    text = f"{due}{len(status)}项建设目标已达到{reached}项"
    short = status[~status["reached"]]
    if len(short) and len(short) <= 5:
        text += "；尚未达到的：" + "、".join(f"{_target_name(label)}还差{_n(m)}"
                                          for label, m in zip(short["label"], short["missing"]))
    elif len(short):
        text += f"，{len(short)}项尚未达到"
    return text + "。"


def _target_name(label: str) -> str:
    """"50个左右省级专业教学资源库" → "省级专业教学资源库": the thing, without the number."""
    return re.sub(r"^(不少于)?\d+[个门所项]?(左右)?", "", str(label)) or str(label)


def publication_of(summary: Mapping[str, Any], scenario: Any) -> dict[str, str]:
    """The issuing office, the date and the programme's name from the scenario's ``[publication]``
    block, falling back on its ``issuer`` and ``name`` (empty strings where nothing is given)."""
    raw = scenario.raw if scenario is not None else {}
    block = raw.get("publication", {}) or {}
    found = {key: next((str(block[n]) for n in names if block.get(n)), "") for key, names in PUBLICATION_KEYS.items()}
    found["office"] = found["office"] or str(raw.get("issuer", "") or summary.get("issuer", "") or "")
    found["programme"] = found["programme"] or str(raw.get("programme", "") or "")
    return found


def chinese_date(value: str | dt.date | None, today: dt.date | None = None) -> str:
    """``2024-06-30`` (or a date) as ``2024年6月30日``; text that is not an ISO date is kept as written;
    nothing given: today."""
    if isinstance(value, str) and value.strip():
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            return value.strip()
    date = value if isinstance(value, dt.date) else (today or dt.date.today())
    return f"{date.year}年{date.month}月{date.day}日"


def signature(publication: Mapping[str, str], today: dt.date | None = None) -> str:
    """The 落款: the issuing office over the date, right-aligned as a Chinese document has it."""
    office = html.escape(publication.get("office", ""))
    date = chinese_date(publication.get("date") or None, today)
    return f'<div class="sign">{f"<div>{office}</div>" if office else ""}<div>{date}</div></div>'


def _names_table(table: pd.DataFrame) -> str:
    """A list as an HTML table; a column with nothing in it (国家级推荐 in a year without) is left out."""
    filled = table.astype(str).apply(lambda column: column.str.strip().ne("").any())
    columns = [c for c in table.columns if c != "task" and (filled[c] or not len(table))]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in record) + "</tr>"
                   for record in table[columns].to_numpy(dtype=object).tolist())
    return f'<table class="names"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def name_lists(slate: pd.DataFrame, year: int) -> str:
    """The 认定名单 (附件1) and, when there are national picks, the 国家级推荐名单 (附件2) of `year`.

    Each list is collapsible on screen (a short list opens by itself); printing opens both
    (`PRINT_SCRIPT`) and starts each on a new page. An empty national list is not printed: the
    brief says in a sentence that there were no national picks.
    """
    rows = slate[slate["year"] == year] if "year" in slate else slate
    parts = [("认定名单", "附件1", recognised_list(rows))]
    national = recognised_list(rows, national_only=True)
    if len(national):
        parts.append(("国家级推荐名单", "附件2", national))
    return "".join(f'<section class="appendix"><p class="label">{label}</p><h2>{year}年度{title}（{len(table)} 项）</h2>'
                   f'<details class="list"{" open" if len(table) <= 30 else ""}><summary>展开或收起{title}</summary>'
                   f"{_names_table(table)}</details></section>" for title, label, table in parts)


def attachment_note(headline: Mapping[str, Any]) -> str:
    """The line under the 落款 naming the attachments that follow."""
    items = [f"1. {headline['year']}年度认定名单（{_n(headline['n_selected'])}项）"]
    if headline["n_national"]:
        items.append(f"2. {headline['year']}年度国家级推荐名单（{_n(headline['n_national'])}项）")
    return "附件：" + "；".join(items)


PRINT_SCRIPT = ("<script>addEventListener('beforeprint', () => "
                "document.querySelectorAll('details').forEach(d => { d.open = true; }));</script>")


def data_version(summary: Mapping[str, Any]) -> str:
    """A short fingerprint of the run's inputs (scenario files and candidate tables, by their hashes)."""
    inputs = summary.get("inputs", {}) or {}
    text = "\n".join(f"{name}:{digest}" for name, digest in sorted(inputs.items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12] if text else "无"


def how_sure(status: str, gap: float) -> str:
    """Whether the lists have the highest total score the rules allow, in plain words ("" when
    the status is not one of a finished computation)."""
    if status == "OPTIMAL":
        return "在通知的全部规则之内，认定项目的评审分数之和已是可能的最高值。"
    if status == "FEASIBLE":
        return (f"计算在规定时间内结束，名单符合全部规则，但评审分数之和可能还不是最高"
                f"（与可能的最高值最多相差{gap:.1%}）；正式发布前宜延长计算时间重新计算。")
    return ""


def _short(path: str, parts: int = 1) -> str:
    return "/".join(str(path).replace("\\", "/").split("/")[-parts:])


def provenance(summary: Mapping[str, Any], *, n_rule_groups: int, n_binding: int,
               history: "tuple[Any, ...]" = ()) -> str:
    """The small print at the end of the attachments: what the lists were made from, in words.

    `history` are the scenario's locked slates of earlier years (named as such, not as 申报数据).
    """
    earlier = {_short(p, 2) for p in history}
    inputs = [str(name) for name in (summary.get("inputs") or {})]
    rules = [_short(n) for n in inputs if n.endswith(".toml")]
    slates = [_short(n, 2) for n in inputs if _short(n, 2) in earlier]
    tables = [_short(n) for n in inputs if not n.endswith(".toml") and _short(n, 2) not in earlier]
    parts = []
    named = [*(f"申报数据 {t}" for t in tables), *(f"以往年度名单 {s}" for s in slates), *(f"规则文件 {r}" for r in rules)]
    if named:
        parts.append("本简报依据" + "、".join(named) + "生成。")
    if n_rule_groups:
        parts.append(f"按通知逐条核对了{_n(n_rule_groups)}个有名额或数量要求的组，"
                     f"其中{_n(n_binding)}个组的名额恰好用满或数量恰好达到要求。")
    parts.append(how_sure(str(summary.get("status", "")), float(summary.get("gap", 0.0) or 0.0)))
    parts.append(f"数据核对码 {data_version(summary)}（两份简报的核对码相同，说明所用数据相同）。")
    return f'<p class="provenance">{html.escape("".join(parts))}</p>'
