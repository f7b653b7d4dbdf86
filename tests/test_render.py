"""planner.show.render: the csv built by column is the one pandas' to_csv writes."""
from __future__ import annotations

import numpy as np
import pandas as pd

from planner.show import render

AWKWARD = pd.DataFrame({
    "text": pd.array(["普通", "a,b", 'say "hi"', "two\nlines", None, "", "'=1+1", "  pad  "], dtype="str"),
    "objects": ["x", None, "y,z", float("nan"), "多", "q", "", '"'],
    "floats": [0.1, 1 / 3, float("nan"), 1e20, -0.0, 0.0, 5e-324, 123456789.125],
    "ints": np.array([-3, 0, 7, 2**40, 1, 1, 1, 9], np.int64),
    "small": np.arange(8, dtype=np.int8),
    "flags": [True, False] * 4,
    "head,er": [1.5] * 8,
})


def test_the_csv_by_column_is_pandas_to_csv():
    """pandas' own writer is the oracle, on text that needs quoting, missing cells, -0.0 and tiny floats."""
    assert render._csv_text(AWKWARD) == AWKWARD.to_csv(index=False, lineterminator="\n")


def test_columns_it_does_not_format_are_left_to_pandas():
    for frame in (AWKWARD[["text"]], AWKWARD.iloc[:0],
                  AWKWARD.assign(mixed=[1, "a", 2.5, None, True, "b", 3, "c"]),
                  AWKWARD.assign(nullable=pd.array([1, None, 3, 4, 5, 6, 7, 8], dtype="Int64"))):
        assert render._csv_text(frame) is None
    mixed = AWKWARD.assign(mixed=[1, "a", 2.5, None, True, "b", 3, "c"])
    assert render._csv_bytes(mixed) == mixed.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")


def test_a_carriage_return_still_gets_the_file_written_with_quoted_cells():
    frame = AWKWARD.assign(text=pd.array(["a\rb"] + ["x"] * 7, dtype="str"))
    data = render._csv_bytes(frame).decode("utf-8-sig")
    assert data.split("\n")[1].startswith('"a\rb",') and "\r\n" not in data


def test_formula_starts_found_in_one_pass_are_those_of_each_text():
    """`str.startswith` on each text is the oracle, with a NUL inside a text before an "="."""
    texts = ["a", "=x", "", "-1", "ok=", "\tz", "@", "", "+", "b\x00=c", "x", "\r", "\x00=", "普通"]
    assert render._formula_starts(texts).tolist() == [t.startswith(render.FORMULA_PREFIXES) for t in texts]
    assert render._formula_starts([1, "=a", None]).tolist() == [False, True, False]
