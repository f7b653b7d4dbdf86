"""The roster of the synthetic Jilin data: the same made-up units every year for a seed.

Owns `make_roster` — 高职 schools by tier (national double-high ones only in 长春 and 吉林), 中职
schools, governments, enterprises (about a fifth 行业龙头企业), institutes and associations in
the catalogue's localities, each with the industry domains it works in, a quality (its effect
on scores) and whether it is a digital-campus pilot school — and `seeded_rng`, the random
stream of one purpose derived from the seed. Does not own the words units are named with
(`synthetic_names`) nor the filings of a year (`generate`).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from planner.inputs.catalogue import load_catalogue
from planner.inputs.synthetic_names import (
    CHINESE_NUMBERS,
    DOMAINS,
    FIRM_BRANDS,
    LOCALITIES,
    MORE_NUMBERS,
    OTHER_UNITS,
)

DEFAULT_SEED = 2023

# The notice gives governments, enterprises and institutes no level, but every candidate row needs
# one (``candidates`` requires secondary/higher); only core courses use it (三(七) national split).
NON_SCHOOL_LEVEL = "higher"

# A unit's quality, its part of the score model (see `generate`): an effect by kind / tier / role
# plus a draw of its own.
UNIT_SD = 3.0
QUALITY_EFFECT = {          # by kind / tier / role: national double-high schools score higher
    "national_double_high": 5.0,
    "provincial_double_high": 2.5,
    "other_higher": 0.5,
    "secondary_vocational": -1.5,
    "government": 1.0,
    "leading": 2.0,         # 行业龙头企业
    "enterprise": -0.5,
    "other": 0.0,
}

# How often each domain is a school's field, before the locality's pillars are boosted.
SCHOOL_DOMAIN_WEIGHT = {
    "auto": 1.0, "manufacturing": 1.5, "it": 1.5, "chem": 0.6, "health": 1.0, "agri": 1.2,
    "transport": 0.7, "construction": 0.8, "service": 1.3, "energy": 0.6, "culture": 1.0,
}
PILLAR_BOOST = 1.5


def seeded_rng(seed: int, *keys: int) -> np.random.Generator:
    """A generator for one purpose, derived from the seed and non-negative integer keys."""
    return np.random.default_rng([int(seed), *map(int, keys)])


def _pick_name(rng: np.random.Generator, options: Sequence[str], used: set[str],
               core: Callable[[str], str] = lambda s: s) -> str | None:
    """A random option whose core is not used yet (and mark it used)."""
    for i in rng.permutation(len(options)):
        name = options[i]
        if core(name) not in used:
            used.add(core(name))
            return name
    return None


def _school_domains(rng: np.random.Generator, locality: str, n: int) -> list[str]:
    """n pairs 'primary|secondary' of distinct domains, the locality's pillars more likely."""
    codes = list(SCHOOL_DOMAIN_WEIGHT)
    w = np.array([SCHOOL_DOMAIN_WEIGHT[c] * (PILLAR_BOOST if c in LOCALITIES[locality].pillars else 1.0)
                  for c in codes])
    pairs = []
    for _ in range(n):
        first, second = rng.choice(len(codes), size=2, replace=False, p=w / w.sum())
        pairs.append(f"{codes[first]}|{codes[second]}")
    return pairs


def make_roster(seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The fixed roster of synthetic units (the same every year for a seed).

    Parameters
    ----------
    seed : int
        Generator seed; the roster uses the stream ``[seed, 0]``.

    Returns
    -------
    pandas.DataFrame
        One row per unit: ``unit_id``, ``unit_name``, ``unit_kind``, ``tier`` ("" unless
        higher_vocational), ``locality``, ``level`` (higher / secondary for schools,
        :data:`NON_SCHOOL_LEVEL` otherwise),
        and generator-only columns ``role`` (government: city / county / zone / department;
        enterprise: leading / regular; other: institute / association; schools: ""), ``place``
        (how the unit names its projects), ``domains`` (industry domains, ``|``-joined),
        ``quality`` (score effect, points) and ``digital_pilot`` (a digital-campus pilot school).
    """
    rng = seeded_rng(seed, 0)
    localities = list(load_catalogue().localities)
    if set(localities) != set(LOCALITIES):
        raise ValueError("synthetic_names.LOCALITIES does not match the catalogue's localities")
    rows: list[dict] = []

    # 高职 schools: ~6 national, ~9 provincial double-high, ~15 other, mostly in 长春 and 吉林.
    n_tier = {
        "national_double_high": int(rng.integers(5, 8)),
        "provincial_double_high": int(rng.integers(8, 11)),
        "other_higher": int(rng.integers(15, 18)),
    }
    # National double-high schools only in 长春 and 吉林; the lower the tier, the more spread out.
    tier_spread = {"national_double_high": 1.0, "provincial_double_high": 1.0, "other_higher": 0.5}
    used: set[str] = set()
    for tier, n in n_tier.items():
        lw = np.array([LOCALITIES[loc].higher_weight for loc in localities]) ** tier_spread[tier]
        if tier == "national_double_high":
            lw = np.where(np.isin(localities, ["长春市", "吉林市"]), lw, 0.0)
        for loc in map(str, rng.choice(localities, size=n, p=lw / lw.sum())):
            info = LOCALITIES[loc]
            domains = _school_domains(rng, loc, 1)[0]
            # 吉林省X学院 (in 长春) and 吉林X学院 (in 吉林市) would read as the same school.
            core = lambda s: s.replace("吉林省", "吉林").replace("职业技术学院", "").replace("职业学院", "")  # noqa: E731
            name = None
            for words in ([w for d in domains.split("|") for w in DOMAINS[d]["college"]],
                          [w for d in DOMAINS.values() for w in d["college"]]):   # any field, if need be
                options = [f"{p}{w}{s}" for p in info.college_prefixes for w in words
                           for s in ("职业技术学院", "职业学院")]
                name = name or _pick_name(rng, options, used, core=core)
            if name is None:
                raise RuntimeError(f"ran out of 高职 names in {loc}")
            rows.append(dict(unit_kind="higher_vocational", tier=tier, locality=loc, level="higher",
                             unit_name=name, role="", place=name, domains=domains))

    # 中职 schools in every locality, more in 长春 and 吉林.
    for loc in localities:
        info = LOCALITIES[loc]
        n = max(2, info.n_secondary + int(rng.integers(-2, 3)))
        for domains in _school_domains(rng, loc, n):
            words = [w for d in domains.split("|") for w in DOMAINS[d]["school"]]
            county_places = list(info.counties) or [info.place]
            if loc == "长白山管委会":
                county_places = ["长白山池北区", "长白山池西区", "长白山池南区"]
            any_words = [w for d in DOMAINS.values() for w in d["school"]]
            groups = [
                [f"{c}职业教育中心" for c in county_places],
                [f"{info.place}{w}中等专业学校" for w in words] + [f"{info.place}{w}学校" for w in words],
                [f"{info.place}第{c}职业中等专业学校" for c in CHINESE_NUMBERS],
            ]
            name = None
            for g in rng.choice(3, size=3, replace=False, p=[0.4, 0.35, 0.25]):
                name = name or _pick_name(rng, groups[g], used)
            # A crowded locality runs out of its fields' names: any field, then higher numbers.
            name = name or _pick_name(rng, [f"{info.place}{w}中等专业学校" for w in any_words], used)
            name = name or _pick_name(rng, [f"{info.place}第{c}职业中等专业学校" for c in MORE_NUMBERS], used)
            if name is None:
                raise RuntimeError(f"ran out of 中职 names in {loc}")
            rows.append(dict(unit_kind="secondary_vocational", tier="", locality=loc, level="secondary",
                             unit_name=name, role="", place=name, domains=domains))

    # Governments: each city / prefecture government, some counties and 开发区, a few departments.
    for loc in localities:
        info = LOCALITIES[loc]
        pillars = "|".join(info.pillars)
        govs = [(info.government, "city", info.place)]
        if info.counties:
            k = int(rng.integers(1, min(3, len(info.counties)) + 1))
            govs += [(f"{c}人民政府", "county", c) for c in rng.choice(info.counties, size=k, replace=False)]
        k = int(rng.integers(1, len(info.zones) + 1))
        govs += [(f"{z}管理委员会", "zone", z) for z in rng.choice(info.zones, size=k, replace=False)]
        govs.append((info.education_bureau, "department", info.place))
        if loc in ("长春市", "吉林市"):
            govs.append((f"{info.place}人力资源和社会保障局", "department", info.place))
        for name, role, place in govs:
            rows.append(dict(unit_kind="government", tier="", locality=loc, level=NON_SCHOOL_LEVEL,
                             unit_name=str(name), role=role, place=str(place), domains=pillars))

    # Enterprises: at least 3 per locality, in its pillar industries; about a fifth 行业龙头企业.
    for loc in localities:
        info = LOCALITIES[loc]
        n = max(3, info.n_enterprise + int(rng.integers(0, 3)))
        for _ in range(n):
            domain = (rng.choice(info.pillars) if rng.random() < 0.85
                      else rng.choice(list(DOMAINS)))
            leading = rng.random() < 0.2
            forms = ("集团有限公司", "股份有限公司") if leading else ("有限公司", "有限责任公司")
            options = [f"{info.short}{b}{f}{form}" for b in FIRM_BRANDS for f in DOMAINS[domain]["firm"]
                       for form in forms]
            # One brand per locality, so "长春华信" names a single firm in project titles.
            place_len = len(info.short) + 2
            name = _pick_name(rng, options, used, core=lambda s: s[:place_len])
            if name is None:
                raise RuntimeError(f"ran out of enterprise brands in {loc}")
            rows.append(dict(unit_kind="enterprise", tier="", locality=loc, level=NON_SCHOOL_LEVEL,
                             unit_name=name, role="leading" if leading else "regular", place=name[:place_len],
                             domains=str(domain)))

    # Research institutes and industry associations: a handful.
    k = int(rng.integers(6, len(OTHER_UNITS) + 1))
    for i in sorted(rng.choice(len(OTHER_UNITS), size=k, replace=False)):
        name, loc, domain, role = OTHER_UNITS[i]
        rows.append(dict(unit_kind="other", tier="", locality=loc, level=NON_SCHOOL_LEVEL,
                         unit_name=name, role=role, place=name, domains=domain))

    roster = pd.DataFrame(rows)
    prefix = {"higher_vocational": "H", "secondary_vocational": "S", "government": "G",
              "enterprise": "E", "other": "R"}
    roster["unit_id"] = roster.unit_kind.map(prefix) + (
        roster.groupby("unit_kind").cumcount() + 1).astype(str).str.zfill(3)

    effect_key = np.where(roster.unit_kind == "higher_vocational", roster.tier,
                          np.where(roster.role == "leading", "leading", roster.unit_kind))
    roster["quality"] = (pd.Series(effect_key).map(QUALITY_EFFECT).to_numpy()
                         + rng.normal(0.0, UNIT_SD, len(roster)))
    # 三(五): only digital-campus pilot schools may be benchmark schools; strong schools more often.
    pilot_p = roster.tier.map({"national_double_high": 0.95, "provincial_double_high": 0.8,
                               "other_higher": 0.6}).fillna(0.4).to_numpy()
    school = roster.unit_kind.isin(["higher_vocational", "secondary_vocational"]).to_numpy()
    roster["digital_pilot"] = school & (rng.random(len(roster)) < pilot_p)
    # 三(三) 市、县政府或政府组成部门: a 开发区管委会 is a 派出机构, a kind of its own. Relabelled after
    # the ids and draws above, so every unit keeps the id and draws it had as a `government`.
    roster.loc[(roster.unit_kind == "government") & (roster.role == "zone"), "unit_kind"] = "development_zone"
    return roster[["unit_id", "unit_name", "unit_kind", "tier", "locality", "level", "role", "place",
                   "domains", "quality", "digital_pilot"]]
