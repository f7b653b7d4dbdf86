"""planner: quota-constrained recommendation rounds planned with CP-SAT (吉教职成〔2023〕7号).

The public API, for notebooks and scripts::

    import planner as pl
    scenario = pl.load_scenario("scenarios/jilin-2023.toml")
    result = pl.solve(scenario.with_bound("pc-school-locality", "max", 17, group="长春市"))
    result.slate, result.summary, result.rules, result.explanations

Scenarios are immutable: every ``with_*`` change returns a new scenario.
"""
__version__ = "0.1.0"

from .errors import (AuditError, InfeasibleError, InputError, NoSolutionError, PlannerError, PolicyError,
                     Problem)
from .policy import Bound, Rule, Scenario, load_scenario, parse_scenario
from .candidates import load_candidates
from .api import Result, audit_file, save, solve
from .whatif import Session, for_year, with_default_scope, without_units
from .compare import Comparison, compare

__all__ = [
    "__version__", "load_scenario", "parse_scenario", "load_candidates", "solve", "save", "audit_file",
    "Scenario", "Rule", "Bound", "Result",
    "Session", "for_year", "with_default_scope", "without_units", "compare", "Comparison",
    "PlannerError", "InputError", "PolicyError", "InfeasibleError", "NoSolutionError", "AuditError", "Problem",
]
