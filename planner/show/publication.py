"""`publish`: what the provincial office sends out for a solved round, read from its output folder.

Owns reading a run folder written by ``planner solve`` (slate.csv, explanations.csv, summary.json
and, when ``planner explain --all --out RUN/counterfactuals.csv`` was run, the counterfactuals)
and writing, all or nothing: 认定名单.xlsx/.docx, 推荐名单.xlsx/.docx, 反馈汇总.xlsx and the folder
反馈/ with one .docx letter per applying unit. Does not own the lists' or letters' layout
(`lists`, `feedback`).
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from planner.inputs import read_run as read_run_folder
from planner.show.feedback import feedback_docx, feedback_table, feedback_xlsx, file_stem, units
from planner.show.files import write_outputs
from planner.show.lists import list_docx, list_xlsx, recognised_list

FEEDBACK_DIR = "反馈"
RUN_FILES = ("slate.csv", "explanations.csv", "summary.json")


def read_run(run_dir: str | Path) -> tuple[pd.DataFrame, pd.DataFrame, dict, pd.DataFrame | None]:
    """slate (bool ``selected``/``national``), explanations, summary and counterfactuals (or None)
    of a run folder, read and checked by `inputs.read_run` (a damaged folder is an InputError)."""
    run = read_run_folder(run_dir)
    return run.slate, run.explanations, run.summary, run.counterfactuals


def _issuer(summary: dict, run_dir: Path) -> str:
    """The scenario's ``issuer`` (the issuing office), if the run's scenario can still be read."""
    from planner.rules import load_scenario

    name = summary.get("scenario") or ""
    for path in (Path(name), run_dir / name, run_dir.parent / name) if name else ():
        if path.is_file():
            try:
                return str(load_scenario(path).raw.get("issuer", "") or "")
            except Exception:          # a scenario edited since the run: no issuer line
                return ""
    return ""


def publish(run_dir: str | Path, out_dir: str | Path | None = None) -> list[Path]:
    """Write the 认定名单, 推荐名单 and the feedback of a solved round.

    Parameters
    ----------
    run_dir : str or Path
        Folder written by ``planner solve``.
    out_dir : str or Path, optional
        Where to write (default: `run_dir`).

    Returns
    -------
    list of Path
        The files written.
    """
    slate, explanations, summary, counterfactuals = read_run(run_dir)
    out_dir = Path(out_dir) if out_dir is not None else Path(run_dir)
    year = summary.get("year", "")
    issuer = _issuer(summary, Path(run_dir))
    recognised = recognised_list(slate)
    national = recognised_list(slate, national_only=True)
    title = f"{year}年度省级项目认定名单"
    national_title = f"{year}年度推荐参加国家级遴选项目名单"
    files = {
        "认定名单.xlsx": list_xlsx(recognised, title=title, sheet="认定名单"),
        "认定名单.docx": list_docx(recognised, title=title, label="附件1"),
        "推荐名单.xlsx": list_xlsx(national, title=national_title, sheet="推荐名单"),
        "推荐名单.docx": list_docx(national, title=national_title, label="附件2"),
    }
    table = feedback_table(slate, explanations, counterfactuals)
    letter_title = f"{year}年度省级项目评审结果反馈"
    files["反馈汇总.xlsx"] = feedback_xlsx(table, title=letter_title)
    letters = {f"{file_stem(uid, name)}.docx": feedback_docx(name, rows, title=letter_title, issuer=issuer)
               for uid, name, rows in units(table)}
    written = write_outputs(out_dir, tables={}, binary_files=files)
    written += write_outputs(out_dir / FEEDBACK_DIR, tables={}, binary_files=letters)
    return written
