"""Regional equity: shares, indices, the equity bound and penalty, the score–equity frontier.

Expectations are independent of the planner: indices on hand-computed shares and against the
Lorenz-curve definition; bounds, penalties and the frontier against every slate of a small
round enumerated and audited by `tests/oracle.py`.
"""
from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import oracle
import pandas as pd
import pytest
from conftest import row, scenario_of, typed_frame, write_case

from planner import api
from planner.analysis import balance, equity, shares
from planner.errors import InputError

# --- a round where quality and balance pull apart ------------------------------------------------

ROWS = [
    row("K1", locality="长春市", score=90.0, unit_id="U1"),
    row("K2", locality="长春市", score=88.0, unit_id="U2"),
    row("K3", locality="长春市", score=86.0, unit_id="U3"),
    row("K4", locality="长春市", score=84.0, unit_id="U4"),
    row("J1", locality="吉林市", score=70.0, unit_id="U5"),
    row("J2", locality="吉林市", score=68.0, unit_id="U6"),
    row("S1", locality="四平市", score=65.0, unit_id="U7"),
    row("B1", locality="白山市", score=62.0, unit_id="U8"),
]
SCENARIO = {
    "objective": {"pass_mark": 60},
    "rule": [
        {"id": "total", "clause": "x", "where": {}, "max": 4},
        {"id": "jilin", "clause": "x", "where": {"locality": "吉林市"}, "min": 1, "soft": {"weight": 3}},
    ],
}
WEIGHTS = {"长春市": 4, "吉林市": 2, "四平市": 1, "白山市": 1}      # candidates submitted


def every_slate():
    """(selected flags, objective, LH, largest deviation, seats out of proportion) of every feasible slate with N ≥ 1."""
    full = {"name": "test", "year": 2023, **SCENARIO}
    groups = list(WEIGHTS)
    c = np.array([WEIGHTS[g] for g in groups])
    C = int(c.sum())
    out = []
    for flags in itertools.product([False, True], repeat=len(ROWS)):
        verdict = oracle.audit(ROWS, full, flags, [False] * len(ROWS))
        if not verdict.ok or not any(flags):
            continue
        n = np.array([sum(f for f, r in zip(flags, ROWS) if r["locality"] == g) for g in groups])
        N = int(n.sum())
        dev = np.abs(C * n - c * N)
        score = sum(r["score"] for f, r in zip(flags, ROWS) if f) - verdict.penalty
        out.append((flags, score, Fraction(int(dev.sum()), 2 * C * N), Fraction(int(dev.max()), C * N),
                    Fraction(int(dev.sum()), 2 * C)))
    return out


SLATES = every_slate()


def best_within(bound: Fraction, which: int = 2) -> float:
    return max(s[1] for s in SLATES if s[which] <= bound)


@pytest.mark.parametrize("index, which", [("lh", 2), ("max", 3)])
def test_frontier_end_points_are_single_objective_optima(index, which):
    front = equity.frontier(scenario_of(SCENARIO), candidates=typed_frame(ROWS), points=4, index=index)
    t = front.table.sort_values("point")
    # Score end: the unconstrained round, as api.solve finds it.
    plain = api.solve(scenario_of(SCENARIO), candidates=typed_frame(ROWS))
    assert t["objective"].iloc[-1] == pytest.approx(plain.summary["objective"])
    assert t["objective"].iloc[-1] == pytest.approx(max(s[1] for s in SLATES))
    # Balance end: the smallest index of any feasible slate, and the best score at it.
    lowest = min(s[which] for s in SLATES)
    assert front.summary["min_index_pp"] == pytest.approx(float(lowest) * 100)
    assert front.summary["min_index_proven"]
    assert t["objective"].iloc[0] == pytest.approx(best_within(lowest, which))
    column = "lh_pp" if index == "lh" else "max_dev_pp"
    assert t[column].iloc[0] == pytest.approx(float(lowest) * 100)
    # Every point: the best score within its bound, and the bound holds.
    for eps_pp, objective, achieved in zip(t["epsilon_pp"], t["objective"], t[column]):
        bound = Fraction(eps_pp / 100).limit_denominator(10**6)
        assert objective == pytest.approx(best_within(bound, which)), eps_pp
        assert achieved <= eps_pp + 1e-9
    assert (t["status"] == "OPTIMAL").all()
    assert t["objective"].is_monotonic_increasing


def test_known_ends_of_this_round():
    """By hand: all four 长春 places (345 = 348 − 3 for 吉林) vs 2 长春 + 吉林 + 四平 (313) at LH 12.5 pp."""
    front = equity.frontier(scenario_of(SCENARIO), candidates=typed_frame(ROWS), points=2)
    assert front.table["objective"].tolist() == pytest.approx([313.0, 345.0])
    assert front.table["lh_pp"].tolist() == pytest.approx([12.5, 50.0])
    assert front.summary["cost_of_balance"] == pytest.approx(32.0)


@pytest.mark.parametrize("index, which", [("lh", 2), ("max", 3)])
def test_one_model_holds_each_bound_in_turn(index, which):
    """The bound is replaced in place: every ε, in any order, gives the best slate within it (by enumeration)."""
    from planner.errors import InfeasibleError
    points = balance.PointModel(balance.prepare_case(scenario_of(SCENARIO), candidates=typed_frame(ROWS), index=index))
    lowest = min(s[which] for s in SLATES)
    for eps in [Fraction(1, 2), lowest, Fraction(5, 16), Fraction(1, 5), lowest / 2, Fraction(1, 4)]:
        if eps < lowest:
            with pytest.raises(InfeasibleError):
                points.solve(eps)
            continue
        solution = points.solve(eps)
        assert solution.status == "OPTIMAL"
        assert solution.objective == pytest.approx(best_within(eps, which)), eps


def test_equity_bound_gives_the_best_slate_within_it():
    out = equity.solve_equitable(scenario_of(SCENARIO), candidates=typed_frame(ROWS), max_pp=30)
    assert out.result.audit.ok
    assert out.summary["objective"] == pytest.approx(best_within(Fraction(3, 10)))
    assert out.summary["indices"]["lh_pp"] <= 30 + 1e-9
    assert out.summary["unconstrained_indices"]["lh_pp"] == pytest.approx(50.0)
    assert set(out.shares.columns) == set(shares.SHARE_COLUMNS)


def test_equity_penalty_prices_seats_out_of_proportion():
    weight = 6.0
    out = equity.solve_equitable(scenario_of(SCENARIO), candidates=typed_frame(ROWS), weight=weight)
    expected = max(s[1] - weight * float(s[4]) for s in SLATES)
    assert out.summary["objective"] == pytest.approx(expected)


def test_unreachable_bound_is_infeasible():
    from planner.errors import InfeasibleError
    with pytest.raises(InfeasibleError):
        equity.solve_equitable(scenario_of(SCENARIO), candidates=typed_frame(ROWS), max_pp=5)


# --- indices --------------------------------------------------------------------------------------


def test_indices_on_hand_computed_shares():
    assert shares.loosemore_hanby([0.5, 0.5], [0.5, 0.5]) == 0
    assert shares.gallagher([0.5, 0.5], [0.5, 0.5]) == 0
    assert shares.gini([0.5, 0.5], [0.5, 0.5]) == pytest.approx(0)
    # Everything to one of two equal groups.
    assert shares.loosemore_hanby([1, 0], [0.5, 0.5]) == pytest.approx(0.5)
    assert shares.gallagher([1, 0], [0.5, 0.5]) == pytest.approx(0.5)
    assert shares.max_deviation([1, 0], [0.5, 0.5]) == pytest.approx(0.5)
    assert shares.gini([1, 0], [0.5, 0.5]) == pytest.approx(0.5)
    # d = (+0.1, 0, −0.1): LH = 0.1, Gallagher = √(½·0.02) = 0.1.
    assert shares.loosemore_hanby([0.6, 0.3, 0.1], [0.5, 0.3, 0.2]) == pytest.approx(0.1)
    assert shares.gallagher([0.6, 0.3, 0.1], [0.5, 0.3, 0.2]) == pytest.approx(0.1)
    # d = (0.3, −0.1, −0.1, −0.1): Gallagher = √(½·0.12) ≈ 0.2449, LH = 0.3.
    assert shares.gallagher([0.55, 0.15, 0.15, 0.15], [0.25] * 4) == pytest.approx(np.sqrt(0.06))


def lorenz_gini(share: np.ndarray, reference: np.ndarray) -> float:
    """1 − Σ (x_k − x_{k−1})(y_k + y_{k−1}) over groups sorted by share / reference."""
    order = np.argsort(share / reference, kind="stable")
    x = np.concatenate([[0], np.cumsum(reference[order])])
    y = np.concatenate([[0], np.cumsum(share[order])])
    return float(1 - np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1])))


def test_gini_is_the_lorenz_area():
    rng = np.random.default_rng(5)
    for _ in range(50):
        k = int(rng.integers(2, 12))
        p = rng.random(k) + 0.05
        p /= p.sum()
        s = rng.random(k) * rng.integers(0, 2, k)
        if s.sum() == 0:
            s[0] = 1
        s /= s.sum()
        assert shares.gini(s, p) == pytest.approx(lorenz_gini(s, p), abs=1e-12)


def test_shares_table():
    slate = typed_frame(ROWS).assign(selected=np.array([1, 1, 0, 0, 1, 0, 1, 0], dtype=np.int8))
    scenario = scenario_of(SCENARIO)
    weights = shares.reference_weights(typed_frame(ROWS), scenario)
    assert weights.to_dict() == WEIGHTS
    t = shares.shares(slate, weights, by="locality", scenario=scenario).set_index("group")
    assert t.loc["长春市", "selected"] == 2 and t.loc["长春市", "share"] == pytest.approx(0.5)
    assert t.loc["白山市", "share"] == 0 and t.loc["白山市", "reference_share"] == pytest.approx(0.125)
    assert t["difference_pp"].sum() == pytest.approx(0)
    assert shares.indices(t.reset_index())["lh_pp"] == pytest.approx(12.5)


# --- reference weights ------------------------------------------------------------------------------


def test_reference_weights_from_columns_files_and_mappings(tmp_path):
    scenario = scenario_of(SCENARIO)
    pop = {"长春市": "906", "吉林市": "362", "四平市": "181", "白山市": "95"}
    frame = typed_frame([dict(r, population=pop[r["locality"]]) for r in ROWS], extra=["population"])
    assert shares.reference_weights(frame, scenario, reference="equal").to_dict() == {g: 1 for g in WEIGHTS}
    assert shares.reference_weights(frame, scenario, reference="column:population").to_dict() == \
        {g: int(v) for g, v in pop.items()}
    clash = typed_frame([dict(r, population="1" if r["candidate_id"] == "K1" else pop[r["locality"]])
                         for r in ROWS], extra=["population"])
    with pytest.raises(InputError, match="长春市"):
        shares.reference_weights(clash, scenario, reference="column:population")
    path = tmp_path / "weights.csv"
    path.write_text("group,weight\n长春,9.5\n吉林市,3\n四平市,2\n白山市,1\n梅河口市,4\n", encoding="utf-8")
    got = shares.reference_weights(frame, scenario, reference=path)
    assert got.to_dict() == {"长春市": 95, "吉林市": 30, "四平市": 20, "白山市": 10, "梅河口市": 40}
    folded = scenario.folded("梅河口市", "四平市")
    assert shares.reference_weights(frame, folded, reference=path)["四平市"] == 60
    with pytest.raises(InputError, match="没有参照权重"):
        shares.reference_weights(frame, scenario, reference={"长春市": 1})
    with pytest.raises(InputError):
        shares.reference_weights(frame, scenario, reference={g: -1 for g in WEIGHTS})


def test_tier_shares_count_higher_vocational_schools_only():
    rows = [row("H1", unit_kind="higher_vocational", tier="national_double_high", unit_id="H1"),
            row("H2", unit_kind="higher_vocational", tier="other_higher", unit_id="H2"),
            row("H3", unit_kind="higher_vocational", tier="other_higher", unit_id="H3"),
            row("S1", unit_id="S1")]
    weights = shares.reference_weights(typed_frame(rows), scenario_of({}), by="tier")
    assert weights.to_dict() == {"national_double_high": 1, "other_higher": 2}


@pytest.fixture(scope="module")
def invoke():
    """The CLI in this process (typer's CliRunner), for the error paths: faster than a subprocess."""
    from typer.testing import CliRunner

    from planner.cli import root as cli
    from planner.cli.commands import register_all
    register_all(cli.app)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli.app, [str(a) for a in args])


def test_equity_command(tmp_path, cli, invoke):
    path = write_case(tmp_path / "case", ROWS, SCENARIO)
    done = cli("equity", path, "--frontier", "3", "--out", tmp_path / "front")
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(tmp_path / "front" / "frontier.csv", encoding="utf-8-sig")
    assert table["objective"].tolist() == pytest.approx([313.0, best_within(Fraction(5, 16)), 345.0])
    assert (tmp_path / "front" / "frontier.png").stat().st_size > 0
    bound = invoke("equity", path, "--max-index", "30", "--out", tmp_path / "bound")
    assert bound.exit_code == 0, bound.output
    assert {"slate.csv", "shares.csv"} <= {p.name for p in (tmp_path / "bound").iterdir()}
    impossible = invoke("equity", path, "--max-index", "5", "--out", tmp_path / "none")
    assert impossible.exit_code == 3 and "没有任何名单" in impossible.output
    assert not (tmp_path / "none").exists()


@pytest.mark.parametrize("index, which", [("lh", 2), ("max", 3)])
def test_balanced_end_names_every_count_vector_at_the_minimum(index, which):
    """The walk over count vectors proves the minimum and lists the counts a slate there can have."""
    case = balance.prepare_case(scenario_of(SCENARIO), candidates=typed_frame(ROWS), index=index)
    found = balance.most_balanced(case, Fraction(1), time_limit_s=30)
    lowest = min(s[which] for s in SLATES)
    groups = sorted(WEIGHTS)
    expected = sorted({tuple(sum(f for f, r in zip(s[0], ROWS) if r["locality"] == g) for g in groups)
                       for s in SLATES if s[which] == lowest})
    assert found.proven and found.index == lowest
    assert sorted(found.counts) == expected


def test_frontier_shows_its_progress_from_the_first_step(monkeypatch, capfd):
    """The bar opens before the first solve, says what each step does, and ends full."""
    from planner.analysis import sweep
    events = []

    class Recorder(sweep.Progress):
        def __enter__(self):
            events.append(("open", self.description, self.total))
            return super().__enter__()

        def describe(self, description):
            events.append(("describe", description))
            super().describe(description)

    solve = equity.solve_unconstrained
    monkeypatch.setattr(equity, "Progress", Recorder)
    monkeypatch.setattr(equity, "solve_unconstrained", lambda *a, **k: (events.append(("solve",)), solve(*a, **k))[1])
    equity.frontier(scenario_of(SCENARIO), candidates=typed_frame(ROWS), points=3, progress=True)
    assert events[0] == ("open", "求解不设均衡约束的最优名单", 4) and events[1] == ("solve",)
    assert [e[1] for e in events if e[0] == "describe"] == ["寻找最均衡的可行名单", "前沿上各点（逐步放宽均衡约束）"]
    assert "4/4" in capfd.readouterr().err


def test_frontier_points_on_a_process_pool_are_the_serial_ones():
    kwargs = dict(candidates=typed_frame(ROWS), points=4)
    serial = equity.frontier(scenario_of(SCENARIO), **kwargs)
    pooled = equity.frontier(scenario_of(SCENARIO), executor="process", workers=2, **kwargs)
    keep = ["point", "epsilon_pp", "status", "objective", "n_selected", "lh_pp"]
    pd.testing.assert_frame_equal(serial.table[keep], pooled.table[keep])
    assert serial.summary["bounds"] == pooled.summary["bounds"]


def test_balanced_end_falls_back_to_the_direct_search_when_vectors_are_too_many():
    case = balance.prepare_case(scenario_of(SCENARIO), candidates=typed_frame(ROWS))
    found = balance.most_balanced(case, Fraction(1), time_limit_s=30, max_vectors=0)
    assert found.index == min(s[2] for s in SLATES) and found.proven and found.counts == []
