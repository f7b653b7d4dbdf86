"""What people look at: output files written atomically (`files`), charts in Chinese (`charts`,
with the CJK font of `fonts`), the leadership briefing (`briefing`), HTML for notebooks
(`display`) and two results side by side (`compare`).

Reads results (`planner.result`), never solves.
"""
