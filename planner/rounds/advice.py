"""The full relaxation advice of an infeasible round, written to a file when the terminal gets
the short form.

Owns `write_advice`: when `explain.conflict_text` told an alternative rule by rule (or cut the
conflict's list short), every change goes, one per line, to ``advice.txt`` in the output folder
and the diagnosis gains a line naming that file. Computes no advice (`explain.relax`) and words
none (`explain.conflict_text`).
"""
from __future__ import annotations

from pathlib import Path

from planner.lang import say

ADVICE_FILE = "advice.txt"


def write_advice(error: Exception, out_dir: str | Path) -> Path | None:
    """Write every change of every relaxation alternative of an `InfeasibleError` to
    ``out_dir/advice.txt`` when the printed advice is a summary; return the path (None when the
    printed lines already say everything, or there is no diagnosis).
    """
    diagnosis = getattr(error, "diagnosis", None)
    if diagnosis is None or not diagnosis.relaxations:
        return None
    from planner.explain import GROUPED_FROM, advice_details
    shortened = any(len(a) > GROUPED_FROM for a in diagnosis.relaxations) \
        or any(line.startswith(("… and ", "……另有")) for line in diagnosis.lines)
    if not shortened:
        return None
    from planner.show import atomic_write_bytes
    conflict = diagnosis.conflicts["message"].astype(str).tolist() if "message" in diagnosis.conflicts else []
    text = [str(error), "", say("冲突：", "conflict:"), *(f"  {m}" for m in conflict), "",
            *advice_details(diagnosis.relaxations)]
    path = atomic_write_bytes(Path(out_dir) / ADVICE_FILE, ("\n".join(text) + "\n").encode("utf-8"))
    diagnosis.lines.append(say(f"每处改动各占一行：{path}", f"every change, one per line: {path}"))
    return path
