"""Tests of planner.availability: who can be chosen this year, why not, and pins."""
from __future__ import annotations

import pandas as pd
import pytest
from conftest import frame_of, row, scenario_of

from planner.errors import PolicyError
from planner.rules import BLOCKS, blocked_reason, check_pins, pinned_in

ROWS = [
    row("ok"),
    row("old", year=2022),
    row("next", year=2024),
    row("intl", task="international_school", track=""),       # switched off in the catalogue
    row("inel", eligible=False),
    row("low", score=59.9),
    row("mark", score=60.0),
    row("out"),
    row("all", year=2024, task="international_school", track="", eligible=False, score=1.0),
]


def reasons(data: dict, rows=ROWS) -> dict[str, str]:
    frame = frame_of(rows)
    scenario = scenario_of({"period": [2022, 2024], **data})
    return dict(zip(frame["candidate_id"], blocked_reason(frame, scenario)))


def test_every_reason_and_its_precedence():
    got = reasons({"objective": {"pass_mark": 60}, "force_out": ["out", "all"]})
    assert got == {"ok": "", "old": "other_year", "next": "other_year", "intl": "task_disabled",
                   "inel": "ineligible", "low": "below_pass_mark", "mark": "", "out": "pinned_out",
                   "all": "other_year"}
    assert BLOCKS[0] == "other_year" and BLOCKS[-1] == "pinned_out"


def test_without_a_pass_mark_no_score_blocks():
    assert reasons({})["low"] == ""


def test_tasks_table_switches_tasks_on_and_off():
    got = reasons({"tasks": {"international_school": True, "practice_centre": False}})
    assert got["intl"] == "" and got["ok"] == "task_disabled" and got["old"] == "other_year"


def test_pass_mark_reads_the_objective_column():
    frame = frame_of(ROWS[:2]).assign(rating=pd.Series(["70", "x"], dtype="str"))
    scenario = scenario_of({"objective": {"maximise": "rating", "pass_mark": 65}, "period": [2022, 2023]})
    # "x" is no number, so it cannot reach the pass mark; the 2022 row is of another year first.
    assert blocked_reason(frame, scenario).tolist() == ["", "other_year"]
    frame.loc[1, "year"] = 2023
    assert blocked_reason(frame, scenario).tolist() == ["", "below_pass_mark"]


def test_pinned_in_mask():
    frame = frame_of(ROWS)
    assert list(pinned_in(frame, scenario_of({"force_in": ["ok", "mark"]}))) == \
        [True, False, False, False, False, False, True, False, False]


def test_pins_must_name_existing_selectable_candidates():
    frame = frame_of(ROWS)
    check_pins(frame, scenario_of({"force_in": ["ok"], "force_out": ["old"]}))
    with pytest.raises(PolicyError) as info:
        check_pins(frame, scenario_of({"force_in": ["okk"], "force_out": ["nope"]}))
    lines = info.value.lines()
    assert len(lines) == 2
    assert "force_in：发现 候选表中没有的项目“okk”" in lines[0]
    assert '"ok"' in lines[0] or "“ok”" in lines[0]                # the nearest id
    assert "force_out：发现 候选表中没有的项目“nope”" in lines[1]
    with pytest.raises(PolicyError) as info:
        check_pins(frame, scenario_of({"period": [2022, 2024], "force_in": ["inel", "old", "ok"]}))
    lines = info.value.lines()
    assert len(lines) == 2
    assert "固定入选了不能入选的项目“old”（不是本年度的项目）" in "\n".join(lines)
    assert "固定入选了不能入选的项目“inel”（不符合申报条件）" in "\n".join(lines)


def test_a_test_per_distinct_value_reads_every_cell_as_one_per_cell():
    """`per_value` against `Series.map` cell by cell (the oracle), also for a mixed column where
    1, 1.0 and True are equal keys but read apart, and for missing cells."""
    import numpy as np

    from planner.rules.availability import per_value

    def test(v):
        return v is True or str(v).strip().lower() in {"1", "true", "是"}

    for column in (pd.Series(["是", " 否", "是", None, "true", "是"] * 3, dtype="str"),
                   pd.Series([1, 1.0, True, "1", None, float("nan"), "x"], dtype=object),
                   pd.Series([True, False, True]), pd.Series(np.array([1, 0, 2], np.int8))):
        assert per_value(column, test).tolist() == column.map(test).to_numpy(dtype=bool).tolist()
