"""The markup and style of ``briefing.html``: page 1 is the brief, the attachments follow it.

Owns the layout. Page 1 (``<section class="brief">``) is exactly one A4 page high when printed:
title, the sentence that matters, the headline cards (no card reads 0: a missing national pick
is a sentence), the table by task, the two charts (which shrink to the room left, so the page
never spills onto a second one), and the 落款. After a page break come the attachments
(``<div class="attachments">``): the detailed charts and tables for the planners, the name
lists, and the provenance in small print. ``<body class="brief-only">`` hides the attachments:
that is what ``briefing.pdf`` prints. The page embeds its pictures and a font subset as base64,
so it opens anywhere with no network and no Chinese font installed.

Does not own what is computed (`briefing`), the sentences (`briefing_text`), the charts or the
font. Imports nothing of `briefing` (which calls it): the briefing is passed in.
"""
from __future__ import annotations

import base64
import html
from typing import Any, Callable

import pandas as pd

from planner.show.briefing_text import (
    LIST_CSS,
    PRINT_SCRIPT,
    attachment_note,
    how_sure,
    key_sentence,
    name_lists,
    national_sentence,
    provenance,
    publication_of,
    signature,
    target_sentence,
    whatif_lines,
)
from planner.show.fonts import font_face_css

PAGE_FONT = "PlannerCJK"
#: The brief's own two charts, in the order they sit on page 1.
BRIEF_LOCALITIES, BRIEF_TARGETS = "chart-brief-localities.png", "chart-brief-targets.png"


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _table(frame: pd.DataFrame, headers: dict[str, str], *, formats: dict[str, Callable[[Any], str]] | None = None,
           css: str = "", foot: list[str] | None = None) -> str:
    formats = formats or {}
    head = "".join(f"<th>{html.escape(label)}</th>" for label in headers.values())
    columns = [frame[c].map(formats.get(c, lambda v: html.escape(str(v)))).tolist() for c in headers]
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>" for cells in zip(*columns))
    tail = f"<tfoot><tr>{''.join(f'<td>{c}</td>' for c in foot)}</tr></tfoot>" if foot else ""
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody>{tail}</table>'


def _signed(value: Any) -> str:
    v = int(value)
    cls = "up" if v > 0 else "down" if v < 0 else "same"
    return f'<span class="{cls}">{"+" if v > 0 else ""}{v}</span>'


def gains_text(comparison: pd.DataFrame) -> str:
    """Who gained and who lost against a compared run, per locality, in one line."""
    up = comparison[comparison["delta"] > 0].sort_values("delta", ascending=False)
    down = comparison[comparison["delta"] < 0].sort_values("delta")
    if up.empty and down.empty:
        return "各市（州）入选数与对照运行相同。"
    parts = []
    if not up.empty:
        parts.append("增加：" + "、".join(f"{n} +{d}" for n, d in zip(up["locality"], up["delta"])))
    if not down.empty:
        parts.append("减少：" + "、".join(f"{n} {d}" for n, d in zip(down["locality"], down["delta"])))
    return "；".join(parts) + "。"


def _cards(b: Any) -> str:
    """The headline cards; a figure that would read 0 is left to a sentence instead."""
    h = b.headline
    cards = [("认定省级项目", f"{_fmt(h['n_selected'])}", f"项 · 申报 {_fmt(h['n_candidates'])} 项")]
    if h["n_national"]:
        cards.append(("推荐国家级项目", _fmt(h["n_national"]), "项"))
    if len(b.targets):
        due = f"到{b.by_year}年" if b.by_year else "全省"
        cards.append((f"{due}建设目标已达到", f"{int(b.targets['reached'].sum())} / {len(b.targets)}", "项"))
    if b.before_year is not None and not b.tasks["before"].isna().all():
        change = h["n_selected"] - int(b.tasks["before"].sum())
        if change:
            cards.append((f"比{b.before_year}年度", f"{'+' if change > 0 else '−'}{_fmt(abs(change))}", "项"))
        else:
            cards.append((f"与{b.before_year}年度相比", "持平", ""))
    return "".join(f'<div class="card"><div class="k">{html.escape(k)}</div><div class="v">{html.escape(v)}'
                   f'<small>{html.escape(n)}</small></div></div>' for k, v, n in cards)


def _task_table(b: Any) -> str:
    """Projects by task this year: applied, recognised, national (when any), last year (when known)."""
    headers = {"label": "重点任务", "candidates": "申报", "selected": "认定"}
    if b.headline["n_national"]:
        headers["national"] = "国家级推荐"
    has_before = b.before_year is not None and not b.tasks["before"].isna().all()
    if has_before:
        headers["before"] = f"{b.before_year}年度认定"
    frame = b.tasks.copy()
    foot = ["合计", *(_fmt(frame[c].sum()) for c in list(headers)[1:])]
    number = lambda v: _fmt(v)                                                        # noqa: E731
    return _table(frame, headers, formats={c: number for c in list(headers)[1:]}, css="num tasks", foot=foot)


def _brief(b: Any, images: dict[str, str]) -> str:
    """Page 1."""
    h, esc = b.headline, html.escape
    publication = publication_of(b.run.summary, b.run.scenario)
    scenario = b.run.scenario
    description = str(scenario.raw.get("description", "")) if scenario is not None else ""
    programme = publication["programme"] or " · ".join(p for p in (str(h["name"]), description) if p)
    period = tuple(scenario.years) if scenario is not None else None
    said = h["n_national"] and b.before_year is None         # the key sentence already names them
    lines = ["" if said else national_sentence(h, h.get("national_left")), target_sentence(b.targets, b.by_year)]
    if h["status"] != "OPTIMAL":
        lines.append(how_sure(str(h["status"]), h["gap"]))
    if b.comparison is not None:
        lines.append("与对照方案相比，各市（州）认定数" + gains_text(b.comparison))
    charts_html = (f'<div class="fig side"><img alt="各市（州）认定项目数" src="{images.get(BRIEF_LOCALITIES, "")}"></div>'
                   if BRIEF_LOCALITIES in images else "")
    targets_html = (f'<div class="fig grow"><img alt="建设目标完成情况" src="{images.get(BRIEF_TARGETS, "")}"></div>'
                    if BRIEF_TARGETS in images and len(b.targets) else '<div class="grow"></div>')
    return ('<section class="brief">'
            f"<header><h1>{esc(str(h['year']))}年度省级项目认定情况简报</h1>"
            f'<p class="sub">{esc(programme)}</p>'
            + "".join(f'<p class="sub whatif">{esc(line)}</p>' for line in whatif_lines(b.run.summary))
            + "</header>"
            f'<p class="key">{esc(key_sentence(h, b.tasks, b.before_year, period))}</p>'
            f'<div class="cards">{_cards(b)}</div>'
            + "".join(f'<p class="line">{esc(line)}</p>' for line in lines if line)
            + f'<div class="row"><div class="cell">{_task_table(b)}</div>{charts_html}</div>'
            + targets_html
            + f'<div class="end"><p class="att">{esc(attachment_note(h))}</p>{signature(publication)}</div>'
            "</section>")


def _details(b: Any, images: dict[str, str]) -> str:
    """The planners' attachment: who gained and lost, shares, and every detailed chart."""
    h, esc = b.headline, html.escape
    percent = lambda v: f"{v:.1%}"                                                  # noqa: E731
    if b.comparison is not None:
        names = (esc(b.comparison.attrs.get("name_a", "对照")), esc(b.comparison.attrs.get("name_b", "本次")))
        who = (f"<p>与对照运行 <b>{names[0]}</b> 相比，本次 <b>{names[1]}</b>：{esc(gains_text(b.comparison))}</p>"
               '<div class="two">'
               + _table(b.comparison, {"locality": "市（州）", "count_a": "对照", "count_b": "本次", "delta": "增减"},
                        formats={"delta": _signed}, css="num")
               + _table(b.kinds_comparison, {"category": "单位类别", "count_a": "对照", "count_b": "本次",
                                             "delta": "增减"}, formats={"delta": _signed}, css="num")
               + "</div>")
    else:
        who = ("<p>本年度各市（州）与各类单位的认定数和占比：</p><div class=\"two\">"
               + _table(b.localities, {"locality": "市（州）", "selected": "认定", "share": "占比",
                                       "candidates": "申报"}, formats={"share": percent}, css="num")
               + _table(b.kinds, {"category": "单位类别", "selected": "认定", "share": "占比"},
                        formats={"share": percent}, css="num")
               + "</div>")
    quotas = ""
    if h["locality_groups"] or h["schools"]:
        quotas = (f"<p>有名额限制的组：各市（州）{h['locality_groups']}个，本年度名额已用满{h['locality_full']}个；"
                  f"高职学校分档{h['schools']}个（校·任务），名额已用满{h['schools_full']}个。</p>")
    sections = "".join(f'<section class="chart"><h2>{esc(title)}</h2>'
                       f'<img alt="{esc(title)}" src="{images.get(name, "")}"></section>'
                       for name, (title, _fig) in b.charts.items() if name not in (BRIEF_LOCALITIES, BRIEF_TARGETS))
    if b.run.scenario is None:
        sections += '<p class="note">工作日历从略（未找到本轮的情景文件）。</p>'
    return (f'<section class="detail"><p class="label">附：分析图表（供业务处室参考）</p>'
            f"<h2>谁增谁减</h2>{who}{quotas}{sections}</section>")


CSS = """
@page { size: A4; margin: 12mm; }
* { box-sizing: border-box; }
body { font-family: '%(font)s', 'Noto Sans SC', 'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif;
       color: #222; margin: 0 auto; max-width: 186mm; padding: 0; font-size: 10.5pt; line-height: 1.45; }
h1 { font-size: 18pt; margin: 0; font-weight: 700; letter-spacing: 0.5pt; }
h2 { font-size: 12.5pt; margin: 14pt 0 4pt; border-bottom: 1.5pt solid #0072B2; padding-bottom: 2pt; }
.sub { color: #555; margin: 1pt 0 0; font-size: 10pt; }
.whatif { color: #D55E00; font-weight: 700; }
.brief { height: 271mm; display: flex; flex-direction: column; gap: 5pt; overflow: hidden;
         break-after: page; page-break-after: always; }
.brief header { border-bottom: 2pt solid #C00000; padding-bottom: 4pt; }
.key { font-size: 12.5pt; font-weight: 700; margin: 2pt 0 0; line-height: 1.5; }
.line { margin: 0; font-size: 10.5pt; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(38mm, 1fr)); gap: 5pt; }
.card { border: 1pt solid #CCD3DA; border-radius: 4pt; padding: 3pt 8pt; background: #F6F8FA; }
.card .k { font-size: 9.5pt; color: #444; }
.card .v { font-size: 20pt; font-weight: 700; color: #0072B2; line-height: 1.2; }
.card .v small { font-size: 9pt; font-weight: 400; color: #555; margin-left: 3pt; }
.row { display: grid; grid-template-columns: 1.15fr 1fr; gap: 8pt; align-items: stretch; }
.fig { position: relative; min-height: 0; }
.fig img { position: absolute; inset: 0; width: 100%%; height: 100%%; object-fit: contain; object-position: center top; }
.grow { flex: 1 1 0; }
.end { display: flex; justify-content: space-between; align-items: flex-end; gap: 10pt; }
.att { font-size: 9.5pt; color: #444; margin: 0; }
.sign { text-align: right; font-size: 11pt; white-space: nowrap; }
.two { display: grid; grid-template-columns: 1fr 1fr; gap: 10pt; align-items: start; }
table { border-collapse: collapse; width: 100%%; font-size: 9pt; }
th, td { border-bottom: 0.6pt solid #DDD; padding: 1.2pt 4pt; text-align: left; }
th { background: #EEF2F5; font-weight: 700; white-space: nowrap; }
tfoot td { font-weight: 700; border-top: 1pt solid #999; border-bottom: none; }
table.num td + td, table.num th + th { text-align: right; }
table.tasks { font-size: 9.5pt; }
.up { color: #009E73; font-weight: 700; } .down { color: #D55E00; font-weight: 700; } .same { color: #999; }
.detail .label { margin: 0; font-weight: 700; }
.chart { break-inside: avoid; page-break-inside: avoid; }
.chart img { width: 100%%; height: auto; display: block; }
.note { color: #777; font-size: 9pt; }
.brief-only .attachments { display: none; }
.brief-only .brief { break-after: auto; page-break-after: auto; }
@media screen {
  body { padding: 6mm 0; }
  .brief { border-bottom: 1pt dashed #BBB; margin-bottom: 6mm; }
}
"""


def render_html(briefing: Any, pngs: dict[str, bytes]) -> str:
    """The page: the brief on page 1, then the attachments; every picture and the font embedded.

    Parameters
    ----------
    briefing : briefing.Briefing
        What the page shows.
    pngs : dict of str to bytes
        Chart file name → PNG bytes, for every chart of ``briefing.charts``.
    """
    placeholder = {name: f"@@{name}@@" for name in pngs}
    h = briefing.headline
    body = (_brief(briefing, placeholder)
            + '<div class="attachments">' + _details(briefing, placeholder)
            + name_lists(briefing.run.slate, h["year"])
            + provenance(briefing.run.summary, n_rule_groups=h["n_rule_groups"], n_binding=h["n_binding"],
                         history=briefing.run.scenario.history if briefing.run.scenario is not None else ())
            + "</div>" + PRINT_SCRIPT)
    style = font_face_css(body, family=PAGE_FONT) + CSS % {"font": PAGE_FONT} + LIST_CSS
    for name, data in pngs.items():
        body = body.replace(placeholder[name], "data:image/png;base64," + base64.b64encode(data).decode("ascii"))
    title = html.escape(f"{h['year']}年度省级项目认定情况简报")
    return (f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title><style>{style}</style></head><body>{body}</body></html>\n")
