"""What the what-if page hands out as files: the scenario TOML, slate.xlsx and the briefing.

Owns turning a solved what-if into the bytes of a download, each written by the library's own
writers into a temporary folder and read back: `slate_xlsx` (`api.save`), `briefing_html`
(`show.write_briefing`, compared with the base round), and `scenario_toml`, a small adapter:
`Scenario.to_toml` where the library has it, otherwise a child file written here with
tomlkit — ``extends`` the served scenario and holds only the changed rules, each with a comment
citing its clause, the edit and the note. Does not own solving nor the page.
"""
from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import tomlkit

from planner import api
from planner.web.edits import number_text
from planner.web.workspaces import Trial

#: Charts are drawn with matplotlib, which is not safe to use from two threads at once.
_DRAWING = threading.Lock()
BRIEFING_DPI = 150      # on screen; `planner solve --report` writes print resolution


def disposition(filename: str) -> str:
    """A Content-Disposition header for a file name that may hold Chinese (RFC 6266 / 5987)."""
    ascii_name = filename.encode("ascii", "ignore").decode("ascii") or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def file_stem(trial: Trial, base_source: Path | None) -> str:
    stem = base_source.stem if base_source is not None else "scenario"
    return stem if trial.number == 0 else f"{stem}-whatif{trial.number}"


def font_file() -> Path:
    """The Chinese font of the charts, for a browser without one (`show.use_cjk_font`)."""
    from planner.show import use_cjk_font
    with _DRAWING:
        return use_cjk_font().path


def slate_xlsx(trial: Trial) -> bytes:
    """The what-if's slate.xlsx, as `planner solve` writes it."""
    with tempfile.TemporaryDirectory(prefix="planner-web-") as tmp:
        api.save(trial.result, tmp)
        return (Path(tmp) / "slate.xlsx").read_bytes()


def briefing_html(trial: Trial, base: Trial | None) -> bytes:
    """The briefing of the what-if (compared with the base round), one self-contained page."""
    from planner.show import write_briefing
    compare_to = base.result if base is not None and base is not trial and base.result is not None else None
    with tempfile.TemporaryDirectory(prefix="planner-web-") as tmp, _DRAWING:
        write_briefing(tmp, result=trial.result, compare_to=compare_to, dpi=BRIEFING_DPI)
        return (Path(tmp) / "briefing.html").read_bytes()


def scenario_toml(trial: Trial, base_source: Path | None) -> bytes:
    """The what-if as a scenario file: the library's `Scenario.to_toml` where it exists,
    otherwise a child of the served file holding only the changed rules."""
    to_toml = getattr(trial.scenario, "to_toml", None)
    if callable(to_toml):
        with tempfile.TemporaryDirectory(prefix="planner-web-") as tmp:
            path = Path(tmp) / "whatif.toml"
            to_toml(path)
            return path.read_bytes()
    return _child_toml(trial, base_source).encode("utf-8")


def _child_toml(trial: Trial, base_source: Path | None) -> str:
    scenario = trial.scenario
    doc = tomlkit.document()
    doc.add(tomlkit.comment(f"情景推演：{scenario.name} — {trial.label}（planner serve，{time.strftime('%Y-%m-%d %H:%M')}）"))
    doc.add(tomlkit.comment("只含相对基准场景的改动；planner solve 本文件即可求解。"))
    if base_source is not None:
        doc.add("extends", str(Path(base_source).resolve().as_posix()))
    doc.add("name", f"{scenario.name}（情景推演：{trial.label}）")
    raw_rules = {r.get("id"): r for r in (scenario.raw.get("rule", []) or []) if isinstance(r, dict)}
    changed_ids = list(dict.fromkeys(e.rule_id for e in trial.edits))
    rules = tomlkit.aot()
    for rid in changed_ids:
        rule = scenario.rule(rid)
        spec = {k: v for k, v in dict(raw_rules.get(rid, {})).items() if k not in ("min", "max")}
        if not spec:
            from planner.rules import rule_to_toml
            spec = {k: v for k, v in rule_to_toml(rule).items() if k not in ("min", "max")}
        table = tomlkit.table()
        for edit in (e for e in trial.edits if e.rule_id == rid):
            table.add(tomlkit.comment(f"{rule.clause} {edit.bound} {edit.group}: {number_text(edit.old)} → "
                                      f"{number_text(edit.new)}" + (f" — {edit.note}" if edit.note else "")))
        for key, value in spec.items():
            table.add(key, _plain(value))
        for bound in ("min", "max"):
            value = getattr(rule, bound)
            if value is not None and value.as_toml() is not None:
                table.add(bound, _plain(value.as_toml()))
        rules.append(table)
    if changed_ids:
        doc.add("rule", rules)
    return tomlkit.dumps(doc)


def _plain(value):
    """A value tomlkit can write: mappings and tuples made plain, integral floats as int."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict) or hasattr(value, "items"):
        table = {str(k): _plain(v) for k, v in value.items()}
        inline = tomlkit.inline_table()
        inline.update(table)
        return inline
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
