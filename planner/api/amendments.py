"""`pl.amend(...)`: a published round amended with the fewest changes, from a Result or a run folder.

Owns what only a face needs around `rounds.amend.amend_round`: reading the round back from a run
folder (the scenario, candidate table and what-if edits recorded in its summary.json, as
`api.verify` replays them; an amendment folder read as its root run plus every request so far),
writing an amendment folder (`save_amendment`: the run files, ``changes.csv`` and summary.json's
``amendment`` record — the base folder with the sha256 of its slate.csv and summary.json, every
change, who asked and why, the 文号 and date of the amended list), and replaying it
(`verify_amendment`, ``planner amend --verify``). The base folder is never written to.

Does not own the model of an amendment (`rounds.amend`) nor its documents (`show.amendment`).
"""
from __future__ import annotations

import datetime as dt
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from planner.api.verify import FRAME_KEY, VerifyReport, _candidates_used, _edited_table, _locate, _roots, \
    _scenario_of, _settings, _sha256, _table_edits
from planner.errors import InputError, PlannerError, Problem
from planner.inputs import read_slate, read_summary
from planner.lang import say
from planner.rounds.amend import Amendment, Requests, amend_round, slate_hashes
from planner.rounds.chain import save
from planner.rounds.result import Result
from planner.rules import Scenario, read_candidates
from planner.rules.publication import NUMBER_PATTERN

CHANGES_CSV = "changes.csv"
SLATE_COLUMNS_ADDED = ("selected", "national", "reason")


@dataclass
class Base:
    """A published round read back: what an amendment starts from.

    Attributes
    ----------
    scenario, frame : the round as it was solved (before any amendment's requests)
    slate : DataFrame
        The published decisions (the base's slate).
    earlier : Requests
        Requests already in force (an amendment amended again), else empty.
    folder : Path or None
        The base run folder (None for an in-memory Result).
    root : Path or None
        The `planner solve` folder at the start of the chain.
    settings : dict
        seed, workers, time_limit_s recorded by the base.
    """

    scenario: Scenario
    frame: pd.DataFrame
    slate: pd.DataFrame
    earlier: Requests
    folder: Path | None
    root: Path | None
    settings: dict[str, Any]


def amend(base: Result | str | Path, *, withdraw: list[str] | tuple[str, ...] = (),
          ineligible: list[str] | tuple[str, ...] = (), rescore: dict[str, float] | None = None,
          reasons: dict[str, str] | None = None, asked_by: str = "", note: str = "",
          time_limit_s: float | None = None, seed: int | None = None, workers: int | None = None,
          full_resolve: bool = True) -> Amendment:
    """Amend a published round with the fewest changes to its published decisions.

    Lexicographic: every hard rule; then the fewest departures of published projects (provincial
    list and national picks) not asked for; then the score and the national picks as any round
    (each vacancy filled by the best project the rules allow). docs/amend.md has the details.

    Parameters
    ----------
    base : Result or path
        A solved round (``pl.solve``), or a run folder written by ``planner solve --out`` or by
        an earlier amendment (the chain continues from it).
    withdraw, ineligible : list of str
        Candidate ids withdrawn by their unit / found ineligible: out, never re-enter.
    rescore : dict, optional
        candidate_id → corrected score; the project is judged on it.
    reasons : dict, optional
        candidate_id → free text (why), recorded and printed in the 调整说明.
    asked_by, note : str
        Who asked; a reason for the whole amendment.
    time_limit_s, seed, workers : optional
        Solver settings (default: those the base recorded).
    full_resolve : bool
        Also solve the requests as a full re-solve, reported beside (default True).

    Returns
    -------
    Amendment
        ``.slate``, ``.changes`` (one row per change, with its cause and rule), ``.summary``
        (``amendment``: counts, the full re-solve's changes and score), ``.full``.

    Raises
    ------
    InputError
        An unreadable base folder, a changed input of the base, an unknown id.
    InfeasibleError
        No slate meets the hard rules with these requests.
    """
    loaded = load_base(base)
    requests = Requests(withdraw=tuple(map(str, withdraw)), ineligible=tuple(map(str, ineligible)),
                        rescore={str(k): float(v) for k, v in (rescore or {}).items()},
                        reasons={str(k): str(v) for k, v in (reasons or {}).items()}, asked_by=asked_by, note=note)
    if not requests.ids:
        raise InputError([Problem("amend", say("没有任何调整请求", "no request"),
                                  say("至少一个 --withdraw、--ineligible 或 --rescore", "at least one --withdraw, "
                                      "--ineligible or --rescore"))])
    settings = loaded.settings
    amendment = amend_round(loaded.scenario, loaded.frame, loaded.slate, requests, earlier=loaded.earlier,
                            time_limit_s=float(time_limit_s if time_limit_s is not None else settings["time_limit_s"]),
                            seed=int(seed if seed is not None else settings["seed"]),
                            workers=int(workers if workers is not None else settings["workers"]),
                            full_resolve=full_resolve)
    record = amendment.result.summary["amendment"]
    record["base"] = {"path": str(loaded.folder.resolve()) if loaded.folder else None,
                      "sha256": slate_hashes(loaded.folder) if loaded.folder else {},
                      "amendment": bool(loaded.earlier.ids)}
    record["root"] = str(loaded.root.resolve()) if loaded.root else None
    record["step"] = int(loaded.settings.get("step", 0)) + 1
    return amendment


def load_base(base: Result | str | Path) -> Base:
    """The round a base stands for, with its published slate (see `Base`).

    Raises
    ------
    InputError
        A folder that is not a run folder, an input changed since the run, or a recorded input gone.
    """
    if isinstance(base, Result):
        summary = base.summary
        earlier = _earlier(summary, "Result.summary")
        frame = base.slate.drop(columns=[c for c in SLATE_COLUMNS_ADDED if c in base.slate])
        settings = {k: summary.get(k, d) for k, d in (("seed", 0), ("workers", 0), ("time_limit_s", 60.0))}
        settings["step"] = (summary.get("amendment") or {}).get("step", 0)
        return Base(base.scenario, frame, base.slate, earlier, None, None, settings)
    folder = Path(base)
    summary = read_summary(folder)
    slate = read_slate(folder)
    record = summary.get("amendment")
    if record is not None:
        root = record.get("root") if isinstance(record, dict) else None
        if not isinstance(root, str) or not Path(root).is_dir():
            raise InputError([Problem(str(folder / "summary.json"), json.dumps(root, ensure_ascii=False),
                                      say("调整所依据的最初求解文件夹（amendment.root）", "the solve folder the chain "
                                          "starts from (amendment.root)"), column="amendment.root")])
        scenario, frame, settings = _solved_round(Path(root))
        settings["step"] = int(record.get("step", 1))
        return Base(scenario, frame, slate, _earlier(summary, str(folder / "summary.json")), folder, Path(root),
                    settings)
    scenario, frame, settings = _solved_round(folder)
    settings["step"] = 0
    return Base(scenario, frame, slate, Requests(), folder, folder, settings)


def _earlier(summary: dict[str, Any], where: str) -> Requests:
    record = summary.get("amendment")
    if not record:
        return Requests()
    return Requests.from_json(record.get("all_requests", {}) if isinstance(record, dict) else record, where)


def _solved_round(folder: Path) -> tuple[Scenario, pd.DataFrame, dict[str, Any]]:
    """The scenario and candidate table a `planner solve` folder recorded, its inputs unchanged."""
    where = folder / "summary.json"
    summary = read_summary(folder)
    settings = _settings(summary, where)
    roots = _roots(summary, folder)
    inputs = summary.get("inputs") or {}
    table_edits = _table_edits(settings["edits"], where)
    problems = []
    for name, recorded in inputs.items() if isinstance(inputs, dict) else ():
        if name == FRAME_KEY:
            if not table_edits:
                problems.append(Problem(str(where), say("候选项目表是内存中的表", "an in-memory candidate table"),
                                        say("从文件读入的候选项目表（才能重新读出本轮）", "a table read from a file"),
                                        column="inputs"))
            continue
        path = _locate(name, summary, roots)
        if not path.is_file():
            problems.append(Problem(name, say("文件已不存在", "no such file"), say("求解时记录的输入文件",
                                                                          "the input recorded by the run")))
        elif _sha256(path.read_bytes()) != recorded:
            problems.append(Problem(name, say("求解后已被修改（sha256 不同）", "changed since the run (sha256)"),
                                    say("与求解时相同的文件", "the file as the run read it"),
                                    hint=say("调整必须基于公示时的同一份输入", "an amendment starts from the inputs "
                                             "of the published round")))
    scenario_name = summary.get("scenario")
    if not isinstance(scenario_name, str) or not scenario_name:
        problems.append(Problem(str(where), say("没有记录情景文件", "no scenario recorded"), say("scenario 字段",
                                                                                      "a scenario field"),
                                column="scenario"))
    if problems:
        raise InputError(problems)
    scenario_path = _locate(scenario_name, summary, roots)
    scenario = _scenario_of(scenario_path, summary, settings, roots, where)
    candidates = _candidates_used(summary, inputs, scenario_path, roots)
    if table_edits:
        frame = _edited_table(scenario, table_edits, inputs.get(FRAME_KEY), summary, roots)
    else:
        frame = read_candidates(scenario, candidates)
    limit = settings["time_limit_s"]
    return scenario, frame, {"seed": settings["seed"], "workers": settings["workers"],
                             "time_limit_s": 60.0 if limit == float("inf") else limit}


def check_publication(number: str = "", date: str | dt.date | None = None) -> tuple[str, str]:
    """The amendment's 文号 and date checked (``""`` when not given).

    Raises
    ------
    InputError
        A 文号 not shaped 机关代字〔年份〕序号号, a date not YYYY-MM-DD.
    """
    problems = []
    number = (number or "").strip()
    if number and not NUMBER_PATTERN.match(number):
        problems.append(Problem("--number", f'"{number}"', say("文号，形如 吉教职成〔2023〕15号",
                                                               "a 文号 such as 吉教职成〔2023〕15号")))
    text = ""
    if date:
        try:
            text = (date if isinstance(date, dt.date) else dt.date.fromisoformat(str(date).strip())).isoformat()
        except ValueError:
            problems.append(Problem("--date", f'"{date}"', say("日期 YYYY-MM-DD，如 2023-11-20",
                                                               "a date YYYY-MM-DD such as 2023-11-20")))
    if problems:
        raise InputError(problems)
    return number, text


def default_out(folder: Path) -> Path:
    """``<base>_调整1``, ``_调整2`` … beside the base (the first that does not exist)."""
    stem = folder.name.split("_调整")[0]
    k = 1
    while (folder.parent / f"{stem}_调整{k}").exists():
        k += 1
    return folder.parent / f"{stem}_调整{k}"


def refuse_base(out_dir: str | Path, base: str | Path) -> None:
    """An InputError when `out_dir` is the base folder (an amendment never writes into its base)."""
    if Path(out_dir).resolve() == Path(base).resolve():
        raise InputError([Problem(str(out_dir), say("基础名单的文件夹", "the base run folder"),
                                  say("另一个文件夹（基础名单从不改写）", "another folder (the base is never written)"),
                                  column="--out")])


def save_amendment(amendment: Amendment, out_dir: str | Path, *, number: str = "", date: str | None = None
                   ) -> list[Path]:
    """Write the amendment folder: the run files, changes.csv and summary.json with its record.

    Parameters
    ----------
    number, date : str
        The 文号 and date of the amended list (recorded; `planner publish` prints them).

    Raises
    ------
    InputError
        `out_dir` is the base folder (never modified), or a bad 文号/date.
    """
    out_dir = Path(out_dir)
    record = amendment.result.summary["amendment"]
    base = record.get("base", {}).get("path")
    if base:
        refuse_base(out_dir, base)
    record["number"], record["date"] = check_publication(number, date)
    return save(amendment.result, out_dir, extra_tables={CHANGES_CSV: amendment.changes})


def verify_amendment(folder: str | Path, *, chain: bool = True) -> VerifyReport:
    """Replay an amendment folder: its base unchanged (sha256), the same requests re-solved give the
    same slate.csv and changes.csv byte for byte; with `chain`, its base verified the same way (an
    amendment) or by `api.verify.verify` (the root solve)."""
    from planner.api.verify import verify

    folder = Path(folder)
    summary = read_summary(folder)
    report = VerifyReport(out_dir=folder, recorded_status=str(summary.get("status", "")))
    record = summary.get("amendment")
    slate_path = folder / "slate.csv"
    if not isinstance(record, dict) or not slate_path.is_file():
        report.problems.append(say(f"{folder}：不是 planner amend 写出的文件夹（summary.json 没有 amendment）",
                                   f"{folder}: not written by planner amend (no amendment in summary.json)"))
        return report
    report.recorded_sha256 = _sha256(slate_path.read_bytes())
    base = Path(str((record.get("base") or {}).get("path") or ""))
    recorded = (record.get("base") or {}).get("sha256") or {}
    if not base.is_dir():
        report.problems.append(say(f"基础名单文件夹 {base} 不存在", f"the base folder {base} is gone"))
        return report
    now = slate_hashes(base)
    for name, value in recorded.items():
        if now.get(name) != value:
            report.changed.append(str(base / name))
            report.problems.append(say(f"{base / name}：调整后已被修改（sha256 不同）",
                                       f"{base / name}: changed since the amendment (sha256)"))
    if report.problems:
        return report
    if chain:
        inner = verify_amendment(base) if (record.get("base") or {}).get("amendment") else verify(base)
        report.rerun_what.append(say(f"基础名单 {base}：{'已核实' if inner.ok else '未能核实'}",
                                     f"base {base}: {'verified' if inner.ok else 'NOT verified'}"))
        report.problems += inner.problems
    requests = Requests.from_json(record.get("requests", {}), str(folder / "summary.json"))
    try:
        again = amend(base, withdraw=requests.withdraw, ineligible=requests.ineligible, rescore=requests.rescore,
                      reasons=requests.reasons, asked_by=requests.asked_by, note=requests.note,
                      time_limit_s=summary.get("time_limit_s") or 60.0, seed=summary.get("seed", 0),
                      workers=summary.get("workers", 0), full_resolve=False)
        with tempfile.TemporaryDirectory(prefix="planner-amend-verify-") as tmp:
            save_amendment(again, Path(tmp) / "out", number=record.get("number", ""), date=record.get("date") or None)
            data = {name: (Path(tmp) / "out" / name).read_bytes() for name in ("slate.csv", CHANGES_CSV)}
    except PlannerError as exc:
        report.rerun, report.same_slate = True, False
        report.problems.append(say(f"重新求解失败：{exc}", f"the re-run failed: {exc}"))
        return report
    report.rerun = True
    report.status = str(again.summary.get("status", ""))
    report.rerun_sha256 = _sha256(data["slate.csv"])
    report.same_slate = report.rerun_sha256 == report.recorded_sha256
    report.rerun_what.append(say(f"调整请求：{_describe(requests)}", f"requests: {_describe(requests)}"))
    if not report.same_slate:
        report.problems.append(say(f"{slate_path}：重新求解得到不同的名单", f"{slate_path}: the re-run gives another slate"))
    changes = folder / CHANGES_CSV
    if changes.is_file() and changes.read_bytes() != data[CHANGES_CSV]:
        report.problems.append(say(f"{changes}：重新求解得到不同的变动", f"{changes}: the re-run gives other changes"))
    return report


def _describe(requests: Requests) -> str:
    parts = []
    for word, ids in ((say("撤回", "withdraw"), requests.withdraw), (say("不符合条件", "ineligible"), requests.ineligible),
                      (say("复核分数", "rescore"), [f"{k}={v:g}" for k, v in requests.rescore.items()])):
        if ids:
            parts.append(f"{word} {', '.join(ids)}")
    return "；".join(parts)
