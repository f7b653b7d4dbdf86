"""吉教职成〔2023〕7号 as a table, written from the notice's text (/work/shared/notice, DIGEST.md),
not from the scenario — and `mismatches`, which holds a scenario file's parsed TOML to it.

Each row is one rule item of the notice: the clause, the rule id the scenario gives it, its shape
(count of provincial picks or of national recommendations, per what, min / max / "about N" band),
the number(s), the scope (period or year), whether exempt projects escape it, hard or soft, and
the switch settings under which it is active (the default reading first; the other reading's
rule is a row of its own). Numbers marked PLANNER are the province's choices the notice leaves
open (penalty weights, the pass mark, the ±10 % band); they are pinned here too, so that no
number of the scenario can change unnoticed.
"""
from __future__ import annotations

from typing import Any

SCHOOLS = ("higher_vocational", "secondary_vocational")
LOCALITY_15_10_3 = {"长春市": 15, "吉林市": 10, "*": 3}          # 三(三) school centres
LOCALITY_5_3_2 = {"长春市": 5, "吉林市": 3, "*": 2}              # 三(四) 三(六) 三(七)offline
PERIOD = [2023, 2025]                                              # 二(二) 2023-2025年
BAND = 0.10                                                        # PLANNER: "N个左右" = N ± 10 %
ABOUT_WEIGHT = 200                                                 # PLANNER: points per unit outside a band

# 三(四) 原203个…主持单位…不占学校推荐限额; 三(六) 215个…和…211个…不占学校推荐限额. Nowhere else.
EXEMPT_TASKS = ["resource_library", "virtual_sim_base"]

# The careful provincial official's reading of each open point (the default), and the other.
SWITCH_DEFAULTS = {
    "locality_quota_counts": "non_higher",   # 四(一)1 中职 filed by the locality, 高职 within their own quota
    "about_n": "aim_n",                      # "N个左右": aim at N (the band is the tolerance, not a quota)
    "national_course_split": "exact",        # 三(七) 推荐5门，其中中职2门、高职3门
    "production_locality": "cap",            # 三(九) 每个市（州）可推荐2-3项
    "quota_spending": "paced",
    "pacing": "off",
    "funding": "off",
    "national_scope": "period",              # 三(七)/三(十): 2023's calendar only
    "recognition": "once",                   # 二(二) recognised once, not again
    "unit_consistency": "check",
    "public_centre_lead": "government",      # 三(三) 市、县政府或政府组成部门 (not 开发区管委会)
    "production_lead": "school",             # 三(九) 校企共同开发实施, filed by the school
    "core_course_column": "required",        # 三(七) 申报课程须为专业核心课程
    "course_level": "by_school",             # 三(七) only 中高职一体化 courses are classed case by case
    "consortium_link": "linked",             # 三(三) 在市域产教联合体内: only centres of a recognised consortium count
    "international_lead": "education",       # 三(十) 由我国职业教育领域机构牵头制定: schools, institutes, industry bodies
}
# Every reading's alternatives ([choices]): the default first, then the others.
CHOICES = {
    "locality_quota_counts": ["non_higher", "all"], "about_n": ["aim_n", "soft_band", "hard_band"],
    "national_course_split": ["exact", "at_most"], "production_locality": ["cap", "hard", "cap_only"],
    "quota_spending": ["paced", "literal"], "pacing": ["off", "soft", "hard"], "funding": ["off", "pool"],
    "consortium_link": ["linked", "strict", "off"], "national_scope": ["period", "year"],
    "recognition": ["once", "recertify"], "unit_consistency": ["check", "merge", "off"],
    "public_centre_lead": ["government", "with_zones"], "production_lead": ["school", "school_or_enterprise"],
    "core_course_column": ["required", "off"], "course_level": ["by_school", "as_filed"],
    "international_lead": ["education", "any"],
}
# The rules that are the planner's reading of the notice, not its words: each says so in its text
# (规划者的理解) and docs/notice-rules.md lists it.
INFERRED = {
    "cc-target", "cc-target-hard", "cc-target-aim", "ic-target", "ic-target-hard", "ic-target-aim",
    "rl-target", "rl-target-hard", "rl-target-aim", "db-target", "db-target-hard", "db-target-aim",
    "vs-target", "vs-target-hard", "vs-target-aim", "co-target", "co-target-hard", "co-target-aim",
    "pp-target", "pp-target-hard", "pp-target-aim",
    "pc-public-led-by-government", "pc-public-led-by-government-or-zone", "rl-led-by-school", "vs-led-by-school",
    "co-led-by-school", "tb-schools-only", "pp-led-by-school", "pp-led-by-school-or-enterprise", "pp-locality-two",
    "pp-locality-two-hard", "pc-enterprise-locality-min", "pc-enterprise-locality-min-any",
    "pc-enterprise-inside-consortium", "db-one-per-school", "ii-led-by-education-body",
}
OBJECTIVE = {"maximise": "score", "pass_mark": 60, "tie_break": "id_hash"}          # pass_mark: PLANNER
PLAN = {"forecast": "auto", "future_weight": {"switch": "quota_spending", "paced": 1.0, "literal": 0.0},
        "reachability": "hard", "reachability_weight": 1000,                         # PLANNER
        "pools": ["../data/jilin/candidates_2024.csv", "../data/jilin/candidates_2025.csv"]}
FOLD: dict = {}          # 长白山管委会 and 梅河口市 are localities of their own by default


def R(clause: str, rid: str, task: str, *, track: str | None = None, per: list[str] | None = None,
      min: Any = None, max: Any = None, scope: str = "period", by: int | None = None, exempt: bool = False,
      soft: float | None = None, decision: str = "provincial", when: dict | None = None,
      kinds: Any = None, tier: str | None = None, complete: bool | None = None, link: str | None = None,
      inside: bool = True, flags: dict | None = None) -> dict:
    """One rule item. `link`: the column counted through (三(三) consortium_id; `inside` False: a row
    counts while its consortium is *not* in the slate); `flags`: entry-condition columns (三(五)(七)(八))."""
    where: dict[str, Any] = {"task": task}
    for key, value in (("track", track), ("tier", tier), ("unit_kind", kinds)):
        if value is not None:
            where[key] = value
    if exempt:
        where["exempt"] = False
    if link:
        where[link] = {"in_slate": inside}
    where.update(flags or {})
    return dict(clause=clause, id=rid, task=task, track=track, per=per or [], min=min, max=max, scope=scope, by=by,
                exempt=exempt, soft=soft, decision=decision, when=when or {}, kinds=kinds, tier=tier,
                complete=complete, link=link, where=where)


def about(clause: str, prefix: str, task: str, n: int) -> list[dict]:
    """"到2025年…N个左右": aim at N (default: every unit away from N costs the weight), a soft band
    or the hard band (switch about_n)."""
    lo, hi = round(n * (1 - BAND)), round(n * (1 + BAND))
    return [R(clause, f"{prefix}-target", task, min=lo, max=hi, by=2025, soft=ABOUT_WEIGHT,
              when={"about_n": "soft_band"}),
            R(clause, f"{prefix}-target-hard", task, min=lo, max=hi, by=2025, when={"about_n": "hard_band"}),
            R(clause, f"{prefix}-target-aim", task, min=n, max=n, by=2025, soft=ABOUT_WEIGHT,
              when={"about_n": "aim_n"})]


def quotas(clause: str, prefix: str, task: str, track: str | None, locality: dict, national: int, provincial: int,
           other: int, *, exempt: bool) -> list[dict]:
    """A locality quota (non-高职 filings by default, all with the switch) and per-高职-school tier caps."""
    non_higher = {"not": "higher_vocational"}
    return [
        R(clause, f"{prefix}-locality", task, track=track, per=["locality"], max=locality, exempt=exempt,
          scope="period", when={"locality_quota_counts": "non_higher"}, kinds=non_higher),
        R(clause, f"{prefix}-locality-all", task, track=track, per=["locality"], max=locality, exempt=exempt,
          scope="period", when={"locality_quota_counts": "all"}),
        R(clause, f"{prefix}-national-dh", task, track=track, per=["unit_id"], max=national, exempt=exempt,
          tier="national_double_high"),
        R(clause, f"{prefix}-provincial-dh", task, track=track, per=["unit_id"], max=provincial, exempt=exempt,
          tier="provincial_double_high"),
        R(clause, f"{prefix}-other-higher", task, track=track, per=["unit_id"], max=other, exempt=exempt,
          tier="other_higher"),
    ]


def led_by(clause: str, rid: str, task: str, kinds: list[str], track: str | None = None, when: dict | None = None):
    """"由…牵头": no pick led by another kind of unit (a maximum of 0 on the others)."""
    return R(clause, rid, task, track=track, max=0, kinds={"not": kinds if len(kinds) > 1 else kinds[0]}, when=when)


NOTICE: list[dict] = [
    # 三(一) 市域产教联合体: 由地方政府（或开发区管委会等）牵头; 每个市（州）至少申报1个; 10个左右
    led_by("三(一)", "cc-led-by-government", "city_consortium", ["government", "development_zone"]),
    R("三(一)", "cc-every-locality-files", "city_consortium", per=["locality"], min=1, by=2025,
      decision="filing", complete=True),
    *about("三(一)", "cc", "city_consortium", 10),
    # 三(二) 行业产教融合共同体: 行业龙头企业牵头; 10个左右
    led_by("三(二)", "ic-led-by-enterprise", "industry_community", ["enterprise"]),
    *about("三(二)", "ic", "industry_community", 10),
    # 三(三) 实践中心: 学校 ≥100, 公共 ≥10, 企业 ≥20; school quotas 15/10/3 and 6/3/2
    led_by("三(三)", "pc-school-led-by-school", "practice_centre", list(SCHOOLS), track="school"),
    R("三(三)", "pc-school-target", "practice_centre", track="school", min=100, by=2025),
    *quotas("三(三)", "pc-school", "practice_centre", "school", LOCALITY_15_10_3, 6, 3, 2, exempt=False),
    led_by("三(三)", "pc-public-led-by-government", "practice_centre", ["government"], track="public",
           when={"public_centre_lead": "government"}),
    led_by("三(三)", "pc-public-led-by-government-or-zone", "practice_centre", ["government", "development_zone"],
           track="public", when={"public_centre_lead": "with_zones"}),
    R("三(三)", "pc-public-locality-min", "practice_centre", track="public", per=["locality"],
      min={"长春市": 3, "吉林市": 2, "*": 1}, by=2025, complete=True),
    R("三(三)", "pc-public-target", "practice_centre", track="public", min=10, by=2025),
    led_by("三(三)", "pc-enterprise-led-by-enterprise", "practice_centre", ["enterprise"], track="enterprise"),
    # 各地在市域产教联合体内，至少建设2个企业实践中心: only centres whose consortium_id names a recognised
    # 市域产教联合体 (earlier round or this one) count; offices without the link count every centre.
    R("三(三)", "pc-enterprise-locality-min", "practice_centre", track="enterprise", per=["locality"], min=2,
      by=2025, complete=True, when={"consortium_link": ["linked", "strict"]}, link="consortium_id"),
    # The strict reading: every enterprise centre inside a recognised 联合体 (none outside, each year).
    R("三(三)", "pc-enterprise-inside-consortium", "practice_centre", track="enterprise", max=0, scope="year",
      when={"consortium_link": "strict"}, link="consortium_id", inside=False),
    R("三(三)", "pc-enterprise-locality-min-any", "practice_centre", track="enterprise", per=["locality"], min=2,
      by=2025, complete=True, when={"consortium_link": "off"}),
    R("三(三)", "pc-enterprise-target", "practice_centre", track="enterprise", min=20, by=2025),
    # 三(四) 资源库: 50个左右; 5/3/2 and 5/3/1; 原203个主持单位不占限额
    led_by("三(四)", "rl-led-by-school", "resource_library", list(SCHOOLS)),
    *about("三(四)", "rl", "resource_library", 50),
    *quotas("三(四)", "rl", "resource_library", None, LOCALITY_5_3_2, 5, 3, 1, exempt=True),
    # 三(五) 信息化标杆学校: 20个左右; a school is one benchmark school (PLANNER: at most 1 per school)
    led_by("三(五)", "db-schools-only", "digital_benchmark_school", list(SCHOOLS)),
    # 推荐范围：…数字校园试点学校，对接…且已开始数据上报: only pilot schools (a column of its own).
    R("三(五)", "db-pilot-schools-only", "digital_benchmark_school", max=0, scope="year",
      flags={"digital_pilot": False}),
    R("三(五)", "db-one-per-school", "digital_benchmark_school", per=["unit_id"], max=1),
    *about("三(五)", "db", "digital_benchmark_school", 20),
    # 三(六) 虚拟仿真实训基地: 50个左右; as 三(四); 215个+211个不占限额
    led_by("三(六)", "vs-led-by-school", "virtual_sim_base", list(SCHOOLS)),
    *about("三(六)", "vs", "virtual_sim_base", 50),
    *quotas("三(六)", "vs", "virtual_sim_base", None, LOCALITY_5_3_2, 5, 3, 1, exempt=True),
    # 三(七) 一流核心课程: 200门左右; offline 5/3/2 and 5/3/1; national 5 = 中职2 + 高职3 (2023)
    led_by("三(七)", "co-led-by-school", "core_course", list(SCHOOLS)),
    *about("三(七)", "co", "core_course", 200),
    # 在线核心课程，已入选的省级、国家级在线精品课程.
    R("三(七)", "co-online-quality-only", "core_course", track="online", max=0, scope="year",
      flags={"online_quality": False}),
    *quotas("三(七)", "co-offline", "core_course", "offline", LOCALITY_5_3_2, 5, 3, 1, exempt=False),
    R("三(七)", "co-national-split", "core_course", per=["level"], min={"secondary": 2, "higher": 3},
      max={"secondary": 2, "higher": 3}, decision="national", complete=True,
      when={"national_course_split": "exact", "national_scope": "period"}),
    R("三(七)", "co-national-split-per-year", "core_course", per=["level"], min={"secondary": 2, "higher": 3},
      max={"secondary": 2, "higher": 3}, decision="national", scope="year", complete=True,
      when={"national_course_split": "exact", "national_scope": "year"}),
    R("三(七)", "co-national-split-at-most", "core_course", per=["level"], max={"secondary": 2, "higher": 3},
      decision="national", when={"national_course_split": "at_most", "national_scope": "period"}),
    R("三(七)", "co-national-split-at-most-per-year", "core_course", per=["level"],
      max={"secondary": 2, "higher": 3}, decision="national", scope="year",
      when={"national_course_split": "at_most", "national_scope": "year"}),
    # 三(八) 优质教材: no quota
    led_by("三(八)", "tb-schools-only", "textbook", list(SCHOOLS)),
    # 推荐教材应为“十四五”职业教育国家规划教材…和…全国教材建设奖…中职、高职类.
    R("三(八)", "tb-listed-only", "textbook", max=0, scope="year", flags={"textbook_listed": False}),
    # 三(九) 生产实践项目: 50个左右; 每个市（州）2-3项; 3/2/1 per 高职 school
    led_by("三(九)", "pp-led-by-school", "production_project", list(SCHOOLS), when={"production_lead": "school"}),
    led_by("三(九)", "pp-led-by-school-or-enterprise", "production_project", [*SCHOOLS, "enterprise"],
           when={"production_lead": "school_or_enterprise"}),
    *about("三(九)", "pp", "production_project", 50),
    R("三(九)", "pp-locality-cap", "production_project", per=["locality"], max=3,
      when={"locality_quota_counts": "non_higher"}, kinds={"not": "higher_vocational"}),
    R("三(九)", "pp-locality-cap-all", "production_project", per=["locality"], max=3,
      when={"locality_quota_counts": "all"}),
    R("三(九)", "pp-locality-two", "production_project", per=["locality"], min=2, by=2025, soft=50,
      when={"production_locality": "cap"}, kinds={"not": "higher_vocational"}, complete=True),
    R("三(九)", "pp-locality-two-hard", "production_project", per=["locality"], min=2, by=2025,
      when={"production_locality": "hard"}, kinds={"not": "higher_vocational"}, complete=True),
    R("三(九)", "pp-national-dh", "production_project", per=["unit_id"], max=3, tier="national_double_high"),
    R("三(九)", "pp-provincial-dh", "production_project", per=["unit_id"], max=2, tier="provincial_double_high"),
    R("三(九)", "pp-other-higher", "production_project", per=["unit_id"], max=1, tier="other_higher"),
    # 三(十) 国际影响: 由我国职业教育领域机构牵头制定 (schools, institutes, industry bodies); no provincial
    # quota; national 标准 ≤5, 装备 ≤5, 资源 ≤10 (2023)
    led_by("三(十)", "ii-led-by-education-body", "international_item", [*SCHOOLS, "other"],
           when={"international_lead": "education"}),
    R("三(十)", "ii-national", "international_item", per=["track"],
      max={"standard": 5, "equipment": 5, "resource": 10}, decision="national", when={"national_scope": "period"}),
    R("三(十)", "ii-national-per-year", "international_item", per=["track"],
      max={"standard": 5, "equipment": 5, "resource": 10}, decision="national", scope="year",
      when={"national_scope": "year"}),
]

# PLANNER's pacing and funding rules (not in the notice): ⌈N/3⌉ of each "不少于" target a year.
PLANNER_RULES: list[dict] = [
    R("三(三)", "pace-pc-school", "practice_centre", track="school", min=34, scope="year", soft=20,
      when={"pacing": "soft"}),
    R("三(三)", "pace-pc-school-hard", "practice_centre", track="school", min=34, scope="year",
      when={"pacing": "hard"}),
    R("三(三)", "pace-pc-public", "practice_centre", track="public", min=4, scope="year", soft=20,
      when={"pacing": "soft"}),
    R("三(三)", "pace-pc-public-hard", "practice_centre", track="public", min=4, scope="year",
      when={"pacing": "hard"}),
    R("三(三)", "pace-pc-enterprise", "practice_centre", track="enterprise", min=7, scope="year", soft=20,
      when={"pacing": "soft"}),
    R("三(三)", "pace-pc-enterprise-hard", "practice_centre", track="enterprise", min=7, scope="year",
      when={"pacing": "hard"}),
]
# 二(三) funds follow progress: a yearly pool over the slate's cost, off by default (PLANNER: 60000 万元).
FUNDING = {"id": "funding-pool", "clause": "二(三)", "when": {"funding": "pool"}, "scope": "year",
           "measure": "sum:cost", "max": 60000}
#: [scoring]: the notice says only 二(二) "分类组织专家认定"; the arithmetic is the office's published
#: practice (回避, 去掉一个最高分和一个最低分, 两位小数四舍五入) — the planner's documented reading (docs/scores.md).
SCORING = {"method": "trimmed", "trim": 1, "min_scores": 3, "recusal": "unit", "decimals": 2, "rounding": "half_up",
           "clause": "二(二)"}
PLANNER_TOP = {
    "objective.pass_mark": 60, "plan.reachability_weight": 1000,
    "plan.future_weight": {"switch": "quota_spending", "paced": 1.0, "literal": 0.0},
    "funding-pool.max": 60000,
}


# 三(三)…(十), 四(二): the calendar the briefing shows (dates as the notice prints them).
_T346 = ["resource_library", "digital_benchmark_school", "virtual_sim_base"]
_T7_10 = ["core_course", "textbook", "production_project", "international_item"]
CALENDAR = [
    dict(tasks=_T346, clause="三(四)(五)(六)", date="2023-08-22", then_yearly="06-30", from_year=2024),
    dict(tasks=_T7_10, clause="三(七)(八)(九)(十)", date="2023-09-12"),
    dict(tasks=_T7_10, clause="三(七)(八)(九)(十)", start="2023-09-13", end="2023-10-23"),
    dict(tasks=["practice_centre"], clause="三(三)", date="2023-10-08", then_yearly="09-30", from_year=2024),
    dict(tasks=["practice_centre", *_T346], clause="三(三)(四)(五)(六)", yearly_start="11-01", yearly_end="12-15",
         from_year=2023),
    dict(tasks=["*"], clause="四(二)", date="2023-09-10"),
    dict(tasks=["*"], clause="四(二)", yearly_end="11-20", from_year=2023),
    dict(tasks=["*"], clause="四(二)", yearly_end="12-01", from_year=2023),
]


def _norm(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return float(value)


def _rule_problems(expected: dict, raw: dict, default_scope: str) -> list[str]:
    rid = expected["id"]
    out = []

    def differ(key: str, found: Any, want: Any) -> None:
        if _norm(found) != _norm(want):
            out.append(f'rule "{rid}" {key}: found {found!r}, the notice says {want!r}')

    differ("clause", raw.get("clause"), expected["clause"])
    differ("decision", raw.get("decision", "provincial"), expected["decision"])
    differ("scope", raw.get("scope", default_scope), expected["scope"])
    differ("per", raw.get("per", []), expected["per"])
    differ("min", raw.get("min"), expected["min"])
    differ("max", raw.get("max"), expected["max"])
    differ("by", raw.get("by"), expected["by"])
    differ("when", raw.get("when", {}), expected["when"])
    differ("soft", (raw.get("soft") or {}).get("weight"), expected["soft"])
    if expected["complete"] is not None:
        differ("complete", raw.get("complete", False), expected["complete"])
    differ("measure", raw.get("measure", "count"), "count")
    differ("draw", raw.get("draw", "slate"), "slate")
    differ("enabled", raw.get("enabled", True), True)
    # Every key of `where`: task, track, tier, unit_kind, exempt (only the quotas the notice waives,
    # never targets), a link (三(三) 在市域产教联合体内) and the entry columns, and nothing else.
    where = dict(raw.get("where", {}))
    for key in sorted(set(where) | set(expected["where"])):
        differ(f"where.{key}", where.get(key), expected["where"].get(key))
    return out


def mismatches(data: dict) -> list[str]:
    """Every way a scenario's parsed TOML (jilin-base.toml) differs from the notice table."""
    out: list[str] = []
    if data.get("period") != PERIOD:
        out.append(f"period {data.get('period')!r}: the notice says {PERIOD} (二(二) 2023-2025年)")
    default_scope = (data.get("defaults") or {}).get("scope", "period")
    if default_scope != "period":
        out.append(f'[defaults] scope "{default_scope}": 二(二) quotas are the period\'s ("period")')
    exempt = data.get("exemptions") or {}
    if exempt != {"tasks": EXEMPT_TASKS, "clause": "三(四)(六)"}:
        out.append(f"[exemptions] {exempt!r}: only 三(四) and 三(六) waive quotas ({EXEMPT_TASKS})")
    switches = data.get("switches") or {}
    for name, value in SWITCH_DEFAULTS.items():
        if switches.get(name) != value:
            out.append(f'switch "{name}" = {switches.get(name)!r}: the careful reading is {value!r}')
    if _norm(data.get("choices")) != _norm(CHOICES):
        out.append(f"[choices] {data.get('choices')!r}: every reading with its alternatives is {CHOICES!r}")
    for key, want in (("objective", OBJECTIVE), ("plan", PLAN)):
        if _norm(data.get(key)) != _norm(want):
            out.append(f"[{key}] {data.get(key)!r}: expected {want!r}")
    if (data.get("localities") or {}).get("fold") != FOLD or set(data.get("localities") or {}) != {"fold"}:
        out.append(f"[localities] {data.get('localities')!r}: no fold by default ({FOLD!r})")
    if (data.get("tasks") or {}) != {"international_school": False}:
        out.append(f"[tasks] {data.get('tasks')!r}: only 三(十一) is off")
    if (data.get("tasks") or {}).get("international_school") is not False:
        out.append("三(十一) international_school must be off (待教育部公布建设指南后另行通知)")
    scoring = {k: v for k, v in (data.get("scoring") or {}).items() if k != "text"}
    for key in sorted(set(scoring) | set(SCORING)):
        if _norm(scoring.get(key)) != _norm(SCORING.get(key)):
            out.append(f"[scoring] {key} = {scoring.get(key)!r}: the office's practice is {SCORING.get(key)!r}")
    objective, plan = data.get("objective") or {}, data.get("plan") or {}
    found_top = {"objective.pass_mark": objective.get("pass_mark"),
                 "plan.reachability_weight": plan.get("reachability_weight"),
                 "plan.future_weight": plan.get("future_weight")}
    rules = {r.get("id"): r for r in data.get("rule", [])}
    found_top["funding-pool.max"] = rules.get("funding-pool", {}).get("max")
    for key, want in PLANNER_TOP.items():
        if _norm(found_top[key]) != _norm(want):
            out.append(f"{key} = {found_top[key]!r}: the planner's documented choice is {want!r}")
    funding = {k: v for k, v in rules.get("funding-pool", {}).items() if k != "text"}
    if _norm(funding) != _norm(FUNDING):
        out.append(f'rule "funding-pool" {funding!r}: a yearly pool behind the switch funding = "pool" ({FUNDING!r})')
    calendar = [{k: v for k, v in c.items() if k != "event"} for c in data.get("calendar", [])]
    if _norm(calendar) != _norm(CALENDAR):
        out.append("[[calendar]] differs from the notice's dates")
    expected = {e["id"]: e for e in [*NOTICE, *PLANNER_RULES]}
    for rid, want in expected.items():
        if rid not in rules:
            out.append(f'rule "{rid}" ({want["clause"]}) is missing')
            continue
        out.extend(_rule_problems(want, rules[rid], default_scope))
    for rid in rules:
        if rid not in expected and rid != "funding-pool":
            out.append(f'rule "{rid}" is not in the notice table')
    return out
