"""OR-Library sets through the rule engine: the parsers, the conversion to rounds, and the
published optima reproduced by build_model + solve_model, each slate checked by the auditor and
by hand (numpy) against the raw instance.

The files are read from ``../shared/benchmarks/orlib`` beside the repository (or
``$PLANNER_ORLIB``) and never copied into it; the tests are skipped when the folder is absent.
Expected optima are the published ones: mknap1's (OR-Library, stated in the file and in the
folder's README) and gap1's (gapinfo.txt, maximisation).
"""
from __future__ import annotations

import numpy as np
import pytest

from planner.audit import check_slate
from planner.errors import InputError
from planner.inputs import orlib
from planner.rules import orlib_rounds
from planner.model import build_model
from planner.solver import solve_model

FOLDER = orlib.orlib_folder()
pytestmark = pytest.mark.skipif(not (FOLDER / "mknap1.txt").is_file(),
                                reason=f"OR-Library files not found in {FOLDER} (set PLANNER_ORLIB)")

# Published optima (OR-Library mknap1; gapinfo.txt for gap1 = c515-1…5, maximisation).
MKNAP1_OPTIMA = [3800, 8706.1, 4015, 6120, 12400, 10618, 16537]
GAP1_OPTIMA = [336, 327, 339, 341, 326]


def solve_round(instance, **kw):
    frame, scenario = orlib_rounds.as_round(instance)
    model = build_model(frame, scenario)
    solution = solve_model(model, **{"time_limit_s": 60, "workers": 2, **kw})
    slate = frame.assign(selected=solution.selected, national=solution.national)
    assert check_slate(slate, scenario).ok
    return frame, solution


# --------------------------------------------------------------------------- parsers
def test_the_folder_is_beside_the_repository_or_named_by_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(orlib.ENV_FOLDER, raising=False)
    assert orlib.orlib_folder("/x/main") == orlib.Path("/x/shared/benchmarks/orlib")
    monkeypatch.setenv(orlib.ENV_FOLDER, str(tmp_path))
    assert orlib.orlib_folder("/x/main") == tmp_path
    with pytest.raises(InputError, match="mknap1.txt"):
        orlib.load_set("mknap1")


def test_mknap1_parses_seven_instances_with_their_sizes_and_decimal_profits():
    instances = orlib.load_set("mknap1", FOLDER)
    sizes = [(i.weights.shape[1], i.weights.shape[0]) for i in instances]
    assert sizes == [(6, 10), (10, 10), (15, 10), (20, 10), (28, 10), (39, 5), (50, 5)]
    assert [i.optimum for i in instances] == pytest.approx(MKNAP1_OPTIMA)
    assert instances[1].profits[:2].tolist() == [600.1, 310.5]       # README: instance 2 keeps decimals


def test_mknap2_has_48_instances_and_gap_files_5_each():
    mknap2 = orlib.load_set("mknap2", FOLDER)
    assert len(mknap2) == 48 and mknap2[0].name == "SENTO1" and mknap2[-1].name == "HP2"
    assert all(i.optimum is not None and i.weights.shape == (len(i.capacities), len(i.profits)) for i in mknap2)
    for k, (m, n) in {1: (5, 15), 5: (8, 24), 12: (10, 60)}.items():
        gap = orlib.load_set(f"gap{k}", FOLDER)
        assert len(gap) == 5 and gap[0].profit.shape == (m, n) and gap[0].optimum is not None


def test_mknapcb1_takes_names_best_known_values_and_lp_bounds_from_mkcbres():
    cb = orlib.load_set("mknapcb1", FOLDER)
    assert len(cb) == 30 and cb[0].name == "5.100-00" and cb[29].name == "5.100-29"
    assert cb[0].optimum is None and cb[0].best_known == 24381       # mkcbres_named.txt, first row
    assert cb[0].lp_bound == pytest.approx(24585.902722)
    assert all(i.best_known < i.lp_bound for i in cb)


def test_a_truncated_file_is_an_input_error_naming_it(tmp_path):
    text = (FOLDER / "mknap1.txt").read_text().split()
    bad = tmp_path / "mknap1.txt"
    bad.write_text(" ".join(text[:-5]))
    with pytest.raises(InputError, match="mknap1.txt"):
        orlib.read_mknap1(bad)


# --------------------------------------------------------------------------- as rounds
def test_an_mkp_round_has_one_sum_rule_per_constraint_over_weight_columns():
    instance = orlib.load_set("mknap1", FOLDER)[0]
    frame, scenario = orlib_rounds.mkp_round(instance)
    assert len(frame) == 6 and scenario.maximise == "profit" and scenario.tie_break == "none"
    assert [r.measure for r in scenario.rules] == [f"sum:w{k}" for k in range(1, 11)]
    assert [r.max.default for r in scenario.rules] == instance.capacities.tolist()
    assert frame["w1"].astype(float).tolist() == instance.weights[0].tolist()


def test_a_gap_round_has_exactly_one_agent_per_job_and_a_capacity_per_agent():
    instance = orlib.load_set("gap1", FOLDER)[0]
    frame, scenario = orlib_rounds.gap_round(instance)
    assert len(frame) == 5 * 15
    one, capacity = scenario.rules
    assert one.per == ("job",) and one.min.default == one.max.default == 1
    assert capacity.per == ("agent",) and capacity.measure == "sum:resource"
    assert capacity.max.for_group("A02") == instance.capacity[1]


# --------------------------------------------------------------------------- published optima
@pytest.mark.parametrize("k", range(7))
def test_mknap1_optima_are_reproduced(k):
    instance = orlib.load_set("mknap1", FOLDER)[k]
    _, solution = solve_round(instance)
    assert solution.status == "OPTIMAL"
    assert solution.objective == pytest.approx(MKNAP1_OPTIMA[k], abs=1e-9)
    # By hand: the chosen items' profit and every capacity.
    x = solution.selected.astype(float)
    assert x @ instance.profits == pytest.approx(MKNAP1_OPTIMA[k])
    assert np.all(instance.weights @ x <= instance.capacities + 1e-9)


@pytest.mark.parametrize("k", range(5))
def test_gap1_optima_are_reproduced(k):
    instance = orlib.load_set("gap1", FOLDER)[k]
    _, solution = solve_round(instance)
    assert solution.status == "OPTIMAL" and solution.objective == GAP1_OPTIMA[k]
    # By hand: every job to exactly one agent, every agent within capacity.
    x = solution.selected.reshape(instance.profit.shape).astype(int)
    assert np.all(x.sum(axis=0) == 1)
    assert np.all((instance.resource * x).sum(axis=1) <= instance.capacity)
    assert (instance.profit * x).sum() == GAP1_OPTIMA[k]


@pytest.mark.slow
def test_every_mknap2_optimum_is_reproduced():
    wrong = []
    for instance in orlib.load_set("mknap2", FOLDER):
        _, solution = solve_round(instance)
        if solution.status != "OPTIMAL" or solution.objective != pytest.approx(instance.optimum):
            wrong.append((instance.name, solution.status, solution.objective, instance.optimum))
    assert wrong == []
