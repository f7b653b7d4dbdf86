"""What the what-if page hands out as files: the scenario TOML, slate.xlsx and the briefing.

Owns turning a solved what-if into the bytes of a download, each written by the library's own
writers into a temporary folder and read back: `slate_xlsx` (`api.save`), `briefing_html`
(`show.write_briefing`, compared with the base round), and `scenario_toml` (`Scenario.to_toml`,
its paths made absolute for a file saved anywhere). Does not own solving nor the page.
"""
from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from urllib.parse import quote

import tomlkit

from planner import api
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


def scenario_toml(trial: Trial) -> bytes:
    """The what-if as a scenario file (`Scenario.to_toml`: ``extends`` the served file and holds
    only the edits, each with its clause and note), with its paths made absolute, so the
    downloaded file can be saved anywhere on this machine and solved with `planner solve`."""
    doc = tomlkit.parse(trial.scenario.to_toml())
    here = Path.cwd()

    def absolute(value: str) -> str:
        return (here / value).resolve().as_posix()
    for key in ("extends", "candidates"):
        if isinstance(doc.get(key), str):
            doc[key] = absolute(doc[key])
    if isinstance(doc.get("history"), list):
        doc["history"] = [absolute(str(p)) for p in doc["history"]]
    plan = doc.get("plan")
    if plan is not None and isinstance(plan.get("pools"), list):
        plan["pools"] = [absolute(str(p)) for p in plan["pools"]]
    return tomlkit.dumps(doc).encode("utf-8")
