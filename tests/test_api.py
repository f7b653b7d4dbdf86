"""Tests of planner.api: the one-call way through, the Result, provenance and the file helpers."""
from __future__ import annotations

import hashlib

import numpy as np
import ortools
import pandas as pd
import pytest
from conftest import COLUMNS, REPO, frame_of, row, scenario_of, toml_text, typed_frame, write_case, write_csv

from planner import __version__, api
from planner.errors import InputError, PolicyError
from planner.result import task_table
from planner.rules import check_years, read_candidates, read_history
from planner.rules.prepare import prepare

ROWS = [
    row("C1", score=91.0, locality="长春市", task="practice_centre", track="school"),
    row("C2", score=85.5, locality="长春市", task="practice_centre", track="school"),
    row("C3", score=70.0, locality="吉林市", task="core_course", track="offline"),
    row("C4", score=65.0, locality="吉林市", task="core_course", track="offline", eligible=False),
    row("C5", score=99.0, locality="四平市", task="practice_centre", track="public", unit_kind="government"),
]
SCENARIO = {"rule": [{"id": "cap", "clause": "三(三)", "where": {"task": "practice_centre"}, "per": ["locality"],
                      "max": 1}]}
# 长春市 keeps C1 (91); 四平市 C5; C3 is in no rule; C4 is not eligible.
EXPECTED = ["C1", "C3", "C5"]


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_typed_frame_helper_equals_the_loader_output():
    """tests/conftest.py builds frames directly for speed; they must be what the loader returns."""
    fast, loaded = typed_frame(ROWS), frame_of(ROWS)
    pd.testing.assert_frame_equal(fast, loaded)
    history = [dict(r, selected=i % 2 == 0, national=False) for i, r in enumerate(ROWS)]
    pd.testing.assert_frame_equal(typed_frame(history, history=True), frame_of(history, history=True))


# --------------------------------------------------------------------------- solve
@pytest.fixture
def case(tmp_path):
    return write_case(tmp_path / "case", ROWS, SCENARIO)


def test_solve_returns_the_input_rows_plus_decisions(case):
    result = api.solve(case, workers=1)
    slate = result.slate
    assert list(slate.columns) == COLUMNS + ["selected", "national", "reason"]
    assert slate["candidate_id"].tolist() == ["C1", "C2", "C3", "C4", "C5"]      # input order kept
    assert slate["selected"].tolist() == [1, 0, 1, 0, 1] and slate["national"].tolist() == [0] * 5
    assert result.selected["candidate_id"].tolist() == EXPECTED
    assert all(isinstance(r, str) and r for r in slate["reason"])
    assert result.rules["rule_id"].tolist() == ["cap"] * 2 and result.audit.ok


def test_the_summary_records_the_outcome_parameters_versions_and_input_hashes(case):
    result = api.solve(case, seed=9, workers=1, time_limit_s=12.5)
    s = result.summary
    assert s["status"] == "OPTIMAL" and s["gap"] == 0
    assert s["total_score"] == pytest.approx(91 + 70 + 99) == s["objective"] and s["penalty"] == 0
    assert (s["n_candidates"], s["n_selectable"], s["n_selected"], s["n_national"]) == (5, 4, 3, 0)
    assert (s["seed"], s["workers"], s["time_limit_s"]) == (9, 1, 12.5)
    assert s["versions"]["planner"] == __version__ and s["versions"]["ortools"] == ortools.__version__
    assert s["versions"]["pandas"] == pd.__version__ and s["versions"]["numpy"] == np.__version__
    assert s["inputs"] == {str(case): sha256(case), str(case.parent / "candidates.csv"):
                           sha256(case.parent / "candidates.csv")}


def test_the_summary_hashes_every_scenario_file_of_the_extends_chain():
    # Every rule of jilin-2023 lives in the file it extends: a changed quota must change the record.
    result = api.solve(REPO / "scenarios" / "jilin-2023.toml", workers=1)
    inputs = result.summary["inputs"]
    base = next(p for p in inputs if p.endswith("jilin-base.toml"))
    assert inputs[base] == sha256(REPO / "scenarios" / "jilin-base.toml")


def test_the_summary_hashes_the_candidate_table_actually_used(case, tmp_path):
    # With `candidates=` (CLI --candidates) the record is of the table solved, not the scenario's own.
    other = write_csv(tmp_path / "other.csv", ROWS[:3])
    result = api.solve(case, candidates=other, workers=1)
    assert result.summary["n_candidates"] == 3
    assert result.summary["inputs"].get(str(other)) == sha256(other)
    assert str(case.parent / "candidates.csv") not in result.summary["inputs"]


def test_two_max_rules_over_the_same_rows_are_explained():
    """Regression: explain.reasons once raised IndexError when a rejected row had no room in a second
    max rule but no better key than the first (an empty selection indexed at 0)."""
    rows = [row("A", score=50.0), row("B", score=40.0), row("C", score=30.0)]
    result = api.solve(scenario_of({"rule": [{"id": "t1", "max": 1}, {"id": "t2", "max": 1}]}),
                       candidates=typed_frame(rows), workers=1)
    assert result.slate["selected"].tolist() == [1, 0, 0]
    assert result.explanations["reason_code"].tolist()[1:] != ["", ""]


def test_a_data_frame_is_validated_like_a_file():
    raw = frame_of(ROWS).astype(str)
    raw.loc[1, "score"] = "八十"
    with pytest.raises(InputError, match="score"):
        api.solve(scenario_of(SCENARIO), candidates=raw.drop(columns=["integrated", "exempt", "eligible", "cost"]))


# --------------------------------------------------------------------------- the steps
def test_a_scenario_without_candidates_is_a_policy_error():
    with pytest.raises(PolicyError, match='candidates = "path/to/table.csv"'):
        read_candidates(scenario_of(SCENARIO), None)


def test_years_outside_the_scenario_are_located():
    frame = frame_of([row("A"), row("B", year=2024), row("C", year=2021)])
    frame.attrs.update(source="pool.csv", first_data_row=2)
    with pytest.raises(InputError) as info:
        check_years(frame, scenario_of({}))
    assert info.value.lines() == [
        "pool.csv:3:year：发现 年度 2024，应为 2023（情景的年度）",
        "pool.csv:4:year：发现 年度 2021，应为 2023（情景的年度）",
    ]
    check_years(frame.iloc[:2], scenario_of({"period": [2023, 2025]}))
    with pytest.raises(InputError, match="2022–2023 之间的年度"):
        check_years(frame, scenario_of({"period": [2022, 2023]}))


def test_history_keeps_earlier_years_and_the_last_record_of_a_candidate(tmp_path):
    first = write_csv(tmp_path / "h1.csv", [row("H1", year=2022, selected=True, national=False),
                                            row("H2", year=2022, selected=False, national=False)],
                      extra=("selected", "national"))
    second = write_csv(tmp_path / "h2.csv", [row("H2", year=2022, selected=True, national=True),
                                             row("N1", year=2023, selected=True, national=False)],
                       extra=("selected", "national"))
    scenario = scenario_of({"period": [2022, 2023], "history": [str(first), str(second)]})
    history = read_history(scenario)
    assert history["candidate_id"].tolist() == ["H1", "H2"]
    assert history["selected"].tolist() == [True, True] and history["national"].tolist() == [False, True]


def test_a_candidate_both_in_history_and_this_round_is_an_input_error(tmp_path):
    past = write_csv(tmp_path / "h.csv", [row("C1", year=2022, selected=True, national=False)],
                     extra=("selected", "national"))
    scenario = scenario_of({"period": [2022, 2023], "history": [str(past)], **SCENARIO})
    frame = frame_of(ROWS)
    with pytest.raises(InputError, match="候选“C1”，已锁定的往年名单中也有"):
        prepare(frame, scenario, read_history(scenario))


def test_save_writes_the_documented_files(case, tmp_path):
    paths = api.save(api.solve(case, workers=1), tmp_path / "out")
    assert {"explanations.csv", "rules.csv", "slate.csv", "slate.xlsx", "summary.json"} <= {p.name for p in paths}
    assert all(p.is_file() for p in paths)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in paths)


def test_audit_file_checks_a_saved_slate_and_refuses_one_without_selected(case, tmp_path):
    api.save(api.solve(case, workers=1), tmp_path / "out")
    assert api.audit_file(case, tmp_path / "out" / "slate.csv").ok
    bare = write_csv(tmp_path / "bare.csv", ROWS)
    with pytest.raises(InputError, match="selected"):
        api.audit_file(case, bare)


def test_check_inputs_validates_without_solving(case, tmp_path):
    scenario, frame = api.check_inputs(case)
    assert scenario.rules[0].id == "cap" and len(frame) == 5
    bad = tmp_path / "bad.toml"
    bad.write_text(toml_text({"name": "x", "year": 2023, "candidates": str(case.parent / "candidates.csv"),
                              "force_in": ["C4"], **SCENARIO}), "utf-8")
    with pytest.raises(PolicyError, match="固定入选了不能入选的项目“C4”（不符合申报条件）"):
        api.check_inputs(bad)


def test_task_table_counts_by_task_and_track(case):
    table = task_table(api.solve(case, workers=1))
    got = {(r["task"], r["track"]): (r["candidates"], r["selected"], r["lowest"]) for r in table.to_dict("records")}
    assert got == {("practice_centre", "school"): (2, 1, 91.0), ("practice_centre", "public"): (1, 1, 99.0),
                   ("core_course", "offline"): (2, 1, 70.0)}
