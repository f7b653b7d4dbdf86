"""The audit: every hard rule re-checked on a slate with plain pandas (`check`).

Never imports the model or the solver, so it can judge a slate made by hand as strictly as the
solver's own.
"""
from planner.audit.check import AuditReport, check_slate

__all__ = ["AuditReport", "check_slate"]






