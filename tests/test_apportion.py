"""Count vectors in order of their index, against every vector of a small box enumerated by brute force."""
from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.analysis.apportion import TooMany, count_vectors, index_of


def brute(weights, lo, hi, n_range, limit, above, index):
    C = sum(weights)
    out = []
    for counts in itertools.product(*[range(a, b + 1) for a, b in zip(lo, hi)]):
        N = sum(counts)
        if N < max(1, n_range[0]) or N > n_range[1]:
            continue
        dev = [abs(C * n - c * N) for n, c in zip(counts, weights)]
        value = Fraction(sum(dev), 2 * C * N) if index == "lh" else Fraction(max(dev), C * N)
        if value <= limit and (above is None or value > above):
            out.append((value, N, tuple(counts)))
    return sorted(out)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=1, max_size=4).filter(lambda w: sum(w) > 0),
       st.data(), st.sampled_from(["lh", "max"]))
def test_every_vector_under_the_limit_in_order(weights, data, index):
    lo = [data.draw(st.integers(0, 3)) for _ in weights]
    hi = [a + data.draw(st.integers(0, 4)) for a in lo]
    n_range = (data.draw(st.integers(0, 6)), data.draw(st.integers(0, 16)))
    limit = Fraction(data.draw(st.integers(0, 40)), 80)
    above = data.draw(st.none() | st.just(limit / 3))
    expected = brute(weights, lo, hi, n_range, limit, above, index)
    assert count_vectors(weights, lo, hi, n_range, limit=limit, above=above, index=index) == expected


def test_index_of_by_hand():
    # weights 2:1:1 (C = 4), counts 3, 0, 1 (N = 4): |12 − 8| + |0 − 4| + |4 − 4| = 8 → LH = 8 / 32
    assert index_of((3, 0, 1), (2, 1, 1)) == Fraction(1, 4)
    assert index_of((3, 0, 1), (2, 1, 1), "max") == Fraction(4, 16)
    assert index_of((0, 0, 0), (2, 1, 1)) == 0


def test_too_many_vectors_are_refused():
    with pytest.raises(TooMany):
        count_vectors([1, 1, 1], [0, 0, 0], [30, 30, 30], (1, 90), limit=Fraction(1), max_vectors=100)
