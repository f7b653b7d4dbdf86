"""Tests of planner.groups: `where` matching, `per` grouping, bounds per group, measures."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from conftest import frame_of, row, scenario_of

from planner.errors import InputError
from planner.inputs import load_catalogue
from planner.rules import (
    ALL,
    fold_localities,
    group_bounds,
    group_keys,
    key_text,
    match,
    measure_values,
    numeric_column,
    rule_groups,
)
from planner.rules.groups import FrameIndex, link_targets

ROWS = [
    row("A", task="practice_centre", track="school", locality="长春市", score=91.0, cost=10.5, unit_id="U1",
        unit_kind="higher_vocational", tier="national_double_high", level="higher"),
    row("B", task="practice_centre", track="public", locality="吉林市", score=60.0, cost=0.0, unit_id="U2",
        unit_kind="government", exempt=True),
    row("C", task="core_course", track="online", locality="长春市", score=75.5, cost=3.0, unit_id="U1",
        unit_kind="higher_vocational", tier="national_double_high", level="higher", integrated=True),
    row("D", task="textbook", track="", locality="延边朝鲜族自治州", score=59.9, cost=100.0, unit_id="U3"),
    row("E", task="core_course", track="offline", locality="梅河口市", score=82.0, cost=7.0, unit_id="U4", year=2024),
]


@pytest.fixture(scope="module")
def frame():
    return frame_of(ROWS)


def ids(frame, mask):
    return list(frame["candidate_id"][mask])


def where_of(where: dict):
    return scenario_of({"period": [2023, 2024], "rule": [{"id": "r", "where": where, "max": 1}]}).rules[0].where


# --------------------------------------------------------------------------- where
@pytest.mark.parametrize("where, expected", [
    ({}, ["A", "B", "C", "D", "E"]),
    ({"task": "core_course"}, ["C", "E"]),
    ({"task": ["core_course", "textbook"]}, ["C", "D", "E"]),
    ({"task": {"in": ["textbook"]}}, ["D"]),
    ({"task": {"not": "practice_centre"}}, ["C", "D", "E"]),
    ({"task": {"not": ["practice_centre", "textbook"]}}, ["C", "E"]),
    ({"track": ""}, ["D"]),
    ({"locality": "长春"}, ["A", "C"]),              # an alias matches the canonical name
    ({"exempt": True}, ["B"]),
    ({"integrated": False}, ["A", "B", "D", "E"]),
    ({"score": {"ge": 75.5}}, ["A", "C", "E"]),
    ({"score": {"gt": 75.5}}, ["A", "E"]),
    ({"score": {"le": 60}}, ["B", "D"]),
    ({"score": {"lt": 60}}, ["D"]),
    ({"score": {"ge": 60, "lt": 80}}, ["B", "C"]),
    ({"cost": {"le": 0}}, ["B"]),
    ({"year": 2024}, ["E"]),
    ({"task": "practice_centre", "locality": "吉林市"}, ["B"]),   # ANDed
    ({"task": "practice_centre", "locality": "延边州"}, []),
    ({"unit_kind": {"not": "higher_vocational"}, "exempt": False}, ["D", "E"]),
])
def test_where_matches_the_documented_forms(frame, where, expected):
    assert ids(frame, match(frame, where_of(where))) == expected
    # The same through a FrameIndex (its columns' texts numbered once), asked twice (cached).
    index = FrameIndex(frame)
    assert ids(frame, match(frame, where_of(where), index=index)) == expected
    assert ids(frame, index.match(where_of(where))) == expected
    assert ids(frame, index.match(where_of(where))) == expected


def test_frame_index_groups_rows_as_group_keys_does():
    # "x|y" + "z" and "x" + "y|z" make the same key "x|y|z": one group, as `group_keys` joins them.
    frame = pd.DataFrame({"a": ["x|y", "x", "x|y", "w", None], "b": ["z", "y|z", "z", "v", "v"],
                          "flag": [True, False, True, True, False], "n": [1.0, 2.5, np.nan, 1.0, 2.0]})
    codes, keys = FrameIndex(frame).codes(("a", "b"))
    assert list(keys) == ["w|v", "x|y|z"]
    assert list(codes) == [1, 1, 1, 0, -1]           # a blank part: the row is in no group
    for per in [("a",), ("flag",), ("n",), ("b", "flag", "n"), ("n", "a")]:
        expected_codes, expected_keys = pd.factorize(group_keys(frame, per).to_numpy(), sort=True)
        codes, keys = FrameIndex(frame).codes(per)
        assert list(keys) == list(expected_keys), per
        assert list(codes) == list(expected_codes), per
    codes, keys = FrameIndex(frame).codes(())
    assert list(keys) == [ALL] and list(codes) == [0] * 5


def test_frame_index_numbers_groups_by_their_keys_where_the_combined_number_would_overflow(monkeypatch):
    """Five columns of 8,200 distinct keys each: 8,200⁵ ≈ 3.7e19 combinations do not fit a 62-bit
    number, so the keys themselves are numbered (`group_keys`); four columns (4.5e15) still fit and
    are numbered from each column's codes. Both are ``pd.factorize(group_keys(...), sort=True)``."""
    from planner.rules import groups

    n = 8200
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({c: [f"{c}{v}" for v in rng.permutation(n)] for c in "abcde"})
    calls = []
    real = groups.group_keys
    monkeypatch.setattr(groups, "group_keys", lambda f, per: calls.append(per) or real(f, per))
    for per, keyed in ((tuple("abcde"), True), (tuple("abcd"), False)):
        calls.clear()
        codes, keys = FrameIndex(frame).codes(per)
        expected_codes, expected_keys = pd.factorize(real(frame, per).to_numpy(), sort=True)
        assert list(keys) == list(expected_keys) and list(codes) == list(expected_codes)
        assert bool(calls) == keyed, per


def test_numeric_comparison_on_a_text_column_never_matches_a_non_number():
    frame = frame_of(ROWS).assign(budget=pd.Series(["12", "abc", "", "7.5", "100"], dtype="str"))
    mask = match(frame, {"budget": (("ge", 10),)})
    assert ids(frame, mask) == ["A", "E"]


# --------------------------------------------------------------------------- keys
@pytest.mark.parametrize("value, text", [(True, "true"), (False, "false"), (np.bool_(True), "true"),
                                         (3.0, "3"), (2.5, "2.5"), ("长春市", "长春市"), (2023, "2023")])
def test_key_text(value, text):
    assert key_text(value) == text


def test_group_keys_join_the_per_columns(frame):
    assert group_keys(frame, ()).tolist() == [ALL] * 5
    assert group_keys(frame, ("locality", "level")).tolist() == [
        "长春市|higher", "吉林市|secondary", "长春市|higher", "延边朝鲜族自治州|secondary", "梅河口市|secondary"]
    assert group_keys(frame, ("integrated",)).tolist() == ["false", "false", "true", "false", "false"]
    assert group_keys(frame, ("year",)).tolist() == ["2023"] * 4 + ["2024"]
    assert group_keys(frame.assign(w=[1.0, 2.5, 3.0, 0.0, 1.0]), ("w",)).tolist() == ["1", "2.5", "3", "0", "1"]


# --------------------------------------------------------------------------- groups of a rule
def test_rule_groups_one_per_value_plus_named_groups_sorted_with_their_bounds(frame):
    scenario = scenario_of({"period": [2023, 2024], "rule": [{
        "id": "r", "where": {"task": ["practice_centre", "core_course"]}, "per": ["locality"],
        "max": {"长春": 1, "白城市": 4, "*": 2}, "min": {"吉林市": 1}}]})
    rule = scenario.rules[0]
    groups = rule_groups(frame, rule, scenario)
    # A, C in 长春市; B in 吉林市; E in 梅河口市; 白城市 is named in the map (no candidate).
    assert [g.key for g in groups] == sorted(["长春市", "吉林市", "梅河口市", "白城市"])
    by_key = {g.key: g for g in groups}
    assert list(by_key["长春市"].rows) == [0, 2]
    assert list(by_key["白城市"].rows) == []
    assert (by_key["长春市"].min, by_key["长春市"].max) == (None, 1)
    assert (by_key["吉林市"].min, by_key["吉林市"].max) == (1, 2)
    assert (by_key["梅河口市"].min, by_key["梅河口市"].max) == (None, 2)
    assert (by_key["白城市"].min, by_key["白城市"].max) == (None, 4)


def test_a_mask_limits_the_rows_a_rule_counts(frame):
    scenario = scenario_of({"period": [2023, 2024], "rule": [{"id": "r", "per": ["task"], "max": 1}]})
    this_year = (frame["year"] == 2023).to_numpy()
    groups = rule_groups(frame, scenario.rules[0], scenario, mask=this_year)
    assert {g.key: list(g.rows) for g in groups} == {"core_course": [2], "practice_centre": [0, 1], "textbook": [3]}


def test_an_index_that_keeps_groups_gives_the_same_groups_again_per_rule_scenario_and_mask(frame):
    data = {"period": [2023, 2024], "rule": [{"id": "r", "per": ["task"], "max": 1}]}
    scenario = scenario_of(data)
    rule = scenario.rules[0]
    this_year = (frame["year"] == 2023).to_numpy()
    index = FrameIndex(frame, keep_groups=True)
    first = rule_groups(frame, rule, scenario, mask=this_year, index=index)
    again = rule_groups(frame, rule, scenario, mask=this_year.copy(), index=index)     # an equal mask
    assert again is not first and [id(g) for g in again] == [id(g) for g in first]
    assert {g.key: list(g.rows) for g in again} == {"core_course": [2], "practice_centre": [0, 1], "textbook": [3]}
    with pytest.raises(ValueError):
        again[0].rows[0] = 4                            # kept groups are read-only
    # Another mask, no mask, or another scenario object: worked out afresh (E of 2024 counts without the mask).
    assert {g.key: list(g.rows) for g in rule_groups(frame, rule, scenario, index=index)}["core_course"] == [2, 4]
    assert {g.key: list(g.rows) for g in rule_groups(frame, rule, scenario, mask=~this_year, index=index)} == {
        "core_course": [4]}
    other = scenario_of({"period": [2023, 2024], "rule": [{"id": "r", "per": ["task"], "max": 5}]})
    assert [g.max for g in rule_groups(frame, other.rules[0], other, mask=this_year, index=index)] == [5, 5, 5]
    # Without keep_groups every call forms its groups anew.
    plain = FrameIndex(frame)
    assert rule_groups(frame, rule, scenario, index=plain)[0] is not rule_groups(frame, rule, scenario, index=plain)[0]


def test_a_rule_without_per_has_one_group_even_with_no_candidate(frame):
    scenario = scenario_of({"rule": [{"id": "r", "where": {"task": "digital_benchmark_school"}, "min": 1}]})
    groups = rule_groups(frame, scenario.rules[0], scenario)
    assert len(groups) == 1 and groups[0].key == ALL and len(groups[0].rows) == 0 and groups[0].min == 1


def test_complete_creates_every_catalogue_locality_except_folded_ones(frame):
    cat = load_catalogue()
    data = {"rule": [{"id": "r", "per": ["locality"], "complete": True, "min": 1}]}
    scenario = scenario_of(data)
    keys = [g.key for g in rule_groups(frame, scenario.rules[0], scenario)]
    assert keys == sorted(cat.localities) and len(keys) == 11
    folded = scenario_of({**data, "localities": {"fold": {"梅河口市": "通化市", "长白山": "白山市"}}})
    keys = [g.key for g in rule_groups(fold_localities(frame, folded.fold), folded.rules[0], folded)]
    assert keys == sorted(set(cat.localities) - {"梅河口市", "长白山管委会"})


def test_complete_over_two_columns_is_the_product():
    frame = frame_of(ROWS[:1])
    scenario = scenario_of({"rule": [{"id": "r", "per": ["level", "track"], "complete": True, "max": 1}]})
    keys = [g.key for g in rule_groups(frame, scenario.rules[0], scenario)]
    tracks = sorted({t for task in load_catalogue().tasks.values() for t in task.tracks})
    assert len(keys) == 2 * len(tracks) and "secondary|online" in keys and "higher|equipment" in keys


@pytest.mark.parametrize("year, by, expected", [(2023, None, (1, 5)), (2023, 2025, (None, 5)),
                                                (2024, 2025, (None, 5)), (2025, 2025, (1, 5)), (2026, 2025, (1, 5))])
def test_a_by_target_binds_its_minimum_only_from_its_year(year, by, expected):
    rule = scenario_of({"period": [2023, 2026], "year": year,
                        "rule": [{"id": "r", "min": 1, "max": 5, **({"by": by} if by else {})}]}).rules[0]
    assert group_bounds(rule, ALL, year) == expected


# --------------------------------------------------------------------------- measures
def test_measure_values(frame):
    count, cost = scenario_of({"rule": [{"id": "c", "max": 1}, {"id": "s", "measure": "sum:cost", "max": 1}]}).rules
    assert measure_values(frame, count).tolist() == [1.0] * 5
    assert measure_values(frame, cost).tolist() == [10.5, 0.0, 3.0, 100.0, 7.0]


def test_a_non_number_in_a_summed_column_names_its_file_row():
    frame = frame_of(ROWS).assign(budget=pd.Series(["1", "2", "lots", "", "5"], dtype="str"))
    frame.attrs.update(source="pool.csv", first_data_row=4)
    with pytest.raises(InputError) as info:
        numeric_column(frame, "budget")
    lines = info.value.lines()
    assert len(lines) == 2
    assert lines[0].startswith('pool.csv:6:budget：发现 "lots"，应为 一个数')      # index 2 + first data row 4
    assert lines[1].startswith("pool.csv:7:budget")
    assert numeric_column(frame, "exempt").tolist() == [0.0, 1.0, 0.0, 0.0, 0.0]


# --------------------------------------------------------------------------- folding
def test_fold_localities_returns_a_new_frame(frame):
    folded = fold_localities(frame, {"梅河口市": "通化市"})
    assert folded["locality"].tolist() == ["长春市", "吉林市", "长春市", "延边朝鲜族自治州", "通化市"]
    assert frame["locality"].iat[4] == "梅河口市"
    assert fold_localities(frame, {}) is frame


def test_a_group_is_named_as_people_read_it():
    from planner.lang import speaking
    from planner.rules import group_words, unit_names
    frame = pd.DataFrame({"unit_id": ["H001", "H001", "G2"], "unit_name": ["长春职业技术学院", "长春职业技术学院", "x"]})
    names = unit_names(frame)
    assert names == {"H001": "长春职业技术学院", "G2": "x"}
    assert group_words(("unit_id",), "H001", names) == "长春职业技术学院（H001）"
    assert group_words(("unit_id",), "H009", names) == "H009"          # a school the table does not name
    assert group_words((), "(all)") == "全省"
    # Catalogue codes by their Chinese label (the catalogue's words), localities as they are.
    assert group_words(("locality", "task"), "吉林市|practice_centre") == "吉林市、开放型区域产教融合实践中心"
    assert group_words(("track",), "school") == "学校实践中心"
    with speaking("en"):
        assert group_words(("unit_id",), "H001", names) == "长春职业技术学院 (H001)"
        assert group_words(("locality", "task"), "吉林市|practice_centre") == \
            "吉林市, practice_centre (开放型区域产教融合实践中心)"
        assert group_words((), "(all)") == "the whole province"


IDS = ["a", "b", " a", "1", "1.0", "长春-1"]


@settings(max_examples=200, deadline=None)
@given(ids=st.lists(st.sampled_from(IDS), max_size=10), data=st.data())
def test_a_link_names_the_first_row_with_that_id_after_blanks_are_stripped(ids, data):
    links = data.draw(st.lists(st.sampled_from(["a", " b ", "", None, float("nan"), "zz", "1", " 1.0", "长春-1 "]),
                               min_size=len(ids), max_size=len(ids)))
    frame = pd.DataFrame({"candidate_id": pd.Series(ids, dtype=object), "link": pd.Series(links, dtype=object)})
    first = {}
    for pos, cid in enumerate(ids):
        first.setdefault(cid, pos)
    expected = [-1 if link is None or link != link else first.get(str(link).strip(), -1) for link in links]
    assert link_targets(frame, "link").tolist() == expected
    assert link_targets(frame, "absent").tolist() == [-1] * len(ids)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_groups_through_a_shared_index_are_the_groups_of_a_plain_groupby(data):
    """Random rows, `per` columns and masks: `rule_groups` with one FrameIndex for all its calls
    (the model build's way) and without one give the groups a pandas groupby of the keys gives."""
    n = data.draw(st.integers(1, 12))
    rows = [row(f"R{i}", locality=data.draw(st.sampled_from(["长春市", "吉林市", "四平市"])),
                **data.draw(st.sampled_from([{}, {"task": "core_course", "track": "online"}])),
                unit_id=data.draw(st.sampled_from(["U1", "U2", "U3"])), integrated=data.draw(st.booleans()))
            for i in range(n)]
    frame = frame_of(rows)
    index = FrameIndex(frame)
    for _ in range(3):
        per = data.draw(st.sampled_from([[], ["locality"], ["task", "unit_id"], ["integrated", "locality"]]))
        where = data.draw(st.sampled_from([{}, {"task": "core_course"}, {"integrated": True}]))
        mask = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
        scenario = scenario_of({"period": [2023, 2024], "rule": [{"id": "r", "where": where, "per": per, "max": 1}]})
        rule = scenario.rules[0]
        keys = group_keys(frame, tuple(per))
        chosen = match(frame, rule.where) & mask & ~keys.map(lambda k: any(p == "" for p in str(k).split("|")) if per
                                                              else False).to_numpy(dtype=bool)
        expected = {k: list(v) for k, v in pd.Series(np.arange(n))[chosen].groupby(keys[chosen]).agg(list).items()}
        for got in (rule_groups(frame, rule, scenario, mask=mask, index=index),
                    rule_groups(frame, rule, scenario, mask=mask)):
            assert [g.key for g in got] == sorted(set(expected) | ({ALL} if not per else set()))
            assert {g.key: g.rows.tolist() for g in got if len(g.rows)} == expected

