"""Chinese labels of the candidate table: every column name and every code value, and the way back.

Owns the words a person sees in a table header or cell — 项目编号 for ``candidate_id``, 政府 for
``government``, 是/否 for booleans — and mapping them back to the codes the rest of the planner
reads, so that a table written in Chinese by the tool reads back unchanged. The code values and
their full labels come from the catalogue (`catalogue`); this module adds the column names, the
short labels used in tables, and the spellings a school office types (政府, 高职, 中职学校 …).

Does not own validating values (`candidates`) or reading files (`candidate_files`).
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from types import MappingProxyType

import pandas as pd

from planner.inputs.catalogue import clean_text, load_catalogue

COLUMN_LABELS: MappingProxyType = MappingProxyType({
    "candidate_id": "项目编号",
    "year": "年度",
    "task": "任务类别",
    "track": "子类",
    "title": "项目名称",
    "unit_id": "单位编号",
    "unit_name": "申报单位",
    "unit_kind": "单位类型",
    "tier": "学校类别",
    "locality": "所属市（州）",
    "level": "办学层次",
    "integrated": "产教融合型",
    "score": "评审分数",
    "exempt": "不占限额",
    "eligible": "符合申报条件",
    "cost": "建设经费（万元）",
    "core_course": "专业核心课程",
    "consortium_id": "所属联合体编号",
    "digital_pilot": "数字校园试点学校",
    "online_quality": "已入选在线精品课程",
    "textbook_listed": "国家规划或获奖教材",
    "project_id": "项目标识",
    "recognised_in": "已于该年度认定",
    "national_in": "已于该年度国家级推荐",
    "selected": "省级入选",
    "national": "国家级推荐",
    "reason": "说明",
    "reason_code": "原因代码",
    "rule_id": "规则编号",
    "group": "分组",
    "limit": "上限",
    "value": "已用",
    "planned": "后续年度规划",
    "lowest_selected": "本组入选最低分",
    "lowest_planned": "后续年度规划最低分",
})
"""Column code → Chinese header (every column of the candidate table and of a slate)."""

COLUMN_ALIASES: MappingProxyType = MappingProxyType({
    "申报年度": "year", "任务": "task",
    "类别": "task", "子任务": "track", "名称": "title", "单位名称": "unit_name", "牵头单位": "unit_name",
    "申报/牵头单位": "unit_name", "所属市州": "locality", "所属市(州)": "locality", "市州": "locality",
    "分数": "score", "评审得分": "score", "经费": "cost", "入选": "selected", "是否入选": "selected",
    "国家级推荐名单": "national", "原因": "reason",
    "数字校园试点": "digital_pilot", "是否数字校园试点学校": "digital_pilot",
    "在线精品课程": "online_quality", "是否已入选在线精品课程": "online_quality",
    "国家规划教材": "textbook_listed", "规划教材或获奖教材": "textbook_listed", "是否国家规划或获奖教材": "textbook_listed",
})
"""Further Chinese spellings of column names a school office uses."""

BOOL_LABELS = ("否", "是")
"""False, True as shown to people."""

SHORT_UNIT_KINDS: MappingProxyType = MappingProxyType({
    "higher_vocational": "高职学校", "secondary_vocational": "中职学校", "government": "政府",
    "development_zone": "开发区管委会", "enterprise": "企业", "other": "科研院所/行业组织",
})
"""Short labels of unit kinds for table cells (the catalogue's full label is accepted too)."""

VALUE_ALIASES: MappingProxyType = MappingProxyType({
    "unit_kind": {"高职": "higher_vocational", "高职院校": "higher_vocational", "中职": "secondary_vocational",
                  "中职学校": "secondary_vocational", "政府": "government", "地方政府": "government",
                  "开发区管委会": "development_zone", "管委会": "development_zone", "政府组成部门": "government", "企业": "enterprise",
                  "科研院所": "other", "行业组织": "other"},
    "tier": {"国家双高": "national_double_high", "省双高": "provincial_double_high",
             "其他": "other_higher"},
    "level": {"中职学校": "secondary", "高职学校": "higher"},
})
"""Further Chinese spellings of code values, per column."""

CODED_COLUMNS = ("task", "track", "unit_kind", "tier", "level")


def column_label(code: str) -> str:
    """The Chinese header of a column code (the code itself when it has none)."""
    return COLUMN_LABELS.get(code, code)


@lru_cache(maxsize=1)
def _header_codes() -> dict[str, str]:
    table = {clean_text(label): code for code, label in COLUMN_LABELS.items()}
    table.update({clean_text(k): v for k, v in COLUMN_ALIASES.items()})
    return table


def column_code(name: str) -> str:
    """The column code of a header cell: an English code as it is, a Chinese header mapped back."""
    return _header_codes().get(clean_text(name), name)


def is_header_mark(name: str) -> bool:
    """True for the cell that marks the header row (``candidate_id`` or 项目编号)."""
    return column_code(name) == "candidate_id"


def value_labels(column: str, task: str = "") -> dict[str, str]:
    """Code → Chinese label of a coded column (`task` given for ``track``)."""
    cat = load_catalogue()
    if column == "task":
        return {c: t.name for c, t in cat.tasks.items()}
    if column == "track":
        if task:
            return dict(cat.tracks_of(task))
        return {code: name for t in cat.tasks.values() for code, name in t.tracks.items()}
    if column == "unit_kind":
        return dict(SHORT_UNIT_KINDS)
    if column == "tier":
        return dict(cat.tiers)
    if column == "level":
        return dict(cat.levels)
    return {}


def value_aliases(column: str) -> dict[str, str]:
    """Extra spellings (short labels, common words) → code for a coded column."""
    table = {label: code for code, label in value_labels(column).items()} if column != "track" else {}
    table.update(VALUE_ALIASES.get(column, {}))
    return table


def to_chinese(frame: pd.DataFrame, *, bool_columns: Iterable[str] | None = None) -> pd.DataFrame:
    """A copy of a candidate table or slate with Chinese headers, labels for codes and 是/否 flags.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns named by code (``candidate_id``, ``task``, ``track``, ``unit_kind``, ``tier``,
        ``level``, ``selected`` …); unknown columns are kept as they are.
    bool_columns : iterable of str, optional
        Columns shown as 是/否 (default: every bool column and ``selected``/``national``
        when they hold 0/1).

    Returns
    -------
    pandas.DataFrame
        Same rows; `column_code` and the loader map it back.
    """
    out = frame.copy()
    flags = set(bool_columns) if bool_columns is not None else {
        c for c in out.columns
        if out[c].dtype == bool or (c in ("selected", "national") and set(pd.unique(out[c])) <= {0, 1, True, False})}
    for column in out.columns:
        if column in flags:
            out[column] = out[column].map(lambda v: BOOL_LABELS[bool(v)]).astype(object)
        elif column == "track" and "task" in frame:
            cat = load_catalogue()
            out[column] = [cat.tracks_of(t).get(v, v) if v else "" for t, v in zip(frame["task"], frame["track"])]
        elif column in CODED_COLUMNS:
            labels = value_labels(column)
            out[column] = out[column].map(lambda v, labels=labels: labels.get(v, v) if isinstance(v, str) else v)
    out.columns = [column_label(c) for c in out.columns]
    return out


def to_codes(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with Chinese headers mapped back to column codes (values are left to the loader)."""
    out = frame.copy()
    out.columns = [column_code(str(c)) for c in out.columns]
    return out
