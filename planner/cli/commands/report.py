"""`planner report OUT_DIR [--compare OTHER] [--pdf]`: the leadership briefing of a solved round.

Owns the command's arguments, its help (Chinese first, the option names as they are), its
progress bar (shown on a terminal only) and its messages. Holds no logic:
`planner.show.briefing.write_briefing` reads the output folder, draws the charts and writes
briefing.html and the PNGs (and briefing.pdf, page 1 printed by a headless browser) into it
atomically. No browser for ``--pdf`` is a one-line Chinese error and exit 2, nothing written.
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
        out_dir: Path = typer.Argument(..., help="`planner solve` 写出的输出文件夹"),
        compare: Optional[Path] = typer.Option(None, "--compare",
                                               help="对照的输出文件夹 （显示谁增谁减）"),
        pdf: bool = typer.Option(False, "--pdf", help="另写 briefing.pdf： 一页 A4 的简报首页， "
                                                       "由 Chromium、Chrome 或 Edge 打印"),
        scenario: Optional[Path] = typer.Option(None, "--scenario",
                                                help="情景文件 （summary.json 找不到它时给出）"),
        dpi: int = typer.Option(300, "--dpi", min=50, max=600, help="图片分辨率，300 = 印刷"),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="只显示错误"),
    ) -> None:
        """在 OUT_DIR 写出领导简报 briefing.html（首页即一页简报，名单为附件）和各图 PNG；加 --pdf 另写一页的 briefing.pdf。"""
        from planner.cli._common import err, out, run_guarded
        from planner.cli._messages import say

        written = run_guarded(lambda: run_report(out_dir, compare=compare, pdf=pdf, scenario=scenario, dpi=dpi,
                                                 quiet=quiet, progress_console=err))
        if not quiet:
            out.print(say("report_written", target=out_dir, names="、".join(p.name for p in written)), markup=False,
                      soft_wrap=True)

