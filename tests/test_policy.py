"""Tests of planner.policy: reading scenario files, checking every key, and the immutable Scenario."""
from __future__ import annotations

import ast
import logging
import re
import tomllib
from pathlib import Path

import pytest
from conftest import JILIN, REPO, scenario_of, toml_text

from planner.errors import PolicyError
from planner.lang import speaking
from planner.rules import Bound, Rule, check_columns, load_scenario, parse_scenario, rule_to_toml

RULE = {"id": "cap", "clause": "三(三)", "text": "test", "where": {"task": "practice_centre"}, "max": 2}


def write(folder: Path, name: str, data: dict | str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else toml_text(data), encoding="utf-8")
    return path


def problems(call, *args, **kw) -> list[str]:
    with pytest.raises(PolicyError) as info:
        call(*args, **kw)
    return info.value.lines()


def suggests(line: str, value: str) -> bool:
    """Whether a problem's did-you-mean names `value` (in either language's quotes)."""
    return f'"{value}"' in line or f"“{value}”" in line


def only_rule(data: dict) -> Rule:
    return scenario_of({"rule": [data]}).rules[0]


# --------------------------------------------------------------------------- the bundled scenario
def test_jilin_scenario_extends_its_base_and_cites_a_clause_for_every_rule():
    scenario = load_scenario(JILIN)
    base = tomllib.loads((REPO / "scenarios" / "jilin-base.toml").read_text("utf-8"))
    assert scenario.year == 2023 and scenario.years == (2023, 2025)
    ids = [r.id for r in scenario.rules]
    assert len(ids) == len(set(ids))
    # Rules come from the base file; the default switch values keep exactly one of each pair.
    assert "cc-target-aim" in ids and "cc-target" not in ids and "cc-target-hard" not in ids
    assert "co-national-split" in ids and "co-national-split-at-most" not in ids
    switches = base["switches"]
    expected = [r["id"] for r in base["rule"]
                if all(switches[k] in (v if isinstance(v, list) else [v]) for k, v in r.get("when", {}).items())]
    assert ids == expected
    for rule in scenario.rules:
        assert re.fullmatch(r"[一二三四五六七八九十]+\(.+\)", rule.clause), (rule.id, rule.clause)
    # The candidate path is relative to the scenario file, not to the current directory.
    assert scenario.candidates.resolve() == (REPO / "data" / "jilin" / "candidates_2023.csv").resolve()
    assert scenario.tasks_enabled["international_school"] is False


def test_paths_resolve_relative_to_the_file_that_names_them(tmp_path, monkeypatch):
    write(tmp_path, "base/base.toml", {"name": "b", "year": 2023, "candidates": "pool.csv", "rule": [RULE]})
    child = write(tmp_path, "rounds/child.toml", {"extends": "../base/base.toml", "history": ["h.csv"]})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    scenario = load_scenario(child)
    assert scenario.candidates.resolve() == (tmp_path / "base" / "pool.csv").resolve()
    assert [p.resolve() for p in scenario.history] == [(tmp_path / "rounds" / "h.csv").resolve()]


# --------------------------------------------------------------------------- extends
def test_extends_replaces_rules_by_id_in_place_appends_new_ones_and_merges_tables(tmp_path):
    base = {"name": "base", "year": 2023, "switches": {"a": "x", "b": "y"},
            "rule": [dict(RULE, id="one"), dict(RULE, id="two", max=5), dict(RULE, id="three")]}
    write(tmp_path, "base.toml", base)
    child = write(tmp_path, "child.toml", {
        "extends": "base.toml", "name": "child", "switches": {"b": "z"},
        "rule": [dict(RULE, id="two", max=1), {"id": "three", "enabled": False}, dict(RULE, id="four")]})
    scenario = load_scenario(child)
    assert scenario.name == "child"
    assert dict(scenario.switches) == {"a": "x", "b": "z"}
    assert [r.id for r in scenario.rules] == ["one", "two", "four"]
    assert scenario.rule("two").max == Bound(1.0)


def test_a_cycle_of_extends_is_an_error(tmp_path):
    write(tmp_path, "a.toml", {"extends": "b.toml", "year": 2023})
    write(tmp_path, "b.toml", {"extends": "a.toml", "year": 2023})
    lines = problems(load_scenario, tmp_path / "a.toml")
    assert any("extends 形成循环" in line for line in lines), lines


def test_a_missing_base_file_is_named(tmp_path):
    path = write(tmp_path, "child.toml", {"extends": "nope.toml", "year": 2023})
    lines = problems(load_scenario, path)
    assert len(lines) == 1 and "nope.toml" in lines[0] and "没有这个文件" in lines[0]


# --------------------------------------------------------------------------- TOML syntax
def test_toml_syntax_error_names_the_line_and_the_column(tmp_path):
    text = 'name = "x"\nyear = 2023\n\n[[rule]]\nid = "r"\nmax = = 2\n'
    path = write(tmp_path, "bad.toml", text)
    # Counted by hand: line 6 is `max = = 2`; the second "=" is its 7th character.
    lines = problems(load_scenario, path)
    assert len(lines) == 1
    # Inside the [[rule]] "r" (no clause, no text): the rule is named by its id.
    assert lines[0].startswith(f"{path}:6:规则[r]，第 7 列：发现 TOML 语法错误"), lines


def test_a_file_that_is_not_utf8_is_an_error(tmp_path):
    path = tmp_path / "gbk.toml"
    path.write_bytes('name = "吉林"\nyear = 2023\n'.encode("gbk"))
    lines = problems(load_scenario, path)
    assert "不是 UTF-8" in lines[0]


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + toml_text({"name": "x", "year": 2023, "rule": [RULE]}).encode())
    assert load_scenario(path).year == 2023


# --------------------------------------------------------------------------- located problems
def test_problems_in_a_file_carry_the_line_of_their_rule(tmp_path):
    path = write(tmp_path, "s.toml", {"name": "x", "year": 2023,
                                       "rule": [RULE, dict(RULE, id="bad", max=-1)]})
    line = path.read_text("utf-8").splitlines().index('id = "bad"') + 1
    lines = problems(load_scenario, path)
    assert lines == [f"s.toml:{line}:三(三)“test”[bad] 的 max：发现 max = -1，应为 不小于 0 的界限"]
    with speaking("en"):
        lines = problems(load_scenario, path)
    assert lines == [f"s.toml:{line}:rule 三(三) “test” [bad] max: found max = -1, expected a bound ≥ 0"]


def test_every_problem_is_reported_at_once():
    data = {"year": 2023, "colour": "red", "rule": [
        dict(RULE, id="a", min=3, max=2),
        dict(RULE, id="b", soft={"weight": 0}),
        {"id": "c", "where": {"locality": "长舂市"}, "max": 1},
    ]}
    lines = problems(parse_scenario, data)
    assert len(lines) == 4, lines
    assert any("未知的键“colour”" in line for line in lines)
    assert any("三(三)“test”[a] 的 min" in line and "min 3 > max 2" in line for line in lines)
    assert any("三(三)“test”[b] 的 soft" in line for line in lines)
    assert any("规则[c] 的 where.locality" in line and suggests(line, "长春市") for line in lines)


@pytest.mark.parametrize("change, fragments", [
    ({"max": -1}, ["三(三)“test”[cap] 的 max", "max = -1", "不小于 0"]),
    ({"max": "十七"}, ["三(三)“test”[cap] 的 max", "max = '十七'", "一个数，或 分组 = 数 的表"]),
    ({"per": ["locality"], "max": {"长春市": "十七"}}, ["三(三)“test”[cap] 的 max", "max[\"长春市\"] = '十七'", "不小于 0 的数"]),
    ({"min": -0.5, "max": None}, ["三(三)“test”[cap] 的 min", "min = -0.5"]),
    ({"min": 3}, ["min 3 > max 2", "min ≤ max"]),
    ({"per": ["locality"], "min": {"长春": 3}, "max": {"长春市": 2, "*": 9}}, ["min 3 > max 2（分组“长春市”）"]),
    ({"soft": {"weight": 0}}, ["三(三)“test”[cap] 的 soft", "weight = <大于 0 的数>"]),
    ({"soft": {"weight": -2}}, ["三(三)“test”[cap] 的 soft"]),
    ({"soft": 5}, ["三(三)“test”[cap] 的 soft"]),
    ({"mx": 2}, ["未知的键“mx”", "max"]),
    ({"scope": "decade"}, ["三(三)“test”[cap] 的 scope", '"decade"']),
    ({"decision": "nationl"}, ["三(三)“test”[cap] 的 decision", '"national"']),
    ({"measure": "total"}, ["三(三)“test”[cap] 的 measure", '"sum:<数值列>"']),
    ({"max": None}, ["既无 min 也无 max"]),
    ({"max": {"长春市": 2}}, ["max 是一个表，但规则没有 per"]),
    ({"per": ["locality"], "max": {"长舂市": 2}}, ["未知的市（州）“长舂市”", "长春市"]),
    ({"per": ["locality", "level"], "max": {"长春市": 2}}, ['分组 "长春市" 有 1 段', "2 段"]),
    ({"per": ["level"], "max": {"middle": 2}}, ["未知的办学层次代码“middle”"]),
    ({"where": {"task": "practise_centre"}}, ["未知的任务类别代码“practise_centre”", "practice_centre"]),
    ({"where": {"task": {"near": "x"}}}, ['运算符 "near"']),
    ({"where": {"exempt": "no"}}, ["where.exempt", "true 或 false"]),
    ({"where": {"score": {"ge": "sixty"}}}, ["where.score", "一个数"]),
    ({"by": "2025"}, ["三(三)“test”[cap] 的 by"]),
    ({"per": ["unit_id"], "complete": True}, ['complete = true，而 per 列为 "unit_id"']),
    ({"when": {"nosuch": "x"}}, ["开关“nosuch”未在 [switches] 中设置"]),
    ({"cost": 0}, ["大于 0 且不超过 1e+06 的放宽代价"]),
])
def test_a_bad_rule_is_named_with_what_was_found(change, fragments):
    rule = {k: v for k, v in {**RULE, **change}.items() if v is not None}
    lines = problems(parse_scenario, {"year": 2023, "rule": [rule]})
    assert any(all(f in line for f in fragments) for line in lines), lines


def test_a_bad_rule_is_said_in_english_on_request():
    with speaking("en"):
        lines = problems(parse_scenario, {"year": 2023, "rule": [dict(RULE, per=["locality"], max={"长舂市": 2})]})
    assert lines == ['<scenario>:rule 三(三) “test” [cap] max: found unknown locality "长舂市", expected a catalogue '
                     'locality — did you mean "长春市"?'], lines


@pytest.mark.parametrize("data, fragments", [
    ({"year": "2023"}, ["year = '2023'", "整数年份"]),
    ({"year": 2023, "period": [2025, 2023]}, ["period"]),
    ({"year": 2026, "period": [2023, 2025]}, ["年度 2026 不在周期 2023–2025 之内"]),
    ({"year": 2023, "objective": {"maximize": "score", "pass": 60}}, ["未知的键“pass”", "pass_mark"]),
    ({"year": 2023, "objective": {"tie_break": "random"}}, ["objective.tie_break"]),
    ({"year": 2023, "tasks": {"textbooks": False}}, ["未知的任务代码“textbooks”", "textbook"]),
    ({"year": 2023, "localities": {"fold": {"梅河口": "通话市"}}}, ["未知的市（州）“通话市”", "通化市"]),
    ({"year": 2023, "force_in": ["C1"], "force_out": ["C1"]}, ["既被固定入选又被固定落选：C1"]),
    ({"year": 2023, "defaults": {"weight": 2}}, ["未知的键“weight”"]),
    ({"year": 2023, "candidates": 5}, ["candidates = 5"]),
    ({"year": 2023, "rule": [RULE, RULE]}, ["第二条编号为“cap”的规则"]),
    ({"year": 2023, "rule": [{"where": {}, "max": 1}]}, ["一条没有 id 的规则"]),
])
def test_a_bad_scenario_key_is_named(data, fragments):
    lines = problems(parse_scenario, data)
    assert any(all(f in line for f in fragments) for line in lines), lines


def test_a_bound_for_a_folded_locality_is_refused():
    lines = problems(parse_scenario, {"year": 2023, "localities": {"fold": {"梅河口市": "通化市"}},
                                      "rule": [dict(RULE, per=["locality"], max={"梅河口": 1, "*": 2})]})
    assert any("给“梅河口市”的界限，而本情景把它并入“通化市”" in line for line in lines), lines


# --------------------------------------------------------------------------- what a rule means
def test_where_forms_are_normalised():
    rule = only_rule(dict(RULE, where={
        "task": ["practice_centre", "core_course"], "track": {"not": "online"}, "locality": "延边州",
        "unit_kind": {"not": ["government", "enterprise"]}, "score": {"ge": 60, "lt": 90}, "exempt": False}))
    assert dict(rule.where) == {
        "task": (("in", ("practice_centre", "core_course")),),
        "track": (("not", "online"),),
        "locality": (("eq", "延边朝鲜族自治州"),),
        "unit_kind": (("not", ("government", "enterprise")),),
        "score": (("ge", 60), ("lt", 90)),
        "exempt": (("eq", False),),
    }


def test_bound_maps_normalise_aliases_and_keep_a_default():
    rule = only_rule(dict(RULE, per=["locality"], max={"长春": 15, " 延边州 ": 2, "*": 3}, min={"吉林市": 1}))
    assert rule.max.for_group("长春市") == 15
    assert rule.max.for_group("延边朝鲜族自治州") == 2
    assert rule.max.for_group("白城市") == 3
    assert rule.min.for_group("吉林市") == 1 and rule.min.for_group("长春市") is None
    two = only_rule(dict(RULE, per=["level", "locality"], max={"secondary|长春": 1}))
    assert dict(two.max.groups) == {"secondary|长春市": 1.0}


def test_defaults_apply_to_rules_that_do_not_set_them():
    scenario = scenario_of({"defaults": {"scope": "year", "decision": "national"},
                            "rule": [RULE, dict(RULE, id="own", scope="period", decision="provincial")]})
    assert (scenario.rule("cap").scope, scenario.rule("cap").decision) == ("year", "national")
    assert (scenario.rule("own").scope, scenario.rule("own").decision) == ("period", "provincial")


@pytest.mark.parametrize("switch, wanted, present", [
    ("a", "a", True), ("b", "a", False), ("b", ["a", "b"], True), ("c", ["a", "b"], False)])
def test_when_keeps_a_rule_only_for_its_switch_values(switch, wanted, present):
    scenario = scenario_of({"switches": {"mode": switch}, "rule": [RULE, dict(RULE, id="w", when={"mode": wanted})]})
    assert ("w" in [r.id for r in scenario.rules]) is present


def test_a_disabled_rule_is_dropped():
    assert [r.id for r in scenario_of({"rule": [RULE, dict(RULE, id="off", enabled=False)]}).rules] == ["cap"]


# --------------------------------------------------------------------------- what-if changes
def test_with_methods_return_new_scenarios_and_leave_the_original():
    scenario = scenario_of({"switches": {"mode": "a"},
                            "rule": [RULE, dict(RULE, id="loc", per=["locality"], max={"长春市": 5, "*": 2}),
                                     dict(RULE, id="w", when={"mode": "b"})]})
    before = (scenario.rules, dict(scenario.switches), scenario.force_in)
    replaced = scenario.with_rule(dict(RULE, max=7))
    assert replaced.rule("cap").max == Bound(7.0) and [r.id for r in replaced.rules] == ["cap", "loc"]
    added = scenario.with_rule(dict(RULE, id="new"))
    assert [r.id for r in added.rules] == ["cap", "loc", "new"]
    assert [r.id for r in scenario.without_rule("cap").rules] == ["loc"]
    bounded = scenario.with_bound("loc", "max", 9, group="吉林市")
    assert bounded.rule("loc").max.for_group("吉林市") == 9
    assert bounded.rule("loc").max.for_group("长春市") == 5 and bounded.rule("loc").max.for_group("四平市") == 2
    switched = scenario.with_switch("mode", "b")
    assert "w" in [r.id for r in switched.rules]
    assert scenario.pinned(force_in=["C1"]).force_in == ("C1",)
    assert dict(scenario.folded("梅河口", "通化").fold) == {"梅河口市": "通化市"}
    assert (scenario.rules, dict(scenario.switches), scenario.force_in) == before


def test_what_if_mistakes_are_policy_errors():
    scenario = scenario_of({"switches": {"mode": "a"}, "rule": [RULE]})
    assert suggests(problems(scenario.rule, "cpa")[0], "cap")
    assert problems(scenario.with_bound, "cap", "maximum", 3)
    assert problems(scenario.with_switch, "mood", "b")
    assert problems(scenario.folded, "梅河口", "nowhere")
    assert problems(scenario.with_rule, dict(RULE, max=-1))


def test_rule_to_toml_round_trips_every_bundled_rule():
    scenario = load_scenario(JILIN)
    for rule in scenario.rules:
        again = scenario.with_rule(rule_to_toml(rule)).rule(rule.id)
        assert again == rule.__class__(**{**rule.__dict__, "line": again.line}), rule.id


# --------------------------------------------------------------------------- columns
def test_a_rule_on_an_unknown_column_is_named_with_a_suggestion(tmp_path):
    path = write(tmp_path, "s.toml", {"name": "x", "year": 2023,
                                       "rule": [dict(RULE, where={"sector": "auto"}), dict(RULE, id="s", measure="sum:costs")]})
    scenario = load_scenario(path)
    lines = problems(check_columns, scenario, ["candidate_id", "task", "score", "cost", "sectors"])
    assert any(line.startswith("s.toml:") and "三(三)“test”[cap] 的 where.sector：发现 未知的列“sector”" in line
               and suggests(line, "sectors") for line in lines), lines
    assert any("三(三)“test”[s] 的 measure：发现 未知的列“costs”" in line and suggests(line, "cost")
               for line in lines), lines


def test_an_unknown_objective_column_is_named():
    scenario = scenario_of({"objective": {"maximise": "points"}, "rule": [RULE]})
    lines = problems(check_columns, scenario, ["task", "score"])
    assert any("objective.maximise" in line and "未知的列“points”" in line for line in lines)


# --------------------------------------------------------------------------- data only
def test_scenario_values_are_data_never_code(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    payload = f"__import__('os').system('touch {marker}')"
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, "s.toml", {"name": payload, "year": 2023, "candidates": f"$(touch {marker}).csv",
                                       "rule": [dict(RULE, text=payload, where={"title": payload})]})
    scenario = load_scenario(path)
    assert scenario.name == payload and scenario.rule("cap").text == payload
    assert dict(scenario.rule("cap").where) == {"title": (("eq", payload),)}
    assert not marker.exists()


def test_no_module_of_the_planner_evaluates_text():
    calls = {"eval", "exec", "compile", "__import__"}
    for path in sorted((REPO / "planner").rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in calls:
                pytest.fail(f"{path.name}:{node.lineno} calls {node.func.id}()")
            if isinstance(node, ast.Attribute) and node.attr in ("literal_eval", "load") and \
                    isinstance(node.value, ast.Name) and node.value.id in ("pickle", "marshal"):
                pytest.fail(f"{path.name}:{node.lineno} uses {node.value.id}.{node.attr}")


@pytest.mark.parametrize("target", ["/etc/hosts", "../../../../../../../../etc/hosts"])
def test_a_path_into_a_system_location_is_not_used_silently(tmp_path, caplog, target):
    """Issue 7/8 item 5: paths cannot escape into system locations silently (an error or a warning)."""
    path = write(tmp_path, "s.toml", {"name": "x", "year": 2023, "candidates": target, "rule": [RULE]})
    with caplog.at_level(logging.WARNING):
        try:
            load_scenario(path)
        except PolicyError as exc:
            assert "hosts" in str(exc)
            return
    assert any("hosts" in r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)


# --------------------------------------------------------------------------- the edit log of a what-if
def edit_scenario():
    return scenario_of({
        "switches": {"mode": "a"},
        "rule": [{"id": "loc", "clause": "三(三)", "text": "每市", "per": ["locality"],
                  "max": {"长春市": 15, "*": 3}},
                 {"id": "only-a", "clause": "二(二)", "text": "a", "max": 4, "when": {"mode": "a"}},
                 {"id": "only-b", "clause": "二(二)", "text": "b", "max": 5, "when": {"mode": "b"}}]})


def test_a_fresh_scenario_has_no_edits_and_each_with_records_one_in_order():
    from planner.rules import Edit
    s = edit_scenario()
    assert s.edits == ()
    w = (s.with_bound("loc", "max", 17, group="长春", note="会议")
         .with_bound("loc", "max", None, group="*")
         .without_rule("only-a", note="不再适用"))
    assert w.edits == (
        Edit("bound", rule="loc", group="长春市", key="max", old=15, new=17, note="会议", clause="三(三)"),
        Edit("bound", rule="loc", group="*", key="max", old=3, new=None, clause="三(三)"),
        Edit("remove_rule", rule="only-a", old=w.edits[2].old, new=None, note="不再适用", clause="二(二)"),
    )
    assert w.edits[2].old["max"] == 4
    assert s.edits == () and s.rule("loc").max.for_group("长春市") == 15     # the original is untouched
    assert w.rule("loc").max.for_group("四平市") is None


def test_a_switch_re_read_keeps_earlier_edits():
    s = edit_scenario().with_bound("loc", "max", 9, group="长春市").pinned(force_in=["C1"])
    w = s.with_switch("mode", "b", note="另一读法")
    assert w.rule("loc").max.for_group("长春市") == 9 and w.force_in == ("C1",)
    assert [r.id for r in w.rules] == ["loc", "only-b"]
    assert [e.what for e in w.edits] == ["bound", "force_in", "switch"]
    assert (w.edits[-1].key, w.edits[-1].old, w.edits[-1].new) == ("mode", "a", "b")


def test_edits_of_pins_folds_years_plans_and_tables_say_old_and_new(tmp_path):
    s = scenario_of({"period": [2023, 2025], "force_out": ["X"], "rule": [RULE]})
    w = (s.pinned(force_out=["Y"]).folded("梅河口", "通化市").with_year(2024).with_plan(forecast="none")
         .with_candidates(tmp_path / "t.csv").with_history(tmp_path / "h.csv").with_default_scope("year"))
    got = [(e.what, e.key, e.old, e.new) for e in w.edits]
    assert got == [("force_out", None, ["X"], ["X", "Y"]), ("fold", "梅河口市", None, "通化市"),
                   ("year", None, 2023, 2024), ("plan", "forecast", "none", "none"),
                   ("candidates", None, None, str(tmp_path / "t.csv")),
                   ("history", None, [], [str(tmp_path / "h.csv")]),
                   ("scope", "defaults.scope", "period", "year")]
    assert w.rule("cap").scope == "year"


def test_a_refused_edit_records_nothing_and_says_why():
    s = edit_scenario()
    assert problems(s.with_bound, "loc", "max", -1, group="长春市")
    assert problems(s.with_bound, "nope", "max", 1)
    assert s.edits == ()


def test_describe_edits_and_replay_give_the_same_lines_and_the_same_scenario():
    from planner.rules import describe_edits, replay
    s = edit_scenario()
    w = (s.with_bound("loc", "max", 17, group="长春市", note="会议").with_switch("mode", "b")
         .pinned(force_in=["C1"]).folded("梅河口市", "通化市").with_default_scope("year"))
    assert describe_edits(w) == [
        "三(三)“每市”：长春市 上限 15 → 17（会议）",
        "开关 mode：a → b",
        "指定入选：增加 C1",
        "梅河口市 并入 通化市 计算",
        "限额默认口径：按规划期合计 → 按年度",
    ]
    again = replay(s, [e.as_json() for e in w.edits])
    assert again == w and again.edits == w.edits and again != s


def test_a_bound_edit_changes_the_table_of_the_reading_in_force(tmp_path):
    text = toml_text({"name": "t", "year": 2023, "switches": {"mode": "b"}, "rule": [
        {"id": "cap", "clause": "三(三)", "text": "a", "max": 4, "when": {"mode": "a"}},
        {"id": "cap", "clause": "三(三)", "text": "b", "max": 5, "when": {"mode": "b"}}]})
    s = load_scenario(write(tmp_path, "s.toml", text))
    w = s.with_bound("cap", "max", 7)
    assert w.rule("cap").max.default == 7 and w.rule("cap").text == "b"
    assert w.with_switch("mode", "a").rule("cap").max.default == 4       # the other reading is untouched
