"""slate.xlsx as a planner works in it: Chinese headers and labels, filters, 是/否 lists, a 规则 and a 说明 sheet.

Owns the layout of the slate workbook: sheet 名单 (every candidate; Chinese headers and labels from
`planner.inputs.labels`; header frozen; autofilter; 是/否 drop-down lists on 省级入选 and 国家级推荐;
selected rows shaded by a conditional format, so that an edit re-shades the row), sheet 规则 (rules.csv
in Chinese) and sheet 说明 (what each column means, how to edit and re-audit). ``lang="en"`` writes
the codes instead. The loader (`planner.inputs`) reads the 名单 sheet back to the same slate.
Does not own writing files into place (`files`). xlsxwriter is loaded on first use.
"""
from __future__ import annotations

import io
import unicodedata

import pandas as pd

from planner.inputs import column_label, to_chinese

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


def slate_xlsx_bytes(slate: pd.DataFrame, *, rules: pd.DataFrame | None = None, lang: str = "zh") -> bytes:
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
    """
    import xlsxwriter

    zh = lang != "en"
    table = to_chinese(slate, bool_columns=[c for c in slate.columns if slate[c].dtype == bool
                                            or c in ("selected", "national")]) if zh else slate
    raw = io.BytesIO()
    book = xlsxwriter.Workbook(raw, {"in_memory": True, "strings_to_numbers": False,
                                     "strings_to_formulas": False, "strings_to_urls": False})
    book.set_properties({"author": "planner", "created": pd.Timestamp("2000-01-01").to_pydatetime()})
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    shade = book.add_format({"bg_color": "#E2EFDA"})
    _write_sheet(book, SLATE_SHEET if zh else "slate", table, head)
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
    if rules is not None:
        _write_sheet(book, "规则" if zh else "rules", rules_chinese(rules) if zh else rules, head)
    if zh:
        guide = pd.DataFrame(GUIDE + [(column_label(c), _meaning(c)) for c in slate.columns],
                             columns=["项目", "说明"])
        _write_sheet(book, "说明", guide, head)
        book.get_worksheet_by_name("说明").set_column(1, 1, 90, book.add_format({"text_wrap": True}))
    book.close()
    return raw.getvalue()


def _write_sheet(book, name: str, table: pd.DataFrame, head) -> None:
    ws = book.add_worksheet(name)
    ws.freeze_panes(1, 0)
    for j, column in enumerate(table.columns):
        values = table[column].tolist()
        width = max([_width(column)] + [_width(v) for v in values[:500]])
        ws.set_column(j, j, min(max(width + 2, 6), 60))
        ws.write_string(0, j, str(column), head)
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
