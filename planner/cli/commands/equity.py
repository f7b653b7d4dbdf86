"""`planner equity SCENARIO`: shares per locality (or tier) against reference shares, and what balance costs.

Owns the command's options and the printed tables; the work is `planner.analysis.equity` (the
shares and indices: `planner.analysis.shares`). Without a bound it reports the shares and indices
of the planner's slate; with ``--max-index`` or ``--weight`` it solves the round with that equity
bound or penalty (slate files as ``planner solve`` writes them, plus shares.csv); with
``--frontier K`` it computes the score–equity frontier (table and chart). Exit codes as every
command: 0 done, 2 bad input, 3 infeasible (no slate that balanced).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Literal, Optional

import typer

from rich.markup import escape
from rich.table import Table

from planner.cli._common import check_non_negative, check_seconds
from planner.cli._messages import english, say, status_word


def register(app: typer.Typer) -> None:
    app.command(name="equity")(equity)


def equity(
    scenario: Path = typer.Argument(..., help="scenario TOML file"),
    by: str = typer.Option("locality", "--by", help="group column: locality | tier | any column"),
    reference: str = typer.Option("candidates", "--reference",
                                  help="reference shares: candidates | equal | column:NAME | FILE.csv (group,weight)"),
    index: Literal["lh", "max"] = typer.Option("lh", "--index", help="index bounded: lh (Loosemore–Hanby) | max (largest deviation)"),
    max_index: Optional[float] = typer.Option(None, "--max-index", callback=check_non_negative, help="hold the index at or below PP percentage points"),
    weight: Optional[float] = typer.Option(None, "--weight", callback=check_non_negative, help="penalty in score points per seat out of proportion"),
    frontier: Optional[int] = typer.Option(None, "--frontier", min=2, help="compute the score–equity frontier with K points"),
    executor: Literal["serial", "process", "dask"] = typer.Option("serial", "--executor", help="where frontier points run: serial | process | dask"),
    address: Optional[str] = typer.Option(None, "--address", help="Dask scheduler address"),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="worker processes for the frontier"),
    lookahead: bool = typer.Option(True, "--lookahead/--no-lookahead", help="keep the scenario's lookahead"),
    candidates: Optional[Path] = typer.Option(None, "--candidates", help="candidate table replacing the scenario's"),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="output folder (default out/<scenario stem>-equity/)"),
    time_limit: float = typer.Option(60.0, "--time-limit", callback=check_seconds, help="seconds per solve"),
    verbose: bool = typer.Option(False, "--verbose",
                                 help="show Dask's own log lines (scheduler, workers) and the solver's progress notes"),
) -> None:
    """Shares of the slate per locality or tier against reference shares; an equity bound; the frontier."""
    from planner import api
    from planner.analysis import equity as eq
    from planner.analysis import shares as sh
    from planner.analysis.balance import prepare_case
    from planner.cli._common import out, run_guarded
    from planner.show import write_outputs

    target = out_dir or Path("out") / f"{scenario.stem}-equity"
    if verbose:
        import logging
        logging.getLogger("planner").setLevel(logging.INFO)

    def action():
        written = []
        if frontier is not None:
            front = eq.frontier(scenario, candidates=candidates, by=by, reference=reference, index=index,
                                points=frontier, executor=executor, workers=workers, address=address,
                                time_limit_s=time_limit, lookahead=lookahead, verbose=verbose)
            written += [p.name for p in front.save(target)]
            return "frontier", front, written
        if max_index is not None or weight is not None:
            res = eq.solve_equitable(scenario, candidates=candidates, by=by, reference=reference, index=index,
                                     max_pp=max_index, weight=weight, time_limit_s=time_limit, lookahead=lookahead)
            written += [p.name for p in api.save(res.result, target)]
            written += [p.name for p in write_outputs(target, tables={"shares.csv": res.shares,
                                                                      "shares_unconstrained.csv": res.baseline_shares})]
            return "bound", res, written
        case = prepare_case(scenario, candidates=candidates, by=by, reference=reference, index=index,
                            time_limit_s=time_limit, lookahead=lookahead)
        result = api.solve(case.scenario, candidates=candidates, time_limit_s=time_limit)
        table = sh.shares(result.slate, case.weights, by=by, scenario=case.scenario)
        from planner.analysis import figure_png
        written += [p.name for p in write_outputs(target, tables={"shares.csv": table},
                                                  json_files={"equity.json": sh.indices(table)},
                                                  binary_files={"shares.png": figure_png(sh.plot_shares(table))})]
        return "shares", table, written

    kind, value, written = run_guarded(action)
    by_word = by if english() else BY_WORDS.get(by, by)
    if kind == "frontier":
        t = value.table
        view = Table(title=escape(say("equity_frontier", index=value.summary["index"], by=by_word)), title_justify="left")
        for column in say("equity_frontier_columns").split("|"):
            view.add_column(column, justify="right")
        index_col = "lh_pp" if index == "lh" else "max_dev_pp"
        for r in t.to_dict("records"):
            view.add_row(str(r["point"]), f"{r['epsilon_pp']:.2f}", f"{r[index_col]:.2f}", f"{r['gallagher_pp']:.2f}",
                         f"{r['objective']:.1f}", f"{r['score_loss']:.1f}",
                         status_word(str(r["status"]), _gap(r["objective"], r.get("best_bound"))))
        out.print(view)
        if not value.summary["min_index_proven"]:
            out.print(say("equity_unproven"), markup=False)
    elif kind == "bound":
        s = value.summary
        out.print(say("equity_bound", objective=f"{s['objective']:.1f}", unconstrained=f"{s['unconstrained_objective']:.1f}",
                      total=f"{s['total_score']:.1f}", cost=f"{s['cost_total_score']:.1f}"), markup=False)
        _shares(value.shares, by_word)
        _indices(s["indices"], say("equity_with_bound"))
        _indices(s["unconstrained_indices"], say("equity_unconstrained"))
    else:
        from planner.analysis.shares import indices
        _shares(value, by_word)
        _indices(indices(value), say("equity_slate"))
    out.print(say("written_list", target=f"{target}/", files="、".join(dict.fromkeys(written))), markup=False)


#: The grouping columns in words.
BY_WORDS = {"locality": "地区", "tier": "档次"}


def _shares(table, by: str) -> None:
    from planner.cli._common import out
    view = Table(title=escape(say("equity_shares", by=by)), title_justify="left")
    for k, column in enumerate(say("equity_share_columns").split("|")):
        view.add_column(column, justify="left" if k == 0 else "right")
    for r in table.to_dict("records"):
        share = r["share"]
        view.add_row(escape(str(r["group"])), str(r["selected"]), "" if share != share else f"{100 * share:.1f}",
                     f"{100 * r['reference_share']:.1f}",
                     "" if r["difference_pp"] != r["difference_pp"] else f"{r['difference_pp']:+.1f}")
    out.print(view)


def _indices(values: dict, label: str) -> None:
    from planner.cli._common import out
    out.print(say("equity_indices", label=label, g=f"{values['gallagher_pp']:.2f}", lh=f"{values['lh_pp']:.2f}",
                  mx=f"{values['max_dev_pp']:.2f}", gini=f"{values['gini']:.3f}"), markup=False)


def _gap(objective: float, bound: float | None) -> float | None:
    """A point's relative gap, (bound − objective) / |bound| (None when the bound is unknown)."""
    if bound is None or not math.isfinite(bound) or not math.isfinite(objective):
        return None
    return max(0.0, bound - objective) / max(1.0, abs(bound))
