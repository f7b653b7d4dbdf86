"""One round, end to end: the chain candidates → rules → model → solve → audit → explain as one
call (`chain.solve`), the step after every solve (`finish`: audit, explain, summary) and the
`Result` a user gets back (`result`).
"""
from planner.rounds.advice import write_advice
from planner.rounds.chain import save, solve
from planner.rounds.finish import RULES_CSV_COLUMNS, versions
from planner.rounds.result import Result

__all__ = ["write_advice", "save", "solve", "RULES_CSV_COLUMNS", "versions", "Result"]






