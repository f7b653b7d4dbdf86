"""Tests of planner.inputs.candidate_files and planner.inputs.candidates, through `load_candidates` and
`normalise_candidates`: every accepted oddity, every rejection, and the corpus."""
from __future__ import annotations

import importlib.util
import inspect
import tomllib
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from planner.errors import InputError
from planner.lang import speaking
from planner.inputs import (
    OPTIONAL_DEFAULTS,
    REQUIRED_COLUMNS,
    file_rows,
    load_candidates,
    normalise_candidates,
    parse_bool,
)
from planner.inputs import candidate_files
from planner.inputs import candidates as cand
from planner.inputs import distinct

CORPUS = Path(__file__).parent / "fixtures" / "inputs"

_spec = importlib.util.spec_from_file_location("make_xlsx", CORPUS / "make_xlsx.py")
make_xlsx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_xlsx)

HEADER = list(REQUIRED_COLUMNS)
BASE = [
    dict(candidate_id="C2023-001", year="2023", task="practice_centre", track="school", title="智能制造实践中心",
         unit_id="U01", unit_name="长春市机械工业学校", unit_kind="secondary_vocational", tier="", locality="长春市",
         level="secondary", score="86.5"),
    dict(candidate_id="C2023-002", year="2023", task="practice_centre", track="school", title="汽车维修实践中心",
         unit_id="U02", unit_name="长春汽车工业高等专科学校", unit_kind="higher_vocational",
         tier="national_double_high", locality="长春市", level="higher", score="91"),
    dict(candidate_id="C2023-003", year="2023", task="textbook", track="", title="电工电子技术基础",
         unit_id="U03", unit_name="四平职业大学", unit_kind="higher_vocational", tier="other_higher",
         locality="四平市", level="higher", score="78"),
]


def rows(*changes: dict, base: list[dict] | None = None) -> list[dict]:
    """The base rows with per-row changes applied (change i applies to row i)."""
    out = [dict(r) for r in (base or BASE)]
    for i, change in enumerate(changes):
        out[i].update(change)
    return out


def csv_text(table: list[dict], header: list[str] | None = None) -> str:
    header = header or list(table[0]) if table else (header or HEADER)
    lines = [",".join(header)] + [",".join(str(r.get(c, "")) for c in header) for r in table]
    return "\n".join(lines) + "\n"


def write(tmp_path: Path, content: str | bytes, name: str = "candidates.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def load_text(tmp_path: Path, table: list[dict], header: list[str] | None = None, **kw) -> pd.DataFrame:
    return load_candidates(write(tmp_path, csv_text(table, header)), **kw)


def error_of(call, *args, **kw) -> str:
    with pytest.raises(InputError) as info:
        call(*args, **kw)
    return str(info.value)


def assert_problem(message: str, path: Path | str, row: int | None, column: str | None, *found: str) -> None:
    """The message has a line locating the problem (file:row:column) that shows what was found."""
    prefix = str(path) + (f":{row}" if row is not None else "") + (f":{column}" if column is not None else "")
    lines = [line for line in message.splitlines() if line.startswith((prefix + ": ", prefix + "："))]
    assert lines, f"no problem at {prefix!r} in:\n{message}"
    assert any(all(f in line for f in found) for line in lines), f"{found} not in {lines}"


# --------------------------------------------------------------------------- the frame contract
def test_load_returns_the_documented_frame(tmp_path):
    path = write(tmp_path, csv_text(BASE))
    frame = load_candidates(path)
    assert list(frame.columns) == HEADER + list(OPTIONAL_DEFAULTS)
    assert isinstance(frame.index, pd.RangeIndex) and len(frame) == 3
    for column in ("candidate_id", "task", "track", "title", "unit_id", "unit_name", "unit_kind", "tier",
                   "locality", "level"):
        assert pd.api.types.is_string_dtype(frame[column]), column
        assert all(isinstance(v, str) for v in frame[column]), column
    assert frame["year"].dtype == np.int64
    assert frame["score"].dtype == np.float64 and frame["cost"].dtype == np.float64
    for column in ("integrated", "exempt", "eligible"):
        assert frame[column].dtype == np.bool_
    assert frame.attrs["source"] == str(path)
    assert frame.attrs["first_data_row"] == 2
    assert frame["score"].tolist() == [86.5, 91.0, 78.0]
    assert frame["track"].tolist() == ["school", "school", ""]
    assert frame["tier"].tolist() == ["", "national_double_high", "other_higher"]


def test_absent_optional_columns_take_their_defaults(tmp_path):
    frame = load_text(tmp_path, BASE)
    assert frame["integrated"].tolist() == [False] * 3
    assert frame["exempt"].tolist() == [False] * 3
    assert frame["eligible"].tolist() == [True] * 3
    assert frame["cost"].tolist() == [0.0] * 3


def test_present_optional_columns_keep_their_place_and_blank_cells_take_defaults(tmp_path):
    header = ["candidate_id", "cost", "eligible"] + HEADER[1:]
    table = rows({"cost": "", "eligible": ""}, {"cost": "12.5", "eligible": "no"}, {"cost": "0", "eligible": "1"})
    frame = load_text(tmp_path, table, header)
    assert list(frame.columns)[:3] == ["candidate_id", "cost", "eligible"]
    assert frame["cost"].tolist() == [0.0, 12.5, 0.0]
    assert frame["eligible"].tolist() == [True, False, True]


def test_extra_columns_are_kept_in_order_as_stripped_text(tmp_path):
    header = ["备注"] + HEADER + ["contact", "budget"]
    table = rows({"备注": " 重点 ", "contact": "王老师\u3000", "budget": "1001.0"}, {}, {"budget": "８"})
    frame = load_text(tmp_path, table, header)
    assert list(frame.columns) == header + list(OPTIONAL_DEFAULTS)
    assert frame["备注"].tolist() == ["重点", "", ""]
    assert frame["contact"].tolist() == ["王老师", "", ""]
    assert frame["budget"].tolist() == ["1001.0", "", "8"]      # extra columns are text: no id fixing
    assert pd.api.types.is_string_dtype(frame["budget"])


def test_entry_condition_columns_read_as_flags_under_chinese_headers_and_are_not_added(tmp_path):
    """三(五)(七)(八)'s entry columns: 是/否 under their Chinese headers read as true/false (empty =
    false), a bad cell is a located error; a table without them does not get them."""
    header = HEADER + ["数字校园试点学校", "已入选在线精品课程", "国家规划教材"]
    table = rows({"数字校园试点学校": "是"}, {"已入选在线精品课程": "否"}, {"国家规划教材": "是"})
    frame = load_text(tmp_path, table, header)
    assert frame["digital_pilot"].tolist() == [True, False, False]
    assert frame["online_quality"].tolist() == [False, False, False]
    assert frame["textbook_listed"].tolist() == [False, False, True]
    assert frame["textbook_listed"].dtype == bool
    bad = rows({}, {}, {"国家规划教材": "也许"})
    message = error_of(load_text, tmp_path, bad, header)
    assert_problem(message, tmp_path / "candidates.csv", 4, "国家规划教材", "也许")   # named as the file's header wrote it
    assert not {"digital_pilot", "online_quality", "textbook_listed"} & set(load_text(tmp_path, BASE).columns)


# --------------------------------------------------------------------------- encodings and delimiters
def test_gbk_csv_is_decoded_without_guessing(tmp_path, caplog):
    path = write(tmp_path, csv_text(BASE), encoding="gbk")
    with caplog.at_level("DEBUG", logger="planner.inputs.candidate_files"):
        frame = load_candidates(path)
    assert "decoded as gb18030" in caplog.text and "guessed" not in caplog.text
    assert frame["unit_name"].tolist() == ["长春市机械工业学校", "长春汽车工业高等专科学校", "四平职业大学"]
    assert frame["locality"].tolist() == ["长春市", "长春市", "四平市"]


def test_gb18030_only_characters_are_decoded(tmp_path):
    # 𠮷 is outside GBK: only GB18030 (a superset) can encode it.
    table = rows({"title": "𠮷林实践中心"})
    frame = load_candidates(write(tmp_path, csv_text(table), encoding="gb18030"))
    assert frame["title"].iat[0] == "𠮷林实践中心"


def test_utf8_bom_does_not_hide_the_first_header(tmp_path):
    frame = load_candidates(write(tmp_path, b"\xef\xbb\xbf" + csv_text(BASE).encode("utf-8")))
    assert frame.columns[0] == "candidate_id"
    assert frame["candidate_id"].tolist() == ["C2023-001", "C2023-002", "C2023-003"]


def test_utf16_tab_separated_unicode_text_export(tmp_path, caplog):
    with caplog.at_level("DEBUG", logger="planner.inputs.candidate_files"):
        frame = load_candidates(write(tmp_path, csv_text(BASE).replace(",", "\t"), encoding="utf-16"))
    assert "decoded as utf-16" in caplog.text and "guessed" not in caplog.text
    assert frame["unit_name"].iat[1] == "长春汽车工业高等专科学校"


def test_semicolon_separated_file(tmp_path):
    frame = load_candidates(write(tmp_path, csv_text(BASE).replace(",", ";")))
    assert frame["score"].tolist() == [86.5, 91.0, 78.0]


def test_other_encodings_fall_back_to_charset_detection():
    # cp1252 "é" followed by a comma is neither valid UTF-8 nor valid GB18030. (A whole candidate
    # table cannot be cp1252: its localities are Chinese, so the decoder is tested on its own.)
    # Which Latin code page is guessed for the rarer letters is charset-normalizer's call.
    text = "note\n" + "café, crème et pâté, déjà vu, résumé, naïve, élève\n" * 5
    decoded = candidate_files._decode(text.encode("cp1252"), "x.csv")
    assert decoded.count("café, cr") == 5 and decoded.count("résumé") == 5


def test_quoted_cells_with_commas_and_newlines_keep_row_numbers(tmp_path):
    table = rows({"title": '"实践中心,一期\n(含实训楼)"'}, {"score": "八十"})
    message = error_of(load_text, tmp_path, table)
    # The first record spans two lines; the second record is still file row 3 (as Excel shows it).
    assert_problem(message, tmp_path / "candidates.csv", 3, "score", '"八十"')


# --------------------------------------------------------------------------- cleaning
@pytest.mark.parametrize("padded", ["长春市 ", " 长春市", "\u3000长春市\u3000", "长春市\u00a0", "\t长春市", "\ufeff长春市"])
def test_spaces_around_values_are_stripped(tmp_path, padded):
    frame = load_text(tmp_path, rows({"locality": padded, "candidate_id": padded.replace("长春市", "C1")}))
    assert frame["locality"].iat[0] == "长春市"
    assert frame["candidate_id"].iat[0] == "C1"


def test_spaces_inside_text_are_kept(tmp_path):
    frame = load_text(tmp_path, rows({"title": "  实践 中心  "}))
    assert frame["title"].iat[0] == "实践 中心"


def test_header_names_are_cleaned(tmp_path):
    header = [" candidate_id", "year\u3000", "ｔａｓｋ"] + HEADER[3:]
    text = csv_text(BASE).replace(",".join(HEADER), ",".join(header), 1)
    frame = load_candidates(write(tmp_path, text))
    assert list(frame.columns[:3]) == ["candidate_id", "year", "task"]


def test_full_width_digits_and_letters_are_normalised(tmp_path):
    table = rows({"score": "８６．５", "year": "２０２３", "task": "ｐｒａｃｔｉｃｅ＿ｃｅｎｔｒｅ", "unit_id": "Ｕ０１"})
    frame = load_text(tmp_path, table)
    assert frame["score"].iat[0] == 86.5
    assert frame["year"].iat[0] == 2023
    assert frame["task"].iat[0] == "practice_centre"
    assert frame["unit_id"].iat[0] == "U01"


def test_excel_float_ids_lose_their_point_zero(tmp_path):
    table = rows({"candidate_id": "1001.0", "unit_id": "3001.0", "year": "2023.0"},
                 {"candidate_id": "1002", "unit_id": "3001.00"},
                 {"candidate_id": "1003.5", "unit_id": "A3.0"})
    frame = load_text(tmp_path, table)
    assert frame["candidate_id"].tolist() == ["1001", "1002", "1003.5"]
    assert frame["unit_id"].tolist() == ["3001", "3001", "A3.0"]
    assert frame["year"].tolist() == [2023, 2023, 2023]


def test_float_id_fixing_can_reveal_a_duplicate(tmp_path):
    table = rows({"candidate_id": "1001.0"}, {"candidate_id": "1001"})
    message = error_of(load_text, tmp_path, table)
    assert_problem(message, tmp_path / "candidates.csv", 3, "candidate_id", '"1001" 重复（首次出现在第 2 行）')


# --------------------------------------------------------------------------- rows
def test_blank_rows_are_skipped_and_file_rows_still_map(tmp_path):
    blank = ",".join([""] * len(HEADER))
    lines = csv_text(BASE).splitlines()
    text = "\n".join([lines[0], lines[1], blank, "", lines[2], lines[3], blank, blank]) + "\n"
    path = write(tmp_path, text)
    frame = load_candidates(path)
    assert frame["candidate_id"].tolist() == ["C2023-001", "C2023-002", "C2023-003"]
    assert frame.attrs["first_data_row"] == 2
    assert frame.attrs["skipped_rows"] == (3, 4)
    assert file_rows(frame).tolist() == [2, 5, 6]
    assert file_rows(frame.iloc[[2]]).tolist() == [6]


def test_rows_after_a_blank_row_are_reported_at_their_file_row(tmp_path):
    lines = csv_text(rows({}, {}, {"score": "八十"})).splitlines()
    path = write(tmp_path, "\n".join([lines[0], lines[1], "", lines[2], lines[3]]) + "\n")
    assert_problem(error_of(load_candidates, path), path, 5, "score", '"八十"')


def test_blank_rows_before_the_first_candidate_move_first_data_row(tmp_path):
    lines = csv_text(BASE).splitlines()
    frame = load_candidates(write(tmp_path, "\n".join([lines[0], "", ",,,", *lines[1:]]) + "\n"))
    assert frame.attrs["first_data_row"] == 4
    assert frame.attrs["skipped_rows"] == ()


def test_short_rows_are_padded_with_empty_cells(tmp_path):
    header = HEADER + ["cost", "note"]
    lines = csv_text(BASE, header).splitlines()
    lines[1] = lines[1].rstrip(",")          # Excel drops trailing empty cells of a row
    frame = load_candidates(write(tmp_path, "\n".join(lines) + "\n"))
    assert frame["cost"].iat[0] == 0.0 and frame["note"].iat[0] == ""


def test_values_beyond_the_header_are_rejected(tmp_path):
    lines = csv_text(BASE).splitlines()
    lines[2] += ",stray"
    path = write(tmp_path, "\n".join(lines) + "\n")
    message = error_of(load_candidates, path)
    assert_problem(message, path, 1, "第 13 列（M）", '第一个为第 3 行的 "stray"', "没有列名的列中有值")


def test_empty_unnamed_columns_are_dropped(tmp_path):
    lines = [line + ",," for line in csv_text(BASE).splitlines()]
    frame = load_candidates(write(tmp_path, "\n".join(lines) + "\n"))
    assert list(frame.columns) == HEADER + list(OPTIONAL_DEFAULTS)


def test_title_rows_above_the_header_in_a_csv(tmp_path):
    text = "2023年推荐项目汇总表,,\n填报单位：长春市教育局\n" + csv_text(rows({}, {"score": "-3"}))
    path = write(tmp_path, text)
    assert_problem(error_of(load_candidates, path), path, 5, "score", '"-3"')


# --------------------------------------------------------------------------- whole-file rejections
def test_missing_file(tmp_path):
    path = tmp_path / "nope.csv"
    message = error_of(load_candidates, path)
    assert message.startswith(str(path)) and "文件不存在" in message


def test_directory_instead_of_file(tmp_path):
    assert "一个文件夹" in error_of(load_candidates, tmp_path)


def test_empty_file(tmp_path):
    path = write(tmp_path, b"")
    assert error_of(load_candidates, path) == (
        f"{path}：发现 空文件（0 字节），应为 一行表头（项目编号 candidate_id 等）和其下的候选项目行")


def test_file_of_blank_lines_has_no_header(tmp_path):
    path = write(tmp_path, "\n \n\u3000\n")
    assert_problem(error_of(load_candidates, path), path, None, None, "没有表头行")


def test_header_only(tmp_path):
    path = write(tmp_path, ",".join(HEADER) + "\n,,,\n")
    assert_problem(error_of(load_candidates, path), path, None, None, "表头（第 1 行）下没有候选项目行")


def test_old_xls_is_rejected_with_advice(tmp_path):
    path = write(tmp_path, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, name="candidates.xls")
    message = error_of(load_candidates, path)
    assert "旧版 Excel .xls" in message and "另存为 .xlsx" in message


def test_missing_columns_are_listed_in_one_problem_with_suggestions(tmp_path):
    header = [c for c in HEADER if c not in ("tier", "score", "level")] + ["Score", "levels"]
    table = [{**r, "Score": r["score"], "levels": r["level"]} for r in BASE]
    path = write(tmp_path, csv_text(table, header))
    message = error_of(load_candidates, path)
    lines = [line for line in message.splitlines() if "缺少列" in line]
    assert len(lines) == 1
    assert lines[0].startswith(f"{path}:1：发现 缺少列 \"tier\"（学校类别）、\"level\"（办学层次）、\"score\"（评审分数）")
    assert '“levels”是否应为“level”？' in lines[0] and '“Score”是否应为“score”？' in lines[0]


def test_missing_columns_do_not_stop_row_checks(tmp_path):
    header = [c for c in HEADER if c != "tier"]
    path = write(tmp_path, csv_text(rows({"score": "八十"}), header))
    message = error_of(load_candidates, path)
    assert '缺少列 "tier"' in message
    assert_problem(message, path, 2, "score", '"八十"')


def test_duplicated_column_names(tmp_path):
    header = HEADER + ["score"]
    lines = csv_text(BASE).splitlines()
    text = "\n".join([",".join(header)] + [line + ",90" for line in lines[1:]]) + "\n"
    path = write(tmp_path, text)
    message = error_of(load_candidates, path)
    assert_problem(message, path, 1, "score", '列名 "score" 出现 2 次（第 12（L）、13（M） 列）')


def test_duplicated_column_names_stop_before_row_checks(tmp_path):
    # Which "score" is meant cannot be known, so its values are not judged (nor anything else).
    header = HEADER + ["score"]
    lines = csv_text(rows({"locality": "nowhere"})).splitlines()
    text = "\n".join([",".join(header)] + [line + ",八十" for line in lines[1:]]) + "\n"
    assert error_of(load_candidates, write(tmp_path, text)).count("\n") == 0


def test_duplicated_column_names_after_cleaning(tmp_path):
    header = HEADER + ["ｓｃｏｒｅ "]
    lines = csv_text(BASE).splitlines()
    text = "\n".join([",".join(header)] + [line + ",90" for line in lines[1:]]) + "\n"
    assert '列名 "score" 出现 2 次' in error_of(load_candidates, write(tmp_path, text))


# --------------------------------------------------------------------------- ids and text
def test_duplicate_candidate_ids_name_both_rows(tmp_path):
    table = rows({}, {}, {"candidate_id": "C2023-001"})
    path = write(tmp_path, csv_text(table))
    message = error_of(load_candidates, path)
    assert_problem(message, path, 4, "candidate_id", '"C2023-001" 重复（首次出现在第 2 行）')
    assert f"{path}:2:candidate_id" not in message        # the first occurrence is not itself wrong


def test_three_copies_of_an_id_give_two_problems(tmp_path):
    table = rows({"candidate_id": "X"}, {"candidate_id": "X"}, {"candidate_id": "X"})
    message = error_of(load_text, tmp_path, table)
    assert message.count("重复（首次出现在第 2 行）") == 2


@pytest.mark.parametrize("column", ["candidate_id", "unit_id", "title", "unit_name"])
def test_blank_required_text(tmp_path, column):
    path = write(tmp_path, csv_text(rows({}, {column: "\u3000"})))
    assert_problem(error_of(load_candidates, path), path, 3, column, "发现 空单元格")


# --------------------------------------------------------------------------- year
@pytest.mark.parametrize("value", ["2023.5", "二〇二三", "", "20233", "23", "2O23"])
def test_bad_years(tmp_path, value):
    path = write(tmp_path, csv_text(rows({}, {"year": value})))
    found = f'"{value}"' if value else "空单元格"
    assert_problem(error_of(load_candidates, path), path, 3, "year", found, "年份，如 2023")


# --------------------------------------------------------------------------- catalogue codes
def test_unknown_task_suggests_the_nearest(tmp_path):
    path = write(tmp_path, csv_text(rows({}, {"task": "practise_centre"})))
    assert_problem(error_of(load_candidates, path), path, 3, "task", '"practise_centre"',
                   '是否应为“practice_centre”？')


def test_codes_are_case_insensitive_and_chinese_labels_accepted(tmp_path):
    table = rows({"task": "Practice_Centre", "track": "学校实践中心", "unit_kind": "中职学校", "level": "中职"},
                 {"task": "开放型区域产教融合实践中心", "track": "SCHOOL", "tier": "国家“双高计划”学校", "level": "高职"},
                 {"unit_kind": "高职学校", "tier": "Other_Higher"})
    frame = load_text(tmp_path, table)
    assert frame["task"].tolist() == ["practice_centre", "practice_centre", "textbook"]
    assert frame["track"].tolist() == ["school", "school", ""]
    assert frame["unit_kind"].tolist() == ["secondary_vocational", "higher_vocational", "higher_vocational"]
    assert frame["tier"].tolist() == ["", "national_double_high", "other_higher"]
    assert frame["level"].tolist() == ["secondary", "higher", "higher"]


def test_unknown_track(tmp_path):
    path = write(tmp_path, csv_text(rows({"track": "shcool"})))
    assert_problem(error_of(load_candidates, path), path, 2, "track", '"shcool"',
                   "practice_centre 的子类：school、public、enterprise", '是否应为“school”？')


def test_a_track_of_another_task_is_rejected(tmp_path):
    path = write(tmp_path, csv_text(rows({"track": "online"})))
    assert_problem(error_of(load_candidates, path), path, 2, "track", '"online"', "practice_centre 的子类")


def test_missing_track_for_a_task_with_tracks(tmp_path):
    path = write(tmp_path, csv_text(rows({"track": ""})))
    assert_problem(error_of(load_candidates, path), path, 2, "track", "发现 空单元格", "practice_centre 的子类")


def test_track_on_a_task_without_tracks(tmp_path):
    path = write(tmp_path, csv_text(rows({}, {}, {"track": "school"})))
    assert_problem(error_of(load_candidates, path), path, 4, "track",
                   '"school"，而任务 textbook 没有子类', "空的子类")


def test_unknown_task_does_not_also_blame_the_track(tmp_path):
    path = write(tmp_path, csv_text(rows({"task": "nonsense"})))
    message = error_of(load_candidates, path)
    assert f"{path}:2:task" in message and f"{path}:2:track" not in message


def test_unknown_unit_kind(tmp_path):
    path = write(tmp_path, csv_text(rows({}, {}, {"unit_kind": "university", "tier": ""})))
    assert_problem(error_of(load_candidates, path), path, 4, "unit_kind", '"university"',
                   "以下之一：higher_vocational、secondary_vocational、government、development_zone、enterprise、other")


def test_unknown_tier(tmp_path):
    path = write(tmp_path, csv_text(rows({}, {"tier": "双高"})))
    assert_problem(error_of(load_candidates, path), path, 3, "tier", '"双高"',
                   "以下之一：national_double_high、provincial_double_high、other_higher")


def test_tier_is_required_on_higher_vocational_rows(tmp_path):
    path = write(tmp_path, csv_text(rows({}, {"tier": ""})))
    assert_problem(error_of(load_candidates, path), path, 3, "tier", "高职学校（higher_vocational）行中的空单元格")


@pytest.mark.parametrize("kind", ["secondary_vocational", "government", "enterprise", "other"])
def test_tier_is_forbidden_on_other_rows(tmp_path, kind):
    path = write(tmp_path, csv_text(rows({"unit_kind": kind, "tier": "provincial_double_high"})))
    assert_problem(error_of(load_candidates, path), path, 2, "tier",
                   f'{kind} 行中的 "provincial_double_high"', "空的学校类别")


def test_unknown_level(tmp_path):
    path = write(tmp_path, csv_text(rows({"level": "secondry"})))
    assert_problem(error_of(load_candidates, path), path, 2, "level", '"secondry"', '是否应为“secondary”？')


@pytest.mark.parametrize("alias, canonical", [
    ("长春", "长春市"), ("延边州", "延边朝鲜族自治州"), ("延边", "延边朝鲜族自治州"), ("四平", "四平市"),
    ("长白山管理委员会", "长白山管委会"), ("梅河口", "梅河口市"), ("吉林市", "吉林市"), ("长 春 市", "长春市"),
])
def test_locality_aliases_are_normalised(tmp_path, alias, canonical):
    frame = load_text(tmp_path, rows({"locality": alias}))
    assert frame["locality"].iat[0] == canonical


def test_unknown_locality_suggests_the_nearest(tmp_path):
    path = write(tmp_path, csv_text(rows({}, {"locality": "长舂市"})))
    assert_problem(error_of(load_candidates, path), path, 3, "locality", '"长舂市"', '是否应为“长春市”？')


def test_blank_locality(tmp_path):
    path = write(tmp_path, csv_text(rows({"locality": ""})))
    assert_problem(error_of(load_candidates, path), path, 2, "locality", "发现 空单元格", "以下之一：长春市")


# --------------------------------------------------------------------------- numbers
@pytest.mark.parametrize("value", ["", "八十", "120", "-3", "nan", "inf", "85分", "100.01", "1,5"])
def test_bad_scores(tmp_path, value):
    path = write(tmp_path, csv_text(rows({}, {"score": f'"{value}"'})))
    found = f'"{value}"' if value else "空单元格"
    assert_problem(error_of(load_candidates, path), path, 3, "score", f"发现 {found}", "0 到 100 之间的数")


@pytest.mark.parametrize("value, number", [("0", 0.0), ("100", 100.0), ("８５", 85.0), ("85.50", 85.5), ("1e1", 10.0)])
def test_good_scores(tmp_path, value, number):
    assert load_text(tmp_path, rows({"score": value}))["score"].iat[0] == number


@pytest.mark.parametrize("value", ["-1", "abc", "inf"])
def test_bad_costs(tmp_path, value):
    path = write(tmp_path, csv_text(rows({}, {"cost": value}), HEADER + ["cost"]))
    assert_problem(error_of(load_candidates, path), path, 3, "cost", f'"{value}"', "≥ 0 的数（万元）")


# --------------------------------------------------------------------------- booleans
@pytest.mark.parametrize("text, value", [
    ("true", True), ("FALSE", False), ("1", True), ("0", False), ("1.0", True), ("0.0", False),
    ("yes", True), ("No", False), ("是", True), ("否", False), ("y", True), ("N", False), ("ＹＥＳ", True),
])
def test_boolean_spellings(tmp_path, text, value):
    frame = load_text(tmp_path, rows({"integrated": text, "exempt": text, "eligible": text}),
                      HEADER + ["integrated", "exempt", "eligible"])
    assert frame[["integrated", "exempt", "eligible"]].iloc[0].tolist() == [value] * 3


def test_blank_booleans_take_their_defaults(tmp_path):
    frame = load_text(tmp_path, BASE, HEADER + ["integrated", "exempt", "eligible"])
    assert frame["integrated"].tolist() == [False] * 3
    assert frame["eligible"].tolist() == [True] * 3


@pytest.mark.parametrize("column", ["integrated", "exempt", "eligible"])
def test_bad_booleans(tmp_path, column):
    path = write(tmp_path, csv_text(rows({}, {column: "maybe"}), HEADER + [column]))
    assert_problem(error_of(load_candidates, path), path, 3, column, '"maybe"', "是/否")


def test_parse_bool_on_raw_python_values():
    values, bad = parse_bool(pd.Series([True, 0, 1.0, np.nan, None, "是", " no ", "x", 2], index=list("abcdefghi")))
    assert values.tolist() == [True, False, True, False, False, True, False, False, False]
    assert bad.tolist() == [False, False, False, False, False, False, False, True, True]
    assert list(values.index) == list("abcdefghi")
    assert values.dtype == bool and bad.dtype == bool


def test_parse_bool_default():
    values, bad = parse_bool(["", "0"], default=True)
    assert values.tolist() == [True, False] and not bad.any()


def test_extra_bool_columns_are_parsed_like_flags(tmp_path):
    header = HEADER + ["selected", "national"]
    table = rows({"selected": "是", "national": ""}, {"selected": "0", "national": "1"}, {"selected": ""})
    frame = load_text(tmp_path, table, header, extra_bool_columns=("selected", "national"))
    assert frame["selected"].tolist() == [True, False, False]
    assert frame["national"].tolist() == [False, True, False]
    assert frame["selected"].dtype == np.bool_


def test_extra_bool_columns_are_required_and_checked(tmp_path):
    header = HEADER + ["selected"]
    path = write(tmp_path, csv_text(rows({"selected": "maybe"}), header))
    message = error_of(load_candidates, path, extra_bool_columns=("selected", "national"))
    assert '缺少列 "national"' in message
    assert_problem(message, path, 2, "selected", '"maybe"')


# --------------------------------------------------------------------------- collecting problems
def test_all_problems_are_reported_in_row_order(tmp_path):
    table = rows({"score": "八十"}, {"locality": "长春县", "year": "x"}, {"task": "nope"})
    path = write(tmp_path, csv_text(table))
    with pytest.raises(InputError) as info:
        load_candidates(path)
    located = [(p.row, p.column) for p in info.value.problems]
    assert located == [(2, "score"), (3, "year"), (3, "locality"), (4, "task")]
    assert isinstance(info.value, ValueError)


def test_problems_are_capped(tmp_path):
    table = [{**BASE[0], "candidate_id": f"C{i}", "score": "八十"} for i in range(300)]
    with pytest.raises(InputError) as info:
        load_text(tmp_path, table)
    problems = info.value.problems
    assert len(problems) == cand.MAX_PROBLEMS + 1
    assert problems[-1].found == "…… 另有 100 个问题"
    assert problems[-2].row == cand.MAX_PROBLEMS + 1


def test_validation_is_column_wise():
    for module in (cand, candidate_files):
        source = inspect.getsource(module)
        assert "iterrows" not in source and "itertuples" not in source, module.__name__


# --------------------------------------------------------------------------- in-memory frames
def test_normalise_in_memory_frame_with_numeric_dtypes():
    raw = pd.DataFrame({
        "\ufeffcandidate_id": [1001.0, 1002.0], "year": [2023, 2023], "task": ["practice_centre", "textbook"],
        "track": ["school", None], "title": ["a", "b"], "unit_id": [7, 8], "unit_name": ["u", "v"],
        "unit_kind": ["secondary_vocational", "higher_vocational"], "tier": [np.nan, "other_higher"],
        "locality": ["长春", "吉林市"], "level": ["secondary", "higher"], "score": [85, 90.5],
        "integrated": [True, False], "eligible": [np.nan, 0.0],
    })
    frame = normalise_candidates(raw)
    assert frame["candidate_id"].tolist() == ["1001", "1002"]
    assert frame["unit_id"].tolist() == ["7", "8"]
    assert frame["track"].tolist() == ["school", ""] and frame["tier"].tolist() == ["", "other_higher"]
    assert frame["integrated"].tolist() == [True, False]
    assert frame["eligible"].tolist() == [True, False]
    assert frame["score"].tolist() == [85.0, 90.5]
    assert frame.attrs["source"] == "<frame>" and frame.attrs["first_data_row"] == 2


def test_normalise_reports_rows_from_first_data_row():
    raw = pd.DataFrame(BASE)
    raw.loc[1, "score"] = np.nan
    message = error_of(normalise_candidates, raw, source="notebook", first_data_row=10)
    assert_problem(message, "notebook", 11, "score", "发现 空单元格")


def test_normalise_does_not_change_its_input():
    raw = pd.DataFrame(rows({"locality": "长春"}))
    before = raw.copy()
    normalise_candidates(raw)
    pd.testing.assert_frame_equal(raw, before)


# --------------------------------------------------------------------------- xlsx
def _xlsx(tmp_path: Path, table: list[list[object]], name: str = "candidates.xlsx", **sheets) -> Path:
    book = openpyxl.Workbook()
    book.active.title = "Sheet1"
    for row in table:
        book.active.append(row)
    for title, extra in sheets.items():
        sheet = book.create_sheet(title)
        for row in extra:
            sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def _table(raw_rows: list[dict]) -> list[list[object]]:
    header = list(raw_rows[0])
    return [header] + [[r[c] for c in header] for r in raw_rows]


def test_xlsx_numbers_become_text_without_point_zero(tmp_path):
    table = _table(rows({"candidate_id": 1001, "unit_id": 3001.0, "year": 2023.0, "score": 86.5},
                        {"candidate_id": 1002.0, "year": 2023, "score": 91}))
    frame = load_candidates(_xlsx(tmp_path, table))
    assert frame["candidate_id"].tolist() == ["1001", "1002", "C2023-003"]
    assert frame["unit_id"].iat[0] == "3001"
    assert frame["year"].tolist() == [2023] * 3 and frame["score"].tolist() == [86.5, 91.0, 78.0]


def test_xlsx_boolean_cells(tmp_path):
    table = _table(rows({"integrated": True, "eligible": False}, {"integrated": None, "eligible": None},
                        {"integrated": "是", "eligible": "是"}))
    frame = load_candidates(_xlsx(tmp_path, table))
    assert frame["integrated"].tolist() == [True, False, True]
    assert frame["eligible"].tolist() == [False, True, True]


def test_xlsx_title_rows_and_row_numbers(tmp_path):
    path = tmp_path / "candidates.xlsx"
    make_xlsx.write_title_rows(path)
    frame = load_candidates(path)
    assert frame.attrs["first_data_row"] == 5 and len(frame) == 4
    book = openpyxl.load_workbook(path)
    book.active["L7"] = "八十"
    book.save(path)
    assert_problem(error_of(load_candidates, path), path, 7, "score", '"八十"')


def test_xlsx_sheet_named_candidates_is_preferred(tmp_path):
    path = _xlsx(tmp_path, [["说明"], ["请填写第二个工作表"]], candidates=_table(BASE))
    frame = load_candidates(path)
    assert frame["candidate_id"].tolist() == ["C2023-001", "C2023-002", "C2023-003"]


def test_xlsx_messages_name_the_sheet_when_there_are_several(tmp_path):
    path = _xlsx(tmp_path, _table(rows({"score": "八十"})), notes=[["x"]])
    assert_problem(error_of(load_candidates, path), f'{path} 工作表“Sheet1”', 2, "score", '"八十"')


def test_xlsx_formulas_are_read_as_their_saved_values(tmp_path):
    path = tmp_path / "candidates.xlsx"
    table = make_xlsx.formula_rows()
    table[0].append("note")
    for r, row in enumerate(table[1:], start=2):
        row.append(('IF(1>2,"x","")', ""))            # a formula whose saved value is an empty string
    make_xlsx.write_sheet_xml(path, table)
    assert openpyxl.load_workbook(path).active["L2"].value.startswith("=ROUND(")   # really formulas
    frame = load_candidates(path)
    assert frame["candidate_id"].tolist() == ["C2023-001", "C2023-002", "C2023-003", "C2023-004"]
    assert frame["score"].tolist() == [86.5, 91.0, 78.0, 83.0]
    assert frame["cost"].tolist() == [120.0, 200.0, 350.0, 0.0]
    assert frame["note"].tolist() == [""] * 4


def test_xlsx_formulas_without_saved_values_are_rejected(tmp_path):
    path = tmp_path / "candidates.xlsx"
    make_xlsx.write_formula_without_values(path)
    message = error_of(load_candidates, path)
    assert_problem(message, path, 3, "单元格 L3", "公式 =AVERAGE(80,91)，没有保存的计算结果")
    assert "请用 Excel 或 WPS 打开该文件并重新保存" in message


def test_xlsx_merged_header_cells(tmp_path):
    path = tmp_path / "candidates.xlsx"
    make_xlsx.write_merged_header(path)
    assert_problem(error_of(load_candidates, path), path, 1, None, "表头行中的合并单元格 A1:B1")


def test_xlsx_merged_data_cells(tmp_path):
    path = tmp_path / "candidates.xlsx"
    make_xlsx.write_merged_data(path)
    assert_problem(error_of(load_candidates, path), path, 2, None, "合并单元格 J2:J4")


def test_xlsx_empty_sheet(tmp_path):
    path = tmp_path / "candidates.xlsx"
    make_xlsx.write_empty_sheet(path)
    assert error_of(load_candidates, path).startswith(f"{path}：发现 空工作表")


def test_xlsx_header_only(tmp_path):
    path = _xlsx(tmp_path, [HEADER, [None] * len(HEADER)])
    assert "表头（第 1 行）下没有候选项目行" in error_of(load_candidates, path)


def test_xlsx_that_is_not_a_workbook(tmp_path):
    path = write(tmp_path, "candidate_id,year\n", name="candidates.xlsx")
    assert "无法作为 xlsx 工作簿读取" in error_of(load_candidates, path)


def test_xlsx_header_without_candidate_id_reports_missing_columns(tmp_path):
    table = _table(BASE)
    table[0][0] = "编号"
    path = _xlsx(tmp_path, table)
    assert_problem(error_of(load_candidates, path), path, 1, None, '缺少列 "candidate_id"')


# --------------------------------------------------------------------------- the corpus
CASES = sorted(p for p in CORPUS.iterdir() if (p / "expected.toml").is_file())


def test_corpus_is_complete():
    assert len(CASES) >= 20
    outcomes = {tomllib.loads((case / "expected.toml").read_text("utf-8"))["outcome"] for case in CASES}
    assert outcomes == {"ok", "error"}
    for case in CASES:
        scenario = tomllib.loads((case / "scenario.toml").read_text("utf-8"))
        assert (case / scenario["candidates"]).is_file(), case.name


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_loader(case):
    expected = tomllib.loads((case / "expected.toml").read_text("utf-8"))
    scenario = tomllib.loads((case / "scenario.toml").read_text("utf-8"))
    path = case / scenario["candidates"]
    if expected["outcome"] == "error":
        with pytest.raises(InputError) as info:
            load_candidates(path)
        text = str(info.value)
        assert text.startswith(str(path)), text
        for fragment in expected["messages"]:
            assert fragment in text, f"{fragment!r} not in:\n{text}"
        return
    assert expected["outcome"] == "ok"
    frame = load_candidates(path)
    checks = expected.get("normalised", {})
    if "rows" in checks:
        assert len(frame) == checks["rows"]
    for key in ("first_data_row",):
        if key in checks:
            assert frame.attrs[key] == checks[key]
    if "skipped_rows" in checks:
        assert list(frame.attrs["skipped_rows"]) == checks["skipped_rows"]
    for column, values in checks.get("columns", {}).items():
        assert frame[column].tolist() == values, column


def test_titles_keep_their_chinese_punctuation_while_codes_are_normalised(tmp_path):
    # Full-width digits in a score are read as a number, but a title's full-width comma and
    # brackets are the planner's own text and must come back exactly as typed.
    title = "汽车（新能源）实践中心，二期"
    frame = load_text(tmp_path, rows({"title": title, "score": "８５"}))
    assert frame.loc[0, "title"] == title
    assert frame.loc[0, "score"] == 85.0


# --------------------------------------------------------------------------- the language of messages
def test_a_bad_file_is_said_in_chinese_located_and_in_english_when_asked(tmp_path):
    path = write(tmp_path, csv_text(rows({}, {"score": "八十", "locality": "长舂市"})))
    message = error_of(load_candidates, path)
    assert f'{path}:3:score：发现 "八十"，应为 0 到 100 之间的数' in message.splitlines()
    assert_problem(message, path, 3, "locality", '发现 "长舂市"', "以下之一：长春市", '是否应为“长春市”？')
    assert "found" not in message and "expected" not in message and "did you mean" not in message
    with speaking("en"):
        english = error_of(load_candidates, path)
    assert f'{path}:3:score: found "八十", expected a number from 0 to 100' in english.splitlines()
    assert f'{path}:3:locality: found "长舂市", expected one of 长春市' in english
    assert 'did you mean "长春市"?' in english and "发现" not in english and "应为" not in english


def test_a_table_with_chinese_headers_is_told_by_its_own_headers(tmp_path):
    """A school office's table in Chinese: the problem names 评审分数, not the code ``score``."""
    from planner.inputs.labels import column_label

    chinese = [{column_label(k): v for k, v in r.items()} for r in rows({}, {"score": "八十"})]
    path = write(tmp_path, csv_text(chinese))
    assert_problem(error_of(load_candidates, path), path, 3, "评审分数", '发现 "八十"')


def test_a_percent_score_under_a_chinese_header_is_refused(tmp_path):
    """评审分数 formatted as a percentage is refused as ``score`` is (the check once knew only the code)."""
    from planner.inputs.labels import column_label

    table = _table([{column_label(k): v for k, v in r.items()}
                    for r in rows({"score": 86.5}, {"score": 91}, {"score": 78})])
    path = _xlsx(tmp_path, table)
    book = openpyxl.load_workbook(path)
    cell = book.active.cell(row=3, column=table[0].index("评审分数") + 1)
    cell.value, cell.number_format = 0.91, "0%"
    book.save(path)
    assert_problem(error_of(load_candidates, path), path, 3, f"评审分数（单元格 {cand.column_letter(table[0].index('评审分数'))}3）",
                   "显示为百分比（91%）", "评审分数：0 到 100 分")


def test_per_distinct_parsing_reads_every_cell_as_a_cell_by_cell_parse():
    """Ids, numbers and code look-ups worked out once per distinct text equal the per-cell forms
    (the regular expression, `pd.to_numeric` and the dict, cell by cell, are the oracles)."""
    import numpy as np

    from planner.inputs import candidates as C

    ids = np.array(["1001.0", "A.1", "12", "-7.00", "1001.0", "x.0", ""], dtype=object)
    assert C._float_ids(ids).tolist() == [C._FLOAT_ID.sub(r"\1", v) for v in ids]
    numbers = np.array(["85", "85", "8e1", "abc", "", "  3", "85"], dtype=object)
    want = pd.to_numeric(pd.Series(numbers, dtype=object), errors="coerce").to_numpy(dtype=float)
    np.testing.assert_array_equal(distinct.parse_numbers(numbers), want)
    table = {"gov": "government", "企业": "enterprise"}
    kinds = np.array(["GOV", "企业", "gov", "other", "Gov"], dtype=object)
    assert distinct.lookup_codes(kinds, table).tolist() == [table.get(v.lower(), "") for v in kinds]
    assert distinct.lookup_codes(np.array([], dtype=object), table).tolist() == []


# Awkward cells: full-width, NBSP, ideographic space, zero-width, BOM, formula-like text, mixed ASCII/CJK.
AWKWARD = ["85", "８５", " 85", "85\u00a0", "\u200b85", "\ufeff85", "\u300085\u3000", "=cmd|' /C calc'!A0",
           "长春", "长春市", "Ｃ2023-001", "C2023-001", "ｐｒａｃｔｉｃｅ＿ｃｅｎｔｒｅ", "nan", "NaN", "", "是", "ＴＲＵＥ",
           "¨5", "Ⅻ", "ﬁ", "a\u200bb", "1e7", "１e7"]


def _nfkc_cell(text: str) -> str:
    """The oracle: one cell NFKC-normalised, then stripped of every blank the planner strips."""
    import unicodedata
    return unicodedata.normalize("NFKC", text).strip().strip("\ufeff\u200b").strip()


def test_the_codes_of_a_normalised_column_give_each_cell_its_own_normalised_text():
    """`nfkc_codes`'s (codes, texts) give every cell the text a cell-by-cell NFKC and strip gives,
    on an all-ASCII column (one test skips NFKC) and on mixed ones; equal texts typed differently
    (85, ８５) may keep two codes, a reading shared with the checks, which read each text once."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    ascii_cells = st.lists(st.sampled_from([v for v in AWKWARD if v.isascii()] + ["  x ", "\t7\t"]), max_size=30)
    any_cells = st.lists(st.one_of(st.sampled_from(AWKWARD), st.text(max_size=6)), max_size=30)

    @settings(max_examples=300, deadline=None)
    @given(st.one_of(ascii_cells, any_cells))
    def check(cells):
        values = np.array(cells, dtype=object)
        codes, texts = distinct.nfkc_codes(values)
        assert [texts[c] for c in codes] == [_nfkc_cell(v) for v in cells]
        flags = cand._parse_bool_text((codes, texts), False)[0]
        assert flags.tolist() == [_nfkc_cell(v).lower() in cand.TRUE_WORDS for v in cells]
        numbers = pd.to_numeric(pd.Series([_nfkc_cell(v) for v in cells], dtype=object), errors="coerce")
        np.testing.assert_array_equal(distinct.parse_numbers((codes, texts)), numbers.to_numpy(dtype=float))

    check()


def test_one_value_typed_in_several_widths_reads_alike_on_every_row(tmp_path):
    table = rows({"score": "８５", "locality": "长春\u00a0", "task": "ｐｒａｃｔｉｃｅ＿ｃｅｎｔｒｅ",
                  "candidate_id": "=cmd|' /C calc'!A0"},
                 {"score": "85", "locality": "长春市", "task": "practice_centre"},
                 {"score": "\u300085", "level": "ＨＩＧＨＥＲ"})
    for row, flag in zip(table, ["是", "ＴＲＵＥ", "true"]):
        row["eligible"] = flag
    frame = load_text(tmp_path, table)
    assert frame["score"].tolist() == [85.0, 85.0, 85.0]
    assert frame["locality"].tolist() == ["长春市", "长春市", "四平市"]
    assert frame["task"].tolist() == ["practice_centre", "practice_centre", "textbook"]
    assert frame["level"].tolist() == ["secondary", "higher", "higher"]
    assert frame["eligible"].tolist() == [True, True, True]
    assert frame["candidate_id"].iat[0] == "=cmd|' /C calc'!A0"       # text as typed, never a formula


def test_numbers_too_large_for_the_solver_are_located_in_either_width(tmp_path):
    table = rows({"cost": "２０００００１"}, {"cost": "2000001"}, {"cost": "1000000"})
    path = write(tmp_path, csv_text(table, HEADER + ["cost"]))
    message = error_of(load_candidates, path)
    assert_problem(message, path, 2, "cost", '"２０００００１"', "不超过 1e+06 的数")
    assert_problem(message, path, 3, "cost", '"2000001"', "不超过 1e+06 的数")
    assert f"{path}:4:cost" not in message                     # 1e6 itself fits


def test_an_invisible_character_in_one_id_of_an_otherwise_plain_column_is_found(tmp_path):
    table = rows({}, {"unit_id": "U\u200b02"})
    path = write(tmp_path, csv_text(table))
    assert_problem(error_of(load_candidates, path), path, 3, "unit_id", "不可见字符 U+200B")


def test_a_table_with_one_short_row_reads_as_the_same_table_with_every_row_full(tmp_path):
    header = HEADER + ["cost", "note"]
    full = csv_text(BASE, header)
    lines = full.splitlines()
    lines[2] = lines[2].rstrip(",")
    assert lines[2] != full.splitlines()[2]
    short = load_candidates(write(tmp_path, "\n".join(lines) + "\n", name="short.csv"))
    whole = load_candidates(write(tmp_path, full, name="full.csv"))
    pd.testing.assert_frame_equal(short, whole, check_exact=True)


def test_ids_without_a_dot_are_kept_as_typed_and_with_one_only_the_excel_floats_change():
    plain = np.array(["C2023-001", "1001", "U\u00a0", "=A1"], dtype=object)
    kept = cand._float_ids(plain)
    assert kept.tolist() == plain.tolist() and kept is not plain
    mixed = np.append(plain, ["1001.00", "A.0"])
    assert cand._float_ids(mixed).tolist() == ["C2023-001", "1001", "U\u00a0", "=A1", "1001", "A.0"]
