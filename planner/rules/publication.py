"""The `[publication]` block of a scenario: what the office prints on the documents of a round.

Owns the keys of ``[publication]`` — the document number (文号), the issuing office (落款), the
date, the programme's full name for titles, the document the round follows (依据), the 公示
period, the contact for objections, the wording of each task's eligibility condition, and the
``sample`` mark — their checks (each problem located: file, key, what was found, what was
expected, in Chinese) and the `Publication` they make. Does not own rendering the documents
(`planner.show.publication`) nor any of Jilin's values: those are data in ``scenarios/*.toml``.
A scenario without the block publishes too, with no 文号 and no date (`Publication.number` "").
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from planner.rules.messages import suggest

#: The keys of ``[publication]`` and of its two sub-tables.
PUBLICATION_KEYS = ("sample", "number", "issuer", "date", "programme", "basis", "notice", "contact", "conditions")
NOTICE_KEYS = ("start", "end", "working_days")
CONTACT_KEYS = ("person", "phone", "email", "address")
# 文号: 机关代字〔年份〕序号号, e.g. 吉教职成〔2023〕7号 (GB/T 9704: 六角括号).
NUMBER_PATTERN = re.compile(r"^\S+〔\d{4}〕\S*号$")
_DATE_TEXT = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


@dataclass(frozen=True)
class Publication:
    """What the published documents of a round carry besides the lists (all text as printed)."""

    number: str = ""                      # 文号; "" = none (documents leave the line out)
    issuer: str = ""                      # 落款
    date: dt.date | None = None           # 成文日期
    programme: str = ""                   # full name for titles (…重点任务)
    basis: str = ""                       # the document the round follows, e.g. 《…通知》（吉教职成〔2023〕7号）
    notice_start: dt.date | None = None   # 公示 from …
    notice_end: dt.date | None = None     # … to (given, or counted from working_days)
    working_days: int | None = None
    contact: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    conditions: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    sample: bool = False                  # the values are a sample, not a real document's
    given: bool = False                   # the scenario has a [publication] block at all


def chinese_date(day: dt.date | None) -> str:
    """``2023年11月1日`` (成文日期 in Arabic numerals, GB/T 9704), "" for None."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The last day of a period of `days` working days (Monday–Friday) from `start` on.

    Public holidays are not known here: give ``end`` instead of ``working_days`` when the
    period crosses one.
    """
    day, left = start, days
    while True:
        if day.weekday() < 5:
            left -= 1
            if left <= 0:
                return day
        day += dt.timedelta(days=1)


def parse_publication(section: Any, ctx: Any, *, issuer: Any = None) -> Publication:
    """Check a ``[publication]`` table and make its `Publication`; problems go to `ctx`.

    Parameters
    ----------
    section : Any
        The parsed ``[publication]`` value (None when the scenario has none).
    ctx : rules.syntax.Context
        Where problems are said (``ctx.fail(None, "publication.<key>", found, expected)``).
    issuer : Any
        The scenario's top-level ``issuer`` (the 落款 when the block names none).

    Returns
    -------
    Publication
        ``given`` False when `section` is None.
    """
    top_issuer = issuer if isinstance(issuer, str) else ""
    if section is None:
        return Publication(issuer=top_issuer.strip())
    if not isinstance(section, dict):           # said by `syntax.check_tables` (a [publication] table)
        return Publication(issuer=top_issuer.strip())

    def fail(key: str, found: str, expected: str, hint: str = "") -> None:
        ctx.fail(None, f"publication.{key}", found, expected, hint=hint)

    _unknown(section, PUBLICATION_KEYS, "", fail)
    text = {key: _text(section, key, fail) for key in ("number", "issuer", "programme", "basis")}
    if text["number"] and not NUMBER_PATTERN.match(text["number"]):
        fail("number", f'"{text["number"]}"', "文号，形如 吉教职成〔2023〕12号（年份在六角括号〔〕内，以“号”结尾）")
    sample = section.get("sample", False)
    if not isinstance(sample, bool):
        fail("sample", f"{sample!r}", "true 或 false")
        sample = False
    date = _date(section.get("date"), "date", fail)

    notice = section.get("notice", {})
    start = end = None
    days = None
    if not isinstance(notice, dict):
        fail("notice", f"{notice!r}", "一个表：[publication.notice] start = 2023-11-01, end = 2023-11-07")
        notice = {}
    _unknown(notice, NOTICE_KEYS, "notice.", fail)
    start = _date(notice.get("start"), "notice.start", fail)
    end = _date(notice.get("end"), "notice.end", fail)
    raw_days = notice.get("working_days")
    if raw_days is not None:
        if isinstance(raw_days, bool) or not isinstance(raw_days, int) or not 1 <= raw_days <= 60:
            fail("notice.working_days", f"{raw_days!r}", "1–60 的整数（工作日数）")
        else:
            days = raw_days
    if days is not None and end is not None:
        fail("notice", "同时给出 end 和 working_days", "二者之一")
    elif (days is not None or end is not None) and start is None:
        fail("notice.start", "没有公示开始日期", "start = 2023-11-01（有 end 或 working_days 时必填）")
    elif start is not None and days is not None:
        end = add_working_days(start, days)
    elif start is not None and end is None:
        fail("notice", "只有开始日期", "end = 结束日期，或 working_days = 工作日数")
    if start and end and end < start:
        fail("notice.end", f"{end.isoformat()}，早于开始日期 {start.isoformat()}", "不早于 start 的日期")
    if start and date and start < date:
        fail("notice.start", f"{start.isoformat()}，早于成文日期 {date.isoformat()}", "不早于 date 的日期")

    contact = section.get("contact", {})
    if not isinstance(contact, dict):
        fail("contact", f"{contact!r}", "一个表：[publication.contact] person = \"…\", phone = \"…\"")
        contact = {}
    _unknown(contact, CONTACT_KEYS, "contact.", fail)
    contact_text = {key: _text(contact, key, fail, prefix="contact.") for key in CONTACT_KEYS}

    conditions = section.get("conditions", {})
    if not isinstance(conditions, dict):
        fail("conditions", f"{conditions!r}", '一个表：任务代码 = "该任务的申报条件（通知原文）"')
        conditions = {}
    for code in conditions:
        if code not in ctx.catalogue.tasks:
            fail(f"conditions.{code}", f'未知的任务代码 "{code}"', "目录中的任务代码",
                 hint=suggest(code, list(ctx.catalogue.tasks)))
    condition_text = {code: _text(conditions, code, fail, prefix="conditions.") for code in conditions}

    return Publication(
        number=text["number"], issuer=text["issuer"] or top_issuer.strip(), date=date,
        programme=text["programme"], basis=text["basis"], notice_start=start, notice_end=end, working_days=days,
        contact=MappingProxyType({k: v for k, v in contact_text.items() if v}),
        conditions=MappingProxyType({k: v for k, v in condition_text.items() if v}),
        sample=sample, given=True)


def _unknown(table: Mapping[str, Any], known: tuple[str, ...], prefix: str, fail: Any) -> None:
    for key in table:
        if key not in known:
            fail(f"{prefix}{key}", f'未知的键 "{key}"', "以下之一：" + "、".join(known), suggest(key, list(known)))


def _text(table: Mapping[str, Any], key: str, fail: Any, *, prefix: str = "") -> str:
    value = table.get(key, "")
    if not isinstance(value, str):
        fail(f"{prefix}{key}", f"{value!r}", "一段文字（加引号）")
        return ""
    if any(ord(ch) < 32 for ch in value):
        fail(f"{prefix}{key}", f"{value!r}（含控制字符）", "不含换行、制表等控制字符的一段文字")
        return ""
    return value.strip()


def _date(value: Any, key: str, fail: Any) -> dt.date | None:
    """A TOML date (2023-11-01) or the same as text; None when absent or wrong (said in `fail`)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        found = _DATE_TEXT.match(value.strip())
        if found:
            try:
                return dt.date(*map(int, found.groups()))
            except ValueError:
                pass
    fail(key, f"{value!r}", "日期，如 2023-11-01")
    return None
