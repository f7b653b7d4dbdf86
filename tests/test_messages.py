"""Tests of planner.rules.messages: a rule named by its clause and its words, the id in brackets."""
from __future__ import annotations

from planner.lang import speaking
from planner.rules import rule_words
from planner.rules.messages import QUOTED_CHARS, did_you_mean, unknown_code


def test_a_rule_is_named_by_clause_and_words_with_its_id_in_brackets():
    assert rule_words("pc-public-locality-min", "三(三)", "长春市至少建设3个公共实践中心") == \
        "三(三)“长春市至少建设3个公共实践中心”[pc-public-locality-min]"
    with speaking("en"):
        assert rule_words("r", "三(三)", "x") == "rule 三(三) “x” [r]"


def test_long_words_are_cut_and_the_planners_reading_left_out():
    text = "甲" * (QUOTED_CHARS + 5)
    assert rule_words("r", "三(一)", text) == f"三(一)“{'甲' * QUOTED_CHARS}…”[r]"
    # The bracket that marks the planner's reading is not the notice's words.
    assert rule_words("r", "三(一)", "每校不超过2个（规划者的理解：按学校计）") == "三(一)“每校不超过2个”[r]"
    assert rule_words("r", "", "") == "规则[r]" and rule_words("r", "三(二)") == "三(二)[r]"


def test_the_shared_phrases_say_codes_by_their_column_label():
    assert unknown_code("task", "x") == "未知的任务类别代码“x”"
    assert did_you_mean("max") == "是否应为“max”？"
    with speaking("en"):
        assert unknown_code("task", "x") == 'unknown task "x"' and did_you_mean("max") == 'did you mean "max"?'


def test_the_nearest_option_is_offered_in_the_language_asked_for():
    from planner.rules.messages import suggest
    assert suggest("长舂市", ["长春市", "吉林市"]) == "是否应为“长春市”？"
    with speaking("en"):
        assert suggest("长舂市", ["长春市", "吉林市"]) == 'did you mean "长春市"?'
    assert suggest("zzz", ["长春市"]) == ""
