"""The office's scoring rule (`planner.rules.scoring`): ``[scoring]`` checked, and a panel's scores made one score.

Every expected score below is worked out by hand from the scores in the test (the sum of the
scores kept, divided by how many, rounded as the office rounds by hand: half up). Where a binary
float would round the other way, the comment says so: the rule's arithmetic must be exact.
"""
from __future__ import annotations

import pandas as pd
import pytest
from conftest import scenario_of

from planner.errors import InputError, PolicyError
from planner.lang import speaking
from planner.rules import ScoringRule, aggregate_scores, panels, score_candidates
from planner.rules.scoring import counted

DEFAULT = ScoringRule()


def sheet(panels_: dict[str, list], file: str = "评分表.csv") -> pd.DataFrame:
    """A long score table as `read_scores` returns it: {project: [score or (score, unit), …]}."""
    records, row = [], 2
    for pid, scores in panels_.items():
        for k, item in enumerate(scores, start=1):
            score, unit = item if isinstance(item, tuple) else (item, f"外单位{k}")
            records.append((pid, f"E{k}", unit, float(score), file, row, "评分"))
            row += 1
    frame = pd.DataFrame(records, columns=["candidate_id", "expert_id", "expert_unit", "score", "file", "row", "column"])
    frame.attrs["sheets"] = {file: "0" * 64}
    return frame


def table(*ids: str, units: dict[str, str] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({"candidate_id": list(ids), "unit_id": [f"U-{i}" for i in ids],
                          "unit_name": [(units or {}).get(i, f"申报单位{i}") for i in ids]})
    frame.attrs.update(source="candidates.csv", first_data_row=2)
    return frame


def one(scores: list, rule: ScoringRule = DEFAULT, unit: str = "申报单位P") -> pd.Series:
    return aggregate_scores(sheet({"P": scores}), table("P", units={"P": unit}), rule).iloc[0]


# --- trimmed: one highest and one lowest dropped -----------------------------------------------------

@pytest.mark.parametrize("scores, expected, used", [
    ([70, 80, 90], 80.00, 1),                              # 3 scores: 80 is left
    ([70, 80, 85, 90], 82.50, 2),                          # (80 + 85) / 2
    ([60, 75.5, 80, 88, 95], 81.17, 3),                    # 243.5 / 3 = 81.1666…
    ([50, 70.1, 72, 75, 78, 80, 99], 75.02, 5),            # 375.1 / 5
])
def test_trimmed_mean_with_3_4_5_7_scores(scores, expected, used):
    got = one(scores)
    assert got["score"] == expected
    assert (got["n_scores"], got["n_counted"], got["n_used"]) == (len(scores), len(scores), used)
    assert got["dropped"] == f"E{scores.index(max(scores)) + 1}↑、E{scores.index(min(scores)) + 1}↓"


def test_a_tie_at_the_highest_drops_one_of_the_tied_scores_only():
    got = one([90, 90, 80, 70])                            # one 90 and the 70 dropped: (90 + 80) / 2
    assert got["score"] == 85.00
    assert got["dropped"] == "E1↑、E4↓"                    # the first of the tied experts by id is named
    assert got["flags"] == "tie_high"


def test_a_tie_at_the_lowest_drops_one_of_the_tied_scores_only():
    got = one([70, 85, 70, 90, 80])                        # one 70 and the 90: (70 + 80 + 85) / 3 = 78.333…
    assert got["score"] == 78.33
    assert got["flags"] == "tie_low"


def test_a_panel_of_equal_scores_is_tied_at_both_ends():
    got = one([80, 80, 80])
    assert got["score"] == 80.00
    assert got["flags"] == "tie_high;tie_low"


def test_two_dropped_at_each_end():
    rule = ScoringRule(trim=2, min_scores=5)
    assert one([60, 65, 70, 71, 90, 95], rule)["score"] == 70.50         # (70 + 71) / 2


# --- rounding ---------------------------------------------------------------------------------------

def test_rounding_is_half_up_and_exact():
    # (80.01 + 80) / 2 = 80.005: half up gives 80.01. A binary float holds 80.005 as 80.00499…,
    # so round(80.005, 2) would give 80.0 — the office's 80.01 needs decimal arithmetic.
    assert round((80.01 + 80) / 2, 2) == 80.0
    assert one([90, 80.01, 80, 70])["score"] == 80.01
    assert one([70, 83.58, 83.59, 90])["score"] == 83.59      # 83.585 half up


def test_half_even_rounding_when_the_scenario_says_so():
    rule = ScoringRule(rounding="half_even")
    assert one([90, 80.01, 80, 70], rule)["score"] == 80.00   # 80.005: the even neighbour
    assert one([70, 83.58, 83.59, 90], rule)["score"] == 83.58   # 83.585: the even neighbour


def test_decimals():
    assert one([80, 81], ScoringRule(method="mean", min_scores=1, decimals=0))["score"] == 81      # 80.5 half up
    assert one([80, 81], ScoringRule(method="mean", min_scores=1, decimals=0, rounding="half_even"))["score"] == 80
    assert one([80, 80.12, 80.2], ScoringRule(method="mean", decimals=1))["score"] == 80.1         # 80.1066…


# --- mean and median ----------------------------------------------------------------------------

def test_mean_and_median():
    assert one([70, 80, 95], ScoringRule(method="mean"))["score"] == 81.67                  # 245 / 3
    assert one([70, 80, 95], ScoringRule(method="median"))["score"] == 80.00
    assert one([70, 80, 95, 99], ScoringRule(method="median"))["score"] == 87.50            # (80 + 95) / 2
    assert one([70, 80, 95, 99.01], ScoringRule(method="median"))["n_used"] == 4


# --- recusal ------------------------------------------------------------------------------------

def test_an_expert_of_the_applying_unit_does_not_count():
    scores = [(95, "长春（汽车）学校"), 80, 82, 84, 70]
    got = one(scores, unit="长春(汽车) 学校")                  # full-width brackets and a blank: the same unit
    assert (got["score"], got["n_counted"], got["n_recused"], got["recused"]) == (81.00, 4, 1, "E1")   # (80+82)/2
    assert got["flags"] == "recused"
    kept = one(scores, ScoringRule(recusal="none"), unit="长春(汽车) 学校")
    assert kept["score"] == 82.00                          # (80 + 82 + 84) / 3: 95 and 70 dropped


def test_an_expert_named_by_the_units_id_is_recused_too():
    frame = table("P")
    mask = counted(sheet({"P": [(90, "U-P"), (80, "U-Q"), (70, "")]}), frame, DEFAULT)
    assert mask.tolist() == [False, True, True]


# --- too few scores, unknown projects, projects without scores -----------------------------------

def test_too_few_counted_scores_is_a_located_error():
    scores = sheet({"P": [(90, "申报单位P"), 80, 70], "Q": [70, 80, 90]})
    with pytest.raises(InputError) as caught:
        aggregate_scores(scores, table("P", "Q"), DEFAULT)
    (line,) = caught.value.lines()
    assert line.startswith("评分表.csv:2:评分：发现 项目“P”只有 2 个有效评分（评分表中 3 个，1 位专家回避：E1）")
    assert "应为 至少 3 个有效评分" in line
    with speaking("en"), pytest.raises(InputError, match='project "P" with 2 counted scores'):
        aggregate_scores(scores, table("P", "Q"), DEFAULT)


def test_min_scores_may_ask_for_more():
    with pytest.raises(InputError, match="只有 4 个有效评分"):
        one([70, 80, 85, 90], ScoringRule(min_scores=5))


def test_a_candidate_without_scores_is_located_in_the_candidate_table():
    with pytest.raises(InputError) as caught:
        aggregate_scores(sheet({"P": [70, 80, 90]}), table("P", "Q"), DEFAULT)
    assert str(caught.value).startswith("candidates.csv:3:candidate_id：发现 项目“Q”没有任何专家评分")
    partial = aggregate_scores(sheet({"P": [70, 80, 90]}), table("P", "Q"), DEFAULT, complete=False)
    assert partial["candidate_id"].tolist() == ["P"]


def test_a_project_the_table_does_not_have():
    with pytest.raises(InputError, match="候选项目表中没有的项目“Z”"):
        aggregate_scores(sheet({"P": [70, 80, 90], "Z": [1, 2, 3]}), table("P"), DEFAULT)


def test_score_candidates_replaces_the_score_and_keeps_the_tables_place():
    frame = table("P", "Q").assign(score=[1.0, 2.0])
    out, aggregated = score_candidates(frame, sheet({"Q": [60, 70, 80, 90], "P": [70, 80, 90]}), DEFAULT)
    assert out["score"].tolist() == [80.0, 75.0]
    assert aggregated["candidate_id"].tolist() == ["P", "Q"]           # the table's order
    assert out.attrs["source"] == "candidates.csv" and out.attrs["normalised"]
    assert frame["score"].tolist() == [1.0, 2.0]                       # the input is not changed


def test_panels_hold_the_counted_scores_row_by_row():
    grid = panels(sheet({"Q": [60, 70], "P": [(99, "申报单位P"), 80, 90]}), table("P", "Q"), DEFAULT)
    assert grid.shape == (2, 2)
    assert grid[0].tolist() == [80.0, 90.0] and grid[1].tolist() == [60.0, 70.0]


def test_a_wide_panel_is_flagged():
    scores = {f"P{i}": [70, 71, 72] for i in range(4)} | {"W": [60, 75, 90]}
    got = aggregate_scores(sheet(scores), table(*scores), DEFAULT)
    assert got.set_index("candidate_id")["flags"].to_dict()["W"] == "wide"      # sd 15 against a median of 1
    assert (got["flags"] == "").sum() == 4


# --- [scoring] in a scenario ---------------------------------------------------------------------

def test_default_rule_without_a_scoring_table():
    rule = scenario_of({}).scoring
    assert (rule.method, rule.trim, rule.min_scores, rule.recusal, rule.decimals, rule.rounding, rule.given) == \
        ("trimmed", 1, 3, "unit", 2, "half_up", False)


def test_a_scoring_table_is_read():
    rule = scenario_of({"scoring": {"method": "median", "recusal": "none", "decimals": 1, "clause": "二(二)"}}).scoring
    assert (rule.method, rule.min_scores, rule.recusal, rule.decimals, rule.clause, rule.given) == \
        ("median", 1, "none", 1, "二(二)", True)
    assert rule.describe() == "取中位数，至少 1 个有效评分，保留 1 位小数（四舍五入）（二(二)）"
    with speaking("en"):
        assert rule.describe().startswith("the median, at least 1 counted scores")


@pytest.mark.parametrize("scoring, column, found", [
    ({"method": "trimed"}, "scoring.method", "'trimed'"),
    ({"rounding": "bankers"}, "scoring.rounding", "'bankers'"),
    ({"decimals": 2.5}, "scoring.decimals", "2.5"),
    ({"min_scores": 2}, "scoring.min_scores", "min_scores = 2"),
    ({"trim": 2, "min_scores": 4}, "scoring.min_scores", "min_scores = 4"),
    ({"recusal": True}, "scoring.recusal", "True"),
    ({"mode": "trimmed"}, "scoring.mode", "未知的键“mode”"),
])
def test_a_bad_scoring_table_is_a_located_policy_error(scoring, column, found):
    with pytest.raises(PolicyError) as caught:
        scenario_of({"scoring": scoring})
    problem = caught.value.problems[0]
    assert (problem.column, problem.found) == (column, found)


def test_scoring_must_be_a_table():
    with pytest.raises(PolicyError, match="scoring"):
        scenario_of({"scoring": "trimmed"})


def test_the_bundled_scenario_cites_its_clause():
    from planner.rules import load_scenario
    rule = load_scenario("scenarios/jilin-2023.toml").scoring
    assert rule.given and rule.clause == "二(二)" and (rule.method, rule.trim, rule.decimals) == ("trimmed", 1, 2)
