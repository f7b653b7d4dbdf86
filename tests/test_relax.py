"""Tests of planner.explain.relax and the way its advice is told (explain.conflict_text): few
changes in full, many changes rule by rule with a structural cause in one sentence per rule, the
full list in advice.txt.

The national-style case is built by hand: nine localities, candidates eligible in 长春市 only, a
minimum of one per locality and one per (locality, task) — so exactly the eight other localities
fail each rule, and the cheapest relaxation lowers those sixteen minimums from 1 to 0.
"""
from __future__ import annotations

from conftest import FIXTURES, row, run_cli, write_case

from planner.explain import Change, advice_details, advice_text, structural_lines
from planner.lang import speaking

CITIES = ["长春市", "吉林市", "四平市", "辽源市", "通化市", "白山市", "松原市", "白城市", "延边朝鲜族自治州"]
OTHERS = CITIES[1:]


def national_case(folder):
    rows = [row(f"{k}{j}", locality=city, score=50 + k + j, eligible=city == "长春市", unit_id=f"U{k}{j}")
            for k, city in enumerate(CITIES) for j in range(2)]
    return write_case(folder, rows, {"rule": [
        {"id": "each-city", "clause": "三(一)", "per": ["locality"], "min": 1},
        {"id": "each-city-task", "clause": "三(二)", "per": ["locality", "task"], "min": 1}]})


def test_many_relaxations_are_told_rule_by_rule_and_listed_in_full_in_the_output_folder(tmp_path):
    scenario = national_case(tmp_path / "case")
    out = tmp_path / "out"
    done = run_cli("solve", scenario, "--out", out)
    assert done.returncode == 3, done.stderr
    lines = done.stderr.splitlines()
    relax = next(line for line in lines if line.startswith("error: 放宽："))
    assert "把三(一)[each-city]在 8 个分组" in relax and "下限共降低 8" in relax
    assert "把三(二)[each-city-task]在 8 个分组" in relax and "（代价 16；共 16 处改动）" in relax
    assert len(relax) < 500
    causes = [line for line in lines if line.startswith("error: 原因：")]
    assert len(causes) == 2
    assert all("8 个分组" in c and "没有任何可以入选的候选" in c for c in causes)
    assert all(len(line) < 500 for line in lines)
    written = (out / "advice.txt").read_text(encoding="utf-8").splitlines()
    changes = [line for line in written if line.startswith("  把")]
    assert len(changes) == 16
    # A (locality, task) group by its words: the task's Chinese name from the catalogue.
    for city in OTHERS:
        assert any(f"[each-city]在{city}的下限从 1 降到 0" in c for c in changes)
        assert any(f"在{city}、开放型区域产教融合实践中心的下限从 1 降到 0" in c for c in changes)
    assert not any("长春市" in c for c in changes)
    assert str(out / "advice.txt") in lines[-1]
    assert sorted(p.name for p in out.iterdir()) == ["advice.txt"]


def test_a_short_relaxation_is_told_in_full_with_no_cause_and_no_file(tmp_path):
    case = FIXTURES / "infeasible" / "budget-vs-minimum"
    done = run_cli("solve", case / "scenario.toml", "--out", tmp_path / "out")
    assert done.returncode == 3
    assert "放宽：" in done.stderr and "原因：" not in done.stderr and " 个分组（" not in done.stderr
    assert not (tmp_path / "out").exists()


def change(rule, group, old=3.0, new=1.0, bound="min", structural=False):
    return Change(rule, "三(三)", group, bound, old, new, old - new if bound == "min" else new - old, structural)


def test_advice_text_keeps_few_changes_as_sentences_and_groups_many():
    few = [change("a", "长春市"), change("b", "吉林市", bound="max", old=2, new=4)]
    assert advice_text(few) == "把三(三)[a]在长春市的下限从 3 降到 1；并且把三(三)[b]在吉林市的上限从 2 提高到 4（代价 4）"
    many = [change("a", g) for g in ("G1", "G2", "G3", "G4", "G5")] + [change("b", "G9", bound="max", old=2, new=3)]
    # By hand: five minimums each lowered by 2 (10 in all), one maximum raised by 1; cost 10 + 1.
    assert advice_text(many) == ("把三(三)[a]在 5 个分组（G1、G2、G3等，另有 2 个）的下限共降低 10；"
                                 "并且把三(三)[b]在G9的上限从 2 提高到 3（代价 11；共 6 处改动）")
    with speaking("en"):
        assert advice_text(few) == ('lower the minimum of rule 三(三) [a] for 长春市 from 3 to 1 and raise the maximum '
                                    'of rule 三(三) [b] for 吉林市 from 2 to 4 (cost 4)')


def test_structural_causes_one_sentence_per_rule_each_group_once():
    alternatives = [[change("a", "G1", structural=True), change("a", "G2", structural=True), change("b", "G3")],
                    [change("a", "G1", structural=True)]]
    lines = structural_lines(alternatives)
    assert lines == ["原因：三(三)[a]：2 个分组（G1、G2）没有任何可以入选的候选，任何名单都达不到那里的下限"
                     "——请增加候选或去掉这些下限"]
    details = advice_details(alternatives)
    assert details[0] == "方案 1（3 处改动，代价 6）：" and len(details) == 3 + 1 + 1 + 1
