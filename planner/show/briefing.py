"""The leadership briefing: one self-contained ``briefing.html`` with the charts and headline figures.

Owns what the briefing says (slate size, total score, targets met, full quotas, who gained and
who lost), how it is laid out for an A4 page, and writing it with the chart PNGs (print
resolution) and an optional PDF into an output folder, atomically (`report.write_outputs`).
The page embeds its pictures and a font subset as base64, so it opens anywhere with no network
and no Chinese font installed.

Does not own drawing (`charts`), the font (`fonts`), solving, or the command line
(`commands.report`). Holds no number of the notice: everything shown is read from the run.
"""
from __future__ import annotations

import base64
import dataclasses
import html
import io
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import pandas as pd
from matplotlib.figure import Figure

from planner.errors import PlannerError
from planner.inputs import load_catalogue
from planner.rules import describe_edits
from planner.show import charts
from planner.show.briefing_text import LIST_CSS, PRINT_SCRIPT, footer, name_lists, status_word, summary_paragraph
from planner.show.fonts import font_face_css, use_cjk_font

if TYPE_CHECKING:
    from planner.result import SolvedRound
    from planner.rules import Scenario

log = logging.getLogger(__name__)

HTML_NAME = "briefing.html"
PDF_NAME = "briefing.pdf"
PRINT_DPI = 300
PAGE_FONT = "PlannerCJK"

#: progress(done, total, what): called before each step and once at the end (done == total).
Progress = Callable[[int, int, str], None]


@dataclass
class Briefing:
    """Everything the page shows, before it is rendered.

    Attributes
    ----------
    run : charts.Run
        The round briefed on.
    headline : dict
        n_selected, n_candidates, n_national, total_score, targets_met, targets,
        locality_full, locality_groups, schools_full, schools, status, gap, name, year.
    localities : DataFrame
        Per locality: locality, selected, share, candidates (this round's rows).
    kinds : DataFrame
        Per unit category (高职 tier, or unit kind otherwise): category, selected, share.
    comparison : DataFrame or None
        Per locality against the earlier run: locality, count_a, count_b, delta
        (``attrs`` name_a / name_b); None without ``compare_to``.
    kinds_comparison : DataFrame or None
        The same per unit category: category, count_a, count_b, delta.
    charts : dict of str to (title, Figure)
        PNG file name → section title and figure, in page order.
    """

    run: charts.Run
    headline: dict[str, Any]
    localities: pd.DataFrame
    kinds: pd.DataFrame
    comparison: pd.DataFrame | None = None
    kinds_comparison: pd.DataFrame | None = None
    charts: dict[str, tuple[str, Figure]] = field(default_factory=dict)


# --- what the page says ------------------------------------------------------------------------


def _this_round(run: charts.Run) -> pd.DataFrame:
    return run.slate[run.slate["year"] == run.year]


def _category(slate: pd.DataFrame) -> pd.Series:
    """高职 tier label where there is a tier, else the unit kind label."""
    cat = load_catalogue()
    tier = slate["tier"].astype(str).map(lambda t: cat.label("tier", t) if t else "")
    kind = slate["unit_kind"].astype(str).map(lambda k: cat.label("unit_kind", k))
    return tier.where(tier != "", kind)


def locality_shares(run: charts.Run) -> pd.DataFrame:
    """Selected projects per locality this round, with their share of the slate.

    Parameters
    ----------
    run : charts.Run
        Slate columns year, locality, selected.

    Returns
    -------
    DataFrame
        locality, selected, share (0–1), candidates; catalogue order.
    """
    rows = _this_round(run)
    order = {name: i for i, name in enumerate(load_catalogue().localities)}
    table = (rows.assign(_sel=rows["selected"].astype(int))
             .groupby("locality").agg(selected=("_sel", "sum"), candidates=("_sel", "size")).reset_index())
    table = table.sort_values("locality", key=lambda s: s.map(order).fillna(len(order))).reset_index(drop=True)
    total = table["selected"].sum()
    table["share"] = table["selected"] / total if total else 0.0
    return table[["locality", "selected", "share", "candidates"]]


def category_shares(run: charts.Run) -> pd.DataFrame:
    """Selected projects per 高职 tier and unit kind this round.

    Parameters
    ----------
    run : charts.Run
        Slate columns year, tier, unit_kind, selected.

    Returns
    -------
    DataFrame
        category, selected, share (0–1); tiers first, then unit kinds, catalogue order.
    """
    cat = load_catalogue()
    rows = _this_round(run)
    order = [*cat.tiers.values(), *cat.unit_kinds.values()]
    table = (rows.assign(category=_category(rows), _sel=rows["selected"].astype(int))
             .groupby("category").agg(selected=("_sel", "sum")).reset_index())
    table = table.sort_values("category", key=lambda s: s.map({c: i for i, c in enumerate(order)}).fillna(99))
    total = table["selected"].sum()
    table["share"] = table["selected"] / total if total else 0.0
    return table.reset_index(drop=True)


def compare_counts(before: pd.DataFrame, after: pd.DataFrame, key: str) -> pd.DataFrame:
    """Per `key` value: count_a (before), count_b (after), delta = b − a; every value of either.

    Parameters
    ----------
    before, after : DataFrame
        Each with columns `key` and ``selected``.
    """
    a = before.set_index(key)["selected"]
    b = after.set_index(key)["selected"]
    keys = list(dict.fromkeys([*after[key], *before[key]]))
    frame = pd.DataFrame({key: keys, "count_a": a.reindex(keys).fillna(0).astype(int).to_numpy(),
                          "count_b": b.reindex(keys).fillna(0).astype(int).to_numpy()})
    frame["delta"] = frame["count_b"] - frame["count_a"]
    return frame


def _run_name(run: charts.Run) -> str:
    name = str(run.summary.get("name", "")) or "本次运行"
    folder = Path(run.source).name if run.source != "<result>" else ""
    return f"{name}（{folder}）" if folder else name


def headline_figures(run: charts.Run) -> dict[str, Any]:
    """The numbers at the top of the page, read from the run's summary, rules and ledger."""
    s = run.summary
    slate = _this_round(run)
    targets = charts.target_table(charts.ledger_of(run)).drop_duplicates("rule_id")
    quotas = charts.quota_use_table(run)
    localities = quotas[quotas["kind"] == "locality"]
    schools = quotas[quotas["kind"] == "tier"]
    score = pd.to_numeric(slate["score"], errors="coerce")
    return {
        "name": s.get("name", ""),
        "year": run.year,
        "status": s.get("status", ""),
        "gap": float(s.get("gap", 0.0) or 0.0),
        "n_selected": int(s.get("n_selected", int(slate["selected"].sum()))),
        "n_candidates": int(s.get("n_candidates", len(slate))),
        "n_national": int(s.get("n_national", int(slate["national"].sum()))),
        "total_score": float(s.get("total_score", float(score[slate["selected"] == 1].sum()))),
        "targets": int(len(targets)),
        "targets_met": int((targets["total"] >= targets["target_min"]).sum()),
        "locality_groups": int(len(localities)),
        "locality_full": int(localities["binding"].sum()),
        "schools": int(len(schools)),
        "schools_full": int(schools["binding"].sum()),
        "n_binding": int(s.get("n_binding", 0)),
        "n_rule_groups": int(s.get("n_rule_groups", 0)),
    }


def whatif_lines(summary: Mapping[str, Any]) -> list[str]:
    """The title-block mark of a what-if: "情景推演：" and its edits (summary["edits"]), one line
    each; empty for a run of a scenario as loaded. For the briefing, charts and 名单 files."""
    edits = summary.get("edits") or []
    try:
        lines = describe_edits(edits if isinstance(edits, list) else [])
    except PlannerError:                    # a hand-edited summary.json: say what it holds
        lines = [str(e) for e in edits]
    return [f"情景推演：{line}" for line in lines]


def build_briefing(source: "SolvedRound | charts.Run | str | Path", *, compare_to: "str | Path | SolvedRound | None" = None,
                   scenario: "Scenario | str | Path | None" = None, ledger: pd.DataFrame | None = None,
                   progress: Progress | None = None) -> Briefing:
    """Read a run (and an earlier one to compare with) and draw every chart of the briefing.

    Parameters
    ----------
    source : SolvedRound, charts.Run, or output folder of ``planner solve``
    compare_to : output folder or Result, optional
        An earlier run of the same round: the page then shows who gained and who lost.
    scenario : Scenario or path, optional
        For the calendar and pass mark when the folder's summary does not lead to it.
    ledger : DataFrame, optional
        The year-by-year ledger (see `charts.target_table`); else ``ledger.csv`` of the folder,
        else the targets of the rule table.
    progress : callable, optional
        ``progress(done, total, what)`` before each chart.
    """
    run = charts.read_run(source, scenario=scenario)
    if ledger is not None:
        run = dataclasses.replace(run, ledger=ledger)
    other = charts.read_run(compare_to) if compare_to is not None else None
    quota_tasks = charts.quota_tasks(run)
    steps = ["quota:" + t for t in quota_tasks] + ["targets", "scores"]
    steps += ["comparison"] if other is not None else []
    steps += ["calendar"] if run.scenario is not None and run.scenario.calendar else []
    say = progress or (lambda done, total, what: None)
    cat = load_catalogue()

    localities, kinds = locality_shares(run), category_shares(run)
    comparison = kinds_comparison = None
    if other is not None:
        comparison = compare_counts(locality_shares(other), localities, "locality")
        comparison.attrs.update(name_a=_run_name(other), name_b=_run_name(run))
        kinds_comparison = compare_counts(category_shares(other), kinds, "category")
    figures: dict[str, tuple[str, Figure]] = {}
    for done, step in enumerate(steps):
        say(done, len(steps), step)
        if step.startswith("quota:"):
            task = step.split(":", 1)[1]
            figures[f"chart-quota-{task}.png"] = (f"限额使用：{cat.label('task', task)}",
                                                  charts.plot_quota_use(run, task=task))
        elif step == "targets":
            figures["chart-targets.png"] = ("目标完成进度", charts.plot_target_progress(charts.ledger_of(run)))
        elif step == "scores":
            figures["chart-scores.png"] = ("评审分数与入选最低分", charts.plot_scores(run))
        elif step == "comparison":
            figures["chart-comparison.png"] = ("情景比较：各市（州）增减", charts.plot_comparison(comparison))
        elif step == "calendar":
            figures["chart-calendar.png"] = ("工作日历", charts.plot_calendar(run.scenario))
    if steps:
        say(len(steps), len(steps), "charts drawn")
    if run.scenario is None:
        log.warning("%s: scenario not found, the calendar is left out (give it with --scenario)", run.source)
    return Briefing(run=run, headline=headline_figures(run), localities=localities, kinds=kinds,
                    comparison=comparison, kinds_comparison=kinds_comparison, charts=figures)


# --- rendering ------------------------------------------------------------------------------


def figure_png(fig: Figure, dpi: int = PRINT_DPI) -> bytes:
    """A figure as an opaque RGB PNG at `dpi` (no timestamp: the same figure gives the same bytes).

    matplotlib writes RGBA; the charts have a white background, so the alpha channel only adds
    bytes (about a tenth) and is dropped.
    """
    from PIL import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None}, facecolor="white")
    image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    flat = io.BytesIO()
    image.save(flat, format="PNG", dpi=(dpi, dpi), optimize=False)
    return flat.getvalue()


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _table(frame: pd.DataFrame, headers: dict[str, str], *, formats: dict[str, Callable[[Any], str]] | None = None,
           css: str = "") -> str:
    formats = formats or {}
    head = "".join(f"<th>{html.escape(label)}</th>" for label in headers.values())
    columns = [frame[c].map(formats.get(c, lambda v: html.escape(str(v)))).tolist() for c in headers]
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>" for cells in zip(*columns))
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _signed(value: Any) -> str:
    v = int(value)
    cls = "up" if v > 0 else "down" if v < 0 else "same"
    return f'<span class="{cls}">{"+" if v > 0 else ""}{v}</span>'


def _gains_text(comparison: pd.DataFrame) -> str:
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


def _body(b: Briefing, images: dict[str, str]) -> str:
    h = b.headline
    esc = html.escape
    scenario = b.run.scenario
    description = str(scenario.raw.get("description", "")) if scenario is not None else ""
    gap = "" if h["status"] == "OPTIMAL" else f"（与最优界差距 {h['gap']:.2%}）"
    cards = [
        ("入选省级项目", _fmt(h["n_selected"]), f"候选 {_fmt(h['n_candidates'])} 项"),
        ("国家级推荐", _fmt(h["n_national"]), "项"),
        ("入选项目评审总分", _fmt(h["total_score"]), f"{status_word(h['status'])}{gap}"),
        ("目标已达到", f"{h['targets_met']} / {h['targets']}", "项全省目标（含往年锁定）"),
        ("满额的市（州）限额", f"{h['locality_full']} / {h['locality_groups']}", "组（约束起作用）"),
        ("满额的高职学校分档限额", f"{h['schools_full']} / {h['schools']}", "校·任务"),
    ]
    card_html = "".join(f'<div class="card"><div class="k">{esc(k)}</div><div class="v">{esc(v)}</div>'
                        f'<div class="n">{esc(n)}</div></div>' for k, v, n in cards)
    percent = lambda v: f"{v:.1%}"                                                  # noqa: E731
    if b.comparison is not None:
        names = (esc(b.comparison.attrs.get("name_a", "对照")), esc(b.comparison.attrs.get("name_b", "本次")))
        who = (f"<p>与对照运行 <b>{names[0]}</b> 相比，本次 <b>{names[1]}</b>：{esc(_gains_text(b.comparison))}</p>"
               '<div class="two">'
               + _table(b.comparison, {"locality": "市（州）", "count_a": "对照", "count_b": "本次", "delta": "增减"},
                        formats={"delta": _signed}, css="num")
               + _table(b.kinds_comparison, {"category": "单位类别", "count_a": "对照", "count_b": "本次",
                                             "delta": "增减"}, formats={"delta": _signed}, css="num")
               + "</div>")
    else:
        who = ("<p>本次各市（州）与各类单位的入选数和占比：</p><div class=\"two\">"
               + _table(b.localities, {"locality": "市（州）", "selected": "入选", "share": "占比",
                                       "candidates": "候选"}, formats={"share": percent}, css="num")
               + _table(b.kinds, {"category": "单位类别", "selected": "入选", "share": "占比"},
                        formats={"share": percent}, css="num")
               + "</div>")
    sections = "".join(f'<section class="chart"><h2>{esc(title)}</h2>'
                       f'<img alt="{esc(title)}" src="{images.get(name, "")}"></section>'
                       for name, (title, _fig) in b.charts.items())
    if scenario is None:
        sections += '<p class="note">工作日历从略（未找到本轮的情景文件）。</p>'
    appendix = name_lists(b.run.slate, h["year"])
    summary = summary_paragraph(h, b.run.slate, b.run.slate[b.run.slate["year"] != h["year"]])
    return (f"<header><h1>{esc(h['name'])}</h1><p class=\"sub\">{esc(description)}"
            f"{' · ' if description else ''}{h['year']}年度 · 领导简报</p>"
            + "".join(f'<p class="sub whatif">{esc(line)}</p>' for line in whatif_lines(b.run.summary))
            + "</header>"
            f'<p class="summary">{esc(summary)}</p>'
            f'<section class="cards">{card_html}</section>'
            f'<p class="note">入选名单和国家级推荐名单见文末附件1、附件2。</p>'
            f"<section><h2>谁增谁减</h2>{who}</section>{sections}"
            + footer(b.run.summary, scenario, n_rule_groups=h["n_rule_groups"], n_binding=h["n_binding"])
            + appendix + PRINT_SCRIPT)


CSS = """
@page { size: A4; margin: 12mm; }
* { box-sizing: border-box; }
body { font-family: '%(font)s', 'Noto Sans SC', 'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif;
       color: #222; margin: 0 auto; max-width: 190mm; padding: 6mm 0; font-size: 10.5pt; line-height: 1.5; }
h1 { font-size: 17pt; margin: 0 0 2pt; font-weight: 700; }
h2 { font-size: 12.5pt; margin: 14pt 0 4pt; border-bottom: 1.5pt solid #0072B2; padding-bottom: 2pt; }
.sub { color: #555; margin: 0 0 8pt; font-size: 9.5pt; }
.cards { display: grid; grid-template-columns: repeat(3, 1fr); gap: 6pt; }
.card { border: 1pt solid #CCD3DA; border-radius: 4pt; padding: 5pt 8pt; background: #F6F8FA; }
.card .k { font-size: 9pt; color: #555; }
.card .v { font-size: 19pt; font-weight: 700; color: #0072B2; line-height: 1.25; }
.card .n { font-size: 8.5pt; color: #666; }
.two { display: grid; grid-template-columns: 1fr 1fr; gap: 10pt; align-items: start; }
table { border-collapse: collapse; width: 100%%; font-size: 9pt; }
th, td { border-bottom: 0.6pt solid #DDD; padding: 1.5pt 4pt; text-align: left; }
th { background: #EEF2F5; }
table.num td + td, table.num th + th { text-align: right; }
.up { color: #009E73; font-weight: 700; } .down { color: #D55E00; font-weight: 700; } .same { color: #999; }
.chart { break-inside: avoid; page-break-inside: avoid; }
.chart img { width: 100%%; height: auto; display: block; }
.note { color: #777; font-size: 9pt; }
footer { margin-top: 12pt; color: #888; font-size: 8pt; border-top: 0.6pt solid #DDD; padding-top: 4pt; }
code { font-family: 'DejaVu Sans Mono', Consolas, Menlo, '%(font)s', monospace; font-size: 8.5pt;
       background: #F3F3F3; padding: 0 2pt; }
"""


def render_html(briefing: Briefing, pngs: dict[str, bytes]) -> str:
    """The page: headline cards, who gained and lost, each chart as an embedded PNG, an embedded font."""
    placeholder = {name: f"@@{name}@@" for name in pngs}
    body = _body(briefing, placeholder)
    style = font_face_css(body, family=PAGE_FONT) + CSS % {"font": PAGE_FONT} + LIST_CSS
    for name, data in pngs.items():
        body = body.replace(placeholder[name], "data:image/png;base64," + base64.b64encode(data).decode("ascii"))
    title = html.escape(f"{briefing.headline['name']} · 领导简报")
    return (f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title><style>{style}</style></head><body>{body}</body></html>\n")


def _lines(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` characters, broken after 、；， where possible."""
    lines = [""]
    for token in re.split(r"(?<=[、；，：])", text):
        while len(token) > width:                       # a token longer than a line: cut it
            lines.append(token[:width])
            token = token[width:]
        if len(lines[-1]) + len(token) > width:
            lines.append("")
        lines[-1] += token
    return [line for line in lines if line]


A4_IN = (8.27, 11.69)
PDF_MARGIN_IN = 0.38


def render_pdf(briefing: Briefing, pngs: dict[str, bytes]) -> bytes:
    """An A4 PDF: the headline figures, then the charts at print size, as many to a page as fit."""
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.image import imread

    use_cjk_font()          # the text page is made here, not by `charts`
    width, height = A4_IN
    usable = height - 2 * PDF_MARGIN_IN
    h = briefing.headline
    lines = [
        (h["name"], 15), (f"{h['year']}年度 · 领导简报", 10),
        *((line, 10) for line in whatif_lines(briefing.run.summary)), ("", 6),
        (f"入选省级项目 {_fmt(h['n_selected'])} 项（候选 {_fmt(h['n_candidates'])} 项），"
         f"国家级推荐 {_fmt(h['n_national'])} 项", 10.5),
        (f"入选项目评审总分 {_fmt(h['total_score'])}，{status_word(h['status'])}", 10.5),
        (f"全省目标已达到 {h['targets_met']} / {h['targets']} 项", 10.5),
        (f"满额：市（州）限额 {h['locality_full']} / {h['locality_groups']} 组，"
         f"高职学校分档限额 {h['schools_full']} / {h['schools']} 校·任务", 10.5),
    ]
    if briefing.comparison is not None:
        lines.append(("谁增谁减：" + _gains_text(briefing.comparison), 10))
    else:
        lines.append(("各市（州）入选：" + "、".join(f"{n} {c}" for n, c in zip(briefing.localities["locality"],
                                                                          briefing.localities["selected"])), 10))
    pages: list[Figure] = []
    page = Figure(figsize=A4_IN)
    top = PDF_MARGIN_IN
    for text, size in lines:
        for part in (_lines(text, 44) if text else [""]):
            page.text(PDF_MARGIN_IN / width, 1 - top / height, part, fontsize=size, va="top")
            top += size / 72 * 1.6
    top += 0.15
    for name in briefing.charts:
        image = imread(io.BytesIO(pngs[name]), format="png")
        w_in, h_in = charts.PAGE_WIDTH_IN, charts.PAGE_WIDTH_IN * image.shape[0] / image.shape[1]
        if h_in > usable:                       # taller than a page: shrink to fit
            w_in, h_in = w_in * usable / h_in, usable
        if top + h_in > height - PDF_MARGIN_IN:
            pages.append(page)
            page, top = Figure(figsize=A4_IN), PDF_MARGIN_IN
        ax = page.add_axes(((width - w_in) / 2 / width, 1 - (top + h_in) / height, w_in / width, h_in / height))
        ax.imshow(image, interpolation="none")      # embedded as drawn, not resampled
        ax.set_axis_off()
        top += h_in + 0.2
    pages.append(page)
    buffer = io.BytesIO()
    with PdfPages(buffer, metadata={"Creator": "planner", "Producer": None, "CreationDate": None}) as pdf:
        for one in pages:
            pdf.savefig(one, dpi=charts_dpi(pngs))
    return buffer.getvalue()


def charts_dpi(pngs: dict[str, bytes]) -> int:
    """The resolution the chart PNGs were drawn at (read from the first PNG's header)."""
    from PIL import Image

    for data in pngs.values():
        dpi = Image.open(io.BytesIO(data)).info.get("dpi")
        if dpi:
            return int(round(dpi[0]))
    return PRINT_DPI


def write_briefing(out_dir: str | Path, *, compare_to: "str | Path | SolvedRound | None" = None, pdf: bool = False,
                   result: "SolvedRound | None" = None, scenario: "Scenario | str | Path | None" = None,
                   ledger: pd.DataFrame | None = None, dpi: int = PRINT_DPI,
                   progress: Progress | None = None) -> list[Path]:
    """Write ``briefing.html``, one PNG per chart (and ``briefing.pdf``) into `out_dir`, all or none.

    Parameters
    ----------
    out_dir : path
        An output folder of ``planner solve`` (read unless `result` is given) and where the
        briefing goes.
    compare_to : output folder or Result, optional
        An earlier run: the page shows who gained and who lost against it.
    pdf : bool
        Also write ``briefing.pdf``.
    result : SolvedRound, optional
        The solved round in memory (``planner solve --report``), instead of reading `out_dir`.
    scenario : Scenario or path, optional
        The scenario, when the folder's summary does not lead to it (calendar, pass mark).
    ledger : DataFrame, optional
        The year-by-year ledger; else ``ledger.csv`` of `out_dir`, else the rule table's targets.
    dpi : int
        Resolution of the PNG files and of the pictures in the page (300 = print).
    progress : callable, optional
        ``progress(done, total, what)``.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    InputError
        `out_dir` is not an output folder of ``planner solve`` (files missing) or not writable.
    fonts.FontError
        No Chinese font is installed (the message says how to install one).
    """
    from planner.show.files import write_outputs

    out_dir = Path(out_dir)
    say = progress or (lambda done, total, what: None)
    extra = 1 + int(pdf)                 # the page, and the PDF

    def drawing(done: int, n_charts: int, what: str) -> None:
        # one bar for the whole job: drawing n charts, saving n PNGs, the page (and the PDF)
        say(done, 2 * n_charts + extra, what)

    briefing = build_briefing(result if result is not None else out_dir, compare_to=compare_to,
                              scenario=scenario, ledger=ledger, progress=drawing)
    n = len(briefing.charts)
    total = 2 * n + extra
    pngs: dict[str, bytes] = {}
    for done, (name, (_title, fig)) in enumerate(briefing.charts.items()):
        say(n + done, total, name)
        pngs[name] = figure_png(fig, dpi)
    say(2 * n, total, HTML_NAME)
    files = {HTML_NAME: render_html(briefing, pngs).encode("utf-8"), **pngs}
    if pdf:
        say(2 * n + 1, total, PDF_NAME)
        files[PDF_NAME] = render_pdf(briefing, pngs)
    written = write_outputs(out_dir, tables={}, binary_files=files)
    say(total, total, "written")
    log.info("briefing written to %s (%d files)", out_dir, len(written))
    return written
