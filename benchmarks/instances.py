"""The benchmark instances: what each one is and how to load it, the same for every method.

An instance is one or more rounds, each (candidate frame, scenario); every method — the
project's CP-SAT solve, plain CP-SAT, HiGHS, greedy — gets exactly the same rounds, the same
rule objects and (except greedy) the same built model.

* ``jilin-2023`` — the bundled province-year as shipped (scenarios/jilin-2023.toml, with its
  lookahead over 2024–2025).
* ``jilin-2023-funded`` — the same year with the yearly funding pool, a knapsack
  (scenarios/jilin-2023-funded.toml; if that file is missing, jilin-2023 with switch
  ``funding = "pool"`` or, failing that, the rule added by `with_rule`, ``max`` = FALLBACK_POOL).
* ``jilin-2023-funded-lookahead`` — the funded year planned with the lookahead (three yearly
  pools over copies of the pool): a stress instance.
* ``national`` / ``national-funded`` — 31 provinces × 3,226 candidates (benchmarks/national.py).
* ``national-binding`` / ``national-binding-6`` — 31 (6) provinces × 2,400 candidates, integer
  costs 50–600 万元 and one pool per province at a fifth of the quotas' spend (issue 14), solved by
  CP-SAT, HiGHS on the whole model and HiGHS per component (``highs-comp``) side by side.
* ``mknap1``, ``mknap2``, ``gap`` (gap1–12), ``mknapcb1`` — OR-Library through the rule engine
  (planner/inputs/orlib.py, planner/rules/orlib_rounds.py), read from ../shared/benchmarks/orlib (or $PLANNER_ORLIB).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
FALLBACK_POOL = 60000.0      # 万元 a year: about two thirds of what the unfunded 2023 slate costs


@dataclass
class Round:
    """One round to solve: candidates, scenario, and the value it must reach (if known)."""

    name: str
    frame: object
    scenario: object
    reference: float | None = None
    reference_kind: str = ""       # "proven", "best known"
    lp_bound: float | None = None


@dataclass
class Instance:
    name: str
    description: str
    load: Callable[[], list[Round]]
    size: str = ""
    methods: tuple[str, ...] = ("cpsat", "highs", "greedy")
    repeats: int = 3
    time_limit_s: float = 120.0
    tags: set[str] = field(default_factory=set)
    # A worker still running after this is killed (HiGHS does not always stop at its time limit).
    worker_timeout_s: float = 900.0


def _jilin(path: Path, *, switch: str | None = None, plan: dict | None = None) -> Callable[[], list[Round]]:
    def load() -> list[Round]:
        from planner.rules import load_scenario, read_candidates

        scenario = load_scenario(path)
        if switch:
            scenario = _funded(scenario)
        if plan:
            scenario = scenario.with_plan(**plan)
        frame = read_candidates(scenario, None)
        return [Round(scenario.name, frame, scenario)]
    return load


def _funded(scenario):
    """The scenario with its yearly funding pool on (switch, else an added rule)."""
    if "funding" in scenario.switches:
        return scenario.with_switch("funding", "pool")
    return scenario.with_rule({"id": "funding-pool", "clause": "二(三)", "scope": "year", "measure": "sum:cost",
                               "text": "年度省级支持资金池（万元；基准测试的选择）", "max": FALLBACK_POOL})


def _funded_file() -> Callable[[], list[Round]]:
    path = SCENARIOS / "jilin-2023-funded.toml"
    if path.is_file():
        return _jilin(path)
    return _jilin(SCENARIOS / "jilin-2023.toml", switch="funding", plan={"forecast": "none"})


def _national(funded: bool) -> Callable[[], list[Round]]:
    def load() -> list[Round]:
        from benchmarks.national import national_frame, national_scenario
        from planner.rules import read_candidates

        scenario = national_scenario(funded=funded)
        frame = read_candidates(scenario, national_frame())
        return [Round(scenario.name, frame, scenario)]
    return load


def _binding(provinces: int) -> Callable[[], list[Round]]:
    def load() -> list[Round]:
        from benchmarks.national import binding_round

        frame, scenario = binding_round(provinces)
        return [Round(scenario.name, frame, scenario)]
    return load


def _orlib(sets: tuple[str, ...], first: int | None = None) -> Callable[[], list[Round]]:
    def load() -> list[Round]:
        from planner.inputs import orlib
        from planner.rules import orlib_rounds

        rounds = []
        for name in sets:
            for instance in orlib.load_set(name)[:first]:
                frame, scenario = orlib_rounds.as_round(instance)
                value, kind = orlib.reference_value(instance)
                rounds.append(Round(instance.name, frame, scenario, value, kind, getattr(instance, "lp_bound", None)))
        return rounds
    return load


GAP_SETS = tuple(f"gap{i}" for i in range(1, 13))

INSTANCES: dict[str, Instance] = {i.name: i for i in [
    Instance("jilin-2023", "bundled province-year as shipped (lookahead 2024–25)",
             _jilin(SCENARIOS / "jilin-2023.toml"), "1,792 candidates", tags={"quick", "jilin"}),
    Instance("jilin-2023-funded", "the same year with a yearly funding pool (sum:cost ≤ 60,000 万元)",
             _funded_file(), "1,792 candidates", methods=("cpsat", "cpsat-naive", "highs", "greedy"),
             tags={"quick", "jilin"}),
    Instance("jilin-2023-funded-lookahead", "funded, planned with the lookahead (3 pools, copies of the pool)",
             _jilin(SCENARIOS / "jilin-2023.toml", switch="funding"), "1,792 + 2×1,792 planned",
             repeats=1, time_limit_s=60.0, tags={"stress"}),
    Instance("national", "31 provinces × 3,226 synthetic candidates, Jilin rules per province",
             _national(False), "100,006 candidates", repeats=1, time_limit_s=120.0, tags={"national"},
             worker_timeout_s=600.0),
    Instance("national-funded", "the same with every province's yearly funding pool",
             _national(True), "100,006 candidates", repeats=1, time_limit_s=120.0, tags={"national"},
             worker_timeout_s=600.0),
    Instance("national-binding-6", "6 provinces × 2,400, integer costs 50–600, a binding pool per province",
             _binding(6), "14,400 candidates", methods=("cpsat", "highs", "highs-comp"), repeats=1,
             time_limit_s=120.0, tags={"national", "binding"}, worker_timeout_s=600.0),
    Instance("national-binding", "31 provinces × 2,400, integer costs 50–600, a binding pool per province",
             _binding(31), "74,400 candidates", methods=("cpsat", "highs", "highs-comp"), repeats=1,
             time_limit_s=300.0, tags={"national", "binding"}, worker_timeout_s=900.0),
    Instance("mknap1", "OR-Library mknap1 (Petersen), proven optima", _orlib(("mknap1",)), "7 × n 6–50",
             repeats=1, tags={"quick", "orlib"}),
    Instance("mknap2", "OR-Library mknap2 (SENTO, WEING, WEISH, PB, HP), proven optima", _orlib(("mknap2",)),
             "48 × n 20–105", repeats=1, tags={"orlib"}),
    Instance("gap1-12", "OR-Library gap1–12 (maximisation), proven optima", _orlib(GAP_SETS), "60 × m·n 75–600",
             repeats=1, tags={"orlib"}),
    Instance("mknapcb1", "OR-Library mknapcb1 (Chu–Beasley 5.100), best known and LP bound",
             _orlib(("mknapcb1",)), "30 × n 100, m 5", repeats=1, time_limit_s=300.0, tags={"orlib", "slow"},
             worker_timeout_s=3600.0),
    Instance("mknapcb1-quick", "mknapcb1 instances 00–02 (α = 0.25)", _orlib(("mknapcb1",), first=3),
             "3 × n 100, m 5", repeats=1, time_limit_s=300.0, tags={"quick-only"}),
]}
