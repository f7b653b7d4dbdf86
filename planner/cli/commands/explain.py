"""`planner explain`: why a candidate is in or out, and what forcing it the other way would cost.

Owns the arguments and the printing of the explain subcommand. Holds no logic: it calls
`planner.solve`, `counterfactual`, `alternatives` and, for an infeasible scenario, `conflicts`.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Literal, Optional

import typer

from planner.cli._common import SEED_MAX, check_seconds, check_workers
from planner.cli._messages import english, method_word, outcome_word, reason_word, say

from planner import api
from planner.errors import InfeasibleError
from planner.rules import read_round


def register(app: typer.Typer) -> None:
    app.command("explain")(explain)


def explain(
    scenario: Path = typer.Argument(..., help="scenario TOML file"),
    candidate: List[str] = typer.Option([], "--candidate", "-c", help="candidate id (repeatable)"),
    candidates: Optional[Path] = typer.Option(None, "--candidates", help="candidate table replacing the scenario's"),
    force: Optional[Literal["in", "out"]] = typer.Option(None, "--force", help='"in" or "out" (default: the opposite of the slate)'),
    every: bool = typer.Option(False, "--all", help="every rejected candidate of the round (counterfactual forced in)"),
    alternatives: int = typer.Option(0, "--alternatives", min=0, help="also list up to K other optimal slates"),
    out_file: Optional[Path] = typer.Option(None, "--out", help="write the --all table to this CSV file"),
    time_limit: float = typer.Option(60.0, "--time-limit", callback=check_seconds, help="seconds for the solve, and again for the explanations"),
    seed: int = typer.Option(0, "--seed", min=0, max=SEED_MAX, help="CP-SAT random seed"),
    workers: int = typer.Option(0, "--workers", callback=check_workers, help="CP-SAT workers (0 = all cores)"),
    processes: int = typer.Option(2, "--processes", min=1, help="processes for --all"),
) -> None:
    """Explain candidates of a round: the reason in one sentence, and the exact cost of forcing them."""
    from planner.cli._common import EXIT_INFEASIBLE, EXIT_INPUT, err, fail, out, read_files, run_guarded
    from planner.explain import alternatives as alt
    from planner.explain import counterfactual as cf

    if force is not None and force not in ("in", "out"):
        fail([say("explain_force", force=force)], EXIT_INPUT)
    if not candidate and not every and not alternatives:
        fail([say("explain_nothing")], EXIT_INPUT)

    def solved() -> api.Result | InfeasibleError:
        try:
            return api.solve(scenario, candidates=candidates, time_limit_s=time_limit, seed=seed, workers=workers)
        except InfeasibleError as exc:
            if getattr(exc, "diagnosis", None) is not None:
                return exc
            return _diagnosed(scenario, candidates, time_limit)

    result = run_guarded(solved)
    if isinstance(result, InfeasibleError):
        fail([str(result), *result.diagnosis.lines], EXIT_INFEASIBLE)
    if result.summary["status"] != "OPTIMAL":
        err.print(say("explain_not_optimal", gap=f"{result.summary['gap']:.2%}"), markup=False)
    from planner.explain import for_result
    result.explanations = for_result(result)        # with the lookahead's plan (see docs/explanations.md)
    result.slate["reason"] = result.explanations["reason"].to_numpy()
    reasons = result.explanations.set_index(result.explanations["candidate_id"].astype(str))
    engine = cf.Engine(result.model, result.solution.selected, result.solution.national) if candidate else None
    for cid in candidate:
        item = run_guarded(lambda cid=cid: cf.counterfactual(result, cid, force=force, time_limit_s=time_limit,
                                                             engine=engine))
        row = reasons.loc[cid]
        code = row["reason_code"] if english() else reason_word(row["reason_code"])
        out.print(f"{cid}  {code}：{row['reason']}" if not english() else f"{cid}  {code}  {row['reason']}",
                  markup=False, highlight=False)
        how = [outcome_word(item.status), *([method_word(item.method)] if item.method else []),
               f"{item.solve_s:.2f} s" if english() else f"{item.solve_s:.2f} 秒"]
        out.print(f"  {item.sentence}  [{', '.join(how)}]" if english() else f"  {item.sentence} 〔{' · '.join(how)}〕",
                  markup=False, highlight=False)
    if every:
        table = run_guarded(lambda: cf.explain_all(result, processes=processes, time_limit_s=time_limit))
        counts = table["status"].value_counts().to_dict()
        sep = ", " if english() else "，"
        out.print(say("explain_counts", n=len(table),
                      counts=sep.join(f"{v} {outcome_word(k)}" for k, v in counts.items())), markup=False)
        if out_file is not None:
            merged = cf.merge(result.explanations, table)
            from planner.show import write_outputs
            run_guarded(lambda: write_outputs(out_file.parent, tables={out_file.name: merged},
                                                      inputs=[scenario, candidates, *read_files(scenario)]))
            out.print(say("written_file", path=out_file), markup=False)
        else:
            for record in table.to_dict("records"):
                out.print(f"{record['candidate_id']}  {record['counterfactual']}", markup=False, highlight=False)
    if alternatives:
        table = run_guarded(lambda: alt.alternative_slates(result, alternatives, time_limit_s=time_limit))
        if not len(table):
            out.print(say("explain_unique"), markup=False)
        for record in table.to_dict("records"):
            out.print(say("explain_alternative", n=record["alternative"], sentence=record["sentence"]), markup=False,
                      highlight=False)
        if len(table):
            names = alt.undecided(table)
            out.print(say("explain_undecided", names="、".join(names)), markup=False, highlight=False)


def _diagnosed(scenario: Path, candidates: Optional[Path], time_limit: float) -> InfeasibleError:
    """The InfeasibleError of an infeasible scenario, with its conflicts and relaxation advice."""
    from planner.explain import infeasible_error
    from planner.rules import load_scenario
    loaded = load_scenario(scenario)
    prepared = read_round(loaded, candidates).prepared
    return infeasible_error(prepared.frame, loaded, locked=prepared.locked, locked_national=prepared.locked_national,
                            history_rows=getattr(prepared, "history_rows", None), time_limit_s=time_limit)

