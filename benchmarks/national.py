"""A national-scale SYNTHETIC instance: 31 provinces × ~3,226 candidates a year (100,000 in all).

The ministry may want the same tool for 31 provinces. This module makes such a round from the
project's own generator (`planner.inputs.generate`) and the Jilin rules, so the engine can be measured
at that scale; every row is made up.

Candidates
    Province ``P01`` … ``P31`` (codes, not real provinces) gets its own roster of units
    (``make_roster(seed + p)``) and two draws of ``generate_candidates`` (the 2023 and 2024
    filings of that roster, both filed as 2023), sampled down to ``per_province`` rows. A column
    ``province`` is added; ``candidate_id`` and ``unit_id`` are prefixed with the province
    (``P07-C2023-00012``, ``P07-G003``) so they are unique nationally. ``locality`` keeps the
    catalogue's (Jilin's) values, which the catalogue requires: read it as "a locality of the
    province", the way every province has a capital and an industrial city.

Rules
    Every rule of the Jilin scenario, applied in each province separately: ``per`` gains
    ``"province"`` in front (``per = ["province", "locality"]``), a bound map keyed by group gets
    one key per province (``"P07|长春市" = 15``), a rule without ``per`` becomes one group per
    province, and ``complete = true`` (catalogue columns only) is replaced by naming every
    province × catalogue group in the bound map, which has the same effect. No lookahead
    (``forecast = "none"``): one year, 100,000 candidates. With ``funded=True`` the scenario's
    yearly funding pool (switch ``funding = "pool"``) holds in every province.

Binding pools (``binding=True``, issue 14)
    The structure that broke the decomposition: 2,400 candidates per province, each given an
    integer cost drawn uniformly from 50–600 万元 (seeded per province, replacing the generator's
    cost), and one funding pool per province (rule ``province-pool``: ``measure = "sum:cost"``,
    ``per = ["province"]``, ``scope = "year"``) of a fifth of what the quotas alone would spend —
    the cost of the greedy-by-score slate within the hard maxima (`solver.greedy_slate`), which
    fills the quotas as the unfunded optimum does (measured: within a few per cent of the
    unfunded optimum's cost). Provinces share no candidate, unit nor rule group, so the instance
    is 31 independent knapsacks over the Jilin quotas. ``provinces=6`` is the small variant.

    python -m benchmarks.national --out /tmp/national      # writes candidates.csv
    python -m benchmarks.national --out /tmp/b6 --binding --provinces 6   # the binding table, its pools, scenario.toml
    planner solve /tmp/b6/scenario.toml --out /tmp/b6/run               # the same instance end to end
    python -m benchmarks --only national-binding-6         # CP-SAT, HiGHS whole, HiGHS per component
"""
from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
BASE = REPO / "scenarios" / "jilin-2023.toml"
PROVINCES = 31
PER_PROVINCE = 3226          # 31 × 3,226 = 100,006 candidates
SEED = 2023
YEAR = 2023
BINDING_PER_PROVINCE = 2400  # 31 × 2,400 = 74,400 candidates
COST_RANGE = (50, 600)       # 万元, integers
POOL_SHARE = 0.2             # the pool: a fifth of what the quotas alone would spend


def province_codes(provinces: int = PROVINCES) -> list[str]:
    return [f"P{p:02d}" for p in range(1, provinces + 1)]


def national_frame(provinces: int = PROVINCES, per_province: int = PER_PROVINCE, seed: int = SEED) -> pd.DataFrame:
    """The candidates of every province (a validated candidate frame plus column ``province``)."""
    from planner.inputs.generate import generate_candidates
    from planner.inputs.synthetic_roster import make_roster

    parts = []
    for p, code in enumerate(province_codes(provinces), start=1):
        roster = make_roster(seed + p)
        draws = pd.concat([generate_candidates(YEAR, seed=seed + p, roster=roster),
                           generate_candidates(YEAR + 1, seed=seed + p, roster=roster)], ignore_index=True)
        rng = np.random.default_rng([seed, p])
        keep = np.sort(rng.choice(len(draws), size=min(per_province, len(draws)), replace=False))
        part = draws.iloc[keep].reset_index(drop=True)
        part["year"] = np.int64(YEAR)
        # 三(三) links: kept when they name a consortium of this province's table, with its prefix.
        link = part["consortium_id"].fillna("").astype(str)
        known = link.isin(set(part["candidate_id"].astype(str)))
        part["consortium_id"] = np.where(known, code + "-" + link, "")
        part["candidate_id"] = code + "-" + part["candidate_id"].astype(str)
        part["unit_id"] = code + "-" + part["unit_id"].astype(str)
        part.insert(1, "province", pd.Series([code] * len(part), dtype="str"))
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True)
    for column in ("candidate_id", "consortium_id", "province", "task", "track", "title", "unit_id", "unit_name", "unit_kind",
                   "tier", "locality", "level"):
        frame[column] = frame[column].astype("str")
    frame.attrs.update(source="<national synthetic>", first_data_row=2, skipped_rows=(), normalised=True)
    return frame


def _domains(per: list[str], fold: dict[str, str]) -> list[list[str]]:
    from planner.inputs import load_catalogue

    cat = load_catalogue()
    out = []
    for column in per:
        if column == "locality":
            out.append([loc for loc in cat.localities if loc not in fold])
        else:
            out.append(list(cat.codes(column) or []))
    return out


def _national_rule(rule: dict[str, Any], codes: list[str], fold: dict[str, str]) -> dict[str, Any]:
    """One Jilin rule applied in every province separately."""
    out = dict(rule)
    per = rule.get("per", [])
    per = [per] if isinstance(per, str) else list(per)
    out["per"] = ["province", *per]
    complete = bool(out.pop("complete", False))
    for bound in ("min", "max"):
        value = rule.get(bound)
        if value is None or isinstance(value, dict) and "switch" in value:
            continue
        if complete:
            # Every province × catalogue group is named, so it exists even without candidates.
            names = ["|".join(combo) for combo in itertools.product(*_domains(per, fold))]
            table = value if isinstance(value, dict) else {"*": value}
            default = table.get("*")
            out[bound] = {f"{code}|{name}": table.get(name, default) for code in codes for name in names
                          if table.get(name, default) is not None}
            if default is not None:
                out[bound]["*"] = default
        elif isinstance(value, dict):
            out[bound] = {(key if key == "*" else f"{code}|{key}"): v
                          for key, v in value.items() for code in (codes if key != "*" else codes[:1])}
    return out


def national_scenario(provinces: int = PROVINCES, *, funded: bool = False, base: str | Path = BASE):
    """The Jilin rules in every province, one year, no lookahead (see the module docstring)."""
    from planner.rules import parse_scenario

    return parse_scenario(national_data(provinces, funded=funded, base=base))


def national_data(provinces: int = PROVINCES, *, funded: bool = False, base: str | Path = BASE) -> dict[str, Any]:
    """The scenario of `national_scenario` as the data of a scenario file."""
    from planner.rules import load_scenario

    jilin = load_scenario(base)
    data = {k: v for k, v in dict(jilin.raw).items() if k not in ("_text", "candidates", "history")}
    codes = province_codes(provinces)
    fold = dict(jilin.fold)
    data["rule"] = [_national_rule(r, codes, fold) for r in data.get("rule", [])]
    data["name"] = f"全国{provinces}省（合成）" + ("含年度资金池" if funded else "")
    data["plan"] = {**dict(data.get("plan", {})), "forecast": "none"}
    data["plan"].pop("pools", None)
    # The provinces' rosters are drawn from the same catalogue of names, so one name stands for a
    # different unit in each province (its id carries the province): the national check of one id
    # per name does not apply across provinces.
    data["switches"] = {**dict(data.get("switches", {})), "unit_consistency": "off"}
    if funded:
        data["switches"] = {**dict(data.get("switches", {})), "funding": "pool"}
    return data


def binding_round(provinces: int = PROVINCES, per_province: int = BINDING_PER_PROVINCE, seed: int = SEED):
    """(frame, scenario) of the binding-pool instance (see the module docstring)."""
    from planner.rules import read_candidates
    from planner.rules.prepare import prepare
    from planner.solver import greedy_slate

    frame = national_frame(provinces, per_province, seed)
    cost = np.zeros(len(frame), np.int64)
    for p, code in enumerate(province_codes(provinces), start=1):
        rows = (frame["province"] == code).to_numpy()
        rng = np.random.default_rng([seed, p, 14])
        cost[rows] = rng.integers(COST_RANGE[0], COST_RANGE[1] + 1, int(rows.sum()))
    frame["cost"] = cost.astype(float)
    quotas = national_scenario(provinces)
    frame = read_candidates(quotas, frame)
    prepared = prepare(frame, quotas, None)
    selected, _ = greedy_slate(prepared.frame, quotas, locked=prepared.locked,
                               locked_national=prepared.locked_national)
    n = len(frame)
    spend = pd.Series(np.where(selected[:n], frame["cost"].to_numpy(), 0.0)).groupby(frame["province"]).sum()
    pools = {code: int(round(POOL_SHARE * spend.get(code, 0.0))) for code in province_codes(provinces)}
    scenario = national_scenario(provinces).with_rule(pool_rule(pools))
    return frame, scenario


def pool_rule(pools: dict[str, int]) -> dict[str, Any]:
    """The binding instance's rule: one yearly funding pool per province."""
    return {"id": "province-pool", "clause": "二(三)", "scope": "year", "measure": "sum:cost", "per": ["province"],
            "text": "每省年度资金池（万元；基准测试的选择：约为仅受名额约束时支出的五分之一）", "max": pools}


def write_scenario_file(path: Path, provinces: int, pools: dict[str, int], candidates: str) -> None:
    """The binding instance as a scenario file beside its table, for ``planner solve`` end to end."""
    import tomlkit

    def plain(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    data = plain(national_data(provinces))
    data.pop("_sources", None)
    data["rule"] = [*data["rule"], pool_rule(pools)]
    data["candidates"] = candidates
    path.write_text(tomlkit.dumps(data), encoding="utf-8")


def _toml_value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.national", description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder for candidates.csv")
    parser.add_argument("--provinces", type=int, default=PROVINCES)
    parser.add_argument("--per-province", type=int, default=PER_PROVINCE)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--binding", action="store_true", help="integer costs 50–600 and a binding pool per province")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.binding:
        frame, scenario = binding_round(args.provinces, args.per_province if args.per_province != PER_PROVINCE
                                        else BINDING_PER_PROVINCE, args.seed)
        pools = next(r for r in scenario.rules if r.id == "province-pool")
        groups = {str(k): int(v) for k, v in dict(pools.max.groups).items()}
        (out / "pools.json").write_text(json.dumps(groups, ensure_ascii=False, indent=1), "utf-8")
        write_scenario_file(out / "scenario.toml", args.provinces, groups, "candidates.csv")
    else:
        frame = national_frame(args.provinces, args.per_province, args.seed)
    frame.to_csv(out / "candidates.csv", index=False, encoding="utf-8-sig")
    print(f"wrote {out / 'candidates.csv'}: {len(frame)} candidates in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
