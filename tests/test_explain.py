"""Tests of planner.explain: one reason code and sentence per candidate, with the figures.

Slates here are written by hand (no solver): each expected code and figure follows from the
rule and the hand-made slate, worked out in the comments.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.audit import check_slate
from planner.explain.reasons import CODES, COLUMNS, plan_frame, reasons
from planner.inputs import normalise_candidates
from planner.rules import blocked_reason, parse_scenario

REPO = Path(__file__).resolve().parents[1]
COLS = ["candidate_id", "year", "task", "track", "title", "unit_id", "unit_name", "unit_kind", "tier", "locality",
        "level", "score", "integrated", "exempt", "eligible", "cost"]


def row(cid: str, score: float, **changes) -> dict:
    """A 中职 school-track practice centre in 长春市 (change any column)."""
    base = dict(candidate_id=cid, year=2023, task="practice_centre", track="school", title="实践中心", unit_id="U" + cid,
                unit_name="学校" + cid, unit_kind="secondary_vocational", tier="", locality="长春市", level="secondary",
                score=score, integrated=False, exempt=False, eligible=True, cost=0.0)
    base.update(changes)
    return base


def frame_of(rows: list[dict]) -> pd.DataFrame:
    text = {c: [("true" if r[c] else "false") if isinstance(r[c], bool) else str(r[c]) for r in rows] for c in COLS}
    return normalise_candidates(pd.DataFrame(text, dtype=object))


def scenario_of(rules: list[dict], **top) -> object:
    return parse_scenario({"name": "test", "year": 2023, "rule": rules, **top})


def explain(rows: list[dict], rules: list[dict], selected: set[str], national: set[str] = frozenset(),
            plan: pd.DataFrame | None = None, **top) -> pd.DataFrame:
    scenario = scenario_of(rules, **top)
    slate = frame_of(rows)
    slate["selected"] = slate["candidate_id"].isin(selected).to_numpy()
    slate["national"] = slate["candidate_id"].isin(national).to_numpy()
    audit = check_slate(slate, scenario)
    table = reasons(slate, scenario, audit, blocked_reason(slate, scenario), plan=plan)
    return table.set_index("candidate_id")


CAP = {"id": "cap", "clause": "三(三)", "text": "长春市推荐不超过2个", "where": {"task": "practice_centre"},
       "per": ["locality"], "max": {"长春市": 2, "*": 1}}


def test_quota_full_names_the_rule_the_group_and_the_lowest_selected_score():
    # 长春市 holds 2 of 2 (A 90, B 80): C (70) has no room; the lowest selected there is 80.
    table = explain([row("A", 90), row("B", 80), row("C", 70)], [CAP], {"A", "B"})
    c = table.loc["C"]
    assert c["reason_code"] == "quota_full"
    assert (c["rule_id"], c["group"], c["limit"], c["value"], c["lowest_selected"]) == ("cap", "长春市", 2, 2, 80)
    assert "2/2" in c["reason"] and "80" in c["reason"] and "70" in c["reason"] and "三(三)" in c["reason"]
    assert table.loc["A", "reason_code"] == "selected" and table.loc["B", "reason_code"] == "selected"
    assert list(table.reset_index().columns) == COLUMNS


def test_a_group_with_room_does_not_explain_a_rejection():
    # Only B is selected: 长春市 has 1/2, room for C — so C was displaced, not blocked by the quota.
    table = explain([row("A", 90, locality="吉林市"), row("B", 80), row("C", 70)], [CAP], {"A", "B"})
    assert table.loc["C", "reason_code"] == "displaced"
    assert table.loc["C", "rule_id"] == ""


def test_blocked_candidates_get_their_own_codes():
    rows = [row("OK", 90), row("INELIGIBLE", 95, eligible=False), row("LOW", 50), row("LATER", 88, year=2024),
            row("OFF", 92, task="international_school", track=""), row("OUT", 91)]
    table = explain(rows, [], {"OK"}, period=[2023, 2025], objective={"pass_mark": 60}, force_out=["OUT"])
    assert table.loc["INELIGIBLE", "reason_code"] == "ineligible"
    assert table.loc["LOW", "reason_code"] == "below_pass_mark"
    assert "50" in table.loc["LOW", "reason"] and "60" in table.loc["LOW", "reason"]
    assert table.loc["LATER", "reason_code"] == "other_year" and "2024" in table.loc["LATER", "reason"]
    assert table.loc["OFF", "reason_code"] == "task_disabled"      # international_school is off in the catalogue
    assert table.loc["OUT", "reason_code"] == "pinned_out"


def test_a_group_with_max_zero_is_out_of_scope_not_a_full_quota():
    rules = [{"id": "led-by-school", "clause": "三(三)", "text": "学校实践中心由学校牵头申报",
              "where": {"task": "practice_centre", "unit_kind": {"not": ["secondary_vocational", "higher_vocational"]}},
              "max": 0}]
    table = explain([row("FIRM", 99, unit_kind="enterprise"), row("SCHOOL", 60)], rules, {"SCHOOL"})
    firm = table.loc["FIRM"]
    assert firm["reason_code"] == "not_in_scope"
    assert "不符合推荐范围" in firm["reason"] and "名额已满" not in firm["reason"] and "0/0" not in firm["reason"]


def test_a_full_soft_band_is_target_reached():
    band = {"id": "band", "clause": "三(四)", "text": "50个左右", "where": {"task": "practice_centre"}, "max": 2,
            "soft": {"weight": 10}}
    table = explain([row("A", 90), row("B", 80), row("C", 70)], [band], {"A", "B"})
    assert table.loc["C", "reason_code"] == "target_reached"
    assert table.loc["C", "rule_id"] == "band"


def test_a_hard_quota_explains_before_a_soft_band():
    # C sits in a full hard cap (长春市 2/2) and a full soft band (2/2): the hard quota is the reason.
    band = {"id": "band", "clause": "三(四)", "where": {"task": "practice_centre"}, "max": 2, "soft": {"weight": 10}}
    table = explain([row("A", 90), row("B", 80), row("C", 70)], [band, CAP], {"A", "B"})
    assert table.loc["C", "reason_code"] == "quota_full" and table.loc["C", "rule_id"] == "cap"


def test_selected_but_not_national_gives_the_lowest_national_score_of_its_group():
    split = {"id": "split", "clause": "三(七)", "decision": "national", "scope": "year", "where": {"task": "core_course"},
             "per": ["level"], "max": {"secondary": 1, "higher": 1}}
    course = dict(task="core_course", track="offline")
    rows = [row("A", 90, **course), row("B", 85, **course), row("H", 70, level="higher", **course)]
    table = explain(rows, [split], {"A", "B", "H"}, national={"A", "H"})
    assert table.loc["A", "reason_code"] == "selected_national"
    b = table.loc["B"]
    # B (85) competes in 中职 (secondary): 1 of 1 national place, taken by A (90).
    assert b["reason_code"] == "selected_not_national"
    assert (b["rule_id"], b["group"], b["lowest_selected"]) == ("split", "中职", 90)
    assert "90" in b["reason"] and "85" in b["reason"]


def test_pinned_in_is_reported():
    table = explain([row("A", 50), row("B", 80)], [], {"A", "B"}, force_in=["A"])
    assert table.loc["A", "reason_code"] == "pinned_in"
    assert table.loc["B", "reason_code"] == "selected"


def test_unit_groups_are_labelled_with_the_unit_name():
    per_school = {"id": "per-school", "clause": "三(三)", "where": {"task": "practice_centre"}, "per": ["unit_id"], "max": 1}
    rows = [row("A", 90, unit_id="H1", unit_name="长春职业技术学院"), row("B", 80, unit_id="H1",
                                                                  unit_name="长春职业技术学院")]
    table = explain(rows, [per_school], {"A"})
    assert table.loc["B", "group"] == "H1（长春职业技术学院）"


def test_planned_rounds_fill_a_period_quota():
    # This round selects A (1 of 长春市's 2); the lookahead plans one more pick in 2024, so
    # 1 + 1 = 2/2 and C has no room. Without the plan, 长春市 would have room (C displaced).
    rows = [row("A", 90), row("C", 70)]
    plan = frame_of([row("P@2024", 85, year=2024)])
    plan["selected"] = True
    with_plan = explain(rows, [CAP], {"A"}, plan=plan, period=[2023, 2025])
    without = explain(rows, [CAP], {"A"}, period=[2023, 2025])
    c = with_plan.loc["C"]
    assert c["reason_code"] == "quota_full" and c["planned"] == 1 and c["lowest_planned"] == 85
    assert "后续年度规划" in c["reason"]
    assert without.loc["C", "reason_code"] == "displaced"


def test_plan_frame_reads_the_planned_rows_of_a_model():
    class Model:      # the two attributes plan_frame reads
        frame = frame_of([row("A", 90), row("A@2024", 90, year=2024)])
        planned = np.array([False, True])
    plan = plan_frame(Model, np.array([True, True]))
    assert list(plan["candidate_id"]) == ["A@2024"] and plan["selected"].tolist() == [True]
    Model.planned = np.array([False, False])
    assert plan_frame(Model, np.array([True, False])) is None


@pytest.mark.parametrize("code", CODES)
def test_every_reason_code_is_documented(code):
    text = (REPO / "docs" / "explanations.md").read_text(encoding="utf-8")
    assert f"`{code}`" in text


def test_sentences_shared_by_alike_rows_are_each_rows_own():
    """`_sentences` words each distinct set of figures once and puts each row's score in after:
    every row must read as the sentence made for it alone (`_sentence`, the oracle)."""
    from planner.explain import reasons as R

    rng = np.random.default_rng(7)
    n = 300
    codes = np.array(rng.choice(["quota_full", "target_reached", "displaced", "selected", "below_pass_mark",
                                 "other_year", "already_recognised", "selected_not_national"], n), dtype=object)
    rule_id = np.array(rng.choice(["r1", "r2"], n), dtype=object)
    group = np.array(rng.choice(["全省", "长春市", "A（甲）"], n), dtype=object)
    pick = lambda *v: rng.choice(np.array(v, float), n)   # noqa: E731
    figures = dict(limit=pick(3, 5, np.nan), value=pick(3, 5, 2.5), planned=pick(0, 1, np.nan),
                   lowest=pick(80, 81.5, np.nan), lowest_plan=pick(70, np.nan), score=pick(60, 80.5, -0.0, 0.0, np.nan, 99))
    slate = pd.DataFrame({"year": rng.choice([2022, 2023], n), "recognised_in": rng.choice([0, 2021], n)})
    scenario = parse_scenario({"name": "t", "year": 2023, "objective": {"pass_mark": 60},
                               "rule": [{"id": "r1", "clause": "三(一)", "text": "每校限报", "max": 1},
                                         {"id": "r2", "clause": "三(二)", "max": 2}]})
    got = R._sentences(slate, scenario, codes, rule_id, group, figures["limit"], figures["value"], figures["planned"],
                       figures["lowest"], figures["lowest_plan"], figures["score"])
    context = (scenario, {r.id: r for r in scenario.rules}, 60.0)
    years, recognised = slate["year"].to_numpy(), slate["recognised_in"].to_numpy(np.int64)
    want = [R._sentence(pos, context, codes, rule_id, group, figures["limit"], figures["value"], figures["planned"],
                        figures["lowest"], figures["lowest_plan"], figures["score"], years, recognised)
            for pos in range(n)]
    assert got == want and len(set(got)) > 50


def test_reasons_read_groups_through_an_index_of_the_slate_itself_only():
    from planner.rules import FrameIndex
    scenario = scenario_of([CAP])
    slate = frame_of([row("A", 90), row("B", 80), row("C", 70)])
    slate["selected"] = slate["candidate_id"].isin({"A", "B"}).to_numpy()
    slate["national"] = False
    audit = check_slate(slate, scenario)
    blocked = blocked_reason(slate, scenario)
    alone = reasons(slate, scenario, audit, blocked)
    assert alone.equals(reasons(slate, scenario, audit, blocked, index=FrameIndex(slate)))
    assert alone.set_index("candidate_id").loc["C", "reason_code"] == "quota_full"
    # An index of another frame (C filed in 吉林市 there) is not used: C's reason is still 长春市's full quota.
    moved = slate.assign(locality=["长春市", "长春市", "吉林市"])
    assert alone.equals(reasons(slate, scenario, audit, blocked, index=FrameIndex(moved)))
    # The same frame's index is: C alone in 吉林市 (room for 1) was displaced.
    table = reasons(moved, scenario, audit, blocked, index=FrameIndex(moved)).set_index("candidate_id")
    assert table.loc["C", "reason_code"] == "displaced"


def test_members_of_a_rules_groups_give_each_groups_lowest_chosen_score_and_label():
    from planner.explain.reasons import _Members
    from planner.rules import Group
    rule = scenario_of([{"id": "unit", "per": ["unit_id"], "max": 1}]).rules[0]
    slate = frame_of([row("A", 90), row("B", 80, unit_id="UA"), row("C", 70), row("D", 60)])
    groups = [Group(rule=rule, key="UA", rows=np.array([0, 1]), min=None, max=1.0),
              Group(rule=rule, key="UC", rows=np.array([2]), min=None, max=None),
              Group(rule=rule, key="UD", rows=np.array([3]), min=None, max=2.0)]
    m = _Members(groups)
    assert m.rows.tolist() == [0, 1, 2, 3] and m.group.tolist() == [0, 0, 1, 2]
    assert np.array_equal(m.max, [1.0, np.nan, 2.0], equal_nan=True)
    score = np.array([90.0, np.nan, 70.0, 60.0])
    # UA: A (90) and B (no score) chosen -> 90; UC: C not chosen -> NaN; UD: D chosen -> 60.
    assert np.array_equal(m.lowest(score, np.array([True, True, False, True])), [90.0, np.nan, 60.0], equal_nan=True)
    # A unit's label carries the name of the row it is read at (per row, or the group's first row).
    at, rows = np.array([0, 0, 2]), np.array([0, 1, 3])
    assert m.labels(slate, rule, at, rows, each_row=True) == ["UA（学校A）", "UA（学校B）", "UD（学校D）"]
    assert list(m.labels(slate, rule, at, rows, each_row=False)) == ["UA（学校A）", "UA（学校A）", "UD（学校D）"]


def test_first_seen_gives_where_each_code_of_a_factorization_first_appears():
    from planner.explain.reasons import _first_seen
    codes = pd.factorize(np.array(["b", "b", "a", "b", "c", "a", "d"], dtype=object))[0]     # 0 0 1 0 2 1 3
    assert _first_seen(codes).tolist() == [0, 2, 4, 6]
    assert _first_seen(np.zeros(0, np.int64)).tolist() == []
    assert _first_seen(np.zeros(3, np.int64)).tolist() == [0]
