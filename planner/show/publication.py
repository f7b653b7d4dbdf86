"""`publish`: what the provincial office sends out for a solved round, read from its output folder.

Owns reading a run folder written by ``planner solve`` (slate.csv, explanations.csv, summary.json,
rules.csv and ledger.csv where present, the counterfactuals where ``planner explain --all --out
RUN/counterfactuals.csv`` was run) with the scenario's ``[publication]`` block, the fields every
template gets (文号, 落款, date, titles, 公示 period, contact), and writing, as one transaction
under the folder's lock: 认定名单.xlsx/.docx, 推荐名单.xlsx/.docx, 公示通知.docx, 反馈汇总.xlsx and
the folder 反馈/ with one letter per applying unit (an earlier publish's letters are dropped).
Does not own the lists, the letters' sentences or the documents' layout (`lists`, `feedback`,
`letters`, the templates of `word`).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from planner.inputs import read_run as read_run_folder
from planner.rules import Scenario
from planner.rules.publication import Publication, chinese_date
from planner.show.amendment import amendment_documents
from planner.show.feedback import (
    GUIDE,
    feedback_table,
    feedback_xlsx,
    letter_names,
    letter_projects,
    summary_sentence,
    units,
)
from planner.show.files import FORMULA_PREFIXES, write_outputs
from planner.show.letters import read_facts
from planner.show.lists import list_groups, list_xlsx, recognised_list
from planner.show.word import load_templates

logger = logging.getLogger(__name__)

FEEDBACK_DIR = "反馈"
RUN_FILES = ("slate.csv", "explanations.csv", "summary.json")
#: The files of a publication beside the letters (a later publish replaces all of them).
PUBLISHED = ("认定名单.xlsx", "认定名单.docx", "推荐名单.xlsx", "推荐名单.docx", "公示通知.docx", "反馈汇总.xlsx")
_BLANK_PERIOD = "　　年　　月　　日至　　年　　月　　日"


def read_run(run_dir: str | Path) -> tuple[pd.DataFrame, pd.DataFrame, dict, pd.DataFrame | None]:
    """slate (bool ``selected``/``national``), explanations, summary and counterfactuals (or None)
    of a run folder, read and checked by `inputs.read_run` (a damaged folder is an InputError)."""
    run = read_run_folder(run_dir)
    return run.slate, run.explanations, run.summary, run.counterfactuals


def publish(run_dir: str | Path, out_dir: str | Path | None = None, *, templates: str | Path | None = None,
            warnings: list[str] | None = None) -> list[Path]:
    """Write the 认定名单, 推荐名单, 公示通知 and the feedback of a solved round, all or nothing.

    Parameters
    ----------
    run_dir : str or Path
        Folder written by ``planner solve``.
    out_dir : str or Path, optional
        Where to write (default: `run_dir`).
    templates : str or Path, optional
        The office's template folder; a template it lacks is the bundled one (`word.TEMPLATE_NAMES`).
    warnings : list of str, optional
        Filled with what a person should know before signing (no 文号, a sample block).

    Returns
    -------
    list of Path
        The files written (the letters under ``反馈/``).

    Raises
    ------
    InputError
        The run folder or a template cannot be read, or the output folder cannot be written.
    """
    run_dir = Path(run_dir)
    slate, explanations, summary, counterfactuals = read_run(run_dir)
    slate = _as_filed(slate)
    out_dir = Path(out_dir) if out_dir is not None else run_dir
    said = warnings if warnings is not None else []
    forms = load_templates(templates)
    scenario = _scenario(summary, run_dir)
    pub = scenario.publication if scenario is not None else Publication()
    if scenario is None:
        said.append("找不到本次求解的情景文件，文件中不印文号、落款和日期")
    elif not pub.number:
        said.append(f"情景文件 {scenario.label} 没有 [publication] number（文号）：公布的文件中不印文号")
    if pub.sample:
        said.append(f"情景文件 {scenario.label if scenario else ''} 的 [publication] 为样例（sample = true）："
                    "文号、日期、联系方式均为示例，正式印发前请填写")
    year = int(summary.get("year") or pd.to_numeric(slate.get("year"), errors="coerce").max())
    facts = read_facts(year, _optional_csv(run_dir / "rules.csv"), _optional_csv(run_dir / "ledger.csv"),
                       period=scenario.period if scenario else None,
                       pass_mark=scenario.pass_mark if scenario else None, conditions=pub.conditions,
                       exempt_clause=_exempt_clause(scenario),
                       track_rules={r.id: "track" in r.where for r in scenario.rules} if scenario else None)
    recognised = recognised_list(slate)
    national = recognised_list(slate, national_only=True)
    common = _common_fields(pub, year, n_selected=len(recognised), n_national=len(national))

    if summary.get("amendment"):            # an amendment folder (planner amend): its own documents
        files, letters = amendment_documents(slate, summary, pub, common, forms, templates)
        return _write_publication(out_dir, run_dir, files, letters)
    files: dict[str, bytes] = {}
    for name, table, label, title in (("认定名单", recognised, "附件1", common["recognised_title"]),
                                      ("推荐名单", national, "附件2", common["national_title"])):
        fields = {**common, "label": label, "title": title, "groups": list_groups(table), "empty": not len(table)}
        files[f"{name}.docx"] = forms[f"{name}.docx"].render(fields)
        files[f"{name}.xlsx"] = list_xlsx(table, title=title, sheet=name, label=label, number=pub.number)
    files["公示通知.docx"] = forms["公示通知.docx"].render({**common, "title": common["notice_title"]})
    table = feedback_table(slate, explanations, counterfactuals, facts)
    files["反馈汇总.xlsx"] = feedback_xlsx(table, title=common["letter_title"])
    letter = forms["反馈.docx"]
    unit_list = units(table)
    letters = {}
    for file_name, (uid, name, rows) in zip(letter_names(unit_list), unit_list):
        letters[file_name] = letter.render({**common, "title": common["letter_title"], "unit": name,
                                            "summary": summary_sentence(rows), "projects": letter_projects(rows),
                                            "guide": GUIDE})
    return _write_publication(out_dir, run_dir, files, letters)


def _as_filed(slate: pd.DataFrame) -> pd.DataFrame:
    """Titles and names as filed: slate.csv guards a text starting ``= + - @`` with an apostrophe
    (so a spreadsheet shows it as text); the documents print it as it was filed."""
    out = slate.copy()
    for column in ("title", "unit_name", "locality"):
        if column in out:
            text = out[column].astype(str)
            guarded = text.str.startswith("'") & text.str[1:2].isin(FORMULA_PREFIXES)
            out[column] = text.where(~guarded, text.str[1:])
    return out


def _common_fields(pub: Publication, year: int, *, n_selected: int, n_national: int) -> dict[str, Any]:
    """The fields every template gets (docs/publish.md lists them)."""
    programme = pub.programme
    round_name = f"{programme}{year}年度省级项目"
    start, end = chinese_date(pub.notice_start), chinese_date(pub.notice_end)
    return {
        "number": pub.number, "issuer": pub.issuer, "date": chinese_date(pub.date), "year": year,
        "programme": programme, "basis": pub.basis, "sample": pub.sample, "round_name": round_name,
        "recognised_title": f"{round_name}认定名单", "national_title": f"{programme}{year}年度推荐参加国家级遴选项目名单",
        "notice_title": f"关于{round_name}拟认定名单的公示", "letter_title": f"{round_name}评审结果告知书",
        "notice_start": start, "notice_end": end,
        "notice_period": f"{start}至{end}" if start and end else _BLANK_PERIOD,
        "contact": {key: pub.contact.get(key, "") for key in ("person", "phone", "email", "address")},
        "n_selected": n_selected, "n_national": n_national,
    }


def _scenario(summary: dict, run_dir: Path) -> Scenario | None:
    """The run's scenario, if it can still be read (its [publication] block and period)."""
    from planner.rules import load_scenario

    name = summary.get("scenario") or ""
    for path in (Path(name), run_dir / name, run_dir.parent / name) if name else ():
        if path.is_file():
            try:
                return load_scenario(path)
            except Exception as exc:          # a scenario edited since the run: publish without it
                logger.warning("scenario %s cannot be read: %s", path, exc)
                return None
    return None


def _exempt_clause(scenario: Scenario | None) -> str:
    if scenario is None or not scenario.exempt_tasks:
        return ""
    section = scenario.raw.get("exemptions") or {}
    return str(section.get("clause", "") or "") if isinstance(section, dict) else ""


def _optional_csv(path: Path) -> pd.DataFrame | None:
    """A run file the letters can do without (rules.csv, ledger.csv): None when absent or unreadable."""
    if not path.is_file():
        return None
    try:
        return pd.read_csv(path, dtype={"rule_id": str, "group": str}, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        logger.warning("%s cannot be read: %s", path, exc)
        return None


# --------------------------------------------------------------------------- one transaction
def _write_publication(out_dir: Path, run_dir: Path, files: dict[str, bytes],
                       letters: dict[str, bytes]) -> list[Path]:
    """The files and the letters folder into `out_dir` in one staged swap under its lock; an
    earlier publish's letters are dropped; the run's own files are never written over."""
    nested = {**files, **{f"{FEEDBACK_DIR}/{name}": data for name, data in letters.items()}}
    return write_outputs(out_dir, tables={}, binary_files=nested, replace_dirs=(FEEDBACK_DIR,),
                         inputs=[run_dir / name for name in RUN_FILES])
