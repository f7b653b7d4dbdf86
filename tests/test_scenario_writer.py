"""Tests of planner.rules.scenario_writer: a what-if written back as a child scenario file."""
from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest
from conftest import REPO, row, write_case

from planner import api
from planner.errors import PolicyError
from planner.rules import load_scenario

JILIN = REPO / "scenarios" / "jilin-2023.toml"
ROWS = [row(f"C{i}", score=60.0 + 3 * i, locality=["长春市", "吉林市", "四平市"][i % 3]) for i in range(9)]
SCENARIO = {
    "switches": {"reading": "a"},
    "defaults": {"scope": "period"},
    "rule": [
        {"id": "cap", "clause": "三(三)", "text": "每市限额", "per": ["locality"], "max": {"长春市": 2, "*": 1}},
        {"id": "total", "clause": "二(二)", "text": "总数", "max": 5, "when": {"reading": "a"}},
        {"id": "total-b", "clause": "二(二)", "text": "总数（另一读法）", "max": 3, "when": {"reading": "b"}},
    ],
}


def same(a, b) -> bool:
    """Equal as scenarios, paths compared as the files they name (a child names them from
    another folder) and the source file aside (it is the child's)."""
    def norm(s):
        return dataclasses.replace(
            s, source=None, candidates=s.candidates.resolve() if s.candidates else None,
            history=tuple(p.resolve() for p in s.history),
            plan=dataclasses.replace(s.plan, pools=tuple(p.resolve() for p in s.plan.pools)),
            rules=tuple(dataclasses.replace(r, line=None) for r in s.rules))
    return norm(a) == norm(b)


def test_a_bound_edit_is_one_rule_table_with_its_clause_and_note(tmp_path):
    base = write_case(tmp_path / "case", ROWS, SCENARIO)
    what = load_scenario(base).with_bound("cap", "max", 3, group="长春", note="会议上提出")
    out = tmp_path / "whatifs" / "more.toml"
    text = what.to_toml(out)
    data = tomllib.loads(out.read_text("utf-8"))
    assert text == out.read_text("utf-8")
    assert data["extends"] == "../case/scenario.toml"                 # relative to the new file
    assert [r["id"] for r in data["rule"]] == ["cap"]                   # only the edited rule
    assert data["rule"][0]["max"] == {"长春市": 3, "*": 1}
    assert set(data) == {"extends", "rule"}                             # nothing else is restated
    assert "三(三)：每市限额" in text and "长春市 上限 2 → 3（会议上提出）" in text
    loaded = load_scenario(out)
    assert same(loaded, what) and not same(loaded, load_scenario(base))
    assert loaded.rule("cap").max.for_group("长春市") == 3


def test_every_kind_of_edit_round_trips(tmp_path):
    base = write_case(tmp_path / "case", ROWS, SCENARIO)
    history = tmp_path / "case" / "old.csv"
    history.write_text("candidate_id,year,selected,national\n", "utf-8")
    s = load_scenario(base)
    what = (s.with_bound("cap", "min", 1, note="至少一个")
            .with_rule({"id": "new", "clause": "三(一)", "text": "新规则", "where": {"locality": "吉林市"}, "max": 2})
            .without_rule("total")
            .with_switch("reading", "b")
            .with_default_scope("year")
            .pinned(force_in=["C8"], force_out=["C0"])
            .folded("梅河口市", "通化市")
            .with_name("试算")
            .with_plan(forecast="none"))
    assert [e.what for e in what.edits] == ["bound", "rule", "remove_rule", "switch", "scope", "force_in",
                                            "force_out", "fold", "name", "plan"]
    out = tmp_path / "w.toml"
    what.to_toml(out)
    data = tomllib.loads(out.read_text("utf-8"))
    assert {"id": "total", "enabled": False} in data["rule"]
    assert data["switches"] == {"reading": "b"} and data["defaults"] == {"scope": "year"}
    assert data["force_in"] == ["C8"] and data["force_out"] == ["C0"] and data["name"] == "试算"
    assert data["localities"] == {"fold": {"梅河口市": "通化市"}} and data["plan"] == {"forecast": "none"}
    loaded = load_scenario(out)
    assert same(loaded, what)
    assert [r.id for r in loaded.rules] == ["cap", "total-b", "new"]
    assert all(r.scope == "year" for r in loaded.rules)


def test_paths_are_written_relative_to_the_new_file(tmp_path):
    base = write_case(tmp_path / "case", ROWS, SCENARIO)
    other = tmp_path / "tables" / "other.csv"
    other.parent.mkdir()
    other.write_bytes((tmp_path / "case" / "candidates.csv").read_bytes())
    out = tmp_path / "deep" / "er" / "w.toml"
    load_scenario(base).with_candidates(other).to_toml(out)
    data = tomllib.loads(out.read_text("utf-8"))
    assert data["candidates"] == "../../tables/other.csv"
    assert load_scenario(out).candidates.resolve() == other.resolve()


def test_a_scenario_without_a_file_or_with_a_table_edit_cannot_be_written(tmp_path):
    from conftest import scenario_of
    with pytest.raises(PolicyError, match="extends"):
        scenario_of(SCENARIO).to_toml(tmp_path / "x.toml")
    assert not (tmp_path / "x.toml").exists()


def test_the_bundled_round_with_a_changed_bound_for_changchun_solves_to_the_same_slate(tmp_path):
    base = load_scenario(JILIN)
    # 长春市 has 5 selected school practice centres in the base slate (rules.csv); a cap of 4 must
    # change the slate, so "the same slate" below is not the base slate by accident.
    what = base.with_bound("pc-school-locality", "max", 4, group="长春市", note="假如长春市只有4个")
    out = tmp_path / "what-if.toml"
    what.to_toml(out)
    loaded = load_scenario(out)
    assert same(loaded, what)
    a = api.solve(what, workers=1)
    b = api.solve(loaded, workers=1)
    cap = a.rules[(a.rules.rule_id == "pc-school-locality") & (a.rules.group == "长春市")]
    assert float(cap["value"].iloc[0]) <= 4
    assert a.slate[["candidate_id", "selected", "national"]].equals(b.slate[["candidate_id", "selected", "national"]])
    assert a.summary["objective"] == b.summary["objective"]
    base_rules = api.solve(base, workers=1).rules
    assert float(base_rules[(base_rules.rule_id == "pc-school-locality")
                            & (base_rules.group == "长春市")]["value"].iloc[0]) == 5
    assert a.summary["edits"][0]["new"] == 4 and b.summary["edits"] == []


def test_planner_solve_accepts_the_written_file(tmp_path):
    from conftest import run_cli
    base = write_case(tmp_path / "case", ROWS, SCENARIO)
    out = tmp_path / "w.toml"
    load_scenario(base).with_bound("cap", "max", 0, group="长春市").to_toml(out)
    done = run_cli("solve", out, "--out", tmp_path / "out", "--workers", "1", "-q")
    assert done.returncode == 0, done.stderr
    slate = (tmp_path / "out" / "slate.csv").read_text("utf-8-sig").splitlines()
    header = slate[0].split(",")
    chosen = [line.split(",") for line in slate[1:] if line.split(",")[header.index("selected")] == "1"]
    assert chosen and not any(r[header.index("locality")] == "长春市" for r in chosen)
    assert Path(tmp_path / "out" / "summary.json").is_file()
