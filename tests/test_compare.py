"""Comparing two rounds: hand-made output folders and small solved rounds with known differences."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import frame_of, row, run_cli, scenario_of, write_csv

from planner.api import Session
from planner.errors import InputError
from planner.show import ABSENT, NOT_HIGHER, load_output
from planner.show.compare import compare

# --- two hand-made output folders ------------------------------------------------------------
#  A selects c1 (长春, 中职, 80), c2 (吉林, national double-high, 70), c5 (白山, 中职, 50);
#  B selects c1 and c4 (四平, other 高职, 65, not in A's table); c2 is out (quota), c5 is not in B's table.


def slate_rows(spec):
    return [{**row(cid, locality=loc, score=score, unit_kind=kind, tier=tier,
                   level="higher" if kind == "higher_vocational" else "secondary"),
             "selected": sel, "national": False, "reason": reason}
            for cid, loc, score, kind, tier, sel, reason in spec]


def write_run(folder, spec, rules, summary):
    folder.mkdir()
    write_csv(folder / "slate.csv", slate_rows(spec), extra=("selected", "national", "reason"))
    pd.DataFrame(rules, columns=["rule_id", "clause", "group", "value", "min", "max", "binding", "text"]) \
        .to_csv(folder / "rules.csv", index=False, encoding="utf-8-sig")
    (folder / "summary.json").write_text(json.dumps(summary, ensure_ascii=False), "utf-8")
    return folder


@pytest.fixture
def runs(tmp_path):
    a = write_run(tmp_path / "base", [
        ("c1", "长春市", 80.0, "secondary_vocational", "", True, "入选"),
        ("c2", "吉林市", 70.0, "higher_vocational", "national_double_high", True, "入选"),
        ("c3", "吉林市", 60.0, "secondary_vocational", "", False, "落选"),
        ("c5", "白山市", 50.0, "secondary_vocational", "", True, "入选"),
    ], [("cap", "三(三)", "长春市", 1, "", 1, "True", "长春 ≤ 1"),
        ("cap", "三(三)", "吉林市", 2, "", 3, "False", "吉林 ≤ 3")],
        {"name": "基准", "total_score": 200.0, "objective": 200.0, "penalty": 0, "n_selected": 3,
         "n_national": 0, "n_binding": 1})
    b = write_run(tmp_path / "variant", [
        ("c1", "长春市", 80.0, "secondary_vocational", "", True, "入选"),
        ("c2", "吉林市", 70.0, "higher_vocational", "national_double_high", False, "名额已满（3/3）"),
        ("c3", "吉林市", 60.0, "secondary_vocational", "", False, "落选"),
        ("c4", "四平市", 65.0, "higher_vocational", "other_higher", True, "入选"),
    ], [("cap", "三(三)", "长春市", 1, "", 1, "True", "长春 ≤ 1"),
        ("cap", "三(三)", "吉林市", 0, "", 3, "False", "吉林 ≤ 3"),
        ("new", "三(九)", "全省", 1, 1, 1, "True", "新规则")],
        {"name": "方案", "total_score": 145.0, "objective": 145.0, "penalty": 0, "n_selected": 2,
         "n_national": 0, "n_binding": 2})
    return a, b


def test_entered_and_left_with_the_variants_reason(runs):
    c = compare(*runs)
    assert c.labels == ("基准", "方案")
    assert list(c.entered["candidate_id"]) == ["c4"]
    assert list(c.left["candidate_id"]) == ["c2", "c5"]                 # by task, then score
    assert list(c.left["reason"]) == ["名额已满（3/3）", ABSENT]         # written text kept as is
    assert c.score_delta == pytest.approx(-55.0)
    assert c.summary.set_index("measure").loc["n_selected", "delta"] == -1


def test_counts_side_by_side_per_locality_and_tier(runs):
    c = compare(*runs)
    loc = c.by_locality.set_index("locality")
    assert list(loc.index) == ["长春市", "吉林市", "四平市", "白山市"]     # catalogue order
    assert loc.loc["吉林市"].tolist() == [1, 0, -1]
    assert loc.loc["四平市"].tolist() == [0, 1, 1]
    assert loc.loc["白山市"].tolist() == [1, 0, -1]
    tier = c.by_tier.set_index("tier")
    assert tier.loc["national_double_high", ["count_a", "count_b", "delta"]].tolist() == [1, 0, -1]
    assert tier.loc["other_higher", ["count_a", "count_b", "delta"]].tolist() == [0, 1, 1]
    assert tier.loc["", ["tier_label", "count_a", "count_b"]].tolist() == [NOT_HIGHER, 2, 1]


def test_binding_changes_include_groups_only_one_side_has(runs):
    c = compare(*runs)
    assert c.binding_changes[["rule_id", "group", "change"]].values.tolist() == [["new", "全省", "now binding"]]
    assert c.binding_changes.loc[0, "limit_b"] == "1" and c.binding_changes.loc[0, "limit_a"] == ""


def test_missing_folder_or_files_are_named(tmp_path, runs):
    with pytest.raises(InputError, match="没有这个文件夹"):
        load_output(tmp_path / "nowhere")
    (runs[0] / "rules.csv").unlink()
    with pytest.raises(InputError, match="rules.csv"):
        compare(*runs)


# --- two solved rounds ----------------------------------------------------------------------------

def test_compare_results_of_a_raised_cap():
    rows = [row("a1", score=90), row("a2", score=80), row("a3", score=70), row("a4", score=60),
            row("b1", locality="吉林市", score=85), row("b2", locality="吉林市", score=75)]
    scenario = scenario_of({"rule": [{"id": "cap", "where": {"task": "practice_centre"}, "per": ["locality"],
                                      "max": {"长春市": 2, "*": 1}}]})
    session = Session(scenario, candidates=frame_of(rows))
    base = session.solve()
    more = session.solve(scenario.with_bound("cap", "max", 5, group="长春市"))
    c = compare(base, more)
    assert c.labels == ("A", "B")                               # same scenario name on both sides
    assert list(c.entered["candidate_id"]) == ["a3", "a4"] and c.left.empty
    assert c.score_delta == pytest.approx(130.0)
    assert c.by_locality.set_index("locality").loc["长春市"].tolist() == [2, 4, 2]
    assert c.binding_changes[["group", "change"]].values.tolist() == [["长春市", "no longer binding"]]
    assert compare(base, base).entered.empty and compare(base, base).binding_changes.empty


# --- the command ---------------------------------------------------------------------------------

def test_cli_compare_prints_and_writes_the_tables(runs, tmp_path):
    done = run_cli("compare", runs[0], runs[1], "--out", tmp_path / "cmp")
    assert done.returncode == 0, done.stderr
    assert "-55.0" in done.stdout and "c4" in done.stdout and "变为起作用" in done.stdout
    entered = pd.read_csv(tmp_path / "cmp" / "entered.csv", dtype=str, encoding="utf-8-sig")
    assert list(entered["candidate_id"]) == ["c4"]
    missing = run_cli("compare", runs[0], tmp_path / "nowhere")
    assert missing.returncode == 2
    assert "error:" in missing.stderr and "没有这个文件夹" in missing.stderr and "Traceback" not in missing.stderr
