"""Build the bundled Word templates of `planner publish` (run after changing their layout).

    python planner/show/templates/build.py

Writes 认定名单.docx, 推荐名单.docx, 公示通知.docx and 反馈.docx beside this file: python-docx
documents holding docxtpl tags (``{{ … }}``, ``{%p … %}``, ``{%tr … %}``). The office opens and
restyles them in Word (letterhead, fonts, 落款) and passes its folder to ``--templates``; the
fields each template may use are listed in docs/publish.md. The look: A4, 仿宋 body, 方正小标宋简体
titles, 黑体 附件 label top left, the 文号 in the header of an attachment and under the letterhead
of a notice or letter, merged task rows in the lists, 第 N 页 共 M 页 in the footer.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import docx
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

HERE = Path(__file__).resolve().parent
BODY, TITLE, LABEL, KAI = "仿宋", "方正小标宋简体", "黑体", "楷体"


def _font(run, name: str, size: float, *, bold: bool = False, colour: RGBColor | None = None) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)
    if colour is not None:
        run.font.color.rgb = colour


def _project_tables(document, result: str) -> None:
    """One small table per project of a letter (任务类别, 评审分数, `result`, 说明), in a docxtpl loop."""
    _tag(document, "{%p for project in projects %}")
    _para(document, "{{ project.no }}．{{ project.title }}", bold=True, before=8, after=4)
    widths = [2.8, 12.8]
    table = _table(document, widths)
    for label, field in (("任务类别", "task"), ("评审分数", "score"), (result, "result"), ("说明", "reason")):
        row = _row(table, widths, [label, "{{ project.%s }}" % field], centre=(0,), size=12)
        row.cells[0].vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    _tag(document, "{%p endfor %}")


def _document(*, landscape: bool = False, body_size: float = 14) -> docx.document.Document:
    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name = BODY
    style.font.size = Pt(body_size)
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY)
    style.paragraph_format.space_after = Pt(0)
    style.paragraph_format.line_spacing = 1.25
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
        section.left_margin = section.right_margin = Cm(2.2)
        section.top_margin = section.bottom_margin = Cm(2.2)
    else:                                              # GB/T 9704: 天头 37 mm, 订口 28 mm
        section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
        section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text, field in (("第 ", None), (None, "PAGE"), (" 页  共 ", None), (None, "NUMPAGES"), (" 页", None)):
        if text:
            _font(footer.add_run(text), BODY, 10.5)
        else:
            _field(footer, field)
    return document


def _field(paragraph, code: str) -> None:
    run = paragraph.add_run()
    _font(run, BODY, 10.5)
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


def _para(document, text: str = "", *, font: str = BODY, size: float = 14, align=None, bold: bool = False,
          indent: bool = False, colour: RGBColor | None = None, before: float = 0, after: float = 0):
    p = document.add_paragraph()
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    p.paragraph_format.space_before, p.paragraph_format.space_after = Pt(before), Pt(after)
    if text:
        _font(p.add_run(text), font, size, bold=bold, colour=colour)
    return p


def _tag(document, text: str):
    """A paragraph holding only a block tag ({%p … %}): docxtpl removes the paragraph."""
    return _para(document, text, size=10)


def _table(document, widths: list[float], header: list[str] | None = None):
    table = document.add_table(rows=0, cols=len(widths))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths):
        column.width = Cm(width)
    if header:
        row = _row(table, widths, header, bold=True, centre=range(len(header)))
        tr_pr = row._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        tr_pr.append(repeat)
    return table


def _row(table, widths, values, *, bold=False, centre=(), size: float = 11, merge: bool = False):
    row = table.add_row()
    cells = row.cells
    for cell, width in zip(cells, widths):
        cell.width = Cm(width)
    if merge:
        merged = cells[0].merge(cells[-1])
        p = merged.paragraphs[0]
        _font(p.add_run(values[0]), BODY, size, bold=bold)
        return row
    for j, (cell, value) in enumerate(zip(cells, values)):
        p = cell.paragraphs[0]
        if j in centre:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(p.add_run(value), BODY, size, bold=bold)
    return row


def _header_number(document) -> None:
    """The 文号 and the attachment label in the page header, right (when there is a 文号)."""
    header = document.sections[0].header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _font(header.add_run("{% if number %}{{ number }}　{{ label }}{% endif %}"), BODY, 10.5)


def build_list(*, national: bool) -> docx.document.Document:
    document = _document(landscape=True)
    _header_number(document)
    _para(document, "{{ label }}", font=LABEL, size=16)
    _para(document, "{{ title }}", font=TITLE, size=20, align=WD_ALIGN_PARAGRAPH.CENTER, before=6, after=12)
    header = ["序号", "项目名称", "申报/牵头单位", "所属市（州）"] + ([] if national else ["国家级推荐"])
    widths = [1.5, 10.4, 7.8, 3.6] + ([] if national else [2.8])
    if national:
        widths = [1.5, 12.2, 8.8, 3.6]
    _tag(document, "{%p if groups %}")
    table = _table(document, widths, header)
    _row(table, widths, ["{%tr for group in groups %}"], merge=True)
    _row(table, widths, ["{{ group.name }}（{{ group.count }}项）"], merge=True, bold=True)
    _row(table, widths, ["{%tr for row in group.rows %}"], merge=True)
    cells = ["{{ row.no }}", "{{ row.title }}", "{{ row.unit }}", "{{ row.locality }}"]
    _row(table, widths, cells + ([] if national else ["{{ row.national }}"]),
         centre=(0, 3, 4))
    _row(table, widths, ["{%tr endfor %}"], merge=True)
    _row(table, widths, ["{%tr endfor %}"], merge=True)
    _tag(document, "{%p else %}")
    _para(document, "无", size=16, align=WD_ALIGN_PARAGRAPH.CENTER, before=24)
    _tag(document, "{%p endif %}")
    return document


def _letterhead(document) -> None:
    """The issuing office's name as a letterhead (red, 方正小标宋简体), the 文号 under it, then a red rule
    (GB/T 9704: 发文机关标志, 发文字号, 版头中的分隔线)."""
    red = RGBColor(0xC0, 0x00, 0x00)
    _tag(document, "{%p if issuer %}")
    _para(document, "{{ issuer }}", font=TITLE, size=26, align=WD_ALIGN_PARAGRAPH.CENTER, colour=red, after=6)
    _tag(document, "{%p endif %}")
    _tag(document, "{%p if number %}")
    _para(document, "{{ number }}", size=14, align=WD_ALIGN_PARAGRAPH.CENTER, before=6)
    _tag(document, "{%p endif %}")
    _tag(document, "{%p if issuer or number %}")
    p = _para(document, "", size=6, after=6)
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "12"), ("w:space", "1"), ("w:color", "C00000")):
        bottom.set(qn(key), value)
    border.append(bottom)
    p._p.get_or_add_pPr().append(border)
    _tag(document, "{%p endif %}")


def _signature(document) -> None:
    """落款 and date at the end, right-aligned (each left out when not given)."""
    _para(document, "", before=18)
    _tag(document, "{%p if issuer %}")
    _para(document, "{{ issuer }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    _tag(document, "{%p endif %}")
    _tag(document, "{%p if date %}")
    _para(document, "{{ date }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    _tag(document, "{%p endif %}")


def build_notice() -> docx.document.Document:
    document = _document()
    _letterhead(document)
    _para(document, "{{ title }}", font=TITLE, size=20, align=WD_ALIGN_PARAGRAPH.CENTER, before=18, after=18)
    _para(document, "{% if basis %}根据{{ basis }}，{% endif %}经单位申报、专家评审，现将{{ round_name }}拟认定名单"
                    "（{{ n_selected }}项，见附件1）"
                    "{% if n_national %}和拟推荐参加国家级遴选项目名单（{{ n_national }}项，见附件2）{% endif %}予以公示。"
                    "{% if not n_national %}本年度无推荐参加国家级遴选的项目，附件2为“无”。{% endif %}", indent=True)
    _para(document, "公示期：{{ notice_period }}。", indent=True)
    _para(document, "公示期间，对公示项目有异议的，请以书面形式向{{ issuer or '我厅' }}反映，写明项目名称和异议事由，"
                    "并提供必要的证明材料。以单位名义提出的，须加盖单位公章；以个人名义提出的，须署真实姓名并提供联系方式。"
                    "逾期或匿名提出的异议不予受理。", indent=True)
    _tag(document, "{%p if contact.person or contact.phone %}")
    _para(document, "联系人：{{ contact.person }}{% if contact.phone %}　联系电话：{{ contact.phone }}{% endif %}", indent=True)
    _tag(document, "{%p endif %}")
    _tag(document, "{%p if contact.email %}")
    _para(document, "电子邮箱：{{ contact.email }}", indent=True)
    _tag(document, "{%p endif %}")
    _tag(document, "{%p if contact.address %}")
    _para(document, "通讯地址：{{ contact.address }}", indent=True)
    _tag(document, "{%p endif %}")
    # 附件 list: "附件：" hangs, the items align under one another (left indent 5 characters).
    first = _para(document, "附件：1. {{ recognised_title }}", before=12)
    first.paragraph_format.left_indent, first.paragraph_format.first_line_indent = Pt(14 * 5), Pt(-14 * 3)
    second = _para(document, "2. {{ national_title }}{% if not n_national %}（无）{% endif %}")
    second.paragraph_format.left_indent = Pt(14 * 5)
    _signature(document)
    return document


def build_letter() -> docx.document.Document:
    document = _document()
    _letterhead(document)
    _para(document, "{{ title }}", font=TITLE, size=20, align=WD_ALIGN_PARAGRAPH.CENTER, before=18, after=18)
    _para(document, "{{ unit }}：")
    _para(document, "{% if basis %}根据{{ basis }}，{% endif %}经专家评审，{{ round_name }}认定名单已经确定"
                    "{% if number %}（{{ number }}）{% endif %}。现将贵单位申报项目的评审结果告知如下。", indent=True)
    _para(document, "{{ summary }}", indent=True)
    _project_tables(document, "评审结果")
    _para(document, "{{ guide }}", size=12, indent=True, before=12)
    _tag(document, "{%p if notice_end %}")
    _para(document, "如对评审结果有异议，请于{{ notice_end }}前以书面形式向{{ issuer or '我厅' }}反映"
                    "{% if contact.person or contact.phone %}（联系人：{{ contact.person }}"
                    "{% if contact.phone %}，电话：{{ contact.phone }}{% endif %}）{% endif %}。", size=12, indent=True)
    _tag(document, "{%p endif %}")
    _signature(document)
    return document


def _fixed(document) -> None:
    stamp = dt.datetime(2000, 1, 1)
    document.core_properties.created = document.core_properties.modified = stamp
    document.core_properties.author = document.core_properties.last_modified_by = "planner"


def main() -> None:
    for name, document in (("认定名单.docx", build_list(national=False)), ("推荐名单.docx", build_list(national=True)),
                           ("公示通知.docx", build_notice()), ("反馈.docx", build_letter())):
        _fixed(document)
        document.save(str(HERE / name))
        print("wrote", HERE / name)


if __name__ == "__main__":
    main()
