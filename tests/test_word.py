"""`planner.show.word`: a docxtpl template read once and rendered many times.

A template is made here with python-docx (a paragraph, a header, a table row loop), rendered,
and read back with python-docx: the values are where the tags were, text is kept exactly
(markup characters escaped, not interpreted), characters XML cannot hold are dropped, the same
context gives the same bytes, and docxtpl's own ``render`` gives the same text.
"""
from __future__ import annotations

import io

import docx
import pytest

from planner.errors import InputError
from planner.show.word import BUNDLED, TEMPLATE_NAMES, WordTemplate, load_templates


def _template(tmp_path, body: list[str], *, header: str = "", rows: bool = False):
    document = docx.Document()
    if header:
        document.sections[0].header.paragraphs[0].text = header
    for text in body:
        document.add_paragraph(text)
    if rows:
        table = document.add_table(rows=0, cols=2)
        for cells in (["{%tr for r in rows %}", ""], ["{{ r.a }}", "{{ r.b }}"], ["{%tr endfor %}", ""]):
            row = table.add_row().cells
            row[0].text, row[1].text = cells
    path = tmp_path / "t.docx"
    document.save(str(path))
    return path


def _read(data: bytes):
    return docx.Document(io.BytesIO(data))


def test_values_go_where_the_tags_are_and_text_is_kept_exactly(tmp_path):
    path = _template(tmp_path, ["致{{ unit }}：", "{%p if note %}", "{{ note }}", "{%p endif %}"],
                     header="{{ number }}", rows=True)
    template = WordTemplate.load(path)
    odd = "=HYPERLINK(\"x\") <b>&amp; “引号” \u0007响铃"
    data = template.render({"unit": "+某学校", "note": odd, "number": "吉教职成〔2023〕1号",
                            "rows": [{"a": "甲", "b": 1}, {"a": "乙", "b": 2.5}]})
    document = _read(data)
    texts = [p.text for p in document.paragraphs]
    assert texts == ["致+某学校：", "=HYPERLINK(\"x\") <b>&amp; “引号” 响铃"]
    assert document.sections[0].header.paragraphs[0].text == "吉教职成〔2023〕1号"
    assert [[c.text for c in r.cells] for r in document.tables[0].rows] == [["甲", "1"], ["乙", "2.5"]]
    assert template.render({"unit": "+某学校", "note": odd, "number": "吉教职成〔2023〕1号",
                            "rows": [{"a": "甲", "b": 1}, {"a": "乙", "b": 2.5}]}) == data     # same bytes


def test_a_false_condition_drops_its_paragraph_and_a_newline_is_a_line_break(tmp_path):
    path = _template(tmp_path, ["{%p if note %}", "{{ note }}", "{%p endif %}", "{{ unit }}"])
    document = _read(WordTemplate.load(path).render({"note": "", "unit": "第一行\n第二行"}))
    assert [p.text for p in document.paragraphs] == ["第一行\n第二行"]


def test_the_same_text_as_docxtpl_itself(tmp_path):
    from docxtpl import DocxTemplate

    path = _template(tmp_path, ["{{ a }}与{{ b }}", "{%p if a %}", "有{{ a }}", "{%p endif %}"], rows=True)
    context = {"a": "甲", "b": "乙", "rows": [{"a": "x", "b": "y"}]}
    ours = _read(WordTemplate.load(path).render(context))
    theirs = DocxTemplate(str(path))
    theirs.render(context)
    buffer = io.BytesIO()
    theirs.save(buffer)
    expected = _read(buffer.getvalue())
    assert [p.text for p in ours.paragraphs] == [p.text for p in expected.paragraphs]
    assert [[c.text for c in r.cells] for r in ours.tables[0].rows] == \
        [[c.text for c in r.cells] for r in expected.tables[0].rows]


@pytest.mark.parametrize("body, said", [(["{{ unit "], "模板标签有误"), (["{% for x in %}"], "模板标签有误"),
                                        (["{{ missing }}"], "未知字段")])
def test_a_broken_template_names_the_file_and_what_is_wrong(tmp_path, body, said):
    path = _template(tmp_path, body)
    with pytest.raises(InputError) as caught:
        WordTemplate.load(path).render({"unit": "x"})
    assert str(path) in str(caught.value) and said in str(caught.value)


def test_a_file_that_is_not_a_docx_is_a_located_error(tmp_path):
    path = tmp_path / "反馈.docx"
    path.write_text("not a zip", "utf-8")
    with pytest.raises(InputError) as caught:
        WordTemplate.load(path)
    assert "反馈.docx" in str(caught.value) and "不是 Word 文档" in str(caught.value)


def test_the_office_folder_overrides_only_the_templates_it_has(tmp_path):
    _template(tmp_path, ["本单位的{{ unit }}"]).rename(tmp_path / "反馈.docx")
    forms = load_templates(tmp_path)
    assert set(forms) == set(TEMPLATE_NAMES)
    assert forms["反馈.docx"].source == str(tmp_path / "反馈.docx")
    assert forms["认定名单.docx"].source == str(BUNDLED / "认定名单.docx")
