"""The seeded generator of SYNTHETIC Jilin candidates (吉教职成〔2023〕7号, 2023–2025).

Owns, for each year, a pool of candidates for every task and track of the catalogue — which units
of the roster file, how many, on which topics, with which scores, costs, exemptions and
entry conditions (三(五)(七)(八), each a column of its own: `ENTRY_COLUMNS`) — and writing them as ``candidates_<year>.csv`` (UTF-8 with BOM). The pools
oversubscribe the notice's quotas on purpose, so the province really has to choose. The units
themselves are the fixed roster of `synthetic_roster`, named with the words of `synthetic_names`.

Does not own reading or validating candidate files (``candidates``) nor any rule of the notice:
the quotas, minimums and targets quoted in comments here only explain why a pool is as large as
it is; the planner takes them from scenario files.

Every random draw comes from ``numpy.random.default_rng`` seeded with ``[seed, ...]`` (the roster
with ``[seed, 0]``, a task of a year with ``[seed, year, crc32("task/track")]``), so the same seed
gives byte-identical files, a year can be generated on its own, and adding a task leaves the others
unchanged.

Run ``python -m planner.inputs.generate --out data/jilin --seed 2023`` to rewrite the bundled data.
"""
from __future__ import annotations

import argparse
import logging
import os
import tempfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.inputs.catalogue import load_catalogue
from planner.inputs.synthetic_names import DOMAINS
from planner.inputs.synthetic_roster import DEFAULT_SEED, make_roster, seeded_rng

log = logging.getLogger(__name__)

DEFAULT_YEARS = (2023, 2024, 2025)

COLUMNS = [
    "candidate_id", "year", "task", "track", "title", "unit_id", "unit_name", "unit_kind",
    "tier", "locality", "level", "integrated", "score", "exempt", "eligible", "cost", "core_course",
    "consortium_id", "digital_pilot", "online_quality", "textbook_listed",
]
# The entry condition of a task as a column of its own (true/false on the task's rows, empty on
# the others): 三(五) 数字校园试点学校, 三(七) online 已入选的在线精品课程, 三(八) 国家规划教材/获奖教材.
ENTRY_COLUMNS = {
    "digital_pilot": ("digital_benchmark_school", None),
    "online_quality": ("core_course", "online"),
    "textbook_listed": ("textbook", None),
}
# 三(三) 各地在市域产教联合体内，至少建设2个企业实践中心: the share of enterprise centres that name the
# 市域产教联合体 they belong to (the rest file without one and cannot count for that minimum).
LINKED_SHARE = 0.8
BOOL_COLUMNS = ["integrated", "exempt", "eligible"]

# Score model: base + unit quality (`synthetic_roster`) + noise, one decimal, clipped (see README "Scores").
BASE_SCORE = 76.0
NOISE_SD = 7.0
YEAR_DRIFT = 0.5            # points per year after 2023: schools improve as the programme runs
SCORE_RANGE = (40.0, 98.0)


# ---------------------------------------------------------------------------------------------
# Random streams
# ---------------------------------------------------------------------------------------------
def _key(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def _allocate(rng: np.random.Generator, weights: np.ndarray, n: int, caps: np.ndarray) -> np.ndarray:
    """Spread n filings over units in proportion to weights, no unit above its cap."""
    weights = np.asarray(weights, dtype=float)
    caps = np.asarray(caps, dtype=np.int64)
    counts = np.zeros(len(weights), dtype=np.int64)
    capacity = int(caps[weights > 0].sum())
    if n > capacity:
        raise ValueError(f"cannot place {n} filings on units with room for {capacity}")
    remaining = n
    while remaining > 0:
        room = caps - counts
        w = np.where(room > 0, weights, 0.0)
        take = np.minimum(rng.multinomial(remaining, w / w.sum()), room)
        counts += take
        remaining -= int(take.sum())
    return counts


# ---------------------------------------------------------------------------------------------
# Tasks: who files, how many, what the filings are called
# ---------------------------------------------------------------------------------------------
Weights = Callable[[pd.DataFrame], np.ndarray]


def _by(column: str, table: dict[str, float]) -> Weights:
    return lambda r: r[column].map(table).fillna(0.0).to_numpy(dtype=float)


def _schools(national: float, provincial: float, other: float, secondary: float) -> Weights:
    return lambda r: np.where(
        r.unit_kind == "secondary_vocational", secondary,
        r.tier.map({"national_double_high": national, "provincial_double_high": provincial,
                    "other_higher": other}).fillna(0.0).to_numpy(dtype=float))


def _plus(*parts: Weights) -> Weights:
    return lambda r: sum(p(r) for p in parts)


@dataclass(frozen=True)
class TaskSpec:
    """How one task/track is filed in a synthetic year."""

    task: str
    track: str
    n: tuple[int, int]                      # filings per year, drawn uniformly in [lo, hi]
    weight: Weights                         # relative propensity of each roster unit to file
    pool: str                               # DOMAINS key naming the filings' topics
    title: Callable[[pd.DataFrame], pd.Series]
    cost: tuple[float, float]               # 万元
    per_unit: int | None = None             # at most this many a unit (default: its topic pool)
    min_per_locality: dict[str, int] | None = None   # "*" = every other locality
    min_years: tuple[int, ...] | None = None          # years the minimum applies (None = all)


SCHOOL_CENTRE_WEIGHT = _schools(6.0, 4.0, 2.5, 1.0)
SCHOOL_WEIGHT = _schools(4.0, 3.0, 2.0, 1.0)
COURSE_WEIGHT = _schools(5.0, 4.0, 3.0, 1.0)
GOVERNMENT_CONSORTIUM = _by("role", {"city": 3.0, "zone": 2.0, "county": 1.0})
GOVERNMENTS = ("government", "development_zone")
GOVERNMENT_PUBLIC = lambda r: np.where(r.unit_kind.isin(GOVERNMENTS),  # noqa: E731
                                       r.role.map({"city": 3.0, "zone": 2.0, "county": 1.5,
                                                   "department": 1.0}).fillna(0.0), 0.0)
ENTERPRISE = lambda r: np.where(r.unit_kind == "enterprise",  # noqa: E731
                                np.where(r.role == "leading", 2.0, 1.0), 0.0)

TASKS: list[TaskSpec] = [
    # 三(一): led by a local government; every 市州 files at least one (checked on 2023's pool).
    TaskSpec("city_consortium", "", (15, 22),
             lambda r: np.where(r.unit_kind.isin(GOVERNMENTS), GOVERNMENT_CONSORTIUM(r), 0.0),
             "industries",
             lambda f: f.place + f.topic + np.where(f.topic.str.endswith("业"), "", "产业") + "市域产教联合体",
             (500.0, 1500.0),
             min_per_locality={"*": 1}, min_years=(2023,)),
    # 三(二): led by 行业龙头企业 (sometimes an institute or association) around pillar industries.
    TaskSpec("industry_community", "", (11, 18),
             lambda r: np.where(r.unit_kind == "enterprise", np.where(r.role == "leading", 4.0, 0.4),
                                np.where(r.unit_kind == "other", 1.5, 0.0)),
             "industries", lambda f: f.topic + "行业产教融合共同体", (300.0, 1000.0), per_unit=1),
    # 三(三): school centres oversubscribe 长春 15 / 吉林 10 / other 3 and the per-高职 caps.
    TaskSpec("practice_centre", "school", (260, 360), SCHOOL_CENTRE_WEIGHT, "centres",
             lambda f: f.topic + "开放型区域产教融合实践中心", (200.0, 800.0)),
    TaskSpec("practice_centre", "public", (22, 28), GOVERNMENT_PUBLIC, "centres",
             lambda f: f.place + f.topic + "公共实践中心", (300.0, 1000.0),
             min_per_locality={"长春市": 4, "吉林市": 3, "*": 1}),
    TaskSpec("practice_centre", "enterprise", (42, 55), ENTERPRISE, "centres",
             lambda f: f.place + f.topic + "企业实践中心", (200.0, 800.0),
             min_per_locality={"*": 3}),
    # 三(四), 三(六): schools; legacy national hosts and cultivation projects file "exempt".
    TaskSpec("resource_library", "", (170, 230), SCHOOL_WEIGHT, "specialties",
             lambda f: f.topic + "专业教学资源库", (50.0, 150.0)),
    TaskSpec("digital_benchmark_school", "", (42, 58), _schools(5.0, 4.0, 3.0, 1.0), "specialties",
             lambda f: f.unit_name + "职业教育信息化标杆学校建设", (100.0, 300.0), per_unit=1),
    TaskSpec("virtual_sim_base", "", (170, 230), SCHOOL_WEIGHT, "specialties",
             lambda f: f.topic + "虚拟仿真实训基地", (100.0, 400.0)),
    # 三(七): online and offline share the school's course list; the track is drawn per course.
    TaskSpec("core_course", "", (430, 570), COURSE_WEIGHT, "courses",
             lambda f: "《" + f.topic + "》", (5.0, 20.0)),
    TaskSpec("textbook", "", (105, 145), _schools(4.0, 3.0, 2.0, 0.8), "courses",
             lambda f: "《" + f.topic + "》", (2.0, 8.0)),
    TaskSpec("production_project", "", (160, 240), SCHOOL_WEIGHT, "problems",
             lambda f: f.topic + "生产实践项目", (10.0, 50.0)),
    # 三(十): mostly 高职 schools, some enterprises (equipment more often firms).
    TaskSpec("international_item", "standard", (16, 28),
             _plus(_schools(5.0, 3.0, 1.5, 0.0), lambda r: 0.15 * ENTERPRISE(r)), "specialties",
             lambda f: f.topic + "专业国际化教学标准", (10.0, 40.0)),
    TaskSpec("international_item", "resource", (16, 28),
             _plus(_schools(5.0, 3.0, 1.5, 0.05), lambda r: 0.15 * ENTERPRISE(r)), "courses",
             lambda f: "《" + f.topic + "》中英双语教学资源", (10.0, 40.0)),
    TaskSpec("international_item", "equipment", (16, 28),
             _plus(_schools(4.0, 2.0, 1.0, 0.0), lambda r: 0.5 * ENTERPRISE(r)), "equipment",
             lambda f: f.topic, (20.0, 100.0)),
    # 三(十一): switched off in the catalogue (guide not yet published), still filed by a few.
    TaskSpec("international_school", "", (3, 6), _schools(3.0, 2.0, 1.0, 0.1), "specialties",
             lambda f: f.unit_name + "国际化办学能力建设", (100.0, 300.0), per_unit=1),
]


def _topic_pools(roster: pd.DataFrame, pool: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every unit's topics for a pool, flattened: (topics, start of each unit, length of each unit)."""
    lists = [list(dict.fromkeys(t for d in doms.split("|") for t in DOMAINS[d][pool]))
             for doms in roster.domains]
    lengths = np.array([len(x) for x in lists], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return np.array([t for x in lists for t in x], dtype=object), starts, lengths


def _file_task(spec: TaskSpec, roster: pd.DataFrame, year: int, seed: int) -> pd.DataFrame:
    """One task/track's filings for a year: the units that file, their topics, scores and costs."""
    rng = seeded_rng(seed, year, _key(f"{spec.task}/{spec.track}"))
    weights = np.asarray(spec.weight(roster), dtype=float)
    topics, starts, lengths = _topic_pools(roster, spec.pool)
    caps = lengths if spec.per_unit is None else np.minimum(lengths, spec.per_unit)
    caps = np.where(weights > 0, caps, 0)
    n = int(rng.integers(spec.n[0], spec.n[1] + 1))

    # Minimum filings per locality first (the notice asks every locality to file), then the rest.
    counts = np.zeros(len(roster), dtype=np.int64)
    if spec.min_per_locality and (spec.min_years is None or year in spec.min_years):
        for loc in load_catalogue().localities:
            need = spec.min_per_locality.get(loc, spec.min_per_locality.get("*", 0))
            here = (roster.locality == loc).to_numpy()
            counts += _allocate(rng, np.where(here, weights, 0.0), need, np.where(here, caps, 0))
    counts += _allocate(rng, weights, max(0, n - int(counts.sum())), caps - counts)

    unit = np.repeat(np.arange(len(roster)), counts)
    # Distinct topics within a unit: a random start in the unit's list, then consecutive ones.
    rank = np.arange(len(unit)) - np.repeat(np.cumsum(counts) - counts, counts)
    offset = rng.integers(0, np.maximum(lengths, 1))
    topic = topics[starts[unit] + (offset[unit] + rank) % lengths[unit]]

    units = roster.iloc[unit].reset_index(drop=True)
    frame = pd.DataFrame({
        "year": year, "task": spec.task, "track": spec.track,
        "unit_id": units.unit_id, "unit_name": units.unit_name, "unit_kind": units.unit_kind,
        "tier": units.tier, "locality": units.locality, "level": units.level,
        "place": units.place, "topic": pd.Series(topic, dtype=str),
    })
    frame["title"] = spec.title(frame)
    frame["integrated"] = False
    frame["exempt"] = False
    frame["eligible"] = True
    score = (BASE_SCORE + YEAR_DRIFT * (year - 2023) + units.quality.to_numpy()
             + rng.normal(0.0, NOISE_SD, len(frame)))
    frame["score"] = np.round(np.clip(score, *SCORE_RANGE), 1)
    frame["cost"] = np.round(rng.uniform(spec.cost[0], spec.cost[1], len(frame)), 1)
    _TASK_DETAILS.get(spec.task, lambda f, r, u, g: None)(frame, roster, unit, rng)
    return frame


# --- what only some tasks have: exemptions, eligibility, tracks, partners -------------------------
def _exempt_share(frame: pd.DataFrame, rng: np.random.Generator) -> None:
    # 三(四)/三(六): former national libraries' hosts and national cultivation projects re-file and
    # take no quota; they are mostly at strong 高职 schools.
    w = frame.tier.map({"national_double_high": 10.0, "provincial_double_high": 6.0,
                        "other_higher": 3.0}).fillna(0.4).to_numpy(dtype=float)
    k = int(round(rng.uniform(0.08, 0.12) * len(frame)))
    frame.loc[rng.choice(len(frame), size=k, replace=False, p=w / w.sum()), "exempt"] = True


def _ineligible_share(frame: pd.DataFrame, rng: np.random.Generator, mask: np.ndarray,
                      share: tuple[float, float]) -> None:
    rows = np.flatnonzero(mask)
    k = int(round(rng.uniform(*share) * len(rows)))
    frame.loc[rng.choice(rows, size=k, replace=False), "eligible"] = False


def _details_library(frame, roster, unit, rng):
    _exempt_share(frame, rng)


def _details_digital(frame, roster, unit, rng):
    # 三(五): only digital-campus pilot schools are eligible — a property of the school.
    frame["eligible"] = roster.digital_pilot.to_numpy()[unit]


def _details_course(frame, roster, unit, rng):
    # 三(七): online courses must already be selected online quality courses (~20% are not);
    # five-year integrated courses are classified secondary or higher case by case.
    online = rng.random(len(frame)) < 0.4
    frame["track"] = np.where(online, "online", "offline")
    frame["title"] = frame.title + np.where(online, "在线一流核心课程", "线下一流核心课程")
    _ineligible_share(frame, rng, online, (0.17, 0.23))
    integrated = rng.random(len(frame)) < 0.08
    frame["integrated"] = integrated
    frame["level"] = np.where(integrated, np.where(rng.random(len(frame)) < 0.5, "secondary", "higher"),
                              frame.level)


def _details_textbook(frame, roster, unit, rng):
    # 三(八): only textbooks on the national planned / award lists are eligible (~25% are not).
    edition = rng.choice(["", "", "", "（第2版）", "（第3版）"], size=len(frame))
    frame["title"] = frame.title + edition
    _ineligible_share(frame, rng, np.ones(len(frame), dtype=bool), (0.22, 0.28))


def _details_production(frame, roster, unit, rng):
    # 三(九): a real problem of a partner enterprise, most often one in the school's locality.
    firms = roster[roster.unit_kind == "enterprise"]
    partner = pd.Series(firms.unit_name.to_numpy()[rng.integers(0, len(firms), len(frame))])
    local = rng.random(len(frame)) < 0.75
    for loc, here in firms.groupby("locality").unit_name:
        rows = np.flatnonzero(local & (frame.locality == loc).to_numpy())
        partner.iloc[rows] = here.to_numpy()[rng.integers(0, len(here), len(rows))]
    frame["title"] = frame.title + "（合作企业：" + partner + "）"


def _core_course(frame: pd.DataFrame, rng: np.random.Generator) -> pd.Series:
    """三(七) 申报课程须为专业核心课程: "true" on course rows, "false" on about a third of the courses
    that are ineligible anyway (an online course that is no selected online quality course), so the
    column is exercised without moving the bundled slates; "" on other tasks. Own seed stream."""
    course = (frame.task == "core_course").to_numpy()
    out = np.where(course, "true", "").astype(object)
    pool = np.flatnonzero(course & ~frame.eligible.to_numpy(dtype=bool))
    k = int(round(len(pool) / 3))
    if k:
        out[rng.choice(pool, size=k, replace=False)] = "false"
    return pd.Series(out, index=frame.index)


_TASK_DETAILS = {
    "resource_library": _details_library,
    "virtual_sim_base": _details_library,
    "digital_benchmark_school": _details_digital,
    "core_course": _details_course,
    "textbook": _details_textbook,
    "production_project": _details_production,
}


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------
def generate_candidates(year: int, *, seed: int = DEFAULT_SEED, roster: pd.DataFrame | None = None
                        ) -> pd.DataFrame:
    """One year's synthetic candidates, every task and track of the catalogue.

    Parameters
    ----------
    year : int
        Filing year (2023–2025 in the notice; any year works).
    seed : int
        Generator seed; the same seed gives the same frame.
    roster : pandas.DataFrame, optional
        Units as made by :func:`make_roster` (columns ``unit_id``, ``unit_name``, ``unit_kind``,
        ``tier``, ``locality``, ``level``, ``role``, ``place``, ``domains``, ``quality``,
        ``digital_pilot``); default ``make_roster(seed)``.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`COLUMNS`, sorted by task and track (catalogue order), unit and title,
        with ``candidate_id`` ``C<year>-<5-digit sequence>`` in that order.
    """
    roster = make_roster(seed) if roster is None else roster
    frame = _filings(year, seed, roster)
    # Own seed stream, drawn after every other: the other columns keep the values they had.
    earlier = [_filings(y, seed, roster) for y in DEFAULT_YEARS if y < year]
    frame["consortium_id"] = _consortium_links(frame, earlier, seeded_rng(seed, year, _key("consortium_id/link")))
    log.info("generated %d candidates for %d (seed %d)", len(frame), year, seed)
    return frame[COLUMNS]


def _consortium_links(frame: pd.DataFrame, earlier: list[pd.DataFrame], rng: np.random.Generator) -> pd.Series:
    """三(三): each enterprise centre names, with probability LINKED_SHARE, a 市域产教联合体 of its
    locality filed this year or in an earlier year of the period (its candidate_id); "" otherwise."""
    out = pd.Series([""] * len(frame), index=frame.index, dtype=object)
    pool = pd.concat([f[f.task == "city_consortium"] for f in [*earlier, frame]], ignore_index=True)
    centres = np.flatnonzero(((frame.task == "practice_centre") & (frame.track == "enterprise")).to_numpy())
    draws = rng.random(len(centres))
    picks = rng.random(len(centres))
    for pos, draw, pick in zip(centres, draws, picks):
        here = pool.candidate_id[pool.locality == frame.locality.iat[pos]].to_numpy()
        if draw < LINKED_SHARE and len(here):
            out.iat[pos] = here[int(pick * len(here))]
    return out


def _filings(year: int, seed: int, roster: pd.DataFrame) -> pd.DataFrame:
    """A year's filings of every task, sorted and numbered, without the consortium link."""
    catalogue = load_catalogue()
    frame = pd.concat([_file_task(spec, roster, year, seed) for spec in TASKS], ignore_index=True)

    task_rank = {code: i for i, code in enumerate(catalogue.tasks)}
    track_rank = {(code, tr): i for code, t in catalogue.tasks.items() for i, tr in enumerate(t.tracks)}
    frame["_task"] = frame.task.map(task_rank)
    frame["_track"] = [track_rank.get(k, -1) for k in zip(frame.task, frame.track)]
    frame = frame.sort_values(["_task", "_track", "unit_id", "title"], kind="stable", ignore_index=True)
    frame["candidate_id"] = f"C{year}-" + pd.Series(np.arange(1, len(frame) + 1)).astype(str).str.zfill(5)
    frame["year"] = frame.year.astype("int64")
    for column in BOOL_COLUMNS:
        frame[column] = frame[column].astype(bool)
    frame["core_course"] = _core_course(frame, seeded_rng(seed, year, _key("core_course/core")))
    _entry_columns(frame)
    return frame


def _entry_columns(frame: pd.DataFrame) -> None:
    """三(五)(七)(八): each task's entry condition, drawn as `eligible` was, moved to its own column
    (the scenario's rules read it); `eligible` stays true there (no other condition is drawn)."""
    for column, (task, track) in ENTRY_COLUMNS.items():
        rows = (frame.task == task).to_numpy().copy()
        if track is not None:
            rows &= (frame.track == track).to_numpy()
        flag = np.where(frame.eligible.to_numpy(dtype=bool), "true", "false")
        frame[column] = np.where(rows, flag, "").astype(object)
        frame.loc[rows, "eligible"] = True


def to_csv_text(frame: pd.DataFrame) -> str:
    """The frame as the bundled CSV text: booleans true/false, score and cost with one decimal."""
    out = frame[COLUMNS].copy()
    for column in BOOL_COLUMNS:
        out[column] = np.where(out[column].to_numpy(dtype=bool), "true", "false")
    return out.to_csv(index=False, lineterminator="\n", float_format="%.1f")


def write_bundled(out_dir: str | os.PathLike, *, seed: int = DEFAULT_SEED,
                  years: Sequence[int] = DEFAULT_YEARS) -> list[Path]:
    """Write ``candidates_<year>.csv`` (UTF-8 with BOM) for each year into out_dir.

    Each file is written to a temporary name beside it and renamed, so a failure leaves the old
    file in place. Returns the paths written, in year order.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    roster = make_roster(seed)
    paths = []
    for year in years:
        text = to_csv_text(generate_candidates(year, seed=seed, roster=roster))
        path = out / f"candidates_{year}.csv"
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=out)
        try:
            with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as handle:
                handle.write(text)
            os.chmod(tmp, 0o644)            # mkstemp makes it private; a data file is not
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m planner.inputs.generate --out data/jilin --seed 2023 [--years 2023 2024 2025]``."""
    parser = argparse.ArgumentParser(
        prog="python -m planner.inputs.generate",
        description="Write SYNTHETIC Jilin candidate files (吉教职成〔2023〕7号) for the given years.")
    parser.add_argument("--out", default="data/jilin", help="output folder (default: data/jilin)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"seed (default: {DEFAULT_SEED})")
    parser.add_argument("--years", type=int, nargs="+", default=list(DEFAULT_YEARS),
                        help="years to generate (default: 2023 2024 2025)")
    args = parser.parse_args(argv)
    if args.seed < 0:
        parser.error("--seed must be a non-negative integer")
    for path in write_bundled(args.out, seed=args.seed, years=args.years):
        rows = sum(1 for _ in path.open(encoding="utf-8-sig")) - 1
        print(f"wrote {path} ({rows} candidates)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
