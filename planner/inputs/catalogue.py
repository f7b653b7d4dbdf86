"""The catalogue: tasks and tracks, localities and their aliases, unit kinds, tiers, levels.

Owns reading `planner/data/catalogue.toml` and answering "is this a known code?" and
"what is the canonical name of this locality?". Does not own quotas or any other number
of the notice: those are rules in scenario files (`policy`).
"""
from __future__ import annotations

import difflib
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from planner.lang import say

CATALOGUE_FILE = "catalogue.toml"


@dataclass(frozen=True)
class Task:
    code: str
    name: str
    clause: str
    tracks: dict[str, str] = field(default_factory=dict)
    enabled: bool = True


@dataclass(frozen=True)
class Link:
    """A column naming another candidate row (`[link.<column>]` of the catalogue)."""

    column: str
    label: str
    clause: str
    task: str                         # the task of the row named
    same: tuple[str, ...] = ()        # columns both rows share
    on: dict[str, str] = field(default_factory=dict)   # column -> value of the rows that may carry it


@dataclass(frozen=True)
class Catalogue:
    """Known codes of every categorical candidate column."""

    tasks: dict[str, Task]
    localities: dict[str, str]          # canonical name -> kind
    aliases: dict[str, str]             # alias (and canonical name) -> canonical name
    unit_kinds: dict[str, str]          # code -> Chinese label
    tiers: dict[str, str]
    levels: dict[str, str]
    links: dict[str, Link] = field(default_factory=dict)   # link column -> Link

    # --- lookups ---------------------------------------------------------------
    def locality(self, text: str) -> str | None:
        """Canonical locality for a name or alias (spaces and full-width forms ignored)."""
        return self.aliases.get(clean_text(text))

    def tracks_of(self, task: str) -> dict[str, str]:
        return self.tasks[task].tracks if task in self.tasks else {}

    def codes(self, column: str) -> list[str] | None:
        """The known values of a categorical column, or None for a free column."""
        return {
            "task": list(self.tasks),
            "track": sorted({t for task in self.tasks.values() for t in task.tracks}),
            "unit_kind": list(self.unit_kinds),
            "tier": list(self.tiers),
            "level": list(self.levels),
            "locality": list(self.localities),
        }.get(column)

    def label(self, column: str, code: str) -> str:
        """The Chinese label shown to people for a code (the code itself if unknown)."""
        table = {
            "task": {c: t.name for c, t in self.tasks.items()},
            "unit_kind": self.unit_kinds,
            "tier": self.tiers,
            "level": self.levels,
        }.get(column, {})
        return table.get(code, code)


def clean_text(value: object) -> str:
    """NFKC-normalise (full-width digits and letters to ASCII) and strip all blanks."""
    text = unicodedata.normalize("NFKC", str(value))
    return text.strip().replace("\u3000", "").strip()


def suggest(value: str, options: list[str] | tuple[str, ...]) -> str:
    """`是否应为“X”？` (English: `did you mean "X"?`) for the nearest option, or an empty string."""
    close = difflib.get_close_matches(str(value), list(options), n=1, cutoff=0.3)
    if not close:
        close = [o for o in options if str(value) and (str(value) in o or o in str(value))][:1]
    return say(f"是否应为“{close[0]}”？", f'did you mean "{close[0]}"?') if close else ""


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    """Read the bundled catalogue (cached: it is immutable)."""
    raw = tomllib.loads(resources.files("planner").joinpath("data", CATALOGUE_FILE).read_text("utf-8"))
    tasks = {
        t["code"]: Task(
            code=t["code"],
            name=t["name"],
            clause=t["clause"],
            tracks={tr["code"]: tr["name"] for tr in t.get("tracks", [])},
            enabled=t.get("enabled", True),
        )
        for t in raw["task"]
    }
    localities = {loc["name"]: loc["kind"] for loc in raw["locality"]}
    aliases: dict[str, str] = {}
    for loc in raw["locality"]:
        for name in [loc["name"], *loc.get("aliases", [])]:
            aliases[clean_text(name)] = loc["name"]
    return Catalogue(
        tasks=tasks,
        localities=localities,
        aliases=aliases,
        unit_kinds=dict(raw["unit_kind"]),
        tiers=dict(raw["tier"]),
        levels=dict(raw["level"]),
        links={col: Link(column=col, label=spec["label"], clause=spec.get("clause", ""), task=spec["task"],
                         same=tuple(spec.get("same", ())), on=dict(spec.get("on", {})))
               for col, spec in raw.get("link", {}).items()},
    )
