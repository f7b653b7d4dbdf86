"""The spread of the candidates' scores, and reproducible draws of sampled scores.

Owns how each candidate's score may vary — a per-candidate standard deviation (a ``score_sd``
column or a default) or several reviewers' scores, resampled (`Spread`, `score_spread`) — and
drawing score samples reproducibly: sample ``s`` of seed ``k`` is always the same draw, whatever
executor or chunking runs it (`sample_scores`). With the experts' score sheets (`panel_spread`),
a sample draws each project's panel again — as many experts as counted, drawn with replacement
from its own counted scores — and makes the score by the office's rule (``[scoring]``: trimmed
mean, mean or median, rounded half up), so no standard deviation has to be typed
(docs/scores.md says why resampling and not a normal spread per project).

Does not own solving under the sampled scores (`analysis.resolver`, `analysis.sampling`) nor the
robustness report (`analysis.robust`).
"""
from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from planner.errors import InputError, Problem
from planner.rules import ScoringRule

log = logging.getLogger(__name__)

SCORE_RANGE = (0.0, 100.0)   # sampled scores are clipped to the notice's 0–100 scale
EFFECTIVE_SD_DRAWS = 200     # panel draws measuring each panel score's spread (for reports)


@dataclass(frozen=True)
class Spread:
    """How each candidate's score may vary, row by row of the candidate table.

    Attributes
    ----------
    sd : ndarray of float
        Standard deviation of a normal draw around the score (0 = the score is certain); used
        for rows without reviewers' scores.
    reviews : ndarray of float, shape (rows, k), optional
        Several reviewers' scores per candidate (NaN = no score). A row with at least one is
        drawn by the bootstrap: the mean of as many scores drawn with replacement from its
        own, shifted so that its centre is the candidate's official score.
    kind : str
        ``"normal"`` or ``"reviewers"`` (for reports).
    """

    sd: np.ndarray
    reviews: np.ndarray | None = None
    kind: str = "normal"
    rule: ScoringRule | None = None       # kind "panel": the office's rule each drawn panel is scored by

    def __post_init__(self) -> None:
        if self.kind == "panel":          # the bootstrap spread of the rule's score, measured once
            draws = np.stack([_panel_scores(self.reviews, self.rule, np.random.default_rng([0, d]))
                              for d in range(EFFECTIVE_SD_DRAWS)])
            with warnings.catch_warnings():          # rows without a panel: all NaN, sd 0
                warnings.simplefilter("ignore", RuntimeWarning)
                measured = np.nan_to_num(np.nanstd(draws, axis=0), nan=0.0)
            object.__setattr__(self, "_panel_sd", measured)

    @property
    def effective_sd(self) -> np.ndarray:
        """Standard deviation of each row's sampled score (bootstrap mean for reviewers' rows)."""
        sd = np.asarray(self.sd, dtype=float).copy()
        if self.kind == "panel":
            has = np.any(~np.isnan(self.reviews), axis=1)
            sd[has] = self._panel_sd[has]
        elif self.reviews is not None:
            k = np.sum(~np.isnan(self.reviews), axis=1)
            has = k > 0
            with np.errstate(invalid="ignore", divide="ignore"):
                spread = np.nanstd(np.where(has[:, None], self.reviews, 0.0), axis=1) / np.sqrt(np.maximum(k, 1))
            sd[has] = spread[has]
        return sd

    def draw(self, score: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One sample of every row's score (clipped to 0–100)."""
        score = np.asarray(score, dtype=float)
        out = score + np.asarray(self.sd, dtype=float) * rng.standard_normal(len(score))
        if self.kind == "panel":
            drawn = _panel_scores(self.reviews, self.rule, rng)
            has = ~np.isnan(drawn)
            out[has] = drawn[has]
        elif self.reviews is not None:
            reviews = np.sort(self.reviews, axis=1)            # NaN last
            k = np.sum(~np.isnan(reviews), axis=1)
            has = k > 0
            picks = np.floor(rng.random(reviews.shape) * np.maximum(k, 1)[:, None]).astype(np.int64)
            drawn = np.take_along_axis(reviews, picks, axis=1)
            used = np.arange(reviews.shape[1])[None, :] < k[:, None]
            boot = np.where(used, drawn, 0.0).sum(axis=1) / np.maximum(k, 1)
            centre = np.where(used, reviews, 0.0).sum(axis=1) / np.maximum(k, 1)
            out[has] = score[has] + boot[has] - centre[has]
        return np.clip(out, *SCORE_RANGE)


def panel_spread(panel: np.ndarray, rule: ScoringRule) -> Spread:
    """The spread of scores made from expert panels: each sample draws every panel again.

    Parameters
    ----------
    panel : ndarray, shape (rows, k)
        Each candidate's counted scores (after recusal; NaN-padded), row by row of the table
        (`rules.panels`).
    rule : ScoringRule
        The office's rule: a drawn panel of k scores is trimmed, averaged or its median taken,
        and rounded, as the sheets were.
    """
    panel = np.asarray(panel, dtype=float)
    return Spread(sd=np.zeros(len(panel)), reviews=panel, kind="panel", rule=rule)


def _panel_scores(panel: np.ndarray, rule: ScoringRule, rng: np.random.Generator) -> np.ndarray:
    """One draw of every row's score: its k counted scores drawn with replacement, scored by `rule`.

    A row whose panel is too small for the rule (k ≤ 2·trim) is NaN (it keeps its score).
    """
    k = np.sum(~np.isnan(panel), axis=1)
    ordered = np.sort(panel, axis=1)                                  # NaN last
    picks = np.floor(rng.random(panel.shape) * np.maximum(k, 1)[:, None]).astype(np.int64)
    width = np.arange(panel.shape[1])[None, :]
    drawn = np.where(width < k[:, None], np.take_along_axis(ordered, picks, axis=1), np.nan)
    drawn = np.sort(drawn, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        if rule.method == "median":
            low = np.take_along_axis(drawn, np.maximum((k - 1) // 2, 0)[:, None], axis=1)[:, 0]
            high = np.take_along_axis(drawn, np.maximum(k // 2, 0)[:, None], axis=1)[:, 0]
            value = (low + high) / 2
        else:
            t = rule.trim if rule.method == "trimmed" else 0
            keep = (width >= t) & (width < (k - t)[:, None])
            value = np.where(keep, drawn, 0.0).sum(axis=1) / (k - 2 * t)
    value = np.where(k - (2 * rule.trim if rule.method == "trimmed" else 0) > 0, value, np.nan)
    scale = 10.0 ** rule.decimals                                     # half up, as the office rounds
    rounded = np.floor(value * scale + 0.5 + 1e-9) / scale
    return rounded if rule.rounding == "half_up" else np.round(value, rule.decimals)


def score_spread(frame: pd.DataFrame, *, score_column: str = "score", score_sd: float | None = None,
                 sd_column: str = "score_sd", reviewers: Sequence[str] = ()) -> Spread:
    """The spread of each candidate's score, from the table or a default.

    Precedence: reviewers' score columns (bootstrap) where a row has any; else the
    `sd_column` where the table has it and the cell is filled; else `score_sd`.

    Parameters
    ----------
    frame : DataFrame
        The candidate table; needs `score_column` and, if named or present, `sd_column` and
        the `reviewers` columns (numbers; blank = none).
    score_sd : float, optional
        Default standard deviation (score points) where the table gives none.
    reviewers : sequence of str
        Columns holding one reviewer's score each.

    Raises
    ------
    InputError
        A spread cell that is not a number ≥ 0, an unknown reviewer column, or no spread at
        all (no column and no default).
    """
    source = frame.attrs.get("source", "candidates")
    first = int(frame.attrs.get("first_data_row", 2))
    problems: list[Problem] = []
    n = len(frame)
    sd = np.full(n, np.nan)
    if score_sd is not None:
        if not (math.isfinite(score_sd) and score_sd >= 0):
            problems.append(Problem("options", f"score_sd = {score_sd}", "a standard deviation ≥ 0 (score points)"))
        sd[:] = score_sd
    has_column = sd_column in frame.columns
    if has_column:
        given = _numbers(frame, sd_column, problems, source, first, minimum=0.0)
        filled = ~np.isnan(given)
        sd[filled] = given[filled]
    reviews = None
    for column in reviewers:
        if column not in frame.columns:
            from planner.inputs import suggest
            problems.append(Problem(source, f'no column "{column}"', "a column of reviewers\' scores",
                                    hint=suggest(column, [str(c) for c in frame.columns])))
    if reviewers and not problems:
        reviews = np.column_stack([_numbers(frame, c, problems, source, first, minimum=0.0, maximum=100.0)
                                   for c in reviewers])
        has = np.any(~np.isnan(reviews), axis=1)
        sd[has] = 0.0          # the bootstrap replaces the normal draw on these rows
    if not problems and np.isnan(sd).any() and reviews is None and not has_column:
        problems.append(Problem(source, f'no score spread (no "{sd_column}" column, no reviewers\' scores)',
                                "a spread for the scores",
                                hint=f'add a "{sd_column}" column, name reviewers\' columns, or give a default '
                                     "such as --score-sd 3"))
    if problems:
        raise InputError(problems)
    blank = np.isnan(sd)
    if blank.any():
        log.info("%d candidates without a score spread keep their score in every sample", int(blank.sum()))
    return Spread(sd=np.nan_to_num(sd, nan=0.0), reviews=reviews, kind="reviewers" if reviews is not None else "normal")


def _numbers(frame: pd.DataFrame, column: str, problems: list[Problem], source: str, first: int, *,
             minimum: float | None = None, maximum: float | None = None) -> np.ndarray:
    """A column as floats (blank = NaN); every other non-number or out-of-range cell is a problem."""
    raw = frame[column]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        values = raw.to_numpy(dtype=float)
        blank = np.isnan(values)
    else:
        text = raw.astype("string").fillna("").str.strip()
        blank = (text == "").to_numpy(dtype=bool)
        values = pd.to_numeric(text.where(~pd.Series(blank, index=text.index)), errors="coerce").to_numpy(dtype=float)
    bad = ~blank & ~np.isfinite(values)
    if minimum is not None:
        bad |= ~blank & (values < minimum)
    if maximum is not None:
        bad |= ~blank & (values > maximum)
    expected = "a number" + (f" ≥ {minimum:g}" if minimum is not None else "") + \
               (f" and ≤ {maximum:g}" if maximum is not None else "") + " or blank"
    for i in np.flatnonzero(bad)[:50]:
        problems.append(Problem(source, f'"{raw.iloc[i]}"', expected, row=int(i) + first, column=column))
    values = values.copy()
    values[blank | bad] = np.nan
    return values


def sample_scores(spread: Spread, score: np.ndarray, seed: int, sample: int) -> np.ndarray:
    """Scores of sample `sample` (0 = the scores as given); the same for a given (seed, sample)."""
    if sample == 0:
        return np.asarray(score, dtype=float)
    return spread.draw(score, np.random.default_rng([int(seed), int(sample)]))
