"""The ledger over the period: quota used per year and remaining, progress to the 2025 targets
(`ledger`), and the joint plan of every remaining year (`plan`).
"""
from planner.ledger.ledger import ledger_from_outputs, ledger_summary, ledger_table
from planner.ledger.plan import plan_period, planned_rows

__all__ = ["ledger_from_outputs", "ledger_summary", "ledger_table", "plan_period", "planned_rows"]






