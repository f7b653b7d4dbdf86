"""Rules: scenario files as data (`policy`), which candidates each rule counts and in which
groups (`groups`), who may be selected at all (`availability`), and a round's table made ready
for its scenario with the locked history of earlier rounds (`prepare`).

Pure Python and pandas: no solver. The model, the auditor and the ledger all read rules here.
"""
from planner.rules.availability import BLOCKS, blocked_reason, check_pins, forecast_rows, pinned_in
from planner.rules.groups import (
    ALL,
    Group,
    flag_values,
    fold_localities,
    group_bounds,
    group_keys,
    key_text,
    match,
    measure_values,
    numeric_column,
    rule_groups,
)
from planner.rules.policy import (
    SCOPES,
    Bound,
    Rule,
    Scenario,
    check_columns,
    load_scenario,
    parse_scenario,
    rule_to_toml,
)
from planner.rules.prepare import Prepared, check_years, pad_hint, read_candidates, read_history

__all__ = ["BLOCKS", "blocked_reason", "check_pins", "forecast_rows", "pinned_in", "ALL", "Group", "flag_values",
           "fold_localities", "group_bounds", "group_keys", "key_text", "match", "measure_values", "numeric_column",
           "rule_groups", "SCOPES", "Bound", "Rule", "Scenario", "check_columns", "load_scenario", "parse_scenario",
           "rule_to_toml", "Prepared", "check_years", "pad_hint", "read_candidates", "read_history"]

