"""Cells read once per distinct text: blanks stripped, NFKC normalisation, look-ups and number parses.

Owns the per-distinct-text helpers the candidate table's cleaning is made of (`candidates`): a
column of 74,400 cells holds a few hundred distinct texts, so each is stripped, normalised, looked
up or parsed once and the result spread back by its codes. Does not own which columns are read how,
nor the problems a bad cell makes (`candidates`).
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable

import numpy as np
import pandas as pd

EXTRA_BLANKS = "\ufeff\u200b"   # stripped besides str.strip's blanks


def strip_blanks(text: str) -> str:
    """Strip blanks (ASCII, full-width, NBSP) at both ends; keep the characters as typed."""
    text = text.strip()
    if text and (text[0] in EXTRA_BLANKS or text[-1] in EXTRA_BLANKS):
        text = text.strip(EXTRA_BLANKS).strip()
    return text


def nfkc_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cells' NFKC-normalised, stripped texts as (codes, texts): cell i is ``texts[codes[i]]``.

    Each distinct text is normalised once (ASCII text is its own NFKC form); the codes are kept so
    that the checks which read a column's texts read each once too (`per_distinct`). Two cells typed
    differently (``85``, ``８５``) keep two codes for one text.
    """
    codes, distinct = _factorize(values)
    if "".join(distinct).isascii():        # one test for the column: every text its own NFKC form
        cleaned = np.array(list(map(str.strip, distinct)), dtype=object)      # strip_blanks of ASCII text
    else:
        cleaned = np.array([strip_blanks(v if v.isascii() else unicodedata.normalize("NFKC", v)) for v in distinct],
                           dtype=object)
    return codes, cleaned


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`pandas.factorize` of cells that are all ``str`` (no missing value to tell apart: the
    default sentinel, which skips pandas' null scan of an object array)."""
    codes, distinct = pd.factorize(np.asarray(values, dtype=object))
    return codes, np.asarray(distinct, dtype=object)


def per_distinct(values: np.ndarray | tuple[np.ndarray, np.ndarray],
                 work: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """`work` (an array of texts → an array) done on each distinct text of the cells once.

    `values` are the cells (``str``) or their (codes, texts) from `nfkc_codes`.
    """
    codes, distinct = values if isinstance(values, tuple) else _factorize(values)
    return np.asarray(work(distinct))[codes]


def lookup_codes(values: np.ndarray | tuple[np.ndarray, np.ndarray], table: dict[str, str], *,
                 lower: bool = True) -> np.ndarray:
    def look(distinct: np.ndarray) -> np.ndarray:
        keys = pd.Series(distinct, dtype=object)
        keys = keys.str.lower() if lower else keys.str.replace(" ", "", regex=False)
        return keys.map(table).fillna("").to_numpy(dtype=object)
    return per_distinct(values, look) if cell_count(values) else np.array([], dtype=object)


def parse_numbers(values: np.ndarray | tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    def parse(distinct: np.ndarray) -> np.ndarray:
        return pd.to_numeric(pd.Series(distinct, dtype=object), errors="coerce").to_numpy(dtype=float)
    return per_distinct(values, parse) if cell_count(values) else np.array([], dtype=float)


def cell_count(values: np.ndarray | tuple[np.ndarray, np.ndarray]) -> int:
    return len(values[0] if isinstance(values, tuple) else values)
