"""The audit of a slate file told to a person: table findings, rule violations, a summary first.

Owns `SlateAudit` — the rule audit (`audit.check.AuditReport`) plus what the comparison with the
candidate table found (`audit.table`) and, when asked, the slate's score against the optimum —
and `summarise`, which turns a long list of findings into a summary line (how many, of which
kinds), the first few in full and the rest for a file. Computes no finding itself.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from planner.audit.check import AuditReport
from planner.errors import Problem
from planner.lang import english, say

SHOWN = 20
"""Findings printed in full before the rest go to a file."""
KINDS_SHOWN = 12
"""Kinds named in the summary line before "N of K other kinds"."""


@dataclass
class SlateAudit(AuditReport):
    """An `AuditReport` of a slate file, with its comparison against the candidate table.

    Attributes
    ----------
    table : list of Problem
        Differences from the round's candidate table (`audit.table.compare_with_table`).
    score : object or None
        The slate's score against the optimum (`rounds.audit_score.ScoreComparison`), if asked.
    score_note : str
        Why the score was not compared although asked (no optimum found), else "".
    """

    table: list[Problem] = field(default_factory=list)
    score: Any = None
    score_note: str = ""

    @property
    def ok(self) -> bool:
        return not self.table and super().ok

    def messages(self) -> list[str]:
        return [str(p) for p in self.table] + super().messages()

    def kinds(self) -> list[str]:
        """The kind of each line of `messages` (for the summary): a table finding's column or
        kind, a row problem's wording, a rule's id."""
        kinds = [table_kind(p) for p in self.table]
        kinds += [str(problem) for problem in self.rows["problem"]]
        kinds += [say(f"规则“{rid}”", f'rule "{rid}"') for rid in self.hard_violations["rule_id"]]
        return kinds


def table_kind(problem: Problem) -> str:
    # Told from the wording `audit.table` gives each kind, in either language.
    if problem.column == "candidate_id":
        if problem.found.startswith(("no row", "没有")):
            return say("名单中缺少的项目", "missing from the slate")
        if " again " in problem.found or " 重复（" in problem.found:
            return say("重复的编号", "duplicated id")
        return say("候选项目表中没有的编号", "id not in the table")
    if problem.found.startswith(("no column", "没有")):
        return say("缺少的列", "missing column")
    return say(f"改动的 {problem.column}", f"changed {problem.column}")


def summarise(lines: list[str], kinds: list[str], *, shown: int = SHOWN) -> tuple[list[str], list[str]]:
    """A summary line, then the first `shown` lines; and the lines left for a file.

    Parameters
    ----------
    lines : list of str
        Every finding, one line each.
    kinds : list of str
        The kind of each line (same length), counted in the summary in order of first
        appearance: ``"412 findings: 403 selected although it cannot be (other_year), 9 rule "x""``.

    Returns
    -------
    (head, rest)
        ``head`` is the summary line and the first `shown` lines (all of them when there are
        no more than `shown`); ``rest`` the lines not shown.
    """
    counts = Counter(kinds)
    order = list(dict.fromkeys(kinds))
    if english():
        noun = "finding" if len(lines) == 1 else "findings"
        parts = [f"{counts[k]} {k}" for k in order[:KINDS_SHOWN]]
        if len(order) > KINDS_SHOWN:
            others = order[KINDS_SHOWN:]
            parts.append(f"{sum(counts[k] for k in others)} of {len(others)} other kinds")
        summary = f"{len(lines)} {noun}: " + ", ".join(parts)
    else:
        parts = [f"{k} {counts[k]} 条" for k in order[:KINDS_SHOWN]]
        if len(order) > KINDS_SHOWN:
            others = order[KINDS_SHOWN:]
            parts.append(f"其余 {len(others)} 类共 {sum(counts[k] for k in others)} 条")
        summary = f"共 {len(lines)} 条问题：" + "；".join(parts)
    return [summary, *lines[:shown]], lines[shown:]
