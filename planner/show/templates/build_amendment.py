"""Build the bundled Word templates of a published amendment (run after changing their layout).

    python planner/show/templates/build_amendment.py

Writes 调整说明.docx (the notice of the amendment: letterhead, the amendment's 文号, who left the
list and who filled each place, 附件 list, 落款 and date) and 调整告知.docx (the letter to a unit
whose projects changed) beside this file, in the look of build.py's templates (A4, 仿宋 body,
方正小标宋简体 titles, red letterhead, 第 N 页 共 M 页). The amended lists themselves use the bundled
认定名单.docx / 推荐名单.docx with an amended title. The fields are listed in docs/amend.md.
"""
from __future__ import annotations

import sys
from pathlib import Path

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build import (  # noqa: E402 - the helpers of the other templates, so the look is the same
    HERE,
    LABEL,
    TITLE,
    _document,
    _fixed,
    _letterhead,
    _para,
    _project_tables,
    _signature,
    _tag,
)


def build_statement():
    document = _document()
    _letterhead(document)
    _para(document, "{{ title }}", font=TITLE, size=20, align=WD_ALIGN_PARAGRAPH.CENTER, before=18, after=18)
    _para(document, "{{ opening }}", indent=True)
    _tag(document, "{%p for section in sections %}")
    _para(document, "{{ section.heading }}", font=LABEL, size=14, indent=True, before=6)
    _tag(document, "{%p for line in section.lines %}")
    _para(document, "{{ line }}", indent=True)
    _tag(document, "{%p endfor %}")
    _tag(document, "{%p endfor %}")
    _para(document, "{{ closing }}", indent=True, before=6)
    # 附件 list: "附件：" hangs, one paragraph per attachment, the items aligned under one another.
    _tag(document, "{%p for a in attachments %}")
    item = _para(document, "{% if loop.first %}附件：{% else %}　　　{% endif %}"
                           "{% if attachments|length > 1 %}{{ loop.index }}. {% endif %}{{ a }}")
    item.paragraph_format.left_indent, item.paragraph_format.first_line_indent = Pt(14 * 5), Pt(-14 * 3)
    _tag(document, "{%p endfor %}")
    _signature(document)
    return document


def build_notice_letter():
    document = _document()
    _letterhead(document)
    _para(document, "{{ title }}", font=TITLE, size=20, align=WD_ALIGN_PARAGRAPH.CENTER, before=18, after=18)
    _para(document, "{{ unit }}：")
    _para(document, "{{ opening }}", indent=True)
    _project_tables(document, "调整结果")
    _para(document, "{{ closing }}", size=12, indent=True, before=12)
    _signature(document)
    return document


def main() -> None:
    for name, document in (("调整说明.docx", build_statement()), ("调整告知.docx", build_notice_letter())):
        _fixed(document)
        document.save(str(HERE / name))
        print("wrote", HERE / name)


if __name__ == "__main__":
    main()
