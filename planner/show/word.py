"""Word templates (docxtpl: Jinja2 inside a .docx) read once and rendered many times, fast.

Owns loading an office-editable .docx template — the bundled one in ``planner/show/templates/``
or the office's own from ``planner publish --templates DIR`` — and rendering it with a context
into the bytes of a .docx. docxtpl's own ``render`` re-opens the whole package for every
document (about 40 ms a letter); here each XML part holding tags (the body, headers, footers,
footnotes) is cleaned by docxtpl's ``patch_xml`` and compiled by Jinja2 once, and a document is
that part rendered, checked to be well-formed XML and zipped with the template's other parts.
The tags are docxtpl's (``{{ x }}``, ``{%p if %}``, ``{%tr for %}``, ``{%tc %}``), so a template
made for docxtpl works here. Values are XML-escaped; characters XML cannot hold are dropped;
a newline in a value becomes a line break. A broken template is an `InputError` naming the
file, the part and what Jinja2 found, with the text near it. Does not own what goes into a
document (`lists`, `letters`, `publication`) nor writing files (`files`).
"""
from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.errors import InputError, Problem
from planner.lang import say

BUNDLED = Path(__file__).resolve().parent / "templates"
#: The template files `planner publish` renders (the bundled defaults have these names).
TEMPLATE_NAMES = ("认定名单.docx", "推荐名单.docx", "公示通知.docx", "反馈.docx")
_TAGGED = re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$")
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass
class _Part:
    name: str
    template: Any                       # a compiled jinja2.Template
    fix_tables: bool


class WordTemplate:
    """A .docx template read and compiled once; `render` makes one document from a context."""

    def __init__(self, data: bytes, *, source: str) -> None:
        import jinja2
        from docxtpl import DocxTemplate

        self.source = source
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            names = archive.namelist()
            if "word/document.xml" not in names:
                raise zipfile.BadZipFile("no word/document.xml")
            raw = {name: archive.read(name) for name in names}
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise InputError([Problem(source, say(f"不是 Word 文档（.docx）：{exc}", f"not a Word document (.docx): {exc}"),
                                      say("用 Word 或 WPS 另存为的 .docx 模板",
                                          "a .docx template saved by Word or WPS"))]) from None
        self._names = names
        self._raw = raw
        self._helper = DocxTemplate(io.BytesIO(data))        # for patch_xml / resolve_listing / fix_tables
        self._env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                                       finalize=_printable, keep_trailing_newline=True)
        self._parts: list[_Part] = []
        for name in names:
            if not _TAGGED.match(name):
                continue
            text = _normalised(raw[name], source, name)
            if "{{" not in text and "{%" not in text:
                continue
            xml = self._helper.patch_xml(text)
            xml = re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)
            try:
                compiled = self._env.from_string(xml)
            except jinja2.TemplateSyntaxError as exc:
                raise InputError([_template_problem(source, name, xml, exc)]) from None
            self._parts.append(_Part(name, compiled, "{%tc" in text or "{%- tc" in text))
        tagged = {part.name for part in self._parts}
        self._packed = {name: _deflated(raw[name]) for name in names if name not in tagged}

    @classmethod
    def load(cls, path: str | Path) -> WordTemplate:
        """Read a template file (a located error when it cannot be read)."""
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError([Problem(str(path), say(f"无法读取（{exc.strerror}）", f"a file that cannot be read ({exc.strerror})"),
                                      say("可读的 .docx 模板文件", "a readable .docx template"))]) from None
        return cls(data, source=str(path))

    def render(self, context: dict[str, Any]) -> bytes:
        """The .docx of `context` (a located `InputError` if the template cannot be filled)."""
        import jinja2

        rendered: dict[str, bytes] = {}
        for part in self._parts:
            try:
                xml = part.template.render(context)
            except jinja2.UndefinedError as exc:
                part_name = _part_label(part.name)
                raise InputError([Problem(self.source, say(f"{part_name}用到未知字段：{exc.message}",
                                                           f"the {part_name} uses an unknown field: {exc.message}"),
                                          say("docs/publish.md 列出的字段（" + "、".join(sorted(context)) + "）",
                                              "a field listed in docs/publish.md (" + ", ".join(sorted(context)) + ")"))
                                  ]) from None
            except jinja2.TemplateError as exc:
                part_name = _part_label(part.name)
                raise InputError([Problem(self.source, say(f"{part_name}无法填写：{exc}", f"the {part_name} cannot be filled: {exc}"),
                                          say("docxtpl 模板语法（docs/publish.md）", "docxtpl template syntax (docs/publish.md)"))
                                  ]) from None
            xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
            xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
            if "\n" in xml or "\t" in xml:          # a value with a line break or a tab
                xml = self._helper.resolve_listing(xml)
            rendered[part.name] = self._checked(xml, part)
        entries = [self._packed[name] if name in self._packed else _deflated(rendered[name]) for name in self._names]
        return _zip(self._names, entries)

    def _checked(self, xml: str, part: _Part) -> bytes:
        """The part as bytes, after making sure Word can read it (well-formed; tables fixed)."""
        from lxml import etree

        try:
            if part.fix_tables:
                tree = self._helper.fix_tables(xml)
                return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=True)
            etree.fromstring(xml.encode("utf-8"))
        except etree.XMLSyntaxError as exc:
            part_name = _part_label(part.name)
            raise InputError([Problem(self.source, say(f"{part_name}填写后不是合法的 Word 内容（{exc}）",
                                                       f"the {part_name}, filled, is not valid Word content ({exc})"),
                                      say("标签成对出现、不跨表格或段落的模板（如 {%p if %} 与 {%p endif %} 各占一段）",
                                          "a template whose tags come in pairs and do not cross tables or paragraphs "
                                          "(such as {%p if %} and {%p endif %}, each a paragraph of its own)"))]) from None
        return xml.encode("utf-8")


def load_templates(folder: str | Path | None = None) -> dict[str, WordTemplate]:
    """Every template of `TEMPLATE_NAMES`: the office's from `folder` where it has one, else the bundled one.

    Parameters
    ----------
    folder : str or Path, optional
        The office's template folder (``planner publish --templates``); None = bundled only.

    Raises
    ------
    InputError
        `folder` is not a folder, or one of its templates is not a readable, valid template.
    """
    if folder is not None:
        folder = Path(folder)
        if not folder.is_dir():
            raise InputError([Problem(str(folder), say("不是文件夹", "not a folder") if folder.exists()
                                      else say("不存在", "nothing (no such folder)"),
                                      say("存放 .docx 模板的文件夹（" + "、".join(TEMPLATE_NAMES) + "，缺少的用内置模板）",
                                          "a folder of .docx templates (" + ", ".join(TEMPLATE_NAMES)
                                          + "; the bundled one where it has none)"))])
    out = {}
    for name in TEMPLATE_NAMES:
        own = folder / name if folder is not None else None
        out[name] = WordTemplate.load(own if own is not None and own.is_file() else BUNDLED / name)
    return out


def _deflated(data: bytes) -> tuple[int, int, bytes]:
    """(crc32, size, raw deflate stream) of one zip entry, compressed once."""
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return zlib.crc32(data), len(data), packer.compress(data) + packer.flush()


def _zip(names: list[str], entries: list[tuple[int, int, bytes]]) -> bytes:
    """A zip archive of already-deflated entries (what `zipfile` writes, without compressing again)."""
    out = io.BytesIO()
    central = []
    time, date = 0, (2000 - 1980) << 9 | 1 << 5 | 1          # 2000-01-01 00:00: the same run, the same bytes
    for name, (crc, size, packed) in zip(names, entries):
        encoded = name.encode("utf-8")
        offset = out.tell()
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0x800, 8, time, date, crc, len(packed), size,
                              len(encoded), 0))
        out.write(encoded)
        out.write(packed)
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0x800, 8, time, date, crc, len(packed),
                                   size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
    start = out.tell()
    for record in central:
        out.write(record)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(central), len(central), out.tell() - start, start, 0))
    return out.getvalue()


def _printable(value: Any) -> Any:
    """A value as printed: None as "", characters an XML file cannot hold dropped."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _XML_ILLEGAL.sub("", value)
    return value


def _normalised(data: bytes, source: str, name: str) -> str:
    """The part's XML as one line per docxtpl's expectations (re-serialised, no pretty printing)."""
    from lxml import etree

    try:
        tree = etree.fromstring(data)
    except etree.XMLSyntaxError as exc:
        raise InputError([Problem(source, say(f"{name} 不是合法的 XML（{exc}）", f"{name} is not valid XML ({exc})"),
                                  say("Word 保存的 .docx 模板", "a .docx template saved by Word"))]) from None
    return etree.tostring(tree, encoding="unicode", pretty_print=False)


def _part_label(name: str) -> str:
    kind = re.sub(r"\d+$", "", Path(name).stem)
    zh = {"document": "正文", "header": "页眉", "footer": "页脚", "footnotes": "脚注", "endnotes": "尾注"}.get(kind, name)
    return say(zh, kind if zh != name else name)


def _template_problem(source: str, name: str, xml: str, exc: Any) -> Problem:
    """Where a Jinja2 syntax error sits, said with the text of the paragraphs around it."""
    near = ""
    if getattr(exc, "lineno", None):
        lines = xml.splitlines()[max(exc.lineno - 2, 0): exc.lineno + 1]
        near = "".join(re.sub(r"<[^>]+>", "", line) for line in lines).strip()[:80]
    part_name = _part_label(name)
    found = say(f"{part_name}的模板标签有误：{exc.message}" + (f"（附近文字：“{near}”）" if near else ""),
                f"a wrong template tag in the {part_name}: {exc.message}" + (f' (near "{near}")' if near else ""))
    return Problem(source, found, say("成对、拼写正确的 docxtpl 标签，如 {{ 单位 }}、{%p if … %} … {%p endif %}",
                                      "docxtpl tags in pairs and spelled right, such as {{ 单位 }}, "
                                      "{%p if … %} … {%p endif %}"))
