"""What-if sessions: change a scenario, re-solve fast, keep every earlier result as it was.

Owns `Session`, which keeps the built CP-SAT models of a round so that a planner in a notebook
can change one quota and re-solve in a fraction of a second: a change of rule bounds only is
written into the kept model's constraints in place (`api.kept_model`) and re-solved warm — only
the components of the model the change reaches are solved again, every other keeps the slate of
the last solve (or of an earlier one at the same bounds: `solver.warm`) — and its audit,
explanations and ledger are the last result's but for the rules and rows the change reaches
(`rounds.finish.Reuse`). An infeasible bound change is diagnosed on those components alone
(minimal conflict and relaxation advice, `explain`). Any other change (a fold, a pin, another
candidate table, a switch, a rule added or removed) rebuilds the model, still starting from the
previous slate. Every result goes through `rounds.finish.finish`, so it is audited and explained
exactly like `planner.solve`, and equals a cold solve of the same scenario.

Also owns the scenario changes `policy.Scenario` has no method for: `with_default_scope`
(read every quota per period or per year), `for_year` (the same rules for another round) and
`without_units` (a candidate table without some units' filings).

Does not own building, solving, auditing or explaining (`model`, `solver`, `audit`, `explain`
through `api`), nor reading scenario files (`policy`).
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from planner.errors import InfeasibleError, InputError, PolicyError, Problem
from planner.explain import assumptions_on, infeasible_error
from planner.inputs import suggest
from planner.lang import say
from planner.model import Model, build_model
from planner.rounds import Result
from planner.rounds.finish import Reuse, finish
from planner.rules import (
    Edit,
    Prepared,
    Scenario,
    check_columns,
    check_years,
    group_bounds,
    load_scenario,
    read_candidates,
    read_history,
)
from planner.rules.prepare import prepare
from planner.api.kept_model import (
    domain_of,
    limit_of,
    match_constraints,
    result_copy,
    scaled,
    shape_of,
    solve_kept,
)
from planner.solver import Solution, reached_constraints

log = logging.getLogger(__name__)

#: Settings of a re-solve after a bound change, over the session's own. The re-solve goes
#: through `solver.solve_model` (components, LP fixing, one CP-SAT worker per core model), which
#: reads only ``num_workers``: the threads that solve components side by side. None by default,
#: so a re-solve uses the session's `workers` (0 = every core). A warm re-solve mostly solves
#: one component, so the thread count hardly matters (benchmarks/bench_whatif.py measures it).
#: The optimum does not depend on it: the tie-break makes the optimal slate unique.
RESOLVE_PARAMETERS: Mapping[str, Any] = MappingProxyType({})

KEEP_MODELS = 4          # built models a session keeps (most recently used)
KEEP_RESULTS = 16        # results a session can hand back again for an identical scenario
KEEP_WARM = 8            # solved states of a kept model whose components a re-solve may take back
_UNNAMED = "\x00unnamed"  # a group key no bound map can name: "every group not named"


# --- scenario changes policy.Scenario has no method for ------------------------------------------

def with_default_scope(scenario: Scenario, scope: str, *, note: str = "") -> Scenario:
    """The scenario with every quota read per period (``"period"``) or per year (``"year"``).

    This is the `[defaults] scope` switch of a scenario file (二(二): quotas for the whole
    2023–2025 period, or for each year): `Scenario.with_default_scope`, recorded as an edit.
    Rules whose file entry sets its own ``scope`` (the "by 2025" targets, the national
    splits) and rules added in Python keep theirs.

    Raises
    ------
    PolicyError
        `scope` is neither "period" nor "year".
    """
    return scenario.with_default_scope(scope, note=note)


def for_year(scenario: Scenario, year: int, *, candidates: str | Path | None = None,
             history: tuple[str | Path, ...] | list[str | Path] | None = None, name: str | None = None) -> Scenario:
    """The same rules for another round of the period, e.g. 2024 after a solved 2023.

    Parameters
    ----------
    year : int
        The round's year; must lie in the scenario's period.
    candidates : path, optional
        The round's candidate table (default: the scenario's).
    history : paths, optional
        Slates of earlier rounds (``slate.csv`` of `planner.save`), locked and counted by
        period quotas (default: the scenario's).
    name : str, optional
        The round's name (default: the scenario's).

    Pins (`force_in`/`force_out`) name candidates of one round and are dropped. Every change
    is recorded in ``scenario.edits``.
    """
    first, last = scenario.years
    if not first <= int(year) <= last:
        raise PolicyError([Problem(scenario.label, say(f"年度 {year}", f"year {year}"),
                                   say(f"{first}–{last} 之间的年度（本周期）", f"a year in {first}–{last} (the period)"),
                                   column="year")])
    out = scenario.with_year(int(year)) if int(year) != scenario.year else scenario
    if name is not None and name != scenario.name:
        out = out.with_name(name)
    if out.force_in or out.force_out:
        out = out.pinned(replace=True)
    if candidates is not None and Path(candidates) != scenario.candidates:
        out = out.with_candidates(candidates)
    if history is not None and tuple(Path(p) for p in history) != scenario.history:
        out = out.with_history(*history)
    return out


def without_units(candidates: pd.DataFrame, *units: str, note: str = "") -> pd.DataFrame:
    """The candidate table without the filings of some units (a school, a government, …).

    Parameters
    ----------
    candidates : DataFrame
        A candidate table with columns unit_id and unit_name (e.g. `Session.candidates`).
    *units : str
        Unit ids (``"H008"``) or unit names (``"吉林化工职业学院"``).

    note : str
        Why (recorded with the edit).

    Returns
    -------
    DataFrame
        A copy without those rows, with a fresh RangeIndex. Pass it to `Session.solve` or
        `planner.solve` as ``candidates=``. Its ``attrs["edits"]`` records the change (an
        `Edit` of kind ``"units"``): the result's ``summary["edits"]`` lists it after the
        scenario's edits, and `planner solve --verify` withdraws the same units again from the
        recorded table.

    Raises
    ------
    InputError
        A unit matches no row (with the nearest name).
    """
    ids = candidates["unit_id"].astype(str)
    names = candidates["unit_name"].astype(str)
    problems = []
    drop = np.zeros(len(candidates), bool)
    for unit in units:
        hit = ((ids == str(unit)) | (names == str(unit))).to_numpy()
        if not hit.any():
            options = sorted(set(ids) | set(names))
            problems.append(Problem(candidates.attrs.get("source", "candidates"), say(f"单位“{unit}”", f'unit "{unit}"'),
                                    say("候选表中的单位编号（unit_id）或单位名称（unit_name）",
                                        "a unit_id or unit_name of the candidate table"), column="unit",
                                    hint=suggest(str(unit), options)))
        drop |= hit
    if problems:
        raise InputError(problems)
    out = candidates[~drop].reset_index(drop=True)
    out.attrs = {**candidates.attrs, "edits": (*candidates.attrs.get("edits", ()),
                                               Edit("units", old=_table_source(candidates), new=[str(u) for u in units],
                                                    note=note))}
    log.info("dropped %d filing(s) of %s", int(drop.sum()), ", ".join(map(str, units)))
    return out


def _table_source(candidates: pd.DataFrame) -> str | None:
    """The file a table was read from (None for a table built in memory): `--verify` re-reads it."""
    source = candidates.attrs.get("source")
    return str(source) if isinstance(source, str) and Path(source).is_file() else None


# --- the session ---------------------------------------------------------------------------------

@dataclass
class _Round:
    """One built model a session keeps, and what it stands for now."""

    shape: Scenario                 # the scenario without its bounds: what the model's structure depends on
    table: str                      # key of the candidate table
    scenario: Scenario              # the scenario the model encodes now, bounds included
    frame: pd.DataFrame
    history: pd.DataFrame | None
    prepared: Prepared
    model: Model
    solution: Solution | None = None
    proto_index: list[int] | None = None   # proto constraint of each model.constraints entry
    offsets: list[int] | None = None       # constant part of each constraint's expression
    matched: bool = False                  # proto_index was looked for (None then = not editable)
    pending: set[int] = dataclasses.field(default_factory=set)   # proto constraints edited since `solution`
    earlier: list[Any] = dataclasses.field(default_factory=list)  # warm states of earlier solves, latest first
    reuse: Reuse = dataclasses.field(default_factory=Reuse)       # the last result, for the next finish


class Session:
    """A planner's what-if session on one round: solve, change, re-solve fast, compare.

    Parameters
    ----------
    scenario : Scenario or path to a scenario TOML file
        The base of the session (`Session.scenario`); change it with its ``with_*`` methods.
    candidates : DataFrame or path, optional
        Replaces the scenario's candidate table.
    time_limit_s, seed, workers
        CP-SAT settings of every solve (see `planner.solve`).
    resolve_parameters : mapping, optional
        Settings of an in-place re-solve (default `RESOLVE_PARAMETERS`); ``num_workers`` is
        read, as the thread count of that re-solve.

    Examples
    --------
    >>> s = Session("scenarios/jilin-2023.toml")                        # doctest: +SKIP
    >>> base = s.solve()
    >>> more = s.solve(s.scenario.with_bound("pc-school-locality", "max", 20, group="长春市"))
    >>> more.summary["whatif"]["mode"]      # "bounds": edited in place, re-solved from base's slate
    """

    def __init__(self, scenario: Scenario | str | Path, *, candidates: pd.DataFrame | str | Path | None = None,
                 time_limit_s: float = 60.0, seed: int = 0, workers: int = 0,
                 resolve_parameters: Mapping[str, Any] | None = None):
        self.scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self.time_limit_s, self.seed, self.workers = float(time_limit_s), int(seed), int(workers)
        self.resolve_parameters = MappingProxyType(dict(RESOLVE_PARAMETERS if resolve_parameters is None
                                                        else resolve_parameters))
        self._candidates = candidates
        self._rounds: list[_Round] = []                     # most recently used last
        self._tables: dict[str, pd.DataFrame] = {}
        self._results: list[tuple[Scenario, str, Result]] = []
        self._last: Result | None = None
        self._log: list[dict[str, Any]] = []
        self._why = ""

    def __repr__(self) -> str:
        return f"Session({self.scenario.label!r}, {len(self._log)} solve(s), {len(self._rounds)} model(s) kept)"

    # --- what a planner reads ----------------------------------------------------------------
    @property
    def candidates(self) -> pd.DataFrame:
        """The base candidate table, validated (a copy: filter it, then pass it to `solve`)."""
        return self._table(self.scenario, None)[1].copy()

    @property
    def last(self) -> Result | None:
        """The most recent result of the session."""
        return self._last

    @property
    def log(self) -> pd.DataFrame:
        """One row per solve: name, mode (cold/rebuild/bounds/again), edited, timings in seconds.

        ``resolve_s`` is the change plus the solver (model edit or build, CP-SAT);
        ``total_s`` adds reading, the audit and the explanations.
        """
        return pd.DataFrame(self._log, columns=["name", "mode", "edited", "status", "objective", "resolve_s",
                                                "finish_s", "total_s"])

    def forget_results(self) -> None:
        """Forget the results handed out so far (an identical scenario is then solved again);
        the built models are kept, so the next solve still starts from them."""
        self._results.clear()

    # --- solving -----------------------------------------------------------------------------
    def solve(self, scenario: Scenario | str | Path | None = None, *,
              candidates: pd.DataFrame | str | Path | None = None) -> Result:
        """Solve the base scenario, or a changed one, re-using what the session has built.

        Parameters
        ----------
        scenario : Scenario or path, optional
            Default: the session's base scenario.
        candidates : DataFrame or path, optional
            Replaces the candidate table (e.g. `without_units(session.candidates, …)`); a
            DataFrame needs the columns of a candidate file and is validated like one.

        Returns
        -------
        Result
            As `planner.solve`, with ``summary["whatif"]``: ``mode`` (``"cold"`` first build,
            ``"rebuild"`` after a structural change, ``"bounds"`` edited in place, ``"again"``
            the same scenario solved before), ``edited`` (constraints changed in place),
            ``rebuilt_because``, ``resolve_s`` (the change and the solver, wall-clock),
            ``resolve_cpu_s`` (the same in CPU seconds of this process, every solver thread
            included), ``total_s``, ``finish_cpu_s`` (CPU seconds of the audit, the
            explanations, the ledger and the summary) and ``checked`` (the rules and rows
            worked out again; ``whole`` 1 when all were). Only the components of the model the
            change reaches are solved again, and only the rules and rows it reaches are audited
            and explained again: the result is the one a cold `planner.solve` gives.

        Raises
        ------
        InputError, PolicyError, InfeasibleError, NoSolutionError, AuditError
            As `planner.solve`. After an infeasible change the session stays usable.
        """
        start, cpu = time.perf_counter(), time.process_time()
        if scenario is None:
            scenario = self.scenario
        elif not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario)
        table, frame = self._table(scenario, candidates)

        for known, key, result in self._results:
            if key == table and known == scenario and known.edits == scenario.edits:
                self._note(scenario, result, "again", 0, time.perf_counter() - start, 0.0, start)
                self._last = result
                return result

        shape = shape_of(scenario)
        found = next((r for r in reversed(self._rounds) if r.table == table and r.shape == shape), None)
        if found is None:
            self._why = (say("换了一张候选表", "another candidate table") if not any(r.table == table for r in self._rounds)
                         else say("改动超出界限（合并市州、固定入选、开关、增删规则、口径、年度……）",
                                  "a change beyond bounds (fold, pin, switch, rule added or removed, scope, year, …)"))
        edited = self._edit_bounds(found, scenario) if found is not None else None
        warm = changed = None
        if edited is not None:
            rnd, mode = found, "bounds"
            warm = getattr(rnd.solution, "warm", None)
            if warm is None:
                self._set_hint(rnd)
            changed = sorted(rnd.pending)
            parameters = self.resolve_parameters
            hint = None
        else:
            check_years(frame, scenario)
            check_columns(scenario, list(frame.columns))
            history = read_history(scenario)
            prepared = prepare(frame, scenario, history)
            model = build_model(prepared.frame, scenario, locked=prepared.locked,
                                locked_national=prepared.locked_national, history_rows=prepared.history_rows)
            rnd = _Round(shape=shape, table=table, scenario=scenario, frame=frame, history=history,
                         prepared=prepared, model=model)
            mode = "cold" if not self._rounds and self._last is None else "rebuild"
            edited, parameters = 0, None
            hint = self._hint_by_id(model)
            if found is not None:
                self._rounds.remove(found)
            self._rounds.append(rnd)
            del self._rounds[:-KEEP_MODELS]
        if rnd is not self._rounds[-1]:
            self._rounds.remove(rnd)
            self._rounds.append(rnd)

        try:
            solution = solve_kept(rnd.model, time_limit_s=self.time_limit_s, seed=self.seed, workers=self.workers,
                              hint=hint, parameters=parameters, warm=warm, changed=changed, earlier=rnd.earlier)
        except InfeasibleError as error:
            diagnosed = self._diagnosed(rnd, scenario) if mode == "bounds" else None
            if diagnosed is None:
                raise
            raise diagnosed from error
        rnd.solution = solution
        rnd.pending.clear()
        if solution.warm is not None:
            rnd.earlier = [solution.warm, *(w for w in rnd.earlier if w is not solution.warm)][:KEEP_WARM]
        resolve_s, resolve_cpu_s = time.perf_counter() - start, time.process_time() - cpu
        snapshot = result_copy(rnd.model, scenario)
        if mode == "bounds":
            snapshot.build_s = 0.0
        t_finish = time.perf_counter()
        result = finish(scenario, frame, rnd.history, rnd.prepared, snapshot, solution, seed=self.seed,
                        workers=self.workers, time_limit_s=self.time_limit_s, reuse=rnd.reuse)
        finish_s = time.perf_counter() - t_finish
        self._note(scenario, result, mode, edited, resolve_s, finish_s, start, resolve_cpu_s, rnd.reuse.report)
        self._results.append((scenario, table, result))
        del self._results[:-KEEP_RESULTS]
        self._last = result
        return result

    # --- the candidate table -----------------------------------------------------------------
    def _table(self, scenario: Scenario, candidates: pd.DataFrame | str | Path | None) -> tuple[str, pd.DataFrame]:
        """(key, validated frame) of the table a solve uses; files are read once."""
        if candidates is None:
            same_table = scenario.candidates == self.scenario.candidates
            candidates = self._candidates if same_table and self._candidates is not None \
                else scenario.candidates
        if isinstance(candidates, pd.DataFrame):
            digest = hashlib.sha256(pd.util.hash_pandas_object(candidates, index=False).to_numpy().tobytes())
            digest.update("\x1f".join(map(str, candidates.columns)).encode("utf-8"))
            key = "frame:" + digest.hexdigest()
        elif candidates is None:
            key = "none"
        else:
            key = "file:" + str(Path(candidates).resolve())
        if key not in self._tables:
            self._tables[key] = read_candidates(scenario, candidates)
        return key, self._tables[key]

    # --- in-place bound changes --------------------------------------------------------------
    def _edit_bounds(self, rnd: _Round, scenario: Scenario) -> int | None:
        """Write the new bounds into the kept model; the number of constraints changed, or None
        when the change needs a rebuild: a bound appears or disappears for some group (the
        model would need other constraints), a soft bound changes (its slack's room enters the
        objective's integer scaling and so the tie-break: a rebuild keeps the slate exactly the
        one a fresh solve gives), or the model is not laid out as its rules say.

        Every constraint of a changed rule is re-bounded, whatever year it counts (this round,
        the period with the lookahead's planned years, a later year's reachability): its limit
        is the rule's bound for its group in the year it judges (`Constraint.year`).
        """
        old_rules = {r.id: r for r in rnd.scenario.rules}
        changed = [r for r in scenario.rules if (r.min, r.max) != (old_rules[r.id].min, old_rules[r.id].max)]
        model = rnd.model
        if not changed:
            model.scenario = rnd.scenario = scenario
            return 0
        if model.assumptions:
            return self._cannot(say("模型带有假设变量", "the model carries assumptions"))
        if not self._index(rnd):
            return self._cannot(say("模型的约束排列与预期不同", "the model's constraints are not laid out as expected"))
        for rule in changed:
            old = old_rules[rule.id]
            for bound in ("min", "max"):
                before, after = getattr(old, bound), getattr(rule, bound)
                keys = {_UNNAMED, *(before.groups if before else {}), *(after.groups if after else {})}
                if any((limit_of(before, key) is None) != (limit_of(after, key) is None) for key in keys):
                    return self._cannot(say(f"规则[{rule.id}]的{bound}在某个分组出现或消失",
                                            f'a {bound} of rule "{rule.id}" appears or disappears for some group'))
        edits: list[tuple[int, float]] = []
        new_rules = {r.id: r for r in changed}
        touched = [pos for pos, c in enumerate(model.constraints) if c.group.rule.id in new_rules]
        for pos in touched:
            c = model.constraints[pos]
            year = c.year if getattr(c, "year", None) is not None else rnd.scenario.year
            side = 0 if c.bound == "min" else 1
            if c.limit != group_bounds(old_rules[c.group.rule.id], c.group.key, year)[side]:
                return self._cannot(say(f"约束 {c.group.rule.id}|{c.group.key}|{c.bound} 与其规则不符",
                                        f"constraint {c.group.rule.id}|{c.group.key}|{c.bound} is not as its rule says"))
            limit = group_bounds(new_rules[c.group.rule.id], c.group.key, year)[side]
            if limit is None:
                return self._cannot(say(f"约束 {c.group.rule.id}|{c.group.key}|{c.bound} 将失去界限",
                                        f"constraint {c.group.rule.id}|{c.group.key}|{c.bound} would lose its bound"))
            if limit != c.limit:
                edits.append((pos, limit))
        domains = []
        for pos, limit in edits:
            c = model.constraints[pos]
            if c.slack is not None:     # its room and penalty are part of the objective's integer scaling
                return self._cannot(say(f"软界限 {c.group.rule.id}|{c.group.key}|{c.bound} 改变了",
                                        f"soft bound {c.group.rule.id}|{c.group.key}|{c.bound} changed"))
            domains.append(domain_of(scaled(limit, c.scale, c.bound) - rnd.offsets[pos], c.bound))
        proto = model.cp.proto
        for (pos, _), domain in zip(edits, domains):
            linear = proto.constraints[rnd.proto_index[pos]].linear
            linear.domain.clear()
            linear.domain.extend(domain)
            rnd.pending.add(rnd.proto_index[pos])
        limits = dict(edits)
        for pos in touched:
            c = model.constraints[pos]
            year = c.year if getattr(c, "year", None) is not None else scenario.year
            lo, hi = group_bounds(new_rules[c.group.rule.id], c.group.key, year)
            group = dataclasses.replace(c.group, rule=new_rules[c.group.rule.id], min=lo, max=hi)
            model.constraints[pos] = dataclasses.replace(c, group=group, limit=limits.get(pos, c.limit))
        model.scenario = rnd.scenario = scenario
        log.info("%d constraint(s) of %s changed in place", len(edits), ", ".join(new_rules))
        return len(edits)

    def _diagnosed(self, rnd: _Round, scenario: Scenario) -> InfeasibleError | None:
        """An infeasible bound change diagnosed on the part of the kept model it reaches.

        Every component the change does not reach still has the slate of the last solve, so a
        minimal conflict and the cheapest relaxation lie in the components it reaches: the
        conflict search and the relaxation advice (`explain.infeasible_error`) run on those
        alone, with assumption literals added to the kept model's constraints (no build).
        None when that cannot be done (no optimal solve to start from, pins): the caller
        then diagnoses the whole round.
        """
        warm = getattr(rnd.solution, "warm", None)
        if warm is None or not self._index(rnd):
            return None
        keep = reached_constraints(warm, rnd.model, sorted(rnd.pending))
        built = None if keep is None else assumptions_on(rnd.model, rnd.proto_index, keep)
        if built is None:
            return None
        model, local = built
        p = rnd.prepared
        return infeasible_error(p.frame, scenario, locked=p.locked, locked_national=p.locked_national,
                                history_rows=p.history_rows, time_limit_s=self.time_limit_s, model=model,
                                local=local)

    def _cannot(self, why: str) -> None:
        """Record why a change needs a rebuild (shown in the result's summary["whatif"])."""
        self._why = why
        log.info("rebuilding: %s", why)

    def _index(self, rnd: _Round) -> bool:
        """Find each group bound's constraint in the model proto (once per built model)."""
        if rnd.matched:
            return rnd.proto_index is not None
        rnd.matched = True
        found = match_constraints(rnd.model)
        if found is None:
            log.warning(say("模型的约束排布与预期不同：改界限时将重建模型（结果相同，较慢）",
                            "the model's constraints are not laid out as expected: bound changes rebuild it"))
            return False
        rnd.proto_index, rnd.offsets = found
        return True

    # --- hints -------------------------------------------------------------------------------
    def _set_hint(self, rnd: _Round) -> None:
        """The previous slate on this model as the solver's starting point (written once, vectorised)."""
        model, sol = rnd.model, rnd.solution
        model.cp.clear_hints()
        if sol is None:
            return
        free = np.flatnonzero(model.free)
        nat = np.flatnonzero(model.may_national)
        hint = model.cp.proto.solution_hint
        hint.vars.extend([v.index for v in model.select[free]] + [v.index for v in model.national[nat]])
        hint.values.extend(np.concatenate([sol.selected[free], sol.national[nat]]).astype(int).tolist())

    def _hint_by_id(self, model: Model) -> np.ndarray | None:
        """The most recent solution carried over to another model's rows by candidate_id
        (planned rows of a lookahead included)."""
        rnd = next((r for r in reversed(self._rounds) if r.solution is not None and r.solution.selected is not None),
                   None)
        if rnd is None:
            return None
        ids = rnd.model.frame["candidate_id"].astype(str).to_numpy()
        chosen = set(ids[np.asarray(rnd.solution.selected, bool)])
        return model.frame["candidate_id"].astype(str).isin(chosen).to_numpy()

    def _note(self, scenario: Scenario, result: Result, mode: str, edited: int, resolve_s: float,
              finish_s: float, start: float, resolve_cpu_s: float = 0.0, report: Mapping[str, Any] | None = None) -> None:
        total = time.perf_counter() - start
        whatif = {"mode": mode, "edited": int(edited), "rebuilt_because": self._why if mode == "rebuild" else "",
                  "resolve_s": round(resolve_s, 4), "resolve_cpu_s": round(resolve_cpu_s, 4),
                  "total_s": round(total, 4)}
        if report:
            whatif["finish_cpu_s"] = dict(report.get("cpu_s", {}))
            whatif["checked"] = {k: report[k] for k in ("rules", "rows", "whole") if k in report}
        if mode != "again":
            result.summary["whatif"] = whatif
        self._log.append({"name": scenario.name, "mode": mode, "edited": int(edited),
                          "status": result.summary["status"], "objective": result.summary["objective"],
                          "resolve_s": round(resolve_s, 4), "finish_s": round(finish_s, 4), "total_s": round(total, 4)})
        log.info("%s: %s, %d edited, re-solve %.3f s, total %.3f s", scenario.name, mode, edited, resolve_s, total)
