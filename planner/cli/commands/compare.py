"""`planner compare OUT_A OUT_B`: two solved rounds side by side.

Owns the command's arguments and how the comparison is printed; the comparison itself is
`planner.compare.compare`. Exit codes as every command: 0 done, 2 a folder or file missing or
unreadable.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import pandas as pd
import typer
from rich.markup import escape
from rich.table import Table

from planner.cli._messages import english, say
from planner.show import Comparison
from planner.show.compare import compare as compare_outputs


def register(app: typer.Typer) -> None:
    app.command(name="compare")(compare)


def compare(
    out_a: Path = typer.Argument(..., help="output folder of the reference run (e.g. the base scenario)"),
    out_b: Path = typer.Argument(..., help="output folder of the variant run"),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="also write the comparison tables (csv) here"),
    rows: int = typer.Option(20, "--rows", min=0, help="candidates listed per table (entered, left)"),
) -> None:
    """Compare two runs: who entered and left, total score, per-locality and per-tier counts, binding rules."""
    from planner.cli._common import out, run_guarded

    def action() -> Comparison:
        result = compare_outputs(out_a, out_b, labels=(out_a.name or str(out_a), out_b.name or str(out_b)))
        if out_dir is not None:
            from planner.show import write_outputs
            write_outputs(out_dir, tables=result.tables(),
                          inputs=[Path(d) / n for d in (out_a, out_b) for n in ("slate.csv", "summary.json")])
        return result

    comparison = run_guarded(action)
    print_comparison(comparison, rows=rows)
    if out_dir is not None:
        out.print(say("written_list", target=f"{out_dir}/", files="、".join(comparison.tables())), markup=False)


#: Headers of the printed tables, by column (English: the column names themselves).
HEADERS = {"candidate_id": "项目编号", "title": "项目名称", "unit_name": "申报单位", "locality": "所属市（州）",
           "score": "评审分数", "reason": "说明", "tier": "档次", "tier_label": "档次", "delta": "变化",
           "rule_id": "规则", "clause": "条款", "group": "分组", "value_a": "A 已用", "value_b": "B 已用",
           "limit_a": "A 限额", "limit_b": "B 限额", "change": "变化"}
CHANGES = {"now binding": "变为起作用", "no longer binding": "不再起作用"}


def print_comparison(comparison: Comparison, *, rows: int = 20) -> None:
    """The comparison on the terminal: headline, then one table per view (Chinese; English with --lang en)."""
    from planner.cli._common import out
    a, b = comparison.labels
    summary = comparison.summary.set_index("measure")
    out.print(say("compare_labels", a=a, b=b), markup=False)
    out.print(say("compare_headline", a=f"{summary.at['total_score', 'a']:.1f}",
                  b=f"{summary.at['total_score', 'b']:.1f}", delta=f"{comparison.score_delta:+.1f}",
                  na=f"{summary.at['n_selected', 'a']:.0f}", nb=f"{summary.at['n_selected', 'b']:.0f}",
                  entered=len(comparison.entered), left=len(comparison.left),
                  changed=len(comparison.binding_changes)), markup=False)
    columns = ["candidate_id", "title", "unit_name", "locality", "score", "reason"]
    _table(say("compare_entered", n=len(comparison.entered)), comparison.entered[columns], rows)
    _table(say("compare_left", n=len(comparison.left)), comparison.left[columns], rows)
    _table(say("compare_locality"), comparison.by_locality.rename(columns={"count_a": "A", "count_b": "B"}), 100)
    _table(say("compare_tier"), comparison.by_tier.drop(columns="tier")
           .rename(columns={"count_a": "A", "count_b": "B"}), 100)
    changes = comparison.binding_changes[["rule_id", "clause", "group", "value_a", "value_b", "limit_a", "limit_b",
                                          "change"]]
    if not english():
        changes = changes.assign(change=changes["change"].map(lambda c: CHANGES.get(c, c)))
    _table(say("compare_binding", n=len(comparison.binding_changes)), changes, rows)


def _table(title: str, frame: pd.DataFrame, rows: int) -> None:
    from planner.cli._common import out
    table = Table(title=title, title_justify="left")
    numeric = {c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]) and frame[c].dtype != bool}
    for column in frame.columns:
        header = str(column) if english() else HEADERS.get(str(column), str(column))
        table.add_column(header, justify="right" if column in numeric else "left", overflow="fold")
    for record in frame.head(rows).to_dict("records"):
        table.add_row(*(escape(_text(record[c], c == "delta")) for c in frame.columns))
    out.print(table)
    if len(frame) > rows:
        out.print(say("compare_more", n=len(frame) - rows), markup=False)


def _text(value: object, signed: bool) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:+.1f}" if signed else (f"{value:.0f}" if value.is_integer() else f"{value:.1f}")
    if isinstance(value, int) and not isinstance(value, bool) and signed:
        return f"{value:+d}"
    return str(value)
