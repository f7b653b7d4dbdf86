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
from rich.markup import escape
from rich.table import Table

from planner.cli._messages import english, prefixed, say


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
    from planner.cli._common import EXIT_VIOLATIONS, err, out, read_files, run_guarded
    from planner.ledger import ledger_from_outputs

    def action():
        loaded, table = ledger_from_outputs(out_dirs, scenario)
        if out_file is not None:
            from planner.show import write_outputs
            # every file read is refused as the output: the scenario found in summary.json, its
            # candidate table and history as well as the folders' slates
            read = [scenario, *read_files(loaded)]
            write_outputs(out_file.parent if str(out_file.parent) else Path("."), tables={out_file.name: table},
                          inputs=[*read, *(Path(d) / n for d in out_dirs for n in ("slate.csv", "summary.json"))])
        return loaded, table

    loaded, table = run_guarded(action)
    print_ledger(loaded, table, all_groups=all_groups)
    bad = table[(~table["soft"]) & table["status"].isin(["over", "below"])]
    for row in bad.to_dict("records"):
        status = row["status"] if english() else STATUS_ZH.get(row["status"], row["status"])
        err.print(prefixed("error", say("ledger_error", rule=row["rule_id"], group=row["group"], status=status,
                                  used=f'{row["used"]:g}')), markup=False)
    if out_file is not None:
        out.print(say("written_file", path=out_file), markup=False)
    if len(bad):
        raise typer.Exit(EXIT_VIOLATIONS)


HEADERS_ZH = {"rule_id": "规则", "group": "分组", "used": "合计", "target": "目标", "to_target": "尚差",
              "status": "状态", "met": "达到", "scope": "范围", "max": "上限", "remaining": "剩余",
              "groups_full": "满额", "groups": "组数", "clause": "条款"}
SCOPE_ZH = {"period": "累计", "year": "本年"}
STATUS_ZH = {"over": "超出上限", "below": "未达下限", "met": "已达到", "open": "未达到", "full": "已满",
             "ok": "正常"}


def print_ledger(scenario, table: pd.DataFrame, *, all_groups: bool = False, lang: str | None = None) -> None:
    """Targets first (one line per rule, or per group with --all), then quotas and yearly pools.

    ``lang="zh"`` (default: the command's ``--lang``) names each rule by its clause and the
    notice's words, with Chinese headers, in a borderless table that fits 80 columns; ``"en"``
    prints the rule ids and codes. Long rule texts wrap by the line-start rule (`cli._wrap`).
    """
    from planner.cli._common import out
    from planner.ledger import ledger_summary
    first, last = scenario.years
    years = list(range(first, last + 1))
    zh = (lang or ("en" if english() else "zh")) != "en"
    if zh:
        out.print(f"[bold]{scenario.name}[/bold]：{scenario.year}年度之后的台账（{first}–{last}年）")
    else:
        out.print(f"[bold]{scenario.name}[/bold] — ledger after the {scenario.year} round "
                  f"(period {first}–{last})")
    targets = table[table["target"].notna()]
    if all_groups:
        _print("各目标（按分组）" if zh else f"targets (by {int(targets['target_year'].max()) if len(targets) else last})",
               targets, ["rule_id", "group", *[f"used_{y}" for y in years], "used", "target", "to_target", "status"],
               zh=zh)
        quotas = table[table["target"].isna() & table["max"].gt(0)]
        _print("限额与年度名额（按分组）" if zh else "quotas and pools", quotas,
               ["rule_id", "group", "scope", *[f"used_{y}" for y in years], "used", "max", "remaining", "status"],
               zh=zh)
        return
    summary = ledger_summary(table)
    with_target = summary[summary["targets"] > 0].copy()
    with_target["met"] = with_target["targets_met"].astype(str) + "/" + with_target["targets"].astype(str)
    _print("全省目标（各组合计；达到 = 已达目标的组数/组数）" if zh else
           "targets by 2025 (summed over groups; met = groups at or above their target)", with_target,
           ["rule_id", *(["clause"] if not zh else []), *[f"used_{y}" for y in years], "used", "target",
            "to_target", "met"], zh=zh)
    quotas = summary[(summary["targets"] == 0) & summary["max"].gt(0)]
    _print("限额与年度名额（各组合计；满额 = 已用满的组数）" if zh else
           "quotas and yearly pools (summed over groups)", quotas,
           ["rule_id", "scope", *[f"used_{y}" for y in years], "used", "max", "remaining", "groups_full", "groups"],
           zh=zh)


def _print(title: str, frame: pd.DataFrame, columns: list[str], *, zh: bool = False) -> None:
    from rich import box

    from planner.cli._common import out
    if not zh:
        table = Table(title=title, show_lines=False)
        for column in columns:
            table.add_column(column.replace("used_", ""), justify="left" if column in (
                "rule_id", "text", "group", "clause", "scope", "status") else "right",
                overflow="fold", max_width=40 if column == "text" else None)
        for row in frame[columns].to_dict("records"):
            table.add_row(*(escape(_cell(row[c])) for c in columns))
        out.print(table)
        return
    table = Table(title=title, box=box.SIMPLE_HEAD, show_lines=False, pad_edge=False, padding=(0, 1))
    for column in columns:
        left = column in ("rule_id", "group", "scope", "status")
        table.add_column(HEADERS_ZH.get(column, column.replace("used_", "")), justify="left" if left else "right",
                         overflow="fold", max_width=36 if column == "rule_id" else None,
                         no_wrap=not left)
    for row in frame.to_dict("records"):
        cells = []
        for c in columns:
            if c == "rule_id":
                cells.append(f"{row.get('clause', '')}{row.get('text', '') or row['rule_id']}")
            elif c == "scope":
                cells.append(SCOPE_ZH.get(row[c], _cell(row[c])))
            elif c == "status":
                cells.append(STATUS_ZH.get(row[c], _cell(row[c])))
            else:
                cells.append(_cell(row[c]))
        table.add_row(*(escape(c) for c in cells))
    out.print(table)


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
