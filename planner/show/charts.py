"""Charts for the people who decide: quota use, target progress, scores, what-ifs, the calendar.

Owns drawing a solved round as matplotlib Figures titled and labelled in Chinese, and the small
tables each chart is drawn from (`quota_use_table`, `target_table`). Charts take a `Result`
or an output folder written by ``planner solve`` (read by `read_run`), a ledger frame, a
comparison frame, or a scenario. They never call ``show()`` and never write files: the
briefing (`briefing`) and notebooks decide where pictures go.

Does not own computing the year-by-year ledger (`ledger`), comparing two runs (`compare`),
the HTML page (`briefing`) or the font (`fonts`). Holds no number of the notice: caps, targets,
deadlines and the pass mark are read from the run's rule table and the scenario.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from planner.errors import InputError, PolicyError, Problem
from planner.inputs import load_catalogue, suggest
from planner.show.fonts import use_cjk_font

if TYPE_CHECKING:
    from planner.result import SolvedRound
    from planner.rules import Scenario

log = logging.getLogger(__name__)

__all__ = [
    "Run", "read_run", "quota_use_table", "target_table", "quota_tasks",
    "plot_quota_use", "plot_target_progress", "plot_scores", "plot_comparison", "plot_calendar",
]

# Okabe-Ito colours: distinguishable in colour-blind vision and in grey print.
BLUE, VERMILION, ORANGE, GREEN, SKY, PURPLE, YELLOW, GREY = (
    "#0072B2", "#D55E00", "#E69F00", "#009E73", "#56B4E9", "#CC79A7", "#F0E442", "#999999")
CAP_GREY = "#E4E7EB"
PAGE_WIDTH_IN = 7.5        # an A4 page's text width: charts are drawn at the size they print
CAP_PERCENT = 150.0        # target progress: bars are cut here (a layout choice, not a rule)
FONT_PT = 8.5
OUTPUT_FILES = ("slate.csv", "rules.csv", "summary.json")


# --- what a chart reads -----------------------------------------------------------------------


@dataclass
class Run:
    """One solved round, as the charts need it.

    Attributes
    ----------
    slate : DataFrame
        Every candidate row with ``selected`` and ``national`` (0/1); needs candidate_id, year,
        task, track, unit_id, unit_name, tier, locality, score.
    rules : DataFrame
        One row per rule group: rule_id, clause, group, value, min, max, binding, text, decision,
        target_min (``rules.csv``).
    summary : dict
        ``summary.json``: name, year, n_selected, n_national, total_score, n_binding …
    scenario : Scenario or None
        The scenario, when it could be found (needed for the calendar and the pass mark).
    ledger : DataFrame or None
        ``ledger.csv`` when the output folder has one.
    source : str
        Where the run came from (an output folder, or "<result>").
    history : DataFrame or None
        Locked rows of earlier rounds (a `Result`'s ``history``).
    """

    slate: pd.DataFrame
    rules: pd.DataFrame
    summary: dict[str, Any]
    scenario: "Scenario | None" = None
    ledger: pd.DataFrame | None = None
    source: str = "<result>"
    history: pd.DataFrame | None = None

    @property
    def year(self) -> int:
        return int(self.summary.get("year", int(self.slate["year"].max())))


def read_run(result_or_outdir: "SolvedRound | Run | str | Path", *, scenario: "Scenario | str | Path | None" = None) -> Run:
    """A `Run` from a `Result`, an output folder of ``planner solve``, or a `Run`.

    An output folder needs slate.csv, rules.csv and summary.json; ledger.csv is read when
    present. The scenario is the one given, else the one the summary names (``scenario`` or
    the ``.toml`` among ``inputs``) when that file still exists.

    Raises
    ------
    InputError
        The folder is missing or lacks one of its files (every missing file is listed).
    """
    if isinstance(result_or_outdir, Run):
        run = result_or_outdir
    elif hasattr(result_or_outdir, "slate") and hasattr(result_or_outdir, "rules"):
        result = result_or_outdir
        run = Run(slate=result.slate, rules=result.rules, summary=dict(result.summary),
                  scenario=getattr(result, "scenario", None), source="<result>",
                  history=getattr(result, "history", None))
    else:
        run = _read_out_dir(Path(result_or_outdir))
    if scenario is not None:
        from planner.rules import Scenario as _Scenario
        from planner.rules import load_scenario
        loaded = scenario if isinstance(scenario, _Scenario) else load_scenario(scenario)
        run = dataclasses.replace(run, scenario=loaded)
    return run


def _read_out_dir(folder: Path) -> Run:
    if not folder.is_dir():
        raise InputError([Problem(str(folder), "no such folder",
                                  "an output folder written by `planner solve` (slate.csv, rules.csv, summary.json)")])
    missing = [name for name in OUTPUT_FILES if not (folder / name).is_file()]
    if missing:
        raise InputError([Problem(str(folder / name), "no such file",
                                  "an output folder written by `planner solve`") for name in missing])
    slate = pd.read_csv(folder / "slate.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    for column in ("year", "selected", "national"):
        if column in slate:
            slate[column] = pd.to_numeric(slate[column], errors="coerce").fillna(0).astype("int64")
    if "score" in slate:
        slate["score"] = pd.to_numeric(slate["score"], errors="coerce")
    rules = pd.read_csv(folder / "rules.csv", encoding="utf-8-sig", dtype={"group": str, "rule_id": str})
    rules["group"] = rules["group"].fillna("")
    for column in ("binding", "soft"):
        if column in rules and rules[column].dtype != bool:
            rules[column] = rules[column].astype(str).str.lower().eq("true")
    summary = json.loads((folder / "summary.json").read_text("utf-8"))
    ledger = None
    if (folder / "ledger.csv").is_file():
        ledger = pd.read_csv(folder / "ledger.csv", encoding="utf-8-sig", dtype={"group": str, "rule_id": str})
    return Run(slate=slate, rules=rules, summary=summary, scenario=_scenario_of(summary, folder),
               ledger=ledger, source=str(folder))


def _scenario_of(summary: Mapping[str, Any], folder: Path) -> "Scenario | None":
    """The scenario a summary names, if its file can still be read (else None, logged)."""
    from planner.rules import load_scenario

    names = [summary["scenario"]] if summary.get("scenario") else []
    names += [name for name in summary.get("inputs", {}) if str(name).endswith(".toml")]
    for name in names:
        for path in (Path(name), folder / name, folder.parent / name):
            if path.is_file():
                try:
                    return load_scenario(path)
                except Exception as exc:     # a scenario edited since the run: no calendar, say why
                    log.warning("scenario %s could not be read again: %s", path, exc)
                    return None
    log.info("no scenario file found for %s; the calendar and pass mark are left out", folder)
    return None


# --- tables the charts draw -------------------------------------------------------------------


def _task_of_rules(rules: pd.DataFrame, scenario: "Scenario | None") -> tuple[pd.Series, pd.Series]:
    """Task and track code of each rule row: from the scenario's `where` when known, else the
    task whose catalogue clause equals the rule's clause (track unknown)."""
    cat = load_catalogue()
    by_clause = {task.clause: code for code, task in cat.tasks.items()}
    task = rules["clause"].map(by_clause).fillna("")
    track = pd.Series("", index=rules.index, dtype=object)
    if scenario is not None:
        known = {}
        for rule in scenario.rules:
            wanted = {col: conds[0][1] for col, conds in rule.where.items()
                      if len(conds) == 1 and conds[0][0] == "eq" and col in ("task", "track")}
            known[rule.id] = (wanted.get("task", ""), wanted.get("track", ""))
        from_rule = rules["rule_id"].map(lambda r: known.get(r, ("", "")))
        scenario_task = from_rule.map(lambda pair: pair[0])
        task = scenario_task.where(scenario_task != "", task)
        track = from_rule.map(lambda pair: pair[1])
    return task.astype(str), track.astype(str)


def quota_use_table(run: Run) -> pd.DataFrame:
    """Use of every locality and 高职-tier cap, one row per rule group.

    A locality cap is a provincial rule with a ``max`` whose groups are all localities; a tier
    cap is one whose groups are all 高职 schools (``unit_id``) of a single tier. Rules that
    forbid (``max = 0``), province-wide bands and national splits are left out.

    Parameters
    ----------
    run : Run
        Needs ``rules`` (rule_id, clause, group, value, max, binding, decision) and ``slate``
        (unit_id, unit_name, tier).

    Returns
    -------
    DataFrame
        rule_id, clause, task, track, kind (``locality``/``tier``), group, label, tier, used,
        cap, binding.
    """
    cat = load_catalogue()
    rules = run.rules
    caps = rules[(rules.get("decision", "provincial") == "provincial") & rules["max"].notna()
                 & (rules["max"] > 0)].copy()
    columns = ["rule_id", "clause", "task", "track", "kind", "group", "label", "tier", "used", "cap", "binding"]
    if caps.empty:
        return pd.DataFrame(columns=columns)
    slate = run.slate
    units = slate.loc[slate["tier"].astype(str) != "", ["unit_id", "tier", "unit_name"]].drop_duplicates("unit_id")
    tier_of = units.set_index("unit_id")["tier"]
    name_of = units.set_index("unit_id")["unit_name"]
    caps["tier"] = caps["group"].map(tier_of).fillna("")
    is_locality = caps["group"].isin(list(cat.localities))
    per_rule = caps.assign(_loc=is_locality).groupby("rule_id").agg(
        all_localities=("_loc", "all"), tiers=("tier", lambda t: set(t)))
    locality_rules = set(per_rule.index[per_rule["all_localities"]])
    tier_rules = set(per_rule.index[per_rule["tiers"].map(lambda t: len(t) == 1 and "" not in t)])
    caps["kind"] = np.where(caps["rule_id"].isin(locality_rules), "locality",
                            np.where(caps["rule_id"].isin(tier_rules), "tier", ""))
    caps = caps[caps["kind"] != ""].copy()
    caps["task"], caps["track"] = _task_of_rules(caps, run.scenario)
    caps["label"] = np.where(caps["kind"] == "locality", caps["group"],
                             caps["group"].map(name_of).fillna(caps["group"]))
    caps = caps.rename(columns={"value": "used", "max": "cap"})
    caps["binding"] = caps["binding"].astype(bool)
    return caps[columns].reset_index(drop=True)


def quota_tasks(run: Run) -> list[str]:
    """Task codes that have a locality or tier cap, in catalogue order."""
    table = quota_use_table(run)
    present = set(table["task"])
    return [code for code in load_catalogue().tasks if code in present]


_TARGET_PREFIX = re.compile(r"^到\d{4}年[，,]\s*(全省)?(建设)?")


TARGET_COLUMNS = ["rule_id", "label", "year", "used", "planned", "target_min", "max", "total"]
_YEAR_COLUMN = re.compile(r"^(used|planned)_(\d{4})$")


def _long_ledger(ledger: pd.DataFrame) -> pd.DataFrame:
    """A ledger as one row per rule group and year: rule_id, group, year, used, planned, target_min …

    Takes the ledger of `planner.ledger` (one row per rule group, ``used_<year>`` and
    ``planned_<year>`` columns, ``target``) or a long one (``year``, ``used``, ``target_min``).
    """
    year_columns = [c for c in ledger.columns if _YEAR_COLUMN.match(str(c))]
    if not year_columns:
        frame = ledger.copy()
        frame["planned"] = pd.to_numeric(frame["planned"], errors="coerce") if "planned" in frame else 0.0
        return frame
    keep = [c for c in ledger.columns if c not in year_columns and c not in ("used", "min")]
    base = ledger[keep].reset_index(drop=True)
    amounts = ledger[year_columns].reset_index(drop=True).rename_axis("_row").reset_index()
    long = amounts.melt(id_vars="_row", var_name="_column", value_name="_amount")
    parts = long["_column"].str.extract(_YEAR_COLUMN)
    long = long.assign(_kind=parts[0], year=parts[1].astype(int))
    wide = long.pivot(index=["_row", "year"], columns="_kind", values="_amount").reset_index()
    wide.columns.name = None
    for kind in ("used", "planned"):
        if kind not in wide:
            wide[kind] = np.nan
    wide = wide[wide["used"].notna() | wide["planned"].notna()]     # years not yet decided nor planned
    frame = base.join(wide.set_index("_row"), how="inner").reset_index(drop=True)
    if "target" in frame and "target_min" not in frame:
        frame = frame.rename(columns={"target": "target_min"})
    return frame


def target_table(ledger: pd.DataFrame) -> pd.DataFrame:
    """Province-wide targets of a ledger, one row per target and year.

    Parameters
    ----------
    ledger : DataFrame
        The ledger of `planner.ledger` (rule_id, group, text, scope, max, target, ``used_<year>``
        and, for a plan, ``planned_<year>``), or a long frame with rule_id, group, year, used,
        target_min and optional planned, text (or task/track), max, scope. A target is a rule
        with a target minimum, a single group, and a scope other than ``year`` (a per-year
        minimum is a pace, not a target).

    Returns
    -------
    DataFrame
        rule_id, label, year, used, planned, target_min, max, total (decided use over all years).
    """
    frame = _long_ledger(ledger)
    needed = ["rule_id", "group", "year", "used", "target_min"]
    missing = [c for c in needed if c not in frame]
    if missing:
        raise InputError([Problem("ledger", f"no column {', '.join(missing)}",
                                  "a ledger with " + ", ".join(needed) + " (or used_<year> and target)")])
    rows = frame[frame["target_min"].notna()].copy()
    if "scope" in rows:
        rows = rows[rows["scope"].astype(str) != "year"]
    groups_per_rule = rows.groupby("rule_id")["group"].nunique()
    rows = rows[rows["rule_id"].isin(groups_per_rule.index[groups_per_rule == 1])]
    if rows.empty:
        return pd.DataFrame(columns=TARGET_COLUMNS)
    cat = load_catalogue()
    if "task" in rows:
        label = rows["task"].map(lambda t: cat.label("task", t))
        if "track" in rows:
            tracks = pd.Series([cat.tracks_of(t).get(tr, "") for t, tr in zip(rows["task"], rows["track"].fillna(""))],
                               index=rows.index)
            label = label.where(tracks == "", tracks)
    elif "text" in rows:
        label = rows["text"].astype(str).str.replace(_TARGET_PREFIX, "", regex=True)
    else:
        label = rows["rule_id"]
    rows["label"] = label.astype(str)
    rows["max"] = pd.to_numeric(rows["max"], errors="coerce") if "max" in rows else np.nan
    rows["used"] = pd.to_numeric(rows["used"], errors="coerce").fillna(0.0)
    rows["planned"] = pd.to_numeric(rows["planned"], errors="coerce").fillna(0.0)
    rows["year"] = rows["year"].astype(int)
    rows["total"] = rows.groupby("rule_id")["used"].transform("sum")
    order = {r: i for i, r in enumerate(dict.fromkeys(rows["rule_id"]))}
    rows = rows.assign(_order=rows["rule_id"].map(order)).sort_values(["_order", "year"])
    # the label of a rule is the one of its first row (a long ledger may write it once)
    rows["label"] = rows.groupby("rule_id")["label"].transform("first")
    return rows[TARGET_COLUMNS].reset_index(drop=True)


def ledger_of(run: Run) -> pd.DataFrame:
    """The run's ledger: ``run.ledger`` (``ledger.csv`` of its folder) when there is one; else
    `planner.ledger` over the run and its scenario; else, without a scenario, the targets of the
    rule table as one row per target in the run's year (its ``value`` already counts every
    earlier locked year, so the bar is not split by year).

    Returns
    -------
    DataFrame
        A ledger `target_table` reads.
    """
    if run.ledger is not None:
        return run.ledger
    try:
        from planner.ledger import ledger as ledgers
    except ImportError:                     # an installation without the ledger module
        ledgers = None
    if run.scenario is not None and ledgers is not None:
        from planner.errors import PlannerError

        try:
            if run.source != "<result>":
                return ledgers.ledger_from_outputs([run.source], run.scenario)[1]
            return ledgers.ledger_table(run.slate, run.scenario, run.history)
        except PlannerError as exc:         # e.g. a scenario edited since the run
            log.warning("ledger of %s not computed (%s); targets read from rules.csv", run.source, exc)
    rules = run.rules[run.rules["target_min"].notna()]
    return pd.DataFrame({
        "rule_id": rules["rule_id"], "clause": rules["clause"], "text": rules["text"],
        "group": rules["group"], "year": run.year, "used": rules["value"], "min": rules["min"],
        "max": rules["max"], "target_min": rules["target_min"], "scope": rules["scope"],
    }).reset_index(drop=True)


# --- drawing helpers --------------------------------------------------------------------------


def _figure(width_in: float, height_in: float) -> Figure:
    use_cjk_font()
    fig = Figure(figsize=(width_in, height_in), layout="constrained", dpi=100)
    fig.get_layout_engine().set(h_pad=0.06, w_pad=0.06, hspace=0.04, wspace=0.04)
    return fig


def _style(ax) -> None:
    ax.tick_params(labelsize=FONT_PT, length=2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.6)
    ax.set_axisbelow(True)


_NO_LINE_START = "、，。：；）》”’·"


def _wrap(text: str, width: int) -> str:
    """`text` on lines of at most about `width` characters, lines balanced in length.

    Chinese may break between any two characters; a break after "·" or a closing quote is
    preferred when it gives short enough lines, and no line starts with closing punctuation.
    """
    text = str(text)
    if len(text) <= width:
        return text
    for mark in ("·", "”"):
        cut = text.find(mark)
        if 0 < cut < len(text) - 1 and cut + 1 <= width and len(text) - cut - 1 <= width:
            return text[:cut + 1] + "\n" + text[cut + 1:]
    n_lines = -(-len(text) // width)
    per = -(-len(text) // n_lines)
    lines, start = [], 0
    while start < len(text):
        end = min(start + per, len(text))
        while end < len(text) and text[end] in _NO_LINE_START:
            end += 1
        lines.append(text[start:end])
        start = end
    return "\n".join(lines)


def _task_title(task: str, track: str = "") -> str:
    cat = load_catalogue()
    label = cat.label("task", task) if task else "其他"
    track_label = cat.tracks_of(task).get(track, "") if track else ""
    return f"{label}·{track_label}" if track_label else label


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _empty(ax, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, fontsize=FONT_PT + 1, color=GREY)
    ax.set_axis_off()


# --- 1. quota use -----------------------------------------------------------------------------


def plot_quota_use(result_or_outdir: "SolvedRound | Run | str | Path", task: str | None = None) -> Figure:
    """Use of each locality (市州) and 高职-tier cap, per task: used against cap, full caps marked.

    One row of panels per task: left, each locality's used count against its cap; right, per
    tier, the caps of every 高职 school that filed added up, the part used by schools at their
    cap in vermilion and the number of such schools.

    Parameters
    ----------
    result_or_outdir : SolvedRound, Run, or path of an output folder
        The solved round (see `read_run`; needs rules and slate columns of `quota_use_table`).
    task : str, optional
        A task code (``resource_library`` …); all tasks with caps when omitted.

    Raises
    ------
    InputError
        `task` is not a catalogue task code.
    """
    run = read_run(result_or_outdir)
    table = quota_use_table(run)
    cat = load_catalogue()
    if task is not None and task not in cat.tasks:
        raise InputError([Problem("plot_quota_use", f'task "{task}"', "a task code of the catalogue",
                                  hint=suggest(task, list(cat.tasks)))])
    tasks = [task] if task is not None else quota_tasks(run)
    panels: list[list[tuple[str, pd.DataFrame]]] = []
    for code in tasks:
        rows = table[table["task"] == code]
        row_panels = [(rule_id, rows[rows["rule_id"] == rule_id])
                      for rule_id in dict.fromkeys(rows.loc[rows["kind"] == "locality", "rule_id"])]
        if (rows["kind"] == "tier").any():
            row_panels.append(("tier", rows[rows["kind"] == "tier"]))
        panels.append(row_panels)
    n_cols = max([len(p) for p in panels] + [1])
    heights = [max([_panel_height(frame) for _, frame in p] + [1.2]) for p in panels] or [1.5]
    fig = _figure(PAGE_WIDTH_IN, sum(heights) + 0.9)
    name = run.summary.get("name", "")
    fig.suptitle(f"{name}\n限额使用：已用 / 限额" if name else "限额使用：已用 / 限额", fontsize=FONT_PT + 2.5)
    if not tasks or not any(panels):
        _empty(fig.add_subplot(), f"{_task_title(task) if task else '本轮'}没有市（州）或高职学校分档限额")
        return fig
    grid = fig.add_gridspec(len(panels), n_cols, height_ratios=heights,
                            width_ratios=[1.25] + [1.0] * (n_cols - 1) if n_cols > 1 else [1])
    for i, (code, row_panels) in enumerate(zip(tasks, panels)):
        if not row_panels:
            _empty(fig.add_subplot(grid[i, :]), f"{_task_title(code)}：没有市（州）或高职学校分档限额")
            continue
        for j, (key, frame) in enumerate(row_panels):
            ax = fig.add_subplot(grid[i, j])
            if key == "tier":
                _draw_tier_panel(ax, frame, code)
            else:
                _draw_locality_panel(ax, frame, code)
    fig.legend(handles=[Patch(color=CAP_GREY, label="限额"), Patch(color=BLUE, label="已用"),
                        Patch(color=VERMILION, label="已用（已满额，约束起作用）")],
               loc="outside lower center", ncols=3, fontsize=FONT_PT, frameon=False)
    return fig


def _panel_height(frame: pd.DataFrame) -> float:
    n = len(frame) if frame["kind"].iat[0] == "locality" else frame["rule_id"].nunique()
    return 0.55 + 0.19 * n


def _draw_locality_panel(ax, frame: pd.DataFrame, task: str) -> None:
    order = {name: i for i, name in enumerate(load_catalogue().localities)}
    frame = frame.sort_values("group", key=lambda s: s.map(order).fillna(len(order)))
    y = np.arange(len(frame))
    used, cap, binding = frame["used"].to_numpy(float), frame["cap"].to_numpy(float), frame["binding"].to_numpy(bool)
    ax.barh(y, cap, color=CAP_GREY, height=0.8)
    ax.barh(y, used, color=np.where(binding, VERMILION, BLUE), height=0.5)
    right = float(max(cap.max(), used.max()))
    for yi, u, c in zip(y, used, cap):
        ax.text(max(u, c) + right * 0.02, yi, f"{_number(u)}/{_number(c)}", va="center", fontsize=FONT_PT - 1)
    ax.set_yticks(y, frame["group"].tolist())
    ax.invert_yaxis()
    ax.set_xlim(0, right * 1.28)
    ax.set_ylim(len(frame) - 0.5, -0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _style(ax)
    track = frame["track"].iat[0]
    ax.set_title(f"{_task_title(task, track)}\n各市（州）限额（满额 {int(binding.sum())}/{len(frame)}）",
                 fontsize=FONT_PT + 0.5, loc="left")
    ax.set_xlabel("项目数", fontsize=FONT_PT)


def _draw_tier_panel(ax, frame: pd.DataFrame, task: str) -> None:
    cat = load_catalogue()
    tier_order = {code: i for i, code in enumerate(cat.tiers)}
    summary = (frame.assign(_full=frame["used"].where(frame["binding"], 0.0),
                            _part=frame["used"].where(~frame["binding"], 0.0))
               .groupby(["rule_id", "tier", "track"], sort=False)
               .agg(cap=("cap", "sum"), full=("_full", "sum"), part=("_part", "sum"),
                    schools=("group", "size"), at_cap=("binding", "sum"), per_school=("cap", "max"))
               .reset_index())
    summary = summary.sort_values("tier", key=lambda s: s.map(tier_order).fillna(len(tier_order)))
    y = np.arange(len(summary))
    cap, full, part = (summary[c].to_numpy(float) for c in ("cap", "full", "part"))
    ax.barh(y, cap, color=CAP_GREY, height=0.8)
    ax.barh(y, full, color=VERMILION, height=0.5)
    ax.barh(y, part, left=full, color=BLUE, height=0.5)
    right = float(max(cap.max(), (full + part).max()))
    for yi, used, c, n, k in zip(y, full + part, cap, summary["schools"], summary["at_cap"]):
        ax.text(c + right * 0.02, yi, f"{_number(used)}/{_number(c)}\n满额 {int(k)}/{int(n)} 校",
                va="center", fontsize=FONT_PT - 1.5, linespacing=1.0)
    labels = [f"{_wrap(cat.label('tier', t), 9)}\n（每校≤{_number(p)}）"
              for t, p in zip(summary["tier"], summary["per_school"])]
    ax.set_yticks(y, labels, fontsize=FONT_PT - 1)
    ax.set_xlim(0, right * 1.45)
    ax.set_ylim(len(summary) - 0.5, -0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _style(ax)
    ax.set_title("高职学校分档限额\n（申报学校限额合计）", fontsize=FONT_PT + 0.5, loc="left")
    ax.set_xlabel("项目数", fontsize=FONT_PT)


# --- 2. progress toward the targets ----------------------------------------------------------


def plot_target_progress(ledger: pd.DataFrame) -> Figure:
    """Progress toward each province-wide target, stacked by year, as a share of the target.

    The target of an "about N" band (``target_min`` and ``max``) is the middle of the band,
    drawn as a shaded range; an "at least N" target is its ``target_min``. Decided years are
    solid, a plan's tentative years (``planned_<year>`` of the ledger) hatched after them.

    Parameters
    ----------
    ledger : DataFrame
        The ledger of `planner.ledger`, or a long frame: rule_id, group, year, used, target_min;
        optional planned, text (or task/track) for the label, max for the upper end of a band
        (see `target_table`).
    """
    table = target_table(ledger)
    targets = list(dict.fromkeys(table["rule_id"]))
    fig = _figure(PAGE_WIDTH_IN, 1.0 + 0.34 * max(len(targets), 3))
    fig.suptitle("目标完成进度（按年度堆叠，占目标值的百分比）", fontsize=FONT_PT + 2.5)
    ax = fig.add_subplot()
    if not targets:
        _empty(ax, "台账中没有全省目标")
        return fig
    years = sorted(table["year"].unique())
    first = table.drop_duplicates("rule_id").set_index("rule_id").loc[targets]
    low = first["target_min"].to_numpy(float)
    high = pd.to_numeric(first["max"], errors="coerce").to_numpy(float)
    has_band = ~np.isnan(high) & (high > low)
    goal = np.where(has_band, (low + np.where(has_band, high, 0)) / 2, low)
    y = np.arange(len(targets))

    def share(values: np.ndarray) -> np.ndarray:
        return np.divide(values, goal, out=np.zeros_like(values), where=goal > 0) * 100

    ax.barh(y[has_band], share(high)[has_band] - share(low)[has_band], left=share(low)[has_band], height=0.86,
            color="#EDEDED", zorder=0)
    left = np.zeros(len(targets))
    colours = dict(zip(years, _year_colours(len(years))))
    for kind in ("used", "planned"):            # decided years first, then a plan's tentative picks
        for year in years:
            part = table[table["year"] == year].set_index("rule_id")[kind].reindex(targets).fillna(0).to_numpy(float)
            if kind == "planned" and not part.any():
                continue
            if kind == "used" and not part.any() and table.loc[table["year"] == year, "planned"].any():
                continue                        # a year only planned: no empty "decided" legend entry
            style = (dict(color=colours[year], label=f"{year}年") if kind == "used" else
                     dict(facecolor="white", edgecolor=colours[year], hatch="////", linewidth=0.8,
                          label=f"{year}年（计划）"))
            # a bar far past its target is cut at CAP_PERCENT (its number is written beside it),
            # so the targets still short of 100 % keep a readable scale
            start, stop = np.minimum(left, CAP_PERCENT), np.minimum(left + share(part), CAP_PERCENT)
            ax.barh(y, stop - start, left=start, height=0.56, zorder=2, **style)
            left += share(part)
    ax.vlines(100, -0.5, len(targets) - 0.5, colors="black", linewidth=1.0, zorder=3)
    cut = left > CAP_PERCENT
    ax.scatter(np.full(cut.sum(), CAP_PERCENT), y[cut], marker=">", s=30, color="black", zorder=4)
    total = first["total"].to_numpy(float)
    planned = table.groupby("rule_id")["planned"].sum().reindex(targets).to_numpy(float)
    right = float(min(max(left.max(), np.nanmax(np.where(has_band, share(high), 0)), 100.0), CAP_PERCENT))
    edge = share(np.where(has_band, high, low))
    left = np.minimum(left, CAP_PERCENT)
    for yi, t, lo_, hi_, band, end, edge_, p in zip(y, total, low, high, has_band, left, edge, planned):
        wanted = f"{_number(lo_)}–{_number(hi_)}" if band else f"≥{_number(lo_)}"
        if band and t > hi_:
            mark, ok = f"超出上限 {_number(t - hi_)}", False
        elif t >= lo_:
            mark, ok = "已达到", True
        else:
            mark, ok = f"差 {_number(lo_ - t)}", False
        plan = f"（计划后 {_number(t + p)}）" if p > 0 else ""
        ax.text(max(end, edge_, 100) + right * (0.05 if end >= CAP_PERCENT else 0.02), yi,
                f"{_number(t)} / {wanted}  {mark}{plan}", va="center", fontsize=FONT_PT - 1,
                color="black" if ok else VERMILION)
    ax.set_yticks(y, [_wrap(label, 15) for label in first["label"]])
    ax.set_ylim(len(targets) - 0.5, -0.5)
    ax.set_xlim(0, right * 1.5)
    ax.set_xticks(np.arange(0, right + 1, 25 if right <= CAP_PERCENT else 50))
    ax.xaxis.set_major_formatter(lambda value, _pos: f"{value:.0f}%")
    note = f"；▶ = 超过 {CAP_PERCENT:.0f}%" if cut.any() else ""
    ax.set_xlabel(f"完成度（黑线 = 目标值；灰底 = “左右”目标的允许区间{note}；右侧为 已完成 / 目标）",
                  fontsize=FONT_PT)
    _style(ax)
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=max(len(handles), 1), fontsize=FONT_PT,
               frameon=False)
    return fig


def _year_colours(n: int) -> list[str]:
    palette = [SKY, BLUE, "#003F6B", GREEN, ORANGE, PURPLE]
    return [palette[i % len(palette)] for i in range(n)]


# --- 3. scores ----------------------------------------------------------------------------


def plot_scores(result_or_outdir: "SolvedRound | Run | str | Path") -> Figure:
    """Scores of selected and not selected candidates per task and track, with each cut-off.

    The cut-off of a group is its lowest selected score (the vermilion tick and number). The
    pass mark of the scenario, when known, is a dotted line.

    Parameters
    ----------
    result_or_outdir : SolvedRound, Run, or path of an output folder
        Needs slate columns year, task, track, score, selected.
    """
    run = read_run(result_or_outdir)
    slate = run.slate[run.slate["year"] == run.year]
    score = pd.to_numeric(slate["score"], errors="coerce")
    frame = slate.assign(_score=score, _selected=slate["selected"].astype(int) == 1)[
        ["task", "track", "_score", "_selected"]].dropna(subset=["_score"])
    cat = load_catalogue()
    task_order = {code: i for i, code in enumerate(cat.tasks)}
    groups = (frame[["task", "track"]].drop_duplicates()
              .assign(_o=lambda f: f["task"].map(task_order).fillna(len(task_order)))
              .sort_values(["_o", "track"]))
    keys = list(zip(groups["task"], groups["track"]))
    fig = _figure(PAGE_WIDTH_IN, 1.1 + 0.3 * max(len(keys), 3))
    fig.suptitle(f"{run.year}年评审分数分布：入选与未入选（红色竖线为各组入选最低分）", fontsize=FONT_PT + 2.5)
    ax = fig.add_subplot()
    if not keys:
        _empty(ax, "没有候选项目")
        return fig
    rng = np.random.default_rng(0)          # fixed jitter: the same picture every run
    index = pd.MultiIndex.from_tuples(keys)
    position = pd.Series(np.arange(len(keys)), index=index)
    row = position.reindex(pd.MultiIndex.from_arrays([frame["task"], frame["track"]])).to_numpy()
    jitter = rng.uniform(-0.12, 0.12, len(frame))
    chosen = frame["_selected"].to_numpy()
    ax.scatter(frame["_score"].to_numpy()[~chosen], row[~chosen] + 0.18 + jitter[~chosen], s=5, color=GREY,
               alpha=0.55, linewidths=0, label="未入选")
    ax.scatter(frame["_score"].to_numpy()[chosen], row[chosen] - 0.18 + jitter[chosen], s=5, color=BLUE,
               alpha=0.75, linewidths=0, label="入选")
    cut = frame[frame["_selected"]].groupby(["task", "track"])["_score"].min().reindex(index)
    # each group's cut-off: a tick on its row and, in a column right of the plot, its value
    ax.text(1.01, 1.0, "入选\n最低分", transform=ax.transAxes, ha="left", va="bottom", fontsize=FONT_PT - 1)
    for yi, value in zip(position.to_numpy(), cut.to_numpy()):
        if not np.isnan(value):
            ax.vlines(value, yi - 0.42, yi + 0.42, color=VERMILION, linewidth=1.6)
        ax.text(1.01, yi, "无入选" if np.isnan(value) else f"{value:.1f}", transform=ax.get_yaxis_transform(),
                ha="left", va="center", fontsize=FONT_PT - 1, color=GREY if np.isnan(value) else VERMILION)
    lo = float(frame["_score"].min())
    pass_mark = getattr(run.scenario, "pass_mark", None) if run.scenario is not None else None
    handles = [Line2D([], [], marker="o", linestyle="", color=BLUE, label="入选"),
               Line2D([], [], marker="o", linestyle="", color=GREY, label="未入选"),
               Line2D([], [], color=VERMILION, label="入选最低分")]
    if pass_mark is not None:
        ax.axvline(pass_mark, color="black", linestyle=":", linewidth=1.0)
        handles.append(Line2D([], [], color="black", linestyle=":", label=f"及格线 {_number(pass_mark)}"))
    ax.set_yticks(position.to_numpy(), [_wrap(_task_title(t, tr), 15) for t, tr in keys], fontsize=FONT_PT - 1)
    ax.set_ylim(len(keys) - 0.5, -0.5)
    ax.set_xlabel("专家评审分数", fontsize=FONT_PT)
    ax.set_xlim(lo - 1.5, float(frame["_score"].max()) + 1.5)
    _style(ax)
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=FONT_PT, frameon=False)
    return fig


# --- 4. scenario comparison -------------------------------------------------------------------


def plot_comparison(comparison: pd.DataFrame) -> Figure:
    """What a what-if changes, per locality: the change in selected projects, B − A.

    Parameters
    ----------
    comparison : DataFrame
        locality, count_a, count_b, delta (= count_b − count_a; computed when absent). The names
        of the two runs may be given as ``comparison.attrs["name_a"]`` / ``["name_b"]``.
    """
    missing = [c for c in ("locality", "count_a", "count_b") if c not in comparison]
    if missing:
        raise InputError([Problem("comparison", f"no column {', '.join(missing)}",
                                  "a per-locality comparison: locality, count_a, count_b, delta")])
    order = {name: i for i, name in enumerate(load_catalogue().localities)}
    frame = comparison.copy()
    if "delta" not in frame:
        frame["delta"] = frame["count_b"] - frame["count_a"]
    frame = frame.sort_values("locality", key=lambda s: s.map(order).fillna(len(order))).reset_index(drop=True)
    named = [f"{side}：{comparison.attrs[key]}" for side, key in (("A", "name_a"), ("B", "name_b"))
             if comparison.attrs.get(key)]
    names = "\n".join(_wrap(line, 46) for line in named)
    fig = _figure(PAGE_WIDTH_IN, 1.1 + 0.18 * (names.count("\n") + bool(names)) + 0.27 * max(len(frame), 3))
    fig.suptitle("情景比较：各市（州）入选项目数变化（B − A）" + (f"\n{names}" if names else ""),
                 fontsize=FONT_PT + 2)
    ax = fig.add_subplot()
    if frame.empty:
        _empty(ax, "没有可比较的市（州）")
        return fig
    delta = frame["delta"].to_numpy(float)
    y = np.arange(len(frame))
    ax.barh(y, delta, color=np.where(delta > 0, GREEN, np.where(delta < 0, VERMILION, GREY)), height=0.6)
    low, high = min(float(delta.min()), 0.0), max(float(delta.max()), 0.0)
    span = max(high - low, 1.0)
    for yi, d, a, b in zip(y, delta, frame["count_a"], frame["count_b"]):
        text = f"{_number(a)} → {_number(b)}（{'+' if d > 0 else ''}{_number(d)}）"
        ax.text(d + (span * 0.02 if d >= 0 else -span * 0.02), yi, text, va="center",
                ha="left" if d >= 0 else "right", fontsize=FONT_PT - 1)
    # room for the labels on the side(s) that have bars
    left_room = span * 0.5 if low < 0 else span * 0.05
    right_room = span * 0.5 if high > 0 or low == 0 else span * 0.05
    ax.set_xlim(low - left_room, high + right_room)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, frame["locality"].tolist())
    ax.set_ylim(len(frame) - 0.5, -0.5)
    ax.set_xlabel("入选项目数变化（绿色增加，红色减少）", fontsize=FONT_PT)
    _style(ax)
    if not np.any(delta):
        ax.text(0.5, 0.02, "两个情景各市（州）入选数相同", transform=ax.transAxes, ha="center",
                fontsize=FONT_PT, color=GREY)
    return fig


# --- 5. the calendar ----------------------------------------------------------------------


def calendar_table(scenario: "Scenario") -> pd.DataFrame:
    """Every dated occurrence of the scenario's ``[[calendar]]`` entries.

    An entry has ``tasks`` (codes, or ``"*"`` for all), ``event``, ``clause`` and either a
    ``date`` (optionally ``then_yearly = "MM-DD"`` from ``from_year``), a ``start``/``end``
    window, or a yearly ``yearly_start``/``yearly_end`` window (a yearly deadline when only
    ``yearly_end`` is given) from ``from_year`` to the last year of the period.

    Returns
    -------
    DataFrame
        entry (index of the entry), row (task code or ``"*:<event>"``), event, clause, start,
        end (equal for a deadline), rule (the entry's dates in words).

    Raises
    ------
    PolicyError
        An entry without an event or with a date that is not ``YYYY-MM-DD`` / ``MM-DD``.
    """
    first, last = scenario.years
    records: list[dict[str, Any]] = []
    problems: list[Problem] = []

    def day(text: Any, year: int | None, key: str, entry: int) -> dt.date | None:
        try:
            return dt.date.fromisoformat(str(text) if year is None else f"{year}-{text}")
        except ValueError:
            problems.append(Problem(scenario.label, f"calendar entry {entry + 1}: {key} = {text!r}",
                                    "YYYY-MM-DD" if year is None else "MM-DD", column=f"calendar/{key}"))
            return None

    for i, entry in enumerate(scenario.calendar):
        event = str(entry.get("event", "")).strip()
        if not event:
            problems.append(Problem(scenario.label, f"calendar entry {i + 1} without an event",
                                    'event = "…"', column="calendar/event"))
            continue
        from_year = int(entry.get("from_year", first))
        spans: list[tuple[dt.date | None, dt.date | None]] = []
        words: list[str] = []
        if "date" in entry:
            d = day(entry["date"], None, "date", i)
            spans.append((d, d))
            words.append(str(entry["date"]))
            if "then_yearly" in entry:
                spans += [(day(entry["then_yearly"], y, "then_yearly", i),) * 2 for y in range(from_year, last + 1)]
                words.append(f"{from_year}年起每年{entry['then_yearly']}")
        if "start" in entry or "end" in entry:
            spans.append((day(entry.get("start", entry.get("end")), None, "start", i),
                          day(entry.get("end", entry.get("start")), None, "end", i)))
            words.append(f"{entry.get('start', '')}至{entry.get('end', '')}")
        if "yearly_start" in entry or "yearly_end" in entry:
            s = entry.get("yearly_start", entry.get("yearly_end"))
            e = entry.get("yearly_end", entry.get("yearly_start"))
            spans += [(day(s, y, "yearly_start", i), day(e, y, "yearly_end", i)) for y in range(from_year, last + 1)]
            words.append(f"{from_year}年起每年{s}至{e}" if s != e else f"{from_year}年起每年{e}前")
        tasks = entry.get("tasks", ["*"])
        tasks = [tasks] if isinstance(tasks, str) else list(tasks)
        rows = [f"*:{event}" if t == "*" else str(t) for t in tasks]
        for start, end in spans:
            if start is None or end is None:
                continue
            records += [{"entry": i, "row": r, "event": event, "clause": str(entry.get("clause", "")),
                         "start": start, "end": end, "rule": "，".join(words)} for r in rows]
    if problems:
        raise PolicyError(problems)
    return pd.DataFrame(records, columns=["entry", "row", "event", "clause", "start", "end", "rule"])


def plot_calendar(scenario: "Scenario | str | Path") -> Figure:
    """The notice's deadlines (diamonds) and reporting windows (bars) per task, from the scenario.

    Rows are the tasks named by the scenario's ``[[calendar]]`` entries, then one row per
    entry that concerns every task; colours are entries, explained under the chart with their
    dates and clause.

    Parameters
    ----------
    scenario : Scenario or path of a scenario TOML file
        Its ``calendar`` entries (see `calendar_table`) and its period.
    """
    from planner.rules import Scenario as _Scenario
    from planner.rules import load_scenario

    if not isinstance(scenario, _Scenario):
        scenario = load_scenario(scenario)
    table = calendar_table(scenario)
    cat = load_catalogue()
    task_order = {code: i for i, code in enumerate(cat.tasks)}
    task_rows = sorted({r for r in table["row"] if not r.startswith("*:")},
                       key=lambda r: task_order.get(r, len(task_order)))
    all_rows = list(dict.fromkeys(r for r in table["row"] if r.startswith("*:")))
    rows = task_rows + all_rows
    entries = list(dict.fromkeys(table["entry"]))
    legend_lines = len(entries)
    fig = _figure(PAGE_WIDTH_IN, 1.0 + 0.36 * max(len(rows), 3) + 0.2 * legend_lines)
    fig.suptitle(f"工作日历：申报截止（◆）与填报窗口（▬），{scenario.years[0]}–{scenario.years[1]}年",
                 fontsize=FONT_PT + 2.5)
    ax = fig.add_subplot()
    if table.empty:
        _empty(ax, "情景文件中没有 [[calendar]] 日程")
        return fig
    palette = [BLUE, VERMILION, GREEN, ORANGE, PURPLE, SKY, "#7F6000", "#444444"]
    colour = {e: palette[k % len(palette)] for k, e in enumerate(entries)}
    y_of = {r: k for k, r in enumerate(rows)}
    y = table["row"].map(y_of).to_numpy(float)
    start = pd.to_datetime(table["start"]).to_numpy()
    end = pd.to_datetime(table["end"]).to_numpy()
    colours = table["entry"].map(colour).to_numpy()
    window = end > start
    ax.barh(y[window], (end[window] - start[window]) / np.timedelta64(1, "D"), left=start[window], height=0.42,
            color=colours[window])
    ax.scatter(start[~window], y[~window], marker="D", s=26, color=colours[~window], zorder=3,
               edgecolors="white", linewidths=0.5)
    # the first deadline of each row gets its date written beside it (the legend has the rest)
    firsts = table[~window].sort_values("start").drop_duplicates("row")
    for r, d in zip(firsts["row"], firsts["start"]):
        ax.annotate(d.strftime("%m-%d"), (pd.Timestamp(d), y_of[r]), xytext=(-5, 0), textcoords="offset points",
                    ha="right", va="center", fontsize=FONT_PT - 2, color="#333333")
    labels = [_wrap(_task_title(r), 14) if not r.startswith("*:") else _wrap("全部：" + r[2:], 14) for r in rows]
    ax.set_yticks(np.arange(len(rows)), labels, fontsize=FONT_PT - 1)
    ax.set_ylim(len(rows) - 0.5, -0.7)
    lo = pd.Timestamp(min(table["start"])) - pd.Timedelta(days=80)     # room for the first date label
    hi = pd.Timestamp(dt.date(scenario.years[1], 12, 31)) + pd.Timedelta(days=10)
    ax.set_xlim(lo, hi)
    years = list(range(lo.year + 1, hi.year + 1))
    ax.set_xticks([pd.Timestamp(dt.date(yr, 1, 1)) for yr in years], [f"{yr}年" for yr in years])
    ax.set_xticks([pd.Timestamp(dt.date(yr, m, 1)) for yr in range(lo.year, hi.year + 1) for m in (4, 7, 10)
                   if lo <= pd.Timestamp(dt.date(yr, m, 1)) <= hi], minor=True)
    ax.tick_params(axis="x", which="minor", length=2)
    ax.grid(axis="x", which="major", color="#BBBBBB", linewidth=0.8)
    ax.grid(axis="x", which="minor", color="#EEEEEE", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=FONT_PT - 0.5, length=2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if all_rows:
        ax.axhline(len(task_rows) - 0.5, color="#999999", linewidth=0.6, linestyle="--")
    firsts_of_entry = table.drop_duplicates("entry").set_index("entry")
    handles = [Line2D([], [], color=colour[e], marker="s", linestyle="", markersize=6,
                      label=_wrap(f"{firsts_of_entry.at[e, 'event']}（{firsts_of_entry.at[e, 'clause']}）："
                                  f"{firsts_of_entry.at[e, 'rule']}", 58))
               for e in entries]
    fig.legend(handles=handles, loc="outside lower left", ncols=1, fontsize=FONT_PT - 1, frameon=False,
               handletextpad=0.3, labelspacing=0.35)
    return fig
