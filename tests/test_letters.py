"""`planner.show.letters`: each project's reason said in plain words, and every letter of the bundled rounds.

The sentences are checked against hand-made explanation rows (the numbers a reader would work
out: a quota of 15 over 2023–2025, 5 used this year, 10 kept for the later years); the bundled
2023 round and the 2024 round after it are published and EVERY letter is scanned for ids,
column names, booleans, nan and internal words (`test_publish.assert_clean_letters`).
"""
from __future__ import annotations

import re

import pandas as pd
import pytest
from conftest import JILIN, REPO
from test_publish import assert_clean_letters, docx_text

from planner.show.letters import RoundFacts, read_facts, reason_sentence

FACTS = RoundFacts(year=2023, period=(2023, 2025), pass_mark=60.0,
                   rules={"pc-loc": {"clause": "三(三)", "text": "长春市推荐不超过15个", "scope": "period", "by_track": "1"},
                          "cc-target": {"clause": "三(一)", "text": "到2025年，全省建设10个左右市域产教联合体",
                                        "scope": "period", "soft": "True", "by_track": "0"},
                          "co-split": {"clause": "三(七)", "text": "全省择优推荐5门（按归类（level）计入）",
                                       "scope": "period", "by_track": "0"}},
                   conditions={"textbook": "推荐教材应为国家规划教材"}, exempt_clause="三(四)(六)")
BASE = dict(unit_id="S001", task="practice_centre", track="school", score=70.0, exempt=False)


def _say(facts: RoundFacts = FACTS, **row) -> str:
    return reason_sentence({**BASE, **row}, facts)


def test_a_period_quota_spread_over_the_years_is_said_truthfully_never_full():
    text = _say(reason_code="quota_full", rule_id="pc-loc", group="长春市", limit=15, value=5, planned=10,
                lowest_selected=85.2)
    assert text == ("按通知三(三)规定，长春市开放型区域产教融合实践中心（学校实践中心）的推荐名额为2023—2025年共15个，"
                    "本年度已安排5个，其余名额留待2024、2025年度；本年度入选项目最低分为85.2分，本项目70分，未能入选。")
    assert "已满" not in text


def test_a_full_quota_of_the_unit_itself_says_its_places_went_to_higher_scores():
    text = _say(reason_code="quota_full", rule_id="pc-loc", group="S001（某职业学校）", limit=6, value=6, planned=0,
                lowest_selected=89.1, score=79.5)
    assert "贵单位" in text and "S001" not in text and "已全部安排" in text
    assert "本年度入选项目最低分为89.1分，本项目79.5分" in text


def test_a_later_round_says_how_much_earlier_years_used(tmp_path):
    ledger = pd.DataFrame({"rule_id": ["pc-loc"], "group": ["长春市"], "used_2023": [4.0], "used_2024": [3.0],
                           "used_2025": [float("nan")]})
    facts = read_facts(2024, None, ledger, period=(2023, 2025))
    facts.rules.update(FACTS.rules)
    text = _say(facts, reason_code="quota_full", rule_id="pc-loc", group="长春市", limit=15, value=7, planned=8,
                lowest_selected=80.0)
    assert "截至本年度已安排7个（其中本年度3个），其余名额留待2025年度" in text


def test_a_higher_score_left_out_by_other_rules_is_not_told_the_places_went_to_higher_scores():
    text = _say(reason_code="quota_full", rule_id="pc-loc", group="长春市", limit=15, value=15, planned=0,
                lowest_selected=65.0, score=70.0)
    assert "最低分" not in text and "为同时满足通知的其他名额要求，本项目（70分）未能入选。" in text


def test_a_target_band_quotes_the_notice_and_a_rule_text_with_column_names_is_not_quoted():
    text = _say(reason_code="target_reached", rule_id="cc-target", task="city_consortium", track="", group="全省",
                limit=11, value=11, planned=0, lowest_selected=64.1, score=60.5)
    assert text.startswith("通知三(一)提出“到2025年，全省建设10个左右市域产教联合体”，按此目标，全省市域产教联合体")
    assert "计划安排不超过11个" in text


def test_a_target_quote_leaves_out_the_planners_reading():
    """The letter quotes the notice (到2025年…50个左右…), never the planner's reading in brackets."""
    facts = read_facts(2023, None, None, period=(2023, 2025))
    facts.rules.update(FACTS.rules)
    facts.rules["rl-aim"] = {"clause": "三(四)", "scope": "period", "soft": "1",
                             "text": "到2025年，全省建设50个左右省级专业教学资源库（以50个为目标，多于或少于50个都计入偏差；规划者的理解）"}
    text = _say(facts, reason_code="target_reached", rule_id="rl-aim", task="resource_library", track="", group="全省",
                limit=50, value=19, planned=31, lowest_selected=86.4, score=70.6)
    assert "“到2025年，全省建设50个左右省级专业教学资源库”" in text
    assert "规划者" not in text and "偏差" not in text
    national = _say(reason_code="selected_not_national", rule_id="co-split", task="core_course", track="online",
                    group="高职", limit=3, value=3, lowest_selected=98.0, score=93.1)
    assert national.startswith("入选省级认定名单；按通知三(七)规定，高职推荐参加国家级遴选的名额为2023—2025年共3个")
    assert "level" not in national and "98分" in national


@pytest.mark.parametrize("row, expected", [
    (dict(reason_code="ineligible", task="textbook", track=""),
     "不符合通知三(八)规定的申报条件（推荐教材应为国家规划教材），未列入评审。"),
    (dict(reason_code="ineligible", task="city_consortium", track=""),
     "不符合通知三(一)对市域产教联合体规定的申报条件，未列入评审。"),
    (dict(reason_code="below_pass_mark", score=56.6), "评审分数56.6分，低于合格线60分，未能入选。"),
    (dict(reason_code="already_recognised", reason="该项目已于2023年获省级认定"),
     "该项目已于2023年获省级认定，按通知规定不再重复认定。"),
    (dict(reason_code="selected", exempt=True, selected=True), "入选省级认定名单。按通知三(四)(六)规定，本项目不占用推荐名额。"),
    (dict(reason_code="selected_national"), "入选省级认定名单，并推荐参加国家级遴选。"),
])
def test_each_kind_of_reason_is_one_plain_sentence(row, expected):
    assert _say(**row) == expected


# --------------------------------------------------------------------------- every letter of the bundled rounds
@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    """The bundled 2023 round and the 2024 round after it, solved, saved and published."""
    from planner import api
    from planner.rules import load_scenario
    from planner.show import publish

    base = tmp_path_factory.mktemp("bundled")
    first = api.solve(JILIN, workers=1)
    api.save(first, base / "2023")
    publish(base / "2023")
    scenario = load_scenario(REPO / "scenarios" / "jilin-2024.toml").with_history(base / "2023" / "slate.csv")
    second = api.solve(scenario, workers=1)
    api.save(second, base / "2024")
    notes: list[str] = []
    publish(base / "2024", warnings=notes)
    return base, notes


def test_every_letter_of_the_bundled_rounds_is_free_of_codes_and_internal_words(bundled):
    base, _ = bundled
    n_2023 = assert_clean_letters(base / "2023", [])
    n_2024 = assert_clean_letters(base / "2024", [])
    assert n_2023 > 250 and n_2024 > 100


def test_bundled_documents_carry_the_sample_publication_block(bundled):
    base, notes = bundled
    assert any("样例" in note for note in notes)
    notice = docx_text(base / "2024" / "公示通知.docx")
    assert "吉教职成〔2024〕（样例）号" in notice and "2024年10月30日" in notice
    assert "公示期：2024年10月31日至2024年11月6日。" in notice
    letter = docx_text(next((base / "2024" / "反馈").iterdir()))
    assert re.search(r"吉林省教育厅\n2024年10月30日\s*$", letter.split("任务类别")[0].rstrip() + "\n") or \
        "吉林省教育厅\n2024年10月30日" in letter
    header = docx_text(base / "2023" / "认定名单.docx").splitlines()[0]
    assert header == "吉教职成〔2023〕（样例）号　附件1"
    # 2024: the national places of the period were all used in 2023 — the 推荐名单 says 无.
    assert "无" in docx_text(base / "2024" / "推荐名单.docx").splitlines()


@pytest.mark.parametrize("flags, expected", [
    ([(0, 0), (0, 0)], "贵单位本年度共申报2项，均未入选省级认定名单。"),
    ([(1, 1), (1, 0)], "贵单位本年度共申报2项，全部入选省级认定名单（其中推荐参加国家级遴选1项）。"),
    ([(1, 0), (0, 0), (0, 0)], "贵单位本年度共申报3项，入选省级认定名单1项，未入选2项。"),
    ([(1, 0)], "贵单位本年度共申报1项，入选省级认定名单1项。"),
])
def test_a_letter_opens_with_what_the_unit_filed_and_got(flags, expected):
    from planner.show.feedback import summary_sentence

    assert summary_sentence([{"selected": s, "national": n} for s, n in flags]) == expected


def test_out_of_scope_quotes_the_notice_without_the_column_note():
    """三(八) 推荐范围: the rule's words are quoted, its note on the column it reads is not."""
    facts = read_facts(2023, None, None, period=(2023, 2025))
    facts.rules["tb-listed"] = {"clause": "三(八)", "scope": "year", "soft": "",
                                "text": "推荐教材应为国家规划教材或全国教材建设奖获奖教材（textbook_listed 列）"}
    text = _say(facts, reason_code="not_in_scope", rule_id="tb-listed", task="textbook", track="", group="全省")
    assert text == "不在通知三(八)规定的推荐范围内（推荐教材应为国家规划教材或全国教材建设奖获奖教材），未能入选。"
