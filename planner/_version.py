"""The version of planner (one place; the package and every summary.json read it)."""
__version__ = "0.1.0"
