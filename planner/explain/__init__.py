"""Explanations: why each candidate is in or out (`reasons`), the exact effect of forcing one
(`counterfactual`), the conflicting rules of an infeasible scenario with relaxation advice
(`conflicts`), and other slates with the same optimum (`alternatives`).

Every re-solve goes through `planner.solver`.
"""
from planner.explain.alternatives import alternative_slates
from planner.explain.conflict_text import GROUPED_FROM, advice_details, advice_text, structural_lines
from planner.explain.conflicts import CONFLICT_COLUMNS, diagnose_infeasible, infeasible_error
from planner.explain.relax import Change, assumptions_on, relaxations
from planner.explain.counterfactual import explain_all, merge
from planner.explain.reasons import for_result, plan_frame

__all__ = ["alternative_slates", "CONFLICT_COLUMNS", "diagnose_infeasible", "infeasible_error", "Change",
           "assumptions_on", "relaxations", "explain_all", "merge", "for_result", "plan_frame", "GROUPED_FROM", "advice_details",
           "advice_text", "structural_lines"]






