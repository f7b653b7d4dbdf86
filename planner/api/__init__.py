"""The notebook API: what `import planner as pl` offers, and what-if sessions.

A face, like the command line: it re-exports the calls a planner makes in a notebook —
`solve`, `save`, `audit_file`, `check_inputs`, `compare` — and owns what only a face needs:
what-if `Session`s that keep a built model between re-solves (`api.whatif`) and re-running a
recorded solve (`api.verify`). Holds no planning logic of its own.
"""

from planner.analysis.raters import score_report
from planner.api.amendments import amend
from planner.api.whatif import Session, for_year, with_default_scope, without_units
from planner.rounds.chain import audit_file, check_inputs, save, solve
from planner.rounds.result import Result
from planner.show.compare import Comparison, compare

__all__ = ["amend", "score_report", "Session", "for_year", "with_default_scope", "without_units", "audit_file",
           "check_inputs", "save",
           "solve", "Result", "Comparison", "compare"]






