"""Tests of the seeded synthetic Jilin data: `planner.inputs.generate` and the roster it files from
(`planner.inputs.synthetic_roster`).

Covers: determinism, the bundled files matching a fresh generation, the structure of the files,
and whether the pools make the notice's 2025 targets reachable within its caps. The caps and targets
below are copied from the notice (吉教职成〔2023〕7号, see shared/notice/DIGEST.md), not from the
generator, so the arithmetic is an independent check.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.inputs import generate, load_catalogue, synthetic_roster

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "jilin"
SEED = 2023                      # the seed documented in data/jilin/README.md
YEARS = (2023, 2024, 2025)
HEADER = ("candidate_id,year,task,track,title,unit_id,unit_name,unit_kind,tier,locality,level,"
          "integrated,score,exempt,eligible,cost,core_course,consortium_id,digital_pilot,online_quality,textbook_listed")
# 三(五) 数字校园试点学校, 三(七) online 在线精品课程, 三(八) 国家规划/获奖教材: each task's entry condition, a
# column of its own (true/false on the task's rows, empty elsewhere).
ENTRY = {"digital_pilot": ("digital_benchmark_school", ""), "online_quality": ("core_course", "online"),
         "textbook_listed": ("textbook", "")}
SCHOOLS = {"higher_vocational", "secondary_vocational"}

# --- the notice's numbers -------------------------------------------------------------------------
OTHER = "*"
# 三(三) school practice centres: non-高职 filings per locality, and per 高职 school by tier.
PC_LOCALITY_CAP = {"长春市": 15, "吉林市": 10, OTHER: 3}
PC_TIER_CAP = {"national_double_high": 6, "provincial_double_high": 3, "other_higher": 2}
# 三(四), 三(六), 三(七) offline: libraries, virtual-simulation bases, offline core courses.
LIB_LOCALITY_CAP = {"长春市": 5, "吉林市": 3, OTHER: 2}
LIB_TIER_CAP = {"national_double_high": 5, "provincial_double_high": 3, "other_higher": 1}
# 三(九) production projects: 2–3 per locality, 3/2/1 per 高职 school.
PP_LOCALITY_CAP = {OTHER: 3}
PP_TIER_CAP = {"national_double_high": 3, "provincial_double_high": 2, "other_higher": 1}
# 三(三) public centres: at least 3 in 长春, 2 in 吉林, 1 elsewhere; enterprise centres ≥ 2 each.
PUBLIC_MIN = {"长春市": 3, "吉林市": 2, OTHER: 1}
ENTERPRISE_MIN = {OTHER: 2}
# 2025 provincial targets (一, 三): "about N" read as N, "不少于 N" as N.
TARGET = {
    "city_consortium": 10, "industry_community": 10, "pc_school": 100, "pc_public": 10,
    "pc_enterprise": 20, "resource_library": 50, "digital_benchmark_school": 20,
    "virtual_sim_base": 50, "core_course": 200, "production_project": 50,
}
# Not the notice's: scenarios/jilin-base.toml certifies nothing below 60 points (planner's choice).
# The targets must stay reachable with it, so reachability is checked both with and without it.
PASS_MARK = 60.0
# 三(七), 三(十): national recommendations.
NATIONAL_COURSES = {"secondary": 2, "higher": 3}
NATIONAL_INTERNATIONAL = {"standard": 5, "equipment": 5, "resource": 10}


def cap_of(table: dict[str, int], key: str) -> int:
    return table.get(key, table.get(OTHER, 0))


def reachable(pool: pd.DataFrame, locality_cap: dict[str, int], tier_cap: dict[str, int]) -> int:
    """Most filings the province can pick from pool within the locality and 高职-tier caps.

    The caps hold for the whole 2023–2025 period (the default reading of 二(二)), so pool should
    hold every year's filings. Exempt filings take no quota; ineligible ones can't be picked.
    """
    pool = pool[pool.eligible]
    free = int(pool.exempt.sum())
    quota = pool[~pool.exempt]
    higher = quota.unit_kind == "higher_vocational"
    by_locality = quota[~higher].groupby("locality").size()
    by_school = quota[higher].groupby(["unit_id", "tier"]).size()
    return (free
            + sum(min(n, cap_of(locality_cap, loc)) for loc, n in by_locality.items())
            + sum(min(n, tier_cap[tier]) for (_, tier), n in by_school.items()))


# --- fixtures ---------------------------------------------------------------------------------------
def read_bundled(year: int) -> pd.DataFrame:
    """A bundled file read independently of the generator (booleans parsed from true/false)."""
    frame = pd.read_csv(DATA / f"candidates_{year}.csv", encoding="utf-8-sig", dtype=str,
                        keep_default_na=False)
    for column in ("integrated", "exempt", "eligible"):
        assert set(frame[column]) <= {"true", "false"}, column
        frame[column] = frame[column] == "true"
    # `eligible` below: the row meets its task's entry condition, whichever column holds it.
    for column in ENTRY:
        frame["eligible"] &= frame[column] != "false"
    for column in ("year",):
        frame[column] = frame[column].astype(int)
    for column in ("score", "cost"):
        frame[column] = frame[column].astype(float)
    return frame


@pytest.fixture(scope="module")
def bundle() -> dict[int, pd.DataFrame]:
    return {year: read_bundled(year) for year in YEARS}


@pytest.fixture(scope="module")
def period(bundle) -> pd.DataFrame:
    return pd.concat(bundle.values(), ignore_index=True)


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def of(frame: pd.DataFrame, task: str, track: str = "") -> pd.DataFrame:
    return frame[(frame.task == task) & (frame.track == track)]


# --- determinism and the bundle ------------------------------------------------------------------
def test_same_seed_gives_identical_frames():
    pd.testing.assert_frame_equal(synthetic_roster.make_roster(7), synthetic_roster.make_roster(7))
    pd.testing.assert_frame_equal(generate.generate_candidates(2024, seed=7),
                                  generate.generate_candidates(2024, seed=7))


def test_different_seed_gives_different_frames():
    a = generate.generate_candidates(2024, seed=7)
    b = generate.generate_candidates(2024, seed=8)
    assert not a.equals(b)
    assert not synthetic_roster.make_roster(7).unit_name.equals(synthetic_roster.make_roster(8).unit_name)


def test_a_year_made_alone_equals_the_same_year_made_with_the_roster():
    roster = synthetic_roster.make_roster(SEED)
    pd.testing.assert_frame_equal(generate.generate_candidates(2025, seed=SEED),
                                  generate.generate_candidates(2025, seed=SEED, roster=roster))


def test_bundled_files_equal_a_fresh_generation_with_the_documented_seed(tmp_path):
    written = generate.write_bundled(tmp_path, seed=SEED, years=YEARS)
    assert [p.name for p in written] == [f"candidates_{y}.csv" for y in YEARS]
    for path in written:
        assert path.read_bytes() == (DATA / path.name).read_bytes(), (
            f"data/jilin/{path.name} differs from a fresh generation; "
            f"rerun `python -m planner.inputs.generate --out data/jilin --seed {SEED}`")


def test_main_writes_the_requested_years(tmp_path, capsys):
    assert generate.main(["--out", str(tmp_path / "out"), "--seed", "5", "--years", "2024"]) == 0
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["candidates_2024.csv"]
    assert "candidates_2024.csv" in capsys.readouterr().out


def test_readme_documents_the_data(bundle):
    text = (DATA / "README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in text
    assert f"python -m planner.inputs.generate --out data/jilin --seed {SEED}" in text
    for column in HEADER.split(","):
        assert f"`{column}`" in text, column
    for year, frame in bundle.items():
        assert f"| `candidates_{year}.csv` | {len(frame):,} |" in text, year


# --- file format ----------------------------------------------------------------------------------
@pytest.mark.parametrize("year", YEARS)
def test_file_is_utf8_with_bom_lf_and_the_documented_columns(year):
    raw = (DATA / f"candidates_{year}.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in raw
    lines = raw[3:].decode("utf-8").split("\n")
    assert lines[0] == HEADER
    assert lines[-1] == ""                       # ends with a newline
    one_decimal = re.compile(r"^\d+\.\d$")
    frame = pd.read_csv(DATA / f"candidates_{year}.csv", encoding="utf-8-sig", dtype=str,
                        keep_default_na=False)
    for column in ("score", "cost"):
        assert frame[column].str.match(one_decimal).all(), column
    for column in ("integrated", "exempt", "eligible"):
        assert set(frame[column]) <= {"true", "false"}, column
    assert (frame["eligible"] == "true").all()      # no condition beyond the entry columns is drawn
    for column, (task, track) in ENTRY.items():
        on = (frame.task == task) & (frame.track == track)
        assert set(frame.loc[on, column]) == {"true", "false"} and (frame.loc[~on, column] == "").all(), column


@pytest.mark.parametrize("year", YEARS)
def test_rows_ids_and_codes(bundle, catalogue, year):
    frame = bundle[year]
    assert 1500 <= len(frame) <= 2500
    assert (frame.year == year).all()
    expected_ids = [f"C{year}-{i:05d}" for i in range(1, len(frame) + 1)]
    assert frame.candidate_id.tolist() == expected_ids
    assert set(frame.task) == set(catalogue.tasks)            # every task is filed, even the one off
    for task, group in frame.groupby("task"):
        tracks = set(catalogue.tracks_of(task)) or {""}
        assert set(group.track) == tracks, task
    assert set(frame.unit_kind) == set(catalogue.unit_kinds)
    assert set(frame.locality) == set(catalogue.localities)
    assert (frame.title.str.len() > 4).all()
    assert not frame.duplicated(["unit_id", "task", "track", "title"]).any()


def test_row_counts_per_task_are_in_the_briefed_ranges(bundle):
    ranges = {
        ("city_consortium", ""): (15, 25), ("industry_community", ""): (10, 20),
        ("practice_centre", "school"): (250, 400), ("resource_library", ""): (150, 250),
        ("virtual_sim_base", ""): (150, 250), ("digital_benchmark_school", ""): (40, 60),
        ("textbook", ""): (100, 150), ("production_project", ""): (150, 250),
        ("international_item", "standard"): (15, 30), ("international_item", "resource"): (15, 30),
        ("international_item", "equipment"): (15, 30), ("international_school", ""): (1, 8),
    }
    for year, frame in bundle.items():
        counts = frame.groupby(["task", "track"]).size()
        for key, (lo, hi) in ranges.items():
            assert lo <= counts[key] <= hi, (year, key, counts[key])
        assert 400 <= len(frame[frame.task == "core_course"]) <= 600, year


# --- units ------------------------------------------------------------------------------------------
def test_units_are_the_same_every_year(period):
    facts = period[["unit_id", "unit_name", "unit_kind", "tier", "locality"]].drop_duplicates()
    assert facts.unit_id.is_unique, facts[facts.unit_id.duplicated(keep=False)]
    assert facts.unit_name.is_unique


def test_roster_shape(catalogue):
    roster = synthetic_roster.make_roster(SEED)
    kinds = roster.unit_kind.value_counts()
    tiers = roster[roster.unit_kind == "higher_vocational"].tier.value_counts()
    assert 26 <= kinds["higher_vocational"] <= 34
    assert 5 <= tiers["national_double_high"] <= 7
    assert 8 <= tiers["provincial_double_high"] <= 10
    assert 13 <= tiers["other_higher"] <= 18
    assert 150 <= kinds["secondary_vocational"] <= 250
    assert 60 <= kinds["enterprise"] <= 120
    assert 3 <= kinds["other"] <= 10
    higher = roster[roster.unit_kind == "higher_vocational"].locality.value_counts()
    assert higher[["长春市", "吉林市"]].sum() >= 0.6 * higher.sum()      # concentrated …
    assert len(higher) >= 4                                               # … but present elsewhere
    for kind in ("secondary_vocational", "government", "enterprise"):
        assert set(roster[roster.unit_kind == kind].locality) == set(catalogue.localities), kind
    assert (roster[roster.unit_kind == "enterprise"].groupby("locality").size() >= 3).all()
    assert roster.unit_id.is_unique and roster.unit_name.is_unique


def test_tier_and_level_follow_the_unit_kind(period):
    higher = period.unit_kind == "higher_vocational"
    assert set(period.tier[higher]) == set(PC_TIER_CAP)
    assert (period.tier[~higher] == "").all()
    school = period.unit_kind.isin(SCHOOLS)
    assert (period.level[~school] == "higher").all()        # a convention: the notice gives none
    plain = school & ~period.integrated
    expected = np.where(period.unit_kind[plain] == "higher_vocational", "higher", "secondary")
    assert (period.level[plain] == expected).all()


def test_units_only_file_tasks_they_may_lead(period):
    allowed = {
        # 三(一) "由地方政府（或开发区管委会等）牵头": a 开发区管委会 (development_zone) may lead.
        ("city_consortium", ""): {"government", "development_zone"},
        ("industry_community", ""): {"enterprise", "other"},
        ("practice_centre", "school"): SCHOOLS,
        # 三(三) public centres: zones file too; the careful reading (public_centre_lead) rejects them.
        ("practice_centre", "public"): {"government", "development_zone"},
        ("practice_centre", "enterprise"): {"enterprise"},
        ("international_item", "standard"): SCHOOLS | {"enterprise"},
        ("international_item", "resource"): SCHOOLS | {"enterprise"},
        ("international_item", "equipment"): SCHOOLS | {"enterprise"},
    }
    for (task, track), group in period.groupby(["task", "track"]):
        assert set(group.unit_kind) <= allowed.get((task, track), SCHOOLS), (task, track)
    international = period[period.task == "international_item"]
    assert (international.unit_kind == "higher_vocational").mean() > 0.5
    assert (international.unit_kind == "enterprise").any()


def test_every_locality_files_where_the_notice_asks(bundle, catalogue):
    localities = list(catalogue.localities)
    consortia = of(bundle[2023], "city_consortium").locality.value_counts()
    assert all(consortia.get(loc, 0) >= 1 for loc in localities)          # 三(一), 2023
    for year, frame in bundle.items():
        public = of(frame, "practice_centre", "public").locality.value_counts()
        firms = of(frame, "practice_centre", "enterprise").locality.value_counts()
        for loc in localities:
            assert public.get(loc, 0) >= cap_of({"长春市": 4, "吉林市": 3, OTHER: 1}, loc), (year, loc)
            assert firms.get(loc, 0) >= 3, (year, loc)


# --- scores, flags, titles, costs -------------------------------------------------------------------
def test_scores(period):
    assert period.score.between(40.0, 98.0).all()
    assert 73 <= period.score.mean() <= 79
    assert 6 <= period.score.std() <= 10
    by_tier = period.groupby("tier").score.mean()
    assert by_tier["national_double_high"] > by_tier["provincial_double_high"] > by_tier[""]
    ties_in_unit = period.duplicated(["year", "task", "track", "unit_id", "score"]).mean()
    assert 0 < ties_in_unit < 0.02                                   # ties occur, but rarely


def test_exempt_and_eligible_shares(period):
    for task in ("resource_library", "virtual_sim_base"):
        rows = of(period, task)
        assert 0.07 <= rows.exempt.mean() <= 0.13, task
        assert (rows[rows.exempt].unit_kind == "higher_vocational").mean() > 0.5, task
    exempt_tasks = period[period.exempt].task.unique()
    assert set(exempt_tasks) == {"resource_library", "virtual_sim_base"}
    shares = {("digital_benchmark_school", ""): (0.30, 0.50), ("core_course", "online"): (0.15, 0.25),
              ("textbook", ""): (0.20, 0.30)}
    for key, (lo, hi) in shares.items():
        assert lo <= 1 - of(period, *key).eligible.mean() <= hi, key
    gated = period.set_index(["task", "track"]).index.isin(list(shares))
    assert period.eligible[~gated].all()


def test_digital_eligibility_belongs_to_the_school(period):
    per_school = of(period, "digital_benchmark_school").groupby("unit_id").eligible.nunique()
    assert (per_school == 1).all()


def test_integrated_courses(period):
    assert set(period[period.integrated].task) == {"core_course"}
    integrated = period[period.integrated]
    assert set(integrated.level) == {"secondary", "higher"}
    assert 0.04 <= period[period.task == "core_course"].integrated.mean() <= 0.12


def test_titles_read_like_their_task(period):
    roster = synthetic_roster.make_roster(SEED)
    firms = set(roster[roster.unit_kind == "enterprise"].unit_name)
    assert of(period, "practice_centre", "school").title.str.endswith("开放型区域产教融合实践中心").all()
    assert of(period, "core_course", "online").title.str.endswith("》在线一流核心课程").all()
    assert of(period, "core_course", "offline").title.str.endswith("》线下一流核心课程").all()
    assert of(period, "city_consortium").title.str.endswith("市域产教联合体").all()
    partners = of(period, "production_project").title.str.extract(r"（合作企业：(.+)）$")[0]
    assert partners.notna().all() and partners.isin(firms).all()


def test_costs_depend_on_the_task(period):
    assert (period.cost > 0).all()
    median = period.groupby("task").cost.median()
    assert median["practice_centre"] > median["resource_library"] > median["core_course"]
    assert of(period, "practice_centre", "school").cost.between(200, 800).all()
    assert period[period.task == "core_course"].cost.between(5, 20).all()


# --- the pools make the notice's targets reachable and its caps bind --------------------------------
@pytest.mark.parametrize("pass_mark", [0.0, PASS_MARK])
def test_school_practice_centres_reach_100_within_the_caps(period, pass_mark):
    pool = of(period, "practice_centre", "school")
    assert reachable(pool[pool.score >= pass_mark], PC_LOCALITY_CAP, PC_TIER_CAP) >= TARGET["pc_school"]


def test_school_practice_centre_caps_bind(bundle, period):
    pool = of(period, "practice_centre", "school")
    non_higher = pool[pool.unit_kind != "higher_vocational"].groupby("locality").size()
    assert non_higher["长春市"] > PC_LOCALITY_CAP["长春市"]
    assert non_higher["吉林市"] > PC_LOCALITY_CAP["吉林市"]
    national = pool[pool.tier == "national_double_high"].groupby("unit_id").size()
    assert (national > PC_TIER_CAP["national_double_high"]).all()
    # Even one year's pool holds far more than the caps let through: the province must choose.
    for frame in bundle.values():
        year_pool = of(frame, "practice_centre", "school")
        assert len(year_pool) > 2 * reachable(year_pool, PC_LOCALITY_CAP, PC_TIER_CAP)


@pytest.mark.parametrize("task", ["resource_library", "virtual_sim_base"])
def test_libraries_and_simulation_bases_reach_50(period, task):
    pool = of(period, task)
    assert reachable(pool[pool.score >= PASS_MARK], LIB_LOCALITY_CAP, LIB_TIER_CAP) >= TARGET[task]
    assert len(pool) > 2 * reachable(pool, LIB_LOCALITY_CAP, LIB_TIER_CAP)


def test_core_courses_reach_200_and_the_national_split_is_possible(bundle, period):
    passed = period[period.score >= PASS_MARK]
    offline = reachable(of(passed, "core_course", "offline"), LIB_LOCALITY_CAP, LIB_TIER_CAP)
    online = int(of(passed, "core_course", "online").eligible.sum())     # online: no quota
    assert offline + online >= TARGET["core_course"]
    for frame in bundle.values():
        courses = frame[(frame.task == "core_course") & frame.eligible]
        for level, n in NATIONAL_COURSES.items():
            assert (courses.level == level).sum() >= n


def test_production_projects_reach_50_and_two_per_locality(period, catalogue):
    pool = of(period, "production_project")
    pool = pool[pool.score >= PASS_MARK]
    assert reachable(pool, PP_LOCALITY_CAP, PP_TIER_CAP) >= TARGET["production_project"]
    # 三(九) "每个市（州）可推荐2-3项", read strictly: at least 2 non-高职 projects per locality by 2025.
    local = pool[pool.unit_kind != "higher_vocational"].locality.value_counts()
    assert all(local.get(loc, 0) >= 2 for loc in catalogue.localities)


def test_public_and_enterprise_centres_reach_their_minimums(period, catalogue):
    passed = period[period.score >= PASS_MARK]
    public = of(passed, "practice_centre", "public").locality.value_counts()
    firms = of(passed, "practice_centre", "enterprise").locality.value_counts()
    for loc in catalogue.localities:
        assert public.get(loc, 0) >= cap_of(PUBLIC_MIN, loc)
        assert firms.get(loc, 0) >= cap_of(ENTERPRISE_MIN, loc)
    assert public.sum() >= TARGET["pc_public"] and firms.sum() >= TARGET["pc_enterprise"]


def test_other_targets_have_enough_candidates(bundle, period):
    assert len(of(period, "city_consortium")) >= TARGET["city_consortium"]
    assert len(of(period, "industry_community")) >= TARGET["industry_community"]
    benchmark = of(period, "digital_benchmark_school")
    assert benchmark[benchmark.eligible].unit_id.nunique() >= TARGET["digital_benchmark_school"]
    for frame in bundle.values():
        items = frame[frame.task == "international_item"].track.value_counts()
        for track, n in NATIONAL_INTERNATIONAL.items():
            assert items[track] > n, track


# --- other seeds keep the guarantees ------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 99, 12345])
def test_other_seeds_keep_the_guarantees(seed, catalogue):
    roster = synthetic_roster.make_roster(seed)
    frames = {y: generate.generate_candidates(y, seed=seed, roster=roster) for y in YEARS}
    period = pd.concat(frames.values(), ignore_index=True)
    localities = set(catalogue.localities)
    assert set(of(frames[2023], "city_consortium").locality) == localities
    for frame in frames.values():
        assert 1500 <= len(frame) <= 2500
        assert set(of(frame, "practice_centre", "public").locality) == localities
        assert (of(frame, "practice_centre", "enterprise").locality.value_counts() >= 3).all()
        assert set(of(frame, "practice_centre", "enterprise").locality) == localities
    school_centres = of(period, "practice_centre", "school")
    assert reachable(school_centres, PC_LOCALITY_CAP, PC_TIER_CAP) >= TARGET["pc_school"]
    assert roster.unit_name.is_unique


def test_the_documented_command_runs(tmp_path):
    """The README's command, as a person runs it (a module path that moved once went unnoticed)."""
    import subprocess
    import sys
    text = (DATA / "README.md").read_text(encoding="utf-8")
    module = text.split("python -m ", 1)[1].split()[0]
    done = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-m", module, "--out", str(tmp_path),
                           "--seed", "7", "--years", "2025"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "candidates_2025.csv").is_file()


def test_development_zones_are_their_own_kind_and_keep_their_government_ids(period):
    """开发区管委会 (派出机构) is not a 政府组成部门: its own kind, numbered with the governments (G…)."""
    zones = period[period.unit_kind == "development_zone"]
    assert len(zones) and zones.unit_name.str.endswith("管理委员会").all()
    assert zones.unit_id.str.startswith("G").all()
    governments = period[period.unit_kind == "government"]
    # 长白山保护开发区管理委员会 governs its locality (role city): it stays a government.
    assert not governments.unit_name.str.contains("开发区管理委员会").any() or \
        set(governments[governments.unit_name.str.contains("开发区管理委员会")].locality) == {"长白山管委会"}


def test_core_course_column_on_course_rows_only(period):
    """三(七) 申报课程须为专业核心课程: true/false on course rows, empty elsewhere; a false course is
    one that fails its other condition too (so the bundled slates did not move)."""
    course = period.task == "core_course"
    assert set(period.core_course[course]) <= {"true", "false"} and (period.core_course[~course] == "").all()
    false = period[course & (period.core_course == "false")]
    assert len(false) > 0 and not false.eligible.any()


def test_consortium_id_names_a_consortium_of_the_centres_locality(bundle):
    """三(三) 各地在市域产教联合体内: on enterprise centres only, the id of a city_consortium row of the
    same locality filed that year or earlier; about 80 % of centres carry one; every locality has
    at least two linked centres over the period (the minimum stays reachable)."""
    seen = pd.DataFrame()
    linked_per_locality: dict[str, int] = {}
    for year in sorted(bundle):
        frame = bundle[year]
        seen = pd.concat([seen, frame[frame.task == "city_consortium"]])
        centre = ((frame.task == "practice_centre") & (frame.track == "enterprise")).to_numpy()
        assert (frame.consortium_id[~centre] == "").all()
        named = frame[centre & (frame.consortium_id != "").to_numpy()]
        assert 0.65 < len(named) / centre.sum() < 0.95
        where = seen.set_index("candidate_id").locality
        assert named.consortium_id.isin(where.index).all()
        assert (where.loc[named.consortium_id].to_numpy() == named.locality.to_numpy()).all()
        for loc, n in named.locality.value_counts().items():
            linked_per_locality[loc] = linked_per_locality.get(loc, 0) + int(n)
    assert min(linked_per_locality.values()) >= 2 and len(linked_per_locality) == 11


def test_the_consortium_link_moved_no_other_column():
    """Its own seed stream: the frame without the link equals what the year's filings were before."""
    roster = synthetic_roster.make_roster(SEED)
    with_link = generate.generate_candidates(2024, seed=SEED, roster=roster)
    pd.testing.assert_frame_equal(with_link.drop(columns="consortium_id"),
                                  generate._filings(2024, SEED, roster)[with_link.columns.drop("consortium_id")])
