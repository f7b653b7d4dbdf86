"""The leadership briefing: ``briefing.html``, whose first printed page is the brief, and ``briefing.pdf``.

Owns what the briefing says and shows: the headline figures (projects recognised this year by
task, national picks, the targets), the change since the year before (read from the history
the round's scenario locks), the two charts of page 1 (recognised per locality; progress toward
the targets), the detailed charts and the name lists that follow it as attachments, and writing
it all — the page, the chart PNGs (print resolution) and optionally the PDF — into an output
folder atomically (`files.write_outputs`). The PDF is the same page printed by a headless
browser (`pdf`) with the attachments left out, so it is one A4 page and never differs from
what the HTML shows.

Does not own the page's markup and style (`briefing_page`), its sentences (`briefing_text`),
drawing (`charts`), the font (`fonts`), the browser (`pdf`), solving, or the command line
(`commands.report`). Holds no number of the notice: everything shown is read from the run.
"""
from __future__ import annotations

import dataclasses
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import pandas as pd
from matplotlib.figure import Figure

from planner.inputs import load_catalogue
from planner import lang
from planner.show import charts, pdf as printing
from planner.show.briefing_page import BRIEF_LOCALITIES, BRIEF_TARGETS, render_html
from planner.show.briefing_page import PAGE_FONT  # noqa: F401  (re-exported: the page's font family)
from planner.show.briefing_text import whatif_lines  # noqa: F401  (re-exported for notebooks and tests)

if TYPE_CHECKING:
    from planner.result import SolvedRound
    from planner.rules import Scenario

log = logging.getLogger(__name__)

HTML_NAME = "briefing.html"
PDF_NAME = "briefing.pdf"
PRINT_DPI = 300

#: The two charts of page 1, in page order (the rest follow it as attachments).
BRIEF_CHARTS = (BRIEF_LOCALITIES, BRIEF_TARGETS)

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
        PNG file name → section title and figure, in page order: `BRIEF_CHARTS` first (page 1),
        then the detailed charts of the attachments.
    tasks : DataFrame
        Per task: task, label, candidates, selected, national, before (the year before; NaN
        without one) — `charts.count_table`.
    before_year : int or None
        The year of the round compared with (the latest earlier year of the locked history).
    targets : DataFrame
        Each province-wide target after this round (`charts.progress.target_status`).
    by_year : int or None
        The year the targets are due.
    """

    run: charts.Run
    headline: dict[str, Any]
    localities: pd.DataFrame
    kinds: pd.DataFrame
    comparison: pd.DataFrame | None = None
    kinds_comparison: pd.DataFrame | None = None
    charts: dict[str, tuple[str, Figure]] = field(default_factory=dict)
    tasks: pd.DataFrame = field(default_factory=pd.DataFrame)
    before_year: int | None = None
    targets: pd.DataFrame = field(default_factory=pd.DataFrame)
    by_year: int | None = None


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
        "national_left": national_room(run.rules),
    }


def national_room(rules: pd.DataFrame) -> float | None:
    """Room left in the national quotas after this round (sum of max − value over the national
    rule groups with a max); None when the run has no national quota."""
    if "decision" not in rules:
        return None
    national = rules[(rules["decision"] == "national") & rules["max"].notna()]
    if national.empty:
        return None
    return float((pd.to_numeric(national["max"]) - pd.to_numeric(national["value"])).clip(lower=0).sum())


def due_year(run: charts.Run, ledger: pd.DataFrame) -> int | None:
    """The year the targets are due: the ledger's ``target_year``, else the scenario's last year."""
    if "target_year" in ledger:
        years = pd.to_numeric(ledger["target_year"], errors="coerce").dropna()
        if len(years):
            return int(years.max())
    if run.scenario is not None:
        return int(run.scenario.years[1])
    return None


def _step_words(step: str, cat: Any) -> str:
    """A drawing step as the progress bar shows it."""
    kind, _, what = step.partition(":")
    if kind == "quota":
        return f"名额使用图：{cat.label('task', what)}"
    return {"brief:localities": "首页图：各市（州）", "brief:targets": "首页图：建设目标", "targets": "目标进度",
            "scores": "分数分布", "comparison": "情景比较", "calendar": "工作日历"}.get(step, step)


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
    steps = ["brief:localities", "brief:targets"]
    steps += ["quota:" + t for t in quota_tasks] + ["targets", "scores"]
    steps += ["comparison"] if other is not None else []
    steps += ["calendar"] if run.scenario is not None and run.scenario.calendar else []
    say = progress or (lambda done, total, what: None)
    cat = load_catalogue()

    localities, kinds = locality_shares(run), category_shares(run)
    before = charts.previous_round(run)
    before_year = int(before["year"].max()) if before is not None else None
    this_round = _this_round(run)
    tasks = charts.count_table(this_round, before, "task")
    tasks = tasks[(tasks["candidates"] > 0) | (tasks["before"].fillna(0) > 0)].reset_index(drop=True)
    ledger_frame = charts.ledger_of(run)
    by_year = due_year(run, ledger_frame)
    comparison = kinds_comparison = None
    if other is not None:
        comparison = compare_counts(locality_shares(other), localities, "locality")
        comparison.attrs.update(name_a=_run_name(other), name_b=_run_name(run))
        kinds_comparison = compare_counts(category_shares(other), kinds, "category")
    figures: dict[str, tuple[str, Figure]] = {}
    for done, step in enumerate(steps):
        say(done, len(steps), _step_words(step, cat))
        if step == "brief:localities":
            figures[BRIEF_CHARTS[0]] = ("各市（州）认定项目数", charts.plot_locality_counts(
                charts.count_table(this_round, before, "locality"), year=run.year, before_year=before_year))
        elif step == "brief:targets":
            figures[BRIEF_CHARTS[1]] = ("建设目标完成情况", charts.plot_target_summary(ledger_frame, run.year, by=by_year))
        elif step.startswith("quota:"):
            task = step.split(":", 1)[1]
            figures[f"chart-quota-{task}.png"] = (f"限额使用：{cat.label('task', task)}",
                                                  charts.plot_quota_use(run, task=task))
        elif step == "targets":
            figures["chart-targets.png"] = ("目标完成进度（分年度）", charts.plot_target_progress(ledger_frame))
        elif step == "scores":
            figures["chart-scores.png"] = ("评审分数与入选最低分", charts.plot_scores(run))
        elif step == "comparison":
            figures["chart-comparison.png"] = ("情景比较：各市（州）增减", charts.plot_comparison(comparison))
        elif step == "calendar":
            figures["chart-calendar.png"] = ("工作日历", charts.plot_calendar(run.scenario))
    if steps:
        say(len(steps), len(steps), "charts drawn")
    if run.scenario is None:
        log.warning(lang.say(f"{run.source}：找不到情景文件，简报不含日程（用 --scenario 给出）",
                             f"{run.source}: scenario not found, the calendar is left out (give it with --scenario)"))
    return Briefing(run=run, headline=headline_figures(run), localities=localities, kinds=kinds,
                    comparison=comparison, kinds_comparison=kinds_comparison, charts=figures, tasks=tasks,
                    before_year=before_year, targets=charts.target_status(ledger_frame, run.year), by_year=by_year)


# --- writing ------------------------------------------------------------------------------


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


def brief_only(page: str) -> str:
    """The same page with its attachments hidden (``<body class="brief-only">``): what the PDF prints."""
    return page.replace("<body>", '<body class="brief-only">', 1)


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
        Also write ``briefing.pdf``: page 1 of the same HTML (the brief, attachments left out)
        printed by a headless Chromium, Chrome or Edge (`pdf.print_pdf`); one A4 page.
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
    pdf.BrowserError
        `pdf` and no browser to print with, or it failed (nothing is written then).
    """
    from planner.show.files import write_outputs

    out_dir = Path(out_dir)
    say = progress or (lambda done, total, what: None)
    extra = 1 + int(pdf)                 # the page, and the PDF
    browser = printing.find_browser() if pdf else None      # no browser: say so before drawing

    def drawing(done: int, n_charts: int, what: str) -> None:
        # one bar for the whole job: drawing n charts, saving n PNGs, the page (and the PDF)
        say(done, 2 * n_charts + extra, what)

    briefing = build_briefing(result if result is not None else out_dir, compare_to=compare_to,
                              scenario=scenario, ledger=ledger, progress=drawing)
    n = len(briefing.charts)
    total = 2 * n + extra
    pngs: dict[str, bytes] = {}
    for done, (name, (_title, fig)) in enumerate(briefing.charts.items()):
        say(n + done, total, f"保存图片 {name}")
        pngs[name] = figure_png(fig, dpi)
    say(2 * n, total, f"生成页面 {HTML_NAME}")
    page = render_html(briefing, pngs)
    files = {HTML_NAME: page.encode("utf-8"), **pngs}
    if pdf:
        say(2 * n + 1, total, f"打印 {PDF_NAME}")
        files[PDF_NAME] = printing.print_pdf(brief_only(page), browser=browser)
    written = write_outputs(out_dir, tables={}, binary_files=files)
    say(total, total, "written")
    log.info("briefing written to %s (%d files)", out_dir, len(written))
    return written
