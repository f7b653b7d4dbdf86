"""Score samples of a round and its candidates' flip margins, as tasks for the executors.

Owns what a worker needs to re-solve a round (`Case`, built once per worker process into a
`CaseState` holding its `Resolver`), the tasks the executors of `analysis.sweep` run — one
score sample (`run_sample`), the flip margins of a group of candidates (`run_flips`) — the flip
margin of a candidate from its counterfactual (`flip_margin`), and sample runs of one or more
rounds gathered into one tidy table with selection probabilities (`run_samples`, `SampleRuns`).

How a sample is solved (the speed of ``planner robust``/``planner sweep``): each worker process
builds the round's model once, with the pass mark lifted so that a sampled score may cross it;
a sample rewrites the objective coefficients, fixes candidates whose sampled score is below the
pass mark out, and solves the levels through the solver's door (`analysis.resolver`). A flip
margin re-solves only its candidate's independent part; the margins of one part run as one
task, so the part is set up once.

Does not own the score spread (`analysis.spread`), the re-solves (`analysis.resolver`), the
executors (`analysis.sweep`) nor the robustness report (`analysis.robust`).
"""
from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from planner.analysis.resolver import Outcome, Resolver
from planner.analysis.spread import Spread, panel_spread, sample_scores, score_spread
from planner.analysis.sweep import Job, Task, make_job, run_tasks
from planner.errors import InputError, PlannerError, Problem
from planner.lang import say
from planner.model import Model, Split, build_model
from planner.rounds.chain import scored_candidates
from planner.rules import Scenario, load_scenario, panels, read_round

log = logging.getLogger(__name__)

Z_95 = 1.959963984540054     # Wilson interval of a selection probability


@dataclass
class Case:
    """What a worker needs to re-solve one round (the payload of a sweep job)."""

    scenario: Scenario
    frame: pd.DataFrame              # prepared rows: this round's table, then locked history
    locked: np.ndarray
    locked_national: np.ndarray
    n_table: int                     # rows of this round's table (the first rows of `frame`)
    spread: Spread | None
    seed: int = 0
    time_limit_s: float = 60.0
    label: str = ""


@dataclass
class CaseState:
    """A worker's built model of one case, and the round at the scores as given."""

    case: Case
    resolver: Resolver
    score: np.ndarray                 # the table's scores as given

    @property
    def nominal(self) -> Outcome:
        try:
            return self.resolver.nominal(time_limit_s=self.case.time_limit_s, seed=self.case.seed)
        except PlannerError as exc:
            raise PlannerError(f"{self.case.label}: {exc}") from None


def build_case(case: Case) -> CaseState:
    """Build the worker state of a case: the round's model with the pass mark lifted.

    The pass mark is applied per solve instead (rows whose score is below it are fixed out),
    so a sample may carry a candidate across it.
    """
    relaxed = dataclasses.replace(case.scenario, pass_mark=None)
    model = build_model(case.frame, relaxed, locked=case.locked, locked_national=case.locked_national,
                        history_rows=np.arange(len(case.frame)) >= case.n_table)
    resolver = Resolver(model, pass_mark=case.scenario.pass_mark, n_table=case.n_table)
    return CaseState(case=case, resolver=resolver, score=resolver.score[:case.n_table].copy())


def run_sample(state: CaseState, sample: int) -> dict:
    """Task: solve sample `sample` of a case (0 = the scores as given).

    The round at the scores as given is solved first (once per worker): a sample differs from
    it in a few decisions, and its slate is the hint of every sample.
    """
    case = state.case
    n = case.n_table
    cpu = time.process_time()
    base = state.nominal.selected[:n]
    scores = None
    if sample:
        if case.spread is None:
            raise PlannerError(say("抽样需要评审分数的波动", "samples need a score spread"))
        scores = sample_scores(case.spread, state.score, case.seed, sample)
        outcome = state.resolver.solve(scores, time_limit_s=case.time_limit_s, seed=case.seed)
    else:
        outcome = state.nominal
    record: dict[str, Any] = {"case": case.label, "sample": int(sample), "status": outcome.status,
                              "solve_s": round(outcome.solve_s, 4), "cpu_s": round(time.process_time() - cpu, 4)}
    if outcome.selected is None:
        record.update(objective=math.nan, nominal_score=math.nan, n_selected=0, changed=0, selected=b"")
        return record
    chosen = outcome.selected[:n]
    record.update(objective=float(outcome.objective), nominal_score=float(state.score[chosen].sum()),
                  n_selected=int(chosen.sum()), changed=int((chosen != base).sum()),
                  selected=np.packbits(chosen).tobytes())
    return record


def run_flips(state: CaseState, rows: Sequence[int]) -> dict:
    """Task: the exact flip margins of some rows of the table (see `flip_margin`).

    Rows of one independent part of the model are best given together: the part is set up
    once for all of them (`flip_tasks` groups them so).
    """
    nominal = state.nominal
    forced = state.resolver.forced(rows, time_limit_s=state.case.time_limit_s, seed=state.case.seed)
    margins = []
    for row in rows:
        chosen = bool(nominal.selected[row])
        outcome = forced[int(row)]
        margin, kind = flip_margin(chosen, nominal, outcome, float(state.score[row]), state.resolver.pass_mark)
        margins.append({"row": int(row), "selected": chosen, "forced_status": outcome.status, "flip_margin": margin,
                        "margin_kind": kind,
                        "forced_objective": math.nan if outcome.objective is None else float(outcome.objective)})
    return {"case": state.case.label, "flips": margins}


def flip_tasks(job: Job, model: Model, rows: Sequence[int], workers: int) -> list[Task]:
    """`run_flips` tasks for `rows` of `model`: one per independent part, large parts in pieces.

    `model` is the round's model with its pass mark (rows below it have no variable there and
    go together). A part's pieces are sized so that the work — its rows × its size — spreads
    over about `workers` processes; every piece sets its part up once. Largest first.
    """
    split = Split.of(model.cp.proto)
    by_part: dict[int, list[int]] = {}
    for row in rows:
        var = model.select[int(row)]
        by_part.setdefault(-1 if var is None else int(split.part[var.index]), []).append(int(row))
    total = sum(len(r) ** 2 for r in by_part.values()) or 1
    tasks = []
    for part in sorted(by_part, key=lambda p: (-len(by_part[p]), p)):
        members = by_part[part]
        pieces = max(1, min(len(members), math.ceil(len(members) ** 2 * max(1, workers) / total)))
        step = math.ceil(len(members) / pieces)
        tasks += [Task(job, "planner.analysis.sampling:run_flips", tuple(members[k:k + step]))
                  for k in range(0, len(members), step)]
    return tasks


MARGIN_KINDS = ("tie", "pass_mark", "never", "unknown")


def flip_margin(selected: bool, nominal: Outcome, forced: Outcome, score: float,
                pass_mark: float | None) -> tuple[float, str]:
    """How far a candidate's score must move to change its decision, from one counterfactual.

    Only the candidate's own score moves (its forecast copies in a lookahead keep theirs), so
    every slate containing it gains or loses exactly the move and every other slate stays as
    it is. With ``z*`` the optimum of the first objective level (`counterfactual`'s
    ``delta_objective`` is the change of the same level):

    * a **selected** candidate keeps its place while ``z* − δ > z_out``, ``z_out`` the optimum
      with it forced out: its margin is the objective loss of forcing it out, ``z* − z_out``
      (``−delta_objective`` of ``counterfactual(result, id, force="out")``) — or
      ``score − pass_mark`` if that is smaller (below the pass mark it cannot be selected);
    * a **rejected** candidate enters once ``z_in + δ > z*``, ``z_in`` the optimum with it
      forced in: its margin is the loss of forcing it in, ``z* − z_in``
      (``−delta_objective`` of ``force="in"``) — or ``pass_mark − score`` if that is larger.

    So a move strictly smaller than the margin never changes the decision and a move strictly
    larger always does. At exactly the margin (kind ``"tie"``) two slates are level on score
    and the scenario's tie-break decides; a margin set by the pass mark (kind ``"pass_mark"``)
    is crossed at exactly the margin by a rejected candidate (it becomes selectable and wins),
    and only beyond it by a selected one (at the pass mark it is still selectable). If forcing
    is infeasible (kind ``"never"``) no move of the score changes the decision: the margin is
    infinite.

    Returns
    -------
    (margin, kind) : (float, str)
        Margin in score points (NaN, kind ``"unknown"``, when the counterfactual was not
        solved to optimality) and one of `MARGIN_KINDS`.
    """
    if forced.status == "INFEASIBLE":
        competition: Fraction | float = math.inf
    elif forced.status != "OPTIMAL" or nominal.objective is None or forced.objective is None:
        return math.nan, "unknown"
    else:
        competition = nominal.objective - forced.objective
    kind = "never" if competition == math.inf else "tie"
    if pass_mark is None:
        return float(competition), kind
    if selected:
        headroom = Fraction(str(score)) - Fraction(str(pass_mark))
        return (float(headroom), "pass_mark") if headroom < competition else (float(competition), kind)
    gap = Fraction(str(pass_mark)) - Fraction(str(score))
    return (float(gap), "pass_mark") if gap > competition else (float(competition), kind)


# --- many samples, many scenarios -------------------------------------------------------------


@dataclass
class SampleRuns:
    """Sample solves of one or more rounds, gathered.

    Attributes
    ----------
    runs : DataFrame
        The tidy table, one row per (case, sample): case, sample (0 = scores as given), status,
        objective (points, at the sample's scores), nominal_score (the sampled slate's total at
        the scores as given), n_selected, changed (decisions differing from sample 0), solve_s,
        worker.
    selections : dict of str to ndarray of bool, shape (samples + 1, rows)
        Per case, the provincial decision of every row of its candidate table in each sample.
    cases : dict of str to Case
    """

    runs: pd.DataFrame
    selections: dict[str, np.ndarray]
    cases: dict[str, Case]
    wall_s: float = 0.0
    solved: dict[str, np.ndarray] = field(default_factory=dict)

    def probability(self, label: str) -> tuple[np.ndarray, int]:
        """Selection probability of every row over the solved samples ≥ 1, and how many there were."""
        matrix = self.selections[label]
        ok = self.solved.get(label, np.ones(len(matrix), bool)).copy()
        ok[0] = False
        n = int(ok.sum())
        return (matrix[ok].mean(axis=0) if n else np.full(matrix.shape[1], np.nan)), n

    def probabilities(self) -> pd.DataFrame:
        """One row per (case, candidate): nominal decision and selection probability over samples ≥ 1."""
        parts = []
        for label, matrix in self.selections.items():
            case = self.cases[label]
            table = case.frame.iloc[:case.n_table]
            p, n = self.probability(label)
            lo, hi = wilson(p, n)
            parts.append(pd.DataFrame({
                "case": pd.Series([label] * case.n_table, dtype="string"),
                "candidate_id": table["candidate_id"].astype("string").to_numpy(),
                "selected": matrix[0].astype(np.int8),
                "samples": np.full(case.n_table, n, dtype=np.int64),
                "probability": p, "probability_low": lo, "probability_high": hi}))
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def make_case(scenario: Scenario | str | Path, *, candidates: pd.DataFrame | str | Path | None = None,
              score_sd: float | None = None, sd_column: str = "score_sd", reviewers: Sequence[str] = (),
              seed: int = 0, time_limit_s: float = 60.0, need_spread: bool = True, label: str | None = None,
              lookahead: bool = True, scores: str | Path | Sequence[str | Path] | None = None) -> Case:
    """Read and prepare a round (as `planner.solve` does) and its score spread, for sample solves.

    ``lookahead=False`` solves the round on its own (`without_lookahead`). `scores`: expert score
    sheets — the scores made from the panels by ``[scoring]``, each sample drawing every panel
    again (`spread.panel_spread`).

    Raises
    ------
    InputError, PolicyError
        Bad table or scenario, or no score spread when `need_spread`.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if not lookahead:
        scenario = without_lookahead(scenario)
    panel = None
    if scores is not None:
        candidates, _, sheet = scored_candidates(scenario, candidates, scores)
        panel = panel_spread(panels(sheet, candidates, scenario.scoring), scenario.scoring)
    frame, history, prepared = read_round(scenario, candidates)
    spread = panel
    if panel is None and (need_spread or score_sd is not None or reviewers or sd_column in frame.columns):
        spread = score_spread(frame, score_column=scenario.maximise, score_sd=score_sd, sd_column=sd_column,
                              reviewers=reviewers)
    return Case(scenario=scenario, frame=prepared.frame, locked=prepared.locked,
                locked_national=prepared.locked_national, n_table=len(frame), spread=spread, seed=seed,
                time_limit_s=time_limit_s, label=label or scenario.label)


def without_lookahead(scenario: Scenario) -> Scenario:
    """The scenario with its lookahead (`[plan] forecast`) switched off: the round on its own.

    A lookahead solves this round together with forecast copies of later years' pools; that
    makes a solve several times slower (measured on the 2023 round: about 1.4 s a sample
    instead of 0.05 s), so large sample sweeps may choose to leave it out. The slate can then
    differ from the lookahead's: say which one a report is about.
    """
    plan = getattr(scenario, "plan", None)
    if plan is None or getattr(plan, "forecast", "none") == "none":
        return scenario
    return scenario.with_plan(forecast="none")


def sample_tasks(case: Case, samples: int, job: Job | None = None) -> list[Task]:
    """Tasks solving samples 0..`samples` of a case (0 = the scores as given)."""
    job = job or make_job(build_case, case)
    return [Task(job, "planner.analysis.sampling:run_sample", s) for s in range(samples + 1)]


def run_samples(cases: Sequence[Case], samples: int, *, executor: str = "process", workers: int | None = None,
                address: str | None = None, client: Any = None, progress: bool | None = None,
                chunk_size: int | None = None, verbose: bool = False) -> SampleRuns:
    """Solve `samples` score samples (plus the scores as given) of every case on an executor.

    Parameters
    ----------
    cases : sequence of Case
        From `make_case`; labels must differ.
    samples : int
        Samples per case (≥ 0); sample ``s`` of a case always draws the same scores.
    executor, workers, address, client, progress, chunk_size, verbose
        See `sweep.run_tasks`.
    """
    labels = [c.label for c in cases]
    if len(set(labels)) != len(labels):
        raise InputError([Problem("sweep", say(f"两个同名的评审轮次 {l!r}", f"two rounds named {l!r}"),
                                  say("各不相同的情景名称", "distinct scenario names"))
                          for l in sorted({l for l in labels if labels.count(l) > 1})])
    if samples < 0:
        raise InputError([Problem("options", f"samples = {samples}", say("0 个或更多样本", "0 or more samples"))])
    start = time.perf_counter()
    tasks = [t for case in cases for t in sample_tasks(case, samples)]
    records = run_tasks(tasks, executor=executor, workers=workers, address=address, client=client,
                        progress=progress, chunk_size=chunk_size, description="评分抽样", verbose=verbose)
    return gather_samples(records, {c.label: c for c in cases}, time.perf_counter() - start)


RUN_COLUMNS = ["case", "sample", "status", "objective", "nominal_score", "n_selected", "changed", "solve_s", "cpu_s",
               "worker"]


def gather_samples(records: list[dict], cases: dict[str, Case], wall_s: float) -> SampleRuns:
    selections: dict[str, np.ndarray] = {}
    solved: dict[str, np.ndarray] = {}
    by_case: dict[str, list[dict]] = {}
    for r in records:
        by_case.setdefault(r["case"], []).append(r)
    for label, rows in by_case.items():
        n = cases[label].n_table
        rows = sorted(rows, key=lambda r: r["sample"])
        width = (n + 7) // 8
        packed = np.frombuffer(b"".join(r["selected"] or bytes(width) for r in rows), dtype=np.uint8)
        matrix = np.unpackbits(packed.reshape(len(rows), width), axis=1, count=n).astype(bool)
        failed = [r["sample"] for r in rows if not r["selected"]]
        if failed:
            first = next(r for r in rows if not r["selected"])
            why = {"INFEASIBLE": say("按这些分数没有名单能满足全部硬性规则", "no slate meets the hard rules at those scores"),
                   "UNKNOWN": say("单个样本的时限内没有找到名单", "no slate found within the time limit of a sample")
                   }.get(first["status"], first["status"])
            log.warning(say(f"{label}：{len(failed)} 个评分样本没有名单（例如样本 {first['sample']}：{why}），不计入入选概率",
                            f"{label}: {len(failed)} score samples have no slate (e.g. sample {first['sample']}: {why}); "
                            "they are left out of the probabilities"))
        selections[label] = matrix
        solved[label] = np.array([bool(r["selected"]) for r in rows])
    runs = pd.DataFrame([{k: r[k] for k in RUN_COLUMNS} for r in records], columns=RUN_COLUMNS)
    runs = runs.astype({"case": "string", "status": "string", "worker": "string", "sample": np.int64,
                        "n_selected": np.int64, "changed": np.int64, "objective": float,
                        "nominal_score": float, "solve_s": float, "cpu_s": float})
    runs = runs.sort_values(["case", "sample"], kind="stable").reset_index(drop=True)
    return SampleRuns(runs=runs, selections=selections, cases=cases, wall_s=wall_s, solved=solved)


def wilson(p: np.ndarray, n: int, z: float = Z_95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of proportions `p` observed in `n` trials (NaN when n = 0)."""
    p = np.asarray(p, dtype=float)
    if n <= 0:
        return np.full(p.shape, np.nan), np.full(p.shape, np.nan)
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
