"""`planner publish RUN_DIR [--out OUT_DIR] [--templates DIR]`: the documents of a solved round.

Holds no logic: `planner.show.publication.publish` reads the run folder and the scenario's
``[publication]`` block and writes the files; this command prints what was written and what a
person should know before signing (no 文号, a sample block).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    @app.command("publish")
    def publish(
        run_dir: Path = typer.Argument(..., help="`planner solve` 写出的输出文件夹"),
        out_dir: Optional[Path] = typer.Option(None, "--out", help="写入的文件夹（默认：RUN_DIR）"),
        templates: Optional[Path] = typer.Option(
            None, "--templates",
            help="本单位的 Word 模板文件夹（认定名单.docx、推荐名单.docx、公示通知.docx、反馈.docx；缺少的用内置模板）"),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="只显示错误"),
    ) -> None:
        """写出认定名单、推荐名单（.xlsx/.docx）、公示通知.docx、反馈汇总.xlsx 和 反馈/（每个申报单位一份告知书）。"""
        from planner.cli._common import err, out, run_guarded
        from planner.show import publish as write
        from planner.cli._messages import say
        from planner.show.publication import FEEDBACK_DIR

        notes: list[str] = []
        written = run_guarded(lambda: write(run_dir, out_dir, templates=templates, warnings=notes))
        for note in notes:
            err.print(f"注意：{note}", markup=False)
        if not quiet:
            target = out_dir or run_dir
            letters = sum(1 for p in written if p.parent.name == FEEDBACK_DIR)
            if any(p.name == "调整说明.docx" for p in written):     # an amendment folder (planner amend)
                out.print(say("amend_published", folder=target, letters=letters), markup=False, soft_wrap=True)
                return
            out.print(f"已写入 {target}/：认定名单.xlsx/.docx、推荐名单.xlsx/.docx、公示通知.docx、反馈汇总.xlsx，"
                      f"{FEEDBACK_DIR}/ 下 {letters} 份单位告知书", markup=False, soft_wrap=True)
