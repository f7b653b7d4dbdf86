"""Feedback to each applying unit (school, enterprise, government): its projects, in or out, and why.

Owns the feedback table of a round — per candidate: 入选 / 入选（国家级推荐）/ 未入选, the reason
exactly as `explain.reasons` worded it in explanations.csv (which quota, which rule, places kept
for later years), the lowest score that got in for the same task this year, and, for a rejected
project, the exact counterfactual where `planner explain --all --out` computed one — and its
forms: one xlsx sheet per unit and one docx letter per unit. Does not own the reasons themselves
(`explain`) nor writing files into place (`files`).
"""
from __future__ import annotations

import io
import re

import pandas as pd

from planner.show.lists import add_heading, add_table, docx_bytes, new_document, task_label

FEEDBACK_COLUMNS = ("项目编号", "项目名称", "任务类别", "评审分数", "结果", "原因", "同组入选最低分", "怎样才能入选")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_FILE_BAD = re.compile(r'[\\/:*?"<>|\s]')

GUIDE = ("说明：“结果”为省级评审结果；“原因”写明决定结果的规则（通知条款、限额或目标）及其所在分组；"
         "“同组入选最低分”为决定该项目结果的规则分组（如同一市（州）、同一学校的限额）本年度入选项目的最低评审分数，"
         "没有这样的分组时为同一任务类别（含子类）的最低分；"
         "“怎样才能入选”为把该项目改为入选、其余名单重新优化后须付出的代价（经精确计算），"
         "未计算时留空。为后续年度保留的名额，在原因中写作“后续年度规划”。")


def _flag(values: pd.Series) -> pd.Series:
    if values.dtype == bool:
        return values
    return values.astype(str).str.strip().str.lower().isin({"1", "true", "是", "1.0"})


def feedback_table(slate: pd.DataFrame, explanations: pd.DataFrame,
                   counterfactuals: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per candidate with its unit, result, reason and the lowest score that got in.

    Parameters
    ----------
    slate : pandas.DataFrame
        ``candidate_id``, ``task``, ``track``, ``title``, ``unit_id``, ``unit_name``, ``score``,
        ``selected``, ``national``.
    explanations : pandas.DataFrame
        explanations.csv: ``candidate_id``, ``reason``.
    counterfactuals : pandas.DataFrame, optional
        ``candidate_id``, ``counterfactual`` (from ``planner explain --all --out``).

    Returns
    -------
    pandas.DataFrame
        ``unit_id``, ``unit_name`` and `FEEDBACK_COLUMNS`, in the slate's order.
    """
    selected = _flag(slate["selected"])
    national = _flag(slate["national"])
    track = slate["track"].fillna("").astype(str)
    group = slate["task"].astype(str) + "|" + track
    lowest = slate["score"].where(selected).groupby(group).transform("min")
    by_id = explanations.set_index(explanations["candidate_id"].astype(str))
    reasons = by_id["reason"]
    ids = slate["candidate_id"].astype(str)
    if "lowest_selected" in by_id:        # the lowest score in of the rule group that decided (explain)
        group_lowest = pd.to_numeric(ids.map(by_id["lowest_selected"]), errors="coerce")
        lowest = group_lowest.where(group_lowest.notna(), lowest)
    cf = pd.Series(dtype=object)
    if counterfactuals is not None and "counterfactual" in counterfactuals:
        cf = counterfactuals.set_index(counterfactuals["candidate_id"].astype(str))["counterfactual"]
    result = ["入选（国家级推荐）" if n else "入选" if s else "未入选" for s, n in zip(selected, national)]
    return pd.DataFrame({
        "unit_id": slate["unit_id"].astype(str).to_numpy(),
        "unit_name": slate["unit_name"].astype(str).to_numpy(),
        "项目编号": ids.to_numpy(),
        "项目名称": slate["title"].astype(str).to_numpy(),
        "任务类别": [task_label(t, k) for t, k in zip(slate["task"], track)],
        "评审分数": slate["score"].to_numpy(),
        "结果": result,
        "原因": ids.map(reasons).fillna("").astype(str).to_numpy(),
        "同组入选最低分": lowest.map(lambda v: "" if pd.isna(v) else f"{v:g}").to_numpy(),
        "怎样才能入选": [("" if s else str(cf.get(i, "") or "")) for s, i in zip(selected, ids)],
    })


def units(table: pd.DataFrame) -> list[tuple[str, str, pd.DataFrame]]:
    """(unit_id, unit_name, its rows) per applying unit, by unit name."""
    out = []
    for (uid, name), rows in table.groupby(["unit_id", "unit_name"], sort=False):
        out.append((str(uid), str(name), rows.drop(columns=["unit_id", "unit_name"])))
    return sorted(out, key=lambda u: (u[1], u[0]))


def file_stem(unit_id: str, unit_name: str) -> str:
    """A file name for a unit's letter: its name as filed (unsafe characters replaced) and id."""
    return f"{_FILE_BAD.sub('_', unit_name)}_{_FILE_BAD.sub('_', unit_id)}"


def summary_sentence(rows: pd.DataFrame) -> str:
    n_in = int(rows["结果"].str.startswith("入选").sum())
    n_nat = int((rows["结果"] == "入选（国家级推荐）").sum())
    text = f"贵单位本年度共申报 {len(rows)} 项，入选省级名单 {n_in} 项"
    text += f"，其中推荐参加国家级遴选 {n_nat} 项。" if n_nat else "。"
    if n_in < len(rows):
        text += f"未入选 {len(rows) - n_in} 项，原因逐项列于下表。"
    return text


def feedback_xlsx(table: pd.DataFrame, *, title: str) -> bytes:
    """One sheet per unit (named by the unit, as filed, cut to Excel's 31 characters)."""
    import xlsxwriter

    raw = io.BytesIO()
    book = xlsxwriter.Workbook(raw, {"in_memory": True})
    book.set_properties({"created": pd.Timestamp("2000-01-01").to_pydatetime()})
    head = book.add_format({"bold": True, "border": 1, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top"})
    cell = book.add_format({"border": 1, "text_wrap": True, "valign": "top"})
    chosen = book.add_format({"border": 1, "text_wrap": True, "valign": "top", "bg_color": "#E2EFDA"})
    bold = book.add_format({"bold": True, "font_size": 14})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    widths = (14, 36, 24, 9, 14, 60, 12, 40)
    used: set[str] = set()
    for uid, name, rows in units(table):
        sheet = _SHEET_BAD.sub("_", name)[:31]
        if sheet in used:
            sheet = f"{sheet[:31 - len(uid) - 1]}_{uid}"
        used.add(sheet)
        ws = book.add_worksheet(sheet)
        ws.write(0, 0, f"{name}：{title}", bold)
        ws.merge_range(1, 0, 1, len(FEEDBACK_COLUMNS) - 1, summary_sentence(rows), wrap)
        for j, column in enumerate(FEEDBACK_COLUMNS):
            ws.set_column(j, j, widths[j])
            ws.write(3, j, column, head)
        for i, record in enumerate(rows.to_dict("records")):
            fmt = chosen if record["结果"].startswith("入选") else cell
            for j, column in enumerate(FEEDBACK_COLUMNS):
                ws.write(4 + i, j, record[column], fmt)
        ws.merge_range(5 + len(rows), 0, 5 + len(rows), len(FEEDBACK_COLUMNS) - 1, GUIDE, wrap)
        ws.set_row(5 + len(rows), 60)
        ws.freeze_panes(4, 0)
    book.close()
    return raw.getvalue()


def feedback_docx(unit_name: str, rows: pd.DataFrame, *, title: str, issuer: str = "", date: str = "") -> bytes:
    """A letter to one unit: its name, a summary sentence, one bordered table per project, the guide."""
    from docx.shared import Pt

    document = new_document()
    add_heading(document, title, size=16)
    document.add_paragraph(f"{unit_name}：")
    document.add_paragraph("　　" + summary_sentence(rows))
    fields = [c for c in FEEDBACK_COLUMNS if c != "项目编号"]
    for n, record in enumerate(rows.to_dict("records"), start=1):
        p = document.add_paragraph()
        run = p.add_run(f"{n}. {record['项目名称']}（{record['项目编号']}）")
        run.bold = True
        values = [[f, str(record[f]) if f != "评审分数" else f"{record[f]:g}"] for f in fields[1:]
                  if str(record[f]) != "" or f == "同组入选最低分"]
        values = [[f, v or "—"] for f, v in values]
        add_table(document, ["项目", "内容"], values, widths_cm=[4.2, 12.4], centre=(0,))
        document.add_paragraph()                       # a line between one project and the next
    note = document.add_paragraph()
    run = note.add_run(GUIDE)
    run.font.size = Pt(10.5)
    if issuer or date:
        from docx.enum.text import WD_ALIGN_PARAGRAPH

        for text in (issuer, date):
            if text:
                p = document.add_paragraph(text)
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return docx_bytes(document)
