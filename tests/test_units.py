"""Tests of planner.rules.units: who a unit is (one id, one name, one kind, tier and locality),
on tables small enough to check by eye."""
from __future__ import annotations

import pandas as pd
import pytest

from planner.errors import InputError
from planner.rules.units import check_units, merge_units, name_key, unit_conflicts, unit_merges


def units(*rows: tuple[str, str]) -> pd.DataFrame:
    """Rows of (unit_id, unit_name), all 中职 schools of 长春市."""
    return pd.DataFrame({"candidate_id": [f"C{i}" for i in range(len(rows))],
                         "unit_id": [r[0] for r in rows], "unit_name": [r[1] for r in rows],
                         "unit_kind": "secondary_vocational", "tier": "", "locality": "长春市"})


def test_names_compare_across_widths_and_blanks_but_not_across_words():
    keys = name_key(pd.Series(["ＡＢ学院", "AB 学院", "A B\u3000学院", "AB学校"]))
    assert keys.tolist() == ["AB学院", "AB学院", "AB学院", "AB学校"]


def test_merges_join_ids_sharing_a_name_into_the_smallest_transitively():
    """U3 shares 甲 with U2; U2 shares 乙 with U1 (an id spelled two ways): all three are U1. U9 alone stays."""
    frame = units(("U2", "甲"), ("U3", "甲"), ("U2", "乙"), ("U1", "乙"), ("U9", "丙"))
    assert unit_merges(frame) == {"U2": "U1", "U3": "U1"}
    assert merge_units(frame, unit_merges(frame))["unit_id"].tolist() == ["U1", "U1", "U1", "U1", "U9"]
    assert merge_units(frame, {}) is frame


def test_check_names_every_row_of_an_ambiguous_unit_with_its_file_row():
    frame = units(("U1", "甲"), ("U2", "甲 "), ("U3", "丙"))
    frame.attrs.update(source="c.csv", first_data_row=2)
    with pytest.raises(InputError) as caught:
        check_units(frame, None)
    lines = str(caught.value).splitlines()
    assert len(lines) == 2 and lines[0].startswith("c.csv:2:unit_id") and lines[1].startswith("c.csv:3:unit_id")
    assert "unit_consistency" in lines[0]                       # the hint names the switch
    check_units(frame, None, mode="merge")                      # merged: one unit, no error


def test_merged_units_still_keep_one_tier():
    """Merging does not hide a tier dodge: 甲 as U1 (national) and U2 (provincial) is one school with two tiers."""
    frame = units(("U1", "甲"), ("U2", "甲")).assign(unit_kind="higher_vocational",
                                                    tier=["national_double_high", "provincial_double_high"])
    with pytest.raises(InputError, match="同一单位在每一行、每一年的学校类别相同"):
        check_units(frame, None, mode="merge")


def test_the_auditors_view_lists_positions_of_conflicting_rows():
    frame = units(("U1", "甲"), ("U1", "乙"), ("U2", "丙"))
    assert sorted(pos for pos, _ in unit_conflicts(frame)) == [0, 1]
