"""`planner scores SCENARIO SHEET… --out FILE`: expert score sheets in, each project's score and the rater report out.

Owns the command's arguments and what it prints; the work is `planner.analysis.raters.score_report`
(the sheets read, each project's score made by the scenario's ``[scoring]``, the raters judged)
and `ScoreReport.save` (the Chinese workbook FILE and the chart ``<FILE stem>-raters.png``
beside it). Exit codes as every command: 0 done, 2 bad input (a sheet's problem, a project with
too few counted scores), nothing written on failure.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from planner.cli._messages import english, say


def register(app: typer.Typer) -> None:
    app.command(name="scores")(scores)


def scores(
    scenario: Path = typer.Argument(..., help="scenario TOML file (its [scoring] is the office's rule)"),
    sheets: list[Path] = typer.Argument(..., help="expert score sheets (csv/xlsx, long or wide form)"),
    out_file: Optional[Path] = typer.Option(None, "--out", help="the workbook written (.xlsx; default "
                                            "out/<scenario stem>-scores.xlsx), the chart beside it"),
    candidates: Optional[Path] = typer.Option(None, "--candidates", help="candidate table replacing the scenario's"),
    chart: bool = typer.Option(True, "--chart/--no-chart", help="draw <FILE stem>-raters.png"),
    rows: int = typer.Option(10, "--rows", min=0, help="experts listed (the most flagged first)"),
) -> None:
    """Aggregate expert score sheets by the scenario's rule; write each project's score and the rater report."""
    from planner.analysis.raters import score_report
    from planner.cli._common import out, read_files, run_guarded

    target = out_file or Path("out") / f"{scenario.stem}-scores.xlsx"

    def action():
        report = score_report(scenario, sheets, candidates=candidates)
        written = report.save(target, chart=chart, inputs=[scenario, candidates, *sheets, *read_files(scenario)])
        return report, written

    report, written = run_guarded(action)
    table = report.aggregated
    flags = table["flags"].str.split(";").explode()
    out.print(say("scores_rule", rule=report.rule.describe()), markup=False)
    out.print(say("scores_headline", projects=len(table), scores=len(report.scores), sheets=len(sheets),
                  recused=int(table["n_recused"].sum()), projects_recused=int((table["n_recused"] > 0).sum()),
                  ties=int(flags.isin(["tie_high", "tie_low"]).sum()), wide=int(flags.eq("wide").sum()),
                  missing=len(report.missing)), markup=False)
    raters = report.raters.raters
    out.print(say("scores_raters", experts=len(raters), harsh=int(raters["flag"].eq("harsh").sum()),
                  lenient=int(raters["flag"].eq("lenient").sum()),
                  inconsistent=int(raters["flag"].eq("inconsistent").sum()),
                  outliers=len(report.raters.outliers), scale=f"{report.raters.scale:.2f}"), markup=False)
    ranked = raters.assign(_flagged=raters["flag"].ne(""), _size=raters["mean_deviation"].abs()).sort_values(
        ["_flagged", "_size"], ascending=False)
    listing = Table(title=say("scores_table"), title_justify="left")
    words = dict(zip(("harsh", "lenient", "inconsistent", ""), say("scores_flags").split("|")))
    for k, column in enumerate(say("scores_columns").split("|")):
        listing.add_column(column, justify="right" if 2 <= k <= 5 else "left", overflow="fold")
    for record in ranked.head(rows).to_dict("records"):
        corr = record["correlation"]
        listing.add_row(escape(str(record["expert_id"])), escape(str(record["expert_unit"])[:16]),
                        str(record["n_counted"]), f"{record['mean_deviation']:+.2f}",
                        "" if record["sd_deviation"] != record["sd_deviation"] else f"{record['sd_deviation']:.2f}",
                        "" if corr != corr else f"{corr:.2f}", words.get(record["flag"], record["flag"]))
    if rows:
        out.print(listing)
    out.print(say("written_list", target=str(target.parent) + "/", files=(", " if english() else "、").join(
        p.name for p in written)),
              markup=False)
