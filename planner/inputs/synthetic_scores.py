"""The seeded generator of SYNTHETIC expert score sheets for the synthetic Jilin candidates.

Owns, for one year's candidate table, a panel of experts per task and track and each expert's
score of each project, written as ``scores_<year>.csv`` (long form, Chinese headers 项目编号,
专家编号, 专家单位, 评分; UTF-8 with BOM). A panel has 5 experts for a task with many filings and 7
for a smaller one; two of each panel work at units that file the task (their scores of their
own unit's projects are some points higher — what recusal, 回避, is for — and one of them writes
the unit's name with a blank in it, as people do); one expert of the pool is harsh and one
erratic, so the rater report has something to find; in a 7-expert panel an expert now and then
gives no score. An expert's score is the project's score in the candidate table plus the
expert's leniency and noise, one decimal, within 0–100.

Every draw comes from ``numpy.random.default_rng([seed, year, 7, …])``: the same seed and table
give byte-identical files. Run ``python -m planner.inputs.synthetic_scores --out data/jilin``
to rewrite the bundled sheet. Does not own reading sheets (`scores`) nor any rule of scoring.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from planner.inputs.generate import generate_candidates
from planner.inputs.synthetic_roster import DEFAULT_SEED, seeded_rng

STREAM = 7                 # the key of the score sheets' random streams (after the candidates' own)
POOL = 60                  # experts in the province's pool
SMALL_TASK = 100           # a task or track with more filings gets a 5-expert panel, else 7
INSIDERS = 2               # experts per panel working at a unit that files the task
FAVOUR = 6.0               # points an insider adds to their own unit's projects
INSIDE_POOL = 20           # experts of the pool working at units that file
HARSH, ERRATIC = 30, 40    # pool positions of the harsh and the erratic expert (both from outside)
MISSING = 0.03             # share of scores not given in a 7-expert panel
HEADER = ["项目编号", "专家编号", "专家单位", "评分"]


def generate_scores(candidates: pd.DataFrame, *, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Synthetic expert scores of every project of a candidate table.

    Parameters
    ----------
    candidates : DataFrame
        One year's table: candidate_id, year, task, track, unit_id, unit_name, score.
    seed : int

    Returns
    -------
    DataFrame
        Long form: candidate_id, expert_id, expert_unit, score (one decimal), ordered by
        project then expert.
    """
    year = int(candidates["year"].iloc[0]) if len(candidates) else 0
    pool_rng = seeded_rng(seed, year, STREAM)
    leniency = pool_rng.normal(0.0, 1.5, POOL)
    noise_sd = pool_rng.uniform(2.0, 4.0, POOL)
    leniency[HARSH], noise_sd[ERRATIC] = -6.0, 9.0
    experts = np.array([f"ZJ{k + 1:02d}" for k in range(POOL)])
    # The first INSIDE_POOL experts work at units that file (the units filing most, one each);
    # the second of them writes the unit's name with a blank in it. The rest come from outside.
    filing = candidates.groupby("unit_id")["unit_name"].agg(["first", "size"]).sort_values(
        ["size", "first"], ascending=[False, True], kind="stable")
    home = pool_rng.choice(len(filing), min(INSIDE_POOL, len(filing)), replace=False)
    home_id = np.array([""] * POOL, dtype=object)
    units = np.array([f"评审专家库单位{k + 1:02d}" for k in range(POOL)], dtype=object)
    for k, row in enumerate(home):
        home_id[k] = str(filing.index[row])
        name = str(filing["first"].iloc[row])
        units[k] = f"{name[:2]} {name[2:]}" if k == 1 and len(name) > 2 else name
    parts = []
    for (task, track), group in candidates.groupby(["task", "track"], sort=True):
        rng = seeded_rng(seed, year, STREAM, zlib.crc32(f"{task}/{track}".encode()))
        size = 5 if len(group) > SMALL_TASK else 7
        filers = set(group["unit_id"].astype(str))
        inside = [k for k in range(len(home)) if home_id[k] in filers]
        chosen = list(rng.choice(inside, min(INSIDERS, len(inside)), replace=False)) if inside else []
        outside = np.arange(len(home), POOL)
        members = np.array(chosen + list(rng.choice(outside, size - len(chosen), replace=False)))
        n = len(group)
        truth = group["score"].to_numpy(dtype=float)
        own = group["unit_id"].astype(str).to_numpy()[:, None] == home_id[members][None, :]
        raw = (truth[:, None] + leniency[members][None, :] + noise_sd[members][None, :] * rng.standard_normal((n, size))
               + FAVOUR * own)
        score = np.clip(np.round(raw, 1), 0.0, 100.0)
        given = rng.random((n, size)) >= (MISSING if size == 7 else 0.0)
        rows, cols = np.nonzero(given)
        parts.append(pd.DataFrame({"candidate_id": group["candidate_id"].to_numpy()[rows],
                                   "expert_id": experts[members][cols], "expert_unit": units[members][cols],
                                   "score": score[rows, cols]}))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["candidate_id", "expert_id",
                                                                                 "expert_unit", "score"])
    return out.sort_values(["candidate_id", "expert_id"], kind="stable").reset_index(drop=True)


def to_csv_text(scores: pd.DataFrame) -> str:
    """The sheet as the bundled CSV text: Chinese headers, one decimal, lines ending in \\n."""
    out = scores[["candidate_id", "expert_id", "expert_unit", "score"]].copy()
    out.columns = HEADER
    return out.to_csv(index=False, lineterminator="\n", float_format="%.1f")


def write_bundled_scores(out_dir: str | os.PathLike, *, seed: int = DEFAULT_SEED, year: int = 2023) -> Path:
    """Write ``scores_<year>.csv`` (UTF-8 with BOM) for the synthetic candidates of `year`, atomically."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    text = to_csv_text(generate_scores(generate_candidates(year, seed=seed), seed=seed))
    path = out / f"scores_{year}.csv"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=out)
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m planner.inputs.synthetic_scores --out data/jilin --seed 2023 --year 2023``."""
    parser = argparse.ArgumentParser(prog="python -m planner.inputs.synthetic_scores",
                                     description="Write a SYNTHETIC expert score sheet for the synthetic candidates.")
    parser.add_argument("--out", default="data/jilin")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--year", type=int, default=2023)
    args = parser.parse_args(argv)
    path = write_bundled_scores(args.out, seed=args.seed, year=args.year)
    rows = sum(1 for _ in path.open(encoding="utf-8-sig")) - 1
    print(f"wrote {path} ({rows} scores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
