"""National recommendations audited on merit (`rounds.audit_score.compare_national`, D10).

A hand-made round: three candidates of their own schools, every one selectable and selected
(no provincial quota binds), one national recommendation at most (二(二)). The best national pick
is plainly A (98.0 against 78.4 and 70.0): a slate that recommends B instead passes every rule
and has the same provincial total, yet loses 98.0 − 78.4 = 19.6 national points.
"""
from __future__ import annotations

import pandas as pd
import pytest
from conftest import run_cli, unit_row, write_case

from planner import api
from planner.lang import speaking
from planner.rounds.chain import audit_file

ROWS = [unit_row("A", 98.0), unit_row("B", 78.4), unit_row("C", 70.0)]
SCENARIO = {"rule": [{"id": "cap", "clause": "三(三)", "max": 3},
                     {"id": "nat", "clause": "二(二)", "decision": "national", "max": 1}]}


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    base = tmp_path_factory.mktemp("national")
    scenario = write_case(base / "case", ROWS, SCENARIO)
    out = base / "out"
    api.save(api.solve(scenario, workers=1), out)
    return scenario, out


def _slate_with_national(out, tmp_path, national: str):
    slate = pd.read_csv(out / "slate.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert set(slate.loc[slate["selected"] == "1", "candidate_id"]) == {"A", "B", "C"}
    slate["national"] = (slate["candidate_id"] == national).map({True: "1", False: "0"})
    path = tmp_path / f"national-{national}.csv"
    slate.to_csv(path, index=False)
    return path


def test_a_national_pick_moved_to_a_lower_score_is_reported_with_the_points_lost(case, tmp_path):
    scenario, out = case
    report = audit_file(scenario, _slate_with_national(out, tmp_path, "B"), optimum=True)
    assert report.ok                                       # every rule holds: the defect was passing silently
    assert report.score.difference == pytest.approx(0.0)   # the same provincial total
    national = report.score.national
    assert national.slate_total == pytest.approx(78.4) and national.best_total == pytest.approx(98.0)
    assert national.lost == pytest.approx(19.6)
    assert national.only_best["candidate_id"].tolist() == ["A"]
    assert national.only_slate["candidate_id"].tolist() == ["B"]
    assert "推荐国家级少得 19.6 分" in "\n".join(report.score.lines())
    with speaking("en"):
        assert "19.6 points lost by the national picks" in "\n".join(report.score.lines())


def test_the_best_national_pick_is_on_merit(case, tmp_path):
    scenario, out = case
    report = audit_file(scenario, _slate_with_national(out, tmp_path, "A"), optimum=True)
    assert report.score.national.lost == pytest.approx(0.0)
    assert report.score.lines()[-1].endswith("推荐国家级按分择优")


def test_the_cli_says_the_national_points_lost_against_a_run(case, tmp_path):
    scenario, out = case
    done = run_cli("audit", scenario, _slate_with_national(out, tmp_path, "B"), "--against", out)
    assert done.returncode == 0, done.stderr
    assert "合计相同" in done.stdout
    assert "推荐国家级的评审分数：本名单的推荐 78.4" in done.stdout
    assert "少得 19.6 分" in done.stdout and "应推荐实践中心（A，98）而不是实践中心（B，78.4）" in done.stdout
