"""The issue-28 speed table's arithmetic (benchmarks/bench_sweep.py fits, benchmarks/speed.py
verdicts), checked against hand calculations — the benchmarks themselves are not run here."""
from __future__ import annotations

import pytest

from benchmarks.bench_sweep import amdahl_fit, scale_lines


def test_the_amdahl_least_squares_fit_recovers_a_known_serial_part():
    # T(w) = 10 + 90/w exactly at 1, 2, 4 workers: s = 10, p = 90, f = 0.1, 16 → 1 / (0.1 + 0.9/16) = 6.4
    fitted = amdahl_fit({1: 100.0, 2: 55.0, 4: 32.5})
    assert fitted["serial_s"] == pytest.approx(10.0) and fitted["parallel_s"] == pytest.approx(90.0)
    assert fitted["serial_fraction"] == 0.1 and fitted["predicted_speedup_16"] == 6.4


def test_two_points_fit_exactly_and_one_point_fits_nothing():
    # T(1) = 60, T(2) = 33: p = 2·(60 − 33) = 54, s = 6, f = 0.1
    fitted = amdahl_fit({1: 60.0, 2: 33.0})
    assert fitted["serial_s"] == pytest.approx(6.0) and fitted["serial_fraction"] == 0.1
    assert amdahl_fit({1: 60.0}) == {}


def test_a_slower_second_worker_means_all_serial_not_a_negative_part():
    fitted = amdahl_fit({1: 50.0, 2: 60.0})
    assert fitted["parallel_s"] == 0.0 and fitted["serial_fraction"] == 1.0
    assert fitted["predicted_speedup_16"] == 1.0


def test_the_lines_name_the_rows_not_measured():
    result = {"executor": "dask", "cores": 2,
              "sweep": {"samples": 1000, "wall_1_s": 100.0, "wall_2_s": 55.0, "wall_4_s": "not measured: …",
                        "wall_16_s": "not measured: …", **amdahl_fit({1: 100.0, 2: 55.0}),
                        "samples_work_s": 92.0, "serial_measured_s": 8.0, "serial_fraction_measured": 0.08,
                        "predicted_speedup_16_measured": 7.27}}
    text = "\n".join(scale_lines(result))
    assert "1 → 100.0 s, 2 → 55.0 s, 4 → not measured" in text
    assert "f = 0.100 → 6.4× predicted on 16" in text
    assert "serial part measured on 1 worker: 8.0 s of 100.0 s" in text
    assert "16 workers: not measured: this machine has 2 cores" in text


def _result(**parts):
    return {"before": "abc1234", "cores": 2, "load_before": [1.0], "load_after": [1.5], "started": "2026-12-07 07:00",
            "wall_s": 600.0, **parts}


def test_the_speed_table_judges_each_figure_against_its_target():
    from benchmarks.speed import lines

    national = {"end_to_end": {"ratio": 1.9, "wall_s": 13.3, "build_solve_s": 7.0},
                "before": {"ratio": 2.47, "wall_s": 18.5, "build_solve_s": 7.5}, "phases_s": {"solve": 4.5}}
    # build 0.1 of 0.1 + 0.5 = 16.7 %: over 15 %
    build = {"after": {"build_s": 0.1, "solve_s": 0.5, "share": 0.1 / 0.6},
             "before": {"build_s": 0.2, "solve_s": 0.6, "share": 0.25}}
    analyses = {"solve": {"before_s": 3.0, "after_s": 2.0, "check": {"identical": True}},
                "equity": {"before_s": 60.0, "after_s": 18.0, "solves_before": 20.0, "solves_after": 9.0},
                "robust200": {"before_s": 90.0, "after_s": 40.0, "solves_before": 30.0, "solves_after": 20.0},
                "solve-funded": {"before_s": 2.0, "after_s": 2.5, "check": {"identical": False}}}
    text = "\n".join(lines(_result(national=national, build=build, analyses=analyses)))
    row = {line.split("  ")[0]: line for line in text.splitlines()}
    assert row["national end to end ÷ build + solve"].endswith("MET") and "1.90×" in text and "2.47×" in text
    assert row["jilin-2023 build share (median of 5)"].endswith("NOT MET") and "16.7 %" in text and "25.0 %" in text
    assert row["equity --frontier 5 ÷ one solve"].endswith(" MET")
    assert row["robust 200 samples ÷ one solve"].endswith("NOT MET")
    assert "MET (slates identical)" in row["planner solve jilin-2023 (median of 5)"]
    assert "NOT MET (SLATES DIFFER)" in row["planner solve jilin-2023-funded (median of 5)"]


def test_sixteen_workers_unmeasured_is_said_not_guessed_as_met():
    from benchmarks.speed import lines

    sweep = {"executor": "dask", "cores": 2,
             "sweep": {"samples": 1000, "wall_1_s": 100.0, "wall_2_s": 55.0, "wall_16_s": "not measured: …",
                       **amdahl_fit({1: 100.0, 2: 55.0})},
             "lookahead_sweep": {"samples": 48, "wall_1_s": 30.0, "wall_2_s": 15.0, "wall_16_s": 2.0,
                                 "speedup_16": 15.0}}
    text = "\n".join(lines(_result(sweep=sweep)))
    assert "not measured; predicted 6.4× from the fit (f = 0.100)" in text and "NOT MEASURED" in text
    # with the serial part measured on one worker (8 s of 100 s: 1 / (0.08 + 0.92 / 16) = 7.27×), that first
    sweep["sweep"].update(serial_fraction_measured=0.08, predicted_speedup_16_measured=7.27)
    text = "\n".join(lines(_result(sweep=sweep)))
    assert ("not measured; predicted 7.3× from the serial part measured on 1 worker (f = 0.080); "
            "6.4× from the fit (f = 0.100)") in text
    assert any(line.startswith("lookahead sweep on 16 workers") and line.endswith(" MET") for line in text.splitlines())
