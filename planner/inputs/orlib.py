"""OR-Library benchmark sets (J.E. Beasley): the instances read from their files.

Owns parsing the raw OR-Library files kept beside the repository in
``../shared/benchmarks/orlib/`` (never copied into it; ``PLANNER_ORLIB`` overrides the folder):
``mknap1``/``mknap2`` (multidimensional knapsack with proven optima), ``mknapcb1…9`` (Chu &
Beasley, with the best-known values and LP bounds of ``mkcbres_named.txt``), ``gap1…12``
(generalised assignment, maximisation optima of ``gapinfo.txt``). Turning an instance into a
candidate frame and a `Scenario` is `rules.orlib_rounds`.

Does not own solving nor any rule of the notice.
"""
from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from planner.errors import InputError, Problem
from planner.lang import say

log = logging.getLogger(__name__)

ENV_FOLDER = "PLANNER_ORLIB"
YEAR = 2023
CLAUSE = "OR-Library"
NEUTRAL = {"year": YEAR, "task": "textbook", "track": "", "unit_kind": "secondary_vocational", "tier": "",
           "locality": "长春市", "level": "secondary", "score": 0.0}
SETS = ("mknap1", "mknap2", *(f"mknapcb{i}" for i in range(1, 10)), *(f"gap{i}" for i in range(1, 13)))


@dataclass(frozen=True)
class MKPInstance:
    """A multidimensional knapsack: max p·x s.t. W x ≤ b, x ∈ {0,1}^n.

    ``optimum`` is a proven optimum (mknap1/2); ``best_known`` and ``lp_bound`` are the
    Chu–Beasley reference values (mknapcb: best found in 1997, a lower bound, and the LP
    relaxation, an upper bound).
    """

    name: str
    profits: np.ndarray          # (n,) float (mknap1 instance 2 has one decimal)
    weights: np.ndarray          # (m, n)
    capacities: np.ndarray       # (m,)
    optimum: float | None = None
    best_known: float | None = None
    lp_bound: float | None = None

    @property
    def kind(self) -> str:
        return "mkp"


@dataclass(frozen=True)
class GAPInstance:
    """A generalised assignment: each job to one agent, agents' resource within capacity, max Σ profit."""

    name: str
    profit: np.ndarray           # (m agents, n jobs)
    resource: np.ndarray         # (m, n)
    capacity: np.ndarray         # (m,)
    optimum: float | None = None

    @property
    def kind(self) -> str:
        return "gap"


# --------------------------------------------------------------------------- where the files are
def orlib_folder(repo_root: str | Path | None = None) -> Path:
    """The OR-Library folder: ``$PLANNER_ORLIB``, else ``<repo root>/../shared/benchmarks/orlib``."""
    if os.environ.get(ENV_FOLDER):
        return Path(os.environ[ENV_FOLDER])
    root = Path(repo_root) if repo_root is not None else Path(__file__).resolve().parents[2]
    return root.parent / "shared" / "benchmarks" / "orlib"


def _file(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise InputError([Problem(str(path), say("没有这个文件", "no such file"),
                                  say("OR-Library 文件（把 PLANNER_ORLIB 设为存放 mknap1.txt、gap1.txt 等文件的文件夹）",
                                      "the OR-Library file (set PLANNER_ORLIB to the folder holding mknap1.txt, gap1.txt, …)"))])
    return path


def _tokens(text: str) -> list[float]:
    return [float(t) for t in text.split()]


class _Reader:
    """Whitespace-separated numbers read in order, with the file named in every error."""

    def __init__(self, numbers: list[float], source: str):
        self.numbers, self.source, self.at = numbers, source, 0

    def take(self, count: int) -> np.ndarray:
        if self.at + count > len(self.numbers):
            raise InputError([Problem(self.source, say(f"文件在第 {len(self.numbers)} 个数后结束",
                                                       f"the file ends after {len(self.numbers)} numbers"),
                                      say(f"从第 {self.at} 个位置起还有 {count} 个数", f"{count} more numbers at position {self.at}"))])
        out = np.array(self.numbers[self.at:self.at + count], dtype=float)
        self.at += count
        return out

    def one(self) -> float:
        return float(self.take(1)[0])

    def count(self) -> int:
        value = self.one()
        if value != int(value) or value < 0:
            raise InputError([Problem(self.source, say(f"第 {self.at - 1} 个位置上的 {value:g}", f"{value:g} at position {self.at - 1}"),
                                      say("一个计数（非负整数）", "a count"))])
        return int(value)

    def done(self) -> None:
        if self.at != len(self.numbers):
            raise InputError([Problem(self.source, say(f"多出 {len(self.numbers) - self.at} 个数",
                                                       f"{len(self.numbers) - self.at} numbers left over"),
                                      say("最后一个算例之后即为文件末尾", "the end of the file after the last instance"))])


# --------------------------------------------------------------------------- parsers
def read_mknap1(path: str | Path) -> list[MKPInstance]:
    """``mknap1.txt``: K, then per instance ``n m opt``, profits, m weight rows, capacities."""
    path = Path(path)
    reader = _Reader(_tokens(path.read_text()), str(path))
    out = []
    for k in range(reader.count()):
        n, m = reader.count(), reader.count()
        opt = reader.one()
        profits = reader.take(n)
        weights = reader.take(m * n).reshape(m, n)
        capacities = reader.take(m)
        out.append(MKPInstance(f"mknap1-{k + 1}", profits, weights, capacities, optimum=opt))
    reader.done()
    return out


def read_mknapcb(path: str | Path, reference: dict[str, tuple[float, float]] | None = None) -> list[MKPInstance]:
    """``mknapcbN.txt`` (layout of mknap1, opt always 0); names ``m.n-kk`` as in mkcbres.

    Parameters
    ----------
    reference : dict, optional
        ``name → (best known, LP bound)`` from `read_mkcbres`.
    """
    path = Path(path)
    reader = _Reader(_tokens(path.read_text()), str(path))
    out = []
    for k in range(reader.count()):
        n, m = reader.count(), reader.count()
        reader.one()                                    # opt field: 0, no optimum in the file
        profits = reader.take(n)
        weights = reader.take(m * n).reshape(m, n)
        capacities = reader.take(m)
        name = f"{m}.{n}-{k:02d}"
        best, lp = (reference or {}).get(name, (None, None))
        out.append(MKPInstance(name, profits, weights, capacities, best_known=best, lp_bound=lp))
    reader.done()
    return out


_PROBLEM = re.compile(r"^\s*problem\s+(\S+?)(?:\.DAT)?\s*$", re.IGNORECASE | re.MULTILINE)


def read_mknap2(path: str | Path) -> list[MKPInstance]:
    """``mknap2.txt``: free-text header, then blocks ``problem NAME.DAT`` / ``M N`` / profits /
    capacities / M weight rows / optimum (capacities come before the matrix)."""
    path = Path(path)
    text = path.read_text()
    marks = list(_PROBLEM.finditer(text))
    out = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        body = "\n".join(line for line in text[mark.end():end].splitlines() if not line.strip().startswith("+"))
        reader = _Reader(_tokens(body), f"{path} problem {mark.group(1)}")
        m, n = reader.count(), reader.count()
        profits = reader.take(n)
        capacities = reader.take(m)
        weights = reader.take(m * n).reshape(m, n)
        opt = reader.one()
        reader.done()
        out.append(MKPInstance(mark.group(1), profits, weights, capacities, optimum=opt))
    return out


def read_mkcbres(path: str | Path) -> dict[str, tuple[float, float]]:
    """``mkcbres_named.txt``: ``name → (best feasible value of Chu–Beasley, LP relaxation)``."""
    path = Path(path)
    text = path.read_text()
    split = text.find("LP optimal")
    pairs = re.compile(r"^\s*(\d+\.\d+-\d+)\s+(\S+)\s*$", re.MULTILINE)
    best = {m.group(1): float(m.group(2)) for m in pairs.finditer(text[:split])}
    lp = {m.group(1): float(m.group(2)) for m in pairs.finditer(text[split:])}
    return {name: (best[name], lp.get(name, np.nan)) for name in best}


def read_gap(path: str | Path, optima: dict[str, float] | None = None) -> list[GAPInstance]:
    """``gapN.txt``: P, then per instance ``m n``, profit rows, resource rows, capacities.

    Names are OR-Library's ``c<m><n>-<k>`` (``c515-1``), the keys of `read_gapinfo`.
    """
    path = Path(path)
    reader = _Reader(_tokens(path.read_text()), str(path))
    out = []
    for k in range(reader.count()):
        m, n = reader.count(), reader.count()
        profit = reader.take(m * n).reshape(m, n)
        resource = reader.take(m * n).reshape(m, n)
        capacity = reader.take(m)
        name = f"c{m}{n}-{k + 1}"
        out.append(GAPInstance(name, profit, resource, capacity, optimum=(optima or {}).get(name)))
    reader.done()
    return out


def read_gapinfo(path: str | Path) -> dict[str, float]:
    """``gapinfo.txt``: the maximisation optima of gap1–12 (``c515-1 → 336``)."""
    text = Path(path).read_text()
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"\b(c\d+-\d)\s+(\d+)\b", text)}


def load_set(name: str, folder: str | Path | None = None) -> list[MKPInstance] | list[GAPInstance]:
    """Every instance of one OR-Library file (``mknap1``, ``mknap2``, ``mknapcb1``…, ``gap1``…)."""
    folder = Path(folder) if folder is not None else orlib_folder()
    if name == "mknap1":
        return read_mknap1(_file(folder, "mknap1.txt"))
    if name == "mknap2":
        return read_mknap2(_file(folder, "mknap2.txt"))
    if name.startswith("mknapcb"):
        return read_mknapcb(_file(folder, f"{name}.txt"), read_mkcbres(_file(folder, "mkcbres_named.txt")))
    if name.startswith("gap"):
        return read_gap(_file(folder, f"{name}.txt"), read_gapinfo(_file(folder, "gapinfo.txt")))
    raise InputError([Problem(str(folder), say(f'算例集 "{name}"', f'the set "{name}"'),
                              say("以下之一：" + "、".join(SETS), "one of " + ", ".join(SETS)))])


def reference_value(instance: MKPInstance | GAPInstance) -> tuple[float | None, str]:
    """The value to compare an optimum with, and what it is (``proven``, ``best known``, none)."""
    if instance.optimum is not None:
        return instance.optimum, "proven"
    best = getattr(instance, "best_known", None)
    return (best, "best known") if best is not None else (None, "")
