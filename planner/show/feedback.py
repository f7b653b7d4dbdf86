"""Feedback to each applying unit (school, enterprise, government): its projects, in or out, and why.

Owns the feedback table of a round — per project: its unit, 入选 / 入选（推荐参加国家级遴选）/
未入选, the reason as one plain sentence (`letters.reason_sentence`), the lowest score admitted in
the group that decided it, and, for a rejected project, the exact counterfactual where
``planner explain --all --out`` computed one — and its forms: 反馈汇总.xlsx (one sheet, one row per
project, for the office) and the fields of one letter per unit (for the 反馈 template). Also owns
the letters' file names: safe on Windows, short, unique case-insensitively (the unit id decides).
Does not own why a project is in or out (`explain`), the letters' layout (the template) nor
writing files into place (`files`).
"""
from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from typing import Any

import pandas as pd

from planner.show.letters import RoundFacts, reason_sentence, task_words

#: The columns of 反馈汇总.xlsx after the unit's.
FEEDBACK_COLUMNS = ("项目编号", "项目名称", "任务类别", "评审分数", "结果", "原因", "同组入选最低分", "怎样才能入选")
SUMMARY_COLUMNS = ("单位编号", "申报单位", *FEEDBACK_COLUMNS)
NUMERIC = ("评审分数", "同组入选最低分")
RESULT_IN, RESULT_NATIONAL, RESULT_OUT = "入选", "入选（推荐参加国家级遴选）", "未入选"
_FILE_BAD = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\s]+')
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
# A letter's file name, without ".docx": at most 60 characters and 150 bytes in UTF-8 (a Linux name
# holds 255 bytes, a CJK character takes 3; the writer's temporary name adds some), so that a
# Windows path of the 反馈 folder stays well under 260 characters.
_MAX_STEM = 60
_MAX_BYTES = 150

GUIDE = ("说明：“评审分数”为专家评审得分；“评审结果”为省级评审结果；“说明”一栏写明得出该结果的依据"
         "（通知条款、推荐名额及本年度入选项目的最低分）。")


def _flag(values: pd.Series) -> pd.Series:
    if values.dtype == bool:
        return values
    return values.astype(str).str.strip().str.lower().isin({"1", "true", "是", "1.0"})


def feedback_table(slate: pd.DataFrame, explanations: pd.DataFrame,
                   counterfactuals: pd.DataFrame | None = None, facts: RoundFacts | None = None) -> pd.DataFrame:
    """One row per project with its unit, result, plain reason and the lowest score admitted.

    Parameters
    ----------
    slate : pandas.DataFrame
        ``candidate_id``, ``task``, ``track``, ``title``, ``unit_id``, ``unit_name``, ``score``,
        ``selected``, ``national`` (``exempt`` where present).
    explanations : pandas.DataFrame
        explanations.csv: ``candidate_id``, ``reason_code``, ``reason`` and the structured columns
        ``rule_id``, ``group``, ``limit``, ``value``, ``planned``, ``lowest_selected``.
    counterfactuals : pandas.DataFrame, optional
        ``candidate_id``, ``counterfactual`` (from ``planner explain --all --out``).
    facts : letters.RoundFacts, optional
        The round (year, period, rules, ledger); None = the slate's year only.

    Returns
    -------
    pandas.DataFrame
        ``unit_id``, ``unit_name``, ``task``, ``track``, ``selected``, ``national`` and
        `FEEDBACK_COLUMNS` (评审分数 and 同组入选最低分 numbers, NaN where none), in slate order.
    """
    selected = _flag(slate["selected"]).to_numpy()
    national = _flag(slate["national"]).to_numpy()
    track = slate["track"].fillna("").astype(str)
    ids = slate["candidate_id"].astype(str)
    score = pd.to_numeric(slate["score"], errors="coerce")
    group = slate["task"].astype(str) + "|" + track
    lowest = score.where(selected).groupby(group).transform("min")
    unique = explanations.drop_duplicates("candidate_id")
    by_id = unique.set_index(unique["candidate_id"].astype(str))
    if "lowest_selected" in by_id:        # the lowest score in of the rule group that decided (explain)
        group_lowest = pd.to_numeric(ids.map(by_id["lowest_selected"]), errors="coerce")
        lowest = group_lowest.where(group_lowest.notna(), lowest)
    cf = pd.Series(dtype=object)
    if counterfactuals is not None and "counterfactual" in counterfactuals:
        cf = counterfactuals.set_index(counterfactuals["candidate_id"].astype(str))["counterfactual"]
    if facts is None:
        year = pd.to_numeric(slate.get("year", pd.Series([0])), errors="coerce").max()
        facts = RoundFacts(year=int(year) if pd.notna(year) else 0)
    columns = ["reason_code", "reason", "rule_id", "group", "limit", "value", "planned", "lowest_selected"]
    info = by_id.reindex(ids)[[c for c in columns if c in by_id]].reset_index(drop=True)
    rows = slate.reset_index(drop=True).drop(columns=[c for c in columns if c in slate], errors="ignore")
    records = pd.concat([rows, info], axis=1).assign(score=score.to_numpy()).to_dict("records")
    reasons = [reason_sentence(r, facts) for r in records]
    result = [RESULT_NATIONAL if n else RESULT_IN if s else RESULT_OUT for s, n in zip(selected, national)]
    return pd.DataFrame({
        "unit_id": slate["unit_id"].astype(str).to_numpy(),
        "unit_name": slate["unit_name"].astype(str).to_numpy(),
        "task": slate["task"].astype(str).to_numpy(),
        "track": track.to_numpy(),
        "selected": selected,
        "national": national,
        "项目编号": ids.to_numpy(),
        "项目名称": slate["title"].astype(str).to_numpy(),
        "任务类别": [task_words(t, k) for t, k in zip(slate["task"].astype(str), track)],
        "评审分数": score.to_numpy(),
        "结果": result,
        "原因": reasons,
        "同组入选最低分": lowest.to_numpy(dtype=float),
        "怎样才能入选": [("" if s else str(cf.get(i, "") or "")) for s, i in zip(selected, ids)],
    })


def units(table: pd.DataFrame) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(unit_id, unit_name, its projects as records) per applying unit id, by name then id."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in table.to_dict("records"):
        grouped.setdefault(str(record["unit_id"]), []).append(record)
    out = [(uid, str(rows[0]["unit_name"]), rows) for uid, rows in grouped.items()]
    return sorted(out, key=lambda u: (u[1], u[0]))


def letter_names(unit_list: list[tuple[str, str, Any]]) -> list[str]:
    """A file name per unit: safe on Windows, at most `_MAX_STEM` characters, all distinct.

    The name as filed with unsafe characters replaced, then the unit id. Two units whose names
    would still collide (case, ``H 004`` vs ``H_004``, a cut) get a short hash of the unit id,
    so N units always give N files and the unit id decides which is which.
    """
    stems = []
    for uid, name, _ in unit_list:
        tail = "_" + _safe(uid)[:20]
        stems.append(_cut(_safe(name), _MAX_STEM - len(tail), _MAX_BYTES - len(tail.encode("utf-8"))) + tail)
    folded = [unicodedata.normalize("NFKC", s).casefold() for s in stems]
    seen: dict[str, int] = {}
    for key in folded:
        seen[key] = seen.get(key, 0) + 1
    out, used = [], set()
    for (uid, _, _), stem, key in zip(unit_list, stems, folded):
        if seen[key] > 1 or key in used:
            digest = hashlib.sha1(uid.encode("utf-8")).hexdigest()[:8]
            stem = f"{_cut(stem, _MAX_STEM - 9, _MAX_BYTES - 9)}_{digest}"
            key = unicodedata.normalize("NFKC", stem).casefold()
        while key in used:                                   # a hash of a hash: practically never
            stem = f"{_cut(stem, _MAX_STEM - 9, _MAX_BYTES - 9)}_{hashlib.sha1(stem.encode('utf-8')).hexdigest()[:8]}"
            key = unicodedata.normalize("NFKC", stem).casefold()
        used.add(key)
        out.append(f"{stem}.docx")
    return out


def _cut(text: str, chars: int, size: int) -> str:
    """`text` cut to at most `chars` characters and `size` UTF-8 bytes."""
    text = text[:chars]
    while len(text.encode("utf-8")) > size:
        text = text[:-1]
    return text.rstrip(". ") or "_"


def _safe(text: str) -> str:
    """A file-name part: no characters Windows refuses, no reserved name, no trailing dot, short."""
    text = _FILE_BAD.sub("_", str(text)).strip("._ ") or "_"
    if _WINDOWS_RESERVED.match(text):
        text = f"_{text}"
    return text


def summary_sentence(rows: list[dict[str, Any]]) -> str:
    """贵单位本年度共申报 N 项，入选… as a letter opens (`rows`: a unit's records of `feedback_table`)."""
    n_in = sum(bool(r["selected"]) for r in rows)
    n_nat = sum(bool(r["national"]) for r in rows)
    national = f"（其中推荐参加国家级遴选{n_nat}项）" if n_nat else ""
    if n_in == 0:
        return f"贵单位本年度共申报{len(rows)}项，均未入选省级认定名单。"
    if n_in == len(rows) and len(rows) > 1:
        return f"贵单位本年度共申报{len(rows)}项，全部入选省级认定名单{national}。"
    text = f"贵单位本年度共申报{len(rows)}项，入选省级认定名单{n_in}项{national}"
    if n_in < len(rows):
        text += f"，未入选{len(rows) - n_in}项"
    return text + "。"


def letter_projects(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A unit's projects as the letter template's ``projects`` (no ids, no codes)."""
    out = []
    for n, record in enumerate(rows, start=1):
        score = record["评审分数"]
        out.append({"no": n, "title": record["项目名称"], "task": record["任务类别"],
                    "score": "" if pd.isna(score) else f"{score:g}", "result": record["结果"],
                    "reason": record["原因"], "selected": bool(record["selected"])})
    return out


def feedback_xlsx(table: pd.DataFrame, *, title: str) -> bytes:
    """反馈汇总.xlsx: one sheet, one row per project, the unit a column; filtered, header frozen.

    Numbers (评审分数, 同组入选最低分) are number cells; every text is a string cell, so a title
    that starts with ``=`` or ``+`` is shown as filed and never run.
    """
    import xlsxwriter

    raw = io.BytesIO()
    book = xlsxwriter.Workbook(raw, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                     "strings_to_numbers": False, "nan_inf_to_errors": False})
    book.set_properties({"created": pd.Timestamp("2000-01-01").to_pydatetime(), "title": title})
    base = {"font_name": "宋体", "font_size": 11, "valign": "top"}
    head = book.add_format({**base, "bold": True, "border": 1, "bg_color": "#DDEBF7", "text_wrap": True})
    cell = book.add_format({**base, "border": 1, "text_wrap": True})
    number = book.add_format({**base, "border": 1, "num_format": "0.0##"})
    ws = book.add_worksheet("反馈汇总")
    widths = (10, 30, 16, 40, 28, 9, 16, 70, 12, 40)
    for j, column in enumerate(SUMMARY_COLUMNS):
        ws.set_column(j, j, widths[j])
        ws.write_string(0, j, column, head)
    ordered = table.sort_values(["unit_name", "unit_id"], kind="mergesort")
    values = {"单位编号": ordered["unit_id"], "申报单位": ordered["unit_name"],
              **{c: ordered[c] for c in FEEDBACK_COLUMNS}}
    for j, column in enumerate(SUMMARY_COLUMNS):
        for i, value in enumerate(values[column].tolist(), start=1):
            if column in NUMERIC:
                if value is None or pd.isna(value):
                    ws.write_blank(i, j, None, cell)
                else:
                    ws.write_number(i, j, float(value), number)
            else:
                ws.write_string(i, j, _cell_text(value), cell)
    ws.freeze_panes(1, 2)
    ws.autofilter(0, 0, max(len(ordered), 1), len(SUMMARY_COLUMNS) - 1)
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    ws.set_footer("&C第 &P 页 共 &N 页")
    book.close()
    return raw.getvalue()


_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _cell_text(value: Any) -> str:
    return _XLSX_ILLEGAL.sub("", "" if value is None else str(value))
