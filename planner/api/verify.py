"""Re-running a solved round from its `summary.json` and confirming the same slate (provenance).

Owns `verify(out_dir)`: read the summary a `planner solve` run wrote, check that every input it
records still has the recorded sha256 — a changed or missing input is reported, never silently
re-solved — then re-run the solve with the recorded seed, workers, time limit and backend into a
temporary folder and compare the new `slate.csv` with the recorded one byte for byte.

Does not own solving, auditing or writing outputs (`api`, `report`) nor the command line flag
(`planner solve --verify OUT_DIR` lives in `cli`). Never writes into `out_dir`.
"""
from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner.errors import InputError, PlannerError, Problem

log = logging.getLogger(__name__)

SUMMARY = "summary.json"
SLATE = "slate.csv"
FRAME_KEY = "<candidates frame>"


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

    @property
    def ok(self) -> bool:
        """True when every input is unchanged and the re-run gave the same slate.csv."""
        return not self.problems and self.same_slate is True

    def lines(self) -> list[str]:
        """One line per finding, as the CLI prints them."""
        head = (f"{self.out_dir}: verified — the re-run gives the same {SLATE} (sha256 {self.recorded_sha256[:12]})"
                if self.ok else f"{self.out_dir}: NOT verified")
        return [head, *self.problems, *(f"note: {n}" for n in self.notes)]


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
    from planner.rounds import save, solve, versions

    out_dir = Path(out_dir)
    summary = _read_summary(out_dir)
    slate_path = out_dir / SLATE
    if not slate_path.is_file():
        raise InputError([Problem(str(slate_path), "no such file", f"the {SLATE} written with {SUMMARY}")])
    report = VerifyReport(out_dir=out_dir, recorded_sha256=_sha256(slate_path.read_bytes()),
                          recorded_status=str(summary.get("status", "")))

    inputs: dict[str, str] = summary.get("inputs") or {}
    if not isinstance(inputs, dict) or not inputs:
        report.problems.append(f"{out_dir / SUMMARY}: no input hashes recorded — nothing to re-run from")
        return report
    for name, recorded in inputs.items():
        if name == FRAME_KEY:
            report.missing.append(name)
            report.problems.append(f"{out_dir / SUMMARY}: the candidates were an in-memory table "
                                   "(not a file), so the run cannot be re-read from disk")
            continue
        path = _locate(name, summary)
        if not path.is_file():
            report.missing.append(name)
            report.problems.append(f"{name}: recorded input not found (looked in {', '.join(_roots(summary))})")
            continue
        now = _sha256(path.read_bytes())
        if now != recorded:
            report.changed.append(name)
            report.problems.append(f"{name}: changed since the run (sha256 recorded {recorded[:12]}…, "
                                   f"now {now[:12]}…) — not re-solved")
    if report.problems:
        return report

    scenario = summary.get("scenario") or next((k for k in inputs if k.lower().endswith(".toml")), None)
    if scenario is None:
        report.problems.append(f"{out_dir / SUMMARY}: no scenario file among the recorded inputs")
        return report
    report.scenario = _locate(scenario, summary)
    try:
        report.candidates = _candidates_used(summary, inputs, report.scenario)
    except PlannerError as exc:
        report.problems.append(f"{scenario}: cannot be read again: {str(exc).splitlines()[0]}")
        return report

    recorded_versions = summary.get("versions") or {}
    current = versions()
    for package, version in sorted(recorded_versions.items()):
        if current.get(package) != version:
            report.notes.append(f"{package} {version} recorded, {current.get(package, 'absent')} now")
    if report.recorded_status and report.recorded_status != "OPTIMAL":
        report.notes.append(f"the recorded run ended {report.recorded_status} (time limit): a re-run may find "
                            "another slate of the same or a better score")

    limit = float(time_limit_s if time_limit_s is not None else summary.get("time_limit_s", 60.0))
    threads = int(workers if workers is not None else summary.get("workers", 0))
    seed = int(summary.get("seed", 0))
    settings = {"backend": summary["backend"]} if summary.get("backend") else {}
    try:
        from planner.rules import load_scenario
        scenario = load_scenario(report.scenario)
        pins_in = [p for p in summary.get("force_in", []) if p not in scenario.force_in]
        pins_out = [p for p in summary.get("force_out", []) if p not in scenario.force_out]
        if pins_in or pins_out:                 # pins given on the command line (--force-in/--force-out)
            scenario = scenario.pinned(force_in=pins_in, force_out=pins_out)
        result = solve(scenario, candidates=report.candidates, time_limit_s=limit, seed=seed,
                           workers=threads, **settings)
        if summary.get("explain"):              # the run filled counterfactuals into `reason`
            from planner.explain import explain_all, merge
            result.explanations = merge(result.explanations, explain_all(result, time_limit_s=max(10.0, limit)))
            result.slate["reason"] = result.explanations["reason"].to_numpy()
        with tempfile.TemporaryDirectory(prefix="planner-verify-") as tmp:
            save(result, Path(tmp) / "out")
            data = (Path(tmp) / "out" / SLATE).read_bytes()
    except PlannerError as exc:
        report.rerun = True
        report.same_slate = False
        report.problems.append(f"the re-run failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
        return report
    report.rerun = True
    report.status = str(result.summary.get("status", ""))
    report.rerun_sha256 = _sha256(data)
    report.same_slate = report.rerun_sha256 == report.recorded_sha256
    if not report.same_slate:
        report.problems.append(f"{slate_path}: the re-run gives a different {SLATE} (sha256 recorded "
                               f"{report.recorded_sha256[:12]}…, re-run {report.rerun_sha256[:12]}…)")
    log.info("verify %s: %s", out_dir, "same slate" if report.same_slate else "different slate")
    return report


def _candidates_used(summary: dict[str, Any], inputs: dict[str, str], scenario: Path) -> Path | None:
    """The candidate table the recorded run solved, when it is not the scenario's own (``--candidates``).

    The summary names it as ``candidates`` when it can; otherwise it is the one recorded input
    that is neither a scenario file nor a history slate of the scenario.
    """
    if summary.get("candidates"):
        return _locate(summary["candidates"], summary)
    from planner.rules import load_scenario

    loaded = load_scenario(scenario)
    known = {_same(p) for p in (*loaded.raw.get("_sources", []), scenario, *loaded.history)}
    tables = [_locate(k, summary) for k in inputs if k != FRAME_KEY and not k.lower().endswith(".toml")]
    tables = [t for t in tables if _same(t) not in known]
    if len(tables) == 1 and (loaded.candidates is None or _same(tables[0]) != _same(loaded.candidates)):
        return tables[0]
    return None


def _roots(summary: dict[str, Any]) -> list[str]:
    """Where a relative input path is looked for: the folder the run was made in, then this one."""
    recorded = summary.get("working_dir")
    roots = [str(recorded)] if isinstance(recorded, str) and recorded else []
    return roots + ([str(Path.cwd())] if str(Path.cwd()) not in roots else [])


def _locate(name: str, summary: dict[str, Any]) -> Path:
    """A recorded input path as a file here (the first root holding it; the path as given if none)."""
    path = Path(name)
    if path.is_absolute():
        return path
    return next((Path(root) / path for root in _roots(summary) if (Path(root) / path).is_file()), path)


def _same(path: str | Path) -> str:
    return str(Path(path).resolve())


def _read_summary(out_dir: Path) -> dict[str, Any]:
    path = out_dir / SUMMARY
    if not path.is_file():
        raise InputError([Problem(str(path), "no such file", "a folder written by planner solve (with summary.json)")])
    try:
        data = json.loads(path.read_text("utf-8"))
    except UnicodeDecodeError:
        raise InputError([Problem(str(path), "bytes that are not UTF-8", "the summary.json planner wrote")]) from None
    except json.JSONDecodeError as exc:
        raise InputError([Problem(str(path), f"invalid JSON ({exc.msg})", "the summary.json planner wrote",
                                  row=exc.lineno, column=f"column {exc.colno}")]) from None
    if not isinstance(data, dict):
        raise InputError([Problem(str(path), "JSON that is not an object", "the summary.json planner wrote")])
    return data


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
