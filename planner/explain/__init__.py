"""Explanations: why each candidate is in or out (`reasons`), the exact effect of forcing one
(`counterfactual`), the conflicting rules of an infeasible scenario with relaxation advice
(`conflicts`), and other slates with the same optimum (`alternatives`).

Every re-solve goes through `planner.solve`.
"""
