"""The published lists of a round: 认定名单 (every recognised project) and 推荐名单 (the national
recommendations alone), as tables, as the fields of their Word templates and as xlsx.

Owns the columns of the lists (序号, 项目名称, 申报/牵头单位, 所属市（州）, 任务类别, 国家级推荐), their
order (by task in the notice's order, then by score), their grouping by task (the merged header
rows), and the xlsx in the look of a printed attachment (附件 label, title, 文号, task rows, 仿宋,
page numbers in the footer, A4). Titles and unit names are printed exactly as filed; in xlsx a
text cell is always a string cell, so ``=…`` or ``+…`` is shown as written, never run. Does not
own the docx layout (the templates in ``templates/``), which projects are selected (the solve)
nor writing files into place (`files`). xlsxwriter is loaded on first use.
"""
from __future__ import annotations

import io
import re
from typing import Any

import pandas as pd

from planner.inputs import load_catalogue

LIST_COLUMNS = ("序号", "项目名称", "申报/牵头单位", "所属市（州）", "任务类别", "国家级推荐")
FONT = "仿宋"
TITLE_FONT = "方正小标宋简体"


def task_label(task: str, track: str) -> str:
    """任务类别 as printed: the task's name, and its track in brackets where it has one."""
    cat = load_catalogue()
    name = cat.label("task", task)
    sub = cat.tracks_of(task).get(track, "") if track else ""
    return f"{name}（{sub}）" if sub else name


def _flag(values: pd.Series) -> pd.Series:
    if values.dtype == bool:
        return values
    return values.astype(str).str.strip().str.lower().isin({"1", "true", "是", "1.0"})


def recognised_list(slate: pd.DataFrame, *, national_only: bool = False) -> pd.DataFrame:
    """The 认定名单 (or, with `national_only`, the 推荐名单) of a slate.

    Parameters
    ----------
    slate : pandas.DataFrame
        Columns ``candidate_id``, ``task``, ``track``, ``title``, ``unit_name``, ``locality``,
        ``score``, ``selected``, ``national`` (0/1, bool or 是/否).

    Returns
    -------
    pandas.DataFrame
        Columns `LIST_COLUMNS` plus ``task`` (the group), one row per selected (national)
        project, grouped by task in the catalogue's (the notice's) order, by score within a
        task, 序号 running from 1.
    """
    chosen = slate[_flag(slate["national" if national_only else "selected"])].copy()
    order = {code: i for i, code in enumerate(load_catalogue().tasks)}
    chosen["_task_order"] = chosen["task"].map(order).fillna(len(order))
    chosen["_track"] = chosen["track"].fillna("").astype(str)
    chosen = chosen.sort_values(["_task_order", "_track", "score", "candidate_id"],
                                ascending=[True, True, False, True], kind="mergesort")
    national = _flag(chosen["national"])
    table = pd.DataFrame({
        "序号": range(1, len(chosen) + 1),
        "项目名称": chosen["title"].astype(str).to_numpy(),
        "申报/牵头单位": chosen["unit_name"].astype(str).to_numpy(),
        "所属市（州）": chosen["locality"].astype(str).to_numpy(),
        "任务类别": [task_label(t, k) for t, k in zip(chosen["task"], chosen["_track"])],
        "国家级推荐": ["是" if n else "" for n in national],
        "task": chosen["task"].astype(str).to_numpy(),
    })
    if national_only:
        table = table.drop(columns=["国家级推荐"])
    return table


# --------------------------------------------------------------------------- for the templates
def list_groups(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The list as the templates' ``groups``: per task, in order, its name, count and rows.

    Parameters
    ----------
    table : pandas.DataFrame
        `recognised_list` output.

    Returns
    -------
    list of dict
        ``name`` (任务类别), ``count``, ``rows`` (each ``no``, ``title``, ``unit``, ``locality``,
        ``national`` — "是" or "").
    """
    groups: list[dict[str, Any]] = []
    for record in table.to_dict("records"):
        if not groups or groups[-1]["name"] != record["任务类别"]:
            groups.append({"name": record["任务类别"], "count": 0, "rows": []})
        groups[-1]["count"] += 1
        groups[-1]["rows"].append({"no": record["序号"], "title": record["项目名称"], "unit": record["申报/牵头单位"],
                                   "locality": record["所属市（州）"], "national": record.get("国家级推荐", "")})
    return groups


# --------------------------------------------------------------------------- xlsx
def list_xlsx(table: pd.DataFrame, *, title: str, sheet: str, label: str = "", number: str = "") -> bytes:
    """The list as a printable sheet: 附件 label, title, 文号, header, task rows, the projects.

    Rows: the label (黑体), the title (merged, 方正小标宋简体), the 文号 when there is one, the
    header (frozen, filtered, repeated on every printed page), then per task a merged row
    "任务类别（N项）" and its projects. 序号 are numbers; every text is a string cell. A4
    landscape, one page wide, 第 N 页 共 M 页 in the footer. An empty list says 无.
    """
    import xlsxwriter

    columns = [c for c in table.columns if c not in ("task", "任务类别")]
    raw = io.BytesIO()
    book = xlsxwriter.Workbook(raw, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                     "strings_to_numbers": False})
    book.set_properties({"created": pd.Timestamp("2000-01-01").to_pydatetime()})
    ws = book.add_worksheet(sheet[:31])
    base = {"font_name": FONT, "font_size": 11, "valign": "vcenter"}
    label_fmt = book.add_format({**base, "font_name": "黑体", "font_size": 16})
    title_fmt = book.add_format({**base, "font_name": TITLE_FONT, "font_size": 18, "align": "center",
                                 "text_wrap": True})
    number_fmt = book.add_format({**base, "align": "center"})
    head = book.add_format({**base, "bold": True, "border": 1, "align": "center", "text_wrap": True})
    group_fmt = book.add_format({**base, "bold": True, "border": 1})
    cell = book.add_format({**base, "border": 1, "text_wrap": True})
    centre = book.add_format({**base, "border": 1, "align": "center", "text_wrap": True})
    last = len(columns) - 1
    row = 0
    if label:
        ws.write_string(row, 0, label, label_fmt)
        row += 1
    ws.merge_range(row, 0, row, last, "", title_fmt)
    ws.write_string(row, 0, title, title_fmt)
    ws.set_row(row, 48)
    row += 1
    if number:
        ws.merge_range(row, 0, row, last, "", number_fmt)
        ws.write_string(row, 0, number, number_fmt)
        row += 1
    header_row = row
    widths = {"序号": 6, "项目名称": 50, "申报/牵头单位": 34, "所属市（州）": 16, "国家级推荐": 11}
    for j, name in enumerate(columns):
        ws.write_string(header_row, j, name, head)
        ws.set_column(j, j, widths.get(name, 14))
    row += 1
    if not len(table):
        ws.merge_range(row, 0, row, last, "", centre)
        ws.write_string(row, 0, "无", centre)
        row += 1
    for group in list_groups(table):
        ws.merge_range(row, 0, row, last, "", group_fmt)
        ws.write_string(row, 0, f"{group['name']}（{group['count']}项）", group_fmt)
        row += 1
        for item in group["rows"]:
            values = {"序号": item["no"], "项目名称": item["title"], "申报/牵头单位": item["unit"],
                      "所属市（州）": item["locality"], "国家级推荐": item["national"]}
            for j, name in enumerate(columns):
                value = values[name]
                if name == "序号":
                    ws.write_number(row, j, int(value), centre)
                else:
                    ws.write_string(row, j, _cell_text(value), centre if name != "项目名称" and name != "申报/牵头单位"
                                    else cell)
            row += 1
    ws.freeze_panes(header_row + 1, 0)
    ws.autofilter(header_row, 0, max(row - 1, header_row), last)
    ws.repeat_rows(header_row)
    ws.set_paper(9)                                   # A4
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.6, right=0.6, top=0.8, bottom=0.8)
    ws.set_footer("&C第 &P 页 共 &N 页")
    book.close()
    return raw.getvalue()


_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _cell_text(value: Any) -> str:
    """A value as a string cell's text (characters an xlsx cannot hold dropped)."""
    return _XLSX_ILLEGAL.sub("", "" if value is None else str(value))
