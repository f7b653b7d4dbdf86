"""Inputs: candidate tables read and validated (`candidates`), the catalogue of codes and labels
(`catalogue`), the seeded synthetic Jilin data (`generate`) and OR-Library instances (`orlib`).

The lowest part: it knows no rule. Everything above reads candidates through `load_candidates`.
"""
from planner.inputs.candidates import (
    OPTIONAL_DEFAULTS,
    REQUIRED_COLUMNS,
    file_rows,
    load_candidates,
    normalise_candidates,
    parse_bool,
)
from planner.inputs.catalogue import Catalogue, clean_text, load_catalogue, suggest
from planner.inputs.generate import generate_candidates, make_roster

__all__ = ["OPTIONAL_DEFAULTS", "REQUIRED_COLUMNS", "file_rows", "load_candidates", "normalise_candidates",
           "parse_bool", "Catalogue", "clean_text", "load_catalogue", "suggest", "generate_candidates",
           "make_roster"]

