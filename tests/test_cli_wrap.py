"""Chinese text on a narrow terminal (`planner.cli._wrap`): display widths by wcwidth, breaks
between CJK characters, never inside a Latin word, and the line-start rule (no line begins with
closing punctuation ，。；）」、：？！ nor ends with an opening one)."""
from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.table import Table

from planner.cli._wrap import NO_END, NO_START, CjkConsole, CjkText, break_offsets, width

FORBIDDEN_START = "，。；）」、：？！"


def lines_of(text: str, line_width: int) -> list[str]:
    cuts = [0, *break_offsets(text, line_width), len(text)]
    return [text[a:b] for a, b in zip(cuts, cuts[1:])]


def test_widths_count_cjk_as_two_cells():
    assert width("评审总分 38,605.9") == 4 * 2 + 1 + 8
    assert width("（州）") == 6 and width("slate.csv") == 9


def test_a_closing_bracket_moves_down_with_the_character_before_it():
    # 10 cells: "其他市（州" fits, "）" would begin the next line, so "州" goes down with it; then
    # "（" would end the line, so it goes down too.
    assert lines_of("其他市（州）推荐", 10) == ["其他市", "（州）推荐"]


def test_a_comma_never_begins_a_line():
    # "长春市推荐" = 10 cells fills the line; "，" moves down with "荐".
    assert lines_of("长春市推荐，吉林市", 10) == ["长春市推", "荐，吉林市"]


def test_latin_words_and_numbers_are_not_cut():
    text = "已写入 out/jilin-2023/：slate.xlsx、slate.csv、summary.json"
    got = lines_of(text, 24)
    assert got == ["已写入 out/jilin-2023/：", "slate.xlsx、slate.csv、", "summary.json"]
    assert lines_of("评审总分 102,398.6：入选", 12) == ["评审总分 ", "102,398.6：", "入选"]


def test_a_word_wider_than_the_line_is_folded():
    assert lines_of("abcdefghij", 4) == ["abcd", "efgh", "ij"]


CHARS = st.sampled_from(list("长春市吉林推荐不超过个门州") + list(FORBIDDEN_START) + list("（「“") + [" ", "a", "1", "."])


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.text(CHARS, min_size=1, max_size=60), st.integers(4, 30))
def test_every_wrap_keeps_the_text_fits_and_keeps_the_line_start_rule(text, line_width):
    got = lines_of(text, line_width)
    assert "".join(got) == text                                            # nothing lost or doubled
    for i, line in enumerate(got):
        assert width(line.rstrip()) <= line_width, (line, line_width)
        if i > 0 and line[:1] in NO_START:
            # only where the line before could not give a character: it is one unbreakable piece
            assert len(got[i - 1].rstrip()) <= 1 or got[i - 1].rstrip()[-1:] in NO_START | NO_END or \
                width(got[i - 1] + line[:1]) > line_width, (got, line_width)
        if i < len(got) - 1 and line.rstrip()[-1:] in NO_END:
            # only a line of one piece, or an opening bracket (with the spaces after it) that does
            # not fit on one line together with what begins the next line
            tail = line[len(line.rstrip()) - 1:]
            assert len(line.rstrip()) == 1 or all(ch in NO_END for ch in line.rstrip()) or \
                width(tail + got[i + 1][:1]) > line_width or got[i + 1][:1] in NO_START, (got, line_width)


def test_a_narrow_console_table_keeps_the_line_start_rule():
    console = CjkConsole(width=40, file=io.StringIO(), record=True)
    table = Table(title="限额与年度名额")
    table.add_column("规则", overflow="fold", max_width=20)
    table.add_column("合计", justify="right")
    table.add_row("三(七)线下核心课程：长春市推荐不超过5门、吉林市推荐不超过3门、其他市（州）推荐不超过2门", "26")
    table.add_row("三(三)国家“双高计划”学校推荐不超过6个，其他市（州）推荐不超过3个", "33")
    console.print(table)
    console.print("（后续年度规划入选分：为以后年度预留名额的候选项目得分，只用于不透支以后年度，不计入本年度名单）")
    text = console.export_text()
    cells = [part.strip() for line in text.splitlines() for part in line.split("│") if part.strip()]
    assert cells and not [c for c in cells if c[0] in FORBIDDEN_START]
    assert max(width(line) for line in text.splitlines()) <= 40
    assert "其他市（州）" in text.replace("\n", "").replace("│", "").replace(" ", "") or "（州）" in text


def test_a_space_at_a_line_end_is_dropped_not_cut_with_an_ellipsis():
    """Found: a line that fits but for the space after its last word (57 cells + 1) lost that word
    to "…", because rich trims trailing spaces by characters, not by cells."""
    console = CjkConsole(width=57, file=io.StringIO(), record=True)
    from rich.columns import Columns                        # as typer lays out an option's help
    console.print(Columns([CjkText("最近一个年度的情景文件（默认：最后一个文件夹 summary.json 中记录的）")]))
    text = console.export_text()
    assert "…" not in text and "summary.json" in text
