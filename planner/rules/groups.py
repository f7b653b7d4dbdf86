"""Which candidates a rule counts, and in which group — plain pandas, shared by model and audit.

Owns the meaning of `where` (column conditions, ANDed), `per` (one group per value
combination, plus groups named in a bound map and, with `complete`, every catalogue value),
the bound that applies to each group in a given year, and the numbers a `measure` adds up.
Does not own CP-SAT (that is `model`) nor the verdict on a slate (that is `audit`).
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd

from planner.errors import InputError, Problem
from planner.inputs import load_catalogue, value_labels
from planner.lang import say
from planner.rules.policy import Scenario
from planner.rules.shapes import BOOL_COLUMNS, LINK_OP, Rule

GROUP_SEP = "|"
ALL = "(all)"       # the key of the single group of a rule without `per`


@dataclass(frozen=True)
class Group:
    """One constraint of a rule: the candidates it counts and its bounds this year."""

    rule: Rule
    key: str
    rows: np.ndarray          # positions (not labels) into the candidate frame
    min: float | None         # None = no lower bound this year
    max: float | None

    @property
    def label(self) -> str:
        return self.key if self.key != ALL else "全省"


class FrameIndex:
    """What every rule's groups read from one candidate frame, computed once for all of them.

    A model build forms the groups of some fifty rules, several times each (this round, each
    planned year, the period), over the same frame: each column's text and number forms, each
    `where` table's mask, each `per` combination's group keys and link targets are the same
    every time. Pass one `FrameIndex` to `match`/`rule_groups` for as long as the frame is not
    changed; the answers are exactly those computed without it.
    """

    def __init__(self, frame: pd.DataFrame, *, keep_groups: bool = False):
        self.frame = frame
        #: With `keep_groups`, `rule_groups` keeps each answer (per rule, scenario and mask) and
        #: gives it again when asked again: for callers that group the same rules over the same
        #: rows more than once (the audit, reasons and ledger of one slate, `rounds.finish`).
        self.keep_groups = keep_groups
        self._groups: dict[tuple, tuple[Rule, Scenario, list[Group]]] = {}
        self._columns: dict[str, _Column] = {}
        self._matches: dict[str, np.ndarray] = {}
        self._codes: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray]] = {}
        self._targets: dict[str, np.ndarray] = {}
        self._grouped: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray]] = {}

    def column(self, name: str) -> _Column:
        if name not in self._columns:
            self._columns[name] = _Column(self.frame[name], shared=True)
        return self._columns[name]

    def match(self, where: Mapping[str, tuple[tuple[str, Any], ...]]) -> np.ndarray:
        """`match(frame, where)`, once per distinct `where` (a read-only array)."""
        key = repr(tuple(where.items()))
        if key not in self._matches:
            mask = match(self.frame, where, index=self)
            mask.flags.writeable = False
            self._matches[key] = mask
        return self._matches[key]

    def link_targets(self, column: str) -> np.ndarray:
        if column not in self._targets:
            self._targets[column] = link_targets(self.frame, column, ids=self.column("candidate_id").text)
        return self._targets[column]

    def codes(self, per: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Every row's group number for `per` (-1 where a key part is blank) and the group keys
        in sorted order: exactly ``pd.factorize(group_keys(frame, per), sort=True)``, from each
        column's distinct keys."""
        if per not in self._codes:
            if not len(self.frame):
                self._codes[per] = (np.array([], dtype=np.int64), np.array([], dtype=object))
            elif not per:
                self._codes[per] = (np.zeros(len(self.frame), dtype=np.int64), np.array([ALL], dtype=object))
            else:
                self._codes[per] = self._combined_codes(per)
        return self._codes[per]

    def grouped(self, per: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """The rows in some group of `per`, ordered by group (in frame order within one), and
        their group numbers (`codes`)."""
        if per not in self._grouped:
            codes = self.codes(per)[0]
            rows = np.flatnonzero(codes >= 0)
            rows = rows[np.argsort(codes[rows], kind="stable")]
            self._grouped[per] = (rows, codes[rows])
        return self._grouped[per]

    def _combined_codes(self, per: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        combined = np.zeros(len(self.frame), dtype=np.int64)
        missing = np.zeros(len(self.frame), dtype=bool)    # a blank key part: in no group, as in `group_keys`
        uniques = []
        factorized = []
        for column in per:
            values = self.frame[column]
            if values.dtype == bool or pd.api.types.is_float_dtype(values):
                keys = _key_column(values).to_numpy()
            else:
                keys = self.column(column).text          # astype(str), as `_key_column` does
            factorized.append(pd.factorize(keys))
        if math.prod(len(distinct) + 1 for _, distinct in factorized) >= 2**62:
            return pd.factorize(group_keys(self.frame, per).to_numpy(), sort=True)    # too many to number
        for codes, distinct in factorized:
            missing |= codes < 0
            combined = combined * len(distinct) + np.maximum(codes, 0)
            uniques.append(distinct.tolist())
        present, inverse = np.unique(combined[~missing], return_inverse=True)
        texts = []
        for code in present.tolist():
            parts = []
            for distinct in reversed(uniques):
                code, at = divmod(code, len(distinct))
                parts.append(distinct[at])
            texts.append(GROUP_SEP.join(reversed(parts)))
        # Equal texts from different values (a "|" inside a value) are one group, as in `group_keys`.
        numbers, keys = pd.factorize(np.array(texts, dtype=object), sort=True)
        out = np.full(len(self.frame), -1, dtype=np.int64)
        out[~missing] = numbers[inverse.ravel()]
        return out, keys


def match(frame: pd.DataFrame, where: Mapping[str, tuple[tuple[str, Any], ...]], *,
          index: FrameIndex | None = None) -> np.ndarray:
    """Boolean mask of rows meeting every condition of a `where` table.

    `index` (a `FrameIndex` of `frame`) reuses the column forms it already holds.
    """
    mask = np.ones(len(frame), dtype=bool)
    for column, conditions in where.items():
        if column not in frame and all(op == LINK_OP for op, _ in conditions):
            mask &= not any(wanted for _, wanted in conditions)   # no link column: nothing is linked
            continue                                               # (in_slate = false: every row)
        values = index.column(column) if index is not None else _Column(frame[column])
        for op, wanted in conditions:
            if op == LINK_OP:
                # in_slate = true: the row the link names must be among the rows (this round's or
                # an earlier round's); whether it is in the slate is the model's and the auditor's
                # part (`linked_chosen`). in_slate = false: every row; a row counts unless the row
                # it names is in the slate (a centre outside any recognised 联合体).
                if wanted:
                    targets = index.link_targets(column) if index is not None else link_targets(frame, column)
                    mask &= targets >= 0
            else:
                mask &= _condition(values, op, wanted)
    return mask


def link_targets(frame: pd.DataFrame, column: str, *, ids: np.ndarray | None = None) -> np.ndarray:
    """Per row, the position of the row its link column names by candidate_id; -1 for none
    (`ids`: the candidate_id column as text, ``astype(str)``, when the caller has it)."""
    if column not in frame:
        return np.full(len(frame), -1, dtype=np.int64)
    ids = frame["candidate_id"].astype(str).tolist() if ids is None else np.asarray(ids, dtype=object).tolist()
    first = dict(zip(reversed(ids), range(len(ids) - 1, -1, -1)))     # a repeated id names its first row
    codes, names = pd.factorize(frame[column].fillna("").astype(str).to_numpy())
    targets = np.array([first.get(name.strip(), -1) for name in names.tolist()], dtype=np.int64)  # each text once
    return targets[codes] if len(codes) else np.zeros(0, dtype=np.int64)


def rule_links(rule: Rule) -> tuple[str, ...]:
    """The link columns a rule counts through (`where = { <column> = { in_slate = true|false } }`)."""
    return tuple(col for col, conds in rule.where.items() if any(op == LINK_OP for op, _ in conds))


def link_wanted(rule: Rule, column: str) -> bool:
    """True: a row counts while the row it names is in the slate; False: while it is not (or names none)."""
    return all(bool(v) for op, v in rule.where[column] if op == LINK_OP)


def linked_chosen(frame: pd.DataFrame, rule: Rule, chosen: np.ndarray, in_slate: np.ndarray, *,
                  index: FrameIndex | None = None) -> np.ndarray:
    """`chosen`, where a row of a rule with a link counts only while the row it names is in the
    slate too (`in_slate`: selected this round or in an earlier round) — or, with
    ``in_slate = false``, only while it is not (三(三) the strict reading: a centre outside every
    recognised 联合体). `index` (a `FrameIndex` of `frame`) reuses the link targets it holds."""
    out = np.asarray(chosen, bool).copy()
    for column in rule_links(rule):
        target = index.link_targets(column) if index is not None and index.frame is frame \
            else link_targets(frame, column)
        named = target >= 0
        inside = named & np.asarray(in_slate, bool)[np.where(named, target, 0)]
        out &= inside if link_wanted(rule, column) else ~inside
    return out


class _Column:
    """A column with its text and number forms computed once, however many conditions read it."""

    def __init__(self, values: pd.Series, *, shared: bool = False):
        self.values = values
        self.shared = shared            # read by many conditions (a FrameIndex's): number its texts once
        self._text: np.ndarray | None = None
        self._numbers: np.ndarray | None = None
        self._codes: tuple[np.ndarray, dict[str, int]] | None = None

    @property
    def text(self) -> np.ndarray:
        if self._text is None:
            self._text = self.values.astype(str).to_numpy()
        return self._text

    def text_equals(self, text: str) -> np.ndarray:
        """``self.text == text`` (for a shared column, from its distinct texts, numbered once)."""
        if not self.shared:
            return self.text == text
        if self._codes is None:
            codes, uniques = pd.factorize(self.text)
            self._codes = (codes, {u: k for k, u in enumerate(uniques.tolist())})
        codes, numbers = self._codes
        return codes == numbers[text] if text in numbers else np.zeros(len(codes), dtype=bool)

    @property
    def numbers(self) -> np.ndarray:
        if self._numbers is None:
            self._numbers = pd.to_numeric(self.values, errors="coerce").to_numpy(dtype=float)
        return self._numbers


def _condition(column: _Column, op: str, wanted: Any) -> np.ndarray:
    if op in ("ge", "gt", "le", "lt"):
        numbers = column.numbers
        with np.errstate(invalid="ignore"):
            return {"ge": numbers >= wanted, "gt": numbers > wanted,
                    "le": numbers <= wanted, "lt": numbers < wanted}[op] & ~np.isnan(numbers)
    options = list(wanted) if isinstance(wanted, tuple) else [wanted]
    hit = np.zeros(len(column.values), dtype=bool)
    for option in options:
        hit |= _equals(column, option)
    return ~hit if op == "not" else hit


def _equals(column: _Column, option: Any) -> np.ndarray:
    values = column.values
    if isinstance(option, bool) or values.dtype == bool:
        return values.to_numpy() == option
    if isinstance(option, (int, float)) and pd.api.types.is_numeric_dtype(values):
        return column.numbers == float(option)
    return column.text_equals(key_text(option))


def key_text(value: Any) -> str:
    """How a value appears in a group key: true/false, integers without .0, text as is."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def group_keys(frame: pd.DataFrame, per: tuple[str, ...]) -> pd.Series:
    """The group key of every row for the `per` columns (``ALL`` without `per`)."""
    if not per:
        return pd.Series(ALL, index=frame.index, dtype=object)
    parts = [_key_column(frame[c]) for c in per]
    keys = parts[0]
    for part in parts[1:]:
        keys = keys + GROUP_SEP + part
    return keys


def _key_column(values: pd.Series) -> pd.Series:
    if values.dtype == bool:
        return values.map({True: "true", False: "false"}).astype(object)
    if pd.api.types.is_float_dtype(values):
        return values.map(key_text).astype(object)
    return values.astype(str).astype(object)


def rule_groups(frame: pd.DataFrame, rule: Rule, scenario: Scenario, *, mask: np.ndarray | None = None,
                index: FrameIndex | None = None) -> list[Group]:
    """Every group of a rule over the rows of `frame` it matches, sorted by key.

    Parameters
    ----------
    frame : DataFrame
        Candidates (after locality folding); needs the rule's `where`, `per` and measure columns.
    mask : ndarray of bool, optional
        Rows that may count at all (e.g. this year's and locked history); default every row.
    index : FrameIndex, optional
        The same answer, faster when many rules are grouped over one frame (see `FrameIndex`).
    """
    shared = index is not None and index.frame is frame
    index = index if shared else FrameIndex(frame)
    if not index.keep_groups:
        return _rule_groups(frame, rule, scenario, mask, index, shared)
    key = (id(rule), id(scenario), None if mask is None else np.asarray(mask, bool).tobytes())
    kept = index._groups.get(key)
    if kept is None or kept[0] is not rule or kept[1] is not scenario:     # (an id of an object gone)
        groups = _rule_groups(frame, rule, scenario, mask, index, shared)
        for group in groups:
            group.rows.flags.writeable = False      # given to every caller: read, never written
        kept = index._groups[key] = (rule, scenario, groups)
    return list(kept[2])


def _rule_groups(frame: pd.DataFrame, rule: Rule, scenario: Scenario, mask: np.ndarray | None, index: FrameIndex,
                 shared: bool) -> list[Group]:
    hit = index.match(rule.where)
    if mask is not None:
        hit = hit & mask
    all_codes, all_keys = index.codes(rule.per)
    if shared:          # the frame's rows sorted by group once, for every rule with this `per`
        by_group, sorted_codes = index.grouped(rule.per)
        chosen = hit[by_group]
        positions, codes = by_group[chosen], sorted_codes[chosen]
    else:
        positions = np.flatnonzero(hit)
        positions = positions[all_codes[positions] >= 0]        # a blank key part counts in no group
        order = np.argsort(all_codes[positions], kind="stable")  # rows stay in frame order within a group
        positions = positions[order]
        codes = all_codes[positions]
    starts = np.flatnonzero(np.concatenate([[True], codes[1:] != codes[:-1]])) if len(codes) else np.zeros(0, np.int64)
    ends = np.append(starts[1:], len(codes))
    members = {all_keys[c]: positions[a:b] for c, a, b in zip(codes[starts].tolist(), starts.tolist(), ends.tolist())}
    for key in _named_groups(rule, scenario):
        members.setdefault(key, np.array([], dtype=np.int64))
    groups = []
    for key in sorted(members):
        lo, hi = group_bounds(rule, key, scenario.year)
        groups.append(Group(rule=rule, key=key, rows=members[key], min=lo, max=hi))
    return groups


def group_words(per: tuple[str, ...], key: str, names: Mapping[str, str] | None = None) -> str:
    """A group as a person reads it: 全省 for a rule without `per`, localities as they are, a
    school (``unit_id``) by its name when `names` (unit_id → unit_name) has it, codes of the
    catalogue by their Chinese label (``school`` → 学校实践中心); parts joined by ``、``.

    English keeps the codes (the labels are the notice's words, not translated).
    """
    if key == ALL or not per:
        return say("全省", "the whole province")
    parts = str(key).split(GROUP_SEP)
    if len(parts) != len(per):
        return str(key)
    shown = []
    for column, part in zip(per, parts):
        if column == "unit_id" and names and part in names and str(names[part]).strip():
            shown.append(say(f"{names[part]}（{part}）", f"{names[part]} ({part})"))
        elif column in ("task", "track", "unit_kind", "tier", "level"):
            label = value_labels(column).get(part, part)
            shown.append(say(label, f"{part} ({label})") if label != part else part)
        else:
            shown.append(part)
    return say("、", ", ").join(shown)


def unit_names(frame: pd.DataFrame) -> dict[str, str]:
    """unit_id → unit_name of a candidate frame (the first name of each unit; empty without the columns)."""
    if "unit_id" not in frame or "unit_name" not in frame:
        return {}
    pairs = frame[["unit_id", "unit_name"]].astype(str).drop_duplicates("unit_id")
    return dict(zip(pairs["unit_id"], pairs["unit_name"]))


def group_bounds(rule: Rule, key: str, year: int) -> tuple[float | None, float | None]:
    """(min, max) of one group this year: a `by` target's min binds only from its year on."""
    lo = rule.min.for_group(key) if rule.min else None
    hi = rule.max.for_group(key) if rule.max else None
    if rule.by is not None and year < rule.by:
        lo = None
    return lo, hi


def _named_groups(rule: Rule, scenario: Scenario) -> list[str]:
    """Groups that exist even without candidates: named in a bound map, or `complete`."""
    if not rule.per:
        return [ALL]
    named = set()
    for bound in (rule.min, rule.max):
        if bound is not None:
            named.update(bound.groups)
    if rule.complete:
        cat = load_catalogue()
        domains = []
        for column in rule.per:
            if column == "locality":
                domains.append([loc for loc in cat.localities if loc not in scenario.fold])
            else:
                domains.append(cat.codes(column) or [])
        named.update(GROUP_SEP.join(combo) for combo in itertools.product(*domains))
    return sorted(named)


def measure_values(frame: pd.DataFrame, rule: Rule) -> np.ndarray:
    """What each row adds to its group: 1 for `count`, the column's number for `sum:`."""
    if rule.column is None:
        return np.ones(len(frame), dtype=float)
    return numeric_column(frame, rule.column)


def numeric_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column as floats; any blank or non-number is an InputError naming its rows."""
    values = frame[column]
    if pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=float)
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(numbers))
    if len(bad):
        source = frame.attrs.get("source", "candidates")
        first = int(frame.attrs.get("first_data_row", 2))
        problems = [Problem(source, f'"{values.iloc[i]}"', say("一个数（有规则对此列求和）", "a number (summed by a rule)"),
                            row=int(i) + first,
                            column=column) for i in bad[:50]]
        raise InputError(problems)
    return numbers


def flag_values(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A 0/1 column of a slate (``selected``, ``national``) as booleans; absent = all False.

    Lenient on purpose: the audit reads slates edited by hand, where a blank means 0.
    """
    if column not in frame:
        return np.zeros(len(frame), bool)
    values = frame[column]
    if values.dtype == bool:
        return values.to_numpy()
    return pd.to_numeric(values, errors="coerce").fillna(0).to_numpy(dtype=float) > 0.5


def fold_localities(frame: pd.DataFrame, fold: Mapping[str, str]) -> pd.DataFrame:
    """Candidates with folded localities replaced by their parent (e.g. 梅河口市 → 通化市)."""
    if not fold or "locality" not in frame:
        return frame
    out = frame.copy()
    out["locality"] = out["locality"].replace(dict(fold))
    return out


def is_bool_column(frame: pd.DataFrame, column: str) -> bool:
    return column in BOOL_COLUMNS or frame[column].dtype == bool
