"""HTML for notebooks: every value escaped, the figures a planner looks for present."""
from __future__ import annotations

import pandas as pd
from conftest import frame_of, row, scenario_of

from planner.api import Session
from planner.lang import speaking
from planner.show import comparison_html, result_html, table_html
from planner.show.compare import compare


def solved_pair():
    rows = [row("a1", score=90, title="<script>alert(1)</script>"), row("a2", score=80),
            row("b1", locality="吉林市", score=85)]
    scenario = scenario_of({"name": "测试 & <轮次>", "rule": [
        {"id": "cap", "where": {"task": "practice_centre"}, "per": ["locality"], "max": 1}]})
    session = Session(scenario, candidates=frame_of(rows))
    return session.solve(), session.solve(scenario.with_bound("cap", "max", 0, group="长春市"))


def test_table_html_escapes_aligns_and_counts_hidden_rows():
    frame = pd.DataFrame({"name": ["<b>x</b>", "y", "z"], "delta": [2, -1, 0]})
    text = table_html(frame, max_rows=2, signed=("delta",))
    assert "&lt;b&gt;x&lt;/b&gt;" in text and "<b>x</b>" not in text
    assert '<td class="num up">+2</td>' in text and '<td class="num down">-1</td>' in text
    assert "另有 1 行" in text and "1 more rows" in table_html(frame, max_rows=2, lang="en")


def test_result_html_shows_status_figures_and_binding_groups():
    base, _ = solved_pair()
    text = result_html(base)
    assert "测试 &amp; &lt;轮次&gt;：最优（已证明）" in text and "OPTIMAL" not in text
    assert "2 / 3" in text                                   # selected of candidates
    assert "已到限额的规则组（2）" in text                    # 长春 1/1, 吉林 1/1
    assert "binding" not in text and "selected" not in text  # Chinese only by default
    en = result_html(base, lang="en")
    assert "— optimal (proven)" in en and "binding rule groups (2)" in en and "已到限额" not in en
    assert "<script>" not in text


def test_comparison_html_lists_who_left_escaped():
    base, variant = solved_pair()
    text = comparison_html(compare(base, variant, labels=("base", "长春 0")))
    assert "base → 长春 0" in text and "-90.0" in text        # a1 (90) left
    assert "&lt;script&gt;" in text and "<script>alert" not in text
    assert "落选（1）" in text and "left (" not in text
    assert "left (1)" in comparison_html(compare(base, variant, labels=("base", "长春 0")), lang="en")


def test_table_html_shows_chinese_headers_and_labels_by_default_and_codes_with_lang_en():
    frame = pd.DataFrame({"candidate_id": ["C1"], "task": ["core_course"], "unit_kind": ["government"],
                          "score": [80.5]})
    zh = table_html(frame)
    assert "<th" in zh and "项目编号" in zh and "任务类别" in zh and "评审分数" in zh
    assert "职业教育一流核心课程" in zh and "政府" in zh and "core_course" not in zh and "government" not in zh
    en = table_html(frame, lang="en")
    assert "candidate_id" in en and "core_course" in en and "government" in en and "项目编号" not in en


def test_the_notebook_views_follow_planner_lang_and_name_the_what_if_mode():
    base, variant = solved_pair()
    with speaking("en"):
        assert "— optimal (proven)" in base._repr_html_() and "已到限额" not in base._repr_html_()
        assert "left (1)" in comparison_html(compare(base, variant, labels=("base", "长春 0")))
    text = result_html(variant)           # Chinese again outside the block
    # The variant changed one bound of the same model: the re-solve mode in words, not its code.
    assert "重算方式" in text and "只改界限" in text and "bounds" not in text


def test_binding_groups_name_a_school_by_its_name():
    rows = [row("a1", unit_id="H1", unit_name="长春职业技术学院", score=90), row("a2", unit_id="H1",
            unit_name="长春职业技术学院", score=80)]
    scenario = scenario_of({"rule": [{"id": "per-school", "per": ["unit_id"], "max": 1}]})
    result = Session(scenario, candidates=frame_of(rows)).solve()
    assert "长春职业技术学院（H1）" in result_html(result)             # the cap of 1 binds at that school
    assert '<td class="">H1</td>' in result_html(result, lang="en")
