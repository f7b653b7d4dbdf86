"""Shared test helpers: tiny candidate rows and frames, scenario files, and the CLI as a subprocess.

Rows are built as typed dicts (see `tests/oracle.py` for the columns) and turned into the raw
text a planner's file would hold, so every frame goes through `candidates.normalise_candidates`
exactly as a file would. Scenarios are written as the TOML a planner writes (`toml_text`).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
import pytest

from planner import lang
from planner.inputs import normalise_candidates
from planner.rules import parse_scenario


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the library's default language (Chinese, or English under PLANNER_LANG):
    a command run in process sets the language, and the next test must not inherit it."""
    token = lang._current.set(None)
    yield
    lang._current.reset(token)


TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
FIXTURES = TESTS / "fixtures"
INPUTS = FIXTURES / "inputs"
SCENARIO_CASES = FIXTURES / "scenarios"
JILIN = REPO / "scenarios" / "jilin-2023.toml"

COLUMNS = ["candidate_id", "year", "task", "track", "title", "unit_id", "unit_name", "unit_kind", "tier",
           "locality", "level", "score", "integrated", "exempt", "eligible", "cost"]

DEFAULT_ROW: dict[str, Any] = dict(
    year=2023, task="practice_centre", track="school", title="实践中心", unit_id="U1", unit_name="长春市机械工业学校",
    unit_kind="secondary_vocational", tier="", locality="长春市", level="secondary", score=80.0,
    integrated=False, exempt=False, eligible=True, cost=0.0,
)


def row(candidate_id: str, **changes: Any) -> dict[str, Any]:
    """One typed candidate row: the defaults (a 中职 school-track practice centre in 长春市) plus changes."""
    out = {"candidate_id": candidate_id, **DEFAULT_ROW, **changes}
    if out["unit_kind"] == "higher_vocational" and not out["tier"]:
        out["tier"] = "other_higher"
    return out


# Six candidates over three localities and two tasks (E is not eligible), used where a test
# works its expectations out by hand: test_model, test_solve, test_highs_backend.
SIX_ROWS = [
    row("A", locality="长春市", score=90.0, cost=40.0),
    row("B", locality="长春市", score=80.0, cost=25.5, level="higher", unit_kind="higher_vocational"),
    row("C", locality="吉林市", score=70.0, cost=10.0, task="core_course", track="offline"),
    row("D", locality="吉林市", score=65.0, cost=30.0, task="core_course", track="online", level="higher",
        unit_kind="higher_vocational"),
    row("E", locality="四平市", score=50.0, cost=5.0, eligible=False),
    row("F", locality="四平市", score=55.0, cost=0.0, task="core_course", track="offline"),
]


def unit_row(candidate_id: str, score: float, locality: str = "长春市", **changes: Any) -> dict[str, Any]:
    """`row` with its own unit (``U<id>``, 学校<id>): candidates that share no school."""
    return row(candidate_id, score=score, locality=locality, unit_id="U" + candidate_id,
               unit_name="学校" + candidate_id, **changes)


def cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def raw_frame(rows: Iterable[Mapping[str, Any]], extra: Iterable[str] = ()) -> pd.DataFrame:
    """The text a planner's table would hold for these rows (every cell a str)."""
    columns = COLUMNS + [c for c in extra if c not in COLUMNS]
    data = {c: [cell(r.get(c, "")) for r in rows] for c in columns}
    return pd.DataFrame(data, dtype=object)


def frame_of(rows: Iterable[Mapping[str, Any]], *, history: bool = False) -> pd.DataFrame:
    """A validated candidate frame (history=True: with bool selected/national columns)."""
    rows = list(rows)
    flags = ("selected", "national") if history else ()
    return normalise_candidates(raw_frame(rows, flags), extra_bool_columns=flags)


STRING_COLUMNS = ["candidate_id", "task", "track", "title", "unit_id", "unit_name", "unit_kind", "tier",
                  "locality", "level"]


def typed_frame(rows: Iterable[Mapping[str, Any]], *, history: bool = False, extra: Iterable[str] = ()) -> pd.DataFrame:
    """The frame `normalise_candidates` returns for these (already clean) rows, built directly.

    Much faster than `frame_of` (for property tests); `test_api.py` checks the two are equal.
    Marked ``attrs["normalised"]`` so `api.solve` takes it as it is.
    """
    rows = list(rows)
    data: dict[str, Any] = {}
    for column in COLUMNS:
        values = [r[column] for r in rows]
        if column in STRING_COLUMNS:
            data[column] = pd.Series(values, dtype="str")
        elif column == "year":
            data[column] = np.array(values, dtype=np.int64)
        elif column in ("score", "cost"):
            data[column] = np.array(values, dtype=np.float64)
        else:
            data[column] = np.array(values, dtype=bool)
    for column in extra:
        data[column] = pd.Series([str(r[column]) for r in rows], dtype="str")
    if history:
        for column in ("selected", "national"):
            data[column] = np.array([bool(r[column]) for r in rows], dtype=bool)
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(rows)))
    frame.attrs.update(source="<frame>", first_data_row=2, skipped_rows=(), normalised=True)
    return frame


def csv_text(rows: Iterable[Mapping[str, Any]], extra: Iterable[str] = ()) -> str:
    return raw_frame(list(rows), extra).to_csv(index=False, lineterminator="\n")


def write_csv(path: Path, rows: Iterable[Mapping[str, Any]], extra: Iterable[str] = ()) -> Path:
    path.write_text(csv_text(rows, extra), encoding="utf-8")
    return path


def scenario_of(data: Mapping[str, Any]) -> Any:
    """A Scenario from a TOML-syntax mapping (name and year filled in when absent)."""
    return parse_scenario({"name": "test", "year": 2023, **data})


KNAPSACK_WEIGHTS = ("w1", "w2", "w3", "w4", "w5")


def knapsack_rows(n: int = 300, seed: int = 1) -> list[dict[str, Any]]:
    """A multidimensional knapsack as a round: weights w1…w5 (extra columns), random scores.

    With `knapsack_scenario` CP-SAT cannot prove the optimum within a second or two, so a run
    with a short time limit ends FEASIBLE with a gap (or, very short, with no slate at all).
    """
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        r = row(f"K{i:04d}", score=float(rng.integers(100, 1000)) / 10)
        for w in KNAPSACK_WEIGHTS:
            r[w] = str(int(rng.integers(1, 100)))
        rows.append(r)
    return rows


def knapsack_scenario(capacity: int = 3000) -> dict[str, Any]:
    return {"rule": [{"id": f"budget-{w}", "clause": "四(二)", "measure": f"sum:{w}", "max": capacity}
                     for w in KNAPSACK_WEIGHTS]}


def market_split_rows(m: int = 4, seed: int = 1) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A market-split instance (Cornuéjols–Dawande): 10(m−1) candidates, m weight columns,
    each to be hit exactly (sum = half the column). Finding any slate — or proving there is
    none — takes CP-SAT far longer than seconds, so a run on it only ends by its time limit
    (exit 4) or by Ctrl-C. Returns (rows, scenario mapping)."""
    rng = np.random.default_rng(seed)
    n = 10 * (m - 1)
    weights = rng.integers(0, 100, (n, m))
    rows = []
    for i in range(n):
        r = row(f"M{i:03d}", score=float(rng.integers(100, 1000)) / 10)
        for j in range(m):
            r[f"w{j + 1}"] = str(int(weights[i, j]))
        rows.append(r)
    half = weights.sum(axis=0) // 2
    rules = [{"id": f"split-{j + 1}", "clause": "四(二)", "measure": f"sum:w{j + 1}", "min": int(half[j]),
              "max": int(half[j])} for j in range(m)]
    return rows, {"rule": rules}


# --------------------------------------------------------------------------- TOML writing
_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(key: str) -> str:
    return key if _BARE.match(key) else json.dumps(key, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Path):
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {value!r} as TOML")


def toml_text(data: Mapping[str, Any]) -> str:
    """A scenario mapping as TOML: scalars, then tables, then [[rule]] (and other arrays of tables)."""
    lines: list[str] = []
    tables, arrays = {}, {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            tables[key] = value
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            arrays[key] = value
        else:
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, table in tables.items():
        lines += ["", f"[{_key(key)}]"] + [f"{_key(k)} = {_value(v)}" for k, v in table.items()]
    for key, items in arrays.items():
        for item in items:
            lines += ["", f"[[{_key(key)}]]"] + [f"{_key(k)} = {_value(v)}" for k, v in item.items()]
    return "\n".join(lines) + "\n"


def write_case(folder: Path, rows: Iterable[Mapping[str, Any]], scenario: Mapping[str, Any],
               candidates: str = "candidates.csv", extra: Iterable[str] = ()) -> Path:
    """A scenario file and its candidate table in `folder`; returns the scenario path."""
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / candidates, rows, extra)
    path = folder / "scenario.toml"
    path.write_text(toml_text({"name": "test", "year": 2023, "candidates": candidates, **scenario}), "utf-8")
    return path


# --------------------------------------------------------------------------- the CLI
def cli_command(*args: Any) -> list[str]:
    return [sys.executable, "-m", "planner.cli", *map(str, args)]


def run_cli(*args: Any, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `planner ARGS…` as a user would; text output, never raises on a non-zero exit."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
    return subprocess.run(cli_command(*args), cwd=cwd, env=env, capture_output=True, text=True,
                          encoding="utf-8", timeout=timeout)


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative path → bytes); {} when it does not exist."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def cli():
    return run_cli
