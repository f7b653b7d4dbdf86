"""Shares of a slate per group against reference shares, and the disproportionality indices.

Owns the per-group shares of a round's slate (per locality, per 高职 tier, or any column)
against reference shares (the candidates each group submitted, equal shares, a column such as
population or enrolment, or a table of weights), the standard disproportionality indices
(Gallagher's least-squares index, Loosemore–Hanby, the largest deviation, the Gini coefficient
of representation) and the chart of the shares. Plain pandas and numpy: no model, no solver.

Does not own equity in a model (`analysis.balance`) nor the frontier and the equity-bounded
solve (`analysis.equity`).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from planner.analysis.figures import use_font
from planner.errors import InputError, Problem
from planner.lang import say
from planner.model import integer_scale
from planner.rules import Scenario

REFERENCES = ("candidates", "equal")
SHARE_COLUMNS = ["group", "selected", "share", "reference", "reference_share", "difference_pp", "ratio"]


def counted(frame: pd.DataFrame, scenario: Scenario, by: str, n_table: int | None = None) -> np.ndarray:
    """Rows whose selection counts in the shares: this round's table, this year, a value in `by`."""
    n = len(frame) if n_table is None else n_table
    mask = np.zeros(len(frame), bool)
    values = frame[by].iloc[:n].astype("string").fillna("").str.strip()
    mask[:n] = (frame["year"].iloc[:n].to_numpy() == scenario.year) & (values != "").to_numpy(dtype=bool)
    return mask


def reference_weights(frame: pd.DataFrame, scenario: Scenario, *, by: str = "locality",
                      reference: str | Mapping[str, float] | pd.Series | Path = "candidates",
                      n_table: int | None = None) -> pd.Series:
    """Each group's reference weight (the reference share is weight / total), as exact integers.

    Parameters
    ----------
    frame : DataFrame
        Candidates (localities folded as in the model); needs `by`, year and, for a column
        reference, that column.
    by : str
        The grouping column: ``locality``, ``tier`` (高职 schools only: others have no tier),
        or any column.
    reference : str, mapping, Series or path
        ``"candidates"``: the candidates each group submitted this round; ``"equal"``: the same
        for every group; ``"column:NAME"``: a numeric column constant within each group (e.g.
        population); a path to a csv with columns ``group`` (or `by`) and ``weight``; or a
        mapping group → weight. Folded localities add their weight to their parent.

    Returns
    -------
    Series of int64 indexed by group (str), sorted; every weight ≥ 0, total > 0.

    Raises
    ------
    InputError
        Unknown column, weights that are not numbers ≥ 0, a group of the candidates without a
        weight, or a total of 0.
    """
    rows = counted(frame, scenario, by, n_table)
    if by not in frame.columns:
        raise InputError([Problem("equity", say(f'没有 "{by}" 列', f'no column "{by}"'), say("候选项目表中的一列", "a column of the candidate table"))])
    groups = frame[by][rows].astype(str)
    present = sorted(groups.unique())
    problems: list[Problem] = []
    if isinstance(reference, str) and reference == "candidates":
        weights = groups.value_counts().reindex(present).astype(float)
    elif isinstance(reference, str) and reference == "equal":
        weights = pd.Series(1.0, index=present)
    elif isinstance(reference, str) and reference.startswith("column:"):
        column = reference.split(":", 1)[1]
        if column not in frame.columns:
            raise InputError([Problem("equity", say(f'参照列 "{column}"', f'reference column "{column}"'), say("候选项目表中的一列", "a column of the candidate table"))])
        values = pd.to_numeric(frame[column][rows].astype("string"), errors="coerce")
        spread = values.groupby(groups.to_numpy()).agg(["min", "max"])
        for group, lo, hi in zip(spread.index, spread["min"], spread["max"]):
            if not (np.isfinite(lo) and lo == hi):
                problems.append(Problem("equity", say(f'分组 "{group}" 的 {column} 从 {lo} 到 {hi} 不等',
                                                      f'group "{group}" with {column} from {lo} to {hi}'),
                                        say(f"每个 {by} 一个数（如人口等参照值）", f"one number per {by} (a reference such as population)"),
                                        column=column))
        weights = spread["min"].reindex(present).astype(float)
    else:
        weights = _weights_from(reference, by, scenario, problems)
        missing = [g for g in present if g not in weights.index]
        if missing:
            problems.append(Problem("equity", say("没有参照权重：", "no reference weight for ") + "、".join(missing[:10]),
                                    say(f"候选项目每个 {by} 都有权重", f"a weight for every {by} of the candidates")))
        weights = weights.astype(float)
    bad = weights[~(np.isfinite(weights.to_numpy()) & (weights.to_numpy() >= 0))]
    problems += [Problem("equity", say(f'"{g}" 的权重 {w}', f'weight {w} for "{g}"'), say("≥ 0 的数", "a number ≥ 0"))
                 for g, w in bad.items()]
    if problems:
        raise InputError(problems)
    units, _ = integer_scale(weights.to_numpy(dtype=float))
    out = pd.Series(units.astype(np.int64), index=pd.Index(weights.index.astype(str), name="group"), name="weight")
    out = out.sort_index()
    if out.sum() <= 0:
        raise InputError([Problem("equity", say("参照权重合计为 0", "reference weights that add up to 0"),
                                  say("大于 0 的合计", "a positive total"))])
    return out


def _weights_from(reference: Any, by: str, scenario: Scenario, problems: list[Problem]) -> pd.Series:
    if isinstance(reference, pd.Series):
        raw = reference
    elif isinstance(reference, Mapping):
        raw = pd.Series(dict(reference))
    else:
        path = Path(reference)
        if not path.is_file():
            problems.append(Problem(str(reference), say("没有这个文件", "no such file"),
                                    say('"candidates"、"equal"、"column:列名" 或含 group,weight 两列的 csv 文件',
                                        '"candidates", "equal", "column:NAME" or a csv of group,weight')))
            return pd.Series(dtype=float)
        table = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
        key = "group" if "group" in table.columns else by
        if key not in table.columns or "weight" not in table.columns:
            problems.append(Problem(str(path), say(f"各列为 {list(table.columns)}", f"columns {list(table.columns)}"),
                                    say(f'"group"（或 "{by}"）和 "weight" 两列', f'columns "group" (or "{by}") and "weight"')))
            return pd.Series(dtype=float)
        raw = pd.Series(pd.to_numeric(table["weight"], errors="coerce").to_numpy(),
                        index=table[key].astype(str).str.strip())
    raw = pd.to_numeric(raw, errors="coerce")
    if by == "locality":
        from planner.inputs import load_catalogue
        cat = load_catalogue()
        names = [cat.locality(str(g)) or str(g) for g in raw.index]
        names = [scenario.fold.get(n, n) for n in names]
        raw = pd.Series(raw.to_numpy(), index=names)
    return raw.groupby(level=0).sum()


def shares(slate: pd.DataFrame, weights: pd.Series, *, by: str, scenario: Scenario) -> pd.DataFrame:
    """Each group's share of this round's slate against its reference share.

    Parameters
    ----------
    slate : DataFrame
        Candidate rows with `by`, year and ``selected`` (0/1).
    weights : Series
        `reference_weights` output.

    Returns
    -------
    DataFrame with `SHARE_COLUMNS`: group, selected (count), share, reference (weight),
    reference_share, difference_pp (share − reference share, percentage points), ratio
    (share / reference share).
    """
    rows = counted(slate, scenario, by)
    chosen = slate["selected"].to_numpy(dtype=bool) & rows
    counts = pd.Series(slate[by][chosen].astype(str)).value_counts()
    groups = sorted(set(weights.index) | set(counts.index))
    n = counts.reindex(groups, fill_value=0).astype(np.int64)
    w = weights.reindex(groups, fill_value=0).astype(np.int64)
    total = int(n.sum())
    share = n / total if total else n * np.nan
    ref = w / int(w.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(ref > 0, share / ref.where(ref > 0, 1.0), np.nan)
    return pd.DataFrame({"group": pd.Series(groups, dtype="string"), "selected": n.to_numpy(),
                         "share": share.to_numpy(dtype=float), "reference": w.to_numpy(),
                         "reference_share": ref.to_numpy(dtype=float),
                         "difference_pp": (share - ref).to_numpy(dtype=float) * 100, "ratio": ratio})


def loosemore_hanby(share: Sequence[float], reference: Sequence[float]) -> float:
    """½ Σ |s − p| (0 = proportional, 1 = everything to groups with no reference)."""
    return 0.5 * float(np.abs(np.asarray(share, float) - np.asarray(reference, float)).sum())


def gallagher(share: Sequence[float], reference: Sequence[float]) -> float:
    """Gallagher's least-squares index √(½ Σ (s − p)²)."""
    d = np.asarray(share, float) - np.asarray(reference, float)
    return float(math.sqrt(0.5 * float((d * d).sum())))


def max_deviation(share: Sequence[float], reference: Sequence[float]) -> float:
    """The largest |s − p| over the groups."""
    d = np.abs(np.asarray(share, float) - np.asarray(reference, float))
    return float(d.max()) if len(d) else 0.0


def gini(share: Sequence[float], reference: Sequence[float]) -> float:
    """Gini coefficient of representation: ½ Σ_g Σ_h p_g p_h |r_g − r_h| with r = s / p.

    Twice the area between the equality line and the Lorenz curve of the slate's shares
    plotted against the reference shares (groups ordered by r). Groups with no reference share
    are left out (their r is undefined).
    """
    s = np.asarray(share, float)
    p = np.asarray(reference, float)
    keep = p > 0
    s, p = s[keep], p[keep]
    if not len(p) or s.sum() <= 0:
        return float("nan")
    p = p / p.sum()
    r = s / s.sum() / p
    return float(0.5 * np.sum(p[:, None] * p[None, :] * np.abs(r[:, None] - r[None, :])))


def indices(table: pd.DataFrame) -> dict[str, float]:
    """Gallagher, Loosemore–Hanby and the largest deviation (percentage points), and the Gini."""
    s, p = table["share"].to_numpy(dtype=float), table["reference_share"].to_numpy(dtype=float)
    if not np.isfinite(s).all():
        return {"gallagher_pp": math.nan, "lh_pp": math.nan, "max_dev_pp": math.nan, "gini": math.nan}
    return {"gallagher_pp": 100 * gallagher(s, p), "lh_pp": 100 * loosemore_hanby(s, p),
            "max_dev_pp": 100 * max_deviation(s, p), "gini": gini(s, p)}


def plot_shares(table: pd.DataFrame, *, title: str = "各地入选份额与参照份额"):
    """Bars of each group's share of the slate beside its reference share (a matplotlib Figure)."""
    from matplotlib.figure import Figure

    use_font()
    fig = Figure(figsize=(7.5, 3.8), layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["share"] * 100, width=0.4, label="入选份额", color="#0072B2")
    ax.bar(x + 0.2, table["reference_share"] * 100, width=0.4, label="参照份额", color="#E69F00")
    ax.set_xticks(x, table["group"].astype(str), rotation=30, ha="right", fontsize=7)
    ax.set_ylabel("百分比")
    ax.set_title(title)
    ax.legend(fontsize=7)
    return fig
