"""`planner.rules.publication`: the `[publication]` block of a scenario, read and checked.

Each mistake is said with the file, the key, what was found and what was expected, in Chinese,
and all of them at once; a scenario without the block still loads (no 文号). The working-day
count is checked against a calendar worked out by hand.
"""
from __future__ import annotations

import datetime as dt

import pytest
from conftest import REPO, run_cli, write_case

from planner.errors import PolicyError
from planner.rules import load_scenario
from planner.rules.publication import add_working_days, chinese_date

GOOD = {"number": "吉教职成〔2023〕12号", "issuer": "吉林省教育厅", "date": "2023-11-01",
        "programme": "吉林省现代职业教育体系建设改革重点任务"}


def _load(tmp_path, publication):
    path = tmp_path / "scenario.toml"
    text = 'name = "t"\nyear = 2023\nissuer = "某省教育厅"\n'
    if publication is not None:
        text += "\n" + publication
    path.write_text(text, "utf-8")
    return load_scenario(path)


def test_the_bundled_rounds_carry_a_sample_block():
    for year in (2023, 2024, 2025):
        pub = load_scenario(REPO / "scenarios" / f"jilin-{year}.toml").publication
        assert pub.sample and pub.number == f"吉教职成〔{year}〕（样例）号" and pub.issuer == "吉林省教育厅"
        assert pub.notice_start and pub.notice_end and pub.notice_start <= pub.notice_end
        assert pub.date.year == year and pub.contact["phone"].endswith("（样例）")
    assert load_scenario(REPO / "scenarios" / "jilin-2023-funded.toml").publication.number == "吉教职成〔2023〕（样例）号"


def test_a_block_is_read_with_toml_dates_and_the_top_level_issuer_as_default(tmp_path):
    pub = _load(tmp_path, '[publication]\nnumber = "吉教职成〔2023〕12号"\ndate = 2023-11-01\n'
                          '[publication.notice]\nstart = 2023-11-03\nworking_days = 5\n')
    assert pub.publication.number == "吉教职成〔2023〕12号" and pub.publication.issuer == "某省教育厅"
    assert pub.publication.date == dt.date(2023, 11, 1) and not pub.publication.sample
    # Friday 3 November 2023 + 5 working days: Fri 3, Mon 6, Tue 7, Wed 8, Thu 9.
    assert pub.publication.notice_end == dt.date(2023, 11, 9)


def test_without_a_block_the_scenario_loads_with_no_number(tmp_path):
    pub = _load(tmp_path, None).publication
    assert pub.number == "" and pub.date is None and not pub.given and pub.issuer == "某省教育厅"


def test_working_days_and_dates_in_words():
    assert add_working_days(dt.date(2023, 11, 6), 1) == dt.date(2023, 11, 6)      # a Monday
    assert add_working_days(dt.date(2023, 11, 4), 1) == dt.date(2023, 11, 6)      # from a Saturday
    assert add_working_days(dt.date(2023, 11, 1), 10) == dt.date(2023, 11, 14)
    assert chinese_date(dt.date(2023, 8, 14)) == "2023年8月14日" and chinese_date(None) == ""


@pytest.mark.parametrize("block, key, found", [
    ('number = "吉教职成2023第12号"', "publication.number", "吉教职成2023第12号"),
    ('date = "2023年11月1日"', "publication.date", "2023年11月1日"),
    ('date = "2023-02-30"', "publication.date", "2023-02-30"),
    ('titel = "x"', "publication.titel", "未知的键"),
    ('sample = "yes"', "publication.sample", "yes"),
    ('issuer = 3', "publication.issuer", "3"),
    ('[publication.notice]\nstart = 2023-11-08\nend = 2023-11-01', "publication.notice.end", "早于开始日期"),
    ('[publication.notice]\nstart = 2023-11-01\nend = 2023-11-08\nworking_days = 5', "publication.notice",
     "同时给出"),
    ('[publication.notice]\nend = 2023-11-08', "publication.notice.start", "没有公示开始日期"),
    ('[publication.notice]\nstart = 2023-11-01\nworking_days = 0', "publication.notice.working_days", "0"),
    ('[publication.contact]\nname = "张三"', "publication.contact.name", "未知的键"),
    ('[publication.conditions]\ntextbok = "…"', "publication.conditions.textbok", "未知的任务代码"),
])
def test_each_mistake_is_located_in_chinese(tmp_path, block, key, found):
    head = "[publication]\n" if not block.startswith("[publication.") else ""
    with pytest.raises(PolicyError) as caught:
        _load(tmp_path, head + block)
    problems = [p for p in caught.value.problems if p.column == key]
    assert problems, [str(p) for p in caught.value.problems]
    assert found in problems[0].found and problems[0].file.endswith("scenario.toml")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in problems[0].expected)          # said in Chinese


def test_all_mistakes_are_said_at_once_and_the_cli_exits_2(tmp_path):
    case = write_case(tmp_path / "case", [], {})
    case.write_text(case.read_text("utf-8") + '\n[publication]\nnumber = "12号"\ndate = "tomorrow"\nwho = 1\n', "utf-8")
    with pytest.raises(PolicyError) as caught:
        load_scenario(case)
    assert {p.column for p in caught.value.problems} >= {"publication.number", "publication.date", "publication.who"}
    done = run_cli("check", case)
    assert done.returncode == 2 and "publication.number" in done.stderr and "Traceback" not in done.stderr
