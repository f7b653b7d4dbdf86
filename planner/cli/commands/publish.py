"""`planner publish RUN_DIR [--out OUT_DIR]`: the 认定名单, 推荐名单 and feedback letters of a solved round.

Holds no logic: `planner.show.publication.publish` reads the run folder and writes the files.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    @app.command("publish")
    def publish(
        run_dir: Path = typer.Argument(..., help="output folder written by `planner solve`"),
        out_dir: Optional[Path] = typer.Option(None, "--out", help="where to write (default: RUN_DIR)"),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="print nothing but errors"),
    ) -> None:
        """Write 认定名单.xlsx/.docx, 推荐名单.xlsx/.docx, 反馈汇总.xlsx and 反馈/ (one letter per unit)."""
        from planner.cli._common import out, run_guarded
        from planner.show import publish as write
        from planner.show.publication import FEEDBACK_DIR

        written = run_guarded(lambda: write(run_dir, out_dir))
        if not quiet:
            target = out_dir or run_dir
            letters = sum(1 for p in written if p.parent.name == FEEDBACK_DIR)
            out.print(f"已写入 {target}/：认定名单.xlsx/.docx、推荐名单.xlsx/.docx、反馈汇总.xlsx，"
                      f"{FEEDBACK_DIR}/ 下 {letters} 份单位反馈", markup=False, soft_wrap=True)
