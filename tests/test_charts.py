"""Charts (`planner.charts`) and the Chinese font (`planner.fonts`).

The run drawn here is built by hand (`make_run`), so every expected number below is read off the
rows written in this file, not off the program's output: which caps are full, each group's
lowest selected score, each target's share. The glyph tests draw every chart and fail on any
"missing from font" warning; `test_glyph_check_can_fail` shows that check is not vacuous.
"""
from __future__ import annotations

import dataclasses
import io
import json
import logging
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from planner.errors import InputError, PolicyError
from planner.rounds import RULES_CSV_COLUMNS
from planner.rules import load_scenario
from planner.show import charts, fonts, write_outputs

REPO = Path(__file__).resolve().parent.parent
JILIN = REPO / "scenarios" / "jilin-2023.toml"
MISSING_GLYPH = ("missing from font", "Glyph ")


# --- a small round, by hand -----------------------------------------------------------------

def _rows() -> list[dict]:
    rows: list[dict] = []

    def add(task, track, unit_id, unit_name, unit_kind, tier, locality, scores, n_selected, level="secondary"):
        for k, score in enumerate(scores):
            rows.append(dict(candidate_id=f"C{len(rows) + 1:03d}", year=2023, task=task, track=track,
                             title=f"{unit_name}项目{k + 1}", unit_id=unit_id, unit_name=unit_name,
                             unit_kind=unit_kind, tier=tier, locality=locality, level=level, integrated=False,
                             score=float(score), exempt=False, eligible=True, cost=0.0,
                             selected=int(k < n_selected), national=0, reason=""))

    # 三(四) resource library: locality quota counts non-高职 rows; tier quotas per 高职 school
    add("resource_library", "", "S001", "长春市第一职业学校", "secondary_vocational", "", "长春市",
        [90, 88, 86, 84, 82, 70], 5)
    add("resource_library", "", "S002", "吉林市职业技术学校", "secondary_vocational", "", "吉林市", [75, 74, 73], 2)
    add("resource_library", "", "S003", "四平市职业学校", "secondary_vocational", "", "四平市", [80, 79], 2)
    add("resource_library", "", "S004", "延边职业学校", "secondary_vocational", "", "延边朝鲜族自治州", [55], 0)
    add("resource_library", "", "H001", "长春职业技术学院", "higher_vocational", "national_double_high", "长春市",
        [95, 94, 93, 92, 91, 85], 5, level="higher")
    add("resource_library", "", "H002", "吉林工业职业技术学院", "higher_vocational", "national_double_high", "吉林市",
        [89, 87, 81], 3, level="higher")
    add("resource_library", "", "H010", "四平职业大学", "higher_vocational", "other_higher", "四平市", [78, 77], 1,
        level="higher")
    add("core_course", "online", "S001", "长春市第一职业学校", "secondary_vocational", "", "长春市", [66, 64, 61], 2)
    add("textbook", "", "S002", "吉林市职业技术学校", "secondary_vocational", "", "吉林市", [58, 57], 0)
    return rows


def _rule(rule_id, clause, group, value, *, min=np.nan, max=np.nan, binding=False, text="", decision="provincial",
          scope="period", target_min=np.nan):
    return dict(rule_id=rule_id, clause=clause, group=group, value=float(value), min=min, max=max, slack=np.nan,
                binding=binding, text=text or rule_id, decision=decision, scope=scope, soft=False,
                target_min=target_min, violation=0.0)


def _rules() -> pd.DataFrame:
    return pd.DataFrame([
        _rule("rl-led-by-school", "三(四)", "全省", 0, max=0.0, binding=True),
        _rule("rl-locality", "三(四)", "长春市", 5, max=5.0, binding=True),
        _rule("rl-locality", "三(四)", "吉林市", 2, max=3.0),
        _rule("rl-locality", "三(四)", "四平市", 2, max=2.0, binding=True),
        _rule("rl-locality", "三(四)", "延边朝鲜族自治州", 0, max=2.0),
        _rule("rl-national-dh", "三(四)", "H001", 5, max=5.0, binding=True),
        _rule("rl-national-dh", "三(四)", "H002", 3, max=5.0),
        _rule("rl-other-higher", "三(四)", "H010", 1, max=1.0, binding=True),
        # per school but across tiers and secondary schools: not a tier quota
        _rule("db-one-per-school", "三(五)", "H001", 0, max=1.0),
        _rule("db-one-per-school", "三(五)", "S001", 1, max=1.0, binding=True),
        _rule("rl-target", "三(四)", "全省", 18, max=55.0, target_min=45.0,
              text="到2025年，全省建设50个左右省级专业教学资源库"),
        _rule("pc-school-target", "三(三)", "全省", 120, target_min=100.0,
              text="到2025年，全省建设不少于100个学校实践中心"),
        _rule("pace-pc-school", "三(三)", "全省", 120, min=34.0, target_min=34.0, scope="year",
              text="学校实践中心：每年至少完成目标的三分之一"),
        _rule("pc-public-locality-min", "三(三)", "长春市", 1, target_min=3.0),
        _rule("pc-public-locality-min", "三(三)", "吉林市", 2, target_min=2.0),
        _rule("co-national-split", "三(七)", "secondary", 0, min=2.0, max=2.0, decision="national", scope="year"),
    ], columns=RULES_CSV_COLUMNS)


def make_run(scenario=JILIN) -> charts.Run:
    slate = pd.DataFrame(_rows())
    selected = slate["selected"] == 1
    summary = {"name": "测试轮次", "year": 2023, "status": "OPTIMAL", "gap": 0.0,
               "n_candidates": len(slate), "n_selected": int(selected.sum()), "n_national": 0,
               "total_score": float(slate.loc[selected, "score"].sum()), "n_rule_groups": 16, "n_binding": 6,
               "inputs": {str(scenario): "0" * 64} if scenario is not None else {}}
    return charts.Run(slate=slate, rules=_rules(), summary=summary,
                      scenario=load_scenario(scenario) if scenario is not None else None)


def write_out_dir(run: charts.Run, folder: Path, *, ledger: pd.DataFrame | None = None) -> Path:
    """The run as `planner solve` writes it: slate.csv, rules.csv, explanations.csv, summary.json
    (and ledger.csv when given)."""
    explanations = run.slate[["candidate_id"]].assign(reason_code="", reason="", rule_id="", group="")
    tables = {"slate.csv": run.slate, "rules.csv": run.rules[RULES_CSV_COLUMNS], "explanations.csv": explanations}
    if ledger is not None:
        tables["ledger.csv"] = ledger
    write_outputs(folder, tables=tables, json_files={"summary.json": run.summary})
    return folder


#: A ledger by hand for `_rules`' two targets (long form): 资源库 18 of about 50, 实践中心 120 of ≥ 100.
LEDGER = pd.DataFrame({"rule_id": ["rl-target", "pc-school-target"], "group": "全省", "year": 2023,
                       "used": [18.0, 120.0], "target_min": [45.0, 100.0], "max": [55.0, np.nan],
                       "scope": "period", "text": ["到2025年，全省建设50个左右省级专业教学资源库",
                                                   "到2025年，全省建设不少于100个学校实践中心"]})


@pytest.fixture(scope="module")
def run() -> charts.Run:
    return make_run()


def _draw(fig: Figure) -> None:
    fig.savefig(io.BytesIO(), format="png", dpi=40)


def _axes_with_title(fig: Figure, part: str):
    return next(ax for ax in fig.axes if part in ax.get_title(loc="left"))


# --- the font ---------------------------------------------------------------------------------

def test_bundled_font_covers_the_chinese_the_charts_use():
    font = fonts.find_cjk_font()
    assert font.source == "package", f"expected the {fonts.FONT_DISTRIBUTION} font, got {font}"
    assert fonts.missing_glyphs(font.path, "吉林省长春市国家“双高计划”学校" + fonts.PROBE_TEXT) == []


def test_no_chinese_font_says_how_to_install_one(monkeypatch):
    monkeypatch.setattr(fonts, "_candidates", lambda: [])
    fonts.find_cjk_font.cache_clear()
    try:
        with pytest.raises(fonts.FontError) as caught:
            fonts.find_cjk_font()
    finally:
        fonts.find_cjk_font.cache_clear()
    message = str(caught.value)
    assert f"pip install {fonts.FONT_DISTRIBUTION}" in message and "fonts-noto-cjk" in message


def test_a_font_without_chinese_is_refused(monkeypatch):
    latin = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    monkeypatch.setattr(fonts, "_candidates", lambda: [(latin, "environment")])
    fonts.find_cjk_font.cache_clear()
    try:
        with pytest.raises(fonts.FontError, match="no glyph for"):
            fonts.find_cjk_font()
    finally:
        fonts.find_cjk_font.cache_clear()


def test_use_cjk_font_puts_it_first_once():
    first = fonts.use_cjk_font()
    fonts.use_cjk_font()
    family = matplotlib.rcParams["font.family"]
    assert family[0] == first.family and family.count(first.family) == 1


# --- no missing glyphs in any chart ---------------------------------------------------------

def _glyph_problems(fig: Figure, caplog) -> list[str]:
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="matplotlib"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _draw(fig)
    messages = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    return [m for m in messages if any(key in m for key in MISSING_GLYPH) or "findfont" in m]


def test_glyph_check_can_fail(caplog):
    """Drawn with matplotlib's Latin font only, Chinese text must raise the warning we test for."""
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        fig = Figure()
        fig.suptitle("吉林省长春市")
    assert _glyph_problems(fig, caplog), "the missing-glyph check would not notice tofu"


CHARTS = {
    "quota_use": lambda run: charts.plot_quota_use(run),
    "quota_use_one_task": lambda run: charts.plot_quota_use(run, task="resource_library"),
    "target_progress": lambda run: charts.plot_target_progress(charts.ledger_of(run)),
    "scores": lambda run: charts.plot_scores(run),
    "comparison": lambda run: charts.plot_comparison(pd.DataFrame(
        {"locality": ["长春市", "延边朝鲜族自治州"], "count_a": [3, 2], "count_b": [5, 1]})),
    "calendar": lambda run: charts.plot_calendar(run.scenario),
    "locality_counts": lambda run: charts.plot_locality_counts(charts.count_table(run.slate, None, "locality")),
    "target_summary": lambda run: charts.plot_target_summary(LEDGER, 2023, by=2025),
}


@pytest.mark.parametrize("name", list(CHARTS))
def test_every_chart_draws_its_chinese_without_missing_glyphs(run, name, caplog):
    fig = CHARTS[name](run)
    assert isinstance(fig, Figure)
    problems = _glyph_problems(fig, caplog)
    assert problems == [], f"{name}: {problems[:3]}"
    texts = [t.get_text() for t in fig.findobj(Text)]
    assert any("\u4e00" <= ch <= "\u9fff" for text in texts for ch in text), f"{name} has no Chinese text"


def test_charts_never_use_pyplot(run):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    for build in CHARTS.values():
        build(run)
    assert plt.get_fignums() == before


# --- quota use --------------------------------------------------------------------------------

def test_quota_table_has_locality_and_tier_caps_only(run):
    table = charts.quota_use_table(run)
    got = {(r, g): (k, u, c, b) for r, g, k, u, c, b in
           zip(table["rule_id"], table["group"], table["kind"], table["used"], table["cap"], table["binding"])}
    assert got == {
        ("rl-locality", "长春市"): ("locality", 5, 5, True),
        ("rl-locality", "吉林市"): ("locality", 2, 3, False),
        ("rl-locality", "四平市"): ("locality", 2, 2, True),
        ("rl-locality", "延边朝鲜族自治州"): ("locality", 0, 2, False),
        ("rl-national-dh", "H001"): ("tier", 5, 5, True),
        ("rl-national-dh", "H002"): ("tier", 3, 5, False),
        ("rl-other-higher", "H010"): ("tier", 1, 1, True),
    }
    assert set(table["task"]) == {"resource_library"}          # from clause 三(四) via the catalogue


def test_quota_chart_marks_full_caps(run):
    fig = charts.plot_quota_use(run, task="resource_library")
    localities = _axes_with_title(fig, "各市（州）")
    colours = [matplotlib.colors.to_hex(p.get_facecolor()) for p in localities.patches]
    assert colours.count(charts.VERMILION.lower()) == 2        # 长春市 and 四平市 are full
    assert "满额 2/4" in localities.get_title(loc="left")
    tiers = _axes_with_title(fig, "分档")
    full = sorted(p.get_width() for p in tiers.patches
                  if matplotlib.colors.to_hex(p.get_facecolor()) == charts.VERMILION.lower() and p.get_width() > 0)
    assert full == [1, 5]                                        # H010's 1, H001's 5
    labels = [t.get_text() for t in tiers.texts]
    assert "8/10\n满额 1/2 校" in labels and "1/1\n满额 1/1 校" in labels


def test_quota_chart_rejects_an_unknown_task(run):
    with pytest.raises(InputError, match='是否应为“resource_library”'):
        charts.plot_quota_use(run, task="resource_librar")


def test_quota_chart_of_a_task_without_caps_says_so(run):
    fig = charts.plot_quota_use(run, task="textbook")
    assert any("没有市（州）或高职学校分档限额" in t.get_text() for t in fig.findobj(Text))


# --- targets --------------------------------------------------------------------------------

def test_target_table_keeps_province_wide_period_targets():
    table = charts.target_table(charts.ledger_of(make_run(None)))       # no scenario: from rules.csv
    assert list(table["rule_id"]) == ["rl-target", "pc-school-target"]
    assert list(table["label"]) == ["50个左右省级专业教学资源库", "不少于100个学校实践中心"]
    assert list(table["total"]) == [18, 120]


def test_ledger_of_a_run_with_its_scenario_counts_its_rows(run):
    pytest.importorskip("planner.ledger")
    table = charts.target_table(charts.ledger_of(run)).drop_duplicates("rule_id").set_index("rule_id")
    # "50个左右" is aimed at under the default reading (about_n = "aim_n"): its target row is rl-target-aim
    assert table.at["rl-target-aim", "total"] == 18          # selected resource-library rows of `_rows`
    assert table.at["pc-school-target", "total"] == 0         # no practice centre among them
    assert "pace-pc-school" not in table.index


def test_target_progress_stacks_years_as_shares_of_the_target():
    ledger = pd.DataFrame({"rule_id": ["t", "t", "u", "u", "w", "w"], "group": "全省",
                           "year": [2023, 2024] * 3, "used": [10, 20, 30, 0, 96, 0],
                           "target_min": [45, 45, 20, 20, 20, 20], "max": [55, 55, np.nan, np.nan, np.nan, np.nan],
                           "text": ["到2025年，全省建设50个左右甲", "", "到2025年，全省建设不少于20个乙", "",
                                    "到2025年，全省建设不少于20个丙", ""]})
    fig = charts.plot_target_progress(ledger)
    ax = fig.axes[0]
    bars = {c.get_label(): c for c in ax.containers}
    first, second = bars["2023年"], bars["2024年"]
    # band 45–55 → target 50: 10 → 20 %, 20 → 40 % starting at 20 %; "at least 20": 30 → 150 %;
    # 96 of at least 20 is 480 %: drawn whole (issue 15: a cut bar hid the later years)
    assert [round(p.get_width(), 6) for p in first.patches] == [20, 150, 480]
    assert [round(p.get_width(), 6) for p in second.patches] == [40, 0, 0]
    assert round(second.patches[0].get_x(), 6) == 20
    notes = [t.get_text() for t in ax.texts]
    assert "30 / 45–55  差 15" in notes and "30 / ≥20  已达到" in notes and "96 / ≥20  已达到" in notes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["50个左右甲", "不少于20个乙", "不少于20个丙"]


def test_target_progress_reads_the_wide_ledger_with_a_plan():
    """The ledger of planner.ledger: one row per rule group, used_<year> / planned_<year>, target."""
    nan = np.nan
    ledger = pd.DataFrame({
        "rule_id": ["t", "v", "v"], "group": ["全省", "长春市", "吉林市"], "scope": "period",
        "text": ["到2025年，全省建设50个左右甲", "乙", "乙"],
        "used_2023": [10, 1, 1], "used_2024": [20, 0, 0], "used_2025": [nan, nan, nan],
        "planned_2025": [5, 0, 0], "used": [30, 1, 1], "min": nan, "max": [55, nan, nan], "target": [45, 3, 2]})
    table = charts.target_table(ledger)
    assert list(table["rule_id"].unique()) == ["t"]              # v is a per-locality minimum
    assert list(zip(table["year"], table["used"], table["planned"])) == [(2023, 10, 0), (2024, 20, 0), (2025, 0, 5)]
    ax = charts.plot_target_progress(ledger).axes[0]
    bars = {c.get_label(): c for c in ax.containers}
    planned = bars["2025年（计划）"].patches[0]
    assert (round(planned.get_x(), 6), round(planned.get_width(), 6)) == (60, 10)     # after 20 % + 40 %
    assert "30 / 45–55  差 15（计划后 35）" in [t.get_text() for t in ax.texts]


def test_target_table_names_missing_columns():
    with pytest.raises(InputError, match="target_min"):
        charts.target_table(pd.DataFrame({"rule_id": ["a"], "group": ["全省"], "year": [2023], "used": [1]}))


# --- scores ---------------------------------------------------------------------------------

def test_scores_mark_each_groups_lowest_selected_score(run):
    fig = charts.plot_scores(run)
    ax = fig.axes[0]
    lines = [seg for coll in ax.collections if hasattr(coll, "get_segments") for seg in coll.get_segments()]
    cutoffs = sorted(round(float(seg[0][0]), 6) for seg in lines)
    # resource library: lowest selected is S002's 74; online course 64; textbook: nobody selected
    assert cutoffs == [64.0, 74.0]
    column = [t.get_text() for t in ax.texts]
    assert "74.0" in column and "64.0" in column and "无入选" in column
    assert any(line.get_xdata()[0] == 60 for line in ax.lines)     # the scenario's pass mark


# --- comparison -----------------------------------------------------------------------------

def test_comparison_bars_are_the_changes():
    frame = pd.DataFrame({"locality": ["吉林市", "长春市", "四平市"], "count_a": [4, 10, 2], "count_b": [6, 7, 2]})
    frame.attrs.update(name_a="上次", name_b="本次")
    fig = charts.plot_comparison(frame)
    ax = fig.axes[0]
    widths = [p.get_width() for p in ax.patches]
    assert widths == [-3, 2, 0]                                   # catalogue order: 长春市, 吉林市, 四平市
    assert [t.get_text() for t in ax.get_yticklabels()] == ["长春市", "吉林市", "四平市"]
    assert "上次" in fig.get_suptitle() and "本次" in fig.get_suptitle()


def test_comparison_names_missing_columns():
    with pytest.raises(InputError, match="count_b"):
        charts.plot_comparison(pd.DataFrame({"locality": ["长春市"], "count_a": [1]}))


# --- calendar -------------------------------------------------------------------------------

CALENDAR_TOML = """
name = "日历测试"
year = 2024
period = [2024, 2026]

[[calendar]]
tasks = ["textbook"]
event = "申报"
clause = "三(八)"
date = "2024-03-05"
then_yearly = "04-01"
from_year = 2025

[[calendar]]
tasks = ["*"]
event = "年度报告"
clause = "四(二)"
yearly_start = "10-01"
yearly_end = "10-20"
"""


def test_calendar_is_read_from_the_scenario(tmp_path):
    path = tmp_path / "calendar.toml"
    path.write_text(CALENDAR_TOML, encoding="utf-8")
    table = charts.calendar_table(charts.read_run(make_run(None), scenario=path).scenario)
    deadlines = table[table["start"] == table["end"]]
    assert [d.isoformat() for d in deadlines["start"]] == ["2024-03-05", "2025-04-01", "2026-04-01"]
    windows = table[table["start"] != table["end"]]
    assert [(s.isoformat(), e.isoformat()) for s, e in zip(windows["start"], windows["end"])] == [
        ("2024-10-01", "2024-10-20"), ("2025-10-01", "2025-10-20"), ("2026-10-01", "2026-10-20")]
    fig = charts.plot_calendar(path)
    ax = fig.axes[0]
    drawn = sorted(matplotlib.dates.num2date(x).date().isoformat()
                   for coll in ax.collections for x, _y in coll.get_offsets())
    assert drawn == ["2024-03-05", "2025-04-01", "2026-04-01"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["职业教育优质教材", "全部：年度报告"]


def test_jilin_calendar_holds_the_notices_dates():
    table = charts.calendar_table(charts.read_run(make_run(None), scenario=JILIN).scenario)
    days = {d.isoformat() for d in table["start"]} | {d.isoformat() for d in table["end"]}
    assert {"2023-08-22", "2023-09-12", "2023-10-08"} <= days
    for year in (2023, 2024, 2025):
        assert {f"{year}-11-01", f"{year}-12-15", f"{year}-11-20", f"{year}-12-01"} <= days


def test_calendar_with_a_bad_date_names_it(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(CALENDAR_TOML.replace('date = "2024-03-05"', 'date = "2024-13-05"'), encoding="utf-8")
    with pytest.raises(PolicyError, match="2024-13-05"):
        charts.plot_calendar(path)


# --- reading a run --------------------------------------------------------------------------

def test_read_run_from_an_output_folder(run, tmp_path):
    folder = write_out_dir(run, tmp_path / "out")
    read = charts.read_run(folder)
    assert len(read.slate) == len(run.slate) and read.slate["selected"].sum() == run.slate["selected"].sum()
    assert read.rules["binding"].dtype == bool and read.rules["binding"].sum() == run.rules["binding"].sum()
    assert read.scenario is not None and read.scenario.name == run.scenario.name     # via summary "inputs"
    assert charts.quota_use_table(read)[["rule_id", "group", "used"]].equals(
        charts.quota_use_table(run)[["rule_id", "group", "used"]])


def test_read_run_lists_every_missing_file(tmp_path):
    (tmp_path / "summary.json").write_text(json.dumps({"year": 2023}), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        charts.read_run(tmp_path)
    lines = caught.value.lines()
    assert len(lines) == 2 and any("slate.csv" in line for line in lines) and any("rules.csv" in line for line in lines)


# --- the brief's two charts and their tables --------------------------------------------------

def test_count_table_counts_this_round_and_the_round_before(run):
    before = run.slate.assign(selected=(run.slate["task"] == "resource_library").astype(int))   # 23 of 28
    table = charts.count_table(run.slate, before, "task").set_index("task")
    # by hand from _rows: 资源库 6+3+2+1+6+3+2 = 23 rows, 5+2+2+0+5+3+1 = 18 selected; 课程 3/2; 教材 2/0
    assert table.loc["resource_library", ["candidates", "selected", "national", "before"]].tolist() == [23, 18, 0, 23]
    assert table.loc["core_course", ["candidates", "selected", "before"]].tolist() == [3, 2, 0]
    assert table.loc["textbook", ["candidates", "selected"]].tolist() == [2, 0]
    assert list(table.index) == ["resource_library", "core_course", "textbook"]        # catalogue order
    alone = charts.count_table(run.slate, None, "locality")
    assert alone["before"].isna().all() and alone.set_index("locality").loc["长春市", "selected"] == 5 + 5 + 2


def test_previous_round_is_the_latest_earlier_year_of_the_history(run):
    older = run.slate.assign(year=2022, selected=0)
    last = run.slate.assign(year=2023)
    this = dataclasses.replace(run, summary={**run.summary, "year": 2024},
                               history=pd.concat([older, last], ignore_index=True))
    rows = charts.previous_round(this)
    assert set(rows["year"]) == {2023} and int(rows["selected"].sum()) == 20
    assert charts.previous_round(run) is None                 # 2023 with no history


def test_target_status_counts_earlier_years_and_this_one():
    ledger = pd.DataFrame({"rule_id": ["t"] * 3, "group": "全省", "year": [2023, 2024, 2025],
                           "used": [30.0, 12.0, 0.0], "target_min": 50.0, "max": np.nan, "scope": "period",
                           "text": "到2025年，全省建设不少于50个学校实践中心"})
    row = charts.target_status(ledger, 2024).iloc[0]
    assert (row["earlier"], row["this_year"], row["total"], row["missing"], row["reached"]) == (30, 12, 42, 8, False)
    assert bool(charts.target_status(ledger, 2023).iloc[0]["reached"]) is False
    status = charts.target_status(LEDGER, 2023).set_index("rule_id")
    assert status.loc["rl-target", "missing"] == 27 and bool(status.loc["pc-school-target", "reached"])


def test_target_summary_fills_a_reached_target_and_says_what_is_missing():
    fig = charts.plot_target_summary(LEDGER, 2023, by=2025)
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert "还差 27" in texts and "已达到" in texts and "已完成 120" in texts
    filled = [p.get_width() for p in ax.patches if matplotlib.colors.to_hex(p.get_facecolor()) == "#0072b2"]
    assert sorted(round(w) for w in filled) == [40, 100]       # 18/45 = 40 %, 120 of ≥ 100 = full
    assert "到2025年" in fig.get_suptitle()


def test_locality_counts_draw_last_year_behind_this_year():
    table = pd.DataFrame({"locality": ["长春市", "吉林市"], "selected": [5, 2], "before": [3.0, 4.0]})
    fig = charts.plot_locality_counts(table, year=2024, before_year=2023)
    ax = fig.axes[0]
    assert "5（上年 3）" in [t.get_text() for t in ax.texts]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["2023年度", "2024年度"]
    alone = charts.plot_locality_counts(table.drop(columns="before"), year=2024)
    assert alone.axes[0].get_legend() is None


def test_target_progress_says_a_target_aimed_at_n_was_passed_not_a_ceiling_broken():
    """"10个左右" aimed at 10 (min = max = 10) with 11 built reads 比目标多 1; a band's ceiling 超出上限."""
    ledger = pd.DataFrame({"rule_id": ["aim", "band"], "group": "全省", "year": [2023, 2023], "used": [11, 56],
                           "target_min": [10, 45], "max": [10, 55],
                           "text": ["到2025年，全省建设10个左右甲", "到2025年，全省建设50个左右乙"]})
    texts = " ".join(t.get_text() for t in charts.plot_target_progress(ledger).findobj(Text))
    assert "11 / 10左右  比目标多 1" in texts and "56 / 45–55  超出上限 1" in texts
    brief = " ".join(t.get_text() for t in charts.plot_target_summary(ledger, 2023, by=2025).findobj(Text))
    assert "比目标多 1" in brief and "超出上限 1" in brief
