"""Expert score sheets (`planner.inputs.scores`) and what is made of them: `planner scores`, the rater
report (`analysis.raters`, its chart and workbook), `solve --scores`, `robust --scores` with panel
draws (`analysis.spread.panel_spread`) and the bundled synthetic sheet (`inputs.synthetic_scores`).

Every expected value is worked out by hand from the hand-made sheets here (the office's rule:
the expert of the applying unit recused, one highest and one lowest dropped, the mean of the
rest, two decimals half up), or by enumerating every outcome (the panel draws).
"""
from __future__ import annotations

import hashlib
import io
import itertools
import json
import logging
import warnings

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import unit_row, write_case

from planner.analysis.raters import rater_report, score_report
from planner.analysis.spread import panel_spread, sample_scores
from planner.errors import InputError
from planner.inputs import read_scores
from planner.inputs.synthetic_scores import generate_scores, to_csv_text
from planner.lang import speaking
from planner.rules import ScoringRule, aggregate_scores

# --- reading sheets ----------------------------------------------------------------------------

LONG = """吉林省2023年度省级项目专家评分表
项目编号,专家编号,专家单位,评分
A,E1,外单位一,70
A,E2,外单位二,72
A,E3,外单位三,74
"""


def test_a_long_sheet_with_chinese_headers_and_a_title_row_in_gbk(tmp_path):
    path = tmp_path / "评分.csv"
    path.write_bytes(LONG.encode("gbk"))
    frame = read_scores(path)
    assert frame[["candidate_id", "expert_id", "expert_unit", "score"]].values.tolist() == [
        ["A", "E1", "外单位一", 70.0], ["A", "E2", "外单位二", 72.0], ["A", "E3", "外单位三", 74.0]]
    assert frame["row"].tolist() == [3, 4, 5]
    assert frame.attrs["sheets"] == {str(path): hashlib.sha256(path.read_bytes()).hexdigest()}


def test_a_long_sheet_with_english_headers_in_another_order(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("score,expert_id,candidate_id\n81.5,E9,B\n", "utf-8")
    frame = read_scores(path)
    assert frame[["candidate_id", "expert_id", "expert_unit", "score"]].values.tolist() == [["B", "E9", "", 81.5]]


def test_a_wide_xlsx_sheet_with_a_unit_row_blanks_and_information_columns(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    for values in (["项目编号", "项目名称", "张三", "李四", "王五"],
                   ["专家单位", None, "学校A", "外单位", "外单位二"],
                   ["A", "实践中心A", 70, 80.5, None],
                   ["B", "实践中心B", 90, None, 60]):
        sheet.append(values)
    path = tmp_path / "宽表.xlsx"
    book.save(path)
    frame = read_scores(path)
    assert frame[["candidate_id", "expert_id", "expert_unit", "score", "row"]].values.tolist() == [
        ["A", "张三", "学校A", 70.0, 3], ["A", "李四", "外单位", 80.5, 3],
        ["B", "张三", "学校A", 90.0, 4], ["B", "王五", "外单位二", 60.0, 4]]


def test_many_files_and_an_expert_twice_on_a_project_across_them(tmp_path):
    first, second = tmp_path / "一.csv", tmp_path / "二.csv"
    first.write_text("项目编号,专家编号,评分\nA,E1,70\n", "utf-8")
    second.write_text("项目编号,专家编号,评分\nB,E1,75\nA,E1,71\n", "utf-8")
    assert len(read_scores([first])) == 1
    with pytest.raises(InputError) as caught:
        read_scores([first, second])
    (line,) = caught.value.lines()
    assert line == (f"{second}:3:评分：发现 专家“E1”对项目“A”的第二个评分 71（第一个在 {first} 第 2 行：70），"
                    "应为 每位专家对每个项目只评一次分")


def test_every_bad_cell_is_said_with_file_row_and_column(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("项目编号,专家编号,评分\nA,E1,八十\nA,E2,101\nA,E3,\n,E4,80\n", "utf-8")
    with pytest.raises(InputError) as caught:
        read_scores(path)
    assert caught.value.lines() == [
        f'{path}:2:评分：发现 "八十"，应为 0–100 之间的分数',
        f'{path}:3:评分：发现 "101"，应为 0–100 之间的分数',
        f"{path}:4:评分：发现 空单元格，应为 0–100 之间的分数。专家未评分的项目请删去这一行",
        f"{path}:5:项目编号：发现 空单元格，应为 项目编号"]
    with speaking("en"), pytest.raises(InputError, match=r"found \"101\", expected a score from 0 to 100"):
        read_scores(path)


def test_an_unknown_project_and_a_missing_column(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("项目编号,专家编号,评分\nC2023-0001,E1,80\n", "utf-8")
    with pytest.raises(InputError, match="候选项目表中没有的项目“C2023-0001”"):
        read_scores(path, projects=["C2023-00001"])
    path.write_text("项目编号,专家,分值\nA,E1,80\n", "utf-8")
    with pytest.raises(InputError, match="缺少列：评分"):
        read_scores(path)
    path.write_text("编号,分数\nA,80\n", "utf-8")
    with pytest.raises(InputError, match="没有“项目编号”列的表头"):
        read_scores(path)
    with pytest.raises(InputError, match="文件不存在"):
        read_scores(tmp_path / "nothing.csv")


# --- a small round scored by a panel -------------------------------------------------------------
# Table scores A 90, B 85, C 80, D 75 and at most 2 selected: without the sheets A and B.
# From the sheets: A [70, 72, 74] → 72.00; B [88, 86, 90] + 95 by its own unit (recused) → 88.00;
# C [81, 83, 85, 99] → (83 + 85) / 2 = 84.00; D [60, 61, 62] → 61.00. So B and C.

ROWS = [unit_row("A", 90.0), unit_row("B", 85.0), unit_row("C", 80.0), unit_row("D", 75.0)]
SCENARIO = {"rule": [{"id": "total", "clause": "三(三)", "where": {"task": "practice_centre"}, "max": 2}],
            "scoring": {"clause": "二(二)"}}
SHEET = """项目编号,专家编号,专家单位,评分
A,E1,外单位一,70
A,E2,外单位二,72
A,E3,外单位三,74
B,E1,外单位一,88
B,E2,外单位二,86
B,E3,外单位三,90
B,E4,学校B,95
C,E1,外单位一,81
C,E2,外单位二,83
C,E3,外单位三,85
C,E4,学校B,99
D,E1,外单位一,60
D,E2,外单位二,61
D,E3,外单位三,62
"""
EXPECTED = {"A": 72.0, "B": 88.0, "C": 84.0, "D": 61.0}


@pytest.fixture
def case(tmp_path):
    scenario = write_case(tmp_path / "case", ROWS, SCENARIO)
    sheet = tmp_path / "case" / "评分表.csv"
    sheet.write_text(SHEET, "utf-8-sig")
    return scenario, sheet


def test_planner_scores_writes_the_workbook_and_the_chart(case, cli, tmp_path):
    scenario, sheet = case
    target = tmp_path / "out" / "评分汇总.xlsx"
    done = cli("scores", scenario, sheet, "--out", target)
    assert done.returncode == 0, done.stderr
    assert "本单位专家回避，去掉1个最高分和1个最低分后取平均" in done.stdout
    assert "回避 1 次（涉及 1 个项目）" in done.stdout
    assert sorted(p.name for p in target.parent.iterdir()) == ["评分汇总-raters.png", "评分汇总.xlsx"]
    projects = pd.read_excel(target, sheet_name="项目得分")
    assert dict(zip(projects["项目编号"], projects["汇总得分"])) == EXPECTED
    assert projects.set_index("项目编号").loc["B", "回避专家"] == "E4"
    assert projects.set_index("项目编号").loc["C", "去掉的评分（↑最高 ↓最低）"] == "E4↑、E1↓"
    assert set(pd.read_excel(target, sheet_name=None)) == {"项目得分", "专家", "异常评分", "说明"}


def test_planner_scores_refuses_a_bad_sheet_and_writes_nothing(case, cli, tmp_path):
    scenario, sheet = case
    sheet.write_text(SHEET + "X,E1,外单位一,80\n", "utf-8")
    target = tmp_path / "out" / "s.xlsx"
    done = cli("scores", scenario, sheet, "--out", target)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: {sheet}:16:项目编号：发现 候选项目表中没有的项目“X”，应为 候选项目表中的项目编号"]
    assert not target.parent.exists()


def test_solve_with_scores_solves_on_the_panels_scores(case, cli, tmp_path):
    scenario, sheet = case
    plain, scored = tmp_path / "plain", tmp_path / "scored"
    assert cli("solve", scenario, "--out", plain, "--quiet").returncode == 0
    done = cli("solve", scenario, "--scores", sheet, "--out", scored, "--quiet")
    assert done.returncode == 0, done.stderr
    before = pd.read_csv(plain / "slate.csv", dtype={"candidate_id": str})
    after = pd.read_csv(scored / "slate.csv", dtype={"candidate_id": str})
    assert before.loc[before["selected"] == 1, "candidate_id"].tolist() == ["A", "B"]
    assert after.loc[after["selected"] == 1, "candidate_id"].tolist() == ["B", "C"]
    assert dict(zip(after["candidate_id"], after["score"])) == EXPECTED
    summary = json.loads((scored / "summary.json").read_text("utf-8"))
    assert summary["scores"]["sheets"] == {str(sheet): hashlib.sha256(sheet.read_bytes()).hexdigest()}
    assert summary["scores"]["rule"]["clause"] == "二(二)"


def test_the_api_takes_the_sheets_too(case):
    import planner as pl
    scenario, sheet = case
    result = pl.solve(scenario, scores=sheet)
    assert result.slate.loc[result.slate["selected"] == 1, "candidate_id"].tolist() == ["B", "C"]
    scores = pl.read_scores(sheet)
    table = pl.aggregate_scores(scores, result.slate, pl.load_scenario(scenario).scoring)
    assert dict(zip(table["candidate_id"], table["score"])) == EXPECTED


def test_robust_with_scores_needs_no_score_sd(case, cli, tmp_path):
    # B's drawn score is at least 86 and C's at least (81 + 81) / 2 = 81, A's at most 74 and D's
    # at most 62: every drawn panel keeps B and C, so their probability is exactly 1, A's and D's 0.
    scenario, sheet = case
    target = tmp_path / "robust"
    done = cli("robust", scenario, "--scores", sheet, "--samples", 12, "--executor", "serial", "--margins", "none",
               "--out", target, "--no-chart", "--no-progress")
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(target / "robust.csv", dtype={"candidate_id": str}).set_index("candidate_id")
    assert table["probability"].to_dict() == {"A": 0.0, "B": 1.0, "C": 1.0, "D": 0.0}
    summary = json.loads((target / "robust.json").read_text("utf-8"))
    assert summary["spread"] == "panel" and summary["scores"]["rule"]["method"] == "trimmed"
    assert "评分取自专家评分表" in done.stdout


def test_a_sweep_case_draws_the_panels_too(case):
    from planner.analysis.sampling import make_case, run_samples
    scenario, sheet = case
    built = make_case(scenario, scores=sheet)
    assert built.spread.kind == "panel"
    probability, n = run_samples([built], 6, executor="serial", progress=False).probability(built.label)
    assert n == 6 and probability.tolist() == [0.0, 1.0, 1.0, 0.0]      # as in the robust test above


# --- panel draws ------------------------------------------------------------------------------

def test_a_panel_draw_is_the_rule_applied_to_the_experts_drawn_again():
    # Trimmed mean of 3 drawn with replacement from {70, 80, 90} = their median. Of the 27 equally
    # likely draws, the median is 80 in those with an 80, or with one 70 and one 90: enumerated.
    panel = [70.0, 80.0, 90.0]
    exact = {v: sum(sorted(d)[1] == v for d in itertools.product(panel, repeat=3)) / 27 for v in panel}
    assert exact == {70.0: 7 / 27, 80.0: 13 / 27, 90.0: 7 / 27}
    spread = panel_spread(np.array([panel] * 4000), ScoringRule())
    drawn = sample_scores(spread, np.zeros(4000), seed=1, sample=1)
    share = {v: float(np.mean(drawn == v)) for v in panel}
    assert set(np.unique(drawn)) <= set(panel)
    for v in panel:
        assert abs(share[v] - exact[v]) < 0.03          # 4,000 draws: 3 standard errors ≈ 0.024
    again = sample_scores(spread, np.zeros(4000), seed=1, sample=1)
    assert np.array_equal(drawn, again)                 # sample s of seed k is always the same draw


def test_panel_draws_round_half_up_and_leave_unscored_rows_alone():
    # Two scores (mean, two decimals): the draws are 80.01, 80.00 or their mean 80.005 → 80.01.
    spread = panel_spread(np.array([[80.01, 80.0], [np.nan, np.nan]]), ScoringRule(method="mean", min_scores=1))
    drawn = np.stack([sample_scores(spread, np.array([0.0, 55.5]), 3, s) for s in range(1, 60)])
    assert set(np.round(drawn[:, 0], 6)) == {80.0, 80.01}
    assert set(drawn[:, 1]) == {55.5}
    assert spread.effective_sd[1] == 0.0 and spread.effective_sd[0] > 0


# --- the rater report, its chart and workbook ------------------------------------------------------

def rater_case():
    """Four projects (x = 70, 75, 80, 85); E1 scores x, E2 x + 1, E3 x − 1, E4 x + 6.

    Each project: drop x + 6 and x − 1, consensus (x + x + 1) / 2 = x + 0.5. Deviations: E1 −0.5,
    E2 +0.5, E3 −1.5, E4 +5.5. Robust scale: the 16 deviations have median 0 and absolute
    deviations 0.5 (8 of them), 1.5 (4), 5.5 (4): median (0.5 + 1.5) / 2 = 1, scale 1.4826.
    Outliers beyond 3 × 1.4826 = 4.45: E4's four. E4 +5.5 and E3 −1.5 are beyond one scale with
    no spread at all: lenient and harsh.
    """
    records = [(f"P{x}", e, f"单位{e}", float(x + d), "s.csv", 2 + k, "评分")
               for k, (x, (e, d)) in enumerate(itertools.product((70, 75, 80, 85),
                                                                 (("E1", 0), ("E2", 1), ("E3", -1), ("E4", 6))))]
    scores = pd.DataFrame(records, columns=["candidate_id", "expert_id", "expert_unit", "score", "file", "row", "column"])
    candidates = pd.DataFrame({"candidate_id": ["P70", "P75", "P80", "P85"], "unit_name": ["甲"] * 4,
                               "unit_id": ["U"] * 4})
    return scores, candidates


def test_the_rater_report_by_hand():
    scores, candidates = rater_case()
    aggregated = aggregate_scores(scores, candidates, ScoringRule())
    assert aggregated["score"].tolist() == [70.5, 75.5, 80.5, 85.5]
    report = rater_report(scores, aggregated, candidates)
    assert report.scale == pytest.approx(1.4826)
    raters = report.raters.set_index("expert_id")
    assert raters["mean_deviation"].round(6).to_dict() == {"E1": -0.5, "E2": 0.5, "E3": -1.5, "E4": 5.5}
    assert raters["flag"].to_dict() == {"E1": "", "E2": "", "E3": "harsh", "E4": "lenient"}
    assert raters["n_outliers"].to_dict() == {"E1": 0, "E2": 0, "E3": 0, "E4": 4}
    assert raters.loc["E4", "correlation"] == pytest.approx(1.0)
    assert report.outliers["expert_id"].tolist() == ["E4"] * 4


def test_the_rater_chart_is_chinese_without_missing_glyphs(caplog):
    from matplotlib.text import Text

    from planner.show.charts.raters import plot_raters
    scores, candidates = rater_case()
    report = rater_report(scores, aggregate_scores(scores, candidates), candidates)
    fig = plot_raters(report.raters, scale=report.scale)
    with caplog.at_level(logging.WARNING, logger="matplotlib"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png", dpi=40)
    messages = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    assert [m for m in messages if "missing from font" in m or "Glyph " in m or "findfont" in m] == []
    texts = " ".join(t.get_text() for t in fig.findobj(Text))
    assert "专家评分画像" in texts and "偏严" in texts and "E4 单位E4（4）" in texts


def test_score_report_on_the_small_round(case):
    scenario, sheet = case
    report = score_report(scenario, sheet)
    assert dict(zip(report.aggregated["candidate_id"], report.aggregated["score"])) == EXPECTED
    assert report.missing == []
    assert report.raters.raters["n_recused"].sum() == 1


# --- the bundled synthetic sheet -----------------------------------------------------------------

@pytest.mark.slow
def test_the_bundled_sheet_is_its_generator_output_and_aggregates_cleanly():
    from pathlib import Path

    from planner.inputs.generate import generate_candidates
    root = Path(__file__).resolve().parents[1]
    bundled = (root / "data" / "jilin" / "scores_2023.csv").read_text("utf-8-sig")
    candidates = generate_candidates(2023, seed=2023)
    assert to_csv_text(generate_scores(candidates, seed=2023)) == bundled
    report = score_report(root / "scenarios" / "jilin-2023.toml", root / "data" / "jilin" / "scores_2023.csv")
    assert report.missing == []
    assert (report.aggregated["n_recused"] > 0).sum() > 20      # insiders on their own units' projects
    flags = report.raters.raters.set_index("expert_id")["flag"]
    assert flags["ZJ31"] == "harsh" and flags["ZJ41"] == "inconsistent"   # the generator's harsh and erratic
