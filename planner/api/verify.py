"""Re-running a solved round from its `summary.json` and confirming the same slate (provenance).

Owns `verify(out_dir)`: read the summary a `planner solve` run wrote, check that every input it
records still has the recorded sha256 — a changed or missing input is reported, never silently
re-solved — then load the scenario, replay the what-if edits the summary records (bounds,
rules, switches, pins, folds …; units withdrawn from the table), re-run the solve with the
recorded seed, workers, time limit and backend into a temporary folder and compare the new
`slate.csv` with the recorded one byte for byte, every other table the run published
(`PUBLISHED`: explanations.csv — whose reasons go into the letters —, rules.csv, ledger.csv) byte
for byte, `slate.xlsx` cell by cell and `summary.json` on every field a re-run reproduces
(`REPRODUCED`); summary.json's counts and totals are also checked against the recorded slate
itself, so a time-limited run cannot hide an edited number. The report says what was re-run
(`VerifyReport.rerun_lines`: scenario, table, pins, edits, backend), so a swapped scenario or a
forced-out project is visible. Inputs recorded with relative paths are
looked for in the folder the run was made in, then here, then above the output folder, so a
moved project still verifies.

Does not own solving, auditing or writing outputs (`api`, `report`) nor the command line flag
(`planner solve --verify OUT_DIR` lives in `cli`). Never writes into `out_dir`.
"""
from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import logging
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner.errors import InputError, PlannerError, Problem
from planner.lang import say

log = logging.getLogger(__name__)

SUMMARY = "summary.json"
SLATE = "slate.csv"
SLATE_XLSX = "slate.xlsx"
FRAME_KEY = "<candidates frame>"
#: The fields of summary.json a re-run must give again (timings, versions and the folder the
#: run was made in are measurements of that run, not of its answer).
#: The tables a run writes beside slate.csv that a re-run must give byte for byte.
PUBLISHED = ("explanations.csv", "rules.csv", "ledger.csv")
REPRODUCED = ("name", "year", "status", "objective", "total_score", "penalty", "n_candidates", "n_selectable",
              "n_selected", "n_national", "n_rule_groups", "n_binding", "warnings", "force_in", "force_out",
              "edits")


@dataclass
class VerifyReport:
    """What `verify` found.

    Attributes
    ----------
    out_dir : Path
        The folder checked.
    scenario, candidates : Path or None
        The scenario re-run and the candidate table it read (None when not determined).
    changed : list of str
        Recorded inputs whose sha256 differs now.
    missing : list of str
        Recorded inputs that no longer exist (or an in-memory table, which cannot be re-read).
    rerun : bool
        Whether the solve was re-run (only when every input is unchanged).
    same_slate : bool or None
        slate.csv of the re-run is byte-identical to the recorded one (None: not re-run).
    recorded_sha256, rerun_sha256 : str
        sha256 of the recorded and the re-run slate.csv ("" when absent).
    recorded_status, status : str
        Solver status of the recorded run and of the re-run ("" when not re-run).
    problems : list of str
        Why the round is not confirmed, one line each (empty when `ok`).
    notes : list of str
        Facts that do not fail the check (other library versions, a time-limited recorded run).
    """

    out_dir: Path
    scenario: Path | None = None
    candidates: Path | None = None
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    rerun: bool = False
    same_slate: bool | None = None
    recorded_sha256: str = ""
    rerun_sha256: str = ""
    recorded_status: str = ""
    status: str = ""
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rerun_what: list[str] = field(default_factory=list)

    def rerun_lines(self) -> list[str]:
        """What was re-run, one line each (scenario, candidate table, pins, edits, backend)."""
        return list(self.rerun_what)

    @property
    def ok(self) -> bool:
        """True when every input is unchanged and the re-run gave the same slate.csv."""
        return not self.problems and self.same_slate is True

    def lines(self) -> list[str]:
        """One line per finding, as the CLI prints them."""
        sha = self.recorded_sha256[:12]
        head = (say(f"{self.out_dir}：已验证，重新运行得到相同的 {SLATE}（sha256 {sha}）",
                    f"{self.out_dir}: verified — the re-run gives the same {SLATE} (sha256 {sha})")
                if self.ok else say(f"{self.out_dir}：未通过验证", f"{self.out_dir}: NOT verified"))
        return [head, *(say(f"已重新运行：{w}", f"re-ran: {w}") for w in self.rerun_what), *self.problems,
                *(say(f"说明：{n}", f"note: {n}") for n in self.notes)]


def verify(out_dir: str | Path, *, time_limit_s: float | None = None, workers: int | None = None) -> VerifyReport:
    """Re-run the round recorded in `out_dir` and compare its slate with the recorded one.

    Parameters
    ----------
    out_dir : str or Path
        A folder written by `planner solve` (needs summary.json and slate.csv).
    time_limit_s, workers : optional
        Override the recorded settings (default: those recorded in summary.json).

    Returns
    -------
    VerifyReport
        ``.ok`` is True only when every recorded input has its recorded sha256 and the re-run's
        slate.csv is byte-identical to the recorded one.

    Raises
    ------
    InputError
        `out_dir` has no readable summary.json or slate.csv.
    """
    from planner.inputs import read_slate, read_summary
    from planner.rounds import save, solve, versions

    out_dir = Path(out_dir)
    summary = read_summary(out_dir / SUMMARY)
    settings = _settings(summary, out_dir / SUMMARY)
    slate_path = out_dir / SLATE
    if not slate_path.is_file():
        raise InputError([Problem(str(slate_path), say("没有这个文件", "no such file"),
                                  say(f"与 {SUMMARY} 一同写出的 {SLATE}", f"the {SLATE} written with {SUMMARY}"))])
    report = VerifyReport(out_dir=out_dir, recorded_sha256=_sha256(slate_path.read_bytes()),
                          recorded_status=str(summary.get("status", "")))
    report.problems += _summary_against_slate(summary, read_slate(slate_path), out_dir / SUMMARY)
    roots = _roots(summary, out_dir)

    inputs: dict[str, str] = summary.get("inputs") or {}
    if not isinstance(inputs, dict) or not inputs or not all(isinstance(v, str) for v in inputs.values()):
        report.problems.append(say(f"{out_dir / SUMMARY}：没有记录输入文件的校验值，无从重新运行",
                                   f"{out_dir / SUMMARY}: no input hashes recorded — nothing to re-run from"))
        return report
    table_edits = _table_edits(settings["edits"], out_dir / SUMMARY)
    scored = summary.get("scores")
    sheets = (scored.get("sheets") or {}) if isinstance(scored, dict) else {}
    sheet_paths: list[Path] = []                # expert score sheets (`solve --scores`): checked and replayed too
    for name, recorded in [*inputs.items(), *sheets.items()]:
        if name == FRAME_KEY:
            if not table_edits:
                report.missing.append(name)
                report.problems.append(say(f"{out_dir / SUMMARY}：候选项目是内存中的表格（不是文件），无法从磁盘重新读取",
                                           f"{out_dir / SUMMARY}: the candidates were an in-memory table "
                                           "(not a file), so the run cannot be re-read from disk"))
            continue
        path = _locate(name, summary, roots)
        if not path.is_file():
            report.missing.append(name)
            report.problems.append(say(f"{name}：找不到记录的输入文件（已在 {'、'.join(roots)} 中查找）",
                                       f"{name}: recorded input not found (looked in {', '.join(roots)})"))
            continue
        if name in sheets and name not in inputs:
            sheet_paths.append(path)
        now = _sha256(path.read_bytes())
        if now != recorded:
            report.changed.append(name)
            report.problems.append(say(f"{name}：运行后已被改动（记录的 sha256 {recorded[:12]}…，现在 {now[:12]}…），未重新求解",
                                       f"{name}: changed since the run (sha256 recorded {recorded[:12]}…, "
                                       f"now {now[:12]}…) — not re-solved"))
    if report.problems and (report.changed or report.missing):
        return report

    scenario = summary.get("scenario") or next((k for k in inputs if k.lower().endswith(".toml")), None)
    if not isinstance(scenario, str):
        report.problems.append(say(f"{out_dir / SUMMARY}：记录的输入中没有情景文件",
                                   f"{out_dir / SUMMARY}: no scenario file among the recorded inputs"))
        return report
    report.scenario = _locate(scenario, summary, roots)
    try:
        report.candidates = _candidates_used(summary, inputs, report.scenario, roots)
    except PlannerError as exc:
        first = str(exc).splitlines()[0]
        report.problems.append(say(f"{scenario}：无法重新读取：{first}", f"{scenario}: cannot be read again: {first}"))
        return report

    recorded_versions = summary.get("versions") or {}
    current = versions()
    for package, version in sorted(recorded_versions.items() if isinstance(recorded_versions, dict) else ()):
        if current.get(package) != version:
            now_version = current.get(package)
            report.notes.append(say(f"{package} 记录为 {version}，现在为 {now_version or '未安装'}",
                                    f"{package} {version} recorded, {now_version or 'absent'} now"))
    if report.recorded_status and report.recorded_status != "OPTIMAL":
        report.notes.append(say(f"记录的运行以 {report.recorded_status} 结束（时限已到）：重新运行可能得到同分或更高分的另一份名单",
                                f"the recorded run ended {report.recorded_status} (time limit): a re-run may find "
                                "another slate of the same or a better score"))
    if settings["edits"]:
        report.notes.append(say(f"假设分析：重放了情景的 {len(settings['edits'])} 处修改",
                                f"a what-if: {len(settings['edits'])} edit(s) of the scenario replayed"))
    if (out_dir / "counterfactuals.csv").is_file():
        report.notes.append(say("counterfactuals.csv（由 planner explain --all 写出，用于复函）此处不重新运行："
                                "请再运行一次 planner explain --all 加以确认",
                                "counterfactuals.csv (written by planner explain --all, read into the letters) "
                                "is not re-run here: run planner explain --all again to confirm it"))

    limit = float(time_limit_s if time_limit_s is not None else settings["time_limit_s"])
    threads = int(workers if workers is not None else settings["workers"])
    backend = {"backend": settings["backend"]} if settings["backend"] else {}
    report.rerun_what = _rerun_what(report, summary, settings, limit, threads)
    try:
        loaded = _scenario_of(report.scenario, summary, settings, roots, out_dir / SUMMARY)
        candidates = report.candidates
        if table_edits:
            candidates = _edited_table(loaded, table_edits, inputs.get(FRAME_KEY), summary, roots)
        result = solve(loaded, candidates=candidates, time_limit_s=limit, seed=settings["seed"],
                       workers=threads, scores=sheet_paths or None, **backend)
        if summary.get("explain"):              # the run filled counterfactuals into `reason`
            from planner.explain import explain_all, merge
            result.explanations = merge(result.explanations, explain_all(result, time_limit_s=max(10.0, limit)))
            result.slate["reason"] = result.explanations["reason"].to_numpy()
            result.summary["explain"] = True
        with tempfile.TemporaryDirectory(prefix="planner-verify-") as tmp:
            save(result, Path(tmp) / "out")
            data = (Path(tmp) / "out" / SLATE).read_bytes()
            rerun_summary = json.loads((Path(tmp) / "out" / SUMMARY).read_text("utf-8"))
            xlsx_problems = _compare_xlsx(out_dir / SLATE_XLSX, Path(tmp) / "out" / SLATE_XLSX)
            xlsx_problems += _compare_tables(out_dir, Path(tmp) / "out")
    except PlannerError as exc:
        report.rerun = True
        report.same_slate = False
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        report.problems.append(say(f"重新运行失败：{why}", f"the re-run failed: {why}"))
        return report
    report.rerun = True
    report.status = str(result.summary.get("status", ""))
    report.rerun_sha256 = _sha256(data)
    report.same_slate = report.rerun_sha256 == report.recorded_sha256
    if not report.same_slate:
        old, new = report.recorded_sha256[:12], report.rerun_sha256[:12]
        report.problems.append(say(f"{slate_path}：重新运行得到不同的 {SLATE}（记录的 sha256 {old}…，重新运行 {new}…）",
                                   f"{slate_path}: the re-run gives a different {SLATE} (sha256 recorded "
                                   f"{old}…, re-run {new}…)"))
    report.problems.extend(xlsx_problems)
    proven = report.recorded_status == "OPTIMAL"     # a time-limited run may be improved on by its re-run
    keys = REPRODUCED if proven else tuple(k for k in REPRODUCED if k != "status") if report.same_slate else (
        "name", "year", "n_candidates", "force_in", "force_out", "edits")
    for key in keys:
        if key in summary and key in rerun_summary and summary[key] != rerun_summary[key]:
            was, now = _short(summary[key]), _short(rerun_summary[key])
            report.problems.append(say(f"{out_dir / SUMMARY}：{key} 记录为 {was}，重新运行得到 {now}",
                                       f"{out_dir / SUMMARY}: {key} recorded {was}, the re-run gives {now}"))
    log.info("verify %s: %s", out_dir, "same slate" if report.same_slate else "different slate")
    return report


def _summary_against_slate(summary: dict[str, Any], slate: Any, where: Path) -> list[str]:
    """summary.json's counts and total against the recorded slate.csv itself (true whatever the
    status: a count edited by hand is found without a re-run)."""
    problems = []
    year = summary.get("year")
    rows = slate[slate["year"] == year] if isinstance(year, int) and "year" in slate else slate
    counted = {"n_selected": int(rows["selected"].sum()), "n_national": int(rows["national"].sum())}
    column = summary.get("maximise") if isinstance(summary.get("maximise"), str) else "score"
    if column in rows:
        import pandas as pd
        counted["total_score"] = round(float(pd.to_numeric(rows[column], errors="coerce")[rows["selected"]].sum()), 1)
    for key, value in counted.items():
        recorded = summary.get(key)
        if isinstance(recorded, (int, float)) and not isinstance(recorded, bool) and abs(recorded - value) > 0.051:
            was, now = _short(recorded), _short(value)
            problems.append(say(f"{where}：{key} 记录为 {was}，而记录的 {SLATE} 算得 {now}",
                                f"{where}: {key} recorded {was}, the recorded {SLATE} gives {now}"))
    return problems


def _rerun_what(report: VerifyReport, summary: dict[str, Any], settings: dict[str, Any], limit: float,
                threads: int) -> list[str]:
    """What the re-run solves, said so a swapped scenario or a pinned project cannot pass unseen."""
    from planner.rules import describe_edits
    lines = [say(f"情景 {report.scenario}" + (f"，候选项目 {report.candidates}" if report.candidates else ""),
                 f"scenario {report.scenario}" + (f", candidates {report.candidates}" if report.candidates else ""))]
    for key, word in (("force_in", say("指定入选", "forced in")), ("force_out", say("指定不入选", "forced out"))):
        pins = summary.get(key) or []
        if pins:
            more = len(pins) - 10
            shown = say("、".join(map(str, pins[:10])) + (f" 等（另有 {more} 个）" if more > 0 else ""),
                        ", ".join(map(str, pins[:10])) + (f" and {more} more" if more > 0 else ""))
            lines.append(say(f"{word} {len(pins)} 个（{key}）：{shown}", f"{len(pins)} {word} ({key}): {shown}"))
    try:
        lines += [say(f"修改：{e}", f"edit: {e}") for e in describe_edits(settings["edits"])]
    except PlannerError:
        lines += [say(f"修改：{_short(e)}", f"edit: {_short(e)}") for e in settings["edits"]]
    backend, seed = settings["backend"] or "cpsat", settings["seed"]
    lines.append(say(f"求解器 {backend}，随机种子 {seed}，线程 {threads}，时限 {'不限' if math.isinf(limit) else f'{limit:g} 秒'}",
                     f"backend {backend}, seed {seed}, workers {threads}, "
                     f"time limit {'none' if math.isinf(limit) else f'{limit:g} s'}"))
    return lines


def _compare_tables(recorded: Path, rerun: Path) -> list[str]:
    """The tables published beside slate.csv (`PUBLISHED`) against the re-run's, byte for byte,
    naming the first differing row."""
    problems = []
    for name in PUBLISHED:
        ours, theirs = recorded / name, rerun / name
        if not theirs.is_file():
            continue
        if not ours.is_file():
            problems.append(say(f"{ours}：缺失（重新运行会写出它）", f"{ours}: missing (the re-run writes it)"))
            continue
        a, b = ours.read_bytes(), theirs.read_bytes()
        if a == b:
            continue
        lines_a, lines_b = a.decode("utf-8", "replace").splitlines(), b.decode("utf-8", "replace").splitlines()
        row = next((i for i, (x, y) in enumerate(zip(lines_a, lines_b), 1) if x != y), min(len(lines_a), len(lines_b)) + 1)
        cells_a, cells_b = (next(csv.reader([lines[row - 1]]), []) if row <= len(lines) else []
                            for lines in (lines_a, lines_b))
        header = next(csv.reader(lines_b[:1]), [])
        col = next((k for k in range(max(len(cells_a), len(cells_b)))
                    if (cells_a[k:k + 1] or [None]) != (cells_b[k:k + 1] or [None])), 0)
        name_of = header[col] if col < len(header) else _column_letter(col)
        no_cell = say("（无此单元格）", "(no cell)")
        found = _short(cells_a[col]) if col < len(cells_a) else no_cell
        expected = _short(cells_b[col]) if col < len(cells_b) else no_cell
        problems.append(say(f"{ours}:{row}:{name_of}：发现 {found}，重新运行写出的是 {expected}",
                            f"{ours}:{row}:{name_of}: found {found}, the re-run writes {expected}"))
    return problems


def _settings(summary: dict[str, Any], where: Path) -> dict[str, Any]:
    """The recorded re-run settings, each checked (a hand-edited summary is an input error, located)."""
    problems = []

    def bad(key: str, expected: str) -> None:
        problems.append(Problem(str(where), f"{key} = {json.dumps(summary.get(key), ensure_ascii=False)}", expected,
                                column=key))

    seed, threads = summary.get("seed", 0), summary.get("workers", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2 ** 31:
        bad("seed", say("0–2147483647 之间的整数随机种子", "an integer seed in 0–2147483647"))
    if not isinstance(threads, int) or isinstance(threads, bool) or not 0 <= threads <= 1024:
        bad("workers", say("≥ 0 的整数线程数", "an integer worker count ≥ 0"))
    limit = summary.get("time_limit_s", 60.0)
    if limit is None:                           # `--time-limit inf`, written as null
        limit = math.inf
    elif not isinstance(limit, (int, float)) or isinstance(limit, bool) or not limit > 0:
        bad("time_limit_s", say("正的秒数，或 null（不限时）", "a positive number of seconds, or null (no limit)"))
    backend = summary.get("backend")
    if backend is not None and not isinstance(backend, str):
        bad("backend", say('求解器名称，如 "cpsat"', 'a backend name such as "cpsat"'))
    edits = summary.get("edits", [])
    if not isinstance(edits, list):
        bad("edits", say("修改的列表", "a list of edits"))
        edits = []
    for key in ("force_in", "force_out"):
        value = summary.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            bad(key, say("项目编号的列表", "a list of candidate ids"))
    if problems:
        raise InputError(problems)
    return {"seed": seed, "workers": threads, "time_limit_s": limit, "backend": backend, "edits": edits}


def _table_edits(edits: list[Any], where: Path) -> list[Any]:
    from planner.rules import table_edits
    try:
        return table_edits(edits, str(where))
    except PlannerError as exc:
        raise InputError(exc.problems) from None


def _scenario_of(path: Path, summary: dict[str, Any], settings: dict[str, Any], roots: list[str],
                 where: Path) -> Any:
    """The scenario the run solved: the file, then the recorded what-if edits replayed (or, for a
    summary without edits, the pins given on the command line)."""
    from planner.rules import edit_from_json, load_scenario, replay
    scenario = load_scenario(path)
    if "edits" not in summary:                   # written before edits were recorded
        pins_in = [p for p in summary.get("force_in", []) if p not in scenario.force_in]
        pins_out = [p for p in summary.get("force_out", []) if p not in scenario.force_out]
        if pins_in or pins_out:                 # pins given on the command line (--force-in/--force-out)
            scenario = scenario.pinned(force_in=pins_in, force_out=pins_out)
        return scenario
    edits = []
    for item in settings["edits"]:
        edit = edit_from_json(item, str(where))
        if edit.what == "candidates" and isinstance(edit.new, str):
            edit = dataclasses.replace(edit, new=str(_locate(edit.new, summary, roots)))
        elif edit.what == "history" and isinstance(edit.new, list):
            edit = dataclasses.replace(edit, new=[str(_locate(p, summary, roots)) for p in edit.new
                                                  if isinstance(p, str)])
        edits.append(edit)
    return replay(scenario, edits, str(where))


def _edited_table(scenario: Any, edits: list[Any], recorded: str | None, summary: dict[str, Any],
                  roots: list[str]) -> Any:
    """The candidate table of a what-if that withdrew units: re-read and withdrawn again, and
    confirmed to hash as the recorded table did."""
    from planner.api.whatif import without_units
    from planner.rounds.finish import input_hashes
    from planner.rules import read_candidates
    source = edits[0].old
    if not isinstance(source, str):
        raise InputError([Problem(SUMMARY, say("从内存中的表格撤下的单位", "units withdrawn from an in-memory table"),
                                  say("从文件读入的表格", "a table read from a file"), column="edits")])
    frame = read_candidates(scenario, _locate(source, summary, roots))
    for edit in edits:
        frame = without_units(frame, *map(str, edit.new or []), note=edit.note)
    now = input_hashes(scenario, read_candidates(scenario, frame)).get(FRAME_KEY)
    if recorded is not None and now != recorded:
        raise InputError([Problem(source, say("撤下记录的单位后，与该次运行求解的表格不同的表格",
                                              "a table that, with the recorded units withdrawn, differs from the "
                                              "table the run solved"), say("该次运行的表格", "the table of the run"))])
    return frame


def _compare_xlsx(recorded: Path, rerun: Path) -> list[str]:
    """slate.xlsx recorded against the re-run's, cell by cell (the file's own metadata — when it
    was written — differs by design)."""
    if not recorded.is_file():
        return [say(f"{recorded}：缺失（每次运行都与 {SLATE} 一同写出）",
                    f"{recorded}: missing (written with {SLATE} by every run)")] if rerun.is_file() else []
    import openpyxl
    try:
        books = [openpyxl.load_workbook(p, read_only=True, data_only=True) for p in (recorded, rerun)]
    except Exception as exc:                    # noqa: BLE001 — any unreadable workbook is a tampered one
        return [say(f"{recorded}：无法作为工作簿读取（{type(exc).__name__}）",
                    f"{recorded}: cannot be read as a workbook ({type(exc).__name__})")]
    problems = []
    old, new = books
    if old.sheetnames != new.sheetnames:
        problems.append(say(f"{recorded}：工作表为 {old.sheetnames}，重新运行写出的是 {new.sheetnames}",
                            f"{recorded}: sheets {old.sheetnames}, the re-run writes {new.sheetnames}"))
    for name in [n for n in old.sheetnames if n in new.sheetnames]:
        rows_old = list(old[name].iter_rows(values_only=True))
        rows_new = list(new[name].iter_rows(values_only=True))
        if len(rows_old) != len(rows_new):
            problems.append(say(f"{recorded}：工作表 {name} 有 {len(rows_old)} 行，重新运行为 {len(rows_new)} 行",
                                f"{recorded}: sheet {name} has {len(rows_old)} rows, the re-run {len(rows_new)}"))
            continue
        for r, (a, b) in enumerate(zip(rows_old, rows_new), 1):
            width = max(len(a), len(b))
            a, b = (*a, *[None] * (width - len(a))), (*b, *[None] * (width - len(b)))
            if a != b:
                col = next(k for k in range(width) if a[k] != b[k])
                where, was, now = f"{recorded}:{r}:{_column_letter(col)}", _short(a[col]), _short(b[col])
                problems.append(say(f"{where}：发现 {was}，重新运行写出的是 {now}",
                                    f"{where}: found {was}, the re-run writes {now}"))
                break
    for book in books:
        book.close()
    return problems


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "…"


def _candidates_used(summary: dict[str, Any], inputs: dict[str, str], scenario: Path,
                    roots: list[str]) -> Path | None:
    """The candidate table the recorded run solved, when it is not the scenario's own (``--candidates``).

    The summary names it as ``candidates`` when it can; otherwise it is the one recorded input
    that is neither a scenario file nor a history slate of the scenario.
    """
    if isinstance(summary.get("candidates"), str) and summary["candidates"]:
        return _locate(summary["candidates"], summary, roots)
    from planner.rules import load_scenario

    loaded = load_scenario(scenario)
    known = {_same(p) for p in (*loaded.raw.get("_sources", []), scenario, *loaded.history)}
    tables = [_locate(k, summary, roots) for k in inputs if k != FRAME_KEY and not k.lower().endswith(".toml")]
    tables = [t for t in tables if _same(t) not in known]
    if len(tables) == 1 and (loaded.candidates is None or _same(tables[0]) != _same(loaded.candidates)):
        return tables[0]
    return None


def _roots(summary: dict[str, Any], out_dir: Path | None = None) -> list[str]:
    """Where a relative input path is looked for: the folder the run was made in, this one, then
    the folders above the output folder (a project moved as a whole, verified from elsewhere)."""
    recorded = summary.get("working_dir")
    roots = [str(recorded)] if isinstance(recorded, str) and recorded else []
    above = [str(p) for p in Path(out_dir).resolve().parents][:4] if out_dir is not None else []
    for root in (str(Path.cwd()), *above):
        if root not in roots:
            roots.append(root)
    return roots


def _locate(name: str, summary: dict[str, Any], roots: list[str] | None = None) -> Path:
    """A recorded input path as a file here (the first root holding it; the path as given if none).

    An absolute path that is gone but lay inside the folder the run was made in is looked for
    at the same place under the other roots (the project folder was moved)."""
    roots = _roots(summary) if roots is None else roots
    path = Path(name)
    if path.is_absolute():
        recorded = summary.get("working_dir")
        if path.is_file() or not isinstance(recorded, str) or not recorded:
            return path
        try:
            path = path.relative_to(recorded)
        except ValueError:
            return Path(name)
    return next((Path(root) / path for root in roots if (Path(root) / path).is_file()), Path(name))


def _same(path: str | Path) -> str:
    return str(Path(path).resolve())


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
