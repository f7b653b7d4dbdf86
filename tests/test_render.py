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
                  AWKWARD.assign(nullable=pd.array([1.5, None, 3, 4, 5, 6, 7, 8], dtype="Float64"))):
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


NASTY_TEXTS = ["=cmd", "'=cmd", "<&>", "ctl\x01\x1f", "_x0041_", " lead", "", "普通", "a,b", "-1", "@x", "长" * 300]


def _nasty_slate(n: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pick = lambda: [NASTY_TEXTS[k] if k < len(NASTY_TEXTS) else (None, float("nan"))[k % 2]  # noqa: E731
                    for k in rng.integers(0, len(NASTY_TEXTS) + 2, n)]
    return pd.DataFrame({
        "candidate_id": [f"C{i}" for i in range(n)],
        "task": rng.choice(["practice_centre", "=x", "textbook"], n),          # relabelled in Chinese
        "tier": [("national_double_high", None, "=y", "other_higher")[k] for k in rng.integers(0, 4, n)],
        "unit_kind": pd.array(pick(), dtype="str"), "title": pick(),
        "na_text": pd.array([v if isinstance(v, str) else None for v in pick()], dtype="string"),
        "mixed": [1, "=a", None, 2.5] * (n // 4),
        "score": rng.uniform(0, 100, n), "selected": rng.integers(0, 2, n).astype(np.int8),
        "national": np.zeros(n, np.int8), "reason": pick(),
    })


def test_the_guards_codes_give_back_every_guarded_cell():
    """Decoding the codes `_guarded` returns gives each cell of the guarded frame (missing: -1), for
    every column of texts and missing cells and no other; texts equal after the guard ("=cmd" and
    "'=cmd") may stand under two codes."""
    slate = _nasty_slate()
    safe, codes = render._guarded(slate)
    pd.testing.assert_frame_equal(safe, render.neutralise_formulas(slate))
    text_columns = [j for j in range(slate.shape[1])
                    if all(isinstance(v, str) or pd.isna(v) for v in slate.iloc[:, j].tolist())]
    assert sorted(codes) == text_columns
    for j, (numbers, distinct) in codes.items():
        cells = safe.iloc[:, j].tolist()
        assert [distinct[k] if k >= 0 else None for k in numbers.tolist()] == \
               [v if isinstance(v, str) else None for v in cells]


def test_the_csv_and_the_workbook_from_shared_codes_are_those_without():
    """The codes only save work: the csv and the slate workbook are the same bytes with them or not
    (the workbook relabels its coded columns in Chinese, so it must not take their codes)."""
    from planner.show.workbook import slate_xlsx_bytes

    for seed in range(3):
        safe, codes = render._guarded(_nasty_slate(seed=seed))
        plain, plain_codes = render._guarded(_nasty_slate(seed=seed).drop(columns="mixed"))   # not left to pandas
        assert render._csv_text(plain) is not None
        assert render._csv_bytes(plain, plain_codes) == render._csv_bytes(plain) == \
               plain.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
        assert slate_xlsx_bytes(safe, codes=codes) == slate_xlsx_bytes(safe)
        assert slate_xlsx_bytes(safe, codes=codes, lang="en") == slate_xlsx_bytes(safe, lang="en")


def test_nullable_integers_are_written_as_pandas_writes_them():
    """A ledger's ``target_year`` (Int64): each number as an integer, a missing one empty, as
    pandas' own writer (the oracle) writes them, at the ends of the ranges too."""
    frame = pd.DataFrame({
        "year": pd.array([2025, None, 2027, None], dtype="Int64"),
        "big": pd.array([2**63 - 1, -(2**63), None, 0], dtype="Int64"),
        "small": pd.array([255, None, 0, 7], dtype="UInt8"),
        "gaps": pd.array([None] * 4, dtype="Int32"),
        "text": ["a", None, "b,c", ""],
    })
    assert render._csv_text(frame) is not None
    assert render._csv_text(frame) == frame.to_csv(index=False, lineterminator="\n")
