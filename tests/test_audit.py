"""Tests of planner.audit: hand-made slates checked against every rule, values worked out by hand."""
from __future__ import annotations

import math

import pytest
from conftest import row, scenario_of, typed_frame

from planner import api
from planner.audit import check_slate
from planner.errors import AuditError

ROWS = [
    row("A", locality="长春市", score=90.0, cost=40.0),
    row("B", locality="长春市", score=80.0, cost=25.5),
    row("C", locality="吉林市", score=70.0, cost=10.0, task="core_course", track="offline"),
    row("D", locality="吉林市", score=65.0, cost=30.0, task="core_course", track="online", level="higher",
        unit_kind="higher_vocational"),
    row("E", locality="四平市", score=50.0, cost=5.0, eligible=False),
]


def slate(selected: str, national: str = "", rows=ROWS):
    frame = typed_frame(rows)
    ids = frame["candidate_id"]
    return frame.assign(selected=ids.isin(list(selected)).astype(int), national=ids.isin(list(national)).astype(int))


def audit(data: dict, selected: str, national: str = "", rows=ROWS, history=None):
    return check_slate(slate(selected, national, rows), scenario_of(data), history=history)


def group(report, rule_id, key=None):
    table = report.rules[report.rules["rule_id"] == rule_id]
    if key is not None:
        table = table[table["group"] == key]
    assert len(table) == 1, table
    return table.iloc[0]


# --------------------------------------------------------------------------- rule groups
def test_a_slate_within_every_bound_passes_and_shows_values_slack_and_binding():
    report = audit({"rule": [{"id": "loc", "per": ["locality"], "max": {"长春市": 2, "*": 1}},
                             {"id": "budget", "measure": "sum:cost", "max": 100}]}, "ABC")
    assert report.ok and report.rows.empty
    cc = group(report, "loc", "长春市")
    assert (cc["value"], cc["max"], cc["slack"], cc["binding"]) == (2, 2, 0, True)
    jl = group(report, "loc", "吉林市")
    assert (jl["value"], jl["slack"], jl["binding"]) == (1, 0, True)
    sp = group(report, "loc", "四平市")           # E filed there (not selectable): a group with value 0
    assert (sp["value"], sp["slack"], sp["binding"]) == (0, 1, False)
    budget = group(report, "budget")
    assert budget["value"] == pytest.approx(75.5) and budget["slack"] == pytest.approx(24.5)


def test_a_broken_maximum_and_minimum_are_violations_with_their_size():
    report = audit({"rule": [{"id": "cap", "clause": "三(三)", "per": ["locality"], "max": 1},
                             {"id": "floor", "where": {"task": "core_course"}, "min": 2}]}, "ABC")
    assert not report.ok
    cap = group(report, "cap", "长春市")
    assert (cap["value"], cap["violation"], cap["ok"]) == (2, 1, False)
    floor = group(report, "floor")
    assert (floor["value"], floor["violation"], floor["ok"]) == (1, 1, False)
    messages = report.messages()
    assert len(messages) == 2
    assert any('规则“cap”（三(三)）分组“长春市”：2，超过上限 1' in m for m in messages), messages
    assert any('规则“floor”' in m and "1，低于下限 2" in m for m in messages), messages


def test_a_soft_rule_records_its_violation_without_failing():
    report = audit({"rule": [{"id": "band", "max": 2, "soft": {"weight": 5}}]}, "ABCD")
    band = group(report, "band")
    assert band["soft"] and band["ok"] and band["violation"] == 2 and report.ok


def test_national_rules_count_national_picks():
    data = {"rule": [{"id": "n", "decision": "national", "where": {"task": "core_course"}, "per": ["level"],
                      "min": 1, "max": 1}]}
    ok = audit(data, "ACD", "CD")
    assert ok.ok and group(ok, "n", "secondary")["value"] == 1 and group(ok, "n", "higher")["value"] == 1
    short = audit(data, "ACD", "C")
    assert not short.ok and group(short, "n", "higher")["value"] == 0


def test_a_group_named_in_a_bound_map_is_checked_even_without_candidates():
    report = audit({"rule": [{"id": "r", "per": ["locality"], "min": {"白城市": 1}}]}, "A")
    assert not report.ok and group(report, "r", "白城市")["value"] == 0


def test_a_by_target_reports_its_minimum_before_its_year_without_binding():
    report = audit({"period": [2023, 2025], "rule": [{"id": "t", "min": 3, "by": 2025}]}, "A")
    t = group(report, "t")
    assert math.isnan(t["min"]) and t["target_min"] == 3 and t["ok"] and report.ok


# --------------------------------------------------------------------------- rows
def test_row_problems_name_the_candidate():
    report = audit({"force_in": ["D"], "rule": [{"id": "r", "max": 9}]}, "AE", "B")
    problems = report.rows.groupby("candidate_id")["problem"].agg(" | ".join).to_dict()
    assert set(problems) == {"E", "B", "D"}
    assert "ineligible" in problems["E"]
    assert "推荐国家级但未入选省级" in problems["B"]
    # B is flagged national with no national rule in the scenario: a second problem (二(二)).
    assert "没有任何国家级规则涵盖" in problems["B"]
    assert "指定入选（force_in）但未入选" in problems["D"]
    assert not report.ok and len(report.messages()) == 4


def test_findings_are_said_in_english_when_asked():
    from planner.lang import speaking

    with speaking("en"):
        report = audit({"force_in": ["D"], "rule": [{"id": "cap", "clause": "三(三)", "max": 1}]}, "AE", "B")
        problems = " | ".join(report.rows["problem"])
        messages = report.messages()
    assert "nationally without being selected" in problems and "pinned in (force_in) but not selected" in problems
    assert any('rule "cap" (三(三))' in m and "is above its maximum 1" in m for m in messages), messages
    assert not any(ch in " ".join(messages) for ch in "规则分组超过")


def test_a_national_flag_where_a_national_rule_covers_the_task_is_no_row_problem():
    rules = [{"id": "r", "max": 9}, {"id": "n", "decision": "national", "max": 5}]
    report = audit({"rule": rules}, "AB", "B")
    assert report.rows.empty and report.ok


def test_a_hand_made_slate_may_say_selected_as_text_or_bool_and_omit_national():
    frame = typed_frame(ROWS).assign(selected=["1", "0", "1", "0", "0"])
    report = check_slate(frame, scenario_of({"rule": [{"id": "r", "max": 2}]}))
    assert report.ok and group(report, "r")["value"] == 2
    frame = typed_frame(ROWS).assign(selected=[True, True, True, False, False])
    assert not check_slate(frame, scenario_of({"rule": [{"id": "r", "max": 2}]})).ok


# --------------------------------------------------------------------------- history and scope
def history(*specs):
    rows = [row(cid, year=2022, locality=loc, selected=sel, national=False) for cid, loc, sel in specs]
    return typed_frame(rows, history=True)


def test_period_rules_count_locked_selections_year_rules_do_not():
    past = history(("H1", "长春市", True), ("H2", "长春市", False))
    data = {"period": [2022, 2023], "rule": [{"id": "p", "per": ["locality"], "max": 2},
                                             {"id": "y", "scope": "year", "per": ["locality"], "max": 2}]}
    report = audit(data, "AB", history=past)
    assert group(report, "p", "长春市")["value"] == 3 and not group(report, "p", "长春市")["ok"]
    assert group(report, "y", "长春市")["value"] == 2 and group(report, "y", "长春市")["ok"]
    assert report.rows.empty            # history rows are not this round's rows


# --------------------------------------------------------------------------- filing checks
def test_filing_checks_are_warnings_on_the_pool_not_violations():
    data = {"rule": [{"id": "every", "decision": "filing", "where": {"task": "practice_centre"}, "per": ["locality"],
                      "complete": True, "min": 1}]}
    report = audit(data, "")
    assert report.ok and report.rules.empty
    # 11 localities, practice centres filed in 长春市 (A, B) and 四平市 (E): 9 warnings.
    warnings = report.warnings()
    assert len(warnings) == 9 and all(w.startswith('申报检查“every”') for w in warnings)
    assert any('分组“白城市”：申报 0 项，应至少 1 项' in w for w in warnings)


def test_a_period_filing_check_counts_what_earlier_rounds_filed():
    past = history(("H1", "白城市", False))
    data = {"period": [2022, 2023], "rule": [{"id": "every", "decision": "filing", "where": {"task": "practice_centre"},
                                             "per": ["locality"], "complete": True, "min": 1}]}
    period = audit(data, "", history=past)
    yearly = audit({**data, "rule": [{**data["rule"][0], "scope": "year"}]}, "", history=past)
    # Filed: 长春市 and 四平市 this year, 白城市 in 2022 (counted by the period check only).
    assert len(period.warnings()) == 8 and len(yearly.warnings()) == 9
    assert not any('"白城市"' in w for w in period.warnings())


# --------------------------------------------------------------------------- independence
def test_the_auditor_never_imports_the_solver():
    from imports import graph, reachable
    seen = reachable("planner.audit.check")
    assert {"planner.rules.groups", "planner.rules.availability", "planner.rules.policy"} <= seen   # it follows imports
    assert not {m for m in seen if m.startswith(("planner.model", "planner.solver"))}, sorted(seen)
    _, outside = graph()
    assert not any("ortools" in outside[m] for m in seen), sorted(m for m in seen if "ortools" in outside[m])


def test_model_and_audit_agree_on_groups_of_unchosen_history(tmp_path):
    """Regression: a period rule's groups once came from locked *selections* in the model but from
    every history row in the audit, so solve raised AuditError. Both now form groups over every
    locked row: 吉林市 filed H1 in 2022 (not selected) and has no candidate this year, so its
    minimum of 1 cannot be met — infeasible, never an audit failure."""
    from conftest import write_csv

    from planner.errors import InfeasibleError
    past = write_csv(tmp_path / "history.csv",
                     [row("H1", year=2022, locality="吉林市", selected=False, national=False)],
                     extra=("selected", "national"))
    scenario = scenario_of({"period": [2022, 2023], "history": [str(past)],
                            "rule": [{"id": "m", "per": ["locality"], "min": 1}]})
    try:
        api.solve(scenario, candidates=typed_frame([row("A")]), workers=1)
    except AuditError as exc:
        pytest.fail(f"the model and the audit read the rule differently: {exc}")
    except InfeasibleError:
        pass
    else:
        pytest.fail("吉林市's minimum cannot be met, yet a slate came back")
    # The auditor sees the same group on any slate.
    report = check_slate(slate("A", rows=[row("A")]), scenario, history=typed_frame(
        [row("H1", year=2022, locality="吉林市", selected=False, national=False)], history=True))
    assert group(report, "m", "吉林市")["value"] == 0 and not report.ok


# --------------------------------------------------------------------------- an index shared with the caller
def test_the_audit_groups_a_slate_alone_through_the_index_it_is_given():
    from planner.rules import FrameIndex
    data = {"period": [2022, 2023], "rule": [{"id": "loc", "per": ["locality"], "max": {"长春市": 2, "*": 1}}]}
    scenario = scenario_of(data)
    plain = slate("ABC")
    folded = plain.assign(selected=plain["selected"].astype(bool), national=plain["national"].astype(bool))
    alone = check_slate(plain, scenario)
    shared = check_slate(plain, scenario, index=FrameIndex(folded))
    assert alone.rules.equals(shared.rules) and alone.rows.equals(shared.rows)
    # The index's frame is what is grouped: one that files B in 吉林市 gives 长春市 A alone, 吉林市 B and C.
    moved = folded.assign(locality=["长春市", "吉林市", "吉林市", "吉林市", "四平市"])
    report = check_slate(plain, scenario, index=FrameIndex(moved))
    assert group(report, "loc", "长春市")["value"] == 1 and group(report, "loc", "吉林市")["value"] == 2
    # The blocked reasons given with the index are the ones read: D told blocked is a row problem.
    import pandas as pd
    told = pd.Series(["", "", "", "test", ""])
    with_d = slate("ABCD")
    assert check_slate(with_d, scenario).rows.empty         # D is selectable
    problems = check_slate(with_d, scenario, index=FrameIndex(with_d), blocked=told).rows
    assert problems["candidate_id"].tolist() == ["D"] and "test" in problems["problem"].iat[0]
    # With history the audit has more rows than the index: it groups its own (A, B and H1 in 长春市).
    report = check_slate(plain, scenario, history=history(("H1", "长春市", True)), index=FrameIndex(moved))
    assert group(report, "loc", "长春市")["value"] == 3 and group(report, "loc", "吉林市")["value"] == 1


def test_group_sums_in_one_pass_are_each_groups_own_sums_for_whole_amounts_only():
    """By hand: group A holds rows 0, 1, 3; group B rows 2; C none."""
    from types import SimpleNamespace

    import numpy as np

    from planner.audit.check import _group_sums

    groups = [SimpleNamespace(rows=np.array([0, 1, 3])), SimpleNamespace(rows=np.array([2])),
              SimpleNamespace(rows=np.array([], dtype=np.int64))]
    assert _group_sums(groups, np.array([1.0, 0.0, 5.0, 7.0])).tolist() == [8.0, 5.0, 0.0]
    # A fraction, a negative amount, -0.0 (numpy would keep its sign), NaN or an infinity: left to numpy.
    for odd in (0.5, -1.0, -0.0, np.nan, np.inf):
        assert _group_sums(groups, np.array([1.0, odd, 5.0, 7.0])) is None
    assert _group_sums([], np.array([1.0])) is None
