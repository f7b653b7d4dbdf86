"""OR-Library instances as recommendation rounds of the rule engine: a candidate table and a scenario.

Owns turning an instance read by `inputs.orlib` into what the planner solves like any round:

* **MKP** — an item is a candidate with its profit in column ``profit`` and its weights in
  ``w1 … wm``; constraint k is the rule ``measure = "sum:wk"``, ``max = capacity``.
* **GAP** — an (agent, job) pair is a candidate with columns ``job``, ``agent``, ``profit``,
  ``resource``; the rules are ``per = ["job"]``, ``min = max = 1`` (each job to exactly one
  agent) and ``per = ["agent"]``, ``measure = "sum:resource"``, ``max`` = each agent's capacity.

The objective is ``[objective] maximise = "profit"`` (profits exceed the 0–100 of ``score``,
which stays 0), with ``tie_break = "none"``: the sets ask for the optimal value, not for one
particular optimal solution. The other required candidate columns hold neutral values (a
中职 textbook of 长春市). Does not own reading the files (`inputs.orlib`) nor solving.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from planner.inputs import normalise_candidates
from planner.inputs import orlib
from planner.rules.policy import Scenario, parse_scenario


# --------------------------------------------------------------------------- as rounds
def _number_text(values: np.ndarray) -> list[str]:
    return [str(int(v)) if float(v).is_integer() else repr(float(v)) for v in values]


def _frame(ids: list[str], columns: dict[str, list[str]], source: str) -> pd.DataFrame:
    """A candidate frame: neutral required columns, the instance's numbers as extra columns."""
    n = len(ids)
    raw: dict[str, Any] = {"candidate_id": ids}
    for column, value in orlib.NEUTRAL.items():
        raw[column] = [str(value)] * n
    raw["title"] = [f"{orlib.CLAUSE} {i}" for i in ids]
    raw["unit_id"] = ids
    raw["unit_name"] = [f"{orlib.CLAUSE} {i}" for i in ids]
    raw.update(columns)
    frame = normalise_candidates(pd.DataFrame(raw, dtype=object), source=source)
    frame.attrs["normalised"] = True
    return frame


def _scenario(name: str, rules: list[dict[str, Any]]) -> Scenario:
    return parse_scenario({"name": name, "year": orlib.YEAR,
                           "objective": {"maximise": "profit", "tie_break": "none"}, "rule": rules})


def mkp_round(instance: orlib.MKPInstance) -> tuple[pd.DataFrame, Scenario]:
    """An MKP instance as (candidates, scenario): item j has ``profit`` and ``w1 … wm``;
    rule ``capacity-k`` is ``sum:wk ≤ b_k``."""
    m, n = instance.weights.shape
    ids = [f"{instance.name}-{j + 1:03d}" for j in range(n)]
    columns = {"profit": _number_text(instance.profits)}
    for k in range(m):
        columns[f"w{k + 1}"] = _number_text(instance.weights[k])
    rules = [{"id": f"capacity-{k + 1}", "clause": orlib.CLAUSE, "text": f"knapsack constraint {k + 1} of {instance.name}",
              "measure": f"sum:w{k + 1}", "max": float(instance.capacities[k])} for k in range(m)]
    return _frame(ids, columns, instance.name), _scenario(instance.name, rules)


def gap_round(instance: orlib.GAPInstance) -> tuple[pd.DataFrame, Scenario]:
    """A GAP instance as (candidates, scenario): pair (agent i, job j) is a candidate with
    ``job``, ``agent``, ``profit``, ``resource``; each job exactly once, each agent within capacity."""
    m, n = instance.profit.shape
    agents = [f"A{i + 1:02d}" for i in range(m)]
    jobs = [f"J{j + 1:02d}" for j in range(n)]
    ids = [f"{instance.name}-{a}-{job}" for a in agents for job in jobs]
    columns = {
        "agent": [a for a in agents for _ in jobs],
        "job": [job for _ in agents for job in jobs],
        "profit": _number_text(instance.profit.ravel()),
        "resource": _number_text(instance.resource.ravel()),
    }
    rules = [
        {"id": "one-agent-per-job", "clause": orlib.CLAUSE, "text": "each job goes to exactly one agent",
         "per": ["job"], "min": 1, "max": 1},
        {"id": "agent-capacity", "clause": orlib.CLAUSE, "text": "each agent's resource within its capacity",
         "per": ["agent"], "measure": "sum:resource",
         "max": {a: float(c) for a, c in zip(agents, instance.capacity)}},
    ]
    return _frame(ids, columns, instance.name), _scenario(instance.name, rules)


def as_round(instance: orlib.MKPInstance | orlib.GAPInstance) -> tuple[pd.DataFrame, Scenario]:
    """Either kind of instance as (candidates, scenario)."""
    return gap_round(instance) if isinstance(instance, orlib.GAPInstance) else mkp_round(instance)

