"""Chinese labels of the candidate table (`planner.inputs.labels`): every column and code value has a
label, and a table typed in Chinese — headers and values — loads to the same frame as the English one."""
from __future__ import annotations

import pandas as pd
from conftest import COLUMNS, cell, raw_frame, row

from planner.inputs import (COLUMN_LABELS, column_code, column_label, load_candidates, load_catalogue, to_chinese,
                            value_labels)

ROWS = [
    row("A", unit_kind="government", unit_name="长春市人民政府", task="city_consortium", track="", level="higher"),
    row("B", unit_kind="enterprise", unit_name="一汽集团", task="practice_centre", track="enterprise"),
    row("C", unit_kind="secondary_vocational", score=71.5),
    row("D", unit_kind="higher_vocational", tier="national_double_high", level="higher", task="core_course",
        track="online", locality="延边朝鲜族自治州"),
]
# Typed by hand as a school office would (not produced by the tool): short labels and Chinese flags.
CHINESE_HEADER = ["项目编号", "年度", "任务类别", "子类", "项目名称", "单位编号", "申报单位", "单位类型", "学校类别",
                  "所属市（州）", "办学层次", "评审分数", "产教融合型", "不占限额", "符合申报条件", "建设经费（万元）"]
CHINESE_VALUES = {"government": "政府", "enterprise": "企业", "secondary_vocational": "中职学校",
                  "higher_vocational": "高职", "city_consortium": "市域产教联合体",
                  "practice_centre": "开放型区域产教融合实践中心", "core_course": "职业教育一流核心课程",
                  "enterprise_track": "企业实践中心", "school": "学校实践中心", "online": "在线核心课程",
                  "national_double_high": "国家“双高计划”学校", "higher": "高职", "secondary": "中职",
                  True: "是", False: "否"}


def _english(tmp_path):
    path = tmp_path / "en.csv"
    path.write_text(",".join(COLUMNS) + "\n" + "\n".join(",".join(cell(r[c]) for c in COLUMNS) for r in ROWS) + "\n",
                    "utf-8")
    return load_candidates(path)


def _chinese_cell(column, value):
    if column == "track" and value == "enterprise":
        return CHINESE_VALUES["enterprise_track"]
    if column in ("unit_kind", "task", "track", "tier", "level") or isinstance(value, bool):
        return CHINESE_VALUES.get(value, value)
    return cell(value)


def test_every_column_and_code_has_a_label_that_maps_back():
    assert len(set(COLUMN_LABELS.values())) == len(COLUMN_LABELS)
    for code, label in COLUMN_LABELS.items():
        assert column_label(code) == label and column_code(label) == code
        assert column_code(code) == code
    cat = load_catalogue()
    for column in ("task", "unit_kind", "tier", "level"):
        labels = value_labels(column)
        assert set(labels) == set(cat.codes(column)), column
        assert all(label and not label.isascii() for label in labels.values())
    assert all(value_labels("track", t) == cat.tracks_of(t) for t in cat.tasks)


def test_a_table_typed_in_chinese_loads_as_the_english_one(tmp_path):
    english = _english(tmp_path)
    path = tmp_path / "zh.csv"
    lines = [",".join(CHINESE_HEADER)]
    lines += [",".join(_chinese_cell(c, r[c]) for c in COLUMNS) for r in ROWS]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    chinese = load_candidates(path)
    pd.testing.assert_frame_equal(chinese, english)


def test_to_chinese_shows_labels_and_reads_back_unchanged(tmp_path):
    english = _english(tmp_path)
    shown = to_chinese(english)
    assert list(shown.columns[:3]) == ["项目编号", "年度", "任务类别"]
    assert shown["单位类型"].tolist() == ["政府", "企业", "中职学校", "高职学校"]
    assert shown["子类"].tolist() == ["", "企业实践中心", "学校实践中心", "在线核心课程"]
    assert shown["符合申报条件"].tolist() == ["是"] * 4
    path = tmp_path / "back.csv"
    shown.to_csv(path, index=False)
    pd.testing.assert_frame_equal(load_candidates(path), english)


def test_an_unknown_chinese_header_is_still_reported(tmp_path):
    frame = raw_frame(ROWS).rename(columns={"candidate_id": "编号"})
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    import pytest

    from planner.errors import InputError
    with pytest.raises(InputError, match="candidate_id"):
        load_candidates(path)
