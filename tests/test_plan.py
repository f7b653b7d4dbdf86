"""Tests of planner.plan (`planner plan`) and of the `[plan]` section of scenario files.

The plan case is the worked example of docs/multi-year.md: quota 2 over 2023–2024, at least 1
public centre by 2024; 2023 brings Y1 90, Y2 80 (school) and X1 50 (public), 2024 X2 70 (public).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from planner.errors import PolicyError
from planner.ledger import plan_period
from planner.rules import load_scenario, parse_scenario

BASE = dict(task="practice_centre", unit_id="S1", unit_name="长春市第一职业学校", unit_kind="secondary_vocational",
            tier="", locality="长春市", level="secondary", integrated=False, exempt=False, eligible=True, cost=0)

SCENARIO = """
name = "plan test"
year = 2023
period = [2023, 2024]
candidates = "c2023.csv"

[switches]
quota_spending = "paced"

[plan]
future_weight = { switch = "quota_spending", paced = 1.0, literal = 0.0 }
pools = ["c2024.csv"]

[[rule]]
id = "quota"
clause = "三(三)"
where = { task = "practice_centre" }
max = 2

[[rule]]
id = "target"
clause = "三(三)"
where = { track = "public" }
min = 1
by = 2024
"""


def write_table(path: Path, spec) -> None:
    pd.DataFrame([{**BASE, "candidate_id": i, "year": y, "track": t, "title": i, "score": s}
                  for i, y, t, s in spec]).to_csv(path, index=False)


def cli(args: list[str]):
    """`planner plan ARGS` in-process, as the installed command runs it (typer's CliRunner)."""
    import typer
    from typer.testing import CliRunner

    from planner.cli.commands import plan as command
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """planner"""

    command.register(app)
    return CliRunner().invoke(app, ["plan", *args])


@pytest.fixture
def case(tmp_path):
    write_table(tmp_path / "c2023.csv", [("Y1", 2023, "school", 90), ("Y2", 2023, "school", 80),
                                         ("X1", 2023, "public", 50)])
    write_table(tmp_path / "c2024.csv", [("X2", 2024, "public", 70)])
    (tmp_path / "plan.toml").write_text(SCENARIO, "utf-8")
    return tmp_path


def test_plan_takes_y1_now_and_x2_next_year(case):
    # Joint value: {Y1} + X2@2024 = 160 > {Y1, X1} = 140 > {Y2} + X2 = 150? no: 150 > 140, but 160 is best.
    result = plan_period(case / "plan.toml", workers=1)
    assert set(result.slate.loc[result.slate["selected"] == 1, "candidate_id"]) == {"Y1"}
    assert result.planned[["candidate_id", "plan_year", "plan_source", "selected"]].values.tolist() == [
        ["X2@2024", 2024, "X2", 1]]
    target = result.targets.set_index("rule_id").loc["target"]
    # cumulative public centres: 0 after 2023, 1 after 2024 -> reached in 2024, reachable.
    assert (target["cum_2023"], target["cum_2024"], target["reached_in"], bool(target["reachable"])) == (0, 1, 2024, True)
    assert result.reachable
    assert all(a.ok for a in result.audits.values())
    assert result.by_year.set_index("track").loc["public", "n_2024"] == 1
    assert result.summary["n_planned"] == {2024: 1}


def test_literal_switch_and_repeat_forecast(case):
    sc = load_scenario(case / "plan.toml")
    # future_weight chosen by the switch: literal -> 0 -> {Y1, X1} (140, the best 2023 alone that
    # keeps the target reachable), reached in 2023.
    literal = plan_period(sc.with_switch("quota_spending", "literal"), workers=1)
    assert literal.scenario.plan.future_weight == 0
    assert set(literal.slate.loc[literal.slate["selected"] == 1, "candidate_id"]) == {"Y1", "X1"}
    assert literal.targets.set_index("rule_id").at["target", "reached_in"] == 2023
    # forecast repeat ignores the pool: 2024 = a copy of 2023; tie 140 both ways, this year first.
    repeat = plan_period(sc, forecast="repeat", workers=1)
    assert set(repeat.planned["candidate_id"]) == {"Y1@2024", "Y2@2024", "X1@2024"}
    assert set(repeat.slate.loc[repeat.slate["selected"] == 1, "candidate_id"]) == {"Y1", "X1"}


def test_fixed_greedy_slate_makes_the_target_unreachable(case):
    # If 2023 takes Y1 + Y2 (the greedy slate), the quota is spent: 0 public centres by 2024.
    slate = pd.read_csv(case / "c2023.csv").assign(selected=[1, 1, 0], national=0)
    slate.to_csv(case / "greedy.csv", index=False)
    result = plan_period(case / "plan.toml", fix=case / "greedy.csv", workers=1)
    target = result.targets.set_index("rule_id").loc["target"]
    assert (bool(target["reachable"]), target["shortfall"], target["cum_2024"]) == (False, 1, 0)
    assert pd.isna(target["reached_in"])
    assert not result.reachable
    assert result.summary["hard_targets_unreachable"] == ["target"]
    # the same question on the command line: exit 1 and the target named
    done = cli([str(case / "plan.toml"), "--fix", str(case / "greedy.csv"), "--workers", "1",
                "--out", str(case / "out")])
    assert done.exit_code == 1, done.output
    assert '目标“target”分组“全省”' in done.stderr and "到2024年无法达到" in done.stderr
    assert (case / "out" / "targets.csv").is_file() and (case / "out" / "plan.csv").is_file()
    ok = cli([str(case / "plan.toml"), "--workers", "1"])
    assert ok.exit_code == 0, ok.output
    assert "可达组" in ok.stdout and "规划中的全省目标" in ok.stdout     # Chinese by default (issue 15)


def test_fix_with_an_unknown_candidate_is_an_input_error(case):
    slate = pd.DataFrame({**{k: [v] for k, v in BASE.items()}, "candidate_id": ["Z9"], "year": [2023],
                          "track": ["school"], "title": ["Z9"], "score": [50], "selected": [1], "national": [0]})
    slate.to_csv(case / "bad.csv", index=False)
    from planner.errors import InputError
    with pytest.raises(InputError, match="Z9"):
        plan_period(case / "plan.toml", fix=case / "bad.csv", workers=1)


# --- the [plan] section -----------------------------------------------------------------------------

def test_plan_section_defaults_and_problems():
    plain = parse_scenario({"name": "t", "year": 2023, "period": [2023, 2025], "rule": []})
    assert plain.plan.forecast == "none" and plain.planned_years == ()
    on = parse_scenario({"name": "t", "year": 2023, "period": [2023, 2025], "rule": [],
                         "plan": {"future_weight": 0.5}})
    assert on.plan.forecast == "auto" and on.planned_years == (2024, 2025)
    with pytest.raises(PolicyError) as err:
        parse_scenario({"name": "t", "year": 2023, "period": [2023, 2025], "rule": [],
                        "switches": {"s": "a"},
                        "plan": {"forecast": "psychic", "future_weight": 2, "reachability": "maybe",
                                 "horizon": 1, "through": 2030,
                                 "reachability_weight": {"switch": "s", "b": 1}}})
    text = str(err.value)
    for needle in ('"psychic"', "future_weight = 2", '"maybe"', "未知的键“horizon”", "through = 2030",
                   's = "a" 没有对应的值'):
        assert needle in text, needle


def test_with_plan_survives_a_switch_change(case):
    sc = load_scenario(case / "plan.toml").with_plan(through=2023, reachability="off")
    again = sc.with_switch("quota_spending", "literal")
    assert (again.plan.through, again.plan.reachability, again.plan.future_weight) == (2023, "off", 0.0)
    assert again.planned_years == ()
    assert again.plan.pools == (case / "c2024.csv",)
