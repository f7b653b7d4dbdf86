"""The ledger over the period: quota used per year and remaining, progress to the 2025 targets
(`ledger`), and the joint plan of every remaining year (`plan`).
"""
