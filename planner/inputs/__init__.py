"""Inputs: candidate tables read from CSV or xlsx files (`candidate_files`) and validated into the
candidate frame (`candidates`), the catalogue of codes and labels (`catalogue`), the seeded
synthetic Jilin data (`generate`, over the units of `synthetic_roster` named with the words of
`synthetic_names`) and OR-Library instances (`orlib`).

The lowest part: it knows no rule. Everything above reads candidates through `load_candidates`.
"""
from planner.inputs.candidate_files import load_candidates
from planner.inputs.candidates import (
    OPTIONAL_DEFAULTS,
    REQUIRED_COLUMNS,
    file_rows,
    normalise_candidates,
    parse_bool,
)
from planner.inputs.catalogue import Catalogue, clean_text, load_catalogue, suggest
from planner.inputs.labels import COLUMN_LABELS, column_code, column_label, to_chinese, to_codes, value_labels
from planner.inputs.scores import read_scores
from planner.inputs.run_folder import RunFolder, read_flags, read_run, read_slate, read_summary, read_text_table

__all__ = ["load_candidates", "OPTIONAL_DEFAULTS", "REQUIRED_COLUMNS", "file_rows", "normalise_candidates",
           "parse_bool", "Catalogue", "clean_text", "load_catalogue", "suggest",
           "COLUMN_LABELS", "column_code", "column_label", "to_chinese", "to_codes", "value_labels",
           "read_scores", "RunFolder", "read_flags", "read_run", "read_slate", "read_summary", "read_text_table"]






