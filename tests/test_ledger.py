"""Tests of planner.ledger: use per year, remaining quota, targets, and `planner ledger`.

Expected values are counted by hand from the few rows of each case (see the comments).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from planner.inputs import normalise_candidates
from planner.ledger import ledger_from_outputs, ledger_summary, ledger_table
from planner.rules import parse_scenario

BASE = dict(task="practice_centre", unit_id="S1", unit_name="长春市第一职业学校", unit_kind="secondary_vocational",
            tier="", locality="长春市", level="secondary", integrated=False, exempt=False, eligible=True)

RULES = [
    {"id": "quota", "clause": "三(三)", "where": {"task": "practice_centre"}, "max": 3},
    {"id": "target", "clause": "三(三)", "where": {"track": "public"}, "min": 2, "by": 2025},
    {"id": "pool", "clause": "二(三)", "where": {}, "scope": "year", "measure": "sum:cost", "max": 10},
    {"id": "files", "clause": "三(一)", "decision": "filing", "where": {}, "min": 1},
]


def rows(spec, selected) -> pd.DataFrame:
    """(id, year, track, cost) rows with a selected flag each."""
    frame = normalise_candidates(pd.DataFrame([{**BASE, "candidate_id": i, "year": y, "track": t, "title": i,
                                                "score": 80, "cost": c} for i, y, t, c in spec]).astype(str))
    return frame.assign(selected=np.array(selected, dtype=np.int8), national=np.zeros(len(frame), np.int8))


def scenario(year: int) -> object:
    return parse_scenario({"name": "t", "year": year, "period": [2023, 2025], "rule": RULES})


HISTORY = rows([("A", 2023, "school", 4), ("B", 2023, "public", 5), ("C", 2023, "school", 9)], [1, 1, 0])
SLATE = rows([("D", 2024, "school", 3), ("E", 2024, "public", 8), ("F", 2025, "public", 1)], [1, 0, 0])


def by_rule(table: pd.DataFrame) -> dict:
    return {r["rule_id"]: r for r in table.to_dict("records")}


def test_use_per_year_remaining_and_target_after_2024():
    led = by_rule(ledger_table(SLATE, scenario(2024), HISTORY))
    assert set(led) == {"quota", "target", "pool"}           # filing checks are not ledger rows
    q = led["quota"]
    # 2023: A, B (C not selected) = 2; 2024: D = 1 (F is a 2025 row, not decided); 2025 not yet.
    assert (q["used_2023"], q["used_2024"]) == (2, 1) and np.isnan(q["used_2025"])
    assert (q["used"], q["max"], q["remaining"], q["status"]) == (3, 3, 0, "full")
    t = led["target"]
    # public: B in 2023, none in 2024 -> 1 of 2, target still ahead in 2024; its min does not bind yet.
    assert (t["used"], t["target"], t["target_year"], t["to_target"], t["status"]) == (1, 2, 2025, 1, "open")
    assert np.isnan(t["min"])
    p = led["pool"]
    # yearly pool: 2023 spent 4 + 5 = 9, 2024 spends 3; this year's use counts against 10.
    assert (p["used_2023"], p["used_2024"], p["used"], p["remaining"], p["status"]) == (9, 3, 3, 7, "ok")


def test_target_missed_in_its_year_and_quota_over():
    history = pd.concat([HISTORY, SLATE.iloc[:2]], ignore_index=True)
    last = rows([("G", 2025, "school", 2)], [1])
    led = by_rule(ledger_table(last, scenario(2025), history))
    # quota: 2 + 1 + 1 = 4 > 3 -> over; target: 1 < 2 in 2025 -> below (its min binds now).
    assert (led["quota"]["used"], led["quota"]["status"]) == (4, "over")
    assert (led["target"]["used"], led["target"]["status"]) == (1, "below")


def test_planned_years_are_projected_not_used():
    planned = rows([("E@2025", 2025, "public", 8)], [1])
    led = by_rule(ledger_table(SLATE, scenario(2024), HISTORY, planned=planned))
    t = led["target"]
    # used stays 1; the planned 2025 pick brings the projection to 2 = the target.
    assert (t["used"], t["planned_2025"], t["projected"]) == (1, 1, 2)
    assert led["pool"]["planned_2025"] == 8


def test_summary_adds_groups_per_rule():
    rules = [{"id": "per-loc", "clause": "t", "where": {"task": "practice_centre"}, "per": ["locality"],
              "max": {"长春市": 2, "*": 1}}]
    sc = parse_scenario({"name": "t", "year": 2023, "period": [2023, 2025], "rule": rules})
    frame = rows([("A", 2023, "school", 1), ("B", 2023, "school", 1), ("C", 2023, "school", 1)], [1, 1, 1])
    frame.loc[2, "locality"] = "吉林市"
    summary = ledger_summary(ledger_table(frame, sc)).iloc[0]
    # 长春市 2 of 2 (full), 吉林市 1 of 1 (full): used 3, quota 3, remaining 0, both groups full.
    assert (summary["used"], summary["max"], summary["remaining"], summary["groups_full"], summary["groups"]) == \
        (3, 3, 0, 2, 2)


def cli(args: list[str]):
    """`planner ledger ARGS` in-process, as the installed command runs it (typer's CliRunner)."""
    import typer
    from typer.testing import CliRunner

    from planner.cli.commands import ledger as command
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """planner"""

    command.register(app)
    return CliRunner().invoke(app, ["ledger", *args])


def _write_run(folder: Path, frame: pd.DataFrame, scenario_file: Path) -> None:
    folder.mkdir(parents=True)
    frame.to_csv(folder / "slate.csv", index=False)
    (folder / "summary.json").write_text(json.dumps({"inputs": {str(scenario_file): "x"}}), "utf-8")


SCENARIO_TOML = """
name = "t"
year = {year}
period = [2023, 2025]
[[rule]]
id = "quota"
clause = "三(三)"
where = {{ task = "practice_centre" }}
max = 3
[[rule]]
id = "target"
clause = "三(三)"
where = {{ track = "public" }}
min = 2
by = 2025
"""


def test_ledger_from_output_folders_and_cli(tmp_path):
    sc_file = tmp_path / "s2024.toml"
    sc_file.write_text(SCENARIO_TOML.format(year=2024), "utf-8")
    _write_run(tmp_path / "out23", HISTORY, sc_file)
    _write_run(tmp_path / "out24", SLATE, sc_file)
    scenario_, table = ledger_from_outputs([tmp_path / "out23", tmp_path / "out24"])
    assert scenario_.year == 2024
    assert by_rule(table)["quota"]["used"] == 3                 # as in the first test, read from files
    done = cli([str(tmp_path / "out23"), str(tmp_path / "out24")])
    assert done.exit_code == 0, done.output
    assert "target" in done.stdout and "quota" in done.stdout
    # In 2025 the public target (1 of 2) is missed: exit 1 with a one-line error.
    sc25 = tmp_path / "s2025.toml"
    sc25.write_text(SCENARIO_TOML.format(year=2025), "utf-8")
    _write_run(tmp_path / "out25", rows([("G", 2025, "school", 2)], [0]), sc25)
    done = cli([str(tmp_path / d) for d in ("out23", "out24", "out25")])
    assert done.exit_code == 1
    assert '规则“target”分组“全省”：未达下限' in done.stderr
    missing = cli([str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "slate.csv" in missing.stderr


def test_year_sums_in_one_pass_are_each_groups_own_sums():
    """By hand: group A holds rows 0, 1, 3; group B rows 1, 2 (groups may share a row); years
    2023–2025, row 3 of 2026 falls outside. Fractional amounts are left to numpy (None)."""
    from types import SimpleNamespace

    import numpy as np

    from planner.ledger.ledger import _year_sums

    groups = [SimpleNamespace(rows=np.array([0, 1, 3])), SimpleNamespace(rows=np.array([1, 2]))]
    years = np.array([2023, 2024, 2024, 2026])
    sums = _year_sums(groups, np.array([1.0, 2.0, 5.0, 7.0]), years, 2023, 2025)
    assert sums.tolist() == [[1.0, 2.0, 0.0], [0.0, 7.0, 0.0]]
    assert _year_sums(groups, np.array([0.1, 0.2, 0.3, 0.4]), years, 2023, 2025) is None
    # Negative whole numbers are whole; -2.5, a NaN or an infinity leave the sums to numpy.
    assert _year_sums(groups, np.array([-1.0, 2.0, -5.0, 7.0]), years, 2023, 2025).tolist() == [[-1.0, 2.0, 0.0],
                                                                                               [0.0, -3.0, 0.0]]
    for odd in (-2.5, np.nan, np.inf):
        assert _year_sums(groups, np.array([1.0, odd, 5.0, 7.0]), years, 2023, 2025) is None


def test_a_ledger_of_the_slate_alone_groups_through_the_index_it_is_given():
    from planner.rules import FrameIndex, complete_columns
    now = scenario(2024)
    completed = complete_columns(SLATE.copy(), now)
    alone = ledger_table(SLATE, now)
    assert alone.equals(ledger_table(SLATE, now, index=FrameIndex(completed)))
    # The index's frame is what is grouped: one where D is public counts D (selected, 2024) for the target.
    moved = completed.assign(track=["public", "public", "public"])
    assert by_rule(alone)["target"]["used"] == 0
    assert by_rule(ledger_table(SLATE, now, index=FrameIndex(moved)))["target"]["used"] == 1
    # With history the ledger has more rows than the index: it groups its own (B in 2023 is public).
    assert by_rule(ledger_table(SLATE, now, HISTORY, index=FrameIndex(moved)))["target"]["used"] == 1
    assert by_rule(ledger_table(SLATE, now, HISTORY, index=FrameIndex(moved)))["quota"]["used"] == 3
