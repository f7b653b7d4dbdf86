"""Tests of planner.rules.switches: a switch set to a value the scenario knows, a typo refused."""
from __future__ import annotations

from planner.rules.switches import check_switches
from planner.rules.syntax import Context

RULES = [{"id": "soft-band", "when": {"band": "soft"}, "max": 1}, {"id": "hard-band", "when": {"band": "hard"}, "max": 1}]


def problems(data: dict) -> list[str]:
    ctx = Context("s.toml", "", dict(data.get("switches", {})), {})
    check_switches(data, {}, ctx, root_names=tuple(data.get("switches", {})))
    return [str(p) for p in ctx.problems]


def test_a_value_no_rule_names_but_close_to_one_is_a_typo():
    lines = problems({"switches": {"band": "sotf"}, "rule": RULES})
    assert lines[0] == ("s.toml:switches.band：发现 band = 'sotf'，没有规则用到这个值，应为 以下之一：'hard'、'soft'"
                        "（或在 [choices] band = [...] 中声明这个值）。是否应为“soft”？")


def test_a_far_value_switches_every_variant_off_and_a_declared_switch_takes_only_its_choices():
    assert problems({"switches": {"band": "none"}, "rule": RULES}) == []
    lines = problems({"switches": {"band": "none"}, "choices": {"band": ["soft", "hard"]}, "rule": RULES})
    assert len(lines) == 1 and "它的 [choices] 之一：'soft'、'hard'" in lines[0]
