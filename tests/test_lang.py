"""planner.lang: one language switch for the library; Problem said in it."""
from __future__ import annotations

import threading

import pytest

import planner as pl
from planner.errors import Problem
from planner.lang import language, say, set_language, speaking


def test_chinese_by_default_english_inside_speaking_and_back_after():
    assert language() == "zh" and say("中文", "English") == "中文"
    with speaking("en"):
        assert say("中文", "English") == "English"
    assert say("中文", "English") == "中文"


def test_an_unknown_language_is_refused_in_both_languages():
    with pytest.raises(ValueError, match="语言应为 zh 或 en.*expected zh or en"):
        set_language("fr")
    with pytest.raises(ValueError):
        with speaking("de"):
            pass


def test_a_thread_that_sets_english_changes_nothing_for_the_others():
    seen = []
    thread = threading.Thread(target=lambda: (set_language("en"), seen.append(say("中", "en"))))
    thread.start()
    thread.join()
    assert seen == ["en"] and say("中", "en") == "中"


def test_a_problem_is_said_with_its_place_found_expected_and_hint():
    problem = Problem("a.csv", "八十", "0 到 100 之间的数", row=3, column="评审分数", hint="是否应为“80”？")
    assert str(problem) == "a.csv:3:评审分数：发现 八十，应为 0 到 100 之间的数。是否应为“80”？"
    assert str(Problem("b.toml", "空文件")) == "b.toml：发现 空文件"
    with pl.speaking("en"):
        assert str(Problem("a.csv", "x", "y", row=3, column="score", hint="did you mean z?")) == \
            "a.csv:3:score: found x, expected y — did you mean z?"
        assert str(Problem("b.toml", "an empty file")) == "b.toml: found an empty file"
