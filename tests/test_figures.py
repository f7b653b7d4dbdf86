"""`analysis.figures`: matplotlib made ready on a second thread while an analysis solves.

The thread's work is replaced by a recorder here, so what is checked is the hand-over: one
thread however often it is asked for, a chart's `use_font` waits until it is done, and a
missing font is said once, by the chart, not by the thread.
"""
from __future__ import annotations

import logging
import threading
import time

from planner.analysis import figures
from planner.show import fonts


def test_one_thread_however_often_asked_and_the_chart_waits_for_it(monkeypatch):
    events: list[str] = []
    started = threading.Event()

    def slow_load():
        started.set()
        time.sleep(0.3)
        events.append("loaded")

    monkeypatch.setattr(figures, "_ready", None)
    monkeypatch.setattr(figures, "_load", slow_load)
    monkeypatch.setattr(figures, "_use_font", lambda: events.append("font"))
    for _ in range(3):
        figures.prepare_charts()
    assert started.wait(5)
    figures.use_font()
    assert events == ["loaded", "font"]          # the chart's font only after the thread is done
    assert sum(t.name == "planner-charts" for t in threading.enumerate()) <= 1


def test_a_missing_font_is_said_once_by_the_chart_not_by_the_thread(monkeypatch, caplog):
    def no_font():
        raise fonts.FontError("没有中文字体")

    monkeypatch.setattr(figures, "_ready", None)
    monkeypatch.setattr(fonts, "use_cjk_font", no_font)
    import planner.show
    monkeypatch.setattr(planner.show, "use_cjk_font", no_font)
    with caplog.at_level(logging.WARNING, logger=figures.__name__):
        figures.prepare_charts()
        figures._ready.join(10)
        assert not caplog.records                 # the thread stays silent
        figures.use_font()
    assert [r.getMessage() for r in caplog.records if "中文字体" in r.getMessage()] == ["图表没有中文字体：没有中文字体"]
