"""The readings of 吉教职成〔2023〕7号 that issue #24 found open, each pinned by behaviour on a small
hand-made table: the history of a round complete or refused (二(二)), every switch with its
choices, a unit under one id and one name, the new rules (三(十) lead, the strict 三(三) reading,
"N个左右" aimed at N, the entry columns of 三(五)(七)(八)) and behaviours no test pinned before.
Each expected slate is worked out by hand in the test's docstring."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, run_cli, scenario_of, typed_frame, write_case, write_csv
from conftest import row as default_row
from notice_table import SWITCH_DEFAULTS

from planner import api
from planner.audit import check_slate
from planner.errors import InputError
from test_notice import base_data, national, rule_of, selected, solve

HIGHER = dict(unit_kind="higher_vocational", level="higher")


def row(candidate_id: str, **changes: Any) -> dict:
    """conftest's row, each unit with a name of its own unless the test names it."""
    out = default_row(candidate_id, **changes)
    return out if "unit_name" in changes else {**out, "unit_name": f"单位{out['unit_id']}"}


def course(cid: str, level: str, year: int, **kw) -> dict:
    kind = "secondary_vocational" if level == "secondary" else "higher_vocational"
    return row(cid, year=year, task="core_course", track="offline", level=level, unit_kind=kind,
               unit_id=f"U{cid}", title=f"课程{cid}", core_course="true", **kw)


def slate_file(path: Path, rows: list[dict], extra: tuple[str, ...] = ()) -> Path:
    return write_csv(path, rows, extra=("selected", "national", *extra))


# --------------------------------------------------------------------------- 二(二) history complete or refused
def three_years(tmp_path: Path) -> tuple[Path, Path, list[dict]]:
    """2023: 四平 school centres S1, S2 and 长春 P23 recognised; courses s0, s1 (中职) and h0–h2 (高职)
    recommended nationally (the cycle's 2 + 3). 2024: S3 (四平's third). 2025 files N1, N2 (四平),
    P25 (P23 again) and two new courses."""
    def centre(cid, year, locality, **kw):
        return row(cid, year=year, locality=locality, **{"unit_id": f"U{cid}", "title": f"中心{cid}", **kw})
    h23 = [centre("S1", 2023, "四平市", selected=True, national=False),
           centre("S2", 2023, "四平市", selected=True, national=False),
           centre("P23", 2023, "长春市", selected=True, national=False, title="智慧农业实训中心")]
    h23 += [dict(course(c, "secondary" if c[0] == "s" else "higher", 2023), selected=True, national=True,
                 **({"tier": "other_higher"} if c[0] == "h" else {})) for c in ("s0", "s1", "h0", "h1", "h2")]
    h24 = [centre("S3", 2024, "四平市", selected=True, national=False)]
    now = [centre("N1", 2025, "四平市", score=95.0), centre("N2", 2025, "四平市", score=94.0),
           centre("P25", 2025, "长春市", score=99.0, title="智慧农业实训中心", unit_id="UP23"),
           course("cs", "secondary", 2025, score=90.0), course("ch", "higher", 2025, score=90.0, tier="other_higher")]
    h23[2]["unit_id"] = "UP23"
    return (slate_file(tmp_path / "h23.csv", h23, ("core_course",)),
            slate_file(tmp_path / "h24.csv", h24, ("core_course",)), now)


HISTORY_RULES = ["pc-school-locality", "co-national-split"]


def solve_2025(now: list[dict], history: list[Path]):
    now = [{"core_course": "", **r} for r in now]
    return solve(HISTORY_RULES, [], candidates=typed_frame(now, extra=("core_course",)),
                 extra={"year": 2025, "history": [str(p) for p in history]})


def test_with_every_earlier_slate_the_period_caps_recognitions_and_national_places_hold(tmp_path):
    """四平 has used its 3 school centres (S1, S2, S3): N1 and N2 stay out; P25 re-files P23
    (recognised 2023): blocked; the cycle's 5 national courses were recommended in 2023: none now.
    Selected: the two new courses only."""
    h23, h24, now = three_years(tmp_path)
    result = solve_2025(now, [h23, h24])
    assert selected(result) == {"cs", "ch"} and national(result) == set()
    assert result.audit.ok, result.audit.messages()


@pytest.mark.parametrize("history, missing", [(["h24"], "2023"), (["h23"], "2024")])
def test_a_gap_in_the_history_is_refused_naming_the_missing_year_and_the_command(tmp_path, history, missing):
    """Without 2023 the 2025 round would give 四平 three more centres, recognise P25 again and
    recommend five more courses (the issue's 20 centres, 10 courses, 35 projects twice): refused."""
    paths = dict(zip(("h23", "h24"), three_years(tmp_path)[:2]))
    with pytest.raises(InputError) as caught:
        solve_2025(three_years(tmp_path)[2], [paths[h] for h in history])
    text = str(caught.value)
    assert f"历史名单缺少{missing}年度" in text and "planner solve" in text


def test_history_slates_of_the_wrong_year_or_order_are_refused(tmp_path):
    """[2024, 2023]: out of order; the 2025 round's own slate, or one of 2022, in its history: the
    wrong year. A history of the 2023 and 2024 slates in one file holds both years: accepted."""
    h23, h24, now = three_years(tmp_path)
    with pytest.raises(InputError, match="是 2023 年度的名单，却排在 2024 年度之后"):
        solve_2025(now, [h24, h23])
    for year in (2025, 2022):
        other = slate_file(tmp_path / f"h{year}.csv", [row("A", year=year, unit_id="UA", selected=True, national=False)])
        with pytest.raises(InputError, match="历史名单年度不符"):
            solve_2025(now, [h23, h24, other])
    both = tmp_path / "both.csv"
    lines = h24.read_text(encoding="utf-8").splitlines()
    both.write_text(h23.read_text(encoding="utf-8") + "\n".join(lines[1:]) + "\n", encoding="utf-8")
    assert selected(solve_2025(now, [both])) == {"cs", "ch"}


def test_a_round_that_names_no_history_is_a_round_on_its_own(tmp_path, caplog):
    """No history at all (a what-if of one year, a test): solved alone, and the log says the
    earlier slates are not locked."""
    _, _, now = three_years(tmp_path)
    with caplog.at_level("WARNING"):
        alone = solve(["pc-school-locality"], now[:3], extra={"year": 2025})
    assert selected(alone) == {"N1", "N2", "P25"}
    assert "没有历史名单" in caplog.text and "2023、2024 年度已认定的项目未锁定" in caplog.text


def test_the_cli_exits_2_on_a_history_gap_and_writes_nothing(tmp_path):
    h23, h24, now = three_years(tmp_path)
    scenario = write_case(tmp_path / "case", now, {"year": 2025, "period": [2023, 2025], "switches": SWITCH_DEFAULTS,
                                                   "history": [str(h24)], "rule": [rule_of(r) for r in HISTORY_RULES]},
                          extra=("core_course",))
    done = run_cli("solve", scenario, "--out", tmp_path / "out")
    assert done.returncode == 2, done.stderr
    assert "历史名单缺少2023年度" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_round_file_after_the_first_that_says_no_history_is_refused_and_history_empty_is_alone(tmp_path):
    """A 2025 scenario file without a ``history`` line would count 2023–24's quotas again: exit 2,
    nothing written; ``history = []`` says "a round on its own" and is solved as such."""
    _, _, now = three_years(tmp_path)
    case = {"year": 2025, "period": [2023, 2025], "switches": SWITCH_DEFAULTS,
            "rule": [rule_of(r) for r in HISTORY_RULES]}
    scenario = write_case(tmp_path / "none", now, case, extra=("core_course",))
    done = run_cli("solve", scenario, "--out", tmp_path / "out")
    assert done.returncode == 2, done.stderr
    assert "历史名单缺少2023、2024年度" in done.stderr and "history = []" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()
    alone = write_case(tmp_path / "alone", now, {**case, "history": []}, extra=("core_course",))
    done = run_cli("solve", alone, "--out", tmp_path / "out")
    # solved alone — here infeasible: without 2023–24 the period's national 2 + 3 must all come now
    assert done.returncode == 3 and "历史名单缺少" not in done.stderr and "警告：" in done.stderr and "没有历史名单" in done.stderr, done.stderr


def test_the_bundled_2025_round_with_only_the_2024_slate_names_the_2023_command(tmp_path):
    """The issue's case on the bundled files: jilin-2025.toml naming only out/jilin-2024/slate.csv."""
    import shutil
    shutil.copytree(REPO / "scenarios", tmp_path / "scenarios")
    shutil.copytree(REPO / "data", tmp_path / "data")
    slate_file((tmp_path / "out" / "jilin-2024").mkdir(parents=True) or tmp_path / "out" / "jilin-2024" / "slate.csv",
               [row("X", year=2024, unit_id="UX", selected=True, national=False)])
    path = tmp_path / "scenarios" / "jilin-2025.toml"
    text = re.sub(r"(?m)^history = .*$", 'history = ["../out/jilin-2024/slate.csv"]', path.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")
    done = run_cli("solve", "scenarios/jilin-2025.toml", "--out", "out/jilin-2025", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    line, = done.stderr.splitlines()
    assert "历史名单缺少2023年度" in line
    assert "planner solve scenarios/jilin-2023.toml --out out/jilin-2023" in line
    assert "“../out/jilin-2023/slate.csv”" in line and not (tmp_path / "out" / "jilin-2025").exists()


# --------------------------------------------------------------------------- [choices] for every switch
def switches_the_code_reads() -> set[str]:
    """Every switch name read in planner/ (`*_SWITCH = "…"`, `switches.get("…")`, `switches["…"]`),
    by a rule's `when` or by a `{ switch = … }` value of jilin-base.toml."""
    names: set[str] = set()
    for path in (REPO / "planner").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r'_SWITCH\s*=\s*"(\w+)"', text))
        names |= set(re.findall(r'switches(?:\.get\(|\[)\s*"(\w+)"', text))
    data = base_data()
    for rule in data["rule"]:
        names |= set(rule.get("when", {}))
    names |= {v["switch"] for v in data["plan"].values() if isinstance(v, dict) and "switch" in v}
    return names


def test_every_switch_the_code_or_the_rules_read_has_its_choices():
    data = base_data()
    read = switches_the_code_reads()
    assert {"recognition", "unit_consistency", "core_course_column", "course_level", "national_scope",
            "about_n", "international_lead"} <= read       # the walk finds what it must
    assert sorted(read - set(data["choices"])) == []
    assert sorted(set(data["switches"]) - set(data["choices"])) == []
    for name, value in data["switches"].items():
        assert value == data["choices"][name][0], name        # the default first


@pytest.mark.parametrize("switch, typo, meant", [("recognition", "onec", "once"), ("national_scope", "perod", "period"),
                                                 ("unit_consistency", "chek", "check"),
                                                 ("international_lead", "educaton", "education")])
def test_a_bogus_switch_value_exits_2_located_with_did_you_mean(tmp_path, switch, typo, meant):
    path = tmp_path / "s.toml"
    path.write_text(f'extends = "{(REPO / "scenarios" / "jilin-base.toml").as_posix()}"\nyear = 2023\n'
                    f'candidates = "{(REPO / "data" / "jilin" / "candidates_2023.csv").as_posix()}"\n'
                    f'[switches]\n{switch} = "{typo}"\n', encoding="utf-8")
    done = run_cli("check", path)
    assert done.returncode == 2, done.stderr
    assert f"switches.{switch}" in done.stderr and f"是否应为“{meant}”？" in done.stderr


# --------------------------------------------------------------------------- a unit: one id, one name
TIER_RULES = ["pc-school-national-dh", "pc-school-provincial-dh"]


def double_high(n: int, **kw) -> list[dict]:
    return [row(f"N{i}", unit_id="H1" if i < 6 else "H2", unit_name="长春职业技术学院", tier="national_double_high",
                title=f"中心{i}", score=90.0 - i, **HIGHER, **kw) for i in range(n)]


def test_one_school_under_two_ids_is_a_located_error_or_one_unit_when_merged():
    """The issue's case: 长春职业技术学院 as H1 (6 centres) and H2 (3): 9 centres against a cap of 6.
    Refused, every row named; with unit_consistency = "merge" the two are one school: its best 6."""
    rows = double_high(9)
    with pytest.raises(InputError) as caught:
        solve(TIER_RULES, rows)
    assert str(caught.value).count("同一单位名称对应一个单位编号") == 9
    merged = solve(TIER_RULES, rows, extra={"switches": {**SWITCH_DEFAULTS, "unit_consistency": "merge"}})
    assert selected(merged) == {f"N{i}" for i in range(6)}
    assert merged.audit.ok


def test_one_id_under_two_names_is_an_error_names_compared_after_normalisation():
    """H1 named 长春职业技术学院 and 长春职业技术学院（南校区）: refused. Full-width letters and blanks do not
    make another name: "ＡＢ学院" and "AB 学院" are one name."""
    rows = [row("A", unit_id="H1", unit_name="长春职业技术学院", **HIGHER, tier="other_higher"),
            row("B", unit_id="H1", unit_name="长春职业技术学院（南校区）", **HIGHER, tier="other_higher", title="中心B")]
    with pytest.raises(InputError, match="同一单位编号对应一个单位名称"):
        solve(["pc-school-other-higher"], rows)
    same = [dict(rows[0], unit_name="ＡＢ学院"), dict(rows[1], unit_name="AB 学院")]
    assert selected(solve(["pc-school-other-higher"], same)) == {"A", "B"}      # no error: one unit


def test_the_unit_check_holds_localities_and_the_history(tmp_path):
    """The locality part: one school in 长春市 on one row and 吉林市 on another. The history part:
    this year's H1 is national 双高, the 2023 slate's H1 provincial — each a located error."""
    rows = [row("A", unit_id="S1"), row("B", unit_id="S1", locality="吉林市", title="中心B")]
    with pytest.raises(InputError, match="同一单位在每一行、每一年的所属市（州）相同"):
        solve(["pc-school-locality"], rows)
    past = slate_file(tmp_path / "h.csv", [row("P", year=2023, unit_id="H1", tier="provincial_double_high", **HIGHER,
                                               selected=True, national=False)])
    now = [row("Q", year=2024, unit_id="H1", tier="national_double_high", **HIGHER)]
    with pytest.raises(InputError) as caught:
        solve(TIER_RULES, now, extra={"year": 2024, "history": [str(past)]})
    assert "往年名单中的项目“P”" in str(caught.value) and "同一单位在每一行、每一年的学校类别相同" in str(caught.value)
    renamed = [dict(now[0], tier="provincial_double_high", unit_name="另一所学校")]
    with pytest.raises(InputError, match="同一单位编号对应一个单位名称"):
        solve(TIER_RULES, renamed, extra={"year": 2024, "history": [str(past)]})


def test_the_auditor_flags_a_unit_under_two_ids():
    rows = double_high(8)
    slate = typed_frame(rows).assign(selected=True, national=False)
    report = check_slate(slate, scenario_of({"period": [2023, 2025], "switches": dict(SWITCH_DEFAULTS),
                                             "rule": [rule_of(r) for r in TIER_RULES]}))
    assert not report.ok and report.rows["problem"].str.contains("单位不唯一").sum() == 8


# --------------------------------------------------------------------------- new rules from the notice
def test_international_items_are_led_by_vocational_education_bodies():
    """三(十) 项目要求由我国职业教育领域机构牵头制定: of four standards (enterprise 99, government 98,
    institute 80, school 70) the enterprise and the government are out; with international_lead =
    "any" all four are in."""
    kinds = (("E", "enterprise", 99.0), ("G", "government", 98.0), ("R", "other", 80.0), ("H", "higher_vocational", 70.0))
    rows = [row(c, task="international_item", track="standard", unit_kind=k, level="higher", unit_id=f"U{c}",
                title=f"标准{c}", score=s, **({"tier": "other_higher"} if k == "higher_vocational" else {}))
            for c, k, s in kinds]
    assert selected(solve(["ii-led-by-education-body"], rows)) == {"R", "H"}
    anyone = solve(["ii-national"], rows, extra={"switches": {**SWITCH_DEFAULTS, "international_lead": "any"}})
    assert selected(anyone) == {"E", "G", "R", "H"}


def consortium_table() -> list[dict]:
    """四平市: consortia K1 (90), K2 (50); centres E1 (95, none), E2 (94, K2), E3 (70, K1)."""
    def centre(cid, score, consortium):
        return row(cid, year=2025, track="enterprise", unit_kind="enterprise", unit_id=f"U{cid}", title=f"企业中心{cid}",
                   locality="四平市", score=score, consortium_id=consortium)
    return [row(k, year=2025, task="city_consortium", track="", unit_kind="government", unit_id=f"U{k}",
                title=f"联合体{k}", locality="四平市", score=s, consortium_id="") for k, s in (("K1", 90.0), ("K2", 50.0))] + \
        [centre("E1", 95.0, ""), centre("E2", 94.0, "K2"), centre("E3", 70.0, "K1")]


def test_the_strict_consortium_reading_keeps_every_enterprise_centre_inside_a_chosen_consortium():
    """At most one consortium (a test cap). Linked (default): K1 + E1 + E2 + E3 = 349 (E1 has no
    consortium but may compete). Strict: E1 never; K1 + E3 = 160 against K2 + E2 = 144 → {K1, E3}."""
    cap = {"id": "t-one", "clause": "test", "where": {"task": "city_consortium"}, "scope": "year", "max": 1}
    frame = typed_frame(consortium_table(), extra=("consortium_id",))
    data = {"year": 2025, "period": [2025, 2025]}
    linked = solve([], [], candidates=frame, extra={**data, "rule": [cap]})
    assert selected(linked) == {"K1", "E1", "E2", "E3"}
    strict = solve([], [], candidates=frame, extra={**data, "switches": {**SWITCH_DEFAULTS, "consortium_link": "strict"},
                                                     "rule": [cap, rule_of("pc-enterprise-inside-consortium")]})
    assert selected(strict) == {"K1", "E3"}
    assert strict.audit.ok
    by_hand = frame.assign(selected=frame["candidate_id"].isin({"K1", "E2"}), national=False)
    report = check_slate(by_hand, strict.scenario)
    assert not report.ok and report.hard_violations["value"].tolist() == [1.0]      # E2 outside: K2 is out


def test_the_strict_reading_counts_consortia_of_earlier_rounds(tmp_path):
    """K0 was recognised in 2023, K9 rejected: in 2024 under the strict reading E6 (K0) may be chosen,
    E9 (K9) and E1 (no 联合体) may not, whatever their scores."""
    past = slate_file(tmp_path / "h.csv", [
        row(k, year=2023, task="city_consortium", track="", unit_kind="government", unit_id=f"U{k}", title=f"联合体{k}",
            locality="四平市", selected=k == "K0", national=False) for k in ("K0", "K9")])
    rows = [row(c, year=2024, track="enterprise", unit_kind="enterprise", unit_id=f"U{c}", title=f"中心{c}",
                locality="四平市", score=sc, consortium_id=k)
            for c, sc, k in (("E1", 99.0, ""), ("E9", 98.0, "K9"), ("E6", 60.0, "K0"))]
    result = solve([], [], candidates=typed_frame(rows, extra=("consortium_id",)), extra={
        "year": 2024, "history": [str(past)], "rule": [rule_of("pc-enterprise-inside-consortium")],
        "switches": {**SWITCH_DEFAULTS, "consortium_link": "strict"}})
    assert selected(result) == {"E6"} and result.audit.ok


@pytest.mark.parametrize("reading, expected", [("aim_n", 10), ("soft_band", 11), ("hard_band", 11)])
def test_about_n_aims_at_n_or_fills_the_band(reading, expected):
    """到2025年…10个左右 with 14 consortia filed (scores 90…77, each below the 200-point weight): aiming
    at 10 takes exactly the best 10; the band (9–11), soft or hard, is filled to its top, 11."""
    rows = [row(f"K{i:02d}", year=2025, task="city_consortium", track="", unit_kind="government", unit_id=f"G{i}",
                title=f"联合体{i}", score=90.0 - i) for i in range(14)]
    rule = {"aim_n": "cc-target-aim", "soft_band": "cc-target", "hard_band": "cc-target-hard"}[reading]
    result = solve([rule], rows, extra={"year": 2025, "period": [2025, 2025],
                                        "switches": {**SWITCH_DEFAULTS, "about_n": reading}})
    assert selected(result) == {f"K{i:02d}" for i in range(expected)}


@pytest.mark.parametrize("rule, column, base", [
    ("db-pilot-schools-only", "digital_pilot", dict(task="digital_benchmark_school", track="")),
    ("co-online-quality-only", "online_quality", dict(task="core_course", track="online", core_course="true")),
    ("tb-listed-only", "textbook_listed", dict(task="textbook", track="")),
])
def test_entry_conditions_of_5_7_and_8_are_columns_with_rules(rule, column, base):
    """三(五) only pilot schools, 三(七) online only selected 在线精品课程, 三(八) only listed textbooks: the
    row with the flag false (score 99) is out, the one with it true (80) in. A table without the
    column: its `eligible` stands for it."""
    rows = [row("NO", unit_id="U1", score=99.0, **base, **{column: False}),
            row("YES", unit_id="U2", score=80.0, title="其他", **base, **{column: True})]
    extra = (column, "core_course") if "core_course" in base else (column,)
    assert selected(solve([rule], [], candidates=typed_frame(rows, extra=extra))) == {"YES"}
    legacy = [dict(r, eligible=r[column]) for r in rows]
    for r in legacy:
        del r[column]
    got = solve([rule], [], candidates=typed_frame(legacy, extra=extra[1:]))
    assert selected(got) == {"YES"}


def test_offline_courses_do_not_need_the_online_quality_flag():
    rows = [row("OFF", task="core_course", track="offline", core_course="true", online_quality=False)]
    assert selected(solve(["co-online-quality-only"], [], candidates=typed_frame(rows, extra=("core_course", "online_quality")))) == {"OFF"}


# --------------------------------------------------------------------------- behaviours no test pinned
def test_a_recognised_project_is_the_same_project_only_on_the_same_track(tmp_path):
    """P was recognised in 2023 as a school centre; in 2024 the same unit files the same title as a
    school centre (blocked) and as a public centre (another project: may be recognised)."""
    past = slate_file(tmp_path / "h.csv", [row("P", year=2023, unit_id="G1", unit_kind="government", track="public",
                                               title="智慧农业实训中心", selected=True, national=False)])
    rows = [row("SAME", year=2024, unit_id="G1", unit_kind="government", track="public", title="智慧农业实训中心"),
            row("OTHER", year=2024, unit_id="G1", unit_kind="government", track="enterprise", title="智慧农业实训中心")]
    result = solve(["pc-public-target"], rows, extra={"year": 2024, "history": [str(past)]})
    assert selected(result) == {"OTHER"}
    assert result.explanations.set_index("candidate_id").loc["SAME", "reason_code"] == "already_recognised"


def test_an_online_course_must_also_be_a_core_course():
    """三(七) 申报课程须为专业核心课程 holds for online courses too: a selected 在线精品课程 that is not a
    专业核心课程 is out (reason not_core_course)."""
    rows = [row("A", task="core_course", track="online", unit_id="U1", score=95.0, core_course="false", online_quality=True),
            row("B", task="core_course", track="online", unit_id="U2", title="课B", score=80.0, core_course="true",
                online_quality=True)]
    result = solve(["co-online-quality-only"], [], candidates=typed_frame(rows, extra=("core_course", "online_quality")))
    assert selected(result) == {"B"}
    assert result.explanations.set_index("candidate_id").loc["A", "reason_code"] == "not_core_course"


def test_the_auditor_flags_a_second_national_recommendation():
    rows = [course("c1", "higher", 2024, tier="other_higher")]
    slate = typed_frame(rows, extra=("core_course",)).assign(selected=True, national=True, recognised_in=0, national_in=2023)
    scenario = scenario_of({"year": 2024, "period": [2023, 2025], "rule": [rule_of("co-national-split-at-most")],
                            "switches": {**SWITCH_DEFAULTS, "national_course_split": "at_most"}})
    report = check_slate(slate, scenario)
    assert dict(zip(report.rules["group"], report.rules["value"])) == {"secondary": 0.0, "higher": 1.0}
    assert report.hard_violations.empty          # within 2 + 3: only the row check flags it
    assert "再次推荐国家级" in " ".join(report.rows["problem"])


@pytest.mark.parametrize("task, track", [("core_course", "offline"), ("production_project", ""),
                                         ("digital_benchmark_school", ""), ("city_consortium", "")])
def test_exempt_is_refused_on_every_task_but_3_4_and_3_6(tmp_path, task, track):
    path = write_csv(tmp_path / "c.csv", [row("X1", task=task, track=track, exempt=True, core_course="true")],
                     extra=("core_course",))
    scenario = scenario_of({"period": [2023, 2025], "exemptions": base_data()["exemptions"],
                            "switches": dict(SWITCH_DEFAULTS), "rule": [rule_of("rl-locality")]})
    with pytest.raises(InputError, match=f"c.csv:2:exempt：发现 任务“{task}”上的 exempt = true"):
        api.solve(scenario, candidates=path, workers=1)


def test_production_projects_in_changchun_capped_at_three():
    """三(九) 每个市（州）可推荐2-3项 holds for 长春市 too (no larger quota): of 5 中职 projects the best 3."""
    rows = [row(f"P{i}", task="production_project", track="", unit_id=f"S{i}", title=f"项目{i}", score=90.0 - i)
            for i in range(5)]
    assert selected(solve(["pp-locality-cap"], rows)) == {"P0", "P1", "P2"}


def test_meihekou_folded_into_tonghua_shares_its_quota():
    """三(三) other localities ≤ 3 school centres: 通化市 2 + 梅河口市 2 filings. Apart, all 4 (2 ≤ 3
    each); with [localities] fold 梅河口市 → 通化市, one quota: the best 3 (T0 95, M0 94, T1 93)."""
    rows = [row(c, locality=loc, unit_id=f"S{c}", title=f"中心{c}", score=s)
            for c, loc, s in (("T0", "通化市", 95.0), ("M0", "梅河口市", 94.0), ("T1", "通化市", 93.0), ("M1", "梅河口市", 92.0))]
    assert selected(solve(["pc-school-locality"], rows)) == {"T0", "M0", "T1", "M1"}
    folded = solve(["pc-school-locality"], rows, extra={"localities": {"fold": {"梅河口市": "通化市"}}})
    assert selected(folded) == {"T0", "M0", "T1"}


def test_a_tier_label_alias_reads_as_its_tier(tmp_path):
    """A table that says 省双高 for a school: read as provincial_double_high, so its cap is 3 (not
    national's 6 nor other's 2): of 5 centres the best 3."""
    rows = [row(f"C{i}", unit_id="H1", tier="省双高", title=f"中心{i}", score=90.0 - i, **HIGHER) for i in range(5)]
    path = write_csv(tmp_path / "c.csv", rows)
    scenario = scenario_of({"period": [2023, 2025], "switches": dict(SWITCH_DEFAULTS),
                            "rule": [rule_of(r) for r in ("pc-school-national-dh", "pc-school-provincial-dh",
                                                          "pc-school-other-higher")]})
    result = api.solve(scenario, candidates=path, workers=1)
    assert selected(result) == {"C0", "C1", "C2"}
    assert set(result.slate["tier"]) == {"provincial_double_high"}
