"""`planner amend RUN_DIR --withdraw ID … [--ineligible ID …] [--rescore ID=SCORE …]`: after the 公示.

Holds no logic: `planner.api.amendments` re-solves the published round with the fewest changes
and writes the amendment folder (never the base); this command parses the requests, prints what
changed and why (and the full re-solve beside it), and ``--verify AMEND_DIR`` replays a folder.
Exit codes as every command: 0 written (or verified), 1 not verified, 2 bad input, 3 infeasible.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from planner.cli._messages import say


def register(app: typer.Typer) -> None:
    app.command(name="amend")(amend)


def _seconds(value: float | None) -> float | None:
    from planner.cli._common import check_seconds
    return check_seconds(value)


def amend(
    run_dir: Path = typer.Argument(..., help="run folder of the published round (planner solve --out), or an "
                                   "earlier amendment's folder"),
    withdraw: list[str] = typer.Option([], "--withdraw", help="a project withdrawn by its unit (repeatable; "
                                       "ids may be comma-separated)"),
    ineligible: list[str] = typer.Option([], "--ineligible", help="a project found ineligible (repeatable)"),
    rescore: list[str] = typer.Option([], "--rescore", help="ID=SCORE: a corrected score (repeatable)"),
    reason: list[str] = typer.Option([], "--reason", help="why: free text for the whole amendment, or ID=text "
                                     "for one project (repeatable)"),
    asked_by: str = typer.Option("", "--asked-by", help="who asked for the amendment (recorded)"),
    number: str = typer.Option("", "--number", help="文号 of the amended list, e.g. 吉教职成〔2023〕15号"),
    date: str = typer.Option("", "--date", help="date of the amended list, YYYY-MM-DD"),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="amendment folder (default: RUN_DIR_调整1 beside "
                                           "it; never RUN_DIR itself)"),
    time_limit: Optional[float] = typer.Option(None, "--time-limit", callback=_seconds, help="seconds per solve (default: the "
                                               "base run's)"),
    verify: bool = typer.Option(False, "--verify", help="replay the amendment in RUN_DIR (and its base) and "
                                "confirm the same slate"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="print errors only"),
) -> None:
    """Amend a published round with the fewest changes (withdrawn, ineligible or rescored projects)."""
    from planner.api.amendments import amend as amend_round
    from planner.api.amendments import check_publication, default_out, refuse_base, save_amendment, verify_amendment
    from planner.cli._common import EXIT_INPUT, EXIT_VIOLATIONS, fail, out, run_guarded

    if verify:
        report = run_guarded(lambda: verify_amendment(run_dir))
        for line in report.rerun_lines():
            out.print(line, markup=False)
        if report.ok:
            out.print(say("amend_verified", folder=run_dir), markup=False)
            return
        fail([*report.problems] or [say("amend_not_verified", folder=run_dir)], EXIT_VIOLATIONS)
    ids = {"withdraw": _ids(withdraw), "ineligible": _ids(ineligible)}
    scores, reasons, note, problems = _pairs(rescore, reason)
    if problems:
        fail(problems, EXIT_INPUT)
    target = out_dir or default_out(run_dir)

    def action():
        check_publication(number, date or None)         # a bad 文号 or date before any solving
        refuse_base(target, run_dir)
        amendment = amend_round(run_dir, withdraw=ids["withdraw"], ineligible=ids["ineligible"], rescore=scores,
                                reasons=reasons, asked_by=asked_by, note=note, time_limit_s=time_limit)
        save_amendment(amendment, target, number=number, date=date or None)
        return amendment

    amendment = run_guarded(action)
    if not quiet:
        print_amendment(amendment)
        out.print(say("amend_written", folder=target), markup=False)


def _ids(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.replace("，", ",").split(",") if part.strip()]


def _pairs(rescore: list[str], reason: list[str]) -> tuple[dict[str, float], dict[str, str], str, list[str]]:
    scores, reasons, notes, problems = {}, {}, [], []
    for item in rescore:
        cid, sep, value = item.partition("=")
        try:
            scores[cid.strip()] = float(value)
        except ValueError:
            problems.append(say("amend_bad_rescore", item=item))
        if not sep:
            problems.append(say("amend_bad_rescore", item=item))
    for item in reason:
        cid, sep, text = item.partition("=")
        if sep and cid.strip() and " " not in cid.strip() and len(cid.strip()) <= 40:
            reasons[cid.strip()] = text.strip()
        else:
            notes.append(item.strip())
    return scores, reasons, "；".join(notes), problems


def print_amendment(amendment) -> None:
    """What changed, one line per change with its cause, then the count against the full re-solve."""
    from planner.cli._common import out
    record = amendment.record
    counts, full = record["counts"], record["full_resolve"]
    for row in amendment.changes.to_dict("records"):
        mark = "−" if row["change"] == "left" else "+"
        out.print(f"  {mark} {row['title']}（{row['unit_name']}，{row['candidate_id']}）：{row['sentence']}",
                  markup=False, soft_wrap=True)
    out.print(say("amend_counts", requested=counts["requested"], forced=counts["forced"], entered=counts["entered"],
                  national=counts["national_left"] + counts["national_entered"], changes=counts["changes"],
                  total=f"{record['total_score']:,.1f}"), markup=False)
    if full is None:
        return
    out.print(say("amend_full", changes=full["changes"], total=f"{full['total_score']:,.1f}",
                  objective=f"{full['objective']:,.1f}", ours=f"{record['objective']:,.1f}",
                  cost=f"{full['objective'] - record['objective']:,.1f}"), markup=False)
