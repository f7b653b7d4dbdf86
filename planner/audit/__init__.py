"""The audit: every hard rule re-checked on a slate with plain pandas (`check`), the slate
compared with its candidate table (`table`), the findings told with a summary first
(`findings`), an amendment held to its base (`amendment`), and a what-if's slate audited from an
earlier one, checking again only what changed (`incremental`).

Never imports the model or the solver, so it can judge a slate made by hand as strictly as the
solver's own.
"""
from planner.audit.amendment import check_amendment, excused_table
from planner.audit.check import AuditReport, check_slate
from planner.audit.findings import SlateAudit, summarise
from planner.audit.incremental import recheck
from planner.audit.table import FIXED_COLUMNS, compare_with_table, compared_columns

__all__ = ["check_amendment", "excused_table", "AuditReport", "FIXED_COLUMNS", "SlateAudit", "check_slate",
           "compare_with_table", "compared_columns", "recheck", "summarise"]
