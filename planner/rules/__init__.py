"""Rules: scenario files as data — the rule shapes (`shapes`), a file read and merged over the
files it extends (`scenario_files`), its tables checked (`syntax`) and the `Scenario` they make
(`policy`) —, which candidates each rule counts and in which groups (`groups`), who may be
selected at all (`availability`), and a round's table made ready for its scenario with the
locked history of earlier rounds (`prepare`).

Pure Python and pandas: no solver. The model, the auditor and the ledger all read rules here.
"""
from planner.rules.availability import (
    BLOCKS,
    blocked_reason,
    check_pins,
    earlier_rounds,
    forecast_positions,
    forecast_rows,
    pinned_in,
    planned_ids,
    project_keys,
    refiled_recognised,
    row_checks,
)
from planner.rules.edits import KINDS, Edit, describe_edits, edit_from_json, replay, table_edits
from planner.rules.groups import (
    ALL,
    FrameIndex,
    Group,
    flag_values,
    fold_localities,
    group_bounds,
    group_keys,
    group_words,
    key_text,
    link_targets,
    link_wanted,
    linked_chosen,
    match,
    measure_values,
    numeric_column,
    rule_groups,
    rule_links,
    unit_names,
)
from planner.rules.messages import rule_words
from planner.rules.policy import Scenario, check_columns, load_scenario, parse_scenario
from planner.rules.prepare import (
    Prepared,
    Round,
    check_exemptions,
    check_links,
    check_units,
    check_years,
    complete_columns,
    pad_hint,
    read_candidates,
    read_history,
    read_round,
)
from planner.rules.round_years import check_history_files, check_history_years, check_table_year
from planner.rules.scoring import ScoringRule, aggregate_scores, panels, score_candidates
from planner.rules.shapes import SCOPES, Bound, Rule, notice_words, rule_to_toml
from planner.rules.units import merge_units, unit_conflicts, unit_merges, unit_mode

__all__ = ["BLOCKS", "blocked_reason", "check_pins", "earlier_rounds", "forecast_positions", "forecast_rows", "pinned_in",
           "planned_ids", "project_keys", "refiled_recognised", "row_checks", "KINDS", "Edit", "describe_edits", "edit_from_json", "replay", "table_edits", "ALL",
           "FrameIndex", "Group", "flag_values", "fold_localities", "group_bounds", "group_keys", "key_text", "link_targets",
           "link_wanted", "linked_chosen", "match", "measure_values", "numeric_column", "rule_groups", "rule_links", "Scenario",
           "check_columns", "load_scenario", "parse_scenario", "Prepared", "Round", "check_exemptions",
           "check_links", "check_units", "check_years", "complete_columns", "pad_hint", "read_candidates", "read_history", "read_round",
           "check_history_files", "check_history_years", "merge_units", "unit_conflicts",
           "unit_merges", "unit_mode", "check_table_year", "ScoringRule", "aggregate_scores", "panels", "score_candidates",
           "SCOPES", "Bound", "Rule", "notice_words", "rule_to_toml", "group_words", "unit_names", "rule_words"]







