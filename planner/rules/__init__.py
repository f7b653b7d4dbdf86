"""Rules: scenario files as data (`policy`), which candidates each rule counts and in which
groups (`groups`), who may be selected at all (`availability`), and a round's table made ready
for its scenario with the locked history of earlier rounds (`prepare`).

Pure Python and pandas: no solver. The model, the auditor and the ledger all read rules here.
"""
