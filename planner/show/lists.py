"""The published lists of a round: 认定名单 (every recognised project) and 推荐名单 (the national
recommendations alone), as tables, as xlsx and as docx in the layout of an attachment to a notice.

Owns the columns of the lists (序号, 项目名称, 申报/牵头单位, 所属市（州）, 任务类别, 国家级推荐), their
order (by task in the notice's order, then by score), and the docx layout shared with the
feedback letters (附件 label, title, a table with borders, page numbers in the footer). Titles and
unit names are printed exactly as filed. Does not own which projects are selected (the solve) nor
writing files into place (`files`). python-docx and xlsxwriter are loaded on first use.
"""
from __future__ import annotations

import io
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


# --------------------------------------------------------------------------- xlsx
def list_xlsx(table: pd.DataFrame, *, title: str, sheet: str) -> bytes:
    """One sheet: the title row, then the list with borders, header frozen and filtered."""
    import xlsxwriter

    columns = [c for c in table.columns if c != "task"]
    raw = io.BytesIO()
    book = xlsxwriter.Workbook(raw, {"in_memory": True})
    book.set_properties({"created": pd.Timestamp("2000-01-01").to_pydatetime()})
    ws = book.add_worksheet(sheet[:31])
    head = book.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter",
                            "bg_color": "#DDEBF7", "text_wrap": True})
    cell = book.add_format({"border": 1, "valign": "vcenter", "text_wrap": True})
    centre = book.add_format({"border": 1, "valign": "vcenter", "align": "center"})
    ws.merge_range(0, 0, 0, len(columns) - 1, title,
                   book.add_format({"bold": True, "font_size": 16, "align": "center"}))
    widths = {"序号": 6, "项目名称": 46, "申报/牵头单位": 30, "所属市（州）": 16, "任务类别": 30, "国家级推荐": 10}
    for j, name in enumerate(columns):
        ws.write(1, j, name, head)
        ws.set_column(j, j, widths.get(name, 14))
        for i, value in enumerate(table[name].tolist()):
            ws.write(2 + i, j, value, centre if name in ("序号", "国家级推荐", "所属市（州）") else cell)
    ws.freeze_panes(2, 0)
    ws.autofilter(1, 0, 1 + len(table), len(columns) - 1)
    ws.repeat_rows(1)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    book.close()
    return raw.getvalue()


# --------------------------------------------------------------------------- docx
def new_document(*, landscape: bool = False) -> Any:
    """An A4 document with the notice's body font and page numbers (第 N 页 共 M 页) in the footer."""
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin = section.bottom_margin = Cm(2.5)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("第 ")
    _field(footer, "PAGE")
    footer.add_run(" 页  共 ")
    _field(footer, "NUMPAGES")
    footer.add_run(" 页")
    return document


def _field(paragraph: Any, code: str) -> None:
    """A Word field (PAGE, NUMPAGES) in `paragraph`, updated by Word and LibreOffice on display."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, code), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text == code:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {code} "
        else:
            element = OxmlElement("w:t")
            element.text = text
        run._r.append(element)


def add_heading(document: Any, text: str, *, size: float = 20, label: str = "") -> None:
    """The attachment label (附件1) at the left, then the centred title."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    if label:
        p = document.add_paragraph()
        run = p.add_run(label)
        run.font.name = "黑体"
        run._element.rPr.rFonts.set(qn("w:eastAsia"), "黑体")
        run.font.size = Pt(16)
    p = document.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run(text)
    run.bold = True
    run.font.size = Pt(size)
    run.font.name = TITLE_FONT
    run._element.rPr.rFonts.set(qn("w:eastAsia"), TITLE_FONT)


def add_table(document: Any, header: list[str], rows: list[list[str]], *, widths_cm: list[float],
              groups: list[tuple[int, str]] = (), size: float = 10.5, centre: tuple[int, ...] = ()) -> Any:
    """A bordered table; `groups` = (row position, heading) rows spanning the whole width;
    `centre` = positions of centred columns (the header is always centred)."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths_cm):     # LibreOffice reads the grid widths
        column.width = Cm(width)
    heads = dict(groups)

    def fill(cells: Any, values: list[str], *, bold: bool = False) -> None:
        for j, (cell, value, width) in enumerate(zip(cells, values, widths_cm)):
            cell.width = Cm(width)
            p = cell.paragraphs[0]
            if bold or j in centre:
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = p.add_run(str(value))
            run.bold = bold
            run.font.size = Pt(size)

    fill(table.rows[0].cells, header, bold=True)
    # The header row repeats on every page.
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    tr_pr.append(repeat)
    for i, values in enumerate(rows):
        if i in heads:
            cells = table.add_row().cells
            merged = cells[0].merge(cells[-1])
            run = merged.paragraphs[0].add_run(heads[i])
            run.bold = True
            run.font.size = Pt(size)
        fill(table.add_row().cells, values)
    return table


def docx_bytes(document: Any) -> bytes:
    raw = io.BytesIO()
    document.core_properties.created = pd.Timestamp("2000-01-01").to_pydatetime()
    document.core_properties.modified = pd.Timestamp("2000-01-01").to_pydatetime()
    document.save(raw)
    return raw.getvalue()


def list_docx(table: pd.DataFrame, *, title: str, label: str) -> bytes:
    """The list as a published attachment: label, title, one bordered table grouped by task."""
    document = new_document(landscape=True)
    add_heading(document, title, label=label)
    columns = [c for c in table.columns if c not in ("task", "任务类别")]
    widths = {"序号": 1.4, "项目名称": 10.5, "申报/牵头单位": 7.5, "所属市（州）": 3.6, "国家级推荐": 2.2}
    groups, rows, current = [], [], None
    for i, record in enumerate(table.to_dict("records")):
        if record["任务类别"] != current:
            current = record["任务类别"]
            n = int((table["任务类别"] == current).sum())
            groups.append((i, f"{current}（{n}项）"))
        rows.append([str(record[c]) for c in columns])
    add_table(document, columns, rows, widths_cm=[widths.get(c, 4.0) for c in columns], groups=groups,
              centre=tuple(j for j, c in enumerate(columns) if c in ("序号", "所属市（州）", "国家级推荐")))
    return docx_bytes(document)
