"""planner.rules.prepare: the link check's rows that pass every check at once."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from planner.rules import prepare


def test_only_rows_that_fail_a_link_check_are_looked_at_one_by_one():
    """By hand: row 0 names a city consortium of its own locality (fine); row 1 one of another
    locality; row 2 an unknown id; row 3 a row of another task; row 4 may not carry a link; row 5
    names none."""
    pool = pd.DataFrame({"candidate_id": ["K1", "K2", "P1"], "task": ["city_consortium"] * 2 + ["practice_centre"],
                         "locality": ["长春市", "吉林市", "长春市"]}).set_index("candidate_id", drop=False)
    rows = pd.DataFrame({"locality": ["长春市", "长春市", "长春市", "长春市", "长春市", "长春市"]})
    named = np.array(["K1", "K2", "K9", "P1", "K1", ""], dtype=object)
    link = SimpleNamespace(task="city_consortium", same=("locality",))
    may_carry = np.array([True, True, True, True, False, True])
    assert prepare._link_suspects(named, pool, rows, link, may_carry).tolist() == [1, 2, 3, 4]
    doubled = pd.concat([pool, pool.iloc[:1]])
    assert prepare._link_suspects(named, doubled, rows, link, may_carry).tolist() == [0, 1, 2, 3, 4]


def test_a_core_course_cell_is_read_as_its_own_text_in_any_column_type():
    """三(七) core_course checked once per distinct cell: each row's verdict is the cell-by-cell one
    (``str(v).strip().lower()`` among the true/false words), in a text column, an integer column
    and a mixed one where 1, 1.0 and True are equal keys but not equal texts (-0.0 is not a word)."""
    import pytest
    from planner.errors import InputError

    words = set(prepare.TRUE_WORDS + prepare.FALSE_WORDS)
    columns = [pd.Series(["是", " 否 ", "TRUE", "maybe", "是", "", "Ｙ"], dtype="str"),
               pd.Series([1, 0, 2, 1], dtype=np.int64),
               pd.Series([1, 1.0, True, -0.0, 0.0, None, np.nan, " T ", "x"], dtype=object)]
    scenario = SimpleNamespace(switches={prepare.CORE_COURSE_SWITCH: "required"})
    for column in columns:
        n = len(column)
        frame = pd.DataFrame({"task": [prepare.CORE_COURSE_TASK] * n, "unit_kind": ["enterprise"] * n,
                              "level": ["secondary"] * n, "core_course": column})
        frame.attrs["first_data_row"] = 2
        want = [i + 2 for i, v in enumerate(column.tolist()) if str(v).strip().lower() not in words]
        if not want:
            prepare.check_courses(frame, scenario)
            continue
        with pytest.raises(InputError) as info:
            prepare.check_courses(frame, scenario)
        assert [p.row for p in info.value.problems] == want, column.tolist()


def test_a_link_named_with_blanks_around_it_is_the_link_without_them():
    """三(三) consortium_id: " K1 " names K1 (each distinct text stripped once); "K9" names no row."""
    import pytest
    from planner.errors import InputError

    frame = pd.DataFrame({"candidate_id": ["K1", "P1", "P2", "P3"],
                          "task": ["city_consortium", "practice_centre", "practice_centre", "practice_centre"],
                          "track": ["", "enterprise", "enterprise", "enterprise"],
                          "locality": ["长春市"] * 4, "consortium_id": ["", " K1 ", "K1\t", "K9"]})
    frame.attrs["first_data_row"] = 2
    with pytest.raises(InputError) as info:
        prepare.check_links(frame, None)
    assert [(p.row, p.column) for p in info.value.problems] == [(5, "consortium_id")]
    prepare.check_links(frame.iloc[:3].copy(), None)
