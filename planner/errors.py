"""Error family of the planner: what went wrong, where, what was found, what was expected.

Owns the exception classes and the `Problem` record that every loader uses to collect
all problems before raising. Does not own message wording of individual checks (those
live where the check is made) nor exit codes (those live in `cli`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import pandas as pd

from planner.lang import english, say

#: What a solver says when no slate holds every hard rule (before any diagnosis names the rules).
NO_SLATE = "no slate satisfies every hard rule of the scenario"


@dataclass(frozen=True)
class Problem:
    """One located problem in an input file.

    Rendered as ``file:row:column：发现 …，应为 …`` (``found …, expected …`` in English, see
    `planner.lang`); row and column are omitted
    when they do not apply (a whole-file problem). For a scenario, "row" is the TOML
    line and "column" the rule id and key (``rule "pc-school"/max``).
    """

    file: str
    found: str
    expected: str = ""
    row: int | None = None
    column: str | None = None
    hint: str = ""

    def __str__(self) -> str:
        place = ":".join([self.file, *([str(self.row)] if self.row is not None else []),
                          *([self.column] if self.column is not None else [])])
        found, expected, hint = _FRAME["en" if english() else "zh"]
        return (place + found.format(self.found) + (expected.format(self.expected) if self.expected else "")
                + (hint.format(self.hint) if self.hint else ""))


#: How a problem is said: after the place, what was found, what was expected, the hint.
_FRAME = {"zh": ("：发现 {}", "，应为 {}", "。{}"), "en": (": found {}", ", expected {}", " — {}")}


class PlannerError(Exception):
    """Root of every error the planner raises on purpose."""


class _ProblemsError(PlannerError):
    """An error carrying one or more located problems, all reported at once."""

    def __init__(self, problems: Iterable[Problem] | str):
        if isinstance(problems, str):
            self.problems: list[Problem] = []
            message = problems
        else:
            self.problems = list(problems)
            message = "\n".join(str(p) for p in self.problems)
        super().__init__(message)

    def lines(self) -> list[str]:
        """One line per problem, as the CLI prints them."""
        return [str(p) for p in self.problems] or str(self).splitlines()


class InputError(_ProblemsError, ValueError):
    """A candidate table, slate or other data file is malformed (CLI exit 2)."""


class PolicyError(_ProblemsError, ValueError):
    """A scenario file is malformed or names unknown columns, codes or localities (exit 2)."""


class InfeasibleError(PlannerError):
    """No slate satisfies the hard rules (CLI exit 3).

    Attributes
    ----------
    conflicts : pandas.DataFrame
        A minimal set of conflicting rule groups: columns ``rule_id``, ``clause``,
        ``group``, ``bound`` (``min``/``max``), ``limit``, ``message``.
    """

    def __init__(self, message: str = NO_SLATE, conflicts: pd.DataFrame | None = None):
        if message == NO_SLATE:         # the solvers' plain sentence, in the language asked for
            message = say("没有任何名单能满足情景的全部硬性规则", NO_SLATE)
        super().__init__(message)
        self.conflicts = conflicts if conflicts is not None else pd.DataFrame()


class NoSolutionError(PlannerError):
    """The time limit ran out before any slate was found (CLI exit 4)."""


class AuditError(PlannerError):
    """A slate returned by the solver failed the independent audit — a bug, never a user error."""

    def __init__(self, message: str, violations: pd.DataFrame | None = None):
        super().__init__(message)
        self.violations = violations if violations is not None else pd.DataFrame()
