"""Executors of `planner.analysis.sweep`: serial, a local process pool and Dask (on a LocalCluster).

The same sample sweep must give the same tidy table on every executor (sample s of seed k is
one draw wherever it runs), results come back in task order, each worker process builds a
job's state once, and the progress bar shows only when asked or on a terminal.
"""
from __future__ import annotations

import os
from types import MappingProxyType

import numpy as np
import pandas as pd
import pytest
from conftest import row, scenario_of, typed_frame, write_case

from planner.analysis import sampling, sweep
from planner.errors import InputError

ROWS = [row(f"R{i}", locality=loc, score=score, unit_id=f"U{i}")
        for i, (loc, score) in enumerate([("长春市", 88.0), ("长春市", 84.5), ("长春市", 83.0), ("吉林市", 82.0),
                                          ("吉林市", 79.5), ("四平市", 76.0), ("四平市", 61.0)])]
SCENARIO = {"rule": [{"id": "loc-cap", "clause": "x", "where": {}, "per": ["locality"], "max": 2},
                     {"id": "total", "clause": "x", "where": {}, "max": 4}]}
SAMPLES = 24


@pytest.fixture(scope="module")
def case():
    return sampling.make_case(scenario_of(SCENARIO), candidates=typed_frame(ROWS), score_sd=3.0, seed=5)


@pytest.fixture(scope="module")
def serial_runs(case):
    return sampling.run_samples([case], SAMPLES, executor="serial")


def _same(a: sampling.SampleRuns, b: sampling.SampleRuns) -> None:
    keep = ["case", "sample", "status", "objective", "nominal_score", "n_selected", "changed"]
    pd.testing.assert_frame_equal(a.runs[keep], b.runs[keep])
    for label in a.selections:
        assert np.array_equal(a.selections[label], b.selections[label])


def test_process_pool_gives_the_serial_table(case, serial_runs):
    runs = sampling.run_samples([case], SAMPLES, executor="process", workers=2, chunk_size=4)
    _same(serial_runs, runs)
    # Which pool process picks up which chunk is the pool's business (on a loaded machine one
    # process may take them all); what matters is that none ran in this process.
    workers = set(runs.runs["worker"])
    assert 1 <= len(workers) <= 2 and all(str(os.getpid()) not in w for w in workers)


def test_dask_local_cluster_gives_the_serial_table(case, serial_runs):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        runs = sampling.run_samples([case], SAMPLES, executor="dask", client=client, chunk_size=3)
        again = sampling.run_samples([case], SAMPLES, executor="dask", address=cluster.scheduler_address)
    _same(serial_runs, runs)
    _same(serial_runs, again)
    assert 1 <= len(set(runs.runs["worker"])) <= 2


def test_several_scenarios_gather_into_one_tidy_table(case):
    other = sampling.make_case(scenario_of({"rule": [{"id": "total", "clause": "x", "where": {}, "max": 2}]}),
                             candidates=typed_frame(ROWS), score_sd=3.0, seed=5, label="two-places")
    runs = sampling.run_samples([case, other], 6, executor="serial")
    assert list(runs.runs.columns) == sampling.RUN_COLUMNS
    assert runs.runs.groupby("case")["sample"].apply(list).to_dict() == {case.label: list(range(7)),
                                                                          "two-places": list(range(7))}
    assert (runs.runs.loc[runs.runs["case"] == "two-places", "n_selected"] == 2).all()
    probabilities = runs.probabilities()
    assert len(probabilities) == 2 * len(ROWS)
    assert probabilities["probability"].between(0, 1).all()
    with pytest.raises(InputError, match="各不相同的情景名称"):
        sampling.run_samples([case, case], 1, executor="serial")


# --- the engine itself ------------------------------------------------------------------------------

def build_counter(payload):
    """Worker state: a list that counts builds (module level, so workers can import it)."""
    return {"payload": payload, "pid": os.getpid(), "builds": [1]}


def run_echo(state, item):
    return {"item": item, "payload": state["payload"], "pid": state["pid"], "builds": len(state["builds"])}


def test_results_in_task_order_and_state_built_once_per_worker():
    job = sweep.make_job(build_counter, {"text": MappingProxyType({"a": 1})})
    tasks = [sweep.Task(job, "test_sweep:run_echo", i) for i in range(17)]
    out = sweep.run_tasks(tasks, executor="serial", chunk_size=5)
    assert [r["item"] for r in out] == list(range(17))
    assert all(r["builds"] == 1 and r["payload"]["text"]["a"] == 1 for r in out)
    assert len({r["pid"] for r in out}) == 1


def test_bad_executor_settings():
    job = sweep.make_job(build_counter, 1)
    with pytest.raises(InputError, match="执行方式"):
        sweep.run_tasks([sweep.Task(job, "test_sweep:run_echo", 1)], executor="threads")
    with pytest.raises(InputError, match="workers"):
        sweep.run_tasks([sweep.Task(job, "test_sweep:run_echo", 1)], executor="serial", workers=-1)
    assert sweep.run_tasks([], executor="process") == []


def test_scenarios_with_mapping_proxies_are_shipped(case):
    blob = sweep.dumps(case.scenario)
    import pickle
    back = pickle.loads(blob)
    assert back.rules == case.scenario.rules and isinstance(back.switches, MappingProxyType)


def test_progress_bar_only_when_asked(capfd):
    job = sweep.make_job(build_counter, 0)
    tasks = [sweep.Task(job, "test_sweep:run_echo", i) for i in range(3)]
    sweep.run_tasks(tasks, executor="serial")              # stderr is not a terminal under pytest
    assert capfd.readouterr().err == ""
    sweep.run_tasks(tasks, executor="serial", progress=True, description="echoes")
    assert "echoes" in capfd.readouterr().err


@pytest.fixture(scope="module")
def invoke():
    """The CLI in this process (typer's CliRunner), for the error paths: faster than a subprocess."""
    from typer.testing import CliRunner

    from planner.cli import root as cli
    from planner.cli.commands import register_all
    register_all(cli.app)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli.app, [str(a) for a in args])


def test_sweep_command_writes_one_tidy_table(tmp_path, cli, invoke):
    first = write_case(tmp_path / "a", ROWS, SCENARIO)
    done = cli("sweep", first, "--samples", "5", "--score-sd", "2", "--executor", "serial", "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    runs = pd.read_csv(tmp_path / "out" / "runs.csv", encoding="utf-8-sig")
    assert list(runs.columns) == sampling.RUN_COLUMNS and len(runs) == 6
    bad = invoke("sweep", first, "--samples", "5", "--executor", "threads", "--score-sd", "2", "--out", tmp_path / "x")
    assert bad.exit_code == 2 and "executor" in bad.output


def test_dask_logging_stays_off_the_terminal_unless_verbose(tmp_path, cli):
    pytest.importorskip("distributed")
    first = write_case(tmp_path / "a", ROWS, SCENARIO)
    args = ["sweep", first, "--samples", "2", "--score-sd", "2", "--executor", "dask", "--workers", "1"]
    quiet = cli(*args, "--out", tmp_path / "quiet")
    assert quiet.returncode == 0, quiet.stderr
    assert "Scheduler" not in quiet.stderr and "Nanny" not in quiet.stderr and "INFO" not in quiet.stderr
    loud = cli(*args, "--verbose", "--out", tmp_path / "loud")
    assert loud.returncode == 0, loud.stderr
    assert "Scheduler" in loud.stderr or "worker" in loud.stderr.lower()
    quiet_runs = pd.read_csv(tmp_path / "quiet" / "runs.csv", encoding="utf-8-sig")
    loud_runs = pd.read_csv(tmp_path / "loud" / "runs.csv", encoding="utf-8-sig")
    pd.testing.assert_series_equal(quiet_runs["objective"], loud_runs["objective"])


def test_pool_forks_only_without_other_threads(monkeypatch):
    import threading
    monkeypatch.delenv("PLANNER_START_METHOD", raising=False)
    if not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    main = threading.main_thread()
    assert sweep.start_method([main]) == "fork"
    other = threading.Thread(target=lambda: None, daemon=True)
    assert sweep.start_method([main, other]) == "spawn"
    monkeypatch.setenv("PLANNER_START_METHOD", "spawn")
    assert sweep.start_method([main]) == "spawn"


def test_the_amdahl_fit_of_one_and_two_workers_predicts_sixteen_by_hand():
    from benchmarks.bench_sweep import amdahl

    # T(1) = 100, T(2) = 55: f = 2·55/100 − 1 = 0.1; on 16, 1 / (0.1 + 0.9/16) = 1 / 0.15625 = 6.4
    fitted = amdahl(100.0, 55.0)
    assert fitted["serial_fraction"] == 0.1 and fitted["predicted_speedup_16"] == 6.4
    assert amdahl(100.0, 50.0)["predicted_speedup_16"] == 16.0        # no serial part
    assert amdahl(100.0, 100.0)["predicted_speedup_16"] == 1.0        # no parallel part
    assert "not measured" in fitted["measured_16"]
