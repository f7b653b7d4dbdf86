"""Tests of the 2023–2025 rounds together: period quotas across years, the lookahead in `model`
(reachability, planned years, future_weight), the forecast rows in `availability`, and the
three-round demo on the bundled data.

Every expected slate is worked out by hand in the comment above it, or by brute force over
every selection of a small instance.
"""
from __future__ import annotations

import dataclasses
import itertools
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner import api
from planner.audit import check_slate
from planner.errors import InfeasibleError
from planner.inputs import normalise_candidates
from planner.ledger import ledger_table
from planner.model import build_model
from planner.rules import forecast_rows, parse_scenario
from planner.rules.prepare import prepare
from planner.solver import solve_model

REPO = Path(__file__).resolve().parents[1]
BASE = dict(task="practice_centre", unit_id="S1", unit_name="长春市第一职业学校", unit_kind="secondary_vocational",
            tier="", locality="长春市", level="secondary", integrated=False, exempt=False, eligible=True, cost=0.0)


def table(rows) -> pd.DataFrame:
    """Candidates from (id, year, track, score[, cost]) tuples, through the normal loader."""
    records = []
    for row in rows:
        cid, year, track, score, *cost = row
        records.append({**BASE, "candidate_id": cid, "year": year, "track": track, "title": f"项目{cid}",
                        "score": score, "cost": cost[0] if cost else 0.0})
    return normalise_candidates(pd.DataFrame(records).astype(str))


def scenario(year: int, rules: list[dict], plan: dict | None = None, period=(2023, 2024)):
    data = {"name": "test", "year": year, "period": list(period), "rule": rules}
    if plan is not None:
        data["plan"] = plan
    return parse_scenario(data)


@dataclasses.dataclass
class Round:
    slate: pd.DataFrame
    audit: object
    model: object
    solution: object


def run(sc, frame: pd.DataFrame, history: pd.DataFrame | None = None, workers: int = 1) -> Round:
    """One round through the steps of `api.solve` (history given as a frame), audited."""
    if history is not None:     # as api.read_history: rows of earlier years only
        history = history[history["year"] < sc.year].reset_index(drop=True)
    prepared = prepare(frame, sc, history)
    model = build_model(prepared.frame, sc, locked=prepared.locked, locked_national=prepared.locked_national)
    solution = solve_model(model, time_limit_s=20, workers=workers)
    slate = frame.assign(selected=solution.selected[:len(frame)].astype(np.int8),
                         national=solution.national[:len(frame)].astype(np.int8))
    audit = check_slate(slate, sc, history=history)
    assert audit.ok, audit.messages()
    return Round(slate, audit, model, solution)


def chosen(result: Round) -> set[str]:
    s = result.slate
    return set(s.loc[s["selected"] == 1, "candidate_id"])


def planned_picks(result: Round) -> set[str]:
    m = result.model
    return set(m.frame["candidate_id"].to_numpy()[m.planned & result.solution.selected])


QUOTA = {"id": "quota", "clause": "t", "where": {"task": "practice_centre"}, "max": 2}
TARGET = {"id": "target", "clause": "t", "where": {"track": "public"}, "min": 1, "by": 2024}


# --- a quota used in year one is gone in year two -------------------------------------------

def test_period_quota_used_in_year_one_is_unavailable_in_year_two():
    # quota 2 over 2023–2024. 2023: A 90, B 80, C 70 -> the best two, A and B (2 of 2 used).
    first = run(scenario(2023, [QUOTA]), table([("A", 2023, "school", 90), ("B", 2023, "school", 80),
                                                ("C", 2023, "school", 70)]))
    assert chosen(first) == {"A", "B"}
    # 2024: D 95 and E 85 are better than anything of 2023, but 2 − 2 = 0 places are left.
    second_rows = table([("D", 2024, "school", 95), ("E", 2024, "school", 85)])
    second = run(scenario(2024, [QUOTA]), second_rows, history=first.slate)
    assert chosen(second) == set()
    # As a per-year quota (the other reading of 二(二)) 2024 has its own 2 places.
    per_year = run(scenario(2024, [{**QUOTA, "scope": "year"}]), second_rows, history=first.slate)
    assert chosen(per_year) == {"D", "E"}
    # The audit sums the period across years: a hand-made 2024 slate taking D counts 2 + 1 = 3 > 2.
    by_hand = second_rows.assign(selected=[1, 0], national=[0, 0])
    report = check_slate(by_hand, scenario(2024, [QUOTA]), history=first.slate)
    assert not report.ok
    assert report.hard_violations[["rule_id", "value", "max"]].values.tolist() == [["quota", 3.0, 2.0]]


# --- reachability changes the year-one choice ------------------------------------------------

YEAR1 = [("Y1", 2023, "school", 90), ("Y2", 2023, "school", 80), ("X1", 2023, "public", 50)]
FORECAST = [("X2", 2024, "public", 70)]


def test_greedy_year_by_year_misses_the_2024_minimum():
    # Without lookahead 2023 takes the two best, Y1 + Y2 (170): the quota of 2 is spent, so the
    # "at least 1 public centre by 2024" can no longer be met — the 2024 round is infeasible.
    greedy = run(scenario(2023, [QUOTA, TARGET], {"forecast": "none"}), table(YEAR1))
    assert chosen(greedy) == {"Y1", "Y2"}
    with pytest.raises(InfeasibleError):
        run(scenario(2024, [QUOTA, TARGET]), table(FORECAST), history=greedy.slate)


def test_reachability_keeps_the_minimum_reachable_literal_reading():
    # future_weight 0 (this year's best first) with the 2024 pool known (forecast = table):
    # {Y1, Y2} leaves no place for a public centre -> excluded; best remaining for 2023 alone is
    # {Y1, X1} = 140 (vs {Y1} = 90, {Y2, X1} = 130).
    literal = run(scenario(2023, [QUOTA, TARGET], {"forecast": "table", "future_weight": 0}), table(YEAR1 + FORECAST))
    assert chosen(literal) == {"Y1", "X1"}


def test_reachability_with_joint_value_waits_for_the_better_candidate():
    # future_weight 1: {Y1} now + X2 in 2024 = 90 + 70 = 160 beats {Y1, X1} = 140 and
    # {Y2} + {X2} = 150; so 2023 takes only Y1 and plans X2.
    paced = run(scenario(2023, [QUOTA, TARGET], {"forecast": "table", "future_weight": 1}), table(YEAR1 + FORECAST))
    assert chosen(paced) == {"Y1"}
    assert planned_picks(paced) == {"X2@2024"}
    assert paced.solution.objective == pytest.approx(160.0)
    # The planned rows never reach the slate: X2's own 2024 row stays unselected in 2023.
    assert paced.slate.set_index("candidate_id").at["X2", "selected"] == 0
    # The 2024 round after it: one place left, and the target binds in its final year, so X2
    # (70) is taken although Y3 (99) scores higher.
    final = run(scenario(2024, [QUOTA, TARGET]), table([("X2", 2024, "public", 70), ("Y3", 2024, "school", 99)]),
                history=paced.slate)
    assert chosen(final) == {"X2"}


def test_repeat_forecast_prefers_this_round_on_an_exact_tie():
    # forecast = repeat: 2024 brings a copy of 2023's pool (Y1@2024 90, Y2@2024 80, X1@2024 50).
    # Joint optimum 140 is reached two ways: {Y1, X1} now, or {Y1} now + X1@2024. Equal copies are
    # placed in the earliest year, so X1 is taken now.
    rep = run(scenario(2023, [QUOTA, TARGET], {"forecast": "repeat", "future_weight": 1}), table(YEAR1))
    assert chosen(rep) == {"Y1", "X1"}
    assert rep.solution.objective == pytest.approx(140.0)
    ids = set(rep.model.frame["candidate_id"].to_numpy()[rep.model.planned])
    assert ids == {"Y1@2024", "Y2@2024", "X1@2024"}


def test_final_year_enforces_the_target_or_is_infeasible():
    # 2024 is the last year: "at least 1 public by 2024" binds on 2023 (locked) + 2024.
    history = table([("Y1", 2023, "school", 90)]).assign(selected=1, national=0)
    pool = table([("Y3", 2024, "school", 99), ("X3", 2024, "public", 60)])
    # one place left (2 − 1): X3 instead of the better Y3.
    assert chosen(run(scenario(2024, [QUOTA, TARGET]), pool, history=history)) == {"X3"}
    # without the target, Y3.
    assert chosen(run(scenario(2024, [QUOTA]), pool, history=history)) == {"Y3"}
    # no public candidate at all: infeasible.
    with pytest.raises(InfeasibleError):
        run(scenario(2024, [QUOTA, TARGET]), table([("Y3", 2024, "school", 99)]), history=history)


# --- year rules in planned years; reachability modes --------------------------------------------

PACE = {"id": "pace", "clause": "t", "where": {"task": "practice_centre"}, "scope": "year", "min": 1}


@pytest.mark.parametrize("reach, weight, expected", [
    ("hard", 1000, {"A"}),          # {A, B} would leave 2024 no place for its 1 -> only A
    ("off", 1000, {"A", "B"}),      # the 2024 minimum is not looked at
    ("soft", 1000, {"A"}),          # 170 − 1000 < 90
    ("soft", 10, {"A", "B"}),       # 170 − 10 > 90
])
def test_year_rule_minimum_in_a_planned_year(reach, weight, expected):
    # quota 2 over the period; every year at least 1 (year rule). 2023: A 90, B 80; 2024: C 70.
    sc = scenario(2023, [QUOTA, PACE], {"forecast": "table", "future_weight": 0, "reachability": reach,
                                        "reachability_weight": weight})
    result = run(sc, table([("A", 2023, "school", 90), ("B", 2023, "school", 80), ("C", 2024, "school", 70)]))
    assert chosen(result) == expected


def test_funding_pool_is_a_knapsack_per_year():
    # pool of 10 (万元) per year. 2023: A 90/6, B 80/5, C 70/5. {B, C} = 150 (cost 10) beats
    # {A} = 90 (A plus anything costs > 10).
    pool = {"id": "pool", "clause": "t", "where": {}, "scope": "year", "measure": "sum:cost", "max": 10}
    rows = [("A", 2023, "school", 90, 6), ("B", 2023, "school", 80, 5), ("C", 2023, "school", 70, 5)]
    assert chosen(run(scenario(2023, [pool]), table(rows))) == {"B", "C"}
    # With a period quota of 3 and a copy of the pool for 2024 (its own 10): 240 either as
    # {B, C} now + A@2024 or {A} now + {B, C}@2024; the plan with more picks now is kept.
    quota3 = {**QUOTA, "max": 3}
    joint = run(scenario(2023, [pool, quota3], {"forecast": "repeat", "future_weight": 1}), table(rows))
    assert joint.solution.objective == pytest.approx(240.0)
    assert chosen(joint) == {"B", "C"}
    assert planned_picks(joint) == {"A@2024"}


# --- brute force on random small instances ------------------------------------------------------

def _brute(frame: pd.DataFrame, rules: list[dict], this_year: int, weight: float):
    """Best objective over every selection of all rows (2023 + 2024), as docs/multi-year.md defines it.

    weight 1: total score of both years minus every soft penalty. weight 0: this year's score
    minus the penalties of this round's own counts (a later year's picks are worth nothing and
    their excess costs nothing), over the selections whose later years keep every hard rule.
    """
    n = len(frame)
    years = frame["year"].to_numpy()
    tracks = frame["track"].to_numpy()
    score = frame["score"].to_numpy()
    now_rows = years == this_year
    best = None
    for bits in itertools.product((0, 1), repeat=n):
        x = np.array(bits, bool)
        penalty_all = penalty_now = 0.0
        ok = True
        for r in rules:
            hit = np.isin(tracks, r["tracks"])
            spans = [years == y for y in (2023, 2024)] if r.get("scope") == "year" else [np.ones(n, bool)]
            for span in spans:
                count = int((x & hit & span).sum())
                count_now = int((x & hit & span & now_rows).sum())
                over = max(0, count - r["max"]) if "max" in r else 0
                under = max(0, r["min"] - count) if "min" in r else 0
                if r.get("soft"):
                    penalty_all += r["soft"] * (over + under)
                    if span[now_rows].any():
                        penalty_now += r["soft"] * max(0, count_now - r.get("max", np.inf))
                elif over or under:
                    ok = False
        if not ok:
            continue
        now = float(score[x & now_rows].sum())
        later = float(score[x & ~now_rows].sum())
        value = now + later - penalty_all if weight == 1 else now - penalty_now
        if best is None or value > best + 1e-9:
            best = value
    return best


@pytest.mark.parametrize("seed", range(16))
def test_joint_plan_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 9))
    rows = [(f"R{i}", int(rng.choice([2023, 2024])), str(rng.choice(["school", "public", "enterprise"])),
             float(rng.integers(60, 100))) for i in range(n)]
    frame = table(rows)
    spec = []
    spec.append({"tracks": ["school", "public"], "max": int(rng.integers(1, 4))})
    spec.append({"tracks": ["public", "enterprise"], "min": int(rng.integers(0, 3)), "by": 2024})
    spec.append({"tracks": ["school", "enterprise"], "scope": "year", "max": int(rng.integers(1, 3))})
    if seed % 2:
        spec.append({"tracks": ["school"], "max": 1, "soft": 30})
    rules = []
    for i, r in enumerate(spec):
        rule = {"id": f"r{i}", "clause": "t", "where": {"track": r["tracks"]}}
        for key in ("max", "min", "by", "scope"):
            if key in r:
                rule[key] = r[key]
        if "soft" in r:
            rule["soft"] = {"weight": r["soft"]}
        rules.append(rule)
    for weight in (1.0, 0.0):
        sc = scenario(2023, rules, {"forecast": "table", "future_weight": weight})
        expected = _brute(frame, spec, 2023, weight)
        if expected is None:
            with pytest.raises(InfeasibleError):
                run(sc, frame)
            continue
        result = run(sc, frame)
        assert result.solution.objective == pytest.approx(expected), (seed, weight)
        assert result.audit.ok


def test_slate_is_the_same_for_one_and_two_workers_with_many_ties():
    # 40 candidates, scores from 3 values only, copied into 2024: a plateau of equal plans.
    rng = np.random.default_rng(7)
    rows = [(f"C{i:02d}", 2023, str(rng.choice(["school", "public"])), float(rng.choice([70, 80, 90])))
            for i in range(40)]
    rules = [{**QUOTA, "max": 25}, {"id": "pub", "clause": "t", "where": {"track": "public"}, "max": 7},
             {"id": "yr", "clause": "t", "where": {"track": "school"}, "scope": "year", "max": 9}]
    sc = scenario(2023, rules, {"forecast": "repeat", "future_weight": 1})
    one = run(sc, table(rows), workers=1)
    two = run(sc, table(rows), workers=2)
    assert chosen(one) == chosen(two)
    assert planned_picks(one) == planned_picks(two)
    assert one.solution.objective == pytest.approx(two.solution.objective)


def test_forecast_rows_copy_or_take_the_table():
    frame = table([("A", 2023, "school", 90), ("B", 2024, "school", 80), ("N", 2023, "school", 50)])
    sc = scenario(2023, [QUOTA], {"forecast": "auto"}, period=(2023, 2025))
    sc = dataclasses.replace(sc, pass_mark=60.0)
    rows = forecast_rows(frame, sc)
    # 2024 has rows in the table (B); 2025 has none, so 2023's pool is copied (N is below the pass mark).
    assert rows[["candidate_id", "plan_year", "plan_source"]].values.tolist() == [
        ["B@2024", 2024, "B"], ["A@2025", 2025, "A"]]
    assert forecast_rows(frame, sc.with_plan(forecast="none")).empty
    assert sc.with_plan(through=2024).planned_years == (2024,)


def test_forecast_copies_ignore_this_rounds_pins_but_not_what_blocks_the_row_itself():
    frame = table([("A", 2023, "school", 90), ("P", 2023, "school", 85), ("L", 2023, "school", 95),
                   ("N", 2023, "school", 50), ("E", 2023, "school", 88)])
    frame["eligible"] = [True, True, True, True, False]
    sc = scenario(2023, [QUOTA], {"forecast": "repeat"}, period=(2023, 2025))
    sc = dataclasses.replace(sc, pass_mark=60.0, force_out=("P",))
    locked = np.array([False, False, True, False, False])
    rows = forecast_rows(frame, sc, locked=locked)
    # P is pinned out of this round only; L was decided earlier; N is below the pass mark; E is ineligible.
    assert rows[["candidate_id", "year", "plan_year", "plan_source"]].values.tolist() == [
        ["A@2024", 2024, 2024, "A"], ["P@2024", 2024, 2024, "P"], ["A@2025", 2025, 2025, "A"], ["P@2025", 2025, 2025, "P"]]
    assert list(rows.index) == [0, 1, 2, 3]



@pytest.mark.parametrize("mode", ["repeat", "auto", "table"])
def test_a_build_makes_the_planned_rows_of_forecast_rows_and_the_same_model_from_them(mode):
    # The build takes the planned rows from the input itself (no forecast frame of its own): the
    # same frame, dtypes and blocks as the forecast's rows joined to the input, the same proto.
    frame = table([("A", 2023, "school", 90), ("B", 2024, "school", 80), ("P", 2023, "school", 85),
                   ("L", 2023, "school", 95), ("N", 2023, "school", 50), ("E", 2025, "school", 88)])
    frame["eligible"] = [True, True, True, True, True, False]
    frame["note"] = pd.Series(["x", 1, None, 2.5, "", True], dtype=object)     # a column of mixed values
    frame.attrs["source"] = "candidates.csv"
    sc = scenario(2023, [QUOTA, TARGET], {"forecast": mode}, period=(2023, 2025))
    sc = dataclasses.replace(sc, pass_mark=60.0, force_out=("P",))
    locked = np.array([False, False, False, True, False, False])
    forecast = forecast_rows(frame, sc, locked=locked)
    given = build_model(frame, sc, locked=locked, forecast=forecast)
    made = build_model(frame, sc, locked=locked)
    expected = pd.concat([frame, forecast[list(frame.columns)]], ignore_index=True)
    pd.testing.assert_frame_equal(made.frame, expected, check_exact=True)
    pd.testing.assert_frame_equal(given.frame, expected, check_exact=True)
    assert made.frame.attrs == frame.attrs and frame.attrs["source"] == "candidates.csv"
    assert made.plan_source.tolist() == given.plan_source.tolist() == ["", "", "", "", "", "", *forecast["plan_source"]]
    assert made.plan_year.tolist() == given.plan_year.tolist() and made.free.tolist() == given.free.tolist()
    assert str(made.cp.Proto()) == str(given.cp.Proto())

def test_without_a_plan_section_nothing_changes():
    # No [plan]: no lookahead, the model has no planned rows (the pre-ledger behaviour).
    sc = scenario(2023, [QUOTA, TARGET])
    result = run(sc, table(YEAR1 + FORECAST))
    assert not result.model.planned.any()
    assert chosen(result) == {"Y1", "Y2"}


# --- the bundled three-round demo ------------------------------------------------------------------

@pytest.mark.slow
def test_three_rounds_on_the_bundled_data(tmp_path):
    # The demo in a scratch copy: scenarios/ beside data/ and out/ as in the repository.
    (tmp_path / "scenarios").mkdir()
    for name in ("jilin-base.toml", "jilin-2023.toml", "jilin-2024.toml", "jilin-2025.toml"):
        shutil.copy(REPO / "scenarios" / name, tmp_path / "scenarios" / name)
    (tmp_path / "data").symlink_to(REPO / "data")
    results = {}
    for year in (2023, 2024, 2025):
        result = api.solve(tmp_path / "scenarios" / f"jilin-{year}.toml", time_limit_s=60, workers=2)
        assert result.audit.ok                       # api.finish audits (period quotas across years)
        api.save(result, tmp_path / "out" / f"jilin-{year}")
        results[year] = result
    last = results[2025]
    ledger = ledger_table(last.slate, last.scenario, last.history)
    hard = ledger[~ledger["soft"]]
    # every hard "by 2025" target met, no hard quota exceeded over the three years
    assert (hard.loc[hard["target"].notna(), "status"] == "met").all()
    assert (hard["max"].isna() | (hard["used"] <= hard["max"] + 1e-9)).all()
    # the quotas are spread: no single year takes the whole period's school-centre quota
    row = ledger[(ledger["rule_id"] == "pc-school-target")].iloc[0]
    assert max(row["used_2023"], row["used_2024"], row["used_2025"]) < row["used"]
    assert row["used"] >= 100
    # The three slates against the notice, read with plain pandas (tests/slate_check.py): every
    # quota, minimum, national number, lead and entry condition; "N个左右" aimed at N.
    from slate_check import check, counts
    report = check(tmp_path / "out")
    assert report[~report["ok"]].empty, report[~report["ok"]]
    about = report[report["check"] == "about N (aim)"].set_index("group")["value"]
    assert about.drop("city_consortium").to_dict() == {"industry_community": 10, "resource_library": 50,
                                                       "digital_benchmark_school": 20, "virtual_sim_base": 50,
                                                       "core_course": 200, "production_project": 50}
    # 三(一): 11, not 10 — each of the 11 localities needs 2 enterprise centres inside a recognised
    # 联合体 of its own (三(三), hard), which needs one 联合体 per locality.
    assert about["city_consortium"] == 11
    assert counts(tmp_path / "out")["national_period"].sum() == 5 + 20
