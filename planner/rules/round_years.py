"""Tables, slates and histories of the wrong round, said as such before anything is solved.

Owns four checks that name the cause and the fix in one line: a candidate table of another
year than the scenario's ("this table's year is 2024, the scenario's 2023"), a slate audited
against another year's scenario, a history slate that does not exist yet ("run the 2023
round first: …"), and a history that is not complete (二(二) 分年度（2023-2025年）申报…在推荐限额内:
a round of year Y that names a history locks every earlier year of the period, in year order —
a gap or a slate of the wrong year would give back quota, recognitions and national places the
earlier rounds already used). Does not own the row-by-row year check
(`rules.prepare.check_years`).
"""
from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import pandas as pd

from planner.errors import InputError, Problem
from planner.lang import say
from planner.rules.policy import Scenario

log = logging.getLogger(__name__)
_YEAR_LINE = re.compile(r"^\s*year\s*=\s*(\d{4})\s*(#.*)?$", re.MULTILINE)


def _years_text(years: list[int]) -> str:
    return str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"


def check_table_year(frame: pd.DataFrame, scenario: Scenario, *, what: str = "table") -> None:
    """A table without a single row of the scenario's year belongs to another round: one line
    that says whose, instead of a slate that decides nothing (or an infeasibility)."""
    if not len(frame) or (frame["year"].to_numpy() == scenario.year).any():
        return
    years = sorted({int(y) for y in frame["year"]})
    which = "year is" if len(years) == 1 else "years are"
    other = _scenario_for(scenario, years[0]) if len(years) == 1 else None
    named = f" ({other})" if other else ""
    noun = say("候选表" if what == "table" else "名单", what)
    fix = say(f"——请交给 {_years_text(years)} 年度的情景" + (f"（{other}）" if other else "") if what == "table"
              else f"——请按 {_years_text(years)} 年度的情景" + (f"（{other}）" if other else "") + "审核",
              f" — give it to the {_years_text(years)} scenario{named}" if what == "table"
              else f" — audit it against the {_years_text(years)} scenario{named}")
    raise InputError([Problem(str(frame.attrs.get("source", what)),
                              say(f"这张{noun}的年度是 {_years_text(years)}，情景的年度是 {scenario.year}",
                                  f"this {what}'s {which} {_years_text(years)}, the scenario's {scenario.year}"),
                              say(f"{scenario.year} 年度（{scenario.label}）的{noun}{fix}",
                                  f"a {what} of the {scenario.year} round ({scenario.label}){fix}"), column="year")])


def check_history_files(scenario: Scenario) -> None:
    """Every history slate the scenario names must exist: else the earlier round was not run."""
    lines = []
    for path in scenario.history:
        if Path(path).exists():
            continue
        found = [int(y) for y in re.findall(r"(?<!\d)(\d{4})(?!\d)", str(path)) if int(y) < scenario.year]
        year = found[-1] if found else None
        earlier = say(f"{year}年度的轮次" if year else "之前的轮次", f"the {year} round" if year else "the earlier round")
        other = _scenario_for(scenario, year) if year else None
        command = f"planner solve {other or say('<它的情景>', '<its scenario>')} --out {_shown(Path(path).parent)}"
        lines.append(say(f"请先求解{earlier}：{_shown(path)} 不存在（{scenario.label} 作为历史锁定的名单）——{command}",
                         f"run {earlier} first: {_shown(path)} does not exist (the slate {scenario.label} locks as history)"
                         f" — {command}"))
    if lines:
        raise InputError("\n".join(lines))


def _scenario_for(scenario: Scenario, year: int) -> str | None:
    """A scenario file beside this one whose year is `year` (to name in the fix), if any."""
    if scenario.source is None:
        return None
    folder = Path(scenario.source).parent
    found = []
    try:
        for path in sorted(folder.glob("*.toml")):
            if path.resolve() == Path(scenario.source).resolve():
                continue
            match = _YEAR_LINE.search(path.read_text(encoding="utf-8", errors="replace")[:4000])
            if match and int(match.group(1)) == year:
                found.append(path)
    except OSError:
        return None
    return _shown(min(found, key=lambda p: len(p.name))) if found else None   # jilin-2023, not its variants


def _shown(path: Path) -> str:
    """A path relative to the working folder when it lies below it, else as it is."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


def earlier_years(scenario: Scenario) -> tuple[int, ...]:
    """The years of the period before the scenario's own: the slates its history must hold."""
    first, _ = scenario.years
    return tuple(range(first, scenario.year))


def check_history_years(scenario: Scenario, slates: list[tuple[Path, pd.DataFrame]]) -> None:
    """二(二): a history names every earlier year of the period, in year order, none of another year.

    A scenario file of a year after the first that does not say ``history`` at all is refused
    (the gap is what the check is for); ``history = []`` — or a scenario built in Python — is a
    round on its own (a what-if of one year, a test): nothing is checked, and the log says so. One that names
    any history must name all of it: a 2025 round with only the 2024 slate would count 2023's
    quota, recognitions and national places again.

    Parameters
    ----------
    scenario : Scenario
        The round (its `year`, `period` and `history` paths).
    slates : list of (path, DataFrame)
        Each history file as read, in the scenario's order; the frame needs the column ``year``.
        Rows of the round's own year or later are not history (they are dropped by the caller).

    Raises
    ------
    InputError
        One line per problem: a slate with no earlier year of the period, one before the
        period, one out of year order, and every missing year with the command that makes it.
    """
    wanted = earlier_years(scenario)
    if not slates:
        if wanted and "history" not in scenario.raw and scenario.source is not None:
            # a round file after the first that says nothing of the earlier years: the gap the
            # notice's 分年度…在推荐限额内 cannot have; ``history = []`` says "a round on its own"
            order = ", ".join(map(str, wanted))
            listed = "、".join(map(str, wanted))
            raise InputError([Problem(
                scenario.label, say(f"历史名单缺少{listed}年度：{scenario.year} 年度的轮次没有 {listed} 年度的名单",
                                    f"历史名单缺少{listed}年度 (no history): a {scenario.year} round without the slates of {order}"),
                say(f"history = [{listed} 年度的名单，按年度顺序]——或 history = [] 表示单独一轮（不计往年已用的限额、"
                    "认定和国家级推荐名额）",
                    f'history = [the slates of {order}, in year order] — or history = [] '
                    "for a round on its own (its earlier years' quotas, recognitions and national places not counted)"),
                column="history")])
        if wanted:
            years = "、".join(map(str, wanted))
            log.warning(say(f"{scenario.label}：{scenario.year} 年度评审没有历史名单——{years} 年度已认定的项目未锁定，"
                            "名额按这些年度未用计算（用 history 给出往年名单）",
                            f"{scenario.label}: a {scenario.year} round with no history — the slates of "
                            f"{', '.join(map(str, wanted))} are not locked"))
        return
    first = scenario.years[0]
    lines = []
    found: dict[int, Path] = {}
    latest = None
    order = say("、", ", ").join(map(str, wanted)) or say("无", "none")
    for position, (path, frame) in enumerate(slates):
        every = sorted({int(y) for y in frame["year"]}) if len(frame) else []
        years = [y for y in every if y < scenario.year]
        place = say(f"{scenario.label} 的第 {position + 1} 个历史名单（{_shown(Path(path))}）",
                    f"history entry {position + 1} of {scenario.label} ({_shown(Path(path))})")
        before = [y for y in years if y < first]
        if before:
            lines.append(say(f"历史名单年度不符：{place}含有 {'、'.join(map(str, before))} 年度的行，早于周期 "
                             f"{first}–{scenario.years[1]}",
                             f"历史名单年度不符 (history slate of the wrong year): {place} holds rows of "
                             f"{', '.join(map(str, before))}, before the period {first}–{scenario.years[1]}"))
        years = [y for y in years if y >= first]
        if not years:
            held = say("、", ", ").join(map(str, every)) if every else say("没有行", "no rows")
            lines.append(say(f"历史名单年度不符：{place}含有 {held}，应为本周期更早年度的名单（{order}）",
                             f"历史名单年度不符 (history slate of the wrong year): {place} holds {held}, expected "
                             f"the slate of an earlier year of the period ({order})"))
            continue
        if latest is not None and years[0] < latest:
            lines.append(say(f"历史名单顺序不符：{place}是 {_years_text(years)} 年度的名单，却排在 {latest} 年度之后，"
                             f"应按年度顺序（{order}）",
                             f"历史名单顺序不符 (history out of year order): {place} is the {_years_text(years)} slate "
                             f"after the {latest} slate, expected in year order ({order})"))
        latest = max(latest or years[-1], years[-1])
        for year in years:
            found.setdefault(year, Path(path))
    for year in wanted:
        if year in found:
            continue
        other = _scenario_for(scenario, year)
        out = _out_for(scenario, year)
        slate = _from_scenario(scenario, out / "slate.csv")
        lines.append(say(f"历史名单缺少{year}年度：{scenario.year} 年度的轮次要锁定本周期更早的每一年（{order}），"
                         f"否则 {year} 年度已用的限额、认定和国家级推荐名额会被重复计算——请运行：planner solve "
                         f"{other or '<' + str(year) + ' 年度的情景>'} --out {_shown(out)}，再把“{slate}”按年度顺序"
                         "加入它的 history",
                         f"历史名单缺少{year}年度 (history lacks the {year} slate): a {scenario.year} round locks "
                         f"every earlier year of the period ({order}), or the quotas, recognitions and national "
                         f"places {year} used count again — run: planner solve "
                         f"{other or '<the ' + str(year) + ' scenario>'} --out {_shown(out)}, then add "
                         f'"{slate}" to its history, before the later years'))
    if lines:
        raise InputError("\n".join(lines))


def _from_scenario(scenario: Scenario, path: Path) -> str:
    """`path` as the scenario file names it (relative to its folder), with forward slashes."""
    if scenario.source is None:
        return Path(path).as_posix()
    try:
        return Path(os.path.relpath(Path(path).resolve(), Path(scenario.source).resolve().parent)).as_posix()
    except ValueError:                   # another drive on Windows
        return Path(path).as_posix()


def _out_for(scenario: Scenario, year: int) -> Path:
    """Where the `year` round's slate goes: a history entry's folder with its year replaced, else out/<year>."""
    for path in scenario.history:
        folder = Path(path).parent
        if re.search(r"(?<!\d)\d{4}(?!\d)", folder.name):
            return folder.with_name(re.sub(r"(?<!\d)\d{4}(?!\d)", str(year), folder.name))
    return Path("out") / (f"{Path(scenario.source).stem.rsplit('-', 1)[0]}-{year}" if scenario.source else str(year))
