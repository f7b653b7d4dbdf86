"""`planner report OUT_DIR [--compare OTHER] [--pdf]`: the leadership briefing of a solved round.

Owns the command's arguments, its progress bar (shown on a terminal only) and its messages.
Holds no logic: `planner.briefing.write_briefing` reads the output folder, draws the charts
and writes briefing.html and the PNGs (and briefing.pdf) into it atomically.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from planner.cli._common import progress_reporter


def run_report(out_dir: Path, *, compare: Optional[Path], pdf: bool, scenario: Optional[Path], dpi: int,
               quiet: bool, progress_console: Console) -> list[Path]:
    """`briefing.write_briefing` with a progress bar on `progress_console` when it is a terminal."""
    from planner.show import write_briefing

    with progress_reporter(progress_console, quiet=quiet) as progress:
        return write_briefing(out_dir, compare_to=compare, pdf=pdf, scenario=scenario, dpi=dpi, progress=progress)


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report(
        out_dir: Path = typer.Argument(..., help="output folder written by `planner solve`"),
        compare: Optional[Path] = typer.Option(None, "--compare",
                                               help="an earlier output folder: who gained, who lost"),
        pdf: bool = typer.Option(False, "--pdf", help="also write briefing.pdf"),
        scenario: Optional[Path] = typer.Option(None, "--scenario",
                                                help="scenario TOML, if the folder's summary does not lead to it"),
        dpi: int = typer.Option(300, "--dpi", min=50, max=600, help="resolution of the PNGs (300 = print)"),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="print nothing but errors"),
    ) -> None:
        """Write briefing.html (charts embedded, no network) and the chart PNGs into OUT_DIR."""
        from planner.cli._common import EXIT_INPUT, err, fail, out, run_guarded
        from planner.show import FontError

        def action() -> list[Path]:
            try:
                return run_report(out_dir, compare=compare, pdf=pdf, scenario=scenario, dpi=dpi, quiet=quiet,
                                  progress_console=err)
            except FontError as exc:
                fail([str(exc)], EXIT_INPUT)
                raise                                   # not reached: fail() exits

        written = run_guarded(action)
        if not quiet:
            names = ", ".join(p.name for p in written)
            out.print(f"briefing written to {out_dir}/: {names}", markup=False, soft_wrap=True)

