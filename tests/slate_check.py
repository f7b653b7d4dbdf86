"""The three bundled rounds' slates (2023, 2024, 2025) checked against the notice with plain pandas.

Independent of the scenario and of the auditor: every number comes from `notice_table` (written
from the notice's text), every count from the slates' own columns. `check(folder)` reads
``<folder>/jilin-<year>/slate.csv`` for the three years and returns one row per check (what, group,
value, limit, ok); `counts(folder)` the selected counts per task, track, year and period.
Run as a script for the table: ``python tests/slate_check.py out``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from notice_table import LOCALITY_5_3_2, LOCALITY_15_10_3  # noqa: E402

YEARS = (2023, 2024, 2025)
SCHOOLS = ("higher_vocational", "secondary_vocational")
# "到2025年…N个左右" per task: N (the default reading aims at N).
ABOUT = {"city_consortium": 10, "industry_community": 10, "resource_library": 50, "digital_benchmark_school": 20,
         "virtual_sim_base": 50, "core_course": 200, "production_project": 50}
TIER_CAPS = {  # (task, track) → national / provincial 双高 / other 高职, per school over the period
    ("practice_centre", "school"): (6, 3, 2), ("resource_library", ""): (5, 3, 1), ("virtual_sim_base", ""): (5, 3, 1),
    ("core_course", "offline"): (5, 3, 1), ("production_project", ""): (3, 2, 1)}
LOCALITY_CAPS = {("practice_centre", "school"): LOCALITY_15_10_3, ("resource_library", ""): LOCALITY_5_3_2,
                 ("virtual_sim_base", ""): LOCALITY_5_3_2, ("core_course", "offline"): LOCALITY_5_3_2,
                 ("production_project", ""): {"*": 3}}
TIERS = ("national_double_high", "provincial_double_high", "other_higher")
LOCALITIES = ("长春市", "吉林市", "四平市", "辽源市", "通化市", "白山市", "松原市", "白城市", "延边朝鲜族自治州",
              "长白山管委会", "梅河口市")


def _flag(values: pd.Series) -> pd.Series:
    return values.astype(str).str.strip().str.lower().isin(("1", "true", "是"))


def read_slates(folder: str | Path) -> pd.DataFrame:
    """The three slates, one frame: every candidate row of 2023–2025 with `selected`/`national` as bool."""
    parts = []
    for year in YEARS:
        part = pd.read_csv(Path(folder) / f"jilin-{year}" / "slate.csv", dtype=str, keep_default_na=False,
                           encoding="utf-8-sig")
        parts.append(part)
    slates = pd.concat(parts, ignore_index=True)
    slates["year"] = slates["year"].astype(int)
    for column in ("selected", "national", "exempt"):
        slates[column] = _flag(slates[column])
    return slates


def counts(folder: str | Path) -> pd.DataFrame:
    """Selected (provincial) and national counts per task and track, each year and the period."""
    s = read_slates(folder)
    table = s.groupby(["task", "track", "year"])[["selected", "national"]].sum().unstack("year", fill_value=0)
    table.columns = [f"{what}_{year}" for what, year in table.columns]
    table["selected_period"] = s.groupby(["task", "track"])["selected"].sum()
    table["national_period"] = s.groupby(["task", "track"])["national"].sum()
    return table.reset_index()


def check(folder: str | Path) -> pd.DataFrame:
    """Every rule of the notice the slates can be held to, one row per check and group."""
    s = read_slates(folder)
    picked = s[s["selected"]]
    out: list[dict] = []

    def add(what: str, group: str, value: float, limit: str, ok: bool) -> None:
        out.append(dict(check=what, group=group, value=value, limit=limit, ok=bool(ok)))

    # "N个左右", aimed at N (the default reading); and the "不少于" minimums.
    for task, n in ABOUT.items():
        v = int((picked["task"] == task).sum())
        add("about N (aim)", task, v, f"{n} (band {round(n * .9)}–{round(n * 1.1)})", round(n * .9) <= v <= round(n * 1.1))
    for track, n in (("school", 100), ("public", 10), ("enterprise", 20)):
        v = int(((picked["task"] == "practice_centre") & (picked["track"] == track)).sum())
        add("三(三) at least", track, v, f">= {n}", v >= n)
    # Locality quotas (non-高职 filings, exempt projects aside) and per-school tier caps over the period.
    for (task, track), caps in LOCALITY_CAPS.items():
        rows = picked[(picked["task"] == task) & (picked["track"] == track) & ~picked["exempt"]]
        local = rows[rows["unit_kind"] != "higher_vocational"].groupby("locality").size()
        for loc in LOCALITIES:
            cap = caps.get(loc, caps["*"])
            add(f"locality quota {task}/{track or '-'}", loc, int(local.get(loc, 0)), f"<= {cap}", local.get(loc, 0) <= cap)
        for tier, cap in zip(TIERS, TIER_CAPS[(task, track)]):
            per = rows[rows["tier"] == tier].groupby("unit_id").size()
            add(f"tier cap {task}/{track or '-'}", tier, int(per.max()) if len(per) else 0, f"<= {cap} per school",
                per.le(cap).all())
    # 三(三) public centres per locality; enterprise centres inside a selected 联合体 per locality.
    public = picked[(picked["task"] == "practice_centre") & (picked["track"] == "public")]
    ids = set(picked["candidate_id"])
    ent = picked[(picked["task"] == "practice_centre") & (picked["track"] == "enterprise")]
    inside = ent[ent["consortium_id"].isin(ids)].groupby("locality").size()
    for loc in LOCALITIES:
        need = {"长春市": 3, "吉林市": 2}.get(loc, 1)
        v = int((public["locality"] == loc).sum())
        add("三(三) public centres", loc, v, f">= {need}", v >= need)
        add("三(三) enterprise centres inside a 联合体", loc, int(inside.get(loc, 0)), ">= 2", inside.get(loc, 0) >= 2)
    # 三(九) 2 per locality by 2025 (soft).
    pp = picked[(picked["task"] == "production_project") & (picked["unit_kind"] != "higher_vocational")]
    for loc in LOCALITIES:
        v = int((pp["locality"] == loc).sum())
        add("三(九) 2 per locality (soft)", loc, v, ">= 2 (soft)", True)
    # National numbers over the period.
    nat = s[s["national"]]
    course = nat[nat["task"] == "core_course"].groupby("level").size()
    for level, n in (("secondary", 2), ("higher", 3)):
        add("三(七) national courses", level, int(course.get(level, 0)), f"== {n}", course.get(level, 0) == n)
    items = nat[nat["task"] == "international_item"].groupby("track").size()
    for track, n in (("standard", 5), ("equipment", 5), ("resource", 10)):
        add("三(十) national items", track, int(items.get(track, 0)), f"<= {n}", items.get(track, 0) <= n)
    add("二(二) national implies provincial", "all", int((s["national"] & ~s["selected"]).sum()), "== 0",
        not (s["national"] & ~s["selected"]).any())
    # Once recognised, not again: the same unit, task, track and title selected in two years.
    key = picked["unit_id"] + "|" + picked["task"] + "|" + picked["track"] + "|" + picked["title"].str.replace(r"\s", "", regex=True)
    add("二(二) recognised once", "all", int(key.duplicated().sum()), "== 0", not key.duplicated().any())
    # Who may lead, and the entry conditions of 三(五)(七)(八).
    ii = picked[picked["task"] == "international_item"]
    add("三(十) lead (职业教育领域机构)", "enterprise/government", int((~ii["unit_kind"].isin((*SCHOOLS, "other"))).sum()),
        "== 0", ii["unit_kind"].isin((*SCHOOLS, "other")).all())
    pub_kinds = public["unit_kind"] != "government"
    add("三(三) public centre lead", "not government", int(pub_kinds.sum()), "== 0", not pub_kinds.any())
    for column, task, track in (("digital_pilot", "digital_benchmark_school", ""), ("online_quality", "core_course", "online"),
                                ("textbook_listed", "textbook", "")):
        rows = picked[(picked["task"] == task) & (picked["track"] == track)]
        flags = rows[column] if column in rows else rows["eligible"]     # a slate of the old columns
        bad = int((~_flag(flags)).sum())
        add(f"entry condition {column}", task, bad, "== 0", bad == 0)
    # A unit is one unit: one name per id, one id per name.
    names = s.assign(_n=s["unit_name"].str.replace(r"\s", "", regex=True))
    add("unit ids with two names", "all", int((names.groupby("unit_id")["_n"].nunique() > 1).sum()), "== 0",
        (names.groupby("unit_id")["_n"].nunique() <= 1).all())
    add("unit names with two ids", "all", int((names.groupby("_n")["unit_id"].nunique() > 1).sum()), "== 0",
        (names.groupby("_n")["unit_id"].nunique() <= 1).all())
    return pd.DataFrame(out)


if __name__ == "__main__":
    folder = sys.argv[1] if len(sys.argv) > 1 else "out"
    pd.set_option("display.width", 200, "display.max_rows", 500, "display.max_colwidth", 60)
    print(counts(folder).to_string(index=False))
    result = check(folder)
    print(result[~result["ok"]].to_string(index=False) if not result["ok"].all() else f"all {len(result)} checks ok")
