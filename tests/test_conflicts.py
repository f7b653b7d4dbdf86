"""Tests of planner.conflicts: minimal conflicting rule sets, their figures, relaxation advice.

The infeasible scenarios in tests/fixtures/infeasible/<name>/ each state in expected.toml the
conflicting rule ids (and groups, and figure) worked out by hand in its comments. Relaxation
advice is checked by applying it and solving again.
"""
from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from planner import api
from planner.errors import InfeasibleError
from planner.lang import speaking
from planner.explain import CONFLICT_COLUMNS, diagnose_infeasible, infeasible_error, relaxations
from planner.rules import load_scenario, read_candidates, read_history, rule_to_toml
from planner.rules.prepare import prepare

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
CASES = sorted(p for p in (TESTS / "fixtures" / "infeasible").iterdir() if p.is_dir())


def prepared(scenario):
    frame = read_candidates(scenario, None)
    return prepare(frame, scenario, read_history(scenario))


def diagnose(scenario, **kwargs):
    p = prepared(scenario)
    return diagnose_infeasible(p.frame, scenario, locked=p.locked, locked_national=p.locked_national,
                               history_rows=p.history_rows, **kwargs)


def expected(case: Path) -> dict:
    return tomllib.loads((case / "expected.toml").read_text(encoding="utf-8"))


def apply(scenario, alternative):
    """The scenario with one relaxation alternative applied (bounds changed, pins dropped)."""
    for change in alternative:
        if change.bound == "pin":
            scenario = dataclasses.replace(scenario, force_in=tuple(c for c in scenario.force_in if c != change.group))
        else:
            group = "*" if change.group == "全省" else change.group
            scenario = scenario.with_bound(change.rule_id, change.bound, change.new, group=group)
    return scenario


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fixture_is_infeasible_and_its_minimal_conflict_is_named(case):
    scenario = load_scenario(case / "scenario.toml")
    want = expected(case)
    with pytest.raises(InfeasibleError):
        api.solve(scenario)
    diagnosis = diagnose(scenario, max_alternatives=2)
    assert diagnosis.status == "infeasible" and diagnosis.minimal
    assert sorted(diagnosis.rule_ids) == sorted(want["rule_ids"])
    assert list(diagnosis.conflicts.columns) == CONFLICT_COLUMNS
    if "groups" in want:
        assert sorted(diagnosis.conflicts["group"]) == sorted(want["groups"])
    if "figure" in want:
        figures = diagnosis.conflicts["figure"].dropna()
        assert list(figures) == [want["figure"]]
    for rule_id in want["rule_ids"]:
        assert any(rule_id in line for line in diagnosis.lines)
    # Every alternative of the advice makes the scenario feasible.
    assert diagnosis.relaxations
    for alternative in diagnosis.relaxations:
        api.solve(apply(scenario, alternative), workers=1)


def test_relaxation_is_the_cheapest_and_follows_the_rule_costs():
    case = TESTS / "fixtures" / "infeasible" / "target-beyond-quotas"
    scenario = load_scenario(case / "scenario.toml")
    p = prepared(scenario)
    # By hand: 6 can be selected, 8 are required: lower the target by 2, or raise 长春's cap 3 → 5
    # (5 candidates there) or 吉林's 2 → 4 (4 there); raising 四平's 1 → 2 gains only 1.
    cheap = relaxations(p.frame, scenario, max_alternatives=3)
    assert [sum(c.cost for c in alt) for alt in cheap] == [2, 2, 2]
    changes = {(c.rule_id, c.group, c.bound, c.old, c.new) for alt in cheap for c in alt}
    assert changes == {("pc-target", "全省", "min", 8, 6), ("pc-locality", "长春市", "max", 3, 5),
                       ("pc-locality", "吉林市", "max", 2, 4)}
    # A costly target (10 per unit) is relaxed last: the caps come first.
    costly = scenario.with_rule({**rule_to_toml(scenario.rule("pc-target")), "cost": 10})
    first = relaxations(p.frame, costly, max_alternatives=1)[0]
    assert [c.rule_id for c in first] == ["pc-locality"] and sum(c.cost for c in first) == 2


def test_a_feasible_scenario_has_no_conflict():
    case = TESTS / "fixtures" / "infeasible" / "pins-over-cap"
    scenario = dataclasses.replace(load_scenario(case / "scenario.toml"), force_in=("P1", "P2"))
    diagnosis = diagnose(scenario)
    assert diagnosis.status == "feasible" and diagnosis.conflicts.empty


def test_infeasible_error_carries_the_diagnosis():
    case = TESTS / "fixtures" / "infeasible" / "pins-over-cap"
    scenario = load_scenario(case / "scenario.toml")
    p = prepared(scenario)
    error = infeasible_error(p.frame, scenario, locked=p.locked, locked_national=p.locked_national)
    assert isinstance(error, InfeasibleError)
    assert set(error.conflicts["rule_id"]) == {"cap", "force_in"}
    # The rule by its clause and words, its id in brackets; the pins by what they are.
    assert error.advice and "三(三)“长春市不超过2个”[cap]" in str(error) and "固定入选" in str(error)
    assert error.diagnosis.lines[-1].startswith("或者：")


def _school_over_its_cap():
    """The bundled 2023 round with one 国家“双高计划” school's cap set to 0 and one of its centres pinned in."""
    scenario = load_scenario(REPO / "scenarios" / "jilin-2023.toml")
    scenario = dataclasses.replace(scenario, plan=dataclasses.replace(scenario.plan, forecast="none"))
    frame = read_candidates(scenario, None)
    rows = frame[(frame["task"] == "practice_centre") & (frame["track"] == "school")
                 & (frame["tier"] == "national_double_high") & frame["eligible"]]
    unit, name, pinned = rows["unit_id"].iat[0], rows["unit_name"].iat[0], rows["candidate_id"].iat[0]
    scenario = scenario.with_bound("pc-school-national-dh", "max", 0, group=unit)
    scenario = dataclasses.replace(scenario, force_in=(pinned,))
    return scenario, unit, name, pinned


def test_an_infeasible_round_is_told_in_chinese_with_the_clause_and_the_school_by_name():
    scenario, unit, name, pinned = _school_over_its_cap()
    p = prepared(scenario)
    error = infeasible_error(p.frame, scenario, locked=p.locked, locked_national=p.locked_national,
                             history_rows=p.history_rows)
    rule = scenario.rule("pc-school-national-dh")
    words = f"{rule.clause}“{rule.text}”[pc-school-national-dh]"     # the rule as the scenario file words it
    assert str(error).startswith("没有任何名单能满足情景的全部硬性规则：") and words in str(error)
    text = "\n".join(error.diagnosis.lines)
    # The school by the name its table gives (the code only in brackets), the cap of 0, the one pin.
    assert f"{words}允许{name}（{unit}）至多 0" in text
    assert f"对 \"{pinned}\" 的固定入选要求至少 1" in text
    assert f"放宽：取消对“{pinned}”的固定入选（force_in）（代价 1）" in text
    assert f"或者：把{words}在{name}（{unit}）的上限从 0 提高到 1（代价 1）" in text
    assert not re.search(r"[A-Za-z]+ [a-z]+ [a-z]+", text.replace(rule.text, "")), text


def test_the_same_diagnosis_in_english_on_request():
    scenario, unit, name, pinned = _school_over_its_cap()
    p = prepared(scenario)
    with speaking("en"):
        error = infeasible_error(p.frame, scenario, locked=p.locked, locked_national=p.locked_national,
                                 history_rows=p.history_rows)
    assert str(error).startswith("no slate satisfies every hard rule of the scenario: ")
    text = "\n".join(error.diagnosis.lines)
    assert f"allows at most 0 in {name} ({unit}), but the pin on \"{pinned}\" requires at least 1" in text
    assert f"raise the maximum of rule 三(三) “国家“双高计划”学校推荐不超过6个” [pc-school-national-dh] for {name} ({unit}) from 0 to 1" in text


def test_jilin_school_target_of_1000_by_2023_names_the_target_and_the_quotas():
    scenario = load_scenario(REPO / "scenarios" / "jilin-2023.toml")
    scenario = scenario.with_rule({**rule_to_toml(scenario.rule("pc-school-target")), "min": 1000, "by": 2023})
    # Each round on its own keeps this test fast; the lookahead only adds planned rounds.
    scenario = dataclasses.replace(scenario, plan=dataclasses.replace(scenario.plan, forecast="none"))
    p = prepared(scenario)
    frame = p.frame
    # Independently: school-track practice centres that can be selected this year at all.
    selectable = ((frame["task"] == "practice_centre") & (frame["track"] == "school") & frame["eligible"]
                  & (frame["year"] == 2023) & (frame["score"] >= scenario.pass_mark)).sum()
    diagnosis = diagnose_infeasible(frame, scenario, locked=p.locked, locked_national=p.locked_national,
                                    relax=False)
    assert diagnosis.rule_ids == ["pc-school-target"]
    assert diagnosis.conflicts["figure"].iat[0] == selectable
    # The pool alone is too small, and the 三(三) quotas bind below it: both are named.
    assert {"pc-school-locality", "pc-school-other-higher"} <= set(diagnosis.limiting["rule_id"])
    assert "pc-school-locality" in diagnosis.lines[0]


def run_cli(*args, timeout=180):
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "planner.cli", *map(str, args)], cwd=REPO, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=timeout)


def test_planner_solve_exits_3_and_names_the_conflicting_rules(tmp_path):
    for case in CASES:
        done = run_cli("solve", case / "scenario.toml", "--out", tmp_path / case.name)
        assert done.returncode == 3, (case.name, done.stderr)
        for rule_id in expected(case)["rule_ids"]:
            assert rule_id in done.stderr, (case.name, rule_id, done.stderr)
        assert not (tmp_path / case.name).exists()


@pytest.mark.parametrize("name", ["target-beyond-quotas", "history-spent-quota"])
def test_planner_explain_on_an_infeasible_scenario_exits_3_with_conflict_and_advice(name):
    case = TESTS / "fixtures" / "infeasible" / name
    done = run_cli("explain", case / "scenario.toml", "--alternatives", "1")
    assert done.returncode == 3
    for rule_id in expected(case)["rule_ids"]:
        assert rule_id in done.stderr
    assert "放宽：" in done.stderr and "Traceback" not in done.stderr


def test_planner_solve_prints_the_diagnosis_in_chinese_and_in_english_with_lang_en(tmp_path):
    case = TESTS / "fixtures" / "infeasible" / "target-beyond-quotas"
    done = run_cli("solve", case / "scenario.toml", "--out", tmp_path / "zh")
    assert done.returncode == 3, done.stderr
    # The rules as the scenario file words them (clause, text, id); 全省 and the localities by name.
    assert "三(三)“全省不少于8个学校实践中心”[pc-target]要求全省至少 8" in done.stderr
    assert "放宽：把三(三)“全省不少于8个学校实践中心”[pc-target]的下限从 8 降到 6（代价 2）" in done.stderr
    assert "在长春市的上限从 3 提高到 5（代价 2）" in done.stderr
    assert "relax:" not in done.stderr and "requires at least" not in done.stderr
    done = run_cli("solve", case / "scenario.toml", "--out", tmp_path / "en", "--lang", "en")
    assert done.returncode == 3, done.stderr
    assert "requires at least 8 in the whole province" in done.stderr
    assert "relax: lower the minimum of rule 三(三) “全省不少于8个学校实践中心” [pc-target] from 8 to 6 (cost 2)" in done.stderr
    assert not (tmp_path / "zh").exists() and not (tmp_path / "en").exists()


def test_a_solvers_plain_infeasibility_is_said_in_the_language_asked_for():
    # Before any diagnosis (Session.solve, planner.solve(diagnose=False)) the solver's sentence.
    assert str(InfeasibleError()) == "没有任何名单能满足情景的全部硬性规则"
    with speaking("en"):
        assert str(InfeasibleError()) == "no slate satisfies every hard rule of the scenario"
    assert str(InfeasibleError("another reason")) == "another reason"


@pytest.mark.slow
def test_an_infeasible_whatif_is_diagnosed_on_what_it_reaches_as_on_the_whole_round():
    """长春市's minimum of public practice centres raised past its candidates, in a what-if session:
    the session diagnoses it on the components the change reaches, with assumption literals on
    its kept model. The conflict, its figures and the advice must be those of the whole round's
    diagnosis (built from scratch), and real: the advice's bound is feasible, one more is not."""
    from planner.api import Session

    base = load_scenario(REPO / "scenarios" / "jilin-2023.toml")     # the lookahead: a target by 2025
    session = Session(base)
    session.solve()
    changed = base.with_bound("pc-public-locality-min", "min", 40, group="长春市")
    with pytest.raises(InfeasibleError) as caught:
        session.solve(changed)
    mine = caught.value.diagnosis
    whole = diagnose(changed)
    assert mine.status == whole.status == "infeasible" and mine.minimal
    assert mine.rule_ids == whole.rule_ids == ["pc-public-locality-min"]
    columns = ["rule_id", "group", "bound", "limit", "figure"]
    assert mine.conflicts[columns].equals(whole.conflicts[columns])
    assert [sorted(map(str, alt)) for alt in mine.relaxations] == [sorted(map(str, alt)) for alt in whole.relaxations]
    # Independently of both: the relaxed minimum is the most 长春市 can reach under every rule.
    (change,) = mine.relaxations[0]
    assert (change.rule_id, change.group, change.bound) == ("pc-public-locality-min", "长春市", "min")
    session.solve(base.with_bound("pc-public-locality-min", "min", change.new, group="长春市"))
    with pytest.raises(InfeasibleError):
        session.solve(base.with_bound("pc-public-locality-min", "min", change.new + 1, group="长春市"))
    # The session goes on after the infeasible changes.
    assert session.solve(base).summary["status"] == "OPTIMAL"


def test_two_independent_conflicts_get_advice_that_fixes_both():
    """长春市 needs 3 of its 2 candidates and 吉林市 2 of its 1, by rules that share no candidate:
    the conflict names one of them, but the advice must lower both minimums (by 1 each, cost 2)."""
    from conftest import frame_of, row, scenario_of

    rows = [row("a1", score=90), row("a2", score=80), row("b1", locality="吉林市", score=70),
            row("c1", locality="四平市", score=60)]
    rules = [{"id": "cc-min", "clause": "三(三)", "where": {"locality": "长春市"}, "min": 3},
             {"id": "jl-min", "clause": "三(三)", "where": {"locality": "吉林市"}, "min": 2},
             {"id": "sp-cap", "clause": "三(三)", "where": {"locality": "四平市"}, "max": 1}]
    scenario = scenario_of({"rule": rules})
    p = prepare(frame_of(rows), scenario, None)
    diagnosis = diagnose_infeasible(p.frame, scenario, locked=p.locked, locked_national=p.locked_national,
                                    max_alternatives=1)
    assert diagnosis.status == "infeasible" and len(diagnosis.rule_ids) == 1
    (advice,) = diagnosis.relaxations
    assert sorted((c.rule_id, c.old, c.new) for c in advice) == [("cc-min", 3, 2), ("jl-min", 2, 1)]
    api.solve(apply(scenario, advice), candidates=frame_of(rows), workers=1)
