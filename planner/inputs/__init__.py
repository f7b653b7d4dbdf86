"""Inputs: candidate tables read and validated (`candidates`), the catalogue of codes and labels
(`catalogue`), the seeded synthetic Jilin data (`generate`) and OR-Library instances (`orlib`).

The lowest part: it knows no rule. Everything above reads candidates through `load_candidates`.
"""
