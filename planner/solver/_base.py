"""What the solve package hands back, and how solver values map onto the candidate rows.

Owns `Solution` (a solved model's decisions aligned with its rows), `LevelResult` (one objective
level solved over linear rows), the two readers every backend shares: `read_values` (proto
values → selected / national per row) and `hint_values` (a selection → proto values), and the
types the fast path's modules pass each other (`LevelProblem`, `Component`, `Outcome`).
Imports no solver.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from planner.model import LinearRows, Model


@dataclass
class Solution:
    """What the solver decided, aligned with the rows of `model.frame`.

    ``objective`` and ``best_bound`` are in score points (total score minus penalties);
    ``gap`` is relative, 0 when the optimum is proven. ``status`` is the weakest of every
    phase's: OPTIMAL only when every level was solved and proven. ``warnings`` says, in a
    sentence each, which phase or component was not proven (or not run) and why.
    ``interrupted`` is False when the solver itself tells a stop on time from Ctrl-C (the
    fast path raises KeyboardInterrupt), None when the caller has to tell them apart.
    ``warm`` is what an optimal solve of the fast path keeps for a warm re-solve of the same
    model after bound changes (`solver.warm.Warm`, passed back as ``solve_model(warm=…)``).
    """

    status: str
    selected: np.ndarray
    national: np.ndarray
    objective: float
    best_bound: float
    gap: float
    solve_s: float
    phases: list[dict] = field(default_factory=list)
    slack: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    interrupted: bool | None = None
    warm: object | None = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict:
        """Pickled without ``warm``: it serves re-solves in this process only (and holds the rows)."""
        return {**self.__dict__, "warm": None}


@dataclass
class LevelResult:
    """One level solved: values of every proto variable, status, score (model integers), bound."""

    status: str
    values: np.ndarray | None
    score: int
    bound: float
    labels: np.ndarray
    stats: dict
    components: list[dict] = field(default_factory=list)


def hint_values(model: Model, rows: LinearRows, hint: np.ndarray) -> np.ndarray:
    """A selection over the frame's rows as values of the proto variables."""
    values = rows.lower.copy()
    free = np.flatnonzero(model.free)
    hint = np.asarray(hint, bool)
    if len(free):
        index = np.array([v.index for v in model.select[free]], dtype=np.int64)
        values[index] = np.clip(hint[free].astype(np.int64), rows.lower[index], rows.upper[index])
    return values


def read_values(model: Model, values: np.ndarray,
                index: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Selected / national per row from proto values (locked rows keep their recorded decision).

    `index`: `decision_index(model)`, when the caller reads several solutions of one model.
    """
    selected = model.locked.copy()
    national = model.locked_national.copy()
    free = np.flatnonzero(model.free)
    nat = np.flatnonzero(model.may_national)
    chosen, recommended = decision_index(model) if index is None else index
    if len(free):
        selected[free] = values[chosen] > 0
    if len(nat):
        national[nat] = values[recommended] > 0
    return selected, national


def decision_index(model: Model) -> tuple[np.ndarray, np.ndarray]:
    """The proto variable of every free row's selection and of every row's national pick."""
    free = np.flatnonzero(model.free)
    nat = np.flatnonzero(model.may_national)
    return (np.fromiter((v.index for v in model.select[free]), np.int64, len(free)),
            np.fromiter((v.index for v in model.national[nat]), np.int64, len(nat)))


# --------------------------------------------------------------------------- components
@dataclass
class LevelProblem:
    """A level after its decided variables are substituted out, split into components."""

    rows: LinearRows
    lo: np.ndarray
    hi: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    score: np.ndarray
    ties: np.ndarray
    labels: np.ndarray
    row_comp: np.ndarray
    live: np.ndarray
    guess: np.ndarray | None
    seed: int
    deadline: float
    log_progress: bool
    engine: str = "cpsat"                   # "cpsat" (cores, HiGHS racing hard ones) or "highs"
    max_rounds: int | None = None           # stop after this many core solves per component (tests)
    small_parts: int = 0                    # a core's parts of at most this many 0/1 variables: enumerated


@dataclass
class Component:
    """One component in local indices: bounds, rows (COO), objective, ties, and the fixing state."""

    members: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    score: np.ndarray
    ties: np.ndarray
    e_row: np.ndarray
    e_var: np.ndarray
    e_coef: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    hint: np.ndarray | None
    bound: float = math.inf             # Lagrangian bound on the component's score
    reduced: np.ndarray | None = None   # reduced costs of that bound
    delta: float = math.inf             # current fixing threshold
    tolerance: float = 1e-6
    step: float = 1.0
    solves: int = 0
    core: int = 0
    best: np.ndarray | None = None      # the best slate found for the whole component
    best_score: float = -math.inf
    proof: float = math.inf             # a proven upper bound on the component's optimum score
    engine: str = ""                    # what proved it: "cpsat", "highs", "none" (no search needed)


@dataclass
class Outcome:
    status: str
    members: np.ndarray
    values: np.ndarray | None
    bound: float            # on the component's score
    core: int = 0
    solves: int = 0
    engine: str = ""

