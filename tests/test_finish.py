"""Tests of planner.rounds.finish: the audit, reasons and ledger of a solved round share one grouping."""
from __future__ import annotations

from conftest import SIX_ROWS, scenario_of, typed_frame

from planner.audit import check_slate
from planner.explain.reasons import reasons
from planner.ledger import ledger_table
from planner.model import build_model
from planner.rounds.finish import finish
from planner.rules import FrameIndex, blocked_reason, read_candidates
from planner.rules.prepare import prepare
from planner.solver import solve_with

RULES = {"rule": [{"id": "loc", "clause": "三(三)", "per": ["locality"], "max": {"长春市": 1, "*": 2}},
                  {"id": "nat", "decision": "national", "per": ["task"], "max": 1},
                  {"id": "budget", "measure": "sum:cost", "max": 70}]}


def solved():
    scenario = scenario_of(RULES)
    frame = read_candidates(scenario, typed_frame(SIX_ROWS))
    prepared = prepare(frame, scenario, None)
    model = build_model(prepared.frame, scenario, locked=prepared.locked, locked_national=prepared.locked_national)
    solution = solve_with("cpsat", model, time_limit_s=30.0, seed=0, workers=1, hint=None)
    return scenario, frame, prepared, model, solution


def test_a_round_without_history_is_grouped_once_and_told_as_each_part_alone_tells_it(monkeypatch):
    scenario, frame, prepared, model, solution = solved()
    made = []
    init = FrameIndex.__init__

    def counted(self, table, **options):
        made.append(len(table))
        init(self, table, **options)

    monkeypatch.setattr(FrameIndex, "__init__", counted)
    result = finish(scenario, frame, None, prepared, model, solution, seed=0, workers=1, time_limit_s=30.0)
    assert made == [len(frame)]             # one index of the slate's rows, for the audit, reasons and ledger
    monkeypatch.setattr(FrameIndex, "__init__", init)
    # Each part on its own, grouping its own frame, says the same.
    slate = result.slate.drop(columns="reason")
    assert check_slate(slate, scenario).rules.equals(result.rules)
    folded = slate.assign(selected=slate["selected"].astype(bool), national=slate["national"].astype(bool))
    alone = reasons(folded, scenario, result.audit, blocked_reason(folded, scenario))
    assert alone.equals(result.explanations)
    assert ledger_table(slate, scenario, None, planned=result.planned).equals(result.ledger)
    assert result.audit.ok and int(result.slate["national"].sum()) >= 1
