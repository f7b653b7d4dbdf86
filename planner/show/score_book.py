"""The score workbook of ``planner scores``: each project's score from its panel, and the rater report, in Chinese.

Owns the layout of the workbook: sheet 项目得分 (one row per project: the score by the office's
rule, how many scores were on the sheets, counted after recusal and kept after trimming, who
recused, which scores were dropped, the panel's spread, flags in words), sheet 专家 (each
expert's mean deviation from the consensus, its spread, the correlation, outliers, a verdict),
sheet 异常评分 (single scores far from their project's consensus, with file and row) and sheet
说明 (the rule in words, each sheet's sha256, what the columns mean). Drawn from the tables it is
given (`rules.aggregate_scores`, `analysis.raters.rater_report`); computes nothing. Does not
own writing the file into place (`files`). xlsxwriter is loaded on first use.
"""
from __future__ import annotations

import io
from collections.abc import Mapping

import pandas as pd

from planner.inputs import column_label, value_labels
from planner.show.workbook import _write_sheet

PROJECT_LABELS = {
    "candidate_id": "项目编号", "title": "项目名称", "unit_name": "申报单位", "task": "任务类别",
    "score": "汇总得分", "n_scores": "评分数", "n_counted": "有效评分数（回避后）", "n_used": "计入平均的评分数",
    "n_recused": "回避人数", "recused": "回避专家", "dropped": "去掉的评分（↑最高 ↓最低）",
    "score_mean": "有效评分平均分", "score_sd": "有效评分标准差", "score_min": "有效评分最低分",
    "score_max": "有效评分最高分", "flags": "提示",
}
FLAG_WORDS = {"recused": "有专家回避", "tie_high": "最高分并列", "tie_low": "最低分并列", "wide": "评分分歧大"}
RATER_LABELS = {
    "expert_id": "专家编号", "expert_unit": "专家单位", "n_scores": "评分数", "n_counted": "计入的评分数",
    "n_recused": "回避次数", "mean_deviation": "平均偏差（分）", "sd_deviation": "偏差标准差（分）",
    "correlation": "与项目得分的相关系数", "n_outliers": "异常评分数", "flag": "评价",
}
RATER_WORDS = {"harsh": "偏严", "lenient": "偏宽", "inconsistent": "不一致", "": ""}
OUTLIER_LABELS = {
    "candidate_id": "项目编号", "expert_id": "专家编号", "expert_unit": "专家单位", "score": "评分",
    "consensus": "项目得分", "deviation": "偏差（分）", "file": "评分表", "row": "行",
}


def project_sheet(aggregated: pd.DataFrame, candidates: pd.DataFrame | None = None) -> pd.DataFrame:
    """The 项目得分 table: the aggregated scores with title, unit and task, headers and flags in Chinese."""
    out = aggregated.copy()
    if candidates is not None:
        info = candidates.drop_duplicates("candidate_id").set_index("candidate_id")
        for column in ("title", "unit_name", "task"):
            if column in info:
                out[column] = out["candidate_id"].map(info[column]).fillna("")
        if "task" in out:
            out["task"] = out["task"].map(lambda v: value_labels("task").get(v, v))
    out["flags"] = [("、".join(FLAG_WORDS.get(f, f) for f in str(v).split(";") if f)) for v in out["flags"]]
    for column in ("score_mean", "score_sd"):
        out[column] = out[column].round(2)
    order = [c for c in PROJECT_LABELS if c in out.columns]
    out = out[order]
    out.columns = [PROJECT_LABELS.get(c, column_label(c)) for c in order]
    return out


def score_book_bytes(aggregated: pd.DataFrame, raters: pd.DataFrame, outliers: pd.DataFrame, *,
                     candidates: pd.DataFrame | None = None, rule_text: str = "",
                     sheets: Mapping[str, str] | None = None, scale: float | None = None) -> bytes:
    """The score workbook.

    Parameters
    ----------
    aggregated : DataFrame
        `rules.aggregate_scores`' table.
    raters, outliers : DataFrame
        `analysis.raters.RaterReport.raters` and ``.outliers``.
    candidates : DataFrame, optional
        The candidate table (title, unit_name, task shown beside each project).
    rule_text : str
        The office's rule in words (`rules.ScoringRule.describe`).
    sheets : mapping of str to str, optional
        Each score sheet read and its sha256.
    scale : float, optional
        The robust standard deviation of the deviations (points).
    """
    import xlsxwriter

    raw = io.BytesIO()
    book = xlsxwriter.Workbook(raw, {"in_memory": True, "strings_to_numbers": False,
                                     "strings_to_formulas": False, "strings_to_urls": False})
    book.set_properties({"author": "planner", "created": pd.Timestamp("2000-01-01").to_pydatetime()})
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    _write_sheet(book, "项目得分", project_sheet(aggregated, candidates), head)
    rater_table = raters.assign(flag=raters["flag"].map(lambda f: RATER_WORDS.get(f, f)),
                                mean_deviation=raters["mean_deviation"].round(2),
                                sd_deviation=raters["sd_deviation"].round(2), correlation=raters["correlation"].round(3))
    _write_sheet(book, "专家", rater_table.rename(columns=RATER_LABELS), head)
    _write_sheet(book, "异常评分", outliers.assign(deviation=outliers["deviation"].round(2)).rename(columns=OUTLIER_LABELS),
                 head)
    shown = f"{scale:.2f}" if scale is not None and scale == scale else "—"
    guide = [("汇总规则", rule_text),
             *[("评分表", f"{path}（sha256 {digest}）") for path, digest in (sheets or {}).items()],
             ("汇总得分", "按上述规则由有效评分算出的项目得分，四舍五入方式见汇总规则"),
             ("回避", "专家单位与申报单位相同（名称统一全角半角、去掉空格后比较，或与单位编号相同）的评分不计入"),
             ("平均偏差", "专家评分减去项目汇总得分，在该专家计入的全部评分上取平均：负数偏严，正数偏宽"),
             ("偏差标准差", "上述偏差的标准差：越大说明该专家与其他专家越不一致"),
             ("异常评分", f"偏差超过全部偏差稳健标准差（{shown} 分）3 倍的单个评分"),
             ("评价", "偏严/偏宽：平均偏差超过一个稳健标准差且在统计上显著；不一致：偏差标准差超过各专家中位数的 1.5 倍"),
             ("提示", "最高分并列/最低分并列：去掉的分数有并列，去掉哪一位不影响得分；评分分歧大：有效评分标准差超过各项目中位数的 2 倍")]
    _write_sheet(book, "说明", pd.DataFrame(guide, columns=["项目", "说明"]), head)
    book.get_worksheet_by_name("说明").set_column(1, 1, 90, book.add_format({"text_wrap": True}))
    book.close()
    return raw.getvalue()
