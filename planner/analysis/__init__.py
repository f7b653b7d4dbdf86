"""Analyses over many solves: robustness under noisy scores (`robust`), regional equity and the
score-vs-equity frontier (`equity`), and the executors that spread samples over processes or a
Dask cluster (`sweep`). Every solve goes through `planner.solver`.
"""
from planner.analysis.robust import figure_png, make_case, run_samples

__all__ = ["figure_png", "make_case", "run_samples"]




