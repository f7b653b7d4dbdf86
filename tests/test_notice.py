"""The notice as a test: scenarios/jilin-base.toml and the catalogue held to a table written from
吉教职成〔2023〕7号 (`notice_table`), every mutant of the scenario's numbers, scopes, exemptions and
switches killed, and each rule family's behaviour on a small hand-made table where it binds
(expected slates worked out by hand in each test's docstring)."""
from __future__ import annotations

import copy
import re
import time
import tomllib
from pathlib import Path
from typing import Any, Iterator

import pytest
from conftest import REPO, scenario_of, typed_frame, write_csv
from conftest import row as default_row
from notice_table import EXEMPT_TASKS, INFERRED, NOTICE, SWITCH_DEFAULTS, mismatches

from planner import api
from planner.audit import check_slate
from planner.errors import InputError
from planner.inputs import load_catalogue
from planner.rules import load_scenario

BASE = REPO / "scenarios" / "jilin-base.toml"


def row(candidate_id: str, **changes: Any) -> dict:
    """conftest's row, each unit with a name of its own (one unit_id per unit_name: `rules.units`)."""
    out = default_row(candidate_id, **changes)
    return out if "unit_name" in changes else {**out, "unit_name": f"单位{out['unit_id']}"}


def base_data() -> dict:
    return tomllib.loads(BASE.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- the table
def test_jilin_base_matches_the_notice_table():
    assert mismatches(base_data()) == []


def test_every_inferred_rule_says_it_is_the_planners_reading_and_no_other_does():
    """Rules that read more into the notice than its words (由学校申报, 开发区管委会不在其列, the band
    around "N个左右" …) say 规划者的理解 in their text; rules that are the notice's words do not."""
    marked = {r["id"] for r in base_data()["rule"] if "规划者的理解" in r.get("text", "")}
    assert marked == INFERRED
    listed = (REPO / "docs" / "notice-rules.md").read_text(encoding="utf-8")
    assert [rid for rid in sorted(INFERRED) if f"`{rid}`" not in listed] == []


def test_every_rule_of_the_table_cites_a_clause_of_the_notice_text():
    text = (Path("/work/shared/notice/jijiaozhicheng-2023-7.txt") if Path("/work/shared/notice").exists() else None)
    clauses = {e["clause"] for e in NOTICE}
    assert clauses == {"三(一)", "三(二)", "三(三)", "三(四)", "三(五)", "三(六)", "三(七)", "三(八)", "三(九)", "三(十)"}
    if text is not None and text.exists():
        body = re.sub(r"\s", "", text.read_text(encoding="utf-8"))
        for needle in ("长春市推荐不超过15个", "不少于100个学校实践中心", "全省择优向教育部推荐5门", "标准、装备各不超过5个",
                       "资源不超过10个", "不占学校推荐限额", "申报课程须为专业核心课程", "市、县政府或政府组成部门牵头申报",
                       "项目要求由我国职业教育领域机构牵头制定", "数字校园试点学校", "已入选的省级、国家级在线精品课程",
                       "职业教育国家规划教材", "各地在市域产教联合体内"):
            assert needle in body, needle


def test_the_catalogue_holds_the_notices_tasks_tracks_and_localities():
    cat = load_catalogue()
    clauses = {code: t.clause for code, t in cat.tasks.items()}
    assert clauses == {
        "city_consortium": "三(一)", "industry_community": "三(二)", "practice_centre": "三(三)",
        "resource_library": "三(四)", "digital_benchmark_school": "三(五)", "virtual_sim_base": "三(六)",
        "core_course": "三(七)", "textbook": "三(八)", "production_project": "三(九)",
        "international_item": "三(十)", "international_school": "三(十一)"}
    assert set(cat.tracks_of("practice_centre")) == {"school", "public", "enterprise"}
    assert set(cat.tracks_of("core_course")) == {"online", "offline"}
    assert set(cat.tracks_of("international_item")) == {"standard", "resource", "equipment"}
    assert not cat.tasks["international_school"].enabled
    # 9 市州, plus 长白山管委会 and 梅河口市 to which the notice is addressed.
    assert set(cat.localities) == {"长春市", "吉林市", "四平市", "辽源市", "通化市", "白山市", "松原市", "白城市",
                                   "延边朝鲜族自治州", "长白山管委会", "梅河口市"}
    # 三(三) 市、县政府或政府组成部门 vs 三(一) 开发区管委会: two kinds.
    assert {"government", "development_zone"} <= set(cat.unit_kinds)
    assert set(cat.tiers) == {"national_double_high", "provincial_double_high", "other_higher"}
    # 三(三) 各地在市域产教联合体内: an enterprise centre names its 市域产教联合体 of the same locality.
    link = cat.links["consortium_id"]
    assert (link.task, link.same, link.on, link.label) == (
        "city_consortium", ("locality",), {"task": "practice_centre", "track": "enterprise"}, "所属联合体编号")


def test_the_bundled_rounds_load_with_the_default_readings():
    scenario = load_scenario(REPO / "scenarios" / "jilin-2023.toml")
    assert dict(scenario.switches) == {**dict(scenario.switches), **SWITCH_DEFAULTS}
    assert scenario.exempt_tasks == tuple(EXEMPT_TASKS)


# --------------------------------------------------------------------------- mutation check
def _leaves(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, (*path, i))
    else:
        yield path, node


def _set(data: dict, path: tuple, value: Any) -> None:
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def mutants(data: dict) -> Iterator[tuple[str, dict]]:
    """Every number changed (+1, or 0 → 1), every scope flipped (and added where a rule leaves it
    to [defaults]), every quota's exempt filter toggled, every switch's default changed, the
    exemption list widened and narrowed."""
    for path, value in _leaves(data):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            mutant = copy.deepcopy(data)
            _set(mutant, path, value + 1 if value else 1)
            yield f"{'.'.join(map(str, path))}: {value} → {value + 1 if value else 1}", mutant
        if path and path[-1] == "scope":
            mutant = copy.deepcopy(data)
            _set(mutant, path, "year" if value == "period" else "period")
            yield f"{'.'.join(map(str, path))}: {value} flipped", mutant
    for i, rule in enumerate(data["rule"]):
        if "scope" not in rule:
            mutant = copy.deepcopy(data)
            mutant["rule"][i]["scope"] = "year"
            yield f'rule {rule["id"]}: scope = "year" added', mutant
        if "where" in rule and "task" in rule["where"]:
            mutant = copy.deepcopy(data)
            where = mutant["rule"][i]["where"]
            if "exempt" in where:
                del where["exempt"]
            else:
                where["exempt"] = False
            yield f'rule {rule["id"]}: exempt filter toggled', mutant
        if rule.get("where", {}).get("track") == "enterprise":
            mutant = copy.deepcopy(data)
            where = mutant["rule"][i]["where"]
            if "consortium_id" in where:
                del where["consortium_id"]
            else:
                where["consortium_id"] = {"in_slate": True}
            yield f'rule {rule["id"]}: consortium link toggled', mutant
    for name in data["switches"]:
        mutant = copy.deepcopy(data)
        mutant["switches"][name] = "another reading"
        yield f"switch {name} changed", mutant
    # Every word of the file that a rule or table reads (not the prose: text, name, description,
    # issuer, a calendar event), changed; every `where` key dropped, one added; a fold; a measure
    # or a draw given to a rule; a rule switched off; a choice dropped.
    for path, value in _leaves(data):
        if isinstance(value, str) and not set(map(str, path)) & {"text", "name", "description", "issuer", "event"}:
            mutant = copy.deepcopy(data)
            _set(mutant, path, "x" + value)
            yield f"{'.'.join(map(str, path))}: {value!r} changed", mutant
        if isinstance(value, bool):
            mutant = copy.deepcopy(data)
            _set(mutant, path, not value)
            yield f"{'.'.join(map(str, path))}: {value} negated", mutant
    for i, rule in enumerate(data["rule"]):
        for key in rule.get("where", {}):
            mutant = copy.deepcopy(data)
            del mutant["rule"][i]["where"][key]
            yield f'rule {rule["id"]}: where.{key} dropped', mutant
        for key, value in (("where", {**rule.get("where", {}), "level": "higher"}), ("measure", "sum:cost"),
                           ("draw", "pool"), ("enabled", False)):
            if rule.get(key) == value:
                continue
            mutant = copy.deepcopy(data)
            mutant["rule"][i][key] = value
            yield f'rule {rule["id"]}: {key} = {value!r}', mutant
    mutant = copy.deepcopy(data)
    mutant["localities"]["fold"] = {"梅河口市": "通化市"}
    yield "梅河口市 folded into 通化市", mutant
    for name, values in data["choices"].items():
        mutant = copy.deepcopy(data)
        mutant["choices"][name] = values[:-1]
        yield f"choice {name} {values[-1]!r} dropped", mutant
    for key in ("objective", "plan"):
        for sub in data[key]:
            mutant = copy.deepcopy(data)
            del mutant[key][sub]
            yield f"{key}.{sub} dropped", mutant
    for task in ("practice_centre", "core_course"):
        mutant = copy.deepcopy(data)
        mutant["exemptions"]["tasks"].append(task)
        yield f"exemption granted to {task}", mutant
    for task in EXEMPT_TASKS:
        mutant = copy.deepcopy(data)
        mutant["exemptions"]["tasks"].remove(task)
        yield f"exemption of {task} withdrawn", mutant


def test_every_mutant_of_jilin_base_is_killed():
    """The issue's check: 28 of 29 hand-made mutants once passed the whole suite. Here every
    number, scope, exemption and default reading of jilin-base.toml is changed in turn, in
    process, and the notice table must notice each (well under a second of CPU each)."""
    start = time.process_time()
    data = base_data()
    survivors, n = [], 0
    for name, mutant in mutants(data):
        n += 1
        if not mismatches(mutant):
            survivors.append(name)
    assert n > 1000, n                     # the scenario has that many numbers, words and keys
    assert survivors == [], survivors
    assert time.process_time() - start < 60


# --------------------------------------------------------------------------- behaviour per rule family
def rule_of(rule_id: str) -> dict:
    return next(r for r in base_data()["rule"] if r["id"] == rule_id)


def solve(rules: list[str], rows: list[dict], *, extra: dict | None = None, candidates=None):
    data = {"period": [2023, 2025], "switches": dict(SWITCH_DEFAULTS), "rule": [rule_of(r) for r in rules],
            **(extra or {})}
    frame = candidates if candidates is not None else typed_frame(rows)
    return api.solve(scenario_of(data), candidates=frame, workers=1)


def selected(result) -> set[str]:
    slate = result.slate
    return set(slate.loc[slate["selected"].astype(bool), "candidate_id"])


def national(result) -> set[str]:
    slate = result.slate
    return set(slate.loc[slate["national"].astype(bool), "candidate_id"])


def schools(prefix: str, n: int, locality: str, **kw) -> list[dict]:
    """n 中职 school centres in one locality, scores 99, 98, … (each its own school and title)."""
    return [row(f"{prefix}{i:02d}", locality=locality, score=99.0 - i, unit_id=f"U{prefix}{i}",
                unit_name=f"学校{prefix}{i}", title=f"中心{prefix}{i}", **kw) for i in range(n)]


def test_school_centre_locality_quota_15_10_3():
    """三(三): 20 长春 filings → the best 15; 12 吉林 → the best 10; 5 四平 → the best 3."""
    rows = schools("C", 20, "长春市") + schools("J", 12, "吉林市") + schools("S", 5, "四平市")
    got = selected(solve(["pc-school-locality"], rows))
    assert got == {f"C{i:02d}" for i in range(15)} | {f"J{i:02d}" for i in range(10)} | {f"S{i:02d}" for i in range(3)}


def test_tier_caps_per_higher_vocational_school_6_3_2():
    """三(三): a national 双高 school with 8 filings → its best 6; provincial 5 → 3; other 4 → 2."""
    rows = []
    for uid, tier, n in (("N", "national_double_high", 8), ("P", "provincial_double_high", 5), ("O", "other_higher", 4)):
        rows += [row(f"{uid}{i}", unit_id=uid, unit_kind="higher_vocational", tier=tier, level="higher",
                     score=90.0 - i, title=f"中心{uid}{i}") for i in range(n)]
    got = selected(solve(["pc-school-national-dh", "pc-school-provincial-dh", "pc-school-other-higher"], rows))
    assert got == {f"N{i}" for i in range(6)} | {f"P{i}" for i in range(3)} | {f"O{i}" for i in range(2)}


def test_exempt_library_hosts_take_no_quota_but_exempt_centres_are_an_input_error(tmp_path):
    """三(四): 长春 may recommend 5 libraries; 3 exempt former national hosts come on top (8 in all).
    三(三) grants no exemption: exempt = true on a school centre is a located input error."""
    rows = [row(f"L{i}", task="resource_library", track="", unit_id=f"U{i}", title=f"库{i}", score=90.0 - i,
                exempt=i < 3) for i in range(9)]
    got = selected(solve(["rl-locality"], rows, extra={"exemptions": base_data()["exemptions"]}))
    assert got == {f"L{i}" for i in range(8)}       # L0–L2 exempt, then the best 5 of L3–L8
    path = write_csv(tmp_path / "c.csv", [row("X1", exempt=True)])
    scenario = scenario_of({"period": [2023, 2025], "exemptions": base_data()["exemptions"],
                            "switches": dict(SWITCH_DEFAULTS), "rule": [rule_of("pc-school-locality")]})
    with pytest.raises(InputError) as err:
        api.solve(scenario, candidates=path, workers=1)
    assert "c.csv:2:exempt" in str(err.value) and "practice_centre" in str(err.value)


def course_rows() -> list[dict]:
    out = []
    for level, kind, n in (("secondary", "secondary_vocational", 4), ("higher", "higher_vocational", 5)):
        out += [row(f"{level[0]}{i}", task="core_course", track="online", level=level, unit_kind=kind,
                    unit_id=f"U{level}{i}", title=f"课{level}{i}", score=95.0 - i, core_course="true")
                for i in range(n)]
    return out


def courses(rows: list[dict]):
    return typed_frame(rows, extra=("core_course",))


def test_national_courses_2_plus_3_over_the_period_not_again_in_2024(tmp_path):
    """三(七) 推荐5门 (中职2, 高职3), once for the cycle: 2023 recommends s0, s1 and h0–h2; in 2024
    the history already holds the 5, so no course is recommended again (the per-year reading would
    recommend 5 more)."""
    first = solve(["co-national-split"], [], candidates=courses(course_rows()))
    assert national(first) == {"s0", "s1", "h0", "h1", "h2"}
    past = [dict(r, year=2023, selected=r["candidate_id"] in selected(first),
                 national=r["candidate_id"] in national(first)) for r in course_rows()]
    history = write_csv(tmp_path / "h.csv", past, extra=("selected", "national", "core_course"))
    later = [dict(r, candidate_id="n" + r["candidate_id"], year=2024, title="新" + r["title"]) for r in course_rows()]
    data = {"year": 2024, "history": [str(history)]}
    second = solve(["co-national-split"], [], candidates=courses(later), extra=data)
    assert national(second) == set()
    yearly = solve(["co-national-split-per-year"], [], candidates=courses(later),
                   extra={**data, "switches": {**SWITCH_DEFAULTS, "national_scope": "year"}})
    assert len(national(yearly)) == 5


def test_a_project_recognised_once_is_not_recognised_again_unless_offices_recertify(tmp_path):
    """二(二): P was recognised in 2023; filed again in 2024 (same unit, task, title up to blanks and
    full-width forms) it is blocked with reason already_recognised; Q (rejected in 2023) may be
    recognised now. With recognition = "recertify" P may be chosen again."""
    past = [row("P23", year=2023, unit_id="U1", title="智慧农业 实训中心", selected=True, national=False),
            row("Q23", year=2023, unit_id="U2", title="数控实训中心", selected=False, national=False)]
    history = write_csv(tmp_path / "h.csv", past, extra=("selected", "national"))
    rows = [row("P24", year=2024, unit_id="U1", title="智慧农业实训中心", score=95.0),
            row("Q24", year=2024, unit_id="U2", title="数控实训中心", score=90.0)]
    data = {"year": 2024, "history": [str(history)]}
    result = solve(["pc-school-locality"], rows, extra=data)
    assert selected(result) == {"Q24"}
    reasons = result.explanations.set_index("candidate_id")
    assert reasons.loc["P24", "reason_code"] == "already_recognised"
    assert "2023年获省级认定" in reasons.loc["P24", "reason"]
    again = solve(["pc-school-locality"], rows, extra={**data, "switches": {**SWITCH_DEFAULTS,
                                                                             "recognition": "recertify"}})
    assert selected(again) == {"P24", "Q24"}


def test_public_centres_are_led_by_governments_not_development_zones():
    """三(三) 市、县政府或政府组成部门牵头: a 开发区管委会 (score 95) is out by default, in with the switch."""
    rows = [row("Z", track="public", unit_kind="development_zone", unit_id="G9", score=95.0),
            row("G", track="public", unit_kind="government", unit_id="G1", score=80.0)]
    rules = ["pc-public-led-by-government"]
    assert selected(solve(rules, rows)) == {"G"}
    data = {"switches": {**SWITCH_DEFAULTS, "public_centre_lead": "with_zones"},
            "rule": [rule_of("pc-public-led-by-government-or-zone")]}
    assert selected(api.solve(scenario_of({"period": [2023, 2025], **data}), candidates=typed_frame(rows),
                              workers=1)) == {"G", "Z"}


def test_core_course_false_is_ineligible_and_a_wrong_level_is_an_input_error():
    """三(七) 申报课程须为专业核心课程: A (core) in, B (not core, higher score) out. An ordinary 中职
    course labelled higher is an input error; an integrated one may be labelled either way."""
    rows = [row("A", task="core_course", track="offline", title="课A", unit_id="U1", score=80.0),
            row("B", task="core_course", track="offline", title="课B", unit_id="U2", score=90.0)]
    frame = typed_frame([dict(r, core_course=v) for r, v in zip(rows, ("true", "false"))], extra=("core_course",))
    result = solve(["co-offline-locality"], [], candidates=frame)
    assert selected(result) == {"A"}
    wrong = typed_frame([dict(rows[0], level="higher", core_course="true")], extra=("core_course",))
    with pytest.raises(InputError, match="level"):
        solve(["co-offline-locality"], [], candidates=wrong)
    integrated = typed_frame([dict(rows[0], level="higher", integrated=True, core_course="true")],
                             extra=("core_course",))
    assert selected(solve(["co-offline-locality"], [], candidates=integrated)) == {"A"}
    missing = typed_frame(rows)
    with pytest.raises(InputError, match="core_course"):
        solve(["co-offline-locality"], [], candidates=missing)


def test_a_unit_keeps_one_tier_on_every_row():
    """A 高职 school labelled national on 6 rows and provincial on 3 would get 9 centres (cap 6):
    a located input error naming every conflicting row instead."""
    rows = [row(f"N{i}", unit_id="H1", unit_kind="higher_vocational", level="higher",
                tier="national_double_high" if i < 6 else "provincial_double_high", title=f"中心{i}")
            for i in range(9)]
    with pytest.raises(InputError) as err:
        solve(["pc-school-national-dh", "pc-school-provincial-dh"], rows)
    assert str(err.value).count("tier") >= 9


def test_international_items_within_5_5_10_over_the_period():
    """三(十): 7 standards, 7 equipment, 12 resources filed → 5, 5, 10 recommended nationally."""
    rows = []
    for track, n in (("standard", 7), ("equipment", 7), ("resource", 12)):
        rows += [row(f"{track}{i}", task="international_item", track=track, level="higher",
                     unit_kind="higher_vocational", unit_id=f"U{track}{i}", title=f"{track}{i}", score=90.0 - i)
                 for i in range(n)]
    got = national(solve(["ii-national"], rows))
    assert got == {f"standard{i}" for i in range(5)} | {f"equipment{i}" for i in range(5)} | \
        {f"resource{i}" for i in range(10)}


def test_the_auditor_flags_a_national_pick_where_no_national_rule_covers_the_task():
    rows = [row("A", score=90.0)]
    slate = typed_frame(rows).assign(selected=[1], national=[1])
    report = check_slate(slate, scenario_of({"period": [2023, 2025], "switches": dict(SWITCH_DEFAULTS),
                                           "rule": [rule_of("ii-national")]}))
    assert not report.ok and "没有任何国家级规则涵盖其任务" in " ".join(report.rows["problem"])


def test_the_auditor_reports_soft_bands_with_deviation_and_penalty():
    """cc-target: about 10 (9–11, 200 points a unit). 12 selected by 2025 → deviation 1, penalty 200."""
    rows = [row(f"K{i}", task="city_consortium", track="", year=2025, unit_kind="government", unit_id=f"G{i}",
                title=f"联合体{i}") for i in range(12)]
    slate = typed_frame(rows).assign(selected=1, national=0)
    scenario = scenario_of({"year": 2025, "period": [2023, 2025], "rule": [rule_of("cc-target")],
                            "switches": {**SWITCH_DEFAULTS, "about_n": "soft_band"}})
    soft = check_slate(slate, scenario).soft_deviations
    assert soft[["violation", "weight", "penalty"]].iloc[0].tolist() == [1.0, 200.0, 200.0]
    # aim at N (the default reading): 12 is 2 away from 10 → 400 points.
    aim = scenario_of({"year": 2025, "period": [2023, 2025], "switches": dict(SWITCH_DEFAULTS),
                       "rule": [rule_of("cc-target-aim")]})
    soft = check_slate(slate, aim).soft_deviations
    assert soft[["violation", "weight", "penalty"]].iloc[0].tolist() == [2.0, 200.0, 400.0]


def test_planner_check_rejects_an_exempt_school_centre_in_the_bundled_rules(tmp_path):
    """The issue's case: 20 长春 school centres marked exempt once solved and audited clean. With
    the bundled rules a row of the 2023 table marked exempt on 三(三) is a located input error:
    exit 2, file, row and column named, nothing written."""
    from conftest import run_cli
    lines = (REPO / "data" / "jilin" / "candidates_2023.csv").read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    at = next(i for i, line in enumerate(lines[1:], start=1)
              if line.split(",")[header.index("task")] == "practice_centre")
    cells = lines[at].split(",")
    cells[header.index("exempt")] = "true"
    lines[at] = ",".join(cells)
    table = tmp_path / "candidates.csv"
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'extends = "{(REPO / "scenarios" / "jilin-base.toml").as_posix()}"\nyear = 2023\n'
                        f'candidates = "candidates.csv"\n', encoding="utf-8")
    done = run_cli("solve", scenario, "--out", tmp_path / "out")
    assert done.returncode == 2, done.stderr
    assert f"candidates.csv:{at + 1}:exempt" in done.stderr and "practice_centre" in done.stderr
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- 三(三) consortium link
def linked_rule(**changes) -> dict:
    """pc-enterprise-locality-min as the scenario has it (min 2, counted through consortium_id),
    without `complete` so that a one-locality table does not need all eleven localities."""
    rule = {k: v for k, v in rule_of("pc-enterprise-locality-min").items() if k != "complete"}
    return {**rule, **changes}


CAPS = [  # test-only caps that make the minimum bind (not the notice's)
    {"id": "t-one-consortium", "clause": "test", "where": {"task": "city_consortium"}, "scope": "year", "max": 1},
    {"id": "t-two-centres", "clause": "test", "where": {"task": "practice_centre", "track": "enterprise"},
     "scope": "year", "max": 2},
]


def consortium_rows(year: int = 2025) -> list[dict]:
    def centre(cid, score, consortium):
        return row(cid, year=year, track="enterprise", unit_kind="enterprise", unit_id=f"E{cid}", title=f"企业中心{cid}",
                   locality="四平市", score=score, consortium_id=consortium)
    consortia = [row(k, year=year, task="city_consortium", track="", unit_kind="government", unit_id=f"G{k}",
                     title=f"联合体{k}", locality="四平市", score=s, consortium_id="") for k, s in (("K1", 90.0), ("K2", 85.0))]
    return consortia + [centre("E1", 95.0, ""), centre("E2", 94.0, "K2"), centre("E3", 70.0, "K1"),
                        centre("E4", 60.0, "K2"), centre("E5", 65.0, "K1")]


def solve_linked(rules: list[dict], rows: list[dict], *, switches: dict | None = None, extra: dict | None = None):
    data = {"year": 2025, "period": [2025, 2025], "switches": {**SWITCH_DEFAULTS, **(switches or {})},
            "rule": rules, **(extra or {})}
    return api.solve(scenario_of(data), candidates=typed_frame(rows, extra=("consortium_id",)), workers=1)


def test_enterprise_centres_count_only_inside_a_recognised_consortium():
    """三(三) 各地在市域产教联合体内，至少建设2个企业实践中心. One consortium and two centres may be
    chosen (test caps). By hand: min 2 linked → K1+E3+E5 = 225 or K2+E2+E4 = 239 → {K2, E2, E4};
    min 1 → K2+E1+E2 = 274 beats K1+E1+E3 = 255 → {K2, E1, E2}; consortium_link = "off" (every
    centre counts) → the best of each: {K1, E1, E2} (279)."""
    rows = consortium_rows()
    assert selected(solve_linked([linked_rule(), *CAPS], rows)) == {"K2", "E2", "E4"}
    assert selected(solve_linked([linked_rule(min=1), *CAPS], rows)) == {"K2", "E1", "E2"}
    off = {k: v for k, v in rule_of("pc-enterprise-locality-min-any").items() if k != "complete"}
    assert selected(solve_linked([off, *CAPS], rows, switches={"consortium_link": "off"})) == {"K1", "E1", "E2"}


def test_a_consortium_recognised_in_an_earlier_round_links_its_centres(tmp_path):
    """K0 recognised in 2023, K9 filed but rejected: in 2025 E6 and E7 (K0) count, E8 (K9) does
    not, E1 has no consortium. Two centres may be chosen: {E6, E7} (the only linked pair), not
    the best two {E1, E8}."""
    past = [row("K0", year=2023, task="city_consortium", track="", unit_kind="government", unit_id="G0",
                title="联合体0", locality="四平市", selected=True, national=False),
            row("K9", year=2023, task="city_consortium", track="", unit_kind="government", unit_id="G9",
                title="联合体9", locality="四平市", selected=False, national=False)]
    history = write_csv(tmp_path / "h.csv", past, extra=("selected", "national"))
    empty = write_csv(tmp_path / "h24.csv", [row("X24", year=2024, unit_id="S9", selected=False, national=False)],
                      extra=("selected", "national"))
    rows = [row(c, year=2025, track="enterprise", unit_kind="enterprise", unit_id=f"E{c}", title=f"中心{c}",
                locality="四平市", score=s, consortium_id=k)
            for c, s, k in (("E1", 95.0, ""), ("E8", 90.0, "K9"), ("E6", 60.0, "K0"), ("E7", 55.0, "K0"))]
    result = solve_linked([linked_rule(), CAPS[1]], rows, extra={"history": [str(history), str(empty)],
                                                                 "period": [2023, 2025]})
    assert selected(result) == {"E6", "E7"}
    assert result.audit.ok


def test_the_auditor_counts_a_centre_only_with_its_consortium():
    """A hand-made slate with E2 and E4 (both of K2) but K2 not selected: 0 linked centres in 四平市
    (min 2) — a violation; with K2 selected the slate is clean."""
    scenario = scenario_of({"year": 2025, "period": [2025, 2025], "switches": dict(SWITCH_DEFAULTS),
                            "rule": [linked_rule()]})
    frame = typed_frame(consortium_rows(), extra=("consortium_id",))
    picks = {"E2", "E4"}
    bad = check_slate(frame.assign(selected=frame["candidate_id"].isin(picks), national=False), scenario)
    assert not bad.ok and bad.hard_violations["value"].tolist() == [0.0]
    good = check_slate(frame.assign(selected=frame["candidate_id"].isin(picks | {"K2"}), national=False), scenario)
    assert good.ok and good.rules["value"].tolist() == [2.0]


@pytest.mark.parametrize("consortium, found", [("K7", "本表和已锁定的往年名单中都没有这个项目"), ("E1", "是一个 practice_centre 行")])
def test_an_unknown_consortium_id_is_a_located_input_error(tmp_path, consortium, found):
    rows = consortium_rows()
    rows[3] = dict(rows[3], consortium_id=consortium)          # E2, file row 5
    path = write_csv(tmp_path / "c.csv", rows, extra=("consortium_id",))
    scenario = scenario_of({"year": 2025, "period": [2025, 2025], "switches": dict(SWITCH_DEFAULTS),
                            "rule": [linked_rule()]})
    with pytest.raises(InputError) as err:
        api.solve(scenario, candidates=path, workers=1)
    assert "c.csv:5:consortium_id" in str(err.value) and found in str(err.value)
    assert "city_consortium" in str(err.value)


def test_a_consortium_of_another_locality_is_an_input_error(tmp_path):
    rows = consortium_rows()
    rows[0] = dict(rows[0], locality="白城市")                  # K1 in 白城市; E3 and E5 name it
    path = write_csv(tmp_path / "c.csv", rows, extra=("consortium_id",))
    scenario = scenario_of({"year": 2025, "period": [2025, 2025], "switches": dict(SWITCH_DEFAULTS),
                            "rule": [linked_rule()]})
    with pytest.raises(InputError) as err:
        api.solve(scenario, candidates=path, workers=1)
    text = str(err.value)
    assert "c.csv:6:consortium_id" in text and "c.csv:8:consortium_id" in text and "白城市" in text


# --------------------------------------------------------------------------- 二(二) national from the pool
def pool_rule(**changes) -> dict:
    """二(二) 按照教育部分配限额，在省级项目库中择优推荐: a national rule for another task, its limit given
    by the scenario (MOE allocates it; the notice gives none, so jilin-base.toml has no such rule)."""
    return {"id": "rl-national-pool", "clause": "二(二)", "text": "按照教育部分配限额，在省级项目库中择优推荐",
            "decision": "national", "draw": "pool", "where": {"task": "resource_library"}, "scope": "period",
            "max": 2, **changes}


def pool_round(tmp_path, rule: dict):
    """2023 recognised L1 (95) and L2 (recommended nationally then); L3 was rejected. In 2024 L1
    and L2 are filed again (same unit and title), N1 (80) and N2 (70) are new."""
    def lib(cid, year, unit, score, **kw):
        return row(cid, year=year, task="resource_library", track="", unit_id=unit, title=f"资源库{unit}",
                   score=score, **kw)
    past = [lib("L1", 2023, "U1", 95.0, selected=True, national=False),
            lib("L2", 2023, "U2", 99.0, selected=True, national=True),
            lib("L3", 2023, "U3", 50.0, selected=False, national=False)]
    history = write_csv(tmp_path / "h.csv", past, extra=("selected", "national"))
    rows = [lib("L1b", 2024, "U1", 95.0), lib("L2b", 2024, "U2", 99.0), lib("N1", 2024, "U4", 80.0),
            lib("N2", 2024, "U5", 70.0)]
    data = {"year": 2024, "period": [2023, 2025], "switches": dict(SWITCH_DEFAULTS), "rule": [rule],
            "history": [str(history)]}
    return api.solve(scenario_of(data), candidates=typed_frame(rows), workers=1)


def test_national_picks_drawn_from_the_accumulated_provincial_pool(tmp_path):
    """Limit 2 over the period, L2 (2023) takes one: one more. From the pool the best is L1 (95,
    recognised in 2023, filed again: not recognised again, but recommended); L2 never twice. From
    this round's slate only (draw = "slate") it is N1. With limit 3: L1 and N1."""
    pool = pool_round(tmp_path, pool_rule())
    assert national(pool) == {"L1b"} and selected(pool) == {"N1", "N2"}
    assert pool.audit.ok, pool.audit.messages()
    assert national(pool_round(tmp_path, pool_rule(draw="slate"))) == {"N1"}
    assert national(pool_round(tmp_path, pool_rule(max=3))) == {"L1b", "N1"}


def test_a_national_pick_of_a_refiled_project_needs_a_pool_rule():
    """The auditor: a re-filed recognised project recommended nationally without a provincial pick
    is allowed only under a rule with draw = "pool"."""
    frame = typed_frame([row("L1b", year=2024, task="resource_library", track="", unit_id="U1")])
    slate = frame.assign(selected=False, national=True, recognised_in=2023, national_in=0)
    for draw, ok in (("pool", True), ("slate", False)):
        scenario = scenario_of({"year": 2024, "period": [2023, 2025], "switches": dict(SWITCH_DEFAULTS),
                                "rule": [pool_rule(draw=draw)]})
        assert check_slate(slate, scenario).ok is ok


def test_draw_pool_only_on_a_national_rule():
    from planner.errors import PolicyError
    with pytest.raises(PolicyError, match="draw"):
        scenario_of({"period": [2023, 2025], "rule": [pool_rule(decision="provincial")]})
    with pytest.raises(PolicyError, match="draw"):
        scenario_of({"period": [2023, 2025], "rule": [pool_rule(draw="pools")]})


def test_the_ledger_counts_a_centre_only_with_its_consortium():
    """As the auditor: E2 and E4 of K2 are 0 linked centres while K2 is out, 2 once K2 is in."""
    from planner.ledger import ledger_table
    scenario = scenario_of({"year": 2025, "period": [2025, 2025], "switches": dict(SWITCH_DEFAULTS),
                            "rule": [linked_rule()]})
    frame = typed_frame(consortium_rows(), extra=("consortium_id",))
    for picks, used in (({"E2", "E4"}, 0.0), ({"E2", "E4", "K2"}, 2.0)):
        table = ledger_table(frame.assign(selected=frame["candidate_id"].isin(picks), national=False), scenario)
        assert table["used"].tolist() == [used]
