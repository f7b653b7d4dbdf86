"""What-if sessions: each kind of change on hand-checked small rounds, in place or rebuilt.

Every expected slate below is worked out by hand from the rule text (the scores are chosen so
that the best slate is obvious); the session must also agree with a fresh `planner.solve` of
the same changed scenario, and never change a result it handed out earlier.
"""
from __future__ import annotations

import numpy as np
import pytest
from conftest import JILIN, frame_of, row, scenario_of, write_csv

from planner import api
from planner.api import Session, for_year, with_default_scope, without_units
from planner.errors import InfeasibleError, InputError, PolicyError
from planner.rules import load_scenario

CAP = {"id": "cap", "clause": "三(三)", "where": {"task": "practice_centre"}, "per": ["locality"],
       "max": {"长春市": 2, "*": 1}}


def chosen(result) -> list[str]:
    return sorted(result.slate.loc[result.slate["selected"] == 1, "candidate_id"])


def cap_round():
    """长春市 a1–a4 (90, 80, 70, 60), 吉林市 b1–b2 (85, 75); cap 长春 2, others 1."""
    rows = [row("a1", score=90), row("a2", score=80), row("a3", score=70), row("a4", score=60),
            row("b1", locality="吉林市", score=85), row("b2", locality="吉林市", score=75)]
    return scenario_of({"rule": [CAP]}), frame_of(rows)


# --- bound changes, in place ---------------------------------------------------------------------

def test_base_round_takes_the_best_within_each_cap():
    scenario, frame = cap_round()
    result = Session(scenario, candidates=frame).solve()
    assert chosen(result) == ["a1", "a2", "b1"]
    assert result.summary["total_score"] == pytest.approx(255)
    assert result.summary["whatif"]["mode"] == "cold"


@pytest.mark.parametrize("value, group, expected", [
    (3, "长春市", ["a1", "a2", "a3", "b1"]),       # one more 长春 place: a3 (70) enters
    (0, "长春市", ["b1"]),                          # no 长春 place at all
    (2, "*", ["a1", "a2", "b1", "b2"]),             # the other localities' cap 1 → 2: b2 enters
])
def test_changed_cap_is_edited_in_place_and_matches_a_fresh_solve(value, group, expected):
    scenario, frame = cap_round()
    session = Session(scenario, candidates=frame)
    session.solve()
    changed = scenario.with_bound("cap", "max", value, group=group)
    result = session.solve(changed)
    assert chosen(result) == expected
    assert result.summary["whatif"]["mode"] == "bounds"
    assert result.summary["whatif"]["edited"] == 1
    assert chosen(api.solve(changed, candidates=frame)) == expected
    assert result.audit.ok


def test_a_chain_of_changes_each_reads_from_the_base_not_from_the_last_change():
    scenario, frame = cap_round()
    session = Session(scenario, candidates=frame)
    session.solve()
    session.solve(scenario.with_bound("cap", "max", 4, group="长春市"))
    # The second change starts from the base again: 长春 back to 2, the rest to 2.
    result = session.solve(scenario.with_bound("cap", "max", 2, group="*"))
    assert chosen(result) == ["a1", "a2", "b1", "b2"]
    assert result.summary["whatif"]["edited"] == 2          # 长春 4 → 2, 吉林 1 → 2


def test_earlier_results_never_change():
    scenario, frame = cap_round()
    session = Session(scenario, candidates=frame)
    base = session.solve()
    slate = base.slate.copy()
    proto_before = str(base.model.cp.proto)
    session.solve(scenario.with_bound("cap", "max", 0, group="长春市"))
    session.solve(scenario.with_bound("cap", "max", 5, group="*"))
    assert base.slate.equals(slate)
    assert str(base.model.cp.proto) == proto_before
    assert base.scenario.rule("cap").max.for_group("长春市") == 2


def test_the_same_scenario_again_hands_back_the_same_result():
    scenario, frame = cap_round()
    session = Session(scenario, candidates=frame)
    base = session.solve()
    session.solve(scenario.with_bound("cap", "max", 3, group="长春市"))
    assert session.solve() is base
    assert list(session.log["mode"]) == ["cold", "bounds", "again"]


def min_round():
    """Total cap 2 over a1 (90), a2 (80) in 长春 and b1 (70), b2 (65) in 吉林; 吉林 needs ≥ 1."""
    rows = [row("a1", score=90), row("a2", score=80),
            row("b1", locality="吉林市", score=70), row("b2", locality="吉林市", score=65)]
    rules = [{"id": "total", "where": {"task": "practice_centre"}, "max": 2},
             {"id": "jl-min", "where": {"locality": "吉林市"}, "min": 1}]
    return scenario_of({"rule": rules}), frame_of(rows)


def test_a_raised_minimum_in_place_and_recovery_after_an_infeasible_change():
    scenario, frame = min_round()
    session = Session(scenario, candidates=frame)
    assert chosen(session.solve()) == ["a1", "b1"]                     # 90 + 70
    two = session.solve(scenario.with_bound("jl-min", "min", 2))
    assert chosen(two) == ["b1", "b2"] and two.summary["whatif"]["mode"] == "bounds"
    with pytest.raises(InfeasibleError):
        session.solve(scenario.with_bound("jl-min", "min", 3))        # only two 吉林 candidates
    after = session.solve(scenario.with_bound("total", "max", 3))     # jl-min back to 1, cap 3
    assert chosen(after) == ["a1", "a2", "b1"]
    assert after.summary["whatif"]["mode"] == "bounds"


def test_a_bound_that_appears_rebuilds_the_model():
    scenario, frame = cap_round()
    session = Session(scenario, candidates=frame)
    session.solve()
    result = session.solve(scenario.with_bound("cap", "min", 1, group="吉林市"))
    assert chosen(result) == ["a1", "a2", "b1"]                       # 吉林 had its one already
    assert result.summary["whatif"]["mode"] == "rebuild"
    assert "出现或消失" in result.summary["whatif"]["rebuilt_because"]


def soft_round():
    """Four candidates (90, 80, 70, 60), hard cap 2, soft target ≥ 3 at 10 points per missing unit."""
    rows = [row(f"s{i}", score=s) for i, s in enumerate((90, 80, 70, 60), start=1)]
    rules = [{"id": "total", "where": {"task": "practice_centre"}, "max": 2},
             {"id": "target", "where": {"task": "practice_centre"}, "min": 3, "soft": {"weight": 10}}]
    return scenario_of({"rule": rules}), frame_of(rows)


def test_a_changed_soft_target_rebuilds_and_is_penalised_per_missing_unit():
    scenario, frame = soft_round()
    session = Session(scenario, candidates=frame)
    base = session.solve()
    assert chosen(base) == ["s1", "s2"] and base.summary["penalty"] == pytest.approx(10)   # 1 short × 10
    lower = session.solve(scenario.with_bound("target", "min", 2))
    assert lower.summary["penalty"] == 0 and lower.summary["objective"] == pytest.approx(170)
    five = session.solve(scenario.with_bound("target", "min", 5))
    assert five.summary["penalty"] == pytest.approx(30) and chosen(five) == ["s1", "s2"]      # 3 short
    assert [r.summary["whatif"]["mode"] for r in (lower, five)] == ["rebuild", "rebuild"]
    assert "软界限" in five.summary["whatif"]["rebuilt_because"]


# --- structural changes: rebuilt ----------------------------------------------------------------

def test_folding_meihekou_into_tonghua_shares_one_cap():
    rows = [row("t1", locality="通化市", score=90), row("t2", locality="通化市", score=70),
            row("m1", locality="梅河口市", score=85), row("m2", locality="梅河口市", score=60)]
    scenario = scenario_of({"rule": [{"id": "cap", "where": {"task": "practice_centre"}, "per": ["locality"],
                                      "max": 1}]})
    session = Session(scenario, candidates=frame_of(rows))
    assert chosen(session.solve()) == ["m1", "t1"]
    folded = session.solve(scenario.folded("梅河口市", "通化市"))
    assert chosen(folded) == ["t1"]                                    # one place for 通化 + 梅河口
    assert folded.summary["whatif"]["mode"] == "rebuild"
    assert list(folded.slate["locality"]) == ["通化市", "通化市", "梅河口市", "梅河口市"]   # as filed


def test_pinning_out_rebuilds_and_the_next_best_enters():
    scenario, frame = cap_round()
    session = Session(scenario, candidates=frame)
    session.solve()
    result = session.solve(scenario.pinned(force_out=["a1"]))
    assert chosen(result) == ["a2", "a3", "b1"]
    assert result.summary["whatif"]["mode"] == "rebuild"


def test_without_units_drops_a_schools_filings_by_name_or_id():
    rows = [row("a1", unit_id="S1", unit_name="长春市第一中专", score=90),
            row("a2", unit_id="S1", unit_name="长春市第一中专", score=80),
            row("a3", unit_id="S2", unit_name="长春市第二中专", score=70),
            row("b1", unit_id="S3", unit_name="吉林市中专", locality="吉林市", score=85)]
    frame = frame_of(rows)
    assert list(without_units(frame, "长春市第一中专")["candidate_id"]) == ["a3", "b1"]
    assert list(without_units(frame, "S1", "S3")["candidate_id"]) == ["a3"]
    assert len(frame) == 4                                              # the input is left alone
    with pytest.raises(InputError, match="长春市第一中专"):                # did you mean …
        without_units(frame, "长春市第一中")
    scenario = scenario_of({"rule": [CAP]})
    session = Session(scenario, candidates=frame)
    assert chosen(session.solve()) == ["a1", "a2", "b1"]
    dropped = session.solve(candidates=without_units(session.candidates, "S1"))
    assert chosen(dropped) == ["a3", "b1"]
    assert dropped.summary["whatif"]["mode"] == "rebuild"


def test_period_or_year_reading_of_the_quotas(tmp_path):
    # 2024 round; in 2023 长春 got one place (h1). Cap 2 per locality.
    history = write_csv(tmp_path / "slate_2023.csv", [
        {**row("h1", year=2023, score=88), "selected": True, "national": False},
        {**row("h2", year=2023, score=50), "selected": False, "national": False},
    ], extra=("selected", "national"))
    rules = [{"id": "cap", "where": {"task": "practice_centre"}, "per": ["locality"], "max": 2},
             {"id": "explicit", "where": {"task": "practice_centre"}, "scope": "period", "max": 10}]
    scenario = scenario_of({"year": 2024, "period": [2023, 2025], "history": [str(history)],
                            "defaults": {"scope": "period"}, "rule": rules})
    frame = frame_of([row("x1", year=2024, score=90), row("x2", year=2024, score=80)])
    session = Session(scenario, candidates=frame)
    assert chosen(session.solve()) == ["x1"]                # period: 1 used in 2023 + 1 now = 2
    per_year = with_default_scope(scenario, "year")
    assert per_year.rule("cap").scope == "year" and per_year.rule("explicit").scope == "period"
    assert per_year.raw["defaults"]["scope"] == "year"
    result = session.solve(per_year)
    assert chosen(result) == ["x1", "x2"]                   # year: 2 this year, whatever 2023 used
    assert result.summary["whatif"]["mode"] == "rebuild"
    assert scenario.rule("cap").scope == "period"           # the original is unchanged
    with pytest.raises(PolicyError, match="period"):
        with_default_scope(scenario, "yearly")


def test_for_year_keeps_the_rules_and_drops_the_pins(tmp_path):
    scenario = scenario_of({"period": [2023, 2025], "force_in": ["a1"], "rule": [CAP]})
    later = for_year(scenario, 2024, candidates=tmp_path / "c.csv", history=[tmp_path / "s.csv"])
    assert (later.year, later.force_in, later.rules) == (2024, (), scenario.rules)
    assert later.candidates == tmp_path / "c.csv" and later.history == (tmp_path / "s.csv",)
    with pytest.raises(PolicyError, match="2023–2025"):
        for_year(scenario, 2026)


# --- with a lookahead: in place must equal a fresh build ------------------------------------------

def lookahead_round():
    rows = [row(f"p{i}", score=s, locality=loc) for i, (s, loc) in
            enumerate([(90, "长春市"), (85, "长春市"), (80, "吉林市"), (75, "吉林市"), (70, "四平市")], start=1)]
    # Over 2023–2025 (this year + two planned copies): 长春 ≤ 3, others ≤ 2 — at most 7 in all.
    rules = [{"id": "cap", "where": {"task": "practice_centre"}, "per": ["locality"], "max": {"长春市": 3, "*": 2}},
             {"id": "target", "where": {"task": "practice_centre"}, "by": 2025, "min": 6},
             {"id": "pace", "where": {"task": "practice_centre"}, "scope": "year", "min": 2, "soft": {"weight": 5}}]
    data = {"period": [2023, 2025], "plan": {"forecast": "repeat", "future_weight": 1.0}, "rule": rules}
    return scenario_of(data), frame_of(rows)


@pytest.mark.parametrize("rule_id, bound, value, group", [
    ("cap", "max", 2, "长春市"), ("cap", "max", 3, "*"), ("target", "min", 7, "*"),
])
def test_in_place_equals_a_fresh_build_with_a_lookahead(rule_id, bound, value, group):
    scenario, frame = lookahead_round()
    if not scenario.planned_years:
        pytest.fail("the scenario should plan 2024 and 2025 ahead")
    session = Session(scenario, candidates=frame)
    session.solve()
    changed = scenario.with_bound(rule_id, bound, value, group=group)
    result = session.solve(changed)
    fresh = api.solve(changed, candidates=frame)
    assert result.summary["whatif"]["mode"] == "bounds"
    assert chosen(result) == chosen(fresh)
    assert result.summary["objective"] == pytest.approx(fresh.summary["objective"])


# --- the bundled round --------------------------------------------------------------------------

@pytest.mark.slow
def test_bundled_round_changed_caps_in_place_equal_fresh_solves():
    scenario = load_scenario(JILIN).with_plan(forecast="none")
    session = Session(scenario)
    session.solve()
    for rule_id, value, group in (("pc-school-locality", 20, "长春市"), ("rl-locality", 1, "*")):
        changed = scenario.with_bound(rule_id, "max", value, group=group)
        result = session.solve(changed)
        fresh = api.solve(changed)
        assert result.summary["whatif"]["mode"] == "bounds"
        assert np.array_equal(result.slate["selected"].to_numpy(), fresh.slate["selected"].to_numpy())
        assert np.array_equal(result.slate["national"].to_numpy(), fresh.slate["national"].to_numpy())


# --- every what-if carries its edits ------------------------------------------------------------

def test_a_session_result_records_the_edits_and_an_equal_scenario_with_other_edits_is_its_own():
    scenario, frame = cap_round()
    session = Session(scenario, candidates=frame)
    session.solve()
    a = session.solve(scenario.with_bound("cap", "max", 3, group="长春市", note="多一个"))
    assert a.summary["whatif"]["mode"] == "bounds"            # edits never force a rebuild
    assert [(e["what"], e["group"], e["old"], e["new"], e["note"]) for e in a.summary["edits"]] == \
        [("bound", "长春市", 2, 3, "多一个")]
    # the same rules reached another way: the same slate, but its own edits in its summary
    b = session.solve(scenario.with_bound("cap", "max", 4, group="长春市").with_bound("cap", "max", 3, group="长春市"))
    assert chosen(b) == chosen(a) == ["a1", "a2", "a3", "b1"]
    assert [e["new"] for e in b.summary["edits"]] == [4, 3]
    assert session.solve().summary["edits"] == []


def test_with_default_scope_for_year_and_without_units_record_their_edits(tmp_path):
    scenario = scenario_of({"period": [2023, 2025], "force_in": ["a1"], "rule": [CAP]})
    scoped = with_default_scope(scenario, "year", note="按年")
    assert [(e.what, e.old, e.new, e.note) for e in scoped.edits] == [("scope", "period", "year", "按年")]
    later = for_year(scoped, 2024, candidates=tmp_path / "t.csv", name="2024年")
    assert [e.what for e in later.edits] == ["scope", "year", "name", "force_in", "candidates"]
    assert later.force_in == () and later.year == 2024
    _, frame = cap_round()
    table = without_units(frame, frame["unit_id"].iloc[0], note="撤回")
    assert [(e.what, e.new, e.note) for e in table.attrs["edits"]] == [("units", [frame["unit_id"].iloc[0]], "撤回")]


def test_compare_and_the_briefing_show_the_edits(tmp_path):
    from planner.show.briefing import whatif_lines
    scenario, frame = cap_round()
    session = Session(scenario, candidates=frame)
    base = session.solve()
    more = session.solve(scenario.with_bound("cap", "max", 3, group="长春市", note="会议"))
    comparison = api.compare(base, more)
    assert comparison.edits == ((), ("规则「cap」（三(三)）长春市 上限 2 → 3（会议）",))
    assert "情景推演" in comparison._repr_html_()
    assert whatif_lines(more.summary) == ["情景推演：规则「cap」（三(三)）长春市 上限 2 → 3（会议）"]
    assert whatif_lines(base.summary) == []


def test_a_what_ifs_briefing_carries_the_mark_in_its_title_block(tmp_path):
    from conftest import write_case

    from planner.show.briefing import write_briefing
    rows = [row("a1", score=90), row("a2", score=80), row("b1", locality="吉林市", score=85)]
    path = write_case(tmp_path / "case", rows, {"rule": [CAP]})
    for name, scenario in (("base", load_scenario(path)),
                           ("whatif", load_scenario(path).with_bound("cap", "max", 1, group="长春市", note="会议"))):
        result = api.solve(scenario, workers=1)
        api.save(result, tmp_path / name)
        write_briefing(tmp_path / name, result=result)
    page = (tmp_path / "whatif" / "briefing.html").read_text("utf-8")
    header = page[page.index("<header>"):page.index("</header>")]
    assert "情景推演：规则「cap」（三(三)）长春市 上限 2 → 1（会议）" in header
    assert "情景推演" not in (tmp_path / "base" / "briefing.html").read_text("utf-8")


# --- warm re-solves: only what a change reaches, the answer of a cold solve ------------------------

def same_result(warm, cold):
    """Everything a person reads of a result: the objective, the slate (the exact tie-break's),
    the audit, the explanations and the ledger."""
    assert warm.summary["objective"] == pytest.approx(cold.summary["objective"], abs=1e-9)
    assert warm.summary["status"] == cold.summary["status"] == "OPTIMAL"
    assert warm.slate.equals(cold.slate)                   # selected, national and the reason of every row
    assert warm.rules.equals(cold.rules)
    assert warm.audit.rows.equals(cold.audit.rows) and warm.audit.filings.equals(cold.audit.filings)
    assert warm.explanations.equals(cold.explanations)
    assert (warm.ledger is None and cold.ledger is None) or warm.ledger.equals(cold.ledger)


def two_cities_round():
    """Two localities that share no rule (two components of the model): 长春 a1–a3 under cap 1,
    吉林 b1–b3 under cap 2 with a minimum of 1; each city's rule counts only its own rows."""
    rows = [row("a1", score=90), row("a2", score=80), row("a3", score=70),
            row("b1", locality="吉林市", score=85), row("b2", locality="吉林市", score=75),
            row("b3", locality="吉林市", score=65)]
    rules = [{"id": "cc", "where": {"locality": "长春市"}, "max": 1},
             {"id": "jl", "where": {"locality": "吉林市"}, "max": 2},
             {"id": "jl-min", "where": {"locality": "吉林市"}, "min": 1}]
    return scenario_of({"rule": rules}), frame_of(rows)


def test_a_warm_resolve_keeps_the_untouched_city_and_equals_cold_solves_through_an_infeasible_edit():
    scenario, frame = two_cities_round()
    session = Session(scenario, candidates=frame)
    assert chosen(session.solve()) == ["a1", "b1", "b2"]
    steps = [
        (scenario.with_bound("cc", "max", 2), ["a1", "a2", "b1", "b2"]),        # 长春 +1: a2 (80) enters
        (scenario.with_bound("jl", "max", 1), ["a1", "b1"]),                    # 吉林 −1 (长春 back to 1)
        (scenario.with_bound("jl-min", "min", 4), None),                        # 4 of 3 吉林 rows: infeasible
        (scenario.with_bound("jl-min", "min", 2), ["a1", "b1", "b2"]),          # relaxed back
        (scenario.with_bound("jl", "max", 3).with_bound("jl-min", "min", 3), ["a1", "b1", "b2", "b3"]),
    ]
    for changed, expected in steps:
        if expected is None:
            with pytest.raises(InfeasibleError):
                session.solve(changed)
            with pytest.raises(InfeasibleError):
                api.solve(changed, candidates=frame)
            continue
        warm = session.solve(changed)
        assert warm.summary["whatif"]["mode"] == "bounds"
        assert chosen(warm) == expected
        same_result(warm, api.solve(changed, candidates=frame))
    # Each change reached one city: the other city's component kept its slate.
    kept = [p.get("kept_components", 0) for p in session.last.summary["phases"]]
    assert kept[0] == 1


def test_a_what_if_back_at_earlier_bounds_takes_that_solves_slate():
    scenario, frame = two_cities_round()
    session = Session(scenario, candidates=frame)
    session.solve()
    session.solve(scenario.with_bound("cc", "max", 2))
    # Back to the base: both cities are as they were in the first solve, nothing to solve again.
    session.forget_results()
    back = session.solve(scenario)
    assert back.summary["phases"][0]["kept_components"] == 2
    assert chosen(back) == ["a1", "b1", "b2"]
    assert back.summary["whatif"]["checked"]["whole"] == 0


@pytest.mark.slow
def test_bundled_round_warm_sequence_equals_cold_solves_through_an_infeasible_edit_and_back():
    base = load_scenario(JILIN)
    session = Session(base)
    session.solve()
    scenario = base
    for rule_id, bound, value, group, feasible in (
            ("pc-school-locality", "max", 17, "长春市", True),          # a cap +2
            ("rl-locality", "max", 3, "*", True),                      # every other city's cap +1
            ("pc-public-locality-min", "min", 40, "长春市", False),     # past what its candidates allow
            ("pc-public-locality-min", "min", 4, "长春市", True),       # relaxed back
            ("pc-school-locality", "max", 14, "长春市", True)):         # and a cap −1
        scenario = scenario.with_bound(rule_id, bound, value, group=group)
        if not feasible:
            with pytest.raises(InfeasibleError):
                session.solve(scenario)
            with pytest.raises(InfeasibleError):
                api.solve(scenario)
            continue
        warm = session.solve(scenario)
        assert warm.summary["whatif"]["mode"] == "bounds"
        assert warm.summary["phases"][0]["kept_components"] > 0
        assert warm.summary["whatif"]["checked"]["whole"] == 0
        same_result(warm, api.solve(scenario))


def test_changing_a_result_a_user_holds_never_changes_the_next_what_if():
    scenario, frame = cap_round()
    session = Session(scenario, candidates=frame)
    base = session.solve()
    base.slate["selected"] = 0                        # a planner edits the tables in a notebook
    base.explanations["reason"] = "edited"
    base.rules["value"] = -1.0
    changed = scenario.with_bound("cap", "max", 3, group="长春市")
    warm = session.solve(changed)
    assert warm.summary["whatif"]["checked"]["whole"] == 0
    same_result(warm, api.solve(changed, candidates=frame))
