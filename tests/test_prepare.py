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
