"""The 2023–2025 ledger: what every rule group has used in each year, what is left, and the targets.

Owns the bookkeeping across the rounds of a period (二(二) 分年度申报, 在推荐限额内): for every
rule and group, the amount used in each year (locked earlier slates, this round's slate and,
when given, the tentative picks of a plan), the cumulative amount, the quota remaining, and for
"by 2025" targets the cumulative count against the target figure. Plain pandas, like the
auditor: it never imports ortools, `model` or `solve`, and can be computed for slates made by
hand. Does not own the verdict on a slate (`audit`) nor writing files (`report`).
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import InputError, Problem
from planner.lang import say
from planner.rules import FrameIndex, Scenario, complete_columns, flag_values, fold_localities, linked_chosen, measure_values, rule_groups, rule_links

log = logging.getLogger(__name__)

TOLERANCE = 1e-6
STATUSES = ("over", "below", "met", "open", "full", "ok")


def ledger_table(slate: pd.DataFrame, scenario: Scenario, history: pd.DataFrame | None = None, *,
                 planned: pd.DataFrame | None = None, index: FrameIndex | None = None) -> pd.DataFrame:
    """One row per rule group: use per year of the period, remaining quota, progress to target.

    Parameters
    ----------
    slate : DataFrame
        This round's candidate rows with 0/1 or bool ``selected`` (and ``national``), plus
        candidate_id, year and every column a rule names. Rows of other years never count.
    scenario : Scenario
        The round (its year is "now"; `period` gives the year columns).
    history : DataFrame, optional
        Locked rows of earlier rounds (same columns); rows of years before the scenario's count.
    planned : DataFrame, optional
        Tentative picks of later years (a plan): the same columns with ``year`` = planned year
        and ``selected``; they appear in ``planned_<year>`` and ``projected`` only.
    index : FrameIndex, optional
        Of the slate with its localities folded and its columns completed (`complete_columns`),
        with the same ``selected`` and ``national`` — the frame `rounds.finish` audits and
        explains. Without history and planned rows the ledger reads that frame and its groups
        through the index; otherwise it is not used.

    Returns
    -------
    DataFrame
        rule_id, clause, text, decision, scope, measure, soft, group;
        ``used_<year>`` for every year of the period (NaN for years after this round);
        ``planned_<year>`` for the later years (only with `planned`);
        ``used`` (period scope: cumulative through this year; year scope: this year's),
        ``min``/``max`` (the bounds this year), ``remaining`` (= max − used),
        ``target``/``target_year`` (a "by" minimum and its year), ``to_target`` (still missing),
        ``projected`` (used + planned), ``status`` (one of STATUSES: over = above its max,
        below = under a minimum that binds this year — a target whose year has come and is not
        met —, met = a target reached, open = a target still ahead, full = no quota left, ok).
    """
    first, last = scenario.years
    year = scenario.year
    parts, roles = [], []
    alone = (history is None or not len(history)) and (planned is None or not len(planned))
    shared = alone and index is not None and len(index.frame) == len(slate)
    now = index.frame if shared else fold_localities(slate, scenario.fold)
    parts.append(now)
    roles.append(np.where((now["year"] == year).to_numpy(), "now", ""))
    if history is not None and len(history):
        past = fold_localities(history, scenario.fold)
        parts.append(past)
        roles.append(np.where((past["year"] < year).to_numpy(), "past", ""))
    if planned is not None and len(planned):
        ahead = fold_localities(planned, scenario.fold)
        parts.append(ahead)
        roles.append(np.where((ahead["year"] > year).to_numpy(), "plan", ""))
    if shared:
        frame = now                     # the same rows and columns, grouped once for every caller
    else:
        frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else now.reset_index(drop=True)
        frame = complete_columns(frame.copy() if frame is now else frame, scenario)   # a slate of an older run
        index = FrameIndex(frame)
    role = np.concatenate(roles)
    years = frame["year"].to_numpy()
    selected = flag_values(frame, "selected")
    national = flag_values(frame, "national")
    decided = (role == "now") | (role == "past")
    plan = role == "plan"
    plan_years = list(range(year + 1, last + 1)) if planned is not None else []

    records = []
    period = range(first, last + 1)
    used_names = [(y, f"used_{y}") for y in period]
    planned_names = [(y, f"planned_{y}") for y in plan_years]
    for rule in scenario.rules:             # the index: column forms, masks and group keys shared by every rule
        if rule.decision == "filing":
            continue
        values = measure_values(frame, rule)
        chosen = (national if rule.decision == "national" else selected) & (decided | plan)
        if rule_links(rule):        # 三(三) a centre counts only with its consortium in the slate
            chosen = linked_chosen(frame, rule, chosen, selected & (decided | plan), index=index)
        amount = values * chosen
        groups = list(rule_groups(frame, rule, scenario, mask=decided | plan, index=index))
        sums = _year_sums(groups, amount, years, first, last)
        sums = sums.tolist() if sums is not None else None      # Python floats, as float() of each cell
        head = {"rule_id": rule.id, "clause": rule.clause, "text": rule.text, "decision": rule.decision,
                "scope": rule.scope, "measure": rule.measure, "soft": rule.soft}
        for k, group in enumerate(groups):
            rows = group.rows
            by_year = dict(zip(period, sums[k])) if sums is not None else \
                {y: float(amount[rows[years[rows] == y]].sum()) for y in period}
            rec = {**head, "group": group.label}
            for y, name in used_names:
                rec[name] = by_year[y] if y <= year else np.nan
            for y, name in planned_names:
                rec[name] = by_year[y]
            if rule.scope == "period":
                used = sum(by_year[y] for y in range(first, year + 1))
            else:
                used = by_year[year]
            planned_sum = sum(by_year[y] for y in plan_years)
            target = rule.min.for_group(group.key) if (rule.min is not None and rule.by is not None) else None
            rec.update({
                "used": used,
                "min": group.min if group.min is not None else np.nan,
                "max": group.max if group.max is not None else np.nan,
                "remaining": (group.max - used) if group.max is not None else np.nan,
                "target": target if target is not None else np.nan,
                "target_year": rule.by if target is not None else np.nan,
                "to_target": max(0.0, target - used) if target is not None else np.nan,
                "projected": used + planned_sum if rule.scope == "period" else np.nan,
                "status": _status(used, group.min, group.max, target, rule.by, year),
            })
            records.append(rec)
    columns = ["rule_id", "clause", "text", "decision", "scope", "measure", "soft", "group",
               *(f"used_{y}" for y in range(first, last + 1)), *(f"planned_{y}" for y in plan_years),
               "used", "min", "max", "remaining", "target", "target_year", "to_target", "projected", "status"]
    table = pd.DataFrame(records, columns=columns)
    table["target_year"] = table["target_year"].astype("Int64")
    for col in ("rule_id", "clause", "text", "decision", "scope", "measure", "group", "status"):
        table[col] = table[col].astype(object)
    table["soft"] = table["soft"].astype(bool)
    log.info("ledger: %d rule groups, %d targets open, %d quotas full", len(table),
             int((table["status"] == "open").sum()), int((table["status"] == "full").sum()))
    return table


def _year_sums(groups: list, amount: np.ndarray, years: np.ndarray, first: int, last: int) -> np.ndarray | None:
    """Each group's amount per year of the period (groups × years), all in one pass, when every
    amount is a whole number (then the order of the additions cannot change a sum); None otherwise,
    and each group's sums are taken one by one as numpy sums them."""
    amount = np.asarray(amount, dtype=np.float64)
    # Whole numbers: each equal to itself truncated (NaN never is; an infinity fails the size test).
    if not groups or not np.all(amount == np.trunc(amount)) or np.abs(amount).sum() >= 2.0 ** 52:
        return None
    span = last - first + 1
    rows = np.concatenate([g.rows for g in groups]).astype(np.int64)
    which = np.repeat(np.arange(len(groups)), [len(g.rows) for g in groups])
    offset = years[rows] - first
    inside = (offset >= 0) & (offset < span)
    cell = which[inside] * span + offset[inside]
    return np.bincount(cell, weights=amount[rows][inside], minlength=len(groups) * span).reshape(len(groups), span)


def _status(used: float, lo: float | None, hi: float | None, target: float | None, by: int | None,
            year: int) -> str:
    if hi is not None and used > hi + TOLERANCE:
        return "over"
    if lo is not None and used < lo - TOLERANCE:
        return "below"
    if target is not None:
        return "met" if used >= target - TOLERANCE else "open"
    if hi is not None and hi > 0 and used >= hi - TOLERANCE:     # max = 0 is a ban, not a quota
        return "full"
    return "ok"


def ledger_summary(ledger: pd.DataFrame) -> pd.DataFrame:
    """One row per rule: totals over its groups (use per year, quota, remaining, targets met).

    Parameters
    ----------
    ledger : DataFrame
        The output of `ledger_table`.

    Returns
    -------
    DataFrame
        rule_id, clause, text, scope, measure, groups, the ``used_<year>``/``planned_<year>``
        sums, used, max (NaN unless every group has one), remaining, target (sum), to_target,
        groups_full, targets_met (of the groups with a target), status counts as ``n_<status>``.
    """
    year_cols = [c for c in ledger.columns if c.startswith(("used_", "planned_"))]
    rows = []
    for rule_id, part in ledger.groupby("rule_id", sort=False):
        rec = {"rule_id": rule_id, "clause": part["clause"].iat[0], "text": part["text"].iat[0],
               "scope": part["scope"].iat[0], "measure": part["measure"].iat[0], "groups": len(part)}
        for col in year_cols:
            rec[col] = part[col].sum(min_count=1)
        rec["used"] = part["used"].sum()
        has_max = part["max"].notna().all()
        rec["max"] = part["max"].sum() if has_max else np.nan
        rec["remaining"] = part["remaining"].sum() if has_max else np.nan
        targeted = part["target"].notna()
        rec["target"] = part.loc[targeted, "target"].sum() if targeted.any() else np.nan
        rec["to_target"] = part.loc[targeted, "to_target"].sum() if targeted.any() else np.nan
        rec["groups_full"] = int((part["status"] == "full").sum())
        rec["targets_met"] = int((part.loc[targeted, "status"] == "met").sum())
        rec["targets"] = int(targeted.sum())
        for status in STATUSES:
            rec[f"n_{status}"] = int((part["status"] == status).sum())
        rows.append(rec)
    return pd.DataFrame(rows)


def ledger_from_outputs(out_dirs: list[str | Path] | tuple, scenario: Scenario | str | Path | None = None
                        ) -> tuple[Scenario, pd.DataFrame]:
    """The ledger of solved rounds read back from their output folders.

    Parameters
    ----------
    out_dirs : list of folders
        Output folders of `planner solve` (each with slate.csv and summary.json). The round of
        the scenario's year is "this round"; the others (and the scenario's own `history`
        files) are its locked history.
    scenario : Scenario or path, optional
        Default: the scenario file recorded in the last folder's summary.json.

    Raises
    ------
    InputError
        A folder without slate.csv, or no scenario to be found.
    """
    from planner.inputs import load_candidates, read_slate
    from planner.rules import load_scenario

    dirs = [Path(d) for d in out_dirs]
    problems = [Problem(str(d / "slate.csv"), say("没有这个文件", "no such file"),
                        say("planner solve 写出的输出文件夹", "an output folder of planner solve"))
                for d in dirs if not (d / "slate.csv").is_file()]
    if problems:
        raise InputError(problems)
    if scenario is None:
        scenario = _recorded_scenario(dirs[-1])
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    slates = [read_slate(d) for d in dirs]
    own = [s for s in slates if (s["year"] == scenario.year).any()]
    if not own:
        raise InputError([Problem(", ".join(map(str, dirs)), say(f"没有 {scenario.year} 年度的名单", f"no slate of {scenario.year}"),
                                  say(f"{scenario.year} 年度评审（{scenario.label}）的输出文件夹",
                                      f"the output folder of the {scenario.year} round ({scenario.label})"))])
    slate = own[-1]
    past = [s[s["year"] < scenario.year] for s in slates if s is not slate]
    past += [load_candidates(p, extra_bool_columns=("selected", "national")) for p in scenario.history
             if Path(p).is_file() and Path(p).resolve() not in {(d / "slate.csv").resolve() for d in dirs}]
    past = [p[p["year"] < scenario.year] for p in past if len(p)]
    history = None
    if past:
        history = pd.concat(past, ignore_index=True)
        history = history[~history["candidate_id"].duplicated(keep="first")].reset_index(drop=True)
        for column in ("selected", "national"):
            if column not in history:
                history[column] = False
    if "national" not in slate:
        slate = slate.assign(national=False)
    return scenario, ledger_table(slate, scenario, history)


def _recorded_scenario(out_dir: Path) -> Path:
    """The scenario file a run recorded among its inputs (summary.json)."""
    from planner.inputs import read_summary
    summary = out_dir / "summary.json"
    found: list[Path] = []
    if summary.is_file():
        inputs = read_summary(summary).get("inputs", {})
        found = [Path(p) for p in inputs if str(p).endswith(".toml")] if isinstance(inputs, dict) else []
    for path in found:
        if path.is_file():
            return path
    raise InputError([Problem(str(summary), say("没有记录情景文件", "no scenario file recorded") if not found else
                              say(f"情景文件 {found[0]}，它已不存在", f"scenario {found[0]} which no longer exists"),
                              say("一个情景文件：planner ledger OUT_DIR --scenario FILE",
                                  "a scenario: planner ledger OUT_DIR --scenario FILE"))])
