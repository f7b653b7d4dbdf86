"""planner: quota-constrained recommendation rounds planned with CP-SAT (吉教职成〔2023〕7号).

The public API, for notebooks and scripts::

    import planner as pl
    scenario = pl.load_scenario("scenarios/jilin-2023.toml")
    result = pl.solve(scenario.with_bound("pc-school-locality", "max", 17, group="长春市"))
    result.slate, result.summary, result.rules, result.explanations

Scenarios are immutable: every ``with_*`` change returns a new scenario that records it in
``scenario.edits`` (``pl.describe_edits(scenario)`` says them in Chinese; ``summary.json`` keeps
them and ``planner solve --verify`` replays them); ``scenario.to_toml(path)`` writes a what-if
as a file that ``extends`` its base and holds only the edits.
"""
import planner.cli  # noqa: F401,I001 - first: the `planner` command takes Ctrl-C before anything heavy loads
from planner._version import __version__
from planner.api import (
    Comparison,
    Result,
    Session,
    amend,
    audit_file,
    score_report,
    compare,
    for_year,
    save,
    solve,
    with_default_scope,
    without_units,
)
from planner.errors import AuditError, InfeasibleError, InputError, NoSolutionError, PlannerError, PolicyError, Problem
from planner.inputs import load_candidates, read_scores
from planner.lang import language, set_language, speaking
from planner.rules import (
    Bound,
    Edit,
    Rule,
    Scenario,
    ScoringRule,
    aggregate_scores,
    describe_edits,
    load_scenario,
    parse_scenario,
)

__all__ = [
    "__version__", "load_scenario", "parse_scenario", "load_candidates", "read_scores", "aggregate_scores",
    "ScoringRule", "score_report", "solve", "save", "audit_file", "amend",
    "Scenario", "Rule", "Bound", "Edit", "describe_edits", "Result",
    "Session", "for_year", "with_default_scope", "without_units", "compare", "Comparison",
    "language", "set_language", "speaking",
    "PlannerError", "InputError", "PolicyError", "InfeasibleError", "NoSolutionError", "AuditError", "Problem",
]


def __getattr__(name: str):
    """`planner.charts` (``from planner import charts``), imported on first use: matplotlib is
    not loaded by a command-line solve, which never draws."""
    if name == "charts":
        from planner.show import charts
        return charts
    raise AttributeError(f"module 'planner' has no attribute {name!r}")
