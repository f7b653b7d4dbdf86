"""Analyses over many solves: robustness under noisy scores (`robust`, with the score spread in
`spread`, the re-solves in `resolver` and the sample and margin tasks in `sampling`), regional
equity and the score-vs-equity frontier (`equity`), and the executors that spread samples over
processes or a Dask cluster (`sweep`). Every solve goes through `planner.solver`.
"""
from planner.analysis.figures import figure_png
from planner.analysis.sampling import make_case, run_samples

__all__ = ["figure_png", "make_case", "run_samples"]


