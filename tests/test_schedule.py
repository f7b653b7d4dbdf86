"""Tests of planner.solver.schedule and the level loop around it: independent components stay
independent, no slate is ever lost at the time limit, the status is the weakest of all phases.

Expected values come from brute force over every subset of each copy (never from the solver),
or from the shape of the instance (a 300-item, 5-constraint knapsack no engine proves in seconds).
"""
from __future__ import annotations

import io
import itertools
import json

import numpy as np
import pytest
from conftest import KNAPSACK_WEIGHTS, knapsack_rows, knapsack_scenario, row, run_cli, scenario_of, typed_frame, write_case
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import api
from planner.audit import check_slate
from planner.model import build_model
from planner.solver import cores, schedule, solve_model

LOCALITIES = ["长春市", "吉林市", "四平市"]


# --------------------------------------------------------------------------- k independent copies
def copy_rows(k: int, draw_seed: int, size: int) -> list[dict]:
    """Copy j: `size` candidates with random scores, costs and localities, column copy = "Cj"."""
    rng = np.random.default_rng(draw_seed)
    rows = []
    for j in range(k):
        for i in range(size):
            rows.append(row(f"C{j}-{i}", score=float(rng.integers(40, 100)), cost=float(rng.integers(1, 30)),
                            locality=LOCALITIES[int(rng.integers(0, 3))], copy=f"C{j}"))
    return rows


def copies_scenario(k: int, budgets: list[int]) -> dict:
    """The small scenario in every copy separately: ≤ 2 per locality, a pool per copy."""
    return {"rule": [{"id": "q", "per": ["copy", "locality"], "max": 2},
                     {"id": "pool", "per": ["copy"], "measure": "sum:cost",
                      "max": {f"C{j}": budgets[j] for j in range(k)}}]}


def brute_force(rows: list[dict], budget: int) -> float:
    """The best score of one copy alone, over every subset."""
    best = 0.0
    for n in range(len(rows) + 1):
        for pick in itertools.combinations(rows, n):
            per = {loc: sum(r["locality"] == loc for r in pick) for loc in LOCALITIES}
            if max(per.values()) <= 2 and sum(r["cost"] for r in pick) <= budget:
                best = max(best, sum(r["score"] for r in pick))
    return best


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(k=st.integers(2, 4), draw_seed=st.integers(0, 10_000), size=st.integers(3, 8),
       budgets=st.lists(st.integers(10, 80), min_size=4, max_size=4))
def test_the_optimum_of_independent_copies_is_the_sum_of_their_optima(k, draw_seed, size, budgets):
    rows = copy_rows(k, draw_seed, size)
    frame = typed_frame(rows, extra=["copy"])
    scenario = scenario_of(copies_scenario(k, budgets))
    model = build_model(frame, scenario)
    solution = solve_model(model, time_limit_s=30, workers=2)
    alone = [brute_force([r for r in rows if r["copy"] == f"C{j}"], budgets[j]) for j in range(k)]
    assert solution.status == "OPTIMAL"
    assert solution.objective == pytest.approx(sum(alone))

    # Cut after the first solve of every component (as a time limit after round one would): a
    # slate that keeps every rule, worth at most the optimum, with a bound at least the optimum.
    cut = solve_model(build_model(frame, scenario), time_limit_s=30, workers=2, max_rounds=1)
    slate = frame.assign(selected=cut.selected[:len(frame)].astype(np.int8),
                         national=cut.national[:len(frame)].astype(np.int8))
    assert check_slate(slate, scenario).ok
    assert cut.objective <= sum(alone) + 1e-6 <= cut.best_bound + 2e-6
    assert cut.status in ("OPTIMAL", "FEASIBLE")
    if cut.status == "OPTIMAL":
        assert cut.objective == pytest.approx(sum(alone))


def test_no_cp_sat_model_holds_two_components_that_are_not_tiny(monkeypatch):
    """Four copies of a knapsack, their cores made "not tiny" by a low TINY: every CP-SAT call
    that holds several cores holds tiny ones only."""
    monkeypatch.setattr(schedule, "TINY", 5)
    seen = []
    real = cores._run_cores

    def spy(p, parts, deadline, stop):
        seen.append([len(c.free) for c in parts])
        return real(p, parts, deadline, stop)

    monkeypatch.setattr(cores, "_run_cores", spy)
    rng = np.random.default_rng(3)
    rows = [row(f"K{j}-{i}", score=float(rng.integers(100, 1000)) / 10, cost=float(rng.integers(1, 100)), copy=f"C{j}",
                w1=str(int(rng.integers(1, 100)))) for j in range(4) for i in range(60)]
    data = {"rule": [{"id": "pool", "per": ["copy"], "measure": "sum:cost", "max": 800},
                     {"id": "w", "per": ["copy"], "measure": "sum:w1", "max": 900}]}
    model = build_model(typed_frame(rows, extra=["copy", "w1"]), scenario_of(data))
    solution = solve_model(model, time_limit_s=60, workers=2)
    assert solution.status == "OPTIMAL"
    shared = [sizes for sizes in seen if len(sizes) > 1]
    assert all(max(sizes) <= schedule.TINY for sizes in shared), seen
    assert any(max(sizes) > schedule.TINY for sizes in seen), seen     # the case is not vacuous


# --------------------------------------------------------------------------- the time limit
def knapsack_model(**changes):
    return build_model(typed_frame(knapsack_rows(300), extra=KNAPSACK_WEIGHTS),
                       scenario_of({**knapsack_scenario(), **changes}))


def test_a_limit_too_short_for_a_proof_keeps_the_best_slate_with_its_gap():
    model = knapsack_model()
    solution = solve_model(model, time_limit_s=2, workers=2)
    assert solution.status == "FEASIBLE" and solution.gap > 0
    assert solution.best_bound > solution.objective
    weights = model.frame[list(KNAPSACK_WEIGHTS)].astype(int).to_numpy()
    assert (weights[solution.selected].sum(axis=0) <= 3000).all()
    assert any("phase score" in w and "gap" in w for w in solution.warnings)
    unproven = solution.phases[0]["unproven"]
    assert unproven and unproven[0]["status"] == "FEASIBLE" and unproven[0]["gap"] > 0


def test_a_phase_cut_by_the_limit_is_not_optimal_and_is_named():
    """Regression (issue 17): the provincial slate proven, the national picks — a 5-constraint
    knapsack over 300 selected candidates — cut by the time limit: the run said OPTIMAL, gap 0."""
    rules = [{"id": f"nat-{w}", "clause": "二(二)", "decision": "national", "measure": f"sum:{w}", "max": 3000}
             for w in KNAPSACK_WEIGHTS]
    rows = [{**r, "task": "core_course", "track": "offline"} for r in knapsack_rows(300)]
    scenario = scenario_of({"rule": rules})
    result = api.solve(scenario, candidates=typed_frame(rows, extra=KNAPSACK_WEIGHTS), time_limit_s=2.5, workers=2)
    summary = result.summary
    assert [p["phase"] for p in summary["phases"]] == ["score", "national_score"]
    assert summary["phases"][0]["status"] == "OPTIMAL" and summary["phases"][1]["status"] != "OPTIMAL"
    assert summary["status"] == "FEASIBLE" and summary["reproducible"] is False
    assert any("national_score" in w and "国家级推荐" in w for w in summary["warnings"])
    assert result.audit.ok


def test_a_phase_never_reached_is_named_as_not_run(monkeypatch):
    from planner.solver import cpsat
    monkeypatch.setattr(cpsat, "RESERVE", 0.0)          # the first phase takes the whole limit
    rows = [{**r, "task": "core_course", "track": "offline"} for r in knapsack_rows(300)]
    data = {**knapsack_scenario(), "rule": [*knapsack_scenario()["rule"],
                                            {"id": "n", "decision": "national", "max": 5}]}
    model = build_model(typed_frame(rows, extra=KNAPSACK_WEIGHTS), scenario_of(data))
    solution = solve_model(model, time_limit_s=1.5, workers=2)
    assert solution.status == "FEASIBLE"
    assert solution.phases[-1] == {**solution.phases[-1], "phase": "national_score", "status": "NOT_RUN"}
    assert any("national_score" in w and "未求解" in w for w in solution.warnings)


def test_a_proven_run_has_no_solve_warning_and_is_reproducible():
    frame = typed_frame([row("A", score=90.0), row("B", score=80.0, locality="吉林市")])
    result = api.solve(scenario_of({"rule": [{"id": "r", "max": 1}]}), candidates=frame, workers=1)
    assert result.summary["status"] == "OPTIMAL" and result.summary["reproducible"] is True
    assert result.summary["warnings"] == []


def test_no_time_limit_solves_every_level_as_a_generous_one_does():
    """`--time-limit inf`: a level's reserve for the later ones was inf − inf = nan, every CP-SAT
    call got 0.01 s and the 2023 round never ended. Both runs must prove the same optimum."""
    import math
    from pathlib import Path

    from planner.rules import load_scenario
    scenario = load_scenario(Path(__file__).parents[1] / "scenarios" / "jilin-2023.toml")
    unlimited = api.solve(scenario, time_limit_s=math.inf, workers=2)
    generous = api.solve(scenario, time_limit_s=600, workers=2)
    assert unlimited.summary["status"] == generous.summary["status"] == "OPTIMAL"
    assert unlimited.slate["selected"].tolist() == generous.slate["selected"].tolist()
    assert unlimited.slate["national"].tolist() == generous.slate["national"].tolist()


def test_the_highs_backend_keeps_the_limit_and_the_slate():
    pytest.importorskip("highspy")
    import time

    from planner.solver import solve_model_highs
    model = knapsack_model()
    start = time.perf_counter()
    solution = solve_model_highs(model, time_limit_s=2, workers=2)
    assert time.perf_counter() - start < 2 + 1.5
    assert solution.status == "FEASIBLE" and solution.best_bound > solution.objective


def test_the_cli_returns_feasible_with_exit_0_when_the_limit_is_too_short_for_a_proof(tmp_path):
    scenario = write_case(tmp_path / "knapsack", knapsack_rows(300), knapsack_scenario(), extra=KNAPSACK_WEIGHTS)
    out = tmp_path / "out"
    done = run_cli("solve", scenario, "--out", out, "--time-limit", "3", "--workers", "2", "--quiet")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "gap" in done.stderr
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["status"] == "FEASIBLE" and summary["gap"] > 0 and summary["reproducible"] is False
    assert any("phase score" in w for w in summary["warnings"])
    audited = run_cli("audit", scenario, out / "slate.csv", "--time-limit", "3")    # the optimum: not provable here
    assert audited.returncode == 0, audited.stderr
    assert "FEASIBLE" in audited.stdout + audited.stderr or "未证明" in audited.stdout + audited.stderr


# --------------------------------------------------------------------------- progress
def test_progress_shows_on_a_terminal_after_two_seconds_and_never_when_quiet():
    from rich.console import Console

    from planner.cli._common import solve_progress
    shown, hidden = io.StringIO(), io.StringIO()
    for console, quiet in ((Console(file=shown, force_terminal=True, width=200), False),
                           (Console(file=hidden, force_terminal=True, width=200), True)):
        with solve_progress(console, quiet=quiet):
            solve_model(knapsack_model(), time_limit_s=3, workers=2)
    assert "已证明 0/1" in shown.getvalue() and "差距" in shown.getvalue()
    assert hidden.getvalue() == ""
    piped = io.StringIO()
    with solve_progress(Console(file=piped, force_terminal=False), quiet=False):
        solve_model(knapsack_model(), time_limit_s=2.5, workers=2)
    assert piped.getvalue() == ""


# --------------------------------------------------------------------------- when HiGHS races
def _knapsack_of(n: int, seed: int, equal_scores: bool = False):
    """`n` candidates, two weight columns and budgets: a model whose LP is fractional, so its one
    component has reduced costs and a gap. With `equal_scores` only the tie-break tells many
    slates apart."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        r = row(f"N{i:02d}", score=70.0 if equal_scores and i % 2 else float(rng.integers(40, 100)))
        r["w1"], r["w2"] = str(int(rng.integers(1, 30))), str(int(rng.integers(1, 30)))
        rows.append(r)
    data = {"rule": [{"id": "b1", "measure": "sum:w1", "max": 7 * n}, {"id": "b2", "measure": "sum:w2", "max": 6 * n}]}
    frame = typed_frame(rows, extra=["w1", "w2"])
    return frame, scenario_of(data), rows


def _lexicographic_best(model, rows) -> set[str]:
    """Brute force: the feasible slate of the highest score, then the highest tie-break sum."""
    level = model.objectives[0]
    index = {v.index: k for k, v in enumerate(level.variables)}
    ties = [level.ties[index[model.select[k].index]] for k in range(len(rows))]
    best, chosen = None, set()
    for pick in itertools.product([0, 1], repeat=len(rows)):
        if sum(p * int(r["w1"]) for p, r in zip(pick, rows)) > 7 * len(rows) or \
                sum(p * int(r["w2"]) for p, r in zip(pick, rows)) > 6 * len(rows):
            continue
        key = (round(sum(p * r["score"] for p, r in zip(pick, rows)), 6), sum(p * t for p, t in zip(pick, ties)))
        if best is None or key > best:
            best, chosen = key, {r["candidate_id"] for p, r in zip(pick, rows) if p}
    return chosen


def test_highs_races_at_once_where_the_second_thread_has_nothing_else_to_run(monkeypatch):
    """CP-SAT made unable to finish (each core solve sleeps, then returns nothing): with one
    component and two threads HiGHS starts after IDLE_RACE_S of CP-SAT, not RACE_AFTER_S /
    RACE_SHARE of the level (30 s × 5 % = 1.5 s here), and proves the brute-force slate, whose
    tie-break it settles with the variables the score's reduced costs fix."""
    import time as clock

    from planner.solver import highs
    pytest.importorskip("highspy")
    monkeypatch.setattr(schedule, "IDLE_RACE_S", 0.3)
    started, narrowed = [], []

    def stuck(p, parts, deadline, stop):
        clock.sleep(0.15)
        return "UNKNOWN", None, float("inf")

    real_component, real_restrict = highs.solve_component, highs.restrict

    def spy_component(p, sub, **kw):
        started.append(clock.perf_counter())
        return real_component(p, sub, **kw)

    def spy_restrict(sub, delta=None):
        lower, upper = real_restrict(sub, delta)
        narrowed.append(int((lower < upper).sum()) < int((sub.lower < sub.upper).sum()))
        return lower, upper

    monkeypatch.setattr(cores, "_run_cores", stuck)
    monkeypatch.setattr(highs, "solve_component", spy_component)
    monkeypatch.setattr(highs, "restrict", spy_restrict)
    frame, scenario, rows = _knapsack_of(14, seed=5, equal_scores=True)
    model = build_model(frame, scenario)
    begun = clock.perf_counter()
    solution = solve_model(model, time_limit_s=30, workers=2)
    assert solution.status == "OPTIMAL"
    assert set(frame["candidate_id"][solution.selected[:len(frame)]]) == _lexicographic_best(model, rows)
    assert started and started[0] - begun < 1.2          # well before 1.5 s of CP-SAT
    assert narrowed and any(narrowed)                      # the tie-break step had variables fixed


def _track(c: int, cp_running_s: float | None, now: float):
    sub = cores.Component(members=np.arange(3), lower=np.zeros(3, np.int64), upper=np.ones(3, np.int64),
                          score=np.ones(3, np.int64), ties=np.zeros(3, np.int64), e_row=np.zeros(0, np.int64),
                          e_var=np.zeros(0, np.int64), e_coef=np.zeros(0, np.int64), lo=np.zeros(0, np.int64),
                          hi=np.zeros(0, np.int64), hint=None)
    track = schedule.Track(c, sub)
    if cp_running_s is not None:
        track.cpsat_since = now - cp_running_s
    return track


@pytest.mark.parametrize("running_s, use_highs, expected", [(0.6, True, "highs"), (0.2, True, None),
                                                            (0.6, False, None)])
def test_an_idle_thread_races_highs_only_on_a_component_cp_sat_has_worked_on(running_s, use_highs, expected):
    from types import SimpleNamespace
    now = 100.0
    p = SimpleNamespace(deadline=now + 60, engine="cpsat", max_rounds=None)
    task = schedule._next_task(p, [_track(0, running_s, now)], 2, use_highs, race_after=3.0, now=now)
    assert (task.kind if task else None) == expected


def test_an_idle_thread_takes_waiting_cp_sat_work_before_a_race():
    from types import SimpleNamespace
    now = 100.0
    p = SimpleNamespace(deadline=now + 60, engine="cpsat", max_rounds=None)
    waiting = _track(1, None, now)
    waiting.timeouts = 1                      # ran out of time once: waits for a longer share
    task = schedule._next_task(p, [_track(0, 0.6, now), waiting], 2, True, race_after=3.0, now=now)
    assert task.kind == "cpsat" and task.tracks == [waiting]
