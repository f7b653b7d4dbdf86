"""Workspaces of the what-if page: one per browser tab, each with its own `Session`, lock and list.

Owns `Workspace` — one planner's what-ifs on the served round: the notebooks' `api.Session`
(created on first use, then kept, so a one-bound change is re-solved in place), a lock that
lets one solve at a time touch it, the token its forms carry, and the list of what-ifs
(`Trial`: the edits, the changed scenario and its result, or why it has none: the conflict and
the relaxation advice of an infeasible change; number 0, the base, is the round solved once
for all) — and `Workspaces`, the bounded set of them with what they share: the base round, its
groups by name, the solver slots. A workspace is made only by a request that changes state (a
POST): reading one never creates, drops or reorders any. Every method that solves blocks: the
app calls it from a worker thread, never on the event loop. Does not own reading the form
(`edits`) nor the page (`app`, `views`).
"""
from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from planner import api
from planner.errors import InfeasibleError, NoSolutionError, PlannerError
from planner.lang import say
from planner.rules import Scenario, load_scenario, read_round
from planner.web.edits import BoundEdit, apply_edits, edit_lines, group_labels, known_groups

log = logging.getLogger(__name__)

BASE_LABEL = "基准"


@dataclass
class Failure:
    """Why a what-if has no slate: ``kind`` "infeasible" (with the conflict and the relaxation
    advice of `explain.infeasible_error`), "no_solution" (time ran out) or "error"."""

    kind: str
    message: str
    lines: list[str] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)
    conflicts: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass
class Trial:
    """One what-if of a workspace: number 0 is the base round."""

    number: int
    edits: tuple[BoundEdit, ...]
    note: str
    scenario: Scenario
    result: api.Result | None = None
    failure: Failure | None = None
    seconds: float = 0.0
    solved_at: str = ""
    lines: tuple[str, ...] = ()     # the edits in Chinese (`edits.edit_lines`)

    @property
    def label(self) -> str:
        return BASE_LABEL if self.number == 0 else f"方案{self.number}"

    @property
    def ok(self) -> bool:
        return self.result is not None


class Busy(PlannerError):
    """Every workspace is solving: none can be replaced by a new one now."""


class Workspace:
    """One browser tab's what-ifs on the served round (see the module docstring)."""

    def __init__(self, wid: str, owner: Workspaces):
        self.id = wid
        self.owner = owner
        self.token = secrets.token_urlsafe(16)      # what its forms carry (`app`: a POST without it is refused)
        self.lock = threading.Lock()
        self.session: api.Session | None = None
        self.trials: list[Trial] = []
        self.counter = 0
        self.last_used = time.monotonic()

    @property
    def busy(self) -> bool:
        return self.lock.locked()

    def trial(self, number: int) -> Trial | None:
        return next((t for t in self.trials if t.number == number), None)

    # --- solving (blocking: call from a worker thread) ---------------------------------------
    def base(self) -> Trial:
        """The base round of this workspace: the served round's, solved once for all workspaces."""
        with self.lock:
            return self._base()

    def solve(self, edits: list[BoundEdit], note: str = "") -> Trial:
        """Solve the base scenario with `edits` made; the trial is added to the list.

        Raises
        ------
        PolicyError, InputError
            An edit the library refuses (nothing is added to the list).
        """
        with self.lock:
            self.last_used = time.monotonic()
            base = self._base()
            scenario = apply_edits(self.owner.scenario, edits, groups=self.owner.groups, labels=self.owner.labels)
            self.counter += 1
            trial = Trial(self.counter, tuple(edits), note, scenario,
                          lines=tuple(edit_lines(edits, self.owner.scenario, self.owner.labels)))
            self._run(trial)
            self.trials.append(trial)
            keep = self.owner.max_trials
            while len(self.trials) > keep:
                self.trials.pop(1 if self.trials[0] is base else 0)
            return trial

    def _base(self) -> Trial:
        if self.trials and self.trials[0].number == 0:
            return self.trials[0]
        trial = self.owner.base_trial()
        self.trials.insert(0, trial)
        return trial

    def _run(self, trial: Trial) -> None:
        """Solve one trial through the workspace's session, in one of the shared solver slots."""
        owner = self.owner
        start = time.perf_counter()
        with owner.slots:
            if self.session is None:
                self.session = owner.take_session()
            try:
                trial.result = self.session.solve(trial.scenario)
            except InfeasibleError as exc:
                trial.failure = owner.diagnose(trial.scenario, exc)
            except NoSolutionError as exc:
                trial.failure = Failure("no_solution", str(exc))
        trial.seconds = time.perf_counter() - start
        trial.solved_at = time.strftime("%H:%M:%S")
        log.info("workspace %s: %s solved in %.2f s", self.id[:6], trial.label, trial.seconds)


def unit_names(slate: pd.DataFrame | None) -> dict[str, str]:
    """unit_id → unit_name of a candidate table (names of per-school groups)."""
    if slate is None or not {"unit_id", "unit_name"} <= set(slate.columns):
        return {}
    pairs = slate[["unit_id", "unit_name"]].astype(str).drop_duplicates("unit_id")
    return dict(zip(pairs["unit_id"], pairs["unit_name"]))


class Workspaces:
    """The bounded set of workspaces of one served round, and what they share.

    Parameters
    ----------
    scenario : Scenario or path
        The served round (the base of every workspace).
    candidates : path, optional
        Replaces the scenario's candidate table.
    max_sessions : int
        Workspaces kept at once; a new one replaces the least recently used idle one.
    max_trials : int
        What-ifs a workspace keeps (the base and the latest ones).
    parallel : int
        Solves running at once across workspaces (each uses `workers` CP-SAT threads).
    time_limit_s, workers
        CP-SAT settings of every solve (`api.Session`).
    diagnose_s : float
        Time for the conflict and relaxation advice of an infeasible what-if.
    """

    def __init__(self, scenario: Scenario | str | Path, *, candidates: str | Path | None = None,
                 max_sessions: int = 8, max_trials: int = 20, parallel: int = 2, time_limit_s: float = 60.0,
                 workers: int = 0, diagnose_s: float = 20.0):
        self.scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self.candidates = candidates
        self.max_sessions = max(1, int(max_sessions))
        self.max_trials = max(2, int(max_trials))
        self.time_limit_s, self.workers, self.diagnose_s = float(time_limit_s), int(workers), float(diagnose_s)
        self.slots = threading.BoundedSemaphore(max(1, int(parallel)))
        self._items: OrderedDict[str, Workspace] = OrderedDict()
        self._lock = threading.Lock()
        self._reference: api.Result | None = None
        self._reference_lock = threading.Lock()
        self._groups: dict[str, list[str]] | None = None
        self._labels: dict[str, dict[str, str]] | None = None
        self._base: Trial | None = None
        self._spare: api.Session | None = None      # a session that has solved the base round, for the next workspace
        self._spare_lock = threading.Lock()
        self._preparing = False
        self.token = secrets.token_urlsafe(16)      # what the forms of a page without a workspace carry

    def __len__(self) -> int:
        return len(self._items)

    def reference(self) -> api.Result:
        """The base round solved once for the page itself (its rule groups and their use)."""
        with self._reference_lock:
            if self._reference is None:
                session = self._new_session()
                with self.slots:
                    self._reference = session.solve(self.scenario)
                with self._spare_lock:
                    self._spare = session
                self._groups = known_groups(self._reference.rules)
                self._labels = group_labels(self.scenario, self._groups, unit_names(self._reference.slate))
                self._base = Trial(0, (), "", self.scenario, result=self._reference,
                                   seconds=float(self._reference.summary.get("build_s", 0) or 0)
                                   + float(self._reference.summary.get("solve_s", 0) or 0),
                                   solved_at=time.strftime("%H:%M:%S"))
            return self._reference

    def _new_session(self) -> api.Session:
        return api.Session(self.scenario, candidates=self.candidates, time_limit_s=self.time_limit_s,
                           workers=self.workers)

    def take_session(self) -> api.Session:
        """A session for a workspace's first what-if: one that has solved the base round already when
        there is one (so that what-if is a warm re-solve, not a cold solve), and the next one is
        prepared in the background; else a new session."""
        with self._spare_lock:
            session, self._spare = self._spare, None
            start = not self._preparing
            self._preparing = True
        if start:
            threading.Thread(target=self._prepare_spare, name="planner-spare-session", daemon=True).start()
        return session if session is not None else self._new_session()

    def _prepare_spare(self) -> None:
        try:
            session = self._new_session()
            with self.slots:
                session.solve(self.scenario)
        except Exception:                           # noqa: BLE001 — a spare is an optimisation: the next workspace starts cold
            log.warning(say("备用会话未能求解基础名单，下一个工作区将从头求解", "the spare session could not solve the base round"), exc_info=True)
            session = None
        with self._spare_lock:
            if self._spare is None and session is not None:
                self._spare = session
            self._preparing = False

    def base_trial(self) -> Trial:
        """The base round as what-if number 0 (solved once, shared by every workspace: read only)."""
        self.reference()
        assert self._base is not None
        return self._base

    @property
    def labels(self) -> dict[str, dict[str, str]]:
        """Rule id → group key → the group's name (`edits.group_labels`)."""
        if self._labels is None:
            self.reference()
        return self._labels or {}

    @property
    def groups(self) -> dict[str, list[str]]:
        """The group keys of each rule in the base round."""
        if self._groups is None:
            self.reference()
        return self._groups or {}

    def create(self) -> Workspace:
        """A new workspace; when full, the least recently used idle one is dropped.

        Raises
        ------
        Busy
            Every kept workspace is solving.
        """
        with self._lock:
            while len(self._items) >= self.max_sessions:
                idle = next((w for w in sorted(self._items.values(), key=lambda w: w.last_used) if not w.busy), None)
                if idle is None:
                    raise Busy(say(f"{self.max_sessions} 个会话都在求解，请稍后再试",
                                   f"all {self.max_sessions} workspaces are solving; try again in a moment"))
                del self._items[idle.id]
                log.info("workspace %s dropped (least recently used)", idle.id[:6])
            ws = Workspace(secrets.token_urlsafe(12), self)
            ws.trials.append(self.base_trial())
            self._items[ws.id] = ws
            return ws

    def get(self, wid: str, *, touch: bool = False) -> Workspace | None:
        """The workspace `wid` (None when there is none); `touch` marks it used now (a POST does:
        reading a workspace never changes which one is dropped next)."""
        with self._lock:
            ws = self._items.get(wid)
            if ws is not None and touch:
                ws.last_used = time.monotonic()
                self._items.move_to_end(wid)
            return ws

    def diagnose(self, scenario: Scenario, exc: InfeasibleError) -> Failure:
        """The conflict and the relaxation advice of an infeasible what-if (`explain`)."""
        diagnosis = getattr(exc, "diagnosis", None)
        error: Any = exc
        if diagnosis is None:
            from planner.explain import infeasible_error
            prepared = read_round(scenario, self.candidates).prepared
            error = infeasible_error(prepared.frame, scenario, locked=prepared.locked,
                                     locked_national=prepared.locked_national,
                                     history_rows=prepared.history_rows, time_limit_s=self.diagnose_s)
            diagnosis = error.diagnosis
        advice = list(getattr(error, "advice", []) or [])
        lines = [line for line in diagnosis.lines if not line.startswith(("relax: ", "or: ", "放宽：", "或者："))]
        return Failure("infeasible", str(error), lines=lines, advice=advice, conflicts=error.conflicts)
