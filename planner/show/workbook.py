"""slate.xlsx as a planner works in it: Chinese headers and labels, filters, 是/否 lists, a 规则 and a 说明 sheet.

Owns the layout of the slate workbook: sheet 名单 (every candidate; Chinese headers and labels from
`planner.inputs.labels`; header frozen; autofilter; 是/否 drop-down lists on 省级入选 and 国家级推荐;
selected rows shaded by a conditional format, so that an edit re-shades the row), sheet 规则 (rules.csv
in Chinese) and sheet 说明 (what each column means, how to edit and re-audit). ``lang="en"`` writes
the codes instead. The loader (`planner.inputs`) reads the 名单 sheet back to the same slate.
Does not own writing files into place (`files`). xlsxwriter is loaded on first use.

The 名单 sheet's cells are written by column, not one xlsxwriter call per cell: xlsxwriter lays
out the workbook (header, widths, filter, drop-down lists, shading, the other sheets) with the
header row only, and the data rows are spliced into that sheet's XML (numbers, booleans, and
text in the shared strings, escaped the way xlsxwriter escapes it: `_with_rows`). A national slate of
74,400 rows × 20 columns is 1.5 M cells: cell by cell that took most of a national run. Each row is
one %-template filled with its row number and each cell's part (`_row_template`), and the rows go
into the sheet's zip entry a few thousand at a time rather than as one text copied several times.
"""
from __future__ import annotations

import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Mapping

import numpy as np
import pandas as pd

from planner.inputs import column_label, to_chinese, value_labels
from planner.inputs.labels import CODED_COLUMNS
from planner.show.behind import written_behind

RULE_LABELS = {
    "rule_id": "规则编号", "clause": "通知条款", "group": "分组", "value": "已用（含以往年度）", "min": "下限",
    "max": "上限", "slack": "余量", "binding": "卡线", "text": "规则原文", "decision": "决定层级",
    "scope": "计算范围", "soft": "可放宽（偏离计分）", "target_min": "目标下限", "violation": "超出或不足",
}
RULE_VALUES = {
    "decision": {"provincial": "省级入选", "national": "国家级推荐", "filing": "申报条件"},
    "scope": {"period": "全期累计", "year": "本年度"},
}
SLATE_SHEET = "名单"

GUIDE = [
    ("这是什么", "本年度全部申报项目及评审结果：每行一个项目，“省级入选”“国家级推荐”为优化求解的结果，"
                 "“说明”写明入选或未入选的原因。"),
    ("怎样筛选", "表头每列有筛选按钮；已入选的行以绿色底纹标出。"),
    ("怎样修改", "只改“省级入选”“国家级推荐”两列，下拉选择“是”或“否”；国家级推荐的项目必须同时省级入选。"
                 "不要改动项目编号、任务类别等申报信息。"),
    ("改后核验", "保存后运行 planner audit 场景文件 本文件，逐条核验全部硬性规则；"
                 "也可把本文件作为 --candidates 重新求解，结果列会被忽略。"),
    ("规则", "“规则”工作表列出每条规则、所依据的通知条款、各分组的已用数量与上下限，“卡线”为是的规则决定了名单。"),
]


def _width(value: object) -> int:
    text = str(value)
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def rules_chinese(rules: pd.DataFrame) -> pd.DataFrame:
    """rules.csv with Chinese headers, 是/否 flags and Chinese words for its codes."""
    out = rules.copy()
    for column in out.columns:
        if out[column].dtype == bool:
            out[column] = out[column].map({True: "是", False: "否"})
        elif column in RULE_VALUES:
            out[column] = out[column].map(lambda v, m=RULE_VALUES[column]: m.get(v, v))
    out.columns = [RULE_LABELS.get(c, column_label(c)) for c in out.columns]
    return out


def slate_xlsx_bytes(slate: pd.DataFrame, *, rules: pd.DataFrame | None = None, lang: str = "zh",
                     codes: Mapping[int, tuple[np.ndarray, list[str]]] | None = None) -> bytes:
    """The slate workbook.

    Parameters
    ----------
    slate : pandas.DataFrame
        The slate (candidate columns plus ``selected``, ``national``, ``reason``), formulas
        already neutralised by the caller.
    rules : pandas.DataFrame, optional
        rules.csv of the same run, for the 规则 sheet.
    lang : {"zh", "en"}
        ``"en"``: codes and English headers, 0/1 flags, sheets ``slate`` and ``rules``.
    codes : mapping, optional
        The slate's text columns by position, each cell's code and the distinct texts, as
        ``pd.factorize`` numbers them (`planner.show.render.TextCodes`), where the caller has them.
    """
    import xlsxwriter

    zh = lang != "en"
    flags = [c for c in slate.columns if slate[c].dtype == bool or c in ("selected", "national")]
    table = _chinese(slate, flags) if zh else slate
    if zh and codes:             # the columns `_chinese` (or `to_chinese`) relabels have other texts now
        relabelled = set(_chinese_keys(slate, flags)) | set(CODED_COLUMNS)
        codes = {j: coded for j, coded in codes.items() if slate.columns[j] not in relabelled}
    raw = io.BytesIO()
    book = xlsxwriter.Workbook(raw, {"in_memory": True, "strings_to_numbers": False,
                                     "strings_to_formulas": False, "strings_to_urls": False})
    book.set_properties({"author": "planner", "created": pd.Timestamp("2000-01-01").to_pydatetime()})
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    shade = book.add_format({"bg_color": "#E2EFDA"})
    _write_sheet(book, SLATE_SHEET if zh else "slate", table, head, header_only=True)
    ws = book.get_worksheet_by_name(SLATE_SHEET if zh else "slate")
    n, width = len(table), table.shape[1]
    ws.autofilter(0, 0, n, width - 1)
    selected_col = list(slate.columns).index("selected") if "selected" in slate else None
    for code in ("selected", "national"):
        if code in slate and zh:
            j = list(slate.columns).index(code)
            ws.data_validation(1, j, max(n, 1), j, {"validate": "list", "source": ["是", "否"],
                                                    "error_title": "只能填“是”或“否”",
                                                    "error_message": "请从下拉列表选择“是”或“否”。"})
    if selected_col is not None and n:
        letter = xlsxwriter.utility.xl_col_to_name(selected_col)
        truth = '"是"' if zh else "1"
        ws.conditional_format(1, 0, n, width - 1, {"type": "formula", "criteria": f"=${letter}2={truth}",
                                                   "format": shade})
    bodies = {"xl/worksheets/sheet1.xml": table}
    known = {"xl/worksheets/sheet1.xml": codes or {}}
    if rules is not None:
        bodies["xl/worksheets/sheet2.xml"] = rules_chinese(rules) if zh else rules
        _write_sheet(book, "规则" if zh else "rules", bodies["xl/worksheets/sheet2.xml"], head, header_only=True)
    if zh:
        guide = pd.DataFrame(GUIDE + [(column_label(c), _meaning(c)) for c in slate.columns],
                             columns=["项目", "说明"])
        _write_sheet(book, "说明", guide, head)
        book.get_worksheet_by_name("说明").set_column(1, 1, 90, book.add_format({"text_wrap": True}))
    book.close()
    return _with_rows(raw.getvalue(), bodies, known)


def _chinese(slate: pd.DataFrame, flags: list[str]) -> pd.DataFrame:
    """``to_chinese(slate, bool_columns=flags)``, each distinct combination of the columns it
    relabels (flags, coded columns, ``track`` with its ``task``) relabelled once: a national slate
    repeats a few hundred of them over 74,400 rows. Falls back to `to_chinese` itself where a
    key column mixes value types (1 and True would be one key)."""
    keys = _chinese_keys(slate, flags)
    if not keys or len(slate) < 2 or slate.columns.duplicated().any() or not all(map(_plain_key, (slate[c] for c in keys))):
        return to_chinese(slate, bool_columns=flags)
    combined = np.zeros(len(slate), np.int64)
    for column in keys:
        codes, distinct = pd.factorize(slate[column], use_na_sentinel=False)
        combined = pd.factorize(combined * len(distinct) + codes)[0]
    _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
    small = to_chinese(slate[keys].iloc[first].reset_index(drop=True), bool_columns=[c for c in keys if c in flags])
    out = slate.copy()
    for k, column in enumerate(keys):
        out[column] = small.iloc[:, k].take(inverse.ravel()).set_axis(out.index)
    out.columns = [column_label(c) for c in out.columns]
    return out


def _chinese_keys(slate: pd.DataFrame, flags: list[str]) -> list[str]:
    """The columns `to_chinese` relabels (flags, coded columns, ``track`` with its ``task``)."""
    keys = [c for c in slate.columns if c in flags or c == "track" or value_labels(c)]
    if "track" in keys and "task" in slate and "task" not in keys:
        keys.append("task")
    return keys


def _plain_key(column: pd.Series) -> bool:
    """True when equal keys are equal values of one type: numpy bool/int, or text with gaps."""
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "biu":
        return True
    return pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty")


def _write_sheet(book, name: str, table: pd.DataFrame, head, *, header_only: bool = False) -> None:
    ws = book.add_worksheet(name)
    ws.freeze_panes(1, 0)
    for j, column in enumerate(table.columns):
        values = table[column].tolist() if not header_only else table[column].iloc[:500].tolist()
        width = max([_width(column)] + [_width(v) for v in values[:500]])
        ws.set_column(j, j, min(max(width + 2, 6), 60))
        ws.write_string(0, j, str(column), head)
        if header_only:
            continue
        for i, value in enumerate(values, start=1):
            if value is None or (isinstance(value, float) and value != value):
                continue
            if isinstance(value, bool):
                ws.write_boolean(i, j, value)
            elif hasattr(value, "item") and not isinstance(value, str):
                ws.write_number(i, j, value.item()) if not isinstance(value.item(), bool) \
                    else ws.write_boolean(i, j, value.item())
            elif isinstance(value, (int, float)):
                ws.write_number(i, j, value)
            else:
                ws.write_string(i, j, str(value))


# --- the 名单 sheet's rows, by column ------------------------------------------------------------

_STRING_MAX = 32767                 # Excel's longest cell text (UTF-16 units), as xlsxwriter cuts it
_NEEDS_ESCAPE = re.compile("[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_ESCAPED_CHARACTER = re.compile("[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]")   # `_NEEDS_ESCAPE`'s two halves,
_ESCAPE_LOOKALIKE = re.compile("_x[0-9a-fA-F]{4}_")                          # each searched on its own
_ESCAPED_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f]")
_STRINGS = "xl/sharedStrings.xml"


class _Strings:
    """Shared strings added after xlsxwriter's own (`first` of them): text → index."""

    def __init__(self, first: int):
        self.first, self.index, self.uses = first, {}, 0

    def number(self, text: str) -> int:
        if len(text) > _STRING_MAX // 2 and len(text.encode("utf-16-le")) // 2 > _STRING_MAX:
            text = text.encode("utf-16-le")[:2 * _STRING_MAX].decode("utf-16-le", "ignore")
        i = self.index.get(text)
        if i is None:
            i = self.index[text] = self.first + len(self.index)
        return i

    def numbers(self, texts: list[str]) -> list[int]:
        """`number` of each text, in one pass (texts too long for a cell are cut first)."""
        if max(map(len, texts), default=0) > _STRING_MAX // 2:
            return [self.number(t) for t in texts]
        index, first = self.index, self.first
        for text in texts:
            if text not in index:
                index[text] = first + len(index)
        return [index[t] for t in texts]

    def cell(self, ref: str, text: str) -> str:
        self.uses += 1
        return f'<c r="{ref}" t="s"><v>{self.number(text)}</v></c>'

    def xml(self) -> str:
        texts = list(self.index)
        joined = "\n".join(texts)
        # One character class is searched much faster than the alternation of `_NEEDS_ESCAPE`;
        # the `_xHHHH_` half only where some text holds "_x".
        special = _hits(texts, _ESCAPED_CHARACTER, joined)
        if "_x" in joined:
            special |= _hits(texts, _ESCAPE_LOOKALIKE, joined)
        special |= np.array([t[:1].isspace() or t[-1:].isspace() for t in texts], bool)
        if not special.any():
            return "<si><t>" + "</t></si><si><t>".join(texts) + "</t></si>" if texts else ""
        return "".join(_si(text) if odd else f"<si><t>{text}</t></si>" for text, odd in zip(texts, special.tolist()))


def _hits(texts: list[str], pattern: re.Pattern, joined: str | None = None) -> np.ndarray:
    """Which texts hold a match of `pattern`, searched in one pass over all of them joined by line
    feeds (`pattern` never matches a line feed, so no match spans two texts; `joined`: that text,
    where the caller has it)."""
    out = np.zeros(len(texts), bool)
    joined = "\n".join(texts) if joined is None else joined
    if not pattern.search(joined):
        return out
    ends = np.cumsum(np.fromiter(map(len, texts), np.int64, len(texts)) + 1) - 1     # the line feed after each
    starts = np.fromiter((m.start() for m in pattern.finditer(joined)), np.int64)
    out[np.searchsorted(ends, starts, side="right")] = True
    return out


def _si(text: str) -> str:
    """One shared string, escaped as xlsxwriter escapes it."""
    if _NEEDS_ESCAPE.search(text):
        text = _ESCAPED_ESCAPE.sub(r"_x005F\1", text)
        text = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
        text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    preserve = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f"<si><t{preserve}>{text}</t></si>"


def _value_cell(ref: str, value: object, strings: _Strings) -> str:
    """One cell of any value, typed as the cell-by-cell writer types it ("" = empty)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        if value != value:
            return ""
        if isinstance(value, float) and math.isinf(value):
            return strings.cell(ref, str(value))
        return f'<c r="{ref}"><v>{value:.16G}</v></c>'
    return strings.cell(ref, str(value))


def _row_template(table: pd.DataFrame, strings: _Strings,
                  codes: Mapping[int, tuple[np.ndarray, list[str]]] | None = None) -> tuple[str, list[np.ndarray]]:
    """The sheet's data rows (row 2 on) as one row's XML with a ``%s`` for each part that changes
    from row to row, and those parts: one object array per ``%s``, an entry per row. Every text is
    numbered in `strings` here, column by column, as the cell-by-cell writer numbers them. `codes`:
    text columns' codes where the caller has them (`slate_xlsx_bytes`)."""
    from xlsxwriter.utility import xl_col_to_name

    rows = np.array([str(i) for i in range(2, len(table) + 2)], dtype=object)
    pieces, parts = ['<row r="%s">'], [rows]
    for j in range(table.shape[1]):
        piece, column_parts = _column_parts(table.iloc[:, j], xl_col_to_name(j), rows, strings, (codes or {}).get(j))
        pieces.append(piece)
        parts.extend(column_parts)
    pieces.append("</row>")
    return "".join(pieces), parts


def _column_parts(column: pd.Series, letter: str, rows: np.ndarray, strings: _Strings,
                  coded: tuple[np.ndarray, list[str]] | None = None) -> tuple[str, list[np.ndarray]]:
    """One column's cell in the row template and its parts (`_row_template`). A plain column (numpy
    bool, integer or finite float, or text with empty cells) has each distinct value's part of the
    cell after its reference (its tail) written once; any other column is typed cell by cell
    (`_value_cell`). `coded`: a text column's codes and distinct texts, where the caller has them."""
    kind = column.dtype.kind if isinstance(column.dtype, np.dtype) else "O"
    if kind in "biu" or (kind == "f" and column.dtype.itemsize == 8 and not np.isinf(column.to_numpy()).any()):
        values = column.to_numpy()
        codes, distinct = pd.factorize(values.view(np.int64) if kind == "f" else values)
        if kind == "f":
            distinct = np.asarray(distinct).view(np.float64)
        return _tail_parts(letter, rows, [_number_tail(v) for v in np.asarray(distinct).tolist()], codes)
    if coded is None:
        values = column.tolist()
        codes, distinct = pd.factorize(np.asarray(values, dtype=object))
        distinct = distinct.tolist()
    else:
        codes, distinct = coded
    if set(map(type, distinct)) <= {str}:              # text and empty cells: each text looked up once
        numbers = strings.numbers(distinct)
        strings.uses += int((codes >= 0).sum())
        return _tail_parts(letter, rows, [f' t="s"><v>{k}</v></c>' for k in numbers], codes)
    values = column.tolist()
    cells = [strings.cell(letter + r, v) if type(v) is str else _value_cell(letter + r, v, strings)
             for r, v in zip(rows.tolist(), values)]
    return "%s", [np.array(cells, dtype=object)]


def _number_tail(value: bool | int | float) -> str | None:
    """A bool or number cell after its reference, as xlsxwriter writes it (None: NaN, no cell)."""
    if isinstance(value, bool):
        return f' t="b"><v>{int(value)}</v></c>'
    if value != value:
        return None
    return f"><v>{value:.16G}</v></c>"


def _tail_parts(letter: str, rows: np.ndarray, tails: list[str | None], codes: np.ndarray) -> tuple[str, list[np.ndarray]]:
    """A column's cell as its reference (`letter`, the row) and the tail of its value's code (code
    -1 or a None tail: no cell at all)."""
    cell_tails = np.array(tails + [None], dtype=object)[codes]
    empty = np.array([t is None for t in tails] + [True])[codes]
    if not empty.any():
        return f'<c r="{letter}%s"%s', [rows, cell_tails]
    opening = np.full(len(rows), f'<c r="{letter}', dtype=object)
    opening[empty] = ""
    numbers = rows.copy()
    numbers[empty] = ""
    closing = np.array(['"' + t if t is not None else "" for t in tails] + [""], dtype=object)[codes]
    return "%s%s%s", [opening, numbers, closing]


def _rows_xml(template: str, parts: list[np.ndarray], chunk: int = 4096):
    """The rows of `_row_template`, `chunk` rows a text."""
    for start in range(0, len(parts[0]), chunk):
        rows = zip(*(part[start:start + chunk].tolist() for part in parts))
        yield "".join([template % row for row in rows])


def _with_rows(book: bytes, bodies: dict[str, pd.DataFrame],
               codes: Mapping[str, Mapping[int, tuple[np.ndarray, list[str]]]] | None = None) -> bytes:
    """The workbook `book` with the rows of each table in `bodies` (row 2 on) added to its sheet
    (a part name: ``xl/worksheets/sheet1.xml``), whose header xlsxwriter wrote, their text to the
    shared strings; every other part, and every zip entry's name, order and date, as xlsxwriter
    wrote them. A sheet's rows go into its zip entry a few thousand at a time, never as one text.
    `codes`: per sheet, text columns' codes where the caller has them (`_row_template`)."""
    from xlsxwriter.utility import xl_col_to_name

    bodies = {sheet: table for sheet, table in bodies.items() if len(table)}
    if not bodies:
        return book
    source = zipfile.ZipFile(io.BytesIO(book))
    shared = source.read(_STRINGS).decode("utf-8")
    counts = re.search(r'count="(\d+)" uniqueCount="(\d+)"', shared)
    strings = _Strings(int(counts.group(2)))
    rows = {sheet: _row_template(table, strings, (codes or {}).get(sheet)) for sheet, table in bodies.items()}
    shared = shared.replace(counts.group(0), f'count="{int(counts.group(1)) + strings.uses}" '
                                             f'uniqueCount="{strings.first + len(strings.index)}"', 1)
    shared = shared.replace("</sst>", strings.xml() + "</sst>", 1).encode("utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            _deflated_fast(info)
            if info.filename not in rows:
                target.writestr(info, shared if info.filename == _STRINGS else source.read(info))
                continue
            table = bodies[info.filename]
            dimension = f"A1:{xl_col_to_name(table.shape[1] - 1)}{len(table) + 1}"
            xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="{dimension}"/>',
                         source.read(info).decode("utf-8"), count=1)
            head, tail = xml.split("</sheetData>", 1)
            with target.open(info, "w") as entry:
                entry.write(head.encode("utf-8"))
                # deflated by a second thread while the next chunk is formatted (at most two wait)
                with written_behind(most_waiting=2) as behind:
                    for text in _rows_xml(*rows[info.filename]):
                        behind(entry.write, text.encode("utf-8"))
                entry.write(("</sheetData>" + tail).encode("utf-8"))
    return out.getvalue()


def _deflated_fast(info: zipfile.ZipInfo) -> None:
    """Mark a zip entry to be deflated at level 1, as ``writestr(info, data, ZIP_DEFLATED, 1)`` marks it."""
    info.compress_type = zipfile.ZIP_DEFLATED
    if hasattr(info, "compress_level"):          # Python 3.13 on
        info.compress_level = 1
    else:
        info._compresslevel = 1


_MEANINGS = {
    "candidate_id": "项目的唯一编号，核验和重新求解时据此对应，请勿修改",
    "year": "申报年度", "task": "通知第三部分的任务类别", "track": "任务的子类（如学校/公共/企业实践中心）",
    "title": "项目名称（按申报原文）", "unit_id": "申报单位编号", "unit_name": "申报（牵头）单位（按申报原文）",
    "unit_kind": "单位类型：高职学校、中职学校、政府、企业等", "tier": "高职学校的类别（双高计划等）",
    "locality": "所属市（州）", "level": "办学层次：中职或高职", "integrated": "是否产教融合型单位",
    "score": "专家评审分数（0–100）", "exempt": "是否不占所在市（州）限额", "eligible": "是否符合申报条件",
    "cost": "建设经费（万元）", "selected": "是否入选省级名单（可修改：是/否）",
    "national": "是否推荐参加国家级遴选（可修改：是/否；须同时省级入选）", "reason": "入选或未入选的原因",
}


def _meaning(column: str) -> str:
    return _MEANINGS.get(column, "申报表中的其他信息，原样保留")
