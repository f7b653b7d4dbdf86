"""The one door to the solver. Only this package creates CP-SAT (or HiGHS) solvers and sets their
parameters; every other part asks it to solve.

- `solve_model`: a built model, level by level, exactly — by independent components with the
  LP bound and reduced-cost fixing, CP-SAT on the small cores (`cpsat`, `levels`, `lp`, `cores`);
- `solve_model_direct`: the plain path, one CP-SAT solve of the whole model per level (`direct`);
- `solve_with`: the backend by name — CP-SAT, or HiGHS on the same components (`backends`,
  `highs`); `solve_model_highs_whole`: HiGHS on the whole model (the benchmarks' baseline);
- `watch_progress`: a callback for the progress of running solves (`progress`);
- `solve_level`: one objective over linear rows with bounds, for callers that change bounds or
  objective coefficients between solves (`WarmLps`: its LP batches kept and warm-started);
- `Relaxation`: the LP relaxation of a round's rows, built once and asked for a variable's range or
  whether some fixings are possible at all (the balanced end of the equity frontier);
- `Warm`: what an optimal solve keeps so that a re-solve after bound changes solves only the
  components the change reaches (`warm`); `reached_constraints`: those components' constraints;
- `greedy`: the by-score baseline of the benchmarks.
"""
from planner.solver._base import LevelResult, Solution, hint_values, read_values
from planner.solver.backends import BACKENDS, solve_model_highs, solve_with
from planner.solver.cp import PRESETS, CpOutcome, solve_cp
from planner.solver.cpsat import solve_model
from planner.solver.direct import solve_model_direct
from planner.solver.forcing import Engine, cpsat_model, part_level, solve_part_cp
from planner.solver.greedy import greedy_slate
from planner.solver.highs import solve_model_highs_whole
from planner.solver.progress import watch as watch_progress
from planner.solver.levels import solve_level
from planner.solver.lp import WarmLps
from planner.solver.partspec import PartSpec, part_spec
from planner.solver.relaxation import Relaxation
from planner.solver.warm import Warm, reached_constraints

__all__ = ["LevelResult", "Solution", "hint_values", "read_values", "BACKENDS", "solve_with", "PRESETS", "CpOutcome",
           "solve_cp", "solve_model", "solve_model_direct", "Engine", "cpsat_model", "part_level", "solve_part_cp",
           "greedy_slate", "solve_model_highs", "solve_model_highs_whole", "watch_progress", "solve_level", "WarmLps", "PartSpec",
           "part_spec", "Relaxation", "Warm", "reached_constraints"]






