"""`planner ledger OUT_DIR...`: the 2023–2025 ledger of solved rounds against the 2025 targets.

Owns the command's arguments and how the ledger is printed; the ledger itself is
`planner.ledger` (`ledger_from_outputs`, `ledger_table`, `ledger_summary`). Exit codes as every
command: 0 printed (targets still open are not an error), 1 a hard rule group is over its
maximum or below a minimum that binds (a target whose year has come), 2 a folder, slate or scenario missing.
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import typer
from rich.table import Table


def register(app: typer.Typer) -> None:
    app.command(name="ledger")(ledger)


def ledger(
    out_dirs: list[Path] = typer.Argument(..., help="output folders of planner solve, e.g. out/jilin-2025"),
    scenario: Path | None = typer.Option(None, "--scenario", help="scenario of the latest round "
                                            "(default: the one recorded in the last folder's summary.json)"),
    all_groups: bool = typer.Option(False, "--all", help="print every rule group, not one line per rule"),
    out_file: Path | None = typer.Option(None, "--out", help="also write the ledger as this csv file"),
) -> None:
    """Use per year, quota left and progress towards the 2025 targets, for every rule."""
    from planner.cli._common import EXIT_VIOLATIONS, err, out, run_guarded
    from planner.ledger import ledger_from_outputs

    def action():
        loaded, table = ledger_from_outputs(out_dirs, scenario)
        if out_file is not None:
            from planner.show import write_outputs
            write_outputs(out_file.parent if str(out_file.parent) else Path("."), tables={out_file.name: table})
        return loaded, table

    loaded, table = run_guarded(action)
    print_ledger(loaded, table, all_groups=all_groups)
    bad = table[(~table["soft"]) & table["status"].isin(["over", "below"])]
    for row in bad.to_dict("records"):
        err.print(f'error: rule "{row["rule_id"]}" group "{row["group"]}": {row["status"]} '
                  f'(used {row["used"]:g})', markup=False)
    if out_file is not None:
        out.print(f"written to {out_file}", markup=False)
    if len(bad):
        raise typer.Exit(EXIT_VIOLATIONS)


def print_ledger(scenario, table: pd.DataFrame, *, all_groups: bool = False) -> None:
    """Targets first (one line per rule, or per group with --all), then quotas and yearly pools."""
    from planner.cli._common import out
    from planner.ledger import ledger_summary
    first, last = scenario.years
    years = list(range(first, last + 1))
    out.print(f"[bold]{scenario.name}[/bold] — ledger after the {scenario.year} round "
              f"(period {first}–{last})")
    targets = table[table["target"].notna()]
    if all_groups:
        _print(f"targets (by {int(targets['target_year'].max()) if len(targets) else last})", targets,
               ["rule_id", "group", *[f"used_{y}" for y in years], "used", "target", "to_target", "status"])
        quotas = table[table["target"].isna() & table["max"].gt(0)]
        _print("quotas and pools", quotas, ["rule_id", "group", "scope", *[f"used_{y}" for y in years], "used",
                                            "max", "remaining", "status"])
        return
    summary = ledger_summary(table)
    with_target = summary[summary["targets"] > 0].copy()
    with_target["met"] = with_target["targets_met"].astype(str) + "/" + with_target["targets"].astype(str)
    _print("targets by 2025 (summed over groups; met = groups at or above their target)", with_target,
           ["rule_id", "clause", *[f"used_{y}" for y in years], "used", "target", "to_target", "met"])
    quotas = summary[(summary["targets"] == 0) & summary["max"].gt(0)]
    _print("quotas and yearly pools (summed over groups)", quotas,
           ["rule_id", "scope", *[f"used_{y}" for y in years], "used", "max", "remaining", "groups_full", "groups"])


def _print(title: str, frame: pd.DataFrame, columns: list[str]) -> None:
    from planner.cli._common import out
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column.replace("used_", ""), justify="left" if column in ("rule_id", "text", "group", "clause",
                                                                                   "scope", "status") else "right",
                         overflow="fold", max_width=40 if column == "text" else None)
    for row in frame[columns].to_dict("records"):
        table.add_row(*(_cell(row[c]) for c in columns))
    out.print(table)


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
