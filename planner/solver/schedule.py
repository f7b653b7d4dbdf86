"""Which component is solved when, by which engine, for how long: the components of one level.

Owns the loop that solves a level's independent components side by side on the worker threads,
each in CP-SAT models of its own (a core of reduced-cost fixing, `solver.cores`), never joined
with another component's unless both are tiny — then they share one call for a short time
only, and go on alone when that call does not prove them both. Each solve gets a share of the
time left (more each time it runs out); a component still unproven after `RACE_AFTER_S` of
CP-SAT (or `RACE_SHARE` of the level's time, if longer) gets HiGHS on the whole component beside it (`solver.highs.solve_component`), and
whichever proves it first stops the other — after `IDLE_RACE_S` already where a thread would
otherwise have nothing to run. With the HiGHS backend every component is HiGHS's.

Nothing found is lost: every slate any solve finds is offered to its component
(`cores.offer`), every bound tightens its proof (`cores.tighten`); when the time is up the
component keeps its best slate and its bound (FEASIBLE). Ctrl-C stops every running solve
before it is raised. Does not own the LP bound (`solver.lp`, `solver.levels`) nor the CP-SAT
and HiGHS models (`solver.cores`, `solver.highs`).
"""
from __future__ import annotations

import concurrent.futures
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from planner.solver._base import Component, LevelProblem, Outcome
from planner.solver.cores import CoreResult, Stop, feasible, offer, restrict, settle, solve_job, tighten

log = logging.getLogger(__name__)


MIN_SLICE_S = 0.5        # the shortest time a solve is started with
TINY = 200               # cores with at most this many free variables may share one CP-SAT call …
BUNDLE_MAX = 400         # … up to this many free variables in all …
BUNDLE_S = 1.0           # … for at most this long; unproven, each goes on alone
RACE_AFTER_S = 1.0       # CP-SAT time after which HiGHS races on the component: this, or …
RACE_SHARE = 0.05        # … this share of the level's time, whichever is longer
IDLE_RACE_S = 0.5        # sooner, after this much, where a thread would be idle otherwise
TICK_S = 0.2             # how often the loop looks at the clock (deadline, races, progress)


@dataclass
class Track:
    """One component's state in the loop."""

    c: int
    sub: Component
    outcome: Outcome | None = None
    cpsat_s: float = 0.0              # CP-SAT time of finished solves
    cpsat_since: float | None = None  # start of the running CP-SAT solve
    highs_running: bool = False
    cp_slice: float = 0.0
    highs_slice: float = 0.0
    timeouts: int = 0
    alone: bool = False               # never shares a CP-SAT call again
    stops: list[Stop] = field(default_factory=list)
    core: tuple[np.ndarray, np.ndarray] | None = None
    core_delta: float = math.nan

    def restricted(self) -> tuple[tuple[np.ndarray, np.ndarray], int]:
        """The component's core at its threshold (kept while the threshold stays) and its free count."""
        if self.core is None or self.core_delta != self.sub.delta:
            self.core, self.core_delta = restrict(self.sub), self.sub.delta
            self.sub.core = max(self.sub.core, int((self.core[0] < self.core[1]).sum()))
        return self.core, int((self.core[0] < self.core[1]).sum())

    @property
    def open(self) -> bool:
        return self.outcome is None

    def cp_time(self, now: float) -> float:
        return self.cpsat_s + (now - self.cpsat_since if self.cpsat_since is not None else 0.0)


@dataclass
class Task:
    kind: str                         # "cpsat" or "highs"
    tracks: list[Track]
    cores: list[tuple[np.ndarray, np.ndarray]]
    stop: Stop
    started: float


Progress = Callable[[int, int, float, float], None]


def solve_components(p: LevelProblem, subs: dict[int, Component], threads: int,
                     progress: Progress | None = None,
                     pool: concurrent.futures.Executor | None = None) -> tuple[dict[int, Outcome], int]:
    """Solve every component of `subs` exactly, or as well as the time allows.

    Returns the outcome per component — OPTIMAL (with the engine that proved it), INFEASIBLE,
    FEASIBLE (the best slate and a bound) or UNKNOWN (no slate at all) — and the most core
    solves any component had. The solves run on `pool` (a thread pool of `threads` workers, made
    here when not given and `threads` > 1), so that this thread can stop them on Ctrl-C; with one
    thread and no pool they run on this thread.
    """
    tracks = {c: Track(c, sub) for c, sub in subs.items()}
    left = p.deadline - time.perf_counter()
    race_after = max(RACE_AFTER_S, RACE_SHARE * left) if math.isfinite(left) else RACE_AFTER_S
    for track in tracks.values():
        sub = track.sub
        sub.proof = sub.bound if math.isfinite(sub.bound) else float(np.maximum(sub.score * sub.lower,
                                                                                 sub.score * sub.upper).sum())
        if sub.hint is not None and feasible(sub, sub.hint):
            offer(sub, sub.hint)            # a later level: the last level's slate is one of this one
        elif feasible(sub, sub.lower):
            offer(sub, sub.lower.copy())    # nothing chosen keeps every rule (quotas, pools): a first slate
    use_highs = p.engine == "highs" or (p.engine == "cpsat" and threads > 1 and _highs_available())
    own = pool is None and threads > 1
    if own:
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=threads)
    running: dict[concurrent.futures.Future, Task] = {}
    infeasible = False
    try:
        while not infeasible:
            open_ = [t for t in tracks.values() if t.open]
            now = time.perf_counter()
            if not open_ or now >= p.deadline:
                break
            if pool is None:                # one thread and no pool: every solve on this thread
                task = _next_task(p, open_, threads, use_highs, race_after, now)
                if task is None:
                    break
                infeasible |= _handle(task, _run(p, task), time.perf_counter())
                if progress is not None:
                    _report(progress, tracks)
                continue
            while len(running) < threads:
                task = _next_task(p, open_, threads, use_highs, race_after, now)
                if task is None:
                    break
                running[pool.submit(_run, p, task)] = task
            if not running:
                break                       # nothing left to try (a round budget in tests)
            done, _ = concurrent.futures.wait(list(running), timeout=max(0.0, min(TICK_S, p.deadline - now)),
                                              return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                task = running.pop(future)
                infeasible |= _handle(task, future.result(), time.perf_counter())
            if progress is not None:
                _report(progress, tracks)
        # The time is up (or the level is settled): stop what still runs, and keep what it found.
        for task in running.values():
            task.stop.stop()
        for future in concurrent.futures.as_completed(list(running)):
            _handle(running.pop(future), future.result(), time.perf_counter())
    finally:
        for task in running.values():       # Ctrl-C or an error: stop every solve, then raise
            task.stop.stop()
        if running:
            concurrent.futures.wait(list(running))
        if own:
            pool.shutdown(wait=True)
    rounds = 0
    for track in tracks.values():
        sub = track.sub
        rounds = max(rounds, sub.solves)
        if track.outcome is None:
            if sub.best is None:
                track.outcome = Outcome("UNKNOWN", sub.members, None, math.nan, sub.core, sub.solves)
            else:
                track.outcome = Outcome("FEASIBLE", sub.members, sub.best, max(sub.proof, sub.best_score),
                                        sub.core, sub.solves)
    if progress is not None:
        _report(progress, tracks)
    return {c: t.outcome for c, t in tracks.items()}, rounds


def _highs_available() -> bool:
    from planner.solver.highs import available
    return available()


def _next_task(p: LevelProblem, open_: list[Track], threads: int, use_highs: bool, race_after: float,
               now: float) -> Task | None:
    """The most useful solve to start now, or None.

    First CP-SAT on components that never ran out of time (first cores, widenings), tiny cores
    together; then, on components that did, HiGHS beside CP-SAT (a race) and CP-SAT again with
    a longer share — the component with the least time spent first.
    """
    left = p.deadline - now
    fair = left * threads / max(1, len(open_))
    if p.engine == "highs":
        idle = [t for t in open_ if not t.highs_running]
        if not idle:
            return None
        track = min(idle, key=lambda t: (t.highs_slice, t.c))
        track.highs_slice = min(left, max(MIN_SLICE_S, fair, 2 * track.highs_slice))
        return _start("highs", [track], [], now)
    waiting = [t for t in open_ if t.cpsat_since is None and _rounds_left(p, t)]
    fresh = [t for t in waiting if t.timeouts == 0]
    if fresh:
        first = min(fresh, key=lambda t: (t.sub.solves, t.c))
        core, free = first.restricted()
        if free > TINY or first.alone:
            first.cp_slice = min(left, max(MIN_SLICE_S, fair, first.cp_slice))
            return _start("cpsat", [first], [core], now)
        members, cores, size = [first], [core], free
        for other in sorted(fresh, key=lambda t: (t.sub.solves, t.c)):
            if other is first or other.alone:
                continue
            other_core, other_free = other.restricted()
            if other_free > TINY or size + other_free > BUNDLE_MAX:
                continue
            members.append(other)
            cores.append(other_core)
            size += other_free
        for track in members:
            track.cp_slice = min(left, BUNDLE_S) if len(members) > 1 else min(left, max(MIN_SLICE_S, fair))
        return _start("cpsat", members, cores, now)
    racing = [t for t in open_ if use_highs and not t.highs_running and t.cp_time(now) >= race_after
              and _rounds_left(p, t)]
    if racing:
        track = min(racing, key=lambda t: (t.highs_slice, -t.cp_time(now), t.c))
        track.highs_slice = min(left, max(MIN_SLICE_S, fair, 2 * track.highs_slice))
        return _start("highs", [track], [], now)
    if waiting:
        track = min(waiting, key=lambda t: (t.cp_time(now), t.c))
        core, _ = track.restricted()
        track.cp_slice = min(left, max(MIN_SLICE_S, fair, 2 * track.cp_slice))
        return _start("cpsat", [track], [core], now)
    # Nothing else to run: rather than leave this thread idle, HiGHS races already on the
    # component CP-SAT has worked on longest (a level down to one hard component: a point of
    # the equity frontier).
    idle = [t for t in open_ if use_highs and not t.highs_running and t.cp_time(now) >= IDLE_RACE_S
            and _rounds_left(p, t)]
    if idle:
        track = max(idle, key=lambda t: (t.cp_time(now), -t.c))
        track.highs_slice = min(left, max(MIN_SLICE_S, fair, 2 * track.highs_slice))
        return _start("highs", [track], [], now)
    return None


def _rounds_left(p: LevelProblem, track: Track) -> bool:
    return p.max_rounds is None or track.sub.solves < p.max_rounds


def _start(kind: str, members: list[Track], cores: list, now: float) -> Task:
    task = Task(kind, members, cores, Stop(), now)
    for track in members:
        track.stops.append(task.stop)
        if kind == "cpsat":
            track.cpsat_since = now
        else:
            track.highs_running = True
    return task


def _run(p: LevelProblem, task: Task) -> dict[int, CoreResult]:
    """A task, on a worker thread."""
    if task.kind == "highs":
        from planner.solver.highs import solve_component
        track = task.tracks[0]
        track.sub.solves += 1
        return {track.c: solve_component(p, track.sub, limit_s=track.highs_slice, stop=task.stop)}
    parts = [(t.c, t.sub, core) for t, core in zip(task.tracks, task.cores)]
    return solve_job(p, parts, limit_s=task.tracks[0].cp_slice, stop=task.stop)


def _handle(task: Task, results: dict[int, CoreResult], now: float) -> bool:
    """Take a finished task's results; True when a component has no slate at all (infeasible)."""
    infeasible = False
    shared = len(task.tracks) > 1
    for track, core in zip(task.tracks, task.cores or [None] * len(task.tracks)):
        track.stops.remove(task.stop)
        if task.kind == "cpsat":
            track.cpsat_s += now - task.started
            track.cpsat_since = None
        else:
            track.highs_running = False
        if not track.open:
            continue                        # proven meanwhile by the other engine
        result = results[track.c]
        if task.kind == "highs":
            outcome = _settle_highs(track.sub, result)
        else:
            outcome = settle(track.sub, core, result)
            if outcome is None and result.status != "OPTIMAL" and result.status != "INFEASIBLE":
                track.timeouts += 1
            if shared and (outcome is None and result.status != "OPTIMAL"):
                track.alone = True
                track.timeouts = 0          # its first solve of its own is not a timeout yet
        if outcome is not None:
            track.outcome = outcome
            infeasible |= outcome.status == "INFEASIBLE"
            for other in list(track.stops):
                other.stop()                # the race is won: stop the other engine
            log.debug("component %d: %s by %s after %d solves, score %s", track.c, outcome.status,
                      outcome.engine or "-", track.sub.solves, outcome.bound)
    return infeasible


def _settle_highs(sub: Component, result: CoreResult) -> Outcome | None:
    """What HiGHS on the whole component proves."""
    if result.status == "INFEASIBLE":
        return Outcome("INFEASIBLE", sub.members, None, math.nan, sub.core, sub.solves, "highs")
    if result.values is not None:
        offer(sub, result.values)
        sub.hint = sub.best
    tighten(sub, result.bound)
    if result.status == "OPTIMAL" and result.values is not None:
        z = float(sub.score @ result.values)
        sub.best, sub.best_score, sub.proof, sub.engine = result.values, z, z, "highs"
        return Outcome("OPTIMAL", sub.members, result.values, z, sub.core, sub.solves, "highs")
    return None


def _report(progress: Progress, tracks: dict[int, Track]) -> None:
    proven = sum(1 for t in tracks.values() if t.outcome is not None and t.outcome.status == "OPTIMAL")
    best = sum(t.sub.best_score for t in tracks.values()) if all(t.sub.best is not None for t in tracks.values()) \
        else math.nan
    bound = sum(t.sub.proof for t in tracks.values())
    progress(proven, len(tracks), best, bound)
