"""Score samples, selection probabilities and flip margins (`planner.analysis.robust`, `.sampling`, `.spread`).

Expectations are independent of the planner: selection probabilities are computed exactly by
enumerating every outcome of the reviewers' bootstrap and solving each by brute force
(`tests/oracle.py`); flip margins are checked by moving one score on a grid and re-solving by
brute force; the normal sampler against its definition.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import oracle
import pandas as pd
import pytest
from conftest import row, scenario_of, typed_frame, write_case

from planner.analysis import robust
from planner.analysis.sampling import build_case, flip_tasks, make_case, run_samples
from planner.analysis.spread import Spread, sample_scores, score_spread
from planner.errors import InputError

# --- a small round: quotas per locality and overall, a soft minimum, a pass mark ----------------

ROWS = [
    row("A1", locality="长春市", score=88.0, unit_id="U1"),
    row("A2", locality="长春市", score=84.5, unit_id="U2"),
    row("A3", locality="长春市", score=83.0, unit_id="U3"),
    row("B1", locality="吉林市", score=82.0, unit_id="U4"),
    row("B2", locality="吉林市", score=79.5, unit_id="U5"),
    row("C1", locality="四平市", score=76.0, unit_id="U6"),
    row("C2", locality="四平市", score=61.0, unit_id="U7"),
    row("D1", locality="白山市", score=58.5, unit_id="U8"),
]
SCENARIO = {
    "objective": {"pass_mark": 60},
    "rule": [
        {"id": "loc-cap", "clause": "三(三)", "where": {"task": "practice_centre"}, "per": ["locality"], "max": 2},
        {"id": "total", "clause": "三(三)", "where": {"task": "practice_centre"}, "max": 4},
        {"id": "siping", "clause": "三(三)", "where": {"locality": "四平市"}, "min": 1, "soft": {"weight": 5}},
    ],
}


def decisions(rows: list[dict], scenario: dict) -> set[tuple[bool, ...]]:
    """Every optimal slate of the round by brute force (tuples of selected flags)."""
    best = oracle.optimise(rows, {"name": "test", "year": 2023, **scenario})
    assert best.feasible
    return {s for s, _ in best.optimal}


def with_score(rows: list[dict], i: int, score: float) -> list[dict]:
    out = [dict(r) for r in rows]
    out[i]["score"] = round(score, 6)
    return out


@pytest.fixture(scope="module")
def small_robust():
    scenario = scenario_of(SCENARIO)
    return robust.robust(scenario, candidates=typed_frame(ROWS), samples=40, score_sd=3.0, executor="serial")


def test_flip_margins_against_brute_force(small_robust):
    """Moving a score strictly less than the margin keeps the decision, strictly more flips it.

    Checked on a 0.1-point grid (the scores' own precision) by brute force; at exactly the
    margin, kind "tie" leaves optimal slates of both decisions, kind "pass_mark" flips a
    rejected candidate there.
    """
    table = small_robust.table.set_index("candidate_id")
    assert (table["decided_by"] == "score").all()
    for i, r in enumerate(ROWS):
        cid = r["candidate_id"]
        chosen = bool(table.at[cid, "selected"])
        margin = float(table.at[cid, "flip_margin"])
        kind = str(table.at[cid, "margin_kind"])
        assert math.isfinite(margin) and margin >= 0, cid
        step = -0.1 if chosen else 0.1
        grid = np.round(np.arange(0, margin + 0.55, 0.1), 6)
        for delta in grid:
            slates = decisions(with_score(ROWS, i, r["score"] + (step / 0.1) * delta), SCENARIO)
            sides = {s[i] for s in slates}
            if delta < margin - 1e-9:
                assert sides == {chosen}, (cid, delta, margin)
            elif delta > margin + 1e-9:
                assert sides == {not chosen}, (cid, delta, margin)
            elif kind == "tie":
                assert sides == {True, False}, (cid, delta)
            else:
                assert kind == "pass_mark" and sides == ({chosen} if chosen else {not chosen}), (cid, delta)


def test_flip_margins_known_values(small_robust):
    """A1 loses its 长春 place to A3 (88 − 83 = 5); D1 is below the pass mark and would have to beat C1 with 四平's penalty."""
    t = small_robust.table.set_index("candidate_id")
    assert t.at["A1", "flip_margin"] == pytest.approx(5.0)
    assert t.at["A1", "flip_score"] == pytest.approx(83.0)
    # D1 in: drop C1 (76 + the 5-point 四平 penalty) for 58.5 → 22.5 points; the pass mark needs only 1.5.
    assert t.at["D1", "flip_margin"] == pytest.approx(22.5)
    assert t.at["D1", "margin_kind"] == "tie"


def test_flip_margin_equals_counterfactual_loss(small_robust):
    """The margin of a candidate the pass mark does not limit is minus the counterfactual's Δobjective."""
    counterfactual = pytest.importorskip("planner.explain.counterfactual")
    result = small_robust.result
    t = small_robust.table.set_index("candidate_id")
    for cid in ("A1", "A2", "A3", "B1", "B2", "C1", "C2"):
        cf = counterfactual.counterfactual(result, cid)
        assert cf.status == "OPTIMAL"
        assert t.at[cid, "flip_margin"] == pytest.approx(-cf.delta_objective, abs=1e-9), cid


def test_pass_mark_bounds_the_margin():
    """A selected candidate just above the pass mark flips when it drops below it, before any competitor."""
    rows = [row("P1", score=60.4, unit_id="U1"), row("P2", score=50.0, unit_id="U2")]
    scenario = {"objective": {"pass_mark": 60}, "rule": [{"id": "cap", "clause": "x", "where": {}, "max": 1}]}
    out = robust.robust(scenario_of(scenario), candidates=typed_frame(rows), samples=5, score_sd=1.0,
                        executor="serial").table.set_index("candidate_id")
    assert out.at["P1", "flip_margin"] == pytest.approx(0.4)
    assert out.at["P1", "margin_kind"] == "pass_mark"
    # P2 needs 10 points to reach the pass mark, and then beats P1 only above 60.4.
    assert out.at["P2", "flip_margin"] == pytest.approx(10.4)
    assert out.at["P2", "margin_kind"] == "tie"


def test_flip_tasks_keep_a_part_together():
    """Every row in exactly one task; on one process, one task per independent part.

    In this round the overall cap links every selectable row into one part; D1 (below the pass
    mark) has no variable in the round's model and goes on its own.
    """
    from planner.analysis.sweep import make_job
    from planner.model import build_model

    case = make_case(scenario_of(SCENARIO), candidates=typed_frame(ROWS), score_sd=3.0)
    model = build_model(case.frame, case.scenario, locked=case.locked, locked_national=case.locked_national)
    job = make_job(build_case, case)
    rows = list(range(len(ROWS)))
    one = flip_tasks(job, model, rows, workers=1)
    assert sorted(sorted(t.item) for t in one) == [[0, 1, 2, 3, 4, 5, 6], [7]]
    many = flip_tasks(job, model, rows, workers=4)
    assert sorted(r for t in many for r in t.item) == rows
    assert len(many) > len(one) and all(t.run == "planner.analysis.sampling:run_flips" for t in many)


# --- selection probabilities: exact, by enumeration ----------------------------------------------

REVIEWED = [
    # two reviewers each; the official score is their mean
    row("A", locality="长春市", score=83.1, unit_id="U1", r1=80.2, r2=86.0),
    row("B", locality="长春市", score=83.3, unit_id="U2", r1=82.4, r2=84.2),
    row("C", locality="吉林市", score=67.0, unit_id="U3", r1=58.5, r2=75.5),
    row("D", locality="四平市", score=63.5, unit_id="U4", r1=58.0, r2=69.0),
]
REVIEWED_SCENARIO = {
    "objective": {"pass_mark": 60},
    "rule": [
        {"id": "cc-cap", "clause": "x", "where": {"locality": "长春市"}, "max": 1},
        {"id": "total", "clause": "x", "where": {}, "max": 2},
    ],
}


def exact_probabilities(rows: list[dict], scenario: dict) -> np.ndarray:
    """P(selected) under the two-reviewer bootstrap: each mean is r1 (¼), (r1+r2)/2 (½) or r2 (¼)."""
    options = [[(r["r1"], 0.25), ((r["r1"] + r["r2"]) / 2, 0.5), (r["r2"], 0.25)] for r in rows]
    p = np.zeros(len(rows))
    for outcome in itertools.product(*options):
        trial = [dict(r, score=round(s, 6)) for r, (s, _) in zip(rows, outcome)]
        slates = decisions(trial, scenario)
        assert len(slates) == 1, "the case is built without ties"
        weight = math.prod(w for _, w in outcome)
        p += weight * np.array(next(iter(slates)), dtype=float)
    return p


def test_selection_probabilities_match_enumeration():
    exact = exact_probabilities(REVIEWED, REVIEWED_SCENARIO)
    # By hand: A takes 长春's one place when its mean is 86.0 (¼), or 83.1 (½) against B's 82.4 (¼).
    assert exact[0] == pytest.approx(0.375) and exact[1] == pytest.approx(0.625)
    n = 800
    out = robust.robust(scenario_of(REVIEWED_SCENARIO), candidates=typed_frame(REVIEWED, extra=["r1", "r2"]),
                        samples=n, reviewers=["r1", "r2"], executor="serial", margins="none", seed=7)
    p = out.table["probability"].to_numpy()
    tolerance = 4 * np.sqrt(exact * (1 - exact) / n) + 1e-9
    assert np.all(np.abs(p - exact) <= tolerance), (p, exact)
    assert (out.table["band"] == np.where(p >= 0.95, "certain", np.where(p <= 0.05, "out", "marginal"))).all()
    assert out.summary["spread"] == "reviewers"


def test_normal_draws_follow_the_spread():
    spread = Spread(sd=np.full(20000, 2.0))
    score = np.full(20000, 50.0)
    draws = sample_scores(spread, score, seed=3, sample=1)
    assert abs(draws.mean() - 50.0) < 4 * 2.0 / np.sqrt(20000)
    assert abs(draws.std() - 2.0) < 0.05
    assert np.array_equal(draws, sample_scores(spread, score, seed=3, sample=1))
    assert not np.array_equal(draws, sample_scores(spread, score, seed=3, sample=2))
    assert np.array_equal(sample_scores(spread, score, seed=3, sample=0), score)
    clipped = Spread(sd=np.array([50.0] * 1000)).draw(np.full(1000, 99.0), np.random.default_rng(0))
    assert clipped.max() <= 100.0 and clipped.min() >= 0.0


def test_samples_are_independent_of_executor_and_chunking():
    case = make_case(scenario_of(SCENARIO), candidates=typed_frame(ROWS), score_sd=3.0, seed=11)
    one = run_samples([case], 12, executor="serial", chunk_size=1)
    many = run_samples([case], 12, executor="serial", chunk_size=5)
    timing = ["solve_s", "cpu_s", "worker"]
    assert one.runs.drop(columns=timing).equals(many.runs.drop(columns=timing))
    assert np.array_equal(one.selections[case.label], many.selections[case.label])


def test_resolved_round_is_the_planners_slate(small_robust):
    """Sample 0 (scores as given) re-solved on the reused model is the slate `api.solve` returns."""
    case = make_case(scenario_of(SCENARIO), candidates=typed_frame(ROWS), score_sd=3.0)
    runs = run_samples([case], 0, executor="serial")
    assert np.array_equal(runs.selections[case.label][0], small_robust.result.slate["selected"].to_numpy(bool))
    assert runs.runs["objective"].iloc[0] == pytest.approx(small_robust.result.summary["objective"])


def test_blocked_and_pinned_rows_are_not_decided_by_score():
    rows = ROWS + [row("E1", locality="白城市", score=95.0, unit_id="U9", eligible=False)]
    scenario = dict(SCENARIO, force_in=["C2"])
    t = robust.robust(scenario_of(scenario), candidates=typed_frame(rows), samples=10, score_sd=2.0,
                      executor="serial").table.set_index("candidate_id")
    assert t.at["E1", "decided_by"] == "ineligible" and math.isnan(t.at["E1", "flip_margin"])
    assert t.at["E1", "probability"] == 0.0
    assert t.at["C2", "decided_by"] == "pinned_in" and t.at["C2", "probability"] == 1.0


def test_spread_problems_are_input_errors():
    frame = typed_frame(ROWS)
    with pytest.raises(InputError, match="没有分数波动"):
        score_spread(frame)
    bad = typed_frame([dict(r, score_sd=s) for r, s in zip(ROWS, ["1", "x", "", "-2", "1", "1", "1", "1"])],
                      extra=["score_sd"])
    with pytest.raises(InputError) as info:
        score_spread(bad)
    assert len(info.value.problems) == 2            # "x" and "-2"; a blank cell is allowed
    with pytest.raises(InputError, match='没有 "r9" 列'):
        score_spread(frame, reviewers=["r9"])
    spread = score_spread(typed_frame([dict(r, score_sd="") for r in ROWS], extra=["score_sd"]), score_sd=2.5)
    assert np.all(spread.sd == 2.5)


@pytest.fixture(scope="module")
def invoke():
    """The CLI in this process (typer's CliRunner), for the error paths: faster than a subprocess."""
    from typer.testing import CliRunner

    from planner.cli import root as cli
    from planner.cli.commands import register_all
    register_all(cli.app)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli.app, [str(a) for a in args])


def test_robust_command_writes_its_files(tmp_path, cli, invoke):
    path = write_case(tmp_path / "case", ROWS, SCENARIO)
    done = cli("robust", path, "--samples", "20", "--score-sd", "3", "--executor", "serial",
               "--out", tmp_path / "out", "--no-chart")
    assert done.returncode == 0, done.stderr
    assert {"robust.csv", "samples.csv", "robust.json", "robust.xlsx"} <= {p.name for p in (tmp_path / "out").iterdir()}
    table = pd.read_csv(tmp_path / "out" / "robust.csv", encoding="utf-8-sig")
    assert len(table) == len(ROWS) and set(table["band"]) <= set(robust.BANDS)
    missing = invoke("robust", path, "--samples", "5", "--executor", "serial", "--out", tmp_path / "none")
    assert missing.exit_code == 2 and "--score-sd" in missing.output
    assert not (tmp_path / "none").exists()
